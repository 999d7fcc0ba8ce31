"""The weather-driven empirical baseline of ``calibrate`` (trend + SPAMS per point, fitted on the
calibration epochs): it recovers a SPAMS world it is given, it extrapolates with the observed
weather, and it is left out, with a note, where the case has no weather or not enough of it."""

import types
from pathlib import Path

import numpy as np
import pytest

from subsidence.calibration.output import _weather_baseline
from subsidence.calibration.scores import SPAMS_RATIOS, SPAMS_TAUS, WEATHER, baselines, weather_baseline
from subsidence.shallow.forcing import read_evaporation, read_precipitation
from subsidence.shallow.spams import spams_series

DATA = Path(__file__).resolve().parents[2] / "validation" / "data" / "nieuwolda"


@pytest.fixture(scope="module")
def weather():
    return (read_precipitation(DATA / "neerslaggeg_NIEUWOLDA_172.csv"),
            read_evaporation(DATA / "NBeerta_evapotransp20152020.csv"))


def _world(weather, m=30, seed=5, noise=0.5e-3):
    """Per point: offset + trend + SPAMS (τ 60 d, x_e/x_p 1.25, the point's own x_p and x_i) + white
    noise, on 12-day epochs 2015-05-03 … 2018-12-31 with the real Nieuwolda weather."""
    P, E = weather
    rng = np.random.default_rng(seed)
    dates = np.datetime64("2015-05-03", "D") + np.arange(0, 1339, 12).astype("timedelta64[D]")
    t = (dates - dates[0]).astype(float) / 365.25
    xp = rng.uniform(0.02, 0.08, m)
    xi = -rng.uniform(0.5e-5, 2e-5, m)
    D = np.stack([rng.uniform(-3e-3, 3e-3) + rng.normal(-2e-3, 1e-3) * t
                  + spams_series(P, E, dates, tau_days=60, x_p=xp[i], x_e=1.25 * xp[i], x_i=xi[i]) for i in range(m)])
    return dates, t, D + noise * rng.standard_normal(D.shape)


def test_a_spams_world_is_recovered_and_forecast(weather):
    P, E = weather
    dates, t, D = _world(weather)
    cal = dates <= np.datetime64("2017-12-31")
    pred, info = weather_baseline(D, dates, cal, P, E)
    assert (info["tau_days"], info["evaporation_factor_ratio"]) == (60, 1.25)
    assert not info["at_grid_edge"] and len(info["grid"]) == len(SPAMS_TAUS) * len(SPAMS_RATIOS)
    assert info["share_points_xp_positive"] == 1.0 and info["share_points_xi_negative"] == 1.0
    out = ~cal
    rmse = lambda p: float(np.sqrt(np.mean((D[:, out] - p[:, out]) ** 2)))  # noqa: E731
    assert rmse(pred) < 0.65e-3, rmse(pred)  # the noise (0.5 mm) and the estimation error of 4 coefficients
    base = baselines(D, t, cal)
    assert rmse(pred) < 0.6 * min(rmse(base["linear trend"]), rmse(base["trend + annual"]))


def test_gaps_in_the_calibration_epochs_are_left_out_per_point(weather):
    P, E = weather
    dates, t, D = _world(weather, m=6)
    cal = dates <= np.datetime64("2017-12-31")
    full, _ = weather_baseline(D, dates, cal, P, E)
    G = D.copy()
    G[0, 3:9] = np.nan
    G[1, np.flatnonzero(cal)[4:]] = np.nan  # 4 calibration values: exactly the number of coefficients
    G[2, np.flatnonzero(cal)[3:]] = np.nan  # 3: too few
    gap, _ = weather_baseline(G, dates, cal, P, E)
    assert np.allclose(gap[3:], full[3:]) and np.isfinite(gap[:2]).all() and np.isnan(gap[2]).all()
    assert np.sqrt(np.mean((gap[0] - full[0]) ** 2)) < 0.5e-3


def test_left_out_without_weather_or_with_too_little(weather):
    P, E = weather
    dates, _, D = _world(weather, m=3)
    obs = types.SimpleNamespace(D=D, dates=dates, cal=dates <= np.datetime64("2017-12-31"))

    def cal_with(forcing):
        return types.SimpleNamespace(obs=obs, case=types.SimpleNamespace(config=types.SimpleNamespace(forcing=forcing)))

    assert _weather_baseline(types.SimpleNamespace(obs=obs, case=types.SimpleNamespace(config=object()))) == (None, [])
    got, notes = _weather_baseline(cal_with(types.SimpleNamespace(precipitation=P, evaporation=E)))
    assert got[0].shape == D.shape and got[1]["tau_days"] == 60 and notes == []
    short = type(E)(dates=E.dates[E.dates <= np.datetime64("2018-06-30")], values=E.values[E.dates <= np.datetime64("2018-06-30")],
                    name=E.name)
    got, notes = _weather_baseline(cal_with(types.SimpleNamespace(precipitation=P, evaporation=short)))
    assert got is None and len(notes) == 1
    assert notes[0].startswith(f"no {WEATHER} baseline: evaporation") and "2018-06-30" in notes[0]
    # calibration epochs spanning less than a year (as for trend + annual): its weather terms would be
    # fitted to part of a seasonal cycle (a user found 158 mm RMSE with 0.3 yr)
    obs.cal = dates <= np.datetime64("2015-08-20")
    got, notes = _weather_baseline(cal_with(types.SimpleNamespace(precipitation=P, evaporation=E)))
    assert got is None and notes == [f"no {WEATHER} baseline: the calibration epochs span 0.30 yr (< 1 yr), and a "
                                     "weather response fitted to part of a seasonal cycle is no forecast"]


def test_the_nieuwolda_script_prints_the_documented_comparison(capsys):
    """validation/insar_nieuwolda/weather_baseline.py on the shipped parcels (2018 held out): the
    table of docs/calibration.md (its trend + annual figure is that of every calibrate run, 3.74 mm)."""
    import importlib.util

    f = DATA.parents[1] / "insar_nieuwolda" / "weather_baseline.py"
    spec = importlib.util.spec_from_file_location("weather_baseline_script", f)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.main([]) == 0
    out = capsys.readouterr().out
    assert "286 parcels, 105 calibration and 53 held-out epochs" in out
    assert all(f"| {k} |" in out for k in ("linear trend", "trend + annual", "persistence", WEATHER))
    r = mod.compare(np.datetime64("2017-12-31").astype(object))
    assert abs(r["rmse_mm"]["trend + annual"]["out_of_sample"] - 3.74) < 0.01
    assert set(r["spams_minus"]) == {"linear trend", "trend + annual", "persistence"}
    assert 0.0 < r["spams"]["share_points_xp_positive"] < 1.0


def test_forecast_insar_scores_the_weather_baseline_too(weather):
    """``forecast --insar``'s scoring (check.score_forecast) gets the same baseline, extrapolated with
    the weather of the later epochs, and says when the weather does not reach them."""
    from subsidence.calibration.check import score_forecast

    P, E = weather
    dates, _, D = _world(weather, m=8)
    obs = types.SimpleNamespace(D=D, dates=dates, cal=dates <= np.datetime64("2017-12-31"))
    series = D[None] + 1e-4 * np.random.default_rng(0).standard_normal((5,) + D.shape)

    def cal_with(forcing):
        return types.SimpleNamespace(obs=obs, pp_terms=[], terms=None, comm=None,
                                     case=types.SimpleNamespace(config=types.SimpleNamespace(forcing=forcing)))

    r = score_forecast(cal_with(types.SimpleNamespace(precipitation=P, evaporation=E)), series, 0.5e-3, 0.1, 0)
    assert WEATHER in r["scores"] and WEATHER in r["versus_baselines"] and r["weather_baseline"]["tau_days"] == 60
    assert r["scores"][WEATHER]["rmse_m"] < r["scores"]["trend + annual"]["rmse_m"] and r["notes"] == []
    early = E.dates <= np.datetime64("2018-03-31")
    cut = type(E)(dates=E.dates[early], values=E.values[early], name=E.name)
    r = score_forecast(cal_with(types.SimpleNamespace(precipitation=P, evaporation=cut)), series, 0.5e-3, 0.1, 0)
    assert WEATHER not in r["scores"] and r["weather_baseline"] is None and "2018-03-31" in r["notes"][0]
