"""Sampling a run directory in space and time, matching points, and referencing."""

import datetime as dt

import numpy as np
import pytest

from conftest import CENTRE, bowl_result, write_run
from subsidence.config.errors import CaseError
from subsidence.insar.data import InsarDataset
from subsidence.insar.geometry import los_from_heading
from subsidence.insar.model import load_run, run_from_result
from subsidence.insar.validate import Options, compare
from subsidence.io.surface import SurfaceResult
from subsidence.units import SECONDS_PER_YEAR


def linear_run(tmp_path):
    """uz = a + b x + c y + d t is reproduced exactly by bilinear/linear interpolation."""
    t = np.array([0.0, 1.0, 3.0]) * SECONDS_PER_YEAR
    x = np.linspace(200e3, 210e3, 11)
    y = np.linspace(500e3, 506e3, 7)
    X, Y = np.meshgrid(x, y)
    ty = t[:, None, None] / SECONDS_PER_YEAR
    uz = 1e-3 * (1 + 2e-3 * (X - 200e3) - 1e-3 * (Y - 500e3))[None] * ty
    ux = 0.5 * uz
    uy = -0.25 * uz
    res = SurfaceResult(times=t, x=x, y=y, grid_ux=ux, grid_uy=uy, grid_uz=uz, crs="EPSG:28992", start_date=dt.date(2016, 1, 1))
    return write_run(tmp_path / "lin", res), res


def test_grid_sampling_is_exact_for_bilinear_fields(tmp_path):
    path, _ = linear_run(tmp_path)
    run = load_run(path)
    assert run.start_date == dt.date(2016, 1, 1) and run.crs == "EPSG:28992"
    px, py = np.array([203333.3, 209999.0, 200000.0]), np.array([501234.5, 505999.0, 500000.0])
    tt = np.array([0.5, 2.2, 3.0])
    vals, src, ok = run.sample(["a", "b", "c"], px, py, tt)
    assert ok.all() and list(src) == ["grid"] * 3
    expect = 1e-3 * (1 + 2e-3 * (px - 200e3) - 1e-3 * (py - 500e3))[:, None] * tt[None]
    np.testing.assert_allclose(vals["uz"], expect, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(vals["ux"], 0.5 * expect, rtol=1e-12, atol=1e-15)
    # outside in space or time: not covered / NaN, never extrapolated
    v2, _, ok2 = run.sample(["z"], [199000.0], [501000.0], tt)
    assert not ok2[0]
    v3, _, _ = run.sample(["a"], px[:1], py[:1], np.array([-0.1, 3.5]))
    assert np.isnan(v3["uz"]).all()


def test_points_csv_matched_by_name_then_by_distance(tmp_path):
    names = ["15825", "P2"]
    px, py = [CENTRE[0] + 1000.0, CENTRE[0] - 2000.0], [CENTRE[1], CENTRE[1] + 500.0]
    res = bowl_result(1.0, with_points=(names, px, py))
    res.grid_ux = res.grid_uy = res.grid_uz = None  # points only, like the coupled Nieuwolda run
    path = write_run(tmp_path / "pts", res)
    run = load_run(path)
    assert run.grid is None and list(run.point_names) == names
    ids = ["15825", "other", "far"]
    x = np.array([px[0] + 30.0, px[1] + 0.5, px[1] + 50.0])  # by name (30 m off), by distance (0.5 m), unmatched
    y = np.array([py[0], py[1], py[1]])
    vals, src, ok = run.sample(ids, x, y, np.array([1.0, 2.0]), match_distance=1.0)
    assert list(src) == ["point", "point", ""]
    np.testing.assert_allclose(vals["uz"][0], res.point_uz[[2, 4], 0])  # times 1 and 2 yr are output times
    np.testing.assert_allclose(vals["uz"][1], res.point_uz[[2, 4], 1])


def test_reference_epoch_and_area_applied_to_data_and_model_alike():
    """Data = model + per-epoch common offset + per-point constant: referencing to an area and an
    epoch removes both, so the true model fits exactly."""
    rng = np.random.default_rng(0)
    m = 40
    px = CENTRE[0] + rng.uniform(-8e3, 8e3, m)
    py = CENTRE[1] + rng.uniform(-8e3, 8e3, m)
    dates = np.datetime64("2016-03-01") + np.arange(0, 730, 30).astype("timedelta64[D]")
    los = los_from_heading(np.full(m, 40.0), 192.0)
    run = run_from_result(bowl_result(1.0))
    ds = InsarDataset(ids=[f"q{i}" for i in range(m)], x=px, y=py, dates=dates, disp=np.zeros((m, len(dates))), los=los)
    vals, _, _ = run.sample(ds.ids, px, py, ds.years_since(run.start_date))
    true = los[:, 0:1] * vals["ux"] + los[:, 1:2] * vals["uy"] + los[:, 2:3] * vals["uz"]
    ds.disp = true + rng.normal(0, 0.01, (1, len(dates))) + rng.normal(0, 0.01, (m, 1))
    c = compare(ds, run, Options(reference_epoch=str(dates[3]), reference_point=(CENTRE[0] + 5e3, CENTRE[1]), reference_radius=4e3))
    assert len(c.ref_points) > 1 and c.ref_epoch == 3
    assert c.overall["rmse_m"] < 1e-6  # float32 storage of the data
    np.testing.assert_allclose(c.obs[:, 3], 0.0, atol=1e-9)
    np.testing.assert_allclose(np.mean(c.obs[c.ref_points], axis=0), 0.0, atol=1e-9)
    # a single reference point (radius 0) is excluded from the metrics (zero by construction)
    c1 = compare(ds, run, Options(reference_point=(px[5], py[5])))
    assert list(c1.ref_points) == [5] and c1.exclude[5].all() and c1.overall["points"] == m - 1
    # without area referencing the per-epoch offset remains
    c0 = compare(ds, run, Options())
    assert c0.overall["rmse_m"] > 1e-3


def test_epochs_outside_the_model_span_and_points_outside_domain_are_counted():
    run = run_from_result(bowl_result(1.0, years=2.0, nt=5))  # 2015-01-01 … 2017-01-01
    dates = np.datetime64("2016-01-01") + np.arange(0, 730, 73).astype("timedelta64[D]")
    x = np.array([CENTRE[0], CENTRE[0] + 50e3, CENTRE[0] + 100.0])
    ds = InsarDataset(ids=["a", "b", "c"], x=x, y=np.full(3, CENTRE[1]), dates=dates, disp=np.zeros((3, 10)),
                      component="up")
    c = compare(ds, run)
    assert c.ds.skipped["epoch outside the model time span (epochs)"] == 4  # 2016-12-31 is inside
    assert c.ds.skipped["outside the model domain (no model value there)"] == 1
    assert c.ds.n == 2 and c.ds.nt == 6
    with pytest.raises(CaseError, match="start_date"):
        r = run_from_result(bowl_result(1.0))
        r.start_date = None
        compare(ds, r)


def test_mintpy_product_reference_point_is_applied_to_the_model():
    """MintPy data are zero at their reference pixel; the model is referenced there too."""
    from pathlib import Path

    from subsidence.insar.readers import read_insar

    data = Path(__file__).parent / "data"
    ds = read_insar(data / "mintpy_timeseries.h5", geometry=data / "mintpy_geometryGeo.h5")
    run = run_from_result(bowl_result(1.0))
    c = compare(ds, run)
    k = list(c.ds.ids).index("r0c0")
    assert list(c.ref_points) == [k]
    np.testing.assert_allclose(c.mod[k], 0.0, atol=1e-12)
    c0 = compare(ds, run, Options(product_reference=False))
    assert c0.ref_points is None and np.abs(c0.mod[k]).max() > 1e-4
