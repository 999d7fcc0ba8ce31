"""Roof layers with strength (Mohr–Coulomb, Hoek–Brown), the roof factors of safety of the FE
stress and the clamped-plate roof-span check (subsidence/cavern/roof.py, issue 13)."""

import copy
import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest

from subsidence.cavern.roof import Strength, clamped_plate_stress, hoek_brown_parameters
from subsidence.config import case_from_dict
from subsidence.config.errors import CaseError

G = 9.81
HB = {"law": "hoek-brown", "ucs": "15 MPa", "mi": 4, "gsi": 50, "d": 0}
MC = {"law": "mohr-coulomb", "cohesion": "5 MPa", "friction_angle": 35, "tensile_strength": "1.5 MPa"}

FLAT = {
    "name": "small flat cavern",
    "kind": "cavern",
    "geometry": {"type": "axisymmetric", "domain_radius": 1500, "domain_depth": 1500, "mesh_size_wall": 10,
                 "mesh_size_far": 300},
    "layers": [
        {"name": "overburden", "bottom_depth": 400, "density": 2150, "youngs_modulus": "5 GPa", "poisson_ratio": 0.3,
         "strength": HB},
        {"name": "salt", "bottom_depth": 1500, "density": 2160, "youngs_modulus": "25 GPa", "poisson_ratio": 0.3,
         "creep": {"A": "0.18 1/d", "n": 5, "Q": "54 kJ/mol"}, "strength": MC},
    ],
    "caverns": [{"name": "F", "top_depth": 430, "bottom_depth": 460, "radius": 40, "dome_height": 8}],
    "time": {"end": 1, "dt_max": 0.5, "outputs": [1]},
    "surface": {"n": 5, "half_width": 500},
    "operation": [{"mode": "open"}, {"mode": "shut_in", "start": 0.5}],
}


def flat_case(layer0=None, layer1=None, **changes):
    d = copy.deepcopy(FLAT)
    if layer0 is not None:
        d["layers"][0]["strength"] = layer0
    if layer1 is not None:
        d["layers"][1]["strength"] = layer1
    d.update(changes)
    return case_from_dict(d, file="roof.toml")


# -- parsing -----------------------------------------------------------------------------

def test_strengths_are_parsed_in_si():
    cfg = flat_case(layer1={**MC, "cohesion": "50 bar", "friction_angle": "0.5 rad"}).config
    hb, mc = cfg.layers[0].strength, cfg.layers[1].strength
    assert hb.law == "hoek-brown" and hb.ucs == pytest.approx(15e6) and (hb.mi, hb.gsi, hb.d) == (4, 50, 0)
    assert mc.cohesion == pytest.approx(5e6) and mc.friction_angle == pytest.approx(0.5)
    assert mc.tensile == pytest.approx(1.5e6)
    # a bare stress is MPa (as the cavern pressures), a bare angle degrees
    mc2 = flat_case(layer1={**MC, "cohesion": 4, "tensile_strength": 1}).config.layers[1].strength
    assert mc2.cohesion == pytest.approx(4e6) and mc2.tensile == pytest.approx(1e6)
    assert mc2.friction_angle == pytest.approx(math.radians(35))
    d = copy.deepcopy(FLAT)
    del d["layers"][0]["strength"]
    cfg = case_from_dict(d, file="roof.toml").config
    assert cfg.layers[0].strength is None
    assert (cfg.roof.zone_radius, cfg.roof.zone_height, cfg.roof.pore_pressure) == (1.5, 1.0, "hydrostatic")


@pytest.mark.parametrize(
    "layer1, key, words",
    [
        ({**MC, "law": "griffith"}, "layers[1].strength.law", "not one of"),
        ({k: v for k, v in MC.items() if k != "friction_angle"}, "layers[1].strength.friction_angle", "required"),
        ({**MC, "cohesion": "5 m"}, "layers[1].strength.cohesion", "5 m"),
        ({**MC, "cohesion": "5"}, "layers[1].strength.cohesion", "no unit"),
        ({**MC, "friction_angle": 95}, "layers[1].strength.friction_angle", "< 90"),
        ({**MC, "tensile_strength": "9 MPa"}, "layers[1].strength.tensile_strength", "apex"),
        ({**MC, "cohesian": 1}, "layers[1].strength.cohesian", "unknown key"),
        ({**HB, "gsi": 120}, "layers[1].strength.gsi", "<= 100"),
        ({**HB, "d": 1.5}, "layers[1].strength.d", "<= 1"),
        ({**HB, "ucs": -3}, "layers[1].strength.ucs", "> 0"),
        ({k: v for k, v in HB.items() if k != "mi"}, "layers[1].strength.mi", "required"),
    ],
)
def test_bad_strength_names_file_key_and_reason(layer1, key, words):
    with pytest.raises(CaseError) as exc:
        flat_case(layer1=layer1)
    msg = str(exc.value)
    assert "roof.toml" in msg and key in msg and words in msg, msg


@pytest.mark.parametrize("roof, key, words", [({"zone_radius": 0}, "roof.zone_radius", "> 0"),
                                               ({"zone_hieght": 2}, "roof.zone_hieght", "unknown key"),
                                               ({"pore_pressure": "wet"}, "roof.pore_pressure", "not one of")])
def test_bad_roof_zone_names_file_key_and_reason(roof, key, words):
    with pytest.raises(CaseError) as exc:
        flat_case(roof=roof)
    msg = str(exc.value)
    assert "roof.toml" in msg and key in msg and words in msg, msg


# -- strength laws against hand computation -------------------------------------------------

def test_hoek_brown_parameters_against_published_and_hand_values():
    # Hoek, Carranza-Torres & Corkum (2002) / RocLab: GSI 50, m_i 10, D 0 -> m_b 1.677, s 0.0039, a 0.506
    mb, s, a = hoek_brown_parameters(10, 50, 0)
    assert mb == pytest.approx(1.6767, rel=1e-4) and s == pytest.approx(0.0038659, rel=1e-4)
    assert a == pytest.approx(0.505734, rel=1e-5)
    # disturbed (D = 0.7), GSI 30, m_i 4, by hand: m_b = 4 e^(-70/18.2) = 4 * 0.0213617,
    # s = e^(-70/6.9) = 3.9275e-5, a = 1/2 + (e^-2 - e^(-20/3))/6 = 0.522344
    mb, s, a = hoek_brown_parameters(4, 30, 0.7)
    assert mb == pytest.approx(0.085447, rel=1e-4) and s == pytest.approx(3.9275e-5, rel=1e-4)
    assert a == pytest.approx(0.522344, rel=1e-5)
    # intact rock (GSI 100, D 0): the original criterion, m_b = m_i, s = 1, a = 1/2
    assert hoek_brown_parameters(7, 100, 0) == pytest.approx((7.0, 1.0, 0.5))


def test_mohr_coulomb_factor_by_hand():
    st = Strength("mohr-coulomb", cohesion=2e6, friction_angle=math.radians(30), tensile=0.5e6)
    # σ1 = 20, σ3 = 5 MPa: σm = 12.5, τm = 7.5, c cos φ + σm sin φ = 1.7321 + 6.25 = 7.9821
    assert st.fos_shear(20e6, 5e6) == pytest.approx(7.98205 / 7.5, rel=1e-5)
    # on the envelope: τm = c cos φ + σm sin φ exactly
    sm = 10e6
    tm = 2e6 * math.cos(math.radians(30)) + sm * 0.5
    assert st.fos_shear(sm + tm, sm - tm) == pytest.approx(1.0, rel=1e-12)
    # σm so tensile that the envelope is crossed: 0; no deviator: no shear failure
    assert st.fos_shear(0.0, -10e6) == 0.0
    assert np.isinf(st.fos_shear(3e6, 3e6))
    assert st.tensile_strength() == 0.5e6


def test_hoek_brown_factor_by_hand():
    # intact (GSI 100): σ1f = σ3 + σci √(mi σ3/σci + 1); σci 50, mi 10, σ3 5 -> 5 + 50 √2
    st = Strength("hoek-brown", ucs=50e6, mi=10, gsi=100, d=0)
    assert st.fos_shear(30e6, 5e6) == pytest.approx(50 * math.sqrt(2) / 25, rel=1e-9)
    assert st.tensile_strength() == pytest.approx(5e6)  # s σci / m_b
    assert st.fos_shear(10e6, -5e6) == 0.0  # σ3 at -T: on the tension cut
    assert st.fos_shear(10e6, -6e6) == 0.0
    # the factor is the deviator ratio at the acting σ3: scaling σ1 - σ3 by it reaches failure
    rock = Strength("hoek-brown", ucs=15e6, mi=4, gsi=50, d=0)
    s1, s3 = 9e6, 2e6
    f = rock.fos_shear(s1, s3)
    mb, s, a = rock.hb
    s1f = s3 + f * (s1 - s3)
    assert s1f == pytest.approx(s3 + 15e6 * (mb * s3 / 15e6 + s) ** a, rel=1e-12)


def test_clamped_plate_formula_from_the_deflection():
    """σ = 3 q a²/(4 t²): check against the clamped plate's deflection w = q (a² − r²)²/(64 D)
    by finite differences (plate equation D ∇⁴w = q, w(a) = w'(a) = 0, σ = 6 M_r(a)/t²) and a
    hand-worked value."""
    assert clamped_plate_stress(2e6, 50.0, 25.0) == pytest.approx(6e6)  # 3*2*2500/(4*625)
    q, a, t, E, nu = 3e6, 60.0, 40.0, 20e9, 0.3
    D = E * t**3 / (12 * (1 - nu**2))

    def w(r):
        return q * (a * a - r * r) ** 2 / (64 * D)

    h = 1e-3 * a

    def lap(f, r):  # axisymmetric Laplacian by central differences
        return (f(r + h) - 2 * f(r) + f(r - h)) / h**2 + (f(r + h) - f(r - h)) / (2 * h * r)

    r0 = 0.4 * a
    assert D * lap(lambda r: lap(w, r), r0) == pytest.approx(q, rel=1e-3)
    w2 = (w(a + h) - 2 * w(a) + w(a - h)) / h**2
    w1 = (w(a + h) - w(a - h)) / (2 * h)
    assert w(a) == 0.0 and abs(w1) < 1e-5 * abs(w2) * a  # clamped: no deflection, no slope
    M = -D * (w2 + nu * w1 / a)
    assert 6 * abs(M) / t**2 == pytest.approx(float(clamped_plate_stress(q, a, t)), rel=1e-6)


# -- a short FE run ------------------------------------------------------------------------

@pytest.mark.fem
def test_roof_factors_in_a_short_run_of_a_flat_cavern(comm, tmp_path):
    from subsidence.run import run_case

    out = Path(comm.bcast(str(tmp_path), root=0)) / "run"  # one directory for all ranks
    summary = run_case(flat_case(), out, comm=comm)
    if comm.rank != 0:
        return
    rows = list(csv.DictReader(open(out / "cavern.csv")))
    assert len(rows) > 3
    top, R = 430.0, 40.0
    sv = (2150 * 400 + 2160 * 30) * G
    for r in rows:
        for layer, lo, hi in (("overburden", top - R, 400.0), ("salt", 400.0, top + 8)):
            fs = float(r[f"roof_layer_{layer}_fs_shear"])
            assert 0 < fs < 1e6, (layer, fs)
            assert math.isfinite(float(r[f"roof_layer_{layer}_tension_margin_MPa"]))
            for what in ("fs_shear", "tension_margin"):  # the minimum lies in the roof zone and the layer
                d, rr = float(r[f"roof_layer_{layer}_{what}_depth"]), float(r[f"roof_layer_{layer}_{what}_r"])
                assert lo - 1e-6 <= d <= hi + 1e-6 and 0 <= rr <= 1.5 * R + 1e-6
        # the roof-span check: the salt cap (430 m below the salt top at 400 m: t = 30 m), a = 40 m,
        # q = σv(top) − P(top) with the shoe at the top
        q = sv - float(r["pressure_MPa"]) * 1e6
        sb = 0.75 * max(q, 0) * R**2 / 30.0**2
        assert float(r["roof_span_t_m"]) == 30.0 and float(r["roof_span_a_m"]) == R
        assert float(r["roof_span_bending_MPa"]) == pytest.approx(sb / 1e6, rel=1e-8)
        assert float(r["roof_span_fs_tension"]) == pytest.approx(1.5e6 / sb, rel=1e-8)
        assert float(r["roof_span_fs_tension_confined"]) == pytest.approx((1.5e6 + sv) / sb, rel=1e-8)
    cav = summary["scenarios"]["base"]["caverns"][0]
    for k in ("min_roof_layer_overburden_fs_shear", "min_roof_layer_salt_fs_shear",
              "min_roof_layer_salt_tension_margin_MPa", "min_roof_span_fs_tension", "roof_span_max_bending_MPa"):
        assert math.isfinite(cav[k]), k
    assert cav["min_roof_layer_salt_fs_shear"] == pytest.approx(min(float(r["roof_layer_salt_fs_shear"]) for r in rows))
    assert "3 q a^2 / (4 t^2)" in cav["roof_span_formula"] and cav["roof_span_layer"] == "salt"
    js = json.loads((out / "summary.json").read_text())
    assert js["scenarios"]["base"]["caverns"][0]["min_roof_span_fs_tension"] == pytest.approx(cav["min_roof_span_fs_tension"])


@pytest.mark.fem
def test_casing_shoe_is_a_mesh_vertex_and_its_stress_is_reported(comm, tmp_path):
    """A shoe 230 m above a small flat cavern: a mesh vertex on the axis with wall-sized
    elements around it; the FE least principal stress there is the undisturbed lithostatic
    one (isotropic, K0 = 1, in the elastic overburden; the cavern's perturbation decays as
    (R/d)^3 ~ 0.5 %) within 1 %."""
    from mpi4py import MPI

    from subsidence.cavern.geometry import axisymmetric_cavern
    from subsidence.run import run_case

    c = flat_case(caverns=[{**FLAT["caverns"][0], "casing_shoe_depth": 200}]).config
    cv = c.caverns[0]
    cm = axisymmetric_cavern(comm, depths=cv.depths, radii=cv.radii, domain_radius=1500, domain_depth=1500,
                             interfaces=c.interfaces(), h_wall=10, h_far=300, shoe_depth=200)
    x = cm.mesh.geometry.x
    d = np.hypot(x[:, 0], x[:, 1] + 200.0)
    near = comm.allreduce(float(d.min()) if d.size else np.inf, op=MPI.MIN)
    assert near < 1e-6  # a vertex at the shoe
    # the next vertices on the axis (P2 midpoints included) are within about h_wall
    ax = np.sort(np.abs(x[(np.abs(x[:, 0]) < 1e-9) & (d > 1e-6), 1] + 200.0))
    gaps = comm.allgather(float(ax[0]) if ax.size else np.inf)
    assert min(gaps) <= 10.0
    out = Path(comm.bcast(str(tmp_path), root=0)) / "run"
    summary = run_case(flat_case(caverns=[{**FLAT["caverns"][0], "casing_shoe_depth": 200}],
                                 time={"end": 0.6, "dt_max": 0.3, "outputs": [0.6]}), out, comm=comm)
    if comm.rank != 0:
        return
    rows = list(csv.DictReader(open(out / "cavern.csv")))
    sv = 2150 * G * 200
    for r in rows:
        assert abs(float(r["shoe_sigma3_depth"]) - 200) < 5 and float(r["shoe_sigma3_r"]) < 5
        # lithostatic at the point's own depth
        assert float(r["shoe_sigma3_MPa"]) * 1e6 == pytest.approx(2150 * G * float(r["shoe_sigma3_depth"]), rel=1e-2)
        assert float(r["shoe_margin_MPa"]) == pytest.approx(float(r["shoe_sigma3_MPa"]) - float(r["pressure_MPa"]), abs=1e-8)  # CSV: 10 digits
    cav = summary["scenarios"]["base"]["caverns"][0]
    assert cav["min_shoe_margin_MPa"] == pytest.approx(min(float(r["shoe_margin_MPa"]) for r in rows))
    assert cav["min_shoe_margin_MPa"] < sv / 1e6
