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
refinements of the distributed gmsh mesh, each halving the element edges; default 0),
``cache`` (a directory: the coarse mesh is saved there under a key of the geometry and read
back in parallel, without gmsh, by every later run of the same geometry).
``[[layers]]``: ``name``, ``top`` (m below surface; the first layer starts at 0), and
``E`` + ``nu`` or ``cm`` (1/Pa, uniaxial compaction coefficient) [+ ``nu``]; optional
``biot``, ``permeability`` (m²), ``porosity``, ``fluid_compressibility`` (1/Pa),
``grain_modulus`` (Pa), ``storage`` (1/Pa).
``[basement]``: ``depth`` (m) and either ``rigid = true`` (the model's base, fixed) or
elastic properties as for a layer (then it is the deepest layer).
``[[bodies]]``: ``name``, ``shape`` ({type = "cylinder", center, radius} | {type = "box",
x = [min, max], y = [min, max]}), ``top``, ``bottom`` (m below surface) and properties.
``[[bodies]]`` may also be ``{type = "polygon", vertices = [[x, y], ...]}`` (or ``file``): a lens
of any outline, a prism between ``top`` and ``bottom``.
``[[faults]]`` (3D; material by the side of a dipping plane, cells tagged by their centroid):
``name``, ``point`` ([x, y] on the trace at ``depth``, default 0 m), ``strike`` and ``dip``
(degrees; right-hand rule), ``hanging_wall`` / ``footwall`` ({factor = f} multiplies E of the
cells on that side, or E + nu / cm replace the material), ``top``/``bottom`` (depth range),
``regions`` (layer/body names, default all layers), ``throw`` (m, > 0 normal: the hanging-wall
part of the ``reservoirs`` it crosses moves down the dip; meshed) and ``reservoirs``.
``[[random_fields]]`` (3D): a lognormal factor on E per cell: ``name``, ``regions`` (default all
layers), ``cv`` or ``sigma_log``, ``mean`` (1), ``correlation_length`` ([lx, ly, lz] m or one
value), ``covariance`` ("exponential" | "gaussian"), ``seed``, ``spacing`` (m, the generation
grid; default a fifth of each correlation length).
``[sweep]``: parameters of a sweep over the case (see subsidence/heterogeneity/sweep.py).
``[[interfaces]]`` (3D): a laterally varying top of a layer, by cell centroid: ``layer``, and
``top_file`` (its depth) or ``thickness_file`` (the thickness of the layer above), a CSV (x, y,
``column``) or NetCDF (variable ``column`` on (y, x)) grid, m.
``[reservoir_properties.<reservoir name>]``: ``nu``, ``biot``, ``permeability``,
``porosity``, ... of that reservoir (its E follows from the compaction law's Cm), and
``sealed`` (coupled Biot): the faces across which the pore pressure jumps with no flow
(``["top", "base", "sides"]``, a subset, or true for all; see subsidence/fem/sealing.py).
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

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
    cache: Path | None = None  # directory of saved coarse meshes keyed by the geometry (subsidence.mesh.store)


@dataclasses.dataclass
class BlockSpec:
    """The material of one side of a fault: a factor on E (ν kept) or a replacing material."""

    factor: float | None = None
    material: Material | None = None


@dataclasses.dataclass
class FaultSpec:
    name: str
    plane: object  # subsidence.heterogeneity.geometry.FaultPlane
    hanging_wall: BlockSpec | None = None
    footwall: BlockSpec | None = None
    top: float = 0.0  # m below surface: the depth range of the blocks' stiffness
    bottom: float = math.inf
    regions: list[str] | None = None  # layer/body names (None: all layers)
    throw: float = 0.0  # m, > 0: the hanging wall moves down (normal fault)
    reservoirs: list[str] = dataclasses.field(default_factory=list)  # offset by the throw


@dataclasses.dataclass
class InterfaceSpec:
    """A laterally varying top of ``layer``: from a grid of its depth (``kind`` "top") or of the
    thickness of the layer above it (``kind`` "thickness": top = that layer's top + thickness)."""

    layer: str
    kind: str  # "top" | "thickness"
    grid: object  # subsidence.heterogeneity.geometry.SurfaceGrid
    source: str = ""


@dataclasses.dataclass
class RandomFieldSpec:
    name: str
    sigma: float  # σ of ln F
    lengths: tuple[float, float, float]  # correlation lengths x, y, z (m)
    covariance: str = "exponential"
    seed: int = 0
    mean: float = 1.0  # E[F]
    spacing: tuple[float, float, float] | None = None  # generation grid (m)
    regions: list[str] | None = None  # layer/body names (None: all layers)


@dataclasses.dataclass
class HeterogeneityStudy:
    """``[heterogeneity]``: references run alongside and the bowl comparison (issue 10)."""

    reference: bool = True  # the homogeneous FE reference (same mesh, bodies/faults/fields off)
    analytic: bool = True  # the analytic kernel of the same reservoirs
    contour: float | None = None  # m of subsidence: widths at this absolute contour
    window: tuple[float, float] | None = None  # years: line-of-sight detectability of the rate differences
    velocity_noise: float = 1.0e-3  # m/yr
    incidence: float = 39.0  # degrees


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
    faults: list[FaultSpec] = dataclasses.field(default_factory=list)
    random_fields: list[RandomFieldSpec] = dataclasses.field(default_factory=list)
    interfaces: list[InterfaceSpec] = dataclasses.field(default_factory=list)
    # the homogeneous reference of the same case: bodies take their host layer's material (same mesh),
    # faults' blocks and random fields are off (fault throws, i.e. the reservoir geometry, are kept)
    reference: bool = False
    study: HeterogeneityStudy | None = None  # [heterogeneity]: references and bowl metrics after the run
    sweep: object = None  # [sweep]: subsidence.heterogeneity.sweep.SweepSpec (run by that module)
    sealed: dict[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)  # reservoir → sealed faces (Biot)

    @property
    def heterogeneous_cells(self) -> bool:
        """Whether materials are set per cell (by centroid) beyond the tagged regions."""
        return bool(self.faults or self.random_fields or self.interfaces or self.reference)


#: material keys only a Biot (two-way) run uses
BIOT_ONLY_KEYS = ("permeability", "porosity", "fluid_compressibility", "grain_modulus", "storage")


def _material(t: Table, *, nu_default: float, biot_default: float, required: bool = True,
              ignored=None) -> Material | None:
    """``ignored``: a list that collects the keys of ``BIOT_ONLY_KEYS`` given here (one-way runs)."""
    if ignored is not None:
        ignored += [t.key(k) for k in BIOT_ONLY_KEYS if t.has(k)]
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
    ignored = [] if coupling != "biot" else None  # Biot-only keys given to a one-way run: said, not silently dropped
    if ignored is not None and model.has("time_step"):
        ignored.append(model.key("time_step"))
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
        mesh.cache = mt.path_("cache", None, must_exist=False)
        if mesh.cache is not None and mesh.cache.exists() and not mesh.cache.is_dir():
            raise mt.error("cache", f"{mesh.cache} exists and is not a directory")
        mt.finish()

    res_props = root.table("reservoir_properties", None)
    reservoirs: dict[str, Material] = {}
    sealed: dict[str, tuple[str, ...]] = {}
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
            if ignored is not None:
                ignored += [pt.key(k) for k in BIOT_ONLY_KEYS if pt.has(k)]
            nu_r = extra_t.number("nu", nu, gt=-1.0, lt=0.5)
            b = extra_t.number("biot", biot, gt=0.0, le=1.0)
            mat = Material.from_cm(law.cm, nu_r, biot=b,
                                   permeability=extra_t.number("permeability", 0.0, unit="m^2", ge=0.0),
                                   porosity=extra_t.number("porosity", 0.2, ge=0.0, lt=1.0),
                                   fluid_compressibility=extra_t.number("fluid_compressibility", 4.5e-10, unit="1/Pa", ge=0.0),
                                   grain_modulus=extra_t.number("grain_modulus", math.inf, unit="Pa", gt=0.0),
                                   storage=extra_t.number("storage", None, unit="1/Pa", ge=0.0))
            faces = _sealed_faces(pt, coupling)
            if faces:
                sealed[r.name] = faces
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
        layers.append(RegionSpec(name, _material(lt, nu_default=nu, biot_default=biot, ignored=ignored), top=top))
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
            mat = _material(bt, nu_default=nu, biot_default=biot, ignored=ignored)
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
        kind = st.string("type", choices=("cylinder", "box", "polygon"))
        if kind == "cylinder":
            c = st.array("center", unit="m", length=2)
            shape = {"type": "cylinder", "center": (float(c[0]), float(c[1])), "radius": st.number("radius", unit="m", gt=0.0)}
        elif kind == "polygon":
            shape = {"type": "polygon", "vertices": _polygon(st)}
        else:
            x = st.array("x", unit="m", length=2, increasing=True)
            y = st.array("y", unit="m", length=2, increasing=True)
            shape = {"type": "box", "x": tuple(map(float, x)), "y": tuple(map(float, y))}
        st.finish()
        top = bt.number("top", unit="m", ge=0.0)
        bottom = bt.number("bottom", unit="m", gt=top)
        bodies.append(RegionSpec(name, _material(bt, nu_default=nu, biot_default=biot, ignored=ignored), top=top, bottom=bottom,
                                 shape=shape))
        bt.finish()
    all_names = [x.name for x in layers + bodies] + names
    if len(set(all_names)) != len(all_names):
        raise root.error("layers", f"layer, body and reservoir names must be unique, got {all_names}")
    regions = [x.name for x in layers + bodies]
    faults = [_fault(ft, j, regions=regions, reservoirs=config.reservoirs, nu=nu, biot=biot)
              for j, ft in enumerate(root.tables("faults", []))]
    fields = [_random_field(rt, j, regions=regions) for j, rt in enumerate(root.tables("random_fields", []))]
    interfaces = _interfaces(root, layers)
    lateral = [f"[[faults]] {f.name!r}" for f in faults] + [f"[[random_fields]] {f.name!r}" for f in fields] + \
        [f"[[interfaces]] {i.layer!r}" for i in interfaces]
    offset = [n for f in faults for n in f.reservoirs]
    if len(set(offset)) != len(offset):
        raise root.error("faults", "a reservoir can be offset by one fault only")
    if coupling == "biot" and lateral:
        raise root.error("model.coupling", f'{lateral[0]}: cell-wise materials need coupling = "one-way"')

    homogeneous, study = _heterogeneity(root, coupling=coupling, times=config.output.times,
                                        grid=config.output.grid is not None)
    sweep = None
    if root.has("sweep"):
        from subsidence.heterogeneity.sweep import parse_sweep

        if coupling != "one-way" or config.output.grid is None:
            raise root.error("sweep", 'a sweep compares bowls: it needs coupling = "one-way" and an [output] grid')
        sweep = parse_sweep(root, root.data, warn=case.warn if case is not None else None)

    axis = _common_axis(config, bodies) if not lateral else None
    if geometry == "auto":
        geometry = "axisymmetric" if axis is not None else "3d"
    elif geometry == "axisymmetric" and lateral:
        raise root.error("model.geometry", f'{lateral[0]} is not axisymmetric: use geometry = "3d" (or "auto")')
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
    if ignored:
        case.warn(f"[{ignored[0]}] {', '.join(ignored)}: used by coupling = \"biot\" only; this run is one-way "
                  "(the compaction law sets the reservoirs' deformation), so they are not used")
    spec = FemSpec(geometry=geometry, coupling=coupling, poisson_ratio=nu, biot=biot, degree=int(degree),
                   solver=solver, rtol=rtol, base=base, time_step=time_step, mesh=mesh, layers=layers,
                   bodies=bodies, reservoirs=reservoirs, rigid_basement=rigid, axis=axis, faults=faults,
                   random_fields=fields, interfaces=interfaces, reference=homogeneous, study=study, sweep=sweep,
                   sealed=sealed)
    _check_extent(root, config, spec, elastic_basement=bt is not None and rigid is None)
    if fields:
        _check_field_grids(root, config, spec)
    if coupling == "biot":
        _check_time_steps(model, config, time_step)
    return spec


MAX_TIME_STEPS = 100_000  # Biot steps of a run: more is a unit slip in time_step ("1 s"), not a model


def _check_time_steps(model: Table, config, time_step: float) -> None:
    from subsidence.units import SECONDS_PER_YEAR

    t_end = float(np.max(config.output.times))
    n = t_end / time_step  # at least this many steps (knots only add some)
    if n > MAX_TIME_STEPS:
        raise model.error("time_step", f"{time_step / SECONDS_PER_YEAR:.3g} yr gives {n:.3g} Biot time steps to "
                                       f"{t_end / SECONDS_PER_YEAR:g} yr (limit {MAX_TIME_STEPS}): a bare number is "
                                       "in years (e.g. 0.25)")


def _check_extent(root: Table, config, spec: FemSpec, *, elastic_basement: bool) -> None:
    """Every reservoir (offset by its fault's throw) and body inside the model: below the surface,
    above its base (the rigid basement, ``[mesh] depth`` or the domain rule), and the last layer
    starting above that base. The mesher would otherwise cut off what sticks out, or move the base."""
    from subsidence.fem.setup import model_depth, reservoir_volumes
    from subsidence.mesh.shapes import OffsetVolume

    vols, zones = reservoir_volumes(config, spec)  # the volumes the mesh is built of, faults' offsets included
    for v in vols:
        if not isinstance(v, OffsetVolume):
            continue
        j = [i for i, f in enumerate(spec.faults) if f.throw and v.name in f.reservoirs][-1]  # the last offset applied
        key, throw = f"faults[{j}].throw", spec.faults[j].throw
        if v.top < 0:
            raise root.error(key, f"{throw:g} m moves the hanging-wall part of reservoir {v.name!r} above the surface "
                                  f"(its top to {v.top:g} m)")
        if spec.rigid_basement is not None and v.bottom >= spec.rigid_basement:
            raise root.error(key, f"{throw:g} m moves the hanging-wall part of reservoir {v.name!r} down to {v.bottom:g} m, "
                                  f"not above the rigid basement ({spec.rigid_basement:g} m)")
    deepest = max(v.bottom for v in vols + zones)
    body_bottom = max([b.bottom for b in spec.bodies], default=0.0)
    last = spec.layers[-1]
    last_key = "basement.depth" if elastic_basement else f"layers[{len(spec.layers) - 1}].top"
    if spec.rigid_basement is not None:
        if spec.mesh.depth is not None:
            raise root.error("mesh.depth", f"the rigid basement ({spec.rigid_basement:g} m) is the model's base: leave "
                                           "out [mesh] depth (or make the basement elastic: rigid = false)")
        for j, b in enumerate(spec.bodies):
            if b.bottom > spec.rigid_basement:
                raise root.error(f"bodies[{j}].bottom", f"body {b.name!r} reaches {b.bottom:g} m, below the rigid "
                                                        f"basement ({spec.rigid_basement:g} m, the model's base)")
        return
    if spec.mesh.depth is not None:
        d = spec.mesh.depth
        if d <= deepest:
            raise root.error("mesh.depth", f"the model base ({d:g} m) must be below the reservoirs (deepest bottom "
                                           f"{deepest:g} m)")
        if d < body_bottom:
            b = max(spec.bodies, key=lambda b: b.bottom)
            raise root.error("mesh.depth", f"the model base ({d:g} m) must not be above the bottom of body {b.name!r} "
                                           f"({b.bottom:g} m)")
        if last.top >= d:
            raise root.error("mesh.depth", f"the model base ({d:g} m) must be below the top of the last layer "
                                           f"{last.name!r} ({last.top:g} m)")
        return
    d = model_depth(spec, deepest, body_bottom)
    if last.top >= d:
        raise root.error(last_key, f"{last.name!r} starts at {last.top:g} m, below the model base ({d:g} m: "
                                   f"domain_factor {spec.mesh.domain_factor:g} × the deepest reservoir bottom "
                                   f"{deepest:g} m): give [mesh] depth below it")


def _check_field_grids(root: Table, config, spec: FemSpec) -> None:
    """A random field's generation grid must resolve its correlation lengths and fit in memory: its
    embedding over the bounding box of its regions (at most the model domain) is bounded here, before
    anything is meshed."""
    from subsidence.fem.setup import layout
    from subsidence.heterogeneity.random_field import MAX_POINTS, grid_counts

    lay = layout(config, spec)
    dom = lay.domain
    slabs = {s.name: s for s in lay.slabs}
    bodies = {b.name: b for b in lay.bodies}
    for j, rf in enumerate(spec.random_fields):
        key = f"random_fields[{j}].spacing" if rf.spacing is not None else f"random_fields[{j}].correlation_length"
        if rf.spacing is not None:
            for axis, s, ell in zip("xyz", rf.spacing, rf.lengths):
                if s > ell:
                    raise root.error(key, f"a step of {s:g} m along {axis} does not resolve the correlation length "
                                          f"there ({ell:g} m): the spacing must be at most the correlation length")
        boxes = []
        for n in rf.regions if rf.regions is not None else list(slabs):
            if n in slabs:
                boxes.append((dom.xmin, dom.xmax, dom.ymin, dom.ymax, slabs[n].top, slabs[n].bottom))
            else:
                x0, x1, y0, y1 = bodies[n].extent
                boxes.append((max(x0, dom.xmin), min(x1, dom.xmax), max(y0, dom.ymin), min(y1, dom.ymax),
                              bodies[n].top, min(bodies[n].bottom, dom.depth)))
        b = np.array(boxes, float)
        lo = (b[:, 0].min(), b[:, 2].min(), b[:, 4].min())
        hi = (b[:, 1].max(), b[:, 3].max(), b[:, 5].max())
        spacing = rf.spacing or tuple(v / 5.0 for v in rf.lengths)
        points = float(math.prod(max(1, 2 * (n - 1)) for n in grid_counts(lo, hi, spacing)))
        if points > MAX_POINTS:
            raise root.error(key, f"the generation grid over its regions ({hi[0] - lo[0]:.4g} × {hi[1] - lo[1]:.4g} × "
                                  f"{hi[2] - lo[2]:.4g} m) at steps of {', '.join(f'{s:g}' for s in spacing)} m would "
                                  f"embed {points:.3g} points (limit {MAX_POINTS:.0e}): give a coarser spacing or "
                                  "longer correlation lengths")


def _sealed_faces(t: Table, coupling: str) -> tuple[str, ...]:
    """``sealed``: true (all faces), false, or a list of "top", "base", "sides"."""
    from subsidence.fem.sealing import FACES

    if not t.has("sealed"):
        return ()
    v = t.raw("sealed")
    if isinstance(v, bool):
        faces = FACES if v else ()
    else:
        faces = t.strings("sealed")
        bad = [f for f in faces if f not in FACES]
        if bad or not faces:
            raise t.error("sealed", f"expected true/false or a non-empty list of {', '.join(map(repr, FACES))}"
                                    + (f" (got {bad[0]!r})" if bad else ""))
        faces = tuple(f for f in FACES if f in faces)
    if faces and coupling != "biot":
        raise t.error("sealed", 'sealed faces hold the pore pressure apart: they need [model] coupling = "biot"')
    return faces


def _heterogeneity(root: Table, *, coupling: str, times, grid: bool) -> tuple[bool, HeterogeneityStudy | None]:
    """``[heterogeneity]``: ``homogeneous`` (this run is the reference) or the references to run."""
    from subsidence.units import SECONDS_PER_YEAR

    t = root.table("heterogeneity", None)
    if t is None:
        return False, None
    homogeneous = t.boolean("homogeneous", False)
    st = HeterogeneityStudy(reference=t.boolean("reference", not homogeneous), analytic=t.boolean("analytic", not homogeneous),
                            contour=t.number("contour", None, unit="m", gt=0.0),
                            velocity_noise=t.number("velocity_noise", 1.0e-3, unit="m/yr", gt=0.0),
                            incidence=t.number("incidence", 39.0, gt=0.0, lt=90.0))
    if t.has("window"):
        w = t.array("window", length=2, increasing=True, ge=0.0)
        yrs = np.asarray(times, float) / SECONDS_PER_YEAR
        for v in w:
            if not np.any(np.isclose(yrs, v, rtol=1e-9, atol=1e-9)):
                raise t.error("window", f"{v:g} yr is not an output time ({', '.join(f'{y:g}' for y in yrs)})")
        st.window = (float(w[0]), float(w[1]))
    if homogeneous and (st.reference or st.analytic):
        raise t.error("homogeneous", "the homogeneous reference runs no references of its own (reference = false, "
                                     "analytic = false)")
    if (st.reference or st.analytic) and not grid:
        raise t.error("reference", "the bowl comparison needs an [output] grid")
    if coupling != "one-way" and (homogeneous or st.reference):
        raise t.error("reference", 'the FE reference needs coupling = "one-way"')
    t.finish()
    return homogeneous, (st if (st.reference or st.analytic) else None)


def _polygon(st: Table) -> np.ndarray:
    """A polygon outline from ``vertices = [[x, y], ...]`` or ``file`` (as for polygon reservoirs)."""
    from subsidence.deep.config import polygon_vertices
    from subsidence.deep.geometry import Polygon, self_intersection

    verts = polygon_vertices(st)
    key = "file" if st.has("file") else "vertices"
    if self_intersection(verts) is not None:
        raise st.error(key, "the outline intersects itself: order the vertices along the outline")
    if Polygon(verts).area <= 0:
        raise st.error(key, "the polygon has zero area")
    return verts


def _regions(t: Table, known: list[str]) -> list[str] | None:
    names = t.strings("regions", None)
    if names is not None:
        if not names:
            raise t.error("regions", "give at least one layer or body name (or leave the key out: all layers)")
        for n in names:
            if n not in known:
                raise t.error("regions", f"no layer or body named {n!r} (known: {', '.join(known)})")
    return names


def _block(t: Table, name: str, *, nu: float, biot: float) -> BlockSpec | None:
    bt = t.table(name, None)
    if bt is None:
        return None
    if bt.has("factor"):
        for k in ("E", "cm", "nu"):
            if bt.has(k):
                raise bt.error(k, "give either factor (on the host's E) or a material (E, nu or cm), not both")
        out = BlockSpec(factor=bt.number("factor", gt=0.0))
    else:
        out = BlockSpec(material=_material(bt, nu_default=nu, biot_default=biot))
    bt.finish()
    return out


def _fault(t: Table, j: int, *, regions: list[str], reservoirs, nu: float, biot: float) -> FaultSpec:
    from subsidence.deep.gridded import GridShape
    from subsidence.heterogeneity.geometry import FaultPlane

    name = t.string("name", f"fault{j}")
    pt = t.array("point", unit="m", length=2)
    plane = FaultPlane(float(pt[0]), float(pt[1]), t.number("depth", 0.0, unit="m", ge=0.0),
                       t.number("strike", ge=-360.0, le=360.0), t.number("dip", gt=0.0, le=90.0))
    f = FaultSpec(name, plane, hanging_wall=_block(t, "hanging_wall", nu=nu, biot=biot),
                  footwall=_block(t, "footwall", nu=nu, biot=biot), regions=_regions(t, regions))
    f.top = t.number("top", 0.0, unit="m", ge=0.0)
    f.bottom = t.number("bottom", math.inf, unit="m", gt=f.top)
    f.throw = t.number("throw", 0.0, unit="m")
    names = [r.name for r in reservoirs]
    f.reservoirs = t.strings("reservoirs", None)
    if f.reservoirs is None:
        f.reservoirs = [r.name for r in reservoirs if not isinstance(r.shape, GridShape)] if f.throw else []
    elif not f.throw:
        raise t.error("reservoirs", "the reservoirs a fault offsets need a throw (m)")
    for n in f.reservoirs:
        if n not in names:
            raise t.error("reservoirs", f"no reservoir named {n!r} (reservoirs: {', '.join(names)})")
        if isinstance(reservoirs[names.index(n)].shape, GridShape):
            raise t.error("reservoirs", f"{n!r} is a gridded reservoir (not meshed): it cannot be offset")
    if f.hanging_wall is None and f.footwall is None and not f.throw:
        raise t.error("hanging_wall", "a fault needs hanging_wall and/or footwall properties, or a throw")
    t.finish()
    return f


def _interfaces(root: Table, layers: list[RegionSpec]) -> list[InterfaceSpec]:
    """``[[interfaces]]``: ``layer`` and ``top_file`` (its depth, m) or ``thickness_file`` (the
    thickness of the layer above, m); ``column`` (CSV column / NetCDF variable, default "depth"
    or "thickness")."""
    from subsidence.heterogeneity.geometry import SurfaceGridError, read_surface_grid

    out: list[InterfaceSpec] = []
    names = [lay.name for lay in layers]
    for t in root.tables("interfaces", []):
        layer = t.string("layer")
        if layer not in names[1:]:
            raise t.error("layer", f"{layer!r} is not a layer below the first (layers: {', '.join(names)})")
        if layer in [i.layer for i in out]:
            raise t.error("layer", f"{layer!r} has an interface already")
        if t.has("top_file") == t.has("thickness_file"):
            raise t.error("top_file", "give either top_file (depth of the layer's top) or thickness_file "
                                      "(thickness of the layer above), not both")
        key, kind = ("top_file", "top") if t.has("top_file") else ("thickness_file", "thickness")
        path = t.path_(key)
        column = t.string("column", "depth" if kind == "top" else "thickness")
        try:
            grid = read_surface_grid(path, column)
        except SurfaceGridError as exc:
            raise t.error(key, f"{path}: {exc}") from None
        if np.any(grid.values < 0):
            raise t.error(key, f"{path}: negative {kind} values (m; depths are positive down)")
        out.append(InterfaceSpec(layer, kind, grid, str(path)))
        t.finish()
    return out


def _random_field(t: Table, j: int, *, regions: list[str]) -> RandomFieldSpec:
    from subsidence.heterogeneity.random_field import COVARIANCES, sigma_log

    name = t.string("name", f"field{j}")
    if t.has("cv") == t.has("sigma_log"):
        raise t.error("cv", "give either cv (coefficient of variation of E) or sigma_log (σ of ln E), not both")
    sigma = sigma_log(t.number("cv", gt=0.0)) if t.has("cv") else t.number("sigma_log", gt=0.0)

    def triple(key, default):
        if not t.has(key):
            return default
        if isinstance(t.raw(key), list):
            v = t.array(key, unit="m", length=3, gt=0.0)
        else:
            v = np.full(3, t.number(key, unit="m", gt=0.0))
        return tuple(float(x) for x in v)

    lengths = triple("correlation_length", None)
    if lengths is None:
        raise t.error("correlation_length", "required: [lx, ly, lz] (m) or one value for all directions")
    f = RandomFieldSpec(name, sigma, lengths, covariance=t.string("covariance", "exponential", choices=COVARIANCES),
                        seed=int(t.number("seed", 0, integer=True, ge=0)), mean=t.number("mean", 1.0, gt=0.0),
                        spacing=triple("spacing", None), regions=_regions(t, regions))
    t.finish()
    return f


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
