"""Reservoirs of a deep case → cells with compaction volumes in low-rank form."""

from __future__ import annotations

import numpy as np

from subsidence.deep.config import DeepConfig, ReservoirSpec
from subsidence.deep.geometry import Lattice, area_fractions
from subsidence.deep.gridded import GridShape
from subsidence.deep.superposition import Sources, low_rank


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
            sub = lat.covering(shape.bounds, margin_cells=1)
            frac = area_fractions(shape, sub)
            jj, ii = np.nonzero(frac > 0)
            x, y = sub.x[ii], sub.y[jj]
            area = frac[jj, ii] * sub.dx * sub.dy
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
