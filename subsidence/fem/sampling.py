"""Point evaluation of distributed FE functions (collective; every rank gets the values)."""

from __future__ import annotations

import numpy as np


def evaluate(u, points: np.ndarray) -> np.ndarray:
    """Values of ``u`` at ``points`` (N, 3); returns (N, value_size), NaN where no rank owns the point.

    Collective over ``u``'s communicator. Each point is evaluated by the lowest rank whose
    local (or ghost) cells contain it, then shared with an allreduce.
    """
    from mpi4py import MPI

    from dolfinx import geometry

    mesh = u.function_space.mesh
    comm = mesh.comm
    pts = np.zeros((len(points), 3))
    pts[:, : points.shape[1]] = points
    tdim = mesh.topology.dim
    bs = int(np.prod(u.ufl_shape)) if u.ufl_shape else 1
    tree = geometry.bb_tree(mesh, tdim)
    cand = geometry.compute_collisions_points(tree, pts)
    coll = geometry.compute_colliding_cells(mesh, cand, pts)
    found = np.array([len(coll.links(i)) > 0 for i in range(len(pts))], dtype=bool)
    mine = np.where(found, comm.rank, comm.size).astype(np.int32)
    owner = np.empty_like(mine)
    comm.Allreduce(mine, owner, op=MPI.MIN)
    idx = np.flatnonzero(owner == comm.rank)
    vals = np.zeros((len(pts), bs))
    if idx.size:
        cells = np.array([coll.links(i)[0] for i in idx], dtype=np.int32)
        vals[idx] = np.asarray(u.eval(pts[idx], cells)).reshape(idx.size, bs)
    out = np.empty_like(vals)
    comm.Allreduce(vals, out, op=MPI.SUM)
    out[owner == comm.size] = np.nan
    return out
