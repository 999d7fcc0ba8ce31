"""Finite-element case inputs found by a robustness sweep: each was a silently moved or cut-off
model base, a traceback at run time (after meshing) or a gmsh failure; now an error naming the
file and the key when the case is loaded (no run, no dolfinx), or a mesh of the outline as given."""

import copy

import numpy as np
import pytest

from subsidence.config import case_from_dict
from subsidence.config.errors import CaseError
from subsidence.fem.setup import layout

# a polygon field under two layers, above a rigid basement (3D; loaded only)
BASE = {
    "name": "sweep5-fem",
    "model": {"method": "fem", "geometry": "3d", "poisson_ratio": 0.25},
    "layers": [{"name": "over", "top": 0.0, "E": 1.0e10, "nu": 0.25},
               {"name": "under", "top": 1200.0, "E": 1.0e10, "nu": 0.25}],
    "basement": {"depth": 4500.0, "rigid": True},
    "reservoirs": [{
        "name": "field", "shape": {"type": "polygon", "vertices": [[-1500.0, -1500.0], [1500.0, -1500.0],
                                                                   [1500.0, 1500.0], [-1500.0, 1500.0]]},
        "depth": 2500.0, "thickness": 200.0, "compaction": {"law": "linear", "cm": 1.0e-9},
        "pressure_change": {"time": [0.0, 10.0], "value": [0.0, -1.0e7]},
    }],
    "output": {"times": [10.0], "grid": {"x": [-6000.0, 6000.0, 25], "y": [-6000.0, 6000.0, 25]}},
}
BODY = {"name": "dome", "shape": {"type": "cylinder", "center": [3000.0, 0.0], "radius": 1000.0},
        "top": 900.0, "bottom": 2700.0, "E": 3.0e10, "nu": 0.3}
FAULT = {"name": "f", "point": [0.0, 0.0], "depth": 2400.0, "strike": 0.0, "dip": 70.0, "throw": 80.0,
         "reservoirs": ["field"], "hanging_wall": {"factor": 0.6}}
FIELD = {"name": "rf", "regions": ["over"], "cv": 0.5, "correlation_length": [2000.0, 2000.0, 200.0], "seed": 1}


def data(**changes):
    d = copy.deepcopy(BASE)
    for k, v in changes.items():
        if v is None:
            d.pop(k, None)
        else:
            d[k] = copy.deepcopy(v)
    return d


def load(d):
    return case_from_dict(d, file="test.toml")


def error(d) -> CaseError:
    with pytest.raises(CaseError) as exc:
        load(d)
    assert exc.value.file == "test.toml"
    return exc.value


def model_depth(d) -> float:
    c = load(d)
    return layout(c.config, c.config.fem).domain.depth


# -- the model base: used as given, never moved or cut ----------------------------------------

def test_body_below_the_rigid_basement_is_an_error():
    # was accepted: the rigid basement moved from 4500 m to 1.05 x the body's bottom (6300 m)
    e = error(data(bodies=[{**BODY, "bottom": 6000.0}]))
    assert e.key == "bodies[0].bottom" and "rigid basement" in e.reason and "4500" in e.reason
    e = error(data(bodies=[{**BODY, "top": 5000.0, "bottom": 6000.0}]))
    assert e.key == "bodies[0].bottom"


def test_a_body_down_to_the_rigid_basement_keeps_the_basement_depth():
    # was a base at 4725 m (1.05 x the body's bottom) instead of the basement's 4500 m
    assert model_depth(data(bodies=[{**BODY, "bottom": 4500.0}])) == 4500.0


def test_a_reservoir_near_the_rigid_basement_keeps_the_basement_depth():
    # bottom 4300 m: was a base at 4515 m (1.05 x the reservoir bottom), not the basement's 4500 m
    d = data()
    d["reservoirs"][0].update(depth=4200.0)
    assert model_depth(d) == 4500.0


def test_mesh_depth_above_the_reservoir_is_an_error():
    # was silently replaced by 1.05 x the reservoir bottom
    d = data(basement=None, mesh={"depth": 1000.0})
    e = error(d)
    assert e.key == "mesh.depth" and "below the reservoirs" in e.reason
    d["mesh"]["depth"] = 8000.0
    assert model_depth(d) == 8000.0


def test_mesh_depth_above_a_body_or_the_last_layer_is_an_error():
    e = error(data(basement=None, mesh={"depth": 3000.0}, bodies=[{**BODY, "bottom": 3500.0}]))
    assert e.key == "mesh.depth" and "'dome'" in e.reason
    e = error(data(basement={"depth": 5000.0, "E": 5.0e10}, mesh={"depth": 4000.0}))
    assert e.key == "mesh.depth" and "'basement'" in e.reason


def test_mesh_depth_with_a_rigid_basement_is_an_error():
    # was silently ignored (the rigid basement is the base)
    e = error(data(mesh={"depth": 8000.0}))
    assert e.key == "mesh.depth" and "rigid basement" in e.reason


def test_elastic_basement_below_the_domain_rule_is_an_error_when_loaded():
    # was accepted by `check`, then a ValueError traceback at run time ("starts below the model base")
    e = error(data(basement={"depth": 40000.0, "E": 5.0e10}))
    assert e.key == "basement.depth" and "[mesh] depth" in e.reason
    e = error(data(basement=None, layers=BASE["layers"] + [{"name": "deep", "top": 50000.0, "E": 1.0e10}]))
    assert e.key == "layers[2].top"
    load(data(basement={"depth": 40000.0, "E": 5.0e10}, mesh={"depth": 45000.0}))


def test_a_throw_that_moves_a_reservoir_out_of_the_model_is_an_error():
    # below the rigid basement: was a base moved down to 1.05 x the offset bottom (and a failing
    # analytic reference); above the surface: the part above z = 0 was cut off the mesh
    e = error(data(faults=[{**FAULT, "throw": 3000.0}]))
    assert e.key == "faults[0].throw" and "rigid basement" in e.reason
    e = error(data(faults=[{**FAULT, "throw": -3000.0}]))
    assert e.key == "faults[0].throw" and "above the surface" in e.reason
    load(data(faults=[FAULT]))


# -- random fields and time steps: checked before anything is meshed ---------------------------

def test_random_field_spacing_coarser_than_the_correlation_is_an_error():
    # was accepted: a grid of two nodes per axis, blocks far larger than the correlation length
    e = error(data(random_fields=[{**FIELD, "spacing": 1.0e9}]))
    assert e.key == "random_fields[0].spacing" and "correlation length" in e.reason


def test_random_field_grid_too_fine_is_an_error_when_loaded():
    # was accepted by `check`, then an error (or an int64 overflow past the limit) after meshing
    e = error(data(random_fields=[{**FIELD, "correlation_length": 0.001}]))
    assert e.key == "random_fields[0].correlation_length" and "limit" in e.reason
    e = error(data(random_fields=[{**FIELD, "spacing": 0.01}]))
    assert e.key == "random_fields[0].spacing"


def test_biot_time_step_of_seconds_is_an_error():
    # "1 s" (or 1e-9 yr): about 3e8 steps, accepted, then a run that never ends
    d = data()
    d["model"].update(coupling="biot", time_step="1 s")
    e = error(d)
    assert e.key == "model.time_step" and "years" in e.reason
    d["model"]["time_step"] = "1 d"
    load(d)


# -- polygon outlines that close on the first vertex ----------------------------------------

@pytest.mark.parametrize("vertices", [
    [[0.0, 0.0], [1000.0, 0.0], [0.0, 1000.0], [0.0, 0.0]],  # closed ring
    [[0.0, 0.0], [1000.0, 0.0], [1000.0, 0.0], [0.0, 1000.0]],  # a repeated vertex
])
def test_polygon_with_a_repeated_vertex_is_meshed(vertices):
    # accepted by `check` (as for the analytic method), then gmsh "Could not create line" at run time
    gmsh = pytest.importorskip("gmsh")
    from subsidence.mesh.builder import _add_volume
    from subsidence.mesh.shapes import PrismVolume

    load(data(bodies=[{**BODY, "shape": {"type": "polygon", "vertices": vertices}}]))
    gmsh.initialize(interruptible=False)
    try:
        gmsh.option.setNumber("General.Terminal", 0)
        gmsh.model.add("outline")
        t = _add_volume(gmsh.model.occ, 3, PrismVolume("b", np.array(vertices), 100.0, 200.0), None)
        gmsh.model.occ.synchronize()
        assert gmsh.model.occ.getMass(3, t) == pytest.approx(0.5e6 * 100.0)
    finally:
        gmsh.finalize()


def test_biot_only_keys_in_a_one_way_run_are_warned_about():
    """permeability, porosity, … and the Biot time step were read and silently not used by a one-way run."""
    d = data(model={**BASE["model"], "time_step": 0.1})
    d["layers"][1]["permeability"] = 1e-15
    c = load(d)
    (w,) = [w for w in c.warnings if "coupling = \"biot\" only" in w]
    assert "model.time_step" in w and "layers[1].permeability" in w
    assert not any("biot\" only" in w for w in load(data()).warnings)


@pytest.mark.parametrize("where", ["layers", "bodies"])
def test_an_empty_name_is_an_error(where):
    d = data(bodies=[BODY])
    d[where][0]["name"] = " "
    e = error(d)
    assert e.key == f"{where}[0].name" and "cannot be empty" in e.reason
