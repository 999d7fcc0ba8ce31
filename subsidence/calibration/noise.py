"""The observation-error covariance of a calibration, as an operator.

Data: m points × n epochs of one InSAR product, complete series (missing values: :class:`GappyNoise`
marginalises them exactly on top of :class:`ProjectedNoise`). The noise model of the
validation work (white + exponential in space + exponential in time, :class:`NoiseModel`)
gives C = σ0² I + σs² (I_n ⊗ S) + σt² (T ⊗ I_m). The calibration compares *time-projected*
series: ``A`` (n' × n) acting on each point's series removes what the observation model
leaves free —

- ``offset = "per-point"``: each point's mean (A = I − 11ᵀ/n, one redundant row dropped).
  This marginalises an unknown constant offset per point exactly (flat prior), so no result
  hangs on the one noisy epoch at which a product is zero;
- ``offset = "none"``: the value at the reference epoch (the data's own referencing).

The projected noise C' = Pt ⊗ (σ0² I + σs² S) + σt² Qt ⊗ I, Pt = AAᵀ, Qt = ATAᵀ, is diagonalised
by one generalized eigenproblem in time (Qt v = μ Pt v, Vᵀ Pt V = I) and one ordinary
eigenproblem in space ((σ0² I + σs² S) u = β u): C'⁻¹ = (V ⊗ U) Λ⁻¹ (V ⊗ U)ᵀ with
Λ = β_j + σt² μ_i. Data are handled as matrices (n' epochs × m points).
"""

from __future__ import annotations

import numpy as np
from scipy import linalg

from subsidence.insar.noise import NoiseModel, reference_matrix


def time_projection(n: int, *, offset: str, ref_epoch: int = 0) -> np.ndarray:
    if offset == "per-point":
        A, _ = reference_matrix(n, np.arange(n))
        return A
    A, _ = reference_matrix(n, [ref_epoch])
    return A


class ProjectedNoise:
    """C' for m points at (x, y) and epochs t (years), projected in time by ``A``."""

    def __init__(self, model: NoiseModel, x, y, t, A: np.ndarray):
        self.model = model
        self.A = np.asarray(A, float)
        t = np.asarray(t, float)
        x, y = np.asarray(x, float), np.asarray(y, float)
        T = np.exp(-np.abs(np.subtract.outer(t, t)) / model.temporal_range)
        d = np.hypot(np.subtract.outer(x, x), np.subtract.outer(y, y))
        Cs = model.white_var * np.eye(x.size) + model.spatial_var * np.exp(-d / model.spatial_range)
        Pt, Qt = self.A @ self.A.T, self.A @ T @ self.A.T
        self.mu, self.V = linalg.eigh(Qt, Pt)
        self.beta, self.U = linalg.eigh(Cs)
        self.lam = self.beta[None, :] + model.temporal_var * self.mu[:, None]  # (n', m)
        self.W = np.linalg.inv(self.V).T  # C' = (W ⊗ U) Λ (W ⊗ U)ᵀ
        self.shape = (self.A.shape[0], x.size)
        self.logdet = float(np.sum(np.log(self.lam)) + x.size * np.linalg.slogdet(Pt)[1])
        self.trace = float(np.trace(Pt) * np.trace(Cs) + model.temporal_var * np.trace(Qt) * x.size)

    @property
    def size(self) -> int:
        return self.shape[0] * self.shape[1]

    def project(self, D):
        """Series (m points × n epochs, or a stack (..., m, n)) → projected data (..., n', m)."""
        return np.matmul(self.A, np.swapaxes(np.asarray(D, float), -1, -2))

    def solve(self, R):
        """C'⁻¹ r for projected data R (..., n', m)."""
        Z = (self.V.T @ np.asarray(R, float) @ self.U) / self.lam
        return self.V @ Z @ self.U.T

    def sample(self, rng, count: int):
        """``count`` draws of N(0, C'), shape (count, n', m)."""
        Z = rng.standard_normal((count,) + self.shape) * np.sqrt(self.lam)
        return self.W @ Z @ self.U.T

    def chi2(self, R) -> np.ndarray:
        R = np.asarray(R, float)
        return np.einsum("...km,...km->...", R, self.solve(R))

    def dense(self) -> np.ndarray:
        """C' as a dense matrix, epoch-major like the data vector R.ravel(); for tests."""
        F = np.kron(self.W, self.U)
        return F @ np.diag(self.lam.ravel()) @ F.T


def unit_batches(n: int, batch: int):
    """The n unit vectors, ``batch`` at a time: (indices, rows of the identity (b, n))."""
    for s in range(0, n, batch):
        q = np.arange(s, min(s + batch, n))
        E = np.zeros((q.size, n))
        E[np.arange(q.size), q] = 1.0
        yield q, E


class GappyNoise:
    """C' of :class:`ProjectedNoise` with missing values marginalised (``[calibration] gaps =
    "marginalise"``).

    A value missing at point i and epoch j is a direction f = (A e_j) ⊗ e_i of the projected data
    about which nothing is known: its variance is infinite. With F the k such directions and
    Q = C'⁻¹ the precision of complete data, the limit of (C' + λ F Fᵀ)⁻¹ as λ → ∞ is (Woodbury)

        Q_gap = Q − Q F (Fᵀ Q F)⁻¹ Fᵀ Q,        Q_gap F = 0,

    so whatever the data hold at the missing entries (they are set to 0 before the projection)
    drops out of every solve and χ², and the Gaussian integral over the missing values gives the
    log-determinant ln det C' + ln det(Fᵀ Q F): the exact likelihood of the observed values with
    the per-point offset marginalised. Only k applications of Q (to the directions, in batches)
    and a k × k factorisation are needed; Fᵀ y is read off Aᵀ y at the missing entries, and Q F z is
    one solve. ``size`` counts the observed degrees of freedom (n'm − k), so χ²/size is ≈ 1 for a
    perfect model, and ``trace`` is scaled to them (the expected RMSE of a perfect model stays the
    complete data's)."""

    #: the most missing values handled (a k × k system); more are an error that says what to do
    MAX_MISSING = 6000

    def __init__(self, base: ProjectedNoise, missing: np.ndarray, *, batch: int = 256):
        self.base = base
        self.missing = np.asarray(missing, bool)  # (m, n) at the calibration epochs
        n = self.base.A.shape[1]
        if self.missing.shape != (base.shape[1], n):
            raise ValueError(f"missing-value mask {self.missing.shape} is not points × epochs {(base.shape[1], n)}")
        self.j, self.i = np.nonzero(self.missing.T)  # epoch, point of each missing value (epoch-major)
        self.k = int(self.j.size)
        if self.k > self.MAX_MISSING:
            raise ValueError(f"{self.k} missing values: at most {self.MAX_MISSING} can be marginalised")
        self.A, self.V, self.U, self.lam, self.W = base.A, base.V, base.U, base.lam, base.W
        self.shape = base.shape
        self.size = base.size - self.k
        self.trace = base.trace * self.size / base.size
        M = np.zeros((self.k, self.k))
        for q, E in unit_batches(self.k, batch):  # Fᵀ Q F, a batch of directions at a time (Q F is n'·m·k numbers)
            M[q] = self.pick(base.solve(self.spread(E)))
        self.M = 0.5 * (M + M.T)
        self.L = linalg.cho_factor(self.M, lower=True) if self.k else None
        self.logdet = base.logdet + (2.0 * float(np.sum(np.log(np.diag(self.L[0])))) if self.k else 0.0)

    def pick(self, Y):
        """Fᵀ y for projected arrays Y (..., n', m) → (..., k): (Aᵀ y) at the missing entries."""
        AtY = np.swapaxes(self.A.T @ np.asarray(Y, float), -1, -2)  # (..., m, n)
        return AtY[..., self.i, self.j]

    def spread(self, z):
        """F z for coefficients z (..., k) → projected arrays (..., n', m)."""
        z = np.asarray(z, float)
        Z = np.zeros(z.shape[:-1] + (self.base.shape[1], self.A.shape[1]))
        Z[..., self.i, self.j] = z
        return np.matmul(self.A, np.swapaxes(Z, -1, -2))

    def project(self, D):
        """As :meth:`ProjectedNoise.project`, the missing values (NaN) set to 0 first (they drop out)."""
        return self.base.project(np.nan_to_num(np.asarray(D, float), nan=0.0))

    def solve(self, R):
        S = self.base.solve(R)
        if not self.k:
            return S
        z = linalg.cho_solve(self.L, np.moveaxis(self.pick(S), -1, 0))
        return S - self.base.solve(self.spread(np.moveaxis(z, 0, -1)))

    def sample(self, rng, count: int):
        """Draws of N(0, C'): their components along the missing directions drop out of every solve."""
        return self.base.sample(rng, count)

    def chi2(self, R) -> np.ndarray:
        R = np.asarray(R, float)
        return np.einsum("...km,...km->...", R, self.solve(R))
