"""Surface deformation measures of runs whose outputs are at points (shallow and coupled runs).

Shallow and coupled runs give the displacement at their points (parcels, a grid of points), not
on a grid. Where the points span an area with enough neighbours, the tilt, curvature and
horizontal strain at each point come from a local quadratic least-squares fit of its nearest
points (:class:`subsidence.deep.deformation.PointStencils`): ``deformation.nc`` (the points as
a CF timeSeries, like ``points.nc``), ``deformation_map.png`` and the ``max_*`` keys of
``summary.json``, as deep runs have them. Vertical: the run's total (deep − shallow in coupled
runs). Horizontal: the deep part of a coupled run; a shallow-only run has no horizontal
displacement (1-D soil columns), so its horizontal strain is 0 — said in the file and the summary.
"""

from __future__ import annotations

import numpy as np

from subsidence.deep.deformation import MEASURES, Maxima, PointStencils, measures_from, radius_of_curvature
from subsidence.units import SECONDS_PER_YEAR

POINT_METHOD = ("local quadratic least-squares fits of the {k} nearest output points at each point "
                "(the measures describe the surface at the scale of the point spacing)")
NO_HORIZONTAL = "none: the shallow model is vertical (1-D soil columns), so the horizontal strain is 0"
DEEP_HORIZONTAL = "the deep part of the coupled run (its deep case)"
SERIES_HORIZONTAL = ("none: the deep part is a time series of vertical displacement and the shallow model is "
                     "vertical, so the horizontal strain is 0")

#: deformation.nc at points: the grid variables plus the signed radius of curvature
POINT_VARS = {
    "tilt": {"units": "1", "long_name": "tilt: magnitude of the surface gradient |grad uz| (m/m)"},
    "curvature": {"units": "m-1", "long_name": "principal curvature of largest magnitude of the surface, "
                  "positive sagging (concave upward), negative hogging (convex)"},
    "radius_of_curvature": {"units": "km", "long_name": "radius of curvature 1/curvature (positive sagging); "
                            "NaN where the curvature is 0 or the point has no fit"},
    "horizontal_strain": {"units": "1", "long_name": "largest principal horizontal strain, extension positive"},
    "horizontal_compression": {"units": "1", "long_name": "largest horizontal compression: minus the smallest "
                               "principal horizontal strain, compression positive"},
}


def point_measures(x, y, ux, uy, uz, stencils: PointStencils | None = None) -> tuple[dict, PointStencils]:
    """The measures of :data:`MEASURES` (nt, npoints) of displacements (nt, npoints) at scattered points."""
    st = stencils or PointStencils(x, y)
    ux, uy, uz = (np.atleast_2d(np.asarray(a, float)) for a in (ux, uy, uz))
    per_time = [measures_from(st.derivatives(ux[it], uy[it], uz[it])) for it in range(uz.shape[0])]  # bounded memory
    meas = {k: np.stack([m[k] for m in per_time]) for k in per_time[0]}
    for v in meas.values():
        v[..., ~st.ok] = np.nan
    return meas, st


def write_point_deformation(rundir, res, *, title: str = "", horizontal: str, plots: bool = True) -> dict:
    """``deformation.nc``/``deformation_map.png`` (rank 0) and the ``max_*`` summary keys (every
    rank) of the point displacements of a :class:`subsidence.io.surface.SurfaceResult`.
    ``horizontal`` says where the horizontal displacement comes from (for the summary)."""
    x, y = np.asarray(res.point_x, float), np.asarray(res.point_y, float)
    meas, st = point_measures(x, y, res.point_ux, res.point_uy, res.point_uz)
    info = {"deformation_horizontal": horizontal}
    if not st.ok.any():
        why = st.reasons[0] if st.reasons else "no points"
        return {**info, "deformation": f"not computed: {why}"}
    maxima = Maxima()
    for it, t in enumerate(np.asarray(res.times, float) / SECONDS_PER_YEAR):
        maxima.update_points(t, x, y, {k: v[it] for k, v in meas.items()})
    method = POINT_METHOD.format(k=st.k)
    out = {**maxima.summary(), "deformation_method": method, **info,
           "deformation_points": int(st.ok.sum()), "deformation_points_without_fit": int((~st.ok).sum())}
    if rundir.rank == 0:
        _write_nc(rundir.file("deformation.nc"), res, meas, title=title, method=method, horizontal=horizontal)
        if plots:
            plot_point_deformation(rundir.file("deformation_map.png"), x, y, {k: v[-1] for k, v in meas.items()},
                                   title=f"{title}  t = {res.times[-1] / SECONDS_PER_YEAR:g} yr".strip(), crs=res.crs)
    return out


def _write_nc(path, res, meas, *, title, method, horizontal) -> None:
    from subsidence.io.surface import SurfaceResult, points_dataset

    fields = {**meas, "radius_of_curvature": radius_of_curvature(meas["curvature"]) * 1e-3}
    extra = {k: (fields[k], a) for k, a in POINT_VARS.items()}
    bare = SurfaceResult(times=res.times, point_names=list(res.point_names), point_x=res.point_x, point_y=res.point_y,
                         crs=res.crs, start_date=res.start_date)
    ds = points_dataset(bare, title=title, extra=extra)
    ds.attrs.update(method=method, horizontal_displacement=horizontal)
    ds.to_netcdf(path)


def plot_point_deformation(path, x, y, fields: dict, *, title: str = "", crs: str | None = None) -> None:
    """Four panels, as the grid runs' ``deformation_map.png``, with the points coloured."""
    from subsidence.io.plots import _plt, colour_scale, crs_label

    plt = _plt()
    panels = [("tilt", "tilt |∇uz| [mm/m]"), ("curvature", "curvature [1/km] (+ sagging, − hogging)"),
              ("horizontal_strain", "largest horizontal strain [mm/m] (extension +)"),
              ("horizontal_compression", "largest horizontal compression [mm/m] (compression +)")]
    fig, axes = plt.subplots(2, 2, figsize=(11, 9.5), constrained_layout=True)
    for ax, (name, label) in zip(axes.ravel(), panels):
        z = np.asarray(fields[name], float) * 1e3
        ok = np.isfinite(z)
        if name == "tilt" or not ok.any():
            cmap, vmin, vmax = "viridis", 0.0, max(float(np.nanmax(z)) if ok.any() else 0.0, 1e-12)
        else:
            cmap, vmin, vmax = colour_scale(z[ok])
        ax.plot(x[~ok] * 1e-3, y[~ok] * 1e-3, "x", color="0.6", ms=3, ls="none", label="no fit")
        sc = ax.scatter(x[ok] * 1e-3, y[ok] * 1e-3, c=z[ok], s=14, cmap=cmap, vmin=vmin, vmax=vmax)
        fig.colorbar(sc, ax=ax, label=label, shrink=0.85)
        ax.set_aspect("equal")
        ax.set_xlabel(f"x / easting [km]{crs_label(crs)}", fontsize=8)
        ax.set_ylabel("y / northing [km]", fontsize=8)
        top = np.nanmax(np.abs(z)) if ok.any() else 0.0
        ax.set_title(f"{name.replace('_', ' ')}: max {'|κ| ' if name == 'curvature' else ''}{top:.3g}", fontsize=9)
        if (~ok).any():
            ax.legend(fontsize=7, loc="upper right")
    fig.suptitle(title)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def chain_deformation_outputs(rundir, res, case) -> dict:
    """The hook of the shallow and coupled studies: the measures of the chain's output points
    (``res`` a :class:`subsidence.shallow.chain.ChainResult`)."""
    from subsidence.shallow.deep import CaseDeep, SeriesDeep
    from subsidence.shallow.output import output_index, surface_result

    cfg = case.config
    sres = surface_result(res, case, output_index(res, cfg.output_interval_days))
    deep = getattr(cfg, "deep", None)
    if isinstance(deep, CaseDeep):
        horizontal = DEEP_HORIZONTAL
    elif isinstance(deep, SeriesDeep):
        horizontal = SERIES_HORIZONTAL
    else:
        horizontal = NO_HORIZONTAL
    return write_point_deformation(rundir, sres, title=case.name, horizontal=horizontal, plots=cfg.plots)


__all__ = ["MEASURES", "POINT_VARS", "chain_deformation_outputs", "point_measures", "write_point_deformation"]
