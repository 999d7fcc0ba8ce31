"""Benchmark: GAMG set-up options on the scaling model (P2 quarter disc), one run per variant.

Each variant is one ``benchmarks/fem_scaling.py`` worker run (``mpiexec -n RANKS``) with
PETSc options over the toolkit's ``gamg`` preset (``subsidence/solvers/linear.py``), on the
same mesh. Printed per variant: GAMG set-up and solve wall seconds, CG iterations, the CPU
seconds (max over ranks) of building the model (spaces, forms, matrix, set-up: the set-up
is what differs) and of the solve, the resident set after the set-up and its peak per rank,
the second solve (next output time: same hierarchy, warm start) and the centre-subsidence
error against van Opstal. ``--repeat`` runs the list that many times (interleaved), so
that a shared machine's load changes hit all variants alike; the table gives the median.

    .venv/bin/python benchmarks/fem_gamg_options.py                      # the built-in variants, 2 ranks
    .venv/bin/python benchmarks/fem_gamg_options.py --variant "thr0.01: pc_gamg_threshold=0.01"

Not a timed test.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fem_scaling  # noqa: E402

VARIANTS = [  # name: PETSc options over the preset (empty: the preset itself)
    "preset:",
    "threshold 0.01: pc_gamg_threshold=0.01",
    "threshold -1: pc_gamg_threshold=-1",
    "1 smoothing step: mg_levels_ksp_max_it=1",
    "3 smoothing steps: mg_levels_ksp_max_it=3",
    "no aggressive coarsening: pc_gamg_aggressive_coarsening=0",
    "unsmoothed aggregation: pc_gamg_agg_nsmooths=0",
    "coarse limit 5000: pc_gamg_coarse_eq_limit=5000",
]


def parse(v: str) -> tuple[str, list[str]]:
    name, _, opts = v.partition(":")
    return name.strip(), opts.split()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ranks", type=int, default=2)
    ap.add_argument("--dofs", type=float, default=250e3)
    ap.add_argument("--refine", type=int, default=1)
    ap.add_argument("--degree", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--variant", action="append", default=None, metavar="'NAME: KEY=VALUE ...'")
    ap.add_argument("--json", default="fem_gamg_options.json")
    ap.add_argument("--mpiexec", default=None)
    a = ap.parse_args()
    variants = [parse(v) for v in (a.variant or VARIANTS)]
    factor, n = fem_scaling.factor_for(a.dofs, a.refine, a.degree)
    m = fem_scaling.machine()
    print(f"machine: {m['host']}, {m['cpu']}, {m['cores']} cores; {a.ranks} ranks; {n:,} DOFs (P{a.degree}, "
          f"gmsh mesh refined {a.refine}x)", flush=True)
    runs: dict[str, list[dict]] = {name: [] for name, _ in variants}
    for _ in range(a.repeat):
        for name, opts in variants:
            ns = argparse.Namespace(mpiexec=a.mpiexec, refine=a.refine, degree=a.degree, petsc=opts)
            row = fem_scaling.run_one(a.ranks, factor, ns)
            row["variant"] = name
            runs[name].append(row)
            print(f"  {name}: set-up {row['setup_s']:.1f} s, solve {row['solve_s']:.1f} s, {row['its']} its, "
                  f"load {row['load_before']:.1f}", flush=True)
    keys = ["setup_s", "solve_s", "its", "cpu_model_s", "cpu_solve_s", "rss_mib_model", "peak_rss_mib_max",
            "second_solve_s", "second_its", "uz0_error", "load_before"]
    head = ("| variant | PETSc options | set-up s | solve s | its | set-up + solve s | CPU model s | CPU solve s | "
            "RSS after set-up MiB/rank | peak MiB/rank | next time s (its) | uz(0) error | load |")
    lines = [head, "|---|---|" + "---:|" * 11]
    for name, opts in variants:
        med = {k: float(np.median([r[k] for r in runs[name]])) for k in keys}
        lines.append(f"| {name} | {' '.join(opts) or '—'} | {med['setup_s']:.1f} | {med['solve_s']:.1f} | "
                     f"{med['its']:.0f} | {med['setup_s'] + med['solve_s']:.1f} | {med['cpu_model_s']:.1f} | "
                     f"{med['cpu_solve_s']:.1f} | {med['rss_mib_model']:,.0f} | {med['peak_rss_mib_max']:,.0f} | "
                     f"{med['second_solve_s']:.1f} ({med['second_its']:.0f}) | {100 * med['uz0_error']:+.3f} % | "
                     f"{med['load_before']:.1f} |")
    print("\n" + "\n".join(lines))
    Path(a.json).write_text(json.dumps({"machine": m, "ranks": a.ranks, "dofs": n, "factor": factor,
                                        "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "runs": runs}, indent=1))
    print(f"numbers: {a.json}")


if __name__ == "__main__":
    main()
