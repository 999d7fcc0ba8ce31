"""``subsidence compare RUN_A RUN_B [--out DIR]``: differences between two run directories.

Reads each run's ``surface.nc`` (grid) and ``points.csv`` (points). B is interpolated
(bilinearly) onto A's grid where the grids differ; times must match (common times are
used). Prints a table (per time: maximum subsidence of A and B, maximum and RMS of
|uz_A − uz_B| and of the horizontal difference; per point: Δux, Δuy, Δuz at the last
common time) and writes ``compare.json``, ``compare_points.csv`` and ``compare.png`` (A, B
and A − B maps with a cross-section through A's deepest point) into ``--out`` (default:
the current directory).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_a", help="first run directory (the reference)")
    parser.add_argument("run_b", help="second run directory")
    parser.add_argument("--out", "-o", default=None, help="folder for compare.json/.png (default: current directory)")
    parser.add_argument("--no-plot", action="store_true", help="skip the figure")


def main(args) -> int:
    from subsidence.parallel import world

    if world().rank != 0:
        return 0
    try:
        report = compare_runs(args.run_a, args.run_b, out=args.out, plot=not args.no_plot)
    except CompareError as exc:
        print(f"error: {exc}")
        return 2
    print(format_table(report))
    return 0


class CompareError(Exception):
    pass


def _load_grid(run: Path):
    from subsidence.io.surface import open_surface

    f = run / "surface.nc"
    if not f.exists():
        return None
    return open_surface(f)  # time in years


def _load_points(run: Path):
    import pandas as pd

    f = run / "points.csv"
    return pd.read_csv(f) if f.exists() else None


def compare_runs(run_a, run_b, *, out=None, plot: bool = True) -> dict:
    import numpy as np

    a, b = Path(run_a), Path(run_b)
    for r in (a, b):
        if not r.is_dir():
            raise CompareError(f"{r}: not a run directory")
    ga, gb = _load_grid(a), _load_grid(b)
    pa, pb = _load_points(a), _load_points(b)
    if (ga is None or gb is None) and (pa is None or pb is None):
        raise CompareError("the runs share neither a surface grid (surface.nc) nor points (points.csv)")
    report: dict = {"run_a": str(a), "run_b": str(b), "grid": [], "points": []}
    diff_last = None
    if ga is not None and gb is not None:
        times = np.intersect1d(np.round(ga.time.values, 9), np.round(gb.time.values, 9))
        if times.size == 0:
            raise CompareError("surface.nc: the runs have no output time in common")
        same = ga.x.size == gb.x.size and ga.y.size == gb.y.size and np.allclose(ga.x, gb.x) and np.allclose(ga.y, gb.y)
        for t in times:
            A = ga.sel(time=t, method="nearest")
            B = gb.sel(time=t, method="nearest")
            if not same:
                B = B[["ux", "uy", "uz"]].interp(x=ga.x, y=ga.y)
            dz = (A.uz - B.uz).values
            dh = np.hypot((A.ux - B.ux).values, (A.uy - B.uy).values)
            ok = np.isfinite(dz)
            if not ok.any():
                raise CompareError("the grids of the two runs do not overlap")
            sa, sb = float(-np.nanmin(A.uz.values)), float(-np.nanmin(B.uz.values))
            report["grid"].append({
                "time_yr": float(t), "max_subsidence_a_m": sa, "max_subsidence_b_m": sb,
                "relative_difference": (sb - sa) / sa if sa else None,
                "max_abs_duz_m": float(np.nanmax(np.abs(dz))), "rms_duz_m": float(np.sqrt(np.nanmean(dz[ok] ** 2))),
                "max_dh_m": float(np.nanmax(dh)), "interpolated": not same,
            })
            diff_last = (A, B, dz, dh)
    if pa is not None and pb is not None:
        ta = float(pa.time.max())
        m = pa.merge(pb, on=["name", "time"], suffixes=("_a", "_b"))
        last = m[np.isclose(m.time, m.time.max())] if len(m) else m
        for _, row in last.iterrows():
            report["points"].append({"name": row["name"], "time_yr": float(row.time),
                                     **{f"d{c}_m": float(row[f"{c}_a"] - row[f"{c}_b"]) for c in ("ux", "uy", "uz")},
                                     "uz_a_m": float(row.uz_a), "uz_b_m": float(row.uz_b)})
        report["points_time_yr"] = ta
    dest = Path(out) if out else Path.cwd()
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "compare.json").write_text(json.dumps(report, indent=2) + "\n")
    if report["points"]:
        import pandas as pd

        pd.DataFrame(report["points"]).to_csv(dest / "compare_points.csv", index=False)
    if plot and diff_last is not None:
        _plot(diff_last, a.name, b.name, dest / "compare.png")
    return report


def _plot(diff, name_a, name_b, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    A, B, dz, _ = diff
    x, y = A.x.values / 1000, A.y.values / 1000
    fig, ax = plt.subplots(1, 4, figsize=(18, 4.2))
    vmin = float(min(np.nanmin(A.uz), np.nanmin(B.uz))) * 1000
    for k, (f, title) in enumerate(((A.uz.values, name_a), (B.uz.values, name_b))):
        im = ax[k].pcolormesh(x, y, f * 1000, vmin=vmin, vmax=0, cmap="viridis_r", shading="auto")
        ax[k].set_title(f"uz {title} (mm)")
        fig.colorbar(im, ax=ax[k])
    lim = float(np.nanmax(np.abs(dz))) * 1000 or 1.0
    im = ax[2].pcolormesh(x, y, dz * 1000, vmin=-lim, vmax=lim, cmap="RdBu_r", shading="auto")
    ax[2].set_title(f"uz {name_a} − {name_b} (mm)")
    fig.colorbar(im, ax=ax[2])
    for a_ in ax[:3]:
        a_.set_aspect("equal")
        a_.set_xlabel("x (km)")
    j = np.unravel_index(np.nanargmin(A.uz.values), A.uz.shape)[0]
    ax[3].plot(x, A.uz.values[j] * 1000, label=name_a)
    ax[3].plot(x, B.uz.values[j] * 1000, "--", label=name_b)
    ax[3].plot(x, dz[j] * 1000, ":", label="A − B")
    ax[3].set_title(f"section y = {y[j]:.2f} km")
    ax[3].set_xlabel("x (km)")
    ax[3].set_ylabel("uz (mm)")
    ax[3].legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def format_table(report: dict) -> str:
    lines = [f"A = {report['run_a']}", f"B = {report['run_b']}"]
    if report["grid"]:
        lines.append(f"{'time (yr)':>10} {'max subs A (mm)':>16} {'max subs B (mm)':>16} {'B/A-1 (%)':>10} "
                     f"{'max|dUz| (mm)':>14} {'rms dUz (mm)':>13} {'max|dH| (mm)':>13}")
        for g in report["grid"]:
            rel = f"{100 * g['relative_difference']:10.2f}" if g["relative_difference"] is not None else f"{'-':>10}"
            lines.append(f"{g['time_yr']:10.3g} {1000 * g['max_subsidence_a_m']:16.3f} {1000 * g['max_subsidence_b_m']:16.3f} "
                         f"{rel} {1000 * g['max_abs_duz_m']:14.3f} {1000 * g['rms_duz_m']:13.3f} {1000 * g['max_dh_m']:13.3f}")
    if report["points"]:
        lines.append(f"points at t = {report['points'][0]['time_yr']:g} yr (A − B):")
        lines.append(f"{'name':>12} {'uz A (mm)':>10} {'uz B (mm)':>10} {'dux (mm)':>9} {'duy (mm)':>9} {'duz (mm)':>9}")
        for p in report["points"]:
            lines.append(f"{p['name']:>12} {1000 * p['uz_a_m']:10.3f} {1000 * p['uz_b_m']:10.3f} {1000 * p['dux_m']:9.3f} "
                         f"{1000 * p['duy_m']:9.3f} {1000 * p['duz_m']:9.3f}")
    return "\n".join(lines)
