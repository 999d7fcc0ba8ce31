"""The observation-error covariance of a calibration, as an operator.

Data: m points × n epochs of one InSAR product, complete series. The noise model of the
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
