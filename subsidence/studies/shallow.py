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
    from subsidence.shallow.chain import run_chain
    from subsidence.shallow.output import write_all

    cfg = case.config
    res = run_chain(cfg, comm)
    log.info("writing the outputs%s", " and plots" if cfg.plots else "")
    summary = write_all(rundir, res, case, interval_days=cfg.output_interval_days, title=case.name,
                       plots=cfg.plots)
    from subsidence.impact.points import chain_deformation_outputs  # tilt, curvature, strain at the points

    summary.update(chain_deformation_outputs(rundir, res, case))
    if cfg.impact is not None:
        summary["impact_factors"] = run_impact(cfg, rundir, comm)
    return summary


def run_impact(cfg, rundir, comm, model=None) -> dict:
    """Impact factors of every soil profile for a dry and an average year (or the given years),
    at the case's parameters (with the case's groundwater model) and over a plausible range of
    the parcel's hydrology (ditch spacing, ditch-bed resistance and aquitard resistance each
    ×0.5, ×1, ×2: 27 combinations, 9 without seepage; the lumped model, fitted to the FE
    cross-section unless the case says otherwise), against the CBA 1987 value of the profile's
    class; ``impact_factors.csv`` and ``cba_1987.csv``."""
    import dataclasses
    import itertools

    from subsidence.shallow.chain import build_groundwater_model
    from subsidence.shallow.impact import CBA_1987, cba_class, dry_and_average_year, impact_factor

    f = cfg.forcing
    imp = cfg.impact
    years = imp.years
    if years == "auto":
        pick = dry_and_average_year(f.precipitation, f.evaporation)
        years = {"dry": pick["dry"], "average": pick["average"]}
    else:
        years = {str(y): y for y in years}
    profiles = cfg.profiles or {"default": (cfg.parcel, cfg.layers)}
    factors = (0.5, 1.0, 2.0)
    out, rows = {}, []
    for pname, (parcel, layers) in profiles.items():
        klass = (imp.cba_classes or {}).get(pname) or cba_class(parcel, layers)
        per_year = {}
        for label, y in years.items():
            vals = []
            lumped = dataclasses.replace(cfg.groundwater, model="lumped")  # the range: the lumped twin (fast)
            for fs, fe, fc in itertools.product(factors, factors, factors if parcel.seepage else (1.0,)):
                par = dataclasses.replace(parcel, spacing=parcel.spacing * fs, entry_resistance=parcel.entry_resistance * fe,
                                          aquitard_resistance=parcel.aquitard_resistance * fc)
                central = fs == fe == fc == 1.0
                gm = build_groundwater_model(dataclasses.replace(cfg, parcel=par, groundwater=cfg.groundwater if central
                                                                 else lumped), comm)[0]
                r = impact_factor(gm, f.precipitation, f.evaporation, y, ditch_level=cfg.management.initial_level,
                                  lowering=imp.lowering, measure=imp.measure, aquifer_head=par.aquifer_head)
                if central:
                    base = r
                vals.append(r["impact_factor"])
            cba = CBA_1987.get(klass)
            per_year[label] = {**base, "impact_factor_min": float(min(vals)), "impact_factor_max": float(max(vals))}
            rows.append({"profile": pname, "cba_class": klass, "label": label, "year": y,
                         "impact_factor": base["impact_factor"], "impact_factor_min": min(vals),
                         "impact_factor_max": max(vals), "cba_1987": "" if cba is None else cba,
                         "cba_inside_range": "" if cba is None else bool(min(vals) <= cba <= max(vals)),
                         "difference_to_cba": "" if cba is None else base["impact_factor"] - cba})
            log.info("impact factor %s, %s year %d: %.3f (%.3f-%.3f over the hydrology range; CBA 1987 %s: %s)", pname, label,
                     y, base["impact_factor"], min(vals), max(vals), klass, "-" if cba is None else f"{cba:.2f}")
        out[pname] = {"cba_class": klass, "years": per_year}
    if rundir.rank == 0:
        from subsidence.shallow.output import write_csv

        write_csv(rundir.file("impact_factors.csv"),
                  [{"profile": r["profile"], "label": r["label"], "year": r["year"], "impact_factor": r["impact_factor"]}
                   for r in rows])
        write_csv(rundir.file("cba_1987.csv"), rows)
    if len(profiles) == 1:  # as before: dry/average at the top level
        out = {**out["default" if "default" in out else next(iter(out))]["years"], "profiles": out}
    out["cba_1987"] = CBA_1987
    return out
