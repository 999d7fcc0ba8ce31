"""Standard figures of a run: subsidence map with contours, and a cross-section."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_surface(res, outdir: str | Path, *, title: str = "", it: int = -1) -> list[Path]:
    """``subsidence_map.png`` and ``cross_section.png`` at output time ``it``."""
    plt = _plt()
    outdir = Path(outdir)
    x, y = np.asarray(res.x), np.asarray(res.y)
    uz = np.asarray(res.grid_uz[it]) * 1e3
    ux = np.asarray(res.grid_ux[it]) * 1e3
    uy = np.asarray(res.grid_uy[it]) * 1e3
    t = res.times_yr[it]
    when = f"t = {t:g} yr"
    if res.start_date is not None:
        import datetime as _dt

        d = res.start_date + _dt.timedelta(days=float(res.times[it]) / 86400.0)
        when += f" ({d.isoformat()})"
    km = 1e-3
    files = []

    fig, ax = plt.subplots(figsize=(7.5, 6.5), constrained_layout=True)
    lim = max(np.abs(uz).max(), 1e-12)
    pc = ax.pcolormesh(x * km, y * km, uz, cmap="RdBu", vmin=-lim, vmax=lim, shading="auto")
    levels = _nice_levels(uz)
    if len(levels):
        cs = ax.contour(x * km, y * km, uz, levels=levels, colors="k", linewidths=0.7, linestyles="solid")
        ax.clabel(cs, fmt="%g", fontsize=7)
    i, j = np.unravel_index(np.argmin(uz), uz.shape)
    ax.plot(x[j] * km, y[i] * km, "k+", ms=10)
    ax.axhline(y[i] * km, color="0.3", lw=0.6, ls="--")
    fig.colorbar(pc, ax=ax, label="vertical displacement uz [mm] (up positive)")
    ax.set_aspect("equal")
    unit = f" ({res.crs})" if res.crs else ""
    ax.set_xlabel(f"x / easting [km]{unit}")
    ax.set_ylabel("y / northing [km]")
    ax.set_title(f"{title}  {when}\nmax subsidence {-uz.min():.1f} mm; contours in mm; dashed: section")
    f = outdir / "subsidence_map.png"
    fig.savefig(f, dpi=130)
    plt.close(fig)
    files.append(f)

    fig, ax = plt.subplots(figsize=(8, 4.5), constrained_layout=True)
    ax.plot(x * km, uz[i], "C0", label="uz (vertical, up +)")
    ax.plot(x * km, ux[i], "C1", label="ux (east +)")
    ax.plot(x * km, uy[i], "C2", ls=":", label="uy (north +)")
    ax.axhline(0, color="0.5", lw=0.5)
    ax.set_xlabel("x / easting [km]")
    ax.set_ylabel("displacement [mm]")
    ax.set_title(f"{title}  section y = {y[i] * km:g} km through the deepest point, {when}")
    ax.legend()
    ax.grid(alpha=0.3)
    f = outdir / "cross_section.png"
    fig.savefig(f, dpi=130)
    plt.close(fig)
    files.append(f)
    return files


def _nice_levels(z: np.ndarray, n: int = 8) -> np.ndarray:
    lo, hi = float(z.min()), float(z.max())
    if hi - lo <= 0:
        return np.array([])
    step = 10 ** np.floor(np.log10((hi - lo) / n))
    for m in (1, 2, 5, 10):
        if (hi - lo) / (m * step) <= n:
            step *= m
            break
    lv = np.arange(np.ceil(lo / step) * step, hi, step)
    return lv[np.abs(lv) > 1e-12 * max(abs(lo), abs(hi))]


def plot_point_series(times_s, names, pux, puz, outdir, *, title: str = "", start_date=None, max_points: int = 12):
    """``points_timeseries.png``: uz (and ux) against time at the named points."""
    plt = _plt()
    from subsidence.units import SECONDS_PER_YEAR

    t = np.asarray(times_s) / SECONDS_PER_YEAR
    xlabel = "time [yr]"
    if start_date is not None:
        t = start_date.year + (start_date.timetuple().tm_yday - 1) / 365.25 + t
        xlabel = "year"
    fig, ax = plt.subplots(figsize=(8, 4.5), constrained_layout=True)
    for k, n in enumerate(names[:max_points]):
        (ln,) = ax.plot(t, np.asarray(puz)[:, k] * 1e3, label=f"{n} uz")
        ax.plot(t, np.asarray(pux)[:, k] * 1e3, ls=":", color=ln.get_color())
    ax.set_xlabel(xlabel)
    ax.set_ylabel("displacement [mm] (solid uz up +, dotted ux east +)")
    ax.set_title(f"{title}: displacement at named points")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    f = Path(outdir) / "points_timeseries.png"
    fig.savefig(f, dpi=130)
    plt.close(fig)
    return f
