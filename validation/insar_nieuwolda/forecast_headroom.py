"""How much better than the per-parcel statistics can *any* forecast of these parcels be?

The issue asks that a calibrated physics model beat the per-parcel statistical extrapolations
(linear trend, trend + annual) on held-out InSAR epochs. On the Nieuwolda parcels the calibrated
chain draws with them on 2018 (docs/calibration.md). Before reading that as a failure of the
physics, one should know whether a win is measurable at all: the held-out RMSE is mostly the
observation noise, which no forecast can predict. This script answers it with the *true* signal as
the forecast (an oracle), on synthetic series built like the real ones:

- the 286 parcels' positions and the product's 158 epochs (2015-05-03 … 2018-12-31);
- noise drawn from the white + spatial + temporal model estimated from the real calibration epochs
  (as ``calibrate`` estimates it), many realisations;
- a true signal per parcel: its own trend + annual fitted to the real calibration epochs
  ("smooth"), or that plus a change of rate after the calibration period ("rate change": each
  parcel's rate moves by a normal amount of sd ``--rate-change`` mm/yr; the statistics cannot see it
  coming, a perfect physical model would).

For each realisation, the oracle (the true signal with its per-parcel offset fitted on the
calibration epochs, as every prediction is) and the baselines fitted on the calibration epochs are
scored on the held-out epochs with the same paired bootstrap as ``calibrate`` (parcels and blocks
of epochs resampled, 90 % interval). Printed: the median RMSEs, the median RMSE difference
oracle − baseline with its spread over realisations, and the share of realisations in which the
bootstrap resolves the oracle's win. If even the truth rarely resolves a win, "the model must beat
the statistics" cannot be decided on these data and that horizon.

    python validation/insar_nieuwolda/forecast_headroom.py [--realisations 200] [--until 2017-12-31] [--end DATE]
"""

from __future__ import annotations

import argparse
import datetime as _dt
from pathlib import Path

import mpi4py.MPI  # noqa: F401  (before anything that loads PETSc)
import numpy as np

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ROOT / "validation" / "data" / "nieuwolda" / "insar_t88_parcels_2015_2018.csv"


def load(product=PRODUCT, end: _dt.date | None = None):
    """Positions (m), epochs (years since the first) and the real series (m, n) of the product (up to
    ``end``, when given: an inner split that never reads the later epochs)."""
    from subsidence.insar.readers import read_insar

    ds = read_insar(product, format="tudelft", crs="EPSG:28992", pass_="ascending")
    if end is not None:
        ds = ds.epochs(ds.dates <= np.datetime64(end, "D"))
    ok = np.isfinite(ds.disp).all(axis=1)
    ds = ds.subset(ok)
    t = (ds.dates - ds.dates[0]).astype(float) / 365.25
    return ds.x, ds.y, ds.dates, t, np.asarray(ds.disp, float)


def headroom(x, y, dates, t, D, until: _dt.date, *, realisations: int = 200, rate_change: float = 0.0,
             seed: int = 2026, block_years: float | None = None, match_scatter: bool = False,
             white_only: bool = False) -> dict:
    """The oracle against the baselines on synthetic series like ``D`` (see the module docs).
    ``match_scatter``: scale the estimated noise so that trend + annual scatters as much about the
    synthetic calibration epochs as about the real ones (in sample only: no held-out value is used).
    ``white_only``: white noise of the estimated model's total variance instead (no correlation in
    space or time), a diagnostic of how much the correlations matter."""
    import dataclasses

    from subsidence.calibration.scores import baselines, paired_difference, score, with_offsets
    from subsidence.insar.metrics import fit_trend
    from subsidence.insar.noise import estimate_noise

    cal = dates <= np.datetime64(until, "D")
    hold = ~cal
    if cal.sum() < 6 or not hold.any():
        raise ValueError(f"need at least 6 epochs up to {until} and one after it")
    noise = estimate_noise(D[:, cal], x, y, t[cal])
    if white_only:
        noise = dataclasses.replace(noise, white_var=noise.total_sigma**2, spatial_var=0.0, temporal_var=0.0)
    c = fit_trend(D[:, cal], t[cal], seasonal=True)  # (m, 4): the parcels' own smooth signal
    G = np.stack([np.ones_like(t), t, np.cos(2 * np.pi * t), np.sin(2 * np.pi * t)])
    smooth = c @ G
    real = baselines(D, t, cal)
    real_scores = {k: {"in_sample_rmse_mm": score(D, v, t, cal)["rmse_m"] * 1e3,
                       "held_out_rmse_mm": score(D, v, t, hold)["rmse_m"] * 1e3}
                   for k, v in real.items() if k != "persistence"}
    rng = np.random.default_rng(seed)
    scale = 1.0
    if match_scatter:  # a pilot of 10 realisations: the in-sample scatter of trend + annual, real against synthetic
        pilot = [score(o := smooth + noise.sample(x, y, t, rng), baselines(o, t, cal)["trend + annual"], t, cal)["rmse_m"]
                 for _ in range(10)]
        scale = real_scores["trend + annual"]["in_sample_rmse_mm"] * 1e-3 / float(np.median(pilot))
        noise = dataclasses.replace(noise, white_var=noise.white_var * scale**2, spatial_var=noise.spatial_var * scale**2,
                                    temporal_var=noise.temporal_var * scale**2)
    t_end = t[np.flatnonzero(cal)[-1]]
    block = block_years if block_years is not None else noise.temporal_range
    rows = {name: [] for name in ("oracle", "linear trend", "trend + annual")}
    insample = []
    diffs = {name: [] for name in ("linear trend", "trend + annual")}
    resolved = {name: 0 for name in diffs}
    for _ in range(realisations):
        truth = smooth.copy()
        if rate_change > 0:  # each parcel's rate changes after the calibration period by N(0, rate_change²)
            dv = rate_change * 1e-3 * rng.standard_normal((x.size, 1))
            truth += dv * np.clip(t - t_end, 0.0, None)[None, :]
        obs = truth + noise.sample(x, y, t, rng)
        oracle = with_offsets(obs, truth, cal)
        base = baselines(obs, t, cal)
        rows["oracle"].append(score(obs, oracle, t, hold)["rmse_m"])
        insample.append(score(obs, base["trend + annual"], t, cal)["rmse_m"])
        for name in diffs:
            rows[name].append(score(obs, base[name], t, hold)["rmse_m"])
            p = paired_difference(obs, oracle, base[name], t, hold, rng, block_years=block, draws=1000)
            diffs[name].append(p["rmse_difference_m"])
            resolved[name] += bool(p["resolved"] and p["rmse_difference_m"] < 0)
    out = {"noise": noise.describe(), "noise_scale": scale, "calibration_epochs": int(cal.sum()),
           "held_out_epochs": int(hold.sum()), "realisations": realisations, "rate_change_mm_per_yr": rate_change,
           "real_data": real_scores, "synthetic_in_sample_rmse_mm": {"trend + annual": float(np.median(insample) * 1e3)},
           "rmse_mm": {k: float(np.median(v) * 1e3) for k, v in rows.items()}, "difference_mm": {}}
    for name, v in diffs.items():
        v = np.asarray(v) * 1e3
        out["difference_mm"][name] = {"median": float(np.median(v)), "p5": float(np.percentile(v, 5)),
                                      "p95": float(np.percentile(v, 95)),
                                      "resolved_share": resolved[name] / realisations}
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--realisations", type=int, default=200)
    ap.add_argument("--until", default="2017-12-31", help="last calibration epoch (default: 2018 held out)")
    ap.add_argument("--rate-change", type=float, nargs="*", default=[0.0, 0.5, 1.0],
                    help="sd of the per-parcel rate change after the calibration period [mm/yr], one scenario each")
    ap.add_argument("--match-scatter", action="store_true",
                    help="scale the noise so that trend + annual scatters about the synthetic calibration epochs as much "
                    "as about the real ones")
    ap.add_argument("--white", action="store_true",
                    help="white noise of the estimated total variance instead of the correlated model (a diagnostic)")
    ap.add_argument("--end", default=None, help="leave out the product's epochs after this date (an inner split)")
    ap.add_argument("--seed", type=int, default=2026)
    a = ap.parse_args(argv)
    until = _dt.date.fromisoformat(a.until)
    x, y, dates, t, D = load(end=_dt.date.fromisoformat(a.end) if a.end else None)
    print(f"{x.size} parcels, calibration up to {until}, {a.realisations} noise realisations per scenario")
    print("| true signal | oracle RMSE [mm] | linear trend | trend + annual | oracle − trend + annual [mm], median (P5 … P95) "
          "| resolved win vs trend + annual | oracle − linear trend, median | resolved win vs linear trend |")
    print("|---|---|---|---|---|---|---|---|")
    for rc in a.rate_change:
        r = headroom(x, y, dates, t, D, until, realisations=a.realisations, rate_change=rc, seed=a.seed,
                     match_scatter=a.match_scatter, white_only=a.white)
        ta, lt = r["difference_mm"]["trend + annual"], r["difference_mm"]["linear trend"]
        label = "smooth (trend + annual)" if rc == 0 else f"smooth + rate change, sd {rc:g} mm/yr"
        print(f"| {label} | {r['rmse_mm']['oracle']:.2f} | {r['rmse_mm']['linear trend']:.2f} | "
              f"{r['rmse_mm']['trend + annual']:.2f} | {ta['median']:+.2f} ({ta['p5']:+.2f} … {ta['p95']:+.2f}) | "
              f"{100 * ta['resolved_share']:.0f} % | {lt['median']:+.2f} | {100 * lt['resolved_share']:.0f} % |")
    n = r["noise"]
    how = ("white, of the estimated total variance" if a.white else "as estimated from the calibration epochs") + \
        (f", scaled by {r['noise_scale']:.3f} to the real in-sample scatter" if a.match_scatter else "")
    print(f"noise ({how}): "
          f"white {n['white_sigma_mm']:.2f} mm, spatial {n['spatial_sigma_mm']:.2f} mm over {n['spatial_range_km']:.2f} km, "
          f"temporal {n['temporal_sigma_mm']:.2f} mm over {n['temporal_range_yr']:.2f} yr; trend + annual in sample: "
          f"synthetic {r['synthetic_in_sample_rmse_mm']['trend + annual']:.2f} mm")
    real = r["real_data"]
    print(f"real data ({r['calibration_epochs']} calibration, {r['held_out_epochs']} held-out epochs), RMSE in sample / "
          "held out [mm]: " + "; ".join(f"{k} {v['in_sample_rmse_mm']:.2f} / {v['held_out_rmse_mm']:.2f}"
                                        for k, v in real.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
