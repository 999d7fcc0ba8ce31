"""Validation figures (matplotlib, Agg). Every function writes one PNG and returns its path.

Displacements are plotted in mm and velocities in mm/yr, in the observed component
(LOS positive towards the satellite, or up / east).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

LABEL = {"los": "LOS (+ towards satellite)", "up": "vertical (+ up)", "east": "east-west (+ east)"}


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _sym(*arrays):
    v = np.concatenate([np.ravel(a)[np.isfinite(np.ravel(a))] for a in arrays] or [np.zeros(1)])
    m = float(np.percentile(np.abs(v), 98)) if v.size else 1.0
    return m if m > 0 else 1.0


def velocity_maps(c, path: Path, *, title: str = "") -> Path:
    plt = _plt()
    pm = c.points
    vo, vm, vr = 1e3 * pm["vel_obs"], 1e3 * pm["vel_model"], 1e3 * pm["vel_residual"]
    rm = 1e3 * pm["rmse"]
    x, y = c.ds.x / 1e3, c.ds.y / 1e3
    fig, axs = plt.subplots(2, 2, figsize=(11, 9), constrained_layout=True)
    lim = _sym(vo, vm)
    s = max(4.0, min(40.0, 4e4 / max(c.ds.n, 1)))
    for ax, v, name in ((axs[0, 0], vo, "observed velocity"), (axs[0, 1], vm, "modelled velocity")):
        sc = ax.scatter(x, y, c=v, s=s, cmap="RdBu", vmin=-lim, vmax=lim)
        ax.set_title(f"{name} [mm/yr]")
        fig.colorbar(sc, ax=ax, shrink=0.8)
    rl = _sym(vr)
    sc = axs[1, 0].scatter(x, y, c=vr, s=s, cmap="PuOr", vmin=-rl, vmax=rl)
    axs[1, 0].set_title("velocity residual, observed − model [mm/yr]")
    fig.colorbar(sc, ax=axs[1, 0], shrink=0.8)
    sc = axs[1, 1].scatter(x, y, c=rm, s=s, cmap="viridis", vmin=0, vmax=float(np.nanpercentile(rm, 98)) if np.isfinite(rm).any() else 1)
    axs[1, 1].set_title("RMSE of the residual time series [mm]")
    fig.colorbar(sc, ax=axs[1, 1], shrink=0.8)
    if c.ref_points is not None:
        for ax in axs.flat:
            ax.plot(x[c.ref_points], y[c.ref_points], "k*", ms=10, label="reference")
    for ax in axs.flat:
        ax.set_aspect("equal")
        ax.set_xlabel("x [km]")
        ax.set_ylabel("y [km]")
    fig.suptitle(f"{title} — {LABEL[c.ds.component]}")
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def timeseries(c, path: Path, idx: list[int], *, title: str = "") -> Path:
    plt = _plt()
    n = max(len(idx), 1)
    ncol = 2 if n > 1 else 1
    nrow = int(np.ceil(n / ncol))
    fig, axs = plt.subplots(nrow, ncol, figsize=(11, 2.6 * nrow + 0.6), squeeze=False, sharex=True, constrained_layout=True)
    dates = c.ds.dates.astype("datetime64[D]").astype("O")
    for k, ax in enumerate(axs.flat):
        if k >= len(idx):
            ax.axis("off")
            continue
        i = idx[k]
        ax.plot(dates, 1e3 * c.obs[i], ".", ms=3, color="tab:blue", label="observed")
        ax.plot(dates, 1e3 * c.mod[i], "-", lw=1.8, color="tab:red", label="model")
        ax.set_title(f"{c.ds.ids[i]}  (RMSE {1e3 * c.points['rmse'][i]:.1f} mm)", fontsize=9)
        ax.set_ylabel("mm")
        ax.grid(alpha=0.3)
        if k == 0:
            ax.legend(fontsize=8)
    import matplotlib.dates as mdates

    loc = mdates.AutoDateLocator()
    for ax in axs.flat:
        ax.xaxis.set_major_locator(loc)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(loc))
    fig.suptitle(f"{title} — {LABEL[c.ds.component]} time series")
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def scatter(c, path: Path, *, title: str = "") -> Path:
    plt = _plt()
    fig, axs = plt.subplots(1, 2, figsize=(11, 5), constrained_layout=True)
    ok = np.isfinite(c.obs) & np.isfinite(c.mod) & ~c.exclude
    o, m = 1e3 * c.obs[ok], 1e3 * c.mod[ok]
    if o.size > 50000:
        sel = np.random.default_rng(0).choice(o.size, 50000, replace=False)
        o, m = o[sel], m[sel]
    axs[0].scatter(m, o, s=2, alpha=0.3)
    lo, hi = float(min(o.min(initial=0), m.min(initial=0))), float(max(o.max(initial=0), m.max(initial=0)))
    for ax in axs:
        ax.set_aspect("equal", adjustable="datalim")
    axs[0].plot([lo, hi], [lo, hi], "k--", lw=1)
    axs[0].set_xlabel("model [mm]")
    axs[0].set_ylabel("observed [mm]")
    axs[0].set_title("all displacements")
    vo, vm = 1e3 * c.points["vel_obs"], 1e3 * c.points["vel_model"]
    f = np.isfinite(vo) & np.isfinite(vm)
    axs[1].scatter(vm[f], vo[f], s=8)
    lo, hi = float(min(vo[f].min(initial=0), vm[f].min(initial=0))), float(max(vo[f].max(initial=0), vm[f].max(initial=0)))
    axs[1].plot([lo, hi], [lo, hi], "k--", lw=1)
    axs[1].set_xlabel("model velocity [mm/yr]")
    axs[1].set_ylabel("observed velocity [mm/yr]")
    axs[1].set_title("velocity per point")
    fig.suptitle(f"{title} — observed vs modelled")
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def histogram(c, path: Path, *, title: str = "", noise_sigma: float | None = None) -> Path:
    plt = _plt()
    r = 1e3 * (c.obs - c.mod)[np.isfinite(c.obs) & np.isfinite(c.mod) & ~c.exclude]
    fig, ax = plt.subplots(figsize=(7, 4.5), constrained_layout=True)
    ax.hist(r, bins=60, density=True, alpha=0.75, label=f"residuals (mean {r.mean():.2f}, std {r.std():.2f} mm)")
    if noise_sigma:
        s = 1e3 * noise_sigma
        g = np.linspace(r.min(), r.max(), 200)
        ax.plot(g, np.exp(-0.5 * (g / s) ** 2) / (s * np.sqrt(2 * np.pi)), "k-", label=f"noise model, σ = {s:.2f} mm")
    ax.set_xlabel("observed − model [mm]")
    ax.set_ylabel("density")
    ax.legend(fontsize=8)
    ax.set_title(f"{title} — residuals")
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path
