"""``subsidence export RUN --geotiff``: maps of a run directory for GIS users.

Writes one GeoTIFF per displacement component (``ux.tif``, ``uy.tif``, ``uz.tif``; metres,
up positive), one band per output time (or only the time chosen with ``--time``), north up,
in the case's CRS. Band descriptions and tags carry the time in years and, when the case has
a ``start_date``, the date. Reads ``surface.nc``, so it works for every run type with a map.

``--time T`` takes the output time nearest to T within the run's span (the log says which one
when T is not an output time); a T before the first or after the last output time is an error
that lists the available times. ``--out`` is a folder (created if missing); an existing file
there is an error.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np

from subsidence.config.errors import CaseError
from subsidence.log import get_logger

COMPONENTS = ("ux", "uy", "uz")
TIME_TOL_YR = 1e-6  # years: a --time this close to an output time (or to the run's span) is that time

log = get_logger("export")


class ExportError(Exception):
    pass


def add_arguments(parser) -> None:
    parser.add_argument("run", help="run directory (with surface.nc)")
    parser.add_argument("--geotiff", action="store_true", help="write GeoTIFFs (the default and only format for now)")
    parser.add_argument("--var", "-v", action="append", choices=COMPONENTS, default=None,
                        help="component to export (repeatable; default: all three)")
    parser.add_argument("--time", "-t", type=float, default=None,
                        help="only the output time nearest to this (years since time 0; within the run's output times); "
                             "default: all times, one band each")
    parser.add_argument("--out", "-o", default=None, help="folder for the files (default: the current directory)")


def main(args) -> int:
    from subsidence.parallel import world

    if world().rank != 0:
        return 0
    try:
        files = export_geotiff(args.run, args.out or ".", variables=args.var, time=args.time)
    except (ExportError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for f in files:
        print(f)
    return 0


def export_geotiff(run, out=".", *, variables=None, time: float | None = None) -> list[Path]:
    """Write ``<out>/<var>.tif`` for a run directory (or a ``surface.nc`` path); return the paths."""
    try:
        import rasterio
        from rasterio.transform import from_origin
    except ImportError as exc:  # pragma: no cover - rasterio is a dependency
        raise ExportError(f"GeoTIFF export needs rasterio ({exc}); pip install rasterio") from None
    from subsidence.io.surface import open_surface

    run = Path(run)
    nc = run / "surface.nc" if run.is_dir() else run
    if not nc.is_file():
        raise ExportError(f"{nc}: no surface.nc (this run has no surface map)")
    ds = open_surface(nc)
    x, y = ds["x"].values.astype(float), ds["y"].values.astype(float)
    if len(x) < 2 or len(y) < 2:
        raise ExportError(f"{nc}: the grid needs at least 2 x 2 points for a GeoTIFF")
    dx, dy = np.diff(x), np.diff(y)
    if not (np.allclose(dx, dx[0], rtol=1e-6) and np.allclose(dy, dy[0], rtol=1e-6)):
        raise ExportError(f"{nc}: the grid is not regular; GeoTIFF needs a constant spacing")
    times = ds["time"].values.astype(float)
    idx = list(range(len(times))) if time is None else [pick_time(nc, times, time)]
    crs = ds.attrs.get("crs")
    if crs is None and "spatial_ref" in ds.variables:
        crs = ds["spatial_ref"].attrs.get("crs_wkt")
    flip_y, flip_x = dy[0] > 0, dx[0] < 0  # GeoTIFF rows run north to south, columns west to east
    west = min(x[0], x[-1]) - abs(dx[0]) / 2
    north = max(y[0], y[-1]) + abs(dy[0]) / 2
    transform = from_origin(west, north, abs(dx[0]), abs(dy[0]))
    dates = ds["date"].values if "date" in ds.coords else None
    out = output_folder(out)
    files = []
    for var in variables or COMPONENTS:
        data = ds[var].values[idx]
        if flip_y:
            data = data[:, ::-1, :]
        if flip_x:
            data = data[:, :, ::-1]
        name = f"{var}.tif" if time is None else f"{var}_t{times[idx[0]]:g}yr.tif"
        path = out / name
        profile = dict(driver="GTiff", width=len(x), height=len(y), count=len(idx), dtype="float64",
                       transform=transform, nodata=np.nan, compress="deflate")
        if crs:
            profile["crs"] = crs
        with rasterio.open(path, "w", **profile) as dst:
            dst.write(np.ascontiguousarray(data, dtype="float64"))
            dst.update_tags(units="m", long_name=ds[var].attrs.get("long_name", var),
                            source=str(nc), convention="East-North-Up, up positive")
            for band, it in enumerate(idx, start=1):
                tags = {"time_years": f"{times[it]:.9g}"}
                desc = f"{var} at t = {times[it]:g} yr"
                if dates is not None:
                    day = str(dates[it])[:10]
                    tags["date"] = day
                    desc += f" ({day})"
                dst.set_band_description(band, desc)
                dst.update_tags(band, **tags)
        files.append(path)
    return files


def pick_time(nc, times, time: float) -> int:
    """Index of the output time nearest to ``time`` (years), which must lie within the run's output
    times (to :data:`TIME_TOL_YR`); the log says which output time is used when it is not exact."""
    span = f"{times.min():g} … {times.max():g} yr" if len(times) > 1 else f"{times[0]:g} yr only"
    listed = ", ".join(f"{t:g}" for t in times) if len(times) <= 12 else f"{len(times)} output times"
    if not math.isfinite(time):
        raise CaseError(str(nc), "--time", f"{time} is not a finite number of years (the run has {span}: {listed})")
    if time < times.min() - TIME_TOL_YR or time > times.max() + TIME_TOL_YR:
        raise CaseError(str(nc), "--time", f"{time:g} yr is outside the run's output times ({span}: {listed}); "
                                           "give a time within them")
    k = int(np.argmin(np.abs(times - time)))
    if abs(times[k] - time) > TIME_TOL_YR:
        log.info("--time %g yr is not an output time: using the nearest, %g yr", time, times[k])
    return k


def output_folder(out) -> Path:
    """``out`` as a folder to write into (created if missing); a file in its place is an error."""
    out = Path(out)
    for p in (out, *out.parents):
        if p.exists() and not p.is_dir():
            raise CaseError("", "--out", f"{p} exists and is not a directory")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CaseError("", "--out", f"cannot create {out}: {exc.strerror or exc}") from None
    return out
