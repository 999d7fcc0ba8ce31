"""Surface measures at the assessed time for ``subsidence impact`` (docs/impact.md):

- ``deformation.nc`` in the output folder: tilt, curvature, the **radius of curvature** (km,
  signed: positive sagging), the horizontal strain and compression, and with a base length the
  **angular distortion over that base length**, on the run's grid (y, x) or at its points;
- ``pairs.csv``: the **differential settlement between two given points** (and the slope and
  the horizontal strain between them);
- ``deformation_impact.png``: maps of the radius of curvature and the angular distortion.

Conventions (docs/conventions.md): settlement = −uz (down positive); the differential settlement
of a pair is settlement(2) − settlement(1); the slope between them is that over their distance
(the angular distortion of a structure spanning them when it has no rigid tilt); the horizontal
strain between them is the change of their distance over the distance (extension positive).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from subsidence.deep.deformation import radius_of_curvature


def parse_pair(text: str) -> tuple[float, float, float, float]:
    """``x1,y1,x2,y2`` (m, the run's CRS)."""
    parts = [p.strip() for p in str(text).split(",")]
    try:
        vals = tuple(float(p) for p in parts)
    except ValueError:
        vals = ()
    if len(vals) != 4 or not all(np.isfinite(vals)):
        raise ValueError(f"--pair {text!r}: expected four numbers x1,y1,x2,y2 (m)")
    if vals[0] == vals[2] and vals[1] == vals[3]:
        raise ValueError(f"--pair {text!r}: the two points coincide")
    return vals


def parse_length(text) -> float:
    """A length: a bare number (m) or a number with a unit ("20m", "0.02 km")."""
    from subsidence.units import UnitError, to_si

    try:
        v = float(text)
    except (TypeError, ValueError):
        try:
            v = to_si(str(text), "m")
        except UnitError as exc:
            raise ValueError(f"--base-length {text!r}: {exc}") from None
    if not (np.isfinite(v) and v > 0):
        raise ValueError(f"--base-length {text!r}: must be a length > 0")
    return float(v)


def pair_rows(surf, pairs) -> list[dict]:
    rows = []
    for k, (x1, y1, x2, y2) in enumerate(pairs, start=1):
        from subsidence.impact.surfaces import Outside

        try:
            v = surf.values([x1, x2], [y1, y2])
        except Outside as exc:
            raise ValueError(f"--pair {k} ({x1:g},{y1:g},{x2:g},{y2:g}): {exc}") from None
        dist = float(np.hypot(x2 - x1, y2 - y1))
        ex, ey = (x2 - x1) / dist, (y2 - y1) / dist
        s1, s2 = float(-v["uz"][0]), float(-v["uz"][1])
        du = (v["ux"][1] - v["ux"][0]) * ex + (v["uy"][1] - v["uy"][0]) * ey
        rows.append({"pair": k, "x1": x1, "y1": y1, "x2": x2, "y2": y2, "distance_m": dist, "settlement_1_m": s1,
                     "settlement_2_m": s2, "differential_settlement_m": s2 - s1, "slope": (s2 - s1) / dist,
                     "horizontal_strain": float(du / dist)})
    return rows


def _extreme(arr, xy, *, absolute=False):
    a = np.asarray(arr, float)
    mag = np.abs(a) if absolute else a
    if not np.isfinite(mag).any():
        return None
    j = np.unravel_index(int(np.nanargmax(mag)), mag.shape)
    x, y = xy(j)
    return {"value": max(float(mag[j]), 0.0), "signed": float(a[j]), "at": [x, y]}


def surface_measures(surf, base_length: float | None) -> tuple[dict, dict]:
    """(fields, summary): the measures at the assessed time and their extremes."""
    meas = dict(surf.measures())
    meas["radius_of_curvature"] = radius_of_curvature(meas["curvature"]) * 1e-3  # km
    if base_length is not None:
        meas["angular_distortion"] = surf.angular_distortion(base_length)
    cx, cy = surf.coords()
    xy = (lambda j: (float(cx[j[1]]), float(cy[j[0]]))) if surf.kind == "grid" else (lambda j: (float(cx[j[0]]), float(cy[j[0]])))
    s: dict = {"time_yr": surf.time_yr, "method": surf.measures_method}
    for name in ("tilt", "horizontal_strain", "horizontal_compression"):
        e = _extreme(meas[name], xy)
        if e is not None:
            s[f"max_{name}"], s[f"max_{name}_at"] = e["value"], e["at"]
    e = _extreme(meas["curvature"], xy, absolute=True)
    if e is not None:
        s["max_curvature"], s["max_curvature_at"] = e["value"], e["at"]
        s["max_curvature_mode"] = "none" if e["value"] == 0 else ("sagging" if e["signed"] > 0 else "hogging")
        s["min_radius_of_curvature_km"] = 1e-3 / e["value"] if e["value"] > 0 else None
    if "max_tilt" not in s:
        why = surf.stencils.reasons[0] if surf.kind == "points" and surf.stencils.reasons[0] else "no finite values"
        s["not_computed"] = f"no surface measures: {why}"
    if base_length is not None:
        s["base_length_m"] = float(base_length)
        e = _extreme(meas["angular_distortion"], xy)
        if e is not None:
            s["max_angular_distortion"], s["max_angular_distortion_at"] = e["value"], e["at"]
        elif surf.kind == "grid" and "not_computed" not in s and np.isfinite(surf.u["uz"]).all():
            x0, x1, y0, y1 = surf.bounds
            s["angular_distortion_not_computed"] = (f"not available: the chord of {base_length:g} m leaves the output "
                                                    f"grid at every node (the grid spans {x1 - x0:g} m × {y1 - y0:g} m)")
        else:
            s["angular_distortion_not_computed"] = f"not available: {s.get('not_computed', 'no finite values')}"
    return meas, s


VARS = {
    "tilt": ("1", "tilt: magnitude of the surface gradient |grad uz| (m/m)"),
    "curvature": ("m-1", "principal curvature of largest magnitude, positive sagging, negative hogging"),
    "radius_of_curvature": ("km", "radius of curvature 1/curvature, positive sagging; NaN where the curvature is 0"),
    "horizontal_strain": ("1", "largest principal horizontal strain, extension positive"),
    "horizontal_compression": ("1", "minus the smallest principal horizontal strain, compression positive"),
    "angular_distortion": ("1", "angular distortion over the base length: of a chord of that length centred here, "
                                "the largest difference between the slope of a half and that of the chord, over all "
                                "azimuths"),
}


def write_deformation(path: Path, surf, meas: dict, summary: dict) -> None:
    import xarray as xr

    cx, cy = surf.coords()
    if surf.kind == "grid":
        dims, coords = ("y", "x"), {"x": ("x", cx, {"units": "m", "long_name": "easting"}),
                                    "y": ("y", cy, {"units": "m", "long_name": "northing"})}
    else:
        dims = ("station",)
        coords = {"station_name": ("station", np.asarray(surf.names, dtype=str), {"cf_role": "timeseries_id"}),
                  "x": ("station", cx, {"units": "m", "long_name": "easting"}),
                  "y": ("station", cy, {"units": "m", "long_name": "northing"})}
    data = {k: (dims, np.asarray(v, float), {"units": VARS[k][0], "long_name": VARS[k][1]}) for k, v in meas.items()}
    ds = xr.Dataset(data, coords=coords)
    ds.attrs.update(time_years=surf.time_yr, method=summary["method"], source=str(surf.path),
                    conventions="East-North-Up; the measures of the run at one output time (subsidence impact)")
    if surf.minus is not None:
        ds.attrs["minus"] = str(surf.minus)
    if "base_length_m" in summary:
        ds["angular_distortion"].attrs["base_length_m"] = summary["base_length_m"]
    if surf.crs:
        ds.attrs["crs"] = surf.crs
    ds.to_netcdf(path)


def write_pairs(path: Path, rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        for r in rows:
            w.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in r.items()})


def plot(path: Path, surf, meas: dict, summary: dict, *, title: str, pairs=()) -> None:
    """Radius of curvature (km; sagging blue, hogging red, log scale of |R|) and, with a base length, the
    angular distortion."""
    from matplotlib.colors import LogNorm

    from subsidence.io.plots import _plt, crs_label

    plt = _plt()
    panels = ["radius_of_curvature"] + (["angular_distortion"] if "angular_distortion" in meas else [])
    fig, axes = plt.subplots(1, len(panels), figsize=(6.5 * len(panels), 5.8), constrained_layout=True, squeeze=False)
    cx, cy = surf.coords()
    for ax, name in zip(axes[0], panels):
        z = np.asarray(meas[name], float)
        if name == "radius_of_curvature":
            mag = np.abs(z)
            ok = np.isfinite(mag) & (mag > 0)
            vmin, vmax = (float(mag[ok].min()), float(mag[ok].max())) if ok.any() else (1.0, 10.0)
            vmax = max(vmax, vmin * 1.0001)
            norm, label = LogNorm(vmin=vmin, vmax=vmax), "|radius of curvature| [km]"
            for sign, cmap in ((1, "Blues_r"), (-1, "Reds_r")):
                sel = np.where(ok & (np.sign(z) == sign), mag, np.nan)
                pc = _draw(ax, surf, cx, cy, sel, cmap=cmap, norm=norm)
                if sign == 1:
                    fig.colorbar(pc, ax=ax, label=label + " (blue sagging, red hogging)", shrink=0.85)
            top = summary.get("min_radius_of_curvature_km")
            ax.set_title(f"radius of curvature: smallest {top:.4g} km" if top else "radius of curvature", fontsize=9)
        else:
            pc = _draw(ax, surf, cx, cy, z * 1e3, cmap="viridis", norm=None)
            fig.colorbar(pc, ax=ax, label=f"angular distortion over {summary['base_length_m']:g} m [mm/m]", shrink=0.85)
            ax.set_title(f"angular distortion: max {summary.get('max_angular_distortion', 0.0):.3g}", fontsize=9)
        for k, (x1, y1, x2, y2) in enumerate(pairs, start=1):
            ax.plot([x1 * 1e-3, x2 * 1e-3], [y1 * 1e-3, y2 * 1e-3], "k.-", lw=0.8, ms=4)
            ax.annotate(f"pair {k}", (x2 * 1e-3, y2 * 1e-3), fontsize=7)
        ax.set_aspect("equal")
        ax.set_xlabel(f"x / easting [km]{crs_label(surf.crs)}", fontsize=8)
        ax.set_ylabel("y / northing [km]", fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _draw(ax, surf, cx, cy, z, *, cmap, norm):
    if surf.kind == "grid":
        return ax.pcolormesh(cx * 1e-3, cy * 1e-3, z, cmap=cmap, norm=norm, shading="auto")
    return ax.scatter(cx * 1e-3, cy * 1e-3, c=z, s=14, cmap=cmap, norm=norm)
