"""Oxidation of organic soil above the phreatic level.

Mass-loss form: in the unsaturated part of an organic layer, down to a maximum
oxidation depth below the surface, organic matter is lost at a volumetric rate
``alpha * exp(0.127 (T - 12.27))`` (kg m^-3 per day at the reference temperature
12.27 degC; the temperature factor is the published peat-meadow relation). The lost
organic mass takes its volume with it: the layer thins by ``loss / rho_org * f_vol``,
``rho_org`` the organic mass per bulk volume and ``f_vol`` the part of the volume that
goes with the organic matter (1 for peat, smaller for organic clay). Oxidation stops when
the organic mass of a cell is used up, or when its organic fraction of the dry mass reaches
``minimum_organic_fraction`` (with the mineral mass ``mineral_density`` per bulk volume).

Moisture: with a van Genuchten retention curve (``moisture``) the rate is scaled by the relative
air-filled pore fraction a(ψ) = (θs − θ(ψ))/(θs − θr) of the profile in equilibrium with the
water table (suction ψ = height above it): zero at the water table, approaching one in dry
soil. A cell oxidises over the part between ψ₁ and ψ₂ above the water table as if its aerated
thickness were ∫ a dψ = [θs (ψ₂ − ψ₁) − (F(ψ₂) − F(ψ₁))]/(θs − θr), F(x) = ∫₀ˣ θ dψ (closed form
in :mod:`subsidence.physics.retention`, tabulated on a 1 mm grid). Without it, the whole part
above the water table oxidises at the full rate.
"""

from __future__ import annotations

import dataclasses

import numpy as np

T_REF = 12.27  # degC
CO2_PER_C = 44.0 / 12.0  # kg CO2 per kg C
TEMPERATURE_COEFF = 0.127  # 1/degC
SECONDS_PER_DAY = 86400.0


@dataclasses.dataclass(frozen=True)
class NoOxidation:
    """The null implementation: no oxidation."""

    def rate_params(self) -> tuple[float, float, float]:
        return 0.0, 1.0, 0.0


@dataclasses.dataclass(frozen=True)
class PeatOxidation:
    """alpha: kg/m^3/day at 12.27 degC; organic_density: kg/m^3; volume_fraction: 0..1."""

    alpha: float
    organic_density: float
    volume_fraction: float = 1.0
    #: carbon per organic mass (0.58: the van Bemmelen convention, organic matter = 1.724 × organic
    #: carbon); the oxidised carbon leaves as CO₂ (44/12 kg CO₂ per kg C)
    carbon_fraction: float = 0.58
    #: retention curve for the moisture dependence (None: full rate above the water table)
    moisture: object = None
    #: organic fraction of the dry mass below which oxidation stops, with the mineral dry mass per
    #: bulk volume (kg/m^3)
    minimum_organic_fraction: float = 0.0
    mineral_density: float = 0.0

    def __post_init__(self):
        if not self.alpha >= 0:
            raise ValueError("alpha must be >= 0")
        if not self.organic_density > 0:
            raise ValueError("organic_density must be > 0")
        if not 0 <= self.volume_fraction <= 1:
            raise ValueError("volume_fraction must be in [0, 1]")
        if not 0 <= self.carbon_fraction <= 1:
            raise ValueError("carbon_fraction must be in [0, 1]")
        if not 0 <= self.minimum_organic_fraction < 1:
            raise ValueError("minimum_organic_fraction must be in [0, 1)")
        if not self.mineral_density >= 0:
            raise ValueError("mineral_density must be >= 0")
        if self.minimum_organic_fraction > 0 and self.mineral_density <= 0:
            raise ValueError("minimum_organic_fraction needs mineral_density > 0 (the fraction is of the dry mass)")

    def oxidisable_density(self) -> float:
        """Organic mass per bulk volume that can oxidise (kg/m^3): down to the minimum fraction
        f of the dry mass, m_org/(m_org + m_min) = f, i.e. m_org = m_min f/(1 − f)."""
        f = self.minimum_organic_fraction
        return max(self.organic_density - self.mineral_density * f / (1.0 - f), 0.0)

    def rate_params(self) -> tuple[float, float, float]:
        return self.alpha, self.organic_density, self.volume_fraction


def temperature_factor(temperature_c):
    return np.exp(TEMPERATURE_COEFF * (np.asarray(temperature_c, dtype=float) - T_REF))


def thickness_loss(*, alpha, rho_org, f_vol, unsat_thickness, temperature_c, dt, organic_mass):
    """Thickness lost (m) and organic mass lost (kg/m^2) in one step, per cell.

    ``unsat_thickness``: the part of the cell (m) that is above the phreatic level and within
    the oxidation depth; ``organic_mass``: organic mass left in the cell (kg/m^2).
    """
    loss = alpha * temperature_factor(temperature_c) * unsat_thickness * (dt / SECONDS_PER_DAY)
    loss = np.minimum(loss, organic_mass)
    return loss / rho_org * f_vol, loss


class AerationTable:
    """∫ a(ψ) dψ from 0 to x for a van Genuchten curve, tabulated (1 mm) up to ``span`` (m),
    linear in x beyond it (a taken constant there)."""

    def __init__(self, retention, span: float, step: float = 1e-3):
        self.x = np.arange(0.0, span + step, step)
        ts, tr = retention.theta_s, retention.theta_r
        self.G = (ts * self.x - retention.integral(self.x)) / (ts - tr)
        self.slope = float((ts - retention.theta(self.x[-1])) / (ts - tr))

    def __call__(self, x):
        x = np.maximum(x, 0.0)
        g = np.interp(x, self.x, self.G)
        return g + self.slope * np.maximum(x - self.x[-1], 0.0)
