"""Closed-form cavity solutions used to verify the FE creep model (see docs/caverns.md).

``dP = P_far − P_cavern`` (> 0 when the cavern is under-pressured). ``A_star`` is the Norton
factor of ε̇ = (3/2) A* σ_eq^(n−1) s (units Pa^−n s^−1).
"""

from __future__ import annotations

import numpy as np


def lame_sphere_wall_displacement(*, dP: float, a: float, G: float, K: float, b: float = np.inf) -> float:
    """Radial wall displacement (positive outward) of a spherical cavity whose pressure
    drops by ``dP`` inside a thick shell a < r < b with constant outer traction."""
    if np.isinf(b):
        return -dP * a / (4 * G)
    f = a**3 / (b**3 - a**3)
    return -dP * f * a / (3 * K) - dP * f * b**3 / (4 * G * a**2)


def lame_cylinder_wall_displacement(*, dP: float, a: float, G: float, K: float, b: float = np.inf) -> float:
    """Plane-strain thick cylinder, pressure drop ``dP`` at r = a, outer traction unchanged."""
    if np.isinf(b):
        return -dP * a / (2 * G)
    lam = K - 2 * G / 3
    f = a**2 / (b**2 - a**2)
    return -dP * f * a / (2 * (lam + G)) - dP * f * b**2 / (2 * G * a)


def norton_sphere_closure_rate(*, dP: float, A_star: float, n: float, a: float = 1.0, b: float = np.inf) -> float:
    """Steady V̇/V of a spherical cavity (negative = closing); finite b: ΔP/(1 − (a/b)^(3/n))."""
    corr = 1.0 if np.isinf(b) else 1.0 - (a / b) ** (3.0 / n)
    return -1.5 * A_star * (3.0 * dP / (2.0 * n * corr)) ** n


def norton_cylinder_closure_rate(*, dP: float, A_star: float, n: float, a: float = 1.0, b: float = np.inf) -> float:
    """Steady plane-strain V̇/V of a cylindrical cavity; finite b: ΔP/(1 − (a/b)^(2/n))."""
    corr = 1.0 if np.isinf(b) else 1.0 - (a / b) ** (2.0 / n)
    return -np.sqrt(3.0) * A_star * (np.sqrt(3.0) * dP / (n * corr)) ** n


def sealed_sphere_pressure(
    t: np.ndarray, *, P_far: float, dP0: float, A_star: float, n: float, beta: float, a: float = 1.0, b: float = np.inf
) -> np.ndarray:
    """Pressure of a sealed, isothermal, impermeable spherical cavern under steady creep:
    (P∞ − P)^(1−n) = ΔP₀^(1−n) + (n−1) K t/β, K = 1.5 A* (3/(2n))^n (with the finite-b factor).
    ``beta`` is the total (brine + cavern) compressibility."""
    corr = 1.0 if np.isinf(b) else 1.0 - (a / b) ** (3.0 / n)
    Kc = 1.5 * A_star * (3.0 / (2.0 * n * corr)) ** n
    t = np.asarray(t, dtype=float)
    return P_far - (dP0 ** (1 - n) + (n - 1) * Kc * t / beta) ** (1.0 / (1 - n))


def sphere_steady_closure_rate(*, dP: float, rate, drate, a: float = 1.0, b: float = np.inf) -> float:
    """Steady V̇/V of a spherical cavity in a thick shell a < r < b for **any** increasing
    creep law ε̇_eq = rate(σ_eq) (e.g. Norton + linear pressure solution), incompressible
    steady flow. ``drate`` is dε̇_eq/dσ_eq.

    The velocity is v = C/r², so ε̇_eq(r) = ε̇_eq(a) (a/r)³; equilibrium
    dσ_rr/dr = 2(σ_θθ − σ_rr)/r integrated from a to b and written in σ = σ_eq gives

        ΔP = (2/3) ∫_{σ_b}^{σ_a} σ d ln ε̇(σ)/dσ dσ,   rate(σ_b) = rate(σ_a) (a/b)³,

    solved for the wall stress σ_a (Brent); V̇/V = −(3/2) rate(σ_a). Norton reproduces
    :func:`norton_sphere_closure_rate` (ΔP = (2n/3)(σ_a − σ_b)).
    """
    from scipy.integrate import quad
    from scipy.optimize import brentq

    ratio = 0.0 if np.isinf(b) else (a / b) ** 3

    def sigma_at(target: float, hi: float) -> float:
        if target <= 0:
            return 0.0
        return brentq(lambda s: rate(s) - target, 0.0, hi, xtol=1e-14 * hi, rtol=1e-14)

    def mismatch(sa: float) -> float:
        sb = sigma_at(rate(sa) * ratio, sa)
        val, _ = quad(lambda s: s * drate(s) / rate(s) if s > 0 else 0.0, sb, sa, epsabs=0.0, epsrel=1e-12, limit=200)
        return 2.0 / 3.0 * val - dP

    hi = dP
    while mismatch(hi) < 0:  # σ_a ≤ 3ΔP/2 for n ≥ 1 in an infinite medium; widen for thin shells
        hi *= 2.0
    sa = brentq(mismatch, 0.0, hi, xtol=1e-13 * dP, rtol=1e-13)
    return -1.5 * rate(sa)
