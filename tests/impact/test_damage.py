"""Building damage by the limiting-tensile-strain method (subsidence.impact.damage).

Hand calculation for the sagging cases (Burland & Wroth 1974, E/G = 2.6, neutral axis at
mid-height: t = H/2, I = H³/12), L = 20 m, H = 10 m:

    Δ/L per unit bending strain  = L/(12t) + 3IE/(2tLHG) = 20/60 + 3·83.333·2.6/(2·5·20·10) = 0.33333 + 0.325 = 0.65833
    Δ/L per unit diagonal strain = 1 + HL²G/(18IE)       = 1 + 10·400/(18·83.333·2.6)      = 1 + 1.02564    = 2.02564

so bending governs: ε_lim = Δ/L / 0.65833 + ε_h. A tall short building (L = 10 m, H = 20 m):
bending 10/120 + 3·666.67·2.6/(2·10·10·20) = 1.38333, diagonal 1 + 20·100/(18·666.67·2.6) = 1.06410:
shear governs, ε_lim = ε_h·0.35 + √((0.65·ε_h)² + (Δ/L / 1.06410)²).

Guards against: a rigid tilt read as distortion, sagging and hogging swapped, a wrong beam
coefficient, the horizontal strain added the wrong way, and off-by-one category boundaries.
"""

import numpy as np
import pytest

from subsidence.impact.damage import assess, beam_coefficients, category, limiting_strains

LIMITS = [0.0005, 0.00075, 0.0015, 0.003]  # 0.05, 0.075, 0.15, 0.3 %
BELOW_ABOVE = [("0", "1"), ("1", "2"), ("2", "3"), ("3", "4-5")]


def sagging_profile(length, ratio, tilt=0.0, n=11):
    """uz(s) = −4Δ s(L−s)/L² (Δ = ratio·L below the chord at mid-length) plus a rigid tilt."""
    s = np.linspace(0.0, length, n)
    return s, -4.0 * ratio * length * s * (length - s) / length**2 + tilt * s - 0.03


def test_rigid_tilt_is_category_zero():
    s = np.linspace(0.0, 25.0, 11)
    a = assess(s, -0.05 + 4e-3 * s, 0.0, 6.0)  # 4 mm/m, far beyond any distortion limit if it were one
    assert a.category == "0" and a.limiting_tensile_strain < 1e-15
    assert a.tilt == pytest.approx(4e-3) and a.angular_distortion < 1e-15 and abs(a.deflection_ratio) < 1e-15
    assert a.differential_settlement_m == pytest.approx(0.1)


def test_beam_coefficients_by_hand():
    assert beam_coefficients(20.0, 10.0, "sagging") == pytest.approx((0.658333, 2.025641), rel=1e-5)
    assert beam_coefficients(20.0, 10.0, "hogging") == pytest.approx((1 / 6 + 0.65, 1 + 4000 / 15600), rel=1e-6)
    assert beam_coefficients(10.0, 20.0, "sagging") == pytest.approx((1.383333, 1.064103), rel=1e-5)


@pytest.mark.parametrize("k", range(4))
@pytest.mark.parametrize("eps_h", [0.0, 1e-4])
def test_sagging_profile_gives_the_hand_category_at_each_boundary(k, eps_h):
    limit = LIMITS[k]
    for factor, expected in ((0.99, BELOW_ABOVE[k][0]), (1.01, BELOW_ABOVE[k][1])):
        ratio = (factor * limit - eps_h) * 0.658333  # hand: ε_b = Δ/L / 0.65833, ε_br = ε_b + ε_h
        s, uz = sagging_profile(20.0, ratio, tilt=2e-3)
        a = assess(s, uz, eps_h, 10.0)
        assert a.mode == "sagging" and a.deflection_ratio == pytest.approx(ratio, rel=1e-9)
        assert a.limiting_tensile_strain == pytest.approx(factor * limit, rel=1e-5)
        assert a.category == expected, (limit, factor, a)
        assert a.tilt == pytest.approx(2e-3, rel=1e-9)


@pytest.mark.parametrize("k", range(4))
def test_shear_governs_a_tall_short_building_at_each_boundary(k):
    limit, eps_h = LIMITS[k], 1e-4
    for factor, expected in ((0.99, BELOW_ABOVE[k][0]), (1.01, BELOW_ABOVE[k][1])):
        target = factor * limit  # solve 0.35 ε_h + √((0.65 ε_h)² + ε_d²) = target for ε_d by hand
        eps_d = np.sqrt((target - 0.35 * eps_h) ** 2 - (0.65 * eps_h) ** 2)
        ratio = eps_d * 1.064103
        s, uz = sagging_profile(10.0, ratio)
        a = assess(s, uz, eps_h, 20.0)
        assert a.limiting_tensile_strain == pytest.approx(target, rel=1e-5)
        assert a.category == expected


def test_hogging_and_compression():
    s, uz = sagging_profile(20.0, -2e-4)  # a negative sagging is a hogging profile
    a = assess(s, uz, -5e-4, 10.0)  # compression opens no cracks: counts as 0
    assert a.mode == "hogging" and a.deflection_ratio == pytest.approx(-2e-4)
    assert a.limiting_tensile_strain == pytest.approx(2e-4 / (1 / 6 + 0.65), rel=1e-9)
    assert a.horizontal_strain == -5e-4 and a.category == "0"
    assert limiting_strains(0.0, 6e-4, 20.0, 10.0, "sagging")["limiting_tensile_strain"] == pytest.approx(6e-4)


def test_category_boundaries_are_inclusive_upwards():
    assert [category(v) for v in (0.0, 0.00049, 0.0005, 0.00075, 0.0015, 0.003, 0.01)] == \
        ["0", "0", "1", "2", "3", "4-5", "4-5"]


def test_son_cording_principal_strain_by_hand():
    from subsidence.impact.damage import son_cording_strain

    assert son_cording_strain(0.0, 0.001) == pytest.approx(0.001)  # pure extension
    assert son_cording_strain(0.002, 0.0) == pytest.approx(0.001)  # pure distortion: β/2
    # ε_h cos²θ + β sinθ cosθ at tan 2θ = β/ε_h, the same state written as in Son & Cording (2005)
    eh, b = 0.0004, 0.0012
    th = 0.5 * np.arctan2(b, eh)
    assert son_cording_strain(b, eh) == pytest.approx(eh * np.cos(th) ** 2 + b * np.sin(th) * np.cos(th), rel=1e-12)
    assert son_cording_strain(b, -0.0004) < son_cording_strain(b, 0.0)  # compression closes cracks


def test_fragility_probabilities():
    from subsidence.impact.damage import fragility_probabilities

    states = [("DS1", 1e-3, 0.6), ("DS2", 3e-3, 0.6), ("DS3", 1e-2, 0.6)]
    p = fragility_probabilities(3e-3, states)
    assert sum(p) == pytest.approx(1.0)
    assert p[2] + p[3] == pytest.approx(0.5)  # at the median of DS2: P(DS >= DS2) = 1/2
    lo, hi = fragility_probabilities(1e-5, states), fragility_probabilities(1.0, states)
    assert lo[0] == pytest.approx(1.0, abs=1e-9) and hi[-1] == pytest.approx(1.0, abs=1e-9)
    crossing = fragility_probabilities(2e-3, [("a", 1e-3, 0.1), ("b", 1.5e-3, 2.0)])
    assert min(crossing) >= 0 and sum(crossing) == pytest.approx(1.0)
