"""Coupled Biot consolidation by the fixed-stress split (iterative coupling), for large 3D models.

Each time step alternates a flow solve (CG + GAMG on the pressure) and a mechanics solve
(CG + GAMG with the rigid-body near-nullspace) until the pressure and displacement stop
changing. The flow equation carries the stabilisation β (S + β)(p − p_n), β = α²/K_dr with
K_dr = λ + 2μ/d the drained bulk modulus of the d-dimensional problem (Kim, Tchelepi &
Juanes 2011; Mikelić & Wheeler 2013), which makes the iteration a contraction. The same
unknowns, conditions and results as :class:`subsidence.fem.biot.BiotModel` (monolithic,
direct), with memory and time that scale like the elastic solve.
"""

from __future__ import annotations

import numpy as np

from subsidence.physics.elasticity import Kinematics, elastic_forms
from subsidence.physics.poroelasticity import flow_forms
from subsidence.solvers.linear import LinearSolver, SolveStats


class FixedStressBiot:
    def __init__(self, mesh, *, mode: str, fields: dict, degree: tuple[int, int] = (2, 1), facet_tags=None,
                 prefix: str = "subs_fs_", rtol: float = 1e-10, tol: float = 1e-7, max_iterations: int = 200,
                 solver: str = "gamg"):
        """``solver``: preset of both sub-solves ("gamg", "mumps" or "auto")."""
        import ufl
        from dolfinx import fem

        self.mesh = mesh
        self.mode = mode
        gdim = mesh.geometry.dim
        self.V = fem.functionspace(mesh, ("Lagrange", degree[0], (gdim,)))
        self.Q = fem.functionspace(mesh, ("Lagrange", degree[1]))
        self.kin = Kinematics(mode, ufl.SpatialCoordinate(mesh))
        self.u = fem.Function(self.V, name="displacement")
        self.p = fem.Function(self.Q, name="pressure")
        self.u_old, self.p_old = fem.Function(self.V), fem.Function(self.Q)
        self.u_it, self.p_it = fem.Function(self.V), fem.Function(self.Q)
        self.dt = fem.Constant(mesh, 1.0)
        self.flow = fem.Constant(mesh, 1.0)
        self.fields = {k: (fem.Constant(mesh, float(v)) if np.isscalar(v) else v) for k, v in fields.items()}
        self.facet_tags = facet_tags
        self.prefix, self.rtol, self.tol, self.max_iterations = prefix, rtol, tol, max_iterations
        self.preset = solver
        self.bcs_u, self.bcs_p, self._drain, self._traction = [], [], [], []
        self.stats = SolveStats(preset="fixed-stress")
        self.flow_stats = SolveStats()
        self.coupling_iterations: list[int] = []
        self._mech = self._flow = None
        self._flow_key = None
        self._held = None  # regions held apart (sealed reservoirs), see hold_pressure
        self.time = 0.0

    # same set-up API as BiotModel ------------------------------------------------------------
    def fix_displacement(self, facets, component: int, value=0.0):
        from dolfinx import fem

        Vc = self.V.sub(component)
        dofs = fem.locate_dofs_topological(Vc, self.mesh.topology.dim - 1, facets)
        val = value if isinstance(value, fem.Constant) else fem.Constant(self.mesh, float(value))
        self.bcs_u.append(fem.dirichletbc(val, dofs, Vc))
        return val

    def fix_pressure(self, entities, value=0.0, *, dim: int | None = None):
        from dolfinx import fem

        tdim = self.mesh.topology.dim
        dim = tdim - 1 if dim is None else dim
        if dim == tdim - 1:
            self.mesh.topology.create_connectivity(dim, tdim)
        dofs = fem.locate_dofs_topological(self.Q, dim, entities)
        val = value if isinstance(value, fem.Constant) else fem.Constant(self.mesh, float(value))
        bc = fem.dirichletbc(val, dofs, self.Q)
        self.bcs_p.append(bc)
        if dim == tdim - 1:
            self._drain.append(bc)
        return val

    def traction(self, tag: int, value):
        self._traction.append((tag, value))

    def hold_pressure(self, cells, value=0.0, *, open_facets=()):
        """As :meth:`subsidence.fem.biot.BiotModel.hold_pressure`."""
        from dolfinx import fem

        from subsidence.fem.sealing import HeldRegions

        if self._mech is not None:
            raise RuntimeError("hold_pressure after the first solve")
        if self._held is None:
            self._held = HeldRegions(self.mesh, self.Q)
        val = value if isinstance(value, fem.Constant) else fem.Constant(self.mesh, float(value))
        self._held.add(cells, val, open_facets)
        return val

    def pressure_field(self, p):
        return self._held.pressure(p) if self._held else p

    # ---------------------------------------------------------------------------------------
    def _setup(self):
        import ufl
        from dolfinx import fem

        f = self.fields
        active = None
        if self._held:
            active = self._held.active
            self.bcs_p.extend(self._held.finalise())
        u, v = ufl.TrialFunction(self.V), ufl.TestFunction(self.V)
        a, L = elastic_forms(self.kin, u, v, lmbda=f["lmbda"], mu=f["mu"], biot=f["biot"],
                             pressure=self.pressure_field(self.p_it))
        if self._traction:
            ds = ufl.Measure("ds", domain=self.mesh, subdomain_data=self.facet_tags)
            for tag, t in self._traction:
                L = L + ufl.inner(t, v) * self.kin.weight * ds(tag)
        self._Lu = fem.form(L)
        nns = self.V if self.mode != "axisymmetric" else None
        self._mech = LinearSolver(a, self.bcs_u, prefix=self.prefix + "u_", preset=self.preset, rtol=self.rtol,
                                  near_nullspace_space=nns, stats=self.stats)
        d = 3 if self.mode in ("3d", "axisymmetric") else 2
        stab = f["biot"] ** 2 / (f["lmbda"] + 2 * f["mu"] / d)
        p, q = ufl.TrialFunction(self.Q), ufl.TestFunction(self.Q)
        self._ap, Lp = flow_forms(self.kin, p, q, p_old=self.p_old, u_iter=self.u, u_old=self.u_old,
                                  p_iter=self.p_it, dt=self.dt, biot=f["biot"], storage=f["storage"],
                                  mobility=self.flow * f["mobility"], stab=stab, active=active)
        self._Lp = fem.form(Lp)

    def _flow_solver(self, dt, flow):
        key = (float(dt), bool(flow))
        if self._flow_key == key:
            return
        self.dt.value = dt
        self.flow.value = 1.0 if flow else 0.0
        bcs = self.bcs_p if flow else [b for b in self.bcs_p if all(b is not d for d in self._drain)]
        if self._flow is not None:
            self._flow.destroy()
        self._flow = LinearSolver(self._ap, bcs, prefix=self.prefix + "p_", preset=self.preset, rtol=self.rtol,
                                  stats=self.flow_stats)
        self._flow_key = key

    def _advance(self, dt, flow):
        if self._mech is None:
            self._setup()
        self._flow_solver(dt, flow)
        self.p_it.x.array[:] = self.p.x.array
        for k in range(1, self.max_iterations + 1):
            self.u_it.x.array[:] = self.u.x.array
            self._flow.solve(self._Lp, self.p, initial_guess=True)
            self.p_it.x.array[:] = self.p.x.array
            self._mech.solve(self._Lu, self.u, initial_guess=True)
            if self._change(self.u, self.u_it) <= self.tol:
                break
        else:
            raise RuntimeError(f"fixed-stress iteration did not converge in {self.max_iterations} iterations")
        self.coupling_iterations.append(k)
        self.u_old.x.array[:] = self.u.x.array
        self.p_old.x.array[:] = self.p.x.array

    @staticmethod
    def _change(new, old) -> float:
        d = new.x.petsc_vec.copy()
        d.axpy(-1.0, old.x.petsc_vec)
        n, dn = new.x.petsc_vec.norm(), d.norm()
        d.destroy()
        return dn / n if n > 0 else dn

    def undrained(self):
        self._advance(1.0, flow=False)

    def step(self, dt: float):
        self._advance(dt, flow=True)
        self.time += dt

    def split(self):
        return self.u, self.p
