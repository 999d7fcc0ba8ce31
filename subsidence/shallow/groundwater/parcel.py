"""A parcel between two parallel ditches: soil layers, ditches, seepage, evapotranspiration.

Levels are elevations (m) in the *land frame*: the frame that moves with the deep
subsidence, with the initial ground surface at ``surface`` (default 0). Rates in m/s,
resistances in s, conductivities in m/s.

Shared by the FE cross-section and the lumped model so that both see the same soil.
"""

from __future__ import annotations

import dataclasses
import functools
import math

import numpy as np

from subsidence.physics.retention import ProfileStorage, VanGenuchten
from subsidence.physics.root_zone import RootZone

SMOOTH = 0.01  # m, width over which the storage and runoff kinks are rounded


@dataclasses.dataclass(frozen=True)
class HydroLayer:
    """One soil layer (top down): thickness (m), horizontal/vertical conductivity (m/s),
    specific yield (-): a constant, or from a van Genuchten ``retention`` curve in equilibrium
    with the water table (:mod:`subsidence.physics.retention`; the storage then depends on the
    depth of the water table, and ``specific_yield`` is only its largest value θs − θr)."""

    name: str
    thickness: float
    kh: float
    kv: float
    specific_yield: float
    retention: VanGenuchten | None = None

    def __post_init__(self):
        if not (self.thickness > 0 and self.kh > 0 and self.kv > 0 and 0 < self.specific_yield <= 1):
            raise ValueError(f"layer {self.name}: need thickness, kh, kv > 0 and 0 < specific_yield <= 1")


@dataclasses.dataclass(frozen=True)
class Drains:
    """Field drains at ``depth`` below the surface (m) with a ``resistance`` (s, per unit parcel
    area). ``kind = "tile"``: they only drain, (h − z_d)/c above their level; ``"submerged"``
    (onderwaterdrainage): they also infiltrate ditch water when the water table is below them,
    the mitigation that keeps the water table of peat meadows up in summer."""

    depth: float
    resistance: float
    kind: str = "tile"

    def __post_init__(self):
        if not (self.depth > 0 and self.resistance > 0):
            raise ValueError("drains need depth > 0 and resistance > 0")
        if self.kind not in ("tile", "submerged"):
            raise ValueError(f"drains kind must be 'tile' or 'submerged', got {self.kind!r}")

    def flux(self, h, surface: float = 0.0):
        """(outflow m/s, its derivative d/dh) for levels h."""
        x = np.asarray(h, dtype=float) - (surface - self.depth)
        if self.kind == "submerged":
            return x / self.resistance, np.full_like(x, 1.0 / self.resistance)
        return softplus(x) / self.resistance, sigmoid(x) / self.resistance


@dataclasses.dataclass(frozen=True)
class Parcel:
    """Parcel hydrology. ``spacing``: ditch spacing L (m); ``ditch_depth``: depth of the
    ditch bottom below the surface (m); ``entry_resistance``: resistance of the ditch bed
    per unit wet area (s); ``aquifer_head``: head in the aquifer below the layers (m,
    land frame; ``None``: no seepage); ``aquitard_resistance``: vertical resistance
    between the layers and that aquifer (s); ``crop_factor`` times the Makkink reference
    evaporation is the potential evapotranspiration, reduced linearly from 1 at a water
    table depth ``et_depths[0]`` to ``et_min_factor`` at ``et_depths[1]`` (m);
    ``runoff_resistance`` (s) drains water above the surface; ``root_zone``: a root-zone water
    balance between the weather and the water table (lumped model; then ET is not reduced by the
    water-table depth but by the zone's moisture, :mod:`subsidence.physics.root_zone`)."""

    layers: tuple[HydroLayer, ...]
    spacing: float
    ditch_depth: float
    entry_resistance: float = 86400.0
    aquifer_head: float | None = None
    aquitard_resistance: float = math.inf
    surface: float = 0.0
    crop_factor: float = 1.0
    et_depths: tuple[float, float] = (0.5, 2.0)
    et_min_factor: float = 0.2
    runoff_resistance: float = 86400.0
    root_zone: RootZone | None = None
    drains: Drains | None = None

    def __post_init__(self):
        if not self.layers:
            raise ValueError("a parcel needs at least one soil layer")
        if not (self.spacing > 0 and 0 < self.ditch_depth < self.total_thickness):
            raise ValueError("need spacing > 0 and 0 < ditch_depth < total thickness of the layers")
        if not (self.entry_resistance > 0 and self.aquitard_resistance > 0 and self.runoff_resistance > 0):
            raise ValueError("resistances must be > 0")
        if not (0 <= self.et_depths[0] < self.et_depths[1] and 0 <= self.et_min_factor <= 1):
            raise ValueError("need 0 <= et_depths[0] < et_depths[1] and 0 <= et_min_factor <= 1")

    # -- geometry -------------------------------------------------------------------------
    @property
    def total_thickness(self) -> float:
        return float(sum(L.thickness for L in self.layers))

    @property
    def base(self) -> float:
        return self.surface - self.total_thickness

    @property
    def ditch_bottom(self) -> float:
        return self.surface - self.ditch_depth

    def layer_bounds(self) -> list[tuple[float, float, HydroLayer]]:
        """(bottom, top, layer) elevations, top down."""
        out, top = [], self.surface
        for L in self.layers:
            out.append((top - L.thickness, top, L))
            top -= L.thickness
        return out

    @property
    def seepage(self) -> bool:
        return self.aquifer_head is not None and math.isfinite(self.aquitard_resistance)

    # -- storage, evapotranspiration, runoff (numpy; the FE model has UFL twins) -----------
    @property
    def has_retention(self) -> bool:
        """Whether a layer's storage follows a retention curve (water-table-dependent yield)."""
        return any(L.retention is not None for L in self.layers)

    @functools.cached_property
    def retention_storage(self) -> ProfileStorage | None:
        """The stored water of the layers with a retention curve (None: no such layer); built once
        per parcel (its tables of ∫θ)."""
        lay = [(b, t, L.retention) for b, t, L in self.layer_bounds() if L.retention is not None]
        return ProfileStorage(lay, span=self.total_thickness + 5.0) if lay else None

    def storage(self, h):
        """Water stored above the base per unit area (m) for a phreatic level h (smoothed; the
        layers with a retention curve hold their equilibrium water content above h)."""
        h = np.asarray(h, dtype=float)
        s = np.zeros_like(h)
        for bot, top, L in self.layer_bounds():
            if L.retention is None:
                s = s + L.specific_yield * (softplus(h - bot) - softplus(h - top))
        rs = self.retention_storage
        if rs is not None:
            s = s + rs(h)[0]
        return s + softplus(h - self.surface)  # ponding above the surface

    def storage_slope(self, h):
        h = np.asarray(h, dtype=float)
        d = np.zeros_like(h)
        for bot, top, L in self.layer_bounds():
            if L.retention is None:
                d = d + L.specific_yield * (sigmoid(h - bot) - sigmoid(h - top))
        rs = self.retention_storage
        if rs is not None:
            d = d + rs(h)[1]
        return d + sigmoid(h - self.surface)

    def et_factor(self, h):
        depth = self.surface - np.asarray(h, dtype=float)
        d1, d2 = self.et_depths
        f = 1.0 - (1.0 - self.et_min_factor) * (depth - d1) / (d2 - d1)
        return np.clip(f, self.et_min_factor, 1.0)

    def runoff(self, h):
        return softplus(np.asarray(h, dtype=float) - self.surface) / self.runoff_resistance

    # -- drainage resistance (Hooghoudt/Ernst) -----------------------------------------------
    def transmissivity(self, level: float) -> float:
        """kD (m^2/s) of the layers below ``level``."""
        t = 0.0
        for bot, top, L in self.layer_bounds():
            t += L.kh * max(0.0, min(top, level) - bot)
        return t

    def drainage_resistances(self, level: float) -> dict:
        """Ernst-type resistances (s) for the parcel drained at ``level``: horizontal
        (midpoint L^2/(8kD), parcel mean L^2/(12kD)), radial (partially penetrating ditch),
        entry (ditch bed, as an areal resistance)."""
        kd = self.transmissivity(level)
        big_l = self.spacing
        wet = max(level - self.ditch_bottom, 0.05)
        entry = self.entry_resistance * big_l / (2.0 * wet)
        d_below = self.ditch_bottom - self.base
        radial = 0.0
        if d_below > 0.05:
            kr = self.transmissivity(self.ditch_bottom) / d_below
            radial = big_l / (math.pi * kr) * math.log(max(d_below / wet, 1.0))
        return {"horizontal_mid": big_l**2 / (8 * kd), "horizontal_mean": big_l**2 / (12 * kd),
                "radial": radial, "entry": entry,
                "mid": big_l**2 / (8 * kd) + radial + entry, "mean": big_l**2 / (12 * kd) + radial + entry}


def softplus(x, w: float = SMOOTH):
    x = np.asarray(x, dtype=float)
    return np.maximum(x, 0.0) + w * np.log1p(np.exp(-np.abs(x) / w))


def sigmoid(x, w: float = SMOOTH):
    from scipy.special import expit

    return expit(np.asarray(x, dtype=float) / w)
