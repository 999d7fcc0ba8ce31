"""A field of caverns (``geometry.type = "field"``): each cavern its own axisymmetric model,
the surface displacement summed on a common map grid.

The caverns come from a CSV (``[caverns] file``, :func:`subsidence.cavern.config.read_field_csv`)
or from ``[[caverns]]`` tables with map coordinates. Caverns with the same shape, casing shoe
and operation are computed once (one model per distinct cavern) and placed at each of their
positions. Approximation: the surface field of the field is the sum of the single caverns'
fields. For the elastic response that is exact as long as the caverns do not see each other's
cavity (linear elasticity superposes); creep is nonlinear, and the creep interaction of
neighbouring caverns (the stress of one cavern speeding up the creep around the other, pillar
loading) is neglected: valid when the caverns are several diameters apart. Close caverns belong
in one 3D model (``geometry.type = "cluster"``). Beyond a cavern's model radius its contribution
keeps its value at the model's side (:func:`subsidence.cavern.surface.revolve`).

Writes what a cavern run writes (``cavern.csv`` with every cavern, ``scenarios.csv``/``.md``,
``cavern_history.png``, ``points.csv``, ``surface.nc`` and the maps of the summed bowl, per
scenario under ``scenarios/<name>/``), plus ``field_caverns.csv`` (per cavern: position, model,
volume change, its own bowl and the summed displacement and rate above it) and a copy of the
cavern CSV (``caverns_input.csv``).
"""

from __future__ import annotations

import dataclasses
import gc
import shutil
from pathlib import Path

import numpy as np

from subsidence.log import get_logger
from subsidence.units import SECONDS_PER_YEAR

log = get_logger("cavern")

APPROXIMATION = (
    "superposition of single axisymmetric caverns: exact for the linear elastic response of caverns far apart; "
    "the creep interaction between neighbouring caverns is neglected (valid at spacings of several cavern "
    "diameters; use geometry.type = \"cluster\" for close caverns)"
)


def model_groups(cfg) -> list[list[int]]:
    """Indices of the caverns that are the same model (shape, casing shoe and operation), in
    order of first appearance."""
    groups: dict[tuple, list[int]] = {}
    for i, c in enumerate(cfg.caverns):
        key = (np.asarray(c.depths, float).round(9).tobytes(), np.asarray(c.radii, float).round(9).tobytes(),
               round(float(c.shoe_depth), 9), repr(c.operation) if c.operation else None)
        groups.setdefault(key, []).append(i)
    return list(groups.values())


def field_grid(cfg) -> tuple[np.ndarray, np.ndarray]:
    """Map grid over the field: the caverns' bounding box with ``surface_half_width`` around it,
    equal spacing in x and y, ``surface_n`` points along the longer side."""
    cx = np.array([c.x for c in cfg.caverns])
    cy = np.array([c.y for c in cfg.caverns])
    m = cfg.surface_half_width
    lx, ly = np.ptp(cx) + 2 * m, np.ptp(cy) + 2 * m
    h = max(lx, ly) / (cfg.surface_n - 1)
    nx, ny = (int(np.ceil(L / h - 1e-9)) + 1 for L in (lx, ly))
    mx, my = 0.5 * (cx.min() + cx.max()), 0.5 * (cy.min() + cy.max())
    return mx + (np.arange(nx) - 0.5 * (nx - 1)) * h, my + (np.arange(ny) - 0.5 * (ny - 1)) * h


def single(cfg, c):
    """The configuration of one cavern of a field as an axisymmetric model on its own axis."""
    return dataclasses.replace(cfg, geometry="axisymmetric", caverns=[dataclasses.replace(c, x=0.0, y=0.0)])


def sum_profiles(profiles, centres, x, y):
    """Σ over caverns of their revolved profiles (r, u_r, u_z) placed at ``centres``, at the map
    points (x, y) (any shape): (ux, uy, uz)."""
    from subsidence.cavern.surface import revolve

    x, y = np.asarray(x, float), np.asarray(y, float)
    ux, uy, uz = np.zeros_like(x), np.zeros_like(x), np.zeros_like(x)
    for (r, ur, uzp), (cx, cy) in zip(profiles, centres):
        a, b, c = revolve(r, ur, uzp, x - cx, y - cy)
        ux += a
        uy += b
        uz += c
    return ux, uy, uz


def run_field(case, rundir, comm) -> dict:
    from subsidence.cavern.bowl import log_new_warnings, profile_change_bowl, run_report
    from subsidence.cavern.config import cavern_volume
    from subsidence.cavern.report import plot_histories, scenario_table, surface_summary, write_rows_csv, write_table
    from subsidence.cavern.simulate import SimulationFailed
    from subsidence.cavern.surface import SurfaceSampler
    from subsidence.io.surface import SurfaceResult, write_surface_outputs
    from subsidence.studies.cavern import _SubDir, build_mesh, build_model, build_simulation, dilatancy_criteria
    from subsidence.studies.deep import grid_deformation_outputs

    cfg = case.config
    caverns = cfg.caverns
    ckroot = Path(rundir.out).with_name(Path(rundir.out).name + ".checkpoint")
    groups = model_groups(cfg)
    of = {i: g for g, members in enumerate(groups) for i in members}
    log.info("field: %d caverns, %d distinct models (%s)", len(caverns), len(groups), APPROXIMATION)
    xs, ys = field_grid(cfg)
    X, Y = np.meshgrid(xs, ys)
    pts = list(cfg.points) or [(f"above_{c.name}", c.x, c.y) for c in caverns]
    px = np.array([p[1] for p in pts], float)
    py = np.array([p[2] for p in pts], float)
    centres = [(c.x, c.y) for c in caverns]
    meshes: dict[int, object] = {}  # one mesh per distinct shape, shared by the scenarios
    rows_by: dict[str, list[dict]] = {}
    table: list[dict] = []
    summaries: dict[str, dict] = {}
    all_rows: list[dict] = []
    first_summary = None
    warnings: list[str] = []
    dofs: dict[str, int] = {}
    # the distinct models are independent: spread them over the ranks, each on its own
    # sub-communicator (model g on team g mod teams), then share the results with every rank
    teams = min(comm.size, len(groups))
    team = comm.rank % teams
    tcomm = comm if teams == 1 else comm.Split(team, comm.rank)
    model_ranks = {f"model{g + 1}": [r for r in range(comm.size) if r % teams == g % teams] for g in range(len(groups))}
    if teams > 1:
        log.info("field: %d models on %d teams of ranks (%s)", len(groups), teams,
                 ", ".join(f"model {g + 1}: ranks {model_ranks[f'model{g + 1}']}" for g in range(len(groups))))
    for k, scen in enumerate(cfg.scenarios):
        mine: dict[int, object] = {}  # model index → SimulationResult, for this team's models
        failed = None
        for g, members in enumerate(groups):
            if g % teams != team:
                continue
            c0 = caverns[members[0]]
            sub = single(cfg, c0)
            mkey = min(h for h, mm in enumerate(groups) if np.array_equal(caverns[mm[0]].depths, c0.depths)
                       and np.array_equal(caverns[mm[0]].radii, c0.radii))
            if mkey not in meshes:
                meshes[mkey] = build_mesh(sub, tcomm)
            model = build_model(sub, meshes[mkey], prefix=f"field{k}_{g}_")
            dofs[f"model{g + 1}"] = model.V.dofmap.index_map.size_global * model.V.dofmap.index_map_bs
            sampler = SurfaceSampler(model, reference=cfg.surface_reference)
            sim = build_simulation(sub, model, scen, checkpoint_dir=ckroot / scen.name / f"model{g + 1}",
                                   key=f"{case.sha256}:{cfg.field_sha256}:{scen.name}:{g}:{tcomm.size}:{teams}",
                                   surface=lambda t, s=sampler: s.profile())
            sim.progress_comm = comm  # the world's rank 0 shows its team's progress only
            names = ", ".join(caverns[i].name for i in members)
            log.info("scenario %s, model %d of %d (caverns %s): %d displacement dofs", scen.name, g + 1, len(groups),
                     names, dofs[f"model{g + 1}"])
            sim.label = f"scenario {scen.name}, model {g + 1}/{len(groups)}"
            try:
                mine[g] = sim.run()
            except SimulationFailed as exc:
                failed = (g, str(exc), exc.result)
            del sim, sampler, model
            gc.collect()
            if failed:
                break
        # every team's results (and failures) to every rank: team roots contribute, others send nothing
        shared = comm.allgather((mine, failed, dofs) if tcomm.rank == 0 else ({}, None, {}))
        fails = [f for _, f, _ in shared if f is not None]
        if fails:
            g, msg, result = min(fails, key=lambda f: f[0])
            if rundir.rank == 0:
                rows = [{"scenario": scen.name, **r, "cavern": caverns[i].name} for i in groups[g] for r in result.rows]
                write_rows_csv(rundir.file("cavern.csv"), all_rows + rows)
            raise SimulationFailed(f"model {g + 1}: {msg}" if teams > 1 else msg, result)
        merged = {g: r for m, _, _ in shared for g, r in m.items()}
        for _, _, d in shared:
            dofs.update(d)
        results = [merged[g] for g in range(len(groups))]
        times = np.array([t for t, _ in results[0].outputs])
        for res in results[1:]:  # every model lands on the same output times
            assert np.allclose([t for t, _ in res.outputs], times, rtol=1e-9, atol=1e-3)
        nt = len(times)
        gx, gy, gz = (np.zeros((nt,) + X.shape) for _ in range(3))
        qx, qy, qz = (np.zeros((nt, len(px))) for _ in range(3))
        for j in range(nt):
            prof = [results[of[i]].outputs[j][1] for i in range(len(caverns))]
            gx[j], gy[j], gz[j] = sum_profiles(prof, centres, X, Y)
            qx[j], qy[j], qz[j] = sum_profiles(prof, centres, px, py)
        rows = []
        for i, c in enumerate(caverns):
            rows += [{"scenario": scen.name, **r, "cavern": c.name} for r in results[of[i]].rows]
        rows.sort(key=lambda r: (r["time_yr"], [c.name for c in caverns].index(r["cavern"])))
        all_rows += rows
        rows_by[scen.name] = rows
        sres = SurfaceResult(
            times=times, x=xs, y=ys, grid_ux=gx, grid_uy=gy, grid_uz=gz, point_names=[p[0] for p in pts], point_x=px,
            point_y=py, point_ux=qx, point_uy=qy, point_uz=qz, crs=case.crs, start_date=case.start_date,
        )
        title = f"{case.name}: {scen.name}"
        sdir = _SubDir(rundir.path / "scenarios" / scen.name, rundir.rank)
        ssum = write_surface_outputs(sdir, sres, title=title)
        if rundir.rank == 0:
            ssum.update(grid_deformation_outputs(case, sdir, sres))
        if k == 0:
            first_summary = write_surface_outputs(rundir, sres, title=title)
            if rundir.rank == 0:
                first_summary.update(grid_deformation_outputs(case, rundir, sres))
        dt_yr = (times[-1] - times[-2]) / SECONDS_PER_YEAR if nt > 1 else 0.0
        tab = scenario_table(scen.name, [{k2: v for k2, v in r.items() if k2 != "scenario"} for r in rows],
                             surface_summary(ssum, gz, times),
                             dilatancy=tuple(b.name for b in cfg.dilatancy))
        table += tab
        per = _per_cavern(cfg, scen.name, results, of, centres, times)
        # the model's own bowl (out to where it changes sign), summed over the caverns
        model_bowl = sum(profile_change_bowl(results[of[i]].outputs[0][1], results[of[i]].outputs[-1][1])
                         for i in range(len(caverns)))
        bowl, bw = run_report(cfg, xs, ys, times, gz, rows, centres, label=f"scenario {scen.name}", model_bowl=model_bowl)
        point_rates = {p[0]: 1e3 * (qz[-1, m] - qz[-2, m]) / dt_yr if nt > 1 else 0.0 for m, p in enumerate(pts)}
        summaries[scen.name] = {
            "steps": {f"model{g + 1}": r.steps for g, r in enumerate(results)},
            "failed_steps": sum(r.failed_steps for r in results), "rejected_steps": sum(r.rejected_steps for r in results),
            "event_solves": sum(r.event_solves for r in results), "caverns": tab, "field_caverns": per, "surface": ssum,
            "bowl": bowl,
            "point_rates_mm_per_yr": point_rates,
            "dilatancy_criteria": dilatancy_criteria(cfg),
        }
        if k == 0 and first_summary is not None:
            first_summary["bowl"] = bowl
        log_new_warnings(log, warnings, bw)
        if rundir.rank == 0:
            write_rows_csv(rundir.file("scenarios") / scen.name / "cavern.csv", rows)
            write_rows_csv(rundir.file("scenarios") / scen.name / "field_caverns.csv", per)
    if rundir.rank == 0:
        write_rows_csv(rundir.file("cavern.csv"), all_rows)
        write_rows_csv(rundir.file("field_caverns.csv"), [r for s in summaries.values() for r in s["field_caverns"]])
        write_table(rundir.path, table)
        plot_histories(rundir.file("cavern_history.png"), rows_by, title=case.name)
        if cfg.field_file:
            shutil.copyfile(cfg.field_file, rundir.file("caverns_input.csv"))
    comm.Barrier()
    if rundir.rank == 0 and ckroot.exists():
        shutil.rmtree(ckroot, ignore_errors=True)
    return {
        **(first_summary or {}),
        "geometry": "field",
        "field": {"file": cfg.field_file, "sha256": cfg.field_sha256, "caverns": len(caverns), "models": len(groups),
                  "model_ranks": model_ranks,
                  "model_of_cavern": {c.name: of[i] + 1 for i, c in enumerate(caverns)}, "approximation": APPROXIMATION},
        "displacement_dofs": dofs,
        "caverns": {c.name: {"x": c.x, "y": c.y, "initial_volume_m3": cavern_volume(c), "shoe_depth_m": c.shoe_depth,
                             "operation": c.operation_name, "model": of[i] + 1} for i, c in enumerate(caverns)},
        "scenarios": summaries,
        **({"warnings": warnings} if warnings else {}),
    }


def _per_cavern(cfg, scen: str, results, of, centres, times) -> list[dict]:
    """Per cavern: position, model, volume change, its own bowl and the summed field above it."""
    out = []
    nt = len(times)
    dt_yr = (times[-1] - times[-2]) / SECONDS_PER_YEAR if nt > 1 else 0.0
    profs_end = [results[of[i]].outputs[-1][1] for i in range(len(cfg.caverns))]
    profs_prev = [results[of[i]].outputs[-2][1] for i in range(len(cfg.caverns))] if nt > 1 else profs_end
    profs_0 = [results[of[i]].outputs[0][1] for i in range(len(cfg.caverns))]
    for i, c in enumerate(cfg.caverns):
        res = results[of[i]]
        r0, r1 = res.rows[0], res.rows[-1]
        own = profs_end[i][2] - np.interp(profs_end[i][0], profs_0[i][0], profs_0[i][2])
        here = [sum_profiles(p, centres, np.array([c.x]), np.array([c.y]))[2][0] for p in (profs_end, profs_prev)]
        out.append({
            "scenario": scen, "cavern": c.name, "x": c.x, "y": c.y, "top_depth_m": c.top_depth,
            "bottom_depth_m": c.bottom_depth, "radius_m": c.radius, "shape": c.shape, "shoe_depth_m": c.shoe_depth,
            "operation": c.operation_name or scen, "model": of[i] + 1, "initial_volume_m3": r0["volume_m3"],
            "volume_change_m3": r1["volume_m3"] - r0["volume_m3"], "volume_loss_pct": 100 * r1["volume_loss_rel"],
            "pressure_end_MPa": r1["pressure_MPa"], "bled_m3": r1["bled_m3"],
            "own_max_subsidence_mm": -1e3 * float(min(own.min(), 0.0)),
            "uz_above_mm": 1e3 * here[0], "uz_rate_above_mm_per_yr": 1e3 * (here[0] - here[1]) / dt_yr if nt > 1 else 0.0,
        })
    return out
