"""Running a case end to end: load, compute, write the output contract, move into place.

Every run type (deep analytic/FE, shallow, coupled, cavern) goes through
:func:`run_case`, so every run directory has ``summary.json``, ``manifest.json`` and a
copy of its case file, and a failed run never leaves a directory that looks complete.
"""

from __future__ import annotations

import datetime as _dt
import sys
import time
from pathlib import Path

from subsidence.config import Case, load_case
from subsidence.io.rundir import RunDirectory
from subsidence.io.surface import write_json
from subsidence.log import get_logger

log = get_logger("run")


def run_case(case: str | Path | Case, out: str | Path, *, comm=None, force: bool = False) -> dict:
    """Run a case file into directory ``out``; return the summary (on every rank).

    An existing run directory ``out`` of the same case is replaced; one of another case only
    with ``force=True``. While the run writes, ``<out>.lock`` keeps other runs out."""
    if comm is None:
        from subsidence.parallel import world

        comm = world()
    if not isinstance(case, Case):
        case = load_case(case)
    from subsidence.resources import check_fits

    check_fits(case, out, comm)  # refuse, before computing, a run that cannot fit in memory or on disk
    log.info("case %s (%s) -> %s on %d rank(s)", case.name, case.kind, out, comm.size)
    t0 = time.perf_counter()
    started = _dt.datetime.now(_dt.timezone.utc)
    with RunDirectory(out, comm, case_name=case.name, case_sha256=case.sha256, force=force, kind=case.kind) as rd:
        summary = case.study.run(case, rd, comm) or {}
        wall = comm.allreduce(time.perf_counter() - t0, op=_max_op())
        summary = {"name": case.name, "kind": case.kind, **summary}
        notes = list(case.warnings) + [w for w in summary.get("warnings", []) if w not in case.warnings]
        if notes:  # plausibility notes from checking the case (and any the study added)
            summary["warnings"] = notes
        finish_run(rd, case, comm, summary, wall, started)
    log.info("done in %.1f s: %s", wall, Path(out))
    return summary


def finish_run(rd: RunDirectory, case: Case, comm, summary: dict, wall: float, started) -> None:
    """Close a run directory every command writes the same way: ``summary.json``, the case file
    and the manifest (last) on rank 0, then the move into place. Call it on every rank."""
    from subsidence.versions import versions

    v = versions()  # on every rank: importing petsc4py initialises PETSc, a collective
    if rd.rank == 0:
        write_json(rd.file("summary.json"), summary)
        rd.file("case.toml").write_text(case.text, encoding="utf-8")
        write_json(rd.file("manifest.json"), manifest(case, comm, wall, started, rd.path, v))
    comm.Barrier()
    rd.commit()
    comm.Barrier()


def manifest(case: Case, comm, wall: float, started, path: Path, v: dict) -> dict:
    files = sorted(p.name for p in Path(path).iterdir() if p.name != "manifest.json")
    return {
        "toolkit": {"name": "subsidence", "version": v["subsidence"], "git_commit": v.get("git_commit")},
        "versions": v,
        "ranks": comm.size,
        "case_file": str(case.file),
        "case_sha256": case.sha256,
        "case": case.resolved(),
        "started_utc": started.isoformat(timespec="seconds"),
        "wall_time_s": round(wall, 3),
        "files": files,
        "complete": True,
    }


def _max_op():
    from subsidence.parallel import max_op

    return max_op()


class _CallableModule(type(sys.modules[__name__])):
    """``subsidence.run(case)`` is the Python API (:func:`subsidence.api.run`), even though
    ``subsidence.run`` is also this module: calling the module calls the API."""

    def __call__(self, case, out=None, **kw):
        from subsidence.api import run

        return run(case, out, **kw)


sys.modules[__name__].__class__ = _CallableModule
