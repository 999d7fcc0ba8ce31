"""Ascending + descending → vertical and east–west."""

import numpy as np

from subsidence.insar.data import InsarDataset
from subsidence.insar.decompose import decompose
from subsidence.insar.geometry import los_from_heading, project


def _pair(north=0.0):
    rng = np.random.default_rng(2)
    # 25 cells of 100 m, a few points per cell per geometry, different points and epochs per pass
    cx, cy = np.meshgrid(np.arange(5) * 100.0 + 50.0, np.arange(5) * 100.0 + 50.0)
    cx, cy = cx.ravel(), cy.ravel()

    def field(x, y, t):  # metres; t in days
        up = -1e-5 * t[None] * (1 + x[:, None] / 500.0)
        east = 4e-6 * t[None] * (y[:, None] / 500.0)
        return east, np.full_like(up, north) * t[None] / 100.0, up

    out = []
    for heading, t0, inc in ((-12.0, 0, 39.0), (192.0, 6, 41.0)):
        k = 3
        x = np.repeat(cx, k) + rng.uniform(-40, 40, 25 * k)
        y = np.repeat(cy, k) + rng.uniform(-40, 40, 25 * k)
        dates = np.datetime64("2019-01-01") + (t0 + np.arange(0, 240, 12)).astype("timedelta64[D]")
        t = (dates - np.datetime64("2019-01-01")).astype(float)
        # the field is evaluated at the cell centre so that the cell average is exact
        e, n, u = field(np.floor(x / 100) * 100 + 50, np.floor(y / 100) * 100 + 50, t)
        los = los_from_heading(np.full(len(x), inc), heading)
        d = project(los, e, n, u)
        out.append(InsarDataset(ids=np.arange(len(x)), x=x, y=y, dates=dates, disp=d, los=los, name=f"h{heading}"))
    return out, field


def test_recovers_vertical_and_east_without_north_motion():
    (a, b), field = _pair()
    up, east = decompose(a, b, cell=100.0)
    assert up.n == 25 and up.component == "up" and east.component == "east"
    t = (up.dates - np.datetime64("2019-01-01")).astype(float)
    e, _, u = field(up.x, up.y, t)
    # both sides re-referenced to the first common epoch; linear in time, so interpolation is exact
    np.testing.assert_allclose(up.disp, u - u[:, :1], atol=2e-7)
    np.testing.assert_allclose(east.disp, e - e[:, :1], atol=2e-7)


def test_north_motion_leaks_as_stated():
    (a, b), field = _pair(north=1e-3)
    up, east = decompose(a, b, cell=100.0)
    t = (up.dates - np.datetime64("2019-01-01")).astype(float)
    e, n, u = field(up.x, up.y, t)
    err_u = up.disp - (u - u[:, :1])
    assert np.abs(err_u).max() > 1e-5  # north motion is not separable ...
    # ... and leaks exactly as −M⁻¹ [e_a,n; e_b,n] u_n
    ea, eb = los_from_heading(39.0, -12.0), los_from_heading(41.0, 192.0)
    M = np.array([[ea[0], ea[2]], [eb[0], eb[2]]])
    leak = np.linalg.solve(M, [ea[1], eb[1]])
    np.testing.assert_allclose(err_u, leak[1] * (n - n[:, :1]), atol=2e-7)


def test_decomposed_products_validate_against_the_model():
    """asc + desc LOS of a model bowl → decompose → compare with the same model as 'up'/'east'."""
    from conftest import CENTRE, bowl_result
    from subsidence.insar.model import run_from_result
    from subsidence.insar.validate import compare

    run = run_from_result(bowl_result(1.0))
    rng = np.random.default_rng(4)
    sets = []
    for hd, off in ((-12.0, 0), (192.0, 6)):
        m = 300
        x, y = CENTRE[0] + rng.uniform(-5e3, 5e3, m), CENTRE[1] + rng.uniform(-5e3, 5e3, m)
        dates = np.datetime64("2016-01-01") + (off + np.arange(0, 700, 12)).astype("timedelta64[D]")
        ds = InsarDataset(ids=np.arange(m), x=x, y=y, dates=dates, disp=np.zeros((m, len(dates))),
                          los=los_from_heading(np.full(m, 39.0), hd))
        v, _, _ = run.sample(ds.ids, x, y, ds.years_since(run.start_date))
        ds.disp = project(ds.los, v["ux"], v["uy"], v["uz"])
        sets.append(ds)
    up, east = decompose(*sets, cell=500.0)
    cu, ce = compare(up, run), compare(east, run)
    signal = np.abs(cu.mod).max()
    assert signal > 0.01  # ~1.5 cm of subsidence over the period
    # residual: north leakage (|e_n| ≈ 0.13 of a few mm) and cell averaging, < 5 % of the signal
    assert cu.overall["rmse_m"] < 0.05 * signal and ce.overall["rmse_m"] < 0.05 * signal
    assert cu.overall["corr"] > 0.99
