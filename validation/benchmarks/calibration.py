"""Calibration (ES-MDA, marginal likelihood of the per-point priors): page docs/calibration.md.

The ES-MDA update against the exact posterior of a two-parameter linear-Gaussian problem
(the case of tests/calibration/test_esmda.py, loaded from there; same tolerances as the test).
The log-evidence of the per-point terms (Woodbury and the determinant lemma) against the dense
multivariate normal density (the set-up of tests/calibration/test_hyper_observation.py,
re-built here; same tolerance as the test, rtol 1e-10 + atol 1e-8 as in np.isclose).
"""

import importlib.util
from pathlib import Path

import numpy as np

from framework import Benchmark, Check

ROOT = Path(__file__).resolve().parents[2]


def _case():
    spec = importlib.util.spec_from_file_location("validation_calibration_esmda", ROOT / "tests/calibration/test_esmda.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.linear_gaussian_case


def _linear_gaussian(tmp):
    mp, Pp, M = _case()()
    sd = np.sqrt(np.diag(Pp))
    out = [Check(f"posterior mean m{i + 1}", float(M[i].mean()), float(mp[i]), abs_tol=0.03 * float(sd[i])) for i in range(2)]
    C = np.cov(M)
    out += [Check(f"posterior sd m{i + 1}", float(np.sqrt(C[i, i])), float(sd[i]), rel_tol=0.05) for i in range(2)]
    out.append(Check("posterior correlation", float(C[0, 1] / np.sqrt(C[0, 0] * C[1, 1])),
                     float(Pp[0, 1] / np.sqrt(Pp[0, 0] * Pp[1, 1])), abs_tol=0.03))
    return out


def _log_evidence(tmp):
    from scipy import stats

    from subsidence.calibration.linear import PointTerms
    from subsidence.calibration.noise import ProjectedNoise, time_projection
    from subsidence.calibration.priors import field_covariance
    from subsidence.insar.noise import NoiseModel

    out = []
    for offset in ("per-point", "none"):
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
        # dense: data vector r.ravel() (epoch-major), B's column (k, i) = (A a_k) ⊗ up_i e_i
        B = np.zeros((noise.size, 2 * m))
        for k in range(2):
            for i in range(m):
                col = np.zeros(noise.shape)
                col[:, i] = (noise.A @ a[k]) * up[i]
                B[:, k * m + i] = col.ravel()
        for label, S in (("Σ", Sigma), ("2Σ", 2.0 * Sigma)):
            ref = float(stats.multivariate_normal(mean=B @ mu, cov=noise.dense() + B @ S @ B.T).logpdf(r.ravel()))
            got = float(terms.log_evidence(r) if label == "Σ" else terms.log_evidence(r, S))
            out.append(Check(f"ln evidence, offset {offset}, prior {label}", got, ref, abs_tol=1e-8 + 1e-10 * abs(ref)))
    return out


def _spams(tmp):
    """SPAMS (the weather baseline's model) on constant weather, where it has a closed form: P = 2 and
    E = 1 mm/day, τ = 10 d. Wet (x_e = x_p = 0.5): rev = 10 (2 − 1) 0.5 mm = 5 mm, no dry day. Dry
    (x_e = 1.5): rev = 10 (1 − 1.5) mm = −5 mm and every day counts: u = −5 mm + x_i (t − t0)."""
    from subsidence.shallow.forcing import DailySeries
    from subsidence.shallow.spams import spams_series

    mm = 1e-3 / 86400.0
    days = np.datetime64("2015-01-01", "D") + np.arange(200).astype("timedelta64[D]")
    P, E = DailySeries(days, np.full(200, 2.0 * mm)), DailySeries(days, np.full(200, 1.0 * mm))
    dates = np.datetime64("2015-02-01", "D") + np.array([0, 30, 120]).astype("timedelta64[D]")
    wet = spams_series(P, E, dates, tau_days=10, x_p=0.5, x_e=0.5, x_i=-2e-5)
    dry = spams_series(P, E, dates, tau_days=10, x_p=0.5, x_e=1.5, x_i=-2e-5)
    out = [Check(f"wet: u at day {d}", float(w) * 1e3, 5.0, abs_tol=1e-9, unit="mm") for d, w in zip((0, 30, 120), wet)]
    out += [Check(f"dry: u at day {d}", float(v) * 1e3, -5.0 - 2e-2 * d, abs_tol=1e-9, unit="mm")
            for d, v in zip((0, 30, 120), dry)]
    return out


BENCHMARKS = [
    Benchmark("esmda-linear-gaussian", "ES-MDA, 4 assimilations, 20 000 members, 2 parameters, 4 data",
              "tests/calibration/test_esmda.py::linear_gaussian_case", "closed-form Gaussian posterior",
              "docs/calibration.md", _linear_gaussian),
    Benchmark("calibration-log-evidence", "marginal likelihood ln N(r; Bμ, C' + BΣBᵀ), 6 points × 9 epochs, "
              "2 per-point terms correlated in space, time offsets per point and none",
              "subsidence.calibration.linear PointTerms.log_evidence",
              "dense multivariate normal log-density (scipy.stats)", "docs/calibration.md", _log_evidence),
    Benchmark("spams-constant-weather", "SPAMS (the empirical weather baseline of calibrate), constant rain and "
              "evaporation, τ 10 d, wet and dry evaporation factors, 3 dates",
              "subsidence.shallow.spams.spams_series", "closed form on constant weather", "docs/calibration.md", _spams),
]
