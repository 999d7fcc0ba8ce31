"""Brine heat solved, not prescribed: a well-mixed brine node in a spherical cavity, heated by
radial conduction from the salt around it (Carslaw & Jaeger 1959, §9.8: a sphere of
"perfect conductor" — here, stirred brine — in an infinite medium).

The cavern is the sphere of its volume, radius a = (3V/4π)^(1/3). The salt, initially at the
rock temperature T_rock of the geothermal profile at mid-cavern depth, conducts heat radially::

    ρ_s c_s ∂T/∂t = k_s (1/r²) ∂/∂r (r² ∂T/∂r),  r > a,   T(∞) = T_rock
    C_b dT_b/dt = 4π a² k_s ∂T/∂r |_a,  T(a, t) = T_b(t),   C_b = ρ_b c_b V

with the brine at T_rock − deficit at t = 0. Discretisation: nodes on a geometric radial grid
from a to R = a + 12 √(κ t_end) (at least 10 a), the brine and the wall at node 0, the far
node held at T_rock; the conductance between nodes i and i+1 is the exact steady one of a
spherical shell, 4π k_s r_i r_(i+1)/(r_(i+1) − r_i); backward Euler in time with the cavern's
steps (one tridiagonal solve per trial step). The brine temperature enters the brine mass
balance (thermal expansion raises a sealed cavern's pressure); the rock temperature of the
creep law stays the geothermal one.

Thermal stress: the salt's temperature change ΔT(r, t) = T − T_rock of this sphere-equivalent
profile is applied in the FE model at the distance d from the real wall, ΔT(a + d) (an
approximation: exact for a spherical cavern; for other shapes the profile of the equivalent
sphere is laid along the wall normal, which overstates the cooled volume next to convex parts
of the wall and understates it in re-entrant ones), as the eigenstrain α_s ΔT 1
(CreepModel.set_wall_temperature_change). In an infinite elastic medium the wall's hoop
stress is then −α_s E ΔT(a)/(1 − ν) (cooling: tension) and the cavity volume does not change
(Timoshenko & Goodier §152 in the limit b → ∞); creep relaxes it.
"""

from __future__ import annotations

import math

import numpy as np


class BrineHeat:
    """Conduction around one cavern; ``trial(dt)`` gives the brine temperature after a step
    from the committed state, ``commit(dt)`` accepts it."""

    def __init__(self, *, volume: float, T_rock: float, deficit: float, k_salt: float, kappa_salt: float,
                 rho_c_brine: float, t_end: float, n: int = 200):
        if not (volume > 0 and k_salt > 0 and kappa_salt > 0 and rho_c_brine > 0 and t_end > 0):
            raise ValueError("BrineHeat needs positive volume, conductivity, diffusivity, heat capacity and t_end")
        a = (3 * volume / (4 * math.pi)) ** (1 / 3)
        self.a, self.T_rock = a, T_rock
        R = a + max(12 * math.sqrt(kappa_salt * t_end), 10 * a)
        # geometric spacing: fine at the wall (first cell a/1000 or a tenth of the diffusion length of a day)
        h0 = min(a / 1000, 0.1 * math.sqrt(kappa_salt * 86400.0))
        g = _ratio(h0, R - a, n)
        r = a + h0 * (g ** np.arange(n + 1) - 1) / (g - 1)
        r[-1] = R
        self.r = r
        rho_c_salt = k_salt / kappa_salt
        mid = 0.5 * (r[1:] + r[:-1])
        edges = np.concatenate([[a], mid, [R]])
        cap = rho_c_salt * 4 * math.pi / 3 * (edges[1:] ** 3 - edges[:-1] ** 3)
        cap[0] += rho_c_brine * volume  # the brine node
        self.cap = cap
        self.cond = 4 * math.pi * k_salt * r[:-1] * r[1:] / (r[1:] - r[:-1])
        self.T = np.full(n + 1, float(T_rock))
        self.T[0] = T_rock - deficit
        self._cache: tuple[float, np.ndarray] | None = None

    @property
    def brine_T(self) -> float:
        return float(self.T[0])

    def _solve(self, dt: float) -> np.ndarray:
        if dt <= 0:
            return self.T.copy()
        if self._cache is not None and self._cache[0] == dt:
            return self._cache[1]
        from scipy.linalg import solve_banded

        n = self.T.size - 1  # unknowns 0..n-1, node n held at T_rock
        c = self.cond
        diag = self.cap[:n] / dt
        diag = diag + np.concatenate([[0.0], c[: n - 1]]) + c[:n]
        upper = -c[: n - 1]
        lower = -c[: n - 1]
        rhs = self.cap[:n] / dt * self.T[:n]
        rhs[n - 1] += c[n - 1] * self.T_rock
        ab = np.zeros((3, n))
        ab[0, 1:] = upper
        ab[1] = diag
        ab[2, :-1] = lower
        T = self.T.copy()
        T[:n] = solve_banded((1, 1), ab, rhs)
        self._cache = (dt, T)
        return T

    def trial(self, dt: float) -> float:
        """Brine temperature [K] after a step of ``dt`` from the committed state."""
        return float(self._solve(dt)[0])

    def profile(self, dt: float = 0.0) -> tuple[float, np.ndarray, np.ndarray]:
        """(a, r, ΔT): the salt's temperature change from T_rock on the radial grid after a step
        of ``dt`` from the committed state (0: the committed state); ΔT at r[0] = a is the
        brine's. Used for the thermal eigenstrain around the cavern (CreepModel)."""
        return self.a, self.r, self._solve(dt) - self.T_rock

    def commit(self, dt: float) -> None:
        self.T = self._solve(dt)
        self._cache = None

    def state(self) -> np.ndarray:
        return self.T.copy()

    def load(self, T: np.ndarray) -> None:
        self.T = np.asarray(T, float).copy()
        self._cache = None


def _ratio(h0: float, L: float, n: int) -> float:
    """Growth factor g of n geometric cells from h0 that sum to L (g > 1)."""
    if h0 * n >= L:
        return 1.0 + 1e-9
    lo, hi = 1.0 + 1e-12, 2.0
    while h0 * (hi**n - 1) / (hi - 1) < L:
        hi *= 2
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if h0 * (mid**n - 1) / (mid - 1) < L:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def stirred_sphere_temperature(t, *, a: float, theta0: float, k_salt: float, kappa_salt: float, rho_c_brine: float):
    """Closed form (Laplace transform; Carslaw & Jaeger §9.8) of the excess temperature
    θ_b = T_b − T_rock of stirred brine in a spherical cavity of radius a in an infinite
    medium initially at T_rock, θ_b(0) = θ0::

        θ̄_b = θ0 / (s + h/a + h √(s/κ)),  h = 3 k_s/(ρ_b c_b a)
        θ_b/θ0 = [γ₂ erfcx(γ₂ √t) − γ₁ erfcx(γ₁ √t)] / (γ₂ − γ₁),  γ₁,₂ roots of p² + (h/√κ) p + h/a

    with erfcx(z) = e^{z²} erfc(z) (Faddeeva w(iz) for the complex roots of a brine whose heat
    capacity exceeds 3/4 of the salt's)."""
    from scipy.special import wofz

    h = 3 * k_salt / (rho_c_brine * a)
    b, c = h / math.sqrt(kappa_salt), h / a
    disc = complex(b * b - 4 * c)
    g1, g2 = (b - disc**0.5) / 2, (b + disc**0.5) / 2
    st = np.sqrt(np.asarray(t, dtype=float))

    def erfcx(z):
        return wofz(1j * z)

    val = (g2 * erfcx(g2 * st) - g1 * erfcx(g1 * st)) / (g2 - g1)
    return theta0 * np.real(val)
