"""Output maps of an area run ([output] map_cell): maps.nc and GeoTIFFs for GIS."""

import csv

import numpy as np
import pytest

from subsidence.config import CaseError, case_from_dict
from subsidence.shallow.maps import point_maps
from subsidence.shallow.raster import sample_raster

from .test_profiles import _coupled


def test_point_maps_mean_per_cell():
    x = np.array([50.0, 150.0, 160.0, 250.0, 50.0])
    y = np.array([50.0, 50.0, 70.0, 250.0, 250.0])
    xc, yc, maps, count = point_maps(x, y, {"v": [1.0, 2.0, 4.0, 8.0, 16.0]}, 100.0)
    assert xc.tolist() == [50.0, 150.0, 250.0] and yc.tolist() == [250.0, 150.0, 50.0]  # north up
    v = maps["v"]
    assert v[2, 0] == 1.0 and v[2, 1] == 3.0 and v[0, 2] == 8.0 and v[0, 0] == 16.0
    assert np.isnan(v[1, 1]) and count.sum() == 5 and count[2, 1] == 2


def test_run_writes_maps_that_gis_reads_back(tmp_path):
    """A coupled run on four parcels with map_cell = 100 m: maps.nc and maps/*.tif; the GeoTIFF
    sampled at each parcel gives the parcel's end-of-run value (float32), the NetCDF the same."""
    import xarray as xr

    from subsidence.run import run_case

    d = _coupled(tmp_path)
    d["crs"] = "EPSG:28992"
    d["points"]["x"] = [50.0, 150.0, 4950.0, 350.0]
    d["points"]["y"] = [50.0, 50.0, 250.0, 50.0]
    d["output"]["map_cell"] = 100.0
    out = tmp_path / "run"
    summary = run_case(case_from_dict(d, file=tmp_path / "c.toml"), out)
    assert summary["maps"]["cell_m"] == 100.0
    rows = list(csv.DictReader(open(out / "chain_points.csv")))
    last = {r["name"]: r for r in rows if r["date"] == "2018-01-01"}
    names = ["a", "b", "c", "d"]
    for field, col in (("shallow_settlement", "shallow_settlement_m"), ("extra_shallow", "extra_shallow_m"),
                       ("total_uz", "total_uz_m")):
        want = np.array([float(last[n][col]) for n in names])
        got = sample_raster(out / "maps" / f"{field}.tif", d["points"]["x"], d["points"]["y"])
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-9, err_msg=field)
        ds = xr.open_dataset(out / "maps.nc")
        nc = ds[field].sel(x=xr.DataArray(d["points"]["x"]), y=xr.DataArray(d["points"]["y"])).values
        np.testing.assert_allclose(nc, want, rtol=1e-6, atol=1e-9)
        assert ds[field].attrs["grid_mapping"] == "spatial_ref" and int(ds["n_points"].sum()) == 4
        ds.close()
    import rasterio

    with rasterio.open(out / "maps" / "shallow_rate.tif") as r:
        assert r.crs.to_epsg() == 28992 and r.res == (100.0, 100.0) and r.nodata == -9999.0
        assert r.bounds.left == 0.0 and r.bounds.top == 300.0
    assert (out / "summary.json").exists()
    d["output"]["map_cell"] = -1.0
    with pytest.raises(CaseError) as err:
        case_from_dict(d, file=tmp_path / "c.toml")
    assert "output.map_cell" in str(err.value)
