"""Benchmark: 3D elastic subsidence solve (CG + GAMG with rigid-body near-nullspace) under refinement.

A disc reservoir (R = 2 km, D = 3 km, H = 200 m) above a rigid base at 4.5 km, quarter
model 15 km × 15 km, graded gmsh tetrahedra; all element sizes are divided by the level's
factor. Prints DOFs, mesh/assembly/GAMG set-up/solve times, CG iterations (rtol 1e-8),
peak resident memory (sum over ranks), the centre-subsidence error against the exact
van Opstal disc, and the CPU seconds (max over ranks) of assembly + set-up and of the
solve — wall times on a machine shared with other jobs are larger by the inverse CPU share.

    .venv/bin/mpiexec -n 2 .venv/bin/python benchmarks/fem_elasticity.py            # all levels
    .venv/bin/mpiexec -n 2 .venv/bin/python benchmarks/fem_elasticity.py --levels 1 2 --degree 1
"""

from __future__ import annotations

import argparse
import resource
import time

from mpi4py import MPI

import numpy as np

from subsidence.fem.elastic import ElasticModel
from subsidence.fem.materials import Material
from subsidence.fem.sampling import evaluate
from subsidence.mesh.builder import Domain, Sizes, build
from subsidence.mesh.shapes import DiscVolume, Slab

R, D, H, C, NU, K = 2000.0, 3000.0, 200.0, 0.1, 0.25, 4500.0


def level(comm, factor: float, degree: int, solver: str) -> dict:
    t0 = time.perf_counter()
    built = build(comm, mode="3d", domain=Domain(0.0, 15000.0, K, 0.0, 15000.0), slabs=[Slab("rock", 0.0, K)],
                  reservoirs=[DiscVolume("res", (0.0, 0.0), R, D - H / 2, D + H / 2)],
                  sizes=Sizes(250.0 / factor, 250.0 / factor, 2500.0 / factor, 3000.0, surface_zone=3000.0))
    mesh_s = time.perf_counter() - t0
    mat = Material(E=1e10, nu=NU)
    cm = (1 + NU) * (1 - 2 * NU) / (mat.E * (1 - NU))
    t0, c0 = time.perf_counter(), time.process_time()
    model = ElasticModel(built, {1: mat, 200: mat}, degree=degree, base="fixed", solver=solver, rtol=1e-8,
                         prefix=f"bench{factor}_")
    build_s = time.perf_counter() - t0
    c1 = time.process_time()
    model.solve({200: -C / (cm * H)})
    c2 = time.process_time()
    uz0 = evaluate(model.u, np.zeros((1, 3)))[0, 2]
    from subsidence.analytic.disc import disc_surface

    ref = disc_surface(np.array([0.0]), R, D, C, NU, basement_depth=K)[0][0]
    rss = comm.allreduce(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0)  # MiB, Linux kB
    s = model.stats
    out = {"factor": factor, "cells": built.mesh.topology.index_map(3).size_global, "dofs": s.dofs,
           "mesh_s": mesh_s, "assembly_s": s.assembly_s, "setup_s": s.setup_s, "solve_s": s.solve_s,
           "its": s.iterations[-1], "peak_mem_MiB": rss, "uz0_err": uz0 / ref - 1, "build_s": build_s,
           # CPU seconds (max over ranks): what the phases cost when the cores are shared with other jobs
           "cpu_build_s": comm.allreduce(c1 - c0, op=MPI.MAX), "cpu_solve_s": comm.allreduce(c2 - c1, op=MPI.MAX)}
    model.solver.destroy()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--levels", type=float, nargs="+", default=[1.0, 1.6, 2.5, 3.6])
    ap.add_argument("--degree", type=int, default=2)
    ap.add_argument("--solver", default="gamg")
    a = ap.parse_args()
    comm = MPI.COMM_WORLD
    rows = []
    head = (f"{'factor':>6} {'cells':>9} {'DOFs':>9} {'mesh s':>7} {'assem s':>7} {'setup s':>7} {'solve s':>7} "
            f"{'its':>4} {'mem MiB':>8} {'uz0 err':>8} {'cpu asm+setup':>13} {'cpu solve':>9}")
    if comm.rank == 0:
        print(f"P{a.degree} elasticity, {a.solver}, {comm.size} rank(s)\n{head}", flush=True)
    for f in a.levels:
        r = level(comm, f, a.degree, a.solver)
        rows.append(r)
        if comm.rank == 0:
            print(f"{r['factor']:6.2f} {r['cells']:9d} {r['dofs']:9d} {r['mesh_s']:7.1f} {r['assembly_s']:7.1f} "
                  f"{r['setup_s']:7.1f} {r['solve_s']:7.1f} {r['its']:4d} {r['peak_mem_MiB']:8.0f} "
                  f"{100 * r['uz0_err']:7.3f}% {r['cpu_build_s']:13.1f} {r['cpu_solve_s']:9.1f}", flush=True)


if __name__ == "__main__":
    main()
