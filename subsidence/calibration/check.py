"""``subsidence forecast CAL_DIR --insar LATER --out DIR``: score a forecast made before the data.

A calibration is judged on observations it has not seen. When a product covers the years after
the calibration, the posterior ensemble that ``calibrate`` saved (``state.npz``; nothing is
re-fitted) is run at the product's epochs and scored there, against the same per-point
statistical extrapolations ``calibrate`` reports:

- The product must also cover part of the calibration period (at least 6 epochs up to the
  calibration's last epoch, ``until``). Those epochs, seen by the calibration already, give
  each point's offset between the product and the model (a reprocessed or re-referenced
  product is shifted per point; no later value is used) and are the data the baselines are
  fitted on: a linear trend, a trend + annual sinusoid, persistence, the calibration's
  per-point terms without the physics, and (a case with weather covering the product's epochs)
  trend + weather (SPAMS), extrapolated with the observed weather of the later epochs.
- The epochs after ``until`` are scored: RMSE, bias, median point RMSE and velocity error of
  the ensemble mean and of each baseline, the coverage of the P10–P90 interval of a future
  observation and the CRPS of the ensemble (members + the calibration's observation noise),
  per forecast horizon, and the paired bootstrap of each RMSE difference (points and blocks of
  epochs resampled), as in ``calibrate``.
- A later product that does not cover the calibration period (a new release starting after it)
  is scored with ``--reference``: ``calibration`` when it continues the calibration product's
  reference (the same processing, later epochs only: the members keep the offsets of the
  calibration's own data); ``first-epochs`` when it has a reference of its own (e.g. zero at its
  first epoch): each member and each baseline is shifted per point to the product's first
  ``--reference-epochs`` epochs, which are then not scored. Either way the baselines are fitted
  on the observations the calibration was made on (``observations.npz`` of the calibration
  directory), and only the later product's epochs after ``until`` are scored.
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

#: how a later product is referenced to the model (``forecast --reference``)
REFERENCES = ("overlap", "calibration", "first-epochs")


def calibration_gaps(cal_dir) -> str:
    """How the calibration treated missing values (``calibration.json`` ``gaps``; "drop" for one made
    before that key existed)."""
    import json
    from pathlib import Path

    f = Path(cal_dir) / "calibration.json"
    try:
        g = json.loads(f.read_text(encoding="utf-8")).get("gaps", "drop")
    except (OSError, ValueError, AttributeError):
        return "drop"
    return g if g in ("drop", "marginalise") else "drop"


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


def observations_for_check(ds, case, st, until: _dt.date, match_distance: float = 0.0, gaps: str = "drop"):
    """The product's points that are calibration points, as ``Observations`` whose ``cal`` marks the
    epochs up to ``until``, and the index of each one's calibration point. Matched by id; with
    ``match_distance`` > 0 (m), a point whose id is not a calibration point's takes the nearest
    calibration point within that distance (another product of the same area: its per-point values
    and posterior; the model itself runs at the product point's own position). ``gaps``: the
    calibration's mode (``calibration.json``): with "marginalise", points with gaps over the shared
    epochs are kept as the calibration kept them."""
    from subsidence.calibration.calibrate import observations_from
    from subsidence.log import get_logger

    file = str(ds.provenance.get("file", ds.name))
    if ds.component != str(st["component"]):  # the model gives every component; the noise model is the calibration's
        get_logger("calibration").warning(
            "%s is %r, the calibration was on %r: the forecast is projected onto the product's component (the per-point "
            "rates are vertical), but the observation noise behind coverage and CRPS is the one estimated for %r",
            file, ds.component, str(st["component"]), str(st["component"]))
    mine, idx, skipped = _match(file, ds.ids, ds.x, ds.y, st, match_distance, ds.skipped)
    ds = _without_empty_epochs(dataclasses.replace(ds.subset(mine), skipped=skipped))
    d = ds.dates
    shared = int(((d >= np.datetime64(case.start_date, "D")) & (d <= np.datetime64(until, "D"))).sum())
    if shared < MIN_SHARED_EPOCHS:
        raise CaseError(file, "--insar", f"only {shared} epochs up to {until} (the calibration's last epoch): the product "
                        f"must also cover the calibration period, at least {MIN_SHARED_EPOCHS} epochs up to {until}, to "
                        "reference it to the model and fit the baselines there; for a product of the later epochs only, "
                        "give --reference calibration (it continues the calibration product's reference) or --reference "
                        "first-epochs (it has its own: its first epochs then fix each point's level)")
    if not (d > np.datetime64(until, "D")).any():
        raise CaseError(file, "--insar", f"no epoch after {until}, the calibration's last epoch: nothing to score "
                        f"(the product ends {d[-1]})")
    # the offsets and the baselines need the points calibrate would keep over the shared epochs (complete
    # series, or with gaps marginalised MIN_OBSERVED values there): observations_from decides, as there
    obs = observations_from(ds, start_date=case.start_date, until=until, key="--insar",
                            epochs=f"epochs up to {until} (offsets, baselines)",
                            remedy="remove the epochs with gaps from the file, or score the later epochs only with "
                                   "--reference calibration or --reference first-epochs", gaps=gaps)
    idx = idx[np.isin(ds.ids, obs.ids)]  # the product's ids are unique (the readers drop duplicates)
    keep = _with_scored_values(file, obs.D, ~obs.cal, f"after {until}")
    skipped = dict(obs.skipped)
    if not keep.all():
        skipped[f"no value to score after {until} (a point of the calibration, left out)"] = int((~keep).sum())
    sub = dataclasses.replace(obs, ids=obs.ids[keep], x=obs.x[keep], y=obs.y[keep], D=obs.D[keep],
                              los=None if obs.los is None else obs.los[keep], skipped=skipped)
    return sub, idx[keep]


def _without_empty_epochs(ds):
    """``ds`` without the epochs at which none of its points has a value (a product of a larger area: epochs of the
    other points only), counted."""
    has = np.isfinite(np.asarray(ds.disp, float)).any(axis=0)
    return ds if has.all() else ds.epochs(has, reason="without a value at any point of the calibration")


def _with_scored_values(file, D, scored, where):
    """Which points have a value at one of the ``scored`` epochs (``where``: which ones, in words); none is a named
    error."""
    has = np.isfinite(np.asarray(D, float)[:, scored]).any(axis=1)
    if not has.any():
        raise CaseError(file, "--insar", f"none of its {has.size} points of the calibration has a value at the "
                        f"{int(np.sum(scored))} epochs to score ({where}): nothing to score")
    return has


def _match(file, ids, x, y, st, match_distance, skipped):
    """Which product points are calibration points (by id, else within ``match_distance``): the mask,
    the calibration index of each matched one and the skip counts."""
    pos = {str(s): i for i, s in enumerate(st["ids"])}
    match = np.array([pos.get(str(s), -1) for s in ids])
    by_distance = 0
    if match_distance > 0 and (match < 0).any():
        from scipy.spatial import cKDTree

        d, k = cKDTree(np.column_stack([st["x"], st["y"]])).query(np.column_stack([x, y]))
        near = (match < 0) & (d <= match_distance)
        match[near] = k[near]
        by_distance = int(near.sum())
    mine = match >= 0
    if not mine.any():
        how = f"or lies within {match_distance:g} m of one" if match_distance > 0 else \
            "(give --match-distance to match another product's points by position)"
        raise CaseError(file, "--insar", f"none of its {ids.size} points is a point of the calibration by id {how} "
                        f"({len(pos)} points): the forecast exists at the calibration's points only")
    skipped = dict(skipped)
    if (~mine).any():
        skipped["not a point of the calibration" + (f" (nor within {match_distance:g} m of one)" if match_distance > 0 else "")] \
            = int((~mine).sum())
    if by_distance:
        skipped["matched by position, not id (counted, kept)"] = by_distance
    return mine, match[mine], skipped


def load_calibration_observations(cal_dir, st, until: _dt.date | None = None) -> dict:
    """The observations a calibration was fitted to (``observations.npz``: ids, calibration epochs,
    values), checked against its state (points, component, first epoch) and, with ``until``, its last
    calibration epoch."""
    import zipfile
    from pathlib import Path

    f = Path(cal_dir) / "observations.npz"
    if not f.is_file():
        raise CaseError(str(cal_dir), "observations.npz", "missing: --reference calibration and first-epochs fit the "
                        "baselines on the observations the calibration was made on, which `subsidence calibrate` saves "
                        "there (a calibration directory of an older version: score a product that covers the calibration "
                        "period instead, or calibrate again)")
    try:
        with np.load(f, allow_pickle=False) as z:
            o = {k: z[k] for k in z.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
        raise CaseError(str(f), "observations.npz", f"cannot be read ({type(e).__name__}: {e}): damaged or not written "
                        "by `subsidence calibrate`; calibrate again (or score a product that covers the calibration "
                        "period)") from None
    missing = [k for k in ("ids", "dates", "D", "component") if k not in o]
    if missing:
        raise CaseError(str(f), missing[0], f"missing from the file (it holds {', '.join(sorted(o)) or 'nothing'}): not "
                        "the observations.npz `subsidence calibrate` writes")
    ids = o["ids"].astype(str)
    if str(o["component"]) != str(st["component"]) or not np.array_equal(ids, st["ids"].astype(str)) \
            or o["D"].ndim != 2 or o["D"].shape != (ids.size, o["dates"].size):
        raise CaseError(str(f), "ids", "does not match the calibration's state.npz (points, component or shape): "
                        "not the observations of this calibration")
    try:
        dates = np.asarray(o["dates"]).astype("datetime64[D]")
    except (ValueError, TypeError):
        raise CaseError(str(f), "dates", "not dates (YYYY-MM-DD)") from None
    first = np.datetime64(str(st["t0"]), "D")
    if dates.size < MIN_SHARED_EPOCHS or (np.diff(dates) <= np.timedelta64(0, "D")).any() or dates[0] != first \
            or (until is not None and dates[-1] != np.datetime64(until, "D")):
        span = f"{dates[0]} … {dates[-1]}, {dates.size} epochs" if dates.size else "no epoch"
        raise CaseError(str(f), "dates", f"{span}: not the calibration epochs of this calibration (increasing, from "
                        f"{first}" + (f" to {until}, calibration.json's last calibration epoch" if until is not None
                                      else "") + ")")
    try:
        D = np.asarray(o["D"], float)
    except (ValueError, TypeError):
        raise CaseError(str(f), "D", "not numbers") from None
    gappy = str(o.get("gaps", "drop")) == "marginalise"  # NaN: values the calibration marginalised
    bad = np.isinf(D) | (np.isnan(D) & (not gappy))
    if bad.any():
        raise CaseError(str(f), "D", f"{int(bad.sum())} missing or non-finite values: the calibration's "
                        "observations are complete series (damaged file?)")
    o["dates"], o["D"] = dates, D
    return o


#: largest angle (degrees) between a later product's line of sight and the calibration's at a point, for
#: --reference calibration/first-epochs (another track or pass is another component)
MAX_LOS_ANGLE_DEG = 5.0


def observations_later_only(ds, st, cal_obs: dict, until: _dt.date, match_distance: float = 0.0, *,
                            reference: str = "calibration", reference_epochs: int = 6):
    """A later product that need not cover the calibration period, joined to the calibration's own
    observations: ``Observations`` whose calibration epochs (``cal``) are those of the calibration's
    data (offsets of the members, baselines) followed by the product's epochs after ``until``, the
    index of each point's calibration point, and, for ``reference = "first-epochs"``, the mask of the
    product's first ``reference_epochs`` epochs (each prediction is shifted per point to them; not
    scored), else None."""
    from subsidence.calibration.calibrate import Observations

    file = str(ds.provenance.get("file", ds.name))
    if reference not in REFERENCES[1:]:
        raise CaseError(file, "--reference", f"must be one of {', '.join(REFERENCES)}, got {reference!r}")
    if ds.component != str(cal_obs["component"]):
        raise CaseError(file, "--reference", f"the product is {ds.component!r}, the calibration's data "
                        f"{str(cal_obs['component'])!r}: baselines fitted on one component cannot be scored on another "
                        "(score a product in the calibration's component, or one that covers the calibration period)")
    mine, idx, skipped = _match(file, ds.ids, ds.x, ds.y, st, match_distance, ds.skipped)
    ds = dataclasses.replace(ds.subset(mine), skipped=skipped)
    later = ds.dates > np.datetime64(until, "D")
    if (~later).any():
        ds = ds.epochs(later, reason=f"up to {until}, the calibration's last epoch (the calibration's own data are used "
                       "there)")
    ds = _without_empty_epochs(ds)
    need = 1 + (reference_epochs if reference == "first-epochs" else 0)
    if ds.nt < need:
        raise CaseError(file, "--insar", f"{ds.nt} epochs after {until}, the calibration's last epoch (with a value at a "
                        f"point of the calibration): need at least {need}" +
                        (f" ({reference_epochs} to reference the product, one to score)" if reference == "first-epochs"
                         else ""))
    if ds.component == "los" and ds.los is not None and np.size(st["los"]):  # the same line of sight as the calibration's
        a = np.asarray(ds.los, float)
        b = np.asarray(st["los"], float)[idx]
        cos = np.sum(a * b, axis=1) / np.maximum(np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1), 1e-300)
        angle = np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))
        if (angle > MAX_LOS_ANGLE_DEG).any():
            k = int(np.argmax(angle))
            raise CaseError(file, "--reference", f"its line of sight differs from the calibration's by up to "
                            f"{angle[k]:.1f} degrees (point {ds.ids[k]}: {np.round(a[k], 3).tolist()} against "
                            f"{np.round(b[k], 3).tolist()}; at most {MAX_LOS_ANGLE_DEG:g} allowed): another track or pass "
                            "is another component, and baselines fitted on the calibration's data cannot be scored on "
                            "it (check --pass/--heading/--incidence, or score a product that covers the calibration "
                            "period)")
    D = np.asarray(ds.disp, float)
    r = np.zeros(ds.nt, bool)
    if reference == "first-epochs":
        r[:reference_epochs] = True
        level = np.isfinite(D[:, r]).any(axis=1)
        if not level.any():
            raise CaseError(file, "--reference-epochs", f"no calibration point has a value in the product's first "
                            f"{reference_epochs} epochs")
        if not level.all():
            ds, idx, D = ds.subset(level, reason=f"no value in the first {reference_epochs} epochs (its level cannot be "
                                   "fixed)"), idx[level], D[level]
    keep = _with_scored_values(file, D, ~r, f"after {until}" + (
        "" if reference != "first-epochs" else f" and after the {reference_epochs} reference epochs"))
    if not keep.all():
        ds, idx, D = ds.subset(keep, reason=f"no value to score after {until} (a point of the calibration, left out)"), \
            idx[keep], D[keep]
    n_c = cal_obs["dates"].size
    cal = np.concatenate([np.ones(n_c, bool), np.zeros(ds.nt, bool)])
    ref = None
    if reference == "first-epochs":
        ref = np.concatenate([np.zeros(n_c, bool), r])
    obs = Observations(ids=ds.ids, x=ds.x, y=ds.y, dates=np.concatenate([cal_obs["dates"], ds.dates]),
                       D=np.concatenate([np.asarray(cal_obs["D"], float)[idx], D], axis=1), component=ds.component,
                       los=ds.los, cal=cal, file=file, skipped=dict(ds.skipped),
                       provenance={k: v for k, v in ds.provenance.items() if k not in ("file", "notes")})
    return obs, idx, ref


def relevel(D, pred, ref, later):
    """Predictions (..., m, n) shifted, on the ``later`` epochs, by their per-point mean difference from
    the observations over the ``ref`` epochs (a product with its own reference: each prediction is
    put at the product's level there; missing values left out of the mean)."""
    import warnings

    with warnings.catch_warnings():  # a point without a value there: NaN, left out of the scores
        warnings.simplefilter("ignore", RuntimeWarning)
        off = np.nanmean(D[..., ref] - pred[..., ref], axis=-1, keepdims=True)
    return np.where(later, pred + off, pred)


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


def score_forecast(cal, series, noise_sd: float, block_years: float, seed: int, ref=None) -> dict:
    """Scores of the ensemble ``series`` (N, m, n; in the product's reference) over the epochs after
    the calibration, against the baselines fitted on the epochs up to it. ``ref``: epochs after it
    that reference the product (``first-epochs``): every baseline is shifted to them as the members
    were, and they are not scored."""
    from subsidence.calibration.output import TERMS_ONLY, _terms_only, _weather_baseline
    from subsidence.calibration.scores import (WEATHER, baselines, by_horizon, ensemble_score, paired_difference, score,
                                              with_offsets)

    obs = cal.obs
    t = (obs.dates - obs.dates[0]).astype(float) / 365.25
    shared, hold = obs.cal, ~obs.cal
    base = baselines(obs.D, t, shared)
    weather, notes = _weather_baseline(cal)  # with the observed weather of the later epochs, where the case has it
    if weather is not None:
        base[WEATHER] = weather[0]
    terms_only = _terms_only(cal)
    if terms_only is not None:
        base[TERMS_ONLY] = with_offsets(obs.D, terms_only, shared)
    if ref is not None:
        base = {k: relevel(obs.D, v, ref, hold) for k, v in base.items()}
        hold = hold & ~ref
    rng = np.random.default_rng(seed)
    scores = {"posterior ensemble": ensemble_score(obs.D, series, t, hold, noise_sd, rng)}
    mean = series.mean(axis=0)
    paired = {}
    for name, pred in base.items():
        scores[name] = score(obs.D, pred, t, hold)
        paired[name] = paired_difference(obs.D, mean, pred, t, hold, np.random.default_rng(seed + 6),
                                         block_years=max(block_years, 1e-9))
    horizon = by_horizon(obs.D, t, shared, base, ensembles={"posterior ensemble": series}, noise_sd=noise_sd,
                         rng=np.random.default_rng(seed + 10), scored=hold)
    return {"scores": scores, "versus_baselines": paired, "scores_by_horizon": horizon, "verdict": verdict(scores, paired),
            "weather_baseline": None if weather is None else weather[1], "notes": notes}


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
