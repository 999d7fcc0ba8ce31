"""Point evaluation of distributed FE functions (collective; every rank gets the values)."""

from __future__ import annotations

import numpy as np


class PointSampler:
    """Evaluate functions on one mesh at fixed points; the point location is done once.

    Each point is evaluated by the lowest rank whose local (or ghost) cells contain it and
    shared with an allreduce, so every rank receives all values. Points outside the mesh
    give NaN. All methods are collective.
    """

    def __init__(self, mesh, points: np.ndarray):
        from mpi4py import MPI

        from dolfinx import geometry

        self.mesh = mesh
        self.comm = mesh.comm
        pts = np.zeros((len(points), 3))
        pts[:, : np.asarray(points).shape[1]] = points
        self.points = pts
        tree = geometry.bb_tree(mesh, mesh.topology.dim)
        cand = geometry.compute_collisions_points(tree, pts)
        coll = geometry.compute_colliding_cells(mesh, cand, pts)
        offsets = coll.offsets
        found = np.diff(offsets) > 0
        mine = np.where(found, self.comm.rank, self.comm.size).astype(np.int32)
        owner = np.empty_like(mine)
        self.comm.Allreduce(mine, owner, op=MPI.MIN)
        self.idx = np.flatnonzero(owner == self.comm.rank)
        self.cells = coll.array[offsets[self.idx]].astype(np.int32)
        self.missing = owner == self.comm.size

    def __call__(self, u) -> np.ndarray:
        """Values (npoints, value_size) of ``u`` (a Function on this mesh)."""
        bs = int(np.prod(u.ufl_shape)) if u.ufl_shape else 1
        vals = np.zeros((len(self.points), bs))
        if self.idx.size:
            vals[self.idx] = np.asarray(u.eval(self.points[self.idx], self.cells)).reshape(self.idx.size, bs)
        out = np.empty_like(vals)
        self.comm.Allreduce(vals, out)
        out[self.missing] = np.nan
        return out


def evaluate(u, points: np.ndarray) -> np.ndarray:
    """Values of ``u`` at ``points`` (N, gdim or 3); NaN where outside the mesh. Collective."""
    return PointSampler(u.function_space.mesh, np.asarray(points, float))(u)
