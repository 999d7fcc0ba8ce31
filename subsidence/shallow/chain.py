"""The chain: deep subsidence -> ditch level -> groundwater -> soil column -> totals.

Frames: the *land frame* moves with the deep subsidence (the soil column, its base and the
parcel geometry are fixed in it; the initial surface is at 0). A managed level that changes
by ``delta`` (m, NAP-type absolute level) at a point that subsided by ``uz`` (m, up
positive) is at ``initial + delta - uz`` in the land frame: if the water board does not
follow (delta = 0), the ditch comes up relative to the land; if it follows the subsidence
of that very point exactly, nothing changes. The aquifer head changes by
``aquifer_follows * delta`` (absolute).

Each run also makes the counterfactual: the same site without deep subsidence and without
level changes (seasonal target levels kept). ``extra`` = shallow settlement of the run minus
that of the counterfactual: the shallow subsidence caused by the deep subsidence (coupled)
or by the level changes (shallow).
"""

from __future__ import annotations

import collections
import copy
import dataclasses
import datetime as _dt

import numpy as np

from subsidence.log import get_logger
from subsidence.shallow.column import Column
from subsidence.shallow.config import ChainConfig
from subsidence.shallow.forcing import MM_PER_DAY
from subsidence.shallow.groundwater import LumpedGroundwater
from subsidence.shallow.water_management import seasonal_offset

log = get_logger("shallow")
DAY = 86400.0


@dataclasses.dataclass
class ChainResult:
    dates: np.ndarray
    times: np.ndarray
    names: list[str]
    x: np.ndarray
    y: np.ndarray
    precipitation_mm: np.ndarray  # (nt,) day ending at the time; first entry 0
    evaporation_mm: np.ndarray
    deep_ux: np.ndarray
    deep_uy: np.ndarray
    deep_uz: np.ndarray  # (nt, np) m, up positive
    level_change: np.ndarray  # managed level change (absolute), m
    ditch_level: np.ndarray  # land frame, m
    aquifer_head: np.ndarray | None
    gw_mean: np.ndarray
    gw_mid: np.ndarray
    gw_ref: np.ndarray  # counterfactual parcel-mean level (nt,)
    shallow: np.ndarray  # settlement (m, positive down)
    compaction: np.ndarray
    oxidation: np.ndarray
    layer_settlement: np.ndarray  # (nt, np, nl)
    layer_names: list[str]
    shallow_ref: np.ndarray  # (nt,) counterfactual settlement
    balance_error: float
    lumped_resistances: dict
    #: reversible shrinkage of the root zone (m, positive down), included in ``shallow`` (nt, np)
    shrinkage: np.ndarray | None = None
    #: cumulative CO₂ emitted by peat oxidation (kg/m², nt, np)
    co2: np.ndarray | None = None
    #: each point's counterfactual (its own soil profile; ``gw_ref``/``shallow_ref``: the first profile's)
    gw_ref_points: np.ndarray | None = None
    shallow_ref_points: np.ndarray | None = None
    point_profiles: list[str] | None = None
    #: True when the run was streamed in blocks of points: the arrays are at the output times only
    #: (precipitation and evaporation the mean per day since the previous one) and ``glg`` holds the
    #: yearly GLG/GHG computed from the daily levels
    streamed: bool = False
    glg: tuple | None = None  # (yearly_glg_ghg of the points, of their counterfactuals)

    @property
    def total_uz(self) -> np.ndarray:
        return self.deep_uz - self.shallow

    @property
    def extra(self) -> np.ndarray:
        if self.shallow_ref_points is not None:
            return self.shallow - self.shallow_ref_points
        return self.shallow - self.shallow_ref[:, None]


def _years_before(d: _dt.date, n: int) -> _dt.date:
    try:
        return d.replace(year=d.year - n)
    except ValueError:  # 29 February
        return d.replace(year=d.year - n, day=28)


def build_groundwater_model(cfg: ChainConfig, comm):
    """The groundwater model of the case (FE, or lumped with FE-fitted or Ernst resistances)."""
    g = cfg.groundwater
    fe = None
    fitted = g.model != "fe" and g.resistances == "cross_section" and g.drainage_resistance is None
    key = None
    if fitted:  # the lumped model fitted to the FE cross-section: the fit depends on these only
        key = repr((cfg.parcel, g.reference_level, g.nx, g.dz, comm.Get_size() if comm is not None else 1))
        lm = _LUMPED_CACHE.get(key)
        if lm is not None:
            _LUMPED_CACHE.move_to_end(key)
            return copy.copy(lm), _lumped_info(lm)
    if g.model == "fe" or (g.resistances == "cross_section" and g.drainage_resistance is None):
        from subsidence.shallow.groundwater.fe import CrossSectionGroundwater

        fe = CrossSectionGroundwater(cfg.parcel, comm=comm, reference_level=g.reference_level, nx=g.nx, dz_target=g.dz)
    if g.model == "fe":
        return fe, {}
    if fe is not None:
        lm = LumpedGroundwater.from_cross_section(fe)
        if key is not None:
            _LUMPED_CACHE[key] = copy.copy(lm)
            while len(_LUMPED_CACHE) > 32:
                _LUMPED_CACHE.popitem(last=False)
    else:
        lm = LumpedGroundwater(cfg.parcel, reference_level=g.reference_level, drainage_resistance=g.drainage_resistance)
    return lm, _lumped_info(lm)


# lumped models fitted to the FE cross-section, keyed on the parcel, the FE options and the
# number of ranks (an ensemble reruns the same parcel many times)
_LUMPED_CACHE: collections.OrderedDict = collections.OrderedDict()


def _lumped_info(lm) -> dict:
    return {"drainage_resistance_days": lm.gamma_mean / DAY, "seepage_resistance_days": lm.seepage_resistance / DAY,
            "mid_over_mean": lm.gamma_mid / lm.gamma_mean}


def _unique_columns(*arrays):
    stacked = np.concatenate([np.round(a, 9) for a in arrays if a is not None], axis=0)
    _, first, inverse = np.unique(stacked, axis=1, return_index=True, return_inverse=True)
    return first, inverse.ravel()


def _layer_ids(base, point_layers):
    """An id per point for its column layers (0: the profile's ``base``; equal layer sets share an id)
    and the distinct layer sets by id. ``point_layers`` None: every point 0."""
    sets = [list(base)]
    if point_layers is None:
        return None, sets
    seen = {}
    try:
        seen[tuple(base)] = 0
        key = tuple
    except TypeError:  # an unhashable field (a moisture curve that is not hashable): compare by repr
        seen = {repr(list(base)): 0}
        key = lambda lay: repr(list(lay))  # noqa: E731
    ids = np.empty(len(point_layers), dtype=int)
    for j, lay in enumerate(point_layers):
        k = key(lay)
        i = seen.get(k)
        if i is None:
            i = seen[k] = len(sets)
            sets.append(list(lay))
        ids[j] = i
    return ids, sets


def _block_mean(a, idx):
    """Mean of the daily values over each block (idx[k-1], idx[k]]; the first row is kept."""
    if a is None:
        return None
    c = np.concatenate([np.zeros((1,) + a.shape[1:]), np.cumsum(a, axis=0)])
    out = np.empty((idx.size,) + a.shape[1:])
    out[0] = a[0]
    out[1:] = (c[idx[1:] + 1] - c[idx[:-1] + 1]) / (idx[1:] - idx[:-1]).reshape((-1,) + (1,) * (a.ndim - 1))
    return out


def _run_column_blocks(col, times, phreatic, bottom, temp, step_days: int, comm):
    """The distinct columns split into one block per rank of ``comm`` (the columns are independent),
    run, and gathered on every rank in their order: an area of many parcels runs in parallel.
    Each rank's Newton iteration stops on its own block's convergence, so the results agree
    with a one-rank run to the solver tolerance (1e-9 m of head), not bit for bit."""
    nb = phreatic.shape[1]
    size = comm.Get_size() if comm is not None else 1
    if size == 1 or nb < 2 * size:
        return _run_column(col, times, phreatic, bottom, temp, step_days)
    mine = np.array_split(np.arange(nb), size)[comm.Get_rank()]
    h = _run_column(col.take(mine), times, phreatic[:, mine], None if bottom is None else bottom[:, mine], temp, step_days)
    keys = ("settlement", "compaction", "oxidation", "layer_settlement", "mean_effective_stress", "co2")
    parts = comm.allgather({k: getattr(h, k) for k in keys})
    return dataclasses.replace(h, **{k: np.concatenate([p[k] for p in parts], axis=1) for k in keys})


def _run_column(col, times, phreatic, bottom, temp, step_days: int):
    """The column on every ``step_days``-th day, forced by block means, interpolated back to days."""
    if step_days <= 1:
        return col.run(times, phreatic=phreatic, bottom_head=bottom, temperature=temp)
    n = times.size
    idx = np.unique(np.concatenate([np.arange(0, n, step_days), [n - 1]]))
    h = col.run(times[idx], phreatic=_block_mean(phreatic, idx), bottom_head=_block_mean(bottom, idx),
                temperature=_block_mean(temp, idx))

    def back(a):
        flat = a.reshape(idx.size, -1)
        return np.stack([np.interp(times, times[idx], flat[:, k]) for k in range(flat.shape[1])], axis=1).reshape((n,) + a.shape[1:])

    return dataclasses.replace(h, times=times, settlement=back(h.settlement), compaction=back(h.compaction),
                               oxidation=back(h.oxidation), layer_settlement=back(h.layer_settlement),
                               mean_effective_stress=back(h.mean_effective_stress), co2=back(h.co2))


#: a multi-point run whose daily results would take more memory than this is streamed in blocks
#: of points whose daily results take about ``BLOCK_BYTES``, keeping only the output times
#: (``run_chain(stream=...)`` decides explicitly); the estimate counts ~40 daily arrays of 8 bytes
#: per point (measured: 3 MB per point for 30 years)
STREAM_ABOVE_BYTES = 2 * 1024**3
BLOCK_BYTES = 512 * 1024**2
BLOCK_POINTS = None  # points per block; None: from BLOCK_BYTES


def run_chain(cfg: ChainConfig, comm, *, stream: bool | None = None, block_points: int | None = None) -> ChainResult:
    """The chain at every point of the case. ``stream``: run the points in blocks and keep the
    results at the output times only (memory ~ points × output times instead of points × days;
    for a rule on the deep subsidence); None: when the daily results would exceed
    ``STREAM_ABOVE_BYTES``."""
    npnt = len(cfg.point_names)
    nd = (cfg.end - cfg.start).days
    cfg.check_point_layers()
    if stream is None:
        stream = npnt > 1 and 40 * 8 * npnt * (nd + 1) > STREAM_ABOVE_BYTES and cfg.management.basis == "deep"
    if stream:
        if cfg.management.basis == "total":
            raise ValueError("a rule on the total subsidence (basis = \"total\") needs every point's daily settlement: "
                             "it cannot be streamed in blocks of points")
        block_points = block_points or BLOCK_POINTS
        if block_points is None:
            block_points = max(8, int(BLOCK_BYTES // (40 * 8 * (nd + 1 + 366 * cfg.spinup_years))))
        return _run_chain_streamed(cfg, comm, block_points)
    return _run_chain_full(cfg, comm)


def _timeline(cfg: ChainConfig):
    """Days of the run and its weather: (nd, start, dates, times, spin_start, nspin, precip, evap),
    precip/evap with the spin-up first (the weather of the first simulated year(s), run once
    before the start)."""
    nd = (cfg.end - cfg.start).days
    start = np.datetime64(cfg.start, "D")
    dates = start + np.arange(nd + 1).astype("timedelta64[D]")
    times = np.arange(nd + 1) * DAY
    spin_start = np.datetime64(_years_before(cfg.start, cfg.spinup_years), "D")
    nspin = int((start - spin_start).astype(int))
    p_run, e_run = cfg.forcing.window(start, np.datetime64(cfg.end, "D"))
    reps = int(np.ceil(nspin / max(nd, 1))) if nspin else 0
    precip = np.concatenate([np.tile(p_run, reps)[:nspin], p_run])
    evap = np.concatenate([np.tile(e_run, reps)[:nspin], e_run])
    return nd, start, dates, times, spin_start, nspin, precip, evap


def _management_forcing(cfg: ChainConfig, comm, coarse, times, dates, spin_start, nspin, nd):
    """What every point's water management and column share: the reference point's deep subsidence
    (``reference = "point"``, else None), the seasonal level offset over spin-up and run, and the
    soil temperature of the run's days."""
    m = cfg.management
    rz_point = None
    if m.reference == "point":
        _, _, rz = cfg.deep.displacement(coarse, np.array([m.reference_point[0]]), np.array([m.reference_point[1]]), comm=comm)
        rz_point = np.interp(times, coarse, rz[:, 0])
    all_dates = spin_start + np.arange(nspin + nd + 1).astype("timedelta64[D]")
    season = seasonal_offset(all_dates, summer_offset=m.summer_offset)
    return rz_point, season, cfg.forcing.soil_temperature(dates)


def _run_chain_full(cfg: ChainConfig, comm) -> ChainResult:
    nd, start, dates, times, spin_start, nspin, precip, evap = _timeline(cfg)

    # 1. deep subsidence at the points (evaluated every 5 days, interpolated to days)
    npnt = len(cfg.point_names)
    coarse = np.unique(np.concatenate([np.arange(0, nd + 1, 5), [nd]])) * DAY
    dux, duy, duz = cfg.deep.displacement(coarse, cfg.point_x, cfg.point_y, names=cfg.point_names, comm=comm)
    interp = lambda a: np.stack([np.interp(times, coarse, a[:, j]) for j in range(npnt)], axis=1)  # noqa: E731
    deep_ux, deep_uy, deep_uz = interp(dux), interp(duy), interp(duz)

    # 2. water management, 3.-4. groundwater and soil column per soil profile. A rule on the total
    # subsidence (deep + shallow) is a fixed point: each pass applies the rule to the previous
    # pass's total as known the day before; decisions depend only on the past, so pass k gets
    # the first k decisions right and the passes end when the levels no longer change (at most
    # one pass more than there are decisions).
    m = cfg.management
    rz_point, season, temp = _management_forcing(cfg, comm, coarse, times, dates, spin_start, nspin, nd)
    groups = cfg.profile_groups()
    total_basis = m.basis == "total"
    shallow_prev = np.zeros_like(deep_uz)
    # the counterfactuals' own level lowering (total basis), from their settlement of the previous pass
    ref_low = {g[0]: m.rule.lowering(times, np.zeros((nd + 1, 1))) for g in groups}
    init_pts = cfg.initial_levels()  # per point: the same everywhere, or from levels in m NAP
    delta_prev, passes = None, 0
    while True:
        passes += 1
        uz = deep_uz  # the subsidence the rule follows (up +)
        if total_basis:  # deep + shallow as known the day before (a decision cannot see its own effect)
            uz = deep_uz - _lag(shallow_prev)
        delta = m.rule.lowering(times, _reference(m, uz, cfg.point_areas, rz_point))
        hd = np.empty((nspin + nd + 1, npnt))
        hd[:nspin + 1] = init_pts[None, :] + season[:nspin + 1, None]
        hd[nspin:] = init_pts[None, :] + season[nspin:, None] + delta - deep_uz
        out = _groups(cfg, comm, groups, precip, evap, hd, season, delta, deep_uz, nspin, times, temp,
                      ref_lowering=ref_low if total_basis else None)
        if not total_basis:
            break
        new_low = {g: m.rule.lowering(times, -_lag(out["group_ref"][g])) for g in ref_low}
        same = delta_prev is not None and np.array_equal(delta, delta_prev) and all(
            np.array_equal(new_low[g], ref_low[g]) for g in ref_low)
        if same:
            break
        if passes >= MAX_TOTAL_PASSES:
            raise RuntimeError(f"water management on the total subsidence: the levels still changed after {passes} passes "
                               "(a threshold rule that keeps triggering itself?)")
        delta_prev, shallow_prev, ref_low = delta, out["shallow"], new_low
    if total_basis:
        log.info("water management on the total subsidence: %d pass(es) of the chain", passes)
    mean, mid, gw_ref_pts, sh_ref_pts = out["mean"], out["mid"], out["gw_ref_pts"], out["sh_ref_pts"]
    shallow, compaction, oxidation = out["shallow"], out["compaction"], out["oxidation"]
    shrinkage, co2, layer_settlement, layer_names = out["shrinkage"], out["co2"], out["layer_settlement"], out["layer_names"]
    phi_run, errs, infos, first_ref = out["phi_run"], out["errs"], out["infos"], out["first_ref"]
    info = infos[groups[0][0]] if len(groups) == 1 else infos

    pr = np.concatenate([[0.0], precip[nspin:] / MM_PER_DAY])
    ev = np.concatenate([[0.0], evap[nspin:] / MM_PER_DAY])
    return ChainResult(
        dates=dates, times=times, names=list(cfg.point_names), x=cfg.point_x, y=cfg.point_y,
        precipitation_mm=pr, evaporation_mm=ev, deep_ux=deep_ux, deep_uy=deep_uy, deep_uz=deep_uz,
        level_change=delta, ditch_level=hd[nspin:], aquifer_head=phi_run, gw_mean=mean, gw_mid=mid, gw_ref=first_ref[0],
        shallow=shallow, compaction=compaction, oxidation=oxidation, layer_settlement=layer_settlement,
        layer_names=layer_names, shallow_ref=first_ref[1], balance_error=float(max(errs)), lumped_resistances=info,
        shrinkage=shrinkage, co2=co2, gw_ref_points=gw_ref_pts, shallow_ref_points=sh_ref_pts,
        point_profiles=[g for g in (cfg.point_profiles or ["default"] * npnt)])


MAX_TOTAL_PASSES = 40


def _lag(a):
    """The series as known one day later (a[t-1] at t)."""
    return np.concatenate([a[:1], a[:-1]])


def _reference(m, uz, point_areas, rz_point):
    """The subsidence (up +) each point's water-level decision follows: its own, a reference
    point's, or its area's mean / most / least subsiding point."""
    if m.reference == "own":
        return uz
    if m.reference == "point":
        return np.repeat(rz_point[:, None], uz.shape[1], axis=1)
    agg = {"mean": np.mean, "max": np.min, "min": np.max}[m.reference]  # "max" subsidence = lowest uz
    areas = np.array(point_areas)
    out = np.empty_like(uz)
    for a in np.unique(areas):
        sel = areas == a
        out[:, sel] = agg(uz[:, sel], axis=1)[:, None]
    return out


def _groups(cfg, comm, groups, precip, evap, hd, season, delta, deep_uz, nspin, times, temp, *, ref_lowering=None):
    """Groundwater and soil column of every soil profile's points, assembled per point.
    Each profile has a counterfactual per distinct initial ditch level of its points (one when
    the initial level is common). ``ref_lowering``: per profile, the level lowering of its
    counterfactuals (nt, 1 or their number; None: none)."""
    m = cfg.management
    nt, npnt = times.size, hd.shape[1]
    out = {k: np.empty((nt, npnt)) for k in ("mean", "mid", "gw_ref_pts", "sh_ref_pts", "shallow", "compaction", "oxidation")}
    out["shrinkage"], out["co2"] = np.zeros((nt, npnt)), np.zeros((nt, npnt))
    names = list(dict.fromkeys(L.name for _, _, lay, _ in groups for L in lay))
    out["layer_names"] = names
    out["layer_settlement"] = np.zeros((nt, npnt, len(names)))
    out["phi_run"] = np.full((nt, npnt), np.nan) if any(g[1].seepage for g in groups) else None
    out["errs"], out["infos"], out["first_ref"], out["group_ref"] = [], {}, None, {}
    init_pts = cfg.initial_levels()
    for gname, pg, layers, idx in groups:
        # (also when one profile has all the points); the points' own column values are passed on
        gcfg = dataclasses.replace(cfg, parcel=pg, layers=layers, point_layers=None)
        point_layers = None if cfg.point_layers is None else [cfg.point_layers[i] for i in idx]
        ref_levels, ref_of = np.unique(np.round(init_pts[idx], 9), return_inverse=True)
        hd_ref = ref_levels[None, :] + season[:, None]
        ref_delta = None
        if ref_lowering is not None:
            hd_ref[nspin:] += ref_lowering[gname]
            ref_delta = hd_ref - (ref_levels[None, :] + season[:, None])
        r = _shallow_group(gcfg, comm, precip, evap, hd[:, idx], hd_ref, delta[:, idx], deep_uz[:, idx], nspin, times,
                           temp, label=("" if len(groups) == 1 else f" [{gname}]"), ref_delta=ref_delta,
                           initial=np.concatenate([ref_levels, init_pts[idx]]), point_layers=point_layers)
        out["mean"][:, idx], out["mid"][:, idx] = r["mean"], r["mid"]
        out["gw_ref_pts"][:, idx], out["sh_ref_pts"][:, idx] = r["gw_ref"][:, ref_of], r["shallow_ref"][:, ref_of]
        for k in ("shallow", "compaction", "oxidation", "shrinkage", "co2"):
            out[k][:, idx] = r[k]
        for k, n in enumerate(r["layer_names"]):
            out["layer_settlement"][:, idx, names.index(n)] = r["layer_settlement"][:, :, k]
        if out["phi_run"] is not None and r["phi"] is not None:
            out["phi_run"][:, idx] = r["phi"]
        out["errs"].append(r["balance_error"])
        out["infos"][gname] = r["info"]
        out["group_ref"][gname] = r["shallow_ref"]
        if out["first_ref"] is None:
            out["first_ref"] = (r["gw_ref"][:, 0], r["shallow_ref"][:, 0])
    return out


def _shallow_group(cfg: ChainConfig, comm, precip, evap, hd, hd_ref, delta, deep_uz, nspin, times, temp, *, label="",
                   ref_delta=None, initial=None, point_layers=None):
    """Groundwater and soil column of the points of one soil profile (``cfg.parcel``,
    ``cfg.layers``), with the counterfactuals (``hd_ref`` (nt, nref)) as the first columns; every
    array from the start (nt, ...). ``initial``: the initial level of every column (counterfactuals,
    then points; default the management's). ``point_layers``: each point's own column layers
    (None: the profile's); the groundwater and the counterfactuals keep the profile's."""
    p = cfg.parcel
    m = cfg.management
    npnt = hd.shape[1]
    nd = times.size - 1
    phi = None
    if p.seepage:
        phi = np.empty_like(hd)
        phi[:nspin + 1] = p.aquifer_head
        phi[nspin:] = p.aquifer_head + m.aquifer_follows * delta - deep_uz
    phi_ref = None if phi is None else np.full_like(hd_ref, p.aquifer_head)
    if phi_ref is not None and ref_delta is not None:  # the counterfactuals' own level changes (total basis)
        phi_ref += m.aquifer_follows * ref_delta
    nref = hd_ref.shape[1]
    if initial is None:
        initial = np.full(nref + npnt, m.initial_level)

    # groundwater: the counterfactual is column 0; only distinct forcing columns are computed
    model, info = build_groundwater_model(cfg, comm)
    hd_all = np.concatenate([hd_ref, hd], axis=1)
    phi_all = None if phi is None else np.concatenate([phi_ref, phi], axis=1)
    first, inv = _unique_columns(hd_all, phi_all)
    log.info("groundwater%s (%s): %d distinct parcel(s) for %d point(s) + %d counterfactual(s), %d days + %d spin-up",
             label, type(model).__name__, first.size, npnt, nref, nd, nspin)
    gw = model.run(precip, evap, hd_all[:, first], aquifer_head=None if phi is None else phi_all[:, first],
                   initial=np.asarray(initial, float)[first])
    err = float(np.max(np.abs(gw.balance_error())))
    mean_all, mid_all = gw.mean[nspin:, inv], gw.mid[nspin:, inv]
    level_all = mean_all if cfg.groundwater.level == "mean" else mid_all

    # soil column (base fixed in the land frame), the counterfactual again column 0
    # (a point with column values of its own is a column of its own: its layer id joins the forcing)
    ids, sets = _layer_ids(cfg.layers, point_layers)
    if ids is not None and not ids.any():
        ids = None  # every point has the profile's layers
    col_ids = None if ids is None else np.concatenate([np.zeros(nref, dtype=int), ids])[None, :]
    base = p.base
    phi_col = None if phi_all is None else phi_all[nspin:]
    cfirst, cinv = _unique_columns(level_all, phi_col, col_ids)
    col = Column(cfg.layers, bottom="head" if cfg.column_bottom == "aquifer" else "no_flow", oxidation_depth=cfg.oxidation_depth,
                 past_lowering=cfg.column_past_lowering,
                 column_layers=None if col_ids is None else [sets[i] for i in col_ids[0, cfirst]])
    log.info("soil column%s: %d cells, %d distinct column(s)%s", label, col.ncell, cfirst.size,
             "" if col_ids is None else f" ({len(set(col_ids[0].tolist()))} distinct layer set(s))")
    if col_ids is not None:
        # a point's column of another height keeps its surface at the land surface: the column
        # reaches deeper (or less deep), its base moves by the difference of the heights
        h_prof = sum(L.thickness for L in cfg.layers)
        base = base - np.array([sum(L.thickness for L in sets[i]) - h_prof for i in col_ids[0, cfirst]])[None, :]
    bh = None if cfg.column_bottom != "aquifer" else phi_col[:, cfirst] - base
    hist = _run_column_blocks(col, times, level_all[:, cfirst] - base, bh, temp, cfg.column_step_days, comm)
    sel = cinv[nref:]

    shrink_all = np.zeros_like(mean_all)
    rz = p.root_zone
    if rz is not None and rz.shrinkage_fraction > 0:
        # depletion W_max − W over the whole history (spin-up included: ripening remembers the driest state)
        shrink_all = rz.shrinkage_history(-gw.balance["root_zone"][:, inv])[nspin:]
    shallow_all = hist.settlement[:, cinv] + shrink_all  # columns in the order of the groundwater levels
    return {"mean": mean_all[:, nref:], "mid": mid_all[:, nref:], "gw_ref": level_all[:, :nref],
            "shallow": shallow_all[:, nref:], "shallow_ref": shallow_all[:, :nref], "compaction": hist.compaction[:, sel],
            "oxidation": hist.oxidation[:, sel],
            "layer_settlement": hist.layer_settlement[:, sel], "layer_names": hist.layer_names,
            "shrinkage": shrink_all[:, nref:], "co2": hist.co2[:, sel], "phi": None if phi is None else phi[nspin:],
            "balance_error": err, "info": info}


def _run_chain_streamed(cfg: ChainConfig, comm, block: int) -> ChainResult:
    """:func:`run_chain` in blocks of ``block`` points, keeping the output times only. The water-
    level areas' reference (mean, most or least subsiding point) is accumulated over the blocks
    first; each block then runs as the full chain would for its points (same levels, groundwater,
    columns and counterfactuals), and the yearly GLG/GHG are taken from its daily levels."""
    from subsidence.shallow.forcing import yearly_glg_ghg

    nd, start, dates, times, spin_start, nspin, precip, evap = _timeline(cfg)
    npnt = len(cfg.point_names)
    coarse = np.unique(np.concatenate([np.arange(0, nd + 1, 5), [nd]])) * DAY
    names = np.array(cfg.point_names, dtype=object)
    blocks = [np.arange(b, min(b + block, npnt)) for b in range(0, npnt, block)]

    def deep(b):
        dux, duy, duz = cfg.deep.displacement(coarse, cfg.point_x[b], cfg.point_y[b], names=list(names[b]), comm=comm)
        interp = lambda a: np.stack([np.interp(times, coarse, a[:, j]) for j in range(b.size)], axis=1)  # noqa: E731
        return interp(dux), interp(duy), interp(duz)

    m = cfg.management
    areas = np.array(cfg.point_areas)
    area_ref = {}
    if m.reference in ("mean", "max", "min"):  # pass 1: the areas' reference series, over the blocks
        count = {}
        for b in blocks:
            uz = deep(b)[2]
            for a in np.unique(areas[b]):
                sel = areas[b] == a
                if m.reference == "mean":
                    area_ref[a] = area_ref.get(a, 0.0) + uz[:, sel].sum(axis=1)
                    count[a] = count.get(a, 0) + int(sel.sum())
                else:
                    f = np.min if m.reference == "max" else np.max
                    v = f(uz[:, sel], axis=1)
                    area_ref[a] = v if a not in area_ref else (np.minimum if m.reference == "max" else np.maximum)(area_ref[a], v)
        if m.reference == "mean":
            area_ref = {a: v / count[a] for a, v in area_ref.items()}
    rz_point, season, temp = _management_forcing(cfg, comm, coarse, times, dates, spin_start, nspin, nd)
    init_all = cfg.initial_levels()
    groups_all = cfg.profile_groups()
    layer_names = list(dict.fromkeys(L.name for _, _, lay, _ in groups_all for L in lay))
    prof_all = np.array(cfg.point_profiles) if cfg.point_profiles else None

    step = max(int(cfg.output_interval_days), 1)
    idx = np.arange(0, nd + 1, step)
    if idx[-1] != nd:
        idx = np.append(idx, nd)
    nout = idx.size
    keys = ("deep_ux", "deep_uy", "deep_uz", "level_change", "ditch_level", "mean", "mid", "shallow", "compaction",
            "oxidation", "shrinkage", "co2", "gw_ref_pts", "sh_ref_pts")
    res = {k: np.empty((nout, npnt)) for k in keys}
    res["layer_settlement"] = np.zeros((nout, npnt, len(layer_names)))
    seepage = any(g[1].seepage for g in groups_all)
    res["phi_run"] = np.full((nout, npnt), np.nan) if seepage else None
    glg, glg_ref = None, None
    errs, infos, first_ref = [], {}, None
    for k, b in enumerate(blocks):
        log.info("points %d-%d of %d (block %d of %d)", b[0] + 1, b[-1] + 1, npnt, k + 1, len(blocks))
        dux, duy, duz = deep(b)
        if m.reference == "own":
            ref = duz
        elif m.reference == "point":
            ref = np.repeat(rz_point[:, None], b.size, axis=1)
        else:
            ref = np.stack([area_ref[a] for a in areas[b]], axis=1)
        delta = m.rule.lowering(times, ref)
        init = init_all[b]
        hd = np.empty((nspin + nd + 1, b.size))
        hd[:nspin + 1] = init[None, :] + season[:nspin + 1, None]
        hd[nspin:] = init[None, :] + season[nspin:, None] + delta - duz
        sub = dataclasses.replace(cfg, point_names=list(names[b]), point_x=cfg.point_x[b], point_y=cfg.point_y[b],
                                  point_areas=list(areas[b]),
                                  point_profiles=None if prof_all is None else list(prof_all[b]),
                                  point_initial_levels=None if cfg.point_initial_levels is None else init,
                                  point_layers=None if cfg.point_layers is None else [cfg.point_layers[i] for i in b])
        groups = [(g, pg, lay, np.flatnonzero(np.isin(b, gi))) for g, pg, lay, gi in groups_all]
        groups = [g for g in groups if g[3].size]
        out = _groups(sub, comm, groups, precip, evap, hd, season, delta, duz, nspin, times, temp)
        for key, a in (("deep_ux", dux), ("deep_uy", duy), ("deep_uz", duz), ("level_change", delta),
                       ("ditch_level", hd[nspin:])):
            res[key][:, b] = a[idx]
        for key in ("mean", "mid", "shallow", "compaction", "oxidation", "shrinkage", "co2", "gw_ref_pts", "sh_ref_pts"):
            res[key][:, b] = out[key][idx]
        for j, n in enumerate(out["layer_names"]):
            res["layer_settlement"][:, b, layer_names.index(n)] = out["layer_settlement"][idx, :, j]
        if res["phi_run"] is not None and out["phi_run"] is not None:
            res["phi_run"][:, b] = out["phi_run"][idx]
        g = yearly_glg_ghg(dates, out["mean"], hydrological=False)
        gr = yearly_glg_ghg(dates, out["gw_ref_pts"], hydrological=False)
        if glg is None:
            glg = {"year": g["year"], **{q: np.empty((g["year"].size, npnt)) for q in ("glg", "ghg", "lowest", "highest")}}
            glg_ref = {"year": gr["year"], **{q: np.empty((gr["year"].size, npnt)) for q in ("glg", "ghg", "lowest", "highest")}}
        for q in ("glg", "ghg", "lowest", "highest"):
            glg[q][:, b], glg_ref[q][:, b] = g[q], gr[q]
        errs += out["errs"]
        infos.update(out["infos"])
        if first_ref is None:
            first_ref = (out["first_ref"][0][idx], out["first_ref"][1][idx])
    info = infos[groups_all[0][0]] if len(groups_all) == 1 else infos

    def per_interval(v):  # mean per day since the previous output time (mm/day), 0 at the start
        c = np.concatenate([[0.0], np.cumsum(v[nspin:])])
        out = np.zeros(nout)
        out[1:] = (c[idx[1:]] - c[idx[:-1]]) / np.diff(idx) / MM_PER_DAY
        return out

    return ChainResult(
        dates=dates[idx], times=times[idx], names=list(cfg.point_names), x=cfg.point_x, y=cfg.point_y,
        precipitation_mm=per_interval(precip), evaporation_mm=per_interval(evap), deep_ux=res["deep_ux"],
        deep_uy=res["deep_uy"], deep_uz=res["deep_uz"], level_change=res["level_change"], ditch_level=res["ditch_level"],
        aquifer_head=res["phi_run"], gw_mean=res["mean"], gw_mid=res["mid"], gw_ref=first_ref[0], shallow=res["shallow"],
        compaction=res["compaction"], oxidation=res["oxidation"], layer_settlement=res["layer_settlement"],
        layer_names=layer_names, shallow_ref=first_ref[1], balance_error=float(max(errs)), lumped_resistances=info,
        shrinkage=res["shrinkage"], co2=res["co2"], gw_ref_points=res["gw_ref_pts"], shallow_ref_points=res["sh_ref_pts"],
        point_profiles=[g for g in (cfg.point_profiles or ["default"] * npnt)], streamed=True, glg=(glg, glg_ref))
