"""SPAMS: an empirical model of soft-soil surface motion driven by daily weather (a comparator).

Conroy et al. (2023, Geoderma; ``REFERENCES.md``) describe the surface motion of Groningen
parcels by two terms of the daily precipitation P and evaporation E (both in m/day):

- reversible: ``rev(t) = Σ over the τ days before t of (x_p P − x_e E)`` (m; swelling when the
  recent weather was wet, shrinkage when it was dry);
- irreversible: ``x_i × N(t)``, ``N(t)`` the number of days so far on which ``rev`` was ≤ 0
  (m/day × days; settlement that accrues only in dry spells).

Parameters: x_p, x_e (m/m), x_i (m/day) and the window τ (days, 30–150 in the paper). It has no
physics of its own: it is here as the empirical yardstick a physics-based shallow model should
beat on the data it was made for (``calibrate`` fits it per point as a baseline,
:func:`subsidence.calibration.scores.weather_baseline`). Not a substitute for the shallow chain.

Conventions used here (the paper's words leave them open): "the τ days before t" are the days
t − τ … t − 1 (an acquisition at t does not see that day's weather); ``N`` counts the days from
the first date asked for, so ``N`` is 0 there (a constant offset absorbs the days before it). The
sign of the result is the paper's: positive = up (swelling).
"""

from __future__ import annotations

import numpy as np

from subsidence.shallow.forcing import DailySeries, ForcingError

SECONDS_PER_DAY = 86400.0


def _daily_sums(series: DailySeries, first: np.datetime64, last: np.datetime64, what: str) -> np.ndarray:
    """Cumulative sums (m) of the series (m/s) over the days ``first`` … ``last`` (c[k] = days before first + k)."""
    d0, d1 = series.dates[0], series.dates[-1]
    if first < d0 or last > d1:
        raise ForcingError(f"{what} {series.name or ''}: the record covers {d0} … {d1}; SPAMS needs "
                           f"{first} … {last} (the window τ before the first date up to the day before the last)")
    i0 = int((first - d0).astype(int))
    n = int((last - first).astype(int)) + 1
    v = np.asarray(series.values[i0:i0 + n], float) * SECONDS_PER_DAY
    if not np.all(np.isfinite(v)):
        raise ForcingError(f"{what} {series.name or ''}: missing values between {first} and {last}")
    return np.concatenate([[0.0], np.cumsum(v)])


def spams_columns(precip: DailySeries, evap: DailySeries, dates, tau_days: int, ratio: float):
    """The two columns of SPAMS at ``dates`` for x_p = 1 and x_e = ``ratio``:
    ``S`` = Σ over the τ days before each date of (P − ratio E) (m) and ``N`` = the number of days
    from ``dates[0]`` on whose own τ-day sum was ≤ 0 (days; 0 at ``dates[0]``). The model is then
    ``x_p S + x_i N`` with x_e = ratio · x_p (for x_p > 0: the sign of rev, hence N, depends on the
    ratio only)."""
    dates = np.asarray(dates, dtype="datetime64[D]")
    tau = int(tau_days)
    if tau < 1:
        raise ValueError(f"SPAMS window τ = {tau_days} days: must be at least 1 day")
    if dates.size == 0:
        return np.zeros(0), np.zeros(0)
    if np.any(np.diff(dates).astype(int) < 0):
        raise ValueError("SPAMS: the dates must be in increasing order")
    first = dates[0] - np.timedelta64(tau, "D")
    last = max(dates[-1] - np.timedelta64(1, "D"), first)
    cP = _daily_sums(precip, first, last, "precipitation")
    cE = _daily_sums(evap, first, last, "evaporation")
    c = cP - ratio * cE  # c[k]: Σ (P − rE) over the days first … first + k − 1

    def window_sum(k):  # Σ over the τ days before day first + k (k ≥ τ)
        return c[k] - c[k - tau]

    k_dates = (dates - first).astype(int)
    S = window_sum(k_dates)
    # each day from dates[0] to the day before the last date: is its own τ-day sum ≤ 0?
    k_days = np.arange(tau, int(k_dates[-1]))
    dry = (window_sum(k_days) <= 0.0).astype(float)
    counted = np.concatenate([[0.0], np.cumsum(dry)])  # counted[j]: dry days among dates[0] … dates[0] + j − 1
    N = counted[k_dates - tau]
    return S, N


def spams_series(precip: DailySeries, evap: DailySeries, dates, *, tau_days: int, x_p: float, x_e: float,
                 x_i: float) -> np.ndarray:
    """SPAMS surface displacement (m, up positive, 0 … at ``dates[0]`` apart from ``rev`` there):
    ``rev(t) + x_i N(t)`` with the parameters of the paper (x_p, x_e in m/m, x_i in m/day; x_p > 0)."""
    if not x_p > 0:
        raise ValueError(f"SPAMS: x_p = {x_p} must be positive (the dry-day count depends on x_e/x_p)")
    S, N = spams_columns(precip, evap, dates, tau_days, x_e / x_p)
    return x_p * S + x_i * N
