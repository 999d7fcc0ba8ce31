"""Daily weather forcing (KNMI files) and the yearly lowest/highest groundwater levels.

Readers return a :class:`DailySeries` (dates, values in SI: m/s for rates). Supported:

- KNMI precipitation-station files (``neerslaggeg_*.csv``): ``STN,YYYYMMDD,RD,SX`` with
  ``RD`` in 0.1 mm/day;
- KNMI daily station data (``etmgeg_*.txt``/csv, the "daggegevens" export): header line
  starting with ``# STN,YYYYMMDD`` or ``STN,YYYYMMDD``; ``RH`` precipitation and ``EV24``
  Makkink evaporation in 0.1 mm/day (-1 means < 0.05 mm);
- simple daily evaporation files ``STN,MMDDYY,EVAP`` (mm/day; dates ``MM/DD/YY`` or
  ``MM/DD/YYYY``), as in the Nieuw Beerta file shipped with the Nieuwolda data.

Missing days are an error unless ``fill`` is given (``"zero"`` or ``"interpolate"``).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from pathlib import Path

import numpy as np

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


def _regular(dates, values, name, fill):
    order = np.argsort(dates)
    dates, values = dates[order], values[order]
    if np.any(np.diff(dates).astype(int) == 0):
        raise ForcingError(f"{name}: duplicate dates")
    full = np.arange(dates[0], dates[-1] + np.timedelta64(1, "D"), dtype="datetime64[D]")
    out = np.full(full.size, np.nan)
    out[(dates - dates[0]).astype(int)] = values
    missing = ~np.isfinite(out)
    if missing.any():
        if fill is None:
            raise ForcingError(f"{name}: {int(missing.sum())} missing day(s), first {full[missing][0]}")
        if fill == "zero":
            out[missing] = 0.0
        else:
            ok = ~missing
            out[missing] = np.interp(full[missing].astype(float), full[ok].astype(float), out[ok])
    return DailySeries(full, out, name)


def _read_rows(path: Path):
    import csv

    lines = [ln for ln in path.read_text(encoding="utf-8", errors="replace").splitlines()]
    header_i = None
    for i, ln in enumerate(lines):
        s = ln.lstrip("# ").upper()
        if s.startswith("STN,"):
            header_i = i
    if header_i is None:
        raise ForcingError(f"{path}: no header line starting with STN")
    header = [h.strip().upper() for h in lines[header_i].lstrip("# ").split(",")]
    rows = [r for r in csv.reader(ln for ln in lines[header_i + 1:] if ln.strip() and not ln.startswith("#"))]
    return header, rows


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


def read_precipitation(path: str | Path, *, fill: str | None = None) -> DailySeries:
    """Daily precipitation (m/s) from a KNMI precipitation-station or daily-data file."""
    path = Path(path)
    header, rows = _read_rows(path)
    dates = np.array([np.datetime64(f"{d[:4]}-{d[4:6]}-{d[6:8]}") for d in _col(header, rows, "YYYYMMDD", path)])
    col = "RD" if "RD" in header else "RH"
    v = np.array([_num(s) for s in _col(header, rows, col, path)])
    v = np.where(v == -1, 0.25, v)  # KNMI: -1 means less than 0.05 mm
    return _regular(dates, v * 0.1 * MM_PER_DAY, f"precipitation {path.name}", fill)


def read_evaporation(path: str | Path, *, fill: str | None = None) -> DailySeries:
    """Daily Makkink reference evaporation (m/s): KNMI daily data (EV24, 0.1 mm) or
    ``STN,MMDDYY,EVAP`` (mm/day)."""
    path = Path(path)
    header, rows = _read_rows(path)
    if "EV24" in header:
        dates = np.array([np.datetime64(f"{d[:4]}-{d[4:6]}-{d[6:8]}") for d in _col(header, rows, "YYYYMMDD", path)])
        v = np.array([_num(s) for s in _col(header, rows, "EV24", path)]) * 0.1
    else:
        ds = _col(header, rows, "MMDDYY", path)
        dates = []
        for d in ds:
            m, dd, y = d.split("/")
            y = int(y)
            y = y + 2000 if y < 70 else (y + 1900 if y < 100 else y)
            dates.append(np.datetime64(_dt.date(y, int(m), int(dd))))
        dates = np.array(dates)
        v = np.array([_num(s) for s in _col(header, rows, "EVAP", path)])
    return _regular(dates, v * MM_PER_DAY, f"evaporation {path.name}", fill)


def read_temperature(path: str | Path, *, fill: str | None = None) -> DailySeries:
    """Daily mean air temperature (degC) from KNMI daily station data (``TG``, 0.1 degC; the
    "daggegevens" export, header ``STN,YYYYMMDD,...,TG,...``)."""
    path = Path(path)
    header, rows = _read_rows(path)
    dates = np.array([np.datetime64(f"{d[:4]}-{d[4:6]}-{d[6:8]}") for d in _col(header, rows, "YYYYMMDD", path)])
    v = np.array([_num(s) for s in _col(header, rows, "TG", path)]) * 0.1
    return _regular(dates, v, f"temperature {path.name}", fill)


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
