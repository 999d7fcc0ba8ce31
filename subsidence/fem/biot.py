"""Coupled Biot consolidation: monolithic (u, p) Taylor–Hood (P2/P1) time stepping.

Unknowns: displacement u and pore-pressure change p (Pa). Backward Euler in time; the
instantaneous undrained response to a sudden load is obtained by :meth:`BiotModel.undrained`
(one step with the flux term switched off), after which :meth:`BiotModel.step` marches.
Boundary conditions are added with the ``fix_*``/``traction`` helpers before the first solve.
The matrix depends on Δt only; it is re-assembled and re-factorised when Δt changes.
"""

from __future__ import annotations

import time

import numpy as np

from subsidence.physics.elasticity import Kinematics
from subsidence.physics.poroelasticity import biot_forms
from subsidence.solvers.linear import SolveStats


class BiotModel:
    def __init__(self, mesh, *, mode: str, fields: dict, degree: tuple[int, int] = (2, 1), facet_tags=None,
                 prefix: str = "subs_biot_", solver: str = "mumps"):
        """``fields``: λ, μ, biot, mobility (k/μ_f, m²/(Pa s)), storage (1/Pa): numbers or DG0 functions."""
        import basix.ufl
        import ufl
        from dolfinx import fem

        self.mesh = mesh
        self.mode = mode
        gdim = mesh.geometry.dim
        cell = mesh.basix_cell()
        eu = basix.ufl.element("Lagrange", cell, degree[0], shape=(gdim,))
        ep = basix.ufl.element("Lagrange", cell, degree[1])
        self.W = fem.functionspace(mesh, basix.ufl.mixed_element([eu, ep]))
        self.kin = Kinematics(mode, ufl.SpatialCoordinate(mesh))
        self.x = fem.Function(self.W, name="state")
        self.x_old = fem.Function(self.W)
        self.dt = fem.Constant(mesh, 1.0)
        self.flow = fem.Constant(mesh, 1.0)
        self.facet_tags = facet_tags
        self.prefix = prefix
        self.solver = solver
        self.stats = SolveStats(preset=solver)
        self.bcs = []
        self._drain = []  # drainage (facet) pressure conditions
        self._traction = []
        f = {k: (fem.Constant(mesh, float(v)) if np.isscalar(v) else v) for k, v in fields.items()}
        self.fields = f
        u, p = ufl.TrialFunctions(self.W)
        v, q = ufl.TestFunctions(self.W)
        uo, po = ufl.split(self.x_old)
        self._forms = dict(u=u, p=p, v=v, q=q, uo=uo, po=po)
        self._a = self._L = None
        self._ksp = None
        self._A_dt = None
        self._held = None  # regions held apart (sealed reservoirs), see hold_pressure
        self.time = 0.0

    # -- set-up ----------------------------------------------------------------------------
    def fix_displacement(self, facets, component: int, value=0.0):
        from dolfinx import fem

        fdim = self.mesh.topology.dim - 1
        Vc = self.W.sub(0).sub(component)
        dofs = fem.locate_dofs_topological(Vc, fdim, facets)
        val = value if isinstance(value, fem.Constant) else fem.Constant(self.mesh, float(value))
        self.bcs.append(fem.dirichletbc(val, dofs, Vc))
        return val

    def fix_pressure(self, entities, value=0.0, *, dim: int | None = None):
        """p = value on facets (dim = tdim−1, default) or on all dofs of cells (dim = tdim).

        Facet conditions are drainage boundaries: they are not applied in the undrained
        step (no flow has happened yet, so the pressure there still jumps with the load);
        cell conditions (a reservoir whose pressure is prescribed) always apply.
        """
        from dolfinx import fem

        dim = self.mesh.topology.dim - 1 if dim is None else dim
        if dim == self.mesh.topology.dim - 1:
            self.mesh.topology.create_connectivity(dim, self.mesh.topology.dim)
        Vp = self.W.sub(1)
        dofs = fem.locate_dofs_topological(Vp, dim, entities)
        val = value if isinstance(value, fem.Constant) else fem.Constant(self.mesh, float(value))
        bc = fem.dirichletbc(val, dofs, Vp)
        self.bcs.append(bc)
        if dim == self.mesh.topology.dim - 1:
            self._drain.append(bc)
        return val

    def traction(self, tag: int, value):
        """Surface traction (Pa, vector Constant) on facets with ``tag``."""
        self._traction.append((tag, value))

    def hold_pressure(self, cells, value=0.0, *, open_facets=()):
        """Prescribe the pressure of ``cells`` (a reservoir) and keep them apart from the unknown.

        Unlike ``fix_pressure(cells, dim=tdim)``, the pressure may jump across the region's
        boundary: it is continuous (= ``value``) only on ``open_facets`` and sealed (no flow)
        elsewhere (:mod:`subsidence.fem.sealing`). Call before the first solve; returns the
        Constant holding the value.
        """
        from dolfinx import fem

        from subsidence.fem.sealing import HeldRegions

        if self._a is not None:
            raise RuntimeError("hold_pressure after the first solve")
        if self._held is None:
            self._held = HeldRegions(self.mesh, self.W.sub(1))
        val = value if isinstance(value, fem.Constant) else fem.Constant(self.mesh, float(value))
        self._held.add(cells, val, open_facets)
        return val

    def pressure_field(self, p):
        """The pressure everywhere (UFL) from the pressure unknown ``p`` (itself unless regions are held)."""
        return self._held.pressure(p) if self._held else p

    def _build(self):
        import ufl
        from dolfinx import fem

        F = self._forms
        f = self.fields
        held = {}
        if self._held:
            held = dict(active=self._held.active, held=self._held.held)
            self.bcs.extend(self._held.finalise())
        a, L = biot_forms(self.kin, F["u"], F["p"], F["v"], F["q"], u_old=F["uo"], p_old=F["po"], dt=self.dt,
                          lmbda=f["lmbda"], mu=f["mu"], biot=f["biot"], storage=f["storage"],
                          mobility=self.flow * f["mobility"], **held)
        if self._traction:
            ds = ufl.Measure("ds", domain=self.mesh, subdomain_data=self.facet_tags)
            for tag, t in self._traction:
                L = L + ufl.inner(t, F["v"]) * self.kin.weight * ds(tag)
        self._a, self._L = fem.form(a), fem.form(L)

    # -- solving ---------------------------------------------------------------------------
    def prepare(self, dt: float, *, flow: bool = True):
        """Assemble and factorise the operator for a step of ``dt`` (or the undrained operator)."""
        from petsc4py import PETSc

        from dolfinx.fem.petsc import assemble_matrix

        if self._a is None:
            self._build()
        key = (float(dt), bool(flow))
        if self._A_dt == key:
            return
        self._active = self.bcs if flow else [bc for bc in self.bcs if all(bc is not d for d in self._drain)]
        self.dt.value = dt
        self.flow.value = 1.0 if flow else 0.0
        t0 = time.perf_counter()
        if self._ksp is None:
            self._ksp = PETSc.KSP().create(self.mesh.comm)
            self._ksp.setOptionsPrefix(self.prefix)
            self._ksp.setType("preonly")
            pc = self._ksp.getPC()
            pc.setType("lu")
            pc.setFactorSolverType("mumps")
            self._ksp.setFromOptions()
        else:
            self._A.destroy()
        self._A = assemble_matrix(self._a, bcs=self._active)
        self._A.assemble()
        self._ksp.setOperators(self._A)
        self.stats.assembly_s += time.perf_counter() - t0
        t0 = time.perf_counter()
        self._ksp.setUp()
        self.stats.setup_s += time.perf_counter() - t0
        self._A_dt = key

    def solve_into(self, out, *, zero_history: bool = False):
        """Solve the prepared system into ``out``; ``zero_history`` uses a zero previous state."""
        from petsc4py import PETSc

        from dolfinx.fem.petsc import apply_lifting, assemble_vector, set_bc

        t0 = time.perf_counter()
        if zero_history:
            saved = self.x_old.x.array.copy()
            self.x_old.x.array[:] = 0.0
        b = assemble_vector(self._L)
        if zero_history:
            self.x_old.x.array[:] = saved
        apply_lifting(b, [self._a], bcs=[self._active])
        b.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
        set_bc(b, self._active)
        self._ksp.solve(b, out.x.petsc_vec)
        out.x.scatter_forward()
        b.destroy()
        self.stats.solve_s += time.perf_counter() - t0
        self.stats.iterations.append(1)
        if self._ksp.getConvergedReason() < 0:
            raise RuntimeError("Biot solve failed (MUMPS)")
        if self.stats.dofs == 0:
            self.stats.dofs = self.W.dofmap.index_map.size_global * self.W.dofmap.index_map_bs

    def undrained(self):
        """Instantaneous response to the loads/BCs now set (no flow); becomes the state at the current time."""
        self.prepare(1.0, flow=False)
        self.solve_into(self.x)
        self.x_old.x.array[:] = self.x.x.array

    def step(self, dt: float):
        """Advance by ``dt`` seconds (backward Euler) with the loads/BCs now set."""
        self.prepare(dt, flow=True)
        self.solve_into(self.x)
        self.x_old.x.array[:] = self.x.x.array
        self.time += dt

    def reaction(self, dofs_weight, state=None, *, rhs: bool = True) -> float:
        """Σ w_i r_i of the residual r = A x − b (no BCs) for ``state`` (default: the current one).

        With ``dofs_weight`` = 1 on the dofs of a constrained boundary component this is the
        total force the constraint exerts on the body. ``rhs=False`` leaves out b (for
        superposition of a homogeneous solution).
        """
        state = self.x if state is None else state
        from petsc4py import PETSc

        from dolfinx.fem.petsc import assemble_matrix, assemble_vector

        if not hasattr(self, "_A0") or self._A0_key != self._A_dt:
            if hasattr(self, "_A0"):
                self._A0.destroy()
            self._A0 = assemble_matrix(self._a)
            self._A0.assemble()
            self._A0_key = self._A_dt
        r = self._A0.createVecLeft()
        self._A0.mult(state.x.petsc_vec, r)
        if rhs:
            b = assemble_vector(self._L)
            b.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
            r.axpy(-1.0, b)
            b.destroy()
        val = r.dot(dofs_weight)
        r.destroy()
        return val

    def split(self):
        """Collapsed copies (u, p) of the current state."""
        u = self.x.sub(0).collapse()
        p = self.x.sub(1).collapse()
        u.name, p.name = "displacement", "pressure"
        return u, p
