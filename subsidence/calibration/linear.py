"""Per-point parameters that enter the observations linearly, handled exactly.

A per-point term k adds ``up_i · a_k(t) · v_ki`` to the observed component of point i (``up_i``:
the sensitivity of that component to vertical motion, ``a_k(t)`` a time function common to all
points: t − t₀ for a background rate). With the Gaussian prior v ~ N(μ, Σ) (Σ = σ² exp(−d/L)
+ s_μ² 11ᵀ per term: spread between points, spatial correlation, and the uncertain common mean
of a hierarchical prior), the projected data of a member with global parameters θ are

    d = P g(θ) + B v + e,     e ~ N(0, C'),

so that, exactly,

- marginally over v: d ~ N(P g(θ) + B μ, C' + B Σ Bᵀ) — the likelihood the ES-MDA update of θ
  uses (:class:`MarginalNoise`, by Woodbury: only C'⁻¹ and a Km × Km system are needed);
- given θ: v | d ~ N(μ + Π Bᵀ C'⁻¹ (d − P g − B μ), Π), Π = (Σ⁻¹ + Bᵀ C'⁻¹ B)⁻¹
  (:meth:`PointTerms.condition`), drawn once per member.

With C' = (W ⊗ U) Λ (W ⊗ U)ᵀ (:class:`~subsidence.calibration.noise.ProjectedNoise`) and B's
columns ã_k ⊗ up_i e_i, Bᵀ C'⁻¹ B = diag(up) U diag(G_kl) Uᵀ diag(up) per pair of terms, with
G_kl,q = Σ_p (Vᵀã_k)_p (Vᵀã_l)_p / Λ_pq: O(K² m³), no n_d × n_d matrix.
"""

from __future__ import annotations

import numpy as np


class PointTerms:
    """K per-point terms on m points; ``a``: (K, n) time functions on the calibration epochs."""

    def __init__(self, noise, a, up, mean, cov):
        self.noise = noise
        self.a = np.atleast_2d(np.asarray(a, float))
        self.K = self.a.shape[0]
        self.up = np.asarray(up, float)
        self.m = self.up.size
        self.mu = np.asarray(mean, float).reshape(self.K * self.m)
        self.Sigma = np.asarray(cov, float)  # (Km, Km)
        self.at = noise.A @ self.a.T  # projected time functions (n', K)
        beta = noise.V.T @ self.at  # (n', K)
        m, K = self.m, self.K
        H = np.zeros((K * m, K * m))
        Uu = noise.U * self.up[:, None]
        for k in range(K):
            for l in range(K):
                g = np.sum(beta[:, k:k + 1] * beta[:, l:l + 1] / noise.lam, axis=0)  # (m,) over the space modes
                H[k * m:(k + 1) * m, l * m:(l + 1) * m] = (Uu * g) @ Uu.T
        if getattr(noise, "k", 0):  # missing values marginalised (GappyNoise): Bᵀ Q_gap B
            H = H - self._missing_correction(noise)
        self.H = H
        Sinv = np.linalg.inv(self.Sigma)
        self.Pi = np.linalg.inv(Sinv + H)
        self.Pi = 0.5 * (self.Pi + self.Pi.T)
        self.L_pi = np.linalg.cholesky(self.Pi + 1e-30 * np.eye(K * m))
        self.L_sigma = np.linalg.cholesky(self.Sigma)

    def _missing_correction(self, noise, batch: int = 256):
        """(Fᵀ Q B)ᵀ (Fᵀ Q F)⁻¹ (Fᵀ Q B) of :class:`~subsidence.calibration.noise.GappyNoise`: what the
        missing values take from Bᵀ Q B (Q applied to B's K·m columns, a batch at a time)."""
        from scipy import linalg

        from subsidence.calibration.noise import unit_batches

        n = self.K * self.m
        FQB = np.zeros((noise.k, n))
        for idx, E in unit_batches(n, batch):
            FQB[:, idx] = noise.pick(noise.base.solve(self.design(E))).T
        return FQB.T @ linalg.cho_solve(noise.L, FQB)

    def design(self, v):
        """B v: projected data (..., n', m) of per-point values v (..., K·m)."""
        v = np.asarray(v, float).reshape(v.shape[:-1] + (self.K, self.m))
        return np.einsum("nk,...km->...nm", self.at, v * self.up)

    def adjoint(self, R):
        """Bᵀ R for projected data R (..., n', m) → (..., K·m)."""
        out = np.einsum("nk,...nm->...km", self.at, R) * self.up
        return out.reshape(out.shape[:-2] + (self.K * self.m,))

    def condition(self, r, rng=None):
        """Posterior mean (and a draw, with ``rng``) of v given the residual r = d − P g (..., n', m)."""
        rr = r - self.design(self.mu)
        mean = self.mu + np.einsum("ij,...j->...i", self.Pi, self.adjoint(self.noise.solve(rr)))
        if rng is None:
            return mean
        return mean + np.einsum("ij,...j->...i", self.L_pi, rng.standard_normal(mean.shape))

    def log_evidence(self, r, Sigma=None) -> float:
        """ln N(r; B μ, C' + B Σ Bᵀ) of projected data r (n', m): the marginal likelihood of the
        per-point prior (``Sigma``, default the one given), with the per-point values integrated
        out. By the matrix determinant lemma and Woodbury, through Σ⁻¹ + BᵀC'⁻¹B only:
        ln det(C' + BΣBᵀ) = ln det C' + ln det Σ + ln det(Σ⁻¹ + H), and the quadratic form
        r̃ᵀC'⁻¹r̃ − bᵀ(Σ⁻¹ + H)⁻¹b with b = BᵀC'⁻¹r̃, r̃ = r − Bμ."""
        from scipy import linalg

        Sigma = self.Sigma if Sigma is None else np.asarray(Sigma, float)
        rr = np.asarray(r, float) - self.design(self.mu)
        S = self.noise.solve(rr)
        b = self.adjoint(S)
        Ls = linalg.cho_factor(Sigma, lower=True)
        M = linalg.cho_solve(Ls, np.eye(Sigma.shape[0])) + self.H
        Lm = linalg.cho_factor(0.5 * (M + M.T), lower=True)
        quad = float(np.sum(rr * S) - b @ linalg.cho_solve(Lm, b))
        logdet = (self.noise.logdet + 2 * np.sum(np.log(np.diag(Ls[0]))) + 2 * np.sum(np.log(np.diag(Lm[0]))))
        return -0.5 * (quad + logdet + rr.size * np.log(2 * np.pi))

    def prior_draws(self, rng, count: int) -> np.ndarray:
        return (self.mu[:, None] + self.L_sigma @ rng.standard_normal((self.K * self.m, count))).T


class MarginalNoise:
    """C' + B Σ Bᵀ: the observation noise of the global update with the per-point terms integrated out."""

    def __init__(self, terms: PointTerms):
        self.t = terms
        self.base = terms.noise
        self.shape = self.base.shape
        self.size = self.base.size
        self.k = getattr(self.base, "k", 0)  # missing values marginalised (GappyNoise)

    def solve(self, R):
        S = self.base.solve(R)
        y = np.einsum("ij,...j->...i", self.t.Pi, self.t.adjoint(S))
        return S - self.base.solve(self.t.design(y))

    def sample(self, rng, count: int):
        e = self.base.sample(rng, count)
        return e + self.t.design((self.t.L_sigma @ rng.standard_normal((self.t.K * self.t.m, count))).T)

    def chi2(self, R):
        R = np.asarray(R, float)
        return np.einsum("...km,...km->...", R, self.solve(R))
