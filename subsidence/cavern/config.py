"""Reading the ``kind = "cavern"`` case file into checked, SI configuration objects.

See docs/caverns.md for the keys, units and defaults. Every table is closed with
``finish()`` so that misspelt keys are errors naming the file and key.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import numpy as np

from subsidence.cavern.brine import Brine
from subsidence.cavern.geometry import cavern_profile, profile_volume
from subsidence.cavern.indicators import DeVries, DilatancyBoundary
from subsidence.cavern.material import SaltLaw
from subsidence.cavern.operations import DAY, MODES, Phase
from subsidence.cavern.roof import RoofZone, Strength, parse_roof, parse_strength
from subsidence.config.errors import CaseError
from subsidence.config.table import Table
from subsidence.units import SECONDS_PER_YEAR

G_ACC = 9.81


@dataclasses.dataclass
class Layer:
    name: str
    bottom_depth: float
    density: float
    law: SaltLaw
    strength: Strength | None = None  # roof checks (Mohr–Coulomb or Hoek–Brown), subsidence/cavern/roof.py


@dataclasses.dataclass
class CavernDef:
    name: str
    x: float
    y: float
    top_depth: float
    bottom_depth: float
    radius: float
    dome_height: float
    shoe_depth: float
    depths: np.ndarray  # profile (axisymmetric)
    radii: np.ndarray
    operation: list[Phase] | None  # own operation (else the scenario's)
    operation_name: str | None = None  # field: the named [[operations]] entry it follows
    shape: str = "cylinder"


@dataclasses.dataclass
class Scenario:
    name: str
    operation: list[Phase]


@dataclasses.dataclass
class CavernConfig:
    geometry: str  # axisymmetric | cluster | field (axisymmetric caverns superposed on a map grid)
    domain_radius: float
    domain_depth: float
    extent: tuple[float, float, float, float] | None
    origin: tuple[float, float]
    mesh_size_wall: float
    mesh_size_far: float
    caverns: list[CavernDef]
    layers: list[Layer]
    surface_temperature: float  # K
    temperature_gradient: float  # K/m
    brine: Brine
    brine_gradient: float  # Pa/m
    scenarios: list[Scenario]
    end: float
    dt_min: float
    dt_max: float
    growth: float
    max_cutbacks: int
    dp_max: float
    outputs: np.ndarray
    checkpoint_every: int
    surface_half_width: float
    surface_n: int
    points: list[tuple[str, float, float]]
    devries: DeVries
    roof_fraction: float
    degree: int
    solver: str
    surface_reference: str = "cavern"  # surface displacement from the state at t = 0 (or "excavation")
    # surface.half_width not given: sized so that the grid holds AUTO_FRACTION of the Mogi bowl of the
    # deepest cavern, at most the largest grid inside the model; the half-width that would need
    surface_half_width_auto: bool = False
    surface_half_width_needed: float = 0.0
    field_file: str | None = None  # field: the CSV the caverns came from, and its sha256
    field_sha256: str | None = None
    roof: RoofZone = dataclasses.field(default_factory=RoofZone)  # [roof]: zone of the roof factors of safety
    #: indicators.wall_window: averaging length along the wall (m); None: 0.1 equivalent radii
    wall_window: float | None = None
    #: [[indicators.dilatancy]]: the case's own dilatancy boundaries (fs_<name> columns)
    dilatancy: tuple = ()

    # -- derived fields ---------------------------------------------------------------
    def temperature(self, z):
        return self.surface_temperature + self.temperature_gradient * (-np.asarray(z, float))

    def p_lith(self, z):
        """Lithostatic (isotropic) stress, compression positive, at elevation z."""
        return lithostatic(self.layers, -np.asarray(z, float))

    def interfaces(self) -> list[float]:
        return [L.bottom_depth for L in self.layers[:-1]]


def lithostatic(layers: list[Layer], depth):
    """Weight of the layers above ``depth`` (m below surface): the lithostatic stress, Pa."""
    d = np.asarray(depth, float)
    out = np.zeros_like(d)
    top = 0.0
    for L in layers:
        seg = np.clip(d - top, 0.0, L.bottom_depth - top)
        out += L.density * G_ACC * seg
        top = L.bottom_depth
    return out


#: a shoe pressure above this fraction of the lithostatic stress is run, with a warning
WARN_LITHOSTATIC = 0.95
#: plausible layer densities [kg/m^3] and the least plausible Young's modulus of a layer [Pa]: outside,
#: a value in another unit read as SI (2.2 for g/cm3, 25 for GPa)
ROCK_DENSITY = (1000.0, 5000.0)
MIN_YOUNGS_MODULUS = 0.1e9
BRINE_DENSITY = (900.0, 2000.0)
#: a larger geothermal gradient [K/m] is a unit error (a bare number in K/km read as K/m)
MAX_GEOTHERMAL_GRADIENT = 0.2
#: phase keys that only some modes use (wellhead_pressure: every mode, the well's open pressure)
MODE_KEYS = {"pressure": ("pressure", "fill"), "p_high": ("cbbo",), "p_low": ("cbbo",), "interval": ("cbbo",),
             "volume": ("cbbo",), "rate": ("cbbo",)}


def _law(t: Table | None, *, E: float, nu: float) -> SaltLaw:
    if t is None:
        return SaltLaw(E=E, nu=nu)
    A = t.number("A", unit="1/s", bare="1/d", ge=0)
    n = t.number("n", 5.0, ge=1)
    Q = t.number("Q", 54e3, unit="J/mol", ge=0)
    sref = t.number("sigma_ref", 1e6, unit="Pa", gt=0)
    GK = t.number("kelvin_shear_modulus", 0.0, unit="Pa", ge=0)
    eta = t.number("kelvin_viscosity", 0.0, unit="Pa*s", ge=0)
    if (GK > 0) != (eta > 0):
        raise t.error("kelvin_viscosity", "the Kelvin transient needs both kelvin_shear_modulus and kelvin_viscosity")
    kw = dict(E=E, nu=nu, A=A, n=n, Q=Q, sigma_ref=sref, kelvin_G=GK, kelvin_eta=eta)
    sec = t.table("second_mechanism", None)
    if sec is not None:  # a second power law summed with the first (e.g. the WIPP law's two mechanisms)
        kw.update(A2=sec.number("A", unit="1/s", bare="1/d", gt=0), n2=sec.number("n", ge=1),
                  Q2=sec.number("Q", 0.0, unit="J/mol", ge=0), sigma_ref2=sec.number("sigma_ref", 1e6, unit="Pa", gt=0))
        sec.finish()
    ps = t.table("pressure_solution", None)
    if ps is not None:  # linear creep ε̇ = A exp(−Q/RT) σ_eq / (T d³)
        kw.update(ps_A=ps.number("A", unit="K*m^3/(Pa*s)", gt=0), ps_Q=ps.number("Q", 0.0, unit="J/mol", ge=0),
                  grain_size=ps.number("grain_size", unit="m", gt=0))
        ps.finish()
    md = t.table("munson_dawson", None)
    if md is not None:
        if GK > 0:
            raise md.error("K0", "choose one transient: the Kelvin one (kelvin_shear_modulus, kelvin_viscosity) "
                           "or munson_dawson, not both")
        kw.update(md_K0=md.number("K0", gt=0), md_c=md.number("c", 0.0, unit="1/K"), md_m=md.number("m", gt=0),
                  md_mu=md.number("mu", unit="Pa", gt=0), md_alpha_w=md.number("alpha_w"), md_beta_w=md.number("beta_w"),
                  md_alpha_r=md.number("delta"), md_beta_r=md.number("beta_r", 0.0))
        if not (A > 0 or "A2" in kw or "ps_A" in kw):
            raise md.error("K0", "the Munson-Dawson transient multiplies the steady creep rate: give creep.A > 0, "
                           "a second_mechanism or pressure_solution")
        md.finish()
    t.finish()
    return SaltLaw(**kw)


def _layers(root: Table, domain_depth: float) -> list[Layer]:
    out = []
    tabs = root.tables("layers")
    if not tabs:
        raise root.error("layers", "at least one [[layers]] table is needed")
    for t in tabs:
        name = t.string("name", f"layer{len(out)}")
        bottom = t.number("bottom_depth", unit="m", gt=0)
        if out and bottom <= out[-1].bottom_depth:
            raise t.error("bottom_depth", "layers must be listed from the top down with increasing bottom_depth")
        rho = t.number("density", unit="kg/m^3", gt=0)
        if not ROCK_DENSITY[0] <= rho <= ROCK_DENSITY[1]:
            raise t.error("density", f"{rho:g} kg/m3 is not a plausible rock density ({ROCK_DENSITY[0]:g}-"
                          f"{ROCK_DENSITY[1]:g} kg/m3): a bare number is in kg/m3; a value in g/cm3 needs its unit, "
                          "\"2.2 g/cm3\"")
        E = t.number("youngs_modulus", unit="Pa", gt=0)
        if E < MIN_YOUNGS_MODULUS:
            raise t.error("youngs_modulus", f"{E:g} Pa is not a plausible Young's modulus of rock (at least "
                          f"{MIN_YOUNGS_MODULUS / 1e9:g} GPa): a bare number is in Pa; write the unit, \"25 GPa\"")
        nu = t.number("poisson_ratio", gt=-1, lt=0.5)
        law = _law(t.table("creep", None), E=E, nu=nu)
        # linear thermal expansion (thermal stress around a cavern with brine.heat = "conduction"):
        # rock salt ≈ 4e-5 1/K (creeping layers), other rocks ≈ 1e-5 1/K
        alpha = t.number("thermal_expansion", 4e-5 if law.steady else 1e-5, unit="1/K", ge=0)
        law = dataclasses.replace(law, thermal_expansion=alpha)
        st = t.table("strength", None)
        strength = parse_strength(st) if st is not None else None
        t.finish()
        out.append(Layer(name, bottom, rho, law, strength))
    if out[-1].bottom_depth < domain_depth - 1e-6:
        raise tabs[-1].error("bottom_depth", f"the last layer must reach the model bottom ({domain_depth:g} m)")
    return out


def _pressure(t: Table, name: str, shoe_depth: float, default=None):
    """A shoe pressure given as ``name`` (Pa) or ``name_gradient`` (Pa/m × shoe depth)."""
    gname = f"{name}_gradient"
    if t.has(name) and t.has(gname):
        raise t.error(gname, f"give either {name} or {gname}, not both")
    if t.has(gname):
        return t.number(gname, unit="Pa/m", bare="MPa/m", gt=0) * shoe_depth
    t.raw(gname, None)
    return t.number(name, default, unit="Pa", bare="MPa", gt=0)


def _operation(tabs: list[Table], shoe_depth: float, where: Table, key: str, *, end: float | None = None,
               limit: tuple[float, float] | None = None, warn=None) -> list[Phase]:
    """Phases of one operation. ``end``: the simulated time (phases must start before it);
    ``limit``: (shoe depth, lithostatic stress there) that no shoe pressure may exceed."""
    if not tabs:
        raise where.error(key, "at least one operation phase is needed")
    phases = []
    for t in tabs:
        start = t.number("start", 0.0, unit="s", bare="yr", ge=0)
        mode = t.string("mode", choices=MODES)
        kw = dict(start=start, mode=mode)
        kw["wellhead_pressure"] = t.number("wellhead_pressure", 0.0, unit="Pa", bare="MPa")
        kw["pressure"] = _pressure(t, "pressure", shoe_depth)
        kw["p_high"] = _pressure(t, "p_high", shoe_depth)
        kw["p_low"] = _pressure(t, "p_low", shoe_depth)
        kw["interval"] = t.number("interval", None, unit="s", bare="yr", gt=0)
        kw["volume"] = t.number("volume", None, unit="m^3", gt=0)
        kw["rate"] = t.number("rate", None, unit="m^3/s", bare="m^3/d", gt=0)
        t.finish()
        for k in MODE_KEYS:  # a key of another mode would be ignored: the phase is not what was meant
            given = [g for g in (k, f"{k}_gradient") if t.has(g)]
            if given and mode not in MODE_KEYS[k]:
                uses = [u for u, modes in MODE_KEYS.items() if mode in modes]
                raise t.error(given[0], f"mode {mode!r} does not use {given[0]} (it is for mode "
                              f"{' or '.join(repr(m) for m in MODE_KEYS[k])}); mode {mode!r} reads "
                              f"{', '.join(uses + ['wellhead_pressure']) if uses else 'wellhead_pressure only'}")
        if kw["interval"] is not None and kw["volume"] is not None:
            rate = kw["rate"] if kw["rate"] is not None else kw["volume"] / DAY
            if kw["volume"] / rate > kw["interval"]:
                raise t.error("interval", f"a release of {kw['volume']:g} m3 at {rate * DAY:g} m3/d takes "
                              f"{kw['volume'] / rate / DAY:g} d, longer than the interval of {kw['interval'] / DAY:g} d: "
                              "the next release would start before it ends (and drop what is left of it)")
        if phases and start <= phases[-1].start:
            raise t.error("start", "phases must be in time order")
        if not phases and start != 0:
            raise t.error("start", "the first phase must start at 0")
        if end is not None and start >= end:
            raise t.error("start", f"the phase starts at {start / SECONDS_PER_YEAR:g} yr, not before time.end "
                          f"({end / SECONDS_PER_YEAR:g} yr): it would never run")
        try:
            phases.append(Phase(**kw))
        except ValueError as exc:
            raise t.error("mode", str(exc)) from None
        if limit is not None:
            _check_pressures(t, phases[-1], shoe_depth, limit, warn)
    return phases


def _check_pressures(t: Table, ph: Phase, shoe_depth: float, limit: tuple[float, float, float], warn) -> None:
    """Shoe pressures of a phase against the lithostatic stress at the (shallowest) casing shoe.

    ``limit`` = (shoe depth, lithostatic stress there, brine-column gradient)."""
    depth, s_v, gamma = limit
    if ph.wellhead_pressure < 0 and ph.wellhead_pressure + gamma * depth <= 0:
        raise t.error("wellhead_pressure", f"a wellhead pressure of {ph.wellhead_pressure / 1e6:g} MPa with the brine "
                      f"column ({gamma * depth / 1e6:.4g} MPa at the casing shoe, {depth:g} m) leaves no positive pressure "
                      "in the cavern")
    held = {"pressure": ph.pressure, "p_high": ph.p_high, "p_low": ph.p_low}
    if ph.mode == "open":  # brine column to the wellhead
        held = {"wellhead_pressure": ph.wellhead_pressure + gamma * depth}
    for name, P in held.items():
        if P is None:
            continue
        key = f"{name}_gradient" if t.has(f"{name}_gradient") else name
        text = (f"{P / 1e6:.4g} MPa ({P / depth / 1e6:.4g} MPa/m) at the casing shoe, {depth:g} m, against a "
                f"lithostatic stress of {s_v / 1e6:.4g} MPa ({s_v / depth / 1e6:.4g} MPa/m, from the layer densities)")
        if P > s_v:
            what = {"p_high": "the CBBO threshold", "p_low": "the CBBO threshold",
                    "wellhead_pressure": "the open-well pressure (wellhead + brine column)"}.get(name, "the held pressure")
            raise t.error(key, f"{what} is {text}: a cavern pressure above the lithostatic stress would fracture "
                          "the salt (not modelled). Pressures are in Pa (a bare number in MPa), gradients in MPa/m")
        if warn is not None and P > WARN_LITHOSTATIC * s_v:
            warn(f"[{t.key(key)}] {text}: within {100 * (1 - WARN_LITHOSTATIC):g} % of the lithostatic stress, "
                 "where fracturing and leaks become likely (leak-off is modelled for sealed caverns only, [leak_off])")


def _cavern(t: Table, i: int, axisym: bool, *, field: bool = False) -> tuple[CavernDef, list[Table]]:
    name = t.string("name", f"cavern{i + 1}")
    for k in ("x", "y") if field else ():  # a missing map coordinate is not 0
        if not t.has(k):
            raise t.error(k, "a field's caverns need their map coordinates x and y (in the case crs)")
    x = t.number("x", 0.0, unit="m")
    y = t.number("y", 0.0, unit="m")
    shape = t.string("shape", "cylinder", choices=("cylinder", "sphere", "pear", "profile"))
    if not axisym and shape != "cylinder":
        raise t.error("shape", "clusters support cylinders with domes only")
    if shape == "profile":
        depths = t.array("depths", unit="m", min_length=3, increasing=True, gt=0)
        radii = t.array("radii", unit="m", length=depths.size, ge=0)
        if not np.all(radii[1:-1] > 0):  # (an open end is closed on the axis below)
            k = 1 + int(np.argmin(radii[1:-1] > 0))
            raise t.error("radii", f"value {k + 1} is 0 (at {depths[k]:g} m): only the first and last radius may be 0; "
                          "a zero radius inside the profile would split the cavern into two cavities")
        if radii[0] != 0:  # each open end closed on the axis (one closed end is not repeated)
            depths, radii = np.concatenate([[depths[0]], depths]), np.concatenate([[0.0], radii])
        if radii[-1] != 0:
            depths, radii = np.concatenate([depths, [depths[-1]]]), np.concatenate([radii, [0.0]])
        top, bottom, radius, dome = float(depths[0]), float(depths[-1]), float(radii.max()), 0.0
    else:
        top = t.number("top_depth", unit="m", gt=0)
        bottom = t.number("bottom_depth", unit="m", gt=top)
        radius = t.number("radius", 0.5 * (bottom - top), unit="m", gt=0)
        if shape != "cylinder" and t.has("dome_height"):
            raise t.error("dome_height", f"a {shape} has no dome height (only a cylinder has roof and floor domes)")
        if shape == "sphere":  # its diameter is bottom_depth - top_depth
            if t.has("radius") and not np.isclose(radius, 0.5 * (bottom - top), rtol=1e-6):
                raise t.error("radius", f"a sphere's radius is half its height: {top:g} … {bottom:g} m gives "
                              f"{0.5 * (bottom - top):g} m, not {radius:g} m (leave radius out, or correct the depths)")
            radius = 0.5 * (bottom - top)
        dome = t.number("dome_height", 0.0 if shape != "cylinder" else min(radius, 0.25 * (bottom - top)), unit="m", ge=0)
        if shape == "cylinder" and not (0 < dome <= 0.5 * (bottom - top)):
            raise t.error("dome_height", "must be > 0 and at most half the cavern height")
        depths, radii = cavern_profile(shape, top_depth=top, bottom_depth=bottom, radius=radius, dome_height=dome)
    shoe = t.number("casing_shoe_depth", top, unit="m", gt=0)
    if shoe > top:
        raise t.error("casing_shoe_depth", f"the casing shoe ({shoe:g} m) lies inside the cavern (roof at {top:g} m, "
                      f"bottom at {bottom:g} m): the last cemented casing ends at or above the roof")
    ops = t.tables("operation", [])
    return CavernDef(name, x, y, top, bottom, radius, dome, shoe, depths, radii, None, shape=shape), ops


def _check_in_salt(t: Table, c: CavernDef, layers: list[Layer], warn) -> None:
    """A cavern is leached in rock salt: it must lie (at least partly) in a layer with a creep law."""
    if not any(L.law.steady for L in layers):
        if warn is not None:
            warn(f"[{t.key('top_depth')}] no layer has a creep law: cavern {c.name!r} sits in an elastic model "
                 "(no closure, no salt)")
        return
    spans, top = [], 0.0
    for L in layers:
        if c.top_depth < L.bottom_depth and c.bottom_depth > top:
            spans.append((L, top))
        top = L.bottom_depth
    hard = [f"{L.name!r} ({t0:g}-{L.bottom_depth:g} m)" for L, t0 in spans if not L.law.steady]
    if not hard:
        return
    key = "top_depth" if t.has("top_depth") else "depths"
    where = f"cavern {c.name!r} ({c.top_depth:g}-{c.bottom_depth:g} m)"
    if len(hard) == len(spans):
        salt = [f"{L.name!r} ({t0:g}-{L.bottom_depth:g} m)" for L, t0 in zip(layers, [0.0] + [x.bottom_depth for x in layers])
                if L.law.steady]
        raise t.error(key, f"{where} lies in {', '.join(hard)}, without a creep law: caverns are leached in rock salt; "
                      f"move it into the salt ({', '.join(salt)}) or give that layer a creep table")
    if warn is not None:
        warn(f"[{t.key(key)}] {where} reaches into {', '.join(hard)}, a layer without a creep law (not salt)")


def parse_config(root: Table, warn=None) -> CavernConfig:
    """Read a cavern case. ``warn(message)`` receives implausible-but-allowed input (Case.warn)."""
    g = root.table("geometry")
    gtype = g.string("type", "axisymmetric", choices=("axisymmetric", "cluster", "field"))
    axisym = gtype == "axisymmetric"
    field = gtype == "field"  # several caverns, each its own axisymmetric model, surface summed on a map grid
    domain_depth = g.number("domain_depth", unit="m", gt=0)
    domain_radius = g.number("domain_radius", None, unit="m", gt=0)
    extent = g.array("extent", None, unit="m", length=4)
    if axisym and domain_radius is None:
        raise g.error("domain_radius", "required for an axisymmetric model")
    if axisym and extent is not None:
        raise g.error("extent", "extent is the box of a 3D cluster (geometry.type = \"cluster\"); an axisymmetric "
                      "model is a disc of radius domain_radius")
    if gtype == "cluster" and domain_radius is not None:
        raise g.error("domain_radius", "a cluster is a box: give its geometry.extent [xmin, xmax, ymin, ymax]; "
                      "domain_radius is the radius of an axisymmetric (or field) model")
    if field:
        if domain_radius is None:
            raise g.error("domain_radius", "required for a field: the radius of each cavern's axisymmetric model")
        if extent is not None:
            raise g.error("extent", "a field's caverns are axisymmetric models of radius domain_radius; extent is "
                          "the box of a 3D cluster (geometry.type = \"cluster\")")
        if g.has("origin"):
            raise g.error("origin", "a field's caverns are placed by their own map coordinates (x, y in the case crs); "
                          "origin is not used")
    elif not axisym:
        if extent is None:
            raise g.error("extent", "required for a cluster: [xmin, xmax, ymin, ymax] in m")
        if not (extent[0] < extent[1] and extent[2] < extent[3]):
            raise g.error("extent", "expected xmin < xmax and ymin < ymax")
        extent = tuple(float(e) for e in extent)
    origin = g.array("origin", np.zeros(2), unit="m", length=2)
    hw = g.number("mesh_size_wall", unit="m", gt=0)
    hf = g.number("mesh_size_far", unit="m", gt=0)
    g.finish()
    layers = _layers(root, domain_depth)
    field_file = field_sha = None
    raw_cav = root.data.get("caverns")
    named_of: list[str | None] = []  # field CSV: the named operation each cavern follows
    if isinstance(raw_cav, dict) and "file" in raw_cav:
        ct = root.table("caverns")
        if not field:
            raise ct.error("file", "a CSV of caverns makes a field: set geometry.type = \"field\" (each cavern its own "
                           "axisymmetric model, the surface summed), or list the caverns as [[caverns]] tables")
        path = ct.path_("file")
        if not path.is_file():
            raise ct.error("file", f"not a file: {path}")
        ct.finish()
        ctabs, named_of, field_sha = read_field_csv(path)
        field_file = str(path)
    else:
        ctabs = root.tables("caverns")
        named_of = [None] * len(ctabs)
    if axisym and len(ctabs) != 1:
        raise root.error("caverns", "an axisymmetric model has exactly one [[caverns]] entry")
    if field and not ctabs:
        raise root.error("caverns", "a field needs caverns: [caverns] file = \"field.csv\" or [[caverns]] tables")
    caverns, own_ops = [], []
    for i, t in enumerate(ctabs):
        c, ops = _cavern(t, i, axisym or field, field=field)
        if not axisym and any(c.name == o.name for o in caverns):
            raise t.error("name", f"cavern name {c.name!r} is used twice: names must be unique in a {gtype}")
        if axisym or field:
            if axisym and (c.x != 0 or c.y != 0):
                raise t.error("x", "the axisymmetric cavern sits on the axis (x = y = 0); use geometry.origin for its map position")
            # each condition is blamed on the key that breaks it (a cavern below the domain is not a radius error)
            if c.bottom_depth >= domain_depth:
                raise t.error("bottom_depth" if t.has("bottom_depth") else "depths",
                              f"the cavern bottom ({c.bottom_depth:g} m) must lie above the model bottom "
                              f"(geometry.domain_depth = {domain_depth:g} m)")
            if c.radius >= 0.25 * domain_radius:
                raise t.error("radii" if t.has("radii") else "radius",
                              f"the model domain must be much larger than the cavern: radius {c.radius:g} m, "
                              f"geometry.domain_radius {domain_radius:g} m (at least 4 x the radius)")
            if c.bottom_depth >= 0.8 * domain_depth:
                raise t.error("bottom_depth" if t.has("bottom_depth") else "depths",
                              f"the model domain must reach well below the cavern: bottom {c.bottom_depth:g} m, "
                              f"geometry.domain_depth {domain_depth:g} m (at least 1.25 x the bottom depth)")
        elif not (extent[0] < c.x - c.radius and c.x + c.radius < extent[1] and extent[2] < c.y - c.radius and c.y + c.radius < extent[3]):
            key = "x" if not (extent[0] < c.x - c.radius and c.x + c.radius < extent[1]) else "y"
            raise t.error(key, f"the cavern (x = {c.x:g} m, y = {c.y:g} m, radius {c.radius:g} m) lies outside "
                          f"geometry.extent {list(extent)}")
        _check_in_salt(t, c, layers, warn)
        if not axisym:  # a cluster's or a field's caverns are separate bodies
            for o in caverns:
                apart = float(np.hypot(c.x - o.x, c.y - o.y))
                if apart <= c.radius + o.radius and c.top_depth < o.bottom_depth and o.top_depth < c.bottom_depth:
                    raise t.error("x" if t.has("x") else "y",
                                  f"cavern {c.name!r} (x = {c.x:g} m, y = {c.y:g} m, radius {c.radius:g} m, "
                                  f"{c.top_depth:g}-{c.bottom_depth:g} m) overlaps cavern {o.name!r} (x = {o.x:g} m, "
                                  f"y = {o.y:g} m, radius {o.radius:g} m, {o.top_depth:g}-{o.bottom_depth:g} m): their "
                                  f"axes are {apart:g} m apart, not more than the sum of their radii; caverns must be "
                                  "separate bodies")
        caverns.append(c)
        own_ops.append(ops)
        if c.bottom_depth >= domain_depth:
            raise t.error("bottom_depth", "the cavern must lie above the model bottom")
    T = root.table("temperature", None) or Table({}, file=root.file, path="temperature")
    Ts = T.number("surface_celsius", 10.0, gt=-273.15) + 273.15
    if not -50 <= Ts - 273.15 <= 60:
        raise T.error("surface_celsius", f"{Ts - 273.15:g} degC is not a plausible mean surface temperature "
                      "(-50 to 60 degC): the value is in degrees Celsius, not kelvin")
    Tg = T.number("gradient", 0.031, unit="K/m", ge=0)
    if Tg > MAX_GEOTHERMAL_GRADIENT:
        raise T.error("gradient", f"{Tg * 1e3:g} K/km is not a plausible geothermal gradient (at most "
                      f"{MAX_GEOTHERMAL_GRADIENT * 1e3:g} K/km): a bare number is in K/m (0.031 = 31 K/km), or "
                      "write the unit, \"31 K/km\"")
    T.finish()
    b = root.table("brine", None) or Table({}, file=root.file, path="brine")
    brine = Brine(
        density=b.number("density", 1200.0, unit="kg/m^3", gt=0),
        compressibility=b.number("compressibility", 2.6e-10, unit="1/Pa", bare="1/MPa", ge=0),
        thermal_expansion=b.number("thermal_expansion", 4.4e-4, unit="1/K", ge=0),
        permeability=b.number("permeability", 0.0, unit="m^2", ge=0),
        viscosity=b.number("viscosity", 1.2e-3, unit="Pa*s", gt=0),
        initial_temperature_deficit=b.number("initial_temperature_deficit", 0.0, unit="K", ge=0),
        warming_time=b.number("warming_time", None, unit="s", bare="yr", gt=0),
        salt_diffusivity=b.number("salt_thermal_diffusivity", 3.0e-6, unit="m^2/s", gt=0),
        pore_pressure_gradient=b.number("pore_pressure_gradient", 0.012e6, unit="Pa/m", bare="MPa/m", ge=0),
        heat=b.string("heat", "exponential", choices=("exponential", "conduction")),
        salt_conductivity=b.number("salt_thermal_conductivity", 6.0, unit="W/(m*K)", gt=0),
        specific_heat=b.number("specific_heat", 3500.0, unit="J/(kg*K)", gt=0),
    )
    if not BRINE_DENSITY[0] <= brine.density <= BRINE_DENSITY[1]:
        raise b.error("density", f"{brine.density:g} kg/m3 is not a plausible brine density ({BRINE_DENSITY[0]:g}-"
                      f"{BRINE_DENSITY[1]:g} kg/m3): a bare number is in kg/m3; a value in g/cm3 needs its unit, \"1.2 g/cm3\"")
    if brine.heat == "conduction" and brine.warming_time is not None:
        raise b.error("warming_time", "a prescribed warming time and heat = \"conduction\" (solved warming) exclude "
                      "each other: remove warming_time or use heat = \"exponential\"")
    brine_gradient = b.number("gradient", 0.012e6, unit="Pa/m", bare="MPa/m", ge=0)
    # thermal stress in the salt from the solved heat (eigenstrain α ΔT of the layers'
    # thermal_expansion); only with heat = "conduction"
    thermal_stress = b.boolean("thermal_stress", brine.heat == "conduction")
    if thermal_stress and brine.heat != "conduction":
        raise b.error("thermal_stress", "the thermal stress needs the salt's temperature field: set "
                      "heat = \"conduction\" or thermal_stress = false")
    if not thermal_stress:  # no eigenstrain: α = 0 in every layer
        layers = [dataclasses.replace(L, law=dataclasses.replace(L.law, thermal_expansion=0.0)) for L in layers]
    b.finish()
    tt = root.table("time")
    end = tt.number("end", unit="s", bare="yr", gt=0)
    dt_min = tt.number("dt_min", 86400.0, unit="s", bare="yr", gt=0)
    dt_max = tt.number("dt_max", SECONDS_PER_YEAR, unit="s", bare="yr", gt=0)
    if dt_max < dt_min:
        raise tt.error("dt_max", "must be >= dt_min")
    growth = tt.number("growth", 1.5, ge=1.0, le=4.0)
    cut = tt.number("max_cutbacks", 8, integer=True, ge=0)
    dpmax = tt.number("dp_max", 0.25e6, unit="Pa", bare="MPa", gt=0)
    outputs = tt.array("outputs", None, unit="s", bare="yr", increasing=True, gt=0)
    if outputs is not None and outputs.size and outputs[-1] > end * (1 + 1e-12):
        raise tt.error("outputs", f"the output time {outputs[-1] / SECONDS_PER_YEAR:g} yr lies after time.end "
                       f"({end / SECONDS_PER_YEAR:g} yr): the run never reaches it")
    if outputs is None:
        outputs = np.linspace(0, end, 21)[1:]
    ck = tt.number("checkpoint_every", 20, integer=True, ge=0)
    tt.finish()
    # operations and scenarios
    stabs = root.tables("scenarios", [])
    shoe0 = caverns[0].shoe_depth
    named = _named_operations(root, field)
    for c, nm, t in zip(caverns, named_of, ctabs):
        if nm is not None and nm not in named:
            raise t.error("operation", f"unknown operation {nm!r}: the case file defines "
                          f"{', '.join(repr(k) for k in named) or 'none'} ([[operations]] with a name)")
        c.operation_name = nm

    def limit(cavs):  # the shallowest shoe among the caverns an operation applies to binds
        c = min(cavs or caverns[:1], key=lambda c: float(lithostatic(layers, c.shoe_depth)))
        return c.shoe_depth, float(lithostatic(layers, c.shoe_depth)), brine_gradient

    shared = limit([c for c, ops in zip(caverns, own_ops) if not ops and c.operation_name is None])
    if stabs and root.has("operation"):
        raise root.error("operation", "give either [[operation]] or [[scenarios]], not both")
    if stabs:
        scen = []
        for s in stabs:
            nm = s.string("name")
            if not nm or any(ch in nm for ch in "/\\\n") or nm in [x.name for x in scen]:
                raise s.error("name", "scenario names must be unique, non-empty and contain no slashes")
            if nm in (".", "..") or nm != nm.strip() or not nm.isprintable():
                raise s.error("name", f"{nm!r} cannot name the scenario's folder scenarios/<name>: no . or .., "
                              "no spaces around the name, no control characters")
            scen.append(Scenario(nm, _operation(s.tables("operation"), shoe0, s, "operation", end=end, limit=shared,
                                                warn=warn)))
            s.finish()
    else:
        scen = [Scenario("base", _operation(root.tables("operation", []), shoe0, root, "operation", end=end, limit=shared,
                                            warn=warn))]
    for c, ops, t in zip(caverns, own_ops, ctabs):
        if ops:
            c.operation = _operation(ops, c.shoe_depth, t, "operation", end=end, limit=limit([c]), warn=warn)
        elif c.operation_name is not None:  # a named operation, its pressures at this cavern's shoe
            o = named[c.operation_name]
            c.operation = _operation(o.tables("operation"), c.shoe_depth, o, "operation", end=end, limit=limit([c]), warn=warn)
        t.finish()
    for nm, o in named.items():  # every named operation is read (and checked) even when no cavern uses it
        if not any(c.operation_name == nm for c in caverns):
            c = min(caverns, key=lambda c: float(lithostatic(layers, c.shoe_depth)))
            _operation(o.tables("operation"), c.shoe_depth, o, "operation", end=end, limit=limit([c]), warn=warn)
        o.finish()
    if field:
        _check_spacing(caverns, ctabs, warn)
    for c, t in zip(caverns, ctabs):
        for ph in c.operation or [p for s in scen for p in s.operation]:
            if ph.mode == "cbbo" and ph.p_low is not None and ph.p_low < ph.wellhead_pressure + brine_gradient * c.shoe_depth:
                raise t.error("casing_shoe_depth", f"a CBBO p_low of {ph.p_low / 1e6:.3g} MPa is below the brine-column pressure "
                              f"at this cavern's shoe ({(ph.wellhead_pressure + brine_gradient * c.shoe_depth) / 1e6:.3g} MPa): "
                              "bleeding cannot reach it")
    srf = root.table("surface", None) or Table({}, file=root.file, path="surface")
    half = srf.number("half_width", None, unit="m", gt=0)
    half_auto = half is None
    half, half_needed = auto_half_width(gtype, caverns, domain_radius, extent) if half_auto else (half, half)
    nsurf = srf.number("n", 41, integer=True, ge=3)
    sref = srf.string("reference", "cavern", choices=("cavern", "excavation"))
    pts = []
    for p in srf.tables("points", []):
        pts.append((p.string("name"), p.number("x", unit="m"), p.number("y", unit="m")))
        if not pts[-1][0].strip() or pts[-1][0] in [q[0] for q in pts[:-1]]:
            raise p.error("name", f"{pts[-1][0]!r}: point names must be unique and non-empty (they tell the rows "
                          "of points.csv apart)")
        p.finish()
    srf.finish()
    ind = root.table("indicators", None) or Table({}, file=root.file, path="indicators")
    dv = DeVries(
        D1=ind.number("devries_D1", 0.773, gt=0),
        D2=ind.number("devries_D2", 0.524, ge=0),
        m=ind.number("devries_m", 0.693, gt=0),
        T0=ind.number("devries_T0", 1.953, ge=0),
    )
    roof = ind.number("roof_fraction", 0.15, gt=0, le=1)
    # the length along the wall over which the wall stress is averaged before the criteria
    # (subsidence/cavern/indicators.py); None: 0.1 × the cavern's equivalent radius; 0: none
    window = ind.number("wall_window", None, unit="m", ge=0) if ind.has("wall_window") else None
    dilatancy = parse_dilatancy(ind)
    ind.finish()
    lk = root.table("leak_off", None) or Table({}, file=root.file, path="leak_off")
    leak_on = lk.boolean("enabled", True)
    leak_margin = lk.number("margin", 0.0, unit="Pa", bare="MPa", ge=0)
    leak_criterion = lk.string("criterion", "lithostatic", choices=("lithostatic", "wall"))
    lk.finish()
    brine = dataclasses.replace(brine, leak_off=leak_on, leak_margin=leak_margin, leak_criterion=leak_criterion)
    for c, t in zip(caverns, ctabs):
        s_v = float(lithostatic(layers, c.shoe_depth))
        if leak_on and leak_margin >= s_v - brine_gradient * c.shoe_depth:
            raise lk.error("margin", f"a leak-off margin of {leak_margin / 1e6:.4g} MPa puts the cap at or below the "
                           f"brine-column pressure at cavern {c.name!r}'s shoe ({brine_gradient * c.shoe_depth / 1e6:.4g} MPa "
                           f"of a lithostatic {s_v / 1e6:.4g} MPa): the cavern would leak while open")
    roof_zone = parse_roof(root.table("roof", None) or Table({}, file=root.file, path="roof"))
    sv = root.table("solver", None) or Table({}, file=root.file, path="solver")
    degree = sv.number("degree", 2, integer=True, ge=1, le=2)
    solver = sv.string("linear_solver", "lu", choices=("lu", "iterative"))
    sv.finish()
    return CavernConfig(
        geometry=gtype, domain_radius=domain_radius or 0.0, domain_depth=domain_depth, extent=extent,
        origin=(float(origin[0]), float(origin[1])), mesh_size_wall=hw, mesh_size_far=hf, caverns=caverns, layers=layers,
        surface_temperature=Ts, temperature_gradient=Tg, brine=brine, brine_gradient=brine_gradient, scenarios=scen,
        end=end, dt_min=dt_min, dt_max=dt_max, growth=growth, max_cutbacks=cut, dp_max=dpmax, outputs=outputs,
        checkpoint_every=ck, surface_half_width=half, surface_n=nsurf, points=pts, devries=dv, roof_fraction=roof, wall_window=window,
        dilatancy=dilatancy,
        degree=degree, solver=solver, surface_reference=sref, surface_half_width_auto=half_auto,
        surface_half_width_needed=half_needed, field_file=field_file, field_sha256=field_sha, roof=roof_zone,
    )


#: names of the built-in dilatancy criteria (columns fs_vansambeek, fs_devries)
BUILTIN_DILATANCY = ("vansambeek", "devries")
#: forms of a case's own dilatancy boundary (``[[indicators.dilatancy]] form``): τ_D(x)
DILATANCY_FORMS = {"polynomial": "c0 + c1 x + c2 x^2 + ...", "power": "c0 + c1 (x / 1 MPa)^c2",
                   "saturating": "c0 + c1 x / (c2 + x)"}


def parse_dilatancy(ind: Table) -> tuple[DilatancyBoundary, ...]:
    """``[[indicators.dilatancy]]``: name, variables ("octahedral": τ_oct against σ_oct,
    "invariants": √J2 against I1, "principal": σ1 − σ3 against σ3), form ("polynomial": c0 + c1 x +
    c2 x² + …, c_k in MPa^(1−k); "power": c0 + c1 (x/1 MPa)^c2; "saturating": c0 + c1 x/(c2 + x)),
    coefficients, source (where the coefficients come from; stated in the outputs), optionally
    lode_d2 (the boundary is the compression one, scaled to other Lode angles in De Vries' form)."""
    out = []
    for t in ind.tables("dilatancy", []):
        name = t.string("name")
        if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            raise t.error("name", f"{name!r} is not a column name: use lower-case letters, digits and _ "
                          "(it becomes the column fs_<name>)")
        if name in BUILTIN_DILATANCY or name in [b.name for b in out]:
            raise t.error("name", f"{name!r} is already a dilatancy criterion of this case "
                          f"(built in: {', '.join(BUILTIN_DILATANCY)})")
        variables = t.string("variables", choices=("octahedral", "invariants", "principal"))
        form = t.string("form", default="polynomial", choices=DILATANCY_FORMS)
        coef = t.array("coefficients", min_length=1)
        if form != "polynomial":
            if coef.size != 3:
                raise t.error("coefficients", f"form = \"{form}\" takes exactly 3 coefficients "
                              f"({DILATANCY_FORMS[form]}), got {coef.size}")
            if not coef[2] > 0:
                raise t.error("coefficients", f"c2 = {coef[2]:g}: " + (
                    "the saturating form's half-saturation stress must be positive (MPa)" if form == "saturating"
                    else "the power form's exponent must be positive"))
            # the boundary runs from c0 (x = 0) to c0 + c1 (saturating) or to ±inf with c1 (power)
            if not (max(coef[0], coef[0] + coef[1]) > 0 or (form == "power" and coef[1] > 0)):
                raise t.error("coefficients", "the boundary is never positive: no stress state could be below it")
        elif not np.any(coef[1:] != 0) and coef[0] <= 0:
            raise t.error("coefficients", "the boundary is never positive: no stress state could be below it")
        source = t.string("source")
        if not source.strip():
            raise t.error("source", "say where the coefficients come from (publication, data set)")
        d2 = None
        if t.has("lode_d2"):
            if variables == "principal":
                raise t.error("lode_d2", "a Lode dependence scales the boundary at a given mean stress: give the "
                              "boundary as variables = \"octahedral\" or \"invariants\" (the principal form is "
                              "read at a given sigma3)")
            d2 = t.number("lode_d2", ge=0, lt=3)
        t.finish()
        out.append(DilatancyBoundary(name, variables, tuple(float(c) for c in coef), source, d2, form))
    return tuple(out)


def cavern_volume(c: CavernDef) -> float:
    return profile_volume(c.depths, c.radii)


# -- fields of caverns -------------------------------------------------------------------

#: columns of a field CSV: required, then optional
FIELD_COLUMNS = ("name", "x", "y", "top_depth", "bottom_depth", "radius")
FIELD_OPTIONAL = ("shape", "dome_height", "casing_shoe_depth", "operation")
_TEXT_COLUMNS = ("name", "shape", "operation")
#: caverns closer than this many times the sum of their radii get a warning (superposition)
FIELD_MIN_SPACING = 3.0


class _RowTable(Table):
    """One row of a field CSV as a case table: errors name the file, the line and the column."""

    def __init__(self, data: dict, *, file, line: int, cavern: str):
        super().__init__(data, file=file, path=f"line {line}")
        self.line, self.cavern, self.short = line, cavern, Path(file).name

    def key(self, name: str) -> str:
        return f"{self.short} line {self.line} (cavern {self.cavern!r}), column {name}"

    def error(self, name, reason):
        if name is None:
            return CaseError(self.file, f"{self.short} line {self.line}", reason)
        return super().error(name, reason)


def read_field_csv(path: Path) -> tuple[list[Table], list[str | None], str]:
    """Caverns of a field from a CSV: ``name, x, y`` (map coordinates in the case crs),
    ``top_depth, bottom_depth, radius`` [m, or a value with its unit], optionally ``shape``,
    ``dome_height``, ``casing_shoe_depth`` and ``operation`` (the name of an ``[[operations]]``
    entry; empty: the case's operation or scenario). Lines starting with ``#`` and blank lines
    are skipped. Returns one table per row (read like a ``[[caverns]]`` entry; errors name the
    file, line and column), the operation names and the sha256 of the file."""
    import csv
    import hashlib

    raw = Path(path).read_bytes()
    sha = hashlib.sha256(raw).hexdigest()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CaseError(str(path), "", f"not UTF-8 text (byte {exc.start}); save the cavern CSV as UTF-8") from None
    lines = [(i + 1, ln) for i, ln in enumerate(text.splitlines()) if ln.strip() and not ln.lstrip().startswith("#")]
    if not lines:
        raise CaseError(str(path), "", "empty cavern CSV: expected a header line " + ",".join(FIELD_COLUMNS))
    rows = list(csv.reader([ln for _, ln in lines], skipinitialspace=True))
    head_line, header = lines[0][0], [h.strip() for h in rows[0]]
    where = f"line {head_line} (header)"
    missing = [c for c in FIELD_COLUMNS if c not in header]
    if missing:
        raise CaseError(str(path), where, f"missing column(s) {', '.join(missing)}: a cavern CSV has the columns "
                        f"{', '.join(FIELD_COLUMNS)} and optionally {', '.join(FIELD_OPTIONAL)}")
    for h in header:
        if h not in FIELD_COLUMNS + FIELD_OPTIONAL:
            raise CaseError(str(path), f"{where}, column {h or '(empty)'}",
                            f"unknown column (known: {', '.join(FIELD_COLUMNS + FIELD_OPTIONAL)})")
        if header.count(h) > 1:
            raise CaseError(str(path), f"{where}, column {h}", "the column appears twice")
    if len(rows) < 2:
        raise CaseError(str(path), "", "no caverns: the CSV has a header but no rows")
    tables, names = [], []
    for (line, _), row in zip(lines[1:], rows[1:]):
        if len(row) != len(header):
            raise CaseError(str(path), f"{Path(path).name} line {line}",
                            f"expected {len(header)} values ({', '.join(header)}), got {len(row)}")
        d = {}
        for h, v in zip(header, row):
            v = v.strip()
            if v == "":
                continue  # empty: the key's default (an error where the value is required)
            if h not in _TEXT_COLUMNS:
                try:
                    v = float(v)
                except ValueError:
                    pass  # a value with its unit ("34 m"), converted (and checked) by Table.number
            d[h] = v
        op = d.pop("operation", None)
        t = _RowTable(d, file=path, line=line, cavern=str(d.get("name", f"cavern{len(tables) + 1}")))
        if "name" not in d:
            raise t.error("name", "every cavern needs a name")
        if d.get("shape") == "profile":
            raise t.error("shape", "a sonar profile (depths, radii) cannot be given in a CSV row: use a "
                          "[[caverns]] table, or cylinder, sphere or pear")
        tables.append(t)
        names.append(op)
    return tables, names, sha


def _named_operations(root: Table, field: bool) -> dict[str, Table]:
    """``[[operations]]``: named operation lists a field's caverns refer to (CSV column operation)."""
    tabs = root.tables("operations", [])
    if tabs and not field:
        raise root.error("operations", "named operations are for the caverns of a field (geometry.type = \"field\", "
                         "column operation of its CSV); give a cavern its own [[caverns.operation]] phases instead")
    out = {}
    for o in tabs:
        nm = o.string("name")
        if not nm or nm in out:
            raise o.error("name", "operation names must be unique and non-empty")
        out[nm] = o
    return out


def _check_spacing(caverns: list[CavernDef], tabs: list[Table], warn) -> None:
    """Superposing single caverns neglects their interaction: overlapping caverns are an error,
    caverns closer than FIELD_MIN_SPACING × (r₁ + r₂) a warning."""
    for i, a in enumerate(caverns):
        for j in range(i):
            b = caverns[j]
            dist = float(np.hypot(a.x - b.x, a.y - b.y))
            overlap = a.top_depth < b.bottom_depth and b.top_depth < a.bottom_depth
            if overlap and dist <= a.radius + b.radius:
                raise tabs[i].error("x", f"cavern {a.name!r} overlaps cavern {b.name!r} ({dist:.0f} m apart, radii "
                                    f"{a.radius:g} and {b.radius:g} m)")
            if warn is not None and dist < FIELD_MIN_SPACING * (a.radius + b.radius):
                warn(f"[{tabs[i].key('x')}] caverns {a.name!r} and {b.name!r} are {dist:.0f} m apart, less than "
                     f"{FIELD_MIN_SPACING:g} x the sum of their radii: the field superposes single caverns and neglects "
                     "their creep interaction; model close caverns together (geometry.type = \"cluster\", 3D)")


def auto_half_width(gtype: str, caverns: list[CavernDef], domain_radius, extent) -> tuple[float, float]:
    """(half-width, needed half-width) of the surface grid when ``surface.half_width`` is not
    given: the grid should hold AUTO_FRACTION (95 %) of the Mogi bowl of the deepest cavern
    (the needed half-width; a field: the margin around its caverns), but it stays inside the
    model: at most domain_radius/√2 (the square inside the modelled disc; a field: the margin),
    or the largest square around the origin inside a cluster's box."""
    from subsidence.cavern.bowl import centroid_depth, half_width_for_fraction

    need = half_width_for_fraction(max(centroid_depth(c.depths, c.radii) for c in caverns))
    if gtype in ("axisymmetric", "field"):
        return min(need, domain_radius / np.sqrt(2.0)), need
    need += max(max(abs(c.x), abs(c.y)) for c in caverns)
    cap = min(-extent[0], extent[1], -extent[2], extent[3])
    if cap <= 0:  # the origin outside the box: the old default, ¾ of the half box
        cap = 0.375 * min(extent[1] - extent[0], extent[3] - extent[2])
    return min(need, cap), need
