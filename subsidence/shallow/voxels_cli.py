"""``subsidence soil-profiles``: soil profiles of points from a voxel model (GeoTOP layout) or a soil map."""

from __future__ import annotations

from pathlib import Path


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
    p.add_argument("--depth", type=float, default=10.0,
                   help="depth of the profiles below the surface (m, default 10): the voxel boundary nearest to it, at "
                        "least the top voxel; a column that ends above it gives a shorter profile and a warning")
    p.add_argument("--out", "-o", required=True, help="folder for profiles.toml and profiles.csv")


def main(args) -> int:
    from pathlib import Path

    from subsidence.config import CaseError
    from subsidence.shallow.config import read_points
    from subsidence.shallow.voxels import VoxelError, profile_set, read_classes, read_voxels, write_profiles

    if not 0 < args.depth < float("inf"):
        raise CaseError("", "--depth", f"must be a finite depth > 0 (m), got {args.depth}")
    try:
        names, x, y, _ = read_points(Path(args.points))
    except (OSError, ValueError, KeyError) as exc:  # the reader's message names the file, column and line
        msg = str(exc)
        prefix = f"{args.points}: "
        raise CaseError(args.points, "--points", msg[len(prefix):] if msg.startswith(prefix) else msg) from None
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
            raise CaseError(exc.file or args.soil_map, exc.key or "--soil-map", exc.reason) from None
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
        ps = profile_set(vox, classes, names, x, y, depth=args.depth)
    except VoxelError as exc:
        raise CaseError(exc.file or (args.classes if exc.key == "--classes" else args.voxels), exc.key or "soil-profiles",
                        exc.reason) from None
    notes = {}
    at = dict(zip(ps.point_profiles, ps.reached))
    index = {str(n): k for k, n in enumerate(names)}
    for pname in sorted({ps.point_profiles[index[n]] for n in ps.short}, key=list(ps.profiles).index):
        notes[pname] = (f"shorter than --depth {args.depth:g} m: reaches {at[pname]:g} m below the surface "
                        "(the voxel column ends there)")
    toml_path, csv_path = write_profiles(Path(args.out), ps.profiles, names, ps.point_profiles, notes=notes)
    print(f"{len(ps.profiles)} profile(s) for {len(names)} point(s): {toml_path} ([soil] profiles_file), "
          f"{csv_path} ([points] profile_file)")
    if ps.short:
        print(f"{len(ps.short)} point(s) with a profile shorter than --depth {args.depth:g} m (see the warning and the "
              f"comments in {toml_path.name})")
    return 0
