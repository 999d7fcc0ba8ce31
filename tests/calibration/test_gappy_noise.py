"""Missing values marginalised in the calibration's noise operator (``gaps = "marginalise"``):
exactly the generalised least squares of the observed values with a free offset per point."""

import numpy as np
import pytest

from subsidence.calibration.noise import GappyNoise, ProjectedNoise, time_projection
from subsidence.insar.noise import NoiseModel


def _problem(seed=2, m=5, n=8, missing=7):
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(0, 3000, m), rng.uniform(0, 3000, m)
    t = np.sort(rng.uniform(0, 2.5, n))
    mask = np.zeros((m, n), bool)
    mask.ravel()[rng.choice(m * n, missing, replace=False)] = True
    mask[:, :2] = False  # every point keeps at least two values
    D = rng.standard_normal((m, n))
    return x, y, t, mask, D


def _dense_reference(nm, x, y, t, mask, D):
    """d_oᵀ P d_o, P = C_oo⁻¹ − C_oo⁻¹X(XᵀC_oo⁻¹X)⁻¹XᵀC_oo⁻¹ (X: a free offset per point), and
    ln det C_oo + ln det XᵀC_oo⁻¹X: the observed values' likelihood with the offsets integrated out."""
    m, n = D.shape
    d = np.hypot(np.subtract.outer(x, x), np.subtract.outer(y, y))
    S = np.exp(-d / nm.spatial_range)
    T = np.exp(-np.abs(np.subtract.outer(t, t)) / nm.temporal_range)
    # point-major vector (i, j): cov = σ0² δ + σs² S_ii' δ_jj' + σt² δ_ii' T_jj'
    C = nm.white_var * np.eye(m * n) + nm.spatial_var * np.kron(S, np.eye(n)) + nm.temporal_var * np.kron(np.eye(m), T)
    o = ~mask.ravel()
    Coo = C[np.ix_(o, o)]
    X = np.kron(np.eye(m), np.ones((n, 1)))[o]
    Ci = np.linalg.inv(Coo)
    P = Ci - Ci @ X @ np.linalg.solve(X.T @ Ci @ X, X.T @ Ci)
    do = D.ravel()[o]
    return float(do @ P @ do), float(np.linalg.slogdet(Coo)[1] + np.linalg.slogdet(X.T @ Ci @ X)[1])


@pytest.mark.parametrize("offset", ["per-point", "none"])
def test_chi2_is_the_observed_values_gls_and_the_log_det_differs_by_a_constant(offset):
    x, y, t, mask, D = _problem()
    models = [NoiseModel(white_var=2.0, spatial_var=1.0, spatial_range=800.0, temporal_var=0.7, temporal_range=0.4),
              NoiseModel(white_var=0.5, spatial_var=2.0, spatial_range=2500.0, temporal_var=1.5, temporal_range=0.1)]
    shift = []
    for nm in models:
        g = GappyNoise(ProjectedNoise(nm, x, y, t, time_projection(t.size, offset=offset)), mask)
        Dg = np.where(mask, np.nan, D)
        quad, logdet = _dense_reference(nm, x, y, t, mask, D)
        assert np.isclose(float(g.chi2(g.project(Dg))), quad, rtol=1e-9)
        # what the data hold at the missing entries does not matter
        junk = np.where(mask, 1e3 * np.random.default_rng(0).standard_normal(D.shape), D)
        assert np.isclose(float(g.chi2(g.base.project(junk))), quad, rtol=1e-8)
        shift.append(g.logdet - logdet)
        assert g.size == g.base.size - mask.sum() and g.k == mask.sum()
    assert np.isclose(shift[0], shift[1], atol=1e-8)  # a constant of the layout, not of the noise


def test_solve_of_a_stack_and_no_gaps():
    x, y, t, mask, D = _problem(missing=0)
    nm = NoiseModel(white_var=1.0, spatial_var=1.0, spatial_range=900.0, temporal_var=0.5, temporal_range=0.3)
    base = ProjectedNoise(nm, x, y, t, time_projection(t.size, offset="per-point"))
    g = GappyNoise(base, mask)
    R = np.random.default_rng(1).standard_normal((3,) + base.shape)
    assert np.allclose(g.solve(R), base.solve(R)) and g.logdet == base.logdet
    x, y, t, mask, D = _problem(missing=9)
    g = GappyNoise(ProjectedNoise(nm, x, y, t, time_projection(t.size, offset="per-point")), mask)
    R = np.random.default_rng(1).standard_normal((3,) + g.shape)
    S = g.solve(R)
    assert np.allclose(S[1], g.solve(R[1])) and np.allclose(g.pick(S), 0.0, atol=1e-10)  # Q_gap F = 0


def test_too_many_missing_values_are_refused(monkeypatch):
    x, y, t, mask, D = _problem(missing=9)
    nm = NoiseModel(white_var=1.0, spatial_var=1.0, spatial_range=900.0, temporal_var=0.5, temporal_range=0.3)
    monkeypatch.setattr(GappyNoise, "MAX_MISSING", 5)
    with pytest.raises(ValueError, match=f"{int(mask.sum())} missing values: at most 5"):
        GappyNoise(ProjectedNoise(nm, x, y, t, time_projection(t.size, offset="per-point")), mask)


def test_per_point_terms_with_gaps_are_the_dense_gaussian_update():
    """Per-point trends (spatially correlated prior) on gappy data: the posterior mean and the
    evidence ratio of two priors equal the dense computation on the observed values only."""
    from subsidence.calibration.linear import PointTerms
    from subsidence.calibration.priors import field_covariance

    x, y, t, mask, D = _problem(seed=5, m=6, n=9, missing=10)
    m, n = D.shape
    nm = NoiseModel(white_var=1.5, spatial_var=0.8, spatial_range=1200.0, temporal_var=0.6, temporal_range=0.3)
    g = GappyNoise(ProjectedNoise(nm, x, y, t, time_projection(n, offset="per-point")), mask)
    up = np.linspace(0.7, 0.9, m)
    a = np.atleast_2d(t - t[0])
    mu = np.full(m, -0.4)
    Sigma = field_covariance(x, y, 1.2, 1500.0) + 0.3
    terms = PointTerms(g, a, up, mu, Sigma)
    Dg = np.where(mask, np.nan, D)
    r = g.project(Dg)
    got = terms.condition(r)
    # dense, point-major observed values: d_o = X o + B_o v + e
    d = np.hypot(np.subtract.outer(x, x), np.subtract.outer(y, y))
    C = nm.white_var * np.eye(m * n) + nm.spatial_var * np.kron(np.exp(-d / nm.spatial_range), np.eye(n)) \
        + nm.temporal_var * np.kron(np.eye(m), np.exp(-np.abs(np.subtract.outer(t, t)) / nm.temporal_range))
    o = ~mask.ravel()
    Ci = np.linalg.inv(C[np.ix_(o, o)])
    X = np.kron(np.eye(m), np.ones((n, 1)))[o]
    P = Ci - Ci @ X @ np.linalg.solve(X.T @ Ci @ X, X.T @ Ci)
    B = np.kron(np.diag(up), a.T)[o]  # column i: a(t) · up_i at point i
    dobs = D.ravel()[o]
    Pi = np.linalg.inv(np.linalg.inv(Sigma) + B.T @ P @ B)
    ref = mu + Pi @ B.T @ P @ (dobs - B @ mu)
    assert np.allclose(got, ref, rtol=1e-8, atol=1e-10)
    assert np.allclose(terms.Pi, Pi, rtol=1e-8, atol=1e-12)

    def dense_evidence(S):
        Ct = np.linalg.inv(Ci) + B @ S @ B.T
        Cti = np.linalg.inv(Ct)
        Pt = Cti - Cti @ X @ np.linalg.solve(X.T @ Cti @ X, X.T @ Cti)
        rr = dobs - B @ mu
        return -0.5 * (rr @ Pt @ rr + np.linalg.slogdet(Ct)[1] + np.linalg.slogdet(X.T @ Cti @ X)[1])

    assert np.isclose(terms.log_evidence(r, 2.0 * Sigma) - terms.log_evidence(r),
                      dense_evidence(2.0 * Sigma) - dense_evidence(Sigma), rtol=1e-8, atol=1e-9)


@pytest.mark.serial
def test_a_twin_with_gaps_is_calibrated_without_dropping_its_points(tmp_path):
    """The deep twin of test_twin with 15 % of its values missing at random (no point complete):
    `gaps = "drop"` keeps none of the points; `"marginalise"` keeps all, and its posterior is that of
    the complete data (the same seeds) up to the information lost: the same median within 0.3
    posterior sd, not narrower; the truth inside, the points' rates recovered, a fit to the noise
    level; the files carry the gaps."""
    import dataclasses

    from mpi4py import MPI

    from subsidence.calibration.cli import calibrate_case
    from subsidence.config import CaseError, case_from_dict

    from test_twin import BG, CM_TRUE, _points, _posterior, case_data, twin

    ds, v = twin()
    m = ds.x.size
    rng = np.random.default_rng(3)
    gap = rng.random(ds.disp.shape) < 0.15
    gap[np.arange(m), rng.integers(0, ds.nt, m)] = True  # every point has at least one gap
    gappy = dataclasses.replace(ds, disp=np.where(gap, np.nan, ds.disp))
    case = case_from_dict(case_data(ensemble=40, assimilations=3))
    with pytest.raises(CaseError, match="no point has a complete series.*--gaps marginalise"):
        calibrate_case(case, gappy, tmp_path / "drop", comm=MPI.COMM_SELF)
    cfg = dataclasses.replace(case.calibration, gaps="marginalise", until=np.datetime64("2017-06-30").astype(object))
    full = calibrate_case(case, ds, tmp_path / "full", cfg=cfg, comm=MPI.COMM_SELF)
    s = calibrate_case(case, gappy, tmp_path / "gaps", cfg=cfg, comm=MPI.COMM_SELF)
    doc = s["doc"]
    assert doc["data"]["points"] == m and doc["data"]["held_out_epochs"] > 0
    assert any(n.startswith(f"{int(gap[:, cal_epochs(doc)].sum())} missing values at {m} of {m} points were marginalised")
               for n in doc["notes"]), doc["notes"]
    a, b = _posterior(tmp_path / "full"), _posterior(tmp_path / "gaps")
    assert abs(np.median(b) - np.median(a)) < 0.3 * np.std(a), (np.median(a), np.median(b), np.std(a))
    assert np.std(b) > 0.9 * np.std(a)
    lo, hi = np.percentile(b, [1, 99])
    assert lo <= CM_TRUE <= hi
    pts, ref = _points(tmp_path / "gaps"), _points(tmp_path / "full")
    assert np.mean((pts[:, 0] <= v * 1e3) & (v * 1e3 <= pts[:, 2])) >= 0.7
    err = lambda p: float(np.sqrt(np.mean((p[:, 1] - v * 1e3) ** 2)))  # noqa: E731
    assert err(pts) < 1.2 * err(ref) and err(ref) < BG["sd"] * 1e3, (err(pts), err(ref))  # the prior spread: 1.5 mm/yr
    assert 0.7 < doc["chi2_per_value"]["posterior"] < 1.3
    assert abs(doc["chi2_per_value"]["posterior"] - full["doc"]["chi2_per_value"]["posterior"]) < 0.1
    assert np.isfinite(doc["scores"]["out_of_sample"]["posterior ensemble"]["rmse_m"])
    with np.load(tmp_path / "gaps" / "observations.npz") as z:
        assert str(z["gaps"]) == "marginalise" and np.isnan(z["D"]).sum() == int(gap[:, :z["D"].shape[1]].sum())
    with np.load(tmp_path / "gaps" / "state.npz") as z:
        assert np.isfinite(z["offsets"]).all()
    # a later product scored against it: the gappy calibration data give the baselines
    import json

    from test_forecast_check import _forecast
    from test_forecast_reference_sweep import _write

    later = _write(tmp_path / "later.csv", ds, keep=ds.dates > np.datetime64("2017-06-30"))
    assert _forecast(tmp_path / "gaps", later, tmp_path / "chk", "--reference", "calibration") == 0
    chk = json.loads((tmp_path / "chk" / "forecast_check.json").read_text())
    assert all(np.isfinite(v["rmse_m"]) for v in chk["scores"].values())
    assert chk["points"] == m and chk["skipped"] == {}
    # the gappy product itself, scored as calibrate scored its held-out epochs (the points kept as it kept them)
    prod = _write(tmp_path / "gappy.csv", gappy)
    assert _forecast(tmp_path / "gaps", prod, tmp_path / "chk2") == 0
    chk = json.loads((tmp_path / "chk2" / "forecast_check.json").read_text())
    assert chk["points"] == m
    for k, v in doc["scores"]["out_of_sample"].items():
        if k != "prior ensemble":
            assert np.isclose(chk["scores"][k]["rmse_m"], v["rmse_m"], rtol=1e-6), (k, chk["scores"][k], v)


def cal_epochs(doc):
    return slice(0, doc["data"]["calibration_epochs"])


def test_gaps_key_is_checked():
    from subsidence.config import CaseError, case_from_dict

    from test_twin import case_data

    assert case_from_dict(case_data(gaps="marginalise")).calibration.gaps == "marginalise"
    assert case_from_dict(case_data()).calibration.gaps == "drop"
    with pytest.raises(CaseError, match="gaps"):
        case_from_dict(case_data(gaps="fill"))


@pytest.mark.mpi
def test_gaps_same_posterior_on_one_and_on_all_ranks(tmp_path_factory):
    """Missing values marginalised with the members over the ranks of COMM_WORLD: the posterior of a
    one-rank run."""
    import dataclasses

    from mpi4py import MPI

    from subsidence.calibration.cli import calibrate_case
    from subsidence.config import case_from_dict

    from test_twin import case_data, twin

    comm = MPI.COMM_WORLD
    ds, _ = twin(years=1.5, m=8)
    gap = np.random.default_rng(1).random(ds.disp.shape) < 0.2
    ds = dataclasses.replace(ds, disp=np.where(gap, np.nan, ds.disp))
    case = case_from_dict(case_data(ensemble=8, assimilations=2, gaps="marginalise"))
    base = comm.bcast(str(tmp_path_factory.mktemp("gaps_mpi")) if comm.rank == 0 else None, root=0)
    a = calibrate_case(case, ds, f"{base}/world", comm=comm)
    b = calibrate_case(case, ds, f"{base}/self-{comm.rank}", comm=MPI.COMM_SELF)
    assert np.allclose(a["arrays"]["g_post"], b["arrays"]["g_post"], rtol=1e-10, atol=0)
    assert np.allclose(a["arrays"]["pvals"], b["arrays"]["pvals"], rtol=1e-10, atol=1e-18)


@pytest.mark.serial
def test_least_squares_with_gaps_is_the_complete_datas_map():
    """The least-squares method whitens its residual with the missing directions projected out: with
    15 % of the values missing its MAP and spread are those of the complete data (before, the
    whitening ignored the gaps: χ²/N 4.8 and a compaction coefficient 20 % low)."""
    import dataclasses
    import tempfile

    from mpi4py import MPI

    from subsidence.calibration.cli import calibrate_case
    from subsidence.config import case_from_dict

    from test_twin import case_data, twin

    ds, _ = twin()
    gap = np.random.default_rng(3).random(ds.disp.shape) < 0.15
    out = {}
    for label, d in (("full", ds), ("gaps", dataclasses.replace(ds, disp=np.where(gap, np.nan, ds.disp)))):
        case = case_from_dict(case_data(method="least-squares", ensemble=16, gaps="marginalise", until="2017-06-30"))
        with tempfile.TemporaryDirectory() as tmp:
            s = calibrate_case(case, d, f"{tmp}/c", comm=MPI.COMM_SELF)
        q = [p for p in s["doc"]["parameters"] if p["name"] == "cm"][0]["posterior_p5_p50_p95"]
        out[label] = (q, s["doc"]["chi2_per_value"]["posterior"])
    (a, ca), (b, cb) = out["full"], out["gaps"]
    sd = (a[2] - a[0]) / 3.29
    assert abs(b[1] - a[1]) < 0.3 * sd and 0.8 < (b[2] - b[0]) / (a[2] - a[0]) < 1.3, out
    assert abs(cb - 1.0) < 0.15 and abs(ca - 1.0) < 0.15, out
