"""Time grids for implicit (backward Euler) stepping."""

from __future__ import annotations

import numpy as np


def step_times(knots, *, max_step: float, start: float = 0.0) -> np.ndarray:
    """End times of the steps from ``start`` through every knot (output times, pressure-history
    breakpoints), each interval split evenly into steps no longer than ``max_step``."""
    k = np.unique(np.r_[start, np.asarray(knots, float)])
    k = k[k >= start]
    out = []
    for a, b in zip(k[:-1], k[1:]):
        n = max(1, int(np.ceil((b - a) / max_step - 1e-9)))
        out.append(np.linspace(a, b, n + 1)[1:])
    return np.concatenate(out) if out else np.zeros(0)
