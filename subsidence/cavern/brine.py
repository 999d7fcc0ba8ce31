"""Brine in a cavern: equation of state, warming, permeation, and the discrete mass balance.

Brine density ρ(P, T) = ρ_ref exp(β (P − P_ref) − α (T − T_ref)) (β compressibility,
α thermal expansion). The mass balance of one time step n → n+1 (backward Euler, masses
in units of ρ_ref·m³) is closed exactly::

    ρ(P, T) · (V + Q_out Δt + Q_perm(P) Δt) = ρ(P_n, T_n) V_n

which is the integrated form of β V dP/dt = −dV/dt + α V dT/dt − Q_perm − Q_out. Out-flows
are volumes at cavern conditions. Permeation is Darcy flow from a sphere of the cavern's
equivalent radius into an infinite medium: Q_perm = 4π a_eq (k/μ) (P_mid − P_pore).
"""

from __future__ import annotations

import dataclasses
import math


@dataclasses.dataclass(frozen=True)
class Brine:
    density: float = 1200.0  # kg/m³ (reference)
    compressibility: float = 2.6e-10  # 1/Pa
    thermal_expansion: float = 4.4e-4  # 1/K
    permeability: float = 0.0  # m² (salt ~1e-21 to 1e-19)
    viscosity: float = 1.2e-3  # Pa s
    initial_temperature_deficit: float = 0.0  # K below rock temperature at t = 0
    warming_time: float | None = None  # s; None: V^(2/3) / (4 κ)
    salt_diffusivity: float = 3.0e-6  # m²/s, for the default warming time
    pore_pressure_gradient: float = 0.012e6  # Pa/m, far-field brine pressure in the salt
    # brine heat: "exponential" (prescribed warming with warming_time) or "conduction" (solved:
    # radial conduction in the salt around a well-mixed brine node, subsidence.cavern.heat)
    heat: str = "exponential"
    salt_conductivity: float = 6.0  # W/(m K), for "conduction"
    specific_heat: float = 3500.0  # J/(kg K), brine, for "conduction"
    # leak-off: a sealed cavern's shoe pressure is capped at the lithostatic stress at the shoe
    # less leak_margin (case files: on by default; see operations.Operator)
    leak_off: bool = False
    leak_margin: float = 0.0  # Pa
    # what caps the pressure: "lithostatic" (the initial minimum principal stress at the shoe) or
    # "wall" (also the FE tension margin at the roof: leak-off when it falls to leak_margin)
    leak_criterion: str = "lithostatic"

    def __post_init__(self):
        if self.leak_criterion not in ("lithostatic", "wall"):
            raise ValueError(f"unknown leak-off criterion {self.leak_criterion!r}")
        if self.heat not in ("exponential", "conduction"):
            raise ValueError(f"unknown brine heat model {self.heat!r} (exponential or conduction)")

    def relative_density(self, P: float, T: float) -> float:
        """ρ/ρ_ref with P_ref = 0, T_ref = 0 (only ratios matter)."""
        return math.exp(self.compressibility * P - self.thermal_expansion * T)

    def time_constant(self, volume: float) -> float:
        if self.warming_time is not None:
            return self.warming_time
        return volume ** (2.0 / 3.0) / (4.0 * self.salt_diffusivity)

    def temperature(self, t: float, *, rock_T: float, volume: float) -> float:
        """Brine temperature [K]: relaxes exponentially from rock_T − deficit to rock_T."""
        tau = self.time_constant(volume)
        return rock_T - self.initial_temperature_deficit * math.exp(-t / tau)

    def permeation_coefficient(self, volume: float) -> float:
        """dQ_perm/dP [m³/(s Pa)] for a cavern of this volume."""
        if self.permeability <= 0:
            return 0.0
        a_eq = (3.0 * volume / (4.0 * math.pi)) ** (1.0 / 3.0)
        return 4.0 * math.pi * a_eq * self.permeability / self.viscosity


@dataclasses.dataclass
class BrineStep:
    """Mass balance of one cavern over one step; ``mass`` = ρ/ρ_ref · V at t_n."""

    brine: Brine
    mass: float
    T: float  # brine temperature at t_n+1
    dt: float
    q_out: float = 0.0  # imposed well out-flow rate [m³/s], > 0 bleeding
    perm_coef: float = 0.0  # dQ_perm/dP
    perm_offset: float = 0.0  # P_shoe-independent part: Q_perm = coef (P + offset)

    def residual(self, P: float, V: float) -> tuple[float, float, float]:
        """r(P, V) = V + (Q_out + Q_perm) Δt − M_n/ρ(P, T) and its derivatives (m³)."""
        rho = self.brine.relative_density(P, self.T)
        qp = self.perm_coef * (P + self.perm_offset)
        r = V + (self.q_out + qp) * self.dt - self.mass / rho
        drdP = self.perm_coef * self.dt + self.brine.compressibility * self.mass / rho
        return r, drdP, 1.0

    def outflow(self, P: float, V: float) -> tuple[float, float]:
        """For a pressure-controlled step: (well out-flow volume, permeated volume)."""
        rho = self.brine.relative_density(P, self.T)
        perm = self.perm_coef * (P + self.perm_offset) * self.dt
        return self.mass / rho - V - perm, perm
