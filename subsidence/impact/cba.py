"""The CBA 1987 comparison table, deformation part: the case's surface measures against the limits
that the damage categories use (``subsidence impact RUN --cba``; docs/impact.md).

Each measure is put against the strain limits of the categories (0.05, 0.075, 0.15, 0.3 %;
Burland 1995, after Boscardin & Cording 1989) through the same relations the buildings are
assessed with:

- **horizontal strain** (extension): a building that follows the ground strain without
  deflection has ε_lim = ε_h, so the limits apply to it directly;
- **horizontal compression**: compression does not open cracks in the limiting-tensile-strain
  method (it counts as 0); listed without category;
- **angular distortion over the base length** β: Son & Cording (2005) with ε_h = 0 give the
  principal tensile strain β/2, so the limits on β are twice the strain limits; with the largest
  horizontal extension as well, ε_p = ε_h/2 + √((ε_h/2)² + (β/2)²) (a bound: the two maxima need
  not be at the same place);
- **curvature**: a reference building of the base length L and height H on a surface of curvature κ
  has Δ/L = κL/8; the curvature at each limit follows from the deep-beam relations (sagging or
  hogging, the mode of the largest curvature; no horizontal strain): κ_k = 8·limit_k·min(c_b, c_d)/L;
- **tilt** (surface gradient): a rigid tilt is category 0 in the method; listed against the
  serviceability limits of relative rotation of Eurocode 7 (1/500 acceptable for many structures,
  1/300 a limit), which apply strictly to the distortion, not the rigid tilt.

The impact-factor part of the CBA 1987 comparison (groundwater lowering per ditch-level lowering
against sand 0.8, clay 0.5, peat with clay cover 0.7) is written by shallow and coupled runs with
an ``[impact]`` table (``cba_1987.csv``, docs/shallow.md); the command puts both parts in one
``cba_1987_table.md`` when the run has it.
"""

from __future__ import annotations

import csv
from pathlib import Path

from subsidence.impact.damage import CATEGORIES, LIMITS, beam_coefficients, category, son_cording_strain

EC7_ROTATION = (1.0 / 500.0, 1.0 / 300.0)  # Eurocode 7: acceptable for many structures; a limit
DEFAULT_BASE_LENGTH = 20.0  # m, the reference building where the command gives none


def curvature_limits(length: float, height: float, mode: str, e_over_g: float) -> list[float]:
    """The curvatures (1/m) at which a building of ``length`` and ``height`` in ``mode`` reaches each strain
    limit, with no horizontal strain: Δ/L = κL/8 and ε_lim = (Δ/L)/min(c_b, c_d)."""
    cb, cd = beam_coefficients(length, height, mode, e_over_g)
    return [8.0 * lim * min(cb, cd) / length for lim in LIMITS]


def deformation_rows(meas: dict, *, base_length: float, height: float, e_over_g: float, run_maxima: dict | None) -> list[dict]:
    """The table's rows from the extremes of :func:`subsidence.impact.surface_measures.surface_measures`
    (``meas``) and, when given, the run's maxima over all output times (``summary.json``)."""
    run_maxima = run_maxima or {}
    strain_limits = list(LIMITS)
    rows = []
    if "not_computed" in meas:  # e.g. a shallow run of one site
        return [{"quantity": "surface deformation", "value": "", "unit": "", "at": "", "limit_cat1": "",
                 "limit_cat2": "", "limit_cat3": "", "limit_cat4_5": "", "category": "", "limits_from": "",
                 "note": meas["not_computed"], "run_max_all_times": ""}]

    def row(quantity, value, unit, limits, cat, basis, note, run_key=None):
        rows.append({"quantity": quantity, "value": value, "unit": unit, "at": meas.get(f"{quantity}_at", ""),
                     "limit_cat1": limits[0] if limits else "", "limit_cat2": limits[1] if limits else "",
                     "limit_cat3": limits[2] if limits else "", "limit_cat4_5": limits[3] if limits else "",
                     "category": cat, "limits_from": basis, "note": note,
                     "run_max_all_times": run_maxima.get(run_key, "") if run_key else ""})

    eh = meas.get("max_horizontal_strain", 0.0)
    row("max_horizontal_strain", eh, "1 (extension)", strain_limits, category(eh),
        "strain limits of the categories (a building following the ground strain: ε_lim = ε_h)", "",
        "max_horizontal_strain")
    row("max_horizontal_compression", meas.get("max_horizontal_compression", 0.0), "1 (compression)", None, "",
        "—", "compression opens no cracks in the limiting-tensile-strain method (counts as 0)",
        "max_horizontal_compression")
    if "max_angular_distortion" in meas:
        beta = meas["max_angular_distortion"]
        row("max_angular_distortion", beta, f"1 (over {base_length:g} m)", [2.0 * v for v in LIMITS],
            category(beta / 2.0), "Son & Cording (2005), ε_h = 0: ε_p = β/2",
            f"with the largest horizontal extension too: ε_p = {son_cording_strain(beta, eh):.3g}, "
            f"category {category(son_cording_strain(beta, eh))}; Eurocode 7 relative rotation 1/500 "
            f"{'exceeded' if beta > EC7_ROTATION[0] else 'not reached'}")
    else:  # never a value over another base length than the one of the table
        row("max_angular_distortion", "", f"1 (over {base_length:g} m)", None, "", "—",
            meas.get("angular_distortion_not_computed", "not available"))
    kappa = meas.get("max_curvature", 0.0)
    mode = meas.get("max_curvature_mode", "none")
    beam_mode = "hogging" if mode == "hogging" else "sagging"
    klim = curvature_limits(base_length, height, beam_mode, e_over_g)
    kcat = CATEGORIES[sum(kappa >= k for k in klim)]
    row("max_curvature", kappa, "1/m", klim, kcat,
        f"a {base_length:g} m long, {height:g} m high building (E/G = {e_over_g:g}) in {beam_mode}: κ_k = 8·limit·min(c_b, c_d)/L",
        f"mode {mode}; smallest radius {meas['min_radius_of_curvature_km']:.4g} km; radii at the limits "
        + ", ".join(f"{1e-3 / k:.4g}" for k in klim) + " km" if kappa > 0 else f"mode {mode}", "max_curvature")
    tilt = meas.get("max_tilt", 0.0)
    row("max_tilt", tilt, "1 (m/m)", None, "0", "a rigid tilt is category 0 (limiting tensile strain)",
        f"Eurocode 7 relative rotation: 1/500 {'exceeded' if tilt > EC7_ROTATION[0] else 'not reached'}, "
        f"1/300 {'exceeded' if tilt > EC7_ROTATION[1] else 'not reached'} (limits of distortion, not of rigid tilt)",
        "max_tilt")
    return rows


def write_csv(path: Path, rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        for r in rows:
            w.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in r.items()})


def _fmt(v) -> str:
    return f"{v:.3g}" if isinstance(v, float) else str(v)


def write_markdown(path: Path, rows: list[dict], *, run: str, time_yr: float, impact_factors: Path | None) -> None:
    """Both parts of the CBA 1987 comparison in one page a report can take."""
    lines = [f"# CBA 1987 comparison: {run}", ""]
    lines += ["## Impact factors (groundwater lowering per ditch-level lowering)", ""]
    if impact_factors is not None and impact_factors.is_file():
        with impact_factors.open(newline="", encoding="utf-8") as f:
            ifr = list(csv.DictReader(f))
        cols = ["profile", "cba_class", "label", "year", "impact_factor", "impact_factor_min", "impact_factor_max",
                "cba_1987", "cba_inside_range"]
        cols = [c for c in cols if ifr and c in ifr[0]]
        lines += ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
        lines += ["| " + " | ".join(r[c] for c in cols) + " |" for r in ifr]
        lines += ["", f"(from `{impact_factors.name}` of the run; CBA 1987: sand 0.8, clay 0.5, peat with clay cover 0.7)"]
    else:
        lines += ["None in this run: impact factors come from shallow or coupled runs with an `[impact]` table "
                  "(`cba_1987.csv`, docs/shallow.md)."]
    lines += ["", f"## Surface deformation against the limits of the damage categories (t = {time_yr:g} yr)", "",
              "| quantity | value | unit | cat. 1 from | cat. 2 from | cat. 3 from | cat. 4-5 from | category | limits from | note |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append("| " + " | ".join(_fmt(r[k]) for k in ("quantity", "value", "unit", "limit_cat1", "limit_cat2",
                                                             "limit_cat3", "limit_cat4_5", "category", "limits_from",
                                                             "note")) + " |")
    lines += ["", "Strain limits of the categories 0.05, 0.075, 0.15, 0.3 % (Burland 1995; Boscardin & Cording 1989)."]
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")
