"""Command line: ``subsidence run|check|info|validate|compare|...``.

Commands are thin: they parse arguments and import the heavy code inside ``main``.
Extra commands live in their own modules (``COMMANDS``), each with
``add_arguments(parser)`` and ``main(args) -> int``.
"""

from __future__ import annotations

import argparse
import importlib
import sys

#: command name -> (module with add_arguments/main, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "validate": ("subsidence.insar.cli", "compare a run (or case) with InSAR time series; write report.html"),
    "compare": ("subsidence.compare", "compare two run directories (difference table and plots)"),
    "calibrate": ("subsidence.calibration.cli", "calibrate a case's uncertain parameters on InSAR time series (ES-MDA)"),
    "forecast": ("subsidence.calibration.forecast", "forecast with a calibrated ensemble at the observation points"),
    "export": ("subsidence.io.export", "export the maps of a run directory (--geotiff: one GeoTIFF per component)"),
    "bowl": ("subsidence.heterogeneity.cli", "bowl metrics of runs (width, asymmetry, volume, tilt, strain) and their differences from a reference run"),
    "sweep": ("subsidence.heterogeneity.sweep", "run a [sweep] of an FE case over heterogeneity parameters (members on MPI "
              "sub-communicators, resumable) and tabulate the bowl metrics against the reference"),
    "soil-profiles": ("subsidence.shallow.voxels_cli", "soil profiles of points from a voxel model (GeoTOP layout) and a class table"),
    "impact": ("subsidence.impact.cli", "surface deformation measures (tilt, curvature, strain, --base-length, --pair), damage category per building "
               "and the CBA 1987 table (--cba) from a run's surface map or points"),
}


def _add_run(sub):
    p = sub.add_parser("run", help="run a case file and write its output directory")
    p.add_argument("case", help="case file (TOML)")
    p.add_argument("--out", "-o", required=True, help="output directory (written atomically)")
    p.add_argument("--quiet", "-q", action="store_true", help="only warnings and errors")
    p.add_argument("--force", action="store_true",
                   help="replace an existing run directory even if it holds a run of a different case")


def _add_check(sub):
    p = sub.add_parser("check", help="check a case file without running it (and estimate its memory and disk)")
    p.add_argument("case", help="case file (TOML)")
    p.add_argument("--out", "-o", default=None, help="where the run would go (free disk is measured there; default: .)")


def _add_info(sub):
    p = sub.add_parser("info", help="versions of the toolkit, dolfinx, PETSc, MPI, gmsh")
    p.add_argument("--json", action="store_true", help="print JSON")


def build_parser() -> argparse.ArgumentParser:
    from subsidence import __version__

    parser = argparse.ArgumentParser(prog="subsidence", description="Subsidence and salt-cavern simulation toolkit")
    parser.add_argument("--version", action="version", version=f"subsidence {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_run(sub)
    _add_check(sub)
    _add_info(sub)
    for name, (module, help_) in COMMANDS.items():
        try:
            mod = importlib.import_module(module)
        except ImportError:
            continue
        p = sub.add_parser(name, help=help_, description=help_)
        mod.add_arguments(p)
        p.set_defaults(_module=mod)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from subsidence.config import CaseError
    from subsidence.io.rundir import OutputDirError
    from subsidence.log import setup_logging

    from subsidence.parallel import world

    comm = world()  # MPI.COMM_WORLD, or a serial stand-in without mpi4py (pip install without [fem])
    import logging

    setup_logging(comm, level=logging.WARNING if getattr(args, "quiet", False) else logging.INFO)
    try:
        if args.command == "run":
            from subsidence.run import run_case
            from subsidence.signals import Terminated, handle_termination

            try:
                with handle_termination(comm, out=args.out):
                    run_case(args.case, args.out, comm=comm, force=args.force)
            except KeyboardInterrupt as exc:  # SIGTERM, SIGINT, SIGHUP: partial results kept, no traceback
                return _terminated(comm, exc if isinstance(exc, Terminated) else Terminated(2), args.out)
            return 0
        if args.command == "check":
            from subsidence.config import load_case

            case = load_case(args.case)
            from subsidence.resources import check_fits

            target = None
            if args.out is not None:  # what `run --out` would refuse, check refuses too
                from subsidence.io.rundir import RunDirectory

                target = RunDirectory(args.out, None, case_name=case.name, case_sha256=case.sha256, kind=case.kind).preflight()
            est = check_fits(case, args.out or ".", comm)  # refuses what cannot fit in memory or on disk
            if comm.rank == 0:
                print(f"{args.case}: OK ({case.kind} case {case.name!r})")
                if est is not None:
                    print(f"  {est.describe()}")
                if target is not None:
                    print(f"  --out: a run {target}")
            return 0
        if args.command == "info":
            return _info(args, comm)
        from subsidence.signals import Terminated, handle_termination

        try:  # validate may run a case: a signal ends it as cleanly as `run`
            with handle_termination(comm):
                return int(args._module.main(args) or 0)
        except KeyboardInterrupt as exc:
            return _terminated(comm, exc if isinstance(exc, Terminated) else Terminated(2), None)
    except (CaseError, OutputDirError, FileNotFoundError, PermissionError) as exc:
        return _fail(comm, f"error: {exc}")
    except BaseException as exc:
        from subsidence.io.rundir import disk_error

        disk = disk_error(exc) if isinstance(exc, OSError) else None
        if disk is not None:  # read-only or full disk, no permission: the user's to fix (exit 2)
            return _fail(comm, f"error: {disk}")
        if comm.size > 1:  # one failing rank must end the job, not leave the others waiting in a collective
            import traceback

            traceback.print_exc()
            sys.stderr.flush()
            comm.Abort(1)
        raise


def _fail(comm, msg: str) -> int:
    """Bad input: a message, no traceback, exit status 2. In parallel the job is aborted, since
    an error found by one rank only would otherwise leave the others waiting in a collective."""
    if comm.rank == 0 or comm.size > 1:
        print(msg, file=sys.stderr)
    if comm.size > 1:
        sys.stderr.flush()
        comm.Abort(2)
    return 2


def _terminated(comm, exc, out) -> int:
    """A run ended by a signal: say so (rank 0), then end every rank with status 128 + signal."""
    if comm.rank == 0:
        from subsidence.signals import message

        print(message(exc, out), file=sys.stderr)
    sys.stderr.flush()
    if comm.size > 1:
        comm.Abort(exc.exit_status)
    return exc.exit_status


def _info(args, comm) -> int:
    from subsidence.versions import versions

    v = versions()
    if comm.rank == 0:
        if args.json:
            import json

            print(json.dumps(v, indent=2))
        else:
            width = max(map(len, v))
            for k, val in v.items():
                print(f"{k:<{width}}  {val}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
