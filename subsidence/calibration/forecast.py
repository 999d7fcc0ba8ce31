"""``subsidence forecast CALIBRATION_DIR --dates FILE --out DIR``: the calibrated ensemble forward.

Every posterior member of a calibration (``state.npz``) is run at the observation points for
the requested dates (``--dates``: one ``YYYY-MM-DD`` a line, ``#`` comments), in the data's
component (line of sight) and reference (each member carries the per-point offset it was
calibrated with). Writes

- ``forecast_points.csv``: ``id, date, los_p10, los_p50, los_p90`` (metres; for vertical or
  east-west products the columns are named ``up_*``/``east_*``), the percentiles of the model
  ensemble, then ``obs_p10, obs_p90``: the interval for a future *observation* (model spread
  plus observation noise of the calibration's noise model), then the vertical total, deep and
  shallow (model + background) medians;
- ``forecast.nc``: the same percentiles at the points over time, a CF discrete-sampling-geometry
  file (featureType timeSeries) with the CRS, for xarray/QGIS; and, when the case's deep part has
  an output grid, the percentiles of the deep vertical displacement on that grid over time
  (``deep_uz_grid_p10/p50/p90``, dims time × y_grid × x_grid);
- ``summary.json``, ``manifest.json``, ``case.toml``.

Weather beyond the forcing record is the day-of-year climatology of the record; it is said in
``summary.json`` (``notes``) and in the NetCDF attributes.
"""

from __future__ import annotations


def add_arguments(p) -> None:
    from subsidence.insar.cli import add_data_options

    p.add_argument("calibration", metavar="CALIBRATION_DIR", help="output directory of `subsidence calibrate`")
    p.add_argument("--dates", default=None, help="file with one date (YYYY-MM-DD) per line")
    p.add_argument("--insar", default=None, metavar="FILE",
                   help="instead of --dates: a product that goes on after the calibration; the forecast is made at its "
                   "later epochs and scored against them and the per-point baselines (forecast_check.json)")
    p.add_argument("--out", "-o", required=True, help="output directory (written atomically)")
    p.add_argument("--crs", default=None, help="model CRS (default: the case's crs, else EPSG:28992)")
    p.add_argument("--match-distance", type=float, default=0.0, metavar="M",
                   help="with --insar: a point whose id is not a calibration point's takes the nearest one within M "
                   "metres (another product of the same area; default 0: by id only)")
    p.add_argument("--reference", default=None, choices=("overlap", "calibration", "first-epochs"),
                   help="with --insar: how the product is referenced to the model. overlap (default): by its own epochs "
                   "within the calibration period (at least 6). calibration: a product of later epochs that continues "
                   "the calibration product's reference (the same processing). first-epochs: a later product with a "
                   "reference of its own; each point's level is fixed on its first --reference-epochs epochs, which are "
                   "not scored")
    p.add_argument("--reference-epochs", type=int, default=None, metavar="N",
                   help="with --reference first-epochs: how many of the product's first epochs fix the level (default 6)")
    add_data_options(p)
    p.add_argument("--seed", type=int, default=0,
                   help="ignored (obs_p10/obs_p90 are now computed exactly, without random draws); kept so that "
                   "existing command lines still run")
    p.add_argument("--force", action="store_true", help="replace an existing output directory of another case")
    p.add_argument("--quiet", "-q", action="store_true", help="only warnings and errors")


def mixture_quantiles(centres, sigma: float, probs, *, iterations: int = 60):
    """Quantiles of an equal-weight mixture of normals N(centres[k], sigma²) over axis 0: the
    predictive distribution of a future observation (each member's prediction plus the
    observation noise). Exact up to the bisection tolerance (range / 2^iterations), the same
    for any seed and for any other rows or dates in the request."""
    import numpy as np
    from scipy.special import ndtr

    c = np.asarray(centres, float)
    if not sigma > 0:  # no observation noise: the ensemble's own percentiles
        return np.percentile(c, 100.0 * np.atleast_1d(probs), axis=0)
    out = []
    for p in np.atleast_1d(probs):
        lo = c.min(axis=0) - 8.0 * sigma
        hi = c.max(axis=0) + 8.0 * sigma
        for _ in range(iterations):
            mid = 0.5 * (lo + hi)
            below = ndtr((mid[None] - c) / sigma).mean(axis=0) < p
            lo = np.where(below, mid, lo)
            hi = np.where(below, hi, mid)
        out.append(0.5 * (lo + hi))
    return np.array(out)


def read_dates(path) -> list:
    import datetime as _dt
    from pathlib import Path

    from subsidence.config import CaseError

    path = Path(path)
    if not path.is_file():
        raise CaseError(str(path), "--dates", "file not found")
    out = []
    for k, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        s = line.split("#", 1)[0].strip()
        if not s:
            continue
        try:
            out.append(_dt.date.fromisoformat(s))
        except ValueError:
            raise CaseError(str(path), f"line {k}", f"not a date YYYY-MM-DD: {s!r}") from None
    if not out:
        raise CaseError(str(path), "--dates", "no date in the file")
    return sorted(set(out))


def _case_base(d, case_file):
    """Where the calibrated case's relative paths (forcing, deep case, outline) resolve: its original
    file, found as recorded (absolute, or relative to the working directory then), else relative
    to the calibration directory or a folder above it (a calibration kept inside the repository it
    was made in, used from anywhere); else the calibration's own ``case.toml``."""
    from pathlib import Path

    d = Path(d).resolve()
    if case_file:
        f = Path(case_file)
        if f.is_file():
            return f
        if not f.is_absolute():
            for root in (d, *d.parents):
                if (root / f).is_file():
                    return root / f
    return d / "case.toml"


def load_calibration(path):
    """The case (as calibrated) and the posterior state of a calibration directory."""
    import json
    import tomllib
    from pathlib import Path

    import numpy as np

    from subsidence.config import CaseError, case_from_dict

    d = Path(path)
    for name in ("state.npz", "case.toml", "manifest.json"):
        if not (d / name).is_file():
            raise CaseError(str(d), name, "not a complete calibration directory (missing file)")
    man = json.loads((d / "manifest.json").read_text(encoding="utf-8"))
    text = (d / "case.toml").read_text(encoding="utf-8")
    case = case_from_dict(tomllib.loads(text), file=_case_base(d, man.get("case_file")), text=text)
    if case.calibration is None:
        raise CaseError(str(d / "case.toml"), "calibration", "the calibrated case has no [calibration] table")
    import zipfile

    try:
        with np.load(d / "state.npz", allow_pickle=False) as z:
            st = {k: z[k] for k in z.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
        raise CaseError(str(d / "state.npz"), "state.npz", f"cannot be read ({type(e).__name__}: {e}): damaged or not "
                        "written by `subsidence calibrate`") from None
    missing = [k for k in ("zg", "pp", "ids", "x", "y", "los", "component", "t0", "noise", "offsets") if k not in st]
    if missing:
        raise CaseError(str(d / "state.npz"), missing[0], "missing from the file: a calibration directory from another "
                        "version?")
    return case, st


def deep_grid_forecast(cal, state, dates):
    """Percentiles (P10, P50, P90) of the deep vertical displacement on the deep case's output grid,
    (3, n dates, ny, nx) in metres since the case's start, or None when the case has no deep grid.

    The deep surface response is linear in each reservoir's compaction: for reservoirs of uniform
    compaction the sources are S (cell volumes per unit compaction, set by the geometry alone) times
    W(t) (the compaction history, set by Cm, the law and the pressures), so the grid response G of
    the unit sources is computed once and a member costs W @ G. A member whose geometry differs
    (a calibrated depth or outline) is summed in full. The grid sums are the deep study's own
    (``grid_fields``: exact FFT convolution on the computation lattice), so the forecast grid
    matches what ``subsidence run`` writes for the same case."""
    import numpy as np

    from subsidence.deep.sources import build_sources
    from subsidence.deep.superposition import Sources, grid_fields
    from subsidence.studies.deep import _lattice, kernel_of

    def deep_of(case):
        if case.kind == "deep":
            return case.config, 0.0
        inner = getattr(getattr(case.config, "deep", None), "case", None)
        if inner is None:
            return None, 0.0
        return inner.config, float(case.config.deep.offset_s)

    cfg0, off = deep_of(cal.case)
    if cfg0 is None or getattr(cfg0.model, "method", "analytic") != "analytic" or cfg0.output.grid is None:
        return None
    g = cfg0.output.grid
    start = np.datetime64(cal.case.start_date, "D")
    times = off + np.concatenate([[0.0], (dates - start).astype(float) * 86400.0])
    lat, m = _lattice(cfg0)

    def grid_uz(src, kern):  # (times of src.W, grid points)
        rows = []
        grid_fields(src, kern, g, ("uz",), lambda it, f: rows.append(f[0].ravel().copy()), lattice=lat, m=m)
        return np.array(rows)

    src0 = build_sources(cfg0, lat, times)
    kern = kernel_of(cfg0)
    G = grid_uz(Sources(src0.x, src0.y, src0.depth, src0.S, np.eye(src0.rank)), kern)  # uz of each unit source
    out = []
    for j in range(state.zg.shape[1]):
        cfg, _ = deep_of(cal.case_of(state.zg[:, j]))
        src = build_sources(cfg, lat, times)
        same = (src.S.shape == src0.S.shape and np.array_equal(src.S, src0.S) and np.array_equal(src.depth, src0.depth)
                and kernel_of(cfg) == kern)
        uz = src.W @ G if same else grid_uz(src, kernel_of(cfg))
        out.append((uz[1:] - uz[0]).reshape(len(dates), g.ny, g.nx))
    return g, np.percentile(np.array(out), [10, 50, 90], axis=0)


def main(args) -> int:
    import dataclasses
    import datetime as _dt
    import time
    from pathlib import Path

    import numpy as np
    from mpi4py import MPI

    from subsidence.calibration.calibrate import Calibration, Observations, State
    from subsidence.config import CaseError
    from subsidence.insar.noise import NoiseModel
    from subsidence.io.rundir import RunDirectory
    from subsidence.log import get_logger
    from subsidence.run import finish_run

    log = get_logger("calibration")
    comm = MPI.COMM_WORLD
    t_start = time.perf_counter()
    started = _dt.datetime.now(_dt.timezone.utc)
    out, cal_dir = Path(args.out).resolve(), Path(args.calibration).resolve()
    if out == cal_dir or out in cal_dir.parents:  # the output directory is replaced as a whole
        what = "the calibration directory" if out == cal_dir else "a folder above the calibration directory"
        raise CaseError(str(args.out), "--out", f"is {what} {args.calibration}: writing the forecast there would replace "
                        "the calibration (state.npz, observations.npz); choose another --out")
    case, st = load_calibration(args.calibration)
    # what writing --out would refuse, before anything runs (on every rank: the same file system)
    RunDirectory(args.out, None, case_name=case.name, case_sha256=case.sha256, force=args.force, kind="forecast").preflight()
    args.insar = getattr(args, "insar", None)  # (a Namespace built in Python, as before --insar existed)
    if getattr(args, "match_distance", 0.0) and args.match_distance < 0:
        raise CaseError("", "--match-distance", f"must be >= 0 (metres), got {args.match_distance:g}")
    if (args.dates is None) == (args.insar is None):
        raise CaseError("", "--dates", "give either --dates (a file of dates) or --insar (a later product to score the "
                        "forecast against)")
    reference = getattr(args, "reference", None)
    n_ref = getattr(args, "reference_epochs", None)
    if reference is not None and args.insar is None:
        raise CaseError("", "--reference", "applies to --insar (a product to score the forecast against) only")
    if n_ref is not None and reference != "first-epochs":
        raise CaseError("", "--reference-epochs", "applies to --reference first-epochs only")
    if n_ref is not None and n_ref < 1:
        raise CaseError("", "--reference-epochs", f"must be >= 1, got {n_ref}")
    reference = reference or "overlap"
    n_ref = 6 if n_ref is None else n_ref
    cfg = dataclasses.replace(case.calibration, ensemble=int(st["zg"].shape[1]))
    t0 = np.datetime64(str(st["t0"]), "D")
    nv = st["noise"]
    nm = NoiseModel(white_var=nv[0], spatial_var=nv[1], spatial_range=nv[2], temporal_var=nv[3], temporal_range=nv[4])
    check = until = full = ref = None
    if args.insar is not None:  # the product's epochs; the ones after the calibration are scored
        from subsidence.calibration.check import (calibration_gaps, last_calibration_date, load_calibration_observations,
                                                  observations_for_check, observations_later_only, score_forecast,
                                                  subset_state)
        from subsidence.insar.cli import model_crs, read_dataset
        from subsidence.insar.config import ValidationConfig

        until = last_calibration_date(args.calibration)
        crs = model_crs(getattr(args, "crs", None), case.crs, "case")  # on every rank: an error ends all of them
        if comm.rank == 0:
            ds = read_dataset(Path(args.insar), args, case.validation or ValidationConfig(), crs=crs)
            md = getattr(args, "match_distance", 0.0) or 0.0
            if reference == "overlap":
                full, idx = observations_for_check(ds, case, st, until, md, gaps=calibration_gaps(args.calibration))
            else:  # later epochs only: the calibration's own data give the offsets and the baselines
                full, idx, ref = observations_later_only(ds, st, load_calibration_observations(args.calibration, st, until),
                                                         until, md, reference=reference, reference_epochs=n_ref)
        full, idx, ref = comm.bcast((full, idx, ref) if comm.rank == 0 else None, root=0)
        state = subset_state(st, idx)
        cal = Calibration(case, full, cfg, comm=comm, t0=t0)
        log.info("forecast check: %d members at %d points of %s; %d epochs up to %s (offsets, baselines%s), %d after it "
                 "(%s)", state.zg.shape[1], full.ids.size, Path(args.insar).name, int(full.cal.sum()), until,
                 "" if reference == "overlap" else ": the calibration's own data", int((~full.cal).sum()),
                 "scored" if ref is None else f"the first {int(ref.sum())} reference the product, the rest scored")
    else:
        dates = np.array(read_dates(args.dates), dtype="datetime64[D]")
        if case.start_date is not None and dates[0] < np.datetime64(case.start_date, "D"):
            raise CaseError(str(args.dates), "--dates", f"{dates[0]} is before the case's start_date {case.start_date}")
        comp = str(st["component"])
        los = st["los"] if comp == "los" else None
        m = st["ids"].size
        obs = Observations(ids=st["ids"], x=st["x"], y=st["y"], dates=dates, D=np.zeros((m, dates.size)), component=comp,
                           los=los, cal=np.ones(dates.size, bool))
        cal = Calibration(case, obs, cfg, comm=comm, t0=t0)
        zp = st.get("zp")
        state = State(zg=st["zg"], pp=st["pp"], zp=zp if zp is not None and zp.size else None)
    m = cal.m
    if (state.zp is None) != (not cal.fields) or (state.zp is not None and state.zp.shape[0] != len(cal.fields) * m):
        raise CaseError(str(args.calibration), "state.npz", "its per-point parameters do not match the case's [calibration] "
                        "(a calibration directory from another version or case?)")
    if args.dates is not None:
        log.info("forecast: %d members at %d points, %d dates (%s … %s)", state.zg.shape[1], m, dates.size, dates[0], dates[-1])
    res = cal.run_ensemble(state, keep_parts=True, desc="forecast")
    if args.insar is not None:
        from subsidence.calibration.scores import with_offsets

        cal.set_noise(nm, {"source": "the calibration's noise model"})
        series_all = with_offsets(full.D, res["series"], full.cal)  # each member referenced on the shared epochs
        if ref is not None:  # a product with its own reference: each member put at its level on the first epochs
            from subsidence.calibration.check import relevel

            series_all = relevel(full.D, series_all, ref, ~full.cal)
        # on every rank (the no-physics baseline is computed on rank 0 and broadcast inside: a collective)
        from subsidence.calibration.cli import _blas_per_rank

        with _blas_per_rank(comm):  # one BLAS thread per rank, as calibrate (a busy-waiting rank starves threads)
            check = score_forecast(cal, series_all, float(nm.total_sigma), float(nm.temporal_range), cfg.seed + 1,
                                   ref=ref)
        later = ~full.cal if ref is None else ~full.cal & ~ref  # the scored epochs (not those that fix the level)
        dates = full.dates[later]
        res = {k: v[..., later] for k, v in res.items()}
        series = series_all[..., later]
        obs = dataclasses.replace(full, dates=dates, D=full.D[:, later], cal=np.ones(dates.size, bool))
    else:
        series = res["series"] + st["offsets"][:, :, None]  # (N, m, n) in the data's reference
    q = np.percentile(series, [10, 50, 90], axis=0)
    oq = mixture_quantiles(series, float(nm.total_sigma), [0.1, 0.9])  # members + observation noise, exact
    # the vertical parts since the case's start date, as the runs are: the per-point terms (rate from
    # the first calibration epoch, annual cycle) less their value at that date
    start = np.array([np.datetime64(case.start_date, "D")])
    bg = res["background_uz"] - np.stack([cal.background(state, j, start) for j in range(state.zg.shape[1])])
    total = np.percentile(res["deep_uz"] + res["shallow_uz"] + bg, 50, axis=0)
    deep = np.percentile(res["deep_uz"], 50, axis=0)
    shallow = np.percentile(res["shallow_uz"] + bg, 50, axis=0)
    notes = list(cal.fm.notes)
    prefix = {"los": "los", "up": "up", "east": "east"}[obs.component]
    grid = deep_grid_forecast(cal, state, dates) if comm.rank == 0 else None  # serial; no collective inside
    with RunDirectory(args.out, comm, case_name=case.name, case_sha256=case.sha256, force=args.force, kind="forecast") as rd:
        if rd.rank == 0:
            _write_csv(rd.file("forecast_points.csv"), obs, dates, q, oq, total, deep, shallow, prefix)
            _write_nc(rd.file("forecast.nc"), obs, dates, q, oq, total, deep, shallow, prefix, case, notes, grid)
            if check is not None:
                from subsidence.calibration.report import fig_fans

                _write_check(rd.file("forecast_check.json"), check, obs, args, until, full, reference, ref)
                t_all = (full.dates - full.dates[0]).astype(float) / 365.25
                fig_fans(cal, {"t": t_all, "post_series": series_all}, rd.file("forecast_check_fans.png"))
        extra = {} if check is None else {"check": {"insar": str(args.insar), "verdict": check["verdict"],
                                                    "scores": check["scores"]}}
        finish_run(rd, case, comm, {
            "name": case.name, "kind": "forecast", "calibration": str(args.calibration), "members": int(state.zg.shape[1]),
            "points": int(m), "dates": [str(d) for d in (dates[0], dates[-1])], "component": obs.component,
            "notes": notes + ["percentiles p10/p50/p90 are of the model ensemble; obs_p10/obs_p90 add the "
                              "calibration's observation noise (a future measurement)"], **extra},
            time.perf_counter() - t_start, started)
    if comm.rank == 0:
        for n in notes:
            print(f"note: {n}")
        print(f"forecast: {args.out}/forecast_points.csv ({m} points × {dates.size} dates)")
        if check is not None:
            _print_check(check, args.out)
    return 0


#: what ``forecast_check.json`` says of each ``--reference``
REFERENCE_TEXT = {
    "overlap": "each member shifted per point by its mean difference from the product over the shared epochs (up to the "
               "calibration's last epoch); the baselines are fitted on those epochs only",
    "calibration": "the product continues the calibration product's reference: each member keeps its per-point offset "
                   "from the calibration's own observations (observations.npz), on which the baselines are fitted",
    "first-epochs": "the product has its own reference: each member and each baseline (fitted on the calibration's own "
                    "observations, observations.npz) is shifted per point by its mean difference from the product over "
                    "the product's first {n} epochs after the calibration, which are not scored",
}


def _write_check(path, check, obs, args, until, full, reference="overlap", ref=None) -> None:
    import json

    later = ~full.cal if ref is None else ~full.cal & ~ref
    scored = full.dates[later]
    doc = {"insar": str(args.insar), "calibration": str(args.calibration), "component": obs.component,
           "last_calibration_epoch": str(until), "reference_mode": reference,
           "points": int(obs.ids.size), "shared_epochs": int(full.cal.sum()),
           "reference_epochs": 0 if ref is None else int(ref.sum()), "scored_epochs": int(scored.size),
           "first_scored": str(scored[0]), "last_scored": str(scored[-1]), "skipped": full.skipped,
           "read": full.provenance,
           "reference": REFERENCE_TEXT[reference].format(n=0 if ref is None else int(ref.sum())), **check}
    path.write_text(json.dumps(doc, indent=1, default=float), encoding="utf-8")


def _print_check(check, out) -> None:
    for n in check.get("notes", []):
        print(f"note: {n}")
    print(f"check: {check['verdict']}")
    row = ", ".join(f"{k} {v['rmse_m'] * 1e3:.2f}" for k, v in check["scores"].items() if v and "rmse_m" in v)
    print(f"  RMSE after the calibration [mm]: {row}")
    post = check["scores"]["posterior ensemble"]
    if "coverage_p10_p90" in post:
        print(f"  P10-P90 coverage of a future observation {100 * post['coverage_p10_p90']:.0f} % (80 % is calibrated), "
              f"CRPS {post['crps_m'] * 1e3:.2f} mm")
    for h in check["scores_by_horizon"]:
        to = "" if h["lead_to_yr"] is None else f"{h['lead_to_yr']:g}"
        row = ", ".join(f"{k} {v['rmse_m'] * 1e3:.2f}" for k, v in h["scores"].items() if v and "rmse_m" in v)
        print(f"    horizon {h['lead_from_yr']:g}-{to} yr ({h['epochs']} epochs) [mm]: {row}")
    print(f"  details: {out}/forecast_check.json")


def _write_csv(path, obs, dates, q, oq, total, deep, shallow, prefix):
    import csv

    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "date", f"{prefix}_p10", f"{prefix}_p50", f"{prefix}_p90", "obs_p10", "obs_p90",
                    "uz_total_p50", "uz_deep_p50", "uz_shallow_p50"])
        for i in range(obs.ids.size):
            for k, d in enumerate(dates):
                w.writerow([obs.ids[i], str(d), *[f"{a[i, k]:.6f}" for a in (q[0], q[1], q[2], oq[0], oq[1], total, deep, shallow)]])


def _write_nc(path, obs, dates, q, oq, total, deep, shallow, prefix, case, notes, grid=None):
    import numpy as np
    import xarray as xr

    unit = {"units": "m"}
    comp = {"los": "line of sight, positive towards the satellite", "up": "vertical, up positive", "east": "east positive"}
    data = {f"{prefix}_p{p}": (("station", "time"), q[k], {**unit, "long_name": f"P{p} of the ensemble, {comp[prefix]}"})
            for k, p in enumerate((10, 50, 90))}
    data.update({
        "obs_p10": (("station", "time"), oq[0], {**unit, "long_name": "P10 of a future observation (model + noise)"}),
        "obs_p90": (("station", "time"), oq[1], {**unit, "long_name": "P90 of a future observation (model + noise)"}),
        "uz_total_p50": (("station", "time"), total, {**unit, "long_name": "vertical displacement, median", "positive": "up"}),
        "uz_deep_p50": (("station", "time"), deep, {**unit, "long_name": "vertical, deep part, median", "positive": "up"}),
        "uz_shallow_p50": (("station", "time"), shallow, {**unit, "long_name": "vertical, shallow part (model + background), median",
                                                         "positive": "up"}),
    })
    ds = xr.Dataset(data, coords={
        "time": ("time", dates.astype("datetime64[ns]"), {"standard_name": "time"}),
        "station_id": ("station", obs.ids.astype(str), {"cf_role": "timeseries_id"}),
        "x": ("station", obs.x, {"standard_name": "projection_x_coordinate", "units": "m"}),
        "y": ("station", obs.y, {"standard_name": "projection_y_coordinate", "units": "m"}),
    }, attrs={"featureType": "timeSeries", "Conventions": "CF-1.8", "title": f"forecast of {case.name}",
              "source": "subsidence forecast (calibrated ensemble)", "history": "; ".join(notes) or "weather: recorded"})
    gridded = []
    if grid is not None:  # the deep part on the deep case's output grid
        g, pct = grid
        ds = ds.assign_coords(x_grid=("x_grid", g.x, {"standard_name": "projection_x_coordinate", "units": "m", "axis": "X"}),
                              y_grid=("y_grid", g.y, {"standard_name": "projection_y_coordinate", "units": "m", "axis": "Y"}))
        for k, p in enumerate((10, 50, 90)):
            ds[f"deep_uz_grid_p{p}"] = (("time", "y_grid", "x_grid"), pct[k], {
                **unit, "positive": "up", "long_name": f"P{p} of the ensemble: vertical deep displacement since the case's start"})
            gridded.append(f"deep_uz_grid_p{p}")
    if case.crs:
        import pyproj

        ds["crs"] = ((), np.int32(0), pyproj.CRS.from_user_input(case.crs).to_cf())
        for k in list(data) + gridded:
            ds[k].attrs["grid_mapping"] = "crs"
    ds.to_netcdf(path)
