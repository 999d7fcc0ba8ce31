"""Reservoir compaction laws: pressure history → vertical compaction (m) of a layer.

Sign convention: ``dp`` is the pressure change since the initial state (depletion is
negative); the effective-stress increase is ``-dp`` (Biot coefficient folded into Cm);
compaction ``c`` is positive for shortening. All laws are vectorised over cells.

- ``linear``:      c = -Cm · dp · H
- ``time-decay``:  c(t) = ∫ dc_lin(s) (1 - exp(-(t-s)/τ)); exact for piecewise-linear
  histories with steps (repeated times).
- ``rticm``:       rate-type isotach compaction model (de Waal; Pruiksma et al. 2015; as in
  TNO PySub's ``CompactionModels.RTiCM``):
      ε̇ = cm_d σ̇' + (c_m − cm_d) σ̇_ref (c_m/cm_ref)^(−1/b),  c_m = ε_t/σ',  ε_t = ε + c_m0 σ'_0,
  with σ' the vertical effective stress (σ'_0 + (−dp)), ε the compaction strain since the
  start, ε_t the total strain and c_m0 = cm_ref (published: the initial state lies on the
  reference isotach). The secular prefactor (c_m − cm_d) is the state variable, not the
  constant (cm_ref − cm_d). Extension: with ``sigma_dot_0`` given, the initial state lies on
  the isotach of the pre-production loading rate σ̇_0, c_m0 = cm_ref (σ̇_ref/σ̇_0)^b, so that
  it keeps creeping at that rate. A sudden step gives the direct strain cm_d Δσ' only.
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
    """Rate-type isotach compaction model (Pruiksma et al. 2015), see the module docstring."""

    cm_d: float  # 1/Pa, direct compressibility
    cm_ref: float  # 1/Pa, reference (secular) compressibility, > cm_d
    b: float  # creep exponent parameter
    sigma_dot_ref: float  # Pa/s, reference loading rate
    sigma0: float  # Pa, initial vertical effective stress
    # Pa/s, loading rate of the pre-production state. None (the default) is the published
    # model: the initial state lies on the reference isotach (loaded at sigma_dot_ref).
    # Any other value is this toolkit's extension (docs/deep.md).
    sigma_dot_0: float | None = None
    law: str = "rticm"

    @property
    def cm0(self) -> float:
        """State variable c_m of the initial state (= cm_ref in the published model)."""
        if self.sigma_dot_0 is None:
            return self.cm_ref
        return self.cm_ref * (self.sigma_dot_ref / self.sigma_dot_0) ** self.b

    @property
    def eps_t0(self) -> float:
        """Total strain of the initial state, c_m0 · σ'_0."""
        return self.cm0 * self.sigma0

    def secular_rate(self, eps, sigma):
        """Secular strain rate (1/s) at compaction strain ``eps`` and effective stress ``sigma``."""
        cm = (np.asarray(eps, float) + self.eps_t0) / np.asarray(sigma, float)
        return (cm - self.cm_d) * self.sigma_dot_ref * np.exp(-np.log(cm / self.cm_ref) / self.b)

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


def _rticm_g(law: RTiCM, e, sig):
    """Secular rate g(ε, σ') and ∂g/∂ε (vectorised)."""
    cm = (e + law.eps_t0) / sig
    m = 1.0 / law.b
    iso = law.sigma_dot_ref * np.exp(-m * np.log(cm / law.cm_ref))
    g = (cm - law.cm_d) * iso
    dg = iso * (1.0 - m * (cm - law.cm_d) / cm) / sig
    return g, dg


def _rticm_steps(law, eps, sig, rate, grid, times, k_out, out):
    """Trapezoidal steps over ``grid`` at effective-stress rate ``rate``; fills ``out`` at ``times``."""
    for t0, t1 in zip(grid[:-1], grid[1:]):
        h = t1 - t0
        sig1 = sig + rate * h
        g0, _ = _rticm_g(law, eps, sig)
        base = eps + law.cm_d * (sig1 - sig) + 0.5 * h * g0
        # Newton from below: where g is decreasing and convex in e (c_m > cm_d (1 + b), any practical
        # state), F(e) = e - base - h/2 g(e) is increasing and concave, so iterates starting at the
        # direct-only strain (F < 0 there) rise monotonically to the root.
        e = eps + law.cm_d * (sig1 - sig)
        for _ in range(100):
            g, dg = _rticm_g(law, e, sig1)
            F = e - base - 0.5 * h * g
            de = -F / (1.0 - 0.5 * h * dg)
            e = e + de
            if np.all(np.abs(de) <= 1e-15 + 1e-13 * np.abs(e)):
                break
        eps, sig = e, sig1
        while k_out < times.size and times[k_out] <= t1 + 1e-9 * max(1.0, abs(t1)):
            out[:, k_out] = eps
            k_out += 1
    return eps, sig, k_out


_RTICM_NGEOM, _RTICM_NLIN = 400, 400  # sub-steps per segment: relative error < 1e-6 (tests/deep)


def _rticm_grid(a, b, stops):
    """Sub-steps of a segment: geometric from a (first step 1e-7 of the segment, where the secular
    rate changes fastest after a change of loading rate) merged with uniform ones, plus ``stops``."""
    parts = [[a], a + (b - a) * np.geomspace(1e-7, 1.0, _RTICM_NGEOM), stops]
    if _RTICM_NLIN:
        parts.append(np.linspace(a, b, _RTICM_NLIN + 1))
    return np.unique(np.concatenate(parts))


def integrate_rticm(law: RTiCM, tt: np.ndarray, dp: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Integrate the RTiCM ODE for each row of ``dp`` (ncell, nk) on the piecewise-linear history.

    Trapezoidal rule (second order) with a vectorised scalar Newton per cell and geometric sub-stepping
    inside each segment (fine steps right after every change of loading rate, where the
    secular rate changes fastest). Steps in pressure are applied as instantaneous direct
    compaction cm_d·Δσ'. Before the first history time the state is the initial one (strain 0).
    """
    n = dp.shape[0]
    eps = np.zeros(n)
    sig = law.sigma0 - dp[:, 0]
    out = np.full((n, times.size), np.nan)
    k_out = 0
    while k_out < times.size and times[k_out] <= tt[0]:
        out[:, k_out] = 0.0
        k_out += 1
    for j in range(tt.size - 1):
        a, b_ = tt[j], tt[j + 1]
        if b_ == a:
            dsig = -(dp[:, j + 1] - dp[:, j])
            eps = eps + law.cm_d * dsig
            sig = sig + dsig
            continue
        rate = -(dp[:, j + 1] - dp[:, j]) / (b_ - a)
        grid = _rticm_grid(a, b_, times[(times > a) & (times <= b_)])
        eps, sig, k_out = _rticm_steps(law, eps, sig, rate, grid, times, k_out, out)
    # after the last history time the load is constant: creep continues
    if k_out < times.size:
        grid = _rticm_grid(tt[-1], times[-1], times[k_out:])
        eps, sig, k_out = _rticm_steps(law, eps, sig, np.zeros(n), grid, times, k_out, out)
    return out


def rticm_step_response(law: RTiCM, dsigma: float, t: np.ndarray) -> np.ndarray:
    """Semi-analytic strain after a step Δσ' at t = 0 (times t ≥ 0), for hand checks.

    After the direct jump ε0 = cm_d Δσ', σ' = σ'_0 + Δσ' is constant, so the state c_m = ε_t/σ'
    obeys dc/dt = (c − cm_d) σ̇_ref (c/cm_ref)^(−1/b) / σ' and the time to reach c is the quadrature
    t(c) = σ'/σ̇_ref ∫_{c0}^{c} (x/cm_ref)^(1/b) / (x − cm_d) dx, inverted by root finding.
    """
    from scipy.integrate import quad
    from scipy.optimize import brentq

    m = 1.0 / law.b
    sig = law.sigma0 + dsigma
    e0 = law.cm_d * dsigma
    c0 = (e0 + law.eps_t0) / sig
    # integrate in u = ln(x/c0): scale by (c0/cm_ref)^m to keep numbers finite
    lscale = m * np.log(c0 / law.cm_ref)

    def time_to(c):
        f = lambda u: np.exp(m * u + lscale) * c0 * np.exp(u) / (c0 * np.exp(u) - law.cm_d)  # noqa: E731
        val, _ = quad(f, 0.0, np.log(c / c0), epsabs=0.0, epsrel=1e-13, limit=200)
        return sig / law.sigma_dot_ref * val

    out = []
    for ti in np.atleast_1d(np.asarray(t, float)):
        if ti <= 0:
            out.append(e0)
            continue
        hi = c0 * 1.001
        while time_to(hi) < ti:
            hi = c0 + 2 * (hi - c0)
        c = brentq(lambda c: time_to(c) - ti, c0, hi, xtol=1e-22, rtol=1e-14)
        out.append(c * sig - law.eps_t0)
    return np.array(out)


def _col(a):
    a = np.asarray(a, float)
    return a[..., None] if a.ndim >= 1 else a
