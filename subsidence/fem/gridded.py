"""Gridded reservoirs in the FE model: a cell-wise (DG0) pressure load, volume-conserving.

A gridded reservoir (depth, thickness, Cm and pressure per lattice cell) is not meshed as
a volume; its zone is refined and every FE cell receives the equivalent pressure of the
grid cells it overlaps. Overlap is sampled at ``SAMPLES`` points per FE cell, then scaled
per grid cell so that the FE volume assigned to each grid cell equals dx·dy·thickness
exactly (the compaction volume is conserved). The equivalent pressure
p_eq = Cm_cell/Cm_host · Δp loads the host layer (Cm_host from its E, ν, α), i.e. the
reservoir shares the host's stiffness — the same assumption as the analytic method.
"""

from __future__ import annotations

import numpy as np

SAMPLES = 4  # barycentric points per tetrahedron (degree-2 Gauss points)


def _bary_points():
    a, b = 0.5854101966249685, 0.1381966011250105
    return np.array([[a, b, b, b], [b, a, b, b], [b, b, a, b], [b, b, b, a]])


class GridLoad:
    """Maps per-grid-cell pressure changes (Pa) to a DG0 load on the local FE cells."""

    def __init__(self, mesh, host_cm: np.ndarray, grid, cm: np.ndarray):
        """``host_cm``: uniaxial Cm of the host material per local cell; ``grid``: GridShape; ``cm`` per grid cell."""
        from mpi4py import MPI

        import scipy.sparse as sp

        tdim = mesh.topology.dim
        ncell = mesh.topology.index_map(tdim).size_local
        geom = mesh.geometry.x
        conn = mesh.geometry.dofmaps[0][:ncell]
        verts = geom[conn]  # (ncell, 4, 3)
        pts = np.einsum("sv,cvd->csd", _bary_points(), verts)  # (ncell, SAMPLES, 3)
        vol = np.abs(np.linalg.det(verts[:, 1:, :] - verts[:, :1, :])) / 6.0
        keys = np.round(np.c_[grid.x / grid.dx, grid.y / grid.dy]).astype(np.int64)
        lookup = {(int(i), int(j)): k for k, (i, j) in enumerate(keys)}
        ii = np.round(pts[..., 0] / grid.dx).astype(np.int64)
        jj = np.round(pts[..., 1] / grid.dy).astype(np.int64)
        k = np.full(ii.shape, -1, dtype=np.int64)
        cand = (np.abs(pts[..., 0] / grid.dx - ii) <= 0.5) & (np.abs(pts[..., 1] / grid.dy - jj) <= 0.5)
        for c, s in zip(*np.nonzero(cand)):
            k[c, s] = lookup.get((int(ii[c, s]), int(jj[c, s])), -1)
        inside = k >= 0
        kk = np.where(inside, k, 0)
        z = -pts[..., 2]  # depth
        inside &= (z >= grid.depth[kk] - grid.thickness[kk] / 2) & (z <= grid.depth[kk] + grid.thickness[kk] / 2)
        c_idx, s_idx = np.nonzero(inside)
        kg = k[c_idx, s_idx]
        w = vol[c_idx] / SAMPLES
        ng = grid.ncell
        v_fe = np.bincount(kg, weights=w, minlength=ng)
        v_fe = mesh.comm.allreduce(v_fe, op=MPI.SUM)
        v_true = grid.dx * grid.dy * grid.thickness
        scale = np.where(v_fe > 0, v_true / np.where(v_fe > 0, v_fe, 1.0), 0.0)
        self.missed_volume_fraction = float(v_true[v_fe == 0].sum() / max(v_true.sum(), 1e-300))
        vals = scale[kg] * cm[kg] / host_cm[c_idx] / SAMPLES
        self.M = sp.csr_matrix((vals, (c_idx, kg)), shape=(ncell, ng))

    def cell_values(self, dp: np.ndarray) -> np.ndarray:
        """Equivalent pressure per local cell for grid-cell pressure changes ``dp`` (ngrid,)."""
        return self.M @ dp
