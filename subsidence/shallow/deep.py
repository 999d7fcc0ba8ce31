"""Deep subsidence at the site: step 1 of the chain.

Implementations of ``uz(times_s, x, y) -> (nt, npoints)`` (m, up positive, relative to the
chain's time 0):

- :class:`NoDeep` (null): zero;
- :class:`SeriesDeep`: a time series from a CSV file (``time`` in years since the chain's
  start, or ``date``; then either one ``uz`` column for every point or one column per point
  name), linearly interpolated;
- :class:`CaseDeep`: a deep case of this toolkit (analytic method), evaluated at the points
  with :func:`subsidence.studies.deep.displacement_at`; the deep case's own ``start_date``
  is honoured, and the displacement is taken relative to the chain's start.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from pathlib import Path

import numpy as np

from subsidence.units import SECONDS_PER_DAY, SECONDS_PER_YEAR


@dataclasses.dataclass(frozen=True)
class NoDeep:
    def displacement(self, times_s, x, y, names=None, comm=None):
        z = np.zeros((np.size(times_s), np.size(x)))
        return z, z.copy(), z.copy()


@dataclasses.dataclass
class SeriesDeep:
    times: np.ndarray  # s since the chain's start
    columns: dict  # name -> uz (m); "uz" applies to every point
    file: Path | None = None

    @classmethod
    def read(cls, path: Path, *, start_date: _dt.date | None) -> SeriesDeep:
        """Read the CSV: a ``time`` column (years since the chain's start) or a ``date`` column
        (ISO ``YYYY-MM-DD`` only), then ``uz`` and/or one column per point id (headers as text,
        exactly as written). Empty, non-numeric or non-finite values, other date formats, no
        rows and times that do not increase are errors (ValueError naming file, column, line)."""
        import re

        from subsidence.shallow.config import _csv_table

        header, rows = _csv_table(path, "deep series", comment="#")
        if "time" in header:
            tcol = "time"
        elif "date" in header:
            tcol = "date"
            if start_date is None:
                raise ValueError("a deep series with dates needs the case's start_date")
        else:
            raise ValueError(f"{path}: needs a 'time' (years) or 'date' column (header: {', '.join(header)})")
        cols = [c for c in header if c != tcol]
        if not cols:
            raise ValueError(f"{path}: no displacement column (expected 'uz' or one column per point id)")
        if "" in cols:
            raise ValueError(f"{path}: a column of the header has no name")
        if not rows:
            raise ValueError(f"{path}: the deep series has a header but no rows")
        kt = header.index(tcol)
        t = np.empty(len(rows))
        values = {c: np.empty(len(rows)) for c in cols}
        for i, (line, cells) in enumerate(rows):
            v = cells[kt]
            if tcol == "date":
                m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", v)
                try:
                    d = _dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None
                except ValueError:
                    d = None
                if d is None:
                    raise ValueError(f"{path}: column 'date', line {line}: {v!r} is not a date YYYY-MM-DD")
                t[i] = (d - start_date).days * SECONDS_PER_DAY
            else:
                t[i] = _number(path, "time", line, v) * SECONDS_PER_YEAR
            for c in cols:
                values[c][i] = _number(path, c, line, cells[header.index(c)])
        if np.any(np.diff(t) <= 0):
            k = int(np.argmax(np.diff(t) <= 0)) + 1
            raise ValueError(f"{path}: column {tcol!r}, line {rows[k][0]}: times must increase")
        return cls(times=t, columns=values, file=path)

    def span_error(self, end_s: float, start_date: _dt.date | None = None) -> str | None:
        """Why the series does not cover the run (time 0 to ``end_s`` s), or None."""
        lo, hi = float(self.times[0]), float(self.times[-1])
        tol = SECONDS_PER_DAY  # a day's slack (a year of 365.25 days against 365)
        if lo <= 0.0 + tol and hi >= end_s - tol:
            return None
        y = SECONDS_PER_YEAR
        span = f"{lo / y:.3f} to {hi / y:.3f} years from the start"
        run = f"0 to {end_s / y:.3f} years"
        if start_date is not None:
            day = lambda s: start_date + _dt.timedelta(days=int(round(s / SECONDS_PER_DAY)))  # noqa: E731
            span += f" ({day(lo)} to {day(hi)})"
            run += f" ({start_date} to {day(end_s)})"
        return f"the deep series spans {span}, the run {run}: it must cover the whole run (no extrapolation)"

    def missing(self, names) -> list:
        """Point ids without a column of their own when there is no ``uz`` column for all."""
        if "uz" in self.columns:
            return []
        return [n for n in names if str(n) not in self.columns]

    def displacement(self, times_s, x, y, names=None, comm=None):
        n = np.size(x)
        uz = np.zeros((np.size(times_s), n))
        if "uz" not in self.columns:
            miss = [str(names[j]) for j in range(n)] if names is None else self.missing(names)
            if names is None or miss:
                raise ValueError(f"deep series {self.file}: no 'uz' column (for every point) and no column for "
                                 f"point(s) {miss[:10]} (columns: {list(self.columns)})")
        for j in range(n):
            key = str(names[j]) if names is not None and str(names[j]) in self.columns else "uz"
            col = self.columns[key]
            uz[:, j] = np.interp(times_s, self.times, col) - np.interp(0.0, self.times, col)
        z = np.zeros_like(uz)
        return z, z.copy(), uz


def _number(path, col, line, v, *, point=None) -> float:
    """A CSV cell as a finite number, else a ValueError naming the file, column and line (and
    the point of the row, when given)."""
    try:
        f = float(v)
    except ValueError:
        f = None
    if f is None or not np.isfinite(f):
        what = "the value is empty" if v == "" else f"{v!r} is not a finite number"
        of = f" (point {point!r})" if point is not None else ""
        raise ValueError(f"{path}: column {col!r}, line {line}{of}: {what}")
    return f


@dataclasses.dataclass
class CaseDeep:
    case: object  # a loaded subsidence.config.Case of kind deep
    offset_s: float  # chain start minus deep start (s)

    def displacement(self, times_s, x, y, names=None, comm=None):
        from subsidence.studies.deep import displacement_at

        t = np.concatenate([[0.0], np.asarray(times_s, dtype=float)]) + self.offset_s
        ux, uy, uz = (np.asarray(a) for a in displacement_at(self.case.config, np.asarray(x, float), np.asarray(y, float), t, comm=comm))
        return ux[1:] - ux[0], uy[1:] - uy[0], uz[1:] - uz[0]
