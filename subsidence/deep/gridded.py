"""Gridded reservoirs: depth, thickness, Cm and pressure per cell, from CSV or NetCDF.

CSV: a header line; columns ``x, y, depth, thickness`` (m) are required, ``cm`` (1/Pa) is
optional, and pressure-change columns are named ``dp@<time in years>`` (Pa), e.g.
``dp@0, dp@5.5, dp@10``. Cells lie on a regular lattice (spacing inferred and checked);
missing cells are simply absent.

NetCDF: variables ``depth(y, x)``, ``thickness(y, x)``, optional ``cm(y, x)`` and
``pressure_change(time, y, x)`` with coordinate ``time`` in years, ``x``/``y`` cell
centres (m). Cells with NaN or zero thickness are not reservoir.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from subsidence.physics.compaction import PressureHistory
from subsidence.units import SECONDS_PER_YEAR


class GridFileError(ValueError):
    def __init__(self, field: str, reason: str):
        self.field = field
        super().__init__(reason)


@dataclasses.dataclass(frozen=True, eq=False)
class GridShape:
    x: np.ndarray  # (ncell,) cell centres
    y: np.ndarray
    dx: float
    dy: float
    depth: np.ndarray  # (ncell,) m, centre of the reservoir below surface
    thickness: np.ndarray  # (ncell,) m
    cm: np.ndarray | None  # (ncell,) 1/Pa or None
    pressure: PressureHistory | None  # per cell, values (ncell, nt)
    source: str = ""
    type: str = "grid"

    @property
    def bounds(self):
        return (self.x.min() - self.dx / 2, self.x.max() + self.dx / 2, self.y.min() - self.dy / 2, self.y.max() + self.dy / 2)

    @property
    def ncell(self) -> int:
        return self.x.size


def read_grid(path: str | Path) -> GridShape:
    path = Path(path)
    if path.suffix.lower() in (".nc", ".nc4", ".netcdf"):
        return _read_nc(path)
    return _read_csv(path)


def _read_csv(path: Path) -> GridShape:
    import pandas as pd

    try:
        df = pd.read_csv(path, comment="#", skipinitialspace=True)
    except Exception as exc:
        raise GridFileError("", f"cannot read CSV: {exc}") from None
    df.columns = [c.strip() for c in df.columns]
    for col in ("x", "y", "depth", "thickness"):
        if col not in df.columns:
            raise GridFileError(col, f"required column {col!r} is missing (columns: {', '.join(df.columns)})")
    known = {"x", "y", "depth", "thickness", "cm"}
    dp_cols = [c for c in df.columns if c.startswith("dp@")]
    unknown = [c for c in df.columns if c not in known and c not in dp_cols]
    if unknown:
        raise GridFileError(unknown[0], "unknown column (expected x, y, depth, thickness, cm, dp@<years>)")
    for c in df.columns:
        if not np.issubdtype(df[c].dtype, np.number):
            raise GridFileError(c, "column is not numeric")
        if df[c].isna().any():
            raise GridFileError(c, f"missing value in row {int(np.flatnonzero(df[c].isna())[0]) + 2}")
    pressure = None
    if dp_cols:
        try:
            t = np.array([float(c[3:]) for c in dp_cols]) * SECONDS_PER_YEAR
        except ValueError:
            raise GridFileError(dp_cols[0], "pressure columns must be named dp@<time in years>") from None
        if np.any(np.diff(t) < 0):
            raise GridFileError(dp_cols[0], "dp@ columns must be in time order")
        pressure = PressureHistory(t, df[dp_cols].to_numpy(float))
    x, y = df["x"].to_numpy(float), df["y"].to_numpy(float)
    dx, dy = _spacing(x, "x"), _spacing(y, "y")
    return _finish(x, y, dx, dy, df["depth"].to_numpy(float), df["thickness"].to_numpy(float),
                   df["cm"].to_numpy(float) if "cm" in df.columns else None, pressure, str(path))


def _read_nc(path: Path) -> GridShape:
    import xarray as xr

    try:
        ds = xr.open_dataset(path)
    except Exception as exc:
        raise GridFileError("", f"cannot read NetCDF: {exc}") from None
    with ds:
        for v in ("depth", "thickness"):
            if v not in ds:
                raise GridFileError(v, f"required variable {v!r} is missing")
        for c in ("x", "y"):
            if c not in ds.coords:
                raise GridFileError(c, f"required coordinate {c!r} is missing")
        xs, ys = ds["x"].values.astype(float), ds["y"].values.astype(float)
        dx, dy = _spacing(xs, "x"), _spacing(ys, "y")
        depth = ds["depth"].transpose("y", "x").values.astype(float)
        thick = ds["thickness"].transpose("y", "x").values.astype(float)
        mask = np.isfinite(thick) & (thick > 0)
        X, Y = np.meshgrid(xs, ys)
        cm = ds["cm"].transpose("y", "x").values.astype(float)[mask] if "cm" in ds else None
        pressure = None
        if "pressure_change" in ds:
            pc = ds["pressure_change"]
            if "time" not in pc.dims:
                raise GridFileError("pressure_change", "needs a time dimension (years)")
            t = pc["time"].values.astype(float) * SECONDS_PER_YEAR
            vals = pc.transpose("time", "y", "x").values.astype(float)[:, mask].T
            pressure = PressureHistory(t, vals)
        return _finish(X[mask], Y[mask], dx, dy, depth[mask], thick[mask], cm, pressure, str(path))


def _spacing(v: np.ndarray, name: str) -> float:
    u = np.unique(v)
    if u.size == 1:
        raise GridFileError(name, "a grid needs at least two distinct cell centres in each direction")
    d = np.diff(u).min()
    k = (u - u[0]) / d
    if np.any(np.abs(k - np.round(k)) > 1e-6):
        raise GridFileError(name, f"cell centres are not on a regular lattice (spacing {d:g} m)")
    return float(d)


def _finish(x, y, dx, dy, depth, thick, cm, pressure, source) -> GridShape:
    if np.any(~np.isfinite(depth)) or np.any(depth <= 0):
        raise GridFileError("depth", "must be positive (m below surface) in every reservoir cell")
    if np.any(thick < 0):
        raise GridFileError("thickness", "must not be negative")
    if np.any(depth - thick / 2 < 0):
        raise GridFileError("depth", "the reservoir top (depth - thickness/2) is above the surface in some cell")
    if cm is not None and (np.any(~np.isfinite(cm)) or np.any(cm < 0)):
        raise GridFileError("cm", "must be non-negative in every reservoir cell")
    if pressure is not None and not np.all(np.isfinite(pressure.values)):
        raise GridFileError("pressure_change", "has missing values in reservoir cells")
    keys = np.round(np.c_[(x - x.min()) / dx, (y - y.min()) / dy]).astype(np.int64)
    if np.unique(keys, axis=0).shape[0] != keys.shape[0]:
        raise GridFileError("x", "duplicate cells (same x, y twice)")
    return GridShape(x, y, dx, dy, depth, thick, cm, pressure, source)
