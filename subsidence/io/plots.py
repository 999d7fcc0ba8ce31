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
    cmap, vmin, vmax = colour_scale(uz)
    pc = ax.pcolormesh(x * km, y * km, uz, cmap=cmap, vmin=vmin, vmax=vmax, shading="auto")
    levels = _nice_levels(uz)
    if len(levels):
        cs = ax.contour(x * km, y * km, uz, levels=levels, colors="k", linewidths=0.7, linestyles="solid")
        ax.clabel(cs, fmt="%g", fontsize=7)
    i, j = np.unravel_index(np.argmin(uz), uz.shape)
    ax.plot(x[j] * km, y[i] * km, "k+", ms=10, label="deepest point")
    ax.axhline(y[i] * km, color="0.3", lw=0.6, ls="--", label="cross-section")
    draw_outlines(ax, getattr(res, "outlines", None) or [], scale=km)
    draw_points(ax, res.point_names, res.point_x, res.point_y, scale=km)
    ax.set_xlim(x.min() * km, x.max() * km)
    ax.set_ylim(y.min() * km, y.max() * km)
    fig.colorbar(pc, ax=ax, label="vertical displacement uz [mm] (up positive)")
    ax.set_aspect("equal")
    ax.set_xlabel(f"x / easting [km]{crs_label(res.crs)}")
    ax.set_ylabel("y / northing [km]")
    ax.legend(loc="upper right", fontsize=7, framealpha=0.8)
    ax.set_title(f"{title}  {when}\nmax subsidence {-uz.min():.1f} mm; contours in mm")
    f = outdir / "subsidence_map.png"
    fig.savefig(f, dpi=130)
    plt.close(fig)
    files.append(f)

    fig, ax = plt.subplots(figsize=(8, 4.5), constrained_layout=True)
    ax.plot(x * km, uz[i], "C0", label="uz (vertical, up +)")
    ax.plot(x * km, ux[i], "C1", label="ux (east +)")
    ax.plot(x * km, uy[i], "C2", ls=":", label="uy (north +)")
    ax.axhline(0, color="0.5", lw=0.5)
    ax.set_xlabel(f"x / easting [km]{crs_label(res.crs)}")
    ax.set_ylabel("displacement [mm]")
    ax.set_title(f"{title}  section y = {y[i] * km:g} km through the deepest point, {when}")
    ax.legend()
    ax.grid(alpha=0.3)
    f = outdir / "cross_section.png"
    fig.savefig(f, dpi=130)
    plt.close(fig)
    files.append(f)
    return files


def colour_scale(z: np.ndarray, *, tol: float = 1e-3):
    """(cmap, vmin, vmax): diverging and symmetric when the field has both signs, one-sided
    (sequential, zero at the pale end) when nothing rises (or nothing sinks) beyond ``tol``
    of the largest magnitude."""
    lo, hi = float(np.nanmin(z)), float(np.nanmax(z))
    lim = max(abs(lo), abs(hi), 1e-12)
    if hi <= tol * lim:
        return "Blues_r", min(lo, -1e-12), 0.0
    if lo >= -tol * lim:
        return "Reds", 0.0, max(hi, 1e-12)
    return "RdBu", -lim, lim


def crs_label(crs: str | None) -> str:
    """`` (EPSG:28992, Amersfoort / RD New)`` for axis labels; empty without a CRS."""
    if not crs:
        return ""
    try:
        import pyproj

        name = pyproj.CRS.from_user_input(crs).name
    except Exception:
        return f" ({crs})"
    return f" ({crs}, {name})" if name and name != crs else f" ({crs})"


def outline_xy(shape, n: int = 181):
    """The outline of a reservoir shape as (x, y) arrays in metres, or None (gridded shapes)."""
    kind = getattr(shape, "type", None)
    if kind == "disc":
        a = np.linspace(0.0, 2 * np.pi, n)
        return shape.center[0] + shape.radius * np.cos(a), shape.center[1] + shape.radius * np.sin(a)
    if kind == "polygon":
        v = np.asarray(shape.vertices, float)
        v = np.vstack([v, v[:1]])
        return v[:, 0], v[:, 1]
    return None


def draw_outlines(ax, outlines, *, scale: float = 1.0, color: str = "k") -> None:
    """Reservoir / field outlines (``[(name, shape), ...]``) as dash-dotted lines, named."""
    first = True
    for name, shape in outlines:
        label = "reservoir outline" if first else None
        xy = outline_xy(shape)
        if xy is not None:
            ax.plot(xy[0] * scale, xy[1] * scale, color=color, lw=1.1, ls="-.", label=label)
            k = int(np.argmax(xy[1]))
            ax.annotate(str(name), (xy[0][k] * scale, xy[1][k] * scale), xytext=(0, 3), textcoords="offset points",
                        ha="center", va="bottom", fontsize=7, color=color)
            first = False
        elif hasattr(shape, "dx") and len(getattr(shape, "x", [])):  # gridded: the edge of the occupied cells
            gx, gy = np.asarray(shape.x, float), np.asarray(shape.y, float)
            ix = np.round((gx - gx.min()) / shape.dx).astype(int)
            iy = np.round((gy - gy.min()) / shape.dy).astype(int)
            occ = np.zeros((iy.max() + 3, ix.max() + 3))
            occ[iy + 1, ix + 1] = 1.0
            xs = gx.min() + (np.arange(occ.shape[1]) - 1) * shape.dx
            ys = gy.min() + (np.arange(occ.shape[0]) - 1) * shape.dy
            ax.contour(xs * scale, ys * scale, occ, levels=[0.5], colors=color, linewidths=1.1, linestyles="dashdot")
            if first:
                ax.plot([], [], color=color, lw=1.1, ls="-.", label="reservoir outline")
            first = False


def draw_points(ax, names, px, py, *, scale: float = 1.0, max_labels: int = 25) -> None:
    """Named output points as markers, labelled (the first ``max_labels``)."""
    if names is None or not len(names):
        return
    px, py = np.asarray(px, float) * scale, np.asarray(py, float) * scale
    ax.plot(px, py, "o", ms=3.5, mfc="w", mec="k", mew=0.8, ls="none", label="output points")
    if len(names) <= max_labels:
        for n, xx, yy in zip(names, px, py):
            ax.annotate(str(n), (xx, yy), xytext=(3, 3), textcoords="offset points", fontsize=7)


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
    from matplotlib.lines import Line2D

    fig, ax = plt.subplots(figsize=(8, 4.5), constrained_layout=True)
    handles = []
    for k, n in enumerate(names[:max_points]):
        (ln,) = ax.plot(t, np.asarray(puz)[:, k] * 1e3, label=str(n))
        ax.plot(t, np.asarray(pux)[:, k] * 1e3, ls=":", color=ln.get_color())
        handles.append(ln)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("displacement [mm]")
    more = f" (first {max_points} of {len(names)})" if len(names) > max_points else ""
    ax.set_title(f"{title}: displacement at named points{more}")
    ax.grid(alpha=0.3)
    style = [Line2D([], [], color="0.2", ls="-", label="solid: uz, vertical (up +)"),
             Line2D([], [], color="0.2", ls=":", label="dotted: ux, east (+)")]
    leg = ax.legend(handles=style, loc="lower left", fontsize=7, title="line style", title_fontsize=7)
    ax.add_artist(leg)
    ax.legend(handles=handles, fontsize=7, ncol=2, loc="upper right", title="point (colour)", title_fontsize=7)
    f = Path(outdir) / "points_timeseries.png"
    fig.savefig(f, dpi=130)
    plt.close(fig)
    return f


def plot_deformation(x, y, fields: dict, outdir: str | Path, *, title: str = "", when: str = "", crs: str | None = None,
                     outlines=None) -> Path:
    """``deformation_map.png``: tilt (mm/m), curvature (1/km, sagging positive), largest horizontal
    extension and compression (mm/m = ‰) over the output grid, four panels."""
    plt = _plt()
    x, y = np.asarray(x) * 1e-3, np.asarray(y) * 1e-3
    panels = [
        ("tilt", 1e3, "tilt |∇uz| [mm/m]"),
        ("curvature", 1e3, "curvature [1/km] (+ sagging, − hogging)"),
        ("horizontal_strain", 1e3, "largest horizontal strain [mm/m] (extension +)"),
        ("horizontal_compression", 1e3, "largest horizontal compression [mm/m] (compression +)"),
    ]
    fig, axes = plt.subplots(2, 2, figsize=(11, 9.5), constrained_layout=True)
    for ax, (name, scale, label) in zip(axes.ravel(), panels):
        z = np.asarray(fields[name]) * scale
        if name == "tilt":
            cmap, vmin, vmax = "viridis", 0.0, max(float(z.max()), 1e-12)
        elif name == "horizontal_compression":  # the scale of horizontal_strain, reversed: compression red in both
            cmap, vmin, vmax = colour_scale(-z)
            cmap, vmin, vmax = (cmap[:-2] if cmap.endswith("_r") else cmap + "_r"), -vmax, -vmin
        else:
            cmap, vmin, vmax = colour_scale(z)
        pc = ax.pcolormesh(x, y, z, cmap=cmap, vmin=vmin, vmax=vmax, shading="auto")
        draw_outlines(ax, outlines or [], scale=1e-3)
        fig.colorbar(pc, ax=ax, label=label, shrink=0.85)
        ax.set_aspect("equal")
        ax.set_xlim(x.min(), x.max())
        ax.set_ylim(y.min(), y.max())
        ax.set_xlabel(f"x / easting [km]{crs_label(crs)}", fontsize=8)
        ax.set_ylabel("y / northing [km]", fontsize=8)
        top = f"max |κ| {np.abs(z).max():.3g}" if name == "curvature" else f"max {max(float(z.max()), 0.0):.3g}"
        ax.set_title(f"{name.replace('_', ' ')}: {top}", fontsize=9)
    fig.suptitle(f"{title}  {when}".strip())
    f = Path(outdir) / "deformation_map.png"
    fig.savefig(f, dpi=110)
    plt.close(fig)
    return f
