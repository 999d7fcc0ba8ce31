"""Metrics of a subsidence bowl on a regular grid, and the difference of two bowls.

All on one output time of ``surface.nc`` (ux, uy, uz in m, up positive, East-North):

- ``max_subsidence_m`` (positive) and its position;
- the principal directions of the bowl: eigenvectors of the second moments of the subsidence
  s = max(−uz, 0) about its centroid (``major_axis_deg``: anticlockwise from east);
- widths along the major and minor axis through the deepest point, between the points where s
  falls to 10 % of its maximum (and to an absolute ``contour`` when given), found on the line
  by linear interpolation of the grid; the asymmetry is the longer side over the shorter one
  along the major axis (1: symmetric). A width is NaN, with a line in ``notes``, where the
  contour does not close within the grid or where ``contour`` is not below the largest
  subsidence (no such contour: not a width of 0);
- ``bowl_volume_m3`` = ∫ s dA (trapezoid) and the area inside the 10 % contour;
- the largest horizontal displacement and its ratio to the largest subsidence;
- the largest tilt |∇uz|, curvature (largest |eigenvalue| of the Hessian of uz) and largest
  principal horizontal strain (extension positive) and compression, by central finite
  differences of the output grid (:func:`subsidence.deep.deformation.grid_derivatives`, as FE
  runs write them; for analytic runs ``deformation.nc`` holds the exact ones).
"""

from __future__ import annotations

import numpy as np
from scipy.interpolate import RegularGridInterpolator


def _interp(x, y, f):
    return RegularGridInterpolator((y, x), f, bounds_error=False, fill_value=np.nan)


def _reach(x, y, s, x0, y0, e, level, step):
    """Distance from (x0, y0) along unit vector e to where s first falls below ``level``
    (linear interpolation between samples); NaN when it does not within the grid."""
    f = _interp(x, y, s)
    rmax = float(np.hypot(x[-1] - x[0], y[-1] - y[0]))
    r = np.arange(0.0, rmax + step, step)
    vals = f(np.column_stack([y0 + r * e[1], x0 + r * e[0]]))
    below = np.flatnonzero(~(vals >= level))  # NaN (outside the grid) counts as not reached
    if below.size == 0 or np.isnan(vals[below[0]]):
        return np.nan
    k = below[0]
    if k == 0:
        return 0.0
    v0, v1 = vals[k - 1], vals[k]
    return float(r[k - 1] + (v0 - level) / (v0 - v1) * step)


def bowl_metrics(x, y, ux, uy, uz, *, contour: float | None = None) -> dict:
    """Metrics of the bowl on the grid (x (nx,), y (ny,), fields (ny, nx)); see the module."""
    if contour is not None and not (np.isfinite(contour) and contour > 0):
        raise ValueError(f"contour must be a subsidence > 0 m (positive down), got {contour}")
    x, y = np.asarray(x, float), np.asarray(y, float)
    uz = np.asarray(uz, float)
    s = np.maximum(-uz, 0.0)
    smax = float(s.max())
    out: dict = {"max_subsidence_m": smax}
    if smax <= 0:
        return out
    i, j = np.unravel_index(np.argmax(s), s.shape)
    x0, y0 = float(x[j]), float(y[i])
    out.update(max_x=x0, max_y=y0)
    X, Y = np.meshgrid(x, y)
    w = s / s.sum()
    xc, yc = float((w * X).sum()), float((w * Y).sum())
    cov = np.array([[(w * (X - xc) ** 2).sum(), (w * (X - xc) * (Y - yc)).sum()],
                    [(w * (X - xc) * (Y - yc)).sum(), (w * (Y - yc) ** 2).sum()]])
    vals, vecs = np.linalg.eigh(cov)
    major, minor = vecs[:, 1], vecs[:, 0]
    if major[0] < 0 or (major[0] == 0 and major[1] < 0):
        major = -major
    ang = float(np.degrees(np.arctan2(major[1], major[0])))
    out.update(centroid_x=xc, centroid_y=yc, major_axis_deg=ang % 180.0)
    step = 0.05 * min(np.diff(x).min(), np.diff(y).min())
    levels = [("10pct", 0.1 * smax)] + ([("contour", float(contour))] if contour is not None else [])
    notes = []
    for name, level in levels:
        what = "10 %" if name == "10pct" else f"{level:g} m"
        if level >= smax:
            out.update({f"width_major_{name}_m": np.nan, f"width_minor_{name}_m": np.nan})
            notes.append(f"the {what} contour is not below the largest subsidence ({smax:.4g} m): no {name} widths")
            continue
        a_plus, a_minus = (_reach(x, y, s, x0, y0, sgn * major, level, step) for sgn in (1, -1))
        b_plus, b_minus = (_reach(x, y, s, x0, y0, sgn * minor, level, step) for sgn in (1, -1))
        out[f"width_major_{name}_m"] = a_plus + a_minus
        out[f"width_minor_{name}_m"] = b_plus + b_minus
        if np.isnan([a_plus, a_minus, b_plus, b_minus]).any():
            notes.append(f"the {what} contour does not close within the grid: {name} width(s) NaN")
        if name == "10pct":
            out["asymmetry_major"] = max(a_plus, a_minus) / min(a_plus, a_minus) if min(a_plus, a_minus) > 0 else np.nan
    vol = float(np.trapezoid(np.trapezoid(s, x, axis=1), y))
    cell = np.outer(np.gradient(y), np.gradient(x))
    out.update(bowl_volume_m3=vol, area_10pct_m2=float(cell[s >= 0.1 * smax].sum()))
    h = np.hypot(np.asarray(ux, float), np.asarray(uy, float))
    out.update(max_horizontal_m=float(h.max()), horizontal_to_vertical=float(h.max() / smax))
    from subsidence.deep.deformation import grid_derivatives, measures_from

    meas = measures_from(grid_derivatives(x, y, ux, uy, uz))  # the measures FE runs write, by the same code
    out.update(max_tilt=float(meas["tilt"].max()), max_curvature_per_m=float(np.abs(meas["curvature"]).max()),
               max_horizontal_strain=float(meas["horizontal_strain"].max()),
               max_horizontal_compression=float(max(meas["horizontal_compression"].max(), 0.0)))
    if notes:
        out["notes"] = "; ".join(notes)
    return out


def on_grid(x, y, xs, ys, field):
    """``field`` given on (xs, ys) at the points of the grid (x, y) (linear; NaN outside)."""
    X, Y = np.meshgrid(x, y)
    return _interp(np.asarray(xs, float), np.asarray(ys, float), np.asarray(field, float))(np.column_stack([Y.ravel(), X.ravel()])).reshape(X.shape)
