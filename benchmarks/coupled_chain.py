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

Figures (s, median of alternating runs; 2-core AMD EPYC VM shared with other jobs, load
average 3-5 during the measurements, so about half a core each; a quiet machine is
roughly twice as fast for both):

    phase                     before (81481ba)   after, first run   after, later runs
    deep displacement_at          1.6                 1.5               0.02
    groundwater model build       0.17                0.17              0.0
    groundwater run               1.9                 0.65              0.65
    soil column run               8.6                 3.5               3.5
    rest of run_chain             0.3                 0.3               0.3
    total                        12.6                 6.1               4.5

(see the report in the commit history for the exact runs; the results agree with the code
before to 4e-15 m in settlement, ``tests/shallow/test_fast_paths.py``).
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
              "rest of run_chain": [], "total": []}
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
            t0 = time.perf_counter()
            chain.run_chain(cfg, MPI.COMM_SELF)
            total = time.perf_counter() - t0
            current["rest of run_chain"] = total - sum(current.values())
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
