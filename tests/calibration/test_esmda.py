"""ES-MDA and the calibration's noise operator against closed forms."""

import numpy as np
import pytest

from subsidence.calibration import esmda
from subsidence.calibration.noise import ProjectedNoise, time_projection
from subsidence.calibration.priors import Prior
from subsidence.insar.noise import NoiseModel


class DiagNoise:
    def __init__(self, var):
        self.var = np.asarray(var, float)

    def solve(self, R):
        return R / self.var

    def sample(self, rng, n):
        return rng.standard_normal((n,) + self.var.shape) * np.sqrt(self.var)


def linear_gaussian_case(members=20000, assimilations=4, seed=1):
    """Hand-worked case: d = G m + e, m ~ N(μ, P), e ~ N(0, R). The exact posterior is
    P_post = (P⁻¹ + GᵀR⁻¹G)⁻¹, μ_post = P_post (P⁻¹μ + GᵀR⁻¹d), whatever the number of
    assimilations. Returns (exact mean, exact covariance, ES-MDA ensemble)."""
    G = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0], [0.5, -1.0]])
    mu, P = np.array([1.0, -0.5]), np.array([[1.0, 0.3], [0.3, 0.5]])
    var = np.array([0.2, 0.3, 0.25, 0.4])
    d = np.array([1.4, 0.2, -0.6, 1.3])
    Pp = np.linalg.inv(np.linalg.inv(P) + G.T @ np.diag(1 / var) @ G)
    mp = Pp @ (np.linalg.solve(P, mu) + G.T @ (d / var))
    rng = np.random.default_rng(seed)
    M = rng.multivariate_normal(mu, P, size=members).T
    noise = DiagNoise(var)
    for a in esmda.inflation(assimilations):
        M = esmda.update(M, (G @ M).T, d, noise, a, rng)
    return mp, Pp, M


def test_two_parameter_linear_gaussian_posterior():
    """ES-MDA (4 assimilations, 20 000 members) against the exact linear-Gaussian posterior: the
    mean within 3 % of a posterior sd, the covariance within 5 %."""
    mp, Pp, M = linear_gaussian_case()
    sd = np.sqrt(np.diag(Pp))
    assert np.all(np.abs(M.mean(1) - mp) < 0.03 * sd)
    assert np.allclose(np.cov(M), Pp, rtol=0.05, atol=0.02 * sd.max() ** 2)


def test_both_orders_of_the_update_agree():
    """Few data and many members solve the n_d × n_d system, many data the N × N one: same update."""
    rng = np.random.default_rng(3)
    M = rng.standard_normal((3, 50))
    D = rng.standard_normal((50, 6))
    noise = DiagNoise(np.full(6, 0.5))
    E = noise.sample(np.random.default_rng(9), 50)
    a = esmda.update(M, D, np.zeros(6), noise, 2.0, None, perturbations=E)  # n_d = 6 < N = 50
    b = esmda.update(M[:, :5], D[:5], np.zeros(6), noise, 2.0, None, perturbations=E[:5])  # N = 5 < n_d
    # reference: the textbook formula with dense matrices
    for MM, DD, EE, got in ((M, D, E, a), (M[:, :5], D[:5], E[:5], b)):
        n = MM.shape[1]
        dM, dD = MM - MM.mean(1, keepdims=True), DD - DD.mean(0, keepdims=True)
        Cmd, Cdd = dM @ dD / (n - 1), dD.T @ dD / (n - 1)
        ref = MM + Cmd @ np.linalg.solve(Cdd + 2.0 * np.diag(noise.var), (np.sqrt(2.0) * EE - DD).T)
        assert np.allclose(got, ref, atol=1e-12)


def test_inflation_sums_to_one():
    for kind in ("equal", "geometric"):
        a = esmda.inflation(4, kind)
        assert np.isclose(np.sum(1 / a), 1.0)
    assert esmda.inflation(4, "geometric")[0] > esmda.inflation(4, "geometric")[-1]


@pytest.mark.parametrize("offset", ["per-point", "none"])
def test_projected_noise_equals_dense(offset):
    rng = np.random.default_rng(0)
    m, n = 7, 9
    x, y = rng.uniform(0, 3000, m), rng.uniform(0, 3000, m)
    t = np.sort(rng.uniform(0, 3, n))
    nm = NoiseModel(white_var=4e-6, spatial_var=2e-6, spatial_range=1000.0, temporal_var=3e-6, temporal_range=0.5)
    A = time_projection(n, offset=offset)
    op = ProjectedNoise(nm, x, y, t, A)
    C = nm.covariance(x, y, t)  # epoch-major
    At = np.kron(A, np.eye(m))
    Cp = At @ C @ At.T
    assert np.allclose(op.dense(), Cp, rtol=1e-9, atol=1e-18)
    R = rng.standard_normal(op.shape) * 1e-3
    assert np.isclose(op.chi2(R), R.ravel() @ np.linalg.solve(Cp, R.ravel()), rtol=1e-9)
    assert np.isclose(op.logdet, np.linalg.slogdet(Cp)[1], rtol=1e-9)
    assert np.isclose(op.trace, np.trace(Cp), rtol=1e-9)
    E = op.sample(np.random.default_rng(2), 20000).reshape(20000, -1)
    assert np.allclose(np.cov(E.T), Cp, atol=0.05 * np.max(np.diag(Cp)))
    # the projection of a per-point constant vanishes with the per-point offset
    D = np.ones((m, n)) * rng.standard_normal((m, 1))
    if offset == "per-point":
        assert np.allclose(op.project(D), 0)


@pytest.mark.parametrize("kind,args", [("normal", (2.0, 0.5)), ("lognormal", (3.0, 0.4)), ("uniform", (1.0, 4.0)),
                                       ("truncated-normal", (1.0, 2.0, 0.0, 3.0))])
def test_prior_normal_scores(kind, args):
    p = Prior(kind, *args)
    z = np.random.default_rng(0).standard_normal(200000)
    x = p.from_z(z)
    assert np.allclose(p.to_z(x), z, atol=1e-6)
    if kind == "uniform":
        assert x.min() >= 1.0 and x.max() <= 4.0 and abs(x.mean() - 2.5) < 0.01
    if kind == "truncated-normal":
        assert x.min() >= 0.0 and x.max() <= 3.0
    if kind == "lognormal":
        assert abs(np.median(x) - 3.0) < 0.02
    if kind == "normal":
        assert abs(x.mean() - 2.0) < 0.01 and abs(x.std() - 0.5) < 0.01
