"""``subsidence validate CASE_OR_RUN --insar FILE [--out DIR] [...]``.

Given a run directory it reads ``surface.nc``/``points.csv``; given a case file it first
runs it (into ``--run-out``, default ``OUT/run``). Options on the command line override
the case file's ``[validation]`` table. Heavy imports happen inside :func:`main`.
"""

from __future__ import annotations


def add_arguments(p) -> None:
    p.add_argument("target", metavar="CASE_OR_RUN", help="run directory, or a case file (TOML) to run first")
    p.add_argument("--insar", action="append", default=None, metavar="FILE",
                   help="InSAR product (repeat for several; default: [validation] insar of the case)")
    p.add_argument("--out", "-o", default=None, help="output directory for report.html and validation.json "
                   "(default: RUN/validation, or validation_<case name> for a case file)")
    p.add_argument("--run-out", default=None, help="where to run a case file (default: OUT/run)")
    p.add_argument("--crs", default=None, help="model CRS (default: the run's crs, else EPSG:28992)")
    add_data_options(p)
    p.add_argument("--reference-epoch", default=None, help="first | none | YYYY-MM-DD (default first)")
    p.add_argument("--reference-point", nargs=2, type=float, default=None, metavar=("X", "Y"),
                   help="reference point in the model CRS [m]")
    p.add_argument("--reference-radius", type=float, default=None, help="reference area radius [m] (0: nearest point)")
    p.add_argument("--noise", default=None, choices=("auto", "data", "model", "product"),
                   help="noise for the weighted misfit: estimated from the data, the [validation.noise] model, the product's σ; "
                   "auto (default): product σ if the file has one, else the model if the case gives its parameters, else data")
    p.add_argument("--offset", nargs="?", const="per-point", default=None, choices=("none", "per-point"),
                   help="remove each point's constant offset (a nuisance parameter) before comparing (default: none)")
    p.add_argument("--start-date", default=None, help="calendar date of model time 0 when the run has none")
    p.add_argument("--points", nargs="+", default=None, metavar="ID", help="ids for the time-series figure")
    p.add_argument("--decompose", action="store_true", help="also decompose two LOS datasets into vertical and east-west")
    p.add_argument("--cell", type=float, default=100.0, help="cell size for --decompose [m]")



def add_data_options(p) -> None:
    """How to read an InSAR product (shared with ``subsidence calibrate``)."""
    p.add_argument("--format", default=None, choices=("auto", "egms", "tudelft", "mintpy", "generic"))
    p.add_argument("--insar-crs", default=None, help="CRS of the file's coordinates (generic CSV; WKT of TU Delft files)")
    p.add_argument("--unit", default=None, choices=("m", "cm", "mm"), help="displacement unit of a generic CSV")
    p.add_argument("--component", default=None, choices=("los", "up", "east"))
    p.add_argument("--pass", dest="pass_", default=None, choices=("ascending", "descending"),
                   help="satellite pass (sets the Sentinel-1 heading when the file has none)")
    p.add_argument("--heading", type=float, default=None, help="heading [deg clockwise from north]")
    p.add_argument("--incidence", type=float, default=None, help="incidence angle [deg] when the file has none")
    p.add_argument("--geometry", default=None, help="MintPy geometry file (incidenceAngle, azimuthAngle)")
    p.add_argument("--mask", default=None, help="MintPy mask file (dataset 'mask')")
    p.add_argument("--chunksize", type=int, default=None, help="CSV rows read at a time")


def model_crs(given: str | None, own: str | None, what: str) -> str:
    """The model's CRS: ``own`` (the case's or run's ``crs``); ``--crs`` (``given``) only where it has
    none. A ``--crs`` that contradicts it is an error: the data would be put into another CRS than
    the model's, and every position (and with it the modelled displacement) would be wrong."""
    from subsidence.config import CaseError

    if given and own:
        import pyproj

        try:
            same = pyproj.CRS.from_user_input(given) == pyproj.CRS.from_user_input(own)
        except pyproj.exceptions.CRSError as e:
            raise CaseError("", "--crs", f"{given!r} is not a coordinate reference system ({e})") from None
        if not same:
            raise CaseError("", "--crs", f"{given} contradicts the {what}'s crs ({own}): the model's positions are in "
                            f"{own}; --crs is for a {what} without one")
    return own or given or "EPSG:28992"  # the same CRS spelled otherwise: the model's own spelling


def read_dataset(f, args, cfg, *, crs, bbox=None):
    """One InSAR product, with the command line over the case's ``[validation]`` options."""
    from subsidence.insar.readers import read_insar

    return read_insar(
        f, format=args.format or cfg.format, crs=crs, source_crs=args.insar_crs or cfg.insar_crs,
        unit=args.unit or cfg.unit, component=args.component or cfg.component,
        incidence=args.incidence if args.incidence is not None else cfg.incidence,
        # the command line over the case: a --pass there beats a heading in the case's [validation]
        heading=args.heading if args.heading is not None else (None if args.pass_ else cfg.heading),
        pass_=args.pass_ or cfg.pass_,
        geometry=args.geometry, mask=args.mask, bbox=bbox, chunksize=args.chunksize,
    )


def main(args) -> int:
    import datetime as _dt
    import json
    import shlex
    import sys
    from pathlib import Path

    from subsidence.parallel import world

    from subsidence.config.errors import CaseError
    from subsidence.insar.config import ValidationConfig, parse_from_case_text
    from subsidence.log import get_logger

    log = get_logger("insar")
    comm = world()
    target = Path(args.target)
    cfg = None
    if target.is_file():
        from subsidence.config import load_case
        from subsidence.run import run_case

        case = load_case(target)
        cfg = getattr(case, "validation", None)
        out = Path(args.out or f"validation_{case.name}")
        rundir = Path(args.run_out or out / "run")
        run_case(case, rundir, comm=comm)
    elif target.is_dir():
        rundir = target
        out = Path(args.out or rundir / "validation")
        text = (rundir / "case.toml").read_text() if (rundir / "case.toml").is_file() else ""
        if text:
            base = rundir / "case.toml"
            man = rundir / "manifest.json"
            if man.is_file():
                cf = json.loads(man.read_text()).get("case_file")
                if cf and Path(cf).exists():
                    base = Path(cf)
            cfg = parse_from_case_text(text, file=base)
    else:
        raise CaseError(str(target), "", "neither a case file nor a run directory")
    if comm.rank != 0:
        return 0
    cfg = cfg or ValidationConfig()
    files = [Path(f) for f in args.insar] if args.insar else cfg.insar
    if not files:
        raise CaseError(str(target), "validation.insar", "no InSAR file: give --insar FILE (or [validation] insar in the case)")

    from subsidence.insar.model import load_run
    from subsidence.insar.report import write_report
    from subsidence.insar.validate import Options, compare

    sd = _dt.date.fromisoformat(args.start_date) if args.start_date else None
    run = load_run(rundir, start_date=sd)
    run.crs = crs = model_crs(args.crs, run.crs, "run")
    opts = Options(
        reference_epoch=args.reference_epoch or cfg.reference_epoch,
        reference_point=tuple(args.reference_point) if args.reference_point else cfg.reference_point,
        reference_radius=args.reference_radius if args.reference_radius is not None else cfg.reference_radius,
        noise=cfg.noise,
        noise_source=args.noise or cfg.noise_source,
        auto_noise="model" if cfg.noise_given else "data",
        offset=args.offset or cfg.offset,
        match_distance=cfg.match_distance,
        timeseries_points=args.points or cfg.timeseries_points,
    )
    bbox = run.bbox
    if bbox is not None:  # points.csv rounds coordinates to mm: keep points on the edge
        pad = max(opts.match_distance, 1.0)
        bbox = (bbox[0] - pad, bbox[1] - pad, bbox[2] + pad, bbox[3] + pad)
    datasets = []
    for f in files:
        ds = read_dataset(f, args, cfg, crs=crs, bbox=bbox)
        log.info("%s: %d points, %d epochs (%s)", f, ds.n, ds.nt, ds.provenance.get("format"))
        datasets.append((f.name, ds))
    if args.decompose:
        from subsidence.insar.decompose import decompose

        los = [d for d in datasets if d[1].component == "los"]
        if len(los) != 2:
            raise CaseError("", "--decompose", f"needs exactly two LOS datasets, got {len(los)}")
        up, east = decompose(los[0][1], los[1][1], cell=args.cell)
        datasets += [("vertical (decomposed)", up), ("east-west (decomposed)", east)]
    comps = [(label, compare(ds, run, opts)) for label, ds in datasets]
    out.mkdir(parents=True, exist_ok=True)
    doc = write_report(out, comps, run=run, options=opts, command="subsidence " + " ".join(shlex.quote(a) for a in sys.argv[1:]))
    def num(v, scale=1.0):
        return float("nan") if v is None else scale * v

    for d in doc["datasets"]:
        o = d["overall"]
        print(f"{d['label']}: {o['points']} points × {d['data']['epochs']} epochs, RMSE {num(o['rmse_m'], 1e3):.2f} mm, bias {num(o['bias_m'], 1e3):.2f} mm, "
              f"velocity RMSE {num(o['velocity_rmse_m_per_yr'], 1e3):.2f} mm/yr, chi2/N "
              + (f"{d['noise_weighted']['chi2_per_value']:.3f}" if d["noise_weighted"].get("chi2_per_value") is not None
                 else f"not computed ({d['noise_weighted'].get('note', 'no noise-weighted misfit')})"))
    print(f"report: {out / 'report.html'}")
    return 0
