"""``subsidence impact RUN --buildings FILE``: damage category per building from a run's surface.

Writes into ``--out`` (default ``<RUN>-impact``): ``buildings.csv`` (one row per assessed
building), ``buildings_invalid.csv`` (the rows that could not be assessed, with the reason),
``impact.json`` (counts per category and the parameters) and ``buildings_map.png``; always the
surface measures at the assessed time (``deformation.nc`` with the radius of curvature, and the
angular distortion over ``--base-length``; ``pairs.csv`` for ``--pair``); with ``--cba`` the
CBA 1987 comparison table. The folder is written next to ``--out`` (``<out>.partial-<id>``) and
moved into place when complete: an earlier impact output there is replaced (said in the log),
any other existing folder only with ``--force``. RUN is a grid run (``surface.nc``) or a point run (``points.nc``:
shallow, coupled); see :mod:`subsidence.impact.surfaces`.
The physics is in :mod:`subsidence.impact.damage`; reading the footprints in
:mod:`subsidence.impact.footprints`.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import sys
import uuid
from pathlib import Path

import numpy as np

from subsidence.config.errors import CaseError
from subsidence.impact.damage import (CATEGORIES, E_OVER_G, FRAGILITY_DEMANDS, LIMITS, NU, assess, category,
                                      fragility_probabilities, son_cording_strain)
from subsidence.impact.footprints import FootprintError, Invalid, read_footprints
from subsidence.impact.surfaces import ImpactError, Outside, load_surface
from subsidence.log import get_logger

log = get_logger("impact")

SAMPLES = 11  # points along each building's main axis
DEFAULT_HEIGHT = 6.0  # m, when neither the file nor --height gives one


def add_arguments(p) -> None:
    p.add_argument("run", help="run directory (with surface.nc, or points.nc for shallow and coupled runs)")
    p.add_argument("--buildings", default=None, metavar="FILE",
                   help="footprints: CSV with x, y, length, orientation (degrees clockwise from north), optional "
                        "name, height; or polygons (GeoJSON, GeoPackage)")
    p.add_argument("--out", "-o", default=None,
                   help="output directory (default: <RUN>-impact); an earlier impact output there is replaced")
    p.add_argument("--force", action="store_true",
                   help="replace an existing --out folder that is not the output of an earlier impact call")
    p.add_argument("--time", type=float, default=None, help="output time of the run in years (default: the last)")
    p.add_argument("--height", type=float, default=DEFAULT_HEIGHT,
                   help=f"building height in m where the file gives none (default {DEFAULT_HEIGHT:g})")
    p.add_argument("--e-over-g", type=float, default=E_OVER_G,
                   help=f"E/G of the building as a beam (default {E_OVER_G}: masonry; 12.5 for frames)")
    p.add_argument("--minus", default=None, metavar="RUN2",
                   help="assess the difference RUN − RUN2 (e.g. a heterogeneous model minus the homogeneous one, "
                        "or a scenario minus the base case): RUN2's surface interpolated onto RUN's grid")
    p.add_argument("--fragility", default=None, metavar="TOML",
                   help="fragility curves: demand = one of " + ", ".join(FRAGILITY_DEMANDS)
                        + "; [[states]] name, median, dispersion (lognormal), in increasing severity")
    p.add_argument("--base-length", default=None, metavar="LENGTH",
                   help="angular distortion over this base length (m, or with a unit: 20m) in deformation.nc, and the "
                        "reference building of --cba (default there 20 m)")
    p.add_argument("--pair", action="append", default=[], metavar="X1,Y1,X2,Y2",
                   help="differential settlement, slope and horizontal strain between two points (m, the run's CRS); "
                        "repeatable; -> pairs.csv")
    p.add_argument("--cba", action="store_true",
                   help="the CBA 1987 comparison: the surface measures against the limits of the damage categories "
                        "(cba_1987_deformation.csv), with the run's impact factors when it has them (cba_1987_table.md)")


def main(args) -> int:
    from subsidence.parallel import world

    if world().rank != 0:
        return 0
    from subsidence.impact.surface_measures import parse_length, parse_pair

    try:
        if not (args.buildings or args.base_length or args.pair or args.cba):
            raise ImpactError("nothing to do: give --buildings, --base-length, --pair or --cba")
        base_length = parse_length(args.base_length) if args.base_length is not None else None
        pairs = [parse_pair(p) for p in args.pair]
        res = run_impact(args.run, args.buildings, args.out, time=args.time, height=args.height,
                         e_over_g=args.e_over_g, fragility=read_fragility(args.fragility) if args.fragility else None,
                         minus=args.minus, base_length=base_length, pairs=pairs, cba=args.cba, force=args.force)
    except (ImpactError, FootprintError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for inv in res["invalid_rows"]:
        print(f"warning: not assessed: {inv.reason}", file=sys.stderr)
    s = res["summary"]
    if s.get("buildings_file"):
        counts = ", ".join(f"{k}: {v}" for k, v in s["counts"].items())
        print(f"{s['assessed']} building(s) assessed ({counts}); {s['invalid']} not assessed -> {res['out']}")
    d = s["deformation"]
    if "not_computed" in d:
        print(f"t = {d['time_yr']:g} yr: {d['not_computed']}")
    if "max_curvature" in d:
        print(f"t = {d['time_yr']:g} yr: max tilt {d['max_tilt']:.3g}, max |curvature| {d['max_curvature']:.3g} /m "
              f"(radius {d['min_radius_of_curvature_km'] or float('inf'):.4g} km), max horizontal strain "
              f"{d['max_horizontal_strain']:.3g}" + (f", max angular distortion over {d['base_length_m']:g} m "
                                                      f"{d['max_angular_distortion']:.3g}" if "max_angular_distortion" in d else "")
              + f" -> {res['out']}")
    if "angular_distortion_not_computed" in d:
        print(f"t = {d['time_yr']:g} yr: no angular distortion over {d['base_length_m']:g} m: "
              f"{d['angular_distortion_not_computed']}")
    for r in s.get("pairs", []):
        print(f"pair {r['pair']}: differential settlement {r['differential_settlement_m']:.4g} m over "
              f"{r['distance_m']:.4g} m (slope {r['slope']:.3g}, horizontal strain {r['horizontal_strain']:.3g})")
    if args.cba:
        c = next((r for r in s.get("cba_1987_deformation", []) if r["quantity"] == "max_angular_distortion"), None)
        if c is not None and c["value"] == "":
            print(f"CBA 1987 comparison: angular distortion {c['unit'].removeprefix('1 ')}: {c['note']}")
        print(f"CBA 1987 comparison -> {res['out'] / 'cba_1987_table.md'}")
    return 0


def read_fragility(path) -> dict:
    """``demand`` and ``[[states]]`` (name, median, dispersion) of a TOML file; errors name the file and key."""
    import tomllib

    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ImpactError(f"{path}: cannot read the fragility curves ({exc})") from None
    demand = data.get("demand")
    if demand not in FRAGILITY_DEMANDS:
        raise ImpactError(f"{path}: demand must be one of {list(FRAGILITY_DEMANDS)}, got {demand!r}")
    states = []
    for k, st in enumerate(data.get("states", [])):
        try:
            name, med, beta = str(st["name"]), float(st["median"]), float(st["dispersion"])
        except (KeyError, TypeError, ValueError):
            raise ImpactError(f"{path}: states[{k}] needs name, median and dispersion (numbers)") from None
        if not (med > 0 and beta > 0):
            raise ImpactError(f"{path}: states[{k}] ({name}): median and dispersion must be > 0")
        if states and med <= states[-1][1]:
            raise ImpactError(f"{path}: states[{k}] ({name}): medians must increase with severity "
                              f"({med:g} after {states[-1][1]:g})")
        states.append((name, med, beta))
    if not states:
        raise ImpactError(f"{path}: no [[states]]")
    return {"demand": demand, "states": states, "file": str(path)}


def run_impact(run, buildings_file=None, out=None, *, time: float | None = None, height: float = DEFAULT_HEIGHT,
               e_over_g: float = E_OVER_G, fragility: dict | None = None, minus=None, label: str | None = None,
               base_length: float | None = None, pairs=(), cba: bool = False, force: bool = False) -> dict:
    """Assess the buildings of ``buildings_file`` (if given) on the run's surface, and write the surface
    measures at that time (and ``pairs``, the CBA 1987 table); see the module. ``label`` names the run
    in the outputs (default: its path). The folder ``out`` is written atomically (:func:`_check_out`,
    :func:`_replace`)."""
    from subsidence.impact import surface_measures as sm

    run = Path(run)
    out = Path(out) if out is not None else run.with_name(run.name + "-impact")
    replaces = _check_out(out, [run] + ([Path(minus)] if minus is not None else []), force=force)
    surf = load_surface(run, time, minus)
    meas, dsum = sm.surface_measures(surf, base_length)
    if base_length is not None and "angular_distortion_not_computed" in dsum and "not_computed" not in dsum \
            and surf.kind == "grid":  # asked for, and impossible on this grid: say so before writing anything
        x0, x1, y0, y1 = surf.bounds
        why = dsum["angular_distortion_not_computed"].removeprefix("not available: ")
        raise CaseError("", "--base-length", f"{base_length:g} m is too long: {why}; give a base length below "
                                             f"{min(x1 - x0, y1 - y0):g} m")
    rows, invalid = [], []
    if buildings_file is not None:
        rows, invalid = _assess(surf, buildings_file, height=height, e_over_g=e_over_g, fragility=fragility)
    pair_rows = sm.pair_rows(surf, pairs)
    tmp = out.resolve().with_name(f"{out.resolve().name}.partial-{uuid.uuid4().hex[:8]}")
    try:
        tmp.mkdir(parents=True)
        summary = _write(tmp, run, surf, meas, dsum, rows, invalid, pair_rows, buildings_file=buildings_file,
                         height=height, e_over_g=e_over_g, fragility=fragility, minus=minus, label=label,
                         base_length=base_length, pairs=pairs, cba=cba)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)  # never leave a half-written folder
        raise
    _replace(tmp, out, replaces)
    return {"out": out, "rows": rows, "invalid_rows": invalid, "summary": summary}


def _inside(p: Path, folder: Path) -> bool:
    return p == folder or folder in p.parents


def _check_out(out: Path, inputs, *, force: bool) -> str | None:
    """Refuse an ``out`` that cannot become the impact folder; return what it replaces: None (nothing),
    "impact" (an earlier impact output: ``impact.json``), "empty" or "other" (with ``force``)."""
    for p in (out, *out.parents):
        if p.exists() and not p.is_dir():
            raise CaseError("", "--out", f"{p} exists and is not a directory")
    res = out.resolve()
    if _inside(Path.cwd().resolve(), res):
        raise CaseError("", "--out", f"{out} is (or holds) the current directory: the impact output needs a folder "
                                     "of its own")
    for inp in inputs:
        if not inp.exists():
            continue  # load_surface says so
        d = inp.resolve() if inp.is_dir() else inp.resolve().parent
        if _inside(d, res):
            raise CaseError("", "--out", f"{out} is (or holds) the run directory {inp}: the impact output needs a "
                                         "folder of its own")
    if not out.exists():
        return None
    if (out / "impact.json").is_file():
        return "impact"
    if not any(out.iterdir()):
        return "empty"
    if not force:
        raise CaseError("", "--out", f"{out} exists, is not empty and is not the output of an earlier impact call "
                                     "(no impact.json); use --force to replace it, or choose another --out")
    return "other"


def _replace(tmp: Path, out: Path, replaces: str | None) -> None:
    """Move the complete folder ``tmp`` into place: the old ``out`` is renamed aside, ``tmp`` renamed to
    ``out``, then the old one deleted (a reader sees the old folder or the new one, never a mix)."""
    old = None
    if out.exists():
        if replaces == "impact":
            log.info("replacing the earlier impact output in %s", out)
        elif replaces == "other":
            log.warning("replacing %s, which was not an impact output (--force)", out)
        old = tmp.with_name(tmp.name.replace(".partial-", ".old-"))
        os.replace(out, old)
    try:
        os.replace(tmp, out)
    except BaseException:
        if old is not None and not out.exists():
            os.replace(old, out)
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _write(out, run, surf, meas, dsum, rows, invalid, pair_rows, *, buildings_file, height, e_over_g, fragility,
           minus, label, base_length, pairs, cba) -> dict:
    """Every file of the impact folder into ``out``; the summary (``impact.json``)."""
    from subsidence.impact import cba as cba_table
    from subsidence.impact import surface_measures as sm

    summary = {"run": label or str(run), "minus": None if minus is None else str(minus), "time_yr": surf.time_yr,
               "surface": surf.kind}
    if buildings_file is not None:
        _write_csv(out / "buildings.csv", rows)
        invalid.sort(key=lambda i: i.row)
        with (out / "buildings_invalid.csv").open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["row", "name", "reason"])
            for i in invalid:
                w.writerow([i.row, i.name, i.reason])
        counts = {c: sum(r["category"] == c for r in rows) for c in CATEGORIES}
        summary.update({
            "buildings_file": str(buildings_file), "assessed": len(rows), "invalid": len(invalid), "counts": counts,
            "method": "limiting tensile strain (Burland & Wroth 1974; Boscardin & Cording 1989; Burland 1995)",
            "limits_percent": [100 * v for v in LIMITS], "e_over_g": e_over_g, "poisson_ratio": NU,
            "samples_per_axis": SAMPLES,
            "profile": "cubic splines of the grid" if surf.kind == "grid" else
                       "the local quadratic fit of the nearest output points at the building's centre",
            "son_cording_counts": {c: sum(r["son_cording_category"] == c for r in rows) for c in CATEGORIES},
        })
        if fragility is not None:
            names = ["none"] + [n for n, _, _ in fragility["states"]]
            summary["fragility"] = {"file": fragility["file"], "demand": fragility["demand"],
                                    "states": [{"name": n, "median": m, "dispersion": b} for n, m, b in fragility["states"]],
                                    "expected_counts": {n: float(sum(r[f"p_{n}"] for r in rows)) for n in names}}
    summary["deformation"] = dsum
    sm.write_deformation(out / "deformation.nc", surf, meas, dsum)
    if pair_rows:
        sm.write_pairs(out / "pairs.csv", pair_rows)
        summary["pairs"] = pair_rows
    if cba:
        run_dir = run if run.is_dir() else run.parent
        run_max = None
        if minus is None and (run_dir / "summary.json").is_file():
            run_max = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
        cba_len, cdsum = base_length, dsum
        if base_length is None:  # the reference building's length, only where none was asked for
            cba_len = cba_table.DEFAULT_BASE_LENGTH
            dsum_b = sm.surface_measures(surf, cba_len)[1]
            cdsum = {**dsum, **{k: v for k, v in dsum_b.items() if "angular" in k or k == "base_length_m"}}
        crows = cba_table.deformation_rows(cdsum, base_length=cba_len, height=height, e_over_g=e_over_g,
                                           run_maxima=run_max)
        cba_table.write_csv(out / "cba_1987_deformation.csv", crows)
        cba_table.write_markdown(out / "cba_1987_table.md", crows, run=label or str(run), time_yr=surf.time_yr,
                                 impact_factors=None if minus is not None else run_dir / "cba_1987.csv")
        summary["cba_1987_deformation"] = crows
    (out / "impact.json").write_text(json.dumps(summary, indent=2, default=_json) + "\n", encoding="utf-8")
    title = f"{label or run.name}: t = {surf.time_yr:g} yr"
    if rows:
        _plot(out / "buildings_map.png", surf, rows, title=f"{label or run.name}: damage categories, t = {surf.time_yr:g} yr")
    sm.plot(out / "deformation_impact.png", surf, meas, dsum, title=title, pairs=pairs)
    return summary


def _json(v):
    if isinstance(v, (np.floating, np.integer)):
        return v.item()
    raise TypeError(f"not JSON serialisable: {type(v).__name__}")


def _assess(surf, buildings_file, *, height, e_over_g, fragility):
    buildings, invalid = read_footprints(buildings_file, default_height=height, target_crs=surf.crs)
    rows = []
    for b in buildings:
        ex, ey = b.axis
        s = np.linspace(-0.5 * b.length, 0.5 * b.length, SAMPLES)
        try:
            uz, eps_h = surf.axis_profile(b.x, b.y, ex, ey, s)
        except Outside as exc:
            invalid.append(Invalid(b.row, b.name, f"{buildings_file}, row {b.row}: {exc}"))
            continue
        a = assess(s, uz, eps_h, b.height, e_over_g=e_over_g, nu=NU)
        rows.append({"row": b.row, "name": b.name, "x": b.x, "y": b.y, "length_m": b.length, "height_m": b.height,
                     "orientation_deg": b.orientation, "settlement_m": float(-uz.mean()),
                     "differential_settlement_m": a.differential_settlement_m, "tilt": a.tilt,
                     "deflection_ratio": a.deflection_ratio, "mode": a.mode, "angular_distortion": a.angular_distortion,
                     "horizontal_strain": a.horizontal_strain, "bending_strain": a.bending_strain,
                     "diagonal_strain": a.diagonal_strain, "limiting_tensile_strain": a.limiting_tensile_strain,
                     "category": a.category, "category_name": a.category_name})
        sc = son_cording_strain(a.angular_distortion, a.horizontal_strain)
        rows[-1].update(son_cording_strain=sc, son_cording_category=category(sc))
        if fragility is not None:
            probs = fragility_probabilities(rows[-1][fragility["demand"]], fragility["states"])
            rows[-1]["p_none"] = probs[0]
            for (name, _, _), p in zip(fragility["states"], probs[1:]):
                rows[-1][f"p_{name}"] = p
    if not rows:
        reasons = "; ".join(i.reason for i in invalid[:5]) + (" …" if len(invalid) > 5 else "")
        raise ImpactError(f"{buildings_file}: no building could be assessed: {reasons or 'the file has none'}")
    return rows, invalid


def _write_csv(path: Path, rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        for r in rows:
            w.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in r.items()})


def _plot(path: Path, surf, rows, *, title: str) -> None:
    from subsidence.io.plots import _plt, crs_label

    plt = _plt()
    cx, cy = surf.coords()
    fig, ax = plt.subplots(figsize=(7.5, 6.5), constrained_layout=True)
    if surf.kind == "grid":
        pc = ax.pcolormesh(cx * 1e-3, cy * 1e-3, surf.u["uz"] * 1e3, cmap="Blues_r", shading="auto")
    else:
        pc = ax.scatter(cx * 1e-3, cy * 1e-3, c=surf.u["uz"] * 1e3, s=10, cmap="Blues_r", marker="s")
    fig.colorbar(pc, ax=ax, label="uz [mm] (up positive)")
    colours = ["#2ca02c", "#bcbd22", "#ff7f0e", "#d62728", "#7f0000"]
    for c, col in zip(CATEGORIES, colours):
        sel = [r for r in rows if r["category"] == c]
        if sel:
            ax.plot([r["x"] * 1e-3 for r in sel], [r["y"] * 1e-3 for r in sel], "o", ms=4, color=col, mec="k", mew=0.4,
                    ls="none", label=f"category {c} ({len(sel)})")
    ax.set_aspect("equal")
    ax.set_xlabel(f"x / easting [km]{crs_label(surf.crs)}")
    ax.set_ylabel("y / northing [km]")
    ax.legend(fontsize=7, loc="upper right")
    ax.set_title(title, fontsize=9)
    fig.savefig(path, dpi=120)
    plt.close(fig)
