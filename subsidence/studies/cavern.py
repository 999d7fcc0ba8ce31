"""``kind = "cavern"``: creep of rock salt around one cavern (axisymmetric) or a cluster
(3D), brine pressure and operations (shut-in, CBBO, constant pressure, filling),
stability indicators and surface subsidence; optionally several scenarios compared.

Writes ``cavern.csv`` (all scenarios, caverns and time steps), ``scenarios.csv`` and
``scenarios.md`` (comparison table), ``cavern_history.png``, and the surface output
contract (``points.csv``, ``surface.nc``, maps) for the first scenario at the top level
and for every scenario under ``scenarios/<name>/``. See docs/caverns.md.

A run that stops (error or interruption) keeps checkpoints in ``<out>.checkpoint/``;
running the same command again with the same case file resumes from them.
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import numpy as np

from subsidence.cavern.config import CavernConfig, cavern_volume, parse_config
from subsidence.config.table import Table
from subsidence.log import get_logger

log = get_logger("cavern")


def coarse_wall_warnings(cfg, sim) -> list[str]:
    """3D clusters whose wall elements are larger than the wall window ℓ: the window then holds
    one sample or none and the minima are single extrapolated points, not mesh-converged (2-11 %
    off the axisymmetric values at h = 2.5-5 ℓ; within 0.9 % at h = 0.6 ℓ: docs/caverns.md, "In 3D")."""
    ind = getattr(sim, "indicators", None)
    if cfg.geometry != "cluster" or ind is None:
        return []
    coarse = [f"{c.name} ({w.window:.3g} m)" for c, w in zip(cfg.caverns, ind.wall) if 0 < w.window < cfg.mesh_size_wall]
    if not coarse:
        return []
    return [f"geometry.mesh_size_wall = {cfg.mesh_size_wall:g} m is larger than the wall window of "
            + ", ".join(coarse) + ": the 3D wall and roof indicators (fs_*, tension margins) are not mesh-converged "
            "there (docs/caverns.md, \"In 3D\"); refine mesh_size_wall to the window or check each cavern "
            "axisymmetrically."]


def dilatancy_criteria(cfg) -> dict:
    """The dilatancy criteria of the fs_* columns: built-in ones with their parameters, the case's
    own with their form, coefficients and source (summary.json)."""
    dv = cfg.devries
    out = {"vansambeek": {"boundary": "sqrt(J2) = 0.27 I1 (MPa)", "source": "Van Sambeek et al. / Ratigan et al. (built in)"},
           "devries": {"boundary": "sqrt(J2) = [D1 (I1/sigma0)^m + T0] / (sqrt(3) cos psi - D2 sin psi), "
                                   "psi the Lode angle, +30 deg in triaxial compression, -30 deg in extension",
                       "D1_MPa": dv.D1, "D2": dv.D2, "m": dv.m, "T0_MPa": dv.T0, "source": "De Vries et al. (built in)"}}
    for b in cfg.dilatancy:
        x, tau = {"octahedral": ("sigma_oct", "tau_oct"), "invariants": ("I1", "sqrt(J2)"),
                  "principal": ("sigma3", "sigma1 - sigma3")}[b.variables]
        c = b.coefficients
        rhs = {"polynomial": lambda: " + ".join(f"{v:g} {x}^{k}" for k, v in enumerate(c)),
               "power": lambda: f"{c[0]:g} + {c[1]:g} ({x} / 1 MPa)^{c[2]:g}",
               "saturating": lambda: f"{c[0]:g} + {c[1]:g} {x} / ({c[2]:g} + {x})"}[b.form]()
        out[b.name] = {"boundary": f"{tau} = {rhs} (MPa)", "form": b.form,
                       "variables": b.variables, "coefficients": list(c), "source": b.source}
        if b.lode_d2 is not None:
            out[b.name]["boundary"] += (" in triaxial compression, times (sqrt(3) cos 30 - d2 sin 30) / (sqrt(3) cos psi - "
                                        "d2 sin psi) at Lode angle psi (+30 deg compression, -30 deg extension)")
            out[b.name]["lode_d2"] = b.lode_d2
    return out

def parse(root: Table, case) -> CavernConfig:
    return parse_config(root, warn=None if case is None else case.warn)


def build_mesh(cfg: CavernConfig, comm):
    from subsidence.cavern import geometry as geo

    if cfg.geometry == "axisymmetric":
        c = cfg.caverns[0]
        return geo.axisymmetric_cavern(
            comm, depths=c.depths, radii=c.radii, domain_radius=cfg.domain_radius, domain_depth=cfg.domain_depth,
            interfaces=cfg.interfaces(), h_wall=cfg.mesh_size_wall, h_far=cfg.mesh_size_far, shoe_depth=c.shoe_depth,
        )
    cav = [dict(x=c.x, y=c.y, top_depth=c.top_depth, bottom_depth=c.bottom_depth, radius=c.radius, dome_height=c.dome_height)
           for c in cfg.caverns]
    return geo.cluster_3d(comm, caverns=cav, extent=cfg.extent, domain_depth=cfg.domain_depth, interfaces=cfg.interfaces(),
                          h_wall=cfg.mesh_size_wall, h_far=cfg.mesh_size_far)


def build_model(cfg: CavernConfig, cm, *, prefix: str = "cavern_"):
    from subsidence.cavern.model import CreepModel

    return CreepModel(
        cm, zone_laws=[L.law for L in cfg.layers], temperature=cfg.temperature, p_lith=cfg.p_lith,
        brine_gradient=np.full(len(cfg.caverns), cfg.brine_gradient), shoe_z=np.array([-c.shoe_depth for c in cfg.caverns]),
        degree=cfg.degree, solver=cfg.solver, prefix=prefix,
    )


def build_simulation(cfg: CavernConfig, model, scenario, *, checkpoint_dir=None, key: str = "", surface=None):
    from subsidence.cavern.indicators import WallIndicators
    from subsidence.cavern.operations import Operator
    from subsidence.cavern.simulate import CavernSpec, Simulation, TimeControl

    specs = []
    for c in cfg.caverns:
        phases = c.operation or scenario.operation
        op = Operator(phases, brine_gradient=cfg.brine_gradient, shoe_depth=c.shoe_depth)
        mid = 0.5 * (c.top_depth + c.bottom_depth)
        specs.append(CavernSpec(c.name, c.shoe_depth, op, cfg.brine, float(cfg.temperature(-mid)), mid,
                                float(cfg.p_lith(-c.shoe_depth))))
    pillars = []
    if cfg.geometry == "cluster":
        cs = [dataclasses.asdict(c) for c in cfg.caverns]
        for i in range(len(cs)):
            d = [np.hypot(cs[j]["x"] - cs[i]["x"], cs[j]["y"] - cs[i]["y"]) if j != i else np.inf for j in range(len(cs))]
            for j in range(i + 1, len(cs)):
                if d[j] <= 1.01 * min(d):
                    pillars.append((i, j, cs[i], cs[j]))
    ind = WallIndicators(model, roof_fraction=cfg.roof_fraction, pillars=pillars, window=cfg.wall_window,
                         devries=cfg.devries, dilatancy=cfg.dilatancy)
    tc = TimeControl(end=cfg.end, dt_min=cfg.dt_min, dt_max=cfg.dt_max, growth=cfg.growth, max_cutbacks=cfg.max_cutbacks,
                     dp_max=cfg.dp_max, outputs=tuple(cfg.outputs), checkpoint_every=cfg.checkpoint_every)
    from subsidence.cavern.roof import RoofCheck

    return Simulation(model, specs, tc, indicators=ind, roof=RoofCheck(cfg, model), on_output=surface,
                      checkpoint_dir=checkpoint_dir, checkpoint_key=key)


def _surface_grid(cfg: CavernConfig):
    x0, y0 = cfg.origin
    h = cfg.surface_half_width
    xs = x0 + np.linspace(-h, h, cfg.surface_n)
    ys = y0 + np.linspace(-h, h, cfg.surface_n)
    pts = list(cfg.points)
    if not pts:
        if cfg.geometry == "axisymmetric":
            pts = [("above_cavern", x0, y0)]
        else:
            pts = [(f"above_{c.name}", x0 + c.x, y0 + c.y) for c in cfg.caverns]
    return xs, ys, pts


class _SubDir:
    """Minimal run-directory view of a subdirectory (for write_surface_outputs)."""

    def __init__(self, path: Path, rank: int):
        self.path, self.rank = path, rank
        if rank == 0:
            path.mkdir(parents=True, exist_ok=True)

    def file(self, name: str) -> Path:
        return self.path / name


def run(case, rundir, comm) -> dict:
    from subsidence.cavern.report import plot_histories, scenario_table, surface_summary, write_rows_csv, write_table
    from subsidence.cavern.simulate import SimulationFailed
    from subsidence.cavern.surface import SurfaceSampler
    from subsidence.io.surface import SurfaceResult, write_surface_outputs

    cfg: CavernConfig = case.config
    if cfg.geometry == "field":  # caverns from a CSV, each its own axisymmetric model, the surface summed
        from subsidence.cavern.field import run_field

        return run_field(case, rundir, comm)
    from subsidence.cavern.bowl import log_new_warnings, profile_change_bowl, run_report

    ckroot = Path(rundir.out).with_name(Path(rundir.out).name + ".checkpoint")
    cm = build_mesh(cfg, comm)
    ndofs = None
    xs, ys, pts = _surface_grid(cfg)
    X, Y = np.meshgrid(xs, ys)
    px = np.array([p[1] for p in pts])
    py = np.array([p[2] for p in pts])
    rows_by: dict[str, list[dict]] = {}
    table: list[dict] = []
    summaries: dict[str, dict] = {}
    all_rows: list[dict] = []
    first_summary = None
    warnings: list[str] = []
    for k, scen in enumerate(cfg.scenarios):
        model = build_model(cfg, cm, prefix=f"cavern{k}_")
        ndofs = model.V.dofmap.index_map.size_global * model.V.dofmap.index_map_bs
        sampler = SurfaceSampler(model, reference=cfg.surface_reference)
        x0, y0 = cfg.origin

        def on_output(t, sampler=sampler):
            gx, gy, gz = sampler.on_points(X.ravel() - x0, Y.ravel() - y0)
            qx, qy, qz = sampler.on_points(px - x0, py - y0)
            # + the surface profile for the model's own bowl (axisymmetric; collective, on every rank)
            return (gx.reshape(X.shape), gy.reshape(X.shape), gz.reshape(X.shape), qx, qy, qz,
                    sampler.profile() if sampler.kind != "3d" else None)

        sim = build_simulation(cfg, model, scen, checkpoint_dir=ckroot / scen.name, key=f"{case.sha256}:{scen.name}:{comm.size}",
                               surface=on_output)
        log.info("scenario %s: %d caverns, %d displacement dofs", scen.name, len(cfg.caverns), ndofs)
        sim.label = f"scenario {scen.name}"
        try:
            res = sim.run()
        except SimulationFailed as exc:
            if rundir.rank == 0:
                rows = [{"scenario": scen.name, **r} for r in exc.result.rows]
                write_rows_csv(rundir.file("cavern.csv"), all_rows + rows)
            raise
        rows = [{"scenario": scen.name, **r} for r in res.rows]
        # where the closure went since t = 0: cavity, rock (elastic/thermal), surface bowl, boundaries (collective)
        balance = model.volume_balance()
        if balance["cavity_m3"] != 0.0:
            balance["surface_over_cavity"] = balance["surface_m3"] / balance["cavity_m3"]
            balance["rock_over_cavity"] = balance["rock_m3"] / balance["cavity_m3"]
        all_rows += rows
        rows_by[scen.name] = rows
        times = np.array([t for t, _ in res.outputs])
        o = [v for _, v in res.outputs]
        sres = SurfaceResult(
            times=times, x=xs, y=ys, grid_ux=np.array([v[0] for v in o]), grid_uy=np.array([v[1] for v in o]),
            grid_uz=np.array([v[2] for v in o]), point_names=[p[0] for p in pts], point_x=px, point_y=py,
            point_ux=np.array([v[3] for v in o]), point_uy=np.array([v[4] for v in o]), point_uz=np.array([v[5] for v in o]),
            crs=case.crs, start_date=case.start_date,
        )
        title = f"{case.name}: {scen.name}"
        sub = _SubDir(rundir.path / "scenarios" / scen.name, rundir.rank)
        ssum = write_surface_outputs(sub, sres, title=title)
        if rundir.rank == 0:  # tilt, curvature, strain by finite differences of the grid (serial, no collectives)
            from subsidence.studies.deep import grid_deformation_outputs

            ssum.update(grid_deformation_outputs(case, sub, sres))
        if k == 0:
            first_summary = write_surface_outputs(rundir, sres, title=title)
            if rundir.rank == 0:
                first_summary.update(grid_deformation_outputs(case, rundir, sres))
        tab = scenario_table(scen.name, res.rows, surface_summary(ssum, sres.grid_uz, times),
                             dilatancy=tuple(b.name for b in cfg.dilatancy))
        table += tab
        summaries[scen.name] = {"steps": res.steps, "failed_steps": res.failed_steps, "rejected_steps": res.rejected_steps,
                                "event_solves": res.event_solves, "caverns": tab, "surface": ssum,
                                # the wall window of the factors of safety (quote it with them)
                                "wall_window_m": {c.name: float(w.window) for c, w in zip(cfg.caverns, sim.indicators.wall)}
                                if getattr(sim, "indicators", None) is not None else None,
                                # the criteria behind the fs_* columns, with the case's sources
                                "dilatancy_criteria": dilatancy_criteria(cfg)}
        # how much of the surface bowl the grid holds (docs/caverns.md, "Bowl completeness")
        centres = [cfg.origin if cfg.geometry == "axisymmetric" else (x0 + c.x, y0 + c.y) for c in cfg.caverns]
        bowl, bw = run_report(cfg, xs, ys, times, sres.grid_uz, res.rows, centres, label=f"scenario {scen.name}",
                              model_bowl=profile_change_bowl(o[0][6], o[-1][6]) if len(o[0]) > 6 else None)
        summaries[scen.name]["bowl"] = bowl
        summaries[scen.name]["volume_balance"] = balance
        if k == 0 and first_summary is not None:
            first_summary["bowl"] = bowl
        log_new_warnings(log, warnings, bw + coarse_wall_warnings(cfg, sim))
        if rundir.rank == 0:
            write_rows_csv(rundir.file("scenarios") / scen.name / "cavern.csv", rows)
    if rundir.rank == 0:
        write_rows_csv(rundir.file("cavern.csv"), all_rows)
        write_table(rundir.path, table)
        plot_histories(rundir.file("cavern_history.png"), rows_by, title=case.name)
    comm.Barrier()
    if rundir.rank == 0 and ckroot.exists():
        shutil.rmtree(ckroot, ignore_errors=True)
    return {
        **(first_summary or {}),
        "geometry": cfg.geometry,
        "displacement_dofs": ndofs,
        "caverns": {c.name: {"initial_volume_m3": cavern_volume(c) if cfg.geometry == "axisymmetric" else float(cm.volumes[i]),
                             "shoe_depth_m": c.shoe_depth} for i, c in enumerate(cfg.caverns)},
        "scenarios": summaries,
        **({"warnings": warnings} if warnings else {}),
    }
