"""Does the weather explain the Nieuwolda parcels? SPAMS against the per-parcel statistics.

SPAMS (Conroy et al. 2023; ``subsidence.shallow.spams``) describes these very parcels' motion as a
response to the recent precipitation and evaporation. ``calibrate`` fits it per parcel, with a
trend, as the baseline ``trend + weather (SPAMS)``
(:func:`subsidence.calibration.scores.weather_baseline`); this script does the same without any
calibration run, for a chosen split, so that the figures in docs/calibration.md can be re-made in
seconds:

- the RMSE in and out of sample of the linear trend, trend + annual, persistence and trend +
  weather baselines (each fitted per parcel on the epochs up to ``--until``);
- the SPAMS window and evaporation factor chosen on the calibration misfit, and the share of
  parcels whose fitted x_p and x_i have the paper's signs (swelling when wet, settling when dry;
  about half when the weather terms only fit noise);
- the paired bootstrap (as ``calibrate``: parcels and blocks of epochs of the estimated noise's
  temporal range, 90 % interval, seed 2033) of RMSE(SPAMS) − RMSE(each statistic) out of sample.

    python validation/insar_nieuwolda/weather_baseline.py [--until 2017-12-31] [--end DATE]

``--end`` leaves out the product's epochs after it (an inner split that never reads them).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import importlib.util
from pathlib import Path

import mpi4py.MPI  # noqa: F401  (before anything that loads PETSc)
import numpy as np

HERE = Path(__file__).resolve().parent
DATA = HERE.parents[1] / "validation" / "data" / "nieuwolda"


def _load(end):
    spec = importlib.util.spec_from_file_location("forecast_headroom", HERE / "forecast_headroom.py")
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    return m.load(end=end)


def compare(until: _dt.date, end: _dt.date | None = None, *, seed: int = 2033) -> dict:
    """The numbers the script prints (RMSE in mm)."""
    from subsidence.calibration.scores import WEATHER, baselines, paired_difference, score, weather_baseline
    from subsidence.insar.noise import estimate_noise
    from subsidence.shallow.forcing import read_evaporation, read_precipitation

    P = read_precipitation(DATA / "neerslaggeg_NIEUWOLDA_172.csv")
    E = read_evaporation(DATA / "NBeerta_evapotransp20152020.csv")
    x, y, dates, t, D = _load(end)
    cal = dates <= np.datetime64(until, "D")
    if cal.sum() < 6 or cal.all():
        raise SystemExit(f"need at least 6 epochs up to {until} and one after it")
    pred, info = weather_baseline(D, dates, cal, P, E)
    base = baselines(D, t, cal)
    base[WEATHER] = pred
    rmse = {k: {"in_sample": score(D, v, t, cal)["rmse_m"] * 1e3, "out_of_sample": score(D, v, t, ~cal)["rmse_m"] * 1e3,
                "velocity_out_mm_per_yr": score(D, v, t, ~cal).get("velocity_rmse_m_per_yr", np.nan) * 1e3}
            for k, v in base.items()}
    block = estimate_noise(D[:, cal], x, y, t[cal]).temporal_range
    paired = {}
    for k in ("linear trend", "trend + annual", "persistence"):
        if k in base:
            p = paired_difference(D, pred, base[k], t, ~cal, np.random.default_rng(seed), block_years=max(block, 1e-9))
            paired[k] = {"difference_mm": p["rmse_difference_m"] * 1e3, "p5_mm": p["p5_m"] * 1e3,
                         "p95_mm": p["p95_m"] * 1e3, "resolved": p["resolved"]}
    return {"parcels": int(x.size), "calibration_epochs": int(cal.sum()), "held_out_epochs": int((~cal).sum()),
            "spams": {k: v for k, v in info.items() if k != "grid"}, "rmse_mm": rmse, "spams_minus": paired}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--until", default="2017-12-31", help="last calibration epoch (default: 2018 held out)")
    ap.add_argument("--end", default=None, help="leave out the product's epochs after this date (an inner split)")
    a = ap.parse_args(argv)
    r = compare(_dt.date.fromisoformat(a.until), _dt.date.fromisoformat(a.end) if a.end else None)
    s = r["spams"]
    print(f"{r['parcels']} parcels, {r['calibration_epochs']} calibration and {r['held_out_epochs']} held-out epochs "
          f"(calibration up to {a.until}{', product cut at ' + a.end if a.end else ''})")
    print(f"SPAMS: window {s['tau_days']} d, x_e/x_p {s['evaporation_factor_ratio']:g} (common to all parcels"
          f"{', ON THE EDGE of the grid' if s['at_grid_edge'] else ''}); parcels with x_p > 0: "
          f"{100 * s['share_points_xp_positive']:.0f} %, with x_i < 0: {100 * s['share_points_xi_negative']:.0f} %")
    print("| baseline | RMSE in sample [mm] | RMSE out of sample [mm] | velocity RMSE out [mm/yr] |")
    print("|---|---|---|---|")
    for k, v in r["rmse_mm"].items():
        print(f"| {k} | {v['in_sample']:.2f} | {v['out_of_sample']:.2f} | {v['velocity_out_mm_per_yr']:.2f} |")
    print("| RMSE(SPAMS) − RMSE(baseline), out of sample | difference [mm] | 90 % interval [mm] | resolved |")
    print("|---|---|---|---|")
    for k, v in r["spams_minus"].items():
        print(f"| {k} | {v['difference_mm']:+.2f} | {v['p5_mm']:+.2f} … {v['p95_mm']:+.2f} | {'yes' if v['resolved'] else 'no'} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
