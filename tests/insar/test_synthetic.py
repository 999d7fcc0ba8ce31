"""A synthetic InSAR dataset made from a known model plus noise drawn from the noise model:
the misfit of the true model equals the noise level; a wrong model is worse."""

import numpy as np
import pytest

from conftest import CENTRE, bowl_result
from subsidence.insar.data import InsarDataset
from subsidence.insar.geometry import los_from_heading, project
from subsidence.insar.model import run_from_result
from subsidence.insar.noise import DUTCH_S1, NoiseModel
from subsidence.insar.validate import Options, compare


def synthetic(noise, *, seed, m=150, heading=-12.0, scale=1.0):
    rng = np.random.default_rng(seed)
    px = CENTRE[0] + rng.uniform(-10e3, 10e3, m)
    py = CENTRE[1] + rng.uniform(-10e3, 10e3, m)
    dates = np.datetime64("2015-02-01") + np.arange(0, 4 * 365, 24).astype("timedelta64[D]")
    los = los_from_heading(rng.uniform(38, 44, m), heading)
    run = run_from_result(bowl_result(scale))
    ds = InsarDataset(ids=[f"p{i}" for i in range(m)], x=px, y=py, dates=dates, disp=np.zeros((m, len(dates))), los=los)
    vals, _, ok = run.sample(ds.ids, px, py, ds.years_since(run.start_date))
    assert ok.all()
    true = project(los, vals["ux"], vals["uy"], vals["uz"])
    ds.disp = (true + noise.sample(px, py, ds.years_since(run.start_date), rng)).astype(np.float32)
    return ds


@pytest.mark.parametrize("seed", [11, 12])
def test_true_model_misfit_equals_noise_level_correlated(seed):
    ds = synthetic(DUTCH_S1, seed=seed)
    c = compare(ds, run_from_result(bowl_result(1.0)), Options(noise=DUTCH_S1, noise_source="model"))
    N = c.noise["n"]
    # χ² of the true model is χ²_N: mean N, sd √(2N) -> χ²/N within 4 sd
    assert abs(c.noise["chi2_per_value"] - 1.0) < 4 * np.sqrt(2.0 / N)
    # RMSE equals the noise level of referenced data, √(tr C'/N) (≈ 6.0 mm here), to 10 %
    assert c.overall["rmse_m"] == pytest.approx(c.noise["expected_rmse_m"], rel=0.10)
    assert c.noise["expected_rmse_m"] == pytest.approx(np.sqrt(2 * (9.49 + 4.96) + 2 * 4.53 * 0.8) * 1e-3, rel=0.1)
    assert abs(c.overall["bias_m"]) < 1.5e-3
    # wrong models: 1.5× and 0.5× the subsidence, and no subsidence at all. The χ² difference is
    # −2 log(likelihood ratio); > 100 rejects the wrong model beyond doubt (a one-parameter
    # 3-σ rejection needs 9).
    for scale in (1.5, 0.5, 0.0):
        w = compare(ds, run_from_result(bowl_result(scale)), Options(noise=DUTCH_S1, noise_source="model"))
        assert w.noise["chi2"] - c.noise["chi2"] > 100, scale
        assert w.noise["neg_log_likelihood"] > c.noise["neg_log_likelihood"] + 50, scale
        assert w.overall["rmse_m"] > c.overall["rmse_m"] * 1.05, scale
        assert w.overall["velocity_rmse_m_per_yr"] > 1.5 * c.overall["velocity_rmse_m_per_yr"], scale


def test_white_noise_rmse_is_sigma_times_sqrt2_after_first_epoch_referencing():
    sigma = 3e-3
    white = NoiseModel(white_var=sigma**2)
    ds = synthetic(white, seed=5, m=100)
    c = compare(ds, run_from_result(bowl_result(1.0)), Options(noise=white, noise_source="model"))
    assert c.overall["rmse_m"] == pytest.approx(sigma * np.sqrt(2.0), rel=0.03)
    assert c.noise["chi2_per_value"] == pytest.approx(1.0, abs=4 * np.sqrt(2.0 / c.noise["n"]))
    # without temporal referencing the noise is not doubled
    c0 = compare(ds, run_from_result(bowl_result(1.0)), Options(noise=white, noise_source="model", reference_epoch="none"))
    assert c0.overall["rmse_m"] == pytest.approx(sigma, rel=0.03)
    assert c0.noise["expected_rmse_m"] == pytest.approx(sigma)


def test_product_uncertainty_weighting():
    sigma = 2e-3
    white = NoiseModel(white_var=sigma**2)
    ds = synthetic(white, seed=6, m=80)
    ds.sigma = np.full(ds.n, sigma)
    c = compare(ds, run_from_result(bowl_result(1.0)), Options(noise_source="auto"))
    assert c.noise["source"].startswith("product")
    assert c.noise["chi2_per_value"] == pytest.approx(1.0, abs=4 * np.sqrt(2.0 / c.noise["n"]))
    w = compare(ds, run_from_result(bowl_result(1.5)), Options(noise_source="product"))
    assert w.noise["chi2_per_value"] > 1.5


def test_velocity_and_seasonal_amplitude_metrics():
    """Data = model + 4 mm/yr extra trend + 3 mm annual cosine (no noise): the velocity and
    seasonal-amplitude misfits recover exactly those numbers."""
    ds = synthetic(NoiseModel(white_var=1e-30), seed=7, m=20)
    t = ds.years_since(np.datetime64("2015-01-01"))
    ds.disp = ds.disp + (0.004 * t + 0.003 * np.cos(2 * np.pi * t))[None].astype(np.float32)
    c = compare(ds, run_from_result(bowl_result(1.0)), Options(noise=NoiseModel(white_var=1e-6)))
    np.testing.assert_allclose(c.points["vel_residual"], 0.004, atol=2e-5)
    np.testing.assert_allclose(c.points["amp_obs"] - c.points["amp_model"], 0.003, atol=2e-5)
    assert c.overall["velocity_rmse_m_per_yr"] == pytest.approx(0.004, abs=2e-5)
    assert c.overall["seasonal_amplitude_rmse_m"] == pytest.approx(0.003, abs=2e-5)
