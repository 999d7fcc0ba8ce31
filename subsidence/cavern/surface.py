"""Ground-surface displacement of a cavern model, gathered on every rank.

Axisymmetric models: the displacement of the top-boundary nodes as a radial profile,
revolved onto a map grid around the cavern axis. 3D models: point evaluation.
"""

from __future__ import annotations

from mpi4py import MPI

import numpy as np

from subsidence.cavern.geometry import TOP


class SurfaceSampler:
    def __init__(self, model):
        self.model = model
        cm = model.cm
        V = model.V
        mesh = cm.mesh
        self.kind = cm.kind
        if self.kind != "3d":
            from dolfinx import fem

            facets = cm.facet_tags.find(TOP)
            dofs = fem.locate_dofs_topological(V, mesh.topology.dim - 1, facets)
            nown = V.dofmap.index_map.size_local
            self.dofs = dofs[dofs < nown]
            self.r = V.tabulate_dof_coordinates()[self.dofs, 0]

    def profile(self):
        """(r, u_r, u_z) along the surface, sorted by r (axisymmetric)."""
        bs = self.model.V.dofmap.bs
        a = self.model.u.x.array
        loc = np.column_stack([self.r, a[self.dofs * bs], a[self.dofs * bs + 1]])
        allp = np.concatenate(self.model.comm.allgather(loc))
        order = np.argsort(allp[:, 0])
        allp = allp[order]
        keep = np.concatenate([[True], np.diff(allp[:, 0]) > 1e-9])
        return allp[keep, 0], allp[keep, 1], allp[keep, 2]

    def on_points(self, x: np.ndarray, y: np.ndarray, *, cx: float = 0.0, cy: float = 0.0):
        """(ux, uy, uz) at map points (x, y)."""
        x, y = np.asarray(x, float), np.asarray(y, float)
        if self.kind != "3d":
            r, ur, uz = self.profile()
            dx, dy = x - cx, y - cy
            rho = np.hypot(dx, dy)
            urp = np.interp(rho, r, ur, right=0.0)
            uzp = np.interp(rho, r, uz, right=uz[-1])
            with np.errstate(invalid="ignore", divide="ignore"):
                cs = np.where(rho > 0, dx / np.where(rho > 0, rho, 1), 0.0)
                sn = np.where(rho > 0, dy / np.where(rho > 0, rho, 1), 0.0)
            return urp * cs, urp * sn, uzp
        return self._eval3d(np.column_stack([x, y, np.zeros_like(x)]))

    def _eval3d(self, pts: np.ndarray):
        from dolfinx import geometry

        mesh = self.model.cm.mesh
        comm = self.model.comm
        tree = getattr(self, "_tree", None)
        if tree is None:
            tree = self._tree = geometry.bb_tree(mesh, mesh.topology.dim)
        # nudge points just below the surface so that they fall inside cells
        p = pts.copy()
        p[:, 2] = -1e-6
        cand = geometry.compute_collisions_points(tree, p)
        coll = geometry.compute_colliding_cells(mesh, cand, p)
        nown = mesh.topology.index_map(mesh.topology.dim).size_local
        vals = np.zeros((len(p), 3))
        found = np.zeros(len(p))
        ip, cells = [], []
        for i in range(len(p)):
            links = coll.links(i)
            links = links[links < nown]
            if links.size:
                ip.append(i)
                cells.append(links[0])
        if ip:
            v = self.model.u.eval(p[ip], np.array(cells, dtype=np.int32))
            vals[ip] = v
            found[ip] = 1.0
        vals = comm.allreduce(vals * found[:, None], op=MPI.SUM)
        found = comm.allreduce(found, op=MPI.SUM)
        found = np.maximum(found, 1.0)
        vals = vals / found[:, None]
        return vals[:, 0], vals[:, 1], vals[:, 2]
