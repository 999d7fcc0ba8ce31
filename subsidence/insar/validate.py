"""Model–data comparison: sample, project to the observed component, reference, measure.

Referencing ("the model like the data"): the same operations are applied to observed and
modelled series —

1. reference epoch: subtract each point's value at that epoch (default: the first common
   epoch, which is how most products are delivered);
2. reference point/area (optional): subtract, at every epoch, the mean over the
   observation points within ``reference_radius`` of ``reference_point`` (radius 0: the
   nearest observation point only). When none is given and the product names its own
   reference point (MintPy ``REF_Y/REF_X``), that one is used, since the data are zero there.

The values that referencing makes zero by construction (the reference epoch; a single
reference point) are left out of RMSE, bias and correlation.

Per-point offset (``Options.offset = "per-point"``, off by default): each point's constant offset
is a nuisance parameter, removed exactly by de-meaning observed and modelled series per point over
the epochs where both are valid (the least-squares offset), so that no result hangs on one noisy
reference epoch. On the time axis this is the linear map P_t = I − 11ᵀ/n (it subsumes the
reference epoch); the noise-weighted χ² accounts for it (:func:`~subsidence.insar.noise.chi2`
with ``per_point_offset``). Every epoch then enters RMSE (the bias is zero by construction).

Noise (``Options.noise_source``): ``"data"`` estimates the noise model from the observations
(:func:`~subsidence.insar.noise.estimate_noise`, before any reference point is subtracted);
``"model"`` uses ``Options.noise``; ``"product"`` the product's own σ; ``"auto"`` the product's σ
when the file has one, else ``Options.auto_noise`` (``"data"``, falling back to ``Options.noise``
when the data are too few to estimate it, noted; the CLI sets ``"model"`` when the case's
``[validation.noise]`` gives parameters).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from pathlib import Path

import numpy as np

from subsidence.config.errors import CaseError
from subsidence.insar import metrics
from subsidence.insar.data import InsarDataset
from subsidence.insar.geometry import project
from subsidence.insar.model import ModelRun
from subsidence.insar.noise import DUTCH_S1, NoiseModel, chi2, chi2_diagonal, estimate_noise
from subsidence.log import get_logger

log = get_logger("insar")


@dataclasses.dataclass
class Options:
    reference_epoch: str = "first"  # "first" | "none" | "YYYY-MM-DD"
    reference_point: tuple[float, float] | None = None  # model CRS, metres
    reference_radius: float = 0.0  # m
    noise: NoiseModel = DUTCH_S1
    noise_source: str = "auto"  # "data" | "model" | "product" | "auto" (product σ if the file has one, else "data")
    match_distance: float = 1.0  # m, observation point ↔ model point
    max_noise_points: int = 3000
    timeseries_points: list[str] = dataclasses.field(default_factory=list)
    n_timeseries: int = 6
    product_reference: bool = True  # no reference_point given: use the product's own (MintPy REF_Y/REF_X)
    offset: str = "none"  # "none" | "per-point": remove each point's constant offset (nuisance parameter)
    auto_noise: str = "data"  # what "auto" uses when the product has no σ: "data" | "model" (the case gives parameters)

    def __post_init__(self):
        if self.offset not in OFFSETS:
            raise CaseError("", "validation.offset", f"expected one of {', '.join(OFFSETS)}, got {self.offset!r}")
        if self.auto_noise not in ("data", "model"):
            raise CaseError("", "validation.noise.source", f"auto_noise must be 'data' or 'model', got {self.auto_noise!r}")
        if self.noise_source not in NOISE_SOURCES:
            raise CaseError("", "validation.noise.source", f"expected one of {', '.join(NOISE_SOURCES)}, got {self.noise_source!r}")


OFFSETS = ("none", "per-point")
NOISE_SOURCES = ("auto", "data", "model", "product")


@dataclasses.dataclass
class Comparison:
    ds: InsarDataset
    t_yr: np.ndarray
    obs: np.ndarray
    mod: np.ndarray
    exclude: np.ndarray
    ref_epoch: int | None
    ref_points: np.ndarray | None
    points: dict
    overall: dict
    noise: dict
    source: np.ndarray
    start_date: _dt.date
    offset: str = "none"

    @property
    def residual(self) -> np.ndarray:
        return self.obs - self.mod

    def timeseries_ids(self, wanted: list[str], n: int) -> list[int]:
        if wanted:
            pos = {s: i for i, s in enumerate(self.ds.ids)}
            return [pos[s] for s in wanted if s in pos]
        v = self.points["vel_obs"]
        fin = np.flatnonzero(np.isfinite(v))
        if not len(fin):
            return list(range(min(n, self.ds.n)))
        order = fin[np.argsort(v[fin])]
        pick = order[np.unique(np.round(np.linspace(0, len(order) - 1, min(n, len(order)))).astype(int))]
        return list(pick)


def model_component(ds: InsarDataset, vals: dict) -> np.ndarray:
    if ds.component == "los":
        return project(ds.los, vals["ux"], vals["uy"], vals["uz"])
    return vals["uz"] if ds.component == "up" else vals["ux"]


def compare(ds: InsarDataset, run: ModelRun, opts: Options | None = None) -> Comparison:
    opts = opts or Options()
    if run.start_date is None:
        raise CaseError(str(run.path or run.case_name), "start_date",
                        "the model has no start_date, so its times cannot be matched to the InSAR dates; set start_date in the case (or --start-date)")
    t = ds.years_since(run.start_date)
    t0, t1 = run.time_span()
    keep_t = (t >= t0 - 1e-9) & (t <= t1 + 1e-9)
    if not keep_t.any():
        raise CaseError(ds.provenance.get("file", ds.name), "", f"no InSAR epoch within the model time span "
                        f"({run.start_date} + {t0:.2f}…{t1:.2f} yr; data {ds.dates[0]}…{ds.dates[-1]})")
    if not keep_t.all():
        out_d = ds.dates[~keep_t]
        log.warning("%s: %d of %d epochs (%s … %s) lie outside the model's time span (%s + %.2f … %.2f yr): compared on "
                    "the %d epochs inside only (extend the case's [time] to use them)",
                    Path(str(ds.provenance.get("file", ds.name))).name, (~keep_t).sum(), t.size, out_d[0], out_d[-1],
                    run.start_date, t0, t1, keep_t.sum())
        ds = ds.epochs(keep_t, reason="epoch outside the model time span")
        t = t[keep_t]
    vals, source, ok = run.sample(ds.ids, ds.x, ds.y, t, match_distance=opts.match_distance)
    if not ok.any():
        raise CaseError(ds.provenance.get("file", ds.name), "", "no observation point lies within the model domain")
    if not ok.all():
        ds = ds.subset(ok, reason="outside the model domain (no model value there)")
        vals = {c: v[ok] for c, v in vals.items()}
        source = source[ok]
    obs = ds.disp.astype(float)
    mod = model_component(ds, vals)

    # 1. reference epoch
    ref_t = None
    if opts.reference_epoch != "none":
        if opts.reference_epoch == "first":
            ref_t = 0
        else:
            try:
                d = np.datetime64(_dt.date.fromisoformat(str(opts.reference_epoch)), "D")
            except ValueError:
                raise CaseError("", "validation.reference_epoch", f"not 'first', 'none' or a date: {opts.reference_epoch!r}") from None
            ref_t = int(np.argmin(np.abs(ds.dates - d)))
            if abs((ds.dates[ref_t] - d).astype(int)) > 30:
                raise CaseError("", "validation.reference_epoch", f"no epoch within 30 days of {d}")
        bad = ~np.isfinite(obs[:, ref_t])
        if bad.any():
            ds = ds.subset(~bad, reason="no value at the reference epoch")
            obs, mod, source = obs[~bad], mod[~bad], source[~bad]
        obs = obs - obs[:, ref_t:ref_t + 1]
        mod = mod - mod[:, ref_t:ref_t + 1]
    noise_obs = obs.copy()  # before any reference point: what the noise is estimated from
    # 1b. per-point offset (nuisance): de-mean both series over the epochs where both are valid
    offset = opts.offset == "per-point"
    if offset:
        both = np.isfinite(obs) & np.isfinite(mod)
        k = np.maximum(both.sum(axis=1, keepdims=True), 1)
        obs = obs - np.where(both, obs, 0.0).sum(axis=1, keepdims=True) / k
        mod = mod - np.where(both, mod, 0.0).sum(axis=1, keepdims=True) / k
    # 2. reference point / area
    ref_p = None
    ref_xy = opts.reference_point
    if ref_xy is None and opts.product_reference and ds.provenance.get("reference_point"):
        ref_xy = tuple(ds.provenance["reference_point"])  # the data are zero there: reference the model there too
    if ref_xy is not None:
        x0, y0 = ref_xy
        d = np.hypot(ds.x - x0, ds.y - y0)
        ref_p = np.flatnonzero(d <= opts.reference_radius) if opts.reference_radius > 0 else np.array([int(np.argmin(d))])
        if not len(ref_p):
            raise CaseError("", "validation.reference_radius", f"no observation point within {opts.reference_radius:g} m of {ref_xy}")
        if opts.reference_radius <= 0 and d[ref_p[0]] > 1000:
            log.warning("nearest observation point to the reference point is %.0f m away", d[ref_p[0]])
        obs = obs - np.nanmean(obs[ref_p], axis=0)[None]
        mod = mod - np.nanmean(mod[ref_p], axis=0)[None]
    exclude = np.zeros(obs.shape, bool)
    if ref_t is not None and not offset:
        exclude[:, ref_t] = True
    if ref_p is not None and len(ref_p) == 1:
        exclude[ref_p[0], :] = True
    sd = run.start_date
    y0 = (_dt.date(sd.year, sd.month, sd.day) - _dt.date(sd.year, 1, 1)).days / 365.25
    pm = metrics.point_metrics(obs, mod, t, exclude=exclude, year_offset=y0)
    overall = metrics.overall_metrics(obs, mod, pm, exclude=exclude)
    noise = noise_misfit(ds, obs, mod, t, ref_t, ref_p, opts, noise_obs=noise_obs)
    return Comparison(ds=ds, t_yr=t, obs=obs, mod=mod, exclude=exclude, ref_epoch=ref_t, ref_points=ref_p,
                      points=pm, overall=overall, noise=noise, source=source, start_date=run.start_date,
                      offset=opts.offset)


def data_noise(ds, obs, t, opts: Options, *, required: bool):
    """The noise model estimated from the (epoch-referenced, not point-referenced) observations;
    (model, info) or, when not ``required`` and the data are too few, (None, reason)."""
    keep = np.ptp(np.nan_to_num(obs), axis=1) > 0  # a series zero by construction (reference pixel) carries no noise
    try:
        est, info = estimate_noise(obs[keep], ds.x[keep], ds.y[keep], t, max_points=min(opts.max_noise_points, 2000),
                                   return_info=True)
    except CaseError as exc:
        if required:
            raise CaseError(ds.provenance.get("file", ds.name), "validation.noise.source",
                            f"cannot estimate the noise from the data: {exc.reason}") from None
        return None, exc.reason
    d = est.describe()
    log.info("noise estimated from the data (%d points): white %.2f mm, spatial %.2f mm (range %.2f km), temporal %.2f mm "
             "(range %.2f yr); scatter about the per-point trend + annual fit %.2f mm", info["points"], d["white_sigma_mm"],
             d["spatial_sigma_mm"], d["spatial_range_km"], d["temporal_sigma_mm"], d["temporal_range_yr"],
             1e3 * info["scatter_about_fit_m"])
    from subsidence.insar.noise import range_bound_notes

    info["notes"] = range_bound_notes(info, est, remedy="give [validation.noise] and --noise model if the chi2 matters")
    for n in info["notes"]:
        log.warning("%s: %s", Path(str(ds.provenance.get("file", ds.name))).name, n)
    return est, info


def noise_misfit(ds, obs, mod, t, ref_t, ref_p, opts: Options, *, noise_obs=None) -> dict:
    R = obs - mod
    out: dict = {}
    offset = opts.offset == "per-point"
    use = opts.noise_source
    est_note = None
    if use == "auto":
        use = "product" if ds.sigma is not None else opts.auto_noise
    noise_model, source, est_info = opts.noise, "spatio-temporal noise model", None
    if use == "data":
        est, est_info = data_noise(ds, obs if noise_obs is None else noise_obs, t, opts, required=opts.noise_source == "data")
        if est is None:
            est_note = f"noise could not be estimated from the data ({est_info}); the given noise model is used"
            log.warning(est_note)
            est_info = None
        else:
            noise_model, source = est, "noise estimated from the data (spatio-temporal)"
    if use == "product":
        if ds.sigma is None:
            raise CaseError(ds.provenance.get("file", ""), "validation.noise.source", "the InSAR product has no uncertainty column; use the noise model")
        r = np.where(np.isfinite(R), R, np.nan)
        if ref_t is not None:
            r[:, ref_t] = np.nan
        out = {"source": "product uncertainty (diagonal)",
               **chi2_diagonal(r, ds.sigma, referenced_epoch=ref_t is not None and not offset, per_point_offset=offset)}
    else:
        complete = np.all(np.isfinite(R), axis=1)
        idx = np.flatnonzero(complete)
        note = []
        if (~complete).any():
            note.append(f"{int((~complete).sum())} points with missing epochs left out")
        if len(idx) > opts.max_noise_points:
            rng = np.random.default_rng(0)
            keep_ref = np.intersect1d(idx, ref_p) if ref_p is not None else np.zeros(0, int)
            rest = np.setdiff1d(idx, keep_ref)
            idx = np.sort(np.concatenate([keep_ref, rng.choice(rest, opts.max_noise_points - len(keep_ref), replace=False)]))
            note.append(f"evaluated on a random subset of {len(idx)} points")
        rp = None
        if ref_p is not None:
            rp = np.flatnonzero(np.isin(idx, ref_p))
            if len(rp) == 0:
                rp = None
        if est_note:
            note.append(est_note)
        if est_info is not None:
            note.extend(est_info.get("notes", []))
        if len(idx) == 0:  # the spatio-temporal χ² needs complete series: not computed (said, not a silent NaN)
            note.append("no point has a complete series: the noise-weighted misfit (chi2) needs complete series and "
                        "is not computed")
            log.warning("%s: %s", Path(str(ds.provenance.get("file", ds.name))).name, note[-1])
            return {"source": source, "note": "; ".join(note), "normalised_rms": float("nan")}
        res = chi2(noise_model, R[idx], ds.x[idx], ds.y[idx], t,
                   ref_epochs=None if ref_t is None else [ref_t], ref_points=rp, per_point_offset=offset)
        out = {"source": source, "model": noise_model.describe(), "points": int(len(idx)), **res}
        if est_info is not None:
            out["estimate"] = est_info
        if offset:
            out["offset"] = "per-point offset removed (time map I − 11ᵀ/n)"
        if note:
            out["note"] = "; ".join(note)
    out["normalised_rms"] = float(np.sqrt(out["chi2_per_value"])) if "chi2_per_value" in out else float("nan")
    return out
