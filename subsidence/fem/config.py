"""Case-file settings of ``[model] method = "fem"`` (deep cases).

Keys read here (everything else of a deep case is shared with the analytic method):

``[model]``: ``geometry`` ("auto" | "axisymmetric" | "3d"), ``coupling`` ("one-way" |
"biot"), ``poisson_ratio`` (default ν of regions given by Cm), ``biot_coefficient``,
``degree`` (Lagrange degree of the displacement, 1 or 2), ``solver`` ("auto" | "gamg" |
"mumps" | "fixed-stress"; for Biot "gamg" means the fixed-stress split), ``rtol``,
``base`` ("fixed" | "roller"), ``time_step`` (years; Biot only).
``[mesh]``: ``reservoir_size``, ``surface_size``, ``far_size``, ``grading`` (m),
``domain_factor`` (the domain-size rule, default 10), ``depth`` and ``lateral_margin``
(m, override the rule), ``write_msh`` (bool), ``refine`` (integer >= 0: uniform parallel
refinements of the distributed gmsh mesh, each halving the element edges; default 0).
``[[layers]]``: ``name``, ``top`` (m below surface; the first layer starts at 0), and
``E`` + ``nu`` or ``cm`` (1/Pa, uniaxial compaction coefficient) [+ ``nu``]; optional
``biot``, ``permeability`` (m²), ``porosity``, ``fluid_compressibility`` (1/Pa),
``grain_modulus`` (Pa), ``storage`` (1/Pa).
``[basement]``: ``depth`` (m) and either ``rigid = true`` (the model's base, fixed) or
elastic properties as for a layer (then it is the deepest layer).
``[[bodies]]``: ``name``, ``shape`` ({type = "cylinder", center, radius} | {type = "box",
x = [min, max], y = [min, max]}), ``top``, ``bottom`` (m below surface) and properties.
``[reservoir_properties.<reservoir name>]``: ``nu``, ``biot``, ``permeability``,
``porosity``, ... of that reservoir (its E follows from the compaction law's Cm).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from subsidence.config.table import Table
from subsidence.fem.materials import Material

GEOMETRIES = ("auto", "axisymmetric", "3d")
COUPLINGS = ("one-way", "biot")


@dataclasses.dataclass
class RegionSpec:
    name: str
    material: Material
    top: float | None = None  # layers/bodies: m below surface
    bottom: float | None = None
    shape: dict | None = None  # bodies: {"type": "cylinder", "center": (x, y), "radius": r} or box


@dataclasses.dataclass
class MeshSpec:
    reservoir_size: float | None = None
    surface_size: float | None = None
    far_size: float | None = None
    grading: float | None = None
    domain_factor: float = 10.0
    depth: float | None = None
    lateral_margin: float | None = None
    write_msh: bool = False
    refine: int = 0  # uniform refinements after distribution (the sizes above are the coarse mesh's)


MAX_REFINE = 6  # 8^6 = 262 144 tetrahedra per coarse one: more is a typo, not a model


@dataclasses.dataclass
class FemSpec:
    geometry: str  # resolved: "axisymmetric" | "3d"
    coupling: str
    poisson_ratio: float
    biot: float
    degree: int
    solver: str
    rtol: float
    base: str
    time_step: float  # s (Biot)
    mesh: MeshSpec
    layers: list[RegionSpec]
    bodies: list[RegionSpec]
    reservoirs: dict[str, Material]
    rigid_basement: float | None = None  # m
    axis: tuple[float, float] | None = None  # axisymmetric: the common centre


def _material(t: Table, *, nu_default: float, biot_default: float, required: bool = True) -> Material | None:
    has_E, has_cm = t.has("E"), t.has("cm")
    if has_E and has_cm:
        raise t.error("cm", "give either E (with nu) or cm, not both")
    if not (has_E or has_cm):
        if required:
            raise t.error("E", "required: Young's modulus E (Pa) with nu, or the compaction coefficient cm (1/Pa)")
        return None
    nu = t.number("nu", nu_default, gt=-1.0, lt=0.5)
    biot = t.number("biot", biot_default, ge=0.0, le=1.0)
    extra = dict(
        biot=biot,
        permeability=t.number("permeability", 0.0, unit="m^2", ge=0.0),
        porosity=t.number("porosity", 0.2, ge=0.0, lt=1.0),
        fluid_compressibility=t.number("fluid_compressibility", 4.5e-10, unit="1/Pa", ge=0.0),
        grain_modulus=t.number("grain_modulus", math.inf, unit="Pa", gt=0.0),
        storage=t.number("storage", None, unit="1/Pa", ge=0.0),
    )
    if has_E:
        return Material(E=t.number("E", unit="Pa", gt=0.0), nu=nu, **extra)
    cm = t.number("cm", unit="1/Pa", gt=0.0)
    if biot == 0:
        raise t.error("biot", "cm needs a Biot coefficient > 0 (give E instead)")
    return Material.from_cm(cm, nu, **extra)


def parse_fem(root: Table, model: Table, *, case, config) -> FemSpec:
    from subsidence.deep.geometry import Disc
    from subsidence.deep.gridded import GridShape
    from subsidence.physics.compaction import Linear, TimeDecay

    geometry = model.string("geometry", "auto", choices=GEOMETRIES)
    coupling = model.string("coupling", "one-way", choices=COUPLINGS)
    nu = model.number("poisson_ratio", 0.25, gt=-1.0, lt=0.5)
    biot = model.number("biot_coefficient", 1.0, gt=0.0, le=1.0)
    degree = model.number("degree", 2, integer=True, ge=1, le=2)
    solver = model.string("solver", "auto", choices=("auto", "gamg", "mumps", "fixed-stress"))
    rtol = model.number("rtol", 1e-8, gt=0.0, lt=1.0)
    base = model.string("base", None, choices=("fixed", "roller"))
    time_step = model.number("time_step", 0.25, unit="s", bare="yr", gt=0.0)
    model.finish()

    mt = root.table("mesh", None)
    mesh = MeshSpec()
    if mt is not None:
        for k in ("reservoir_size", "surface_size", "far_size", "grading", "depth", "lateral_margin"):
            setattr(mesh, k, mt.number(k, None, unit="m", gt=0.0))
        mesh.domain_factor = mt.number("domain_factor", 10.0, ge=2.0)
        mesh.write_msh = mt.boolean("write_msh", False)
        mesh.refine = int(mt.number("refine", 0, integer=True, ge=0, le=MAX_REFINE))
        mt.finish()

    res_props = root.table("reservoir_properties", None)
    reservoirs: dict[str, Material] = {}
    names = [r.name for r in config.reservoirs]
    if res_props is not None:
        for key in res_props.data:
            if key not in names:
                raise res_props.error(key, f"no reservoir named {key!r} (reservoirs: {', '.join(names)})")
    for r in config.reservoirs:
        law = r.compaction
        if isinstance(r.shape, GridShape):
            if coupling == "biot":
                raise model.error("coupling", f'reservoir {r.name!r}: gridded reservoirs load the mesh cell-wise and '
                                              'need coupling = "one-way"')
            if res_props is not None and res_props.has(r.name):
                raise res_props.error(r.name, "a gridded reservoir shares the stiffness of its host layer")
        if not isinstance(law, (Linear, TimeDecay)):
            raise model.error("method", f'reservoir {r.name!r}: compaction law {law.law!r} is not available with "fem" '
                                        '(linear or time-decay)')
        if coupling == "biot" and isinstance(law, TimeDecay):
            raise model.error("coupling", f'reservoir {r.name!r}: use law = "linear" with coupling = "biot" '
                                          "(the delay then comes from pressure diffusion)")
        pt = res_props.table(r.name, None) if res_props is not None else None
        if isinstance(r.shape, GridShape):
            continue  # not a meshed region: it loads its host layers cell-wise
        if pt is not None:
            for k in ("E", "cm"):
                if pt.has(k):
                    raise pt.error(k, "a reservoir's stiffness follows from its compaction law (cm)")
            extra_t = pt
            nu_r = extra_t.number("nu", nu, gt=-1.0, lt=0.5)
            b = extra_t.number("biot", biot, gt=0.0, le=1.0)
            mat = Material.from_cm(law.cm, nu_r, biot=b,
                                   permeability=extra_t.number("permeability", 0.0, unit="m^2", ge=0.0),
                                   porosity=extra_t.number("porosity", 0.2, ge=0.0, lt=1.0),
                                   fluid_compressibility=extra_t.number("fluid_compressibility", 4.5e-10, unit="1/Pa", ge=0.0),
                                   grain_modulus=extra_t.number("grain_modulus", math.inf, unit="Pa", gt=0.0),
                                   storage=extra_t.number("storage", None, unit="1/Pa", ge=0.0))
            pt.finish()
        else:
            mat = Material.from_cm(law.cm, nu, biot=biot)
        reservoirs[r.name] = mat
    if res_props is not None:
        res_props.finish()

    layers: list[RegionSpec] = []
    lts = root.tables("layers", [])
    for i, lt in enumerate(lts):
        name = lt.string("name", f"layer{i}")
        top = lt.number("top", unit="m", ge=0.0)
        if i == 0 and top != 0.0:
            raise lt.error("top", "the first layer must start at the surface (top = 0)")
        if i > 0 and top <= layers[-1].top:
            raise lt.error("top", f"layers must be listed top down (previous top {layers[-1].top:g} m)")
        layers.append(RegionSpec(name, _material(lt, nu_default=nu, biot_default=biot), top=top))
        lt.finish()
    layers_given = bool(layers)
    if not layers:
        # Geertsma's assumption: the surroundings have the stiffness of the (first) reservoir
        m0 = reservoirs[config.reservoirs[0].name]
        layers.append(RegionSpec("rock", Material(E=m0.E, nu=m0.nu, biot=m0.biot), top=0.0))

    rigid = None
    bt = root.table("basement", None)
    if bt is not None:
        depth = bt.number("depth", unit="m", gt=0.0)
        is_rigid = bt.boolean("rigid", False)
        if is_rigid:
            for k in ("E", "cm", "nu"):
                if bt.has(k):
                    raise bt.error(k, "a rigid basement has no elastic properties (set rigid = false to give them)")
            rigid = depth
        else:
            mat = _material(bt, nu_default=nu, biot_default=biot)
            if depth <= layers[-1].top:
                raise bt.error("depth", f"must be below the top of the last layer ({layers[-1].top:g} m)")
            layers.append(RegionSpec("basement", mat, top=depth))
        bt.finish()
        deepest = max(r.max_bottom for r in config.reservoirs)
        if depth <= deepest:
            raise bt.error("depth", f"the basement ({depth:g} m) must be below the reservoirs (bottom {deepest:g} m)")
        if rigid is not None and layers[-1].top >= rigid:
            raise bt.error("depth", f"the rigid basement must be below the top of the last layer ({layers[-1].top:g} m)")

    bodies: list[RegionSpec] = []
    for j, bt in enumerate(root.tables("bodies", [])):
        name = bt.string("name", f"body{j}")
        st = bt.table("shape")
        kind = st.string("type", choices=("cylinder", "box"))
        if kind == "cylinder":
            c = st.array("center", unit="m", length=2)
            shape = {"type": "cylinder", "center": (float(c[0]), float(c[1])), "radius": st.number("radius", unit="m", gt=0.0)}
        else:
            x = st.array("x", unit="m", length=2, increasing=True)
            y = st.array("y", unit="m", length=2, increasing=True)
            shape = {"type": "box", "x": tuple(map(float, x)), "y": tuple(map(float, y))}
        st.finish()
        top = bt.number("top", unit="m", ge=0.0)
        bottom = bt.number("bottom", unit="m", gt=top)
        bodies.append(RegionSpec(name, _material(bt, nu_default=nu, biot_default=biot), top=top, bottom=bottom,
                                 shape=shape))
        bt.finish()
    all_names = [x.name for x in layers + bodies] + names
    if len(set(all_names)) != len(all_names):
        raise root.error("layers", f"layer, body and reservoir names must be unique, got {all_names}")

    axis = _common_axis(config, bodies)
    if geometry == "auto":
        geometry = "axisymmetric" if axis is not None else "3d"
    elif geometry == "axisymmetric" and axis is None:
        raise root.error("model.geometry", '"axisymmetric" needs disc reservoirs (and cylinder bodies) on one common axis')
    if coupling == "one-way" and solver == "fixed-stress":
        raise root.error("model.solver", '"fixed-stress" is the coupled (biot) solver; use "gamg" or "mumps"')
    grids = [r.name for r in config.reservoirs if isinstance(r.shape, GridShape)]
    if grids and not layers_given:
        raise root.error("layers", f"gridded reservoir {grids[0]!r}: give the host rock as [[layers]] (E, nu)")
    if any(isinstance(r.shape, Disc) is False and geometry == "axisymmetric" for r in config.reservoirs):
        raise root.error("model.geometry", "axisymmetric geometry needs disc reservoirs")
    if base is None:
        base = "fixed" if rigid is not None else "roller"
    return FemSpec(geometry=geometry, coupling=coupling, poisson_ratio=nu, biot=biot, degree=int(degree),
                   solver=solver, rtol=rtol, base=base, time_step=time_step, mesh=mesh, layers=layers,
                   bodies=bodies, reservoirs=reservoirs, rigid_basement=rigid, axis=axis)


def _common_axis(config, bodies) -> tuple[float, float] | None:
    from subsidence.deep.geometry import Disc

    centres = []
    for r in config.reservoirs:
        if not isinstance(r.shape, Disc):
            return None
        centres.append(r.shape.center)
    for b in bodies:
        if b.shape["type"] != "cylinder":
            return None
        centres.append(b.shape["center"])
    c = np.array(centres)
    if np.allclose(c, c[0], atol=1e-6):
        return float(c[0, 0]), float(c[0, 1])
    return None
