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
        for name, arr in meas.items():
            mag = np.abs(arr) if name == "curvature" else arr
            j = np.unravel_index(int(np.argmax(mag)), mag.shape)
            v = max(float(mag[j]), 0.0)
            if name not in self.best or v > self.best[name][0]:
                self.best[name] = (v, float(t_yr), float(x[j[1]]), float(y[j[0]]), float(arr[j]))

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
