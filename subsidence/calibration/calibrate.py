"""Calibration of a case against InSAR time series (ES-MDA or regularised least squares).

The observation model, for point i at epoch t (line of sight, or the product's component):

    d_i(t) = e_i · u(θ, x_i, t) + e_i,up · v_i (t − t₀) + c_i + noise

with θ the global parameters (case-file keys with priors), v_i the per-point parameters
(``background_rate``: vertical velocity not explained by the model, hierarchical prior
v_i = μ + δ_i, μ uncertain, δ ~ N(0, σ² exp(−d/L))), c_i a constant offset per point (a
nuisance, marginalised exactly by comparing each point's series with its mean removed) and the
noise of the validation work (white + spatially + temporally correlated), estimated from the
data by default. θ is updated by ES-MDA with the per-point terms integrated out exactly (they
are linear and Gaussian, :mod:`.linear`); each posterior member then draws its per-point values
from their exact conditional distribution given its θ. Members are independent forward runs,
spread over the ranks of the communicator, each on ``MPI.COMM_SELF``; the update is computed on
rank 0 and broadcast, so 1 and 2 ranks give the same posterior.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as _dt
import time
from pathlib import Path

import numpy as np

from subsidence.calibration import esmda
from subsidence.calibration.config import CalibrationConfig
from subsidence.calibration.forward import ForwardModel, Prediction
from subsidence.calibration.noise import GappyNoise, ProjectedNoise, time_projection
from subsidence.calibration.paths import Resolver
from subsidence.calibration.linear import MarginalNoise, PointTerms
from subsidence.calibration.priors import field_covariance
from subsidence.config import Case, CaseError
from subsidence.config.case import to_jsonable
from subsidence.log import Progress, get_logger

log = get_logger("calibration")


@dataclasses.dataclass
class Observations:
    """Series of m points at n epochs (metres), in the product's component: complete over the
    calibration epochs, or with NaN where a value is missing and marginalised (``gaps = "marginalise"``)."""

    ids: np.ndarray
    x: np.ndarray
    y: np.ndarray
    dates: np.ndarray  # datetime64[D]
    D: np.ndarray  # (m, n)
    component: str
    los: np.ndarray | None  # (m, 3) ground → satellite
    cal: np.ndarray  # (n,) bool: epochs used by the calibration (the rest is held out)
    file: str = ""
    skipped: dict = dataclasses.field(default_factory=dict)
    #: how the product was read (format, sha256, heading, look, incidence, unit, CRS: the reader's record)
    provenance: dict = dataclasses.field(default_factory=dict)

    @property
    def up(self) -> np.ndarray:
        """Sensitivity of the observed component to vertical motion, per point."""
        if self.component == "los":
            return self.los[:, 2]
        return np.ones(self.ids.size) if self.component == "up" else np.zeros(self.ids.size)

    def component_of(self, p: Prediction) -> np.ndarray:
        if self.component == "los":
            e = self.los
            return e[:, 0:1] * p.ux + e[:, 1:2] * p.uy + e[:, 2:3] * p.uz
        return p.uz if self.component == "up" else p.ux


#: what ``observations_from`` says when points lack complete series: calibrate's way out
GAPS_REMEDY = ("calibrate with --gaps marginalise ([calibration] gaps), remove the epochs or points with gaps from "
               "the file, or shorten the calibration period (--until)")
#: with ``gaps = "marginalise"``: the fewest values a point must have over the calibration epochs
MIN_OBSERVED = 3


def observations_from(ds, *, start_date: _dt.date, until: _dt.date | None, key: str = "",
                      epochs: str = "calibration epochs", remedy: str = GAPS_REMEDY, gaps: str = "drop") -> Observations:
    """The dataset's points with complete series over the calibration epochs (others skipped, counted).
    ``key``, ``epochs`` and ``remedy``: the option, the name of those epochs and the way out that the
    error and the warning give (another command than ``calibrate`` words them its own way).
    ``gaps = "marginalise"``: points with missing values there are kept (their missing values are
    marginalised by :class:`~subsidence.calibration.noise.GappyNoise`) if they have at least
    :data:`MIN_OBSERVED` values; at most ``GappyNoise.MAX_MISSING`` missing values in all."""
    dates = ds.dates
    keep_t = dates >= np.datetime64(start_date, "D")
    if not keep_t.all():
        ds = ds.epochs(keep_t, reason="epoch before the case's start_date")
    cal = np.ones(ds.nt, bool) if until is None else ds.dates <= np.datetime64(until, "D")
    if cal.sum() < 6:
        raise CaseError(ds.provenance.get("file", ds.name), "calibration.until",
                        f"only {int(cal.sum())} epochs up to {until}: need at least 6 to calibrate")
    if gaps == "marginalise":
        ds = _points_with_values(ds, cal, key=key or "--gaps", epochs=epochs)
    else:
        ds = _complete_points(ds, cal, key=key, epochs=epochs, remedy=remedy)
    return Observations(ids=ds.ids, x=ds.x, y=ds.y, dates=ds.dates, D=ds.disp.astype(float), component=ds.component,
                        los=ds.los, cal=cal, file=str(ds.provenance.get("file", ds.name)), skipped=dict(ds.skipped),
                        provenance={k: v for k, v in ds.provenance.items() if k not in ("file", "notes")})


def _complete_points(ds, cal, *, key: str, epochs: str, remedy: str):
    """``gaps = "drop"``: the points with complete series over the epochs ``cal`` (the others left out,
    counted); none is an error that names ``remedy``."""
    miss = ~np.isfinite(np.asarray(ds.disp, float)[:, cal])
    gaps = miss.sum(axis=1)
    complete = gaps == 0
    nc = int(cal.sum())
    if not complete.any():
        worst = np.argsort(miss.sum(axis=0))[::-1][:3]
        raise CaseError(ds.provenance.get("file", ds.name), key,
                        f"no point has a complete series over the {nc} {epochs}: all {gaps.size} points have "
                        f"missing values ({int(gaps.min())}–{int(gaps.max())} each, {gaps.sum() / gaps.size / nc:.1%} of "
                        f"the values; most at {', '.join(str(d) for d in ds.dates[cal][worst])}). The per-point offsets "
                        "and terms need complete series there (the noise model is factorised over space and time): "
                        f"{remedy}")
    if not complete.all():
        log.warning("%s: %d of %d points left out: missing values within the %d %s (complete series are needed there; "
                    "%d points kept; to keep them: %s)", Path(str(ds.provenance.get("file", ds.name))).name,
                    int((~complete).sum()), gaps.size, nc, epochs, int(complete.sum()), remedy)
        ds = ds.subset(complete, reason=f"missing values within the {epochs}")
    return ds


def _points_with_values(ds, cal, *, key: str, epochs: str):
    """``gaps = "marginalise"``: the points with at least :data:`MIN_OBSERVED` values over the epochs
    ``cal`` (the others left out, counted), with at most ``GappyNoise.MAX_MISSING`` missing values in all."""
    where = ds.provenance.get("file", ds.name)
    have = np.isfinite(np.asarray(ds.disp, float)[:, cal]).sum(axis=1)
    enough = have >= MIN_OBSERVED
    if not enough.any():
        raise CaseError(where, key, f"no point has {MIN_OBSERVED} or more values within the {int(cal.sum())} {epochs}")
    if not enough.all():
        log.warning("%s: %d of %d points left out: fewer than %d values within the %d %s", Path(str(where)).name,
                    int((~enough).sum()), enough.size, MIN_OBSERVED, int(cal.sum()), epochs)
        ds = ds.subset(enough, reason=f"fewer than {MIN_OBSERVED} values within the {epochs}")
    gap = ~np.isfinite(np.asarray(ds.disp, float)[:, cal])
    missing = int(gap.sum())
    if missing > GappyNoise.MAX_MISSING:
        raise CaseError(where, key, f"{missing} missing values within the {int(cal.sum())} {epochs} of {gap.shape[0]} points: "
                        f"at most {GappyNoise.MAX_MISSING} can be marginalised (a {GappyNoise.MAX_MISSING}² system); drop "
                        "the points or epochs with the most gaps from the file, shorten the calibration period (--until), "
                        "or calibrate with --gaps drop")
    if missing:
        log.info("%s: %d missing values within the %s of %d points are marginalised", Path(str(where)).name, missing,
                 epochs, int(gap.any(axis=1).sum()))
    return ds


@dataclasses.dataclass
class State:
    """Ensemble: normal scores of the global parameters (n_g, N), per-point values of the linear
    per-point terms (K·m, N), SI, and normal scores of the nonlinear per-point parameters (F·m, N)."""

    zg: np.ndarray
    pp: np.ndarray
    zp: np.ndarray | None = None


class Calibration:
    """Everything a calibration needs, on every rank; see :func:`calibrate_case` for the driver."""

    def __init__(self, case: Case, obs: Observations, cfg: CalibrationConfig, *, comm=None, t0=None):
        self.case, self.obs, self.cfg = case, obs, cfg
        #: the configuration as given (``cfg`` later holds the estimated per-point priors)
        self.cfg_given = cfg
        self.comm = comm
        self.resolver = Resolver(case)
        #: case-file parameters (index into cfg.parameters, where the path points)
        self.targets = [(i, self.resolver.resolve(p.path, where=(str(case.file), p.key)))
                        for i, p in enumerate(cfg.parameters) if not p.observation]
        first: dict = {}
        for i, tg in self.targets:  # two paths to one value: the second would silently overwrite the first
            j = first.setdefault((tg.doc, tg.keys), i)
            if j != i:
                p, q = cfg.parameters[i], cfg.parameters[j]
                raise CaseError(str(case.file), p.key, f"{p.path!r} names the same case value as parameter {q.name!r} "
                                f"({q.path!r}): a value can be calibrated once")
        #: observation-model parameters: name → index into cfg.parameters
        self.observation = {p.path.split(".", 1)[1]: i for i, p in enumerate(cfg.parameters) if p.observation}
        self.fm = ForwardModel(case, obs.ids, obs.x, obs.y, obs.dates)  # every epoch (scores, held-out)
        self.fm_cal = ForwardModel(case, obs.ids, obs.x, obs.y, obs.dates[obs.cal])  # assimilations: calibration epochs
        m = obs.ids.size
        self.m = m
        self.names = [p.name for p in cfg.parameters]
        self.n_g = len(self.names)
        #: time origin of the per-point rates: the first calibration epoch
        self.t0 = np.datetime64(t0 if t0 is not None else obs.dates[obs.cal][0], "D")
        self.A = time_projection(int(obs.cal.sum()), offset=cfg.offset)
        #: nonlinear per-point parameters: normal scores correlated in space (Gaussian copula)
        self.fields = list(cfg.point_fields)
        if self.fields:
            self._check_fields(case)
        self.field_chol = [np.linalg.cholesky(field_covariance(obs.x, obs.y, 1.0, f.correlation_length) + 1e-9 * np.eye(m))
                           for f in self.fields]
        #: the per-point terms (name, its parameter): one coefficient per point each; their covariance
        self._use_point_priors(cfg)
        K = len(self.pp_terms)
        self.pp_mean = np.concatenate([np.full(m, q.mean) for _, q in self.pp_terms]) if K else np.zeros(0)
        #: hyperparameters estimated from the data (:meth:`estimate_hyperparameters`), by parameter name
        self.hyper_info: dict = {}
        self.noise_model = None
        self.noise: ProjectedNoise | None = None
        self.terms: PointTerms | None = None

    def _check_fields(self, case: Case) -> None:
        """Nonlinear per-point parameters: ES-MDA only; soil-column ones need a coupled case whose
        every soil profile has the layer (and, for oxidation, an oxidising one)."""
        file = str(case.file)
        if self.cfg.method != "es-mda":
            raise CaseError(file, "calibration.method", "per-point parameters with a path (nonlinear, in the forward run) "
                            "need method = \"es-mda\"")
        for f in self.fields:
            if f.column is None:
                if case.kind not in ("coupled", "shallow"):
                    raise CaseError(file, f.key, f"{f.path} per point needs a model with a shallow part (coupled or shallow)")
                continue
            if case.kind != "coupled":
                raise CaseError(file, f.key, f"{f.path} per point needs kind = \"coupled\" (a column per observation point); "
                                f"this case is {case.kind!r}")
            layer, attr, _ = f.column
            cfg = case.config
            profiles = [(g[0], g[2]) for g in cfg.profile_groups()] if cfg.profiles else [("default", cfg.layers)]
            for gname, layers in profiles:
                hit = [L for L in layers if L.name == layer]
                if not hit:
                    raise CaseError(file, f.key, f"{f.path}: soil profile {gname!r} has no layer {layer!r} "
                                    f"(layers: {', '.join(L.name for L in layers)})")
                owner, _, sub = attr.partition(".")
                obj = getattr(hit[0], owner) if sub else hit[0]
                if sub and not hasattr(obj, sub) or owner == "oxidation" and not getattr(obj, "alpha", 0) > 0:
                    raise CaseError(file, f.key, f"{f.path}: layer {layer!r} of profile {gname!r} has no {attr} "
                                    f"({type(obj).__name__})")

    def set_noise(self, model, info: dict) -> None:
        """The observation noise, and with it the exact handling of the per-point terms."""
        self.noise_model, self.noise_info = model, info
        t_cal = (self.obs.dates[self.obs.cal] - self.obs.dates[self.obs.cal][0]).astype(float) / 365.25
        self.noise = ProjectedNoise(model, self.obs.x, self.obs.y, t_cal, self.A)
        missing = ~np.isfinite(self.obs.D[:, self.obs.cal])
        if missing.any():  # gaps = "marginalise": the missing values drop out exactly
            self.noise = GappyNoise(self.noise, missing)
        if self.pp_terms:
            self.terms = PointTerms(self.noise, self.time_functions(self.obs.dates[self.obs.cal]), self.obs.up,
                                    self.pp_mean, self.pp_cov)

    def point_covariance(self, hyper: dict | None = None) -> np.ndarray:
        """Prior covariance Σ (K·m × K·m) of the per-point terms; ``hyper``: {parameter name:
        {"sd": …, "correlation_length": …}} replacing the configured values."""
        m, K = self.m, len(self.pp_terms)
        C = np.zeros((K * m, K * m))
        for k, (_, q) in enumerate(self.pp_terms):
            h = (hyper or {}).get(q.name, {})
            sd, L = h.get("sd", q.sd), h.get("correlation_length", q.correlation_length)
            B = field_covariance(self.obs.x, self.obs.y, sd, L) + q.mean_sd**2
            C[k * m:(k + 1) * m, k * m:(k + 1) * m] = B + 1e-9 * sd**2 * np.eye(m)
        return C

    def estimate_hyperparameters(self, model_cal) -> dict:
        """Type-II maximum likelihood of the per-point priors' hyperparameters named in their
        ``estimate`` (spread ``sd``, ``correlation_length``): the values that maximise the marginal
        likelihood of the calibration data, p(d | hyper) = N(d; P g + Bμ, C' + BΣ(hyper)Bᵀ), with
        the per-point values integrated out exactly and the model g at the prior medians
        (``model_cal``: its series at the calibration epochs, as for the noise estimate). The
        configured values are the start; a correlation length may also end at 0 (independent
        points) when that is more likely. Needs :meth:`set_noise` first; returns the record
        (also in :attr:`hyper_info`) and installs the estimates as the prior."""
        from scipy.optimize import minimize

        if self.terms is None:
            return {}
        r = self.project(self.obs.D) - self.project(model_cal, calibration_epochs=True)
        free = [(q.name, h, q) for q in self.cfg.point_parameters for h in q.estimate]
        if not free:
            return {}
        start = {q.name: {"sd": q.sd, "correlation_length": q.correlation_length} for q in self.cfg.point_parameters}
        spacing = _median_neighbour_distance(self.obs.x, self.obs.y)

        def hyper_of(v):
            h = {k: dict(d) for k, d in start.items()}
            for (name, which, _), x in zip(free, v):
                h[name][which] = float(np.exp(x))
            return h

        def x0_of(name, which, q):
            val = start[name][which]
            if which == "correlation_length" and val <= 0:
                val = 3 * spacing  # start a length given as 0 at a few point spacings
            return np.log(val)

        x0 = np.array([x0_of(*f) for f in free])
        bounds = [(x - np.log(30.0), x + np.log(30.0)) if w == "sd" else (np.log(0.2 * spacing), np.log(1e3 * spacing))
                  for x, (_, w, _) in zip(x0, free)]
        f = lambda v: -self.terms.log_evidence(r, self.point_covariance(hyper_of(v)))  # noqa: E731
        ll_start = float(self.terms.log_evidence(r))  # the prior as given
        res = minimize(f, x0, method="L-BFGS-B", bounds=bounds, options={"maxiter": 200})
        best, ll = hyper_of(res.x), -float(res.fun)
        for name, which, _ in free:  # independent points (L = 0) as the alternative to any length
            if which == "correlation_length":
                alt = {k: dict(d) for k, d in best.items()}
                alt[name]["correlation_length"] = 0.0
                ll_alt = float(self.terms.log_evidence(r, self.point_covariance(alt)))
                if ll_alt > ll:
                    best, ll = alt, ll_alt
        at_bound = [f"{n}.{w}" for (n, w, _), x, (lo, hi) in zip(free, res.x, bounds)
                    if best[n][w] > 0 and (abs(x - lo) < 1e-3 or abs(x - hi) < 1e-3)]
        info = {"method": "type-II maximum likelihood at the prior medians",
                "log_evidence_given": ll_start, "log_evidence_estimated": ll, "at_search_bound": at_bound,
                "converged": bool(res.success),
                "parameters": {n: {"given": start[n], "estimated": {w: best[n][w] for nn, w, _ in free if nn == n}}
                               for n in dict.fromkeys(n for n, _, _ in free)}}
        self.install_hyperparameters(info)
        return info

    def install_hyperparameters(self, info: dict) -> None:
        """Make the estimated hyperparameters (``info`` of :meth:`estimate_hyperparameters`) the prior."""
        est = {n: v["estimated"] for n, v in info.get("parameters", {}).items()}
        self.hyper_info = info
        self._use_point_priors(dataclasses.replace(self.cfg, point_parameters=[
            dataclasses.replace(q, **est.get(q.name, {})) for q in self.cfg.point_parameters]))
        if self.noise_model is not None:
            self.set_noise(self.noise_model, self.noise_info)

    def _use_point_priors(self, cfg: CalibrationConfig) -> None:
        """Make ``cfg`` (and its per-point priors) the calibration's: the per-point terms and their
        prior covariance (the exact handling follows with :meth:`set_noise`)."""
        self.cfg = cfg
        self.pp_terms = [(name, q) for q in cfg.point_parameters for name in q.terms]
        self.pp_cov = self.point_covariance()

    def time_functions(self, dates) -> np.ndarray:
        """(K, n): the time function a_k(t) of each per-point term: ``background_rate`` t − t₀ (s);
        ``annual_cos``/``annual_sin`` cos/sin(2π · years since 1 January 2000)."""
        d = np.asarray(dates).astype("datetime64[D]")
        t = (d - self.t0).astype(float) * 86400.0
        yr = (d - np.datetime64("2000-01-01")).astype(float) / 365.25
        f = {"background_rate": t, "annual_cos": np.cos(2 * np.pi * yr), "annual_sin": np.sin(2 * np.pi * yr)}
        return np.array([f[name] for name, _ in self.pp_terms]).reshape(len(self.pp_terms), d.size)

    # -- parameters ----------------------------------------------------------------------
    def global_values(self, zg_col) -> np.ndarray:
        """Parameter values of one member, in case-file units."""
        return np.array([p.prior.from_z(z) for p, z in zip(self.cfg.parameters, zg_col)], float)

    def field_values(self, zp_col) -> np.ndarray:
        """(F, m) values of the nonlinear per-point parameters of one member, in their priors' units."""
        z = np.asarray(zp_col, float).reshape(len(self.fields), self.m)
        return np.array([f.prior.from_z(z[k]) for k, f in enumerate(self.fields)]).reshape(len(self.fields), self.m)

    def localisation(self):
        """(rows, rho) of :func:`esmda.update` for the state [z_g; z_p]: row n_g + f·m + i (field f,
        point i) uses taper row f·m + i, the taper of field f from point i to every data point."""
        if not self.fields:
            return None
        rows = np.concatenate([np.full(self.n_g, -1), np.arange(len(self.fields) * self.m)])
        rho = np.vstack([esmda.taper(self.obs.x, self.obs.y, f.localisation) for f in self.fields])
        return rows, rho

    def point_values(self, state: State, j: int) -> np.ndarray:
        """(K, m) per-point values (SI) of member j."""
        return state.pp[:, j].reshape(len(self.pp_terms), self.m)

    def prior_state(self, rng) -> State:
        N = self.cfg.ensemble
        zg = rng.standard_normal((self.n_g, N))
        K = len(self.pp_terms)
        if K:
            L = np.linalg.cholesky(self.pp_cov)
            pp = self.pp_mean[:, None] + L @ rng.standard_normal((K * self.m, N))
        else:
            pp = np.zeros((0, N))
        zp = None
        if self.fields:  # drawn last: calibrations without them keep their random sequence
            zp = np.vstack([L @ rng.standard_normal((self.m, N)) for L in self.field_chol])
        return State(zg=zg, pp=pp, zp=zp)

    def case_of(self, zg_col) -> Case:
        vals = self.global_values(zg_col)
        if not self.targets:
            return self.case
        ps = self.cfg.parameters
        try:
            return self.resolver.build([(t, ps[i].case_value(vals[i])) for i, t in self.targets])
        except CaseError as exc:
            at_median = not np.any(zg_col)
            bounded = ("a parameter the case restricts needs a bounded prior, uniform or truncated-normal, which keeps "
                       "every member inside whatever the update does")
            for i, t in self.targets:  # which parameter's value the case refuses: name its entry
                try:
                    self.resolver.build([(t, ps[i].case_value(vals[i]))])
                except CaseError as one:
                    hint = "check the prior's median and its unit against what the case accepts there" if at_median else bounded
                    raise CaseError(str(self.case.file), ps[i].key, f"{ps[i].path} = {ps[i].case_value(vals[i])!r}"
                                    f"{' (the prior median)' if at_median else ''} is refused by {one.file or 'the case'}"
                                    f" at {one.key}: {one.reason}; {hint}") from None
            raise CaseError(exc.file, exc.key, f"{exc.reason} (with the calibration's member values "
                            + ", ".join(f"{p.name}={v:.4g}" for p, v in zip(self.cfg.parameters, vals))
                            + f"; {bounded})") from None

    # -- forward ------------------------------------------------------------------------
    def model(self, zg_col, fm: ForwardModel | None = None, zp_col=None) -> Prediction:
        """The forward run of one member's global parameters and nonlinear per-point values
        (``zp_col``: their normal scores; None: the prior medians); the linear per-point terms do
        not enter it."""
        case = self.case_of(zg_col)
        column = None
        if self.fields:
            vals = self.field_values(np.zeros(len(self.fields) * self.m) if zp_col is None else zp_col)
            column = [(f.column[0], f.column[1], f.si(v)) for f, v in zip(self.fields, vals) if f.column is not None]
        try:
            p = (fm or self.fm)(case, column_values=column or None)
        except ValueError as exc:  # a member's per-point values that a soil law rejects
            raise CaseError(str(self.case.file), "calibration.point_parameters", f"{exc} (a parameter the soil law "
                            "restricts needs a bounded prior, uniform or truncated-normal)") from None
        return self.observe(p, zg_col, zp_col)

    def observe(self, p: Prediction, zg_col, zp_col=None) -> Prediction:
        """The run as the product's scatterers see it: with ``observation.shallow_fraction`` w (one
        value, or one per point) they follow the deep motion and w times the modelled shallow
        motion (its ``shallow_uz`` is then the part they see)."""
        if p.shallow_uz is None:
            return p
        i = self.observation.get("shallow_fraction")
        per_point = [k for k, f in enumerate(self.fields) if f.path == "observation.shallow_fraction"]
        if per_point:
            z = np.zeros(len(self.fields) * self.m) if zp_col is None else zp_col
            w = self.field_values(z)[per_point[0]][:, None]
        elif i is not None:
            w = float(self.cfg.parameters[i].prior.from_z(zg_col[i]))
        else:
            return p
        s = w * p.shallow_uz
        return dataclasses.replace(p, uz=p.deep_uz + s, shallow_uz=s)

    def background(self, state: State, j: int, dates) -> np.ndarray:
        """Vertical displacement (m, n) of the per-point terms of member j at ``dates``."""
        a = self.time_functions(dates)
        v = self.point_values(state, j)
        return np.einsum("kn,km->mn", a, v) if len(a) else np.zeros((self.m, np.size(dates)))

    def predict_member(self, state: State, j: int, fm: ForwardModel | None = None, *, terms: bool = True) -> dict:
        """Member j's run in the observed component; with ``terms`` its per-point terms added."""
        fm = fm or self.fm
        p = self.model(state.zg[:, j], fm, None if state.zp is None else state.zp[:, j])
        series = self.obs.component_of(p)
        bg = self.background(state, j, fm.dates) if terms else np.zeros_like(series)
        return {"series": series + self.obs.up[:, None] * bg, "deep_uz": p.deep_uz, "shallow_uz": p.shallow_uz,
                "background_uz": bg}

    def run_ensemble(self, state: State, *, keep_parts: bool = False, desc: str = "members", fm=None,
                     model_only: bool = False) -> dict:
        """Predicted series (N, m, n) of every member (on every rank); with ``keep_parts`` also
        the vertical deep / shallow / background parts (N, m, n), float32. ``fm``: the forward
        model (its dates), default every observed epoch. ``model_only``: without the per-point terms."""
        comm = self.comm
        rank, size = (comm.rank, comm.size) if comm is not None else (0, 1)
        N = state.zg.shape[1]
        mine = {}
        for j in _members(range(rank, N, size), comm, desc):
            r = self.predict_member(state, j, fm, terms=not model_only)
            if not keep_parts:
                r = {"series": r["series"]}
            else:
                r = {k: (v if k == "series" else np.asarray(v, np.float32)) for k, v in r.items()}
            mine[j] = r
        if comm is not None and size > 1:
            parts = comm.allgather(mine)
            for p in parts:
                mine.update(p)
        keys = mine[0].keys()
        return {k: np.stack([mine[j][k] for j in range(N)]) for k in keys}

    def project(self, series, *, calibration_epochs: bool = False) -> np.ndarray:
        """Series (..., m, n) over all epochs (or over the calibration epochs only) → projected
        calibration data (..., n', m)."""
        s = np.asarray(series)
        return self.noise.project(s if calibration_epochs else s[..., self.obs.cal])


def _median_neighbour_distance(x, y) -> float:
    from scipy.spatial import cKDTree

    if np.size(x) < 2:
        return 1.0
    d, _ = cKDTree(np.column_stack([x, y])).query(np.column_stack([x, y]), k=2)
    return float(max(np.median(d[:, 1]), 1.0))


@contextlib.contextmanager
def _quiet_chain():
    """The chain's own progress and step logs (one or two lines per forward run) at WARNING
    while the calibration runs members: the calibration reports its own progress."""
    import logging

    lg = logging.getLogger("subsidence")
    quiet = [lg.getChild(n) for n in ("shallow", "deep", "run", "progress")]
    levels = [q.level for q in quiet]
    try:
        for q in quiet:
            q.setLevel(logging.WARNING)
        yield
    finally:
        for q, lv in zip(quiet, levels):
            q.setLevel(lv)


def _members(js, comm, desc):
    """Member indices, with the progress of the pass on rank 0 (a bar on a terminal, else a log
    line per finished member, at most one a second); the chain's own logs are quietened meanwhile."""
    js = list(js)
    with Progress(desc, len(js), comm=comm, t_end=len(js), unit="member", t_unit="members on this rank", logger=log) as pr:
        with _quiet_chain():
            for k, j in enumerate(js):
                yield j
                pr.update(t=k + 1)


def median_run(cal: Calibration) -> np.ndarray:
    """The model at the prior medians of the global parameters, in the observed component at the
    calibration epochs (m, n_cal): the reference of the noise and hyperparameter estimates."""
    return cal.obs.component_of(cal.model(np.zeros(cal.n_g), cal.fm_cal))  # per-point values at their medians too


def estimate_observation_noise(cal: Calibration, median=None):
    """The noise model of the calibration: given, or estimated from the calibration epochs.

    The estimate (:func:`subsidence.insar.noise.estimate_noise`) takes everything that a per-point
    trend + annual fit cannot represent as noise. A deep signal that bends within the record
    would count as noise too, so the data are first reduced by the model at the prior medians
    (one forward run): only what that model misses beyond a trend and an annual cycle is
    attributed to noise. A temporal range at its upper bound says that signal is left."""
    from subsidence.insar.noise import DUTCH_S1, estimate_noise

    obs, cfg = cal.obs, cal.cfg
    if cfg.noise_source == "model":
        return cfg.noise or DUTCH_S1, {"source": "given noise model"}
    t = (obs.dates[obs.cal] - obs.dates[obs.cal][0]).astype(float) / 365.25
    median = median_run(cal) if median is None else median
    try:
        nm, info = estimate_noise(obs.D[:, obs.cal] - median, obs.x, obs.y, t, return_info=True)
    except CaseError as exc:  # too few points, pairs or epochs: say which key and what to do instead
        raise CaseError(str(cal.case.file), "calibration.noise",
                        f"noise = {{ source = \"data\" }}: {exc.reason} ({obs.ids.size} points, {t.size} calibration epochs "
                        f"of {Path(obs.file).name}); give the noise model instead, noise = {{ source = \"model\", white_variance "
                        f"= ..., spatial_variance = ..., spatial_range = ..., temporal_variance = ..., "
                        f"temporal_range = ... }}, or calibrate on more points or epochs") from None
    return nm, {"source": "estimated from the calibration data less the model at the prior medians",
                "details": to_jsonable(info)}


def terms_only_prediction(cal: Calibration) -> np.ndarray | None:
    """The calibration's statistics without its physics: the per-point linear terms (background
    rate, annual cycle, … with their hierarchical, spatially correlated prior) fitted to the data
    exactly as the calibration fits them, but with the forward model set to zero — the noise
    estimated from the data alone, the prior's hyperparameters by the same type-II maximum
    likelihood, and each point's values at their conditional mean. Its series (m, n) over every
    epoch, in the observed component, each point's offset still to be added. A baseline that
    separates what the physics adds from what the calibration's statistical machinery adds (a
    shrunk per-point trend is itself a better forecaster than a per-point least-squares trend).
    None without per-point linear terms."""
    import copy

    if not cal.pp_terms or cal.terms is None:
        return None
    c = copy.copy(cal)  # attributes are replaced, never changed in place: ``cal`` is untouched
    # from the priors as given, as `forecast --insar` does: the hyperparameters estimated with the
    # model are not the start (nor set the search bounds), so both give the same baseline
    if c.cfg is not c.cfg_given:
        c._use_point_priors(c.cfg_given)
    zero = np.zeros((c.m, int(c.obs.cal.sum())))
    if c.cfg.noise_source == "data":
        nm, info = estimate_observation_noise(c, zero)
        c.set_noise(nm, info)
    elif c.pp_cov is not cal.pp_cov:
        c.set_noise(c.noise_model, c.noise_info)  # the terms with the given prior
    if any(q.estimate for q in c.cfg.point_parameters):
        c.estimate_hyperparameters(zero)
    v = c.terms.condition(c.project(c.obs.D)).reshape(len(c.pp_terms), c.m)
    return c.obs.up[:, None] * np.einsum("kn,km->mn", c.time_functions(c.obs.dates), v)


def _finish(cal: Calibration, zg, rng, *, desc: str, zp=None) -> tuple[State, dict]:
    """Run members with global scores ``zg`` (and nonlinear per-point scores ``zp``) over every
    epoch; draw each member's linear per-point values from their exact conditional distribution
    given its run (calibration epochs)."""
    N = zg.shape[1]
    state = State(zg=zg, pp=np.zeros((cal.pp_mean.size, N)), zp=zp)
    pred = cal.run_ensemble(state, keep_parts=True, desc=desc, model_only=True)
    if cal.terms is not None:
        r = cal.project(cal.obs.D)[None] - cal.project(pred["series"])
        pp = cal.terms.condition(r, rng).T if (cal.comm is None or cal.comm.rank == 0) else None
        state.pp = pp if cal.comm is None else cal.comm.bcast(pp, root=0)
        bg = np.stack([cal.background(state, j, cal.obs.dates) for j in range(N)])
        pred["series"] = pred["series"] + cal.obs.up[None, :, None] * bg
        pred["background_uz"] = bg.astype(np.float32)
    return state, pred


def _prior_prediction(cal: Calibration, state: State, first: dict) -> dict:
    """The prior ensemble's predictions over every epoch: its runs plus its per-point prior draws."""
    out = dict(first)
    if cal.terms is not None:
        bg = np.stack([cal.background(state, j, cal.obs.dates) for j in range(state.zg.shape[1])])
        out["series"] = first["series"] + cal.obs.up[None, :, None] * bg
    return out


def run_esmda(cal: Calibration, rng) -> dict:
    """Prior ensemble → N_a assimilations of the global parameters (per-point terms integrated
    out) → posterior runs, each with its per-point values drawn given its run."""
    comm = cal.comm
    rank = comm.rank if comm is not None else 0
    cfg = cal.cfg
    state = cal.prior_state(rng) if rank == 0 else None
    if comm is not None:
        state = comm.bcast(state, root=0)
    prior_state = state
    d_obs = cal.project(cal.obs.D)
    noise = MarginalNoise(cal.terms) if cal.terms is not None else cal.noise
    shift = cal.terms.design(cal.terms.mu) if cal.terms is not None else 0.0  # B μ: the prior mean of the per-point terms
    alphas = esmda.inflation(cfg.assimilations, cfg.inflation)
    history, first = [], None
    zg, zp = state.zg, state.zp
    localise = cal.localisation()
    for k, a in enumerate(alphas):
        t0 = time.perf_counter()
        # the first pass predicts every epoch: it is also the prior's forecast of the held-out data
        st = State(zg=zg, pp=np.zeros((cal.pp_mean.size, zg.shape[1])), zp=zp)
        pred = cal.run_ensemble(st, desc=f"assimilation {k + 1}/{len(alphas)}", fm=cal.fm if k == 0 else cal.fm_cal,
                                model_only=True, keep_parts=k == 0)
        Dp = cal.project(pred["series"], calibration_epochs=k > 0) + shift
        if k == 0:
            first = pred
        c2 = float(noise.chi2(d_obs - Dp.mean(axis=0)) / cal.noise.size)
        history.append({"assimilation": k + 1, "alpha": float(a), "chi2_per_value_ensemble_mean": c2,
                        "seconds": round(time.perf_counter() - t0, 2)})  # the ensemble pass and the update
        log.info("assimilation %d/%d (alpha %.3g): chi2/N of the ensemble mean %.3f", k + 1, len(alphas), a, c2)
        M = zg if zp is None else np.vstack([zg, zp])
        Z = esmda.update(M, Dp, d_obs, noise, a, rng, localise=localise) if rank == 0 else None
        Z = Z if comm is None else comm.bcast(Z, root=0)
        zg, zp = (Z, None) if zp is None else (Z[:cal.n_g], Z[cal.n_g:])
    t0 = time.perf_counter()
    state, post = _finish(cal, zg, rng, desc="posterior, every epoch", zp=zp)
    Dp = cal.project(post["series"])
    c2 = float(cal.noise.chi2(d_obs - Dp.mean(axis=0)) / cal.noise.size)
    history.append({"assimilation": "posterior", "chi2_per_value_ensemble_mean": c2,
                    "seconds": round(time.perf_counter() - t0, 2)})
    log.info("posterior: chi2/N of the ensemble mean %.3f", c2)
    return {"prior_state": prior_state, "prior": _prior_prediction(cal, prior_state, first), "state": state,
            "posterior": post, "history": history}


def run_least_squares(cal: Calibration, rng) -> dict:
    """Maximum a posteriori of the global parameters by Gauss–Newton (Levenberg–Marquardt) in
    normal-score space, on the likelihood with the per-point terms integrated out (their
    conditional mean is profiled: variable projection), with a finite-difference Jacobian whose
    columns are spread over the ranks. Posterior: the Laplace approximation N(MAP, (JᵀJ)⁻¹)
    sampled into ``cfg.ensemble`` members (member 0 is the MAP), each then drawing its per-point
    values given its run."""
    from scipy.optimize import least_squares

    comm = cal.comm
    cfg = cal.cfg
    ng = cal.n_g
    d_obs = cal.project(cal.obs.D)
    nw = cal.noise
    base = getattr(nw, "base", nw)  # a GappyNoise wraps the complete-data operator

    def white(R):
        """Whitened residual: ‖white(R)‖² = Rᵀ C′⁻¹ R (with missing values marginalised: the part along
        their directions projected out, Rᵀ Q_gap R)."""
        if getattr(nw, "k", 0):
            from scipy import linalg

            z = linalg.cho_solve(nw.L, np.moveaxis(nw.pick(base.solve(R)), -1, 0))
            R = R - nw.spread(np.moveaxis(z, 0, -1))
        return ((base.V.T @ R @ base.U) / np.sqrt(base.lam)).reshape(R.shape[:-2] + (-1,))
    terms = cal.terms
    Linv = np.linalg.inv(terms.L_sigma) if terms is not None else None
    cache: dict = {}

    def model_data(z):
        key = tuple(np.round(z, 12))
        if key not in cache:
            with _quiet_chain():
                cache[key] = cal.project(cal.obs.component_of(cal.model(z, cal.fm_cal)), calibration_epochs=True)
        return cache[key]

    def residual(z):
        r = d_obs - model_data(z)
        parts = []
        if terms is not None:
            v = terms.condition(r)
            r = r - terms.design(v)
            parts.append(Linv @ (v - terms.mu))
        return np.concatenate([white(r), *parts, z])  # the prior of the normal scores is N(0, I)

    def jac(z):
        r0 = residual(z)
        h = 1e-3
        rank, size = (comm.rank, comm.size) if comm is not None else (0, 1)
        mine = {}
        for c in range(ng)[rank::size]:  # forward runs: spread over the ranks
            zp = z.copy()
            zp[c] += h
            mine[c] = (residual(zp) - r0) / h
        if comm is not None and size > 1:
            for part in comm.allgather(mine):
                mine.update(part)
        return np.stack([mine[c] for c in range(ng)], axis=1)

    z0 = np.zeros(ng)
    res = least_squares(residual, z0, jac=jac, method="lm", max_nfev=cfg.max_iterations * (ng + 1), x_scale="jac")
    J = jac(res.x)
    cov = np.linalg.inv(J.T @ J + 1e-12 * np.eye(ng))
    N = cfg.ensemble
    zg = res.x[:, None] + np.linalg.cholesky(cov + 1e-12 * np.eye(ng)) @ rng.standard_normal((ng, N))
    zg[:, 0] = res.x
    if comm is not None:
        zg = comm.bcast(zg, root=0)
    prior_state = cal.prior_state(rng)
    if comm is not None:
        prior_state = comm.bcast(prior_state, root=0)
    first = cal.run_ensemble(prior_state, desc="prior", model_only=True, keep_parts=True)
    state, post = _finish(cal, zg, rng, desc="posterior")
    nres = d_obs.size
    return {"prior_state": prior_state, "prior": _prior_prediction(cal, prior_state, first), "state": state,
            "posterior": post, "history": [{"iterations": int(res.nfev), "status": int(res.status), "message": str(res.message),
                                            "chi2_per_value_map": float(np.sum(res.fun[:nres] ** 2) / nw.size),
                                            "converged": bool(res.success)}]}
