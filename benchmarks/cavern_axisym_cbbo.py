"""Benchmark: 100-year axisymmetric CBBO scenario of a 1 Mm³ Zechstein cavern with at
least a dozen bleed-off cycles (issue target: "minutes").

    .venv/bin/python benchmarks/cavern_axisym_cbbo.py [--out DIR]
    .venv/bin/mpiexec -n 2 .venv/bin/python benchmarks/cavern_axisym_cbbo.py

Uses cases/cavern_zechstein_deep.toml with a narrower, lower CBBO band (0.0180 → 0.0175 MPa/m
at the shoe) so that releases are frequent. Prints wall time, steps and releases.
"""

from __future__ import annotations

import argparse
import csv
import tempfile
import time
import tomllib
from pathlib import Path

from mpi4py import MPI

ROOT = Path(__file__).resolve().parents[1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    comm = MPI.COMM_WORLD
    from subsidence.config import case_from_dict
    from subsidence.run import run_case

    path = ROOT / "cases" / "cavern_zechstein_deep.toml"
    data = tomllib.loads(path.read_text())
    data["name"] = "benchmark: 100 yr CBBO, narrow band"
    data["operation"][1].update(p_high_gradient="0.0180 MPa/m", p_low_gradient="0.0175 MPa/m", rate="100 m^3/d")
    data["time"]["end"] = 100
    case = case_from_dict(data, file=path)
    out = Path(args.out or comm.bcast(tempfile.mkdtemp(prefix="cavern_bench_") if comm.rank == 0 else None)) / "run"
    t0 = time.perf_counter()
    summary = run_case(case, out, comm=comm)
    wall = time.perf_counter() - t0
    if comm.rank == 0:
        rows = list(csv.DictReader(open(out / "scenarios.csv")))
        r = rows[0]
        print(f"ranks={comm.size} wall={wall:.1f} s steps={summary['scenarios']['base']['steps']} "
              f"dofs={summary['displacement_dofs']} releases={r['releases']} bled={float(r['bled_m3']):.0f} m3 "
              f"volume_loss={float(r['volume_loss_pct']):.3f} % max_subsidence={float(r['max_subsidence_mm']):.2f} mm")


if __name__ == "__main__":
    main()
