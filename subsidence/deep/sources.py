"""Reservoirs of a deep case → cells with compaction volumes in low-rank form."""

from __future__ import annotations

import numpy as np

from subsidence.deep.config import DeepConfig, ReservoirSpec
from subsidence.deep.cache import ByteLRU, digest
from subsidence.deep.geometry import Disc, Lattice, Polygon, area_fractions
from subsidence.deep.gridded import GridShape
from subsidence.deep.superposition import Sources, low_rank
from subsidence.log import get_logger

log = get_logger("deep")


def compaction_matrix(res: ReservoirSpec, times: np.ndarray, *, cm=None, thickness=None) -> np.ndarray:
    """Compaction (m) at ``times``: (nt,) for a uniform reservoir or (ncell, nt) per cell."""
    thick = res.thickness if thickness is None else thickness
    return res.compaction.compaction(res.history, times, thick, cm)


def build_sources(cfg: DeepConfig, lattice: Lattice, times: np.ndarray) -> Sources:
    """Cells of all reservoirs; disc/polygon rasterised on ``lattice`` (area fractions)."""
    xs, ys, ds, Ss, Ws = [], [], [], [], []
    ncell_before = 0
    for res in cfg.reservoirs:
        shape = res.shape
        if isinstance(shape, GridShape):
            x, y, depth, S, W = _grid_cells(res, shape, lattice, times)
        else:
            lat = lattice
            if res.cell_size is not None and res.cell_size < lattice.dx:
                pass  # the lattice is already the finer one; cell_size only caps the spacing
            x, y, area = _shape_cells(res, shape, lat)
            depth = np.full(x.size, res.depth)
            c = compaction_matrix(res, times)  # (nt,)
            S, W = area[:, None], np.asarray(c, float)[:, None]
        xs.append(x)
        ys.append(y)
        ds.append(depth)
        Ss.append((ncell_before, S))
        Ws.append(W)
        ncell_before += x.size
    ncell = ncell_before
    rank = sum(W.shape[1] for W in Ws)
    S_all = np.zeros((ncell, rank))
    col = 0
    for (start, S), W in zip(Ss, Ws):
        S_all[start : start + S.shape[0], col : col + S.shape[1]] = S
        col += S.shape[1]
    W_all = np.concatenate(Ws, axis=1) if Ws else np.zeros((times.size, 0))
    return Sources(np.concatenate(xs), np.concatenate(ys), np.concatenate(ds), S_all, W_all)


def _shape_cells(res: ReservoirSpec, shape, lat: Lattice):
    """Cell centres and areas of a disc or polygon rasterised on ``lat``.

    A shape smaller than one lattice cell would be missed (or badly weighted) by the sample
    lines of the rasterisation: it becomes one source of its exact area at its centre, which is
    exact to O((size/depth)^2) since the lattice spacing is at most depth/20. A disc's
    rasterised area is rescaled to its exact area (it is off by a few % at a few cells).
    """
    xmin, xmax, ymin, ymax = shape.bounds
    if max(xmax - xmin, ymax - ymin) <= max(lat.dx, lat.dy):
        cx, cy = _centroid(shape)
        size = f"disc of radius {shape.radius:g} m" if hasattr(shape, "radius") else f"{xmax - xmin:g} m x {ymax - ymin:g} m"
        log.warning("reservoir %r (%s) is smaller than one lattice cell (%g m): modelled as a point source of its "
                    "area (%g m2) at its centre", res.name, size, max(lat.dx, lat.dy), shape.area)
        return np.array([cx]), np.array([cy]), np.array([float(shape.area)])
    sub = lat.covering(shape.bounds, margin_cells=1)
    key = _shape_key(shape, sub)
    hit = _CELL_CACHE.get(key) if key is not None else None
    if hit is not None:
        return tuple(a.copy() for a in hit)
    frac = area_fractions(shape, sub)
    jj, ii = np.nonzero(frac > 0)
    x, y = sub.x[ii], sub.y[jj]
    area = frac[jj, ii] * sub.dx * sub.dy
    if hasattr(shape, "radius") and area.sum() > 0:  # a disc: exact area (volume conserved)
        area *= shape.area / area.sum()
    if key is not None:
        _CELL_CACHE.put(key, (x.copy(), y.copy(), area.copy()))
    return x, y, area


_CELL_CACHE = ByteLRU(64e6)  # rasterised shapes: (x, y, area) of the cells, keyed on the shape and lattice


def _shape_key(shape, lat: Lattice):
    """A key for the rasterisation of ``shape`` on ``lat`` (None: a shape type not known here)."""
    if isinstance(shape, Disc):
        return digest("disc", tuple(map(float, shape.center)), float(shape.radius), lat)
    if isinstance(shape, Polygon):
        return digest("polygon", np.asarray(shape.vertices, dtype=float), lat)
    return None


def _centroid(shape) -> tuple[float, float]:
    if hasattr(shape, "center"):
        return float(shape.center[0]), float(shape.center[1])
    v = shape.vertices
    x, y = v[:, 0], v[:, 1]
    x1, y1 = np.roll(x, -1), np.roll(y, -1)
    cross = x * y1 - x1 * y
    a = cross.sum() / 2
    if abs(a) < 1e-12 * max(1.0, np.ptp(x) * np.ptp(y)):
        return float(x.mean()), float(y.mean())
    return float(((x + x1) * cross).sum() / (6 * a)), float(((y + y1) * cross).sum() / (6 * a))


def _grid_cells(res: ReservoirSpec, g: GridShape, lattice: Lattice, times: np.ndarray):
    """Grid cells, each split into q×q sub-cells when it is coarser than the lattice."""
    area = g.dx * g.dy
    law = res.compaction
    if not res.history.per_cell:
        # one pressure history: compaction = (per-cell factor) × (one time function), rank 1
        has_cm = hasattr(law, "cm")
        cm = (g.cm if g.cm is not None else law.cm) if has_cm else 1.0
        w = np.asarray(law.compaction(res.history, times, 1.0, 1.0 if has_cm else None), float)
        S = (area * g.thickness * cm * np.ones(g.ncell))[:, None]
        W = w.reshape(-1)[:, None]
    else:
        C = np.asarray(compaction_matrix(res, times, cm=g.cm, thickness=g.thickness), float)
        S, W = low_rank(C * area)
    qx = max(1, int(np.ceil(g.dx / lattice.dx - 1e-9)))
    qy = max(1, int(np.ceil(g.dy / lattice.dy - 1e-9)))
    if qx == 1 and qy == 1:
        return g.x, g.y, g.depth, S, W
    ox = ((np.arange(qx) + 0.5) / qx - 0.5) * g.dx
    oy = ((np.arange(qy) + 0.5) / qy - 0.5) * g.dy
    OX, OY = np.meshgrid(ox, oy)
    x = (g.x[:, None] + OX.ravel()[None, :]).ravel()
    y = (g.y[:, None] + OY.ravel()[None, :]).ravel()
    rep = qx * qy
    return x, y, np.repeat(g.depth, rep), np.repeat(S / rep, rep, axis=0), W
