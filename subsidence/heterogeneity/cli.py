"""``subsidence bowl RUN [RUN ...] [--reference REF] --out DIR``: bowl metrics of runs and their
differences from a reference run (KEM-47: how much does a heterogeneity change the bowl).

Writes ``metrics.csv`` (one line per run, the reference first), ``differences.nc`` (per run:
uz, ux, uy minus the reference's at the same output time, on the run's grid; the reference is
interpolated where the grids differ) and ``difference_<label>.png`` (vertical and horizontal
difference maps). With ``--window T0 T1`` (years), the difference of the displacement *rates*
over that window is projected onto the Sentinel-1 ascending and descending lines of sight
(incidence 39°, headings −12° and 192° by default) and compared with a velocity noise
(``--velocity-noise``, default 1 mm/yr): a cell is detectable where |Δv_LOS| exceeds twice it;
``metrics.csv`` gets the detectable share of the cells and the largest |Δv_LOS| per geometry,
``differences.nc`` the Δv_LOS maps and a detectability code (0 none, 1 ascending, 2 descending,
3 both), and ``detectable_<label>.png`` the map. The folder is written next to ``--out`` and
moved into place when complete.

Labels: the reference is ``reference``; a run is its folder's name, or as many trailing parts of
its path (joined by ``-``) as make the labels unique (``runs/strong`` and ``alt/strong`` become
``runs-strong`` and ``alt-strong``; a run folder named ``reference`` becomes e.g.
``o_fe-reference``). A reference grid that does not overlap a run's grid, or that misses the
run's deepest point, is an error; one that covers part of it gives NaN differences outside,
the covered share in ``reference_coverage`` and a warning.
"""

from __future__ import annotations

import csv
import os
import shutil
from pathlib import Path

import numpy as np

from subsidence.log import get_logger

log = get_logger("bowl")


class BowlError(ValueError):
    pass


def run_labels(runs, *, reserved=("reference",)) -> list[str]:
    """Unique labels of the run directories ``runs``: the folder's name, or as many trailing parts
    of the absolute path (joined by "-") as tell it apart from the others and from ``reserved``;
    an index in front where even the whole paths are the same."""
    parts = [Path(os.path.abspath(r)).parts[1:] or (str(r),) for r in runs]
    k = [1] * len(parts)
    while True:
        labels = ["-".join(p[-n:]) for p, n in zip(parts, k)]
        bad = [i for i, lab in enumerate(labels) if labels.count(lab) > 1 or lab in reserved]
        grow = [i for i in bad if k[i] < len(parts[i])]
        if not grow:
            break
        for i in grow:
            k[i] += 1
    for i in bad:  # the same folder twice (or a path that is all "reference")
        labels[i] = f"{i + 1}-{labels[i]}"
    return labels


def add_arguments(p) -> None:
    p.add_argument("runs", nargs="+", help="run directories (each with surface.nc)")
    p.add_argument("--reference", default=None, help="run directory of the reference (e.g. the homogeneous model)")
    p.add_argument("--time", type=float, default=None, help="output time in years (default: the last of each run)")
    p.add_argument("--contour", type=float, default=None, help="an absolute contour (m of subsidence, > 0) whose widths to report")
    p.add_argument("--window", type=float, nargs=2, default=None, metavar=("T0", "T1"),
                   help="time window (years) of the line-of-sight detectability test (rates over the window)")
    p.add_argument("--velocity-noise", type=float, default=1e-3, help="velocity noise of the InSAR product, m/yr (default 1e-3)")
    p.add_argument("--incidence", type=float, default=39.0, help="incidence angle, degrees in (0, 90) (default 39)")
    p.add_argument("--out", "-o", required=True, help="output folder")
    p.add_argument("--force", action="store_true", help="replace an existing output folder")


def _load(run: str, time: float | None):
    from subsidence.io.surface import open_surface

    path = Path(run) / "surface.nc"
    if not path.is_file():
        raise BowlError(f"{run}: no surface.nc (not a run directory with a surface grid)")
    ds = open_surface(path)
    t = ds["time"].values
    k = len(t) - 1 if time is None else int(np.argmin(np.abs(t - time)))
    if time is not None and abs(t[k] - time) > 1e-6 * max(1.0, abs(time)):
        raise BowlError(f"{run}: no output time {time:g} yr (it has {', '.join(f'{v:g}' for v in t)})")
    f = {c: ds[c].isel(time=k).values.astype(float) for c in ("ux", "uy", "uz")}
    return ds["x"].values.astype(float), ds["y"].values.astype(float), f, float(t[k])


def main(args) -> int:
    from subsidence.config import CaseError

    out = Path(args.out)
    if out.exists() and not args.force:
        raise CaseError("", "--out", f"{out} exists (give --force to replace it)")
    runs = ([("reference", args.reference)] if args.reference else []) + list(zip(run_labels(args.runs), args.runs))
    _check_options(args)
    try:
        data = {lab: _load(r, args.time) for lab, r in runs}
        window = None if args.window is None else {lab: (_load(r, args.window[0]), _load(r, args.window[1])) for lab, r in runs}
        if args.reference:
            _check_overlap(runs, data)
    except BowlError as exc:
        raise CaseError("", "bowl", str(exc)) from None
    tmp = out.with_name(out.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        _write(tmp, runs, data, window, args)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)  # never leave a half-written folder
        raise
    if out.exists():
        shutil.rmtree(out)
    os.replace(tmp, out)
    print(f"metrics of {len(runs)} run(s): {out / 'metrics.csv'}")
    return 0


def _check_options(args) -> None:
    """The numbers of the command line that cannot be meant (CaseError naming the option)."""
    from subsidence.config import CaseError

    if args.time is not None and not np.isfinite(args.time):
        raise CaseError("", "--time", f"must be an output time in years, got {args.time}")
    if args.window is not None and not args.reference:
        raise CaseError("", "--window", "the detectability test compares runs with a --reference")
    if args.window is not None and not (np.all(np.isfinite(args.window)) and args.window[1] > args.window[0]):
        raise CaseError("", "--window", f"T1 must be after T0 (two output times in years), got {args.window}")
    if not (args.velocity_noise > 0 and np.isfinite(args.velocity_noise)):
        raise CaseError("", "--velocity-noise", f"must be > 0 (m/yr), got {args.velocity_noise}")
    if not 0 < args.incidence < 90:
        raise CaseError("", "--incidence", f"must be in (0, 90) degrees from the vertical, got {args.incidence}")
    if args.contour is not None and not (args.contour > 0 and np.isfinite(args.contour)):
        raise CaseError("", "--contour", f"must be a subsidence > 0 m (positive down: 0.02 for uz = -0.02 m), "
                                         f"got {args.contour}")


def _same_grid(xa, ya, xb, yb) -> bool:
    return xa.shape == xb.shape and ya.shape == yb.shape and np.allclose(xa, xb) and np.allclose(ya, yb)


def _reference_on(x, y, ref):
    """The reference's fields on the grid (x, y): itself on the same grid, else interpolated (NaN outside)."""
    from subsidence.heterogeneity.bowl import on_grid

    xr_, yr_, fr, _ = ref
    return fr if _same_grid(xr_, yr_, x, y) else {c: on_grid(x, y, xr_, yr_, fr[c]) for c in fr}


def _extent(x, y) -> str:
    return f"x {x.min():.6g} to {x.max():.6g}, y {y.min():.6g} to {y.max():.6g}"


def _check_overlap(runs, data) -> None:
    """BowlError where the reference's grid does not cover a run's grid (no cell in common) or
    misses the run's deepest point; a warning where it covers part of it."""
    (_, ref_path), *others = runs
    xr_, yr_ = data[runs[0][0]][:2]
    for lab, r in others:
        x, y, f, _ = data[lab]
        if _same_grid(xr_, yr_, x, y):
            continue
        cover = np.isfinite(_reference_on(x, y, data[runs[0][0]])["uz"])
        why = f"{ref_path}: its grid ({_extent(xr_, yr_)}) "
        if not cover.any():
            raise BowlError(why + f"does not overlap the grid of {r} ({_extent(x, y)}): no difference can be "
                                  "formed; run the reference on a grid that covers the run's")
        s = np.maximum(-f["uz"], 0.0)
        if s.max() > 0:
            i, j = np.unravel_index(np.argmax(s), s.shape)
            if not cover[i, j]:
                raise BowlError(why + f"does not cover the deepest point ({x[j]:.6g}, {y[i]:.6g}) of {r} "
                                      f"({_extent(x, y)}); run the reference on a grid that covers the run's bowl")
        if not cover.all():
            log.warning("bowl: the reference grid covers %.1f %% of the grid of %s: its differences are NaN "
                        "outside (reference_coverage in metrics.csv)", 100 * cover.mean(), r)


def _write(tmp, runs, data, window, args):
    from subsidence.heterogeneity.bowl import bowl_metrics

    rows = []
    for lab, r in runs:
        x, y, f, t = data[lab]
        m = bowl_metrics(x, y, f["ux"], f["uy"], f["uz"], contour=args.contour)
        if m.get("notes"):
            log.warning("bowl: %s: %s", lab, m["notes"])
        rows.append({"run": lab, "path": str(r), "time_yr": t, **m})
    if args.reference:
        import xarray as xr

        ref_lab = runs[0][0]  # the reference is first, whatever its label
        dsets = {}
        for lab, _r in runs[1:]:
            x, y, f, t = data[lab]
            ref = _reference_on(x, y, data[ref_lab])
            d = {c: f[c] - ref[c] for c in ("ux", "uy", "uz")}
            dsets[lab] = (x, y, d)
            row = next(r for r in rows if r["run"] == lab)
            row["reference_coverage"] = float(np.isfinite(ref["uz"]).mean())
            _plot(tmp / f"difference_{lab}.png", x, y, d, lab, t)
            if window is not None:
                det = _detectability(x, y, window[lab], window[ref_lab], args)
                d.update(det["maps"])
                row.update(det["metrics"])
                _plot_detect(tmp / f"detectable_{lab}.png", x, y, det["maps"], lab, args)
        ds = xr.Dataset()
        for lab, (x, y, d) in dsets.items():
            for c in d:
                unit = {"dv_los_asc": "m/yr", "dv_los_desc": "m/yr", "detectable": "1"}.get(c, "m")
                name = f"d{c}_{lab}" if c in ("uz", "ux", "uy") else f"{c}_{lab}"
                ds[name] = xr.DataArray(d[c], dims=(f"y_{lab}", f"x_{lab}"), coords={f"x_{lab}": x, f"y_{lab}": y},
                                        attrs={"units": unit, "long_name": f"{c} of {lab} minus the reference"})
        ds.attrs["title"] = "bowl differences from the reference run"
        ds.to_netcdf(tmp / "differences.nc")
    keys = list(dict.fromkeys(k for row in rows for k in row))
    with open(tmp / "metrics.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=keys)
        w.writeheader()
        for row in rows:
            w.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()})


def _plot(path, x, y, d, label, t):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    km = 1e-3
    fig, ax = plt.subplots(1, 2, figsize=(11, 4.5))
    for a, v, name in ((ax[0], d["uz"] * 1e3, "vertical difference (mm, up +)"),
                       (ax[1], np.hypot(d["ux"], d["uy"]) * 1e3, "horizontal difference (mm)")):
        lim = np.nanmax(np.abs(v)) or 1.0
        im = a.pcolormesh(x * km, y * km, v, shading="auto", cmap="RdBu_r" if a is ax[0] else "viridis",
                          vmin=-lim if a is ax[0] else 0.0, vmax=lim)
        fig.colorbar(im, ax=a, label=name)
        a.set_aspect("equal")
        a.set_xlabel("x (km)")
        a.set_ylabel("y (km)")
    fig.suptitle(f"{label} minus the reference, t = {t:g} yr")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _detectability(x, y, run_w, ref_w, args):
    """Rates over the window, run minus reference, on the run's grid, projected on the LOS."""
    from subsidence.heterogeneity.bowl import on_grid
    from subsidence.insar.geometry import S1_HEADING, los_from_heading

    (xa, ya, fa, ta), (xb, yb, fb, tb) = run_w
    (xra, yra, fra, _), (xrb, yrb, frb, _) = ref_w
    dt = tb - ta
    rate = {c: (fb[c] - fa[c]) / dt for c in ("ux", "uy", "uz")}
    rref = {c: on_grid(x, y, xra, yra, (frb[c] - fra[c]) / dt) for c in ("ux", "uy", "uz")}
    dv = {c: rate[c] - rref[c] for c in rate}
    maps, metrics, code = {}, {}, np.zeros_like(dv["uz"], dtype=np.int8)
    for bit, geom in ((1, "ascending"), (2, "descending")):
        e = los_from_heading(args.incidence, S1_HEADING[geom])
        v = e[0] * dv["ux"] + e[1] * dv["uy"] + e[2] * dv["uz"]
        key = "asc" if bit == 1 else "desc"
        maps[f"dv_los_{key}"] = v
        hit = np.abs(v) > 2 * args.velocity_noise
        code += np.where(hit, bit, 0).astype(np.int8)
        metrics[f"detectable_share_{key}"] = float(np.mean(hit[np.isfinite(v)])) if np.isfinite(v).any() else 0.0
        metrics[f"max_abs_dv_los_{key}_m_per_yr"] = float(np.nanmax(np.abs(v)))
    maps["detectable"] = code
    metrics["detectable"] = bool((code > 0).any())
    metrics["window_yr"] = f"{ta:g}-{tb:g}"
    return {"maps": maps, "metrics": metrics}


def _plot_detect(path, x, y, maps, label, args):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap

    km = 1e-3
    fig, ax = plt.subplots(1, 3, figsize=(15, 4.5))
    for a, key, name in ((ax[0], "dv_los_asc", "ascending"), (ax[1], "dv_los_desc", "descending")):
        v = maps[key] * 1e3
        lim = max(np.nanmax(np.abs(v)), 2e3 * args.velocity_noise)
        im = a.pcolormesh(x * km, y * km, v, shading="auto", cmap="RdBu_r", vmin=-lim, vmax=lim)
        a.contour(x * km, y * km, np.abs(v), levels=[2e3 * args.velocity_noise], colors="k", linewidths=0.8)
        fig.colorbar(im, ax=a, label=f"Δv LOS {name} (mm/yr)")
    cmap = ListedColormap(["#eeeeee", "tab:blue", "tab:orange", "tab:red"])
    ax[2].pcolormesh(x * km, y * km, maps["detectable"], shading="auto", cmap=cmap, vmin=-0.5, vmax=3.5)
    ax[2].set_title("detectable: blue asc, orange desc, red both")
    for a in ax:
        a.set_aspect("equal")
        a.set_xlabel("x (km)")
    fig.suptitle(f"{label} minus the reference: rate difference in line of sight (noise {args.velocity_noise * 1e3:g} mm/yr, 2σ)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
