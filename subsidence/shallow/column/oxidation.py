"""Oxidation of organic soil above the phreatic level.

Mass-loss form: in the unsaturated part of an organic layer, down to a maximum
oxidation depth below the surface, organic matter is lost at a volumetric rate
``alpha * exp(0.127 (T - 12.27))`` (kg m^-3 per day at the reference temperature
12.27 degC; the temperature factor is the published peat-meadow relation). The lost
organic mass takes its volume with it: the layer thins by ``loss / rho_org * f_vol``,
``rho_org`` the organic mass per bulk volume and ``f_vol`` the part of the volume that
goes with the organic matter (1 for peat, smaller for organic clay). Oxidation stops when
the organic mass of a cell is used up.
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

    def __post_init__(self):
        if not self.alpha >= 0:
            raise ValueError("alpha must be >= 0")
        if not self.organic_density > 0:
            raise ValueError("organic_density must be > 0")
        if not 0 <= self.volume_fraction <= 1:
            raise ValueError("volume_fraction must be in [0, 1]")
        if not 0 <= self.carbon_fraction <= 1:
            raise ValueError("carbon_fraction must be in [0, 1]")

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
