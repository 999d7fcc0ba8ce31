"""Calibration of a case against InSAR time series (ES-MDA or regularised least squares).

The observation model, for point i at epoch t (line of sight, or the product's component):

    d_i(t) = e_i · u(θ, x_i, t) + e_i,up · v_i (t − t₀) + c_i + noise

with θ the global parameters (case-file keys with priors), v_i the per-point parameters
(``background_rate``: vertical velocity not explained by the model, hierarchical prior
v_i = μ + δ_i, δ ~ N(0, σ² exp(−d/L))), c_i a constant offset per point (a nuisance,
marginalised exactly by comparing each point's series with its mean removed) and the noise of
the validation work (white + spatially + temporally correlated), estimated from the data by
default. Members are independent forward runs, spread over the ranks of the communicator,
each on ``MPI.COMM_SELF``; the update is computed on rank 0 and broadcast, so 1 and 2 ranks
give the same posterior.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import time

import numpy as np

from subsidence.calibration import esmda
from subsidence.calibration.config import CalibrationConfig
from subsidence.calibration.forward import ForwardModel, Prediction
from subsidence.calibration.noise import ProjectedNoise, time_projection
from subsidence.calibration.paths import Resolver
from subsidence.calibration.priors import field_covariance, gaspari_cohn
from subsidence.config import Case, CaseError
from subsidence.log import get_logger, progress
from subsidence.units import SECONDS_PER_YEAR

log = get_logger("calibration")


@dataclasses.dataclass
class Observations:
    """Complete series of m points at n epochs (metres), in the product's component."""

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


def observations_from(ds, *, start_date: _dt.date, until: _dt.date | None) -> Observations:
    """The dataset's points with complete series over the calibration epochs (others skipped, counted)."""
    dates = ds.dates
    keep_t = dates >= np.datetime64(start_date, "D")
    if not keep_t.all():
        ds = ds.epochs(keep_t, reason="epoch before the case's start_date")
    cal = np.ones(ds.nt, bool) if until is None else ds.dates <= np.datetime64(until, "D")
    if cal.sum() < 6:
        raise CaseError(ds.provenance.get("file", ds.name), "calibration.until",
                        f"only {int(cal.sum())} epochs up to {until}: need at least 6 to calibrate")
    D = ds.disp.astype(float)
    complete = np.isfinite(D[:, cal]).all(axis=1)
    if not complete.any():
        raise CaseError(ds.provenance.get("file", ds.name), "", "no point has a complete series over the calibration epochs")
    if not complete.all():
        ds = ds.subset(complete, reason="missing values within the calibration epochs")
        D = D[complete]
    return Observations(ids=ds.ids, x=ds.x, y=ds.y, dates=ds.dates, D=D, component=ds.component, los=ds.los, cal=cal,
                        file=str(ds.provenance.get("file", ds.name)), skipped=dict(ds.skipped))


@dataclasses.dataclass
class State:
    """Ensemble state: normal scores of the global parameters (n_g, N) and per-point values (n_pp·m, N)."""

    zg: np.ndarray
    pp: np.ndarray

    @property
    def matrix(self) -> np.ndarray:
        return np.vstack([self.zg, self.pp])

    @classmethod
    def from_matrix(cls, M, n_g):
        return cls(zg=M[:n_g].copy(), pp=M[n_g:].copy())


class Calibration:
    """Everything a calibration needs, on every rank; see :func:`calibrate` for the driver."""

    def __init__(self, case: Case, obs: Observations, cfg: CalibrationConfig, *, comm=None, t0=None):
        self.case, self.obs, self.cfg = case, obs, cfg
        self.comm = comm
        self.resolver = Resolver(case)
        self.targets = [self.resolver.resolve(p.path, where=(str(case.file), p.key)) for p in cfg.parameters]
        self.fm = ForwardModel(case, obs.ids, obs.x, obs.y, obs.dates)  # every epoch (scores, held-out)
        self.fm_cal = ForwardModel(case, obs.ids, obs.x, obs.y, obs.dates[obs.cal])  # assimilations: calibration epochs
        m = obs.ids.size
        self.m = m
        # global state rows: case parameters, then the common mean of each per-point parameter
        self.names = [p.name for p in cfg.parameters] + [f"{q.name}.mean" for q in cfg.point_parameters]
        self.n_g = len(self.names)
        #: time origin of the per-point rates: the first calibration epoch
        self.t0 = np.datetime64(t0 if t0 is not None else obs.dates[obs.cal][0], "D")
        self.A = time_projection(int(obs.cal.sum()), offset=cfg.offset)
        self._chol = [np.linalg.cholesky(field_covariance(obs.x, obs.y, q.sd, q.correlation_length) + 1e-12 * q.sd**2 * np.eye(m))
                      for q in cfg.point_parameters]
        self.noise_model = None
        self.noise: ProjectedNoise | None = None

    # -- parameters ----------------------------------------------------------------------
    def global_values(self, zg_col) -> np.ndarray:
        """Parameter values (case-file units) and per-point means (SI) of one member."""
        out = [p.prior.from_z(z) for p, z in zip(self.cfg.parameters, zg_col)]
        for k, q in enumerate(self.cfg.point_parameters):
            out.append(q.mean + q.mean_sd * zg_col[len(self.cfg.parameters) + k])
        return np.array(out, float)

    def point_values(self, state: State, j: int) -> np.ndarray:
        """(n_pp, m) per-point values (SI) of member j: common mean + deviation."""
        g = self.global_values(state.zg[:, j])
        npar = len(self.cfg.parameters)
        return np.array([g[npar + k] + state.pp[k * self.m:(k + 1) * self.m, j] for k in range(len(self.cfg.point_parameters))])

    def prior_state(self, rng) -> State:
        N = self.cfg.ensemble
        zg = rng.standard_normal((self.n_g, N))
        pp = [L @ rng.standard_normal((self.m, N)) for L in self._chol]
        return State(zg=zg, pp=np.vstack(pp) if pp else np.zeros((0, N)))

    def case_of(self, zg_col) -> Case:
        vals = self.global_values(zg_col)
        if not self.targets:
            return self.case
        try:
            return self.resolver.build([(t, p.case_value(v)) for t, p, v in zip(self.targets, self.cfg.parameters, vals)])
        except CaseError as exc:
            raise CaseError(exc.file, exc.key, f"{exc.reason} (with the calibration's member values "
                            + ", ".join(f"{p.name}={v:.4g}" for p, v in zip(self.cfg.parameters, vals)) + ")") from None

    # -- forward ------------------------------------------------------------------------
    def model(self, zg_col, fm: ForwardModel | None = None) -> Prediction:
        """The forward run of one member's global parameters (the per-point ones do not enter it)."""
        return (fm or self.fm)(self.case_of(zg_col))

    def background(self, state: State, j: int, dates) -> np.ndarray:
        """Vertical displacement (m, n) of the per-point background rates of member j at ``dates``."""
        t = (np.asarray(dates).astype("datetime64[D]") - self.t0).astype(float) / 365.25
        bg = np.zeros((self.m, t.size))
        for k, q in enumerate(self.cfg.point_parameters):
            if q.name == "background_rate":
                v = self.point_values(state, j)[k]
                bg = bg + (v * SECONDS_PER_YEAR)[:, None] * t[None, :]
        return bg

    def predict_member(self, state: State, j: int, fm: ForwardModel | None = None) -> dict:
        fm = fm or self.fm
        p = self.model(state.zg[:, j], fm)
        bg = self.background(state, j, fm.dates)
        series = self.obs.component_of(p) + self.obs.up[:, None] * bg
        return {"series": series, "deep_uz": p.deep_uz, "shallow_uz": p.shallow_uz, "background_uz": bg}

    def run_ensemble(self, state: State, *, keep_parts: bool = False, desc: str = "members", fm=None) -> dict:
        """Predicted series (N, m, n) of every member (on every rank); with ``keep_parts`` also
        the vertical deep / shallow / background parts (N, m, n), float32. ``fm``: the forward
        model (its dates), default every observed epoch."""
        comm = self.comm
        rank, size = (comm.rank, comm.size) if comm is not None else (0, 1)
        N = state.zg.shape[1]
        mine = {}
        for j in _members(range(rank, N, size), comm, desc):
            r = self.predict_member(state, j, fm)
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

    def taper(self, K):
        """Localise the gain of per-point rows: point i's value sees the data of point j with GC(d_ij)."""
        out = K.copy()
        d = np.hypot(np.subtract.outer(self.obs.x, self.obs.x), np.subtract.outer(self.obs.y, self.obs.y))
        for k, q in enumerate(self.cfg.point_parameters):
            rho = np.eye(self.m) if q.localisation <= 0 else gaspari_cohn(d / (0.5 * q.localisation))
            rows = slice(self.n_g + k * self.m, self.n_g + (k + 1) * self.m)
            out[rows] *= rho[:, None, :]
        return out


def _members(js, comm, desc):
    """Member indices with one log line per finished member on rank 0; the chain's own
    progress and step logs are quietened meanwhile."""
    import logging

    lg = logging.getLogger("subsidence")
    quiet = [lg.getChild(n) for n in ("shallow", "deep", "run", "progress")]
    levels = [q.level for q in quiet]
    js = list(js)
    t0 = time.perf_counter()
    try:
        for q in quiet:
            q.setLevel(logging.WARNING)
        for k, j in enumerate(progress(js, comm=comm, total=len(js), desc=desc)):
            yield j
            if comm is None or comm.rank == 0:
                el = time.perf_counter() - t0
                log.info("%s: member %d of %d on this rank done, %.0f s elapsed, about %.0f s left", desc, k + 1, len(js),
                         el, el / (k + 1) * (len(js) - k - 1))
    finally:
        for q, lv in zip(quiet, levels):
            q.setLevel(lv)


def estimate_observation_noise(cal: Calibration):
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
    median = obs.component_of(cal.model(np.zeros(cal.n_g), cal.fm_cal))
    nm, info = estimate_noise(obs.D[:, obs.cal] - median, obs.x, obs.y, t, return_info=True)
    return nm, {"source": "estimated from the calibration data less the model at the prior medians",
                "details": _jsonable(info)}


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return obj.tolist() if obj.size <= 200 else {"shape": list(obj.shape)}
    if isinstance(obj, (np.floating, np.integer, np.bool_)):
        return obj.item()
    return obj


def run_esmda(cal: Calibration, rng) -> dict:
    """Prior ensemble → N_a assimilations → posterior; returns states and predictions."""
    comm = cal.comm
    rank = comm.rank if comm is not None else 0
    cfg = cal.cfg
    state = cal.prior_state(rng) if rank == 0 else None
    if comm is not None:
        state = comm.bcast(state, root=0)
    d_obs = cal.project(cal.obs.D)
    alphas = esmda.inflation(cfg.assimilations, cfg.inflation)
    history = []
    prior_state, first = state, None
    for k, a in enumerate(alphas):
        t0 = time.perf_counter()
        # the first pass predicts every epoch: it is also the prior's forecast of the held-out data
        pred = cal.run_ensemble(state, desc=f"assimilation {k + 1}/{len(alphas)}", fm=cal.fm if k == 0 else cal.fm_cal)
        Dp = cal.project(pred["series"], calibration_epochs=k > 0)
        if k == 0:
            first = pred
        c2 = cal.noise.chi2(d_obs - Dp.mean(axis=0)) / cal.noise.size
        history.append({"assimilation": k + 1, "alpha": float(a), "chi2_per_value_ensemble_mean": float(c2),
                        "seconds": round(time.perf_counter() - t0, 2)})
        log.info("assimilation %d/%d (alpha %.3g): chi2/N of the ensemble mean %.3f", k + 1, len(alphas), a, c2)
        M = None
        if rank == 0:
            taper = cal.taper if cal.cfg.point_parameters and any(q.localisation >= 0 for q in cfg.point_parameters) else None
            M = esmda.update(state.matrix, Dp, d_obs, cal.noise, a, rng, taper=taper)
        if comm is not None:
            M = comm.bcast(M, root=0)
        state = State.from_matrix(M, cal.n_g)
    prior_pred = first
    post = cal.run_ensemble(state, keep_parts=True, desc="posterior, every epoch")
    Dp = cal.project(post["series"])
    c2 = cal.noise.chi2(d_obs - Dp.mean(axis=0)) / cal.noise.size
    history.append({"assimilation": "posterior", "chi2_per_value_ensemble_mean": float(c2)})
    log.info("posterior: chi2/N of the ensemble mean %.3f", c2)
    return {"prior_state": prior_state, "prior": prior_pred, "state": state, "posterior": post, "history": history}


def run_least_squares(cal: Calibration, rng) -> dict:
    """Maximum a posteriori by Gauss–Newton (Levenberg–Marquardt) in normal-score space with a
    finite-difference Jacobian for the global parameters; the per-point parameters enter the
    observation model linearly and get their exact Jacobian. The posterior is the Laplace
    approximation N(MAP, (JᵀC'⁻¹J + P⁻¹)⁻¹), sampled into an ensemble of ``cfg.ensemble`` members."""
    from scipy.optimize import least_squares

    comm = cal.comm
    cfg = cal.cfg
    m, ng = cal.m, cal.n_g
    npp = len(cfg.point_parameters)
    d_obs = cal.project(cal.obs.D)
    nw = cal.noise
    # whitening: C'^{-1/2} r = Λ^{-1/2} (V ⊗ U)ᵀ r
    white = lambda R: ((nw.V.T @ R @ nw.U) / np.sqrt(nw.lam)).reshape(R.shape[:-2] + (-1,))  # noqa: E731
    Lpp = [np.linalg.inv(L) for L in cal._chol]
    cache: dict = {}

    npar = len(cfg.parameters)

    def unpack(v):
        zg, w = v[:ng], v[ng:]
        pp = np.concatenate([L @ w[k * m:(k + 1) * m] for k, L in enumerate(cal._chol)]) if npp else np.zeros(0)
        return State(zg=zg[:, None], pp=pp[:, None])

    def model_series(zg):
        key = tuple(np.round(zg[:npar], 12))
        if key not in cache:
            cache[key] = cal.obs.component_of(cal.model(zg, cal.fm_cal))
        return cache[key]

    def residual(v):
        st = unpack(v)
        series = model_series(v[:ng]) + cal.obs.up[:, None] * cal.background(st, 0, cal.fm_cal.dates)
        return np.concatenate([white(d_obs - cal.project(series, calibration_epochs=True)), v])  # prior of the scores: N(0, I)

    def jac(v):
        r0 = residual(v)
        h = 1e-3
        rank, size = (comm.rank, comm.size) if comm is not None else (0, 1)
        mine = {}
        for c in range(npar)[rank::size]:  # case parameters need forward runs: spread over the ranks
            vp = v.copy()
            vp[c] += h
            mine[c] = (residual(vp) - r0) / h
        if comm is not None and size > 1:
            for p in comm.allgather(mine):
                mine.update(p)
        J = np.zeros((r0.size, v.size))
        for c in range(v.size):  # the rest is linear in v and needs no forward run (cached)
            if c not in mine:
                vp = v.copy()
                vp[c] += h
                mine[c] = (residual(vp) - r0) / h
            J[:, c] = mine[c]
        return J

    v0 = np.zeros(ng + npp * m)
    res = least_squares(residual, v0, jac=jac, method="lm" if v0.size <= residual(v0).size else "trf",
                        max_nfev=cfg.max_iterations * (v0.size + 1), x_scale="jac")
    J = jac(res.x)
    H = J.T @ J
    cov = np.linalg.inv(H + 1e-12 * np.eye(H.shape[0]))
    N = cfg.ensemble
    L = np.linalg.cholesky(cov + 1e-12 * np.eye(cov.shape[0]))
    samples = res.x[:, None] + L @ rng.standard_normal((v0.size, N))
    samples[:, 0] = res.x  # member 0 is the MAP
    zg = samples[:ng]
    pp = np.concatenate([np.stack([Lk @ samples[ng + k * m:ng + (k + 1) * m, j] for j in range(N)], axis=1)
                         for k, Lk in enumerate(cal._chol)]) if npp else np.zeros((0, N))
    state = State(zg=zg, pp=pp)
    prior_state = cal.prior_state(rng)
    prior = cal.run_ensemble(prior_state, desc="prior")
    post = cal.run_ensemble(state, keep_parts=True, desc="posterior")
    c2 = float(np.sum(res.fun[:-v0.size] ** 2) / nw.size)
    return {"prior_state": prior_state, "prior": prior, "state": state, "posterior": post,
            "history": [{"iterations": int(res.nfev), "status": int(res.status), "message": str(res.message),
                         "chi2_per_value_map": c2, "converged": bool(res.success)}]}
