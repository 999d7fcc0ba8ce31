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
        import pandas as pd

        df = pd.read_csv(path, comment="#")
        df.columns = [str(c).strip() for c in df.columns]
        if "time" in df.columns:
            t = df.pop("time").to_numpy(float) * SECONDS_PER_YEAR
        elif "date" in df.columns:
            if start_date is None:
                raise ValueError("a deep series with dates needs the case's start_date")
            d = pd.to_datetime(df.pop("date")).to_numpy().astype("datetime64[D]")
            t = (d - np.datetime64(start_date, "D")).astype(float) * SECONDS_PER_DAY
        else:
            raise ValueError(f"{path}: needs a 'time' (years) or 'date' column")
        if df.shape[1] == 0:
            raise ValueError(f"{path}: no displacement column")
        if np.any(np.diff(t) <= 0):
            raise ValueError(f"{path}: times must increase")
        return cls(times=t, columns={c: df[c].to_numpy(float) for c in df.columns}, file=path)

    def displacement(self, times_s, x, y, names=None, comm=None):
        n = np.size(x)
        uz = np.zeros((np.size(times_s), n))
        for j in range(n):
            key = names[j] if names is not None and names[j] in self.columns else "uz"
            if key not in self.columns:
                raise ValueError(f"deep series {self.file}: no column 'uz' or '{key}'")
            col = self.columns[key]
            uz[:, j] = np.interp(times_s, self.times, col) - np.interp(0.0, self.times, col)
        z = np.zeros_like(uz)
        return z, z.copy(), uz


@dataclasses.dataclass
class CaseDeep:
    case: object  # a loaded subsidence.config.Case of kind deep
    offset_s: float  # chain start minus deep start (s)

    def displacement(self, times_s, x, y, names=None, comm=None):
        from subsidence.studies.deep import displacement_at

        t = np.concatenate([[0.0], np.asarray(times_s, dtype=float)]) + self.offset_s
        ux, uy, uz = (np.asarray(a) for a in displacement_at(self.case.config, np.asarray(x, float), np.asarray(y, float), t, comm=comm))
        return ux[1:] - ux[0], uy[1:] - uy[0], uz[1:] - uz[0]
