"""Python API (subsidence.run), case.toml of dict cases, and points.nc (CF timeSeries DSG)."""

import datetime as _dt
import tempfile
import tomllib
import warnings
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.serial

ROOT = Path(__file__).resolve().parents[2]


def _disc(**extra):
    d = tomllib.loads((ROOT / "cases" / "disc_geertsma.toml").read_text())
    d.update(extra)
    return d


def test_run_from_dict_returns_dataset_and_summary_without_a_run_directory(tmp_path, monkeypatch):
    import subsidence

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    ds, summary = subsidence.run(_disc(start_date="2015-01-01", crs="EPSG:28992"))
    assert summary["max_subsidence_m"] == pytest.approx(0.02519, rel=0.005)
    assert ds.uz.dims == ("time", "y", "x") and ds.point_uz.dims == ("station", "time")
    assert float(-ds.uz.isel(time=-1).min()) == pytest.approx(summary["max_subsidence_m"])
    assert list(ds.station_name.values) == ["centre", "r1000", "r2735"]
    assert str(ds.time.values[-1])[:10] == "2024-12-31" and ds.time_years.values.tolist() == [10.0]
    assert float(ds.point_uz.sel(station=0).isel(time=-1)) == pytest.approx(-summary["max_subsidence_m"], rel=1e-3)
    assert ds.attrs["case_name"] == "disc-geertsma" and "run_directory" not in ds.attrs
    assert list(tmp_path.iterdir()) == []  # the temporary run directory is gone


def test_run_with_out_keeps_a_run_directory_with_a_real_case_toml(tmp_path):
    import subsidence
    from subsidence.config import load_case

    d = _disc(start_date=_dt.date(2015, 1, 1))
    d["output"]["times"] = np.array([5.0, 10.0])  # numpy values are written as TOML numbers
    d["crs"] = None  # a None is left out (TOML has no null)
    ds, summary = subsidence.run(d, out=tmp_path / "run")
    assert ds.attrs["run_directory"] == str((tmp_path / "run").resolve())
    text = (tmp_path / "run" / "case.toml").read_text()
    data = tomllib.loads(text)
    assert data["output"]["times"] == [5.0, 10.0] and data["start_date"] == _dt.date(2015, 1, 1)
    assert "crs" not in data
    again = load_case(tmp_path / "run" / "case.toml")
    assert again.name == "disc-geertsma" and again.start_date == _dt.date(2015, 1, 1)
    # the copy runs to the same result
    _, s2 = subsidence.run(tmp_path / "run" / "case.toml")
    assert s2["max_subsidence_m"] == pytest.approx(summary["max_subsidence_m"], rel=1e-12)


def test_subsidence_run_is_callable_after_importing_the_module(tmp_path):
    import subsidence
    import subsidence.run as run_module
    from subsidence.run import run_case  # noqa: F401

    assert subsidence.run is run_module
    ds, s = subsidence.run(str(ROOT / "cases" / "disc_geertsma.toml"))
    assert s["name"] == "disc-geertsma" and "uz" in ds


def test_dict_to_toml_rejects_what_toml_cannot_hold():
    from subsidence.config import CaseError
    from subsidence.config.case import dict_to_toml

    with pytest.raises(CaseError, match=r"\[output.times\].*None"):
        dict_to_toml({"name": "x", "output": {"times": [1.0, None]}})
    with pytest.raises(CaseError, match=r"\[model.kernel\].*object"):
        dict_to_toml({"name": "x", "model": {"kernel": object()}})
    t = dict_to_toml({"name": "x", "a": np.float64(2.5), "b": np.arange(3), "c": (1, 2), "p": Path("f.csv"),
                      "crs": None})  # a None is left out (TOML has no null)
    assert tomllib.loads(t) == {"name": "x", "a": 2.5, "b": [0, 1, 2], "c": [1, 2], "p": "f.csv"}


def _check_dsg(path, n_station, start="2015-01-01"):
    import xarray as xr

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with xr.open_dataset(path, decode_times=False) as raw:
            raw = raw.load()
        ds = xr.decode_cf(raw)
    assert ds.attrs["featureType"] == "timeSeries" and ds.attrs["Conventions"] == "CF-1.8"
    assert ds.station_name.attrs["cf_role"] == "timeseries_id" and ds.station_name.size == n_station
    assert raw.time.attrs["units"].startswith(f"days since {start}") and raw.time.attrs["calendar"] == "proleptic_gregorian"
    assert "_FillValue" not in raw.time.encoding and "_FillValue" not in raw.x.encoding
    assert np.issubdtype(ds.time.dtype, np.datetime64) and str(ds.time.values[0])[:10] >= start
    assert ds.uz.dims == ("station", "time") and ds.uz.attrs["units"] == "m"
    return ds


def test_points_nc_deep_run(tmp_path):
    import pandas as pd

    import subsidence

    subsidence.run(_disc(start_date="2015-01-01", crs="EPSG:28992"), out=tmp_path / "r")
    ds = _check_dsg(tmp_path / "r" / "points.nc", 3)
    assert ds.lat.attrs["standard_name"] == "latitude" and 47 < float(ds.lat[0]) < 48
    csv = pd.read_csv(tmp_path / "r" / "points.csv")
    assert list(csv.columns) == ["name", "x", "y", "time", "ux", "uy", "uz"]
    np.testing.assert_allclose(ds.uz.values[:, -1], csv.uz.to_numpy(), rtol=1e-8)


def test_points_nc_shallow_run_has_the_chain_series(tmp_path):
    import pandas as pd

    import subsidence
    from subsidence.config import case_from_dict

    d = tomllib.loads((ROOT / "cases" / "shallow_peat_meadow.toml").read_text())
    d["time"] = {"years": 2, "spinup_years": 0}
    d["groundwater"]["lumped_resistances"] = "ernst"  # no FE cross-section: fast
    d["water_management"]["series"] = {"time": [1.0], "change": [-0.2]}
    d.get("output", {}).pop("plots", None)
    case = case_from_dict(d, file=ROOT / "cases" / "shallow_peat_meadow.toml")
    ds, _ = subsidence.run(case, out=tmp_path / "s")
    p = _check_dsg(tmp_path / "s" / "points.nc", 1)
    for v in ("deep_uz", "groundwater", "ditch_level", "shallow_settlement", "oxidation", "extra_shallow", "total_uz"):
        assert v in p and p[v].dims == ("station", "time"), v
    np.testing.assert_allclose(p.total_uz.values, p.uz.values)
    csv = pd.read_csv(tmp_path / "s" / "points.csv")
    assert list(csv.columns) == ["name", "x", "y", "time", "ux", "uy", "uz"]  # unchanged
    np.testing.assert_allclose(p.time_years.values, np.unique(csv.time.to_numpy()), atol=1e-5)
    assert "point_groundwater" in ds
