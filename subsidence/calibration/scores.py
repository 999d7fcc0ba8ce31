"""Scores of a calibration, in and out of sample, against simple statistical baselines.

Everything is compared in the data's own reference: a model series is shifted by its
per-point offset (the mean of observed − modelled over the calibration epochs, i.e. the
offset nuisance at its least-squares value), then compared with the observations

- in sample: over the calibration epochs;
- out of sample: over the held-out epochs (after ``until``), the forecast test.

Baselines fitted per point on the calibration epochs only and extrapolated: a linear trend,
a trend + annual sinusoid, and persistence (the mean of each point's last five observed calibration values,
"no further change"). A calibrated physics model must beat them out of sample to be worth its
parameters. Metrics: RMSE and bias over all values, the RMS over points of the velocity error
(trend of observed − trend of predicted over the held-out epochs), and for ensembles the
coverage of the P10–P90 predictive interval (model spread plus observation noise: a well
calibrated forecast covers ≈ 80 % of the observations) and the CRPS.
"""

from __future__ import annotations

import numpy as np

from subsidence.insar.metrics import fit_trend, lstsq_rows


def with_offsets(obs_D, pred, cal) -> np.ndarray:
    """Shift predictions (..., m, n) by the per-point offset estimated on the calibration epochs
    (over the observed values: missing ones, NaN, are left out)."""
    off = np.nanmean(obs_D[..., cal] - pred[..., cal], axis=-1, keepdims=True)
    return pred + off


def baselines(D, t, cal) -> dict:
    """Per-point statistical extrapolations from the calibration epochs (m, n) each. The trend +
    annual fit needs calibration epochs spanning a year (as in ``validate``): on less, an annual
    sinusoid fitted to part of a cycle extrapolates wildly, and that baseline is left out."""
    out = {}
    tc = t[cal]
    for name, seasonal in (("linear trend", False), ("trend + annual", True)):
        if seasonal and not annual_baseline_possible(tc):
            continue
        c = fit_trend(D[:, cal], tc, seasonal=seasonal)
        G = [np.ones_like(t), t] + ([np.cos(2 * np.pi * t), np.sin(2 * np.pi * t)] if seasonal else [])
        out[name] = c @ np.stack(G)
    out["persistence"] = np.repeat(last_values_mean(D[:, cal])[:, None], t.size, axis=1)
    return out


def last_values_mean(Dc, k: int = 5):
    """Per point (row), the mean of its last ``k`` observed values (NaN = missing; NaN for a row
    with none): persistence. With gaps, the last k epochs would hold fewer values for some points
    and none for others, and the points without would drop out of that baseline's score only."""
    out = np.full(Dc.shape[0], np.nan)
    for i, row in enumerate(Dc):
        v = row[np.isfinite(row)]
        if v.size:
            out[i] = v[-k:].mean()
    return out


def annual_baseline_possible(tc) -> bool:
    """True when the calibration epochs (years) span at least a year: the trend + annual baseline."""
    return tc.size > 0 and float(np.ptp(tc)) >= 1.0


def _velocity(D, t):
    return fit_trend(D, t, seasonal=False)[:, 1]


def score(D, pred, t, sel) -> dict:
    """RMSE, bias (observed − predicted), RMS velocity error over the epochs ``sel``."""
    if not sel.any():
        return {}
    r = D[:, sel] - pred[:, sel]
    ok = np.isfinite(r)  # missing observations (NaN) are left out, and counted in ``values``
    if not ok.any():
        return {"values": 0}
    has = ok.any(axis=1)
    out = {"values": int(ok.sum()), "rmse_m": float(np.sqrt(np.mean(r[ok] ** 2))), "bias_m": float(np.mean(r[ok])),
           "median_point_rmse_m": float(np.median(np.sqrt(np.nanmean(r[has] ** 2, axis=1))))}
    if not ok.all():
        out["missing_values"] = int((~ok).sum())
    if sel.sum() >= 3 and np.ptp(t[sel]) > 0:
        Dm = D[:, sel]
        pm = np.where(np.isfinite(Dm), pred[:, sel], np.nan)  # the prediction on the observed epochs only
        dv = _velocity(Dm, t[sel]) - _velocity(pm, t[sel])
        if np.isfinite(dv).any():
            out["velocity_rmse_m_per_yr"] = float(np.sqrt(np.nanmean(dv**2)))
    return out


def ensemble_score(D, ens, t, sel, noise_sd: float, rng) -> dict:
    """``score`` of the ensemble mean plus interval coverage and CRPS of the predictive ensemble
    (members + N(0, noise_sd²) observation noise)."""
    if not sel.any():
        return {}
    out = score(D, ens.mean(axis=0), t, sel)
    pred = ens[:, :, sel] + noise_sd * rng.standard_normal(ens[:, :, sel].shape)
    lo, hi = np.percentile(pred, [10, 90], axis=0)
    obs = D[:, sel]
    ok = np.isfinite(obs)
    if not ok.any():
        return out
    out["coverage_p10_p90"] = float(np.mean(((obs >= lo) & (obs <= hi))[ok]))
    # CRPS of an ensemble: E|X − y| − ½ E|X − X'| (averaged over values)
    n = pred.shape[0]
    srt = np.sort(pred, axis=0)
    w = (2 * np.arange(1, n + 1) - n - 1)[:, None, None]
    spread = np.sum(w * srt, axis=0) / (n * n)  # ½ E|X − X'|
    out["crps_m"] = float(np.mean((np.mean(np.abs(pred - obs[None]), axis=0) - spread)[ok]))
    return out


def paired_difference(D, pred, base, t, sel, rng, *, block_years: float = 0.25, draws: int = 2000) -> dict:
    """RMSE(pred) − RMSE(base) over the epochs ``sel``, with a 90 % interval from a two-way
    bootstrap: points resampled with replacement (each point's systematic error counts once),
    and epochs in blocks of about ``block_years`` (the atmosphere is common to all points at
    an epoch and the per-point noise is correlated over weeks, so single epochs are not
    independent). A difference whose interval holds 0 is not distinguishable on these data.
    ``probability_better``: the share of draws in which ``pred`` has the smaller RMSE."""
    idx = np.flatnonzero(sel)
    if idx.size == 0:
        return {}
    ea = (D[:, idx] - pred[:, idx]) ** 2
    eb = (D[:, idx] - base[:, idx]) ** 2
    ok = np.isfinite(ea) & np.isfinite(eb)  # missing observations left out of both
    if not ok.any():
        return {}
    cnt = ok.astype(float)
    ea, eb = np.where(ok, ea, 0.0), np.where(ok, eb, 0.0)
    m, n = ea.shape
    dt = float(np.median(np.diff(t[idx]))) if n > 1 else 1.0
    size = int(max(1, round(block_years / dt))) if dt > 0 else 1
    blocks = [np.arange(s, min(s + size, n)) for s in range(0, n, size)]
    W = rng.multinomial(m, np.full(m, 1.0 / m), size=draws).astype(float)  # (draws, m) point counts
    pick = rng.integers(0, len(blocks), size=(draws, len(blocks)))
    U = np.zeros((draws, n))
    for k, b in enumerate(blocks):
        U[:, b] += np.sum(pick == k, axis=1)[:, None]
    den = np.maximum(np.einsum("bm,mn,bn->b", W, cnt, U), 1e-300)  # observed values in each draw
    ra = np.sqrt(np.einsum("bm,mn,bn->b", W, ea, U) / den)
    rb = np.sqrt(np.einsum("bm,mn,bn->b", W, eb, U) / den)
    diff = ra - rb
    lo, hi = np.percentile(diff, [5, 95])
    full = float(np.sqrt(ea.sum() / cnt.sum()) - np.sqrt(eb.sum() / cnt.sum()))
    return {"rmse_difference_m": full, "p5_m": float(lo), "p95_m": float(hi),
            "probability_better": float(np.mean(diff < 0)), "draws": draws, "epoch_block": size,
            "resolved": bool(lo > 0 or hi < 0)}


#: lead-time bins (years after the last calibration epoch) of :func:`by_horizon`
HORIZON_EDGES = (0.0, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, np.inf)


def by_horizon(D, t, cal, predictions: dict, *, ensembles: dict | None = None, noise_sd: float = 0.0,
               rng=None, edges=HORIZON_EDGES, scored=None) -> list[dict]:
    """Out-of-sample scores per lead time: the held-out epochs (``~cal``) binned by their time after
    the last calibration epoch (``edges``, years; empty bins left out). A forecast's skill is a
    function of its horizon: a per-point trend fitted on a short record drifts off as the horizon
    grows, and one horizon's figure says little about another's. Per bin: the ``score`` of each
    point prediction (``predictions``: name -> (m, n) series) and, for each of ``ensembles``
    (name -> (N, m, n)), that of its mean with the coverage and CRPS of ``ensemble_score``.
    ``scored``: the held-out epochs to score, if not all of them (lead times still count from the
    last calibration epoch)."""
    hold = ~np.asarray(cal, bool) if scored is None else np.asarray(scored, bool) & ~np.asarray(cal, bool)
    if not hold.any():
        return []
    lead = t - t[np.flatnonzero(cal)[-1]]
    rng = rng if rng is not None else np.random.default_rng(0)
    out = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        sel = hold & (lead > lo) & (lead <= hi)
        if not sel.any():
            continue
        row = {"lead_from_yr": float(lo), "lead_to_yr": float(hi) if np.isfinite(hi) else None,
               "epochs": int(sel.sum()), "scores": {}}
        for name, ens in (ensembles or {}).items():
            row["scores"][name] = ensemble_score(D, ens, t, sel, noise_sd, rng)
        for name, pred in predictions.items():
            row["scores"][name] = score(D, pred, t, sel)
        out.append(row)
    return out


#: the name of the weather-driven empirical baseline (:func:`weather_baseline`)
WEATHER = "trend + weather (SPAMS)"
#: SPAMS windows τ (days; the published range 30–150) and evaporation factors x_e/x_p searched
SPAMS_TAUS = (30, 45, 60, 90, 120, 150)
SPAMS_RATIOS = (0.5, 0.75, 1.0, 1.25, 1.5, 2.0)


def weather_baseline(D, dates, cal, precip, evap, *, taus=SPAMS_TAUS, ratios=SPAMS_RATIOS):
    """Per point: an offset, a linear trend and the weather-driven terms of SPAMS
    (:mod:`subsidence.shallow.spams`: the τ-day sum of x_p P − x_e E and x_i × the dry days so
    far), fitted by least squares on the calibration epochs and extrapolated with the observed
    weather of the held-out epochs. The empirical rival of a physics-based shallow model on the
    same data (Conroy et al. 2023 built SPAMS for these Groningen parcels); the trend carries what
    the weather does not drive (deep compaction, background creep, product drift).

    The window τ and the evaporation factor x_e/x_p (the nonlinear parameters) are common to all
    points, chosen on the grid ``taus`` × ``ratios`` by the total calibration misfit: chosen per
    point they overfit (a dry-day count that happens to follow one point's noise extrapolates
    wildly). The per-point x_p and x_i are not constrained in sign (a baseline, not a soil model;
    the report gives the share of points with the paper's signs, x_p > 0 and x_i < 0).

    Returns ``(prediction (m, n), info)``; ``info`` holds the chosen τ and ratio, the calibration
    misfit of each grid node and the sign shares. Raises ``ForcingError`` when the weather does not
    cover the τ days before the first epoch up to the last one."""
    dates = np.asarray(dates, dtype="datetime64[D]")
    cal = np.asarray(cal, bool)
    t = (dates - dates[0]).astype(float) / 365.25
    from subsidence.shallow.spams import spams_columns

    best, grid = None, []
    for tau in taus:
        for r in ratios:
            S, N = spams_columns(precip, evap, dates, tau, r)
            G = np.stack([np.ones_like(t), t, S, N], axis=1)
            C = lstsq_rows(G[cal], D[:, cal])
            pred = C @ G.T
            sse = float(np.nansum((D[:, cal] - pred[:, cal]) ** 2))
            grid.append({"tau_days": int(tau), "ratio": float(r), "calibration_sse_m2": sse})
            if best is None or sse < best[0]:
                best = (sse, int(tau), float(r), pred, C)
    sse, tau, r, pred, C = best
    ok = np.isfinite(C).all(axis=1)
    info = {"tau_days": tau, "evaporation_factor_ratio": r, "grid": grid,
            "at_grid_edge": bool(tau in (min(taus), max(taus)) or r in (min(ratios), max(ratios))),
            "share_points_xp_positive": float(np.mean(C[ok, 2] > 0)) if ok.any() else None,
            "share_points_xi_negative": float(np.mean(C[ok, 3] < 0)) if ok.any() else None,
            "median_xp": float(np.median(C[ok, 2])) if ok.any() else None,
            "median_xi_m_per_day": float(np.median(C[ok, 3])) if ok.any() else None}
    return pred, info
