"""Geometry of the heterogeneities: dipping fault planes and polygon outlines (pure numpy).

Coordinates as in the FE mesh: x east, y north, z up with the surface at z = 0 (depth = −z).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np


@dataclasses.dataclass(frozen=True)
class FaultPlane:
    """A plane through the trace point (x0, y0) at depth ``depth0`` with a strike and a dip.

    ``strike``: azimuth of the trace, degrees clockwise from north; ``dip``: degrees from the
    horizontal (0 < dip <= 90), the plane dipping to the right of the strike direction (the
    right-hand rule). The hanging wall is the block above the plane (on the dip-direction side
    of the trace); for a vertical fault the dip-direction side.
    """

    x0: float
    y0: float
    depth0: float
    strike: float
    dip: float

    def __post_init__(self):
        if not 0.0 < self.dip <= 90.0:
            raise ValueError(f"the dip must be in (0, 90] degrees, got {self.dip:g}")

    @property
    def dip_direction(self) -> np.ndarray:
        """Horizontal unit vector (x, y) of the dip direction (strike + 90°)."""
        a = math.radians(self.strike + 90.0)
        return np.array([math.sin(a), math.cos(a)])

    @property
    def normal(self) -> np.ndarray:
        """Unit normal (x, y, z) pointing into the hanging wall (upward for dipping planes)."""
        d = math.radians(self.dip)
        dh = self.dip_direction
        n = np.array([math.sin(d) * dh[0], math.sin(d) * dh[1], math.cos(d)])
        n[np.abs(n) < 1e-15] = 0.0
        return n

    def signed_distance(self, pts: np.ndarray) -> np.ndarray:
        """Distance (m) of points (n, 3) (x, y, z up) from the plane, positive in the hanging wall."""
        p = np.asarray(pts, float)
        return (p - np.array([self.x0, self.y0, -self.depth0])) @ self.normal

    def hanging_wall(self, pts: np.ndarray) -> np.ndarray:
        return self.signed_distance(pts) > 0.0

    def slip(self, throw: float) -> np.ndarray:
        """Displacement (x, y, z) of the hanging wall for a vertical ``throw`` (m, > 0: down, a normal
        fault) along the dip, so that the moved block stays on its side of the plane."""
        d = math.radians(self.dip)
        cot = math.cos(d) / math.sin(d)
        dh = self.dip_direction
        v = np.array([throw * cot * dh[0], throw * cot * dh[1], -throw])
        v[np.abs(v) < 1e-12 * max(abs(throw), 1.0)] = 0.0
        return v

    def trace_at(self, depth: float) -> tuple[np.ndarray, np.ndarray]:
        """A point (x, y) and the unit direction of the fault's trace at ``depth`` (m)."""
        d = math.radians(self.dip)
        shift = (depth - self.depth0) * math.cos(d) / math.sin(d)
        p = np.array([self.x0, self.y0]) + shift * self.dip_direction
        a = math.radians(self.strike)
        return p, np.array([math.sin(a), math.cos(a)])


def points_in_polygon(xy: np.ndarray, vertices: np.ndarray) -> np.ndarray:
    """Even-odd rule: True for points (n, 2) inside the polygon (m, 2) (any simple outline)."""
    x, y = np.asarray(xy, float).T
    v = np.asarray(vertices, float)
    inside = np.zeros(x.shape, bool)
    for (xa, ya), (xb, yb) in zip(v, np.roll(v, -1, axis=0)):
        crosses = (ya > y) != (yb > y)
        with np.errstate(divide="ignore", invalid="ignore"):
            xc = xa + (y - ya) * (xb - xa) / (yb - ya)
        inside ^= crosses & (x < xc)
    return inside


def clip_polygon(vertices: np.ndarray, point: np.ndarray, normal: np.ndarray) -> np.ndarray:
    """The part of a polygon (m, 2) where (p − point)·normal >= 0 (Sutherland–Hodgman against one
    half-plane; valid for non-convex outlines too: the area is exact). May be empty (0, 2)."""
    v = np.asarray(vertices, float)
    s = (v - point) @ normal
    out = []
    for i in range(len(v)):
        a, b = v[i], v[(i + 1) % len(v)]
        sa, sb = s[i], s[(i + 1) % len(v)]
        if sa >= 0:
            out.append(a)
        if (sa >= 0) != (sb >= 0):
            out.append(a + (b - a) * sa / (sa - sb))
    return np.array(out).reshape(-1, 2)


def polygon_area(vertices: np.ndarray) -> float:
    v = np.asarray(vertices, float)
    if len(v) < 3:
        return 0.0
    x, y = v[:, 0], v[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


class SurfaceGridError(ValueError):
    """A bad interface grid file; ``column`` names the offending column/variable (or "")."""

    def __init__(self, column: str, reason: str):
        super().__init__(f"{column}: {reason}" if column else reason)
        self.column, self.reason = column, reason


@dataclasses.dataclass
class SurfaceGrid:
    """A value (depth or thickness, m) on a regular x-y grid, interpolated bilinearly; outside the
    grid the nearest edge value is used (``outside`` tells which points were outside)."""

    x: np.ndarray  # (nx,) increasing
    y: np.ndarray  # (ny,) increasing
    values: np.ndarray  # (ny, nx)

    def __call__(self, px: np.ndarray, py: np.ndarray) -> np.ndarray:
        from scipy.interpolate import RegularGridInterpolator

        f = RegularGridInterpolator((self.y, self.x), self.values, method="linear")
        qy = np.clip(np.asarray(py, float), self.y[0], self.y[-1])
        qx = np.clip(np.asarray(px, float), self.x[0], self.x[-1])
        return f(np.c_[qy, qx])

    def outside(self, px: np.ndarray, py: np.ndarray) -> np.ndarray:
        px, py = np.asarray(px, float), np.asarray(py, float)
        return (px < self.x[0]) | (px > self.x[-1]) | (py < self.y[0]) | (py > self.y[-1])


def read_surface_grid(path, variable: str) -> SurfaceGrid:
    """A CSV file with columns x, y and ``variable`` (one row per node of a regular grid, any order),
    or a NetCDF file with coordinates x, y and the variable ``variable`` (dims (y, x))."""
    from pathlib import Path

    path = Path(path)
    if path.suffix.lower() in (".nc", ".nc4", ".netcdf"):
        import xarray as xr

        try:
            ds = xr.open_dataset(path)
        except Exception as exc:
            raise SurfaceGridError("", f"cannot read NetCDF: {exc}") from None
        with ds:
            if variable not in ds:
                raise SurfaceGridError(variable, f"no variable {variable!r} (variables: {', '.join(map(str, ds.data_vars))})")
            v = ds[variable]
            if set(v.dims) != {"x", "y"}:
                raise SurfaceGridError(variable, f"expected dimensions (y, x), got {v.dims}")
            v = v.transpose("y", "x")
            x, y, vals = v["x"].values.astype(float), v["y"].values.astype(float), v.values.astype(float)
    else:
        import pandas as pd

        try:
            df = pd.read_csv(path, comment="#", skipinitialspace=True)
        except Exception as exc:
            raise SurfaceGridError("", f"cannot read CSV: {exc}") from None
        df.columns = [str(c).strip() for c in df.columns]
        for col in ("x", "y", variable):
            if col not in df.columns:
                raise SurfaceGridError(col, f"required column {col!r} is missing (columns: {', '.join(df.columns)})")
            if not np.issubdtype(df[col].dtype, np.number):
                raise SurfaceGridError(col, "column is not numeric")
            bad = np.flatnonzero(~np.isfinite(df[col].to_numpy(float)))
            if bad.size:
                raise SurfaceGridError(col, f"missing (NaN) or infinite value in data row {int(bad[0]) + 1} "
                                            f"({bad.size} row(s) in all)")
        x, y = np.unique(df["x"].to_numpy(float)), np.unique(df["y"].to_numpy(float))
        if len(df) != x.size * y.size:
            raise SurfaceGridError("", f"{len(df)} rows are not a regular grid ({x.size} x values by {y.size} y values)")
        ix = np.searchsorted(x, df["x"].to_numpy(float))
        iy = np.searchsorted(y, df["y"].to_numpy(float))
        vals = np.full((y.size, x.size), np.nan)
        vals[iy, ix] = df[variable].to_numpy(float)
        if np.isnan(vals).any():
            raise SurfaceGridError("", "some grid nodes are given twice and others not at all")
    if x.size < 2 or y.size < 2:
        raise SurfaceGridError("", "the grid needs at least 2 x 2 nodes")
    if np.any(np.diff(x) <= 0) or np.any(np.diff(y) <= 0):
        if np.all(np.diff(y) < 0):  # north-up rasters
            y, vals = y[::-1], vals[::-1]
        else:
            raise SurfaceGridError("", "x and y must be increasing")
    if not np.all(np.isfinite(vals)):
        raise SurfaceGridError(variable, "missing (NaN) values")
    return SurfaceGrid(x, y, vals)
