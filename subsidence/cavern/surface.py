"""Ground-surface displacement of a cavern model, gathered on every rank.

Axisymmetric models: the displacement of the top-boundary nodes as a radial profile,
revolved onto a map grid around the cavern axis. 3D models: point evaluation.

By default (``reference="cavern"``) the displacement is measured from the state once the
cavern exists — the elastic state at t = 0 that the simulation stores as ``model.u_ref`` — so
it is zero at t = 0 and shows what levelling and InSAR see: the closure. The response to the
excavation itself (lighter brine replacing salt: an upward force whose far field depends on
the model's size) is then left out; ``reference="excavation"`` keeps it (the displacement from
the lithostatic state before the cavern).
"""

from __future__ import annotations

from mpi4py import MPI

import numpy as np

from subsidence.cavern.geometry import TOP


REFERENCES = ("cavern", "excavation")


class SurfaceSampler:
    def __init__(self, model, *, reference: str = "cavern"):
        if reference not in REFERENCES:
            raise ValueError(f"surface reference must be one of {REFERENCES}, got {reference!r}")
        self.reference = reference
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
        a = self._u()
        loc = np.column_stack([self.r, a[self.dofs * bs], a[self.dofs * bs + 1]])
        allp = np.concatenate(self.model.comm.allgather(loc))
        order = np.argsort(allp[:, 0])
        allp = allp[order]
        keep = np.concatenate([[True], np.diff(allp[:, 0]) > 1e-9])
        return allp[keep, 0], allp[keep, 1], allp[keep, 2]

    def _u(self) -> np.ndarray:
        """Displacement array measured from the chosen reference state."""
        a = self.model.u.x.array
        ref = getattr(self.model, "u_ref", None)
        if self.reference == "cavern" and ref is not None:
            return a - ref
        return a

    def volume(self, radius: float | None = None) -> float:
        """Volume of the surface displacement, ∫ u_z dA [m³] over the model top (within
        ``radius`` of the axis if given), integrated exactly on the FE field (axisymmetric:
        ∫ u_z 2π r ds; negative for a subsidence bowl). Compare with the elastic half-space:
        2(1 − ν) ΔV in total, the fraction 1 − d/√(R² + d²) of it within R of a source at depth d
        (:func:`mogi_volume_fraction`). With ``radius`` the cut through the cell at R is
        integrated with the cell's quadrature points (an error of the order of the surface
        element size at R)."""
        if self.kind == "3d":
            raise NotImplementedError("surface volume: axisymmetric models only")
        import ufl
        from dolfinx import fem

        mesh = self.model.cm.mesh
        if getattr(self, "_relv", None) is None:
            self._relv = fem.Function(self.model.V)
        u = self._relv
        u.x.array[:] = self._u()
        u.x.scatter_forward()
        x = ufl.SpatialCoordinate(mesh)
        ds = ufl.Measure("ds", domain=mesh, subdomain_data=self.model.cm.facet_tags, metadata={"quadrature_degree": 8})
        w = 2 * np.pi * x[0]
        if radius is not None:
            w = w * ufl.conditional(ufl.le(x[0], radius), 1.0, 0.0)
        val = fem.assemble_scalar(fem.form(u[1] * w * ds(TOP)))
        return float(mesh.comm.allreduce(val, op=MPI.SUM))

    def on_points(self, x: np.ndarray, y: np.ndarray, *, cx: float = 0.0, cy: float = 0.0):
        """(ux, uy, uz) at map points (x, y)."""
        x, y = np.asarray(x, float), np.asarray(y, float)
        if self.kind != "3d":
            return revolve(*self.profile(), x - cx, y - cy)
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
        u = self.model.u
        if self.reference == "cavern" and getattr(self.model, "u_ref", None) is not None:
            # on every rank (scatter_forward is collective), not only where there are points
            from dolfinx import fem

            if getattr(self, "_rel", None) is None:
                self._rel = fem.Function(self.model.V)
            u = self._rel
            u.x.array[:] = self._u()
            u.x.scatter_forward()
        if ip:
            v = u.eval(p[ip], np.array(cells, dtype=np.int32))
            vals[ip] = v
            found[ip] = 1.0
        vals = comm.allreduce(vals * found[:, None], op=MPI.SUM)
        found = comm.allreduce(found, op=MPI.SUM)
        found = np.maximum(found, 1.0)
        vals = vals / found[:, None]
        return vals[:, 0], vals[:, 1], vals[:, 2]


def revolve(r, ur, uz, dx, dy):
    """(ux, uy, uz) at map offsets (dx, dy) from the axis of an axisymmetric surface profile
    (r, u_r, u_z) sorted by r: linear in r; beyond the model's radius u_r = 0 and u_z keeps its
    value at the side (a field sums these for every cavern)."""
    dx, dy = np.asarray(dx, float), np.asarray(dy, float)
    rho = np.hypot(dx, dy)
    urp = np.interp(rho, r, ur, right=0.0)
    uzp = np.interp(rho, r, uz, right=uz[-1])
    with np.errstate(invalid="ignore", divide="ignore"):
        cs = np.where(rho > 0, dx / np.where(rho > 0, rho, 1), 0.0)
        sn = np.where(rho > 0, dy / np.where(rho > 0, rho, 1), 0.0)
    return urp * cs, urp * sn, uzp


def mogi_volume_fraction(R: float, depth: float) -> float:
    """Fraction of the Mogi bowl volume 2(1 − ν)ΔV that lies within radius R of the axis above a
    point source at ``depth``: ∫₀^R u_z 2πr dr / ∫₀^∞ = 1 − d/√(R² + d²)."""
    return 1.0 - depth / np.hypot(R, depth)
