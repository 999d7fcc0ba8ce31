"""Strength of roof layers and the roof checks of flat (Twente-type) caverns (issue 13).

Stresses here are **compression positive** (the FE stress is tension positive and measured
from the lithostatic state, σ = Δσ − p_lith 1; below σ_c = −σ), principal values
σ1 ≥ σ2 ≥ σ3.

Strength of a layer (``[[layers]] strength = {...}``, :func:`parse_strength`):

- **Mohr–Coulomb** (cohesion c, friction angle φ, tensile strength T):
  shear factor of safety FoS = (c cos φ + σ_m sin φ) / τ_m with σ_m = (σ1 + σ3)/2,
  τ_m = (σ1 − σ3)/2: the radius of the Mohr circle that touches the envelope, with the
  same centre, over the acting radius (clipped at 0 where σ_m is so tensile that the
  envelope is crossed on the tension side).
- **Hoek–Brown, generalised (Hoek, Carranza-Torres & Corkum 2002)** (σ_ci = ucs, m_i, GSI, D):
  m_b = m_i exp((GSI − 100)/(28 − 14 D)), s = exp((GSI − 100)/(9 − 3 D)),
  a = 1/2 + (e^(−GSI/15) − e^(−20/3))/6; σ1 at failure for the acting σ3:
  σ1f = σ3 + σ_ci (m_b σ3/σ_ci + s)^a. Shear factor of safety = (σ1f − σ3)/(σ1 − σ3): the
  deviator at failure over the acting one **at the acting σ3** (0 where σ3 is below the
  tensile strength, i.e. m_b σ3/σ_ci + s < 0). Tensile strength T = s σ_ci/m_b (the
  envelope's intercept with σ1 = σ3).

Tension check (both laws): margin σ3 + T; negative means σ3 is more tensile than −T.

The stress the criteria see is the Terzaghi effective stress σ' = σ_c − p 1, with a
hydrostatic pore pressure p = ``brine.pore_pressure_gradient`` × depth in layers without
creep (``[roof] pore_pressure = "hydrostatic"``, the default; ``"none"``: total stress) and
p = 0 in creeping (rock-salt) layers, which are impermeable.

**Roof zone** (:class:`RoofCheck`): the integration points with r ≤ ``zone_radius`` × R of
the cavern axis (R the cavern radius) and depth between the cavern top − ``zone_height`` × R
and the cavern top + its dome height (the spring line of the roof), per layer with a
strength. The minimum of each factor over the zone, with its depth and radius, is reported
at every recorded step.

**Roof-span check** (:func:`clamped_plate_stress`, analytic, a screening number): the layer
directly above the cavern top as a circular plate, clamped at the cavern radius a, of
thickness t = the distance from the cavern top to that layer's top boundary, under the net
upward load q = σ_v(roof) − P(roof) (only when positive). Maximum bending stress (radial,
at the clamped edge): σ = 3 q a² / (4 t²) (Timoshenko & Woinowsky-Krieger, *Theory of
plates and shells*, clamped circular plate under uniform load: M_r(a) = q a²/8, σ = 6 M/t²).
Tension factors of safety: T/σ (unconfined) and (T + σ_h')/σ with the in-situ horizontal
effective stress at the cavern top as confinement (the model's initial state is
lithostatic, σ_h = σ_v, minus the pore pressure in a non-creeping layer).

**Casing shoe** above the cavern top (a mesh vertex with wall-sized elements around it,
:func:`subsidence.cavern.geometry.axisymmetric_cavern`): the least compressive total stress
σ3 at the integration point nearest to it, and σ3 − P_shoe (< 0: the shoe pressure exceeds
the FE's least principal stress there; the leak-off cap uses the lithostatic σ_v instead).
"""

from __future__ import annotations

import dataclasses
import math
import re

import numpy as np

#: defaults of the [roof] table
ZONE_RADIUS = 1.5  # × cavern radius, horizontal distance from the axis
ZONE_HEIGHT = 1.0  # × cavern radius, height above the cavern top
PORE_PRESSURE = ("hydrostatic", "none")

PLATE_FORMULA = ("clamped circular plate under uniform load (Timoshenko & Woinowsky-Krieger): "
                 "sigma = 3 q a^2 / (4 t^2) at the clamped edge, q = sigma_v - P at the cavern top")


@dataclasses.dataclass(frozen=True)
class Strength:
    """Strength of a rock layer (SI: Pa, radians)."""

    law: str  # mohr-coulomb | hoek-brown
    cohesion: float = 0.0
    friction_angle: float = 0.0  # rad
    tensile: float = 0.0  # Mohr–Coulomb: given; Hoek–Brown: s σ_ci / m_b
    ucs: float = 0.0
    mi: float = 0.0
    gsi: float = 0.0
    d: float = 0.0

    @property
    def hb(self) -> tuple[float, float, float]:
        """Hoek–Brown (m_b, s, a) of the 2002 generalised criterion."""
        return hoek_brown_parameters(self.mi, self.gsi, self.d)

    def tensile_strength(self) -> float:
        if self.law == "hoek-brown":
            mb, s, _ = self.hb
            return s * self.ucs / mb
        return self.tensile

    def fos_shear(self, s1, s3) -> np.ndarray:
        """Shear factor of safety for principal stresses σ1 ≥ σ3 (compression positive, Pa)."""
        s1, s3 = np.asarray(s1, float), np.asarray(s3, float)
        if self.law == "mohr-coulomb":
            sm, tm = 0.5 * (s1 + s3), 0.5 * (s1 - s3)
            cap = self.cohesion * math.cos(self.friction_angle) + sm * math.sin(self.friction_angle)
            with np.errstate(divide="ignore", invalid="ignore"):
                fos = np.where(tm > 0, np.maximum(cap, 0.0) / np.where(tm > 0, tm, 1.0), np.inf)
            return np.where(cap <= 0, 0.0, fos)
        mb, s, a = self.hb
        arg = mb * s3 / self.ucs + s
        dev_f = self.ucs * np.maximum(arg, 0.0) ** a
        dev = s1 - s3
        with np.errstate(divide="ignore", invalid="ignore"):
            fos = np.where(dev > 0, dev_f / np.where(dev > 0, dev, 1.0), np.inf)
        return np.where(arg <= 0, 0.0, fos)

    def describe(self) -> str:
        if self.law == "mohr-coulomb":
            return (f"Mohr-Coulomb c = {self.cohesion / 1e6:g} MPa, phi = {math.degrees(self.friction_angle):g} deg, "
                    f"T = {self.tensile / 1e6:g} MPa")
        mb, s, a = self.hb
        return (f"Hoek-Brown ucs = {self.ucs / 1e6:g} MPa, mi = {self.mi:g}, GSI = {self.gsi:g}, D = {self.d:g} "
                f"(mb = {mb:.4g}, s = {s:.4g}, a = {a:.4g}, T = {self.tensile_strength() / 1e6:.4g} MPa)")


def hoek_brown_parameters(mi: float, gsi: float, d: float) -> tuple[float, float, float]:
    """(m_b, s, a) of the generalised Hoek–Brown criterion (Hoek et al. 2002)."""
    mb = mi * math.exp((gsi - 100.0) / (28.0 - 14.0 * d))
    s = math.exp((gsi - 100.0) / (9.0 - 3.0 * d))
    a = 0.5 + (math.exp(-gsi / 15.0) - math.exp(-20.0 / 3.0)) / 6.0
    return mb, s, a


def parse_strength(t) -> Strength:
    """``strength = { law = ..., ... }`` of a layer (a :class:`~subsidence.config.table.Table`).
    Stresses in Pa; a bare number is MPa (as the cavern pressures); the friction angle in degrees."""
    law = t.string("law", choices=("mohr-coulomb", "hoek-brown"))
    if law == "mohr-coulomb":
        c = t.number("cohesion", unit="Pa", bare="MPa", ge=0)
        phi = t.number("friction_angle", unit="deg", ge=0, lt=90)
        T = t.number("tensile_strength", unit="Pa", bare="MPa", ge=0)
        if c > 0 and phi > 0:
            tmax = c / math.tan(math.radians(phi))  # the Mohr–Coulomb apex: no tension beyond it
            if T > tmax * (1 + 1e-12):
                raise t.error("tensile_strength", f"{T / 1e6:g} MPa exceeds the apex of the Mohr-Coulomb envelope, "
                              f"c/tan(phi) = {tmax / 1e6:.4g} MPa: lower it (a tension cut-off lies below the apex)")
        t.finish()
        return Strength(law, cohesion=c, friction_angle=math.radians(phi), tensile=T)
    ucs = t.number("ucs", unit="Pa", bare="MPa", gt=0)
    mi = t.number("mi", gt=0)
    gsi = t.number("gsi", gt=0, le=100)
    d = t.number("d", 0.0, ge=0, le=1)
    t.finish()
    return Strength(law, ucs=ucs, mi=mi, gsi=gsi, d=d)


@dataclasses.dataclass(frozen=True)
class RoofZone:
    """``[roof]``: the zone where the roof factors are evaluated and the pore pressure."""

    zone_radius: float = ZONE_RADIUS
    zone_height: float = ZONE_HEIGHT
    pore_pressure: str = "hydrostatic"


def parse_roof(t) -> RoofZone:
    z = RoofZone(zone_radius=t.number("zone_radius", ZONE_RADIUS, gt=0),
                 zone_height=t.number("zone_height", ZONE_HEIGHT, gt=0),
                 pore_pressure=t.string("pore_pressure", "hydrostatic", choices=PORE_PRESSURE))
    t.finish()
    return z


def clamped_plate_stress(q, a: float, t: float):
    """Maximum bending stress of a clamped circular plate (radius a, thickness t) under a
    uniform load q: 3 q a²/(4 t²), at the clamped edge (tension on the loaded face)."""
    return 0.75 * np.asarray(q, float) * a * a / (t * t)


def slug(name: str) -> str:
    s = re.sub(r"[^0-9a-zA-Z]+", "_", name).strip("_").lower()
    return s or "layer"


def layer_slugs(layers) -> list[str]:
    out: list[str] = []
    for i, L in enumerate(layers):
        s = slug(L.name)
        out.append(s if s not in out else f"{s}_{i}")
    return out


@dataclasses.dataclass
class RoofSpan:
    """The analytic roof-span check of one cavern (static part)."""

    layer: str
    a: float  # plate radius [m]
    t: float  # plate thickness [m]
    depth: float  # cavern top [m]
    sigma_v: float  # lithostatic stress at the cavern top [Pa]
    sigma_h_eff: float  # in-situ horizontal effective stress at the cavern top [Pa]
    tensile: float | None  # tensile strength of the layer [Pa] (None: the layer has no strength)

    def evaluate(self, P_top: float) -> dict:
        q = max(self.sigma_v - P_top, 0.0)
        sb = float(clamped_plate_stress(q, self.a, self.t))
        rec = {"roof_span_layer": self.layer, "roof_span_a_m": self.a, "roof_span_t_m": self.t,
               "roof_span_load_MPa": q / 1e6, "roof_span_bending_MPa": sb / 1e6}
        if self.tensile is not None:
            rec["roof_span_fs_tension"] = self.tensile / sb if sb > 0 else math.inf
            rec["roof_span_fs_tension_confined"] = (self.tensile + self.sigma_h_eff) / sb if sb > 0 else math.inf
        return rec


def roof_span(cfg, c, zone: RoofZone) -> RoofSpan | None:
    """The plate of cavern ``c`` (CavernDef) in config ``cfg``: the layer directly above its top."""
    from subsidence.cavern.config import lithostatic

    top = 0.0
    for L in cfg.layers:
        if c.top_depth <= L.bottom_depth + 1e-9 and c.top_depth > top + 1e-9:
            break
        top = L.bottom_depth
    else:
        return None
    t = c.top_depth - top  # a top on an interface: the whole layer above it
    sv = float(lithostatic(cfg.layers, c.top_depth))
    pp = 0.0 if (L.law.steady or zone.pore_pressure == "none") else cfg.brine.pore_pressure_gradient * c.top_depth
    st = getattr(L, "strength", None)
    return RoofSpan(layer=L.name, a=float(np.max(c.radii)), t=float(t), depth=c.top_depth, sigma_v=sv,
                    sigma_h_eff=sv - pp, tensile=None if st is None else st.tensile_strength())


class RoofCheck:
    """Roof factors of safety at the FE integration points of the layers with a strength,
    and the analytic roof-span check, per cavern. ``evaluate(P)`` is collective."""

    def __init__(self, cfg, model, zone: RoofZone | None = None):
        from mpi4py import MPI

        self.model = model
        self.comm = model.comm
        self.zone = zone or getattr(cfg, "roof", None) or RoofZone()
        z = self.zone
        cm = model.cm
        mesh = cm.mesh
        tdim = mesh.topology.dim
        nown = mesh.topology.index_map(tdim).size_local * model.nq
        X = model.X[:nown]
        self.kind = model.kind
        zc = 2 if model.kind == "3d" else 1
        depth = -X[:, zc]
        zone_of = model.zone[:nown]
        slugs = layer_slugs(cfg.layers)
        pore = np.zeros(nown)
        if z.pore_pressure == "hydrostatic":
            for k, L in enumerate(cfg.layers):
                if not L.law.steady:
                    sel = zone_of == k
                    pore[sel] = cfg.brine.pore_pressure_gradient * depth[sel]
        self.sets = []  # per cavern: [(slug, strength, idx, pore)]
        self.spans = []
        gam = cfg.brine_gradient
        self.top_offset = []  # P(top) = P_shoe + γ (top − shoe)
        self.shoes = []  # per cavern: False (shoe at the top), None (no point here) or (distance, index, depth, r)
        for c in cfg.caverns:
            if model.kind == "3d":
                r = np.hypot(X[:, 0] - c.x, X[:, 1] - c.y)
            else:
                r = X[:, 0]
            R = float(np.max(c.radii))
            inside = (r <= z.zone_radius * R) & (depth >= c.top_depth - z.zone_height * R) & \
                     (depth <= c.top_depth + c.dome_height)
            sets = []
            for k, L in enumerate(cfg.layers):
                st = getattr(L, "strength", None)
                if st is None:
                    continue
                idx = np.flatnonzero(inside & (zone_of == k))
                if self.comm.allreduce(idx.size, op=MPI.SUM) == 0:
                    continue
                sets.append((slugs[k], st, idx, pore[idx], np.column_stack([depth[idx], r[idx]])))
            self.sets.append(sets)
            self.spans.append(roof_span(cfg, c, self.zone))
            self.top_offset.append(gam * (c.top_depth - c.shoe_depth))
            # the casing shoe above the cavern top (a mesh vertex, geometry.axisymmetric_cavern):
            # the integration point nearest to it on this rank
            shoe = None
            if c.shoe_depth < c.top_depth - 1e-6 and X.shape[0]:
                dist = np.hypot(r, depth - c.shoe_depth)
                k = int(np.argmin(dist))
                shoe = (float(dist[k]), k, float(depth[k]), float(r[k]))
            self.shoes.append(shoe if c.shoe_depth < c.top_depth - 1e-6 else False)

    def layers_checked(self, i: int) -> list[str]:
        return [s[0] for s in self.sets[i]]

    def _min(self, val: np.ndarray, where: np.ndarray):
        if val.size:
            k = int(np.argmin(val))
            loc = (float(val[k]), float(where[k, 0]), float(where[k, 1]))
        else:
            loc = (math.inf, math.nan, math.nan)
        return min(self.comm.allgather(loc), key=lambda e: e[0])

    def principal(self, idx: np.ndarray, pore: np.ndarray) -> np.ndarray:
        """Principal effective stresses (ascending, compression positive, Pa) at points idx."""
        from subsidence.cavern.material import mandel_to_tensor

        m = self.model
        sig = mandel_to_tensor(m.stress[idx], "3d" if m.kind == "3d" else "2d")
        sig -= m.p_lith_q[idx, None, None] * np.eye(3)[None]
        sc = -sig - pore[:, None, None] * np.eye(3)[None]
        return np.linalg.eigvalsh(sc) if idx.size else np.zeros((0, 3))

    def _shoe(self, shoe, P: float) -> dict:
        """Least compressive total stress σ3 at the integration point nearest to the casing shoe
        (all ranks' nearest points compared) and the margin σ3 − P_shoe (< 0: the shoe pressure
        exceeds the least principal stress there, fracture/leak-off)."""
        if shoe is None:
            loc = (math.inf, math.nan, math.nan, math.nan)
        else:
            dist, k, d, r = shoe
            idx = np.array([k])
            s3 = float(self.principal(idx, np.zeros(1))[0, 0])
            loc = (dist, s3, d, r)
        _, s3, d, r = min(self.comm.allgather(loc), key=lambda e: e[0])
        return {"shoe_sigma3_MPa": s3 / 1e6, "shoe_margin_MPa": (s3 - P) / 1e6, "shoe_sigma3_depth": d, "shoe_sigma3_r": r}

    def evaluate(self, P: np.ndarray) -> list[dict]:
        out = []
        for i, sets in enumerate(self.sets):
            rec = {}
            for name, st, idx, pore, where in sets:
                eig = self.principal(idx, pore)
                s1, s3 = eig[:, 2], eig[:, 0]
                fs = st.fos_shear(s1, s3)
                fs = np.where(np.isfinite(fs), fs, 1e6)  # no deviator: no shear failure (capped for the tables)
                v, d, r = self._min(fs, where)
                rec[f"roof_layer_{name}_fs_shear"] = min(v, 1e6)
                rec[f"roof_layer_{name}_fs_shear_depth"] = d
                rec[f"roof_layer_{name}_fs_shear_r"] = r
                v, d, r = self._min((s3 + st.tensile_strength()) / 1e6, where)
                rec[f"roof_layer_{name}_tension_margin_MPa"] = v
                rec[f"roof_layer_{name}_tension_margin_depth"] = d
                rec[f"roof_layer_{name}_tension_margin_r"] = r
            sp = self.spans[i]
            if sp is not None:
                rec.update(sp.evaluate(float(P[i]) + self.top_offset[i]))
            if self.shoes[i] is not False:
                rec.update(self._shoe(self.shoes[i], float(P[i])))
            out.append(rec)
        return out


def summarize(rows: list[dict]) -> dict:
    """Minima over time of the roof columns of one cavern's rows (for scenarios.csv and
    summary.json): per layer the least shear factor and tension margin with time and place,
    and the roof-span check at its worst (largest bending stress)."""
    out: dict = {}
    if not rows:
        return out
    keys = [k for k in rows[0] if k.startswith("roof_layer_") and (k.endswith("_fs_shear") or k.endswith("_tension_margin_MPa"))]
    for k in keys:
        vals = np.array([r.get(k, np.nan) for r in rows], dtype=float)
        if not np.any(np.isfinite(vals)):
            continue
        j = int(np.nanargmin(vals))
        base = k[: -len("_MPa")] if k.endswith("_MPa") else k
        out[f"min_{k}"] = float(vals[j])
        out[f"min_{base}_time_yr"] = float(rows[j]["time_yr"])
        out[f"min_{base}_depth_m"] = float(rows[j].get(f"{base}_depth", np.nan))
        out[f"min_{base}_r_m"] = float(rows[j].get(f"{base}_r", np.nan))
    if "shoe_margin_MPa" in rows[0]:
        vals = np.array([r.get("shoe_margin_MPa", np.nan) for r in rows], dtype=float)
        j = int(np.nanargmin(vals))
        out["min_shoe_margin_MPa"] = float(vals[j])
        out["min_shoe_margin_time_yr"] = float(rows[j]["time_yr"])
        out["shoe_sigma3_depth_m"] = float(rows[j].get("shoe_sigma3_depth", np.nan))
        out["shoe_sigma3_r_m"] = float(rows[j].get("shoe_sigma3_r", np.nan))
    if "roof_span_bending_MPa" in rows[0]:
        sb = np.array([r.get("roof_span_bending_MPa", np.nan) for r in rows], dtype=float)
        j = int(np.nanargmax(sb))
        out["roof_span_formula"] = PLATE_FORMULA
        for k in ("roof_span_layer", "roof_span_a_m", "roof_span_t_m"):
            out[k] = rows[j].get(k)
        out["roof_span_max_bending_MPa"] = float(sb[j])
        out["roof_span_max_load_MPa"] = float(rows[j].get("roof_span_load_MPa", np.nan))
        out["roof_span_time_yr"] = float(rows[j]["time_yr"])
        for k in ("roof_span_fs_tension", "roof_span_fs_tension_confined"):
            if k in rows[j]:
                out[f"min_{k}"] = float(rows[j][k])
    return out
