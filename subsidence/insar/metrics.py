"""Misfit metrics between observed and modelled time series (residual = observed − model).

Per point (over its valid epochs) and overall (over all valid values):
RMSE, bias (mean residual), Pearson correlation; the velocity (least-squares linear trend,
fitted jointly with an annual cycle when the series spans at least a year) of data and
model and their difference; the seasonal amplitude (fit of
a + b t + c cos 2πt + d sin 2πt, amplitude √(c² + d²)) of data and model and their
difference; and the scatter of the data about their own trend + annual-cycle fit (the RMSE
that any model smooth in time could at best reach). Values that are NaN in either series are
left out.
"""

from __future__ import annotations

import numpy as np


def _design(t, seasonal: bool):
    cols = [np.ones_like(t), t]
    if seasonal:
        cols += [np.cos(2 * np.pi * t), np.sin(2 * np.pi * t)]
    return np.stack(cols, axis=1)


def fit_trend(D, t, *, seasonal: bool) -> np.ndarray:
    """Least-squares coefficients per row of D (n, nt) with NaNs → (n, 2 or 4); NaN where underdetermined."""
    D = np.asarray(D, float)
    G = _design(np.asarray(t, float), seasonal)
    out = np.full((D.shape[0], G.shape[1]), np.nan)
    ok = np.isfinite(D)
    full = ok.all(axis=1)
    if full.any() and G.shape[0] >= G.shape[1]:
        out[full] = np.linalg.lstsq(G, D[full].T, rcond=None)[0].T
    for i in np.flatnonzero(~full):
        k = ok[i]
        if k.sum() >= G.shape[1] + 1:
            out[i] = np.linalg.lstsq(G[k], D[i, k], rcond=None)[0]
    return out


def velocity(D, t) -> np.ndarray:
    """Linear trend; fitted together with an annual cycle when the series spans a year or more
    (so that a seasonal signal does not bias it)."""
    t = np.asarray(t, float)
    seasonal = len(t) >= 6 and np.ptp(t) >= 1.0
    return fit_trend(D, t, seasonal=seasonal)[:, 1]


def seasonal_amplitude(D, t) -> np.ndarray:
    c = fit_trend(D, t, seasonal=True)
    return np.hypot(c[:, 2], c[:, 3])


def _corr_rows(a, b, ok):
    a = np.where(ok, a, 0.0)
    b = np.where(ok, b, 0.0)
    k = ok.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        ma, mb = a.sum(1) / k, b.sum(1) / k
        da, db = np.where(ok, a - ma[:, None], 0), np.where(ok, b - mb[:, None], 0)
        return (da * db).sum(1) / np.sqrt((da**2).sum(1) * (db**2).sum(1))


def point_metrics(obs, mod, t, *, exclude=None) -> dict[str, np.ndarray]:
    """Per-point metrics (arrays of length n), metres and metres/year.

    ``exclude`` (n, nt) marks values left out of RMSE/bias/correlation (e.g. the reference
    epoch, zero by construction); trends use every valid value."""
    obs, mod = np.asarray(obs, float), np.asarray(mod, float)
    okt = np.isfinite(obs) & np.isfinite(mod)
    ok = okt & ~exclude if exclude is not None else okt
    r = np.where(ok, obs - mod, np.nan)
    k = ok.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        rmse = np.sqrt(np.nansum(r**2, axis=1) / k)
        bias = np.nansum(np.nan_to_num(r), axis=1) / k
    om, mm = np.where(okt, obs, np.nan), np.where(okt, mod, np.nan)
    vo, vm = velocity(om, t), velocity(mm, t)
    ao, am = seasonal_amplitude(om, t), seasonal_amplitude(mm, t)
    # scatter of the data about their own trend + annual cycle: the RMSE floor of any smooth model
    seasonal = len(t) >= 6 and np.ptp(t) >= 1.0
    coef = fit_trend(om, t, seasonal=seasonal)
    with np.errstate(invalid="ignore"):
        scat = np.where(ok, obs - coef @ _design(np.asarray(t, float), seasonal).T, np.nan)
        floor = np.sqrt(np.nansum(scat**2, axis=1) / k)
    return {"n": k, "rmse": rmse, "bias": bias, "corr": _corr_rows(obs, mod, ok), "obs_scatter": floor,
            "vel_obs": vo, "vel_model": vm, "vel_residual": vo - vm,
            "amp_obs": ao, "amp_model": am, "amp_residual": ao - am}


def overall_metrics(obs, mod, pm: dict, *, exclude=None) -> dict[str, float]:
    obs, mod = np.asarray(obs, float), np.asarray(mod, float)
    ok = np.isfinite(obs) & np.isfinite(mod)
    if exclude is not None:
        ok &= ~exclude
    r = (obs - mod)[ok]
    o, m = obs[ok], mod[ok]

    def rms(a):
        a = a[np.isfinite(a)]
        return float(np.sqrt(np.mean(a**2))) if a.size else float("nan")

    corr = float(np.corrcoef(o, m)[0, 1]) if r.size > 2 and o.std() > 0 and m.std() > 0 else float("nan")
    vr, ar = pm["vel_residual"], pm["amp_residual"]
    vo, vm = pm["vel_obs"], pm["vel_model"]
    fv = np.isfinite(vo) & np.isfinite(vm)
    vcorr = float(np.corrcoef(vo[fv], vm[fv])[0, 1]) if fv.sum() > 2 and vo[fv].std() > 0 and vm[fv].std() > 0 else float("nan")
    return {
        "values": int(r.size),
        "points": int((pm["n"] > 0).sum()),
        "rmse_m": rms(r),
        "bias_m": float(r.mean()) if r.size else float("nan"),
        "std_m": float(r.std()) if r.size else float("nan"),
        "corr": corr,
        "median_point_rmse_m": float(np.nanmedian(pm["rmse"])) if r.size else float("nan"),
        "velocity_rmse_m_per_yr": rms(vr),
        "velocity_bias_m_per_yr": float(np.nanmean(vr)) if np.isfinite(vr).any() else float("nan"),
        "velocity_corr": vcorr,
        "mean_velocity_obs_m_per_yr": float(np.nanmean(vo)) if np.isfinite(vo).any() else float("nan"),
        "mean_velocity_model_m_per_yr": float(np.nanmean(vm)) if np.isfinite(vm).any() else float("nan"),
        "seasonal_amplitude_rmse_m": rms(ar),
        "obs_scatter_about_own_fit_m": rms(pm["obs_scatter"]),
        "seasonal_amplitude_obs_mean_m": float(np.nanmean(pm["amp_obs"])) if np.isfinite(pm["amp_obs"]).any() else float("nan"),
        "seasonal_amplitude_model_mean_m": float(np.nanmean(pm["amp_model"])) if np.isfinite(pm["amp_model"]).any() else float("nan"),
    }
