"""From a deep case (DeepConfig + FemSpec) to the mesh inputs: domain, layers, volumes, sizes."""

from __future__ import annotations

import dataclasses

import numpy as np

from subsidence.fem.config import FemSpec
from subsidence.mesh.builder import Domain, Sizes
from subsidence.mesh.shapes import BoxVolume, DiscVolume, OffsetVolume, PrismVolume, Slab


@dataclasses.dataclass
class Layout:
    mode: str
    domain: Domain
    slabs: list[Slab]
    bodies: list
    reservoirs: list
    sizes: Sizes
    materials: dict  # region name → Material
    origin: tuple[float, float]  # axisymmetric: the axis (x, y); 3D: (0, 0)
    zones: list = dataclasses.field(default_factory=list)  # refinement boxes of gridded reservoirs


def _output_points(cfg) -> np.ndarray:
    out = cfg.output
    pts = [np.c_[out.point_x, out.point_y]] if len(out.point_names) else []
    if out.grid is not None:
        g = out.grid
        pts.append(np.array([[g.x[0], g.y[0]], [g.x[-1], g.y[-1]], [g.x[0], g.y[-1]], [g.x[-1], g.y[0]]]))
    return np.vstack(pts) if pts else np.zeros((0, 2))


def reservoir_volumes(cfg, spec: FemSpec) -> tuple[list, list]:
    """The meshed reservoir volumes (each moved by the faults that offset it: ``OffsetVolume``) and
    the boxes of gridded reservoirs (loaded cell-wise, not meshed)."""
    from subsidence.deep.geometry import Disc
    from subsidence.deep.gridded import GridShape

    axi = spec.geometry == "axisymmetric"
    vols, zones = [], []
    for r in cfg.reservoirs:
        if isinstance(r.shape, GridShape):
            g = r.shape
            x0, x1, y0, y1 = g.bounds
            zones.append(BoxVolume(r.name, x0, x1, y0, y1, float(np.min(g.depth - g.thickness / 2)),
                                   float(np.max(g.depth + g.thickness / 2))))
            continue
        top, bottom = r.depth - r.thickness / 2, r.depth + r.thickness / 2
        if isinstance(r.shape, Disc):
            c = (0.0, 0.0) if axi else tuple(map(float, r.shape.center))
            vols.append(DiscVolume(r.name, c, float(r.shape.radius), top, bottom))
        else:
            vols.append(PrismVolume(r.name, np.asarray(r.shape.vertices, float), top, bottom))
        for f in spec.faults:
            if r.name in f.reservoirs and f.throw:  # the hanging-wall part moves down the fault
                pl = f.plane
                vols[-1] = OffsetVolume(vols[-1], (pl.x0, pl.y0, -pl.depth0), tuple(map(float, pl.normal)),
                                        tuple(map(float, pl.slip(f.throw))))
    return vols, zones


def layout(cfg, spec: FemSpec) -> Layout:
    from subsidence.deep.gridded import GridShape

    axi = spec.geometry == "axisymmetric"
    origin = spec.axis if axi else (0.0, 0.0)
    vols, zones = reservoir_volumes(cfg, spec)
    bodies = []
    for b in spec.bodies:
        if b.shape["type"] == "cylinder":
            c = (0.0, 0.0) if axi else b.shape["center"]
            bodies.append(DiscVolume(b.name, c, b.shape["radius"], b.top, b.bottom))
        elif b.shape["type"] == "polygon":
            bodies.append(PrismVolume(b.name, np.asarray(b.shape["vertices"], float), b.top, b.bottom))
        else:
            (x0, x1), (y0, y1) = b.shape["x"], b.shape["y"]
            bodies.append(BoxVolume(b.name, x0, x1, y0, y1, b.top, b.bottom))

    allv = vols + zones
    deepest = max(v.bottom for v in allv)
    shallowest = min(v.top + (v.bottom - v.top) / 2 for v in allv)
    thinnest = min([getattr(v, "base", v).bottom - getattr(v, "base", v).top for v in vols] +
                   [float(np.min(r.shape.thickness[r.shape.thickness > 0])) for r in cfg.reservoirs
                    if isinstance(r.shape, GridShape)])
    f = spec.mesh.domain_factor
    margin = spec.mesh.lateral_margin if spec.mesh.lateral_margin is not None else f * deepest
    depth = model_depth(spec, deepest, max([b.bottom for b in bodies], default=0.0))
    if spec.layers[-1].top >= depth:
        raise ValueError(f"layer {spec.layers[-1].name!r} starts below the model base ({depth:g} m)")
    tops = [lay.top for lay in spec.layers] + [depth]
    slabs = [Slab(lay.name, tops[i], tops[i + 1]) for i, lay in enumerate(spec.layers)]

    ext = np.array([v.extent for v in allv + bodies])
    pts = _output_points(cfg)
    if axi:
        ox, oy = origin
        rmax = ext[:, 1].max() - (0.0 if True else 0)
        rpts = np.hypot(pts[:, 0] - ox, pts[:, 1] - oy).max() if len(pts) else 0.0
        domain = Domain(0.0, max(rmax + margin, rpts * 1.02 + 1.0), depth)
    else:
        x0, x1 = ext[:, 0].min() - margin, ext[:, 1].max() + margin
        y0, y1 = ext[:, 2].min() - margin, ext[:, 3].max() + margin
        if len(pts):
            pad = 0.02 * max(x1 - x0, y1 - y0)
            x0, x1 = min(x0, pts[:, 0].min() - pad), max(x1, pts[:, 0].max() + pad)
            y0, y1 = min(y0, pts[:, 1].min() - pad), max(y1, pts[:, 1].max() + pad)
        domain = Domain(x0, x1, depth, y0, y1)

    m = spec.mesh
    if axi:
        # coupled runs: the pressure jump at a sealed reservoir boundary is smeared over one
        # element (error O(h/H)), so they get a finer default
        h_res = m.reservoir_size or min(thinnest / (10 if spec.coupling == "biot" else 2), shallowest / 30)
        h_surf = m.surface_size or shallowest / 20
        h_far = m.far_size or depth / 15
    else:
        h_res = m.reservoir_size or max(thinnest, shallowest / 15)
        h_surf = m.surface_size or shallowest / 6
        h_far = m.far_size or depth / 6
    sizes = Sizes(h_res, h_surf, h_far, m.grading or shallowest, surface_zone=shallowest)
    materials = {lay.name: lay.material for lay in spec.layers}
    materials.update({b.name: b.material for b in spec.bodies})
    materials.update(spec.reservoirs)
    domain = Domain(*(float(v) for v in dataclasses.astuple(domain)))
    return Layout("axisymmetric" if axi else "3d", domain, slabs, bodies, vols, sizes, materials, origin, zones)


def model_depth(spec: FemSpec, deepest: float, body_bottom: float = 0.0) -> float:
    """Depth (m) of the model base: the rigid basement or ``[mesh] depth`` as given (the case
    parser checks that they lie below the reservoirs and bodies), else the domain-size rule
    (``domain_factor`` × the deepest reservoir bottom ``deepest``, and below every body)."""
    if spec.rigid_basement is not None:
        return spec.rigid_basement
    if spec.mesh.depth is not None:
        return spec.mesh.depth
    return max(spec.mesh.domain_factor * deepest, body_bottom * 1.05, deepest * 1.05)


def effective_pressure(reservoir, times: np.ndarray) -> np.ndarray:
    """Pressure change (Pa) that, acting elastically, gives the reservoir's compaction law at ``times``.

    Linear: the pressure history itself. Time-decay: the history filtered by the law's
    relaxation (exact, since the law is linear in the pressure).
    """
    from subsidence.physics.compaction import TimeDecay

    law = reservoir.compaction
    h = reservoir.history
    if isinstance(law, TimeDecay):
        out = -np.asarray(law.compaction(h, times, 1.0, cm=1.0), float)
    else:
        out = np.asarray(h.at(times), float)
    return out if h.per_cell else out.reshape(-1)  # (nt,) or (ncell, nt)
