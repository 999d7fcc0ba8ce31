"""Spatio-temporal noise model and the noise-weighted misfit.

Covariance of the displacement noise of m points at n epochs (vector ordered epoch-major)::

    C = σ0² I + σs² (I_n ⊗ S) + σt² (T ⊗ I_m),   S_ij = exp(−d_ij / Rs),  T_kl = exp(−|t_k − t_l| / Rt)

(white + exponential in space + exponential in time; Dutch Sentinel-1 values in
:data:`DUTCH_S1`). Referencing is a linear map A = A_t ⊗ A_s (subtract the reference epoch;
subtract the reference-area mean), so the referenced residual has C' = A C Aᵀ =
Pt ⊗ (σ0² Ps + σs² Bs) + σt² Qt ⊗ Ps with Pt = A_t A_tᵀ, Qt = A_t T A_tᵀ, Ps = A_s A_sᵀ,
Bs = A_s S A_sᵀ. Two generalized symmetric eigenproblems (time: Qt v = μ Pt v; space:
(σ0² Ps + σs² Bs) u = β Ps u) diagonalise C' exactly:

    χ² = rᵀ C'⁻¹ r = Σ_ij (Vᵀ R U)_ij² / (β_j + σt² μ_i)

for the residual matrix R (epochs × points). Cost O(n³ + m³), memory O(n² + m²).
"""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy import linalg


@dataclasses.dataclass(frozen=True)
class NoiseModel:
    """Variances in m², ranges in m and years."""

    white_var: float
    spatial_var: float = 0.0
    spatial_range: float = 1.0
    temporal_var: float = 0.0
    temporal_range: float = 1.0

    @property
    def total_sigma(self) -> float:
        """1-σ of one (unreferenced) value."""
        return float(np.sqrt(self.white_var + self.spatial_var + self.temporal_var))

    def describe(self) -> dict:
        return {"white_sigma_mm": 1e3 * np.sqrt(self.white_var), "spatial_sigma_mm": 1e3 * np.sqrt(self.spatial_var),
                "spatial_range_km": self.spatial_range / 1e3, "temporal_sigma_mm": 1e3 * np.sqrt(self.temporal_var),
                "temporal_range_yr": self.temporal_range}

    def covariance(self, x, y, t) -> np.ndarray:
        """Dense C (n·m × n·m), epoch-major; for checks and sampling of small problems."""
        S = np.exp(-_dist(x, y) / self.spatial_range)
        T = np.exp(-np.abs(np.subtract.outer(t, t)) / self.temporal_range)
        m, n = len(x), len(t)
        return self.white_var * np.eye(n * m) + self.spatial_var * np.kron(np.eye(n), S) + self.temporal_var * np.kron(T, np.eye(m))

    def sample(self, x, y, t, rng) -> np.ndarray:
        """One noise realisation (m points, n epochs) → (m, n), via the Kronecker factors."""
        m, n = len(x), len(t)
        S = np.exp(-_dist(x, y) / self.spatial_range)
        T = np.exp(-np.abs(np.subtract.outer(t, t)) / self.temporal_range)
        Ls = np.linalg.cholesky(S + 1e-12 * np.eye(m))
        Lt = np.linalg.cholesky(T + 1e-12 * np.eye(n))
        e = np.sqrt(self.white_var) * rng.standard_normal((n, m))
        e += np.sqrt(self.spatial_var) * (Ls @ rng.standard_normal((m, n))).T
        e += np.sqrt(self.temporal_var) * (Lt @ rng.standard_normal((n, m)))
        return e.T


#: Dutch Sentinel-1 noise model (REFERENCES.md): σ0² = 9.49, σs² = 4.96, σt² = 4.53 mm², Rs = 1.09 km, Rt = 0.70 yr
DUTCH_S1 = NoiseModel(white_var=9.49e-6, spatial_var=4.96e-6, spatial_range=1090.0, temporal_var=4.53e-6, temporal_range=0.70)


def _dist(x, y):
    x, y = np.asarray(x, float), np.asarray(y, float)
    return np.hypot(np.subtract.outer(x, x), np.subtract.outer(y, y))


def reference_matrix(size: int, ref_idx, *, drop: bool = True):
    """A (k × size) map subtracting the mean over ``ref_idx`` from every entry; with ``drop``
    the rows that become linearly dependent (one per reference set) are removed.

    ``ref_idx`` None → identity."""
    if ref_idx is None or len(ref_idx) == 0:
        return np.eye(size), np.arange(size)
    A = np.eye(size)
    w = np.zeros(size)
    w[np.asarray(ref_idx)] = 1.0 / len(ref_idx)
    A -= w[None, :]
    keep = np.ones(size, bool)
    keep[np.asarray(ref_idx)[-1]] = False  # the referenced values sum to zero over the set
    return A[keep], np.flatnonzero(keep)


def chi2(noise: NoiseModel, R, x, y, t, *, ref_epochs=None, ref_points=None) -> dict:
    """Noise-weighted misfit of an already-referenced residual ``R`` (m points × n epochs).

    ``ref_epochs``/``ref_points``: indices used for referencing (None = not referenced).
    Rows/columns that referencing made redundant are dropped. Returns χ², the number of
    independent values N, χ²/N, the expected RMSE of a perfect model (√(tr C'/N)) and
    −½ log-likelihood.
    """
    R = np.asarray(R, float)
    m, n = R.shape
    At, kt = reference_matrix(n, ref_epochs)
    As, ks = reference_matrix(m, ref_points)
    T = np.exp(-np.abs(np.subtract.outer(t, t)) / noise.temporal_range)
    S = np.exp(-_dist(x, y) / noise.spatial_range)
    Pt, Qt = At @ At.T, At @ T @ At.T
    Ps, Bs = As @ As.T, As @ S @ As.T
    mu, V = linalg.eigh(Qt, Pt)
    beta, U = linalg.eigh(noise.white_var * Ps + noise.spatial_var * Bs, Ps)
    D = beta[None, :] + noise.temporal_var * mu[:, None]
    Rk = R[np.ix_(ks, kt)].T  # (n', m') epoch × point
    Z = V.T @ Rk @ U
    c2 = float(np.sum(Z * Z / D))
    N = Rk.size
    trace = float(np.trace(Pt) * np.trace(noise.white_var * Ps + noise.spatial_var * Bs) + noise.temporal_var * np.trace(Qt) * np.trace(Ps))
    logdet = float(np.sum(np.log(D)) + Rk.shape[1] * np.linalg.slogdet(Pt)[1] + Rk.shape[0] * np.linalg.slogdet(Ps)[1])
    return {"chi2": c2, "n": N, "chi2_per_value": c2 / N, "expected_rmse_m": float(np.sqrt(trace / N)),
            "neg_log_likelihood": 0.5 * (c2 + logdet + N * np.log(2 * np.pi))}


def chi2_diagonal(R, sigma, *, referenced_epoch: bool) -> dict:
    """χ² with the product's own 1-σ per point (m,) or per value (m, n). With a subtracted
    reference epoch the referenced noise of a point is σ²(I + 11ᵀ) over the other epochs
    (Sherman–Morrison: rᵀ(I+11ᵀ)⁻¹r = |r|² − (Σr)²/(n+1)); with a σ per value the
    values are treated as independent."""
    R = np.asarray(R, float)
    sig = np.asarray(sigma, float)
    ok = np.isfinite(R)
    per_point = sig.ndim == 1
    if per_point:
        sig = np.broadcast_to(sig[:, None], R.shape)
    ok &= np.isfinite(sig) & (sig > 0)
    Rz = np.where(ok, R / np.where(ok, sig, 1.0), 0.0)
    c2 = np.sum(Rz**2, axis=1)
    if referenced_epoch and per_point:
        k = ok.sum(axis=1)
        c2 = c2 - np.sum(Rz, axis=1) ** 2 / (k + 1)
    N = int(ok.sum())
    return {"chi2": float(c2.sum()), "n": N, "chi2_per_value": float(c2.sum() / max(N, 1))}
