"""``subsidence impact RUN --buildings FILE``: damage category per building from a run's surface map.

Writes into ``--out`` (default ``<RUN>-impact``): ``buildings.csv`` (one row per assessed
building), ``buildings_invalid.csv`` (the rows that could not be assessed, with the reason),
``impact.json`` (counts per category and the parameters) and ``buildings_map.png``.
The physics is in :mod:`subsidence.impact.damage`; reading the footprints in
:mod:`subsidence.impact.footprints`.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import numpy as np

from subsidence.impact.damage import (CATEGORIES, E_OVER_G, FRAGILITY_DEMANDS, LIMITS, NU, assess, category,
                                      fragility_probabilities, son_cording_strain)
from subsidence.impact.footprints import FootprintError, Invalid, read_footprints

SAMPLES = 11  # points along each building's main axis
DEFAULT_HEIGHT = 6.0  # m, when neither the file nor --height gives one


class ImpactError(ValueError):
    pass


def add_arguments(p) -> None:
    p.add_argument("run", help="run directory (with surface.nc)")
    p.add_argument("--buildings", required=True, metavar="FILE",
                   help="footprints: CSV with x, y, length, orientation (degrees clockwise from north), optional "
                        "name, height; or polygons (GeoJSON, GeoPackage)")
    p.add_argument("--out", "-o", default=None, help="output directory (default: <RUN>-impact)")
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


def main(args) -> int:
    from subsidence.parallel import world

    if world().rank != 0:
        return 0
    try:
        res = run_impact(args.run, args.buildings, args.out, time=args.time, height=args.height,
                         e_over_g=args.e_over_g, fragility=read_fragility(args.fragility) if args.fragility else None,
                         minus=args.minus)
    except (ImpactError, FootprintError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for inv in res["invalid_rows"]:
        print(f"warning: not assessed: {inv.reason}", file=sys.stderr)
    counts = ", ".join(f"{k}: {v}" for k, v in res["summary"]["counts"].items())
    print(f"{res['summary']['assessed']} building(s) assessed ({counts}); "
          f"{res['summary']['invalid']} not assessed -> {res['out']}")
    return 0


def _surface(run: Path, time: float | None):
    from subsidence.io.surface import open_surface

    nc = run / "surface.nc" if run.is_dir() else run
    if not nc.is_file():
        raise ImpactError(f"{nc}: no surface.nc (the run has no surface map to assess buildings on)")
    ds = open_surface(nc)
    years = ds["time"].values.astype(float)
    if time is None:
        it = len(years) - 1
    else:
        hit = np.flatnonzero(np.isclose(years, time, rtol=0, atol=1e-6))
        if not hit.size:
            raise ImpactError(f"{nc}: no output time {time:g} yr (the run has {', '.join(f'{t:g}' for t in years)})")
        it = int(hit[0])
    return nc, ds, it


def _interpolators(ds, it):
    from scipy.interpolate import RegularGridInterpolator

    x, y = ds["x"].values.astype(float), ds["y"].values.astype(float)
    fx = slice(None) if x[-1] > x[0] else slice(None, None, -1)
    fy = slice(None) if y[-1] > y[0] else slice(None, None, -1)
    method = "cubic" if min(x.size, y.size) >= 4 else "linear"
    out = {}
    for c in ("ux", "uy", "uz"):
        a = ds[c].isel(time=it).values.astype(float)[fy, fx]
        out[c] = RegularGridInterpolator((y[fy], x[fx]), a, method=method, bounds_error=False, fill_value=np.nan)
    return out, (x.min(), x.max(), y.min(), y.max())


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


def run_impact(run, buildings_file, out=None, *, time: float | None = None, height: float = DEFAULT_HEIGHT,
               e_over_g: float = E_OVER_G, fragility: dict | None = None, minus=None, label: str | None = None) -> dict:
    """Assess the buildings of ``buildings_file`` on the run's surface map (see the module);
    ``label`` names the run in the outputs (default: its path)."""
    run = Path(run)
    nc, ds, it = _surface(run, time)
    if minus is not None:  # the difference of two runs at the same output time, on RUN's grid
        nc2, ds2, it2 = _surface(Path(minus), float(ds["time"].values[it]))
        other, _ = _interpolators(ds2, it2)
        X, Y = np.meshgrid(ds["x"].values.astype(float), ds["y"].values.astype(float))
        pts = np.column_stack([Y.ravel(), X.ravel()])
        same = all(ds[k].shape == ds2[k].shape and np.allclose(ds[k].values, ds2[k].values) for k in ("x", "y"))
        ds = ds.copy()
        for c in ("ux", "uy", "uz"):
            sub = ds2[c].isel(time=it2).values.astype(float) if same else other[c](pts).reshape(X.shape)
            if np.isnan(sub).any():
                raise ImpactError(f"{nc2}: its grid does not cover the grid of {nc} (needed for --minus)")
            ds[c][dict(time=it)] = ds[c].isel(time=it).values - sub
    crs = ds.attrs.get("crs") or None
    buildings, invalid = read_footprints(buildings_file, default_height=height, target_crs=crs)
    interp, (x0, x1, y0, y1) = _interpolators(ds, it)
    rows = []
    for b in buildings:
        ex, ey = b.axis
        s = np.linspace(-0.5 * b.length, 0.5 * b.length, SAMPLES)
        px, py = b.x + s * ex, b.y + s * ey
        if px.min() < x0 or px.max() > x1 or py.min() < y0 or py.max() > y1:
            invalid.append(Invalid(b.row, b.name, f"{buildings_file}, row {b.row}: outside the output grid of {nc} "
                                                  f"(x {x0:g} … {x1:g}, y {y0:g} … {y1:g})"))
            continue
        pts = np.column_stack([py, px])
        uz = interp["uz"](pts)
        ua = interp["ux"](pts[[0, -1]]) * ex + interp["uy"](pts[[0, -1]]) * ey
        eps_h = float((ua[1] - ua[0]) / b.length)
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
    out = Path(out) if out is not None else run.with_name(run.name + "-impact")
    out.mkdir(parents=True, exist_ok=True)
    _write_csv(out / "buildings.csv", rows)
    invalid.sort(key=lambda i: i.row)
    with (out / "buildings_invalid.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["row", "name", "reason"])
        for i in invalid:
            w.writerow([i.row, i.name, i.reason])
    counts = {c: sum(r["category"] == c for r in rows) for c in CATEGORIES}
    summary = {
        "run": label or str(run), "minus": None if minus is None else str(minus), "buildings_file": str(buildings_file),
        "time_yr": float(ds["time"].values[it]),
        "assessed": len(rows), "invalid": len(invalid), "counts": counts,
        "method": "limiting tensile strain (Burland & Wroth 1974; Boscardin & Cording 1989; Burland 1995)",
        "limits_percent": [100 * v for v in LIMITS], "e_over_g": e_over_g, "poisson_ratio": NU,
        "samples_per_axis": SAMPLES,
        "son_cording_counts": {c: sum(r["son_cording_category"] == c for r in rows) for c in CATEGORIES},
    }
    if fragility is not None:
        names = ["none"] + [n for n, _, _ in fragility["states"]]
        summary["fragility"] = {"file": fragility["file"], "demand": fragility["demand"],
                                "states": [{"name": n, "median": m, "dispersion": b} for n, m, b in fragility["states"]],
                                "expected_counts": {n: float(sum(r[f"p_{n}"] for r in rows)) for n in names}}
    (out / "impact.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    _plot(out / "buildings_map.png", ds, it, rows, title=f"{label or run.name}: damage categories, t = {summary['time_yr']:g} yr")
    return {"out": out, "rows": rows, "invalid_rows": invalid, "summary": summary}


def _write_csv(path: Path, rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        for r in rows:
            w.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in r.items()})


def _plot(path: Path, ds, it, rows, *, title: str) -> None:
    from subsidence.io.plots import _plt, crs_label

    plt = _plt()
    x, y = ds["x"].values * 1e-3, ds["y"].values * 1e-3
    fig, ax = plt.subplots(figsize=(7.5, 6.5), constrained_layout=True)
    pc = ax.pcolormesh(x, y, ds["uz"].isel(time=it).values * 1e3, cmap="Blues_r", shading="auto")
    fig.colorbar(pc, ax=ax, label="uz [mm] (up positive)")
    colours = ["#2ca02c", "#bcbd22", "#ff7f0e", "#d62728", "#7f0000"]
    for c, col in zip(CATEGORIES, colours):
        sel = [r for r in rows if r["category"] == c]
        if sel:
            ax.plot([r["x"] * 1e-3 for r in sel], [r["y"] * 1e-3 for r in sel], "o", ms=4, color=col, mec="k", mew=0.4,
                    ls="none", label=f"category {c} ({len(sel)})")
    ax.set_aspect("equal")
    ax.set_xlabel(f"x / easting [km]{crs_label(ds.attrs.get('crs'))}")
    ax.set_ylabel("y / northing [km]")
    ax.legend(fontsize=7, loc="upper right")
    ax.set_title(title, fontsize=9)
    fig.savefig(path, dpi=120)
    plt.close(fig)
