"""Case-file tables of the shallow and coupled studies (``kind = "shallow" | "coupled"``).

Read with :class:`subsidence.config.table.Table`; everything is converted to SI once, here.
Bare numbers: conductivities in m/day, resistances in days, unit weights in kN/m^3,
stresses in kPa, times in years (``interval``) or days (``output.interval``), lengths in m.
See ``docs/shallow.md`` for the full list of keys.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import math
from pathlib import Path

import numpy as np

from subsidence.config.table import Table
from subsidence.io.filecache import file_cached
from subsidence.shallow.column import ColumnLayer, Isotache, Koppejan, LinearCompression, NoOxidation, PeatOxidation
from subsidence.shallow.deep import CaseDeep, NoDeep, SeriesDeep
from subsidence.shallow.forcing import (DailySeries, ForcingError, StationError, check_temperature_cosine, extend_series,
                                        read_evaporation, read_monthly_totals, read_precipitation, read_temperature,
                                        soil_temperature)
from subsidence.physics.retention import VanGenuchten
from subsidence.physics.root_zone import RootZone
from subsidence.shallow.groundwater import HydroLayer, Parcel
from subsidence.shallow.water_management import FractionRule, NoManagement, PrescribedLevels

K_UNIT = dict(unit="m/s", bare="m/day")
RES_UNIT = dict(unit="s", bare="day")


@dataclasses.dataclass
class Forcing:
    precipitation_file: Path | None
    evaporation_file: Path | None
    beyond: str
    temperature_mean: float
    temperature_amplitude: float
    precipitation: DailySeries = dataclasses.field(repr=False, default=None)
    evaporation: DailySeries = dataclasses.field(repr=False, default=None)

    temperature_file: Path | None = None
    temperature: DailySeries | None = dataclasses.field(repr=False, default=None)
    #: monthly totals that extend the daily records: {"evaporation": (file, station, ((first day, last day), ...))},
    #: the day ranges they fill (before and/or after the daily record)
    monthly_files: dict = dataclasses.field(default_factory=dict)

    def describe(self) -> dict:
        """The weather behind a run (files, records, what is used outside them), for summaries."""
        lo = max(self.precipitation.dates[0], self.evaporation.dates[0])
        hi = min(self.precipitation.dates[-1], self.evaporation.dates[-1])
        out = {"precipitation": str(self.precipitation_file), "evaporation": str(self.evaporation_file),
               "record": [str(lo), str(hi)], "beyond_the_record": self.beyond}
        for q, (f, st, ranges) in self.monthly_files.items():
            out[f"{q}_monthly"] = {"file": str(f), "station": str(st), "days": [[str(a), str(b)] for a, b in ranges],
                                   "note": self.monthly_note(q)}
        return out

    def monthly_note(self, q: str) -> str:
        f, st, ranges = self.monthly_files[q]
        days = " and ".join(f"from {a} to {b}" for a, b in ranges)
        return f"{q} {days}: the monthly totals of station {st} ({Path(f).name}) spread evenly over each month's days"

    def window(self, start: np.datetime64, end: np.datetime64) -> tuple[np.ndarray, np.ndarray]:
        """Daily P and E (m/s) for start <= day < end, cycling whole years of the record
        when ``beyond = "repeat"``, or the day-of-year mean of the record outside it when
        ``beyond = "climatology"``."""
        lo = max(self.precipitation.dates[0], self.evaporation.dates[0])
        hi = min(self.precipitation.dates[-1], self.evaporation.dates[-1])
        return (_series_window(self.precipitation, start, end, lo, hi, self.beyond),
                _series_window(self.evaporation, start, end, lo, hi, self.beyond))

    def soil_temperature(self, dates: np.ndarray) -> np.ndarray:
        """Daily temperature (degC) on ``dates``: the KNMI series (``beyond`` as for P and E,
        over its own record), or the seasonal cosine."""
        if self.temperature is None:
            return soil_temperature(dates, mean=self.temperature_mean, amplitude=self.temperature_amplitude)
        s = self.temperature
        return _series_window(s, dates[0], dates[-1] + np.timedelta64(1, "D"), s.dates[0], s.dates[-1], self.beyond)


def _series_window(s, start, end, lo, hi, beyond) -> np.ndarray:
    """Values of ``s`` for start <= day < end; outside the record ``lo``..``hi`` as ``beyond`` says."""
    days = np.arange(start, end, dtype="datetime64[D]")
    if beyond == "repeat":
        y0 = int(str(lo.astype("datetime64[Y]"))) + (0 if str(lo)[5:] == "01-01" else 1)
        y1 = int(str(hi.astype("datetime64[Y]"))) - (0 if str(hi)[5:] == "12-31" else 1)
        if y1 < y0:
            raise ForcingError("forcing covers no full calendar year to repeat")
        n = y1 - y0 + 1
        yrs = days.astype("datetime64[Y]").astype(int) + 1970
        outside = (days < np.datetime64(f"{y0}-01-01")) | (days > np.datetime64(f"{y1}-12-31"))
        src_year = np.where(outside, y0 + (yrs - y0) % n, yrs)
        # same month and day in the source year; 29 February of a non-leap year takes the 28th
        month = (days.astype("datetime64[M]") - days.astype("datetime64[Y]")).astype(int)
        day = (days - days.astype("datetime64[M]")).astype(int)
        first = (src_year - 1970).astype("datetime64[Y]").astype("datetime64[M]") + month.astype("timedelta64[M]")
        src = first.astype("datetime64[D]") + day.astype("timedelta64[D]")
        overflow = src.astype("datetime64[M]") != first
        src = np.where(overflow, src - np.timedelta64(1, "D"), src)
        return s.values[(src - s.dates[0]).astype(int)]
    if beyond == "climatology":
        return _climatology_window(s, days, lo, hi)
    return s.window(start, end)


def _month_day(days: np.ndarray) -> np.ndarray:
    month = (days.astype("datetime64[M]") - days.astype("datetime64[Y]")).astype(int) + 1
    return month * 100 + (days - days.astype("datetime64[M]")).astype(int) + 1


def _climatology_window(s, days: np.ndarray, lo, hi) -> np.ndarray:
    """Recorded values where the record (``lo``..``hi``, common to P and E) has them; elsewhere the
    mean over the record of the same month and day (29 February: of 28 February when no leap
    day was recorded)."""
    rec = (s.dates >= lo) & (s.dates <= hi)
    md_rec, v_rec = _month_day(s.dates[rec]), s.values[rec]
    keys, inv = np.unique(md_rec, return_inverse=True)
    clim = dict(zip(keys.tolist(), (np.bincount(inv, weights=v_rec) / np.bincount(inv)).tolist()))
    if 229 not in clim and 228 in clim:
        clim[229] = clim[228]
    out = np.empty(days.size)
    inside = (days >= lo) & (days <= hi)
    out[inside] = s.values[(days[inside] - s.dates[0]).astype(int)]
    md = _month_day(days[~inside])
    missing = sorted(set(md.tolist()) - set(clim))
    if missing:
        raise ForcingError(f"{s.name}: no recorded day {missing[0] // 100:02d}-{missing[0] % 100:02d} for the climatology")
    out[~inside] = np.array([clim[k] for k in md.tolist()])
    return out


@dataclasses.dataclass
class GroundwaterSpec:
    model: str = "lumped"
    resistances: str = "cross_section"
    drainage_resistance: float | None = None
    nx: int = 24
    dz: float = 0.5
    reference_level: float | None = None
    level: str = "mean"


@dataclasses.dataclass
class ManagementSpec:
    initial_level: float
    rule: object
    reference: str = "mean"
    reference_point: tuple[float, float] | None = None
    summer_offset: float = 0.0
    aquifer_follows: float = 1.0
    basis: str = "deep"  # the subsidence the rule follows: "deep", or "total" (deep + shallow)
    #: the initial ditch level in m NAP, one number or one per water-level area (None: initial_level)
    initial_level_nap: float | dict | None = None


@dataclasses.dataclass
class ImpactSpec:
    lowering: float = 0.2
    years: list | str = "auto"
    measure: str = "glg"
    cba_classes: dict | None = None  # profile -> CBA 1987 class (default: inferred from the layers)


@dataclasses.dataclass
class ChainConfig:
    kind: str
    start: _dt.date
    end: _dt.date
    spinup_years: int
    forcing: Forcing
    parcel: Parcel
    layers: list[ColumnLayer]
    groundwater: GroundwaterSpec
    column_bottom: str
    oxidation_depth: float
    management: ManagementSpec
    deep: object
    point_names: list[str]
    point_x: np.ndarray
    point_y: np.ndarray
    point_areas: list[str]
    impact: ImpactSpec | None
    output_interval_days: int
    plots: bool = True
    column_step_days: int = 1
    #: the phreatic level was once this much lower (m): its effective stresses preconsolidate the column
    column_past_lowering: float = 0.0
    #: soil profiles by name (parcel with its hydrological layers, column layers); ``parcel``
    #: and ``layers`` above are those of the first. None: one profile for every point.
    profiles: dict | None = None
    point_profiles: list[str] | None = None  # the profile of each point
    #: surface level at each point (m NAP, from [surface] raster; None without it)
    surface_level: np.ndarray | None = None
    #: the initial ditch level of each point in the land frame (m, surface = 0) when it differs
    #: between points (levels in m NAP minus the surface level); None: management.initial_level
    point_initial_levels: np.ndarray | None = None
    #: cell size (m) of the output maps (maps.nc, maps/*.tif); None: no maps
    map_cell: float | None = None
    #: each point's own column layers (for calibrating per-parcel values), or None: every point uses
    #: its profile's ``layers``. Per point: the profile's layers with other values (made with
    #: ``dataclasses.replace``): the same names in the same order, the same ``max_cell``, the same
    #: compression law type (isotache: creep c > 0 in the same layers) and oxidation moisture curve;
    #: thickness, k, unit weights, ocr, pop, the law's values and the oxidation's values may differ
    #: (a different thickness scales the layer's cells: its cell count stays the profile's). These are
    #: column-only values: the groundwater model keeps the profile's parcel, and the counterfactual
    #: columns the profile's layers. Checked by :meth:`check_point_layers` (``run_chain`` calls it).
    point_layers: list[list[ColumnLayer]] | None = None

    def initial_levels(self) -> np.ndarray:
        """The initial ditch level of every point (m, surface = 0)."""
        if self.point_initial_levels is not None:
            return self.point_initial_levels
        return np.full(len(self.point_names), self.management.initial_level)

    def check_point_layers(self):
        """ValueError naming the point and the layer when ``point_layers`` does not fit the points'
        profiles (see the field); nothing when it is None."""
        if self.point_layers is None:
            return
        from subsidence.shallow.column.model import layer_mismatch

        n = len(self.point_names)
        if len(self.point_layers) != n:
            raise ValueError(f"point_layers has {len(self.point_layers)} entries for {n} points (one list of column "
                             "layers per point, or None)")
        for name, _, layers, idx in self.profile_groups():
            for i in idx:
                why = layer_mismatch(layers, self.point_layers[i])
                if why is not None:
                    raise ValueError(f"point_layers of point {self.point_names[i]!r} (profile {name!r}): {why}")

    def profile_groups(self):
        """[(name, parcel, column layers, indices of its points)], in the order of the profiles."""
        n = len(self.point_names)
        if not self.profiles:
            return [("default", self.parcel, self.layers, np.arange(n))]
        prof = np.array(self.point_profiles)
        return [(name, par, lay, np.flatnonzero(prof == name)) for name, (par, lay) in self.profiles.items()
                if np.any(prof == name)]


def parse(root: Table, case) -> ChainConfig:
    kind = case.kind
    if case.start_date is None:
        raise root.error("start_date", "the shallow/coupled chains need a start_date (daily weather forcing)")
    start = case.start_date
    t = root.table("time")
    if t.has("end") and t.has("years"):
        raise t.error("years", "give either end or years, not both")
    if t.has("end"):
        end = _date(t, "end")
    else:
        years = t.number("years", unit="yr", bare="yr", gt=0)
        end = start + _dt.timedelta(days=int(round(years * 365.25)))
    t.raw("years", None)
    if end <= start:
        raise t.error("end", "must be after start_date")
    spin = t.number("spinup_years", 1, ge=0, integer=True)
    if spin and (end - start).days < 365 * spin:
        case.warn(f"[{t.key('spinup_years')}] the spin-up ({spin} yr) is longer than the run ({(end - start).days} days): "
                  "it repeats the run's own weather, so the groundwater starts from a state of that season only")
    t.finish()

    ft = root.table("forcing")
    forcing = _forcing(ft)
    try:
        forcing.window(np.datetime64(start, "D"), np.datetime64(end, "D"))
    except ValueError as exc:
        raise ft.error("beyond", f"{exc}; set beyond = \"repeat\" to cycle the record, or shorten [time]") from None
    if forcing.temperature is not None:
        try:
            forcing.soil_temperature(np.arange(np.datetime64(start, "D"), np.datetime64(end, "D") + np.timedelta64(1, "D")))
        except ValueError as exc:
            raise ft.error("temperature", f"{exc}; set beyond = \"repeat\" or \"climatology\", or shorten [time]") from None
    soil_t = root.table("soil")
    given = [k for k in ("layers", "profiles", "profiles_file") if soil_t.has(k)]
    if len(given) != 1:
        raise soil_t.error(given[1] if len(given) > 1 else "layers",
                           "give one of [[soil.layers]] (one profile for every point), [[soil.profiles]] (named "
                           "profiles, each with its layers; points choose theirs) or profiles_file (the same "
                           "[[profiles]] in a file of their own, e.g. from `subsidence soil-profiles`)")
    profile_tables = soil_t.tables("profiles") if soil_t.has("profiles") else None
    if soil_t.has("profiles_file"):
        profile_tables = _profiles_file(soil_t)
    parcel_t = root.table("parcel")
    parcel_raw = dict(parcel_t.data)
    profiles = None
    if soil_t.has("layers"):
        hydro, column = [], []
        for lt in soil_t.tables("layers"):
            h, c = _layer(lt)
            hydro.append(h)
            column.append(c)
        parcel = _parcel(parcel_t, tuple(hydro))
    else:
        profiles = {}
        for pt in profile_tables:
            pname = pt.string("name")
            if pname in profiles:
                raise pt.error("name", f"two profiles named {pname!r}")
            hydro, column = [], []
            for lt in pt.tables("layers"):
                h, c = _layer(lt)
                hydro.append(h)
                column.append(c)
            over = pt.table("parcel", None)
            merged = {**parcel_raw, **(dict(over.data) if over is not None else {})}
            if over is not None:
                for k in over.data:
                    over.raw(k)
                over.finish()
            ptab = Table(merged, file=root.file, path=f"{pt.path}.parcel" if over is not None else "parcel")
            profiles[pname] = (_parcel(ptab, tuple(hydro)), column)
            pt.finish()
        for k in parcel_raw:
            parcel_t.raw(k)
        parcel_t.finish()
        parcel, column = next(iter(profiles.values()))
        hydro = list(parcel.layers)
    soil_t.finish()
    gw_t = root.table("groundwater", None)
    gw = _groundwater(gw_t)
    if profiles is not None and gw.model == "fe":
        raise gw_t.error("model", "soil profiles ([[soil.profiles]]) are supported by the lumped groundwater model only")
    if gw.model == "fe" and any(pp.drains is not None for pp in ([parcel] if profiles is None else [v[0] for v in profiles.values()])):
        raise gw_t.error("model", "field drains (parcel.drains) are supported by the lumped groundwater model only")
    if gw.model == "fe" and parcel.root_zone is not None:
        raise gw_t.error("model", "a root zone (parcel.root_zone) is supported by the lumped groundwater model only: "
                                  'use model = "lumped"')
    if gw.model == "fe" and parcel.has_retention:
        where = gw_t if gw_t is not None else root
        raise where.error("model", "a retention curve (soil.layers.retention) is supported by the lumped groundwater "
                                   'model only: use model = "lumped", or a constant specific_yield')
    col_t = root.table("column", None) or Table({}, file=root.file, path="column")
    bottom = col_t.string("bottom", "no_flow", choices=("no_flow", "aquifer"))
    if bottom == "aquifer" and parcel.aquifer_head is None:
        raise col_t.error("bottom", "'aquifer' needs parcel.aquifer_head")
    ox_depth = col_t.number("oxidation_depth", 1.2, unit="m", gt=0)
    past_lowering = col_t.number("past_lowering", 0.0, unit="m", ge=0)
    col_step = col_t.number("time_step", 1, unit="day", bare="day", ge=1, integer=True)
    col_t.finish()
    mgmt = _management(root.table("water_management"), parcel,
                       {"": parcel} if profiles is None else {k: v[0] for k, v in profiles.items()}, case=case)

    point_profiles = None
    if kind == "coupled":
        deep = _deep(root.table("deep"), case, (end - start).days * 86400.0)
        pts_t = root.table("points")
        names, px, py, areas, point_profiles = _points(pts_t, profiles)
        if isinstance(deep, SeriesDeep):
            _check_series_points(root, deep, names, mgmt)
    else:
        if root.has("deep"):
            raise root.error("deep", "a shallow case has no deep subsidence; use kind = 'coupled'")
        deep = NoDeep()
        s = root.table("site", None) or Table({}, file=root.file, path="site")
        names, areas = [s.string("name", "site")], ["area"]
        px, py = np.array([s.number("x", 0.0, unit="m")]), np.array([s.number("y", 0.0, unit="m")])
        if profiles is not None:
            point_profiles = [s.string("profile", next(iter(profiles)), choices=tuple(profiles))]
        s.finish()
    surface, point_init = _surface_levels(root, case, mgmt, names, px, py, areas, point_profiles, profiles, parcel)
    imp = None
    it = root.table("impact", None)
    if it is not None:
        yrs = it.raw("years", "auto")
        if not (yrs == "auto" or (isinstance(yrs, list) and all(isinstance(y, int) for y in yrs))):
            raise it.error("years", "expected \"auto\" or a list of calendar years")
        classes = it.raw("cba_classes", None)
        allowed = ("sand", "clay", "peat with clay cover", "peat")
        if classes is not None:
            known = set(profiles) if profiles is not None else {"default"}
            if not isinstance(classes, dict) or any(k not in known or v not in allowed for k, v in classes.items()):
                raise it.error("cba_classes", f"expected a table profile = class with profiles {sorted(known)} and classes "
                                              f"{list(allowed)}, got {classes!r}")
        imp = ImpactSpec(lowering=it.number("lowering", 0.2, unit="m", gt=0), years=yrs,
                         measure=it.string("measure", "glg", choices=("glg", "lowest")), cba_classes=classes)
        it.finish()
    o = root.table("output", None) or Table({}, file=root.file, path="output")
    interval = o.number("interval", 1, unit="day", bare="day", ge=1, integer=True)
    plots = o.boolean("plots", True)
    map_cell = o.number("map_cell", None, unit="m", gt=0)
    o.finish()
    return ChainConfig(kind=kind, start=start, end=end, spinup_years=spin, forcing=forcing, parcel=parcel, layers=column,
                       groundwater=gw, column_bottom=bottom, oxidation_depth=ox_depth, column_past_lowering=past_lowering,
                       management=mgmt, deep=deep,
                       point_names=names, point_x=px, point_y=py, point_areas=areas, impact=imp, output_interval_days=interval,
                       plots=plots, column_step_days=col_step, profiles=profiles,
                       point_profiles=point_profiles, surface_level=surface, point_initial_levels=point_init,
                       map_cell=map_cell)


def _date(t: Table, name: str) -> _dt.date:
    v = t.raw(name)
    if isinstance(v, _dt.datetime):
        return v.date()
    if isinstance(v, _dt.date):
        return v
    try:
        return _dt.date.fromisoformat(str(v))
    except ValueError:
        raise t.error(name, f"not an ISO date (YYYY-MM-DD): {v!r}") from None


def _forcing(t: Table) -> Forcing:
    fill = t.string("fill", None, choices=("zero", "interpolate"))
    pf, ef = t.path_("precipitation"), t.path_("evaporation")
    f = Forcing(precipitation_file=pf, evaporation_file=ef, beyond=t.string("beyond", "error", choices=("error", "repeat", "climatology")),
                temperature_mean=10.5, temperature_amplitude=7.0)
    if isinstance(t.raw("temperature", None), str):  # a KNMI daily series (TG) instead of the cosine
        f.temperature_file = t.path_("temperature")
        try:
            f.temperature = read_temperature(f.temperature_file, fill=fill)
        except (ForcingError, ValueError, OSError) as exc:
            raise t.error("temperature", str(exc)) from None
    else:
        temp = t.table("temperature", None)
        if temp is not None:
            f.temperature_mean = temp.number("mean", 10.5)
            f.temperature_amplitude = temp.number("amplitude", 7.0, ge=0)
            try:
                check_temperature_cosine(f.temperature_mean, f.temperature_amplitude)
            except ForcingError as exc:
                raise temp.error("mean" if "mean" in str(exc) else "amplitude", str(exc)) from None
            temp.finish()
    try:
        f.precipitation = read_precipitation(pf, fill=fill)
    except (ForcingError, ValueError) as exc:
        raise t.error("precipitation", str(exc)) from None
    try:
        f.evaporation = read_evaporation(ef, fill=fill)
    except (ForcingError, ValueError) as exc:
        raise t.error("evaporation", str(exc)) from None
    for q in ("precipitation", "evaporation"):  # monthly totals extending the daily record
        mt = t.table(f"{q}_monthly", None)
        if mt is None:
            continue
        mf = mt.path_("file")
        st = mt.raw("station")
        if not isinstance(st, (str, int)) or isinstance(st, bool):
            raise mt.error("station", "expected the station's ID or name (as in the file's ID or name column)")
        mt.finish()
        try:
            ext = extend_series(getattr(f, q), read_monthly_totals(mf, st, quantity=q))
        except StationError as exc:
            raise mt.error("station", str(exc)) from None
        except (ForcingError, ValueError) as exc:
            raise mt.error("file", str(exc)) from None
        first_daily, last_daily = getattr(f, q).dates[[0, -1]]
        setattr(f, q, ext)
        one = np.timedelta64(1, "D")
        ranges = tuple(r for r in ((ext.dates[0], first_daily - one), (last_daily + one, ext.dates[-1])) if r[0] <= r[1])
        if ranges:
            f.monthly_files[q] = (mf, st, ranges)
    t.finish()
    return f


def _layer(t: Table) -> tuple[HydroLayer, ColumnLayer]:
    name = t.string("name")
    thick = t.number("thickness", unit="m", gt=0)
    kh = t.number("kh", **K_UNIT, gt=0)
    kv = t.number("kv", kh, **K_UNIT, gt=0)
    retention = None
    rt = t.table("retention", None)
    if rt is not None:
        if t.has("specific_yield"):
            raise t.error("specific_yield", "give either specific_yield (constant) or retention (a van Genuchten curve: "
                                            "the yield then depends on the depth of the water table), not both")
        rt.string("model", choices=("van-genuchten",))
        try:
            retention = VanGenuchten(theta_s=rt.number("theta_s", gt=0, le=1), theta_r=rt.number("theta_r", 0.0, ge=0),
                                     alpha=rt.number("alpha", unit="1/m", gt=0), n=rt.number("n", gt=1))
        except ValueError as exc:
            raise rt.error(None, str(exc)) from None
        rt.finish()
        sy = retention.theta_s - retention.theta_r
    else:
        sy = t.number("specific_yield", gt=0, le=1)
    k_cons = t.number("k_consolidation", kv, **K_UNIT, gt=0)
    # plausible unit weights of soils (peat ~10, dense sand ~21 kN/m3): outside, a value in another
    # unit (11500 meant as N/m3 would be read as 11500 kN/m3) cannot be meant
    gs = t.number("gamma_sat", unit="N/m^3", bare="kN/m^3", ge=5e3, le=30e3)
    gu = t.number("gamma_unsat", gs, unit="N/m^3", bare="kN/m^3", ge=0, le=30e3)
    ct = t.table("compression")
    law = ct.string("law", choices=("isotache", "linear", "koppejan"))
    try:
        if law == "isotache":
            comp = Isotache(ct.number("a", ge=0), ct.number("b", gt=0), ct.number("c", ge=0))
        elif law == "koppejan":
            comp = Koppejan(ct.number("Cp", gt=0), ct.number("Cs", gt=0), ct.number("Cp_prime", gt=0),
                            ct.number("Cs_prime", gt=0))
        else:
            comp = LinearCompression(ct.number("mv", unit="1/Pa", ge=0))
    except ValueError as exc:
        raise ct.error(None, str(exc)) from None
    ct.finish()
    ox = NoOxidation()
    ot = t.table("oxidation", None)
    if ot is not None:
        # alpha is kept per day inside (the unit of the published rates), see column/oxidation.py
        moisture = ot.string("moisture", "none", choices=("none", "air-filled"))
        if moisture == "air-filled" and retention is None:
            raise ot.error("moisture", "\"air-filled\" needs the layer's retention curve (retention = "
                                       "{model = \"van-genuchten\", ...})")
        try:
            ox = PeatOxidation(alpha=ot.number("alpha", unit="kg/m^3/day", ge=0),
                               organic_density=ot.number("organic_density", unit="kg/m^3", gt=0),
                               volume_fraction=ot.number("volume_fraction", 1.0, ge=0, le=1),
                               carbon_fraction=ot.number("carbon_fraction", 0.58, ge=0, le=1),
                               moisture=retention if moisture == "air-filled" else None,
                               minimum_organic_fraction=ot.number("minimum_organic_fraction", 0.0, ge=0, lt=1),
                               mineral_density=ot.number("mineral_density", 0.0, unit="kg/m^3", ge=0))
        except ValueError as exc:
            raise ot.error(None, str(exc)) from None
        ot.finish()
    ocr = t.number("ocr", 1.0, ge=1)
    pop = t.number("pop", 0.0, unit="Pa", bare="kPa", ge=0)
    if t.has("initial_creep_rate"):
        ocr = _ocr_from_creep_rate(t, comp, ("ocr", "pop", "initial_age"))
    elif t.has("initial_age"):
        ocr = _ocr_from_age(t, comp, ("ocr", "pop"))
    perm = None
    pt = t.table("permeability", None)
    if pt is not None:
        perm = (pt.number("e0", gt=0), pt.number("ck", gt=0))
        pt.finish()
    col = ColumnLayer(name=name, thickness=thick, k=k_cons, gamma_sat=gs, gamma_unsat=gu, compression=comp,
                      ocr=ocr, pop=pop, oxidation=ox, permeability=perm,
                      max_cell=t.number("max_cell", 0.1, unit="m", gt=0))
    t.finish()
    return HydroLayer(name, thick, kh, kv, sy, retention), col


def _profiles_file(soil_t: Table) -> list[Table]:
    """The ``[[profiles]]`` of ``[soil] profiles_file`` (errors name that file)."""
    import tomllib

    pf = soil_t.path_("profiles_file")
    try:
        data = tomllib.loads(pf.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise soil_t.error("profiles_file", f"{pf}: cannot read ({exc})") from None
    t = Table(data, file=pf, path="")
    tables = t.tables("profiles", [])
    if not tables:
        raise soil_t.error("profiles_file", f"{pf}: no [[profiles]] tables")
    t.finish()
    return tables


def _ocr_from_creep_rate(t: Table, comp, exclusive) -> float:
    """The over-consolidation ratio at which an isotache layer creeps at ``initial_creep_rate``
    (vertical strain rate at the start, constant stress): the creep rate is c/τ₀ with
    τ₀ = τ_ref OCR^((b−a)/c), so OCR = (c / (rate τ_ref))^(c/(b−a)). A measured background rate
    of a layer thus sets its initial state instead of a guessed OCR."""
    from subsidence.shallow.column.compression import TAU_REF

    for k in exclusive:
        if t.has(k):
            raise t.error(k, "give either initial_creep_rate or ocr/pop (both set the initial over-consolidation)")
    if not isinstance(comp, Isotache) or comp.c <= 0:
        raise t.error("initial_creep_rate", "needs an isotache compression law with c > 0")
    rate = t.number("initial_creep_rate", unit="1/s", bare="1/yr", gt=0)
    fastest = comp.c / TAU_REF  # normally consolidated (OCR 1)
    if rate > fastest:
        raise t.error("initial_creep_rate", f"{rate * 365.25 * 86400:.4g} 1/yr is faster than the layer creeps when "
                      f"normally consolidated (c/τ_ref = {fastest * 365.25 * 86400:.4g} 1/yr)")
    return float((comp.c / (rate * TAU_REF)) ** (comp.c / (comp.b - comp.a)))


def _ocr_from_age(t: Table, comp, exclusive) -> float:
    """The over-consolidation ratio of an isotache layer that has carried its present effective
    stress for ``initial_age`` since it was last normally consolidated (the age of the present
    water levels, when the levels were last lowered): at constant stress its intrinsic time grows
    with time, τ₀ = τ_ref + age, and τ₀ = τ_ref OCR^((b−a)/c) gives OCR = (1 + age/τ_ref)^(c/(b−a));
    the creep rate at the start is then c/(τ_ref + age)."""
    from subsidence.shallow.column.compression import TAU_REF

    for k in exclusive:
        if t.has(k):
            raise t.error(k, "give either initial_age or ocr/pop (both set the initial over-consolidation)")
    if not isinstance(comp, Isotache) or comp.c <= 0:
        raise t.error("initial_age", "needs an isotache compression law with c > 0")
    age = t.number("initial_age", unit="s", bare="yr", ge=0)
    return float((1.0 + age / TAU_REF) ** (comp.c / (comp.b - comp.a)))


def _parcel(t: Table, layers) -> Parcel:
    total = sum(L.thickness for L in layers)
    depth = t.number("ditch_depth", unit="m", gt=0)
    if depth >= total:
        raise t.error("ditch_depth", f"must be less than the total soil thickness {total:g} m")
    aq = t.number("aquifer_head", None, unit="m")
    if aq is not None and not t.has("aquitard_resistance"):
        raise t.error("aquitard_resistance", "required with aquifer_head (the resistance between parcel and aquifer)")
    c = t.number("aquitard_resistance", math.inf, **RES_UNIT, gt=0)
    et = t.array("et_depths", [0.5, 2.0], unit="m", length=2, increasing=True, ge=0)
    p = Parcel(layers=layers, spacing=t.number("spacing", unit="m", gt=0), ditch_depth=depth,
               entry_resistance=t.number("entry_resistance", 1.0 * 86400, **RES_UNIT, gt=0), aquifer_head=aq,
               aquitard_resistance=c, crop_factor=t.number("crop_factor", 1.0, ge=0),
               et_depths=(float(et[0]), float(et[1])), et_min_factor=t.number("et_min_factor", 0.2, ge=0, le=1),
               runoff_resistance=t.number("runoff_resistance", 1.0 * 86400, **RES_UNIT, gt=0),
               root_zone=_root_zone(t.table("root_zone", None)), drains=_drains(t.table("drains", None)))
    t.finish()
    return p


def _drains(t: Table | None):
    if t is None:
        return None
    from subsidence.shallow.groundwater.parcel import Drains

    try:
        d = Drains(depth=t.number("depth", unit="m", gt=0), resistance=t.number("resistance", **RES_UNIT, gt=0),
                   kind=t.string("kind", "tile", choices=("tile", "submerged")))
    except ValueError as exc:
        raise t.error(None, str(exc)) from None
    t.finish()
    return d


def _root_zone(t: Table | None) -> RootZone | None:
    if t is None:
        return None
    try:
        rz = RootZone(depth=t.number("depth", unit="m", gt=0), available_water=t.number("available_water", gt=0, le=1),
                      depletion_fraction=t.number("depletion_fraction", 0.5, ge=0, lt=1),
                      capillary_max=t.number("capillary_max", 0.0, unit="m/s", bare="mm/day", ge=0),
                      capillary_decay=t.number("capillary_decay", 0.5, unit="m", gt=0),
                      shrinkage_fraction=t.number("shrinkage_fraction", 0.0, ge=0, le=1),
                      geometry_factor=t.number("geometry_factor", 3.0, ge=1),
                      ripening_fraction=t.number("ripening_fraction", 0.0, ge=0, le=1),
                      ripened_to=t.number("ripened_to", 0.0, ge=0, le=1))
    except ValueError as exc:
        raise t.error(None, str(exc)) from None
    t.finish()
    return rz


def _groundwater(t: Table | None) -> GroundwaterSpec:
    if t is None:
        return GroundwaterSpec()
    g = GroundwaterSpec(model=t.string("model", "lumped", choices=("fe", "lumped")),
                        resistances=t.string("lumped_resistances", "cross_section", choices=("cross_section", "ernst")),
                        drainage_resistance=t.number("drainage_resistance", None, **RES_UNIT, gt=0),
                        nx=t.number("nx", 24, integer=True, ge=4), dz=t.number("dz", 0.5, unit="m", gt=0),
                        reference_level=t.number("reference_level", None, unit="m"),
                        level=t.string("level", "mean", choices=("mean", "mid")))
    if g.model == "fe" or (g.resistances == "cross_section" and g.drainage_resistance is None):
        from subsidence.parallel import fem_missing

        why = fem_missing()  # the FE cross-section needs dolfinx
        if why:
            key = "model" if g.model == "fe" else "lumped_resistances"
            raise t.error(key, f"the FE cross-section is not available in this installation ({why}); "
                               'use lumped_resistances = "ernst" or give drainage_resistance')
    t.finish()
    return g


def _management(t: Table, parcel: Parcel, parcels: dict | None = None, case=None) -> ManagementSpec:
    """``[water_management]``; ``parcels``: the parcel of every soil profile (name → Parcel; one
    unnamed without profiles), whose ditches the levels must fit."""
    parcels = parcels or {"": parcel}
    nap = None
    if t.has("initial_level_nap"):
        if t.has("initial_level"):
            raise t.error("initial_level_nap", "give either initial_level (m below the surface, every point) or "
                                               "initial_level_nap (m NAP, converted with [surface] raster), not both")
        raw = t.raw("initial_level_nap")
        if isinstance(raw, dict):
            nt = t.table("initial_level_nap")
            nap = {k: nt.number(k, unit="m") for k in raw}
            nt.finish()
        else:
            nap = t.number("initial_level_nap", unit="m")
        init = parcel.surface  # replaced per point once the surface levels are known
    else:
        init = t.number("initial_level", unit="m")
        for pname, pc in parcels.items():  # every profile's ditch, not only the first
            if not (pc.ditch_bottom < init <= pc.surface):
                of = f" of soil profile {pname!r}" if pname else ""
                raise t.error("initial_level", f"must lie between the ditch bottom{of} ({pc.ditch_bottom:g} m) and the "
                                               "surface (0)")
    rule_name = t.string("rule", "fraction", choices=("none", "fraction", "series"))
    if rule_name == "none":
        rule = NoManagement()
    elif rule_name == "fraction":
        rule = FractionRule(fraction=t.number("fraction", 1.0, ge=0),
                            interval=t.number("interval", 0.0, unit="s", bare="yr", ge=0),
                            threshold=t.number("threshold", 0.0, unit="m", ge=0))
    else:
        s = t.table("series")
        times = s.array("time", unit="s", bare="yr", increasing=True, min_length=1)
        ch = s.array("change", unit="m", length=times.size)
        s.finish()
        rule = PrescribedLevels(times=times, changes=ch)
    ref = t.string("reference", "mean", choices=("mean", "max", "min", "own", "point"))
    rp = None
    if ref == "point":
        v = t.array("reference_point", unit="m", length=2)
        rp = (float(v[0]), float(v[1]))
    basis = t.string("basis", "deep", choices=("deep", "total"))
    if basis == "total" and ref == "point":
        raise t.error("basis", 'a rule on the total subsidence needs the parcels\' own subsidence (reference "own", "mean", '
                               '"max" or "min"): the shallow part is not known at a reference point')
    summer = t.number("summer_offset", 0.0, unit="m")
    if nap is None:  # the levels the settings give before any subsidence: inside every ditch
        levels = [("summer_offset", "the summer level initial_level + summer_offset", init + summer)]
        if isinstance(rule, PrescribedLevels):
            for k, c in enumerate(rule.changes):
                levels.append(("series.change", f"initial_level + series change {k + 1} ({c:+g} m)", init + c))
                if summer:
                    levels.append(("series.change", f"initial_level + series change {k + 1} + summer_offset",
                                   init + c + summer))
        for key, what, lev in levels:
            for pname, pc in parcels.items():
                of = f" of soil profile {pname!r}" if pname else ""
                outside = f"{what} = {lev:+.3g} m lies {{}} the ditch{of} (bottom {pc.ditch_bottom:g} m, surface 0)"
                if lev > pc.surface:  # subsidence only raises a level against the sinking surface: never right
                    raise t.error(key, outside.format("above") + ": a ditch cannot hold water above the surface")
                if lev < pc.ditch_bottom:
                    if key == "summer_offset":
                        raise t.error(key, outside.format("below") + ": a ditch cannot hold water below its bottom")
                    # a series lowering the level is measured from the original surface; the deep subsidence
                    # lowers the ditch bottom with the surface, so only what it does not cover is wrong
                    if case is not None:
                        case.warn(f"[{t.key(key)}] " + outside.format("below") + ": right only if the deep subsidence "
                                  "lowers the ditch bottom by at least the difference by then")
    m = ManagementSpec(initial_level=init, rule=rule, reference=ref, reference_point=rp,
                       summer_offset=summer,
                       aquifer_follows=t.number("aquifer_follows", 1.0, ge=0, le=1), basis=basis,
                       initial_level_nap=nap)
    t.finish()
    return m


def _surface_levels(root: Table, case, mgmt: ManagementSpec, names, px, py, areas, point_profiles, profiles, parcel):
    """The surface level at the points from ``[surface] raster`` (an AHN-style GeoTIFF, m NAP), and
    with ``initial_level_nap`` the initial ditch level of each point in the land frame: the level
    in m NAP (one, or per water-level area) minus the surface level, checked against the ditch
    bottom of the point's parcel."""
    st = root.table("surface", None)
    nap = mgmt.initial_level_nap
    own = _point_levels_nap(root, names)  # a points file's initial_level_nap column (per point, m NAP)
    if own is not None and nap is None:
        raise root.error("water_management", "the points file gives initial_level_nap per point: give "
                                             "initial_level_nap (m NAP, for the points without one) instead of initial_level")
    if st is None:
        if nap is not None:
            raise root.error("water_management", "initial_level_nap (m NAP) needs the surface level: [surface] raster = "
                                                 "\"ahn.tif\"")
        return None, None
    from subsidence.shallow.raster import RasterError, sample_raster

    path = st.path_("raster")
    band = st.number("band", 1, integer=True, ge=1)
    try:
        surface = sample_raster(path, px, py, names=names, crs=case.crs or "EPSG:28992", band=int(band), key="surface.raster")
    except RasterError as exc:
        raise st.error("raster", str(exc)) from None
    st.finish()
    if nap is None:
        return surface, None
    mt = root.table("water_management")
    if isinstance(nap, dict):
        missing = sorted(set(areas) - set(nap))
        if missing:
            raise mt.error("initial_level_nap", f"no level for the water-level area(s) {missing} (has {sorted(nap)})")
        level = np.array([nap[a] for a in areas]) - surface
    else:
        level = nap - surface
    if own is not None:  # the points' own levels take precedence over their area's
        level = np.where(np.isfinite(own), own - surface, level)
    for i, n in enumerate(names):
        pc = parcel if profiles is None else profiles[point_profiles[i]][0]
        if not (pc.ditch_bottom < level[i] <= pc.surface):
            raise mt.error("initial_level_nap", f"point {n}: the level {level[i] + surface[i]:.3f} m NAP is "
                                                f"{level[i]:.3f} m from the surface ({surface[i]:.3f} m NAP in {path.name}), "
                                                f"not between the ditch bottom ({pc.ditch_bottom:g} m) and the surface")
    mgmt.initial_level = float(level[0])
    return surface, level


def _point_levels_nap(root: Table, names):
    """The ``initial_level_nap`` column of ``[points] file`` by point name (NaN where empty), or None."""
    pt = root.table("points", None)
    if pt is None or not pt.has("file"):
        return None
    path = pt.path_("file")
    col = read_point_column(path, "initial_level_nap")
    if col is None:
        return None
    all_names = read_points(path)[0]
    by_name = {}
    for n, v in zip(all_names, col):
        try:
            by_name[str(n)] = float(v) if v not in ("", "nan", "NaN") else math.nan
        except ValueError:
            raise pt.error("file", f"{path}: initial_level_nap of point {n} is not a number: {v!r}") from None
    return np.array([by_name.get(str(n), math.nan) for n in names])


def _check_series_points(root: Table, deep: SeriesDeep, names, mgmt):
    """Every point (and a reference point) has a column of the deep series, or there is ``uz``."""
    from subsidence.config.errors import CaseError

    key = root.table("deep").key("file")
    miss = deep.missing(names)
    if miss:
        raise CaseError(root.file, key, f"{deep.file}: no 'uz' column (for every point) and no column for point(s) "
                                        f"{miss[:10]}{' ...' if len(miss) > 10 else ''} ({len(miss)} of {len(names)}; "
                                        f"columns: {list(deep.columns)[:10]})")
    if mgmt.reference == "point" and "uz" not in deep.columns:
        raise CaseError(root.file, key, f"{deep.file}: water_management.reference = \"point\" needs a 'uz' column "
                                        f"(the deep subsidence at the reference point)")


def _deep(t: Table, case, end_s: float):
    src = t.string("source", choices=("none", "series", "case"))
    if src == "none":
        d = NoDeep()
    elif src == "series":
        path = t.path_("file")
        try:
            d = SeriesDeep.read(path, start_date=case.start_date)
        except (ValueError, KeyError) as exc:
            raise t.error("file", str(exc)) from None
        why = d.span_error(end_s, case.start_date)
        if why:
            raise t.error("file", f"{path}: {why}")
    else:
        from subsidence.config.case import load_case

        path = t.path_("case")
        deep_case = load_case(path)
        if deep_case.kind != "deep":
            raise t.error("case", f"{path} has kind {deep_case.kind!r}, expected 'deep'")
        if deep_case.crs and case.crs and deep_case.crs != case.crs:
            raise t.error("case", f"CRS {deep_case.crs} differs from this case's {case.crs}")
        if getattr(deep_case.config.model, "method", "analytic") != "analytic":
            raise t.error("case", "the deep case must use method = 'analytic' (or give a time series)")
        off = 0.0
        if deep_case.start_date is not None:
            off = (case.start_date - deep_case.start_date).days * 86400.0
        d = CaseDeep(case=deep_case, offset_s=off)
    t.finish()
    return d


def _points(t: Table, profiles=None):
    """Names, x, y, water-level areas and (with soil profiles) the profile of every point: a
    ``profile`` column of the points file, a ``profile`` array of inline points, or a CSV
    ``profile_file`` (columns ``name, profile``; points it does not list take ``profile``, a
    name, default the first profile)."""
    prof = None
    all_names = None
    if t.has("file"):
        path = t.path_("file")
        try:
            names, x, y, areas = read_points(path)
            prof = read_point_column(path, "profile")
        except (ValueError, KeyError) as exc:
            raise t.error("file", str(exc)) from None
        all_names = list(names)
        if prof is not None and profiles is not None:
            blank = [i for i, p in enumerate(prof) if p == ""]
            if blank:
                raise t.error("file", f"{path}: column 'profile': the profile of point {names[blank[0]]!r} is empty "
                                      f"(data row {blank[0] + 1})")
        every = t.number("every", 1, integer=True, ge=1)
        mx = t.number("max", len(names), integer=True, ge=1)
        sel = np.arange(0, len(names), every)[:mx]
        names, x, y, areas = [names[i] for i in sel], x[sel], y[sel], [areas[i] for i in sel]
        prof = None if prof is None else [prof[i] for i in sel]
    else:
        x = t.array("x", unit="m", min_length=1)
        y = t.array("y", unit="m", length=x.size)
        names = t.strings("name", [f"p{i}" for i in range(x.size)])
        if len(names) != x.size:
            raise t.error("name", f"expected {x.size} names")
        areas = t.strings("area", ["area"] * x.size)
        if len(areas) != x.size:
            raise t.error("area", f"expected {x.size} water-level area labels")
        if t.has("profile") and isinstance(t.data.get("profile"), list):
            prof = t.strings("profile")
            if len(prof) != x.size:
                raise t.error("profile", f"expected {x.size} profile names")
    point_profiles = None
    if profiles is None:
        for k in ("profile", "profile_file"):
            if t.has(k):
                raise t.error(k, "points choose a soil profile only when the case has [[soil.profiles]]")
    else:
        default = next(iter(profiles))
        if prof is None:
            default = t.string("profile", default) if t.has("profile") else default
            prof = [default] * len(names)
        if t.has("profile_file"):
            pf = t.path_("profile_file")
            mapping = _read_profile_file(t, pf, all_names if all_names is not None else names)
            prof = [mapping.get(str(n), p) for n, p in zip(names, prof)]
        unknown = sorted({p for p in prof if p not in profiles})
        if unknown:
            key = "profile_file" if t.has("profile_file") else ("file" if t.has("file") else "profile")
            raise t.error(key, f"unknown soil profile(s) {unknown}: the case has {list(profiles)}")
        point_profiles = [str(p) for p in prof]
    t.finish()
    return names, x, y, areas, point_profiles


def _read_profile_file(t: Table, pf: Path, names) -> dict:
    """``[points] profile_file``: point id -> profile name, ids and names as text exactly as
    written. An empty id or profile, an id listed twice, or a file that matches none of the
    points is a CaseError naming the file and line."""
    try:
        header, rows = _csv_table(pf, "profile_file")
    except ValueError as exc:
        raise t.error("profile_file", f"{exc} (expected a CSV with columns name, profile)") from None
    if not {"name", "profile"} <= set(header):
        raise t.error("profile_file", f"{pf}: needs columns name, profile (header: {', '.join(header)})")
    kn, kp = header.index("name"), header.index("profile")
    mapping, line_of = {}, {}
    for line, cells in rows:
        n, p = cells[kn], cells[kp]
        if n == "":
            raise t.error("profile_file", f"{pf}: column 'name', line {line}: the point id is empty")
        if p == "":
            raise t.error("profile_file", f"{pf}: column 'profile', line {line} (point {n!r}): the profile is empty")
        if n in mapping:
            raise t.error("profile_file", f"{pf}: column 'name', line {line}: point {n!r} is listed twice "
                                          f"(also line {line_of[n]})")
        mapping[n], line_of[n] = p, line
    known = set(map(str, names))
    if not rows or not (set(mapping) & known):
        raise t.error("profile_file", f"{pf}: none of its {len(mapping)} point id(s) is a point of the case "
                                      f"(e.g. {sorted(mapping)[:3]} against {sorted(known)[:3]})")
    unknown = sorted(set(mapping) - known)
    if unknown:
        import logging

        logging.getLogger(__name__).warning("%s: %d point id(s) of the profile_file are not points of the case: %s",
                                            pf, len(unknown), unknown[:10])
    return mapping


def _copy_table(hit):
    header, rows = hit
    return list(header), [(line, list(cells)) for line, cells in rows]


@file_cached(_copy_table)  # an ensemble builds its case per member: the parcel tables are parsed once
def _csv_table(path: Path, what: str, comment: str | None = None):
    """Header (names stripped) and rows ``[(line, cells)]`` (cells stripped, as text exactly as
    written) of a CSV; empty lines (and ``comment`` lines) are skipped. Raises ValueError naming
    the file (and the line)."""
    import csv

    header, rows = None, []
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f)
            for cells in reader:
                line = reader.line_num
                if not cells or (comment and cells[0].lstrip().startswith(comment)):
                    continue
                cells = [c.strip() for c in cells]
                if header is None:
                    header = cells
                    dup = sorted({c for c in header if header.count(c) > 1})
                    if dup:
                        raise ValueError(f"{path}: line {line}: column(s) {dup} appear more than once in the header")
                    continue
                while len(cells) > len(header) and cells[-1] == "":
                    cells.pop()  # trailing commas
                if len(cells) != len(header):
                    raise ValueError(f"{path}: line {line} has {len(cells)} fields, the header has {len(header)} "
                                     f"({', '.join(header)})")
                rows.append((line, cells))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ValueError(f"{path}: cannot read the {what}: {exc}") from None
    if header is None:
        raise ValueError(f"{path}: the {what} is empty (expected a header line and one row per entry)")
    return header, rows


def _points_table(path: Path):
    """The points file: header, rows, and the index of the id column (``name``, or the first
    column of a parcel file with a WKT ``geometry`` column)."""
    header, rows = _csv_table(path, "points file")
    if {"name", "x", "y"} <= set(header):
        idcol = header.index("name")
    elif "geometry" in header:
        idcol = 0
    else:
        raise ValueError(f"{path}: needs name,x,y columns or a WKT geometry column (header: {', '.join(header)})")
    if not rows:
        raise ValueError(f"{path}: the points file has a header but no points")
    return header, rows, idcol


def read_point_column(path: Path, column: str):
    """One optional column of a points CSV as strings, exactly as written (None when absent)."""
    header, rows, _ = _points_table(path)
    if column not in header:
        return None
    k = header.index(column)
    return [cells[k] for _, cells in rows]


def read_points(path: Path):
    """Points from a CSV: ``name,x,y`` columns, or an InSAR parcel file whose first column is
    the id and whose ``geometry`` column holds WKT ``POINT (x y)``; an optional ``area`` column
    names the water-level area of each point. Returns names, x, y, areas. The ids are text
    exactly as written (``007`` stays ``007``); an empty, or repeated, id, an empty area and a
    missing or non-finite coordinate are errors (ValueError naming the file, column and line)."""
    import re

    from subsidence.shallow.deep import _number

    header, rows, idcol = _points_table(path)
    idname = header[idcol] or "(first column)"
    names, areas, xs, ys = [], [], [], []
    seen = {}
    ka = header.index("area") if "area" in header else None

    def number(v, col, line, n):
        return _number(path, col, line, v, point=n)

    for line, cells in rows:
        n = cells[idcol]
        if n == "":
            raise ValueError(f"{path}: column {idname!r}, line {line}: the point id is empty")
        if n in seen:
            raise ValueError(f"{path}: column {idname!r}, line {line}: point id {n!r} repeats line {seen[n]} "
                             f"(ids must be unique)")
        seen[n] = line
        if ka is not None and cells[ka] == "":
            raise ValueError(f"{path}: column 'area', line {line} (point {n!r}): the water-level area is empty")
        if {"name", "x", "y"} <= set(header):
            x = number(cells[header.index("x")], "x", line, n)
            y = number(cells[header.index("y")], "y", line, n)
        else:
            g = cells[header.index("geometry")]
            m = re.match(r"\s*POINT\s*\(\s*(\S+)\s+([^\s)]+)", g)
            if not m:
                raise ValueError(f"{path}: column 'geometry', line {line} (point {n!r}): {g!r} is not a WKT POINT")
            x = number(m.group(1), "geometry", line, n)
            y = number(m.group(2), "geometry", line, n)
        names.append(n)
        xs.append(x)
        ys.append(y)
        areas.append(cells[ka] if ka is not None else "area")
    return names, np.array(xs), np.array(ys), areas


__all__ = ["ChainConfig", "parse", "read_points"]
