"""Sealed reservoir faces in coupled Biot runs: a pore pressure that jumps across them.

With a continuous (P1) pressure, the nodes on a reservoir's boundary carry the reservoir's
prescribed pressure, so the depletion ramps to the surroundings' value across one element
outside: the compaction is overestimated by O(h/H) (first order). Here a reservoir whose
pressure is prescribed is *held*: its cells keep their own pressure (the prescribed value,
a known load on the skeleton) and the pressure unknown lives on the other cells only
(:mod:`subsidence.physics.poroelasticity`, ``active``/``held``). On the reservoir's boundary
nodes the unknown is

* tied to the reservoir's pressure on *open* faces (a Dirichlet condition: the pressure is
  continuous and the depletion diffuses out, as with the continuous pressure), and
* free on *sealed* faces: no flow crosses them and the pressure jumps, exactly at the face.

Nodes only inside held cells have no equation left; they are set to the region's pressure
(so the P1 output shows it there). A node shared by an open and a sealed face is open.
Faces are classified from the outward unit normal n of each boundary facet: ``top`` where
n_z ≥ √½, ``base`` where n_z ≤ −√½, ``sides`` otherwise. All of it is collective and takes
no ghost cells: the facet counts are summed over the ranks through the facet index map.
"""

from __future__ import annotations

import numpy as np

FACES = ("top", "base", "sides")


def region_faces(mesh, cell_tags, tag: int, held_tags) -> dict[str, np.ndarray]:
    """Local facets (owned and ghost) between cells of ``tag`` and cells outside all ``held_tags``.

    Returns {"top"|"base"|"sides": facet indices}; a facet appears on the rank(s) that hold
    the region's cell next to it (enough for :func:`dolfinx.fem.locate_dofs_topological`,
    which shares the dofs of shared facets with the other ranks).
    """
    from dolfinx import la
    from dolfinx.mesh import compute_midpoints, entities_to_geometry

    tdim = mesh.topology.dim
    fdim = tdim - 1
    mesh.topology.create_connectivity(tdim, fdim)
    mesh.topology.create_connectivity(fdim, tdim)
    cmap = mesh.topology.index_map(tdim)
    fmap = mesh.topology.index_map(fdim)
    ncell = cmap.size_local + cmap.num_ghosts
    tags = np.full(ncell, -1, dtype=np.int64)
    tags[cell_tags.indices] = cell_tags.values
    in_region = tags == tag
    held = np.isin(tags, list(held_tags))
    c2f = mesh.topology.connectivity(tdim, fdim).array.reshape(ncell, -1)
    owned = c2f[: cmap.size_local]
    # per facet: number of adjacent cells, of region cells, of held cells (owned cells only, summed)
    counts = la.vector(fmap, bs=3)
    a = counts.array.reshape(-1, 3)
    for j, mask in enumerate((np.ones(cmap.size_local, bool), in_region[: cmap.size_local],
                              held[: cmap.size_local])):
        np.add.at(a[:, j], owned[mask].ravel(), 1.0)
    counts.scatter_reverse(la.InsertMode.add)
    counts.scatter_forward()
    a = counts.array.reshape(-1, 3)
    iface = (a[:, 0] == 2) & (a[:, 1] == 1) & (a[:, 2] == 1)
    # the facets seen from a local region cell, with that cell (for the outward direction)
    cells = np.flatnonzero(in_region)
    fc = c2f[cells]
    sel = iface[fc]
    facets, cell_of = fc[sel], np.repeat(cells, fc.shape[1])[sel.ravel()]
    out = {k: np.zeros(0, dtype=np.int32) for k in FACES}
    if facets.size == 0:
        return out
    facets, first = np.unique(facets, return_index=True)
    cell_of = cell_of[first]
    x = mesh.geometry.x
    g = entities_to_geometry(mesh, fdim, facets.astype(np.int32))
    if tdim == 2:
        t = x[g[:, 1]] - x[g[:, 0]]
        n = np.c_[t[:, 1], -t[:, 0], np.zeros(len(t))]
    else:
        n = np.cross(x[g[:, 1]] - x[g[:, 0]], x[g[:, 2]] - x[g[:, 0]])
    n /= np.linalg.norm(n, axis=1)[:, None]
    d = compute_midpoints(mesh, fdim, facets.astype(np.int32)) - compute_midpoints(mesh, tdim,
                                                                                   cell_of.astype(np.int32))
    n *= np.sign(np.einsum("ij,ij->i", n, d))[:, None]
    nz = n[:, tdim - 1]  # vertical: y in 2D (r, z) models, z in 3D
    lim = np.sqrt(0.5)
    kind = np.where(nz >= lim, 0, np.where(nz <= -lim, 1, 2))
    return {k: facets[kind == i].astype(np.int32) for i, k in enumerate(FACES)}


class HeldRegions:
    """Regions whose pressure is prescribed and kept apart from the pressure unknown.

    ``space``: the pressure (sub)space the conditions act on; for a mixed space pass the
    subspace (``W.sub(1)``). ``add`` registers a region; after the last one, ``finalise``
    gives the Dirichlet conditions (open faces, nodes inside held cells only).
    """

    def __init__(self, mesh, space):
        from dolfinx import fem

        self.mesh = mesh
        self.space = space
        Q0 = fem.functionspace(mesh, ("DG", 0))
        self.active = fem.Function(Q0, name="active")
        self.active.x.array[:] = 1.0
        self.held = None
        self._regions = []  # (indicator, value, open facets)

    def __bool__(self) -> bool:
        return bool(self._regions)

    def add(self, cells, value, open_facets) -> None:
        from dolfinx import fem

        Q0 = self.active.function_space
        dofs = Q0.dofmap.list[np.asarray(cells, dtype=np.int32), 0]  # DG0: one dof per cell, not its index
        chi = fem.Function(Q0)
        chi.x.array[dofs] = 1.0
        chi.x.scatter_forward()
        self.active.x.array[dofs] = 0.0
        self.active.x.scatter_forward()
        self.held = chi * value if self.held is None else self.held + chi * value
        self._regions.append((chi, value, np.asarray(open_facets, dtype=np.int32)))

    def finalise(self) -> list:
        """Dirichlet conditions on the pressure (all always applied, also in undrained steps)."""
        import ufl
        from dolfinx import fem, la

        V = self.space
        if V.component():  # a subspace of a mixed space: its dofs through the collapsed space
            Q, wmap = V.collapse()
            wmap = np.concatenate([np.asarray(m, dtype=np.int32) for m in wmap] if isinstance(wmap, list) else [wmap])
        else:
            Q, wmap = V, None

        def touches(ind):
            q = ufl.TestFunction(Q)
            b = fem.assemble_vector(fem.form(ind * q * ufl.dx))
            b.scatter_reverse(la.InsertMode.add)
            b.scatter_forward()
            return b.array > 0

        inner = ~touches(self.active)  # nodes of held cells only
        fdim = self.mesh.topology.dim - 1
        self.mesh.topology.create_connectivity(fdim, self.mesh.topology.dim)
        bcs = []
        for chi, value, facets in self._regions:
            d = np.flatnonzero(inner & touches(chi)).astype(np.int32)
            dofs = wmap[d] if wmap is not None else d
            dofs = np.union1d(dofs, fem.locate_dofs_topological(V, fdim, facets)).astype(np.int32)
            bcs.append(fem.dirichletbc(value, dofs, V))
        return bcs

    def pressure(self, p):
        """The pressure field everywhere: p on the active cells, the held value elsewhere (UFL)."""
        return self.active * p + self.held
