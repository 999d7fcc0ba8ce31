"""Benchmark: ES-MDA calibration of the coupled deep + shallow chain on the 286 Nieuwolda parcels.

``cases/calibration_nieuwolda.toml`` (9 global parameters; per parcel a background rate and an annual cycle),
calibrated on 2015-05 … 2017-12 and scored on 2018, with ``--ensemble`` members (default 100)
and ``--assimilations`` (default 4): 1 + N_a ensemble runs of the chain at the 286 parcels (the
first and the last over every epoch, the others over the calibration epochs only).

    mpiexec -n 2 .venv/bin/python -m mpi4py benchmarks/calibration_nieuwolda.py [--ensemble 100] [--assimilations 4]

Prints the wall time of each ensemble pass and of the whole calibration, the time per member
run, and the peak resident memory per rank (it is bounded by the ensemble: N members × 286
points × 158 epochs of predictions, a few tens of MB, plus one chain run; the grid of the deep
case is never made). The output directory is a temporary one unless ``--out`` is given.
"""

from __future__ import annotations

import argparse
import dataclasses
import resource
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ensemble", type=int, default=100)
    ap.add_argument("--assimilations", type=int, default=4)
    ap.add_argument("--out", default=None, help="keep the calibration output here")
    a = ap.parse_args()

    from mpi4py import MPI

    from subsidence.calibration.cli import calibrate_case
    from subsidence.config import load_case
    from subsidence.insar.readers import read_insar
    from subsidence.log import setup_logging

    comm = MPI.COMM_WORLD
    setup_logging(comm)  # one line per finished member on rank 0
    t0 = time.perf_counter()
    case = load_case(ROOT / "cases/calibration_nieuwolda.toml")
    cfg = dataclasses.replace(case.calibration, ensemble=a.ensemble, assimilations=a.assimilations)
    v = case.validation
    ds = read_insar(v.insar[0], crs=case.crs, pass_=v.pass_) if comm.rank == 0 else None
    ds = comm.bcast(ds, root=0)
    with tempfile.TemporaryDirectory() as tmp:
        out = a.out or str(Path(comm.bcast(tmp if comm.rank == 0 else None, root=0)) / "cal")
        t1 = time.perf_counter()
        s = calibrate_case(case, ds, out, cfg=cfg, comm=comm)
        t2 = time.perf_counter()
    rss = comm.gather(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, root=0)
    if comm.rank == 0:
        hist = s["doc"]["history"]
        runs = a.ensemble * (a.assimilations + 1)
        print(f"calibration of {case.name}: {ds.n} points, {a.ensemble} members x {a.assimilations} assimilations, "
              f"{comm.size} rank(s)")
        for h in hist:
            if "seconds" in h:
                print(f"  assimilation {h['assimilation']}: {h['seconds']:.1f} s (chi2/N of the ensemble mean {h['chi2_per_value_ensemble_mean']:.3f})")
        print(f"  set-up (case, data): {t1 - t0:.1f} s")
        print(f"  calibration incl. posterior run, scores and report: {t2 - t1:.1f} s ({runs} member runs, "
              f"{(t2 - t1) * comm.size / runs:.2f} s per member run per core)")
        print(f"  peak RSS per rank: {', '.join(f'{r:.0f} MB' for r in rss)}")
        print(f"  verdict: {s['doc']['verdict']}")


if __name__ == "__main__":
    main()
