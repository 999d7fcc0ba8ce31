"""Materials set per cell by its centroid: fault blocks, random stiffness fields, and the homogeneous
reference of a heterogeneous case (issue 10, KEM-47).

The tagged regions (layers, bodies, reservoirs) give every cell its material first
(:func:`subsidence.fem.materials.material_fields`); this module then changes the DG0 fields λ, μ
(and α for replacing materials) cell by cell, so the mesh need not follow a fault plane or a
random field. Reservoir cells are never changed (their stiffness follows their compaction law).

Order: (1) the reference case's bodies take the material of the layer their centroid lies in,
or else laterally varying layer tops (``[[interfaces]]`` grids) give layer cells the material of
the layer their centroid lies in at its (x, y) (the reference keeps the flat tops); (2) faults
in case-file order, each on the cells of its ``regions`` within its depth range, by the side of
its plane; (3) random fields, each multiplying E (ν kept) by a lognormal factor
taken at the centroid (the nearest node of the Gaussian field generated on one global grid
from the seed on rank 0 and broadcast, so the field does not depend on the partition).

Everything here is collective on the mesh's communicator (bounding boxes, the broadcast).
"""

from __future__ import annotations

import numpy as np

from subsidence.log import get_logger

log = get_logger("fem")


def _cells(mesh):
    from dolfinx.mesh import compute_midpoints

    tdim = mesh.topology.dim
    imap = mesh.topology.index_map(tdim)
    n = imap.size_local + imap.num_ghosts
    return n, compute_midpoints(mesh, tdim, np.arange(n, dtype=np.int32))


def _minmax(comm, a: np.ndarray, dim: int):
    from mpi4py import MPI

    lo = np.ascontiguousarray(a.min(axis=0) if len(a) else np.full(dim, np.inf), dtype=float)
    hi = np.ascontiguousarray(a.max(axis=0) if len(a) else np.full(dim, -np.inf), dtype=float)
    glo, ghi = np.empty(dim), np.empty(dim)
    comm.Allreduce(lo, glo, op=MPI.MIN)
    comm.Allreduce(hi, ghi, op=MPI.MAX)
    return glo, ghi


def apply(fields: dict, built, spec, lay) -> dict:
    """Change ``fields`` (λ, μ, α DG0 functions, as from ``material_fields``) in place; returns
    figures for ``summary.json`` (cells per fault side, random-field grids and their statistics)."""
    from mpi4py import MPI

    from subsidence.heterogeneity.random_field import gaussian_field, grid_axes, lognormal

    mesh = built.mesh
    comm = mesh.comm
    n, mid = _cells(mesh)
    nloc = mesh.topology.index_map(mesh.topology.dim).size_local
    dofs = fields["lmbda"].function_space.dofmap.list[:, 0]
    lam = fields["lmbda"].x.array[dofs].copy()
    mu = fields["mu"].x.array[dofs].copy()
    alpha = fields["biot"].x.array[dofs].copy()
    tags = np.zeros(n, dtype=np.int64)
    ct = built.cell_tags
    tags[ct.indices] = ct.values
    names = built.regions.names
    region = np.array([names.get(int(t), "") for t in tags], dtype=object)
    is_layer = np.isin(tags, built.regions.layers)
    is_body = np.isin(tags, built.regions.bodies)
    depth = -mid[:, 2]
    info: dict = {}

    if spec.reference:
        # bodies → the material of the layer at their centroid's depth (the mesh is kept)
        tops = np.array([s.top for s in lay.slabs])
        k = np.clip(np.searchsorted(tops, depth, side="right") - 1, 0, len(tops) - 1)
        for i, s in enumerate(lay.slabs):
            sel = is_body & (k == i)
            m = lay.materials[s.name]
            lam[sel], mu[sel] = m.lame
            alpha[sel] = m.biot
        info["reference"] = True
    else:
        if spec.interfaces:  # laterally varying layer tops: layer cells take the layer at their centroid
            tops = np.tile(np.array([s.top for s in lay.slabs], float), (n, 1))
            names_l = [s.name for s in lay.slabs]
            outside = 0
            for itf in sorted(spec.interfaces, key=lambda t: names_l.index(t.layer)):  # top down
                i = names_l.index(itf.layer)
                v = itf.grid(mid[:, 0], mid[:, 1])
                tops[:, i] = v if itf.kind == "top" else tops[:, i - 1] + v
                outside = max(outside, int(itf.grid.outside(mid[:nloc, 0], mid[:nloc, 1]).sum()))
            tops = np.maximum.accumulate(tops, axis=1)  # a layer pinched out by the one above: zero thickness
            k = np.sum(tops <= depth[:, None], axis=1) - 1
            k = np.clip(k, 0, len(names_l) - 1)
            moved = 0
            for i, s in enumerate(lay.slabs):
                sel = is_layer & (k == i) & (region != s.name)
                m = lay.materials[s.name]
                lam[sel], mu[sel] = m.lame
                alpha[sel] = m.biot
                moved += int(sel[:nloc].sum())
            info["interfaces"] = {"cells_changed": int(comm.allreduce(moved, op=MPI.SUM)),
                                  "cells_outside_grids": int(comm.allreduce(outside, op=MPI.SUM))}

        def chosen(regions):
            return is_layer.copy() if regions is None else np.isin(region, regions) & (is_layer | is_body)

        for f in spec.faults:
            base = chosen(f.regions) & (depth >= f.top) & (depth <= f.bottom)
            hw = f.plane.hanging_wall(mid)
            counts = {}
            for side, block, sel in (("hanging_wall", f.hanging_wall, base & hw), ("footwall", f.footwall, base & ~hw)):
                if block is None:
                    continue
                if block.factor is not None:
                    lam[sel] *= block.factor
                    mu[sel] *= block.factor
                else:
                    lam[sel], mu[sel] = block.material.lame
                    alpha[sel] = block.material.biot
                counts[f"{side}_cells"] = int(comm.allreduce(int(sel[:nloc].sum()), op=MPI.SUM))
            info.setdefault("faults", {})[f.name] = counts
        for rf in spec.random_fields:
            sel = chosen(rf.regions)
            lo, hi = _minmax(comm, mid[sel], 3)
            if not np.all(hi >= lo):
                raise ValueError(f"random field {rf.name!r}: no cells in its regions")
            spacing = rf.spacing or tuple(v / 5.0 for v in rf.lengths)
            axes = grid_axes(lo, hi, spacing)
            g = None
            if comm.rank == 0:
                g = gaussian_field(axes, rf.lengths, covariance=rf.covariance, seed=rf.seed)
            g = comm.bcast(g, root=0)
            # nearest grid node (within half a step, a tenth of the correlation length by default): keeps
            # the field's one-point distribution exactly (linear interpolation would lower its variance)
            idx = tuple(np.clip(np.rint((mid[sel][:, i] - a[0]) / (a[1] - a[0])).astype(np.int64), 0, a.size - 1)
                        for i, a in enumerate(g.axes))
            factor = lognormal(g.values[idx], mean=rf.mean, sigma=rf.sigma)
            lam[sel] *= factor
            mu[sel] *= factor
            owned = np.zeros(n, bool)
            owned[:nloc] = True
            fl = factor[owned[sel]]
            ln = np.log(fl)
            loc = np.array([fl.size, fl.sum(), (fl * fl).sum(), ln.sum(), (ln * ln).sum()], dtype=float)
            tot = np.empty(5)
            comm.Allreduce(loc, tot, op=MPI.SUM)
            cnt = max(tot[0], 1.0)
            m1 = tot[1] / cnt
            info.setdefault("random_fields", {})[rf.name] = {
                "cells": int(tot[0]), "grid": [int(a.size) for a in g.axes], "embedding": list(g.embedding),
                "clipped_variance": abs(g.clipped), "factor_mean_cells": float(m1),
                "factor_cv_cells": float(np.sqrt(max(tot[2] / cnt - m1 * m1, 0.0)) / m1),
                "sigma_log_cells": float(np.sqrt(max(tot[4] / cnt - (tot[3] / cnt) ** 2, 0.0))),
                "sigma_log": rf.sigma}
            if g.clipped > 1e-3:
                log.warning("random field %s: %.2g of the variance lost in the circulant embedding (enlarge the "
                            "region or shorten the correlation length)", rf.name, g.clipped)
    for key, arr in (("lmbda", lam), ("mu", mu), ("biot", alpha)):
        fields[key].x.array[dofs] = arr
        fields[key].x.scatter_forward()
    return info
