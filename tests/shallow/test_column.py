"""Soil column: Terzaghi consolidation, isotache creep, periodic loading, oxidation."""

import numpy as np
import pytest

from subsidence.shallow.analytic import creep_strain, periodic_layer_response, terzaghi_degree
from subsidence.shallow.column import Column, ColumnLayer, Isotache, LinearCompression, PeatOxidation
from subsidence.shallow.column.oxidation import temperature_factor

YEAR = 365.25 * 86400.0
DAY = 86400.0
GW = 9810.0


def _sand(thickness):
    # permeable, incompressible, same unit weight above and below the phreatic level (so a
    # moving water table leaves the total stress unchanged)
    return ColumnLayer("sand", thickness, 1e-3, 18000.0, 18000.0, LinearCompression(0.0), max_cell=0.1)


def test_terzaghi_series_reference_values():
    """Guards the reference itself: U = 50 % at Tv = 0.1967, 90 % at 0.8481."""
    u = terzaghi_degree([0.1967, 0.8481, 1.7813])
    assert u == pytest.approx([0.5, 0.9, 0.99], abs=2e-4)


def test_terzaghi_consolidation_degree():
    """Single layer, drained top, impermeable base, instantaneous surcharge: the degree of
    consolidation of the finite-volume column against the series solution (within 1 %)."""
    thick, mv, k = 2.0, 1e-7, 1e-9  # small strain (Terzaghi is a small-strain theory)
    cv = k / (mv * GW)
    col = Column([_sand(0.1), ColumnLayer("clay", thick, k, 16000.0, 16000.0, LinearCompression(mv), max_cell=thick / 100)])
    tv = np.unique(np.concatenate([[0.0], np.geomspace(1e-6, 3.0, 400), [0.197, 0.848]]))
    load = np.full(tv.size, 1e4)
    load[0] = 0.0
    hist = col.run(tv * thick**2 / cv, phreatic=np.full(tv.size, thick + 0.05), surcharge=load)
    s = hist.settlement[:, 0]
    u = s / (s[-1] / terzaghi_degree(3.0)[0])
    for target, tv_ref in ((0.5, 0.197), (0.9, 0.848)):
        i = np.argmin(abs(tv - tv_ref))
        assert u[i] == pytest.approx(terzaghi_degree(tv_ref)[0], rel=0.01)
        assert u[i] == pytest.approx(target, rel=0.01)
    # the final settlement is the drained one, mv * dsigma * H (natural strain, small)
    assert s[-1] == pytest.approx(mv * 1e4 * thick, rel=0.01)


def test_isotache_creep_hand_values():
    """A drained a-b-c layer loaded from 20 to 40 kPa with OCR 1.5 (sigma_p = 30 kPa):
    tau0 = 1 d * (30/40)^((b-a)/c) = 0.023836 d; eps = a ln 2 + c ln(1 + t/tau0).
    Hand values: 0.04450 (1 d), 0.06434 (10 d), 0.08436 (100 d), 0.10439 (1000 d)."""
    a, b, c = 0.017, 0.13, 0.0087
    h0 = 0.05
    col = Column([ColumnLayer("clay", h0, 1e-4, 1.0, 1.0, Isotache(a, b, c), ocr=1.5, max_cell=h0)])
    t_days = np.array([1.0, 10.0, 100.0, 1000.0])
    t = np.concatenate([[0.0, 1.0], 1.0 + t_days * DAY])
    q = np.full(t.size, 40e3)
    q[0] = 20e3
    hist = col.run(t, phreatic=np.full(t.size, -1.0), surcharge=q)  # dry: no pore pressure
    eps = -np.log(1.0 - hist.settlement[2:, 0] / h0)
    hand = np.array([0.04450, 0.06434, 0.08436, 0.10439])
    assert eps == pytest.approx(hand, abs=2e-5)
    ref = creep_strain(t_days * DAY, a=a, b=b, c=c, sigma0=20e3, sigma1=40e3, sigma_p0=30e3)
    assert eps == pytest.approx(ref, rel=1e-3)


def test_isotache_creep_saturated_layer_approaches_hand_values():
    """The same law under a saturated, slowly draining layer: consolidation delays the
    strain, and after consolidation the creep follows c ln(t) with the hand slope c."""
    a, b, c = 0.017, 0.13, 0.0087
    col = Column([_sand(0.1), ColumnLayer("clay", 0.5, 1e-9, 15000.0, 15000.0, Isotache(a, b, c), ocr=1.5, max_cell=0.02)])
    t = np.concatenate([[0.0], np.geomspace(60.0, 3e4 * DAY, 300)])
    q = np.full(t.size, 40e3)
    q[0] = 0.0
    hist = col.run(t, phreatic=np.full(t.size, 0.6), surcharge=q)
    s = hist.settlement[:, 0]
    assert np.all(np.diff(s) >= -1e-12)
    i1, i2 = np.searchsorted(t, [1e3 * DAY, 1e4 * DAY])
    slope = (np.log(1 - s[i2] / 0.6) - np.log(1 - s[i1] / 0.6)) * -0.6 / 0.5 / np.log(t[i2] / t[i1])
    assert slope == pytest.approx(c, rel=0.05)


@pytest.mark.parametrize("depth_ratio", [1.0])
def test_periodic_water_level_on_drained_layer(depth_ratio):
    """Sinusoidal phreatic level above an elastic layer (drained top, impermeable base):
    settlement amplitude mv gw A L |F| and phase arg F, F = tanh(kL)/(kL)."""
    omega = 2 * np.pi / YEAR
    thick, mv, amp = 2.0, 1e-7, 0.3
    cv = omega * (depth_ratio * thick) ** 2 / 2  # skin depth = depth_ratio * L
    col = Column([_sand(1.0), ColumnLayer("clay", thick, cv * mv * GW, 16000.0, 16000.0, LinearCompression(mv), max_cell=thick / 40)])
    t = np.arange(0, 4 * 365 + 1) * YEAR / 365
    hist = col.run(t, phreatic=thick + 0.5 + amp * np.sin(omega * t))
    uz = -hist.settlement[:, 0]
    m = t >= 2 * YEAR
    basis = np.c_[np.sin(omega * t[m]), np.cos(omega * t[m]), np.ones(m.sum())]
    co = np.linalg.lstsq(basis, uz[m], rcond=None)[0]
    f = periodic_layer_response(cv=cv, omega=omega, thickness=thick)
    assert np.hypot(co[0], co[1]) == pytest.approx(mv * GW * amp * thick * abs(f), rel=0.01)
    assert np.arctan2(co[1], co[0]) == pytest.approx(np.angle(f), abs=0.01)
    assert np.angle(f) < -0.3  # a real lag, not a trivially in-phase case


def test_peat_oxidation_closed_form():
    """Incompressible peat, phreatic level fixed 0.6 m below the initial surface, oxidation
    depth 1.2 m: the unsaturated thickness u decays as du/dt = -alpha f u / rho, so the
    surface lowering is u0 (1 - exp(-alpha f t / rho)) (t in days)."""
    alpha, rho = 0.01, 150.0
    peat = ColumnLayer("peat", 2.0, 1e-6, 10500.0, 10500.0, LinearCompression(0.0),
                       oxidation=PeatOxidation(alpha=alpha, organic_density=rho), max_cell=0.05)
    col = Column([peat], oxidation_depth=1.2)
    t = np.arange(0, 30 * 73 + 1) * 5 * DAY
    hist = col.run(t, phreatic=np.full(t.size, 1.4), temperature=np.full(t.size, 12.27))
    ref = 0.6 * (1 - np.exp(-alpha * t / DAY / rho))
    assert hist.oxidation[:, 0] == pytest.approx(ref, rel=0.01, abs=1e-6)
    assert hist.settlement[-1, 0] == pytest.approx(hist.oxidation[-1, 0], rel=1e-9)
    # about 14 mm/yr at first: inside the observed Dutch peat-meadow range (2 to > 17 mm/yr)
    assert 0.002 < ref[73] / 1.0 < 0.024
    assert temperature_factor(22.27) == pytest.approx(np.exp(1.27))
    # CO2: the organic mass lost (thickness lost × organic density, volume fraction 1) × 0.58 kg C
    # per kg organic matter (van Bemmelen) × 44/12 kg CO2 per kg C
    np.testing.assert_allclose(hist.co2[:, 0], hist.oxidation[:, 0] * rho * 0.58 * 44 / 12, rtol=1e-9, atol=1e-12)
    # the first year: about 14 mm of peat at 150 kg/m3 organic matter -> about 45 t CO2/ha
    assert 30 < hist.co2[73, 0] * 10 < 60


def test_batch_of_columns_is_independent():
    """Columns of a batch share the layering but not their forcing."""
    col = Column([_sand(0.5), ColumnLayer("clay", 1.0, 1e-8, 16000.0, 15000.0, Isotache(0.02, 0.15, 0.01), ocr=2.0, max_cell=0.1)])
    t = np.arange(0, 200) * 5 * DAY
    hp = np.stack([1.3 - 0.3 * (t > 10 * DAY), 1.3 + 0 * t], axis=1)
    both = col.run(t, phreatic=hp)
    one = col.run(t, phreatic=hp[:, 0])
    assert both.settlement[:, 0] == pytest.approx(one.settlement[:, 0], abs=1e-12)
    assert both.settlement[-1, 0] > both.settlement[-1, 1] > 0  # lowering adds settlement; creep alone is positive


def test_stress_dependent_permeability():
    """Taylor's log10(k/k0) = Δe/C_k with e = (1 + e0) exp(−ε) − 1 (closed form), and a loaded
    layer whose permeability falls as it compacts consolidates more slowly than with k0 throughout
    and faster than with the permeability of its final strain throughout (a bracket by two
    constant-k runs), to the same drained settlement."""
    import dataclasses

    thick, mv, k0, e0, ck = 1.0, 2e-6, 1e-8, 4.0, 0.5
    clay = ColumnLayer("clay", thick, k0, 16000.0, 16000.0, LinearCompression(mv), max_cell=0.02, permeability=(e0, ck))
    col = Column([_sand(0.1), clay])
    eps = np.full((1, col.ncell), 0.02)
    k = col.permeability(eps)[0, -1]
    assert k == pytest.approx(k0 * 10 ** ((1 + e0) * (np.exp(-0.02) - 1) / ck), rel=1e-12)
    assert col.permeability(eps)[0, 0] == col.k[0]  # the sand keeps its constant k

    t = np.concatenate([[0.0], np.geomspace(60.0, 3e8, 300)])
    load = np.full(t.size, 2e4)
    load[0] = 0.0
    run = lambda c: c.run(t, phreatic=np.full(t.size, thick + 0.15), surcharge=load).settlement[:, 0]  # noqa: E731
    s = run(col)
    eps_final = np.log(1.0 + mv * 2e4)  # the drained strain of the linear law, roughly
    k_end = k0 * 10 ** ((1 + e0) * (np.exp(-eps_final) - 1) / ck)
    s0 = run(Column([_sand(0.1), dataclasses.replace(clay, permeability=None)]))
    s1 = run(Column([_sand(0.1), dataclasses.replace(clay, k=k_end, permeability=None)]))
    assert k_end < 0.5 * k0  # a strong effect
    assert s[-1] == pytest.approx(s0[-1], rel=1e-3)
    half = 0.5 * s0[-1]
    t50 = [np.interp(half, x, t) for x in (s0, s, s1)]
    assert t50[0] < t50[1] < t50[2]
