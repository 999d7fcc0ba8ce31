"""The coupled study (``kind = "coupled"``): deep subsidence drives the shallow chain at points.

Deep subsidence (a deep case of this toolkit or a time series) -> ditch level of the
water-level area (a rule) -> groundwater -> soil column, per point, plus the counterfactual
without deep subsidence; the *extra* shallow subsidence is the difference. Writes the
standard ``points.csv`` (total vertical = deep - shallow; horizontal = deep) with the
case's ``crs`` and ``start_date``. See ``docs/shallow.md``.
"""

from __future__ import annotations

from subsidence.log import get_logger
from subsidence.shallow.config import parse  # noqa: F401  (the study entry point)

log = get_logger("coupled")


def run(case, rundir, comm) -> dict:
    from subsidence.shallow.chain import run_chain
    from subsidence.shallow.output import write_all

    cfg = case.config
    res = run_chain(cfg, comm)
    log.info("writing the outputs%s", " and plots" if cfg.plots else "")
    summary = write_all(rundir, res, case, interval_days=cfg.output_interval_days, title=case.name, plots=cfg.plots)
    from subsidence.impact.points import chain_deformation_outputs  # tilt, curvature, strain at the points

    summary.update(chain_deformation_outputs(rundir, res, case))
    if cfg.impact is not None:
        from subsidence.studies.shallow import run_impact

        summary["impact_factors"] = run_impact(cfg, rundir, comm)
    return summary
