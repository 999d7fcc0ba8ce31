"""Surface displacement results: the contract shared by every run type.

- ``points.csv``: ``name, x, y, time, ux, uy, uz``; metres, East-North-Up, up positive;
  ``time`` in years since time 0.
- ``surface.nc``: NetCDF with ``ux, uy, uz`` over ``(time, y, x)``; ``time`` in years,
  plus a ``date`` coordinate when the case has a ``start_date``; CRS as attribute and a
  CF ``spatial_ref`` variable when the case has a ``crs``.
- ``summary.json`` keys from :func:`surface_summary` at the last output time.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
from pathlib import Path

import numpy as np

from subsidence.units import SECONDS_PER_YEAR


@dataclasses.dataclass
class SurfaceResult:
    """Displacements on a regular surface grid and at named points, at output times.

    ``times`` in seconds; ``grid_ux`` etc. shaped (nt, ny, nx); ``point_ux`` etc. (nt, npoints).
    Grid or points may be absent (``None`` / empty).
    """

    times: np.ndarray
    x: np.ndarray | None = None
    y: np.ndarray | None = None
    grid_ux: np.ndarray | None = None
    grid_uy: np.ndarray | None = None
    grid_uz: np.ndarray | None = None
    point_names: list[str] = dataclasses.field(default_factory=list)
    point_x: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    point_y: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    point_ux: np.ndarray | None = None
    point_uy: np.ndarray | None = None
    point_uz: np.ndarray | None = None
    crs: str | None = None
    start_date: _dt.date | None = None

    @property
    def times_yr(self) -> np.ndarray:
        return np.asarray(self.times) / SECONDS_PER_YEAR

    @property
    def has_grid(self) -> bool:
        return self.grid_uz is not None


def write_points_csv(path: str | Path, res: SurfaceResult) -> None:
    path = Path(path)
    with path.open("w", encoding="utf-8") as f:
        f.write("name,x,y,time,ux,uy,uz\n")
        for it, t in enumerate(res.times_yr):
            for ip, name in enumerate(res.point_names):
                f.write(
                    f"{name},{res.point_x[ip]:.3f},{res.point_y[ip]:.3f},{t:.6g},"
                    f"{res.point_ux[it, ip]:.9e},{res.point_uy[it, ip]:.9e},{res.point_uz[it, ip]:.9e}\n"
                )


def write_surface_nc(path: str | Path, res: SurfaceResult, *, title: str = "", attrs: dict | None = None) -> None:
    import xarray as xr

    coords = {"time": ("time", res.times_yr, {"units": "years since time 0", "long_name": "time"}),
              "y": ("y", np.asarray(res.y), {"units": "m", "long_name": "northing", "axis": "Y"}),
              "x": ("x", np.asarray(res.x), {"units": "m", "long_name": "easting", "axis": "X"})}
    if res.start_date is not None:
        t0 = np.datetime64(res.start_date.isoformat(), "s")
        dates = t0 + np.round(np.asarray(res.times)).astype("timedelta64[s]")
        coords["date"] = ("time", dates.astype("datetime64[ns]"))
    dv = {}
    names = {"ux": "eastward displacement", "uy": "northward displacement", "uz": "upward displacement (subsidence negative)"}
    for comp, arr in (("ux", res.grid_ux), ("uy", res.grid_uy), ("uz", res.grid_uz)):
        dv[comp] = (("time", "y", "x"), np.asarray(arr, dtype=float), {"units": "m", "long_name": names[comp]})
    ds = xr.Dataset(dv, coords=coords)
    ds.attrs.update({"title": title, "conventions": "East-North-Up, up positive", "Conventions": "CF-1.8"})
    if res.crs:
        import pyproj

        crs = pyproj.CRS.from_user_input(res.crs)
        ds.attrs["crs"] = res.crs
        ds["spatial_ref"] = xr.DataArray(0, attrs={**crs.to_cf(), "spatial_ref": crs.to_wkt()})
        for comp in ("ux", "uy", "uz"):
            ds[comp].attrs["grid_mapping"] = "spatial_ref"
    if attrs:
        ds.attrs.update(attrs)
    ds.to_netcdf(path)


def surface_summary(res: SurfaceResult) -> dict:
    """Headline numbers at the last output time (grid if present, else points)."""
    out: dict = {"time_yr": float(res.times_yr[-1])}
    if res.has_grid:
        uz, ux, uy = res.grid_uz[-1], res.grid_ux[-1], res.grid_uy[-1]
        i = np.unravel_index(np.argmin(uz), uz.shape)
        h = np.hypot(ux, uy)
        j = np.unravel_index(np.argmax(h), h.shape)
        dx = np.diff(res.x).mean() if len(res.x) > 1 else 0.0
        dy = np.diff(res.y).mean() if len(res.y) > 1 else 0.0
        vol = -np.trapezoid(np.trapezoid(uz, res.x, axis=1), res.y) if dx and dy else 0.0
        out.update(
            max_subsidence_m=float(max(-uz.min(), 0.0)),
            max_subsidence_at=[float(res.x[i[1]]), float(res.y[i[0]])],
            max_horizontal_m=float(h.max()),
            max_horizontal_at=[float(res.x[j[1]]), float(res.y[j[0]])],
            bowl_volume_m3=float(vol),
            max_uplift_m=float(max(uz.max(), 0.0)),
        )
    if len(res.point_names):
        out["points"] = {
            n: {"ux": float(res.point_ux[-1, k]), "uy": float(res.point_uy[-1, k]), "uz": float(res.point_uz[-1, k])}
            for k, n in enumerate(res.point_names)
        }
        if not res.has_grid:
            out["max_subsidence_m"] = float(max(-res.point_uz[-1].min(), 0.0))
            out["max_horizontal_m"] = float(np.hypot(res.point_ux[-1], res.point_uy[-1]).max())
    return out


def write_json(path: str | Path, data: dict) -> None:
    from subsidence.config.case import to_jsonable

    Path(path).write_text(json.dumps(to_jsonable(data), indent=2) + "\n", encoding="utf-8")


def write_surface_outputs(rundir, res: SurfaceResult, *, title: str = "", plots: bool = True) -> dict:
    """Write points.csv, surface.nc and the standard plots (rank 0 only); return the summary."""
    summary = surface_summary(res)
    if rundir.rank == 0:
        if len(res.point_names):
            write_points_csv(rundir.file("points.csv"), res)
        if res.has_grid:
            write_surface_nc(rundir.file("surface.nc"), res, title=title)
        if plots and res.has_grid:
            from subsidence.io.plots import plot_surface

            plot_surface(res, rundir.path, title=title)
    return summary
