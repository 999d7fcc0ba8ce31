"""Benchmark: 3D cluster of four caverns (2 × 2, 200 m apart), 50 years, one cavern
shut in, one on CBBO, two open (issue target: "well under an hour").

    .venv/bin/python benchmarks/cavern_cluster.py [--end 50] [--h-wall 25] [--solver lu]

Prints mesh size, wall time, steps, and per-cavern volume loss and final pressure.
"""

from __future__ import annotations

import argparse
import csv
import tempfile
import time
from pathlib import Path

from mpi4py import MPI


def cluster_case(*, end: float, h_wall: float, solver: str) -> dict:
    salt = {"A": "0.18 1/d", "n": 5, "Q": "54 kJ/mol"}

    def cav(name, x, y, ops=None):
        c = {"name": name, "x": x, "y": y, "top_depth": 1100, "bottom_depth": 1300, "radius": 30, "dome_height": 25}
        if ops:
            c["operation"] = ops
        return c

    return {
        "name": "benchmark: four-cavern cluster",
        "kind": "cavern",
        "geometry": {"type": "cluster", "extent": [-700, 700, -700, 700], "domain_depth": 2200,
                     "mesh_size_wall": h_wall, "mesh_size_far": 350},
        "layers": [
            {"name": "overburden", "bottom_depth": 600, "density": 2250, "youngs_modulus": "8 GPa", "poisson_ratio": 0.3},
            {"name": "salt", "bottom_depth": 2200, "density": 2160, "youngs_modulus": "25 GPa", "poisson_ratio": 0.3, "creep": salt},
        ],
        "caverns": [
            cav("A", -100, -100),
            cav("B", 100, -100, [{"mode": "open"}, {"mode": "shut_in", "start": 5}]),
            cav("C", -100, 100, [{"mode": "open"}, {"mode": "cbbo", "start": 5, "p_high_gradient": "0.017 MPa/m",
                                                   "p_low_gradient": "0.016 MPa/m", "rate": "100 m^3/d"}]),
            cav("D", 100, 100),
        ],
        "operation": [{"mode": "open"}],
        "time": {"end": end, "dt_max": 2, "growth": 1.6, "dp_max": "0.5 MPa"},
        "surface": {"n": 21},
        "solver": {"linear_solver": solver},
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--end", type=float, default=50.0)
    ap.add_argument("--h-wall", type=float, default=25.0)
    ap.add_argument("--solver", default="lu", choices=("lu", "iterative"))
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    comm = MPI.COMM_WORLD
    from subsidence.config import case_from_dict
    from subsidence.run import run_case

    case = case_from_dict(cluster_case(end=args.end, h_wall=args.h_wall, solver=args.solver), file="benchmarks/cavern_cluster.py")
    out = Path(args.out or comm.bcast(tempfile.mkdtemp(prefix="cavern_cluster_") if comm.rank == 0 else None)) / "run"
    t0 = time.perf_counter()
    summary = run_case(case, out, comm=comm)
    wall = time.perf_counter() - t0
    if comm.rank == 0:
        print(f"ranks={comm.size} solver={args.solver} dofs={summary['displacement_dofs']} "
              f"steps={summary['scenarios']['base']['steps']} wall={wall:.1f} s")
        for r in csv.DictReader(open(out / "scenarios.csv")):
            print(f"  {r['cavern']}: volume loss {float(r['volume_loss_pct']):.3f} %, max P {float(r['max_pressure_MPa']):.2f} MPa, "
                  f"releases {r['releases']}, min FS De Vries {float(r['min_fs_devries']):.2f}")
        print(f"  max subsidence {float(r['max_subsidence_mm']):.2f} mm")


if __name__ == "__main__":
    main()
