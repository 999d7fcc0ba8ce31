"""What a calibration writes: parameter tables, per-point posteriors, scores, the posterior state.

Files of ``subsidence calibrate CASE --out DIR``:

| file | content |
| --- | --- |
| `parameters.csv` | per global parameter: path, unit, prior and posterior P5/P50/P95, mean, sd |
| `ensemble_prior.csv`, `ensemble_posterior.csv` | the members' global parameter values (case-file units; per-point means in SI) |
| `point_parameters.csv` | per observation point: x, y, posterior P5/P50/P95 of each per-point parameter (linear terms in mm/yr or mm; nonlinear ones in their prior's unit), and the vertical deep, shallow (model + background) and total rates over the calibration period (mm/yr) with P5/P50/P95 |
| `fit_points.csv` | per point: RMSE in/out of sample for the prior and posterior ensemble means |
| `calibration.json` | settings, noise model, assimilation history (χ²/N), scores in and out of sample, baselines, notes |
| `state.npz` | the posterior ensemble (for `subsidence forecast`) and the per-member offsets |
| `observations.npz` | the observations the calibration was fitted to (ids, calibration epochs, values in metres, component): `forecast --insar LATER --reference calibration/first-epochs` fits its baselines on them when the later product does not cover the calibration period |
| `report.html` | the report (figures embedded) |
"""

from __future__ import annotations

import csv
import json

import numpy as np

from subsidence.calibration.scores import (WEATHER, annual_baseline_possible, baselines, by_horizon, ensemble_score,
                                          paired_difference, score, weather_baseline, with_offsets)
from subsidence.insar.metrics import fit_trend
from subsidence.insar.report import _clean
from subsidence.units import SECONDS_PER_YEAR

PCTS = (5, 50, 95)


def _display(q) -> tuple[float, str]:
    """Scale and unit in which a per-point parameter is shown: mm/yr for rates, mm for lengths."""
    return (1e3 * SECONDS_PER_YEAR, "mm/yr") if q.unit == "m/s" else (1e3, "mm")


def _pct(a, axis=-1):
    return np.percentile(a, PCTS, axis=axis)


def global_table(cal, state) -> np.ndarray:
    """(N, n_g) parameter values of the members."""
    return np.array([cal.global_values(state.zg[:, j]) for j in range(state.zg.shape[1])])


def point_table(cal, state) -> np.ndarray:
    """(N, n_pp, m) per-point values (SI)."""
    return np.array([cal.point_values(state, j) for j in range(state.zg.shape[1])])


def _rate(series, t, sel):
    """Linear trend (m/yr) of series (..., m, n) over the epochs ``sel``."""
    s = np.asarray(series, float)[..., sel]
    flat = s.reshape(-1, s.shape[-1])
    return fit_trend(flat, t[sel], seasonal=False)[:, 1].reshape(s.shape[:-1])


def field_table(cal, state) -> np.ndarray:
    """(N, F, m) nonlinear per-point values of the members, in their priors' units."""
    if not cal.fields or state.zp is None:
        return np.zeros((state.zg.shape[1], 0, cal.m))
    return np.array([cal.field_values(state.zp[:, j]) for j in range(state.zg.shape[1])])


def _estimate_notes(cal, t_cal) -> list[str]:
    """What the reader must know about the estimates behind the scores: a noise range or a
    per-point hyperparameter that ended on its search bound (the data did not fix it), and a
    calibration window too short for the trend + annual baseline."""
    from subsidence.insar.noise import range_bound_notes

    notes = range_bound_notes((cal.noise_info or {}).get("details") or {}, cal.noise_model,
                              remedy="give [calibration.noise] if it matters")
    k = getattr(cal.noise, "k", 0)
    if k:
        miss = ~np.isfinite(cal.obs.D[:, cal.obs.cal])
        det = (cal.noise_info or {}).get("details") or {}
        used, ep = det.get("points"), det.get("epochs")
        notes.append(f"{k} missing values at {int(miss.any(axis=1).sum())} of {cal.m} points were marginalised "
                     "(gaps = \"marginalise\")" + (
                         f"; the noise estimate rests on the {used} points with complete series over the "
                         f"{ep if ep is not None else ''} epochs it used (of {int(cal.obs.cal.sum())}): with few of "
                         "them it is uncertain (a χ²/N far from 1 says so; then give "
                         "[calibration.noise])" if used is not None and str((cal.noise_info or {}).get("source", "")).startswith("estimated")
                         else ""))
    n_par, n_ens = len(cal.cfg.parameters), cal.cfg.ensemble
    if cal.cfg.method == "es-mda" and n_par and n_ens < max(50, 5 * n_par):
        notes.append(f"{n_ens} members for {n_par} global parameter{'s' if n_par != 1 else ''}: an ensemble smoother this small shrinks the spread "
                     f"through sampling (spurious correlations of order 1/√N = {1 / np.sqrt(n_ens):.2f}), so the posterior "
                     f"sd ratios (± {100 / np.sqrt(2 * (n_ens - 1)):.0f} % sampling error) and prior–data conflicts are not "
                     f"to be trusted; use at least {max(50, 5 * n_par)} members")
    bound = (cal.hyper_info or {}).get("at_search_bound") or []
    if bound:
        notes.append(f"per-point prior hyperparameters on their search bound: {', '.join(bound)} (the data do not fix them)")
    if not annual_baseline_possible(np.asarray(t_cal)):
        notes.append(f"the calibration epochs span {float(np.ptp(t_cal)):.2f} yr (< 1 yr): no trend + annual baseline "
                     "(an annual sinusoid fitted to part of a cycle is no forecast)")
    return notes


def summarise(cal, result, rng) -> dict:
    """Every number of the calibration (JSON-able) and the arrays the files need."""
    obs = cal.obs
    t = (obs.dates - obs.dates[0]).astype(float) / 365.25
    cal_sel, hold = obs.cal, ~obs.cal
    prior_series = with_offsets(obs.D, result["prior"]["series"], cal_sel)
    post_series = with_offsets(obs.D, result["posterior"]["series"], cal_sel)
    noise_sd = float(np.sqrt(cal.noise_model.white_var + cal.noise_model.spatial_var + cal.noise_model.temporal_var))
    scores, paired = {}, {}
    base = baselines(obs.D, t, cal_sel)
    weather, weather_notes = _weather_baseline(cal)
    if weather is not None:
        base[WEATHER] = weather[0]
    terms_only = _terms_only(cal)
    if terms_only is not None:
        base[TERMS_ONLY] = with_offsets(obs.D, terms_only, cal_sel)
    for label, sel in (("in_sample", cal_sel), ("out_of_sample", hold)):
        if not sel.any():
            continue
        s = {"prior ensemble": ensemble_score(obs.D, prior_series, t, sel, noise_sd, rng),
             "posterior ensemble": ensemble_score(obs.D, post_series, t, sel, noise_sd, rng)}
        post_mean = post_series.mean(axis=0)
        for name, pred in base.items():
            s[name] = score(obs.D, pred, t, sel)
            if label == "out_of_sample":  # is the difference from each baseline resolved by the data?
                paired[name] = paired_difference(obs.D, post_mean, pred, t, sel, np.random.default_rng(cal.cfg.seed + 7),
                                                 block_years=max(cal.noise_model.temporal_range, 1e-9))
        scores[label] = s
    horizon = by_horizon(obs.D, t, cal_sel, base,
                         ensembles={"posterior ensemble": post_series}, noise_sd=noise_sd,
                         rng=np.random.default_rng(cal.cfg.seed + 11))
    g_prior, g_post = global_table(cal, result["prior_state"]), global_table(cal, result["state"])
    params = []
    conflicts = prior_data_conflicts(cal, result["state"])
    for i, spec in enumerate(cal.cfg.parameters):
        a, b = g_prior[:, i], g_post[:, i]
        params.append({
            "posterior_median_prior_percentile": conflicts["percentiles"][i],
            "name": spec.name, "path": spec.path, "unit": spec.unit or "bare (as in the case file)",
            "prior": spec.prior.describe(), "prior_p5_p50_p95": _pct(a).tolist(), "posterior_p5_p50_p95": _pct(b).tolist(),
            "posterior_mean": float(b.mean()), "posterior_sd": float(b.std(ddof=1)),
            "prior_sd": float(a.std(ddof=1)), "sd_ratio": float(b.std(ddof=1) / max(a.std(ddof=1), 1e-300)),
        })
    pv_prior = point_table(cal, result["prior_state"]) if cal.pp_terms else None
    pv_post = point_table(cal, result["state"]) if cal.pp_terms else None
    for k, (name, q) in enumerate(cal.pp_terms):  # the mean over the points of each per-point term
        scale, unit = _display(q)
        a, b = pv_prior[:, k].mean(axis=1) * scale, pv_post[:, k].mean(axis=1) * scale
        params.append({
            "name": f"{name} (mean over points)", "path": f"per-point parameter {q.name}", "unit": unit,
            "prior": {"prior": "normal", "mean": q.mean * scale, "sd_of_the_common_mean": q.mean_sd * scale,
                      "sd_between_points": q.sd * scale, "correlation_length_m": q.correlation_length},
            "prior_p5_p50_p95": _pct(a).tolist(), "posterior_p5_p50_p95": _pct(b).tolist(),
            "posterior_mean": float(b.mean()), "posterior_sd": float(b.std(ddof=1)),
            "prior_sd": float(a.std(ddof=1)), "sd_ratio": float(b.std(ddof=1) / max(a.std(ddof=1), 1e-300)),
        })
    fv_prior, fv_post = field_table(cal, result["prior_state"]), field_table(cal, result["state"])
    for k, f in enumerate(cal.fields):  # nonlinear per-point parameters: the mean over the points per member
        a, b = fv_prior[:, k].mean(axis=1), fv_post[:, k].mean(axis=1)
        params.append({
            "name": f"{f.name} (mean over points)", "path": f"{f.path} per point", "unit": f.unit or "bare (as in the case file)",
            "prior": {**f.prior.describe(), "per_point": True, "correlation_length_m": f.correlation_length,
                      "localisation_m": f.localisation},
            "prior_p5_p50_p95": _pct(a).tolist(), "posterior_p5_p50_p95": _pct(b).tolist(),
            "posterior_mean": float(b.mean()), "posterior_sd": float(b.std(ddof=1)),
            "prior_sd": float(a.std(ddof=1)), "sd_ratio": float(b.std(ddof=1) / max(a.std(ddof=1), 1e-300)),
            "points_posterior_sd_over_prior_sd_median": float(np.median(fv_post[:, k].std(axis=0, ddof=1)
                                                                        / np.maximum(fv_prior[:, k].std(axis=0, ddof=1), 1e-300))),
        })
    parts = result["posterior"]
    deep_r = _rate(parts["deep_uz"], t, cal_sel) * 1e3
    shallow_r = (_rate(parts["shallow_uz"], t, cal_sel) + _rate(parts["background_uz"], t, cal_sel)) * 1e3
    total_r = deep_r + shallow_r
    rates = {"deep": _pct(deep_r, axis=0), "shallow": _pct(shallow_r, axis=0), "total": _pct(total_r, axis=0)}
    pvals = pv_post
    def rmse(pred, sel):  # per point, over its observed values (NaN for a point with none)
        r2 = (obs.D[:, sel] - pred.mean(0)[:, sel]) ** 2
        n = np.isfinite(r2).sum(axis=1)
        return np.where(n > 0, np.sqrt(np.nansum(r2, axis=1) / np.maximum(n, 1)), np.nan)

    fit = {"prior_in": rmse(prior_series, cal_sel), "post_in": rmse(post_series, cal_sel)}
    if hold.any():
        fit.update(prior_out=rmse(prior_series, hold), post_out=rmse(post_series, hold))
    from subsidence.insar import metrics

    t_cal = t[cal_sel]
    validation = {}
    for label, ens in (("prior ensemble mean", prior_series), ("posterior ensemble mean", post_series)):
        mod = ens.mean(axis=0)[:, cal_sel]
        pm = metrics.point_metrics(obs.D[:, cal_sel], mod, t_cal)
        validation[label] = metrics.overall_metrics(obs.D[:, cal_sel], mod, pm)
    offsets = np.nanmean(obs.D[None][..., cal_sel] - result["posterior"]["series"][..., cal_sel], axis=-1)
    c2 = {"prior": result["history"][0].get("chi2_per_value_ensemble_mean"), "posterior": result["history"][-1].get(
        "chi2_per_value_ensemble_mean", result["history"][-1].get("chi2_per_value_map"))}
    verdict = _verdict(c2["posterior"], scores, conflicts["messages"], paired)
    doc = {
        "case": cal.case.name, "method": cal.cfg.method, "ensemble": cal.cfg.ensemble, "assimilations": cal.cfg.assimilations,
        "inflation": cal.cfg.inflation, "seed": cal.cfg.seed, "offset": cal.cfg.offset, "gaps": cal.cfg.gaps,
        "data": {"file": obs.file, "points": int(obs.ids.size), "epochs": int(obs.dates.size),
                 "calibration_epochs": int(cal_sel.sum()), "held_out_epochs": int(hold.sum()),
                 "first": str(obs.dates[0]), "last_calibration": str(obs.dates[cal_sel][-1]),
                 "last": str(obs.dates[-1]), "component": obs.component, "skipped": obs.skipped,
                 "read": obs.provenance},
        "noise": {**cal.noise_info, "model": cal.noise_model.describe(),
                  "expected_rmse_of_a_perfect_model_m": float(np.sqrt(cal.noise.trace / cal.noise.size))},
        "point_priors": _point_priors(cal),
        "history": result["history"], "chi2_per_value": c2, "verdict": verdict,
        "prior_data_conflicts": conflicts["messages"],
        "parameters": params, "scores": scores, "versus_baselines_out_of_sample": paired,
        "scores_by_horizon": horizon,
        "weather_baseline": None if weather is None else weather[1],
        "validation_metrics_calibration_epochs": validation,
        "notes": list(cal.fm.notes) + _estimate_notes(cal, t[cal_sel]) + weather_notes,
    }
    arrays = dict(g_prior=g_prior, g_post=g_post, rates=rates, pvals=pvals, fvals=fv_post, fit=fit, t=t,
                  prior_series=prior_series, post_series=post_series, offsets=offsets)
    return {"doc": doc, "arrays": arrays}


def _weather_baseline(cal):
    """The SPAMS baseline (:func:`~subsidence.calibration.scores.weather_baseline`) when the case
    has daily weather (a shallow or coupled case) covering the epochs: ``((prediction, info), notes)``,
    or ``(None, notes)`` saying why it is left out. Cheap (least squares per point), computed alike on
    every rank."""
    from subsidence.shallow.forcing import ForcingError

    forcing = getattr(cal.case.config, "forcing", None)
    if forcing is None or getattr(forcing, "precipitation", None) is None or getattr(forcing, "evaporation", None) is None:
        return None, []
    obs = cal.obs
    t_cal = (obs.dates[obs.cal] - obs.dates[obs.cal][0]).astype(float) / 365.25
    if not annual_baseline_possible(t_cal):  # as trend + annual: its weather terms see part of a year's cycle
        return None, [f"no {WEATHER} baseline: the calibration epochs span {float(np.ptp(t_cal)):.2f} yr (< 1 yr), and "
                      "a weather response fitted to part of a seasonal cycle is no forecast"]
    try:
        pred, info = weather_baseline(obs.D, obs.dates, obs.cal, forcing.precipitation, forcing.evaporation)
    except ForcingError as e:
        return None, [f"no {WEATHER} baseline: {e}"]
    notes = []
    if info["at_grid_edge"]:
        notes.append(f"the {WEATHER} baseline's window τ = {info['tau_days']} d / evaporation factor "
                     f"{info['evaporation_factor_ratio']:g} lies on the edge of the grid searched")
    return (pred, info), notes


#: the name of the baseline "the calibration's per-point terms without the physics"
TERMS_ONLY = "per-point terms, no physics"


def _terms_only(cal):
    """:func:`~subsidence.calibration.calibrate.terms_only_prediction` on rank 0, broadcast."""
    from subsidence.calibration.calibrate import terms_only_prediction

    comm = getattr(cal, "comm", None)
    if comm is None or comm.size == 1:
        return terms_only_prediction(cal)
    return comm.bcast(terms_only_prediction(cal) if comm.rank == 0 else None, root=0)


def _point_priors(cal) -> dict:
    """The per-point priors used (SI and readable units), and how hyperparameters were estimated."""
    out = {}
    for q in cal.cfg.point_parameters:
        f, u = _display(q)
        out[q.name] = {"unit": u, "mean": q.mean * f, "mean_sd": q.mean_sd * f, "sd": q.sd * f,
                       "correlation_length_m": q.correlation_length, "estimated": list(q.estimate)}
    if cal.hyper_info:
        out["estimation"] = cal.hyper_info
    return out


#: a posterior median beyond this normal score of its prior (outside the prior's P2.3-P97.7) is flagged
CONFLICT_Z = 2.0


def prior_data_conflicts(cal, state) -> dict:
    """Where the data push a global parameter to the edge of its prior.

    Every prior is carried as a normal score z (``x = F⁻¹(Φ(z))``), so the posterior median's z
    says at which percentile of its prior the data put a parameter, whatever the prior's shape.
    Beyond ``CONFLICT_Z`` the data and the prior disagree: either the prior is too narrow or the
    parameter is absorbing something the model lacks (a structural error the other parameters
    cannot express) — either way its posterior, and forecasts that lean on it, should not be
    trusted as they stand."""
    from scipy.stats import norm

    z = np.median(state.zg, axis=1)
    pct = [float(100 * norm.cdf(v)) for v in z]
    msgs = []
    for spec, v, p in zip(cal.cfg.parameters, z, pct):
        if abs(v) > CONFLICT_Z:
            side = "top" if v > 0 else "bottom"
            msgs.append(f"{spec.name}: the posterior median sits at P{p:.1f} of its prior (normal score {v:+.1f}, the "
                        f"{side} of its range): the data push it against its prior — a prior too narrow, or the "
                        "parameter absorbing something the model lacks")
    if getattr(state, "zp", None) is not None:  # per-point parameters: how many points sit at the edge
        zp = np.median(state.zp, axis=1).reshape(len(cal.fields), cal.m)
        for f, zf in zip(cal.fields, zp):
            out = int(np.sum(np.abs(zf) > CONFLICT_Z))
            if out > max(1, 0.05 * cal.m):
                msgs.append(f"{f.name}: at {out} of {cal.m} points the posterior median lies outside P2.3–P97.7 of its "
                            "prior (per point): the prior is too narrow there, or the parameter absorbs what the model lacks")
    return {"scores": z.tolist(), "percentiles": pct, "messages": msgs}


def _verdict(c2, scores, conflicts=(), paired=None) -> str:
    """A calibration that cannot fit says so."""
    msgs = []
    if c2 is not None and c2 > 1.5:
        msgs.append(f"the posterior does NOT fit the data to the noise level (χ²/N = {c2:.2f} > 1.5): the model lacks "
                    "something the data show, or the noise model is too optimistic")
    elif c2 is not None:
        msgs.append(f"the posterior fits the calibration data to the noise level (χ²/N = {c2:.2f})")
    out = scores.get("out_of_sample", {})
    post = out.get("posterior ensemble", {}).get("rmse_m")
    best = min(((v.get("rmse_m"), k) for k, v in out.items() if k not in ("posterior ensemble", "prior ensemble")
                and v.get("rmse_m") is not None), default=(None, None))
    if post is not None and best[0] is not None:
        pd = (paired or {}).get(best[1]) or {}
        sig = ""
        if pd:
            sig = (f"; difference {pd['rmse_difference_m'] * 1e3:+.2f} mm, 90 % interval {pd['p5_m'] * 1e3:+.2f} … "
                   f"{pd['p95_m'] * 1e3:+.2f} mm over points and epoch blocks: "
                   + ("resolved by the data" if pd["resolved"] else "not resolved by the data"))
        if post <= best[0]:
            msgs.append(f"out of sample it beats every statistical baseline (RMSE {post * 1e3:.2f} mm vs {best[1]} "
                        f"{best[0] * 1e3:.2f} mm{sig})")
        else:
            msgs.append(f"out of sample it does NOT beat the {best[1]} baseline (RMSE {post * 1e3:.2f} mm vs "
                        f"{best[0] * 1e3:.2f} mm{sig})")
    if conflicts:
        msgs.append(f"prior-data conflict in {len(conflicts)} parameter(s) ("
                    + ", ".join(c.split(":")[0] for c in conflicts) + "): see prior_data_conflicts")
    return "; ".join(msgs)


def write_files(rd, cal, result, summary) -> None:
    """Rank 0: the CSV/JSON/NPZ files (the report is written by :mod:`.report`)."""
    doc, A = summary["doc"], summary["arrays"]
    obs = cal.obs
    with open(rd.file("parameters.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["name", "path", "unit", "prior_p5", "prior_p50", "prior_p95", "posterior_p5", "posterior_p50",
                    "posterior_p95", "posterior_mean", "posterior_sd", "sd_ratio"])
        for p in doc["parameters"]:
            w.writerow([p["name"], p["path"], p["unit"], *[f"{v:.6g}" for v in p["prior_p5_p50_p95"]],
                        *[f"{v:.6g}" for v in p["posterior_p5_p50_p95"]], f"{p['posterior_mean']:.6g}",
                        f"{p['posterior_sd']:.6g}", f"{p['sd_ratio']:.4f}"])
    for label, arr in (("prior", A["g_prior"]), ("posterior", A["g_post"])):
        with open(rd.file(f"ensemble_{label}.csv"), "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["member", *cal.names])
            for j, row in enumerate(arr):
                w.writerow([j, *[f"{v:.8g}" for v in row]])
    with open(rd.file("point_parameters.csv"), "w", newline="") as f:
        w = csv.writer(f)
        head = ["id", "x", "y"]
        for name, q in cal.pp_terms:
            u = _display(q)[1].replace("/", "_per_")
            head += [f"{name}_{u}_p{p}" for p in PCTS]
        for f in cal.fields:
            head += [f"{f.name}_p{p}" for p in PCTS]
        for r in ("deep", "shallow", "total"):
            head += [f"{r}_rate_mm_per_yr_p{p}" for p in PCTS]
        w.writerow(head)
        for i in range(obs.ids.size):
            row = [obs.ids[i], f"{obs.x[i]:.2f}", f"{obs.y[i]:.2f}"]
            for k, (_, q) in enumerate(cal.pp_terms):
                row += [f"{v:.4f}" for v in _pct(A["pvals"][:, k, i] * _display(q)[0], axis=0)]
            for k in range(len(cal.fields)):
                row += [f"{v:.6g}" for v in _pct(A["fvals"][:, k, i], axis=0)]
            for r in ("deep", "shallow", "total"):
                row += [f"{v:.4f}" for v in A["rates"][r][:, i]]
            w.writerow(row)
    with open(rd.file("fit_points.csv"), "w", newline="") as f:
        w = csv.writer(f)
        keys = list(A["fit"])
        w.writerow(["id", "x", "y", *[f"rmse_{k}_mm" for k in keys]])
        for i in range(obs.ids.size):
            w.writerow([obs.ids[i], f"{obs.x[i]:.2f}", f"{obs.y[i]:.2f}", *[f"{A['fit'][k][i] * 1e3:.3f}" for k in keys]])
    rd.file("calibration.json").write_text(json.dumps(_clean(doc), indent=2), encoding="utf-8")
    np.savez_compressed(
        rd.file("state.npz"), zg=result["state"].zg, pp=result["state"].pp, offsets=A["offsets"], ids=obs.ids.astype(str),
        zp=result["state"].zp if result["state"].zp is not None else np.zeros((0, result["state"].zg.shape[1])),
        x=obs.x, y=obs.y, los=obs.los if obs.los is not None else np.zeros((0, 3)), component=obs.component,
        t0=str(obs.dates[obs.cal][0]), noise=np.array([cal.noise_model.white_var, cal.noise_model.spatial_var,
                                                      cal.noise_model.spatial_range, cal.noise_model.temporal_var,
                                                      cal.noise_model.temporal_range]))
    save_observations(rd.file("observations.npz"), obs, gaps=cal.cfg.gaps)


def save_observations(path, obs, gaps: str = "drop") -> None:
    """``observations.npz``: the calibration epochs of ``obs`` (ids, dates, values in metres, NaN where a
    value was missing and marginalised, component, the product's sha256 and file, the ``gaps`` mode),
    what ``forecast --reference calibration/first-epochs`` needs."""
    np.savez_compressed(path, ids=obs.ids.astype(str), dates=obs.dates[obs.cal].astype(str), D=obs.D[:, obs.cal],
                        component=obs.component, sha256=str(obs.provenance.get("sha256", "")), source=str(obs.file),
                        gaps=str(gaps))
