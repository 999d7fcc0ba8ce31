"""Forward runs of a case at the observation points, for one set of parameter values.

The case is rebuilt through the ordinary case loader with the member's values (every case
check applies), then evaluated at the observation points and dates:

- ``kind = "deep"`` (analytic): the surface displacement at the points;
- ``kind = "coupled"``: the whole chain (deep → ditch level → groundwater → soil column) at the
  observation points (the case's own ``[points]`` are replaced by them), total vertical =
  deep − shallow, horizontal = deep; the deep and shallow parts are kept apart;
- ``kind = "shallow"``: the one site of the case, the same at every point.

The chain runs from the case's start to the last date (beyond the case's ``end`` if need be: the
assimilations stop at the last calibration epoch); weather beyond the forcing files is the
day-of-year climatology of the record (``forcing.beyond = "climatology"``), noted in
:attr:`ForwardModel.notes`.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt

import numpy as np

from subsidence.config import Case, CaseError
from subsidence.units import SECONDS_PER_DAY


@dataclasses.dataclass
class Prediction:
    """ENU displacement (m, up positive) at m points × n dates; ``deep_uz``/``shallow_uz``
    (subsidence negative) where the model separates them."""

    ux: np.ndarray
    uy: np.ndarray
    uz: np.ndarray
    deep_uz: np.ndarray | None = None
    shallow_uz: np.ndarray | None = None


class ForwardModel:
    def __init__(self, case: Case, ids, x, y, dates, *, comm=None):
        if case.kind not in ("deep", "coupled", "shallow"):
            raise CaseError(str(case.file), "kind", f"calibration supports deep (analytic), shallow and coupled cases, not {case.kind!r}")
        if case.kind == "deep" and case.config.model.method != "analytic":
            raise CaseError(str(case.file), "model.method", "calibration needs the analytic method (an ensemble of FE runs is not supported yet)")
        if case.start_date is None:
            raise CaseError(str(case.file), "start_date", "calibration needs start_date to match model times to the InSAR dates")
        self.case = case
        self.ids = [str(s) for s in ids]
        self.x, self.y = np.asarray(x, float), np.asarray(y, float)
        self.dates = np.asarray(dates).astype("datetime64[D]")
        self.start = np.datetime64(case.start_date, "D")
        if np.any(self.dates < self.start):
            raise CaseError(str(case.file), "start_date", f"observations from {self.dates[0]} precede the case's start_date {case.start_date}")
        self.notes: list[str] = []
        self.comm = comm
        self.notes += pressure_history_notes(case, self.dates[-1])
        if case.kind == "coupled":
            self.notes += far_point_notes(case.config, self.ids, self.x, self.y)

    def __call__(self, case: Case, *, column_values=None) -> Prediction:
        """``column_values``: [(layer name, ColumnLayer field, values per point (SI))] that replace
        the soil column's values point by point (a coupled case; the groundwater model keeps the
        profile's values)."""
        if case.kind == "deep":
            return self._deep(case)
        return self._chain(case, column_values)

    def _deep(self, case: Case) -> Prediction:
        from subsidence.studies.deep import displacement_at

        t = (self.dates - self.start).astype(float) * SECONDS_PER_DAY
        ux, uy, uz = displacement_at(case.config, self.x, self.y, t, comm=self.comm)
        return Prediction(ux=np.asarray(ux).T, uy=np.asarray(uy).T, uz=np.asarray(uz).T, deep_uz=np.asarray(uz).T,
                          shallow_uz=np.zeros((self.x.size, self.dates.size)))

    def chain_config(self, case: Case):
        """The case's chain configuration at the observation points, from its start to the last date."""
        cfg = case.config
        end = (self.dates[-1] + np.timedelta64(1, "D")).astype(_dt.date)  # no further than the dates need
        forcing = cfg.forcing
        last = min(forcing.precipitation.dates[-1], forcing.evaporation.dates[-1])
        if np.datetime64(end, "D") > last + np.timedelta64(1, "D") and forcing.beyond == "error":
            forcing = dataclasses.replace(forcing, beyond="climatology")
            note = f"weather after {last} is the day-of-year climatology of the forcing record"
            if note not in self.notes:
                self.notes.append(note)
        start = np.datetime64(cfg.start, "D")
        for q, (_f, _st, ranges) in forcing.monthly_files.items():  # notes for the ranges the run reaches
            note = forcing.monthly_note(q)
            if any(a < np.datetime64(end, "D") and b >= start for a, b in ranges) and note not in self.notes:
                self.notes.append(note)
        kw = dict(end=end, forcing=forcing)
        if case.kind == "coupled":
            # each observation point takes the water-level area (and soil profile) of the case's
            # point of the same name, else of the nearest one
            index = {str(n): j for j, n in enumerate(cfg.point_names)}
            px, py = np.asarray(cfg.point_x), np.asarray(cfg.point_y)
            match = [index[s] if s in index else int(np.argmin(np.hypot(px - self.x[i], py - self.y[i])))
                     for i, s in enumerate(self.ids)]
            areas = [cfg.point_areas[j] for j in match]
            kw.update(point_names=list(self.ids), point_x=self.x, point_y=self.y, point_areas=areas)
            if cfg.point_profiles is not None:
                kw.update(point_profiles=[cfg.point_profiles[j] for j in match])
        return dataclasses.replace(cfg, **kw)

    def _chain(self, case: Case, column_values=None) -> Prediction:
        from mpi4py import MPI

        from subsidence.shallow.chain import run_chain

        cfg = self.chain_config(case)
        if column_values:
            cfg = dataclasses.replace(cfg, point_layers=point_layers(cfg, column_values))
        res = run_chain(cfg, self.comm or MPI.COMM_SELF)
        idx = (self.dates - np.datetime64(cfg.start, "D")).astype(int)
        m = self.x.size

        def pick(a):  # (days, points) → (points, dates); a shallow case has one site
            a = np.asarray(a)[idx]
            return np.broadcast_to(a, (idx.size, m)).T.copy() if a.shape[1] == 1 else a.T.copy()

        return Prediction(ux=pick(res.deep_ux), uy=pick(res.deep_uy), uz=pick(res.total_uz), deep_uz=pick(res.deep_uz),
                          shallow_uz=-pick(res.shallow))


def point_layers(cfg, column_values) -> list:
    """Each point's column layers: its soil profile's, with ``column_values`` [(layer, field,
    values (m,))] put in (``field`` a ColumnLayer attribute, or ``compression.c``-style for the
    attribute of its compression law or oxidation)."""
    n = len(cfg.point_names)
    base = [None] * n
    for _, _, layers, idx in cfg.profile_groups():
        for i in idx:
            base[i] = layers
    out = []
    for i in range(n):
        layers = list(base[i])
        for name, field, values in column_values:
            k = next(j for j, L in enumerate(layers) if L.name == name)
            L, v = layers[k], float(values[i])
            owner, _, sub = field.partition(".")
            if sub:
                layers[k] = dataclasses.replace(L, **{owner: dataclasses.replace(getattr(L, owner), **{sub: v})})
            else:
                layers[k] = dataclasses.replace(L, **{field: v})
        out.append(layers)
    return out


def pressure_history_notes(case: Case, last_date) -> list[str]:
    """A note for each analytic deep reservoir whose pressure history ends before ``last_date``
    (its pressure change is held at the last value given from then on)."""
    from subsidence.units import SECONDS_PER_YEAR

    if case.kind == "deep":
        cfg, off = case.config, 0.0
    else:
        inner = getattr(getattr(case.config, "deep", None), "case", None)
        if inner is None or inner.kind != "deep":
            return []
        cfg, off = inner.config, float(case.config.deep.offset_s)
    if getattr(cfg.model, "method", "analytic") != "analytic":
        return []
    start = np.datetime64(case.start_date, "D")
    t_last = off + float((np.datetime64(last_date, "D") - start).astype(int)) * SECONDS_PER_DAY
    notes = []
    for res in cfg.reservoirs:
        t_end = float(res.history.times[-1])
        if t_last > t_end + 1.0:
            end = start + np.timedelta64(int(np.floor((t_end - off) / SECONDS_PER_DAY)), "D")
            notes.append(f"reservoir {res.name!r}: its pressure history ends at {t_end / SECONDS_PER_YEAR:g} yr of the deep "
                         f"case ({end}); later dates hold its pressure change at the last value given"
                         + ("" if res.compaction.law == "linear" else f" (the {res.compaction.law} compaction goes on)"))
    return notes


#: an observation point farther than this from every point of a coupled case is noted
FAR_POINT_M = 1000.0


def far_point_notes(cfg, ids, x, y) -> list[str]:
    """Observation points that take the soil profile and water-level area of a case point more
    than FAR_POINT_M away (matched by name, else by the nearest): counted, with the farthest."""
    index = {str(n): j for j, n in enumerate(cfg.point_names)}
    px, py = np.asarray(cfg.point_x, float), np.asarray(cfg.point_y, float)
    far = []
    for i, s in enumerate(ids):
        j = index.get(str(s))
        d = np.hypot(px - x[i], py - y[i])
        k = j if j is not None else int(np.argmin(d))
        if d[k] > FAR_POINT_M:
            far.append((float(d[k]), str(s), str(cfg.point_names[k])))
    if not far:
        return []
    dmax, sid, cname = max(far)
    return [f"{len(far)} of {len(ids)} observation points lie more than {FAR_POINT_M / 1e3:g} km from the case point whose soil "
            f"profile and water-level area they take (matched by name, else the nearest; farthest: {sid}, "
            f"{dmax / 1e3:.3g} km from {cname}): list the data's points in the case's [points] (with their "
            f"profiles) where the soil or the water management differ"]

