"""Run a deep case with ``[model] method = "fem"``: mesh, solve, sample the surface, write outputs.

All ranks take part in every collective (mesh distribution, assembly, solves, sampling,
field output); rank 0 alone writes the shared files (points.csv, surface.nc, plots).
"""

from __future__ import annotations

import time

import numpy as np

from subsidence.fem.config import FemSpec
from subsidence.fem.setup import Layout, effective_pressure, layout
from subsidence.log import Progress, get_logger
from subsidence.units import SECONDS_PER_YEAR

log = get_logger("fem")


def run(case, rundir, comm) -> dict:
    from subsidence.fem.sampling import PointSampler
    from subsidence.io.surface import SurfaceResult, write_surface_outputs
    from subsidence.mesh.builder import build

    cfg = case.config
    spec: FemSpec = cfg.fem
    t_start = time.perf_counter()
    lay = layout(cfg, spec)
    t0 = time.perf_counter()
    geometry = dict(mode=lay.mode, domain=lay.domain, slabs=lay.slabs, bodies=lay.bodies,
                    reservoirs=lay.reservoirs, sizes=lay.sizes, refine=lay.zones)
    write = str(rundir.file("mesh.msh")) if spec.mesh.write_msh and comm.rank == 0 else None
    cache = None
    if spec.mesh.cache is not None:  # saved coarse meshes: read in parallel when this geometry was meshed before
        from subsidence.mesh.store import CacheNotWritable, cached_build

        try:
            built, key, hit = cached_build(comm, spec.mesh.cache, levels=spec.mesh.refine, write=write, **geometry)
        except CacheNotWritable as exc:  # raised on every rank
            from subsidence.config import CaseError

            raise CaseError(case.file, "mesh.cache", str(exc)) from None
        cache = {"dir": str(spec.mesh.cache), "key": key, "hit": hit}
        log.info("mesh cache %s: %s (%s)", spec.mesh.cache, "read" if hit else "stored", key[:12])
        if hit and spec.mesh.write_msh:
            log.warning("mesh.write_msh: the mesh came from the cache (%s), no gmsh model to write", key[:12])
    else:
        built = build(comm, levels=spec.mesh.refine, write=write, **geometry)
    mesh_s = time.perf_counter() - t0
    ncells = built.mesh.topology.index_map(built.mesh.topology.dim).size_global
    if built.levels:
        log.info("%s mesh: %d cells from %d gmsh cells refined %d× in parallel (%.1f s: gmsh %.1f, distribution "
                 "%.1f, refinement %.1f)", lay.mode, ncells, built.coarse_cells, built.levels, mesh_s,
                 built.timings["gmsh_s"], built.timings["distribute_s"], built.timings["refine_s"])
    else:
        log.info("%s mesh: %d cells (%.1f s)", lay.mode, ncells, mesh_s)
    materials = {built.regions.tag(n): m for n, m in lay.materials.items()}
    meshed = {v.name for v in lay.reservoirs}
    res_tags = {r.name: built.regions.tag(r.name) for r in cfg.reservoirs if r.name in meshed}

    out = cfg.output
    xy = _surface_points(cfg)
    if lay.mode == "axisymmetric":
        ox, oy = lay.origin
        rr = np.hypot(xy[:, 0] - ox, xy[:, 1] - oy)
        sampler = PointSampler(built.mesh, np.c_[rr, np.zeros_like(rr)])
    else:
        sampler = PointSampler(built.mesh, np.c_[xy, np.zeros(len(xy))])
    if np.any(sampler.missing):
        raise RuntimeError("some output points lie outside the FE domain (domain set-up error)")

    times = out.times
    U = np.zeros((times.size, len(xy), 3))
    if spec.coupling == "one-way":
        stats = _one_way(cfg, spec, lay, built, materials, res_tags, times, sampler, U, rundir, comm)
    else:
        stats = _biot(cfg, spec, lay, built, materials, res_tags, times, sampler, U, rundir, comm)

    npts = len(out.point_names)
    res = SurfaceResult(times=times, point_names=list(out.point_names), point_x=out.point_x, point_y=out.point_y,
                        point_ux=U[:, :npts, 0], point_uy=U[:, :npts, 1], point_uz=U[:, :npts, 2],
                        crs=case.crs, start_date=case.start_date,
                        outlines=[(r.name, r.shape) for r in cfg.reservoirs])  # drawn on the map
    if out.grid is not None:
        g = out.grid
        G = U[:, npts:, :].reshape(times.size, g.ny, g.nx, 3)
        res.x, res.y = g.x, g.y
        res.grid_ux, res.grid_uy, res.grid_uz = G[..., 0], G[..., 1], G[..., 2]
    summary = write_surface_outputs(rundir, res, title=f"{case.name} (FE, {lay.mode})")
    if rundir.rank == 0 and res.has_grid:  # tilt, curvature, strain by finite differences (serial, no collectives)
        from subsidence.studies.deep import grid_deformation_outputs

        summary.update(grid_deformation_outputs(case, rundir, res))
    summary.update(method="fem", fem={
        "geometry": lay.mode, "coupling": spec.coupling, "degree": spec.degree, "cells": int(ncells),
        "domain": {"depth_m": lay.domain.depth, "x_m": [lay.domain.xmin, lay.domain.xmax],
                   **({"y_m": [lay.domain.ymin, lay.domain.ymax]} if lay.mode == "3d" else {})},
        "element_sizes_m": {k: v / 2**built.levels for k, v in
                            (("reservoir", lay.sizes.reservoir), ("surface", lay.sizes.surface),
                             ("far", lay.sizes.far))},
        "refine": built.levels, "gmsh_cells": built.coarse_cells, "mesh_cache": cache,
        "mesh_s": round(mesh_s, 3), **{f"mesh_{k}": round(v, 3) for k, v in built.timings.items()},
        **stats, "ranks": comm.size,
        "fields": ["displacement.bp", "cells.bp"] + (["pressure.bp"] if spec.coupling == "biot" else [])
        + ["fields.xdmf", "fields.h5"],
    }, compute_time_s=round(time.perf_counter() - t_start, 3))
    if spec.study is not None:  # [heterogeneity]: the references alongside and the bowl comparison (collective)
        from subsidence.heterogeneity.reference import run_references

        summary["heterogeneity"] = run_references(case, rundir, comm)
    return summary


def _surface_points(cfg) -> np.ndarray:
    out = cfg.output
    pts = [np.c_[out.point_x, out.point_y]]
    if out.grid is not None:
        X, Y = np.meshgrid(out.grid.x, out.grid.y)
        pts.append(np.c_[X.ravel(), Y.ravel()])
    return np.vstack(pts)


def _to_enu(vals: np.ndarray, lay: Layout, xy: np.ndarray) -> np.ndarray:
    """(n, gdim) FE values at the surface → (n, 3) East, North, Up."""
    if lay.mode == "3d":
        return vals
    ox, oy = lay.origin
    dx, dy = xy[:, 0] - ox, xy[:, 1] - oy
    r = np.hypot(dx, dy)
    safe = np.where(r > 0, r, 1.0)
    ur, uz = vals[:, 0], vals[:, 1]
    return np.c_[np.where(r > 0, ur * dx / safe, 0.0), np.where(r > 0, ur * dy / safe, 0.0), uz]


def _one_way(cfg, spec, lay, built, materials, res_tags, times, sampler, U, rundir, comm) -> dict:
    from subsidence.fem.elastic import ElasticModel
    from subsidence.fem.fields import FieldWriter

    cell_materials = None
    if spec.heterogeneous_cells:
        from subsidence.fem.heterogeneous import apply

        def cell_materials(fields):
            return apply(fields, built, spec, lay)
    model = ElasticModel(built, materials, degree=spec.degree, base=spec.base, solver=spec.solver, rtol=spec.rtol,
                         cell_materials=cell_materials)
    log.info("one-way elastic model: %d displacement DOFs, solver %s", model.stats.dofs, model.stats.preset)
    p_eff = {r.name: effective_pressure(r, times) for r in cfg.reservoirs if r.name in res_tags}
    grids = _grid_loads(cfg, model, res_tags, times)
    fields = FieldWriter(rundir.path, u=model.u, pressure=model.load, kin=model.kin, lmbda=model.fields["lmbda"],
                         mu=model.fields["mu"], biot=model.fields["biot"])
    xy = _surface_points(cfg)
    try:
        with Progress("elastic solves", times.size, comm=comm, unit="output time", t_start=0.0,
                      t_end=times[-1] / SECONDS_PER_YEAR) as progress:
            for it, t in enumerate(times):
                cells = sum(g.cell_values(dp[:, it]) for g, dp in grids) if grids else None
                model.solve({res_tags[n]: float(v[it]) for n, v in p_eff.items()}, cell_values=cells)
                U[it] = _to_enu(sampler(model.u), lay, xy)
                fields.write(t / SECONDS_PER_YEAR)
                progress.update(t=t / SECONDS_PER_YEAR)
    finally:
        fields.close()
    out = {"displacement_dofs": model.stats.dofs, **model.stats.as_dict()}
    if model.heterogeneity:
        out["heterogeneity"] = model.heterogeneity
    if grids:
        out["gridded_missed_volume_fraction"] = max(g.missed_volume_fraction for g, _ in grids)
    return out


def _grid_loads(cfg, model, res_tags, times):
    """(GridLoad, Δp_eff (ncell, nt)) for each gridded reservoir."""
    from subsidence.fem.gridded import GridLoad

    out = []
    f = model.fields
    dofs = f["biot"].function_space.dofmap.list[:, 0]
    host_cm = (f["biot"].x.array / (f["lmbda"].x.array + 2 * f["mu"].x.array))[dofs]
    for r in cfg.reservoirs:
        if r.name in res_tags:
            continue
        g = r.shape
        cm = g.cm if g.cm is not None else np.full(g.ncell, r.compaction.cm)
        load = GridLoad(model.V.mesh, host_cm, g, cm)
        if load.missed_volume_fraction > 0.01:
            log.warning("reservoir %s: %.1f %% of the grid volume falls between mesh sample points; "
                        "lower [mesh] reservoir_size", r.name, 100 * load.missed_volume_fraction)
        dp = effective_pressure(r, times)
        dp = np.broadcast_to(dp, (g.ncell, times.size)) if dp.ndim == 1 else dp
        out.append((load, dp))
    return out


def _biot(cfg, spec, lay, built, materials, res_tags, times, sampler, U, rundir, comm) -> dict:
    from subsidence.fem.biot import BiotModel
    from subsidence.fem.elastic import displacement_bcs_mixed
    from subsidence.fem.fields import FieldWriter
    from subsidence.fem.materials import material_fields
    from subsidence.mesh.tags import Facets

    mesh = built.mesh
    fields = material_fields(mesh, built.cell_tags, materials)
    ncells = mesh.topology.index_map(mesh.topology.dim).size_global
    split = spec.solver in ("gamg", "fixed-stress") or (spec.solver == "auto" and lay.mode == "3d" and ncells > 20000)
    deg = (spec.degree, 1) if split else (2, 1)
    if split:
        from subsidence.fem.biot_split import FixedStressBiot

        model = FixedStressBiot(mesh, mode=lay.mode, fields=fields, degree=deg, facet_tags=built.facet_tags,
                                rtol=min(spec.rtol, 1e-10))
    else:
        model = BiotModel(mesh, mode=lay.mode, fields=fields, degree=deg, facet_tags=built.facet_tags)
    log.info("coupled Biot model: %s, P%d/P%d", "fixed-stress split (GAMG)" if split else "monolithic (MUMPS)", *deg)
    displacement_bcs_mixed(model, built, base=spec.base)
    model.fix_pressure(built.facet_tags.find(Facets.SURFACE), 0.0)
    p_res = {}
    if spec.sealed:  # sealed faces: each reservoir's pressure held apart, open only where not sealed
        from subsidence.fem.sealing import FACES, region_faces

        for r in cfg.reservoirs:
            faces = region_faces(mesh, built.cell_tags, res_tags[r.name], res_tags.values())
            opened = np.concatenate([faces[k] for k in FACES if k not in spec.sealed.get(r.name, ())] + [[]])
            p_res[r.name] = model.hold_pressure(built.cell_tags.find(res_tags[r.name]), 0.0, open_facets=opened)
        log.info("sealed reservoir faces (pressure discontinuous there): %s",
                 "; ".join(f"{n}: {', '.join(f)}" for n, f in spec.sealed.items()))
    else:
        for r in cfg.reservoirs:
            p_res[r.name] = model.fix_pressure(built.cell_tags.find(res_tags[r.name]), 0.0, dim=mesh.topology.dim)
    # time grid: output times, pressure-history knots, and sub-steps of at most time_step
    from subsidence.solvers.timestepping import step_times

    knots = list(times) + [t for r in cfg.reservoirs for t in r.history.times if 0 < t < times[-1]]
    steps = step_times(knots, max_step=spec.time_step)
    u_out, p_out = model.split()
    writer = FieldWriter(rundir.path, u=u_out, pressure=model.pressure_field(p_out), kin=model.kin,
                         lmbda=fields["lmbda"], mu=fields["mu"], biot=fields["biot"], pressure_p1=p_out)
    xy = _surface_points(cfg)
    t_prev, it = 0.0, 0
    for r in cfg.reservoirs:
        p_res[r.name].value = float(r.history.at(0.0)[0])
    try:
        if times[0] <= 0.0:
            _store(model, u_out, p_out, sampler, lay, xy, U, 0, writer, 0.0)
            it = 1
        t_end = (steps[-1] if len(steps) else 0.0) / SECONDS_PER_YEAR
        with Progress("Biot time steps", len(steps), comm=comm, t_end=t_end) as progress:
            for t in steps:
                for r in cfg.reservoirs:
                    p_res[r.name].value = float(r.history.at(t)[0])
                model.step(t - t_prev)
                t_prev = t
                while it < times.size and np.isclose(t, times[it], rtol=1e-9, atol=1.0):
                    _store(model, u_out, p_out, sampler, lay, xy, U, it, writer, t)
                    it += 1
                progress.update(t=t / SECONDS_PER_YEAR)
    finally:
        writer.close()
    d = model.stats.as_dict()
    d["iterations"] = int(np.sum(d["iterations"]))
    out = {"time_steps": len(steps), **d}
    if spec.sealed:
        out["sealed_faces"] = {n: list(f) for n, f in spec.sealed.items()}
    if split:
        out["solver"] = "fixed-stress"
        out["dofs"] = model.stats.dofs + model.flow_stats.dofs
        out["displacement_dofs"] = model.stats.dofs
        out["flow"] = model.flow_stats.as_dict() | {"iterations": int(np.sum(model.flow_stats.iterations))}
        out["coupling_iterations"] = {"total": int(np.sum(model.coupling_iterations)),
                                      "max_per_step": int(np.max(model.coupling_iterations))}
    return out


def _store(model, u_out, p_out, sampler, lay, xy, U, it, writer, t):
    u, p = model.split()
    u_out.x.array[:] = u.x.array
    p_out.x.array[:] = p.x.array
    U[it] = _to_enu(sampler(u_out), lay, xy)
    writer.write(t / SECONDS_PER_YEAR)
