"""Sampling a GeoTIFF at points: AHN-style surface levels (m NAP) and raster soil maps (profile codes).

Read with rasterio (a maintained GDAL binding). The value of the cell that contains each point
(no interpolation: an AHN cell is 0.5 m, a parcel point lies inside one); points are transformed
to the raster's CRS when it states another than ``crs``. Points outside the raster or on a
nodata cell are an error naming them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


class RasterError(ValueError):
    pass


def sample_raster(path, x, y, *, names=None, crs: str | None = "EPSG:28992", band: int = 1, key: str = "raster") -> np.ndarray:
    """Band ``band`` of the GeoTIFF ``path`` at the points (x, y) in ``crs``; float array."""
    import rasterio
    from rasterio.errors import RasterioIOError

    path = Path(path)
    x = np.atleast_1d(np.asarray(x, float))
    y = np.atleast_1d(np.asarray(y, float))
    names = [f"p{i}" for i in range(x.size)] if names is None else [str(n) for n in names]
    try:
        ds = rasterio.open(path)
    except (RasterioIOError, OSError) as exc:
        raise RasterError(f"{path}: cannot be read as a raster: {exc}") from None
    with ds:
        if not 1 <= band <= ds.count:
            raise RasterError(f"{path}: no band {band} (has {ds.count})")
        if ds.crs is not None and crs:
            from subsidence.insar.readers.common import transformer

            tr = transformer(ds.crs.to_string(), crs, path=path, key=key)  # None when the CRSs are the same
            if tr is not None:
                x, y = tr.transform(x, y, direction="INVERSE")
        rows, cols = rasterio.transform.rowcol(ds.transform, x, y, op=np.floor)
        rows, cols = np.asarray(rows, int), np.asarray(cols, int)
        inside = (rows >= 0) & (rows < ds.height) & (cols >= 0) & (cols < ds.width)
        _refuse(path, names, ~inside, "outside the raster")
        data = ds.read(band, masked=True)
        vals = data[rows, cols]
        bad = np.ma.getmaskarray(vals) | ~np.isfinite(np.ma.filled(vals.astype(float), np.nan))
        _refuse(path, names, bad, "on a nodata cell")
        return np.ma.filled(vals.astype(float), np.nan)  # an integer raster cannot hold NaN: float first


def _refuse(path, names, bad, what):
    if np.any(bad):
        missing = [names[i] for i in np.flatnonzero(bad)]
        shown = ", ".join(missing[:10]) + (f" and {len(missing) - 10} more" if len(missing) > 10 else "")
        raise RasterError(f"{path}: {len(missing)} point(s) {what}: {shown}")


def profiles_from_raster(path, names, x, y, *, crs: str | None = "EPSG:28992", band: int = 1) -> list[str]:
    """Profile names from a raster soil map of integer profile codes (the code as the name, e.g.
    BOFEK's unit numbers: the case's ``[[soil.profiles]]`` are then named "1001", ...)."""
    vals = sample_raster(path, x, y, names=names, crs=crs, band=band, key="--soil-map")
    if np.any(vals != np.round(vals)):
        raise RasterError(f"{path}: a soil map raster holds integer profile codes, got {vals[vals != np.round(vals)][0]:g}")
    return [str(int(v)) for v in vals]


def write_geotiff(path, data, *, x0: float, y0: float, dx: float, dy: float, crs: str | None, nodata=None,
                  descriptions=None) -> Path:
    """Write ``data`` (nbands, ny, nx) or (ny, nx) as a GeoTIFF; (x0, y0) the centre of cell
    [0, 0] with rows going in y by ``dy`` (negative for north-up) and columns in x by ``dx``."""
    import rasterio
    from rasterio.transform import Affine

    path = Path(path)
    a = np.asarray(data, dtype=float)
    if a.ndim == 2:
        a = a[None]
    transform = Affine(dx, 0.0, x0 - dx / 2, 0.0, dy, y0 - dy / 2)
    profile = dict(driver="GTiff", height=a.shape[1], width=a.shape[2], count=a.shape[0], dtype="float32",
                   transform=transform, compress="deflate")
    if crs:
        profile["crs"] = crs
    if nodata is not None:
        profile["nodata"] = nodata
    with rasterio.open(path, "w", **profile) as ds:
        ds.write(a.astype("float32"))
        for k, d in enumerate(descriptions or []):
            ds.set_band_description(k + 1, d)
    return path
