"""Surface deformation measures from the horizontal derivatives of the surface displacement.

Pure numpy, no I/O. The inputs are the fields of :data:`subsidence.analytic.geertsma.DERIVATIVES`
(``uz_x, uz_y``; the Hessian ``uz_xx, uz_xy, uz_yy``; the horizontal displacement gradient
``ux_x, ux_y (= uy_x), uy_y``), as the analytic superposition gives them from the kernels' own
derivatives. Signs (docs/conventions.md, "Surface deformation"):

- ``tilt`` (m/m): the magnitude of the surface gradient, |∇uz| ≥ 0.
- ``curvature`` (1/m): the principal curvature of the surface of largest magnitude, the
  eigenvalue of the Hessian of uz (small slopes: the slopes are ~1e-5, the correction
  (1 + tilt²)^{-3/2} is below 1e-9); **positive = sagging** (concave upward, as in the middle of
  a subsidence bowl), **negative = hogging** (convex, on its flanks).
- ``horizontal_strain``: the largest principal horizontal strain ε1 of
  ε = [[ux_x, ux_y], [ux_y, uy_y]], **extension positive** (negative where both principal
  strains are compressive).
- ``horizontal_compression``: −ε2, the smallest principal strain with its sign changed:
  **compression positive** (negative where both principal strains are extensional).
"""

from __future__ import annotations

import numpy as np

from subsidence.analytic.geertsma import DERIVATIVES

MEASURES = ("tilt", "curvature", "horizontal_strain", "horizontal_compression")


def _eig2(a, b, c):
    """Eigenvalues (larger, smaller) of the symmetric 2×2 matrix [[a, b], [b, c]]."""
    m = 0.5 * (a + c)
    d = np.hypot(0.5 * (a - c), b)
    return m + d, m - d


def measures(uz_x, uz_y, uz_xx, uz_xy, uz_yy, ux_x, ux_y, uy_y) -> dict[str, np.ndarray]:
    """The four measures of :data:`MEASURES` from the derivative fields (any matching shapes)."""
    k1, k2 = _eig2(np.asarray(uz_xx, float), np.asarray(uz_xy, float), np.asarray(uz_yy, float))
    e1, e2 = _eig2(np.asarray(ux_x, float), np.asarray(ux_y, float), np.asarray(uy_y, float))
    return {
        "tilt": np.hypot(uz_x, uz_y),
        "curvature": np.where(np.abs(k1) >= np.abs(k2), k1, k2),
        "horizontal_strain": e1,
        "horizontal_compression": -e2,
    }


def measures_from(fields: dict) -> dict[str, np.ndarray]:
    """:func:`measures` from a mapping holding the fields of ``DERIVATIVES`` by name."""
    return measures(*(fields[n] for n in DERIVATIVES))


class Maxima:
    """Running maxima of the measures over a grid and the output times, with where and when.

    ``max_tilt`` (m/m), ``max_curvature`` (1/m, the largest |curvature|, with whether it is
    sagging or hogging and its radius), ``max_horizontal_strain`` (extension) and
    ``max_horizontal_compression``; all positive numbers (0 when there is none).
    """

    def __init__(self):
        self.best: dict[str, tuple[float, float, float, float, float]] = {}  # value, time, x, y, signed value

    def update(self, t_yr: float, x: np.ndarray, y: np.ndarray, meas: dict[str, np.ndarray]) -> None:
        """Measures over a grid (ny, nx) with coordinates ``x`` (nx) and ``y`` (ny)."""
        self._update(t_yr, meas, lambda j: (float(x[j[1]]), float(y[j[0]])))

    def update_points(self, t_yr: float, x: np.ndarray, y: np.ndarray, meas: dict[str, np.ndarray]) -> None:
        """Measures at scattered points (npoints,) at ``x``, ``y``; NaN (no stencil) is skipped."""
        self._update(t_yr, meas, lambda j: (float(x[j[0]]), float(y[j[0]])))

    def _update(self, t_yr, meas, where) -> None:
        for name, arr in meas.items():
            if name not in MEASURES:
                continue
            arr = np.asarray(arr, float)
            mag = np.abs(arr) if name == "curvature" else arr
            if not np.isfinite(mag).any():
                continue
            j = np.unravel_index(int(np.nanargmax(mag)), mag.shape)
            v = max(float(mag[j]), 0.0)
            if name not in self.best or v > self.best[name][0]:
                self.best[name] = (v, float(t_yr), *where(j), float(arr[j]))

    def summary(self) -> dict:
        out: dict = {}
        for name in MEASURES:
            if name not in self.best:
                continue
            v, t, x, y, signed = self.best[name]
            out[f"max_{name}"] = v
            out[f"max_{name}_time_yr"] = t
            out[f"max_{name}_at"] = [x, y]
            if name == "curvature":
                out["max_curvature_mode"] = "none" if v == 0.0 else ("sagging" if signed > 0 else "hogging")
                out["min_radius_of_curvature_m"] = 1.0 / v if v > 0 else None
        return out


def grid_derivatives(x, y, ux, uy, uz) -> dict[str, np.ndarray]:
    """The fields of ``DERIVATIVES`` of displacements on a regular grid (ny, nx), by second-order
    central differences (one-sided at the edges): for runs without closed-form derivatives (FE).
    Accurate to O(h²) where the grid resolves the bowl."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    uz_y, uz_x = np.gradient(np.asarray(uz, float), y, x, edge_order=2)
    uz_xy_a, uz_xx = np.gradient(uz_x, y, x, edge_order=2)
    uz_yy, uz_xy_b = np.gradient(uz_y, y, x, edge_order=2)
    ux_y, ux_x = np.gradient(np.asarray(ux, float), y, x, edge_order=2)
    uy_y, uy_x = np.gradient(np.asarray(uy, float), y, x, edge_order=2)
    return {"uz_x": uz_x, "uz_y": uz_y, "uz_xx": uz_xx, "uz_xy": 0.5 * (uz_xy_a + uz_xy_b), "uz_yy": uz_yy,
            "ux_x": ux_x, "ux_y": 0.5 * (ux_y + uy_x), "uy_y": uy_y}


#: points in the local quadratic fit of scattered points (13 = the point, its 4 grid neighbours, the 4
#: diagonal ones and the 4 at two spacings on a regular grid)
NEIGHBOURS = 13
#: a position whose 13 neighbours reach further than this times the median reach of the points is isolated
ISOLATION = 3.0
#: largest condition number of the scaled fit before its neighbours are said not to span an area
MAX_CONDITION = 1e6


class PointStencils:
    """Local quadratic least-squares fits of fields given at scattered points (the outputs of
    shallow and coupled runs: parcels, a grid of points), evaluated at query positions.

    At each query position q the ``NEIGHBOURS`` nearest points give, by least squares,
    u ≈ c0 + c1·dx + c2·dy + c3·dx²/2 + c4·dx·dy + c5·dy²/2 (dx, dy from q), so c1, c2 are the
    gradient and c3, c4, c5 the Hessian at q: exact for quadratic fields, second-order accurate in
    the point spacing for the gradient on a regular grid. A query has no fit (``ok`` False, the
    reason in ``reasons``) when there are fewer than 6 points, when its neighbours do not span an
    area (on a line: condition number above ``MAX_CONDITION``) or when they reach further than
    ``ISOLATION`` times the median reach of the points (an isolated point would measure a slope
    over kilometres). The measures describe the surface at the scale of the point spacing.
    """

    def __init__(self, x, y, qx=None, qy=None, *, neighbours: int = NEIGHBOURS):
        from scipy.spatial import cKDTree

        x, y = np.asarray(x, float).ravel(), np.asarray(y, float).ravel()
        qx = x if qx is None else np.asarray(qx, float).ravel()
        qy = y if qy is None else np.asarray(qy, float).ravel()
        n, nq = x.size, qx.size
        self.n, self.nq = n, nq
        self.ok = np.zeros(nq, bool)
        self.reasons: list[str | None] = [None] * nq
        k = min(int(neighbours), n)
        self.k = k
        self.idx = np.zeros((nq, max(k, 1)), int)
        self.op = np.zeros((nq, 6, max(k, 1)))  # coefficients = op @ values[idx]
        if n < 6:
            self.reasons = [f"{n} point(s): a surface gradient and curvature need at least 6 points spanning an area"] * nq
            return
        tree = cKDTree(np.column_stack([x, y]))
        reach_pts = tree.query(np.column_stack([x, y]), k=k)[0][:, -1]
        typical = float(np.median(reach_pts))
        dist, idx = tree.query(np.column_stack([qx, qy]), k=k)
        self.idx = idx
        for i in range(nq):
            h = float(dist[i, -1])
            if not h > 0:
                self.reasons[i] = "the neighbouring points coincide"
                continue
            if h > ISOLATION * typical:
                self.reasons[i] = (f"isolated: its {k} nearest points reach {h:.4g} m, more than {ISOLATION:g} × the "
                                   f"median reach {typical:.4g} m of the points")
                continue
            dx, dy = (x[idx[i]] - qx[i]) / h, (y[idx[i]] - qy[i]) / h
            A = np.column_stack([np.ones(k), dx, dy, 0.5 * dx * dx, dx * dy, 0.5 * dy * dy])
            sv = np.linalg.svd(A, compute_uv=False)
            if sv[-1] <= sv[0] / MAX_CONDITION:
                self.reasons[i] = "its neighbouring points do not span an area (they lie on a line)"
                continue
            scale = np.array([1.0, h, h, h * h, h * h, h * h])
            self.op[i] = np.linalg.pinv(A) / scale[:, None]
            self.ok[i] = True

    def coefficients(self, values) -> np.ndarray:
        """(…, nq, 6) fit coefficients (value, ∂x, ∂y, ∂xx, ∂xy, ∂yy) of ``values`` (…, n); NaN where no fit."""
        v = np.asarray(values, float)
        c = np.einsum("qjk,...qk->...qj", self.op, v[..., self.idx])
        c[..., ~self.ok, :] = np.nan
        return c

    def derivatives(self, ux, uy, uz) -> dict[str, np.ndarray]:
        """The fields of ``DERIVATIVES`` (…, nq) of the displacements at the points (…, n)."""
        cz, cx, cy = self.coefficients(uz), self.coefficients(ux), self.coefficients(uy)
        return {"uz_x": cz[..., 1], "uz_y": cz[..., 2], "uz_xx": cz[..., 3], "uz_xy": cz[..., 4], "uz_yy": cz[..., 5],
                "ux_x": cx[..., 1], "ux_y": 0.5 * (cx[..., 2] + cy[..., 1]), "uy_y": cy[..., 2]}


def radius_of_curvature(curvature) -> np.ndarray:
    """Signed radius 1/κ (m; positive sagging), NaN where the curvature is 0 or undefined."""
    k = np.asarray(curvature, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(np.isfinite(k) & (k != 0.0), 1.0 / np.where(k == 0.0, 1.0, k), np.nan)


def angular_distortion_of_curvature(curvature, base_length: float) -> np.ndarray:
    """Angular distortion over a base length B of a surface with curvature κ (largest principal, 1/m):
    the slopes of the two halves of a chord of length B centred at the point differ from the chord's
    slope by |κ|·B/4 (exact for a quadratic surface, the small-base limit otherwise)."""
    return np.abs(np.asarray(curvature, float)) * float(base_length) / 4.0
