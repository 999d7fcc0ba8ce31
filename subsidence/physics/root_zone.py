"""A root-zone water balance between the weather and the water table.

Without it, evapotranspiration is drawn from the water table directly (reduced with its depth),
so a dry spell lowers the water table at once. With it, rain and evaporation act on a
root-zone store W (m of plant-available water, 0 ≤ W ≤ W_max = available_water × depth); the
water table sees only what the store passes on:

- **evapotranspiration** at the potential rate E_p (crop factor × reference) while the depletion
  W_max − W is at most the readily available part p·W_max, then reduced linearly to zero at
  W = 0 (FAO-56, Allen et al. 1998: K_s = W / ((1 − p) W_max));
- **percolation**: what exceeds W_max drains to the water table at once;
- **capillary rise** from the water table into the store, at most ``capillary_max`` while the
  water table is within the root zone and decaying exponentially with its distance below it
  (length ``capillary_decay``), never more than the store lacks.

Each step is integrated exactly for forcing constant over the step: rain is added first,
then, with the capillary rise q_c (from the water table at the start of the step) as a
constant gain, dW/dt = q_c − E_p while W is above the threshold (1 − p) W_max, and
dW/dt = q_c − E_p W / ((1 − p) W_max) below it (an exponential approach to
q_c (1 − p) W_max / E_p); the crossing of the threshold within the step is located exactly.
The net recharge of the water table over the step is percolation − capillary rise.

Shrinkage and swelling (Bronswijk 1988): the root-zone soil loses volume with the water it
loses, ``shrinkage_fraction`` of it (normal shrinkage: 1), and the surface lowers by the vertical
part of that loss set by the geometry factor r_s; rewetting reverses it. This is the reversible
seasonal and drought motion of clay and peat that InSAR sees on soft soils.

Ripening (irreversible shrinkage): young clay that dries further than it ever has loses structure
and water it does not take back (physical ripening, Rijniersce 1983). With a ripening fraction ρ,
that share of the shrinkage beyond the driest state so far (depletion D_max(t), at least the
``ripened_to`` share of W_max the soil had already known) stays when the soil rewets:

    lowering(t) = S(D) + ρ · [S(D_max) − S(max(D, D_0))]₊,   D_max = max(D_0, max_{s≤t} D(s)),

continuous in D, equal to S(D) at the driest state and to ρ [S(D_max) − S(D_0)] when wet again;
ρ = 0 is the reversible shrinkage alone.
"""

from __future__ import annotations

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class RootZone:
    """``depth`` (m), ``available_water`` (−, field capacity − wilting point),
    ``depletion_fraction`` p (−), ``capillary_max`` (m/s), ``capillary_decay`` (m)."""

    depth: float
    available_water: float
    depletion_fraction: float = 0.5
    capillary_max: float = 0.0
    capillary_decay: float = 0.5
    shrinkage_fraction: float = 0.0
    geometry_factor: float = 3.0
    ripening_fraction: float = 0.0
    ripened_to: float = 0.0

    def __post_init__(self):
        if not self.depth > 0:
            raise ValueError(f"depth must be > 0, got {self.depth}")
        if not 0 < self.available_water <= 1:
            raise ValueError(f"available_water must be in (0, 1], got {self.available_water}")
        if not 0 <= self.depletion_fraction < 1:
            raise ValueError(f"depletion_fraction must be in [0, 1), got {self.depletion_fraction}")
        if not self.capillary_max >= 0 or not self.capillary_decay > 0:
            raise ValueError("need capillary_max >= 0 and capillary_decay > 0")
        if not 0 <= self.shrinkage_fraction <= 1:
            raise ValueError(f"shrinkage_fraction must be in [0, 1], got {self.shrinkage_fraction}")
        if not 0 <= self.ripening_fraction <= 1 or not 0 <= self.ripened_to <= 1:
            raise ValueError("ripening_fraction and ripened_to must be in [0, 1]")
        if not self.geometry_factor >= 1:
            raise ValueError(f"geometry_factor must be >= 1 (1: vertical only, 3: isotropic), got {self.geometry_factor}")

    def shrinkage(self, depletion):
        """Reversible lowering of the surface (m, positive down) when the root zone lacks
        ``depletion`` (m of water, W_max − W): Bronswijk's shrinkage of a clay/peat layer, whose
        volume falls by ``shrinkage_fraction`` × the water lost (1: normal shrinkage; less where
        air enters the pores) and whose vertical share follows the geometry factor r_s
        (1 − Δz/z = (1 − ΔV/V)^(1/r_s); 1: only vertical, 3: isotropic, cracks opening)."""
        dv = self.shrinkage_fraction * np.clip(np.asarray(depletion, dtype=float), 0.0, self.capacity) / self.depth
        return self.depth * (1.0 - (1.0 - dv) ** (1.0 / self.geometry_factor))

    def shrinkage_history(self, depletion):
        """Lowering of the surface (m, positive down) over a depletion history (time on axis 0):
        the reversible shrinkage plus, with ``ripening_fraction`` ρ > 0, the irreversible part
        left by drying beyond the driest state so far (module docstring)."""
        D = np.clip(np.asarray(depletion, dtype=float), 0.0, self.capacity)
        S = self.shrinkage(D)
        if self.ripening_fraction == 0 or D.size == 0:
            return S
        D0 = self.ripened_to * self.capacity
        Dmax = np.maximum(np.maximum.accumulate(D, axis=0), D0)
        return S + self.ripening_fraction * np.maximum(self.shrinkage(Dmax) - self.shrinkage(np.maximum(D, D0)), 0.0)

    @property
    def capacity(self) -> float:
        """W_max (m)."""
        return self.depth * self.available_water

    def capillary(self, table_depth):
        """Capillary rise (m/s) for a water table at ``table_depth`` below the surface (m)."""
        below = np.maximum(np.asarray(table_depth, dtype=float) - self.depth, 0.0)
        return self.capillary_max * np.exp(-below / self.capillary_decay)

    def step(self, w, rain, et_pot, table_depth, dt):
        """One step of length dt (s) from store w (m), rain and potential ET (m/s, ≥ 0) and the
        water-table depth (m) at the start of the step. Returns (w_new, et_actual, percolation,
        capillary) with the fluxes as amounts over the step (m); arrays broadcast over parcels.
        The balance w_new − w = rain·dt + capillary − et_actual − percolation holds exactly."""
        w = np.asarray(w, dtype=float)
        wmax = self.capacity
        thr = (1.0 - self.depletion_fraction) * wmax  # > 0: below it ET is reduced
        shape = np.broadcast_shapes(w.shape, np.shape(rain), np.shape(et_pot), np.shape(table_depth))
        w = np.broadcast_to(w, shape)
        rain_amt = np.broadcast_to(np.asarray(rain, dtype=float) * dt, shape)
        ep = np.broadcast_to(np.asarray(et_pot, dtype=float), shape)
        qc = np.broadcast_to(self.capillary(table_depth), shape)
        w1 = w + rain_amt
        perc = np.maximum(w1 - wmax, 0.0)
        w1 = w1 - perc
        net = qc - ep
        k = ep / thr
        # phase 1, above the threshold: dW/dt = qc − ep, until W reaches thr (when falling)
        with np.errstate(divide="ignore", invalid="ignore"):
            t_down = np.where((w1 > thr) & (net < 0), (w1 - thr) / -net, np.inf)
        t1 = np.where(w1 > thr, np.minimum(t_down, dt), 0.0)
        w_a = w1 + net * t1
        # phase 2, below it: dW/dt = qc − k W, exact: W → w_inf = qc/k, until W reaches thr (when rising)
        t2 = dt - t1
        pos = k > 0
        w_inf = np.where(pos, qc / np.where(pos, k, 1.0), np.inf)
        with np.errstate(divide="ignore", invalid="ignore"):
            rising = pos & (w_inf > thr) & (t2 > 0)
            t_up = np.where(rising, np.log((w_inf - w_a) / np.where(rising, w_inf - thr, 1.0)) / np.where(pos, k, 1.0), np.inf)
        t_up = np.where(rising, np.maximum(t_up, 0.0), np.inf)
        t2a = np.minimum(t2, t_up)
        w_fin = np.where(pos, w_inf, 0.0)  # finite where it is used
        w_b = np.where(pos, w_fin + (w_a - w_fin) * np.exp(-k * t2a), w_a + qc * t2a)
        # phase 3, back above the threshold (capillary rise larger than ET): linear again
        t3 = t2 - t2a
        w_c = np.where(t3 > 0, thr + net * t3, w_b)
        # the store never holds more than W_max: capillary water beyond it is not taken up
        w_new = np.minimum(w_c, wmax)
        # W_max is only reached on a linear rise (phases 1 and 3), where what is not taken is the
        # overshoot of the linear path: the rise actually taken is qc·dt less that overshoot
        cap = np.maximum(qc * dt - (w_c - w_new), 0.0)
        et_act = w + rain_amt + cap - perc - w_new
        return w_new, et_act, perc, cap
