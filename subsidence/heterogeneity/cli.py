"""``subsidence bowl RUN [RUN ...] [--reference REF] --out DIR``: bowl metrics of runs and their
differences from a reference run (KEM-47: how much does a heterogeneity change the bowl).

Writes ``metrics.csv`` (one line per run, the reference first), ``differences.nc`` (per run:
uz, ux, uy minus the reference's at the same output time, on the run's grid; the reference is
interpolated where the grids differ) and ``difference_<label>.png`` (vertical and horizontal
difference maps). The folder is written next to ``--out`` and moved into place when complete.
"""

from __future__ import annotations

import csv
import os
import shutil
from pathlib import Path

import numpy as np


class BowlError(ValueError):
    pass


def add_arguments(p) -> None:
    p.add_argument("runs", nargs="+", help="run directories (each with surface.nc)")
    p.add_argument("--reference", default=None, help="run directory of the reference (e.g. the homogeneous model)")
    p.add_argument("--time", type=float, default=None, help="output time in years (default: the last of each run)")
    p.add_argument("--contour", type=float, default=None, help="an absolute contour (m of subsidence) whose widths to report")
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
    from subsidence.heterogeneity.bowl import bowl_metrics, on_grid

    out = Path(args.out)
    if out.exists() and not args.force:
        raise CaseError("", "--out", f"{out} exists (give --force to replace it)")
    runs = ([("reference", args.reference)] if args.reference else []) + [(Path(r).name, r) for r in args.runs]
    labels = [lab for lab, _ in runs]
    if len(set(labels)) != len(labels):
        runs = [(f"{i}-{lab}", r) for i, (lab, r) in enumerate(runs)]
    try:
        data = {lab: _load(r, args.time) for lab, r in runs}
    except BowlError as exc:
        raise CaseError("", "bowl", str(exc)) from None
    tmp = out.with_name(out.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    rows = []
    for lab, r in runs:
        x, y, f, t = data[lab]
        m = bowl_metrics(x, y, f["ux"], f["uy"], f["uz"], contour=args.contour)
        rows.append({"run": lab, "path": str(r), "time_yr": t, **m})
    keys = list(dict.fromkeys(k for row in rows for k in row))
    with open(tmp / "metrics.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=keys)
        w.writeheader()
        for row in rows:
            w.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()})
    if args.reference:
        import xarray as xr

        xr_, yr_, fr, _ = data["reference"]
        dsets = {}
        for lab, _r in runs[1:]:
            x, y, f, t = data[lab]
            same = xr_.shape == x.shape and yr_.shape == y.shape and np.allclose(xr_, x) and np.allclose(yr_, y)
            ref = fr if same else {c: on_grid(x, y, xr_, yr_, fr[c]) for c in fr}
            d = {c: f[c] - ref[c] for c in ("ux", "uy", "uz")}
            dsets[lab] = (x, y, d)
            _plot(tmp / f"difference_{lab}.png", x, y, d, lab, t)
        ds = xr.Dataset()
        for lab, (x, y, d) in dsets.items():
            for c in ("uz", "ux", "uy"):
                ds[f"d{c}_{lab}"] = xr.DataArray(d[c], dims=(f"y_{lab}", f"x_{lab}"),
                                                 coords={f"x_{lab}": x, f"y_{lab}": y},
                                                 attrs={"units": "m", "long_name": f"{c} of {lab} minus the reference"})
        ds.attrs["title"] = "bowl differences from the reference run"
        ds.to_netcdf(tmp / "differences.nc")
    if out.exists():
        shutil.rmtree(out)
    os.replace(tmp, out)
    print(f"metrics of {len(rows)} run(s): {out / 'metrics.csv'}")
    return 0


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
