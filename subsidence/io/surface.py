"""Surface displacement results: the contract shared by every run type.

- ``points.csv``: ``name, x, y, time, ux, uy, uz``; metres, East-North-Up, up positive;
  ``time`` in years since time 0.
- ``surface.nc``: CF-1.8 NetCDF with ``ux, uy, uz`` over ``(time, y, x)`` and the
  coordinate ``time_years`` (years since time 0, always). With a ``start_date``, ``time``
  is CF calendar time (``days since <start_date>``, proleptic Gregorian), which QGIS's
  temporal controller, GDAL and ``xarray.open_dataset`` decode to dates; without one,
  ``time`` is in years like ``time_years``. With a ``crs``, a CF grid mapping
  ``spatial_ref`` (``grid_mapping_name``, ``crs_wkt``, ``spatial_ref``, ``GeoTransform``).
  Read it with :func:`open_surface` to get ``time`` in years whatever the layout (also
  files written before ``time_years`` existed).
- ``points.nc``: the same time series as a CF discrete-sampling-geometry file
  (``featureType = "timeSeries"``; :func:`points_dataset`); shallow and coupled runs add
  their groundwater and settlement series.
- ``summary.json`` keys from :func:`surface_summary` at the last output time.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
from pathlib import Path

import numpy as np

from subsidence.log import get_logger
from subsidence.units import SECONDS_PER_YEAR

log = get_logger("io")


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
    #: reservoir / field outlines drawn on the maps: (name, shape) with a shape of
    #: subsidence.deep.geometry (Disc, Polygon) or GridShape (see subsidence.io.plots.draw_outlines)
    outlines: list = dataclasses.field(default_factory=list)

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


def points_dataset(res: SurfaceResult, *, title: str = "", extra: dict | None = None):
    """Time series at the named points as a CF discrete-sampling-geometry dataset (xarray).

    Orthogonal multidimensional layout, ``featureType = "timeSeries"``: variables over
    ``(station, time)``; ``station_name`` (``cf_role = "timeseries_id"``), ``x``/``y`` (and
    ``lon``/``lat`` when the case has a CRS); ``time`` is calendar time when the case has a
    ``start_date`` (else years), ``time_years`` always. ``extra`` maps a variable name to
    ``(values (nt, npoints), attrs)`` for study-specific series (shallow, coupled).
    """
    import xarray as xr

    t_s = np.asarray(res.times, float)
    yrs = t_s / SECONDS_PER_YEAR
    if res.start_date is not None:
        t0 = np.datetime64(res.start_date.isoformat(), "ns")
        time = t0 + np.round(t_s * 1e9).astype("timedelta64[ns]")
        t_attrs = {"standard_name": "time", "long_name": "time", "axis": "T"}
    else:
        time = yrs
        t_attrs = {"units": "year", "axis": "T",
                   "long_name": "time since time 0 of the case, in Julian years (the case has no start_date)"}
    xy = {"x": "easting", "y": "northing"}
    coords = {
        "time": ("time", time, t_attrs),
        "time_years": ("time", yrs, {"units": "year", "long_name": "time since time 0 of the case, in Julian years"}),
        "station_name": ("station", np.asarray(res.point_names, dtype=str),
                         {"cf_role": "timeseries_id", "long_name": "point name"}),
    }
    for k, vals in (("x", res.point_x), ("y", res.point_y)):
        a = {"units": "m", "long_name": xy[k]}
        if res.crs:
            a["standard_name"] = f"projection_{k}_coordinate"
        coords[k] = ("station", np.asarray(vals, float), a)
    if res.crs:
        import pyproj

        tr = pyproj.Transformer.from_crs(res.crs, "EPSG:4326", always_xy=True)
        lon, lat = tr.transform(np.asarray(res.point_x, float), np.asarray(res.point_y, float))
        coords["lon"] = ("station", np.asarray(lon, float), {"standard_name": "longitude", "units": "degrees_east"})
        coords["lat"] = ("station", np.asarray(lat, float), {"standard_name": "latitude", "units": "degrees_north"})
    names = {"ux": "eastward displacement", "uy": "northward displacement",
             "uz": "upward displacement (subsidence negative)"}
    data = {}
    for c in ("ux", "uy", "uz"):
        arr = getattr(res, f"point_{c}")
        if arr is not None:
            data[c] = (("station", "time"), np.asarray(arr, float).T, {"units": "m", "long_name": names[c]})
    for name, (vals, attrs) in (extra or {}).items():
        data[name] = (("station", "time"), np.asarray(vals, float).T, dict(attrs))
    ds = xr.Dataset(data, coords=coords)
    ds.attrs.update(title=title, Conventions="CF-1.8", featureType="timeSeries",
                    conventions="East-North-Up, up positive; time_years in years since time 0")
    if res.start_date is not None:
        ds.attrs["start_date"] = res.start_date.isoformat()
    if res.crs:
        ds.attrs["crs"] = res.crs
        cf = _grid_mapping_attrs(res.crs)
        ds["spatial_ref"] = xr.DataArray(np.int32(0), attrs=cf)
        for v in data:
            ds[v].attrs["grid_mapping"] = "spatial_ref"
    return ds


def write_points_nc(path: str | Path, res: SurfaceResult, *, title: str = "", extra: dict | None = None) -> None:
    """``points.nc``: the time series of ``points.csv`` (and ``extra``) as a CF timeSeries file."""
    ds = points_dataset(res, title=title, extra=extra)
    enc = {v: {"zlib": True, "complevel": 4} for v in ds.data_vars if ds[v].ndim == 2}
    enc.update({c: {"_FillValue": None} for c in ds.coords if ds[c].dtype.kind in "fM"})  # CF: no fill in coordinates
    if res.start_date is not None:
        enc["time"].update(units=f"days since {res.start_date.isoformat()} 00:00:00", calendar="proleptic_gregorian",
                           dtype="f8")
    ds.to_netcdf(path, format="NETCDF4", encoding=enc)


#: the variables of ``surface.nc``: name -> attributes
DISPLACEMENT_VARS = {
    "ux": {"units": "m", "long_name": "eastward displacement"},
    "uy": {"units": "m", "long_name": "northward displacement"},
    "uz": {"units": "m", "long_name": "upward displacement (subsidence negative)"},
}

#: the variables of ``deformation.nc`` (signs in docs/conventions.md, "Surface deformation")
DEFORMATION_VARS = {
    "tilt": {"units": "1", "long_name": "tilt: magnitude of the surface gradient |grad uz| (m/m)"},
    "curvature": {"units": "m-1", "long_name": "principal curvature of largest magnitude of the surface, "
                  "positive sagging (concave upward), negative hogging (convex)"},
    "horizontal_strain": {"units": "1", "long_name": "largest principal horizontal strain, extension positive"},
    "horizontal_compression": {"units": "1", "long_name": "largest horizontal compression: minus the smallest "
                               "principal horizontal strain, compression positive"},
}


class SurfaceNCWriter:
    """Writes ``surface.nc`` one output time at a time (bounded memory for big grids).

    ``variables`` (name -> attributes, default :data:`DISPLACEMENT_VARS`) lets the same layout
    (time, CRS, coordinates) carry other fields over ``(time, y, x)``, e.g. ``deformation.nc``
    (:data:`DEFORMATION_VARS`, written with :meth:`write_fields`)."""

    def __init__(self, path, x, y, times_s, *, crs=None, start_date=None, title: str = "", attrs: dict | None = None,
                 variables: dict[str, dict] | None = None):
        import netCDF4

        self.ds = ds = netCDF4.Dataset(str(path), "w", format="NETCDF4")
        ds.createDimension("time", len(times_s))
        ds.createDimension("y", len(y))
        ds.createDimension("x", len(x))
        t_s = np.asarray(times_s, float)
        tv = ds.createVariable("time", "f8", ("time",))
        tv.axis = "T"
        if start_date is not None:
            tv[:] = t_s / 86400.0
            tv.units = f"days since {start_date.isoformat()} 00:00:00"
            tv.calendar = "proleptic_gregorian"
            tv.standard_name = "time"
            tv.long_name = "time"
        else:  # no calendar date for time 0: a CF time axis needs one, so time stays in years
            tv[:] = t_s / SECONDS_PER_YEAR
            tv.units = "year"
            tv.long_name = "time since time 0 of the case, in Julian years (the case has no start_date)"
        yv = ds.createVariable("time_years", "f8", ("time",))
        yv[:] = t_s / SECONDS_PER_YEAR
        yv.units = "year"
        yv.long_name = "time since time 0 of the case (its start_date, if given), in Julian years"
        cf = _grid_mapping_attrs(crs) if crs else None
        for name, vals, ln in (("y", y, "northing"), ("x", x, "easting")):
            v = ds.createVariable(name, "f8", (name,))
            v[:] = np.asarray(vals, float)
            v.units = "m"
            v.long_name = ln
            v.axis = name.upper()
            if cf is not None:
                v.standard_name = f"projection_{name}_coordinate"
        self.vars = {}
        for comp, vattrs in (variables or DISPLACEMENT_VARS).items():
            v = ds.createVariable(comp, "f8", ("time", "y", "x"), chunksizes=(1, len(y), len(x)))
            for k, val in vattrs.items():
                v.setncattr(k, val)
            v.coordinates = "time_years"
            self.vars[comp] = v
        ds.title = title
        ds.conventions = "East-North-Up, up positive; time_years in years since time 0"
        ds.Conventions = "CF-1.8"
        if start_date is not None:
            ds.start_date = start_date.isoformat()
        if cf is not None:
            ds.crs = crs
            sr = ds.createVariable("spatial_ref", "i4")
            sr.assignValue(0)
            xs, ys = np.asarray(x, float), np.asarray(y, float)
            dx = (xs[-1] - xs[0]) / (len(xs) - 1) if len(xs) > 1 else 1.0
            dy = (ys[-1] - ys[0]) / (len(ys) - 1) if len(ys) > 1 else 1.0
            # GDAL's affine transform, north-up whatever the row order in the file
            top = max(ys[0], ys[-1]) + abs(dy) / 2
            cf["GeoTransform"] = " ".join(f"{v:.17g}" for v in (xs[0] - dx / 2, dx, 0.0, top, 0.0, -abs(dy)))
            for k, val in cf.items():
                sr.setncattr(k, val)
            for v in self.vars.values():
                v.grid_mapping = "spatial_ref"
        for k, val in (attrs or {}).items():
            ds.setncattr(k, val)

    def write(self, it: int, ux, uy, uz) -> None:
        self.write_fields(it, {"ux": ux, "uy": uy, "uz": uz})

    def write_fields(self, it: int, fields: dict) -> None:
        """Write output time ``it`` of every variable in ``fields`` (name -> (ny, nx) array)."""
        for comp, arr in fields.items():
            self.vars[comp][it, :, :] = np.asarray(arr, float)

    def close(self) -> None:
        self.ds.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def _grid_mapping_attrs(crs: str) -> dict:
    """CF grid-mapping attributes of ``crs`` (pyproj), with ``crs_wkt`` and GDAL's ``spatial_ref``.

    pyproj names no CF grid mapping for EPSG's "Oblique Stereographic" (e.g. EPSG:28992, the
    Dutch RD New); CF's ``stereographic`` with these parameters is that projection."""
    import pyproj

    c = pyproj.CRS.from_user_input(crs)
    cf = dict(c.to_cf())
    if "grid_mapping_name" not in cf:
        op = c.coordinate_operation
        method = (op.method_name if op is not None else "").lower()
        par = {p.name.lower(): p.value for p in (op.params if op is not None else [])}
        if method == "oblique stereographic":
            cf.update(grid_mapping_name="stereographic",
                      latitude_of_projection_origin=par["latitude of natural origin"],
                      longitude_of_projection_origin=par["longitude of natural origin"],
                      scale_factor_at_projection_origin=par["scale factor at natural origin"],
                      false_easting=par["false easting"], false_northing=par["false northing"])
        elif c.is_geographic:
            cf["grid_mapping_name"] = "latitude_longitude"
        else:  # CF has no name for this projection: the WKT describes it (GDAL and QGIS read it)
            cf["grid_mapping_name"] = method.replace(" ", "_") or "unknown"
        if c.ellipsoid is not None:
            cf.setdefault("semi_major_axis", c.ellipsoid.semi_major_metre)
            cf.setdefault("inverse_flattening", c.ellipsoid.inverse_flattening)
        if c.prime_meridian is not None:
            cf.setdefault("longitude_of_prime_meridian", c.prime_meridian.longitude)
    cf["crs_wkt"] = c.to_wkt()
    cf["spatial_ref"] = cf["crs_wkt"]
    return cf


def open_surface(path, *, years: bool = True):
    """Open ``surface.nc`` with xarray (loaded into memory, file closed).

    With ``years`` (the default), ``time`` is the time in years since time 0 (float), as the
    readers of this toolkit expect, and the calendar time (if any) is the coordinate ``date``.
    Files written before ``time_years`` existed (time in years, optional ``date``) read the same.
    """
    import xarray as xr

    with xr.open_dataset(path) as ds:
        ds = ds.load()
    if not years or "time_years" not in ds.variables:
        return ds
    yrs = ds["time_years"].values
    if np.issubdtype(ds["time"].dtype, np.datetime64) or ds["time"].dtype == object:
        ds = ds.assign_coords(date=("time", ds["time"].values))
    ds = ds.drop_vars(["time", "time_years"]).assign_coords(time=("time", yrs))
    ds["time"].attrs.update(units="year", long_name="time since time 0 of the case, in Julian years")
    return ds


def write_surface_nc(path: str | Path, res: SurfaceResult, *, title: str = "", attrs: dict | None = None) -> None:
    with SurfaceNCWriter(path, res.x, res.y, res.times, crs=res.crs, start_date=res.start_date,
                         title=title, attrs=attrs) as w:
        for it in range(len(res.times)):
            w.write(it, res.grid_ux[it], res.grid_uy[it], res.grid_uz[it])


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
        k = np.unravel_index(np.argmax(np.abs(uz)), uz.shape)
        ny, nx = uz.shape
        if ny >= 3 and nx >= 3 and np.abs(uz).max() > 0 and (k[0] in (0, ny - 1) or k[1] in (0, nx - 1)):
            # the largest vertical motion on the grid's edge: the grid does not hold the bowl's centre,
            # and max_subsidence_m is the edge's value, not the bowl's
            w = (f"the largest vertical displacement on the output grid ({1e3 * float(np.abs(uz).max()):.3g} mm) lies on "
                 f"its edge at ({float(res.x[k[1]]):.6g}, {float(res.y[k[0]]):.6g}) m: the grid does not hold the bowl's "
                 "centre, and max_subsidence_m is not the bowl's maximum; enlarge or move [output] grid")
            log.warning(w)
            out["warnings"] = [w]
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


def write_surface_outputs(rundir, res: SurfaceResult, *, title: str = "", plots: bool = True,
                          point_extra: dict | None = None) -> dict:
    """Write points.csv and points.nc, surface.nc and the standard plots (rank 0 only); return the summary.

    ``point_extra``: more time series at the points for ``points.nc`` (see :func:`points_dataset`)."""
    summary = surface_summary(res)
    if rundir.rank == 0:
        if len(res.point_names):
            write_points_csv(rundir.file("points.csv"), res)
            write_points_nc(rundir.file("points.nc"), res, title=title, extra=point_extra)
        if res.has_grid:
            write_surface_nc(rundir.file("surface.nc"), res, title=title)
        if plots and res.has_grid:
            from subsidence.io.plots import plot_surface

            plot_surface(res, rundir.path, title=title)
    return summary
