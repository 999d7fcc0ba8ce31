"""The shallow study (``kind = "shallow"``): one site, no deep subsidence.

Ditch level (optionally a prescribed lowering) -> groundwater between ditches (FE cross-section
or lumped) -> layered soil column (consolidation, isotache creep, oxidation); with
``[impact]``, impact factors for a dry and an average year. See ``docs/shallow.md``.
"""

from __future__ import annotations

from subsidence.log import get_logger
from subsidence.shallow.config import parse  # noqa: F401  (the study entry point)

log = get_logger("shallow")


def run(case, rundir, comm) -> dict:
    from subsidence.shallow.chain import build_groundwater_model, run_chain
    from subsidence.shallow.output import write_all

    cfg = case.config
    res = run_chain(cfg, comm)
    log.info("writing the outputs%s", " and plots" if cfg.plots else "")
    summary = write_all(rundir, res, case, interval_days=cfg.output_interval_days, title=case.name,
                       plots=cfg.plots)
    if cfg.impact is not None:
        summary["impact_factors"] = run_impact(cfg, rundir, comm, build_groundwater_model(cfg, comm)[0])
    return summary


def run_impact(cfg, rundir, comm, model) -> dict:
    from subsidence.shallow.impact import CBA_1987, dry_and_average_year, impact_factor

    f = cfg.forcing
    years = cfg.impact.years
    if years == "auto":
        pick = dry_and_average_year(f.precipitation, f.evaporation)
        years = {"dry": pick["dry"], "average": pick["average"]}
    else:
        years = {str(y): y for y in years}
    out = {}
    for label, y in years.items():
        r = impact_factor(model, f.precipitation, f.evaporation, y, ditch_level=cfg.management.initial_level,
                          lowering=cfg.impact.lowering, measure=cfg.impact.measure)
        out[label] = r
        log.info("impact factor %s year %d: %.3f", label, y, r["impact_factor"])
    if rundir.rank == 0:
        from subsidence.shallow.output import write_csv

        write_csv(rundir.file("impact_factors.csv"), [{"label": k, **v} for k, v in out.items()])
    out["cba_1987"] = CBA_1987
    return out
