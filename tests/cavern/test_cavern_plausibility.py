"""Implausible cavern input: pressures above the lithostatic stress, caverns outside the salt, phases
after the end, a casing shoe inside the cavern. Errors name the file and key; warnings go to
Case.warnings (logged, and listed in summary.json)."""

import copy

import pytest

from subsidence.config import case_from_dict
from subsidence.config.errors import CaseError

from cavern_helpers import BASE  # noqa: E402

# lithostatic stress at the shoe (800 m): (400·2250 + 400·2160)·9.81 Pa = 17.30 MPa, 0.02163 MPa/m
S_V = (400 * 2250 + 400 * 2160) * 9.81


def case(second=None, **changes):
    d = copy.deepcopy(BASE)
    d.update(changes)
    if "operation" not in d and "scenarios" not in d:
        d["operation"] = [{"mode": "open"}, second or {"mode": "shut_in", "start": 1}]
    return case_from_dict(d, file="test.toml")


def error(*args, **kw) -> CaseError:
    with pytest.raises(CaseError) as exc:
        case(*args, **kw)
    assert exc.value.file == "test.toml"
    return exc.value


@pytest.mark.parametrize("second, key", [
    ({"mode": "pressure", "start": 1, "pressure": 18.0}, "operation[1].pressure"),  # bare MPa
    ({"mode": "fill", "start": 1, "pressure": "18 MPa"}, "operation[1].pressure"),
    ({"mode": "pressure", "start": 1, "pressure_gradient": "0.022 MPa/m"}, "operation[1].pressure_gradient"),
    ({"mode": "cbbo", "start": 1, "p_high_gradient": 0.023, "p_low_gradient": 0.018, "rate": 50}, "operation[1].p_high_gradient"),
])
def test_pressure_above_lithostatic_is_rejected(second, key):
    e = error(second)
    assert e.key == key and "above the lithostatic stress" in e.reason and "17.3 MPa" in e.reason


def test_open_well_above_lithostatic_is_rejected():
    # 10 MPa at the wellhead + 0.012 MPa/m x 800 m of brine = 19.6 MPa > 17.3 MPa
    e = error(operation=[{"mode": "open", "wellhead_pressure": 10.0}])
    assert e.key == "operation[0].wellhead_pressure" and "open-well pressure" in e.reason


def test_scenario_and_own_operations_are_checked():
    scen = [{"name": "s", "operation": [{"mode": "open"}, {"mode": "pressure", "start": 1, "pressure": 18}]}]
    assert error(scenarios=scen).key == "scenarios[0].operation[1].pressure"
    cav = {**BASE["caverns"][0], "operation": [{"mode": "open"}, {"mode": "pressure", "start": 1, "pressure": 18}]}
    assert error(caverns=[cav]).key == "caverns[0].operation[1].pressure"


def test_pressure_close_to_lithostatic_is_a_warning():
    c = case({"mode": "pressure", "start": 1, "pressure": 0.97 * S_V / 1e6})
    assert len(c.warnings) == 1 and "operation[1].pressure" in c.warnings[0] and "within 5 %" in c.warnings[0]
    assert case().warnings == []


def test_cavern_outside_the_salt():
    e = error(caverns=[{**BASE["caverns"][0], "top_depth": 100, "bottom_depth": 300}])
    assert e.key == "caverns[0].top_depth" and "'overburden' (0-400 m), without a creep law" in e.reason
    assert "'salt' (400-1500 m)" in e.reason
    c = case(caverns=[{**BASE["caverns"][0], "top_depth": 380, "bottom_depth": 480}])
    assert any("reaches into 'overburden'" in w for w in c.warnings)


def test_phase_after_the_end_is_rejected():
    e = error({"mode": "shut_in", "start": 5})
    assert e.key == "operation[1].start" and "never run" in e.reason and "5 yr" in e.reason


def test_casing_shoe_inside_the_cavern_is_rejected():
    e = error(caverns=[{**BASE["caverns"][0], "casing_shoe_depth": 850}])
    assert e.key == "caverns[0].casing_shoe_depth" and "inside the cavern" in e.reason
    case(caverns=[{**BASE["caverns"][0], "casing_shoe_depth": 780}])  # above the roof: fine


@pytest.mark.parametrize("geometry", ["cluster", "field"])
def test_overlapping_caverns_are_rejected(geometry):
    """Two caverns of a cluster or a field whose bodies overlap (axes closer than the sum of the
    radii, depth ranges overlapping) would be one merged cavity with the volumes of two: an error
    naming the cavern and the one it overlaps. The same axes apart in depth, or further apart, pass."""
    g = ({"type": "cluster", "extent": [-600, 600, -500, 500], "domain_depth": 1500, "mesh_size_wall": 40,
          "mesh_size_far": 400} if geometry == "cluster" else {**BASE["geometry"], "type": "field"})
    W = {"name": "W", "x": -150, "y": 0, "top_depth": 800, "bottom_depth": 900, "radius": 25, "dome_height": 20}
    S = {"name": "S", "x": -150, "y": -30, "top_depth": 780, "bottom_depth": 880, "radius": 20, "dome_height": 15}
    e = error(geometry=g, caverns=[W, S])
    assert e.key == "caverns[1].x" and "'S'" in e.reason and "overlaps cavern 'W'" in e.reason and "30 m apart" in e.reason
    case(geometry=g, caverns=[W, {**S, "y": -50}])  # 50 m apart > 45 m: separate
    case(geometry=g, caverns=[W, {**S, "top_depth": 950, "bottom_depth": 1000}])  # one below the other


def test_example_cases_pass(repo_root):
    from subsidence.config import load_case

    for f in sorted((repo_root / "cases").glob("cavern_*.toml")):
        assert load_case(f).warnings == [], f
