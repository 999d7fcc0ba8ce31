"""Bowl completeness: how much of the surface bowl 2(1 − ν)ΔV an output grid holds, the most a
grid of that extent can hold (Mogi), the automatic grid size, and the warnings naming the key."""

import copy
import json
from pathlib import Path

import numpy as np
import pytest

from subsidence.cavern import bowl as B
from subsidence.cavern.surface import mogi_volume_fraction

from cavern_helpers import BASE  # noqa: E402


def test_mogi_rectangle_fraction_against_quadrature():
    from scipy.integrate import dblquad

    d = 1200.0
    for rect in [(-3000, 3000, -3000, 3000), (-500, 4000, 200, 2500), (1000, 5000, -7000, -100)]:
        num, _ = dblquad(lambda y, x: B.mogi_unit_uz(x, y, d), rect[0], rect[1], rect[2], rect[3], epsabs=1e-13, epsrel=1e-11)
        assert B.mogi_rectangle_fraction(*rect, d) == pytest.approx(num, rel=1e-8, abs=1e-12)
    # a huge square holds the whole bowl; a square lies between its inscribed and circumscribed discs
    assert B.mogi_rectangle_fraction(-1e9, 1e9, -1e9, 1e9, d) == pytest.approx(1.0, abs=2e-6)  # 1 − O(d/h)
    h = 3000.0
    f = B.mogi_rectangle_fraction(-h, h, -h, h, d)
    assert mogi_volume_fraction(h, d) < f < mogi_volume_fraction(np.sqrt(2) * h, d)


def test_half_width_for_fraction_round_trip():
    for p in (0.5, 0.9, 0.95, 0.99):
        h = B.half_width_for_fraction(1000.0, p)
        assert B.mogi_rectangle_fraction(-h, h, -h, h, 1000.0) == pytest.approx(p, abs=1e-12)
    assert B.half_width_for_fraction(1.0, 0.95) == pytest.approx(17.98, abs=0.01)  # 95 %: 18 depths
    assert B.half_width_for_fraction(1.0, 0.90) == pytest.approx(8.96, abs=0.01)


def test_profile_bowl_centroid_and_poisson():
    # a Mogi profile out to R: its bowl is 2(1 − ν)ΔV (1 − d/√(R² + d²)) (trapezoid on 4 000 nodes)
    d, dV, nu = 1000.0, -5e4, 0.3
    r = np.linspace(0, 8000, 4001)
    uz = (1 - nu) * dV * d / (np.pi * (r**2 + d**2) ** 1.5)
    assert B.profile_bowl(r, uz) == pytest.approx(2 * (1 - nu) * dV * mogi_volume_fraction(8000, d), rel=1e-5)
    # a slight uplift beyond a sign change is not part of the bowl
    uz2 = np.where(r < 5000, uz - uz[2500], 1e-9)
    v = B.profile_bowl(r, uz2)
    assert v == pytest.approx(np.trapezoid((uz - uz[2500])[:2501] * 2 * np.pi * r[:2501], r[:2501]), rel=1e-9)
    # centroid: a cylinder's is its middle; a cone r ∝ depth below its tip lies at 3/4 of its height
    assert B.centroid_depth([100, 100, 300, 300], [0, 10, 10, 0]) == pytest.approx(200)
    assert B.centroid_depth([0, 100], [0, 50]) == pytest.approx(75)

    class L:  # layers: 300 m with ν 0.2 over ν 0.4
        def __init__(self, b, nu):
            self.bottom_depth, self.law = b, type("law", (), {"nu": nu})

    assert B.poisson_above([L(300, 0.2), L(5000, 0.4)], 1000) == pytest.approx((300 * 0.2 + 700 * 0.4) / 1000)


def _mogi_field(x, y, d, dV, nu, cx=0.0, cy=0.0):
    X, Y = np.meshgrid(x, y)
    return 2 * (1 - nu) * dV * B.mogi_unit_uz(X - cx, Y - cy, d)


def test_completeness_of_a_half_space_bowl_and_the_warnings():
    d, dV, nu = 1000.0, -1e4, 0.25
    src = [{"name": "A", "x": 0.0, "y": 0.0, "depth": d, "nu": nu, "dV": dV, "V0": 1e6}]
    h = B.half_width_for_fraction(d, 0.95)
    x = np.linspace(-h, h, 201)
    b = B.completeness(x, x, _mogi_field(x, x, d, dV, nu), src, model_bowl=2 * (1 - nu) * dV)
    assert b["mogi_bowl_m3"] == pytest.approx(2 * (1 - nu) * dV)
    assert b["max_fraction"] == pytest.approx(0.95, abs=1e-12)
    assert b["fraction"] == pytest.approx(0.95, rel=2e-3) and b["sampled_max_fraction"] == pytest.approx(0.95, rel=2e-3)
    assert b["model_fraction"] == pytest.approx(0.95, rel=2e-3) and b["model_over_mogi"] == pytest.approx(1.0)
    assert B.assess(b, domain=4 * h) == []  # complete, the grid within a quarter of the model radius
    # a grid of ±3 km holds 1 − ... ≈ 66 %: enlarge surface.half_width
    x3 = np.linspace(-3000, 3000, 61)
    b3 = B.completeness(x3, x3, _mogi_field(x3, x3, d, dV, nu), src)
    (w,) = B.assess(b3, domain=20e3)
    assert b3["fraction"] == pytest.approx(B.mogi_rectangle_fraction(-3000, 3000, -3000, 3000, d), rel=5e-3)
    assert "enlarge surface.half_width" in w and f"{100 * b3['fraction']:.0f} %" in w and "geometry.domain_radius" in w
    # the same grid in a model of radius 8 km: it reaches beyond a quarter of it
    (w,) = B.assess(b3, domain=8e3)
    assert "enlarge geometry.domain_radius to at least 12000 m" in w
    # too coarse to integrate the bowl: 5 points over ±18 km
    x5 = np.linspace(-h, h, 5)
    (w,) = B.assess(B.completeness(x5, x5, _mogi_field(x5, x5, d, dV, nu), src))
    assert "increase surface.n" in w
    # a second cavern off-centre: weighted by its 2(1 − ν)ΔV
    src2 = src + [{"name": "B", "x": 2000.0, "y": 0.0, "depth": 500.0, "nu": nu, "dV": 3 * dV}]
    uz = _mogi_field(x, x, d, dV, nu) + _mogi_field(x, x, 500.0, 3 * dV, nu, cx=2000.0)
    b2 = B.completeness(x, x, uz, src2)
    f_b = B.mogi_rectangle_fraction(-h - 2000, h - 2000, -h, h, 500.0)
    assert b2["max_fraction"] == pytest.approx((0.95 + 3 * f_b) / 4, rel=1e-12)
    assert b2["fraction"] == pytest.approx(b2["max_fraction"], rel=2e-3)
    assert b2["grid_reach_m"] == pytest.approx(h + 2000.0)
    # no volume change: no fraction, no warning
    b0 = B.completeness(x3, x3, 0 * x3[None] * x3[:, None], [{**src[0], "dV": 0.0}])
    assert b0["fraction"] is None and B.assess(b0) == []


@pytest.mark.fem
def test_cavern_run_reports_its_bowl_completeness(comm, tmp_path):
    """A small cavern run: summary.json has the bowl figures, the grid was sized automatically
    (the domain is too small for 95 %: said so), and the warnings name the keys to enlarge."""
    from subsidence.config import case_from_dict
    from subsidence.run import run_case

    d = copy.deepcopy(BASE)
    d["operation"] = [{"mode": "open"}, {"mode": "shut_in", "start": 1}]
    out = Path(comm.bcast(str(tmp_path), root=0)) / "run"
    s = run_case(case_from_dict(d, file="test.toml"), out, comm=comm)
    b = s["bowl"]
    assert b == s["scenarios"]["base"]["bowl"] and b["half_width_auto"]
    assert b["half_width_m"] == pytest.approx(1500 / np.sqrt(2))
    assert b["half_width_needed_m"] == pytest.approx(B.half_width_for_fraction(850.0), rel=1e-9)
    fmax = B.mogi_rectangle_fraction(-b["half_width_m"], b["half_width_m"], -b["half_width_m"], b["half_width_m"], 850.0)
    assert b["max_fraction"] == pytest.approx(fmax, rel=1e-12)
    assert b["cavity_volume_change_m3"] != 0 and b["mogi_bowl_m3"] == pytest.approx(2 * 0.7 * b["cavity_volume_change_m3"])
    assert b["fraction"] == pytest.approx(b["grid_bowl_m3"] / b["mogi_bowl_m3"])
    assert b["model_fraction"] is not None and "note" in b
    # the volume balance since t = 0 (rollers: bowl = cavity + rock), the same cavity change as the bowl's
    vb = s["scenarios"]["base"]["volume_balance"]
    assert vb["surface_m3"] == pytest.approx(vb["cavity_m3"] + vb["rock_m3"], rel=1e-8)
    assert vb["cavity_m3"] == pytest.approx(b["cavity_volume_change_m3"], rel=1e-6)
    assert vb["surface_over_cavity"] == pytest.approx(vb["surface_m3"] / vb["cavity_m3"])
    assert 0 < vb["surface_over_cavity"] < 1 and vb["rock_over_cavity"] < 0  # closure: the rock dilates
    ws = s["warnings"]
    assert any("surface.half_width is not given" in w and "geometry.domain_radius" in w for w in ws)
    assert any("scenario base: the surface bowl may be incomplete" in w and "enlarge surface.half_width" in w for w in ws)
    if comm.rank == 0:
        assert json.loads((out / "summary.json").read_text())["bowl"]["fraction"] == pytest.approx(b["fraction"])
