"""``subsidence soil-profiles``: soil profiles of points from a voxel model (GeoTOP layout)."""

from __future__ import annotations


def add_arguments(p) -> None:
    p.add_argument("--voxels", required=True, help="voxel model, NetCDF with x, y, z and a lithoclass per voxel")
    p.add_argument("--variable", default="lithok", help="the lithoclass variable (default: lithok, as in GeoTOP)")
    p.add_argument("--classes", required=True, help="TOML with [[classes]]: code (lithoclass), name and layer parameters")
    p.add_argument("--points", required=True, help="points CSV (name,x,y or an InSAR parcel file with WKT geometry)")
    p.add_argument("--depth", type=float, default=10.0, help="depth of the profiles below the surface (m, default 10)")
    p.add_argument("--out", "-o", required=True, help="folder for profiles.toml and profiles.csv")


def main(args) -> int:
    from pathlib import Path

    from subsidence.config import CaseError
    from subsidence.shallow.config import read_points
    from subsidence.shallow.voxels import VoxelError, build_profiles, read_classes, read_voxels, write_profiles

    if not args.depth > 0:
        raise CaseError("", "--depth", f"must be > 0, got {args.depth}")
    try:
        names, x, y, _ = read_points(Path(args.points))
    except (OSError, ValueError, KeyError) as exc:
        raise CaseError(args.points, "--points", str(exc)) from None
    try:
        vox = read_voxels(args.voxels, variable=args.variable)
        classes = read_classes(args.classes)
        profiles, point_profiles = build_profiles(vox, classes, names, x, y, depth=args.depth)
    except VoxelError as exc:
        raise CaseError("", "soil-profiles", str(exc)) from None
    toml_path, csv_path = write_profiles(Path(args.out), profiles, names, point_profiles)
    print(f"{len(profiles)} profile(s) for {len(names)} point(s): {toml_path} ([soil] profiles_file), "
          f"{csv_path} ([points] profile_file)")
    return 0
