"""Benchmark: one forward run of the coupled deep + shallow chain, time per phase.

The case is ``cases/coupled_nieuwolda.toml`` (288 InSAR parcels near Nieuwolda, 2015-2019
with one year of spin-up: 1826 daily groundwater steps, 1461 daily soil-column steps of
287 distinct 42-cell columns), run with ``MPI.COMM_SELF`` as an ensemble calibration runs it.

    .venv/bin/python benchmarks/coupled_chain.py [--repeat 3] [--cold] [--case FILE]

Phases: deep (``displacement_at``: rasterising the reservoir and the direct kernel sums at
the points), groundwater model build (the FE cross-section fit of the lumped model),
groundwater run, soil column run, and the rest of ``run_chain``. The first run fills the
caches (deep geometry and kernel sums, the lumped fit); later runs of the same case (as in
an ensemble, where only parameters such as cm or the soil parameters change) reuse them.
``--cold`` empties the caches before every run. Prints min and median over the repeats.

This machine is shared with other jobs: timings vary by a factor of two or more from run
to run, so repeat them, and compare before/after back to back (alternating), e.g. the code
before the optimisation from an export of the earlier commit:
``git archive 81481ba subsidence | tar -x -C /tmp/base`` and
``PYTHONPATH=/tmp/base .venv/bin/python benchmarks/coupled_chain.py``.

Figures (s) on the 2-core AMD EPYC VM this was written on, shared with other jobs (load
average 3.4-3.7 during the measurement, so wall times are about 1.5x the CPU times; the CPU
time is close to the wall time on a quiet machine). Three alternating rounds of the code
before (81481ba, one run each) and after (three runs each: the first fills the caches);
wall time per phase, median (range):

    phase                     before               after, first run    after, later runs
    deep displacement_at      1.3 (1.2-3.0)        1.2 (1.1-1.3)       0.00-0.01
    groundwater model build   0.14 (0.14-0.35)     0.15                0.00
    groundwater run           1.3 (1.2-1.9)        0.46 (0.40-0.53)    0.45
    soil column run           6.6 (6.5-8.5)        3.3 (2.8-3.5)       3.2 (2.8-3.5)
    rest of run_chain         0.23 (0.20-0.40)     0.20                0.1
    total (wall)              9.5 (9.3-14.1)       5.2 (4.9-5.6)       3.8 (3.6-4.1)
    total CPU time            6.6 (6.4-6.6)        3.45 (3.42-3.48)    2.55 (2.49-2.72)

Soil column alone, CPU time in one process (old and new code alternating): 4.6 -> 2.2 s;
lumped groundwater run: 0.80 -> 0.27 s. The results agree with the code before to 4e-15 m
in settlement (the groundwater levels and deep displacements are identical), see
``tests/shallow/test_fast_paths.py`` and ``tests/deep/test_cache.py``.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time
from pathlib import Path

CASE = Path(__file__).resolve().parents[1] / "cases" / "coupled_nieuwolda.toml"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--case", default=str(CASE))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--cold", action="store_true", help="empty the caches before every run")
    a = ap.parse_args()

    from mpi4py import MPI

    import subsidence
    import subsidence.shallow.chain as chain
    import subsidence.studies.deep as deep
    from subsidence.config import load_case
    from subsidence.shallow.groundwater.lumped import LumpedGroundwater

    phases = {"deep displacement_at": [], "groundwater model build": [], "groundwater run": [], "soil column run": [],
              "rest of run_chain": [], "total": [], "total CPU time": []}
    current: dict[str, float] = {}

    def timed(name, fn):
        def wrapper(*args, **kw):
            t0 = time.perf_counter()
            try:
                return fn(*args, **kw)
            finally:
                current[name] = current.get(name, 0.0) + time.perf_counter() - t0
        return wrapper

    patches = [(deep, "displacement_at", "deep displacement_at"), (chain, "build_groundwater_model", "groundwater model build"),
               (LumpedGroundwater, "run", "groundwater run"), (chain, "_run_column", "soil column run")]
    originals = [(obj, attr, getattr(obj, attr)) for obj, attr, _ in patches]
    for obj, attr, name in patches:
        setattr(obj, attr, timed(name, getattr(obj, attr)))
    cfg = load_case(a.case).config
    print(f"subsidence from {Path(subsidence.__file__).parent}, case {a.case}")
    try:
        for k in range(a.repeat):
            if a.cold:
                with contextlib.suppress(ImportError):
                    from subsidence.deep import cache

                    cache.clear()
                getattr(chain, "_LUMPED_CACHE", {}).clear()
            current.clear()
            c0 = time.process_time()
            t0 = time.perf_counter()
            chain.run_chain(cfg, MPI.COMM_SELF)
            total = time.perf_counter() - t0
            current["total CPU time"] = time.process_time() - c0
            current["rest of run_chain"] = total - sum(v for k, v in current.items() if k != "total CPU time")
            current["total"] = total
            for name in phases:
                phases[name].append(current.get(name, 0.0))
            print(f"run {k + 1}: " + ", ".join(f"{n} {current.get(n, 0.0):.2f}" for n in phases), flush=True)
    finally:
        for obj, attr, fn in originals:
            setattr(obj, attr, fn)
    print(f"\n{'phase':26s} {'first':>7s} {'min':>7s} {'median':>7s}   (s, {a.repeat} run(s){', cold' if a.cold else ''})")
    for name, v in phases.items():
        print(f"{name:26s} {v[0]:7.2f} {min(v):7.2f} {statistics.median(v):7.2f}")


if __name__ == "__main__":
    main()
