"""Uniform parallel refinement of a distributed mesh, carrying its cell and facet tags.

Each level splits every edge (Plaza refinement): a triangle becomes 4, a tetrahedron 8,
element edges halve. Refinement runs on every rank on its own part of the mesh (refined
cells stay on the rank of their parent), so after the coarse gmsh model has been built on
rank 0 and distributed, the fine mesh never exists on one process. Region volumes and
tagged boundary areas are unchanged by construction: new vertices lie on the parent's
edges, so a curved outline (a cylinder's side in 3D) stays as faceted as the coarse mesh.

The refined mesh has no ghost cells, like the meshes ``dolfinx.io.gmsh.model_to_mesh``
returns: dolfinx 0.11's ``refine`` with its default (identity) partitioner adds a ghost
layer but returns parent indices for the owned cells only, and ``transfer_meshtag`` then
reads past the end of that array (heap corruption, seen as a crash on 2 ranks). With
``partitioner=None`` every cell of the refined mesh is owned and has a parent index.
"""

from __future__ import annotations

import numpy as np


def refine_uniformly(mesh, cell_tags, facet_tags, levels: int):
    """``levels`` uniform refinements of ``mesh`` (collective); returns (mesh, cell_tags, facet_tags).

    ``facet_tags`` may be None. Tag names and values are kept.
    """
    from dolfinx import mesh as dmesh

    if levels < 0 or int(levels) != levels:
        raise ValueError(f"refinement levels must be an integer >= 0, got {levels!r}")
    tdim = mesh.topology.dim
    for _ in range(int(levels)):
        mesh.topology.create_entities(1)
        mesh.topology.create_connectivity(tdim - 1, tdim)
        fine, parent_cell, parent_facet = dmesh.refine(
            mesh, partitioner=None, option=dmesh.RefinementOption.parent_cell_and_facet)
        imap = fine.topology.index_map(tdim)
        if imap.num_ghosts or len(parent_cell) != imap.size_local:
            raise RuntimeError("refined mesh has cells without a parent index (dolfinx refinement changed)")
        fine.topology.create_connectivity(tdim - 1, tdim)
        ct = _transfer(dmesh, cell_tags, fine, parent_cell, parent_facet)
        ft = _transfer(dmesh, facet_tags, fine, parent_cell, parent_facet) if facet_tags is not None else None
        mesh, cell_tags, facet_tags = fine, ct, ft
    return mesh, cell_tags, facet_tags


def _transfer(dmesh, tags, fine, parent_cell, parent_facet):
    out = dmesh.transfer_meshtag(tags, fine, parent_cell, parent_facet)
    out.name = tags.name
    return out


def tagged_measures(mesh, cell_tags, facet_tags) -> tuple[dict[int, float], dict[int, float]]:
    """Global volume (area in 2D) of each cell tag and area (length) of each facet tag (collective).

    Plain Cartesian measures (no axisymmetric r weight): what refinement must conserve.
    """
    import ufl
    from mpi4py import MPI

    from dolfinx import fem

    comm = mesh.comm
    one = fem.Constant(mesh, 1.0)

    def measure(tags, kind):
        values = sorted(set(np.concatenate(comm.allgather(np.asarray(tags.values))).tolist()))
        m = ufl.Measure(kind, domain=mesh, subdomain_data=tags)
        return {int(t): comm.allreduce(fem.assemble_scalar(fem.form(one * m(int(t)))), op=MPI.SUM) for t in values}

    return measure(cell_tags, "dx"), (measure(facet_tags, "ds") if facet_tags is not None else {})
