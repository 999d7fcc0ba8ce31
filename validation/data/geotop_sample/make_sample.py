"""Make the synthetic voxel model of this folder (GeoTOP layout, coarse cells).

    python validation/data/geotop_sample/make_sample.py

A synthetic stand-in for TNO's GeoTOP (which cannot be downloaded here): the same NetCDF layout
(coordinates x, y in RD New at the cell centres, z in m NAP at the voxel centres every 0.5 m,
the lithoclass per voxel in ``lithok`` with GeoTOP's codes, missing above the surface), but 1 km
cells instead of 100 m, over the Nieuwolda InSAR parcels (223-272 km east, 561-610 km north).
The geology is invented (seeded): a surface between -1 and +1 m NAP, a clay cover, a band of
peat across the area with clay below it, fine sand, medium sand below about 8 m, and made ground
in a few cells. It is for trying the workflow, not for studies.

``ahn_sample.tif``: a surface-level raster in the AHN layout (GeoTIFF, float32, m NAP, RD New,
nodata -9999) but with 500 m cells instead of AHN's 0.5 m, over the same area: the top of the
voxel model's soil, interpolated, with a seeded 5 cm roughness (``main_surface``, run by ``main``).
"""

from pathlib import Path

import numpy as np
import xarray as xr

HERE = Path(__file__).resolve().parent


def main() -> None:
    rng = np.random.default_rng(2026)
    x = np.arange(223500.0, 272500.0, 1000.0)
    y = np.arange(561500.0, 610500.0, 1000.0)
    z = np.arange(-14.75, 1.25, 0.5)  # voxel centres, m NAP
    X, Y = np.meshgrid(x, y, indexing="ij")
    u, v = (X - x[0]) / (x[-1] - x[0]), (Y - y[0]) / (y[-1] - y[0])
    surface = 0.8 * np.sin(2.1 * np.pi * u) * np.cos(1.3 * np.pi * v) + 0.2 * rng.standard_normal(X.shape)
    surface = np.clip(np.round(surface * 2) / 2, -1.0, 1.0)  # on the voxel grid
    clay_top = np.clip(1.5 + 0.8 * np.cos(2 * np.pi * (u + v)) + 0.3 * rng.standard_normal(X.shape), 0.5, 2.5)
    band = np.exp(-((u - v - 0.1) / 0.18) ** 2)  # a band of peat from SW to NE
    peat = np.where(band > 0.3, np.round(2.0 * band * 2) / 2, 0.0)
    clay_below = np.where(peat > 0, 1.0, 0.0)
    made = rng.random(X.shape) < 0.05
    code = np.full(X.shape + z.shape, np.nan, dtype=np.float32)
    for i in range(x.size):
        for j in range(y.size):
            d = surface[i, j] - z  # depth of each voxel centre below the surface
            c = np.full(z.shape, np.nan)
            c[d > 0] = 6  # medium sand
            c[(d > 0) & (d < 8.0)] = 5  # fine sand
            top = np.round(clay_top[i, j] * 2) / 2
            c[(d > 0) & (d < top + peat[i, j] + clay_below[i, j])] = 2  # clay below the peat
            c[(d > top) & (d < top + peat[i, j])] = 1  # peat
            c[(d > 0) & (d < top)] = 2  # clay cover
            if made[i, j]:
                c[(d > 0) & (d < 0.5)] = 0
            code[i, j] = c
    ds = xr.Dataset({"lithok": (("x", "y", "z"), code, {"long_name": "lithoclass (GeoTOP codes)", "flag_values": "0 1 2 3 5 6 7 8 9",
                                                          "flag_meanings": "anthropogenic peat clay clayey_sand fine_sand medium_sand coarse_sand gravel shells"})},
                    coords={"x": ("x", x, {"units": "m", "standard_name": "projection_x_coordinate"}),
                            "y": ("y", y, {"units": "m", "standard_name": "projection_y_coordinate"}),
                            "z": ("z", z, {"units": "m", "long_name": "height above NAP of the voxel centre"})},
                    attrs={"title": "synthetic voxel model in the GeoTOP layout (1 km cells), not real data",
                           "crs": "EPSG:28992", "source": "validation/data/geotop_sample/make_sample.py"})
    enc = {"lithok": {"zlib": True, "complevel": 9, "_FillValue": -127, "dtype": "int8"}}
    ds.to_netcdf(HERE / "geotop_sample.nc", encoding=enc)
    main_surface()


def main_surface() -> None:
    """``ahn_sample.tif`` from ``geotop_sample.nc`` (see the module docstring)."""
    import rasterio
    from rasterio.transform import from_origin
    from scipy.interpolate import RegularGridInterpolator

    ds = xr.open_dataset(HERE / "geotop_sample.nc")
    code = ds["lithok"].values
    z = ds["z"].values
    has = np.isfinite(code)
    top = np.where(has.any(-1), z[np.argmax(np.where(has, z, -np.inf), axis=-1)] + 0.25, np.nan)  # top of the top voxel
    f = RegularGridInterpolator((ds["x"].values, ds["y"].values), top, bounds_error=False, fill_value=None)
    cell = 500.0
    xs = np.arange(223000.0 + cell / 2, 273000.0, cell)
    ys = np.arange(611000.0 - cell / 2, 561000.0, -cell)  # north up
    X, Y = np.meshgrid(xs, ys)
    rng = np.random.default_rng(12)
    level = f(np.column_stack([X.ravel(), Y.ravel()])).reshape(X.shape) + 0.05 * rng.standard_normal(X.shape)
    level = np.round(level, 2).astype("float32")
    with rasterio.open(HERE / "ahn_sample.tif", "w", driver="GTiff", height=level.shape[0], width=level.shape[1], count=1,
                       dtype="float32", crs="EPSG:28992", transform=from_origin(223000.0, 611000.0, cell, cell),
                       nodata=-9999.0, compress="deflate", predictor=3) as out:
        out.write(level, 1)
        out.update_tags(title="synthetic surface level (AHN layout, 500 m cells), not real data", units="m NAP")


if __name__ == "__main__":
    main()
