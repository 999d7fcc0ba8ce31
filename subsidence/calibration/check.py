"""``subsidence forecast CAL_DIR --insar LATER --out DIR``: score a forecast made before the data.

A calibration is judged on observations it has not seen. When a product covers the years after
the calibration, the posterior ensemble that ``calibrate`` saved (``state.npz``; nothing is
re-fitted) is run at the product's epochs and scored there, against the same per-point
statistical extrapolations ``calibrate`` reports:

- The product must also cover part of the calibration period (at least 6 epochs up to the
  calibration's last epoch, ``until``). Those epochs, seen by the calibration already, give
  each point's offset between the product and the model (a reprocessed or re-referenced
  product is shifted per point; no later value is used) and are the data the baselines are
  fitted on: a linear trend, a trend + annual sinusoid, persistence, and the calibration's
  per-point terms without the physics.
- The epochs after ``until`` are scored: RMSE, bias, median point RMSE and velocity error of
  the ensemble mean and of each baseline, the coverage of the P10–P90 interval of a future
  observation and the CRPS of the ensemble (members + the calibration's observation noise),
  per forecast horizon, and the paired bootstrap of each RMSE difference (points and blocks of
  epochs resampled), as in ``calibrate``.
- Points are matched by id with the calibration's points, or (``--match-distance``) with the
  nearest one within a distance; the others are counted. Points with gaps in the shared epochs
  are left out (counted), gaps after ``until`` are left out of the scores and counted. A product
  in another component is projected onto it (with a warning: the noise model stays the
  calibration's).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt

import numpy as np

from subsidence.config import CaseError

#: fewest product epochs within the calibration period (as ``calibrate`` needs to calibrate)
MIN_SHARED_EPOCHS = 6


def last_calibration_date(cal_dir) -> _dt.date:
    """The last epoch the calibration used (``calibration.json`` ``data.last_calibration``)."""
    import json
    from pathlib import Path

    f = Path(cal_dir) / "calibration.json"
    if not f.is_file():
        raise CaseError(str(cal_dir), "calibration.json", "not a complete calibration directory (missing file)")
    try:
        return _dt.date.fromisoformat(json.loads(f.read_text(encoding="utf-8"))["data"]["last_calibration"])
    except (KeyError, TypeError, ValueError):
        raise CaseError(str(f), "data.last_calibration", "missing or not a date: a calibration of another version?") from None


def observations_for_check(ds, case, st, until: _dt.date, match_distance: float = 0.0):
    """The product's points that are calibration points, as ``Observations`` whose ``cal`` marks the
    epochs up to ``until``, and the index of each one's calibration point. Matched by id; with
    ``match_distance`` > 0 (m), a point whose id is not a calibration point's takes the nearest
    calibration point within that distance (another product of the same area: its per-point values
    and posterior; the model itself runs at the product point's own position)."""
    from subsidence.calibration.calibrate import observations_from
    from subsidence.log import get_logger

    file = str(ds.provenance.get("file", ds.name))
    if ds.component != str(st["component"]):  # the model gives every component; the noise model is the calibration's
        get_logger("calibration").warning(
            "%s is %r, the calibration was on %r: the forecast is projected onto the product's component (the per-point "
            "rates are vertical), but the observation noise behind coverage and CRPS is the one estimated for %r",
            file, ds.component, str(st["component"]), str(st["component"]))
    d = ds.dates
    shared = int(((d >= np.datetime64(case.start_date, "D")) & (d <= np.datetime64(until, "D"))).sum())
    if shared < MIN_SHARED_EPOCHS:
        raise CaseError(file, "--insar", f"only {shared} epochs up to {until} (the calibration's last epoch): the product "
                        f"must also cover the calibration period, at least {MIN_SHARED_EPOCHS} epochs up to {until}, to "
                        "reference it to the model and fit the baselines there")
    obs = observations_from(ds, start_date=case.start_date, until=until)
    if obs.cal.all():
        raise CaseError(file, "--insar", f"no epoch after {until}, the calibration's last epoch: nothing to score "
                        f"(the product ends {obs.dates[-1]})")
    pos = {str(s): i for i, s in enumerate(st["ids"])}
    match = np.array([pos.get(str(s), -1) for s in obs.ids])
    by_distance = 0
    if match_distance > 0 and (match < 0).any():
        from scipy.spatial import cKDTree

        d, k = cKDTree(np.column_stack([st["x"], st["y"]])).query(np.column_stack([obs.x, obs.y]))
        near = (match < 0) & (d <= match_distance)
        match[near] = k[near]
        by_distance = int(near.sum())
    mine = match >= 0
    if not mine.any():
        how = f"or lies within {match_distance:g} m of one" if match_distance > 0 else \
            "(give --match-distance to match another product's points by position)"
        raise CaseError(file, "--insar", f"none of its {obs.ids.size} points is a point of the calibration by id {how} "
                        f"({len(pos)} points): the forecast exists at the calibration's points only")
    idx = match[mine]
    skipped = dict(obs.skipped)
    if (~mine).any():
        skipped["not a point of the calibration" + (f" (nor within {match_distance:g} m of one)" if match_distance > 0 else "")] \
            = int((~mine).sum())
    if by_distance:
        skipped["matched by position, not id (counted, kept)"] = by_distance
    sub = dataclasses.replace(obs, ids=obs.ids[mine], x=obs.x[mine], y=obs.y[mine], D=obs.D[mine],
                              los=None if obs.los is None else obs.los[mine], skipped=skipped)
    return sub, idx


def subset_state(st, idx):
    """The posterior state of the calibration's points ``idx`` (in that order)."""
    from subsidence.calibration.calibrate import State

    m = st["ids"].size
    pp = st["pp"]
    K = pp.shape[0] // m if m else 0
    zp = st.get("zp")
    zp = zp if zp is not None and zp.size else None
    F = zp.shape[0] // m if zp is not None else 0
    sub_pp = pp.reshape(K, m, -1)[:, idx].reshape(K * idx.size, -1)
    sub_zp = None if zp is None else zp.reshape(F, m, -1)[:, idx].reshape(F * idx.size, -1)
    return State(zg=st["zg"], pp=sub_pp, zp=sub_zp)


def score_forecast(cal, series, noise_sd: float, block_years: float, seed: int) -> dict:
    """Scores of the ensemble ``series`` (N, m, n; in the product's reference) over the epochs after
    the calibration, against the baselines fitted on the epochs up to it."""
    from subsidence.calibration.output import TERMS_ONLY, _terms_only
    from subsidence.calibration.scores import baselines, by_horizon, ensemble_score, paired_difference, score, with_offsets

    obs = cal.obs
    t = (obs.dates - obs.dates[0]).astype(float) / 365.25
    shared, hold = obs.cal, ~obs.cal
    base = baselines(obs.D, t, shared)
    terms_only = _terms_only(cal)
    if terms_only is not None:
        base[TERMS_ONLY] = with_offsets(obs.D, terms_only, shared)
    rng = np.random.default_rng(seed)
    scores = {"posterior ensemble": ensemble_score(obs.D, series, t, hold, noise_sd, rng)}
    mean = series.mean(axis=0)
    paired = {}
    for name, pred in base.items():
        scores[name] = score(obs.D, pred, t, hold)
        paired[name] = paired_difference(obs.D, mean, pred, t, hold, np.random.default_rng(seed + 6),
                                         block_years=max(block_years, 1e-9))
    horizon = by_horizon(obs.D, t, shared, base, ensembles={"posterior ensemble": series}, noise_sd=noise_sd,
                         rng=np.random.default_rng(seed + 10))
    return {"scores": scores, "versus_baselines": paired, "scores_by_horizon": horizon, "verdict": verdict(scores, paired)}


def verdict(scores: dict, paired: dict) -> str:
    """One sentence per baseline: better or worse, by how much, and whether the data resolve it."""
    post = scores["posterior ensemble"].get("rmse_m")
    if post is None:
        return "no held-out value to score"
    parts = []
    for name, p in paired.items():
        if not p:
            continue
        d = p["rmse_difference_m"] * 1e3
        word = "better than" if d < 0 else "worse than" if d > 0 else "equal to"
        how = "resolved" if p["resolved"] else "not resolved"
        parts.append(f"{word} {name} by {abs(d):.2f} mm (90 % interval {p['p5_m'] * 1e3:+.2f} … {p['p95_m'] * 1e3:+.2f} mm: "
                     f"{how})")
    return f"forecast RMSE {post * 1e3:.2f} mm; " + "; ".join(parts)
