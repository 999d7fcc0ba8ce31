"""The marginal likelihood of the per-point priors, their hyperparameters estimated from the data
(type-II maximum likelihood), and the observation-model parameter ``observation.shallow_fraction``."""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
import pytest
from mpi4py import MPI
from scipy import stats

from subsidence.calibration.calibrate import Calibration, median_run, observations_from
from subsidence.calibration.forward import Prediction
from subsidence.calibration.linear import PointTerms
from subsidence.calibration.noise import ProjectedNoise, time_projection
from subsidence.calibration.priors import field_covariance
from subsidence.config import CaseError, case_from_dict
from subsidence.insar.noise import NoiseModel

from test_twin import BG, CM_TRUE, NOISE, case_data, twin


@pytest.mark.parametrize("offset", ["per-point", "none"])
def test_log_evidence_equals_the_dense_gaussian(offset):
    """ln N(r; Bμ, C' + BΣBᵀ) through Woodbury and the determinant lemma equals the dense
    multivariate normal log-density (two per-point terms, correlated in space)."""
    rng = np.random.default_rng(4)
    m, n = 6, 9
    x, y = rng.uniform(0, 3000, m), rng.uniform(0, 3000, m)
    t = np.sort(rng.uniform(0, 3, n))
    nm = NoiseModel(white_var=2.0, spatial_var=1.0, spatial_range=800.0, temporal_var=0.7, temporal_range=0.4)
    noise = ProjectedNoise(nm, x, y, t, time_projection(n, offset=offset))
    a = np.vstack([t - t[0], np.cos(2 * np.pi * t)])
    up = rng.uniform(0.7, 0.9, m)
    mu = np.concatenate([np.full(m, -0.5), np.zeros(m)])
    Sigma = np.zeros((2 * m, 2 * m))
    Sigma[:m, :m] = field_covariance(x, y, 1.3, 1000.0) + 0.4
    Sigma[m:, m:] = field_covariance(x, y, 0.8, 0.0)
    terms = PointTerms(noise, a, up, mu, Sigma)
    r = rng.standard_normal(noise.shape)
    # dense: data vector R.ravel() (epoch-major), B's column (k, i) = (A a_k) ⊗ up_i e_i
    B = np.zeros((noise.size, 2 * m))
    for k in range(2):
        for i in range(m):
            col = np.zeros(noise.shape)
            col[:, i] = (noise.A @ a[k]) * up[i]
            B[:, k * m + i] = col.ravel()
    C = noise.dense() + B @ Sigma @ B.T
    ref = stats.multivariate_normal(mean=B @ mu, cov=C).logpdf(r.ravel())
    assert np.isclose(terms.log_evidence(r), ref, rtol=1e-10, atol=1e-8)
    Sigma2 = 2.0 * Sigma
    ref2 = stats.multivariate_normal(mean=B @ mu, cov=noise.dense() + B @ Sigma2 @ B.T).logpdf(r.ravel())
    assert np.isclose(terms.log_evidence(r, Sigma2), ref2, rtol=1e-10, atol=1e-8)


def _calibration(data, ds):
    case = case_from_dict(data)
    obs = observations_from(ds, start_date=case.start_date, until=None)
    cal = Calibration(case, obs, case.calibration, comm=MPI.COMM_SELF)
    cal.set_noise(NOISE, {"source": "given noise model"})
    return cal


def test_hyperparameters_are_estimated_from_the_data():
    """Background rates drawn with spread 1.5 mm/yr correlated over 1 km (the twin): started at a
    third of the spread and three times the length, type-II maximum likelihood returns the spread
    within 35 % and the length within a factor 2.5 (sampling error of one field of 150 points in a
    6 km square), and the evidence rises."""
    ds, _ = twin(m=150, seed=3)
    data = case_data(noise={"source": "model"})
    data["calibration"]["parameters"][0]["median"] = CM_TRUE  # the model at the prior medians is the truth
    data["calibration"]["point_parameters"][0].update(sd="0.5 mm/yr", correlation_length="3 km",
                                                      estimate=["sd", "correlation_length"])
    cal = _calibration(data, ds)
    info = cal.estimate_hyperparameters(median_run(cal))
    est = info["parameters"]["background_rate"]["estimated"]
    sd_true = BG["sd"] / (365.25 * 86400.0)  # m/s
    assert abs(est["sd"] / sd_true - 1) < 0.35, est
    assert 1000.0 / 2.5 < est["correlation_length"] < 1000.0 * 2.5, est
    assert info["log_evidence_estimated"] > info["log_evidence_given"] + 5
    # installed as the prior of the calibration
    q = cal.cfg.point_parameters[0]
    assert q.sd == est["sd"] and q.correlation_length == est["correlation_length"]
    assert np.isclose(cal.pp_cov[0, 0], q.sd**2 + q.mean_sd**2, rtol=1e-6)


def test_no_physics_baseline_is_the_same_after_an_estimate_with_the_model():
    """The calibration's statistics without physics start from the per-point priors as given: in
    `calibrate` the prior estimated with the model is installed before the baseline is made, in
    `forecast --insar` the calibration is built afresh; both must give the same baseline (before,
    the estimate with the model was the start and set the search bounds, and with gaps the two
    differed by 0.06 mm RMSE)."""
    from subsidence.calibration.calibrate import terms_only_prediction

    ds, _ = twin(m=40, seed=5)
    data = case_data(noise={"source": "model"})
    data["calibration"]["point_parameters"][0].update(sd="0.5 mm/yr", correlation_length="3 km",
                                                      estimate=["sd", "correlation_length"])
    fresh = terms_only_prediction(_calibration(data, ds))
    cal = _calibration(data, ds)
    cal.estimate_hyperparameters(median_run(cal))  # calibrate: the model-based estimate installed
    given = case_from_dict(data).calibration.point_parameters[0]
    assert cal.cfg.point_parameters[0].sd != given.sd
    after = terms_only_prediction(cal)
    assert np.allclose(after, fresh, rtol=1e-6, atol=1e-9 * np.abs(fresh).max())
    assert cal.cfg.point_parameters[0].sd != given.sd  # the calibration itself is untouched


def test_estimate_must_name_known_hyperparameters():
    data = case_data()
    data["calibration"]["point_parameters"][0]["estimate"] = ["sd", "mean"]
    with pytest.raises(CaseError, match=r"point_parameters\[0\].estimate"):
        case_from_dict(data)


SHALLOW = {"name": "shallow_fraction", "path": "observation.shallow_fraction", "prior": "uniform", "low": 0.0, "high": 1.0}


def test_shallow_fraction_scales_what_the_scatterers_see():
    """uz seen = deep + w · shallow, w the member's fraction; the horizontal parts are untouched."""
    data = case_data()
    data["calibration"]["parameters"].append(dict(SHALLOW))
    ds, _ = twin(years=0.5, m=4)
    cal = _calibration(data, ds)
    assert [i for i, _ in cal.targets] == [0] and cal.observation == {"shallow_fraction": 1}
    rng = np.random.default_rng(0)
    deep, shallow = rng.standard_normal((2, 4, 5))
    p = Prediction(ux=rng.standard_normal((4, 5)), uy=rng.standard_normal((4, 5)), uz=deep + shallow, deep_uz=deep,
                   shallow_uz=shallow)
    z = np.array([0.0, 0.5])
    w = cal.cfg.parameters[1].prior.from_z(0.5)
    q = cal.observe(p, z)
    assert np.allclose(q.uz, deep + w * shallow) and np.allclose(q.shallow_uz, w * shallow)
    assert q.ux is p.ux and np.array_equal(q.deep_uz, deep)
    cal.case_of(z)  # the case itself is built from the case-file parameters only


@pytest.mark.parametrize("change,match", [
    ({"prior": "lognormal", "median": 0.5, "sigma_log": 0.3}, "bounded prior"),
    ({"low": 0.0, "high": 1.5}, "leaves"),
    ({"path": "observation.scatterer_height"}, "unknown observation-model parameter"),
    ({"low": "0 m", "high": "1 m"}, "bare number"),
])
def test_bad_observation_parameters_are_named(change, match):
    data = case_data()
    p = dict(SHALLOW)
    p.update(change)
    data["calibration"]["parameters"].append(p)
    with pytest.raises(CaseError, match=match):
        case_from_dict(data)


def test_paired_difference_from_baselines():
    """The bootstrap interval of RMSE(a) − RMSE(b): resolved when a is clearly better, centred on 0
    and unresolved for two equally good predictions, antisymmetric in a and b."""
    from subsidence.calibration.scores import paired_difference

    rng = np.random.default_rng(1)
    m, n = 80, 60
    t = np.arange(n) * 12 / 365.25
    truth = rng.standard_normal((m, 1)) * t[None, :]
    D = truth + rng.standard_normal((m, n))
    sel = np.ones(n, bool)
    good, bad = truth + 0.1 * rng.standard_normal((m, n)), truth + 1.0 * rng.standard_normal((m, n))
    r = paired_difference(D, good, bad, t, sel, np.random.default_rng(0))
    assert r["resolved"] and r["p95_m"] < 0 and r["probability_better"] > 0.99
    assert np.isclose(r["rmse_difference_m"], np.sqrt(np.mean((D - good) ** 2)) - np.sqrt(np.mean((D - bad) ** 2)))
    assert r["epoch_block"] == round(0.25 / (12 / 365.25))
    twin_a, twin_b = truth + 0.5 * rng.standard_normal((m, n)), truth + 0.5 * rng.standard_normal((m, n))
    e = paired_difference(D, twin_a, twin_b, t, sel, np.random.default_rng(0))
    assert not e["resolved"] and e["p5_m"] < 0 < e["p95_m"]
    f = paired_difference(D, twin_b, twin_a, t, sel, np.random.default_rng(0))
    assert np.isclose(f["p5_m"], -e["p95_m"]) and np.isclose(f["p95_m"], -e["p5_m"])


def test_calibrate_with_estimated_hyperparameters_reports_them(tmp_path):
    """Through `calibrate_case`: the estimates become the prior, and calibration.json and the report
    say which hyperparameters were estimated, with the log-evidence gained."""
    import json

    from subsidence.calibration.cli import calibrate_case

    ds, _ = twin(years=1.0, m=20)
    d = case_data(ensemble=8, assimilations=1)
    d["calibration"]["point_parameters"][0]["estimate"] = ["sd", "correlation_length"]
    s = calibrate_case(case_from_dict(d), ds, tmp_path / "c", comm=MPI.COMM_SELF)
    pp = s["doc"]["point_priors"]
    assert pp["background_rate"]["estimated"] == ["sd", "correlation_length"]
    est = pp["estimation"]
    assert est["log_evidence_estimated"] >= est["log_evidence_given"]
    got = est["parameters"]["background_rate"]["estimated"]
    assert np.isclose(pp["background_rate"]["sd"], got["sd"] * 365.25 * 86400.0 * 1e3)
    assert json.loads((tmp_path / "c" / "calibration.json").read_text())["point_priors"]["background_rate"]["sd"] > 0
    assert "estimated from the data" in (tmp_path / "c" / "report.html").read_text(encoding="utf-8")
