"""Validate the Groningen models against the Nieuwolda PS-InSAR parcels (Sentinel-1 track 88).

    .venv/bin/python validation/insar_nieuwolda/run_validation.py            # both cases
    .venv/bin/python validation/insar_nieuwolda/run_validation.py --reuse    # keep existing runs

For each case (default: the coupled deep + shallow case and the deep-only case) it runs the
case into ``runs/insar_nieuwolda/<case>/run`` (skipped with ``--reuse`` when a complete run
is there), calls ``subsidence validate`` with the parcel file, and writes next to this script:

- ``results.md``: overall numbers per case (the table quoted in docs/insar.md);
- ``results_<case>.csv``: RMSE, bias, correlation, velocities and seasonal amplitudes per parcel;
- ``figures/<case>_*.png``: the report figures.

The full self-contained report is ``runs/insar_nieuwolda/<case>/validation/report.html``.

The product is line of sight, positive towards the satellite (the parcels' mean LOS trend is
−4 mm/yr over a subsiding gas field); track 88 is ascending (the incidence angle grows
eastwards by 0.05°/km: a right-looking radar looking east), heading −12° is assumed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
DATA = ROOT / "validation/data/nieuwolda/insar_t88_parcels_2015_2018.csv"
CASES = ["cases/coupled_nieuwolda.toml", "cases/groningen_deep.toml"]


def validate_case(case_path: Path, runs: Path, *, reuse: bool) -> dict:
    from subsidence.cli import main as cli
    from subsidence.config import load_case
    from subsidence.run import run_case

    case = load_case(case_path)
    base = runs / case.name
    rundir = base / "run"
    if not (reuse and (rundir / "manifest.json").is_file()):
        run_case(case, rundir)
    out = base / "validation"
    rc = cli(["validate", str(rundir), "--insar", str(DATA), "--pass", "ascending", "--out", str(out)])
    if rc:
        raise SystemExit(f"validation of {case.name} failed ({rc})")
    doc = json.loads((out / "validation.json").read_text())
    d = doc["datasets"][0]
    figs = HERE / "figures"
    figs.mkdir(exist_ok=True)
    for title, rel in d["figures"].items():
        kind = Path(rel).stem.rsplit("_", 1)[-1]
        shutil.copy(out / rel, figs / f"{case.name}_{kind}.png")
    shutil.copy(out / d["points_csv"], HERE / f"results_{case.name}.csv")
    return {"case": case.name, "file": str(case_path), "run": str(rundir), "report": str(out / "report.html"), **d}


def results_md(results: list[dict]) -> str:
    lines = ["# Nieuwolda InSAR validation: results", "",
             f"Data: `{DATA.relative_to(ROOT)}` (Sentinel-1 track 88, ascending, LOS, 2015-05-03 … 2018-12-31); "
             "every series referenced to its first epoch; residual = observed − model.", "",
             "| case | parcels | RMSE [mm] | bias [mm] | corr | median parcel RMSE [mm] | velocity obs / model [mm/yr] | velocity RMSE [mm/yr] | seasonal amp. obs / model [mm] | χ²/N (noise model) | perfect-model RMSE under the noise model [mm] | data scatter about own trend+annual fit [mm] |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        o, nz = r["overall"], r["noise_weighted"]
        lines.append(
            f"| {r['case']} | {o['points']} | {1e3 * o['rmse_m']:.2f} | {1e3 * o['bias_m']:.2f} | {o['corr']:.3f} | "
            f"{1e3 * o['median_point_rmse_m']:.2f} | {1e3 * o['mean_velocity_obs_m_per_yr']:.2f} / {1e3 * o['mean_velocity_model_m_per_yr']:.2f} | "
            f"{1e3 * o['velocity_rmse_m_per_yr']:.2f} | {1e3 * o['seasonal_amplitude_obs_mean_m']:.2f} / {1e3 * o['seasonal_amplitude_model_mean_m']:.2f} | "
            f"{nz['chi2_per_value']:.3f} | {1e3 * nz['expected_rmse_m']:.2f} | {1e3 * o['obs_scatter_about_own_fit_m']:.2f} |")
    lines += ["", "Skipped parcels: " + "; ".join(f"{r['case']}: {r['data']['skipped']}" for r in results), ""]
    for r in results:
        rm = sorted((p["rmse"], p["id"]) for p in r["points"] if p["rmse"] is not None)
        q = lambda f: 1e3 * rm[min(int(f * len(rm)), len(rm) - 1)][0]  # noqa: E731
        lines += [f"## {r['case']}: RMSE per parcel", "",
                  f"min {q(0):.2f}, 10 % {q(0.1):.2f}, median {q(0.5):.2f}, 90 % {q(0.9):.2f}, max {q(1):.2f} mm; "
                  f"all parcels in `results_{r['case']}.csv`.", ""]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--case", action="append", help="case file(s) (default: coupled Nieuwolda and Groningen deep)")
    ap.add_argument("--runs", default=str(ROOT / "runs" / "insar_nieuwolda"))
    ap.add_argument("--reuse", action="store_true", help="reuse complete runs")
    a = ap.parse_args(argv)
    cases = [Path(c) for c in (a.case or [ROOT / c for c in CASES])]
    results = [validate_case(c, Path(a.runs), reuse=a.reuse) for c in cases if c.is_file()]
    (HERE / "results.md").write_text(results_md(results))
    print((HERE / "results.md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
