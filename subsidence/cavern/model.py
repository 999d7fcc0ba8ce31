"""Finite-element creep model of rock salt around caverns (DOLFINx).

Displacement u (P2 on a curved P2 mesh) is measured from the initial, isotropic
lithostatic state σ₀ = −p_lith(z) 1 (tension positive), which is in equilibrium with
gravity; only the change Δσ enters the weak form, and the cavern wall carries the
traction change (p_lith(z) − P(z)) n, n pointing out of the rock into the cavern::

    R(u, P) = ∫ Δσ(u) · ε(v) w dx − f₀ + Σ_i P_i b_i = 0
    f₀  = Σ_i ∫_wall_i (p_lith(z) − γ_i (z_shoe,i − z)) n·v w ds,   b_i = ∫_wall_i n·v w ds

(w = r for axisymmetric meshes, 1 otherwise). Δσ and the tangent live in quadrature
spaces and are computed by :func:`subsidence.cavern.material.update_stress`. The cavern
volume is linear in u: V_i = V_i⁰ − m b_i·u (m = 2π × symmetry factor). Cavern shoe
pressures P_i are either given or unknowns closed by a mass balance r_i(P_i, V_i) = 0;
the coupled Newton step is solved by bordering (two solves with one factorisation).

With ``reuse_tangent`` the factorised tangent is kept across iterations and steps
(modified Newton) and refreshed only when the residual stops falling by ``reuse_rate``
per iteration or after ``reuse_max_age`` solves; the converged answer is the same (the
residual is exact), only the cost changes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from mpi4py import MPI  # noqa: F401  (loaded before petsc4py/dolfinx)
from petsc4py import PETSc

import numpy as np

from subsidence.cavern.geometry import WALL0, CavernMesh
from subsidence.cavern.material import PointMaterial, SaltLaw, update_stress


class StepFailed(RuntimeError):
    """The Newton iteration of one time step did not converge."""


def mandel_strain(u, kind: str):
    import ufl

    x = ufl.SpatialCoordinate(u.ufl_function_space().mesh)
    g = ufl.grad(u)
    r2 = np.sqrt(2.0)
    if kind == "axisymmetric":
        return ufl.as_vector([g[0, 0], g[1, 1], u[0] / x[0], r2 * 0.5 * (g[0, 1] + g[1, 0])])
    if kind == "plane_strain":
        return ufl.as_vector([g[0, 0], g[1, 1], 0.0 * g[0, 0], r2 * 0.5 * (g[0, 1] + g[1, 0])])
    e = ufl.sym(g)
    return ufl.as_vector([e[0, 0], e[1, 1], e[2, 2], r2 * e[1, 2], r2 * e[0, 2], r2 * e[0, 1]])


@dataclasses.dataclass
class StepResult:
    iterations: int
    pressures: np.ndarray
    volumes: np.ndarray


class CreepModel:
    """Elasto-creep model on a :class:`CavernMesh`; one instance per simulation.

    ``zone_laws[k]`` is the law of cell tag k + 1. ``temperature(z)`` [K] and
    ``p_lith(z)`` [Pa, compression positive] take elevations (numpy arrays).
    ``brine_gradient[i]`` [Pa/m] and ``shoe_z[i]`` [m elevation] define the pressure
    profile inside cavern i.
    """

    def __init__(
        self,
        cm: CavernMesh,
        *,
        zone_laws: list[SaltLaw],
        temperature: Callable[[np.ndarray], np.ndarray],
        p_lith: Callable[[np.ndarray], np.ndarray],
        brine_gradient: np.ndarray,
        shoe_z: np.ndarray,
        degree: int = 2,
        quadrature_degree: int = 2,
        solver: str = "lu",
        prefix: str = "cavern_",
        newton_rtol: float = 1e-8,
        newton_max_it: int = 15,
        reuse_tangent: bool = True,
        reuse_rate: float = 0.2,
        reuse_max_age: int = 12,
    ):
        import basix.ufl
        import ufl
        from dolfinx import fem

        self.cm = cm
        self.comm = cm.mesh.comm
        mesh = cm.mesh
        self.kind = cm.kind
        gdim = cm.gdim
        self.m = 6 if self.kind == "3d" else 4
        self.newton_rtol = newton_rtol
        self.newton_max_it = newton_max_it if not reuse_tangent else max(newton_max_it, 40)
        self.reuse_tangent = reuse_tangent
        self.reuse_rate = reuse_rate
        self.reuse_max_age = reuse_max_age
        self._tangent_age: int | None = None
        self._Xcache: dict = {}
        self.tangent_refreshes = 0
        self.linear_solves = 0
        self.V = fem.functionspace(mesh, ("Lagrange", degree, (gdim,)))
        self.u = fem.Function(self.V, name="displacement")
        cell = mesh.basix_cell()
        qe_v = basix.ufl.quadrature_element(cell, value_shape=(self.m,), degree=quadrature_degree)
        qe_t = basix.ufl.quadrature_element(cell, value_shape=(self.m, self.m), degree=quadrature_degree)
        self.Qv = fem.functionspace(mesh, qe_v)
        self.Qt = fem.functionspace(mesh, qe_t)
        self.sig = fem.Function(self.Qv)
        self.Ct = fem.Function(self.Qt)
        self.dxq = ufl.Measure("dx", domain=mesh, metadata={"quadrature_degree": quadrature_degree, "quadrature_scheme": "default"})
        ds = ufl.Measure("ds", domain=mesh, subdomain_data=cm.facet_tags)
        x = ufl.SpatialCoordinate(mesh)
        w = x[0] if self.kind == "axisymmetric" else 1.0
        self.wfac = (2 * np.pi if self.kind == "axisymmetric" else 1.0) * cm.multiplier
        v, du = ufl.TestFunction(self.V), ufl.TrialFunction(self.V)
        n = ufl.FacetNormal(mesh)
        ev, edu = mandel_strain(v, self.kind), mandel_strain(du, self.kind)
        self.F_int = fem.form(ufl.dot(self.sig, ev) * w * self.dxq)
        self.J = fem.form(ufl.dot(ufl.dot(self.Ct, edu), ev) * w * self.dxq)
        # initial-stress and pressure loads
        S = fem.functionspace(mesh, ("Lagrange", degree))
        zc = gdim - 1
        self.plith_h = fem.Function(S)
        self.plith_h.interpolate(lambda X: np.asarray(p_lith(X[zc]), dtype=float) + 0 * X[0])
        nc = cm.n_caverns
        self.n_caverns = nc
        self.brine_gradient = np.asarray(brine_gradient, float)
        self.shoe_z = np.asarray(shoe_z, float)
        f0 = 0
        b_forms = []
        for i in range(nc):
            dsi = ds(WALL0 + i)
            hyd = self.brine_gradient[i] * (self.shoe_z[i] - x[zc])
            f0 = f0 + (self.plith_h - hyd) * ufl.dot(n, v) * w * dsi
            b_forms.append(fem.form(ufl.dot(n, v) * w * dsi))
        # Dirichlet rollers
        fdim = gdim - 1
        mesh.topology.create_connectivity(fdim, gdim)
        self.bcs = []
        for tag, comp in cm.fixed:
            facets = cm.facet_tags.find(tag)
            Vc = self.V.sub(comp)
            dofs = fem.locate_dofs_topological(Vc, fdim, facets)
            self.bcs.append(fem.dirichletbc(PETSc.ScalarType(0), dofs, Vc))
        from dolfinx.fem import petsc as fp

        self._fp = fp
        self.f0 = self._assemble_vec(fem.form(f0))
        self.b = [self._assemble_vec(bf) for bf in b_forms]
        self.A = fp.create_matrix(self.J)
        self.R = fp.create_vector(self.V)
        self.ksp = PETSc.KSP().create(self.comm)
        self.ksp.setOptionsPrefix(prefix)
        opts = PETSc.Options()
        if solver == "lu":
            opts[f"{prefix}ksp_type"] = "preonly"
            opts[f"{prefix}pc_type"] = "lu"
            opts[f"{prefix}pc_factor_mat_solver_type"] = "mumps"
        else:
            # the creep tangent is symmetric but nearly incompressible after long steps;
            # GMRES tolerates the indefinite GAMG preconditioner that CG rejects
            opts[f"{prefix}ksp_type"] = "gmres"
            opts[f"{prefix}ksp_gmres_restart"] = 150
            opts[f"{prefix}pc_type"] = "gamg"
            opts[f"{prefix}ksp_rtol"] = 1e-10
            opts[f"{prefix}ksp_max_it"] = 1000
            opts[f"{prefix}pc_gamg_threshold"] = 0.01
        self.ksp.setFromOptions()
        self.ksp.setOperators(self.A)
        self._solver = solver
        self._nullspace_set = False
        # integration points: coordinates, zones, material
        self.cells = np.arange(mesh.topology.index_map(gdim).size_local + mesh.topology.index_map(gdim).num_ghosts, dtype=np.int32)
        self.qpts = self.Qv.element.interpolation_points
        self.nq = self.qpts.shape[0]
        self._eps_expr = fem.Expression(mandel_strain(self.u, self.kind), self.qpts)
        X = fem.Expression(x, self.qpts).eval(mesh, self.cells).reshape(-1, gdim)
        self.X = X
        ct = cm.cell_tags
        zone_cell = np.zeros(self.cells.size, dtype=int)
        zone_cell[ct.indices] = ct.values - 1
        self.zone = np.repeat(zone_cell, self.nq)
        if self.zone.min() < 0 or self.zone.max() >= len(zone_laws):
            raise ValueError("mesh has a material zone without a law")
        self.T = np.asarray(temperature(X[:, zc]), dtype=float) * np.ones(X.shape[0])
        self.mat = PointMaterial.build(zone_laws, self.zone, self.T)
        self.p_lith_q = np.asarray(p_lith(X[:, zc]), dtype=float) * np.ones(X.shape[0])
        # thermal eigenstrain α ΔT 1 (set per step by set_temperature_change; None: none)
        self.alpha = np.array([float(getattr(L, "thermal_expansion", 0.0)) for L in zone_laws])[self.zone]
        self.eps_th: np.ndarray | None = None
        self._wall_dist: np.ndarray | None = None
        dm = self.Qv.dofmap.list
        self._qidx = dm[self.cells].reshape(-1)  # quadrature dof per (cell, point)
        N = self._qidx.size
        self.eN = np.zeros((N, self.m))
        self.eK = np.zeros((N, self.m))
        self.zeta = np.zeros(N)  # Munson–Dawson transient strain (zero where the law has none)
        self.u_ref = None  # displacement once the cavern exists (t = 0): the surface reference
        self.stress = np.zeros((N, self.m))
        self._trial = None
        self.V0 = np.asarray(cm.volumes, float)

    # -- helpers -----------------------------------------------------------------------
    def _assemble_vec(self, form):
        vec = self._fp.assemble_vector(form)
        vec.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
        self._fp.set_bc(vec, self.bcs)
        return vec

    def _set_q(self, func, values: np.ndarray):
        bs = func.function_space.dofmap.bs
        arr = func.x.array.reshape(-1, bs)
        arr[self._qidx] = values.reshape(self._qidx.size, bs)

    def strain(self) -> np.ndarray:
        vals = self._eps_expr.eval(self.cm.mesh, self.cells)
        return vals.reshape(-1, self.m)

    def volumes(self) -> np.ndarray:
        uvec = self.u.x.petsc_vec
        return np.array([self.V0[i] - self.wfac * b.dot(uvec) for i, b in enumerate(self.b)])

    def volume_balance(self, u_from: np.ndarray | None = None) -> dict:
        """Where the volume goes, for the displacement since ``u_from`` (an array like
        ``u.x.array``; default ``u_ref``, the state once the cavern exists, or the total when
        that is not set). The divergence theorem over the rock, ∫ div u dV = ∮ u·n dA, split
        by boundary (m³, the whole model: the axisymmetric 2π and a symmetry multiplier
        included; collective):

        - ``cavity_m3``: the caverns' volume change (−∮_wall u·n; negative = closure),
        - ``surface_m3``: ∫_top u_z, the model's whole surface bowl (negative = subsidence),
        - ``sides_m3``, ``base_m3``, ``symmetry_m3``: outward flux through the other boundaries
          (0 where rollers hold the normal displacement),
        - ``rock_m3``: ∫ div u, the rock's own volume change (elastic and thermal; creep keeps
          volume), so that surface = cavity + rock − sides − base − symmetry,
        - ``residual_m3``: rock − Σ fluxes − cavity term (quadrature; ~0).
        """
        import ufl
        from dolfinx import fem

        from subsidence.cavern.geometry import AXIS, BOTTOM, SIDE, SIDE_Y, SYM, TOP

        if not hasattr(self, "_balance"):
            mesh = self.cm.mesh
            du = fem.Function(self.V)
            x = ufl.SpatialCoordinate(mesh)
            n = ufl.FacetNormal(mesh)
            ds = ufl.Measure("ds", domain=mesh, subdomain_data=self.cm.facet_tags)
            if self.kind == "axisymmetric":  # r div u = r (∂r ur + ∂z uz) + ur
                w, divw = x[0], x[0] * (du[0].dx(0) + du[1].dx(1)) + du[0]
            else:
                w, divw = 1.0, ufl.div(du)
            present = set(np.concatenate(self.comm.allgather(np.unique(self.cm.facet_tags.values))).tolist())
            groups = {"surface": [TOP], "base": [BOTTOM], "sides": [SIDE, SIDE_Y], "symmetry": [AXIS, SYM],
                      "cavity": [WALL0 + i for i in range(self.n_caverns)]}
            forms = {"rock": fem.form(divw * self.dxq)}
            for name, tags in groups.items():
                tags = [t for t in tags if t in present]
                if tags:
                    forms[name] = fem.form(ufl.dot(du, n) * w * ds(tuple(tags)))
            self._balance = (du, forms)
        du, forms = self._balance
        ref = self.u_ref if u_from is None else u_from
        du.x.array[:] = self.u.x.array - (0.0 if ref is None else ref)
        val = {k: self.wfac * self.comm.allreduce(fem.assemble_scalar(f), op=MPI.SUM) for k, f in forms.items()}
        flux = {k: val.get(k, 0.0) for k in ("surface", "base", "sides", "symmetry", "cavity")}
        out = {"cavity_m3": -flux["cavity"], "surface_m3": flux["surface"], "sides_m3": flux["sides"],
               "base_m3": flux["base"], "symmetry_m3": flux["symmetry"], "rock_m3": val["rock"]}
        out["residual_m3"] = val["rock"] - sum(flux.values())
        return out

    def _set_nullspace(self):
        if self._solver == "lu" or self._nullspace_set:
            return
        from dolfinx import la

        V = self.V
        gdim = self.cm.gdim
        bs = V.dofmap.index_map_bs
        nloc = V.dofmap.index_map.size_local
        basis = [la.vector(V.dofmap.index_map, bs=bs) for _ in range(6)]
        b = [v.array for v in basis]
        dofs = [V.sub(i).dofmap.list.reshape(-1) for i in range(3)]
        x = V.tabulate_dof_coordinates()
        dofs_block = V.dofmap.list.reshape(-1)
        x0, x1, x2 = x[dofs_block, 0], x[dofs_block, 1], x[dofs_block, 2]
        for i in range(3):
            b[i][dofs[i]] = 1.0
        b[3][dofs[0]] = -x1
        b[3][dofs[1]] = x0
        b[4][dofs[0]] = x2
        b[4][dofs[2]] = -x0
        b[5][dofs[2]] = x1
        b[5][dofs[1]] = -x2
        la.orthonormalize(basis)
        vecs = [PETSc.Vec().createWithArray(v.array[: bs * nloc], bsize=gdim, comm=V.mesh.comm) for v in basis]
        self._ns = PETSc.NullSpace().create(vectors=vecs)
        self._ns_vecs = vecs
        self.A.setNearNullSpace(self._ns)
        self._nullspace_set = True

    # -- one implicit step -------------------------------------------------------------
    def _update_points(self, dt: float):
        eps = self.strain()
        if self.eps_th is not None:  # σ = C:(ε − ε_creep − α ΔT 1): the stress sees ε − α ΔT 1
            eps[:, :3] -= self.eps_th[:, None]
        up = update_stress(eps, self.eN, self.eK, dt, self.mat, zeta0=self.zeta)
        self._set_q(self.sig, up.stress)
        self._set_q(self.Ct, up.tangent)
        self.sig.x.scatter_forward()
        self.Ct.x.scatter_forward()
        self._trial = up

    def solve_step(
        self,
        dt: float,
        pressures: np.ndarray,
        free: np.ndarray,
        balance: Callable[[int, float, float], tuple[float, float, float]] | None = None,
    ) -> StepResult:
        """Advance by ``dt`` (0 = elastic). ``pressures``: given shoe pressures (initial
        guesses where ``free``); ``balance(i, P, V) -> (r, dr/dP, dr/dV)`` closes the free
        ones. Raises :class:`StepFailed` (state untouched) when Newton does not converge."""
        fp = self._fp
        P = np.array(pressures, dtype=float)
        free = np.asarray(free, dtype=bool)
        fidx = np.flatnonzero(free)
        u_save = self.u.x.array.copy()
        self._u_start = u_save
        uvec = self.u.x.petsc_vec
        du = self.A.createVecRight()
        x1 = self.A.createVecRight()
        X = [self.A.createVecRight() for _ in fidx]
        fext = self.f0.copy()
        for i in range(self.n_caverns):
            fext.axpy(-P[i], self.b[i])
        fscale = max(fext.norm(), self._thermal_load_norm(), 1e-30)
        du_norm = np.inf
        rprev = None
        for it in range(1, self.newton_max_it + 1):
            try:
                self._update_points(dt)
            except FloatingPointError as exc:
                self.u.x.array[:] = u_save
                raise StepFailed(str(exc)) from None
            with self.R.localForm() as loc:
                loc.set(0.0)
            fp.assemble_vector(self.R, self.F_int)
            self.R.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
            self.R.axpy(-1.0, self.f0)
            for i in range(self.n_caverns):
                self.R.axpy(P[i], self.b[i])
            fp.set_bc(self.R, self.bcs)
            rnorm = self.R.norm()
            Vi = self.volumes()
            rb = np.zeros(fidx.size)
            dRdP = np.zeros(fidx.size)
            dRdV = np.zeros(fidx.size)
            for k, i in enumerate(fidx):
                rb[k], dRdP[k], dRdV[k] = balance(int(i), float(P[i]), float(Vi[i]))
            conv_b = all(abs(rb[k]) <= 1e-13 * self.V0[i] for k, i in enumerate(fidx))
            small_du = it > 1 and du_norm <= 1e-12 * max(uvec.norm(), 1e-30) and rnorm <= 1e3 * self.newton_rtol * fscale
            if it > 1 and (rnorm <= self.newton_rtol * fscale or small_du) and conv_b:
                return StepResult(it - 1, P, Vi)
            if not np.isfinite(rnorm) or not np.all(np.isfinite(rb)):
                break
            # tangent refresh: always without reuse; with reuse when there is none yet,
            # when the last refresh is old or the residual no longer falls fast enough
            refresh = (
                not self.reuse_tangent
                or self._tangent_age is None
                or self._tangent_age >= self.reuse_max_age
                or (rprev is not None and rnorm > self.reuse_rate * rprev)
            )
            if refresh:
                self.A.zeroEntries()
                fp.assemble_matrix(self.A, self.J, bcs=self.bcs)
                self.A.assemble()
                self._set_nullspace()
                self.ksp.setOperators(self.A)
                self._tangent_age = 0
                self._Xcache = {}
                self.tangent_refreshes += 1
            self._tangent_age += 1
            rprev = rnorm
            self.ksp.solve(self.R, x1)
            self.linear_solves += 1
            if self.ksp.getConvergedReason() < 0:
                self._tangent_age = None
                break
            if fidx.size:
                for k, i in enumerate(fidx):
                    if int(i) not in self._Xcache:
                        Xi = self.A.createVecRight()
                        self.ksp.solve(self.b[i], Xi)
                        self.linear_solves += 1
                        self._Xcache[int(i)] = Xi
                    self._Xcache[int(i)].copy(X[k])
                # linearised balance: r + r_P dP + r_V (−m b_i·du) = 0, du = −x1 − Σ X_j dP_j
                M = np.diag(dRdP).astype(float)
                rhs = -rb.copy()
                for k, i in enumerate(fidx):
                    bi_x1 = self.b[i].dot(x1)
                    rhs[k] -= dRdV[k] * self.wfac * bi_x1
                    for j in range(fidx.size):
                        M[k, j] += dRdV[k] * self.wfac * self.b[i].dot(X[j])
                dP = np.linalg.solve(M, rhs)
                du.set(0.0)
                du.axpy(-1.0, x1)
                for k in range(fidx.size):
                    du.axpy(-dP[k], X[k])
                P[fidx] += dP
            else:
                du.set(0.0)
                du.axpy(-1.0, x1)
            uvec.axpy(1.0, du)
            du_norm = du.norm()
            self.u.x.scatter_forward()
        self.u.x.array[:] = u_save
        self.u.x.scatter_forward()
        self._tangent_age = None  # refresh next time
        raise StepFailed(f"Newton did not converge in {self.newton_max_it} iterations (|R|/|f| = {rnorm / fscale:.2e})")

    def reset_tangent(self):
        """Force a fresh tangent at the next iteration."""
        self._tangent_age = None

    def rollback(self):
        """Discard the last converged (but rejected) step."""
        self.u.x.array[:] = self._u_start
        self.u.x.scatter_forward()
        self._trial = None

    def commit(self):
        """Accept the last converged step: creep strains and stresses become the state."""
        up = self._trial
        self.eN, self.eK, self.stress, self.zeta = up.eN, up.eK, up.stress, up.zeta
        self._trial = None

    # -- thermal eigenstrain ------------------------------------------------------------
    def set_temperature_change(self, dT: np.ndarray | None) -> None:
        """Temperature change ΔT [K] from the initial state at the integration points (N,)
        for the next solves (None or all zero: no thermal strain; collective unless None). The eigenstrain is
        α ΔT 1 with each zone's ``thermal_expansion``; it is a load known in time, so the
        tangent, the bordered pressure coupling and the linear volume functional are
        unchanged."""
        if dT is None:
            self.eps_th = None
            return
        th = self.alpha * np.asarray(dT, float)
        # collective: every rank must take the same branch in solve_step (the load norm assembles)
        self.eps_th = th if self.comm.allreduce(bool(np.any(th != 0.0)), op=MPI.LOR) else None

    def _thermal_load_norm(self) -> float:
        """Norm of the nodal forces of the restrained thermal stress −3K α ΔT 1 (the thermal
        load's scale for the Newton tolerance, which otherwise only sees the pressure loads)."""
        if self.eps_th is None:
            return 0.0
        one = np.zeros(self.m)
        one[:3] = 1.0
        self._set_q(self.sig, np.outer(-3 * self.mat.K * self.eps_th, one))
        self.sig.x.scatter_forward()
        vec = self._assemble_vec(self.F_int)
        nrm = vec.norm()
        vec.destroy()
        return nrm

    def wall_distance(self) -> np.ndarray:
        """(N, n_caverns) distance of every integration point to each cavern's wall [m]
        (nearest of points sampled on the curved P2 wall facets, 32 per edge in 2D, 16 in 3D:
        off by ≈ s²/(2d) for a spacing s, h/150 at d = h/10 on a 3D cylinder wall; computed
        once, collective)."""
        if self._wall_dist is None:
            from scipy.spatial import cKDTree

            out = np.empty((self.X.shape[0], self.n_caverns))
            for i in range(self.n_caverns):
                pts = np.concatenate(self.comm.allgather(self._wall_samples(WALL0 + i)), axis=0)
                out[:, i] = cKDTree(pts).query(self.X)[0] if pts.shape[0] else np.inf
            self._wall_dist = out
        return self._wall_dist

    def wall_element_size(self, i: int) -> float:
        """Median edge length of cavern i's wall facets [m] (collective)."""
        from dolfinx.mesh import entities_to_geometry

        mesh = self.cm.mesh
        tdim = mesh.topology.dim
        facets = self.cm.facet_tags.find(WALL0 + i)
        lengths = np.zeros(0)
        if facets.size:
            nodes = entities_to_geometry(mesh, tdim - 1, facets.astype(np.int32))
            x = mesh.geometry.x[nodes[:, :tdim]]  # the facets' vertices
            lengths = np.linalg.norm(x[:, 1] - x[:, 0], axis=1)
        allv = np.concatenate(self.comm.allgather(lengths))
        return float(np.median(allv)) if allv.size else 0.0

    def _wall_samples(self, tag: int, k: int = 32) -> np.ndarray:
        from dolfinx.mesh import entities_to_geometry

        mesh = self.cm.mesh
        tdim = mesh.topology.dim
        facets = self.cm.facet_tags.find(tag)
        gdim = self.cm.gdim
        if facets.size == 0:
            return np.zeros((0, gdim))
        nodes = entities_to_geometry(mesh, tdim - 1, facets.astype(np.int32))
        x = mesh.geometry.x[:, :gdim][nodes]  # (nf, nodes per facet, gdim)
        if tdim == 2:
            s = np.linspace(0.0, 1.0, k + 1)
            if x.shape[1] == 3:  # P2 edge: vertices, then the mid-edge node
                N = np.column_stack([(1 - s) * (1 - 2 * s), s * (2 * s - 1), 4 * s * (1 - s)])
            else:
                N = np.column_stack([1 - s, s])
        else:
            k = max(k // 2, 4)  # 16 per edge: distance error ≈ (h/32)²/(2d), 1e-2 h at d = h/10
            ij = np.array([(i, j) for i in range(k + 1) for j in range(k + 1 - i)], float) / k
            l1, l2 = ij[:, 0], ij[:, 1]
            l0 = 1 - l1 - l2
            if x.shape[1] == 6:  # P2 triangle (basix): vertices, then mid-edges of (1,2), (0,2), (0,1)
                N = np.column_stack([l0 * (2 * l0 - 1), l1 * (2 * l1 - 1), l2 * (2 * l2 - 1), 4 * l1 * l2, 4 * l0 * l2, 4 * l0 * l1])
            else:
                N = np.column_stack([l0, l1, l2])
        return np.einsum("sk,fkd->fsd", N, x).reshape(-1, gdim)

    def set_wall_temperature_change(self, profiles) -> np.ndarray | None:
        """ΔT at the integration points from radial profiles around each cavern:
        ``profiles[i]`` is None or ``(a, r, dT)`` — ΔT(r) on a radial grid ``r`` (from the
        centre of cavern i's equivalent sphere of radius a, r[0] = a), applied at the
        distance d from the real wall as ΔT(a + d) (zero beyond the grid); the caverns'
        changes are summed. Sets and returns ΔT (None when no profile is given)."""
        if all(p is None for p in profiles):
            self.set_temperature_change(None)
            return None
        d = self.wall_distance()
        dT = np.zeros(self.X.shape[0])
        for i, p in enumerate(profiles):
            if p is None:
                continue
            a, r, T = p
            rr = a + d[:, i]
            near = rr < r[-1]
            dT[near] += np.interp(rr[near], r, T)
        self.set_temperature_change(dT)
        return dT

    # -- state for checkpoints ---------------------------------------------------------
    def get_state(self) -> dict:
        return {"u": self.u.x.array.copy(), "eN": self.eN.copy(), "eK": self.eK.copy(), "stress": self.stress.copy(),
                "zeta": self.zeta.copy(), "u_ref": None if self.u_ref is None else self.u_ref.copy()}

    def set_state(self, st: dict):
        self.u.x.array[:] = st["u"]
        self.u.x.scatter_forward()
        self.eN, self.eK, self.stress = st["eN"].copy(), st["eK"].copy(), st["stress"].copy()
        self.zeta = st["zeta"].copy() if "zeta" in st else np.zeros(self.eN.shape[0])
        self.u_ref = None if st.get("u_ref") is None else st["u_ref"].copy()
