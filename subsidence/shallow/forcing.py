"""Daily weather forcing (KNMI files) and the yearly lowest/highest groundwater levels.

Readers return a :class:`DailySeries` (dates, values in SI: m/s for rates). Supported:

- KNMI precipitation-station files (``neerslaggeg_*.csv``): ``STN,YYYYMMDD,RD,SX`` with
  ``RD`` in 0.1 mm/day;
- KNMI daily station data (``etmgeg_*.txt``/csv, the "daggegevens" export): header line
  starting with ``# STN,YYYYMMDD`` or ``STN,YYYYMMDD``; ``RH`` precipitation and ``EV24``
  Makkink evaporation in 0.1 mm/day (-1 means < 0.05 mm);
- simple daily evaporation files ``STN,MMDDYY,EVAP`` (mm/day; dates ``MM/DD/YY`` or
  ``MM/DD/YYYY``), as in the Nieuw Beerta file shipped with the Nieuwolda data;
- monthly totals per station (mm/month), one row per station ``name,ID,lon,lat,M_MMYYYY,...``
  (:func:`read_monthly_totals`): each month's total spread evenly over its days, to extend a
  daily series (:func:`extend_series`) past its end, e.g. KNMI Makkink evaporation.

Missing days are an error unless ``fill`` is given (``"zero"`` or ``"interpolate"``). Also refused, with
the file (and line): more than one ``STN,`` header (downloads pasted together), no data rows, invalid
dates, duplicate dates, negative values (other than KNMI's -1) and implausible daily totals
(:data:`MAX_PRECIPITATION_MM`, :data:`MAX_EVAPORATION_MM`). A UTF-8 byte-order mark is allowed.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from pathlib import Path

import numpy as np

from subsidence.io.filecache import file_cached

MM_PER_DAY = 1e-3 / 86400.0  # m/s per mm/day


@dataclasses.dataclass
class DailySeries:
    dates: np.ndarray  # datetime64[D], consecutive days
    values: np.ndarray  # SI
    name: str = ""

    def window(self, start: _dt.date | np.datetime64, end: _dt.date | np.datetime64) -> np.ndarray:
        """Values for the days start <= day < end; an error if the series does not cover them."""
        s, e = np.datetime64(start, "D"), np.datetime64(end, "D")
        one = np.timedelta64(1, "D")
        if s < self.dates[0] or e > self.dates[-1] + one:
            raise ValueError(f"{self.name or 'series'} covers {self.dates[0]} to {self.dates[-1]}, not {s} to {e - one}")
        i = int((s - self.dates[0]).astype(int))
        return self.values[i:i + int((e - s).astype(int))]


class ForcingError(ValueError):
    pass


class StationError(ForcingError):
    """The station asked for is not (once) in the file."""


#: plausible bounds of a daily total (mm/day): the Dutch precipitation record is about 200 mm in a day
MAX_PRECIPITATION_MM = 300.0
MAX_EVAPORATION_MM = 15.0
#: plausible seasonal soil temperature (degC): mean and amplitude of the cosine
TEMPERATURE_MEAN_RANGE = (-20.0, 40.0)
TEMPERATURE_AMPLITUDE_RANGE = (0.0, 30.0)


def _regular(dates, values, name, fill, *, where=None, stations=None):
    """A consecutive daily series from (unsorted) dates and values; ``where`` (the file) names
    the file in errors, ``stations`` (the STN column) explains duplicate dates."""
    where = where or name
    if len(dates) == 0:
        raise ForcingError(f"{where}: no data rows (only a header?)")
    order = np.argsort(dates, kind="stable")
    dates, values = dates[order], values[order]
    dup = np.flatnonzero(np.diff(dates).astype(int) == 0)
    if dup.size:
        msg = f"{where}: duplicate dates ({dup.size}), first {dates[dup[0]]}"
        stns = sorted({s for s in (stations or ()) if s})
        if len(stns) > 1:
            shown = ", ".join(stns[:5]) + (", ..." if len(stns) > 5 else "")
            msg += (f"; the file holds several stations (STN values {shown}): one station per file is needed "
                    "(download or cut out a single station)")
        raise ForcingError(msg)
    full = np.arange(dates[0], dates[-1] + np.timedelta64(1, "D"), dtype="datetime64[D]")
    out = np.full(full.size, np.nan)
    out[(dates - dates[0]).astype(int)] = values
    missing = ~np.isfinite(out)
    if missing.any():
        if fill is None:
            raise ForcingError(f"{where}: {int(missing.sum())} missing day(s), first {full[missing][0]} "
                               '(set [forcing] fill = "zero" or "interpolate" to fill them)')
        if fill == "zero":
            out[missing] = 0.0
        else:
            ok = ~missing
            out[missing] = np.interp(full[missing].astype(float), full[ok].astype(float), out[ok])
    return DailySeries(full, out, name)


def _read_rows(path: Path):
    """Header (upper case) and data rows of a KNMI-style file, with the rows' line numbers (1-based).
    Exactly one header line (``STN,...`` or ``# STN,...``) is allowed."""
    import csv

    lines = path.read_text(encoding="utf-8-sig", errors="replace").splitlines()
    headers = [i for i, ln in enumerate(lines) if ln.lstrip("# \ufeff").upper().startswith("STN,")]
    if not headers:
        raise ForcingError(f"{path}: no header line starting with STN")
    if len(headers) > 1:
        shown = ", ".join(str(i + 1) for i in headers[:5]) + (", ..." if len(headers) > 5 else "")
        raise ForcingError(f"{path}: {len(headers)} header lines starting with STN (lines {shown}): several "
                           "downloads pasted together? Keep one header and one record per file")
    header_i = headers[0]
    header = [h.strip().upper() for h in lines[header_i].lstrip("# \ufeff").split(",")]
    kept = [(i + 1, ln) for i, ln in enumerate(lines[header_i + 1:], start=header_i + 1)
            if ln.strip() and not ln.lstrip().startswith("#")]
    rows = list(csv.reader(ln for _, ln in kept))
    return header, rows, [n for n, _ in kept]


def _col(header, rows, name, path):
    if name not in header:
        raise ForcingError(f"{path}: no column {name} (columns: {', '.join(header)})")
    j = header.index(name)
    return [r[j].strip() if j < len(r) else "" for r in rows]


def _num(s):
    try:
        return float(s)
    except ValueError:
        return np.nan


def _dates_yyyymmdd(texts, lines, path) -> np.ndarray:
    out = []
    for s, n in zip(texts, lines):
        d = None
        if len(s) == 8 and s.isdigit():
            try:
                d = _dt.date(int(s[:4]), int(s[4:6]), int(s[6:]))
            except ValueError:
                d = None
        if d is None:
            raise ForcingError(f"{path}, line {n}: {s!r} is not a date YYYYMMDD (e.g. 20150601)")
        out.append(d)
    return np.array(out, dtype="datetime64[D]")


def _dates_mmddyy(texts, lines, path) -> np.ndarray:
    out = []
    for s, n in zip(texts, lines):
        parts = s.split("/")
        d, hint = None, ""
        if len(parts) == 3 and all(p.isdigit() for p in parts) and len(parts[2]) in (2, 4):
            m, dd, y = (int(p) for p in parts)
            y = y + 2000 if y < 70 and len(parts[2]) == 2 else (y + 1900 if len(parts[2]) == 2 else y)
            try:
                d = _dt.date(y, m, dd)
            except ValueError:
                if m > 12 and dd <= 12:
                    hint = " (day first? the column MMDDYY is month first)"
        if d is None:
            raise ForcingError(f"{path}, line {n}: {s!r} is not a date MM/DD/YY or MM/DD/YYYY{hint}")
        out.append(d)
    return np.array(out, dtype="datetime64[D]")


def _check_range(path, col, dates, lines, raw, mm, quantity, limit):
    """Refuse negative and implausibly large daily totals (``mm``: mm/day, NaN = missing)."""
    bad = np.flatnonzero(np.isfinite(mm) & ((mm < 0) | (mm > limit)))
    if not bad.size:
        return
    i = int(bad[0])
    what = (f"{path}, line {lines[i]}: column {col} on {dates[i]}: {raw[i]:g} ({mm[i]:g} mm/day) "
            f"{'more than' if mm[i] > limit else 'below'} ")
    if mm[i] > limit:
        raise ForcingError(what + f"{limit:g} mm/day is not a plausible daily {quantity}: a unit error "
                           f"(tenths or hundredths of mm?) or a missing-value code? ({bad.size} such value(s))")
    note = " (KNMI writes -1 only for RH/RD < 0.05 mm, read as 0.025 mm)" if quantity == "precipitation" else ""
    raise ForcingError(what + f"zero: a negative daily {quantity} is impossible{note}: a wrong sign, unit or "
                       f"missing-value code? ({bad.size} such value(s))")


def _stations(header, rows):
    if "STN" not in header:
        return None
    j = header.index("STN")
    return [r[j].strip() if j < len(r) else "" for r in rows]


def _copy_series(hit):
    return dataclasses.replace(hit, dates=hit.dates.copy(), values=hit.values.copy())


# an ensemble builds its case once per member: 30 years of KNMI days are parsed once per process
_cached = file_cached(_copy_series)


@_cached
def read_precipitation(path: str | Path, *, fill: str | None = None) -> DailySeries:
    """Daily precipitation (m/s) from a KNMI precipitation-station or daily-data file.
    Refused: more than one header, no data rows, bad dates, negative values (other than KNMI's -1
    for < 0.05 mm) and daily totals above :data:`MAX_PRECIPITATION_MM`."""
    path = Path(path)
    header, rows, lines = _read_rows(path)
    dates = _dates_yyyymmdd(_col(header, rows, "YYYYMMDD", path), lines, path)
    col = "RD" if "RD" in header else "RH"
    raw = np.array([_num(s) for s in _col(header, rows, col, path)])
    v = np.where(raw == -1, 0.25, raw)  # KNMI: -1 means less than 0.05 mm
    _check_range(path, col, dates, lines, raw, v * 0.1, "precipitation", MAX_PRECIPITATION_MM)
    return _regular(dates, v * 0.1 * MM_PER_DAY, f"precipitation {path.name}", fill, where=path,
                    stations=_stations(header, rows))


@_cached
def read_evaporation(path: str | Path, *, fill: str | None = None) -> DailySeries:
    """Daily Makkink reference evaporation (m/s): KNMI daily data (EV24, 0.1 mm) or
    ``STN,MMDDYY,EVAP`` (mm/day). Refused as for precipitation (the bound
    :data:`MAX_EVAPORATION_MM`)."""
    path = Path(path)
    header, rows, lines = _read_rows(path)
    if "EV24" in header:
        col = "EV24"
        dates = _dates_yyyymmdd(_col(header, rows, "YYYYMMDD", path), lines, path)
        raw = np.array([_num(s) for s in _col(header, rows, col, path)])
        v = raw * 0.1
    else:
        col = "EVAP"
        dates = _dates_mmddyy(_col(header, rows, "MMDDYY", path), lines, path)
        raw = np.array([_num(s) for s in _col(header, rows, col, path)])
        v = raw
    _check_range(path, col, dates, lines, raw, v, "evaporation", MAX_EVAPORATION_MM)
    return _regular(dates, v * MM_PER_DAY, f"evaporation {path.name}", fill, where=path,
                    stations=_stations(header, rows))


@_cached
def read_monthly_totals(path: str | Path, station: str | int, *, quantity: str = "evaporation") -> DailySeries:
    """Monthly totals (mm/month) of one station as a daily series (m/s): each month's total spread
    evenly over its days. The file has one row per station, ``name,ID,lon,lat`` and one column per
    month ``M_MMYYYY`` (case-insensitive); ``station`` is matched against ``ID`` or ``name``. Empty
    months before the first and after the last value are left out; an empty month between them is
    an error, as is a calendar year that repeats the previous year's twelve totals exactly (a copy
    in the source, as in Eelde's 2019 in the KNMI file shipped with the Nieuwolda data)."""
    import csv
    import re

    path = Path(path)
    rows = list(csv.reader(path.read_text(encoding="utf-8-sig", errors="replace").splitlines()))
    if not rows:
        raise ForcingError(f"{path}: empty file")
    header = [h.strip() for h in rows[0]]
    low = [h.lower() for h in header]
    months = [(j, int(m.group(2)), int(m.group(1))) for j, h in enumerate(header)
              if (m := re.fullmatch(r"[Mm]_(\d{2})(\d{4})", h))]
    if "id" not in low or not months:
        raise ForcingError(f"{path}: not a file of monthly totals (expected a header name,ID,... and columns M_MMYYYY)")
    j_id, j_name = low.index("id"), (low.index("name") if "name" in low else None)
    key = str(station).strip().lower()
    match = [r for r in rows[1:] if r and (r[j_id].strip().lower() == key
                                            or (j_name is not None and r[j_name].strip().lower() == key))]
    if len(match) != 1:
        names = ", ".join(f"{r[j_name].strip() if j_name is not None else ''} ({r[j_id].strip()})" for r in rows[1:] if r)
        raise StationError(f"{path}: {'no' if not match else 'more than one'} station {station!r} (stations: {names})")
    row = match[0]
    months.sort(key=lambda x: (x[1], x[2]))
    vals = [(y, mo, _num(row[j]) if j < len(row) and row[j].strip() else np.nan) for j, y, mo in months]
    ok = [i for i, v in enumerate(vals) if np.isfinite(v[2])]
    if not ok:
        raise ForcingError(f"{path}: station {station!r} has no values")
    vals = vals[ok[0]:ok[-1] + 1]
    for (y, mo, v), (y0, mo0, _) in zip(vals[1:], vals[:-1]):
        if (y * 12 + mo) - (y0 * 12 + mo0) != 1:
            raise ForcingError(f"{path}: no column for the month after {mo0:02d}-{y0}")
    gaps = [f"{mo:02d}-{y}" for y, mo, v in vals if not np.isfinite(v)]
    if gaps:
        raise ForcingError(f"{path}: station {station!r} has no value for {gaps[0]} (within its record)")
    by_year: dict[int, list] = {}
    for y, mo, v in vals:
        by_year.setdefault(y, []).append((mo, v))
    for y in sorted(by_year):
        if len(by_year[y]) == 12 and len(by_year.get(y - 1, [])) == 12 and by_year[y] == by_year[y - 1]:
            raise ForcingError(f"{path}: station {station!r}: the twelve totals of {y} repeat those of {y - 1} exactly "
                               "(a copy in the source, not a measurement); use another station")
    dates, values = [], []
    for y, mo, v in vals:
        first = np.datetime64(f"{y:04d}-{mo:02d}", "M")
        days = np.arange(first.astype("datetime64[D]"), (first + np.timedelta64(1, "M")).astype("datetime64[D]"), dtype="datetime64[D]")
        dates.append(days)
        values.append(np.full(days.size, v / days.size * MM_PER_DAY))
    return DailySeries(np.concatenate(dates), np.concatenate(values), f"{quantity} monthly totals {path.name} ({station})")


def extend_series(primary: DailySeries, secondary: DailySeries) -> DailySeries:
    """``primary`` where it has days, ``secondary`` before and after it (e.g. monthly totals past the
    end of a daily record). An error if the two leave a gap between them."""
    one = np.timedelta64(1, "D")
    lo, hi = min(primary.dates[0], secondary.dates[0]), max(primary.dates[-1], secondary.dates[-1])
    if secondary.dates[0] > primary.dates[-1] + one or secondary.dates[-1] < primary.dates[0] - one:
        raise ForcingError(f"{secondary.name} ({secondary.dates[0]} to {secondary.dates[-1]}) leaves a gap to "
                           f"{primary.name} ({primary.dates[0]} to {primary.dates[-1]})")
    full = np.arange(lo, hi + one, dtype="datetime64[D]")
    out = np.full(full.size, np.nan)
    out[(secondary.dates - lo).astype(int)] = secondary.values
    out[(primary.dates - lo).astype(int)] = primary.values
    return DailySeries(full, out, f"{primary.name} + {secondary.name}")


@_cached
def read_temperature(path: str | Path, *, fill: str | None = None) -> DailySeries:
    """Daily mean air temperature (degC) from KNMI daily station data (``TG``, 0.1 degC; the
    "daggegevens" export, header ``STN,YYYYMMDD,...,TG,...``)."""
    path = Path(path)
    header, rows, lines = _read_rows(path)
    dates = _dates_yyyymmdd(_col(header, rows, "YYYYMMDD", path), lines, path)
    v = np.array([_num(s) for s in _col(header, rows, "TG", path)]) * 0.1
    return _regular(dates, v, f"temperature {path.name}", fill, where=path, stations=_stations(header, rows))


def check_temperature_cosine(mean: float, amplitude: float) -> None:
    """Refuse a seasonal soil temperature outside the plausible ranges (degC): a mean in kelvin
    (283.15) would multiply the oxidation rate many times over."""
    lo, hi = TEMPERATURE_MEAN_RANGE
    if not lo <= mean <= hi:
        raise ForcingError(f"temperature mean {mean:g} is not a plausible soil temperature in degrees Celsius "
                           f"({lo:g} to {hi:g}){' (kelvin? subtract 273.15)' if mean > 200 else ''}")
    lo, hi = TEMPERATURE_AMPLITUDE_RANGE
    if not lo <= amplitude <= hi:
        raise ForcingError(f"temperature amplitude {amplitude:g} is not a plausible seasonal amplitude in degrees "
                           f"Celsius ({lo:g} to {hi:g}; a difference, the same in kelvin)")


def soil_temperature(dates: np.ndarray, *, mean: float = 10.5, amplitude: float = 7.0, warmest_day: int = 210) -> np.ndarray:
    """A seasonal soil temperature (degC) at the depth of oxidation: mean + amplitude
    cos(2 pi (day of year - warmest_day)/365.25) (``[forcing] temperature = "file"`` reads a
    KNMI series instead, :func:`read_temperature`)."""
    doy = (dates - dates.astype("datetime64[Y]")).astype(int) + 1
    return mean + amplitude * np.cos(2 * np.pi * (doy - warmest_day) / 365.25)


# -- GLG / GHG -------------------------------------------------------------------------------
def semi_monthly(dates: np.ndarray, levels: np.ndarray):
    """The readings on the 14th and 28th of each month (the Dutch groundwater-monitoring days)."""
    day = (dates - dates.astype("datetime64[M]")).astype(int) + 1
    m = (day == 14) | (day == 28)
    return dates[m], levels[m]


def yearly_glg_ghg(dates: np.ndarray, levels: np.ndarray, *, hydrological: bool = True, min_readings: int = 20) -> dict:
    """Per year: the mean of the three lowest (GLG) and highest (GHG) semi-monthly levels,
    and the lowest/highest daily level. Years run April to March when ``hydrological``
    (labelled by the year they start in), else calendar years. ``levels`` (nt,) or (nt, nb);
    years with fewer than ``min_readings`` semi-monthly readings are skipped."""
    levels = np.asarray(levels, dtype=float)
    squeeze = levels.ndim == 1
    lv = levels[:, None] if squeeze else levels
    d, v = semi_monthly(dates, lv)
    year = lambda dd: (dd.astype("datetime64[Y]").astype(int) + 1970  # noqa: E731
                       - ((((dd.astype("datetime64[M]").astype(int)) % 12) < 3) if hydrological else 0))
    ys, yd = year(d), year(dates)
    out = {"year": [], "glg": [], "ghg": [], "lowest": [], "highest": []}
    for y in np.unique(ys):
        sel = ys == y
        if sel.sum() < min_readings:
            continue
        srt = np.sort(v[sel], axis=0)
        out["year"].append(int(y))
        out["glg"].append(srt[:3].mean(0))
        out["ghg"].append(srt[-3:].mean(0))
        out["lowest"].append(lv[yd == y].min(0))
        out["highest"].append(lv[yd == y].max(0))
    res = {"year": np.array(out["year"], dtype=int)}
    for k in ("glg", "ghg", "lowest", "highest"):
        arr = np.array(out[k]).reshape(len(out["year"]), lv.shape[1])
        res[k] = arr[:, 0] if squeeze else arr
    return res
