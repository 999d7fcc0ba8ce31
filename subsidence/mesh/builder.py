"""Layered domain with bodies and reservoirs: gmsh OCC geometry, sizes, tags, distribution.

One builder serves both the 3D box and the axisymmetric (r, z) section. The geometry is
built on rank 0 only and handed to dolfinx with :func:`dolfinx.io.gmsh.model_to_mesh`;
the other ranks receive their partition. ``levels`` uniform refinements then run on every
rank on its own part (:mod:`subsidence.mesh.refine`), tags carried over, so large meshes are
made in parallel from a coarse serial one. Coordinates: x, y horizontal (or r), z up with
the surface at z = 0 (the last coordinate).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from subsidence.mesh.shapes import BoxVolume, DiscVolume, OffsetVolume, PrismVolume, Slab
from subsidence.mesh.tags import Facets, Regions, body_tag, layer_tag, reservoir_tag


@dataclasses.dataclass(frozen=True)
class Domain:
    """The model box: x in [xmin, xmax], y in [ymin, ymax] (3D only), z in [-depth, 0].

    In axisymmetric mode x is the radius r (xmin must be 0) and y is ignored.
    """

    xmin: float
    xmax: float
    depth: float
    ymin: float = 0.0
    ymax: float = 0.0


@dataclasses.dataclass(frozen=True)
class Sizes:
    """Target element sizes (m): in and near reservoirs/bodies, at the surface above them, far away.

    ``grading`` is the distance (m) over which sizes grow from the fine zones to ``far``.
    ``surface_zone`` is the lateral half-width (m) of the refined surface strip around the
    reservoirs (default: their depth).
    """

    reservoir: float
    surface: float
    far: float
    grading: float
    surface_zone: float | None = None


@dataclasses.dataclass
class BuiltMesh:
    mesh: object
    cell_tags: object
    facet_tags: object
    regions: Regions
    mode: str
    levels: int = 0  # uniform refinements applied after distribution
    coarse_cells: int = 0  # global cell count of the gmsh mesh
    # wall seconds: gmsh on rank 0 (geometry + meshing), distribution (model_to_mesh), refinement
    timings: dict = dataclasses.field(default_factory=dict)

    @property
    def gdim(self) -> int:
        return self.mesh.geometry.dim


def build(comm, *, mode: str, domain: Domain, slabs: list[Slab], bodies=(), reservoirs=(), sizes: Sizes,
          refine=(), levels: int = 0, verbose: bool = False, write: str | None = None) -> BuiltMesh:
    """Mesh the layered domain on ``comm`` (collective).

    ``mode`` is "3d" or "axisymmetric" (or "plane-strain", same 2D geometry as axisymmetric).
    ``slabs`` must cover [0, domain.depth] without gaps, top down. ``refine`` holds extra
    :class:`BoxVolume` zones that get the reservoir element size without becoming regions
    (gridded reservoirs, which load the mesh cell-wise). ``levels`` uniform refinements
    follow the distribution (each halves the element edges; ``sizes`` are those of the
    coarse gmsh mesh). ``write`` saves the (coarse) gmsh model (``.msh``) from rank 0, for
    inspection.
    """
    import time

    import gmsh

    from dolfinx.io.gmsh import model_to_mesh

    _check(mode, domain, slabs)
    regions = Regions()
    for i, s in enumerate(slabs):
        regions.names[layer_tag(i)] = s.name
        regions.layers.append(layer_tag(i))
    for j, b in enumerate(bodies):
        regions.names[body_tag(j)] = b.name
        regions.bodies.append(body_tag(j))
    for k, r in enumerate(reservoirs):
        regions.names[reservoir_tag(k)] = r.name
        regions.reservoirs.append(reservoir_tag(k))

    gdim = 3 if mode == "3d" else 2
    started = gmsh.isInitialized()
    if not started:
        gmsh.initialize(interruptible=False)
    timings = {}
    try:
        gmsh.option.setNumber("General.Terminal", 1 if verbose else 0)
        gmsh.model.add("subsidence")
        t0 = time.perf_counter()
        if comm.rank == 0:
            _geometry(gmsh, gdim, domain, slabs, bodies, reservoirs)
            _sizes(gmsh, gdim, domain, list(bodies) + list(refine), reservoirs, sizes)
            gmsh.model.mesh.generate(gdim)
            if write:
                gmsh.write(write)
        timings["gmsh_s"] = comm.bcast(time.perf_counter() - t0, root=0)
        t0 = time.perf_counter()
        data = model_to_mesh(gmsh.model, comm, 0, gdim=gdim)
        timings["distribute_s"] = time.perf_counter() - t0
    finally:
        gmsh.model.remove()
        if not started:
            gmsh.finalize()
    mesh, ct, ft = data.mesh, data.cell_tags, data.facet_tags
    coarse = mesh.topology.index_map(mesh.topology.dim).size_global
    built = BuiltMesh(mesh, ct, ft, regions, mode, coarse_cells=int(coarse), timings=timings)
    return refine_built(built, levels)


def refine_built(built: BuiltMesh, levels: int) -> BuiltMesh:
    """``levels`` more uniform parallel refinements of ``built``, tags carried (collective;
    in place, returned); ``timings["refine_s"]`` is their wall time."""
    import time

    t0 = time.perf_counter()
    if levels:
        from subsidence.mesh.refine import refine_uniformly

        built.mesh, built.cell_tags, built.facet_tags = refine_uniformly(built.mesh, built.cell_tags, built.facet_tags,
                                                                         levels)
        built.levels += int(levels)
    built.timings["refine_s"] = time.perf_counter() - t0
    return built


def _check(mode, domain, slabs):
    if mode not in ("3d", "axisymmetric", "plane-strain"):
        raise ValueError(f"unknown mode {mode!r}")
    if mode != "3d" and domain.xmin != 0.0:
        raise ValueError("2D sections start at r = 0 (the axis / symmetry line)")
    if not slabs or slabs[0].top != 0.0 or not np.isclose(slabs[-1].bottom, domain.depth):
        raise ValueError("layers must start at the surface and end at the domain base")
    for a, b in zip(slabs[:-1], slabs[1:]):
        if not np.isclose(a.bottom, b.top) or a.bottom <= a.top:
            raise ValueError(f"layers {a.name!r} and {b.name!r} leave a gap or overlap")


def _add_volume(occ, gdim, v, domain):
    """OCC entity for a body/reservoir; depths positive down → z = −depth."""
    zt, zb = -v.top, -v.bottom
    if gdim == 2:
        if isinstance(v, DiscVolume):
            if v.center != (0.0, 0.0):
                raise ValueError(f"{v.name!r}: axisymmetric discs must be centred on the axis")
            return occ.addRectangle(0.0, zb, 0.0, v.radius, zt - zb)
        if isinstance(v, BoxVolume):  # radial range [xmin, xmax]
            return occ.addRectangle(v.xmin, zb, 0.0, v.xmax - v.xmin, zt - zb)
        raise ValueError(f"{v.name!r}: only discs and rings can be axisymmetric")
    if isinstance(v, DiscVolume):
        return occ.addCylinder(v.center[0], v.center[1], zb, 0.0, 0.0, zt - zb, v.radius)
    if isinstance(v, BoxVolume):
        return occ.addBox(v.xmin, v.ymin, zb, v.xmax - v.xmin, v.ymax - v.ymin, zt - zb)
    if isinstance(v, PrismVolume):
        pts = [occ.addPoint(float(x), float(y), zb) for x, y in _outline_vertices(v.vertices)]
        lines = [occ.addLine(pts[i], pts[(i + 1) % len(pts)]) for i in range(len(pts))]
        surf = occ.addPlaneSurface([occ.addCurveLoop(lines)])
        out = occ.extrude([(2, surf)], 0.0, 0.0, zt - zb)
        return [t for d, t in out if d == 3][0]
    if isinstance(v, OffsetVolume):
        if gdim != 3:
            raise ValueError(f"{v.name!r}: a fault offset needs the 3D geometry")
        return _add_offset(occ, v, domain)
    raise TypeError(type(v))


def _outline_vertices(vertices) -> np.ndarray:
    """The polygon's vertices without repeats: a vertex on (within 1 µm of) the one before it, or a
    last vertex that closes the ring on the first, as outlines are often written; OCC cannot make
    the zero-length edge between them. The outline is the same."""
    v = np.asarray(vertices, float)
    keep = [0]
    for i in range(1, len(v)):
        if np.hypot(*(v[i] - v[keep[-1]])) > 1e-6:
            keep.append(i)
    while len(keep) > 1 and np.hypot(*(v[keep[-1]] - v[0])) <= 1e-6:
        keep.pop()
    return v[keep]


def _add_offset(occ, v: OffsetVolume, domain) -> list[int]:
    """The base volume cut by the fault plane, the hanging-wall part moved by the slip (OCC tags)."""
    base = _add_volume(occ, 3, v.base, domain)
    p = np.asarray(v.point, float)
    n = np.asarray(v.normal, float)
    n = n / np.linalg.norm(n)
    t1 = np.cross(n, [0.0, 0.0, 1.0]) if abs(n[2]) < 0.9 else np.cross(n, [1.0, 0.0, 0.0])
    t1 /= np.linalg.norm(t1)
    t2 = np.cross(n, t1)
    x0, x1, y0, y1 = v.base.extent
    corners = np.array([[x, y, -z] for x in (x0, x1) for y in (y0, y1) for z in (v.base.top, v.base.bottom)])
    size = 2.0 * float(np.max(np.linalg.norm(corners - p, axis=1))) + 1.0
    box = occ.addBox(0.0, -size, -size, size, 2 * size, 2 * size)  # local x along the normal: the half-space
    R = np.c_[n, t1, t2]
    occ.affineTransform([(3, box)], [*R[0], p[0], *R[1], p[1], *R[2], p[2]])
    copy = occ.copy([(3, base)])
    hang, _ = occ.intersect([(3, base)], [(3, box)], removeObject=True, removeTool=False)
    foot, _ = occ.cut(copy, [(3, box)], removeObject=True, removeTool=True)
    if hang:
        occ.translate(hang, *map(float, v.shift))
    tags = [t for d, t in foot + hang if d == 3]
    if not tags:
        raise ValueError(f"{v.name!r}: nothing left after cutting it with the fault plane")
    return tags


def _geometry(gmsh, gdim, domain, slabs, bodies, reservoirs):
    occ = gmsh.model.occ
    inputs = []  # (kind, index, tag)
    for i, s in enumerate(slabs):
        if gdim == 2:
            t = occ.addRectangle(0.0, -s.bottom, 0.0, domain.xmax, s.bottom - s.top)
        else:
            t = occ.addBox(domain.xmin, domain.ymin, -s.bottom, domain.xmax - domain.xmin,
                           domain.ymax - domain.ymin, s.bottom - s.top)
        inputs.append(("layer", i, t))
    for kind, vols in (("body", bodies), ("reservoir", reservoirs)):
        for j, b in enumerate(vols):
            t = _add_volume(occ, gdim, b, domain)
            for tt in (t if isinstance(t, list) else [t]):  # an offset volume comes in two parts
                inputs.append((kind, j, tt))
    dimtags = [(gdim, t) for _, _, t in inputs]
    if len(dimtags) > 1:
        _, children = occ.fragment(dimtags[:1], dimtags[1:])
    else:
        children = [dimtags]
    occ.synchronize()
    owner: dict[int, tuple[int, str, int]] = {}  # piece → (priority, kind, index)
    inside: set[int] = set()
    prio = {"layer": 0, "body": 1, "reservoir": 2}
    for (kind, idx, _), kids in zip(inputs, children):
        for d, t in kids:
            if kind == "layer":
                inside.add(t)
            cur = owner.get(t)
            if cur is None or prio[kind] > cur[0]:
                owner[t] = (prio[kind], kind, idx)
    outside = [(gdim, t) for t in owner if t not in inside]
    if outside:  # parts of bodies sticking out of the domain
        occ.remove(outside, recursive=True)
        occ.synchronize()
    groups: dict[int, list[int]] = {}
    tagof = {"layer": layer_tag, "body": body_tag, "reservoir": reservoir_tag}
    for t, (_, kind, idx) in owner.items():
        if t in inside:
            groups.setdefault(tagof[kind](idx), []).append(t)
    for tag, ents in sorted(groups.items()):
        gmsh.model.addPhysicalGroup(gdim, ents, tag)
    _facet_groups(gmsh, gdim, domain)


def _facet_groups(gmsh, gdim, domain):
    eps = 1e-6 * max(domain.xmax - domain.xmin, domain.depth)
    fd = gdim - 1
    big = 1e30
    if gdim == 2:
        boxes = {
            Facets.SURFACE: (-big, -eps, big, eps),
            Facets.BASE: (-big, -domain.depth - eps, big, -domain.depth + eps),
            Facets.AXIS: (-eps, -big, eps, big),
            Facets.OUTER: (domain.xmax - eps, -big, domain.xmax + eps, big),
        }
        for tag, (x0, z0, x1, z1) in boxes.items():
            ents = [t for _, t in gmsh.model.getEntitiesInBoundingBox(x0, z0, -eps, x1, z1, eps, fd)]
            gmsh.model.addPhysicalGroup(fd, ents, tag)
        return
    b = (domain.xmin, domain.ymin, -domain.depth, domain.xmax, domain.ymax, 0.0)
    boxes = {
        Facets.SURFACE: (-big, -big, -eps, big, big, eps),
        Facets.BASE: (-big, -big, b[2] - eps, big, big, b[2] + eps),
        Facets.XMIN: (b[0] - eps, -big, -big, b[0] + eps, big, big),
        Facets.XMAX: (b[3] - eps, -big, -big, b[3] + eps, big, big),
        Facets.YMIN: (-big, b[1] - eps, -big, big, b[1] + eps, big),
        Facets.YMAX: (-big, b[4] - eps, -big, big, b[4] + eps, big),
    }
    for tag, bb in boxes.items():
        ents = [t for _, t in gmsh.model.getEntitiesInBoundingBox(*bb, fd)]
        gmsh.model.addPhysicalGroup(fd, ents, tag)


def _sizes(gmsh, gdim, domain, bodies, reservoirs, sizes: Sizes):
    f = gmsh.model.mesh.field
    fields = []
    big = 1e30
    vols = list(reservoirs) + list(bodies)
    for v in vols:
        x0, x1, y0, y1 = v.extent if gdim == 3 else (0.0, v.extent[1] if isinstance(v, DiscVolume) else v.xmax, 0, 0)
        fid = f.add("Box")
        f.setNumber(fid, "VIn", sizes.reservoir)
        f.setNumber(fid, "VOut", sizes.far)
        f.setNumber(fid, "XMin", x0)
        f.setNumber(fid, "XMax", x1)
        f.setNumber(fid, "YMin", -v.bottom if gdim == 2 else y0)
        f.setNumber(fid, "YMax", -v.top if gdim == 2 else y1)
        f.setNumber(fid, "ZMin", -v.bottom if gdim == 3 else -1.0)
        f.setNumber(fid, "ZMax", -v.top if gdim == 3 else 1.0)
        f.setNumber(fid, "Thickness", sizes.grading)
        fields.append(fid)
    if vols:
        zone = sizes.surface_zone if sizes.surface_zone is not None else max(v.top for v in vols)
        ex = np.array([v.extent for v in vols])
        x0, x1 = ex[:, 0].min() - zone, ex[:, 1].max() + zone
        y0, y1 = ex[:, 2].min() - zone, ex[:, 3].max() + zone
        if gdim == 2:
            x0 = 0.0
            x1 = max(v.extent[1] if isinstance(v, DiscVolume) else v.xmax for v in vols) + zone
        fid = f.add("Box")
        f.setNumber(fid, "VIn", sizes.surface)
        f.setNumber(fid, "VOut", sizes.far)
        f.setNumber(fid, "XMin", x0)
        f.setNumber(fid, "XMax", x1)
        if gdim == 2:
            f.setNumber(fid, "YMin", -sizes.surface)
            f.setNumber(fid, "YMax", 1.0)
            f.setNumber(fid, "ZMin", -1.0)
            f.setNumber(fid, "ZMax", 1.0)
        else:
            f.setNumber(fid, "YMin", y0)
            f.setNumber(fid, "YMax", y1)
            f.setNumber(fid, "ZMin", -sizes.surface)
            f.setNumber(fid, "ZMax", 1.0)
        f.setNumber(fid, "Thickness", sizes.grading)
        fields.append(fid)
    const = f.add("MathEval")
    f.setString(const, "F", repr(float(sizes.far)))
    fields.append(const)
    fmin = f.add("Min")
    f.setNumbers(fmin, "FieldsList", fields)
    f.setAsBackgroundMesh(fmin)
    for opt in ("Mesh.MeshSizeExtendFromBoundary", "Mesh.MeshSizeFromPoints", "Mesh.MeshSizeFromCurvature"):
        gmsh.option.setNumber(opt, 0)
    gmsh.option.setNumber("Mesh.Algorithm", 6)
    gmsh.option.setNumber("Mesh.Algorithm3D", 10 if gdim == 3 else 1)  # HXT (parallel, fast) in 3D
