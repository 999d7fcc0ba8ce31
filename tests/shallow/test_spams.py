"""SPAMS (subsidence.shallow.spams): the empirical weather-driven comparator, against a day-by-day
evaluation of its definition and a hand-worked case."""

import numpy as np
import pytest

from subsidence.shallow.forcing import DailySeries, ForcingError
from subsidence.shallow.spams import spams_columns, spams_series

MM = 1e-3 / 86400.0  # m/s per mm/day


def _series(mm_per_day, start="2015-01-01", name="x"):
    v = np.asarray(mm_per_day, float)
    return DailySeries(dates=np.datetime64(start, "D") + np.arange(v.size).astype("timedelta64[D]"), values=v * MM, name=name)


def _by_definition(p, e, day0, dates, tau, xp, xe, xi):
    """Day by day: rev(t) = Σ over days t−τ … t−1 of (xp P − xe E) (mm → m); N(t) = number of days d
    in [dates[0], t) with rev(d) ≤ 0."""
    def rev(k):  # k: day index into p, e
        return sum(xp * p[j] - xe * e[j] for j in range(k - tau, k)) * 1e-3

    k0 = int((dates[0] - day0).astype(int))
    out = []
    for d in dates:
        k = int((d - day0).astype(int))
        n = sum(1 for j in range(k0, k) if rev(j) <= 0)
        out.append(rev(k) + xi * n)
    return np.array(out)


def test_spams_follows_its_definition_day_by_day():
    rng = np.random.default_rng(3)
    nd = 420
    p = rng.gamma(0.6, 4.0, nd) * (rng.random(nd) < 0.5)  # showers on half of the days
    e = 1.5 + 1.2 * np.sin(2 * np.pi * (np.arange(nd) - 100) / 365.25) + 0.3 * rng.random(nd)
    P, E = _series(p), _series(e)
    dates = np.datetime64("2015-03-15", "D") + np.array([0, 5, 6, 40, 41, 200, 333]).astype("timedelta64[D]")
    for tau, xp, xe, xi in ((30, 2e-3, 2.5e-3, -1e-5), (60, 1e-3, 0.8e-3, -3e-6), (1, 1e-3, 1e-3, 2e-6)):
        got = spams_series(P, E, dates, tau_days=tau, x_p=xp, x_e=xe, x_i=xi)
        ref = _by_definition(p, e, P.dates[0], dates, tau, xp, xe, xi)
        assert np.allclose(got, ref, rtol=1e-12, atol=1e-15), (tau, got, ref)


def test_spams_hand_worked():
    """2 mm/day rain and 1 mm/day evaporation throughout, τ = 10 d: rev = 10 (2 x_p − 1 x_e) mm.
    Wet (x_e = x_p): rev = +10 x_p mm and no dry day. Dry (x_e = 3 x_p): rev = −10 x_p mm, and every
    day since the first date counts: N(t) = t − t0 days."""
    P, E = _series(np.full(100, 2.0)), _series(np.full(100, 1.0))
    dates = np.datetime64("2015-02-01", "D") + np.array([0, 7, 30]).astype("timedelta64[D]")
    wet = spams_series(P, E, dates, tau_days=10, x_p=0.5, x_e=0.5, x_i=-1e-4)
    assert np.allclose(wet, 10 * 0.5 * 1e-3)
    dry = spams_series(P, E, dates, tau_days=10, x_p=0.5, x_e=1.5, x_i=-1e-4)
    assert np.allclose(dry, -10 * 0.5 * 1e-3 - 1e-4 * np.array([0, 7, 30]))
    S, N = spams_columns(P, E, dates, 10, 3.0)
    assert np.allclose(S, -10e-3) and np.array_equal(N, [0, 7, 30])


def test_weather_that_does_not_cover_the_window_is_named():
    P, E = _series(np.ones(100), name="rain.csv"), _series(np.ones(100), start="2015-02-01", name="evap.csv")
    dates = np.array(["2015-03-01", "2015-03-20"], dtype="datetime64[D]")
    with pytest.raises(ForcingError, match=r"evaporation evap.csv: the record covers 2015-02-01 … .*needs 2015-01-30"):
        spams_columns(P, E, dates, 30, 1.0)
    with pytest.raises(ForcingError, match="precipitation rain.csv"):
        spams_columns(P, E, np.array(["2015-03-01", "2015-06-01"], dtype="datetime64[D]"), 10, 1.0)
    with pytest.raises(ValueError, match="x_p"):
        spams_series(P, P, dates, tau_days=5, x_p=0.0, x_e=1.0, x_i=0.0)
