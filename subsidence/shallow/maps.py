"""Maps of an area run: the per-point results on a regular grid, as NetCDF and GeoTIFF for GIS.

``[output] map_cell = 100`` (m): a grid of square cells aligned to multiples of the cell size
(cell edges at k·cell in the case's CRS) over the points; each cell holds the mean of the points
inside it (a case whose points are the centres of a voxel or raster grid of that cell size gets
its values unchanged), cells without points are missing. Written at the end of the run:

- ``maps.nc``: x, y (cell centres, CF projection coordinates, the CRS as ``crs`` attribute and
  a ``spatial_ref`` variable), one variable per field, and ``n_points`` per cell;
- ``maps/<field>.tif``: one single-band float32 GeoTIFF per field (north up, nodata -9999).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

NODATA = -9999.0


def grid_of_points(x, y, cell: float):
    """Cell centres (xc ascending, yc descending: north up) and the row, column of each point."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    i0, i1 = np.floor(x.min() / cell), np.floor(x.max() / cell)
    j0, j1 = np.floor(y.min() / cell), np.floor(y.max() / cell)
    xc = (np.arange(i0, i1 + 1) + 0.5) * cell
    yc = (np.arange(j1, j0 - 1, -1) + 0.5) * cell
    col = (np.floor(x / cell) - i0).astype(int)
    row = (j1 - np.floor(y / cell)).astype(int)
    return xc, yc, row, col


def point_maps(x, y, fields: dict, cell: float):
    """(xc, yc, {name: (ny, nx) mean of the points per cell, NaN without points}, count (ny, nx))."""
    xc, yc, row, col = grid_of_points(x, y, cell)
    shape = (yc.size, xc.size)
    flat = row * xc.size + col
    count = np.bincount(flat, minlength=xc.size * yc.size).reshape(shape)
    maps = {}
    for name, v in fields.items():
        s = np.bincount(flat, weights=np.asarray(v, float), minlength=xc.size * yc.size).reshape(shape)
        with np.errstate(invalid="ignore", divide="ignore"):
            maps[name] = np.where(count > 0, s / np.maximum(count, 1), np.nan)
    return xc, yc, maps, count


def write_maps(folder, x, y, fields: dict, *, cell: float, crs: str | None, attrs: dict | None = None,
               title: str = "") -> list[Path]:
    """``maps.nc`` and ``maps/<field>.tif`` in ``folder``; ``fields``: name -> (values per point,
    CF attributes). Returns the files written."""
    import xarray as xr

    from subsidence.shallow.raster import write_geotiff

    folder = Path(folder)
    xc, yc, maps, count = point_maps(x, y, {k: v for k, (v, _) in fields.items()}, cell)
    data = {k: (("y", "x"), maps[k], dict(fields[k][1])) for k in maps}
    data["n_points"] = (("y", "x"), count.astype("int32"), {"long_name": "number of points in the cell"})
    ds = xr.Dataset(data, coords={"x": ("x", xc, {"units": "m", "standard_name": "projection_x_coordinate"}),
                                  "y": ("y", yc, {"units": "m", "standard_name": "projection_y_coordinate"})},
                    attrs={"title": title, "Conventions": "CF-1.8", "cell_size_m": cell,
                           "comment": "mean of the points in each cell; missing where a cell has none", **(attrs or {})})
    if crs:
        import pyproj

        ds.attrs["crs"] = crs
        ds["spatial_ref"] = xr.DataArray(0, attrs=pyproj.CRS.from_user_input(crs).to_cf())
        for k in maps:
            ds[k].attrs["grid_mapping"] = "spatial_ref"
    out = [folder / "maps.nc"]
    ds.to_netcdf(out[0])
    (folder / "maps").mkdir(exist_ok=True)
    for k, m in maps.items():
        out.append(write_geotiff(folder / "maps" / f"{k}.tif", np.where(np.isfinite(m), m, NODATA), x0=xc[0], y0=yc[0],
                                 dx=cell, dy=-cell, crs=crs, nodata=NODATA, descriptions=[k]))
    return out
