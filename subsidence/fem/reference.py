"""Series solutions used to verify the Biot model: Terzaghi (1D) and Mandel (2D plane strain).

Sign conventions here: compressive loads positive (σ0, F > 0), pressure p positive.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import brentq


def terzaghi_pressure(z, t, *, p0: float, height: float, cv: float, nterms: int = 200):
    """p(z, t) in a layer of ``height`` drained at z = 0 (top) and impermeable at z = height."""
    z = np.asarray(z, float)
    m = np.arange(nterms)
    M = np.pi * (2 * m + 1) / 2
    Tv = cv * t / height**2
    terms = (2 / M)[:, None] * np.sin(np.outer(M, z / height)) * np.exp(-(M**2) * Tv)[:, None]
    return p0 * terms.sum(axis=0)


def terzaghi_degree(t, *, height: float, cv: float, nterms: int = 200) -> np.ndarray:
    """Average degree of consolidation U(Tv)."""
    m = np.arange(nterms)
    M = np.pi * (2 * m + 1) / 2
    Tv = np.atleast_1d(cv * np.asarray(t, float) / height**2)
    return 1 - ((2 / M**2)[None, :] * np.exp(-np.outer(Tv, M**2))).sum(axis=1)


def mandel_roots(nu: float, nu_u: float, n: int = 200) -> np.ndarray:
    """Positive roots of tan(α) = (1 − ν)/(ν_u − ν) · α, one in each ((k−½)π … kπ) … branch."""
    c = (1 - nu) / (nu_u - nu)
    roots = []
    for k in range(n):
        lo = k * np.pi + 1e-12
        hi = k * np.pi + np.pi / 2 - 1e-12
        f = lambda a: np.sin(a) - c * a * np.cos(a)  # noqa: E731
        if f(lo) * f(hi) < 0:
            roots.append(brentq(f, lo, hi, xtol=1e-14))
        else:
            lo2, hi2 = k * np.pi + np.pi / 2 + 1e-12, (k + 1) * np.pi - 1e-12
            roots.append(brentq(f, lo2, hi2, xtol=1e-14))
    return np.array(roots)


def mandel(x, t, *, a: float, force: float, G: float, nu: float, nu_u: float, B: float, c: float, n: int = 200):
    """Mandel's problem: slab |x| < a between rigid frictionless plates, total force 2F per unit length.

    Returns (p(x, t), ux(x, t), uy/y(t)) — pressure, horizontal displacement and the vertical
    strain uy/y (uniform), tension-positive displacements, compressive force ``force`` = F > 0.
    """
    x = np.asarray(x, float)
    al = mandel_roots(nu, nu_u, n)
    s, co = np.sin(al), np.cos(al)
    den = al - s * co
    e = np.exp(-(al**2) * c * t / a**2)
    p = 2 * force * B * (1 + nu_u) / (3 * a) * (
        (s / den * e)[:, None] * (np.cos(np.outer(al, x / a)) - co[:, None])).sum(axis=0)
    ux = (force * nu / (2 * G * a) - force * nu_u / (G * a) * np.sum(s * co / den * e)) * x + \
        force / G * ((co / den * e)[:, None] * np.sin(np.outer(al, x / a))).sum(axis=0)
    uy_over_y = -force * (1 - nu) / (2 * G * a) + force * (1 - nu_u) / (G * a) * np.sum(s * co / den * e)
    return p, ux, uy_over_y
