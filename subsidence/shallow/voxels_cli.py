"""``subsidence soil-profiles``: soil profiles of points from a voxel model (GeoTOP layout) or a soil map."""

from __future__ import annotations


def add_arguments(p) -> None:
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--voxels", help="voxel model, NetCDF with x, y, z and a lithoclass per voxel")
    src.add_argument("--soil-map", help="soil map: polygons (GeoPackage, GeoJSON, shapefile) with a profile code, or a "
                                        "raster (GeoTIFF, .tif) of integer profile codes")
    p.add_argument("--field", default=None, help="with --soil-map: the field holding the profile name (the case's [[soil.profiles]] names)")
    p.add_argument("--crs", default="EPSG:28992", help="CRS of the points (default EPSG:28992, RD New); a soil map in another is transformed")
    p.add_argument("--variable", default="lithok", help="the lithoclass variable (default: lithok, as in GeoTOP)")
    p.add_argument("--classes", help="with --voxels: TOML with [[classes]]: code (lithoclass), name and layer parameters")
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
    if args.soil_map and Path(args.soil_map).suffix.lower() in (".tif", ".tiff"):
        from subsidence.shallow.raster import RasterError, profiles_from_raster
        from subsidence.shallow.voxels import write_profile_csv

        if args.field:
            raise CaseError("", "--field", "a raster soil map holds the profile codes in its (first) band: no --field")
        try:
            which = profiles_from_raster(args.soil_map, names, x, y, crs=args.crs)
        except RasterError as exc:
            raise CaseError(args.soil_map, "--soil-map", str(exc)) from None
        path = write_profile_csv(Path(args.out), names, which)
        print(f"{len(set(which))} profile code(s) for {len(names)} point(s): {path} ([points] profile_file; "
              "the profiles are the case's [[soil.profiles]] named by these codes)")
        return 0
    if args.soil_map:
        from subsidence.shallow.voxels import profiles_from_map

        if not args.field:
            raise CaseError("", "--field", "--soil-map needs --field, the field with the profile name")
        try:
            which = profiles_from_map(args.soil_map, args.field, names, x, y, crs=args.crs)
        except VoxelError as exc:
            raise CaseError(args.soil_map, "--soil-map", str(exc)) from None
        from subsidence.shallow.voxels import write_profile_csv

        path = write_profile_csv(Path(args.out), names, which)
        print(f"{len(set(which))} profile name(s) for {len(names)} point(s): {path} ([points] profile_file; "
              "the profiles are the case's [[soil.profiles]] of these names)")
        return 0
    if not args.classes:
        raise CaseError("", "--classes", "--voxels needs --classes, the layer parameters per lithoclass")
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
