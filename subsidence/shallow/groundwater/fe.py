"""Transient FE model of the vertical cross-section between two parallel ditches (dolfinx).

Half a parcel by symmetry: x in [0, L/2] (ditch at x = 0, water divide at L/2), z from the
base of the layers up to a reference level z_ref (the linearised phreatic surface, the
classic small-fluctuation treatment of a free surface). In the saturated domain
div(K grad h) = 0 with layered anisotropic K = diag(kh, kv); boundary conditions:

- top (z = z_ref): phreatic storage and recharge, ``dS(h)/dt = P - kc E f(h_n) - R(h)``
  with the layered storage S (specific yield per layer, ponding above the surface), the
  depth-dependent evapotranspiration reduction f taken at the previous step and runoff R;
- ditch (x = 0, ditch bottom < z < z_ref): outflow ``(h - h_d)/c_e`` through the bed
  resistance c_e (infiltration when the ditch is higher);
- base: seepage ``(phi - h)/c`` from the aquifer head phi through the aquitard resistance c
  (no flow when the parcel has no seepage); elsewhere no flow (symmetry).

Backward Euler in time, Newton (PETSc SNES) with a direct solver. All parameters are
``fem.Constant`` so that one compiled form serves every parcel with the same number of
layers. Works on any communicator; the scalars it reports are the same on every rank.
"""

from __future__ import annotations

import itertools

import numpy as np

from subsidence.log import Progress
from subsidence.shallow.groundwater.forcing_steps import GroundwaterResult, check_inputs
from subsidence.shallow.groundwater.parcel import SMOOTH, Parcel

_COUNTER = itertools.count()
TOP, DITCH, BOTTOM = 1, 2, 3


class CrossSectionGroundwater:
    def __init__(self, parcel: Parcel, *, comm, reference_level: float | None = None, nx: int = 24,
                 dz_target: float = 0.5, grading: float = 1.6, dt: float = 86400.0):
        from mpi4py import MPI  # noqa: F401  (MPI before dolfinx)

        import dolfinx
        import dolfinx.fem.petsc
        import ufl
        from dolfinx import fem, mesh

        p = parcel
        self.parcel, self.comm, self.dt = p, comm, dt
        z_ref = p.surface - p.ditch_depth / 2 if reference_level is None else reference_level
        if not (p.ditch_bottom < z_ref <= p.surface):
            raise ValueError("reference_level must lie between the ditch bottom and the surface")
        self.z_ref = z_ref
        half = p.spacing / 2
        # vertical nodes: layer interfaces and the ditch bottom are mesh lines
        cand = sorted({p.base, z_ref, p.ditch_bottom} | {b for b, _, _ in p.layer_bounds() if p.base < b < z_ref})
        breaks = [cand[0]]
        for zb in cand[1:]:
            if zb - breaks[-1] > 1e-3:  # merge levels closer than a millimetre
                breaks.append(zb)
        breaks[-1] = z_ref
        znodes = [breaks[0]]
        for lo, hi in itertools.pairwise(breaks):
            # the ditch bank (ditch bottom to z_ref) is where the flow converges: finer there
            dz = dz_target / 4 if lo >= p.ditch_bottom - 1e-9 else dz_target
            n = max(1, int(round((hi - lo) / dz)))
            znodes += list(lo + (hi - lo) * np.arange(1, n + 1) / n)
        znodes = np.array(znodes)
        nz = znodes.size - 1
        msh = mesh.create_rectangle(comm, [np.array([0.0, 0.0]), np.array([1.0, 1.0])], [nx, nz], mesh.CellType.triangle)
        g = msh.geometry.x
        zeta = np.clip(g[:, 1], 0.0, 1.0)
        g[:, 1] = np.interp(zeta, np.linspace(0.0, 1.0, nz + 1), znodes)
        g[:, 0] = half * np.clip(g[:, 0], 0.0, 1.0) ** grading
        self.mesh = msh
        tdim = msh.topology.dim
        msh.topology.create_connectivity(tdim - 1, tdim)
        tol = 1e-8 * max(1.0, half)
        top = mesh.locate_entities_boundary(msh, tdim - 1, lambda x: np.isclose(x[1], z_ref, atol=tol))
        bot = mesh.locate_entities_boundary(msh, tdim - 1, lambda x: np.isclose(x[1], p.base, atol=tol))
        ditch = mesh.locate_entities_boundary(
            msh, tdim - 1, lambda x: np.isclose(x[0], 0.0, atol=tol) & (x[1] >= p.ditch_bottom - 2e-3))
        facets = np.concatenate([top, ditch, bot])
        values = np.concatenate([np.full(top.size, TOP), np.full(ditch.size, DITCH), np.full(bot.size, BOTTOM)]).astype(np.int32)
        order = np.argsort(facets)
        tags = mesh.meshtags(msh, tdim - 1, facets[order], values[order])
        ds = ufl.Measure("ds", domain=msh, subdomain_data=tags)
        dx = ufl.Measure("dx", domain=msh)

        # layered conductivity, one value per cell
        q = fem.functionspace(msh, ("DG", 0))
        ncell = msh.topology.index_map(tdim).size_local + msh.topology.index_map(tdim).num_ghosts
        mid = mesh.compute_midpoints(msh, tdim, np.arange(ncell, dtype=np.int32))
        kx, kz = fem.Function(q), fem.Function(q)
        bounds = p.layer_bounds()
        lay = np.zeros(ncell, dtype=int)
        for i, (b, _, _) in enumerate(bounds):
            lay[mid[:, 1] < bounds[i][1]] = i
        dofs = np.array([q.dofmap.cell_dofs(c)[0] for c in range(ncell)])
        kx.x.array[dofs] = [bounds[i][2].kh for i in lay]
        kz.x.array[dofs] = [bounds[i][2].kv for i in lay]

        v_space = fem.functionspace(msh, ("Lagrange", 1))
        self.h, self.h_n = fem.Function(v_space), fem.Function(v_space)
        v = ufl.TestFunction(v_space)
        c = lambda val: fem.Constant(msh, dolfinx.default_scalar_type(val))  # noqa: E731
        self.k_dt, self.k_p, self.k_e, self.k_hd, self.k_phi = c(dt), c(0.0), c(0.0), c(0.0), c(0.0)
        inv_c = c(1.0 / p.aquitard_resistance if p.seepage else 0.0)
        self.k_inv_c = inv_c
        lay_c = [(c(b), c(t), c(L.specific_yield)) for b, t, L in bounds]
        surf, ce, kc, rr = c(p.surface), c(p.entry_resistance), c(p.crop_factor), c(p.runoff_resistance)
        d1, d2, fmin = c(p.et_depths[0]), c(p.et_depths[1]), c(p.et_min_factor)

        def softplus(x):
            return ufl.max_value(x, 0.0) + SMOOTH * ufl.ln(1.0 + ufl.exp(-abs(x) / SMOOTH))

        def storage(hh):
            s = softplus(hh - surf)
            for b, t, sy in lay_c:
                s = s + sy * (softplus(hh - b) - softplus(hh - t))
            return s

        depth = surf - self.h_n
        f_et = ufl.max_value(fmin, ufl.min_value(1.0, 1.0 - (1.0 - fmin) * (depth - d1) / (d2 - d1)))
        et = kc * self.k_e * f_et
        runoff = softplus(self.h - surf) / rr
        h = self.h
        kmat = ufl.as_matrix([[kx, 0], [0, kz]])
        F = (ufl.inner(kmat * ufl.grad(h), ufl.grad(v)) * dx
             + ((storage(h) - storage(self.h_n)) / self.k_dt - self.k_p + et + runoff) * v * ds(TOP)
             + (h - self.k_hd) / ce * v * ds(DITCH)
             - (self.k_phi - h) * inv_c * v * ds(BOTTOM))
        prefix = f"shallow_gw_{next(_COUNTER)}_"
        opts = {"snes_type": "newtonls", "snes_linesearch_type": "basic", "snes_rtol": 1e-10, "snes_atol": 1e-14,
                "snes_stol": 0.0, "snes_max_it": 40, "ksp_type": "preonly", "pc_type": "lu",
                "pc_factor_mat_solver_type": "mumps" if comm.size > 1 else "petsc"}
        self.problem = fem.petsc.NonlinearProblem(F, self.h, petsc_options_prefix=prefix, petsc_options=opts)
        form = fem.form
        self.scalars = {
            "evapotranspiration": form(et * ds(TOP)),
            "seepage": form((self.k_phi - h) * inv_c * ds(BOTTOM)),
            "drainage": form((h - self.k_hd) / ce * ds(DITCH)),
            "runoff": form(runoff * ds(TOP)),
            "storage": form(storage(h) * ds(TOP)),
            "mean": form(h * ds(TOP)),
        }
        self.half = half
        xdof = v_space.tabulate_dof_coordinates()
        nown = v_space.dofmap.index_map.size_local
        near = np.where(np.isclose(xdof[:nown, 0], half, atol=tol) & np.isclose(xdof[:nown, 1], z_ref, atol=tol))[0]
        self._mid_dof = int(near[0]) if near.size else -1
        self.ndofs = v_space.dofmap.index_map.size_global

    def _scalar(self, name: str) -> float:
        return float(self._scalars((name,))[0])

    def _scalars(self, names) -> np.ndarray:
        """Several integrals with one reduction."""
        from mpi4py import MPI

        from dolfinx import fem

        local = np.array([fem.assemble_scalar(self.scalars[n]) for n in names], dtype=float)
        out = np.empty_like(local)
        self.comm.Allreduce(local, out, op=MPI.SUM)
        return out

    def _mid(self) -> float:
        from mpi4py import MPI

        val = self.h.x.array[self._mid_dof] if self._mid_dof >= 0 else -np.inf
        return self.comm.allreduce(val, op=MPI.MAX)

    def steady(self, *, recharge: float, ditch_level: float, aquifer_head: float | None = None) -> tuple[float, float]:
        """Steady parcel-mean and mid-parcel level for a constant recharge (m/s), no evaporation."""
        p = self.parcel
        self.h.x.array[:] = ditch_level
        self.h_n.x.array[:] = ditch_level
        self.k_p.value, self.k_e.value, self.k_hd.value = recharge, 0.0, ditch_level
        self.k_phi.value = (p.aquifer_head if aquifer_head is None else aquifer_head) if p.seepage else 0.0
        self.k_dt.value = 1e15  # storage term vanishes
        try:
            self.problem.solve()
            if self.problem.solver.getConvergedReason() <= 0:
                raise RuntimeError("groundwater FE: steady solve did not converge")
            self.h.x.scatter_forward()
        finally:
            self.k_dt.value = self.dt
        return self._scalar("mean") / self.half, self._mid()

    def run(self, precip, evap, ditch_level, *, aquifer_head=None, initial=None) -> GroundwaterResult:
        """Same interface as :meth:`LumpedGroundwater.run`; a batch of ditch-level series runs
        one after the other (the mesh and compiled forms are reused)."""
        p = self.parcel
        precip, evap, hd, phi = check_inputs(precip, evap, ditch_level, aquifer_head)
        if phi is None and p.seepage:
            phi = np.full(hd.shape, p.aquifer_head)
        nd, nb = precip.size, hd.shape[1]
        mean, mid = np.zeros((nd + 1, nb)), np.zeros((nd + 1, nb))
        terms = {k: np.zeros((nd + 1, nb)) for k in ("precipitation", "evapotranspiration", "seepage", "drainage", "runoff", "storage")}
        width = self.half
        progress = Progress(f"groundwater (FE, {nb} parcel(s))", nb * nd, comm=self.comm, unit="step")
        for j in range(nb):
            h0 = hd[0, j] if initial is None else float(np.broadcast_to(initial, (nb,))[j])
            self.h.x.array[:] = h0
            self.h_n.x.array[:] = h0
            s0 = self._scalar("storage")
            mean[0, j] = self._scalar("mean") / width
            mid[0, j] = self._mid()
            for i in range(nd):
                self.k_p.value = precip[i]
                self.k_e.value = evap[i]
                self.k_hd.value = hd[i + 1, j]
                self.k_phi.value = phi[i + 1, j] if phi is not None else 0.0
                et = self._scalar("evapotranspiration")  # uses h_n only
                self.problem.solve()
                reason = self.problem.solver.getConvergedReason()
                if reason <= 0:
                    raise RuntimeError(f"groundwater FE: SNES did not converge (reason {reason}) at step {i}")
                self.h.x.scatter_forward()
                c = terms
                seep, drain, run, stor, hsum = self._scalars(("seepage", "drainage", "runoff", "storage", "mean"))
                c["precipitation"][i + 1, j] = c["precipitation"][i, j] + self.dt * precip[i]
                c["evapotranspiration"][i + 1, j] = c["evapotranspiration"][i, j] + self.dt * et / width
                for name, val in (("seepage", seep), ("drainage", drain), ("runoff", run)):
                    c[name][i + 1, j] = c[name][i, j] + self.dt * val / width
                c["storage"][i + 1, j] = (stor - s0) / width
                mean[i + 1, j] = hsum / width
                mid[i + 1, j] = self._mid()
                self.h_n.x.array[:] = self.h.x.array
                progress.update()
        progress.close()
        return GroundwaterResult(times=np.arange(nd + 1) * self.dt, mean=mean, mid=mid, balance=terms)
