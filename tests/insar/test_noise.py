"""The noise-weighted misfit: exact against a dense covariance, with and without referencing."""

import numpy as np
import pytest

from subsidence.insar.noise import DUTCH_S1, NoiseModel, chi2, chi2_diagonal, reference_matrix


def _dense(noise, R, x, y, t, re, rp):
    m, n = R.shape
    At, _ = reference_matrix(n, re)
    As, _ = reference_matrix(m, rp)
    A = np.kron(At, As)
    C = A @ noise.covariance(x, y, t) @ A.T
    r = A @ R.T.reshape(-1)  # epoch-major
    return r @ np.linalg.solve(C, r), np.trace(C) / len(r), np.linalg.slogdet(C)[1], len(r)


@pytest.mark.parametrize("re,rp", [(None, None), ([0], None), ([3], [2]), ([0], [1, 4, 6])])
def test_kronecker_chi2_equals_dense(re, rp):
    rng = np.random.default_rng(0)
    m, n = 10, 8
    x, y = rng.uniform(0, 3e3, m), rng.uniform(0, 3e3, m)
    t = np.sort(rng.uniform(0, 3, n))
    R = rng.normal(size=(m, n)) * 3e-3
    if re:
        R = R - R[:, re].mean(1, keepdims=True)
    if rp:
        R = R - R[rp].mean(0, keepdims=True)
    c2, tr, logdet, N = _dense(DUTCH_S1, R, x, y, t, re, rp)
    out = chi2(DUTCH_S1, R, x, y, t, ref_epochs=re, ref_points=rp)
    assert out["chi2"] == pytest.approx(c2, rel=1e-9)
    assert out["n"] == N
    assert out["expected_rmse_m"] ** 2 == pytest.approx(tr, rel=1e-12)
    assert 2 * out["neg_log_likelihood"] - out["chi2"] - N * np.log(2 * np.pi) == pytest.approx(logdet, rel=1e-9)


def test_sampled_noise_has_the_model_covariance():
    rng = np.random.default_rng(1)
    x, y, t = np.array([0.0, 500.0, 3000.0]), np.array([0.0, 0.0, 0.0]), np.array([0.0, 0.3, 2.0])
    nm = NoiseModel(white_var=4e-6, spatial_var=3e-6, spatial_range=1000.0, temporal_var=2e-6, temporal_range=0.5)
    E = np.stack([nm.sample(x, y, t, rng).T.reshape(-1) for _ in range(8000)])
    C = np.cov(E.T)
    np.testing.assert_allclose(C, nm.covariance(x, y, t), atol=6e-7)  # ~4 standard errors (8000 samples)


def test_product_sigma_with_reference_epoch():
    # one point, σ per point, referenced to epoch 0: covariance σ²(I + 11ᵀ) over the others
    sig = 2e-3
    r = np.array([[np.nan, 1e-3, -2e-3, 4e-3]])
    out = chi2_diagonal(r, np.array([sig]), referenced_epoch=True)
    C = sig**2 * (np.eye(3) + np.ones((3, 3)))
    v = r[0, 1:]
    assert out["chi2"] == pytest.approx(v @ np.linalg.solve(C, v))


@pytest.mark.parametrize("rp", [None, [2], [1, 4, 6]])
def test_kronecker_chi2_with_per_point_offset_equals_dense(rp):
    """Per-point offset removed: the time map is P_t = I − 11ᵀ/n (one redundant row dropped)."""
    from subsidence.insar.noise import demean_matrix

    rng = np.random.default_rng(2)
    m, n = 9, 7
    x, y = rng.uniform(0, 3e3, m), rng.uniform(0, 3e3, m)
    t = np.sort(rng.uniform(0, 3, n))
    R = rng.normal(size=(m, n)) * 3e-3
    R = R - R.mean(1, keepdims=True)
    if rp:
        R = R - R[rp].mean(0, keepdims=True)
    At, _ = demean_matrix(n)
    np.testing.assert_allclose(At, (np.eye(n) - np.ones((n, n)) / n)[:-1])
    As, _ = reference_matrix(m, rp)
    A = np.kron(At, As)
    C = A @ DUTCH_S1.covariance(x, y, t) @ A.T
    r = A @ R.T.reshape(-1)
    out = chi2(DUTCH_S1, R, x, y, t, ref_epochs=[0], ref_points=rp, per_point_offset=True)  # the offset subsumes the epoch
    assert out["chi2"] == pytest.approx(r @ np.linalg.solve(C, r), rel=1e-9)
    assert out["n"] == len(r) == (n - 1) * (m - (1 if rp else 0))
    assert 2 * out["neg_log_likelihood"] - out["chi2"] - len(r) * np.log(2 * np.pi) == pytest.approx(np.linalg.slogdet(C)[1], rel=1e-9)


def test_product_sigma_with_per_point_offset():
    # σ per value, a free constant per point: χ² = min_c Σ (r − c)²/σ², N one fewer per point
    rng = np.random.default_rng(3)
    r = rng.normal(size=(2, 6)) * 1e-3
    sig = rng.uniform(1e-3, 3e-3, (2, 6))
    r[1, 2] = np.nan
    out = chi2_diagonal(r, sig, referenced_epoch=True, per_point_offset=True)
    ref = 0.0
    for i in range(2):
        k = np.isfinite(r[i])
        w = 1 / sig[i, k] ** 2
        c = np.sum(w * r[i, k]) / w.sum()
        ref += np.sum(w * (r[i, k] - c) ** 2)
    assert out["chi2"] == pytest.approx(ref, rel=1e-12)
    assert out["n"] == 11 - 2
