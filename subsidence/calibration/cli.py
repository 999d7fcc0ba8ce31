"""``subsidence calibrate CASE --insar FILE --out DIR`` and ``subsidence forecast DIR --dates FILE --out DIR2``.

Thin: parse arguments, import the heavy code inside ``main``. ``calibrate`` takes the data
options of ``validate`` (format, CRS, pass/heading/incidence, MintPy geometry); the case's
``[validation]`` table supplies the defaults and ``[calibration]`` the parameters.
"""

from __future__ import annotations


def add_arguments(p) -> None:
    from subsidence.insar.cli import add_data_options

    p.add_argument("case", help="case file (TOML) with a [calibration] table")
    p.add_argument("--insar", action="append", default=None, metavar="FILE",
                   help="InSAR product (default: [validation] insar of the case)")
    p.add_argument("--out", "-o", required=True, help="output directory (written atomically)")
    p.add_argument("--crs", default=None, help="model CRS (default: the case's crs, else EPSG:28992)")
    add_data_options(p)
    p.add_argument("--until", default=None, help="last observation date used (YYYY-MM-DD); later ones are held out and scored")
    p.add_argument("--method", default=None, choices=("es-mda", "least-squares"))
    p.add_argument("--ensemble", type=int, default=None, help="ensemble size")
    p.add_argument("--assimilations", type=int, default=None, help="number of ES-MDA assimilations")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--gaps", default=None, choices=("drop", "marginalise"),
                   help="points with missing values at calibration epochs: drop them (default) or marginalise the "
                   "missing values (exact, at most 6000)")
    p.add_argument("--force", action="store_true", help="replace an existing output directory of another case")
    p.add_argument("--quiet", "-q", action="store_true", help="only warnings and errors")


def main(args) -> int:
    import dataclasses
    import datetime as _dt
    import time
    from pathlib import Path

    from mpi4py import MPI

    from subsidence.config import CaseError, load_case
    from subsidence.insar.cli import model_crs, read_dataset
    from subsidence.insar.config import ValidationConfig
    from subsidence.io.rundir import RunDirectory

    comm = MPI.COMM_WORLD
    t_start = time.perf_counter()
    started = _dt.datetime.now(_dt.timezone.utc)
    case = load_case(args.case)
    if case.calibration is None:
        raise CaseError(str(case.file), "calibration", "the case has no [calibration] table (parameters, priors, method)")
    cfg = dataclasses.replace(case.calibration)
    if args.until:
        try:
            cfg.until = _dt.date.fromisoformat(args.until)
        except ValueError:
            raise CaseError("", "--until", f"not a date YYYY-MM-DD: {args.until!r}") from None
    for k in ("method", "ensemble", "assimilations", "seed", "gaps"):
        if getattr(args, k) is not None:
            setattr(cfg, k, getattr(args, k))
    # the same bounds as the case file's keys, checked before any data are read
    if cfg.ensemble < 4:
        raise CaseError("", "--ensemble", "need at least 4 members")
    if cfg.assimilations < 1:
        raise CaseError("", "--assimilations", f"must be >= 1, got {cfg.assimilations}")
    if cfg.seed < 0:
        raise CaseError("", "--seed", f"must be >= 0 (a numpy seed), got {cfg.seed}")
    # what writing --out would refuse, before the data are read and anything runs
    RunDirectory(args.out, None, case_name=case.name, case_sha256=case.sha256, force=args.force,
                 kind="calibration").preflight()
    vcfg = case.validation or ValidationConfig()
    files = [Path(f) for f in args.insar] if args.insar else vcfg.insar
    if len(files) != 1:
        raise CaseError(str(case.file), "validation.insar", f"calibrate takes exactly one InSAR product, got {len(files)} "
                        "(give --insar FILE)")
    crs = model_crs(args.crs, case.crs, "case")
    ds = read_dataset(files[0], args, vcfg, crs=crs) if comm.rank == 0 else None
    ds = comm.bcast(ds, root=0)
    summary = calibrate_case(case, ds, args.out, cfg=cfg, comm=comm, force=args.force, t_start=t_start, started=started)
    if comm.rank == 0:
        doc = summary["doc"]
        print(f"{case.name}: {doc['verdict']}")
        for label, sc in doc["scores"].items():
            row = ", ".join(f"{k} {v['rmse_m'] * 1e3:.2f}" for k, v in sc.items() if v)
            print(f"  RMSE {label.replace('_', ' ')} [mm]: {row}")
        horizons = doc.get("scores_by_horizon", [])
        if len(horizons) > 1:  # one bin would repeat the out-of-sample line
            for h in horizons:
                to = "" if h["lead_to_yr"] is None else f"{h['lead_to_yr']:g}"
                row = ", ".join(f"{k} {v['rmse_m'] * 1e3:.2f}" for k, v in h["scores"].items() if v)
                print(f"    horizon {h['lead_from_yr']:g}-{to} yr ({h['epochs']} epochs) [mm]: {row}")
        for n in doc.get("notes", []):  # e.g. weather from climatology or monthly totals, as forecast says them
            print(f"note: {n}")
        print(f"results: {Path(args.out)}")
    return 0


def calibrate_case(case, ds, out, *, cfg=None, comm=None, force: bool = False, t_start=None, started=None) -> dict:
    """Calibrate ``case`` on the InSAR dataset ``ds`` (an :class:`~subsidence.insar.data.InsarDataset`
    in the case CRS) and write the results to ``out``; returns ``{"doc": ..., "arrays": ...}``.
    ``cfg`` overrides the case's ``[calibration]``. The Python entry point of ``subsidence calibrate``."""
    import datetime as _dt
    import time

    from mpi4py import MPI

    from subsidence.config import CaseError

    comm = comm or MPI.COMM_WORLD
    t_start = time.perf_counter() if t_start is None else t_start
    started = started or _dt.datetime.now(_dt.timezone.utc)
    cfg = cfg or case.calibration
    if cfg is None:
        raise CaseError(str(case.file), "calibration", "the case has no [calibration] table (parameters, priors, method)")
    with _blas_per_rank(comm):
        return _calibrate(case, ds, out, cfg, comm, force, t_start, started)


def _blas_per_rank(comm):
    """One BLAS thread per rank: the ranks are the parallelism, and a multithreaded
    factorisation on rank 0 while the others wait in a collective (MPI waits busily) runs many
    times slower than on one thread. On one rank too, so that 1 and N ranks compute every
    update with the same floating-point operations (the same posterior bit for bit)."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")


def _calibrate(case, ds, out, cfg, comm, force, t_start, started):
    import numpy as np

    from subsidence.calibration.calibrate import (Calibration, estimate_observation_noise, median_run, observations_from,
                                                  run_esmda, run_least_squares)
    from subsidence.calibration.output import summarise
    from subsidence.log import get_logger

    log = get_logger("calibration")
    obs = observations_from(ds, start_date=case.start_date, until=cfg.until, gaps=cfg.gaps)
    log.info("%s: %d points, %d epochs (%d for calibration, %d held out)", obs.file, obs.ids.size, obs.dates.size,
             int(obs.cal.sum()), int((~obs.cal).sum()))
    cal = Calibration(case, obs, cfg, comm=comm)
    cal.case_of(np.zeros(cal.n_g))  # every case check at the prior medians, before anything runs
    hyper = any(q.estimate for q in cfg.point_parameters)
    median = median_run(cal) if comm.rank == 0 and (hyper or cfg.noise_source == "data") else None
    nm, info = estimate_observation_noise(cal, median) if comm.rank == 0 else (None, None)
    nm, info = comm.bcast((nm, info), root=0)
    cal.set_noise(nm, info)
    if hyper:  # every rank needs the estimated prior: estimate on rank 0, then install it everywhere
        est = cal.estimate_hyperparameters(median) if comm.rank == 0 else None
        est = comm.bcast(est, root=0)
        if comm.rank != 0:
            cal.install_hyperparameters(est)
        from subsidence.calibration.output import _display

        for q in cal.cfg.point_parameters:
            if q.estimate:
                f, u = _display(q)
                log.info("per-point prior of %s estimated from the data: spread %.3g %s, correlation length %.3g km "
                         "(log-evidence %+.1f over the given prior)", q.name, q.sd * f, u, q.correlation_length / 1e3,
                         est["log_evidence_estimated"] - est["log_evidence_given"])
    d = nm.describe()
    log.info("noise (%s): white %.2f mm, spatial %.2f mm (%.2f km), temporal %.2f mm (%.2f yr)", info["source"],
             d["white_sigma_mm"], d["spatial_sigma_mm"], d["spatial_range_km"], d["temporal_sigma_mm"], d["temporal_range_yr"])
    rng = np.random.default_rng(cfg.seed)
    result = run_esmda(cal, rng) if cfg.method == "es-mda" else run_least_squares(cal, rng)
    summary = summarise(cal, result, np.random.default_rng(cfg.seed + 1))
    _write(case, out, force, comm, cal, result, summary, t_start, started)
    return summary


def _write(case, out, force, comm, cal, result, summary, t_start, started):
    import time

    from subsidence.calibration.output import write_files
    from subsidence.calibration.report import write_report
    from subsidence.io.rundir import RunDirectory
    from subsidence.run import finish_run

    doc = summary["doc"]
    with RunDirectory(out, comm, case_name=case.name, case_sha256=case.sha256, force=force, kind="calibration") as rd:
        if rd.rank == 0:
            write_files(rd, cal, result, summary)
            write_report(rd.path, cal, result, summary)
        finish_run(rd, case, comm, {"name": case.name, "kind": "calibration", "verdict": doc["verdict"],
                                    "chi2_per_value": doc["chi2_per_value"], "scores": doc["scores"], "notes": doc["notes"]},
                   time.perf_counter() - t_start, started)
