"""The deep-subsidence study (``kind = "deep"``): reservoirs → surface displacement.

``method = "analytic"``: nucleus-of-strain superposition (Geertsma half-space or van
Opstal rigid basement), see :mod:`subsidence.deep.superposition`.
``method = "fem"``: the finite-element model (:mod:`subsidence.fem`).
"""

from __future__ import annotations

import time

import numpy as np

from subsidence.deep.config import DeepConfig, parse  # noqa: F401  (parse is the study entry point)
from subsidence.deep.geometry import Lattice
from subsidence.deep.kernels import Kernel
from subsidence.deep.sources import build_sources
from subsidence.deep.deformation import Maxima, measures_from
from subsidence.deep.kernels import FIELDS
from subsidence.deep.superposition import SPACING_PER_DEPTH, compute_lattice, grid_fields, point_displacement
from subsidence.io.surface import DEFORMATION_VARS, SurfaceNCWriter, SurfaceResult, surface_summary, write_points_csv
from subsidence.log import Progress, get_logger
from subsidence.units import SECONDS_PER_YEAR

log = get_logger("deep")

#: how deformation.nc and the max_tilt ... keys of summary.json are computed
DEFORMATION_METHOD = "closed-form kernel derivatives, superposed like the displacement"


def _when(case, t_s: float) -> str:
    """``t = 10 yr (2026-01-01)``: an output time for figure titles."""
    when = f"t = {t_s / SECONDS_PER_YEAR:g} yr"
    if case.start_date is not None:
        import datetime as _dt

        when += f" ({(case.start_date + _dt.timedelta(days=float(t_s) / 86400.0)).isoformat()})"
    return when


def kernel_of(cfg: DeepConfig) -> Kernel:
    return Kernel(cfg.model.kernel, cfg.model.poisson_ratio, cfg.model.basement_depth)


def _lattice(cfg: DeepConfig) -> tuple[Lattice, int]:
    dmin = min(r.min_depth for r in cfg.reservoirs)
    caps = [r.cell_size for r in cfg.reservoirs if r.cell_size is not None]
    if cfg.output.grid is not None:
        lat, m = compute_lattice(cfg.output.grid, dmin)
        if caps and lat.dx > min(caps):  # user asked for finer reservoir cells
            g = cfg.output.grid
            m = max(m, int(np.ceil(max(g.dx, g.dy) / min(caps) - 1e-9)))
            lat = Lattice(g.x0, g.y0, g.dx / m, g.dy / m, (g.nx - 1) * m + 1, (g.ny - 1) * m + 1)
        return lat, m
    h = min(caps) if caps else SPACING_PER_DEPTH * dmin
    return Lattice(0.0, 0.0, h, h, 1, 1), 1


def displacement_at(cfg: DeepConfig, x, y, times_s, comm=None):
    """Surface displacement (ux, uy, uz), each (nt, npoints), at arbitrary points and times (s).

    Used by other studies (e.g. the coupled deep + shallow chain). Analytic method only.
    """
    if cfg.model.method != "analytic":
        raise NotImplementedError("displacement_at needs method = 'analytic' (run FE cases and read points.csv)")
    times_s = np.atleast_1d(np.asarray(times_s, float))
    lat, _ = _lattice(cfg)
    src = build_sources(cfg, lat, times_s)
    return point_displacement(src, kernel_of(cfg), np.atleast_1d(np.asarray(x, float)), np.atleast_1d(np.asarray(y, float)))


def run(case, rundir, comm) -> dict:
    cfg: DeepConfig = case.config
    if cfg.model.method == "fem":
        from subsidence.fem.study import run as run_fem

        summary = run_fem(case, rundir, comm)
    else:
        summary = {}
        if comm.rank == 0:  # the analytic superposition is serial and involves no collectives
            summary = _run_analytic(case, rundir)
    if cfg.impact is not None and comm.rank == 0:  # serial, no collectives: the buildings on the finished maps
        summary["buildings"] = _buildings(cfg.impact, rundir)
    return comm.bcast(summary, root=0)


def _buildings(spec, rundir) -> dict:
    """``[impact]``: the buildings assessed on this run's surface map, into ``impact/``."""
    from subsidence.config import CaseError
    from subsidence.impact.cli import ImpactError, read_fragility, run_impact
    from subsidence.impact.footprints import FootprintError

    try:
        res = run_impact(rundir.path, spec.buildings, rundir.path / "impact", time=spec.time, height=spec.height,
                         e_over_g=spec.e_over_g, fragility=read_fragility(spec.fragility) if spec.fragility else None,
                         label=str(rundir.out))
    except (ImpactError, FootprintError) as exc:
        raise CaseError(str(spec.buildings), "impact.buildings", str(exc)) from None
    s = res["summary"]
    log.info("buildings: %d assessed (%s), %d not assessed -> impact/", s["assessed"],
             ", ".join(f"{k}: {v}" for k, v in s["counts"].items()), s["invalid"])
    return {"assessed": s["assessed"], "invalid": s["invalid"], "counts": s["counts"],
            "son_cording_counts": s["son_cording_counts"], **({"fragility": s["fragility"]} if "fragility" in s else {})}


def _run_analytic(case, rundir) -> dict:
    cfg: DeepConfig = case.config
    out = cfg.output
    times = out.times
    kernel = kernel_of(cfg)
    t0 = time.perf_counter()
    lat, m = _lattice(cfg)
    src = build_sources(cfg, lat, times)
    log.info("%d reservoir(s), %d cells, rank %d, %d output time(s)", len(cfg.reservoirs), src.ncell, src.rank, times.size)
    px, py = out.point_x, out.point_y
    pux, puy, puz = point_displacement(src, kernel, px, py)
    stats: dict = {"cells": src.ncell, "time_rank": src.rank}
    result = SurfaceResult(times=times, point_names=list(out.point_names), point_x=px, point_y=py,
                           point_ux=pux, point_uy=puy, point_uz=puz, crs=case.crs, start_date=case.start_date)
    if out.point_names:
        write_points_csv(rundir.file("points.csv"), result)
        from subsidence.io.surface import write_points_nc

        write_points_nc(rundir.file("points.nc"), result, title=case.name)  # the same series, CF timeSeries
    series = []
    if out.grid is not None:
        g = out.grid
        last = {}

        maxima = Maxima()
        nc_attrs = {"kernel": kernel.name, "poisson_ratio": kernel.nu}
        common = dict(crs=case.crs, start_date=case.start_date, title=case.name)
        with SurfaceNCWriter(rundir.file("surface.nc"), g.x, g.y, times, attrs=nc_attrs, **common) as w, \
             SurfaceNCWriter(rundir.file("deformation.nc"), g.x, g.y, times, variables=DEFORMATION_VARS,
                             attrs={**nc_attrs, "method": DEFORMATION_METHOD}, **common) as wd:

            def sink(it, fields):
                f = dict(zip(FIELDS, fields))
                ux, uy, uz = f["ux"], f["uy"], f["uz"]
                w.write(it, ux, uy, uz)
                meas = measures_from(f)
                wd.write_fields(it, meas)
                maxima.update(times[it] / SECONDS_PER_YEAR, g.x, g.y, meas)
                series.append((float(-uz.min()), float(np.hypot(ux, uy).max())))
                if it == times.size - 1:
                    last.update(ux=ux.copy(), uy=uy.copy(), uz=uz.copy(), deformation=meas)
                progress.update(t=times[it] / SECONDS_PER_YEAR)

            with Progress("surface grid", times.size, unit="output time", t_end=times[-1] / SECONDS_PER_YEAR) as progress:
                stats.update(grid_fields(src, kernel, g, FIELDS, sink, lattice=lat, m=m))
        deformation_summary = {**maxima.summary(), "deformation_method": DEFORMATION_METHOD}
        result = SurfaceResult(times=times[-1:], x=g.x, y=g.y, grid_ux=last["ux"][None], grid_uy=last["uy"][None],
                               grid_uz=last["uz"][None], point_names=list(out.point_names), point_x=px, point_y=py,
                               point_ux=pux[-1:], point_uy=puy[-1:], point_uz=puz[-1:], crs=case.crs,
                               start_date=case.start_date)
        from subsidence.io.plots import plot_deformation, plot_surface

        result.outlines = [(r.name, r.shape) for r in cfg.reservoirs]  # drawn on the map
        plot_surface(result, rundir.path, title=case.name)
        plot_deformation(g.x, g.y, last["deformation"], rundir.path, title=case.name, when=_when(case, times[-1]),
                         crs=case.crs, outlines=result.outlines)
    summary = surface_summary(result)
    if out.grid is not None:
        summary.update(deformation_summary)
    compaction_volume = float(np.sum(src.S @ src.W[-1]))
    summary.update(
        method="analytic",
        kernel=kernel.name,
        compaction_volume_m3=compaction_volume,
        compute_time_s=round(time.perf_counter() - t0, 3),
        superposition=stats,
    )
    if series:
        summary["max_subsidence_series_m"] = [s[0] for s in series]
        summary["max_horizontal_series_m"] = [s[1] for s in series]
    if out.point_names and times.size > 1:
        from subsidence.io.plots import plot_point_series

        plot_point_series(times, list(out.point_names), pux, puz, rundir.path, title=case.name,
                          start_date=case.start_date)
    return summary


FD_METHOD = "second-order central finite differences of the output grid (the FE model has no closed-form derivatives)"


def grid_deformation_outputs(case, rundir, res) -> dict:
    """``deformation.nc``, ``deformation_map.png`` and the ``max_*`` keys from a surface result on
    a grid (FE runs), by finite differences of the output grid. Rank 0 only (no collectives)."""
    from subsidence.deep.deformation import grid_derivatives, measures_from
    from subsidence.io.plots import plot_deformation

    if not res.has_grid or len(res.x) < 3 or len(res.y) < 3:
        return {}
    maxima = Maxima()
    last = None
    with SurfaceNCWriter(rundir.file("deformation.nc"), res.x, res.y, res.times, variables=DEFORMATION_VARS,
                         attrs={"method": FD_METHOD}, crs=case.crs, start_date=case.start_date, title=case.name) as wd:
        for it in range(len(res.times)):
            meas = measures_from(grid_derivatives(res.x, res.y, res.grid_ux[it], res.grid_uy[it], res.grid_uz[it]))
            wd.write_fields(it, meas)
            maxima.update(res.times[it] / SECONDS_PER_YEAR, res.x, res.y, meas)
            last = meas
    plot_deformation(res.x, res.y, last, rundir.path, title=case.name, when=_when(case, res.times[-1]), crs=case.crs,
                     outlines=res.outlines)
    return {**maxima.summary(), "deformation_method": FD_METHOD}
