"""Per-point offset as a nuisance parameter, noise estimated from the data inside ``compare``, and
the seasonal (annual) cycle compared as a phasor (amplitude with its phase)."""

import datetime as dt

import numpy as np
import pytest

from conftest import bowl_result
from subsidence.config.errors import CaseError
from subsidence.insar import metrics
from subsidence.insar.model import run_from_result
from subsidence.insar.noise import DUTCH_S1, NoiseModel
from subsidence.insar.validate import Options, compare
from test_synthetic import synthetic


@pytest.mark.parametrize("reference_epoch", ["first", "none"])
def test_per_point_offset_rmse_equals_the_noise_level(reference_epoch):
    """Data = model + arbitrary per-point offsets (±20 mm) + white noise σ = 3 mm: with the offset
    removed the RMSE is the noise level σ√((n−1)/n) (≈ σ), not σ√2 (one noisy reference epoch) nor
    the offsets; χ²/N ≈ 1 with the offset accounted for."""
    sigma = 3e-3
    white = NoiseModel(white_var=sigma**2)
    ds = synthetic(white, seed=21, m=120)
    ds.disp = ds.disp + np.random.default_rng(0).uniform(-0.02, 0.02, (ds.n, 1)).astype(np.float32)
    run = run_from_result(bowl_result(1.0))
    kw = dict(noise=white, noise_source="model", reference_epoch=reference_epoch)
    c0 = compare(ds, run, Options(**kw))
    c = compare(ds, run, Options(offset="per-point", **kw))
    n = ds.nt
    assert c.overall["rmse_m"] == pytest.approx(sigma * np.sqrt((n - 1) / n), rel=0.03)
    assert c.overall["values"] == ds.n * n  # every epoch enters (none is zero by construction)
    assert abs(c.overall["bias_m"]) < 1e-9  # zero by construction
    assert c.noise["n"] == ds.n * (n - 1)
    assert c.noise["chi2_per_value"] == pytest.approx(1.0, abs=4 * np.sqrt(2.0 / c.noise["n"]))
    assert c.noise["expected_rmse_m"] == pytest.approx(sigma * np.sqrt((n - 1) / n), rel=1e-9)
    expected_without = sigma * np.sqrt(2.0) if reference_epoch == "first" else 0.01  # offsets ~ U(±20 mm): rms 11.5 mm
    assert c0.overall["rmse_m"] > 0.95 * expected_without
    # the velocity and annual-cycle metrics do not depend on a constant
    np.testing.assert_allclose(c.points["vel_residual"], c0.points["vel_residual"], atol=1e-9)
    np.testing.assert_allclose(c.points["phasor_residual"], c0.points["phasor_residual"], atol=1e-9)


def test_per_point_offset_with_correlated_noise_and_noise_from_the_data():
    """Dutch S1 noise: the noise estimated inside compare (source "data", the default without a
    product σ) gives χ²/N ≈ 1 for the true model with and without the offset; the offset-variant
    RMSE equals the noise level √(tr C′/N) of de-meaned series."""
    ds = synthetic(DUTCH_S1, seed=11)
    run = run_from_result(bowl_result(1.0))
    chis = []
    for offset in ("none", "per-point"):
        c = compare(ds, run, Options(offset=offset))
        chis.append(c.noise["chi2"])
        assert c.noise["source"].startswith("noise estimated from the data")
        assert c.noise["estimate"]["points"] == ds.n
        assert abs(c.noise["chi2_per_value"] - 1.0) < 0.05, offset
        assert c.overall["rmse_m"] == pytest.approx(c.noise["expected_rmse_m"], rel=0.10), offset
    # the first-epoch reference and the per-point offset have the same null space (a constant per
    # point): the referenced χ² already marginalises the offset, so it is the same number
    assert chis[1] == pytest.approx(chis[0], rel=1e-9)
    # a wrong model stays clearly worse under the estimated noise
    w = compare(ds, run_from_result(bowl_result(1.5)), Options(offset="per-point"))
    assert w.noise["chi2"] - c.noise["chi2"] > 100


def test_bad_options_are_case_errors():
    with pytest.raises(CaseError, match="offset"):
        Options(offset="per-epoch")
    with pytest.raises(CaseError, match="noise.source"):
        Options(noise_source="guess")
    ds = synthetic(NoiseModel(white_var=1e-6), seed=1, m=3)  # 3 points: too few to estimate from
    with pytest.raises(CaseError, match="cannot estimate the noise from the data"):
        compare(ds, run_from_result(bowl_result(1.0)), Options(noise_source="data"))
    c = compare(ds, run_from_result(bowl_result(1.0)), Options())  # auto: falls back to the model, noted
    assert "could not be estimated" in c.noise["note"]


def _series(amps, phases_month, t, y0=0.0):
    """Annual cycles peaking at the given months (1.0 = 1 Jan) on a trend; t in years since a date
    at calendar-year fraction y0."""
    ph = 2 * np.pi * (np.asarray(phases_month) - 1.0) / 12.0
    return (np.asarray(amps)[:, None] * np.cos(2 * np.pi * (t[None] + y0) - ph[:, None]) - 0.003 * t[None])


def test_phasor_metrics_coherent_and_random_phases():
    t = np.arange(0, 3.5, 1 / 30)
    y0 = 0.25  # series start 1 April
    rng = np.random.default_rng(5)
    m = 400
    # model: coherent 1.1 mm, peak mid-January; data: ~1 mm with random phases
    mod = _series(np.full(m, 1.1e-3), np.full(m, 1.5), t, y0)
    obs = _series(np.full(m, 1.0e-3), rng.uniform(1, 13, m), t, y0)
    pm = metrics.point_metrics(obs, mod, t, year_offset=y0)
    o = metrics.overall_metrics(obs, mod, pm)
    np.testing.assert_allclose(pm["amp_model"], 1.1e-3, rtol=1e-9)
    np.testing.assert_allclose(pm["peak_month_model"], 1.5, atol=1e-9)
    assert o["seasonal_peak_month_model"] == pytest.approx(1.5, abs=1e-9)
    assert o["seasonal_coherent_amplitude_model_m"] == pytest.approx(1.1e-3, rel=1e-9)
    assert o["seasonal_phase_coherence_model"] == pytest.approx(1.0, abs=1e-12)
    # random phases: the mean amplitude is the amplitude, the coherent part ~ A/√m, coherence ~ 1/√m
    assert o["seasonal_amplitude_obs_mean_m"] == pytest.approx(1.0e-3, rel=1e-9)
    assert o["seasonal_coherent_amplitude_obs_m"] < 3 * 1.0e-3 / np.sqrt(m)
    assert o["seasonal_phase_coherence_obs"] < 3 / np.sqrt(m)
    # |A_obs − A_mod|² averages to |A_obs|² + |A_mod|² for independent phases (1.49 mm)
    assert o["seasonal_phasor_rmse_m"] == pytest.approx(np.hypot(1.0e-3, 1.1e-3), rel=0.08)
    # the amplitude-only difference would call them alike (0.1 mm); the phasor misfit does not
    assert o["seasonal_amplitude_rmse_m"] == pytest.approx(0.1e-3, rel=1e-6)
    # same phases, different amplitudes: phasor difference = amplitude difference
    obs2 = _series(np.full(m, 1.6e-3), np.full(m, 1.5), t, y0)
    o2 = metrics.overall_metrics(obs2, mod, metrics.point_metrics(obs2, mod, t, year_offset=y0))
    assert o2["seasonal_phasor_rmse_m"] == pytest.approx(0.5e-3, rel=1e-9)
    # a half-year shift with equal amplitudes: difference 2A
    obs3 = _series(np.full(m, 1.1e-3), np.full(m, 7.5), t, y0)
    pm3 = metrics.point_metrics(obs3, mod, t, year_offset=y0)
    np.testing.assert_allclose(pm3["phasor_residual"], 2.2e-3, rtol=1e-9)
    np.testing.assert_allclose(pm3["peak_month_obs"], 7.5, atol=1e-9)


def test_peak_month_is_calendar_month_in_compare():
    """A model start date of 1 July: a data cycle peaking in mid-March is reported as mid-March."""
    ds = synthetic(NoiseModel(white_var=1e-30), seed=7, m=10)
    run = run_from_result(bowl_result(1.0, start=dt.date(2015, 1, 1)))
    cal = (ds.dates - np.datetime64("2015-01-01")).astype(float) / 365.25
    ds.disp = ds.disp + (2e-3 * np.cos(2 * np.pi * (cal - 2.5 / 12)))[None].astype(np.float32)
    c = compare(ds, run, Options(noise_source="model", noise=NoiseModel(white_var=1e-6)))
    np.testing.assert_allclose(c.points["peak_month_obs"], 3.5, atol=0.02)
    assert c.overall["seasonal_peak_month_obs"] == pytest.approx(3.5, abs=0.02)
    run2 = run_from_result(bowl_result(1.0, start=dt.date(2014, 7, 1), years=6.0, nt=13))
    c2 = compare(ds, run2, Options(noise_source="model", noise=NoiseModel(white_var=1e-6)))
    np.testing.assert_allclose(c2.points["peak_month_obs"], 3.5, atol=0.02)


def test_validation_table_offset_and_noise_source():
    from subsidence.insar.config import parse_from_case_text

    c = parse_from_case_text('[validation]\noffset = "per-point"\n[validation.noise]\nsource = "data"\n', file="case.toml")
    assert c.offset == "per-point" and c.noise_source == "data" and not c.noise_given
    c = parse_from_case_text('[validation]\n[validation.noise]\nwhite_variance = 4.0\n', file="case.toml")
    assert c.offset == "none" and c.noise_source == "auto" and c.noise_given  # auto then uses the given model
    with pytest.raises(CaseError, match="offset"):
        parse_from_case_text('[validation]\noffset = "yes"\n', file="case.toml")
    with pytest.raises(CaseError, match="source"):
        parse_from_case_text('[validation.noise]\nsource = "guess"\n', file="case.toml")


def test_cli_offset_and_noise_from_the_data(tmp_path):
    import json
    from pathlib import Path

    from conftest import write_run
    from subsidence.cli import main as cli_main

    run = write_run(tmp_path / "run", bowl_result(1.0, extent=30e3, n=61))
    out = tmp_path / "report"
    data = Path(__file__).parent / "data" / "tudelft_t88_sample.csv"
    assert cli_main(["validate", str(run), "--insar", str(data), "--pass", "ascending", "--out", str(out), "--offset"]) == 0
    (d,) = json.loads((out / "validation.json").read_text())["datasets"]
    assert d["noise_weighted"]["source"].startswith("noise estimated from the data")
    assert d["noise_weighted"]["estimate"]["points"] == 5 and "offset" in d["noise_weighted"]
    assert d["overall"]["values"] == 5 * 12 and abs(d["overall"]["bias_m"]) < 1e-12
    assert {"seasonal_phasor_rmse_m", "seasonal_phase_coherence_obs", "seasonal_peak_month_model"} <= set(d["overall"])
    assert {"peak_month_obs", "phasor_residual"} <= set(d["points"][0])
    html = (out / "report.html").read_text()
    assert "noise estimated from the data: white σ0" in html and "per-point offset" in html
    assert "phase coherence" in html and "mean seasonal amplitude observed / model" not in html
