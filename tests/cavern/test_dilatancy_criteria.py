"""The case's dilatancy criteria: the De Vries parameters of ``[indicators]`` and the user's own
boundaries ``[[indicators.dilatancy]]`` (named criteria of the literature with the coefficients
of the user's source), on the closed-form wall stresses of an elastic sphere (issue 13).

Guards against: case parameters that are parsed but not used (the De Vries keys were, until
2026-11-28), a boundary polynomial in the wrong variables (octahedral against invariants), and
bad entries reaching the run instead of an error naming the key.
"""

import copy
import dataclasses

import numpy as np
import pytest

from subsidence.cavern.indicators import DeVries, DilatancyBoundary, WallIndicators
from subsidence.cavern.material import SaltLaw
from subsidence.config import CaseError, case_from_dict

from cavern_helpers import BASE, P_CAV, shell_model
from test_fos_convergence import wall_stresses

pytestmark = pytest.mark.fem

# Van Sambeek's √J2 = 0.27 I1 written in octahedral stresses: τ_oct = √(2/3)·0.27·3 σ_oct
VS_OCT = DilatancyBoundary("vs_oct", "octahedral", (0.0, 0.81 * np.sqrt(2.0 / 3.0)), "test: Van Sambeek rewritten")
QUAD = DilatancyBoundary("quad", "octahedral", (0.5, 0.8, -0.015), "test: a quadratic boundary")
LIN_INV = DilatancyBoundary("lin_inv", "invariants", (1.2, 0.2), "test: a linear boundary in I1, √J2")
PRINC = DilatancyBoundary("princ", "principal", (2.0, 1.1, -0.01), "test: differential stress against σ3")
LODE = DilatancyBoundary("lode", "invariants", (1.2, 0.2), "test: LIN_INV in compression, De Vries' Lode form", 0.6)
# the saturating (hyperbolic, IfG-type) form in the triaxial variables: σ1 − σ3 = 2 + 30 σ3 / (8 MPa + σ3)
SAT = DilatancyBoundary("sat", "principal", (2.0, 30.0, 8.0), "test: a saturating boundary", form="saturating")
# the power form with De Vries' numbers: T0 + D1 (I1/1 MPa)^m, with De Vries' Lode term (d2 = D2)
DV_POW = DilatancyBoundary("dv_pow", "invariants", (3.0, 0.9, 0.693), "test: De Vries as a power form", 0.524, "power")


def test_own_boundaries_and_devries_parameters_on_the_lame_sphere(comm):
    """FS of each boundary on the wall equals its closed form from the Lamé wall stresses within
    0.2 % (the built-in factors' tolerance, test_fos_convergence), the Van Sambeek boundary
    rewritten in octahedral stresses equals fs_vansambeek to round-off, and the De Vries factor
    uses the parameters it is given."""
    model, _ = shell_model(comm, law=SaltLaw(E=25e9, nu=0.3, A=1e-6), h_wall=0.05, h_far=1.0)
    model.solve_step(0.0, np.array([P_CAV]), np.array([False]))
    model.commit()
    dv = DeVries(T0=3.0, D1=0.9)
    rec = WallIndicators(model, devries=dv, dilatancy=(VS_OCT, QUAD, LIN_INV, PRINC, LODE, SAT, DV_POW)).evaluate(
        np.array([P_CAV]))[0]
    sr, (t1, t2) = wall_stresses("axisymmetric")
    s = np.array([sr, t1, t2])
    I1 = s.sum()
    sqJ2 = np.sqrt(0.5 * ((s - I1 / 3) ** 2).sum())
    s_oct, t_oct = I1 / 3, np.sqrt(((s[0] - s[1]) ** 2 + (s[1] - s[2]) ** 2 + (s[2] - s[0]) ** 2)) / 3
    psi = np.radians(-30.0)  # sphere wall: σ_ρρ < σ_θθ = σ_φφ, extension: De Vries' Lode angle −30°
    exact = {
        "fs_quad": (0.5 + 0.8 * s_oct - 0.015 * s_oct**2) / t_oct,
        "fs_lin_inv": (1.2 + 0.2 * I1) / sqJ2,
        "fs_lode": (1.2 + 0.2 * I1) * (1.5 - 0.3) / (1.5 + 0.3) / sqJ2,  # extension: lower by (1.5 − d2/2)/(1.5 + d2/2)
        "fs_princ": (2.0 + 1.1 * s.min() - 0.01 * s.min() ** 2) / (s.max() - s.min()),
        "fs_devries": (0.9 * I1**dv.m + 3.0) / ((np.sqrt(3) * np.cos(psi) - dv.D2 * np.sin(psi)) * sqJ2),
        "fs_sat": (2.0 + 30.0 * s.min() / (8.0 + s.min())) / (s.max() - s.min()),
    }
    for key, val in exact.items():
        assert rec[key] == pytest.approx(val, rel=2e-3), key
        assert rec["roof_" + key] == pytest.approx(val, rel=2e-3), key
        assert rec["ip_" + key] > 0
    for where in ("", "roof_", "ip_", "ip_roof_"):
        assert rec[where + "fs_vs_oct"] == pytest.approx(rec[where + "fs_vansambeek"], rel=1e-12), where
        # De Vries' boundary is its numerator over the Lode term; the power form with lode_d2 is the
        # compression boundary, i.e. the numerator over the Lode term at compression (1.5 − D2/2)
        assert rec[where + "fs_dv_pow"] == pytest.approx(rec[where + "fs_devries"] * (1.5 - 0.524 / 2), rel=1e-12), where
    # the default De Vries parameters give another value: the ones given were used
    assert WallIndicators(model).evaluate(np.array([P_CAV]))[0]["fs_devries"] < 0.95 * rec["fs_devries"]


def test_lode_dependence_of_an_own_boundary():
    """The polynomial is the compression boundary (scale 1 at compression), lowered in extension in
    De Vries' form; with d2 = D2 the ratio extension/compression is the built-in De Vries one; a
    boundary with a Lode dependence needs the Lode angle."""
    from subsidence.cavern.indicators import dilatancy_factors

    b = DilatancyBoundary("own", "invariants", (2.0, 0.25), "test", DeVries().D2)
    comp, ext = np.radians(-30.0), np.radians(30.0)  # the module's convention: −30° in compression
    assert b.lode_scale(comp) == pytest.approx(1.0, rel=1e-14)
    I1, q = np.array([40.0]), np.array([8.0])
    ratio = b.factor(I1, q, psi=np.array([ext]))[0] / b.factor(I1, q, psi=np.array([comp]))[0]
    dv = dilatancy_factors(I1, q, np.array([ext]))[1][0] / dilatancy_factors(I1, q, np.array([comp]))[1][0]
    assert ratio == pytest.approx(dv, rel=1e-12) and ratio < 1
    assert b.factor(I1, q, psi=np.array([comp]))[0] == pytest.approx((2.0 + 0.25 * 40.0) / 8.0, rel=1e-14)
    with pytest.raises(ValueError, match="Lode"):
        b.factor(I1, q)


def test_power_and_saturating_forms():
    """The power and saturating forms against their formulas; a negative mean-stress variable
    counts as 0 (a fractional power of a tensile stress has no meaning), the polynomial is not
    clipped."""
    x = np.array([-5.0, 0.0, 4.0, 100.0])
    pw = DilatancyBoundary("p", "invariants", (1.0, 2.0, 0.5), "t", form="power")
    assert np.allclose(pw.boundary(x), [1.0, 1.0, 5.0, 21.0], rtol=1e-14)
    sat = DilatancyBoundary("s", "principal", (1.0, 10.0, 4.0), "t", form="saturating")
    assert np.allclose(sat.boundary(x), [1.0, 1.0, 6.0, 1.0 + 1000.0 / 104.0], rtol=1e-14)
    assert sat.boundary(np.array([1e12]))[0] == pytest.approx(11.0)  # levels off at c0 + c1
    poly = DilatancyBoundary("q", "invariants", (1.0, 2.0), "t")
    assert np.allclose(poly.boundary(x), [-9.0, 1.0, 9.0, 201.0])
    eig = np.array([[4.0, 6.0, 10.0]])  # ascending: σ3 = 4, σ1 − σ3 = 6
    assert sat.factor(np.array([20.0]), np.array([3.0]), eig)[0] == pytest.approx(6.0 / 6.0)


def test_a_boundary_that_is_not_positive_gives_zero():
    b = DilatancyBoundary("neg", "invariants", (-1.0, 0.1), "test")
    fs = b.factor(np.array([5.0, 20.0]), np.array([1.0, 1.0]))
    assert fs[0] == 0.0 and fs[1] == pytest.approx(1.0)


def _case(**ind):
    d = copy.deepcopy(BASE)
    d["geometry"]["mesh_size_wall"] = 5.0
    d["operation"] = [{"mode": "open"}]
    d["time"] = {"end": 0.05, "dt_max": 0.05}
    d["indicators"] = ind
    return d


HUNSCHE_LIKE = {"name": "mine", "variables": "octahedral", "coefficients": [0.0, 0.86, -0.0168], "source": "my lab data"}
SATURATING = {"name": "ifg", "variables": "principal", "form": "saturating", "coefficients": [1.0, 40.0, 10.0],
              "source": "my fit"}


def test_case_keys_reach_the_indicators(comm, tmp_path):
    import json
    from pathlib import Path

    from subsidence.run import run_case
    from subsidence.studies.cavern import build_mesh, build_model, build_simulation

    d = _case(devries_T0=2.5, dilatancy=[HUNSCHE_LIKE, SATURATING])
    cfg = dataclasses.replace(case_from_dict(d, file="test.toml").config, checkpoint_every=0)
    assert cfg.devries.T0 == 2.5
    assert cfg.dilatancy == (DilatancyBoundary("mine", "octahedral", (0.0, 0.86, -0.0168), "my lab data"),
                             DilatancyBoundary("ifg", "principal", (1.0, 40.0, 10.0), "my fit", form="saturating"))
    model = build_model(cfg, build_mesh(cfg, comm), prefix="dilcase_")
    sim = build_simulation(cfg, model, cfg.scenarios[0])
    assert sim.indicators.devries.T0 == 2.5 and sim.indicators.dilatancy == cfg.dilatancy
    # a whole run: the columns, the scenario table and the criteria in summary.json
    out = Path(comm.bcast(str(tmp_path), root=0)) / "run"
    s = run_case(case_from_dict(d, file="test.toml"), out, comm=comm)
    base = s["scenarios"]["base"]
    row = base["caverns"][0]
    assert np.isfinite(row["min_fs_mine"]) and row["min_fs_mine"] > 0 and "min_roof_fs_mine" in row
    crit = base["dilatancy_criteria"]
    assert crit["devries"]["T0_MPa"] == 2.5 and crit["mine"]["source"] == "my lab data"
    assert crit["mine"]["boundary"].startswith("tau_oct = 0 sigma_oct^0 + 0.86 sigma_oct^1")
    assert crit["ifg"]["boundary"] == "sigma1 - sigma3 = 1 + 40 sigma3 / (10 + sigma3) (MPa)"
    assert crit["ifg"]["form"] == "saturating" and crit["mine"]["form"] == "polynomial"
    assert np.isfinite(row["min_fs_ifg"]) and row["min_fs_ifg"] > 0
    if comm.rank == 0:
        assert "min FS dilatancy (mine)" in (out / "scenarios.md").read_text()
        assert json.loads((out / "summary.json").read_text())["scenarios"]["base"]["dilatancy_criteria"] == crit


@pytest.mark.parametrize("entry, key, msg", [
    ({**HUNSCHE_LIKE, "name": "Hunsche 1993"}, "name", "not a column name"),
    ({**HUNSCHE_LIKE, "name": "devries"}, "name", "already a dilatancy criterion"),
    ({**HUNSCHE_LIKE, "variables": "deviatoric"}, "variables", "deviatoric"),
    ({k: v for k, v in HUNSCHE_LIKE.items() if k != "source"}, "source", "source"),
    ({**HUNSCHE_LIKE, "source": "  "}, "source", "where the coefficients come from"),
    ({**HUNSCHE_LIKE, "coefficients": []}, "coefficients", "at least 1"),
    ({**HUNSCHE_LIKE, "coefficients": [-1.0]}, "coefficients", "never positive"),
    ({**HUNSCHE_LIKE, "slope": 1.0}, "slope", ""),
    ({**HUNSCHE_LIKE, "variables": "principal", "lode_d2": 0.5}, "lode_d2", "octahedral"),
    ({**HUNSCHE_LIKE, "lode_d2": 3.5}, "lode_d2", ""),
    ({**HUNSCHE_LIKE, "form": "hyperbolic"}, "form", "hyperbolic"),
    ({**SATURATING, "coefficients": [1.0, 40.0]}, "coefficients", "exactly 3 coefficients"),
    ({**SATURATING, "coefficients": [1.0, 40.0, 0.0]}, "coefficients", "half-saturation stress must be positive"),
    ({**SATURATING, "form": "power", "coefficients": [1.0, 0.5, -1.0]}, "coefficients", "exponent must be positive"),
    ({**SATURATING, "coefficients": [-1.0, 0.5, 3.0]}, "coefficients", "never positive"),
    ({**SATURATING, "form": "power", "coefficients": [-1.0, -0.5, 0.7]}, "coefficients", "never positive"),
])
def test_bad_boundaries_are_errors_naming_the_key(entry, key, msg):
    with pytest.raises(CaseError, match=key) as e:
        case_from_dict(_case(dilatancy=[entry]), file="test.toml")
    assert msg in str(e.value)
    assert "indicators.dilatancy" in str(e.value)


def test_duplicate_names_are_an_error():
    with pytest.raises(CaseError, match="already a dilatancy criterion"):
        case_from_dict(_case(dilatancy=[HUNSCHE_LIKE, HUNSCHE_LIKE]), file="test.toml")


def test_scenario_table_has_the_own_criteria(tmp_path):
    from subsidence.cavern.report import scenario_table, write_table

    rows = [{"cavern": "c", "releases": 0, "volume_loss_rel": 0.01, "pressure_MPa": 10.0, "pressure_gradient_MPa_per_m": 0.012,
             "pressure_over_sigma_v": 0.5, "bled_m3": 0.0, "injected_m3": 0.0, "time_yr": t, "fs_vansambeek": 2.0,
             "fs_devries": 1.5, "tension_margin_MPa": 3.0, "roof_tension_margin_MPa": 3.0, "fs_mine": f, "fs_mine_depth": 900.0,
             "fs_mine_r": 10.0, "roof_fs_mine": f + 0.1} for t, f in ((0.0, 1.4), (1.0, 1.2))]
    tab = scenario_table("s", rows, {"max_subsidence_mm": 0.0, "subsidence_rate_mm_per_yr": 0.0}, dilatancy=("mine",))
    assert tab[0]["min_fs_mine"] == pytest.approx(1.2) and tab[0]["min_roof_fs_mine"] == pytest.approx(1.3)
    assert not [k for k in tab[0] if k.startswith("min_fs_mine_")]
    write_table(tmp_path, tab)
    md = (tmp_path / "scenarios.md").read_text()
    assert "min FS dilatancy (mine)" in md and "| 1.20 |" in md


def test_devries_boundary_is_lower_in_extension():
    """De Vries' Lode term (D2 > 0) lowers the dilatancy boundary in triaxial extension (the state of
    a cavern wall below lithostatic pressure) below that in triaxial compression at the same I1, by
    (√3 cos 30° − D2 sin 30°)/(√3 cos 30° + D2 sin 30°); with D2 = 0 the two are equal."""
    from subsidence.cavern.indicators import DeVries, dilatancy_factors, invariants

    comp = np.diag([30.0, 10.0, 10.0])[None]  # compression positive: σ1 > σ2 = σ3
    ext = np.diag([70.0 / 3, 70.0 / 3, 10.0 / 3])[None]  # σ1 = σ2 > σ3, the same I1 and √J2
    (I1c, qc, psic, _), (I1e, qe, psie, _) = invariants(comp), invariants(ext)
    assert I1c == pytest.approx(I1e) and qc == pytest.approx(qe)
    assert np.degrees(psic) == pytest.approx(-30.0) and np.degrees(psie) == pytest.approx(30.0)
    dv = DeVries()
    fc, fe = dilatancy_factors(I1c, qc, psic, dv)[1], dilatancy_factors(I1e, qe, psie, dv)[1]
    assert fe / fc == pytest.approx((1.5 - 0.5 * dv.D2) / (1.5 + 0.5 * dv.D2), rel=1e-6)  # arcsin at ±1: ~√eps
    assert fe < fc
    flat = DeVries(D2=0.0)
    assert dilatancy_factors(I1e, qe, psie, flat)[1] == pytest.approx(dilatancy_factors(I1c, qc, psic, flat)[1], rel=1e-6)
