"""Benchmark: an area of N distinct soil columns × 30 years of daily steps (issue 12's size: 10 000).

A coupled case built on the fly: N parcels on a 100 m grid, each with its own deep subsidence
(a series file with a different rate per parcel, so that no two columns are alike and none is
deduplicated), a clay–peat–sand profile with oxidation (isotache layers, as the shipped cases),
lumped groundwater (Ernst resistances: no FE), the Nieuwolda KNMI record cycled over the 30
years, results every 30 days, no plots. The default 400 columns take about 30 s here (idle).

    .venv/bin/python benchmarks/shallow_area.py [--columns 400] [--years 30] [--ranks 1|2]
    .venv/bin/python benchmarks/shallow_area.py --columns 10000         # the issue's size

The run is streamed in blocks of points (``run_chain``: about 512 MB of daily results per block,
~150 points for 30 years, or ``--block`` points), keeping only the output times, so the memory
grows with points × output times, not points × days; ``--no-stream`` keeps every
point's daily results, as runs below ~2 GiB of them do. ``--ranks 2`` reruns the same case under
``mpiexec -n 2`` (the soil columns of each block are split over the ranks). Prints the wall
time of the run (reading, chain, writing), the time per column-year and the peak resident
memory per rank (ru_maxrss). Figures measured here: docs/shallow.md ("Area runs").
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "validation" / "data" / "nieuwolda"


def write_case(folder: Path, n: int, years: int) -> Path:
    import numpy as np

    side = int(np.ceil(np.sqrt(n)))
    i = np.arange(n)
    x = 240000.0 + 100.0 * (i % side) + 50.0
    y = 580000.0 + 100.0 * (i // side) + 50.0
    names = [f"c{k}" for k in range(n)]
    rate = -0.002 - 0.006 * ((i * 7919) % n) / max(n - 1, 1)  # m/yr, all different
    t = np.array([0.0, float(years)])
    with open(folder / "deep.csv", "w") as f:
        f.write("time," + ",".join(names) + "\n")
        for tk in t:
            f.write(f"{tk:g}," + ",".join(f"{r * tk:.6f}" for r in rate) + "\n")
    with open(folder / "points.csv", "w") as f:
        f.write("name,x,y,area\n")
        for k in range(n):
            f.write(f"{names[k]},{x[k]:.1f},{y[k]:.1f},{'west' if x[k] < x.mean() else 'east'}\n")
    case = f"""
name = "shallow_area_benchmark"
kind = "coupled"
crs = "EPSG:28992"
start_date = 2015-01-01

[time]
years = {years}
spinup_years = 1

[forcing]
precipitation = "{DATA / 'neerslaggeg_NIEUWOLDA_172.csv'}"
evaporation = "{DATA / 'NBeerta_evapotransp20152020.csv'}"
beyond = "repeat"

[deep]
source = "series"
file = "deep.csv"

[points]
file = "points.csv"

[parcel]
spacing = 50.0
ditch_depth = 1.5
aquifer_head = -1.0
aquitard_resistance = 400.0

[[soil.layers]]
name = "clay"
thickness = 1.0
kh = 0.1
specific_yield = 0.05
gamma_sat = 17.0
gamma_unsat = 15.5
compression = {{ law = "isotache", a = 0.01, b = 0.1, c = 0.004 }}
ocr = 2.5

[[soil.layers]]
name = "peat"
thickness = 1.0
kh = 0.3
specific_yield = 0.12
gamma_sat = 10.5
gamma_unsat = 10.0
compression = {{ law = "isotache", a = 0.04, b = 0.3, c = 0.02 }}
ocr = 2.0
oxidation = {{ alpha = 0.008, organic_density = 140.0 }}

[[soil.layers]]
name = "sand"
thickness = 4.0
kh = 10.0
specific_yield = 0.2
gamma_sat = 20.0
compression = {{ law = "linear", mv = "2e-8 1/Pa" }}
max_cell = 0.5

[groundwater]
model = "lumped"
lumped_resistances = "ernst"

[water_management]
initial_level = -0.9
rule = "none"

[output]
interval = 30
plots = false
"""
    path = folder / "case.toml"
    path.write_text(case)
    return path


def run_one(case_path: Path, out: Path, stream: bool, block: int | None) -> dict:
    from mpi4py import MPI

    from subsidence.config import load_case
    from subsidence.run import run_case
    from subsidence.shallow import chain

    # streamed in blocks of points (only the output times kept), or the daily results of every point
    chain.STREAM_ABOVE_BYTES = 0 if stream else float("inf")
    chain.BLOCK_POINTS = block
    comm = MPI.COMM_WORLD
    t0 = time.perf_counter()
    case = load_case(case_path)
    run_case(case, out, comm=comm)
    wall = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # MiB (Linux: KiB)
    rss_all = comm.gather(rss, root=0)
    return {"wall_s": comm.allreduce(wall, op=MPI.MAX), "peak_rss_mib": rss_all, "ranks": comm.Get_size()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--columns", type=int, default=400)
    ap.add_argument("--years", type=int, default=30)
    ap.add_argument("--ranks", type=int, default=1, choices=(1, 2))
    ap.add_argument("--block", type=int, default=None, help="points per block when streamed (default: from 512 MB)")
    ap.add_argument("--no-stream", action="store_true", help="keep every point's daily results (not streamed in blocks)")
    ap.add_argument("--case-dir", default=None, help=argparse.SUPPRESS)
    a = ap.parse_args()

    if a.ranks > 1 and a.case_dir is None:  # rerun this script under mpiexec with the same case
        with tempfile.TemporaryDirectory() as tmp:
            write_case(Path(tmp), a.columns, a.years)
            mpiexec = str(Path(sys.executable).with_name("mpiexec"))
            cmd = [mpiexec, "-n", str(a.ranks), sys.executable, "-m", "mpi4py", __file__, "--columns", str(a.columns),
                   "--years", str(a.years), "--ranks", str(a.ranks), "--case-dir", tmp]
            cmd += (["--no-stream"] if a.no_stream else []) + (["--block", str(a.block)] if a.block else [])
            sys.exit(subprocess.call(cmd))
    from mpi4py import MPI

    from subsidence.log import setup_logging

    comm = MPI.COMM_WORLD
    setup_logging(comm, level=logging.WARNING)
    with tempfile.TemporaryDirectory() as own:
        folder = Path(a.case_dir or own)
        if a.case_dir is None:
            write_case(folder, a.columns, a.years)
        comm.Barrier()
        out = Path(tempfile.mkdtemp(prefix="shallow_area_")) if comm.rank == 0 else None
        out = Path(comm.bcast(str(out) if out else None, root=0))
        r = run_one(folder / "case.toml", out / "run", stream=not a.no_stream, block=a.block)
        if comm.rank == 0:
            cy = a.columns * a.years
            r.update(streamed=not a.no_stream, columns=a.columns, years=a.years, column_years=cy,
                     s_per_column_year=r["wall_s"] / cy, cpu_count=os.cpu_count())
            print(json.dumps(r, indent=1))
            import shutil

            shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
