"""Reservoir compaction laws: pressure history → vertical compaction (m) of a layer.

Sign convention: ``dp`` is the pressure change since the initial state (depletion is
negative); the effective-stress increase is ``-dp`` (Biot coefficient folded into Cm);
compaction ``c`` is positive for shortening. All laws are vectorised over cells.

- ``linear``:      c = -Cm · dp · H
- ``time-decay``:  c(t) = ∫ dc_lin(s) (1 - exp(-(t-s)/τ)); exact for piecewise-linear
  histories with steps (repeated times).
- ``rticm``:       rate-type isotach compaction model (de Waal; Pruiksma et al. 2015):
      ε̇ = cm_d σ̇' + (cm_ref - cm_d) σ̇_ref (σ'/σ'_r)^(1/b),  σ'_r = σ'_r0 + ε/cm_ref,
  with σ' the vertical effective stress (σ'_0 + (-dp)), ε the compaction strain since
  the start and σ'_r0 = σ'_0 (σ̇_ref/σ̇_0)^b the reference-isotach stress of the initial
  state, which creeps at the (geological) loading rate σ̇_0 before production. On the
  reference isotach, loading at σ̇_ref gives the slope cm_ref; fast loading first gives
  the direct slope cm_d and the secular strain follows with a delay.
"""

from __future__ import annotations

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class PressureHistory:
    """Piecewise-linear pressure change; repeated times make steps. ``values`` is (nt,) or (ncell, nt)."""

    times: np.ndarray  # s, non-decreasing
    values: np.ndarray  # Pa

    def __post_init__(self):
        t = np.asarray(self.times, float)
        if t.ndim != 1 or t.size == 0 or np.any(np.diff(t) < 0):
            raise ValueError("pressure history times must be a non-empty, non-decreasing 1-D array")
        if np.asarray(self.values).shape[-1] != t.size:
            raise ValueError("pressure history values must have one entry per time")

    @property
    def per_cell(self) -> bool:
        return np.asarray(self.values).ndim == 2

    def at(self, t: np.ndarray | float) -> np.ndarray:
        """Pressure change at times ``t`` (right-continuous at steps); shape (..., len(t))."""
        t = np.atleast_1d(np.asarray(t, float))
        v = np.asarray(self.values, float)
        tt = self.times
        # right-continuous: at a step time take the last value given for that time
        idx = np.searchsorted(tt, t, side="right") - 1
        idx = np.clip(idx, 0, tt.size - 1)
        nxt = np.clip(idx + 1, 0, tt.size - 1)
        dt = tt[nxt] - tt[idx]
        w = np.where(dt > 0, (t - tt[idx]) / np.where(dt > 0, dt, 1.0), 0.0)
        w = np.clip(w, 0.0, 1.0)
        return v[..., idx] * (1 - w) + v[..., nxt] * w


@dataclasses.dataclass(frozen=True)
class Linear:
    cm: float  # 1/Pa
    law: str = "linear"

    def compaction(self, p: PressureHistory, times, thickness, cm=None) -> np.ndarray:
        cm = self.cm if cm is None else cm
        dp = p.at(times)
        return -_col(cm) * dp * _col(thickness)


@dataclasses.dataclass(frozen=True)
class TimeDecay:
    cm: float  # 1/Pa
    tau: float  # s
    law: str = "time-decay"

    def compaction(self, p: PressureHistory, times, thickness, cm=None) -> np.ndarray:
        cm = self.cm if cm is None else cm
        times = np.atleast_1d(np.asarray(times, float))
        v = np.asarray(p.values, float)
        tt = p.times
        out = np.zeros(v.shape[:-1] + (times.size,))
        # values before the first time: the first value applies from -inf (no transient)
        out += v[..., :1] * np.ones(times.size)
        for j in range(tt.size - 1):
            a, b = tt[j], tt[j + 1]
            dv = v[..., j + 1] - v[..., j]
            if b == a:  # step of dv at time a
                s = times - a
                resp = np.where(s >= 0, 1.0 - np.exp(-np.maximum(s, 0) / self.tau), 0.0)
                out += dv[..., None] * resp
                continue
            rate = dv / (b - a)
            hi = np.minimum(times, b)
            resp = np.where(
                times > a,
                (hi - a) - self.tau * (np.exp(-(times - hi) / self.tau) - np.exp(-np.maximum(times - a, 0) / self.tau)),
                0.0,
            )
            out += rate[..., None] * resp
        return -_col(cm) * out * _col(thickness)


@dataclasses.dataclass(frozen=True)
class RTiCM:
    cm_d: float  # 1/Pa, direct compressibility
    cm_ref: float  # 1/Pa, reference (secular) compressibility, > cm_d
    b: float  # creep exponent parameter
    sigma_dot_ref: float  # Pa/s, reference loading rate
    sigma0: float  # Pa, initial vertical effective stress
    sigma_dot_0: float  # Pa/s, loading rate of the initial (pre-production) state
    law: str = "rticm"

    @property
    def sigma_r0(self) -> float:
        return self.sigma0 * (self.sigma_dot_ref / self.sigma_dot_0) ** self.b

    def strain(self, p: PressureHistory, times, cm_scale=None) -> np.ndarray:
        """Compaction strain at ``times`` (vectorised over cells for per-cell histories)."""
        times = np.atleast_1d(np.asarray(times, float))
        dp = np.asarray(p.values, float)
        two_d = dp.ndim == 2
        dp2 = dp if two_d else dp[None, :]
        eps = integrate_rticm(self, p.times, dp2, times)
        return eps if two_d else eps[0]

    def compaction(self, p: PressureHistory, times, thickness, cm=None) -> np.ndarray:
        eps = self.strain(p, times)
        return eps * _col(thickness)


def integrate_rticm(law: RTiCM, tt: np.ndarray, dp: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Integrate the RTiCM ODE for each row of ``dp`` (ncell, nk) on the piecewise-linear history.

    Trapezoidal rule (second order) with a vectorised scalar Newton per cell and geometric sub-stepping
    inside each segment (fine steps right after every change of loading rate, where the
    secular rate changes fastest). Steps in pressure are applied as instantaneous direct
    compaction cm_d·Δσ'.
    """
    n = dp.shape[0]
    eps = np.zeros(n)
    sig = law.sigma0 - dp[:, 0]
    out = np.full((n, times.size), np.nan)
    t_now = -np.inf
    k_out = 0
    m = 1.0 / law.b
    A = (law.cm_ref - law.cm_d) * law.sigma_dot_ref
    # before the first history time the state is the initial, stationary one
    while k_out < times.size and times[k_out] <= tt[0]:
        out[:, k_out] = 0.0
        k_out += 1
    t_now = tt[0]
    for j in range(tt.size - 1):
        a, b_ = tt[j], tt[j + 1]
        if b_ == a:
            dsig = -(dp[:, j + 1] - dp[:, j])
            eps = eps + law.cm_d * dsig
            sig = sig + dsig
            continue
        rate = -(dp[:, j + 1] - dp[:, j]) / (b_ - a)
        # geometric sub-steps from a to b_: first step ~1e-6 of the segment, ratio <= 1.15
        length = b_ - a
        nsub = 400
        grid = a + length * (np.geomspace(1e-7, 1.0, nsub))
        grid = np.concatenate([[a], grid])
        stops = times[(times > a) & (times <= b_)]
        grid = np.unique(np.concatenate([grid, stops]))
        for t0, t1 in zip(grid[:-1], grid[1:]):
            h = t1 - t0
            sig1 = sig + rate * h
            g0 = A * (sig / (law.sigma_r0 + eps / law.cm_ref)) ** m
            e = eps + law.cm_d * rate * h  # predictor: direct part
            for _ in range(60):
                sr = law.sigma_r0 + e / law.cm_ref
                g = A * (sig1 / sr) ** m
                F = e - eps - law.cm_d * (sig1 - sig) - 0.5 * h * (g + g0)
                dF = 1.0 + 0.5 * h * g * m / sr / law.cm_ref
                de = -F / dF
                e = e + de
                if np.all(np.abs(de) <= 1e-14 + 1e-12 * np.abs(e)):
                    break
            eps, sig = e, sig1
            while k_out < times.size and times[k_out] <= t1 + 1e-9 * max(1.0, abs(t1)):
                out[:, k_out] = eps
                k_out += 1
        t_now = b_
    # after the last history time the load is constant: creep continues
    if k_out < times.size:
        sig1 = sig
        grid = np.concatenate([[t_now], t_now + (times[-1] - t_now) * np.geomspace(1e-7, 1.0, 400)])
        grid = np.unique(np.concatenate([grid, times[k_out:]]))
        for t0, t1 in zip(grid[:-1], grid[1:]):
            h = t1 - t0
            g0 = A * (sig1 / (law.sigma_r0 + eps / law.cm_ref)) ** m
            e = eps.copy()
            for _ in range(60):
                sr = law.sigma_r0 + e / law.cm_ref
                g = A * (sig1 / sr) ** m
                F = e - eps - 0.5 * h * (g + g0)
                dF = 1.0 + 0.5 * h * g * m / sr / law.cm_ref
                de = -F / dF
                e = e + de
                if np.all(np.abs(de) <= 1e-14 + 1e-12 * np.abs(e)):
                    break
            eps = e
            while k_out < times.size and times[k_out] <= t1 + 1e-9 * max(1.0, abs(t1)):
                out[:, k_out] = eps
                k_out += 1
    return out


def rticm_step_response(law: RTiCM, dsigma: float, t: np.ndarray) -> np.ndarray:
    """Closed form for a step Δσ' at t = 0 (hand-checkable): strain at times t ≥ 0.

    After the direct jump ε0 = cm_d Δσ', σ' = σ'_0 + Δσ' is constant and
    dε/dt = A (σ'/(σ'_r0 + ε/cm_ref))^m  ⇒  s(t)^(m+1) = s0^(m+1) + (m+1) A σ'^m t / cm_ref
    with s = σ'_r0 + ε/cm_ref, m = 1/b, A = (cm_ref - cm_d) σ̇_ref.
    """
    m = 1.0 / law.b
    A = (law.cm_ref - law.cm_d) * law.sigma_dot_ref
    sig = law.sigma0 + dsigma
    e0 = law.cm_d * dsigma
    s0 = law.sigma_r0 + e0 / law.cm_ref
    # work with logs to avoid overflow of s**(m+1)
    ls0 = (m + 1) * np.log(s0)
    lk = np.log((m + 1) * A / law.cm_ref) + m * np.log(sig) + np.log(np.maximum(t, 1e-300))
    ls = np.logaddexp(ls0, lk) / (m + 1)
    eps = (np.exp(ls) - law.sigma_r0) * law.cm_ref
    return np.where(t > 0, eps, e0)


def _col(a):
    a = np.asarray(a, float)
    return a[..., None] if a.ndim >= 1 else a
