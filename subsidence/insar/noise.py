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

:func:`estimate_noise` estimates the parameters of this model from the observations themselves
(scatter about a smooth per-point fit, spatial cross-covariance and temporal autocovariance of the
residuals, corrected exactly for the degrees of freedom the fit uses).
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


def demean_matrix(size: int):
    """The per-point offset map on the time axis, P_t = I − 11ᵀ/n (rank n − 1), with its last
    (redundant) row dropped: :func:`reference_matrix` with every epoch in the reference set."""
    return reference_matrix(size, np.arange(size))


def chi2(noise: NoiseModel, R, x, y, t, *, ref_epochs=None, ref_points=None, per_point_offset: bool = False) -> dict:
    """Noise-weighted misfit of an already-referenced residual ``R`` (m points × n epochs).

    ``ref_epochs``/``ref_points``: indices used for referencing (None = not referenced).
    ``per_point_offset``: each point's series was de-meaned over time (a least-squares offset per
    point removed); the time map is then P_t = I − 11ᵀ/n (:func:`demean_matrix`), which subsumes
    any reference epoch.
    Rows/columns that referencing made redundant are dropped. Returns χ², the number of
    independent values N, χ²/N, the expected RMSE of a perfect model (√(tr C'/N)) and
    −½ log-likelihood.
    """
    R = np.asarray(R, float)
    m, n = R.shape
    At, kt = demean_matrix(n) if per_point_offset else reference_matrix(n, ref_epochs)
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


def chi2_diagonal(R, sigma, *, referenced_epoch: bool, per_point_offset: bool = False) -> dict:
    """χ² with the product's own 1-σ per point (m,) or per value (m, n). With a subtracted
    reference epoch the referenced noise of a point is σ²(I + 11ᵀ) over the other epochs
    (Sherman–Morrison: rᵀ(I+11ᵀ)⁻¹r = |r|² − (Σr)²/(n+1)); with a σ per value the
    values are treated as independent. ``per_point_offset``: a constant per point is a free
    (nuisance) parameter: χ² = min_c Σ w (r − c)² = Σ w r² − (Σ w r)²/Σ w (w = 1/σ²), one value
    per point fewer in N (``referenced_epoch`` is then irrelevant: the offset subsumes it)."""
    R = np.asarray(R, float)
    sig = np.asarray(sigma, float)
    ok = np.isfinite(R)
    per_point = sig.ndim == 1
    if per_point:
        sig = np.broadcast_to(sig[:, None], R.shape)
    ok &= np.isfinite(sig) & (sig > 0)
    Rz = np.where(ok, R / np.where(ok, sig, 1.0), 0.0)
    c2 = np.sum(Rz**2, axis=1)
    if per_point_offset:
        w = np.where(ok, 1.0 / np.where(ok, sig, 1.0) ** 2, 0.0)
        sw = w.sum(axis=1)
        c2 = c2 - np.where(sw > 0, np.sum(Rz / np.where(ok, sig, 1.0), axis=1) ** 2 / np.where(sw > 0, sw, 1.0), 0.0)
    elif referenced_epoch and per_point:
        k = ok.sum(axis=1)
        c2 = c2 - np.sum(Rz, axis=1) ** 2 / (k + 1)
    N = int(ok.sum()) - (int((ok.sum(axis=1) > 0).sum()) if per_point_offset else 0)
    return {"chi2": float(c2.sum()), "n": N, "chi2_per_value": float(c2.sum() / max(N, 1))}


#: the parameter object of the noise model (alias: :func:`estimate_noise` returns one)
NoiseParams = NoiseModel


def _bin_edges(v, n_bins):
    """Equal-count bin edges of the values ``v`` (at most ``n_bins`` bins, duplicates merged)."""
    e = np.unique(np.quantile(v, np.linspace(0.0, 1.0, n_bins + 1)))
    e[-1] = np.nextafter(e[-1], np.inf)
    return e


def _fit_range(objective, lo, hi, n_grid=48):
    """Minimise ``objective(range)`` over [lo, hi] (log-spaced grid, then a bounded refinement)."""
    from scipy.optimize import minimize_scalar

    g = np.geomspace(lo, hi, n_grid)
    f = np.array([objective(r) for r in g])
    k = int(np.argmin(f))
    a, b = np.log(g[max(k - 1, 0)]), np.log(g[min(k + 1, n_grid - 1)])
    if b > a:
        res = minimize_scalar(lambda s: objective(np.exp(s)), bounds=(a, b), method="bounded", options={"xatol": 1e-4})
        if res.fun <= f[k]:
            return float(np.exp(res.x))
    return float(g[k])


def estimate_noise(data, x=None, y=None, t=None, *, seasonal: bool | None = None, max_points: int = 2000,
                   max_distance: float | None = None, max_lag: float | None = None, n_bins: int = 20,
                   seed: int = 0, min_white_fraction: float = 0.01, min_pairs: int = 10, return_info: bool = False):
    """Estimate the white + spatial + temporal noise model (:class:`NoiseModel`) from the observations.

    ``data``: an :class:`~subsidence.insar.data.InsarDataset` (its ``disp``, ``x``, ``y``, dates), or
    an array (m points × n epochs, metres) with ``x``, ``y`` (m,) in metres and ``t`` (n,) in years
    (also accepted as one tuple ``(D, x, y, t)``).
    A per-point constant (e.g. referencing to one epoch) does not matter; a reference *point* or
    area that was subtracted from all points adds its own noise to every point (a common mode).

    Method (method of moments with exact degrees-of-freedom corrections):

    1. Each point with a complete series is fitted by a smooth curve a + b t (+ c cos 2πt + d sin 2πt
       when ``seasonal``; default: when the series spans ≥ 1 year and has ≥ 6 epochs); the residual is
       R = D P with the projector P = I − G G⁺ (n × n, trace n − p). Everything smooth in time that
       the fit can represent (signal) is removed; the rest is taken as noise.
    2. Under the model C = σ0² I + σs² (I_n ⊗ S) + σt² (T ⊗ I_m) the expectations are, exactly,
       E[R Rᵀ]_ij / (n − p) = σs² exp(−d_ij/Rs) for i ≠ j (only the spatial part correlates points) and
       E[Rᵀ R] / m = (σ0² + σs²) P + σt² P T P (T_kl = exp(−|t_k − t_l|/Rt)).
    3. Spatial: the empirical cross-covariance of the residuals of point pairs (the covariance
       form of the variogram, γ(d) = C(0) − C(d); per epoch, so a common mode of each epoch, as the
       atmosphere gives, shows up as a long range) is averaged in ``n_bins`` log-spaced distance
       bins (from the 0.2 % quantile of the pair distances; bins with fewer than ``min_pairs``
       pairs dropped) up to ``max_distance`` (default: half the largest pair distance) and σs², Rs
       are fitted by least squares weighted by √(pairs per bin) (far pairs are many but share
       points, so they are far from independent), Rs bounded to
       [½ · the mean distance of the first bin, 5 · max_distance].
    4. Temporal: the empirical autocovariance Rᵀ R / m is averaged in equal-count lag bins (lag 0
       on its own) up to ``max_lag`` (default half the span) and σ0² + σs², σt², Rt fitted by
       non-negative least squares weighted by the number of epoch pairs (model P, P T P exactly as
       above, so the variance the smooth fit absorbed is accounted for), Rt bounded to
       [½ · the median epoch spacing, 2 · span]; σ0² = (σ0² + σs²) − σs², at least
       ``min_white_fraction`` of the total variance.

    Points with missing epochs are left out (when fewer than half the points are complete, the
    epochs missing most values are dropped first, down to 10 epochs); above ``max_points`` points a
    random subset (``seed``) is used. Returns a :class:`NoiseModel` (variances m², ranges m and years); with ``return_info``
    also a dict with what the estimate rests on (points, dof, scatter about the fit, the binned
    empirical covariances and the fitted curves, whether a range sits at its bound).
    """
    from subsidence.config.errors import CaseError

    where = ""
    if isinstance(data, tuple) and len(data) == 4 and x is None:  # (D, x, y, t)
        data, x, y, t = data
    if hasattr(data, "disp") and hasattr(data, "dates"):
        where = str(getattr(data, "provenance", {}).get("file", getattr(data, "name", "")))
        D = np.asarray(data.disp, float)
        x = data.x if x is None else x
        y = data.y if y is None else y
        if t is None:
            t = (data.dates - data.dates[0]).astype(float) / 365.25 if len(data.dates) else np.zeros(0)
    else:
        D = np.asarray(data, float)
    if x is None or y is None or t is None:
        raise CaseError(where, "validation.noise", "estimate_noise needs the point coordinates x, y and the epochs t (years) with an array")
    x, y, t = np.asarray(x, float).ravel(), np.asarray(y, float).ravel(), np.asarray(t, float).ravel()
    if D.ndim != 2 or D.shape != (len(x), len(t)) or len(y) != len(x):
        raise CaseError(where, "validation.noise", f"data shape {D.shape} does not match {len(x)} points × {len(t)} epochs")
    if not (np.all(np.isfinite(t)) and np.all(np.diff(t) > 0)):
        raise CaseError(where, "validation.noise", "epochs must be finite and strictly increasing")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise CaseError(where, "validation.noise", "point coordinates must be finite")
    keep_t = np.isfinite(D).any(axis=0)
    D, t = D[:, keep_t], t[keep_t]
    # gaps: drop the epochs that miss most values until half the points are complete (or 10 epochs are left)
    n_gap_epochs = 0
    fin = np.isfinite(D)
    while D.shape[1] > 10 and fin.all(axis=1).mean() < 0.5:
        k = int(np.argmin(fin.sum(axis=0)))
        D, t, fin = np.delete(D, k, axis=1), np.delete(t, k), np.delete(fin, k, axis=1)
        n_gap_epochs += 1
    complete = fin.all(axis=1)
    idx = np.flatnonzero(complete)
    if len(idx) > max_points:
        idx = np.sort(np.random.default_rng(seed).choice(idx, max_points, replace=False))
    m, n = len(idx), len(t)
    if n < 6:
        raise CaseError(where, "validation.noise", f"too few epochs ({n}) to estimate the noise from the data (need ≥ 6)")
    if seasonal is None:
        seasonal = n >= 6 and np.ptp(t) >= 1.0
    cols = [np.ones(n), t - t.mean()] + ([np.cos(2 * np.pi * t), np.sin(2 * np.pi * t)] if seasonal else [])
    G = np.stack(cols, axis=1)
    p = G.shape[1]
    if n < p + 4:
        raise CaseError(where, "validation.noise", f"too few epochs ({n}) to estimate the noise from the data (need ≥ {p + 4})")
    if m < 4:
        raise CaseError(where, "validation.noise", f"too few points with a complete series ({m}; need ≥ 4) to estimate the noise from the data")
    D, x, y = D[idx], x[idx], y[idx]
    P = np.eye(n) - G @ np.linalg.pinv(G)
    P = 0.5 * (P + P.T)
    dof = float(np.trace(P))
    R = D @ P
    scatter_var = float(np.sum(R * R) / (m * dof))

    # spatial: cross-covariance of point pairs, binned by distance
    dist = _dist(x, y)
    iu = np.triu_indices(m, 1)
    dpair = dist[iu]
    cpair = (R @ R.T)[iu] / dof
    dmax = float(max_distance) if max_distance is not None else 0.5 * float(dpair.max())
    sel = (dpair > 0) & (dpair <= dmax)
    if sel.sum() < 3:
        raise CaseError(where, "validation.noise", "too few point pairs within the distance range to fit the spatial covariance")
    ds_, cs_ = dpair[sel], cpair[sel]
    # log-spaced distance bins: the short distances, where the correlation lives, get bins of
    # their own (equal-count bins would lump them with thousands of far pairs)
    lo = max(float(np.quantile(ds_, 0.002)), 1e-3 * dmax)
    eb = np.geomspace(lo, dmax, n_bins + 1) if dmax > lo else np.array([0.0, dmax])
    eb[0] = 0.0
    eb[-1] = np.nextafter(dmax, np.inf)
    bi = np.clip(np.searchsorted(eb, ds_, side="right") - 1, 0, len(eb) - 2)
    cnt_s = np.bincount(bi, minlength=len(eb) - 1).astype(float)
    ok_s = cnt_s >= min(min_pairs, cnt_s.max())
    emp_s = np.bincount(bi, cs_, len(eb) - 1)[ok_s] / cnt_s[ok_s]
    dmean = np.bincount(bi, ds_, len(eb) - 1)[ok_s] / cnt_s[ok_s]
    ns = cnt_s[ok_s]
    # weights √(pairs): the many far pairs share points (and a common mode) and are far from
    # independent, so full count weighting would let them decide the fit alone
    ws = np.sqrt(ns)
    rs_lo, rs_hi = 0.5 * float(dmean[0]), 5.0 * dmax

    def fit_s(rs):
        f = np.bincount(bi, np.exp(-ds_ / rs), len(eb) - 1)[ok_s] / ns
        v = max(float(np.sum(ws * f * emp_s) / np.sum(ws * f * f)), 0.0)
        return v, f

    def obj_s(rs):
        v, f = fit_s(rs)
        return float(np.sum(ws * (emp_s - v * f) ** 2))

    Rs = _fit_range(obj_s, rs_lo, rs_hi)
    s_var, f_s = fit_s(Rs)

    # temporal: autocovariance over points, binned by lag (lag 0 alone)
    from scipy.optimize import nnls

    Ct = R.T @ R / m
    lag = np.abs(np.subtract.outer(t, t))
    span = float(np.ptp(t))
    lmax = float(max_lag) if max_lag is not None else 0.5 * span
    ku, lu = np.triu_indices(n, 1)
    lags = lag[ku, lu]
    tsel = lags <= lmax
    et = _bin_edges(lags[tsel], n_bins)
    tb = np.full(lags.shape, -1)
    tb[tsel] = np.clip(np.searchsorted(et, lags[tsel], side="right") - 1, 0, len(et) - 2)
    nb_t = len(et) - 1
    groups = [(np.arange(n), np.arange(n))] + [(ku[tb == b], lu[tb == b]) for b in range(nb_t) if np.any(tb == b)]
    wt = np.array([len(g[0]) for g in groups], float)
    emp_t = np.array([Ct[g].mean() for g in groups])
    lag_mean = np.array([lag[g].mean() for g in groups])
    m1 = np.array([P[g].mean() for g in groups])
    sw = np.sqrt(wt)
    dt_med = float(np.median(np.diff(t)))
    rt_lo, rt_hi = 0.5 * dt_med, 2.0 * span

    def fit_t(rt):
        T = np.exp(-lag / rt)
        PTP = P @ T @ P
        m2 = np.array([PTP[g].mean() for g in groups])
        A = np.stack([m1, m2], axis=1)
        coef, rn = nnls(A * sw[:, None], emp_t * sw)
        return coef, rn, m2

    Rt = _fit_range(lambda rt: fit_t(rt)[1], rt_lo, rt_hi)
    (a_var, t_var), _, m2 = fit_t(Rt)
    total = a_var + t_var
    w_var = max(a_var - s_var, min_white_fraction * max(total, scatter_var))
    est = NoiseModel(white_var=float(w_var), spatial_var=float(s_var), spatial_range=float(Rs),
                     temporal_var=float(t_var), temporal_range=float(Rt))
    if not return_info:
        return est
    info = {
        "method": "moments of the residuals about a per-point " + ("trend + annual" if seasonal else "linear-trend") + " fit",
        "points": int(m), "points_left_out_incomplete": int((~complete).sum()), "epochs": int(n),
        "epochs_left_out_for_gaps": int(n_gap_epochs),
        "fit_parameters_per_point": int(p), "dof_per_point": dof,
        "scatter_about_fit_m": float(np.sqrt(scatter_var)),
        "white_floor_applied": bool(a_var - s_var < min_white_fraction * max(total, scatter_var)),
        "spatial_range_bounds_m": [rs_lo, rs_hi], "spatial_range_at_bound": bool(np.isclose(Rs, rs_lo, rtol=1e-3) or np.isclose(Rs, rs_hi, rtol=1e-3)),
        "temporal_range_bounds_yr": [rt_lo, rt_hi], "temporal_range_at_bound": bool(np.isclose(Rt, rt_lo, rtol=1e-3) or np.isclose(Rt, rt_hi, rtol=1e-3)),
        "spatial_bins": {"distance_m": dmean.tolist(), "covariance_m2": emp_s.tolist(), "fit_m2": (s_var * f_s).tolist(), "pairs": ns.astype(int).tolist()},
        "temporal_bins": {"lag_yr": lag_mean.tolist(), "covariance_m2": emp_t.tolist(),
                          "fit_m2": (a_var * m1 + t_var * m2).tolist(), "pairs": wt.astype(int).tolist()},
    }
    return est, info


def range_bound_notes(info: dict, model: NoiseModel | None, *, remedy: str) -> list[str]:
    """A sentence for each range of the estimate that ended on its search bound (the data did not
    fix it: too few points, epochs or years); ``remedy`` says how to give the noise instead."""
    notes = []
    for key, what, unit, scale in (("spatial_range", "spatial", "km", 1e-3), ("temporal_range", "temporal", "yr", 1.0)):
        if not info.get(f"{key}_at_bound"):
            continue
        lo, hi = info.get(f"{key}_bounds_{'m' if unit == 'km' else 'yr'}", (None, None))
        rng_txt = f" ({lo * scale:.3g} … {hi * scale:.3g} {unit})" if lo is not None else ""
        at = model.describe().get(f"{key}_{unit}") if model is not None else None
        at_txt = f" at {at:.3g} {unit}" if at is not None else ""
        notes.append(f"the estimated {what} noise range ended{at_txt}, on its search bound{rng_txt}: the data "
                     f"do not fix it (too few points, epochs or years); {remedy}")
    return notes

