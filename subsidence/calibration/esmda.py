"""Ensemble smoother with multiple data assimilation (ES-MDA; Emerick & Reynolds 2013).

The state (one column per member) holds Gaussian variables: the normal scores of the global
parameters and the per-point parameters. Each of the N_a assimilations uses inflation α_k
with Σ 1/α_k = 1 and updates every member j

    m_j ← m_j + C_MD (C_DD + α C_D)⁻¹ (d_obs + √α e_j − d_j),   e_j ~ N(0, C_D),

with C_MD, C_DD from the ensemble anomalies. The n_d × n_d system is never formed: with
U = ΔD/√(N−1) and A = α C_D, Woodbury gives (UUᵀ + A)⁻¹ U = A⁻¹U G⁻¹, G = I + UᵀA⁻¹U (N × N),
so only C_D⁻¹ applied to N vectors is needed (``noise.solve``). With few data and many members
the n_d × n_d system is the smaller one and is solved instead.

For a linear model and Gaussian prior and noise, ES-MDA with an infinite ensemble returns
the exact posterior (tested against the closed form).

**Localisation** (per-point parameters in the state): a row of the state that belongs to point
p may be updated only from the data of nearby points, K_loc = ρ ∘ K with ρ_(row, (t, l)) =
ρ(p, l) (a taper over the data's last axis, the points; Emerick & Reynolds 2011 localise the gain
this way). Spurious ensemble correlations between a point's value and far points' data are then
cut; where a parameter acts on its own point's data only and the prior and noise do not couple
points, it is exact.
"""

from __future__ import annotations

import numpy as np


def inflation(n: int, kind: str = "equal", ratio: float = 2.0) -> np.ndarray:
    """α_1..α_n with Σ 1/α = 1: all equal to n, or geometric (decreasing by ``ratio``)."""
    if n < 1:
        raise ValueError("need at least one assimilation")
    if kind == "equal":
        return np.full(n, float(n))
    w = ratio ** -np.arange(n, dtype=float)  # 1/α_k ∝ ratio^-k ... largest α first
    inv = w[::-1] / w.sum()
    return 1.0 / inv


def gaspari_cohn(r):
    """The compactly supported fifth-order taper of Gaspari & Cohn (1999), r = distance / half-width
    (1 at 0, 0 from r = 2 on)."""
    r = np.abs(np.asarray(r, float))
    out = np.zeros_like(r)
    a = r <= 1
    x = r[a]
    out[a] = -0.25 * x**5 + 0.5 * x**4 + 0.625 * x**3 - 5.0 / 3.0 * x**2 + 1.0
    b = (r > 1) & (r < 2)
    x = r[b]
    out[b] = x**5 / 12.0 - 0.5 * x**4 + 0.625 * x**3 + 5.0 / 3.0 * x**2 - 5.0 * x + 4.0 - 2.0 / (3.0 * x)
    return out


def taper(x, y, half_width: float) -> np.ndarray:
    """(m, m) localisation taper between points: Gaspari–Cohn of the distance over ``half_width``;
    0: each point its own data only; inf: no localisation."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    if half_width == np.inf:
        return np.ones((x.size, x.size))
    if half_width <= 0:
        return np.eye(x.size)
    d = np.hypot(np.subtract.outer(x, x), np.subtract.outer(y, y))
    return gaspari_cohn(d / half_width)


def update(M, D, d_obs, noise, alpha: float, rng, *, perturbations=None, localise=None):
    """One ES-MDA update.

    M (n_m, N) state; D (N, *data_shape) predicted data of each member; d_obs (*data_shape);
    ``noise``: object with ``solve(R)`` (C_D⁻¹ applied over the trailing data axes) and
    ``sample(rng, N)``; ``perturbations``: the data perturbations (N, *dshape) instead of a draw.
    ``localise``: (rows, rho): for each state row the row of the taper ``rho`` (R, m) that weighs
    the data's last axis (its points) in that row's gain, −1 for rows not localised. Returns the
    updated state."""
    M = np.asarray(M, float)
    D = np.asarray(D, float)
    N = M.shape[1]
    if D.shape[0] != N:
        raise ValueError("D must have one row per member")
    dshape = D.shape[1:]
    dM = (M - M.mean(axis=1, keepdims=True)) / np.sqrt(N - 1)
    U = (D - D.mean(axis=0, keepdims=True)) / np.sqrt(N - 1)  # (N, *dshape)
    nd = int(np.prod(dshape))
    E = perturbations if perturbations is not None else noise.sample(rng, N)
    R = d_obs[None] + np.sqrt(alpha) * E - D  # innovations (N, *dshape)
    if nd < N and not getattr(noise, "k", 0):  # few data, many members: the n_d × n_d system is the small one
        # (not with marginalised missing values: C_D⁻¹ is then singular along them)
        Cinv = noise.solve(np.eye(nd).reshape((nd,) + dshape)).reshape(nd, nd)
        S = U.reshape(N, nd).T @ U.reshape(N, nd) + alpha * np.linalg.inv(Cinv)
        B = np.linalg.solve(S, U.reshape(N, nd).T).T.reshape((N,) + dshape)
    else:
        Y = noise.solve(U) / alpha  # A⁻¹ U
        G = np.eye(N) + U.reshape(N, -1) @ Y.reshape(N, -1).T
        B = np.tensordot(np.linalg.inv(G), Y, axes=(1, 0))  # (A⁻¹U G⁻¹)ᵀ = (S⁻¹U)ᵀ, (N, *dshape)
    out = M + dM @ (B.reshape(N, -1) @ R.reshape(N, -1).T)  # (N, N): Uᵀ S⁻¹ r_j
    if localise is None:
        return out
    rows, rho = localise
    rows = np.asarray(rows, int)
    loc = np.flatnonzero(rows >= 0)
    if loc.size:
        # ΔM_ij = Σ_n ΔM_in Σ_l ρ(p_i, l) Σ_t B_n,t,l R_j,t,l: the gain tapered per data point
        m = dshape[-1]
        G = np.einsum("ntl,jtl->lnj", B.reshape(N, -1, m), R.reshape(N, -1, m))  # (m, N, N)
        pts = np.unique(rows[loc])
        H = np.einsum("pl,lnj->pnj", np.asarray(rho, float)[pts], G)  # (points used, N, N)
        where = np.searchsorted(pts, rows[loc])
        out[loc] = M[loc] + np.einsum("in,inj->ij", dM[loc], H[where])
    return out
