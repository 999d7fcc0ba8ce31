"""surface.nc opens in GIS tools: CF time and grid mapping (xarray decode_cf, GDAL), GeoTIFF export."""

import datetime as _dt
import logging
import subprocess
import sys
import tomllib
import warnings
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.serial

ROOT = Path(__file__).resolve().parents[2]


def _case(start_date=True, crs=True, times=(0.0, 5.0, 10.0)):
    d = tomllib.loads((ROOT / "cases" / "disc_geertsma.toml").read_text())
    d["output"]["times"] = list(times)
    if crs:
        d["crs"] = "EPSG:28992"
    if start_date:
        d["start_date"] = "2015-01-01"
    return d


@pytest.fixture(scope="module")
def cf_run(tmp_path_factory):
    from subsidence.config import case_from_dict
    from subsidence.parallel import SerialComm
    from subsidence.run import run_case

    out = tmp_path_factory.mktemp("cf") / "run"
    run_case(case_from_dict(_case()), out, comm=SerialComm())
    return out


def test_surface_nc_cf_time_and_grid_mapping(cf_run):
    import xarray as xr

    nc = cf_run / "surface.nc"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # decoding must not warn
        with xr.open_dataset(nc, decode_times=False) as raw:
            ds = xr.decode_cf(raw).load()
    assert raw["time"].attrs["units"] == "days since 2015-01-01 00:00:00"
    assert raw["time"].attrs["calendar"] == "proleptic_gregorian"
    assert raw["time"].attrs["standard_name"] == "time" and raw["time"].attrs["axis"] == "T"
    assert np.issubdtype(ds["time"].dtype, np.datetime64)
    assert str(ds["time"].values[0])[:10] == "2015-01-01" and str(ds["time"].values[1])[:10] == "2020-01-01"
    np.testing.assert_allclose(ds["time_years"].values, [0.0, 5.0, 10.0])
    assert "time_years" in ds.coords
    assert ds["x"].attrs["standard_name"] == "projection_x_coordinate"
    assert ds["y"].attrs["standard_name"] == "projection_y_coordinate"
    sr = ds["spatial_ref"].attrs
    assert sr["grid_mapping_name"] == "stereographic"  # EPSG:28992, oblique stereographic
    assert sr["scale_factor_at_projection_origin"] == pytest.approx(0.9999079)
    assert "crs_wkt" in sr and ds["uz"].attrs["grid_mapping"] == "spatial_ref"
    import pyproj

    assert pyproj.CRS.from_cf(sr).equals(pyproj.CRS("EPSG:28992"), ignore_axis_order=True)
    assert ds.attrs["Conventions"] == "CF-1.8"


def test_deformation_nc_has_the_same_cf_time_and_grid_mapping(cf_run):
    import pyproj
    import xarray as xr

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with xr.open_dataset(cf_run / "deformation.nc") as ds:
            ds = ds.load()
        with xr.open_dataset(cf_run / "surface.nc") as surf:
            surf = surf.load()
    assert str(ds["time"].values[1])[:10] == "2020-01-01"
    np.testing.assert_allclose(ds["time_years"].values, [0.0, 5.0, 10.0])
    np.testing.assert_array_equal(ds.x.values, surf.x.values)
    np.testing.assert_array_equal(ds.y.values, surf.y.values)
    units = {"tilt": "1", "curvature": "m-1", "horizontal_strain": "1", "horizontal_compression": "1"}
    for name, u in units.items():
        assert ds[name].dims == ("time", "y", "x") and ds[name].attrs["units"] == u
        assert ds[name].attrs["grid_mapping"] == "spatial_ref"
        assert not np.any(ds[name].isel(time=0).values)  # nothing has compacted at time 0
    assert pyproj.CRS.from_cf(ds["spatial_ref"].attrs).equals(pyproj.CRS("EPSG:28992"), ignore_axis_order=True)
    assert ds.attrs["Conventions"] == "CF-1.8" and "kernel derivatives" in ds.attrs["method"]


def test_surface_nc_reads_in_gdal_without_warnings(cf_run, caplog):
    rasterio = pytest.importorskip("rasterio")
    from subsidence.io.surface import open_surface

    ref = open_surface(cf_run / "surface.nc")
    with caplog.at_level(logging.WARNING):
        with rasterio.open(f"netcdf:{cf_run / 'surface.nc'}:uz") as src:
            assert src.crs.to_epsg() == 28992
            assert src.count == 3
            a = src.read(3)
            r, c = np.unravel_index(np.argmin(a), a.shape)
            assert src.xy(r, c) == pytest.approx((0.0, 0.0))
            assert a.min() == pytest.approx(float(ref.uz.isel(time=2).min()))
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text


def test_open_surface_gives_years_and_readers_work(cf_run, tmp_path):
    from subsidence.compare import compare_runs
    from subsidence.insar.model import load_run
    from subsidence.io.surface import open_surface

    ds = open_surface(cf_run / "surface.nc")
    np.testing.assert_allclose(ds.time.values, [0.0, 5.0, 10.0])
    assert str(ds.date.values[2])[:10] == "2024-12-31"
    run = load_run(cf_run)
    np.testing.assert_allclose(run.times_grid, [0.0, 5.0, 10.0])
    assert run.start_date == _dt.date(2015, 1, 1) and run.crs == "EPSG:28992"
    rep = compare_runs(cf_run, cf_run, out=tmp_path, plot=False)
    assert [g["time_yr"] for g in rep["grid"]] == [0.0, 5.0, 10.0]
    assert rep["grid"][-1]["max_abs_duz_m"] == 0.0


def test_surface_nc_without_start_date_keeps_years(tmp_path):
    import xarray as xr

    from subsidence.config import case_from_dict
    from subsidence.parallel import SerialComm
    from subsidence.run import run_case

    run_case(case_from_dict(_case(start_date=False, crs=False, times=(10.0,))), tmp_path / "r", comm=SerialComm())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with xr.open_dataset(tmp_path / "r" / "surface.nc") as ds:
            assert ds.time.values.tolist() == [10.0] and ds.time_years.values.tolist() == [10.0]
            assert "spatial_ref" not in ds and "grid_mapping" not in ds.uz.attrs


def test_open_surface_reads_the_old_layout(tmp_path):
    """Files written before time_years existed: time in years and an optional date coordinate."""
    import xarray as xr

    from subsidence.io.surface import open_surface

    old = xr.Dataset({"uz": (("time", "y", "x"), np.zeros((2, 2, 2)))},
                     coords={"time": [1.0, 2.0], "y": [0.0, 1.0], "x": [0.0, 1.0]})
    old.to_netcdf(tmp_path / "surface.nc")
    assert open_surface(tmp_path / "surface.nc").time.values.tolist() == [1.0, 2.0]


def test_export_geotiff_cli(cf_run, tmp_path):
    rasterio = pytest.importorskip("rasterio")
    from subsidence.io.surface import open_surface

    r = subprocess.run([sys.executable, "-m", "subsidence.cli", "export", str(cf_run), "--geotiff", "-o",
                        str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    ref = open_surface(cf_run / "surface.nc")
    with rasterio.open(tmp_path / "uz.tif") as src:
        assert src.crs.to_epsg() == 28992 and src.count == 3
        assert src.transform.e < 0  # north up
        assert src.descriptions[1] == "uz at t = 5 yr (2020-01-01)"
        assert src.tags(2) == {"time_years": "5", "date": "2020-01-01"}
        a = src.read(2)
        # row 0 is the northern edge: compare with the grid flipped north-south
        np.testing.assert_allclose(a, ref.uz.isel(time=1).values[::-1])
        x, y = src.xy(0, 0)
        assert (x, y) == pytest.approx((float(ref.x[0]), float(ref.y[-1])))
    for c in ("ux", "uy"):
        assert (tmp_path / f"{c}.tif").is_file()
    r = subprocess.run([sys.executable, "-m", "subsidence.cli", "export", str(cf_run), "--geotiff", "-v", "uz",
                        "-t", "9", "-o", str(tmp_path / "one")], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    with rasterio.open(tmp_path / "one" / "uz_t10yr.tif") as src:
        assert src.count == 1 and src.tags(1)["time_years"] == "10"


def test_export_without_map_is_a_clear_error(tmp_path):
    r = subprocess.run([sys.executable, "-m", "subsidence.cli", "export", str(tmp_path), "--geotiff"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and "no surface.nc" in r.stdout + r.stderr and "Traceback" not in r.stderr
