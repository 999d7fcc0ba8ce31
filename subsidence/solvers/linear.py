"""PETSc presets for the FE systems.

- ``gamg``: conjugate gradients + smoothed-aggregation AMG (PETSc GAMG) with the rigid-body
  near-nullspace attached to the matrix — the scalable choice for 3D elasticity (the
  dolfinx wheel has no hypre).
- ``mumps``: direct LU (MUMPS) — robust for small and 2D problems and for the indefinite
  monolithic Biot system.
- ``auto``: mumps below ``AUTO_DIRECT_DOFS`` global DOFs, gamg above.
"""

from __future__ import annotations

import dataclasses
import time

from petsc4py import PETSc

import numpy as np

AUTO_DIRECT_DOFS = 60_000
FALLBACK_DIRECT_DOFS = 400_000  # an iterative solve that fails is retried with MUMPS up to this size
PRESETS = ("auto", "gamg", "mumps")


def options(preset: str, *, rtol: float = 1e-10, gdim: int = 3) -> dict:
    if preset == "mumps":
        return {"ksp_type": "preonly", "pc_type": "lu", "pc_factor_mat_solver_type": "mumps",
                "mat_mumps_icntl_14": 80, "mat_mumps_icntl_24": 1}
    if preset == "gamg":
        # divtol off: with a warm start the initial residual can be tiny and round-off would trip it
        return {"ksp_type": "cg", "ksp_rtol": rtol, "ksp_atol": 1e-30, "ksp_max_it": 1000, "ksp_divtol": 1e30,
                "ksp_norm_type": "unpreconditioned",
                "pc_type": "gamg", "pc_gamg_type": "agg", "pc_gamg_agg_nsmooths": 1,
                # threshold 0 (drop only zeros): the cheapest set-up for P1/P2 elasticity on 2 cores
                "pc_gamg_threshold": 0.0,
                "pc_gamg_coarse_eq_limit": 1000, "mg_levels_ksp_type": "chebyshev",
                # Chebyshev's eigenvalue bounds come from the smoothed-aggregation estimate
                # (pc_gamg_use_sa_esteig), so no esteig options: they were never used
                "mg_levels_pc_type": "jacobi", "mg_levels_ksp_max_it": 2}
    if preset == "cg-jacobi":
        return {"ksp_type": "cg", "ksp_rtol": rtol, "pc_type": "jacobi", "ksp_max_it": 20000}
    raise ValueError(f"unknown solver preset {preset!r}")


def resolve(preset: str, ndofs: int) -> str:
    if preset == "auto":
        return "mumps" if ndofs <= AUTO_DIRECT_DOFS else "gamg"
    return preset


def rigid_body_modes(V) -> PETSc.NullSpace:
    """Orthonormalised rigid-body modes of a vector Lagrange space (3 in 2D, 6 in 3D)."""
    from dolfinx import la

    gdim = V.mesh.geometry.dim
    bs = V.dofmap.index_map_bs
    n_local = V.dofmap.index_map.size_local
    x = V.tabulate_dof_coordinates()[:n_local]
    nmodes = 6 if gdim == 3 else 3
    basis = [la.vector(V.dofmap.index_map, bs=bs, dtype=PETSc.ScalarType) for _ in range(nmodes)]
    b = [v.array for v in basis]
    # the component dofs of a blocked space are bs*node + i
    nodes = np.arange(n_local)
    for i in range(gdim):
        b[i][nodes * bs + i] = 1.0
    if gdim == 3:
        b[3][nodes * bs + 0] = -x[:, 1]
        b[3][nodes * bs + 1] = x[:, 0]
        b[4][nodes * bs + 0] = x[:, 2]
        b[4][nodes * bs + 2] = -x[:, 0]
        b[5][nodes * bs + 2] = x[:, 1]
        b[5][nodes * bs + 1] = -x[:, 2]
    else:
        b[2][nodes * bs + 0] = -x[:, 1]
        b[2][nodes * bs + 1] = x[:, 0]
    la.orthonormalize(basis)
    vecs = [PETSc.Vec().createWithArray(v.array[: n_local * bs], bsize=bs, comm=V.mesh.comm) for v in basis]
    return PETSc.NullSpace().create(vectors=vecs, comm=V.mesh.comm)


@dataclasses.dataclass
class SolveStats:
    dofs: int = 0
    assembly_s: float = 0.0
    setup_s: float = 0.0
    solve_s: float = 0.0
    iterations: list = dataclasses.field(default_factory=list)
    preset: str = ""

    def as_dict(self) -> dict:
        return {"dofs": self.dofs, "assembly_s": round(self.assembly_s, 3), "setup_s": round(self.setup_s, 3),
                "solve_s": round(self.solve_s, 3), "iterations": list(self.iterations), "solver": self.preset}


class LinearSolver:
    """Assemble a (fixed) matrix once, set up the preconditioner once, solve many right-hand sides."""

    def __init__(self, a, bcs, *, prefix: str, preset: str = "auto", rtol: float = 1e-10,
                 near_nullspace_space=None, stats: SolveStats | None = None, petsc_options: dict | None = None):
        """``petsc_options`` (without the prefix) are applied over the preset's (benchmarks, tuning)."""
        from dolfinx.fem import form
        from dolfinx.fem.petsc import assemble_matrix

        self.stats = stats or SolveStats()
        self.a = form(a)
        self.bcs = bcs
        V0 = self.a.function_spaces[0]
        ndofs = V0.dofmap.index_map.size_global * V0.dofmap.index_map_bs
        self.stats.dofs = ndofs
        self.preset = resolve(preset, ndofs)
        self.stats.preset = self.preset
        comm = V0.mesh.comm
        t0 = time.perf_counter()
        self.A = assemble_matrix(self.a, bcs=bcs)
        self.A.assemble()
        if self.preset == "gamg" and near_nullspace_space is not None:
            self.A.setNearNullSpace(rigid_body_modes(near_nullspace_space))
        self.stats.assembly_s += time.perf_counter() - t0
        self.prefix, self.rtol, self.gdim = prefix, rtol, V0.mesh.geometry.dim
        self.petsc_options = dict(petsc_options or {})
        self.ksp = self._make_ksp(comm)

    def _make_ksp(self, comm):
        ksp = PETSc.KSP().create(comm)
        ksp.setOptionsPrefix(self.prefix)
        opts = PETSc.Options()
        preset_opts = options(self.preset, rtol=self.rtol, gdim=self.gdim)
        if self.preset != "mumps":  # the direct fallback ignores iterative tuning
            preset_opts.update(self.petsc_options)
        for k, v in preset_opts.items():
            opts[f"{self.prefix}{k}"] = v
        ksp.setOperators(self.A)
        ksp.setFromOptions()
        # The matrix never changes (one set-up per solver), so the data PETSc keeps on each coarse
        # operator and prolongator to recompute the Galerkin products (P^T A P, A P) can go once they
        # are computed: in parallel it is the larger part of the hierarchy (measured: 2 ranks, 398 k
        # DOFs, 805 -> 567 MiB per rank after set-up, same set-up time and iterations). Global
        # option: GAMG's products inherit no prefix. A value the user set is left alone.
        clear = self.preset == "gamg" and not opts.hasName("mat_product_clear")
        if clear:
            opts["mat_product_clear"] = 1
        t0 = time.perf_counter()
        try:
            # the options stay until set-up: GAMG reads its level smoothers' (mg_levels_*) options
            # when it builds the hierarchy in setUp, not in setFromOptions
            ksp.setUp()
        finally:
            for k in preset_opts:
                del opts[f"{self.prefix}{k}"]
            if clear:
                del opts["mat_product_clear"]
        self.stats.setup_s += time.perf_counter() - t0
        return ksp

    def solve(self, L, u, *, initial_guess: bool = False) -> int:
        """Solve a u = L with the solver's Dirichlet conditions; returns the iteration count."""
        from dolfinx.fem import form
        from dolfinx.fem.petsc import apply_lifting, assemble_vector, set_bc

        t0 = time.perf_counter()
        Lf = L if hasattr(L, "function_spaces") else form(L)
        b = assemble_vector(Lf)
        apply_lifting(b, [self.a], bcs=[self.bcs])
        b.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
        set_bc(b, self.bcs)
        self.stats.assembly_s += time.perf_counter() - t0
        t0 = time.perf_counter()
        self.ksp.setInitialGuessNonzero(initial_guess and self.preset != "mumps")
        self.ksp.solve(b, u.x.petsc_vec)
        reason = self.ksp.getConvergedReason()
        if reason < 0 and self.preset != "mumps" and self.stats.dofs <= FALLBACK_DIRECT_DOFS:
            from subsidence.log import get_logger

            get_logger("solvers").warning("%s did not converge (reason %d); falling back to MUMPS", self.preset, reason)
            self.ksp.destroy()
            self.preset = self.stats.preset = "mumps"
            self.ksp = self._make_ksp(self.A.getComm())
            self.ksp.solve(b, u.x.petsc_vec)
            reason = self.ksp.getConvergedReason()
        u.x.scatter_forward()
        self.stats.solve_s += time.perf_counter() - t0
        b.destroy()
        if reason < 0:
            raise RuntimeError(f"linear solver ({self.preset}) did not converge: reason {reason}")
        its = self.ksp.getIterationNumber()
        self.stats.iterations.append(int(its))
        return its

    def destroy(self):
        self.ksp.destroy()
        self.A.destroy()
