"""Outputs of a cavern study: cavern.csv, the scenario comparison table, plots."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from subsidence.cavern.roof import summarize as roof_summary
from subsidence.units import SECONDS_PER_YEAR

TABLE_COLUMNS = [
    ("scenario", "scenario", "{}"),
    ("cavern", "cavern", "{}"),
    ("volume_loss_pct", "volume loss at end [%]", "{:.3f}"),
    ("max_pressure_MPa", "max shoe pressure [MPa]", "{:.2f}"),
    ("max_gradient_MPa_per_m", "max shoe gradient [MPa/m]", "{:.4f}"),
    ("max_pressure_over_sigma_v", "max P/σv at shoe", "{:.3f}"),
    ("bled_m3", "brine bled [m³]", "{:.0f}"),
    ("injected_m3", "brine injected [m³]", "{:.0f}"),
    ("releases", "releases", "{:d}"),
    ("leak_off_time_yr", "leak-off reached at [yr]", "{:.2f}"),
    ("leaked_m3", "brine leaked off [m³]", "{:.0f}"),
    ("min_fs_vansambeek", "min FS dilatancy (Van Sambeek)", "{:.2f}"),
    ("min_fs_devries", "min FS dilatancy (De Vries)", "{:.2f}"),
    ("min_tension_margin_MPa", "min σmin−P at wall [MPa]", "{:.2f}"),
    ("min_roof_tension_margin_MPa", "min σmin−P at roof [MPa]", "{:.2f}"),
    ("pressure_end_MPa", "shoe pressure at end [MPa]", "{:.2f}"),
    ("fs_devries_end", "FS De Vries at end", "{:.2f}"),
    ("tension_margin_end_MPa", "σmin−P at wall at end [MPa]", "{:.2f}"),
    ("max_subsidence_mm", "max subsidence at end [mm]", "{:.1f}"),
    ("subsidence_rate_mm_per_yr", "subsidence rate at end [mm/yr]", "{:.3f}"),
]


def write_rows_csv(path: Path, rows: list[dict]) -> None:
    keys: list[str] = []
    for r in rows:
        for k in r:
            if k not in keys:
                keys.append(k)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=keys)
        w.writeheader()
        for r in rows:
            w.writerow({k: (f"{v:.10g}" if isinstance(v, float) else v) for k, v in r.items()})


def _nanmin(a):
    """The minimum of the finite values, None when there are none (a column the run does not have)."""
    a = a[np.isfinite(a)]
    return float(a.min()) if a.size else None


def _nanmax(a):
    a = a[np.isfinite(a)]
    return float(a.max()) if a.size else None


def surface_summary(ssum: dict, grid_uz, times_s) -> dict:
    """The scenario table's surface columns: the largest subsidence on the grid (mm) and its rate
    over the last output interval (mm/yr, subsidence positive)."""
    uz_min = np.asarray(grid_uz).min(axis=(1, 2))
    rate = 0.0
    if len(times_s) > 1:
        rate = -(uz_min[-1] - uz_min[-2]) / ((times_s[-1] - times_s[-2]) / SECONDS_PER_YEAR)
    return {"max_subsidence_mm": 1e3 * ssum.get("max_subsidence_m", 0.0), "subsidence_rate_mm_per_yr": 1e3 * rate}


def scenario_table(scenario: str, rows: list[dict], surf: dict, dilatancy: tuple[str, ...] = ()) -> list[dict]:
    """Indicators per cavern of one scenario (surf: max_subsidence_mm, subsidence_rate_mm_per_yr;
    dilatancy: the names of the case's own boundaries, columns fs_<name>)."""
    out = []
    names = list(dict.fromkeys(r["cavern"] for r in rows))
    for name in names:
        rr = [r for r in rows if r["cavern"] == name]
        releases = int(rr[-1]["releases"])

        def col(k):
            return np.array([r.get(k, np.nan) for r in rr], dtype=float)

        out.append({
            "scenario": scenario,
            "cavern": name,
            "volume_loss_pct": 100 * rr[-1]["volume_loss_rel"],
            "max_pressure_MPa": float(np.max(col("pressure_MPa"))),
            "max_gradient_MPa_per_m": float(np.max(col("pressure_gradient_MPa_per_m"))),
            "max_pressure_over_sigma_v": float(np.max(col("pressure_over_sigma_v"))),
            "bled_m3": rr[-1]["bled_m3"],
            "injected_m3": rr[-1]["injected_m3"],
            "releases": releases,
            # first time the sealed cavern's pressure reached the leak-off cap (None: never)
            "leak_off_time_yr": next((r["time_yr"] for r in rr if "leak_off" in str(r.get("event", ""))), None),
            "leaked_m3": rr[-1].get("leaked_m3", 0.0),
            "min_fs_vansambeek": float(np.nanmin(col("fs_vansambeek"))),
            "min_fs_devries": float(np.nanmin(col("fs_devries"))),
            "min_tension_margin_MPa": float(np.nanmin(col("tension_margin_MPa"))),
            "min_roof_tension_margin_MPa": float(np.nanmin(col("roof_tension_margin_MPa"))),
            "min_roof_fs_vansambeek": _nanmin(col("roof_fs_vansambeek")),
            "min_roof_fs_devries": _nanmin(col("roof_fs_devries")),
            # solved brine heat: the coldest brine against the rock, and the largest unrelaxed thermal hoop tension
            "min_wall_delta_T_K": _nanmin(col("wall_delta_T_K")),
            "max_thermal_hoop_elastic_MPa": _nanmax(col("thermal_hoop_elastic_MPa")),
            "pressure_end_MPa": rr[-1]["pressure_MPa"],
            "fs_devries_end": rr[-1].get("fs_devries", np.nan),
            "tension_margin_end_MPa": rr[-1].get("tension_margin_MPa", np.nan),
            **surf,
            **roof_summary(rr),  # roof layers with strength, roof-span check (subsidence/cavern/roof.py)
            **own_dilatancy_summary(rr, dilatancy),
        })
    return out


def own_dilatancy_summary(rows: list[dict], names: tuple[str, ...]) -> dict:
    """min_fs_<name> and min_roof_fs_<name> over the run, for each of the case's own boundaries."""
    out = {}
    for name in names:
        for k in ("fs_" + name, "roof_fs_" + name):
            out["min_" + k] = _nanmin(np.array([r.get(k, np.nan) for r in rows], dtype=float))
    return out


def write_table(rundir_path: Path, table: list[dict]) -> None:
    write_rows_csv(rundir_path / "scenarios.csv", table)
    own = [k for k in dict.fromkeys(k for r in table for k in r) if k.startswith("min_fs_")
           and k not in ("min_fs_vansambeek", "min_fs_devries")]
    columns = list(TABLE_COLUMNS)
    at = next(i for i, (k, _, _) in enumerate(columns) if k == "min_fs_devries") + 1
    columns[at:at] = [(k, f"min FS dilatancy ({k[len('min_fs_'):]})", "{:.2f}") for k in own]
    lines = ["| " + " | ".join(h for _, h, _ in columns) + " |", "|" + "---|" * len(columns)]
    for r in table:
        cells = []
        for k, _, fmt in columns:
            v = r.get(k)
            cells.append("" if v is None else fmt.format(v))
        lines.append("| " + " | ".join(cells) + " |")
    text = (
        "# Scenario comparison\n\nSafety factors are minima over the wall, over the whole run (including the "
        "history the scenarios share) or at the end (dilatancy: > 1 is outside the dilatant domain); σmin−P is "
        "the least compressive stress tangential to the wall minus the brine pressure (negative: tensile "
        "effective stress, fracture/leak risk).\n\n" + "\n".join(lines) + "\n"
    )
    (rundir_path / "scenarios.md").write_text(text, encoding="utf-8")


#: reference lines of the history panels: key -> (value, label)
REFERENCE_LINES = {
    "fs_devries": (1.0, "FS = 1: dilatancy onset"),
    "tension_margin_MPa": (0.0, "σmin − P = 0: tensile effective stress"),
}


def plot_histories(path: Path, rows_by_scenario: dict[str, list[dict]], *, title: str = ""):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [
        ("pressure_MPa", "shoe pressure [MPa]"),
        ("volume_loss_rel", "relative volume loss [-]"),
        ("bled_m3", "brine bled [m³]"),
        ("fs_devries", "min dilatancy FS (De Vries)"),
        ("tension_margin_MPa", "min σmin − P at wall [MPa]"),
        ("brine_T_C", "brine temperature [°C]"),
    ]
    fig, axes = plt.subplots(3, 2, figsize=(11, 10), sharex=True)
    for ax, (k, lab) in zip(axes.flat, panels):
        for scen, rows in rows_by_scenario.items():
            for cav in dict.fromkeys(r["cavern"] for r in rows):
                rr = [r for r in rows if r["cavern"] == cav]
                label = scen if len(rows_by_scenario) > 1 else cav
                if len(rows_by_scenario) > 1 and len({r["cavern"] for r in rows}) > 1:
                    label = f"{scen}/{cav}"
                ax.plot([r["time_yr"] for r in rr], [r.get(k, np.nan) for r in rr], label=label, lw=1.2)
        if k in REFERENCE_LINES:
            val, ref = REFERENCE_LINES[k]
            ax.axhline(val, color="tab:red", ls="--", lw=1.0, label=ref)
            ax.legend(handles=[ax.get_lines()[-1]], fontsize=7, loc="best")
        ax.set_ylabel(lab)
        ax.grid(alpha=0.3)
    for ax in axes[-1]:
        ax.set_xlabel("time [yr]")
    ax0 = axes[0, 0]
    ax0.legend(handles=[ln for ln in ax0.get_lines()], fontsize=8, title="scenario" if len(rows_by_scenario) > 1
               else "cavern", title_fontsize=8)
    names = list(rows_by_scenario)
    what = f"scenario {names[0]}" if len(names) == 1 else f"scenarios {', '.join(names)}"
    fig.suptitle(f"{title}: cavern history, {what}" if title else f"Cavern history, {what}")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return fig
