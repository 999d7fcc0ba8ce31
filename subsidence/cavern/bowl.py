"""How much of a cavern's surface bowl an output grid holds (bowl completeness).

In an elastic half-space a change ΔV of a cavity's volume at depth d moves the surface by
uz(r) = (1 − ν) ΔV d / (π (r² + d²)^{3/2}) (Mogi), a bowl whose volume is 2(1 − ν) ΔV in all.
A finite map grid holds only part of it: within a disc of radius R the fraction
1 − d/√(R² + d²) (:func:`subsidence.cavern.surface.mogi_volume_fraction`), within a rectangle
the closed form of :func:`mogi_rectangle_fraction`. 95 % of the bowl needs a square of
half-width 18 d around the cavern, 90 % 9 d.

:func:`completeness` compares the bowl of a run (the surface displacement since t = 0,
integrated over the grid by the trapezoidal rule) with 2(1 − ν) ΔV summed over the caverns
(ν: thickness average of the layers above the cavern's centroid) and with the most a grid of
that extent can hold (the Mogi fraction of the rectangle). :func:`assess` turns it into
warnings that name the key to enlarge.
"""

from __future__ import annotations

import numpy as np

#: below this fraction of 2(1 − ν)ΔV on the grid the run warns
THRESHOLD = 0.9
#: an automatically sized grid holds this fraction of the Mogi bowl of the deepest cavern
AUTO_FRACTION = 0.95


def mogi_rectangle_fraction(xmin: float, xmax: float, ymin: float, ymax: float, depth: float) -> float:
    """Fraction of the Mogi bowl volume of a point source at (0, 0, −depth) that lies in the
    rectangle [xmin, xmax] × [ymin, ymax] (coordinates relative to the source's epicentre).

    ∫₀^a∫₀^b d/(2π(x² + y² + d²)^{3/2}) dy dx = arctan(ab / (d √(a² + b² + d²))) / (2π), odd in a
    and b, so the rectangle is the signed sum over its four corners."""

    def F(a, b):
        return np.arctan2(a * b, depth * np.sqrt(a * a + b * b + depth * depth)) / (2 * np.pi)

    return float(F(xmax, ymax) - F(xmin, ymax) - F(xmax, ymin) + F(xmin, ymin))


def mogi_unit_uz(x, y, depth: float):
    """Mogi surface displacement of a unit bowl volume (∫ uz dA = 1) at (0, 0, −depth)."""
    return depth / (2 * np.pi * (np.asarray(x) ** 2 + np.asarray(y) ** 2 + depth**2) ** 1.5)


def half_width_for_fraction(depth: float, fraction: float = AUTO_FRACTION) -> float:
    """Half-width h of the square centred above a source at ``depth`` that holds ``fraction`` of
    its Mogi bowl: (2/π) arctan(h² / (d √(2h² + d²))) = fraction, solved for h (18.0 d for
    95 %, 9.0 d for 90 %)."""
    if not 0 < fraction < 1:
        raise ValueError("fraction must lie in (0, 1)")
    T = np.tan(0.5 * np.pi * fraction)
    return float(depth * np.sqrt(T * T + T * np.sqrt(T * T + 1)))


def poisson_above(layers, depth: float) -> float:
    """Thickness-weighted Poisson's ratio of the layers between the surface and ``depth``
    (the ν of the Mogi factor 2(1 − ν); exact for a homogeneous overburden)."""
    top, acc = 0.0, 0.0
    for L in layers:
        seg = max(0.0, min(L.bottom_depth, depth) - top)
        acc += seg * L.law.nu
        top = L.bottom_depth
        if top >= depth:
            break
    return acc / depth if depth > 0 else float(layers[0].law.nu)


def centroid_depth(depths, radii) -> float:
    """Depth of the volume centroid of a body of revolution r(depth) (trapezoidal frusta)."""
    d, r = np.asarray(depths, float), np.asarray(radii, float)
    h = np.diff(d)
    vol = np.pi * h * (r[:-1] ** 2 + r[:-1] * r[1:] + r[1:] ** 2) / 3.0
    # centroid of each frustum from its top
    with np.errstate(invalid="ignore", divide="ignore"):
        zc = h * (r[:-1] ** 2 + 2 * r[:-1] * r[1:] + 3 * r[1:] ** 2) / (4 * (r[:-1] ** 2 + r[:-1] * r[1:] + r[1:] ** 2))
    zc = np.where(np.isfinite(zc), zc, 0.5 * h)
    return float(np.sum(vol * (d[:-1] + zc)) / np.sum(vol))


def profile_bowl(r, uz) -> float:
    """Volume of the bowl of an axisymmetric surface profile: ∫ uz 2πr dr (trapezoidal on the
    profile's nodes) from the axis out to where uz first changes sign (beyond it a finite model
    with roller sides rises slightly over a large area; that is not part of the bowl)."""
    r, uz = np.asarray(r, float), np.asarray(uz, float)
    if len(r) < 2 or not np.any(uz):
        return 0.0
    sgn = np.sign(uz[np.argmax(np.abs(uz))])
    k = np.flatnonzero(sgn * uz[np.argmax(np.abs(uz)):] <= 0)
    if k.size:
        j = int(np.argmax(np.abs(uz))) + int(k[0])  # uz[j - 1] and uz[j] bracket the sign change
        r0 = r[j - 1] + (r[j] - r[j - 1]) * uz[j - 1] / (uz[j - 1] - uz[j]) if uz[j - 1] != uz[j] else r[j]
        r, uz = np.append(r[:j], r0), np.append(uz[:j], 0.0)
    return float(np.trapezoid(uz * 2 * np.pi * r, r))


def profile_change_bowl(p0, p1) -> float | None:
    """:func:`profile_bowl` of the change between two surface profiles (r, u_r, u_z) of one
    model (None when there are none: 3D models)."""
    if p0 is None or p1 is None:
        return None
    (r0, _, z0), (r1, _, z1) = p0, p1
    return profile_bowl(r1, np.asarray(z1) - np.interp(r1, r0, z0))


def grid_volume(x, y, uz) -> float:
    """∫ uz dA over the grid (trapezoidal rule; uz of shape (ny, nx))."""
    return float(np.trapezoid(np.trapezoid(np.asarray(uz, float), np.asarray(x, float), axis=1), np.asarray(y, float)))


def completeness(x, y, uz, sources: list[dict], *, model_bowl: float | None = None) -> dict:
    """Bowl completeness of a surface field ``uz`` (ny, nx) on the grid ``x``, ``y`` (map
    coordinates): ``sources`` are dicts with ``name``, ``x``, ``y`` (epicentre), ``depth``
    (centroid), ``nu`` and ``dV`` (cavity volume change since the field's reference, m³,
    negative for closure), optionally ``V0``; ``model_bowl`` the volume of the model's own bowl
    (axisymmetric models: :func:`profile_bowl`, out to where the displacement changes sign; a
    field: summed over its caverns).

    Returns ``cavity_volume_change_m3`` (Σ ΔV), ``mogi_bowl_m3`` (Σ 2(1 − ν)ΔV),
    ``grid_bowl_m3`` (∫ uz dA on the grid), ``fraction`` (their ratio: how much of the elastic
    half-space bowl the grid holds), ``max_fraction`` (the most a grid of this extent can hold:
    the Mogi fraction of the rectangle, weighted by each cavern's 2(1 − ν)ΔV),
    ``sampled_max_fraction`` (the same integrated with the trapezoidal rule on the grid nodes:
    far from ``max_fraction`` when the grid is too coarse to integrate the bowl), ``of_max``
    (fraction / max_fraction), ``grid_reach_m`` (the largest distance, in x or y, from a cavern
    to the grid's edge), and with ``model_bowl``: ``model_bowl_m3``, ``model_fraction`` (grid /
    model bowl: how much of the model's own bowl the grid holds) and ``model_over_mogi`` (model
    bowl / 2(1 − ν)ΔV). Fractions are None when the volume change is negligible."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    X, Y = np.meshgrid(x, y)
    dV = np.array([s["dV"] for s in sources], float)
    w = np.array([2 * (1 - s["nu"]) * s["dV"] for s in sources], float)
    total = float(w.sum())
    grid = grid_volume(x, y, uz)
    rect = np.array([mogi_rectangle_fraction(x[0] - s["x"], x[-1] - s["x"], y[0] - s["y"], y[-1] - s["y"], s["depth"])
                     for s in sources])
    sampled = np.array([grid_volume(x, y, mogi_unit_uz(X - s["x"], Y - s["y"], s["depth"])) for s in sources])
    scale = max([abs(s.get("V0", 0.0)) for s in sources] + [1.0])
    small = abs(total) <= 1e-12 * scale

    def ratio(a, b):
        return None if small or b == 0 else float(a / b)

    out = {
        "cavity_volume_change_m3": float(dV.sum()),
        "mogi_bowl_m3": total,
        "grid_bowl_m3": grid,
        "fraction": ratio(grid, total),
        "max_fraction": None if small else float(np.dot(w, rect) / total),
        "sampled_max_fraction": None if small else float(np.dot(w, sampled) / total),
        "of_max": None,
        "grid_extent_m": [float(x[0]), float(x[-1]), float(y[0]), float(y[-1])],
        "grid_spacing_m": [float(np.diff(x).max()) if len(x) > 1 else 0.0, float(np.diff(y).max()) if len(y) > 1 else 0.0],
        "grid_reach_m": float(max(max(s["x"] - x[0], x[-1] - s["x"], s["y"] - y[0], y[-1] - s["y"]) for s in sources)),
        "poisson_ratio": {s["name"]: float(s["nu"]) for s in sources},
        "source_depth_m": {s["name"]: float(s["depth"]) for s in sources},
    }
    if out["fraction"] is not None and out["max_fraction"]:
        out["of_max"] = out["fraction"] / out["max_fraction"]
    if model_bowl is not None:
        out["model_bowl_m3"] = float(model_bowl)
        out["model_fraction"] = ratio(grid, model_bowl)
        out["model_over_mogi"] = ratio(model_bowl, total)
    return out


#: the grid should stay within this fraction of the model radius from every cavern: further out
#: the bowl is the finite model's (an elastic bowl is 8 % short of the half-space's at a quarter
#: of the model radius, 1 % at an eighth; measured, docs/caverns.md)
REACH_FRACTION = 0.25


def assess(b: dict, *, half_width_key: str = "surface.half_width", domain_key: str = "geometry.domain_radius",
           domain: float | None = None, threshold: float = THRESHOLD, label: str = "") -> list[str]:
    """Warnings for a completeness dict ``b`` (:func:`completeness`), each naming the key to
    change: the grid is too small for a half-space bowl (``max_fraction`` < threshold) or for the
    model's own bowl (``model_fraction`` < threshold): enlarge ``half_width_key``; the grid reaches
    further than REACH_FRACTION of the model radius from a cavern, where the bowl is the finite
    model's: enlarge ``domain_key``; the grid is too coarse to integrate the bowl: more points."""
    f, fmax, fs = b.get("fraction"), b.get("max_fraction"), b.get("sampled_max_fraction")
    if f is None:
        return []
    deepest = max(b["source_depth_m"], key=b["source_depth_m"].get)
    d = b["source_depth_m"][deepest]
    causes = []
    if fmax < threshold:
        h90 = half_width_for_fraction(d, threshold)
        causes.append(f"the grid is too small to hold a half-space bowl (at most {100 * fmax:.0f} %): enlarge "
                      f"{half_width_key} (a square of half-width {h90:.0f} m around cavern {deepest!r} at {d:.0f} m "
                      f"holds {100 * threshold:.0f} % of its bowl) and keep {domain_key} at least "
                      f"{1 / REACH_FRACTION:g} x larger")
    fm = b.get("model_fraction")
    if fm is not None and fm < threshold:
        causes.append(f"the grid holds {100 * fm:.0f} % of the model's own bowl ({b['model_bowl_m3']:.4g} m³ out to "
                      f"where the model's surface displacement changes sign): enlarge {half_width_key}")
    reach = b.get("grid_reach_m")
    if domain and reach and reach > REACH_FRACTION * domain * 1.0001:
        causes.append(f"the grid reaches {reach:.0f} m from a cavern, more than {REACH_FRACTION:g} of {domain_key} "
                      f"({domain:.0f} m): there the bowl is that of the finite model with roller sides, short of the "
                      f"half-space's: enlarge {domain_key} to at least {reach / REACH_FRACTION:.0f} m")
    if fs is not None and fmax and abs(fs - fmax) > 0.02 * abs(fmax):
        causes.append(f"the grid is too coarse to integrate the bowl (spacing {max(b['grid_spacing_m']):.0f} m; the "
                      f"trapezoidal rule gives {100 * fs:.0f} % for the half-space bowl, exactly {100 * fmax:.0f} %): "
                      "increase surface.n")
    if not causes:
        return []
    where = f"{label}: " if label else ""
    return [f"{where}the surface bowl may be incomplete: the output grid holds {100 * f:.0f} % of 2(1−ν)ΔV "
            f"(∫uz dA = {b['grid_bowl_m3']:.4g} m³, 2(1−ν)ΔV = {b['mogi_bowl_m3']:.4g} m³ for ΔV = "
            f"{b['cavity_volume_change_m3']:.4g} m³): " + "; ".join(causes) + "."]


def note(b: dict) -> str | None:
    """The model's own bowl against the elastic half-space's (a fact of the model; no key of the
    output grid changes it)."""
    r = b.get("model_over_mogi")
    if r is None:
        return None
    nu = float(np.mean(list(b["poisson_ratio"].values())))
    return (f"the model's own bowl (out to where the displacement changes sign) holds {100 * r:.0f} % of 2(1−ν)ΔV. "
            f"Over its whole top a finite elastic model with roller sides and bottom holds ΔV, {100 / (2 * (1 - nu)):.0f} % "
            "of 2(1−ν)ΔV (the half-space's far field is cut off); creep changes the bowl further: part of the closure "
            "is taken up by elastic volume change of the rock where creep redistributes the stress (creep itself keeps "
            "the volume)")


def sources_from_rows(cfg, rows: list[dict], centres: list[tuple[float, float]], t_yr: float) -> list[dict]:
    """Mogi sources of a cavern run: each cavern's map epicentre (``centres``), volume
    centroid depth, ν above it, and its volume change from t = 0 to ``t_yr`` (from the rows of
    ``cavern.csv``: the first row of the cavern and the one closest to ``t_yr``)."""
    out = []
    for c, (cx, cy) in zip(cfg.caverns, centres):
        rr = [r for r in rows if r["cavern"] == c.name]
        if not rr:
            continue
        end = min(rr, key=lambda r: abs(r["time_yr"] - t_yr))
        depth = centroid_depth(c.depths, c.radii)
        out.append({"name": c.name, "x": float(cx), "y": float(cy), "depth": depth, "nu": poisson_above(cfg.layers, depth),
                    "dV": float(end["volume_m3"] - rr[0]["volume_m3"]), "V0": float(rr[0]["volume_m3"])})
    return out


def log_new_warnings(log, warnings: list[str], new: list[str]) -> None:
    """Log each warning of ``new`` once per run (the scenarios of a run share most of them)."""
    for w in new:
        if w not in warnings:
            log.warning("%s", w)
            warnings.append(w)


def run_report(cfg, x, y, times_s, grid_uz, rows: list[dict], centres, *, label: str = "",
               model_bowl: float | None = None) -> tuple[dict, list[str]]:
    """Bowl completeness of a cavern run's surface grid at its last output time (the
    displacement since t = 0 against the cavity volume change since t = 0), with the warnings:
    the grid holds less than THRESHOLD of the bowl, or the automatic grid could not hold
    AUTO_FRACTION of it inside the model."""
    from subsidence.units import SECONDS_PER_YEAR

    t_yr = float(times_s[-1]) / SECONDS_PER_YEAR
    duz = np.asarray(grid_uz[-1], float) - np.asarray(grid_uz[0], float)
    b = {"time_yr": t_yr, **completeness(x, y, duz, sources_from_rows(cfg, rows, centres, t_yr), model_bowl=model_bowl)}
    b["threshold"] = THRESHOLD
    b["half_width_m"] = float(cfg.surface_half_width)
    b["half_width_auto"] = bool(cfg.surface_half_width_auto)
    cluster = cfg.geometry == "cluster"
    dom_key = "geometry.extent" if cluster else "geometry.domain_radius"
    hw_key = "surface.half_width" + (" (the margin around the caverns)" if cfg.geometry == "field" else "")
    warns = assess(b, half_width_key=hw_key, domain_key=dom_key, domain=None if cluster else cfg.domain_radius,
                   label=label)
    n = note(b)
    if n:
        b["note"] = n
    need = float(cfg.surface_half_width_needed)
    if cfg.surface_half_width_auto and need > 1.0001 * cfg.surface_half_width:
        b["half_width_needed_m"] = need
        msg = (f"surface.half_width is not given: the grid was sized to the largest inside the model "
               f"({cfg.surface_half_width:.0f} m), but holding {100 * AUTO_FRACTION:.0f} % of the Mogi bowl of the deepest "
               f"cavern needs {need:.0f} m")
        if cluster:
            msg += ": enlarge geometry.extent"
        else:
            msg += (f": enlarge geometry.domain_radius ({cfg.domain_radius:.0f} m) to at least {np.sqrt(2) * need:.0f} m, "
                    "better several times more (the far field is that of the finite model)")
        warns.insert(0, msg + ".")  # a fact of the case, the same for every scenario
    return b, warns
