"""Cavern meshes built with gmsh on rank 0 and distributed over a communicator.

Coordinates: axisymmetric and plane meshes live in the (x, y) plane with x = r (or x)
and y = z **elevation** (up positive, ground surface at 0, depth = −z). 3D meshes use
(x, y, z) East-North-Up. Every builder returns a :class:`CavernMesh` with named tags:

- cell tags: material zone index + 1 (zones are the layers given, top to bottom)
- facet tags: ``WALL0 + i`` for the wall of cavern i, and TOP, BOTTOM, SIDE (x-normal
  sides), SIDE_Y (y-normal sides, 3D), AXIS (x = 0), SYM (y = 0 symmetry line)
"""

from __future__ import annotations

import dataclasses

import numpy as np

TOP, BOTTOM, SIDE, AXIS, SYM, SIDE_Y, WALL0 = 1, 2, 3, 4, 5, 6, 100


@dataclasses.dataclass
class CavernMesh:
    mesh: object
    cell_tags: object
    facet_tags: object
    kind: str  # axisymmetric | plane_strain | 3d
    n_caverns: int
    #: (facet tag, displacement component) pairs fixed to zero (rollers / symmetry)
    fixed: list[tuple[int, int]]
    #: factor turning integrals over the meshed part into the whole cavern (symmetry)
    multiplier: float = 1.0
    #: initial cavern volumes [m³] (whole caverns)
    volumes: np.ndarray | None = None

    @property
    def gdim(self) -> int:
        return 3 if self.kind == "3d" else 2


def _init_gmsh():
    import gmsh

    if not gmsh.is_initialized():
        gmsh.initialize(interruptible=False)
    gmsh.option.setNumber("General.Terminal", 0)
    gmsh.model.add("cavern")
    return gmsh


def _size_field(gmsh, wall_curves: list[int], h_wall: float, h_far: float, dist: float, *, dim: int,
                points: list[int] | None = None):
    f = gmsh.model.mesh.field
    d = f.add("Distance")
    f.setNumbers(d, "CurvesList" if dim == 2 else "SurfacesList", wall_curves)
    if points:  # refined like the wall around these points (the casing shoe)
        f.setNumbers(d, "PointsList", points)
    f.setNumber(d, "Sampling", 100)
    t = f.add("Threshold")
    f.setNumber(t, "InField", d)
    f.setNumber(t, "SizeMin", h_wall)
    f.setNumber(t, "SizeMax", h_far)
    f.setNumber(t, "DistMin", 0.0)
    f.setNumber(t, "DistMax", dist)
    f.setAsBackgroundMesh(t)
    gmsh.option.setNumber("Mesh.MeshSizeExtendFromBoundary", 0)
    gmsh.option.setNumber("Mesh.MeshSizeFromPoints", 0)
    gmsh.option.setNumber("Mesh.MeshSizeFromCurvature", 0)


def _tag_layer_zones(gmsh, rock, dim: int, interfaces, domain_depth: float) -> None:
    """Cell tag k + 1 for the rock pieces of layer k (between successive interface depths).

    The vertical coordinate is the last one (y in 2D, z in 3D), zero at the surface, negative down.
    """
    zbounds = [0.0] + sorted(z for z in interfaces if 0 < z < domain_depth) + [domain_depth]
    zones: dict[int, list[int]] = {}
    for _, e in rock:
        vertical = gmsh.model.occ.getCenterOfMass(dim, e)[dim - 1]
        k = int(np.searchsorted(zbounds, -vertical)) - 1
        zones.setdefault(max(k, 0), []).append(e)
    for k, es in zones.items():
        gmsh.model.addPhysicalGroup(dim, es, k + 1)


def _to_dolfinx(gmsh, comm, gdim: int):
    from dolfinx.io import gmsh as gio

    data = gio.model_to_mesh(gmsh.model, comm, 0, gdim=gdim)
    gmsh.model.remove()
    return data.mesh, data.cell_tags, data.facet_tags


def _mesh_shell(gmsh, dim: int, bodies: list[int], groups: dict, h_wall: float, h_far: float, span: float, order: int):
    """The verification shells' common end: one zone (tag 1) of ``bodies``, the boundary
    ``groups`` (tag → entities), sizes graded from the wall (``groups[WALL0]``), mesh of ``order``."""
    gmsh.model.addPhysicalGroup(dim, bodies, 1)
    for tag, ents in groups.items():
        gmsh.model.addPhysicalGroup(dim - 1, ents, tag)
    _size_field(gmsh, groups[WALL0], h_wall, h_far, span, dim=dim)
    gmsh.model.mesh.generate(dim)
    gmsh.model.mesh.setOrder(order)


def quarter_annulus(comm, *, a: float, b: float, h_wall: float, h_far: float, kind: str = "axisymmetric", order: int = 2) -> CavernMesh:
    """Quarter annulus a < ρ < b, x ≥ 0, y ≥ 0: a sphere (axisymmetric, symmetry at y = 0)
    or a plane-strain cylinder. Used by the verification tests."""
    gmsh = _init_gmsh()
    if comm.rank == 0:
        occ = gmsh.model.occ
        outer = occ.addDisk(0, 0, 0, b, b)
        inner = occ.addDisk(0, 0, 0, a, a)
        box = occ.addRectangle(0, 0, 0, 2 * b, 2 * b)
        ring, _ = occ.cut([(2, outer)], [(2, inner)])
        quad, _ = occ.intersect(ring, [(2, box)])
        occ.synchronize()
        surf = [e[1] for e in quad]
        groups = {WALL0: [], SIDE: [], AXIS: [], SYM: []}
        for _, c in gmsh.model.getBoundary(quad, oriented=False):
            x, y, _ = gmsh.model.occ.getCenterOfMass(1, c)
            rho = np.hypot(x, y)
            if abs(x) < 1e-8 * b:
                groups[AXIS].append(c)
            elif abs(y) < 1e-8 * b:
                groups[SYM].append(c)
            elif rho < 0.5 * (a + b):
                groups[WALL0].append(c)
            else:
                groups[SIDE].append(c)
        _mesh_shell(gmsh, 2, surf, groups, h_wall, h_far, b - a, order)
    mesh, ct, ft = _to_dolfinx(gmsh, comm, 2)
    if kind == "axisymmetric":
        fixed = [(AXIS, 0), (SYM, 1)]
        vol, mult = 4.0 / 3.0 * np.pi * a**3, 2.0
    elif kind == "plane_strain":
        fixed = [(AXIS, 0), (SYM, 1)]
        vol, mult = np.pi * a**2, 4.0  # per metre of length
    else:
        raise ValueError(kind)
    return CavernMesh(mesh, ct, ft, kind, 1, fixed, multiplier=mult, volumes=np.array([vol]))


def octant_shell(comm, *, a: float, b: float, h_wall: float, h_far: float, order: int = 2) -> CavernMesh:
    """An eighth of a thick spherical shell a < ρ < b (x, y, z ≥ 0) in 3D, rollers on the three
    symmetry planes: the 3D counterpart of :func:`quarter_annulus`, for verification tests of the
    3D wall indicators against the closed-form (Lamé) sphere."""
    gmsh = _init_gmsh()
    if comm.rank == 0:
        occ = gmsh.model.occ
        outer = occ.addSphere(0, 0, 0, b)
        inner = occ.addSphere(0, 0, 0, a)
        box = occ.addBox(0, 0, 0, 2 * b, 2 * b, 2 * b)
        shell, _ = occ.cut([(3, outer)], [(3, inner)])
        octant, _ = occ.intersect(shell, [(3, box)])
        occ.synchronize()
        groups = {WALL0: [], TOP: [], SIDE: [], SIDE_Y: [], BOTTOM: []}
        tol = 1e-6 * b
        for _, f in gmsh.model.getBoundary(octant, oriented=False):
            c = np.array(occ.getCenterOfMass(2, f))
            if abs(c[0]) < tol:
                groups[SIDE].append(f)  # x = 0
            elif abs(c[1]) < tol:
                groups[SIDE_Y].append(f)  # y = 0
            elif abs(c[2]) < tol:
                groups[BOTTOM].append(f)  # z = 0
            elif np.linalg.norm(c) < 0.5 * (a + b):
                groups[WALL0].append(f)
            else:
                groups[TOP].append(f)  # the outer sphere: free (the far-field stress holds there)
        _mesh_shell(gmsh, 3, [e[1] for e in octant], groups, h_wall, h_far, b - a, order)
    mesh, ct, ft = _to_dolfinx(gmsh, comm, 3)
    fixed = [(SIDE, 0), (SIDE_Y, 1), (BOTTOM, 2)]
    return CavernMesh(mesh, ct, ft, "3d", 1, fixed, multiplier=8.0, volumes=np.array([4.0 / 3.0 * np.pi * a**3]))


def profile_volume(depths: np.ndarray, radii: np.ndarray) -> float:
    """Volume of a body of revolution r(depth) (trapezoidal frusta)."""
    d, r = np.asarray(depths, float), np.asarray(radii, float)
    h = np.abs(np.diff(d))
    return float(np.sum(np.pi * h * (r[:-1] ** 2 + r[:-1] * r[1:] + r[1:] ** 2) / 3.0))


def axisymmetric_cavern(
    comm,
    *,
    depths: np.ndarray,
    radii: np.ndarray,
    domain_radius: float,
    domain_depth: float,
    interfaces: list[float],
    h_wall: float,
    h_far: float,
    order: int = 2,
    shoe_depth: float | None = None,
) -> CavernMesh:
    """One cavern of revolution, profile r(depth) (a polyline with r = 0 at both ends) in a
    cylinder of rock; horizontal layer interfaces at the given depths split the zones. A casing
    shoe above the cavern top (``shoe_depth``) is a mesh vertex on the axis, with elements of
    the wall size ``h_wall`` around it; at the top (the default) it is the profile's first vertex."""
    gmsh = _init_gmsh()
    depths, radii = np.asarray(depths, float), np.asarray(radii, float)
    if comm.rank == 0:
        occ = gmsh.model.occ
        rect = occ.addRectangle(0, -domain_depth, 0, domain_radius, domain_depth)
        pts = [occ.addPoint(r, -d, 0) for d, r in zip(depths, radii)]
        lines = [occ.addLine(p0, p1) for p0, p1 in zip(pts[:-1], pts[1:])]
        axis = occ.addLine(pts[-1], pts[0])
        loop = occ.addCurveLoop(lines + [axis])
        cav = occ.addPlaneSurface([loop])
        rock, _ = occ.cut([(2, rect)], [(2, cav)])
        tools = [(1, occ.addLine(occ.addPoint(0, -z, 0), occ.addPoint(domain_radius, -z, 0)))
                 for z in interfaces if 0 < z < domain_depth]
        if tools:
            rock, _ = occ.fragment(rock, tools)
            rock = [e for e in rock if e[0] == 2]
        shoe = shoe_depth is not None and 0 < shoe_depth < depths[0] - 1e-6 * domain_depth
        if shoe:  # a vertex on the axis at the shoe (splits the axis curve)
            rock, _ = occ.fragment(rock, [(0, occ.addPoint(0, -shoe_depth, 0))])
            rock = [e for e in rock if e[0] == 2]
        occ.synchronize()
        shoe_pts = []
        if shoe:
            e = 1e-6 * domain_depth
            shoe_pts = [t for _, t in gmsh.model.getEntitiesInBoundingBox(-e, -shoe_depth - e, -e, e, -shoe_depth + e, e, 0)]
        _tag_layer_zones(gmsh, rock, 2, interfaces, domain_depth)
        groups = {WALL0: [], SIDE: [], AXIS: [], TOP: [], BOTTOM: []}
        tol = 1e-6 * domain_depth
        for _, c in gmsh.model.getBoundary(rock, oriented=False, combined=True):
            xmin, ymin, _, xmax, ymax, _ = gmsh.model.getBoundingBox(1, c)
            if xmax < tol:
                groups[AXIS].append(c)
            elif ymin > -tol:
                groups[TOP].append(c)
            elif ymax < -domain_depth + tol:
                groups[BOTTOM].append(c)
            elif xmin > domain_radius - tol:
                groups[SIDE].append(c)
            else:
                groups[WALL0].append(c)
        for tag, curves in groups.items():
            gmsh.model.addPhysicalGroup(1, curves, tag)
        _size_field(gmsh, groups[WALL0], h_wall, h_far, 0.5 * min(domain_radius, domain_depth), dim=2, points=shoe_pts)
        gmsh.model.mesh.generate(2)
        gmsh.model.mesh.setOrder(order)
    mesh, ct, ft = _to_dolfinx(gmsh, comm, 2)
    fixed = [(AXIS, 0), (SIDE, 0), (BOTTOM, 1)]
    return CavernMesh(mesh, ct, ft, "axisymmetric", 1, fixed, multiplier=1.0,
                      volumes=np.array([profile_volume(depths, radii)]))


def cluster_3d(
    comm,
    *,
    caverns: list[dict],
    extent: tuple[float, float, float, float],
    domain_depth: float,
    interfaces: list[float],
    h_wall: float,
    h_far: float,
    order: int = 2,
) -> CavernMesh:
    """Several caverns (vertical cylinders with ellipsoidal roof and floor domes) in a box.

    ``caverns``: dicts with x, y, top_depth, bottom_depth, radius, dome_height.
    ``extent``: (xmin, xmax, ymin, ymax) of the box; rollers on sides and bottom.
    """
    gmsh = _init_gmsh()
    xmin, xmax, ymin, ymax = extent
    vols = []
    for c in caverns:
        R, h = c["radius"], c["dome_height"]
        H = c["bottom_depth"] - c["top_depth"] - 2 * h
        vols.append(np.pi * R**2 * H + 4.0 / 3.0 * np.pi * R**2 * h)
    if comm.rank == 0:
        occ = gmsh.model.occ
        box = occ.addBox(xmin, ymin, -domain_depth, xmax - xmin, ymax - ymin, domain_depth)
        cavs = []
        for c in caverns:
            R, h = c["radius"], c["dome_height"]
            zt, zb = -c["top_depth"] - 0.0, -c["bottom_depth"]
            zc_top, zc_bot = zt - h, zb + h
            cyl = occ.addCylinder(c["x"], c["y"], zc_bot, 0, 0, zc_top - zc_bot, R)
            parts = [(3, cyl)]
            for zc in (zc_top, zc_bot):
                s = occ.addSphere(c["x"], c["y"], zc, R)
                occ.dilate([(3, s)], c["x"], c["y"], zc, 1, 1, h / R)
                parts.append((3, s))
            fused, _ = occ.fuse([parts[0]], parts[1:])
            cavs.append(fused)
        rock, _ = occ.cut([(3, box)], [e for f in cavs for e in f])
        tools = []
        for z in interfaces:
            if 0 < z < domain_depth:
                tools.append((2, occ.addRectangle(xmin, ymin, -z, xmax - xmin, ymax - ymin)))
        if tools:
            rock, _ = occ.fragment(rock, tools)
            rock = [e for e in rock if e[0] == 3]
        occ.synchronize()
        _tag_layer_zones(gmsh, rock, 3, interfaces, domain_depth)
        groups: dict[int, list[int]] = {TOP: [], BOTTOM: [], SIDE: [], SIDE_Y: []}
        for i in range(len(caverns)):
            groups[WALL0 + i] = []
        tol = 1e-6 * domain_depth
        walls = []
        for _, s in gmsh.model.getBoundary(rock, oriented=False, combined=True):
            bx = gmsh.model.getBoundingBox(2, s)
            if bx[2] > -tol:
                groups[TOP].append(s)
            elif bx[5] < -domain_depth + tol:
                groups[BOTTOM].append(s)
            elif bx[0] < xmin + tol or bx[3] > xmax - tol or bx[1] < ymin + tol or bx[4] > ymax - tol:
                if bx[3] - bx[0] < tol:
                    groups[SIDE].append(s)
                    continue
                if bx[4] - bx[1] < tol:
                    groups[SIDE_Y].append(s)
                    continue
                raise RuntimeError("cavern touches the model boundary")
            else:
                cx, cy = 0.5 * (bx[0] + bx[3]), 0.5 * (bx[1] + bx[4])
                i = int(np.argmin([np.hypot(cx - c["x"], cy - c["y"]) for c in caverns]))
                groups[WALL0 + i].append(s)
                walls.append(s)
        for tag, ss in groups.items():
            gmsh.model.addPhysicalGroup(2, ss, tag)
        _size_field(gmsh, walls, h_wall, h_far, 0.5 * min(xmax - xmin, ymax - ymin), dim=3)
        gmsh.model.mesh.generate(3)
        gmsh.model.mesh.setOrder(order)
    mesh, ct, ft = _to_dolfinx(gmsh, comm, 3)
    fixed = [(SIDE, 0), (SIDE_Y, 1), (BOTTOM, 2)]  # rollers
    return CavernMesh(mesh, ct, ft, "3d", len(caverns), fixed, multiplier=1.0, volumes=np.array(vols))


def cavern_profile(shape: str, *, top_depth: float, bottom_depth: float, radius: float = 0.0,
                   dome_height: float = 0.0, npts: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """Depth/radius profile (r = 0 at the ends) of a standard shape.

    - ``cylinder``: vertical wall with elliptical roof and floor domes of ``dome_height``
    - ``sphere``: diameter bottom_depth − top_depth (``radius`` ignored)
    - ``pear``: widest (``radius``) at 70 % of the height, narrow neck at the top
    """
    H = bottom_depth - top_depth
    if shape == "cylinder":
        h = dome_height
        phi = np.linspace(0, np.pi / 2, npts)
        d_top, r_top = top_depth + h * (1 - np.cos(phi)), radius * np.sin(phi)
        d_bot, r_bot = bottom_depth - h * (1 - np.cos(phi[::-1])), radius * np.sin(phi[::-1])
        if H - 2 * h > 1e-9:
            return np.concatenate([d_top, d_bot]), np.concatenate([r_top, r_bot])
        return np.concatenate([d_top, d_bot[1:]]), np.concatenate([r_top, r_bot[1:]])
    if shape == "sphere":
        phi = np.linspace(0, np.pi, 2 * npts)
        return top_depth + H / 2 * (1 - np.cos(phi)), H / 2 * np.sin(phi)
    if shape == "pear":
        s = np.linspace(0, 1, 3 * npts)
        r = np.sin(np.pi * s**1.3) ** 0.7
        r = radius * r / r.max()
        r[0] = r[-1] = 0.0
        return top_depth + H * s, r
    raise ValueError(f"unknown cavern shape {shape!r}")
