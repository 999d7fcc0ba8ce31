"""Building damage by the limiting-tensile-strain method — pure numpy, no I/O.

A building is a deep elastic beam of length L and height H along its main axis (Burland & Wroth
1974; Burland 1995; Mair, Taylor & Burland 1996). From the settlement profile along the axis:

- differential settlement: largest minus smallest settlement along the axis (m);
- rigid tilt ω: slope of the chord joining the two ends (m/m, the rigid-body part);
- deflection Δ: the largest distance of the profile from that chord, **sagging** where the
  profile lies below the chord, **hogging** above it; deflection ratio Δ/L (signed here:
  sagging positive, hogging negative);
- angular distortion β: the largest slope of the profile between neighbouring samples minus ω;
- horizontal strain ε_h along the axis: change of length / length, extension positive.

Bending and diagonal (shear) strains of the beam for a deflection ratio Δ/L (Burland & Wroth):

    Δ/L = ε_b · (L/(12t) + 3IE/(2tLHG))          Δ/L = ε_d · (1 + HL²G/(18IE))

with the neutral axis at mid-height in sagging (t = H/2, I = H³/12) and at the lower edge in
hogging (t = H, I = H³/3), E/G = 2.6 (isotropic masonry, ν = 0.3; 12.5 for frames). Combined with
the tensile horizontal strain (Boscardin & Cording 1989; Burland 1995; compression does not open
cracks and counts as 0):

    ε_br = ε_b + ε_h        ε_dr = ε_h(1−ν)/2 + √(ε_h²((1+ν)/2)² + ε_d²)

The limiting tensile strain max(ε_br, ε_dr) gives the category (Burland 1995, after Boscardin &
Cording 1989): 0 negligible < 0.05 % ≤ 1 very slight < 0.075 % ≤ 2 slight < 0.15 % ≤ 3 moderate
< 0.3 % ≤ 4–5 severe to very severe (the strain limits do not separate 4 from 5).
"""

from __future__ import annotations

import dataclasses

import numpy as np

#: strain limits between the categories (fractions): 0.05, 0.075, 0.15, 0.3 %
LIMITS = (0.0005, 0.00075, 0.0015, 0.003)
CATEGORIES = ("0", "1", "2", "3", "4-5")
CATEGORY_NAMES = ("negligible", "very slight", "slight", "moderate", "severe to very severe")
E_OVER_G = 2.6  # isotropic masonry, ν = 0.3 (Burland 1995)
NU = 0.3


def category(limiting_strain: float) -> str:
    """Damage category ("0" … "3", "4-5") of a limiting tensile strain (a fraction)."""
    return CATEGORIES[int(np.searchsorted(LIMITS, limiting_strain, side="right"))]


def beam_coefficients(length: float, height: float, mode: str, e_over_g: float = E_OVER_G) -> tuple[float, float]:
    """(Δ/L per unit bending strain, Δ/L per unit diagonal strain) of a deep beam in ``mode``
    "sagging" (neutral axis at mid-height) or "hogging" (at the lower edge)."""
    L, H = float(length), float(height)
    if mode == "sagging":
        t, inertia = H / 2.0, H**3 / 12.0
    elif mode == "hogging":
        t, inertia = H, H**3 / 3.0
    else:
        raise ValueError(f"mode must be 'sagging' or 'hogging', got {mode!r}")
    bending = L / (12.0 * t) + 3.0 * inertia * e_over_g / (2.0 * t * L * H)
    shear = 1.0 + H * L * L / (18.0 * inertia * e_over_g)
    return bending, shear


def limiting_strains(deflection_ratio: float, horizontal_strain: float, length: float, height: float, mode: str,
                     e_over_g: float = E_OVER_G, nu: float = NU) -> dict:
    """Bending and diagonal strains of the beam and their combinations with the horizontal strain."""
    cb, cd = beam_coefficients(length, height, mode, e_over_g)
    dr = abs(float(deflection_ratio))
    eb, ed = dr / cb, dr / cd
    eh = max(float(horizontal_strain), 0.0)
    ebr = eb + eh
    edr = eh * (1.0 - nu) / 2.0 + np.sqrt((eh * (1.0 + nu) / 2.0) ** 2 + ed * ed)
    return {"bending_strain": eb, "diagonal_strain": ed, "bending_strain_total": ebr, "diagonal_strain_total": float(edr),
            "limiting_tensile_strain": float(max(ebr, edr))}


@dataclasses.dataclass
class Assessment:
    differential_settlement_m: float
    tilt: float  # rigid tilt of the chord, m/m (positive: the far end, +L/2 along the axis, higher)
    deflection_ratio: float  # sagging positive, hogging negative
    mode: str  # "sagging" | "hogging" | "none"
    angular_distortion: float
    horizontal_strain: float  # along the axis, extension positive
    bending_strain: float
    diagonal_strain: float
    limiting_tensile_strain: float
    category: str
    category_name: str


def profile_measures(s: np.ndarray, uz: np.ndarray) -> dict:
    """Differential settlement, rigid tilt, sagging and hogging deflection ratios and angular
    distortion of a vertical displacement profile ``uz`` (up positive) at positions ``s`` (m, increasing)."""
    s = np.asarray(s, float)
    uz = np.asarray(uz, float)
    if s.size < 3 or np.any(np.diff(s) <= 0):
        raise ValueError("a profile needs at least 3 samples at increasing positions")
    L = s[-1] - s[0]
    omega = (uz[-1] - uz[0]) / L
    chord = uz[0] + omega * (s - s[0])
    d = chord - uz  # > 0 where the profile lies below the chord: sagging
    slopes = np.diff(uz) / np.diff(s)
    return {
        "length": L,
        "differential_settlement_m": float(uz.max() - uz.min()),
        "tilt": float(omega),
        "sagging_ratio": float(max(d.max(), 0.0) / L),
        "hogging_ratio": float(max((-d).max(), 0.0) / L),
        "angular_distortion": float(np.abs(slopes - omega).max()),
    }


def assess(s: np.ndarray, uz: np.ndarray, horizontal_strain: float, height: float, *, e_over_g: float = E_OVER_G,
           nu: float = NU) -> Assessment:
    """The damage assessment of a building with the profile ``uz(s)`` along its main axis (length
    s[-1] − s[0]), height ``height`` and the horizontal strain along the axis (extension positive).
    Sagging and hogging parts are each checked with their own beam; the worse one counts."""
    if not height > 0:
        raise ValueError(f"building height must be > 0 m, got {height}")
    p = profile_measures(s, uz)
    best = None
    for mode in ("sagging", "hogging"):
        ratio = p[f"{mode}_ratio"]
        r = limiting_strains(ratio, horizontal_strain, p["length"], height, mode, e_over_g, nu)
        if best is None or r["limiting_tensile_strain"] > best[2]["limiting_tensile_strain"]:
            best = (mode, ratio, r)
    mode, ratio, r = best
    if p["sagging_ratio"] == 0.0 and p["hogging_ratio"] == 0.0:
        mode = "none"
    cat = category(r["limiting_tensile_strain"])
    return Assessment(
        differential_settlement_m=p["differential_settlement_m"], tilt=p["tilt"],
        deflection_ratio=ratio if mode != "hogging" else -ratio, mode=mode, angular_distortion=p["angular_distortion"],
        horizontal_strain=float(horizontal_strain), bending_strain=r["bending_strain"],
        diagonal_strain=r["diagonal_strain"], limiting_tensile_strain=r["limiting_tensile_strain"],
        category=cat, category_name=CATEGORY_NAMES[CATEGORIES.index(cat)],
    )


def son_cording_strain(angular_distortion: float, horizontal_strain: float) -> float:
    """Son & Cording (2005): the principal tensile strain of the building's state of strain,
    with the angular distortion β as shear strain and the horizontal strain ε_h as normal strain,
    ε_p = ε_h/2 + √((ε_h/2)² + (β/2)²) (= ε_h cos²θ + β sinθ cosθ at tan 2θ = β/ε_h)."""
    eh, b = float(horizontal_strain), float(angular_distortion)
    return 0.5 * eh + float(np.hypot(0.5 * eh, 0.5 * b))


#: demands a fragility curve can be given for (columns of buildings.csv)
FRAGILITY_DEMANDS = ("limiting_tensile_strain", "son_cording_strain", "angular_distortion", "differential_settlement_m")


def fragility_probabilities(demand: float, states) -> list[float]:
    """Probability of each damage state for a demand, from lognormal fragility curves
    P(DS ≥ ds_k | x) = Φ(ln(x/θ_k)/β_k) (``states``: [(name, median θ_k, dispersion β_k)] in
    increasing order of severity). Returns [P(no damage state), P(ds_1), …, P(ds_n)], summing to 1."""
    from scipy.stats import norm

    x = max(float(demand), 1e-300)
    exceed = [float(norm.cdf(np.log(x / med) / beta)) for _, med, beta in states]
    # curves that cross (a later state more likely than an earlier one) are capped, as usual
    for k in range(1, len(exceed)):
        exceed[k] = min(exceed[k], exceed[k - 1])
    probs = [1.0 - exceed[0]] + [exceed[k] - (exceed[k + 1] if k + 1 < len(exceed) else 0.0) for k in range(len(exceed))]
    return probs
