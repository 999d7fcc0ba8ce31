"""Independent reference for RTiCM: the published rate equation integrated by scipy's stiff solver.

Written from the equations (Pruiksma et al. 2015; TNO PySub's ``CompactionModels.RTiCM``), not from
``subsidence.physics.compaction``:

    dε/dt = cm_d dσ'/dt + (c_m − cm_d) σ̇_ref (c_m/cm_ref)^(−1/b),   c_m = (ε + c_m0 σ'_0)/σ',

with c_m0 = cm_ref (published) or cm_ref (σ̇_ref/σ̇_0)^b (this toolkit's ``sigma_dot_0`` extension).
Used by tests/deep/test_compaction.py and validation/benchmarks/deep_analytic.py.
"""

import numpy as np
from scipy.integrate import solve_ivp


def rticm_ode(cm_d, cm_ref, b, sigma_dot_ref, sigma0, times, dsigma, t_out, sigma_dot_0=None, rtol=1e-11):
    """Strain at ``t_out`` for a piecewise-linear effective-stress increase ``dsigma`` (Pa) at ``times`` (s).

    Segments of zero length are steps (direct strain cm_d Δσ' only); after the last time the
    stress is held. Radau (implicit, stiff) per segment with rtol ``rtol``.
    """
    cm0 = cm_ref if sigma_dot_0 is None else cm_ref * (sigma_dot_ref / sigma_dot_0) ** b
    eps_t0 = cm0 * sigma0
    times = np.asarray(times, float)
    dsigma = np.asarray(dsigma, float)
    t_out = np.asarray(t_out, float)
    segs = [(times[j], times[j + 1], dsigma[j], dsigma[j + 1]) for j in range(times.size - 1)]
    segs.append((times[-1], max(t_out.max(), times[-1]) + 1.0, dsigma[-1], dsigma[-1]))
    out = np.full(t_out.size, np.nan)
    out[t_out <= times[0]] = 0.0
    eps = 0.0
    for a, b_, s_a, s_b in segs:
        if b_ == a:
            eps += cm_d * (s_b - s_a)
            continue
        rate = (s_b - s_a) / (b_ - a)

        def f(t, y, a=a, s_a=s_a, rate=rate):
            sig = sigma0 + s_a + rate * (t - a)
            cm = (y[0] + eps_t0) / sig
            return [cm_d * rate + (cm - cm_d) * sigma_dot_ref * (cm / cm_ref) ** (-1.0 / b)]

        inside = (t_out > a) & (t_out <= b_)
        t_eval = np.unique(np.concatenate([t_out[inside], [b_]]))
        sol = solve_ivp(f, (a, b_), [eps], method="Radau", rtol=rtol, atol=1e-18, t_eval=t_eval)
        out[inside] = np.interp(t_out[inside], t_eval, sol.y[0])  # exact: t_out is a subset of t_eval
        eps = sol.y[0, -1]
    return out
