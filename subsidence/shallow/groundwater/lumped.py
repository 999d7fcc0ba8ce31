"""Lumped (one reservoir per parcel) groundwater model.

The parcel-mean phreatic level h obeys, with backward Euler over each step,

    S(h) - S(h_n) = dt [P - kc E f(h_n) + (phi - h)/c - (h - h_d)/gamma - R(h)]

S the stored water of the layered profile (specific yield per layer, or a retention curve),
f the water-table depth reduction of evapotranspiration (with a root zone,
:mod:`subsidence.physics.root_zone`, P − kc E f is replaced by the zone's percolation less the
capillary rise it draws, and ``storage`` includes the zone's store), c the aquitard resistance to the aquifer head phi,
gamma the Hooghoudt/Ernst drainage resistance for the parcel *mean* level (horizontal
L^2/(12 kD) + radial + entry) and R the runoff above the surface. The mid-parcel level is
h_d + (h - h_d) gamma_mid/gamma_mean (the ratio of the steady profiles). Vectorised over a
batch of parcels with their own ditch levels.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from subsidence.log import Progress
from subsidence.units import SECONDS_PER_YEAR as _YEAR_S
from subsidence.shallow.groundwater.forcing_steps import GroundwaterResult, check_inputs
from subsidence.shallow.groundwater.parcel import SMOOTH, Parcel, sigmoid, softplus


class LumpedGroundwater:
    """``drainage_resistance`` (s, parcel mean) defaults to the Ernst sum of the parcel;
    ``seepage_resistance`` (s) defaults to the parcel's aquitard resistance;
    ``mid_ratio`` = gamma_mid/gamma_mean. :meth:`from_cross_section` takes all three from
    steady solutions of the FE cross-section instead."""

    def __init__(self, parcel: Parcel, *, reference_level: float | None = None, drainage_resistance: float | None = None,
                 seepage_resistance: float | None = None, mid_ratio: float | None = None, dt: float = 86400.0):
        self.parcel = parcel
        ref = parcel.surface - parcel.ditch_depth / 2 if reference_level is None else reference_level
        r = parcel.drainage_resistances(ref)
        self.gamma_mean = r["mean"] if drainage_resistance is None else drainage_resistance
        self.gamma_mid = self.gamma_mean * (r["mid"] / r["mean"] if mid_ratio is None else mid_ratio)
        self.seepage_resistance = parcel.aquitard_resistance if seepage_resistance is None else seepage_resistance
        self.dt = dt

    @classmethod
    def from_cross_section(cls, fe, *, recharge: float = 1e-3 / 86400.0, dhead: float = 0.2) -> LumpedGroundwater:
        """Fit the reservoir to two steady FE solutions (same parcel): recharge with the aquifer
        at ditch level gives 1/gamma + 1/c; an aquifer head raised by ``dhead`` without
        recharge gives the share of the aquifer, gamma/(gamma + c)."""
        p = fe.parcel
        hd = fe.z_ref
        mean1, mid1 = fe.steady(recharge=recharge, ditch_level=hd, aquifer_head=hd)
        g_tot = (mean1 - hd) / recharge
        ratio = (mid1 - hd) / (mean1 - hd)
        if p.seepage:
            mean2, _ = fe.steady(recharge=0.0, ditch_level=hd, aquifer_head=hd + dhead)
            share = (mean2 - hd) / dhead
            inv_c, inv_g = share / g_tot, (1.0 - share) / g_tot
            c = 1.0 / inv_c if inv_c > 0 else np.inf
        else:
            inv_g, c = 1.0 / g_tot, np.inf
        return cls(p, reference_level=hd, drainage_resistance=1.0 / inv_g, seepage_resistance=c, mid_ratio=ratio, dt=fe.dt)

    def run(self, precip, evap, ditch_level, *, aquifer_head=None, initial=None) -> GroundwaterResult:
        """``precip``, ``evap`` (m/s) per step (nd,); ``ditch_level`` (nd+1,) or (nd+1, nb);
        ``aquifer_head`` like it (default: the parcel's); ``initial`` mean level (default: the
        first ditch level)."""
        p = self.parcel
        precip, evap, hd, phi = check_inputs(precip, evap, ditch_level, aquifer_head)
        if phi is None and p.seepage:
            phi = np.full(hd.shape, p.aquifer_head)
        seep_c = self.seepage_resistance if phi is not None else np.inf
        nd, nb = precip.size, hd.shape[1]
        dt = self.dt
        h = np.array(hd[0], dtype=float) if initial is None else np.broadcast_to(np.asarray(initial, float), (nb,)).copy()
        mean = np.zeros((nd + 1, nb))
        mean[0] = h
        terms = {k: np.zeros((nd + 1, nb)) for k in ("precipitation", "evapotranspiration", "seepage", "drainage", "runoff", "storage")}
        inv_c = 0.0 if not np.isfinite(seep_c) else 1.0 / seep_c
        smooth = _SmoothTerms(p)
        s_h, ds_h, ro_h, sig_h = smooth(h)
        s0 = s_h
        inv_gamma = 1.0 / self.gamma_mean
        rz = p.root_zone
        if rz is not None:  # rain and ET act on the root zone; the water table gets its net recharge
            w = np.full(nb, rz.capacity)
            terms["root_zone"] = np.zeros((nd + 1, nb))
            terms["capillary_rise"] = np.zeros((nd + 1, nb))
        progress = Progress("groundwater", nd, unit="step", t_end=nd * dt / _YEAR_S)
        for i in range(nd):
            hn = h
            sn = s_h  # storage at the level of the previous step
            if rz is None:
                et = p.crop_factor * evap[i] * p.et_factor(hn)
                recharge = precip[i] - et
            else:
                w_prev = w
                w, et_amt, perc, cap = rz.step(w, precip[i], p.crop_factor * evap[i], p.surface - hn, dt)
                et = et_amt / dt
                recharge = (perc - cap) / dt
            hdi = hd[i + 1]
            phii = phi[i + 1] if phi is not None else 0.0
            for _ in range(50):
                g = (s_h - sn - dt * (recharge + (phii - h) * inv_c - (h - hdi) / self.gamma_mean - ro_h))
                dg = ds_h + dt * (inv_c + inv_gamma + sig_h / p.runoff_resistance)
                if p.drains is not None:
                    qd, dqd = p.drains.flux(h, p.surface)
                    g = g + dt * qd
                    dg = dg + dt * dqd
                step = np.minimum(np.maximum(g / dg, -0.5), 0.5)  # np.clip without its Python wrapper
                h = h - step
                s_h, ds_h, ro_h, sig_h = smooth(h)
                if np.max(np.abs(step)) < 1e-11:
                    break
            else:
                raise RuntimeError("lumped groundwater model: Newton did not converge")
            mean[i + 1] = h
            c = terms
            c["precipitation"][i + 1] = c["precipitation"][i] + dt * precip[i]
            c["evapotranspiration"][i + 1] = c["evapotranspiration"][i] + dt * et
            c["seepage"][i + 1] = c["seepage"][i] + dt * (phii - h) * inv_c
            c["drainage"][i + 1] = c["drainage"][i] + dt * (h - hdi) / self.gamma_mean
            if p.drains is not None:  # field drains discharge to the surface water too
                c["drainage"][i + 1] += dt * p.drains.flux(h, p.surface)[0]
            c["runoff"][i + 1] = c["runoff"][i] + dt * ro_h
            c["storage"][i + 1] = s_h - s0
            if rz is not None:
                c["root_zone"][i + 1] = w - rz.capacity
                c["storage"][i + 1] += c["root_zone"][i + 1]
                c["capillary_rise"][i + 1] = c["capillary_rise"][i] + cap
            progress.update(t=(i + 1) * dt / _YEAR_S)
        progress.close()
        mid = hd + (mean - hd) * self.gamma_mid / self.gamma_mean
        times = np.arange(nd + 1) * dt
        return GroundwaterResult(times=times, mean=mean, mid=mid, balance=terms)


class _SmoothTerms:
    """``storage``, ``storage_slope``, ``runoff`` and ``sigmoid(h - surface)`` of a parcel in one
    pass: the softplus/sigmoid of every layer boundary evaluated once on a (boundaries, nb)
    array, summed in the order of :meth:`Parcel.storage` (so the values are the same)."""

    def __init__(self, p: Parcel):
        bounds = p.layer_bounds()
        self.z = np.array([bounds[0][1]] + [bot for bot, _, _ in bounds])[:, None]  # surface, then the bottoms
        # layers with a retention curve store water as ProfileStorage says: their constant yield is 0 here
        self.sy = [L.specific_yield if L.retention is None else 0.0 for _, _, L in bounds]
        self.sy_col = np.array(self.sy)[:, None]
        self.top_is_surface = bounds[0][1] == p.surface
        self.retention = p.retention_storage
        self.p = p

    def __call__(self, h):
        if not self.top_is_surface:  # cannot happen (layer_bounds starts at the surface); the plain way
            p = self.p
            return p.storage(h), p.storage_slope(h), p.runoff(h), sigmoid(np.asarray(h, float) - p.surface)
        if self.retention is not None:
            s, ds, ro, sig = self._linear(h)
            rs, rds = self.retention(h)
            return s + rs, ds + rds, ro, sig
        return self._linear(h)

    def _linear(self, h):
        x = np.asarray(h, dtype=float)[None] - self.z
        both = np.stack([softplus(x), expit(x / SMOOTH)])  # softplus and sigmoid, (2, boundaries, nb)
        w = both[:, 1:] - both[:, :-1]  # layer k: bottom row k + 1 minus top row k
        w *= self.sy_col
        acc = w[:, 0]
        for k in range(1, w.shape[1]):  # summed layer by layer, as Parcel.storage does
            acc = acc + w[:, k]
        acc = acc + both[:, 0]
        return acc[0], acc[1], both[0, 0] / self.p.runoff_resistance, both[1, 0]
