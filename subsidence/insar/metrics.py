"""Misfit metrics between observed and modelled time series (residual = observed − model).

Per point (over its valid epochs) and overall (over all valid values):
RMSE, bias (mean residual), Pearson correlation; the velocity (least-squares linear trend,
fitted jointly with an annual cycle when the series spans at least a year) of data and
model and their difference; the seasonal amplitude (fit of
a + b t + c cos 2πt + d sin 2πt, amplitude √(c² + d²)) of data and model and their
difference; and the scatter of the data about their own trend + annual-cycle fit (the RMSE
that any model smooth in time could at best reach). Values that are NaN in either series are
left out.

The annual cycle is compared with its phase: per point the phasor A = c + i d (rotated to the
calendar year, so that arg A / 2π is the time of year of the maximum — peak uplift, or peak motion
towards the satellite for LOS); the RMS over points of |A_obs − A_mod|; the coherent part |mean A|
(the amplitude of the cycle common to all points), the phase coherence |mean(A/|A|)| (1: all points
in phase, ≈ 1/√n for random phases) and the month of the peak of the mean phasor, for data and model.
"""

from __future__ import annotations

import numpy as np


def _design(t, seasonal: bool):
    cols = [np.ones_like(t), t]
    if seasonal:
        cols += [np.cos(2 * np.pi * t), np.sin(2 * np.pi * t)]
    return np.stack(cols, axis=1)


def lstsq_rows(G, D, *, spare: int = 0) -> np.ndarray:
    """Least-squares coefficients (n, k) of each row of ``D`` (n, nt; NaN = missing) on the columns of
    ``G`` (nt, k), over that row's finite values: complete rows in one solve, the others one by one;
    NaN for a row with fewer than k + ``spare`` values, and for complete rows when nt < k."""
    D = np.asarray(D, float)
    out = np.full((D.shape[0], G.shape[1]), np.nan)
    ok = np.isfinite(D)
    full = ok.all(axis=1)
    if full.any() and G.shape[0] >= G.shape[1]:
        out[full] = np.linalg.lstsq(G, D[full].T, rcond=None)[0].T
    for i in np.flatnonzero(~full):
        k = ok[i]
        if k.sum() >= G.shape[1] + spare:
            out[i] = np.linalg.lstsq(G[k], D[i, k], rcond=None)[0]
    return out


def fit_trend(D, t, *, seasonal: bool) -> np.ndarray:
    """Least-squares coefficients per row of D (n, nt) with NaNs → (n, 2 or 4); NaN where underdetermined
    (a row with gaps needs one value more than the coefficients)."""
    return lstsq_rows(_design(np.asarray(t, float), seasonal), D, spare=1)


def velocity(D, t) -> np.ndarray:
    """Linear trend; fitted together with an annual cycle when the series spans a year or more
    (so that a seasonal signal does not bias it)."""
    t = np.asarray(t, float)
    seasonal = len(t) >= 6 and np.ptp(t) >= 1.0
    return fit_trend(D, t, seasonal=seasonal)[:, 1]


def seasonal_amplitude(D, t) -> np.ndarray:
    c = fit_trend(D, t, seasonal=True)
    return np.hypot(c[:, 2], c[:, 3])


def annual_phasor(D, t, *, year_offset: float = 0.0) -> np.ndarray:
    """Per row of D the complex annual term A = (c + i d)·exp(2πi·year_offset) of the fit
    a + b t + c cos 2πt + d sin 2πt, so that the annual term is |A| cos(2π(t + year_offset) − arg A):
    with ``year_offset`` the calendar-year fraction at t = 0, arg A / 2π is the calendar time of
    year of its maximum. NaN where the fit is underdetermined."""
    c = fit_trend(D, t, seasonal=True)
    return (c[:, 2] + 1j * c[:, 3]) * np.exp(2j * np.pi * year_offset)


def peak_month(A) -> np.ndarray:
    """Month (1.0 = 1 January, 12.97 = 31 December) of the maximum of the annual term of phasor A."""
    A = np.asarray(A, complex)
    f = np.mod(np.angle(A) / (2 * np.pi), 1.0)
    return np.where(np.isfinite(A) & (np.abs(A) > 0), 1.0 + 12.0 * f, np.nan)


def phasor_summary(A) -> dict[str, float]:
    """Coherent amplitude |mean A| [m], phase coherence |mean(A/|A|)| and the month of the peak of
    the mean phasor, over the finite phasors."""
    A = np.asarray(A, complex)
    A = A[np.isfinite(A)]
    if not A.size:
        return {"coherent_amplitude_m": float("nan"), "phase_coherence": float("nan"), "peak_month": float("nan")}
    mean = A.mean()
    nz = np.abs(A) > 0
    coh = float(np.abs(np.mean(A[nz] / np.abs(A[nz])))) if nz.any() else float("nan")
    return {"coherent_amplitude_m": float(np.abs(mean)), "phase_coherence": coh, "peak_month": float(peak_month(mean))}


def _corr_rows(a, b, ok):
    a = np.where(ok, a, 0.0)
    b = np.where(ok, b, 0.0)
    k = ok.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        ma, mb = a.sum(1) / k, b.sum(1) / k
        da, db = np.where(ok, a - ma[:, None], 0), np.where(ok, b - mb[:, None], 0)
        return (da * db).sum(1) / np.sqrt((da**2).sum(1) * (db**2).sum(1))


def point_metrics(obs, mod, t, *, exclude=None, year_offset: float = 0.0) -> dict[str, np.ndarray]:
    """Per-point metrics (arrays of length n), metres and metres/year.

    ``exclude`` (n, nt) marks values left out of RMSE/bias/correlation (e.g. the reference
    epoch, zero by construction); trends use every valid value. ``year_offset``: calendar-year
    fraction at t = 0 (for the month of the seasonal peak)."""
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
    Ao, Am = annual_phasor(om, t, year_offset=year_offset), annual_phasor(mm, t, year_offset=year_offset)
    ao, am = np.abs(Ao), np.abs(Am)
    # scatter of the data about their own trend + annual cycle: the RMSE floor of any smooth model
    seasonal = len(t) >= 6 and np.ptp(t) >= 1.0
    coef = fit_trend(om, t, seasonal=seasonal)
    with np.errstate(invalid="ignore"):
        scat = np.where(ok, obs - coef @ _design(np.asarray(t, float), seasonal).T, np.nan)
        floor = np.sqrt(np.nansum(scat**2, axis=1) / k)
    return {"n": k, "rmse": rmse, "bias": bias, "corr": _corr_rows(obs, mod, ok), "obs_scatter": floor,
            "vel_obs": vo, "vel_model": vm, "vel_residual": vo - vm,
            "amp_obs": ao, "amp_model": am, "amp_residual": ao - am,
            "peak_month_obs": peak_month(Ao), "peak_month_model": peak_month(Am), "phasor_residual": np.abs(Ao - Am),
            "phasor_obs_re": Ao.real, "phasor_obs_im": Ao.imag, "phasor_model_re": Am.real, "phasor_model_im": Am.imag}


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
        **_phasor_overall(pm),
    }


def _phasor_overall(pm: dict) -> dict[str, float]:
    if "phasor_obs_re" not in pm:
        return {}
    ao = pm["phasor_obs_re"] + 1j * pm["phasor_obs_im"]
    am = pm["phasor_model_re"] + 1j * pm["phasor_model_im"]
    so, sm = phasor_summary(ao), phasor_summary(am)
    d = np.abs(ao - am)
    d = d[np.isfinite(d)]
    return {
        "seasonal_phasor_rmse_m": float(np.sqrt(np.mean(d**2))) if d.size else float("nan"),
        "seasonal_coherent_amplitude_obs_m": so["coherent_amplitude_m"],
        "seasonal_coherent_amplitude_model_m": sm["coherent_amplitude_m"],
        "seasonal_phase_coherence_obs": so["phase_coherence"],
        "seasonal_phase_coherence_model": sm["phase_coherence"],
        "seasonal_peak_month_obs": so["peak_month"],
        "seasonal_peak_month_model": sm["peak_month"],
    }
