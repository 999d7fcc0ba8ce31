"""Reservoir outlines and their rasterisation onto a regular lattice of cells.

A shape answers one question, :meth:`row_intervals`: which x-intervals of a horizontal
line at height y lie inside it. Rasterisation integrates that exactly in x and with
``sub`` sample lines per cell in y, giving the area fraction of every lattice cell
(volume-conserving to O(h²/sub²) at the outline).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from subsidence.io.filecache import file_cached


@dataclasses.dataclass(frozen=True)
class Disc:
    center: tuple[float, float]
    radius: float
    type: str = "disc"

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        cx, cy = self.center
        r = self.radius
        return cx - r, cx + r, cy - r, cy + r

    @property
    def area(self) -> float:
        return np.pi * self.radius**2

    def row_intervals(self, y: np.ndarray) -> list[np.ndarray]:
        dy = np.asarray(y) - self.center[1]
        h = np.sqrt(np.maximum(self.radius**2 - dy**2, 0.0))
        return [np.array([[self.center[0] - hi, self.center[0] + hi]]) if hi > 0 else np.zeros((0, 2)) for hi in h]


@dataclasses.dataclass(frozen=True, eq=False)
class Polygon:
    vertices: np.ndarray  # (n, 2), closed or not; even-odd rule for several rings is not supported
    source: str | None = None
    type: str = "polygon"

    def __post_init__(self):
        v = np.asarray(self.vertices, float)
        if np.allclose(v[0], v[-1]):
            v = v[:-1]
        object.__setattr__(self, "vertices", v)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        v = self.vertices
        return v[:, 0].min(), v[:, 0].max(), v[:, 1].min(), v[:, 1].max()

    @property
    def area(self) -> float:
        x, y = self.vertices[:, 0], self.vertices[:, 1]
        return 0.5 * abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))

    def row_intervals(self, y: np.ndarray) -> list[np.ndarray]:
        v = self.vertices
        x0, y0 = v[:, 0], v[:, 1]
        x1, y1 = np.roll(x0, -1), np.roll(y0, -1)
        out = []
        for yy in np.atleast_1d(y):
            # half-open rule: an edge counts if yy is in [min, max)
            m = (np.minimum(y0, y1) <= yy) & (yy < np.maximum(y0, y1))
            if not m.any():
                out.append(np.zeros((0, 2)))
                continue
            xs = x0[m] + (yy - y0[m]) * (x1[m] - x0[m]) / (y1[m] - y0[m])
            xs.sort()
            out.append(xs.reshape(-1, 2))
        return out


def self_intersection(vertices: np.ndarray, *, max_pairs: int = 2_000_000) -> tuple[int, int, float, float] | None:
    """A pair of non-adjacent edges of a closed ring that cross or touch, or None.

    Returns (i, j, x, y): edge i runs from vertex i to the next one (0-based, the last edge closes
    the ring), (x, y) is a point the two edges share. Repeated consecutive vertices are ignored.
    Candidate pairs are those whose x-ranges overlap (a sort and sweep in x), then whose y-ranges
    overlap; each is tested with exact orientation signs (collinear overlaps count).
    """
    v = np.asarray(vertices, float)
    if len(v) > 1 and np.allclose(v[0], v[-1]):
        v = v[:-1]
    keep = np.ones(len(v), bool)
    keep[1:] = np.any(v[1:] != v[:-1], axis=1)
    idx = np.nonzero(keep)[0]
    v = v[keep]
    n = len(v)
    if n < 4:
        return None
    a, b = v, np.roll(v, -1, axis=0)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    scale = max(float(np.ptp(v[:, 0])), float(np.ptp(v[:, 1])), 1.0)
    tol = 1e-12 * scale * scale

    def orient(p, q, r):  # sign of the cross product (q - p) x (r - p), zero within round-off
        c = (q[..., 0] - p[..., 0]) * (r[..., 1] - p[..., 1]) - (q[..., 1] - p[..., 1]) * (r[..., 0] - p[..., 0])
        return np.where(np.abs(c) <= tol, 0, np.sign(c))

    order = np.argsort(lo[:, 0], kind="stable")
    los = lo[order, 0]
    last = np.searchsorted(los, hi[order, 0], side="right")  # ranks r' < last[r] start before edge r ends
    counts = np.maximum(last - np.arange(n) - 1, 0)
    cum = np.concatenate([[0], np.cumsum(counts)])
    best = None
    r0 = 0
    while r0 < n:
        r1 = max(r0 + 1, int(np.searchsorted(cum, cum[r0] + max_pairs, side="right")) - 1)
        r1 = min(r1, n)
        rr = np.arange(r0, r1)
        tot = int(cum[r1] - cum[r0])
        r0_next = r1
        if tot:
            ri = np.repeat(rr, counts[r0:r1])
            rj = ri + 1 + (np.arange(tot) - np.repeat(cum[r0:r1] - cum[r0], counts[r0:r1]))
            i, j = order[ri], order[rj]
            i, j = np.minimum(i, j), np.maximum(i, j)
            ok = (j - i > 1) & ~((i == 0) & (j == n - 1))
            ok &= (lo[i, 1] <= hi[j, 1]) & (lo[j, 1] <= hi[i, 1])
            i, j = i[ok], j[ok]
            A, B, C, D = a[i], b[i], a[j], b[j]
            hit = (orient(A, B, C) * orient(A, B, D) <= 0) & (orient(C, D, A) * orient(C, D, B) <= 0)
            if hit.any():
                k = np.nonzero(hit)[0]
                k = k[np.lexsort((j[k], i[k]))[0]]
                if best is None or (i[k], j[k]) < best[:2]:
                    best = (int(i[k]), int(j[k]))
        r0 = r0_next
    if best is None:
        return None
    i, j = best
    p, r = a[i], b[i] - a[i]
    q, sv = a[j], b[j] - a[j]
    den = r[0] * sv[1] - r[1] * sv[0]
    if abs(den) > tol:
        t = ((q[0] - p[0]) * sv[1] - (q[1] - p[1]) * sv[0]) / den
        x, y = p + np.clip(t, 0.0, 1.0) * r
    else:  # parallel and touching: an end point of one edge lies on the other
        inside = [pt for pt in (a[j], b[j]) if np.all(lo[i] <= pt) and np.all(pt <= hi[i])]
        x, y = inside[0] if inside else a[i]
    return int(idx[i]), int(idx[j]), float(x), float(y)


@file_cached(np.copy)  # parsed once per process (an ensemble builds its case per member)
def read_polygon_file(path: str | Path) -> np.ndarray:
    """Vertices from a whitespace/comma separated text file: the first two columns are x y (m).

    Further columns (e.g. segment id and flag in Petrel exports) are ignored; lines starting
    with '#' and non-numeric header lines are skipped.
    """
    rows = []
    for line in Path(path).read_text().splitlines():
        parts = line.replace(",", " ").split()
        if not parts or parts[0].startswith("#"):
            continue
        try:
            rows.append((float(parts[0]), float(parts[1])))
        except (ValueError, IndexError):
            if rows:
                raise ValueError(f"line {line!r} is not 'x y ...'") from None
            continue  # header
    if len(rows) < 3:
        raise ValueError("a polygon needs at least 3 vertices")
    return np.array(rows)


@dataclasses.dataclass(frozen=True)
class Lattice:
    """A regular lattice of cell centres x0 + i·dx, y0 + j·dy (i < nx, j < ny)."""

    x0: float
    y0: float
    dx: float
    dy: float
    nx: int
    ny: int

    @property
    def x(self) -> np.ndarray:
        return self.x0 + self.dx * np.arange(self.nx)

    @property
    def y(self) -> np.ndarray:
        return self.y0 + self.dy * np.arange(self.ny)

    def covering(self, bounds, margin_cells: int = 1) -> Lattice:
        """The sub-lattice (same spacing and alignment) covering ``bounds`` = (xmin, xmax, ymin, ymax)."""
        xmin, xmax, ymin, ymax = bounds
        i0 = int(np.floor((xmin - self.x0) / self.dx)) - margin_cells
        i1 = int(np.ceil((xmax - self.x0) / self.dx)) + margin_cells
        j0 = int(np.floor((ymin - self.y0) / self.dy)) - margin_cells
        j1 = int(np.ceil((ymax - self.y0) / self.dy)) + margin_cells
        return Lattice(self.x0 + i0 * self.dx, self.y0 + j0 * self.dy, self.dx, self.dy, i1 - i0 + 1, j1 - j0 + 1)


def area_fractions(shape, lat: Lattice, sub: int = 16) -> np.ndarray:
    """Fraction (0..1) of each lattice cell inside ``shape``; array (ny, nx)."""
    frac = np.zeros((lat.ny, lat.nx))
    left = lat.x - lat.dx / 2
    right = lat.x + lat.dx / 2
    offs = (np.arange(sub) + 0.5) / sub - 0.5
    ys = (lat.y[:, None] + offs[None, :] * lat.dy).ravel()
    intervals = shape.row_intervals(ys)
    for k, iv in enumerate(intervals):
        if iv.size == 0:
            continue
        j = k // sub
        cover = np.zeros(lat.nx)
        for xa, xb in iv:
            cover += np.clip(np.minimum(xb, right) - np.maximum(xa, left), 0.0, None)
        frac[j] += cover / lat.dx
    return frac / sub
