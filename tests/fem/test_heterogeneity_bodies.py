"""Heterogeneity geometry of FE cases (issue 10): polygon lenses, faults (blocks by the side of a
dipping plane, reservoir offsets), lognormal random stiffness fields.

Guards against: a zero-contrast heterogeneity that changes the answer (materials assigned to the
wrong cells, a mesh changed by an inactive feature), a stiff body that pulls the bowl the wrong way
(sign of the side test, of the normal), a fault offset that loses reservoir volume or moves it the
wrong way (checked against the analytic kernel of the two offset parts), a random field that
depends on the number of ranks, and bad keys reaching the mesher instead of a CaseError.
"""

import copy

import numpy as np
import pytest
from mpi4py import MPI

from subsidence.config import CaseError
from subsidence.config.case import case_from_dict

pytestmark = pytest.mark.fem
comm = MPI.COMM_WORLD

# a square reservoir in two layers above a rigid basement; coarse P1 mesh (a few seconds)
BASE = {
    "name": "het-fem",
    "model": {"method": "fem", "poisson_ratio": 0.25, "degree": 1, "solver": "gamg", "rtol": 1e-10,
              "geometry": "3d"},
    "mesh": {"reservoir_size": 300.0, "surface_size": 500.0, "far_size": 2000.0, "lateral_margin": 5000.0},
    "layers": [{"name": "over", "top": 0.0, "E": 1.0e10, "nu": 0.25},
               {"name": "under", "top": 1200.0, "E": 1.0e10, "nu": 0.25}],
    "basement": {"depth": 3500.0, "rigid": True},
    "reservoirs": [{
        "name": "field", "shape": {"type": "polygon", "vertices": [[-1500.0, -1500.0], [1500.0, -1500.0],
                                                                   [1500.0, 1500.0], [-1500.0, 1500.0]]},
        "depth": 2500.0, "thickness": 200.0, "compaction": {"law": "linear", "cm": 1.0e-9},
        "pressure_change": {"time": [0.0, 10.0], "value": [0.0, -1.0e7]},
    }],
    "output": {"times": [10.0], "grid": {"x": [-6000.0, 6000.0, 49], "y": [-6000.0, 6000.0, 49]}},
}
LENS = {"name": "lens", "shape": {"type": "polygon", "vertices": [[500.0, -2500.0], [3500.0, -2000.0],
                                                                 [3000.0, 2500.0], [800.0, 1500.0]]},
        "top": 300.0, "bottom": 1000.0, "E": 1.0e10, "nu": 0.25}


def _run(data, path, c=None):
    import xarray as xr

    from subsidence.run import run_case

    s = run_case(case_from_dict(copy.deepcopy(data)), path, comm=c or comm)
    with xr.open_dataset(path / "surface.nc") as ds:
        return s, {k: ds[k].isel(time=-1).values.copy() for k in ("ux", "uy", "uz")}, ds["x"].values, ds["y"].values


def _with(**tables):
    d = copy.deepcopy(BASE)
    d.update(copy.deepcopy(tables))
    return d


def test_zero_contrast_reproduces_the_reference_to_solver_tolerance(shared_tmp):
    """A lens of the host's stiffness, a fault with factor 1 and the reference flag on a stiff lens
    give the run without them on the same mesh to solver tolerance; a real contrast does not."""
    _, ref, _, _ = _run(_with(bodies=[LENS]), shared_tmp / "z_ref")
    fault = {"name": "f", "point": [0.0, 0.0], "strike": 20.0, "dip": 60.0, "hanging_wall": {"factor": 1.0},
             "footwall": {"E": 1.0e10, "nu": 0.25}}
    s, zero, _, _ = _run(_with(bodies=[LENS], faults=[fault]), shared_tmp / "z_fault")
    assert s["fem"]["heterogeneity"]["faults"]["f"]["hanging_wall_cells"] > 100
    scale = np.abs(ref["uz"]).max()
    assert scale > 0.01
    for c in ("ux", "uy", "uz"):
        assert np.max(np.abs(zero[c] - ref[c])) < 1e-7 * scale
    stiff = copy.deepcopy(LENS)
    stiff["E"] = 5.0e10
    _, het, _, _ = _run(_with(bodies=[stiff]), shared_tmp / "z_stiff")
    _, back, _, _ = _run(_with(bodies=[stiff], heterogeneity={"homogeneous": True}), shared_tmp / "z_back")
    for c in ("ux", "uy", "uz"):
        assert np.max(np.abs(back[c] - ref[c])) < 1e-7 * scale
    assert np.max(np.abs(het["uz"] - ref["uz"])) > 0.02 * scale  # the contrast is seen


def _peak_x(x, y, uz):
    """x of the centre of the bowl's deep part (centroid of the subsidence above a quarter of its
    maximum; robust against the mesh noise of a flat-bottomed bowl's single deepest node)."""
    s = np.clip(-uz, 0.0, None)
    w = np.where(s > 0.25 * s.max(), s - 0.25 * s.max(), 0.0)
    return float((w * x[None, :]).sum() / w.sum())


def test_offset_stiff_body_moves_the_maximum_away_from_it(shared_tmp):
    """A symmetric case has its deepest point at the centre; a stiff lens east of the centre, or a
    stiff hanging wall of a fault dipping east, moves it west (and a stiff footwall east)."""
    _, hom, x, y = _run(BASE, shared_tmp / "s_hom")
    x_hom = _peak_x(x, y, hom["uz"])
    assert abs(x_hom) < 15.0  # mesh asymmetry of the coarse unstructured P1 mesh
    assert np.allclose(hom["uz"], hom["uz"][:, ::-1], atol=0.05 * np.abs(hom["uz"]).max())  # symmetric to the coarse P1 mesh error (3 %)
    lens = copy.deepcopy(LENS)
    lens.update(E=2.0e11, top=200.0, bottom=2200.0)
    _, het, _, _ = _run(_with(bodies=[lens]), shared_tmp / "s_lens")
    assert _peak_x(x, y, het["uz"]) - x_hom < -30.0
    fault = {"name": "f", "point": [500.0, 0.0], "strike": 0.0, "dip": 70.0, "bottom": 1200.0}
    for side, sign in (("hanging_wall", -1.0), ("footwall", 1.0)):
        _, f, _, _ = _run(_with(faults=[{**fault, side: {"factor": 5.0}}]), shared_tmp / f"s_{side}")
        assert sign * (_peak_x(x, y, f["uz"]) - x_hom) > 30.0, side


def test_fault_throw_offsets_the_reservoir_like_the_analytic_parts(shared_tmp):
    """A normal fault with 300 m throw through the reservoir: the FE run (homogeneous rock) equals the
    van Opstal kernel of the two offset parts (split at the trace at mid-depth) within 3 % of the
    maximum, and the deeper hanging wall moves the bowl's centre of subsidence away from it."""
    from subsidence.heterogeneity.reference import analytic_data

    fault = {"name": "f", "point": [0.0, 0.0], "strike": 0.0, "dip": 60.0, "depth": 2500.0, "throw": 300.0}
    data = _with(faults=[fault])
    data["model"]["degree"] = 2
    e_res = (1 + 0.25) * (1 - 2 * 0.25) / (1.0e-9 * (1 - 0.25))  # rock of the reservoir's stiffness (Geertsma)
    for lay in data["layers"]:
        lay["E"] = e_res
    s, fe, x, y = _run(data, shared_tmp / "o_fe")
    an_data = analytic_data(case_from_dict(copy.deepcopy(data)))
    names = [r["name"] for r in an_data["reservoirs"]]
    assert names == ["field-footwall", "field-hanging-wall"]
    assert an_data["reservoirs"][1]["depth"] == pytest.approx(2800.0)
    _, an, _, _ = _run(an_data, shared_tmp / "o_an")
    scale = np.abs(an["uz"]).max()
    inner = (np.abs(x)[None, :] <= 4000.0) & (np.abs(y)[:, None] <= 4000.0)  # away from the roller sides
    assert np.max(np.abs(fe["uz"] - an["uz"])) < 0.02 * scale
    assert np.max(np.abs(fe["ux"] - an["ux"])[inner]) < 0.03 * scale
    xc_fe, xc_an = _peak_x(x, y, fe["uz"]), _peak_x(x, y, an["uz"])
    assert xc_fe == pytest.approx(xc_an, abs=20.0)
    assert xc_fe > 30.0  # the hanging wall's part moved east (by throw/tan(dip) = 173 m), the bowl follows


def test_random_field_same_on_one_and_all_ranks(shared_tmp):
    """The lognormal field comes from one global grid and the seed: 1 rank and all ranks agree."""
    rf = {"name": "rf", "regions": ["over"], "cv": 0.8, "correlation_length": [1500.0, 1500.0, 300.0], "seed": 7}
    data = _with(random_fields=[rf])
    s_all, a, _, _ = _run(data, shared_tmp / "r_all")
    s_one, b, _, _ = _run(data, shared_tmp / f"r_one{comm.rank}", c=MPI.COMM_SELF)
    scale = np.abs(b["uz"]).max()
    for c in ("ux", "uy", "uz"):
        assert np.max(np.abs(a[c] - b[c])) < 1e-6 * scale
    h = s_all["fem"]["heterogeneity"]["random_fields"]["rf"]
    assert h == s_one["fem"]["heterogeneity"]["random_fields"]["rf"] or \
        h["factor_mean_cells"] == pytest.approx(s_one["fem"]["heterogeneity"]["random_fields"]["rf"]["factor_mean_cells"])
    # the cells sample the requested lognormal: σ of ln F within 20 % (about 150 correlation areas in
    # the layer: a standard error near 6 %), mean of F within 25 %
    assert h["sigma_log_cells"] == pytest.approx(h["sigma_log"], rel=0.2)
    assert h["factor_mean_cells"] == pytest.approx(1.0, rel=0.25)
    _, hom, _, _ = _run(BASE, shared_tmp / "r_hom")
    assert np.max(np.abs(a["uz"] - hom["uz"])) > 0.01 * scale  # the field does something


@pytest.mark.parametrize("tables, key, words", [
    ({"faults": [{"point": [0.0, 0.0], "strike": 0.0, "dip": 60.0, "hanging_wall": {"factor": 2.0}}],
      "model": {"method": "fem", "geometry": "axisymmetric", "poisson_ratio": 0.25}}, "model.geometry", "not axisymmetric"),
    ({"faults": [{"point": [0.0, 0.0], "strike": 0.0, "dip": 60.0, "regions": ["nope"],
                  "hanging_wall": {"factor": 2.0}}]}, "faults[0].regions", "no layer or body named 'nope'"),
    ({"faults": [{"point": [0.0, 0.0], "strike": 0.0, "dip": 95.0, "hanging_wall": {"factor": 2.0}}]},
     "faults[0].dip", "<= 90"),
    ({"faults": [{"point": [0.0, 0.0], "strike": 0.0, "dip": 60.0}]}, "faults[0].hanging_wall", "needs"),
    ({"faults": [{"point": [0.0, 0.0], "strike": 0.0, "dip": 60.0, "hanging_wall": {"factor": 2.0, "E": 1e9}}]},
     "faults[0].hanging_wall.E", "not both"),
    ({"random_fields": [{"cv": 0.5, "sigma_log": 0.4, "correlation_length": 1000.0}]}, "random_fields[0].cv", "not both"),
    ({"random_fields": [{"cv": 0.5}]}, "random_fields[0].correlation_length", "required"),
    ({"random_fields": [{"cv": 0.5, "correlation_length": 1000.0, "covariance": "spherical"}]},
     "random_fields[0].covariance", "not one of"),
    ({"bodies": [{"name": "b", "shape": {"type": "polygon", "vertices": [[0.0, 0.0], [1.0, 1.0], [1.0, 0.0], [0.0, 1.0]]},
                  "top": 100.0, "bottom": 200.0, "E": 1e9}]}, "bodies[0].shape.vertices", "intersects itself"),
])
def test_bad_heterogeneity_keys_name_the_key(tables, key, words):
    data = copy.deepcopy(BASE)
    for k, v in tables.items():
        data[k] = {**data[k], **v} if k == "model" else v
    with pytest.raises(CaseError) as e:
        case_from_dict(data)
    assert key in str(e.value) and words in str(e.value), str(e.value)


def _grid_files(path, value, name):
    """The same flat surface as a CSV (x, y, name) and a NetCDF file (variable name on (y, x))."""
    import pandas as pd
    import xarray as xr

    x, y = np.linspace(-20000.0, 20000.0, 5), np.linspace(-20000.0, 20000.0, 4)
    X, Y = np.meshgrid(x, y)
    csv = path / f"{name}_{value:g}.csv"
    nc = path / f"{name}_{value:g}.nc"
    if comm.rank == 0:
        pd.DataFrame({"x": X.ravel(), "y": Y.ravel(), name: np.full(X.size, value)}).sample(frac=1.0, random_state=1) \
            .to_csv(csv, index=False)
        xr.Dataset({name: (("y", "x"), np.full(X.shape, value))}, coords={"x": x, "y": y}).to_netcdf(nc)
    comm.Barrier()
    return csv, nc


def test_interface_grids_set_the_layer_by_centroid(shared_tmp):
    """A stiff lower layer (3×E) whose top comes from a grid: at its own flat top (1200 m) the run
    without the grid is reproduced to solver tolerance; at 900 m, where the mesh has a (material-free)
    interface, the cells between 900 and 1200 m take the stiff material exactly as a conforming layer
    would (to solver tolerance), and a thickness grid of the layer above (NetCDF) gives the same
    cells as the depth grid (CSV)."""
    data = copy.deepcopy(BASE)
    data["layers"] = [{"name": "over", "top": 0.0, "E": 1.0e10, "nu": 0.25},
                      {"name": "mid", "top": 900.0, "E": 1.0e10, "nu": 0.25},
                      {"name": "under", "top": 1200.0, "E": 3.0e10, "nu": 0.25}]
    _, flat, _, _ = _run(data, shared_tmp / "i_flat")
    same, _ = _grid_files(shared_tmp, 1200.0, "depth")
    s, grid, _, _ = _run({**data, "interfaces": [{"layer": "under", "top_file": str(same)}]}, shared_tmp / "i_same")
    scale = np.abs(flat["uz"]).max()
    assert s["fem"]["heterogeneity"]["interfaces"]["cells_changed"] == 0
    assert np.max(np.abs(grid["uz"] - flat["uz"])) < 1e-7 * scale

    conform = copy.deepcopy(data)
    conform["layers"][1]["E"] = 3.0e10
    _, c900, _, _ = _run(conform, shared_tmp / "i_conform")
    top900, _ = _grid_files(shared_tmp, 900.0, "depth")
    _, nc0 = _grid_files(shared_tmp, 0.0, "thickness")  # "mid" pinched out: the top of "under" at 900 m
    s1, g900, _, _ = _run({**data, "interfaces": [{"layer": "under", "top_file": str(top900)}]}, shared_tmp / "i_900")
    _, t900, _, _ = _run({**data, "interfaces": [{"layer": "under", "thickness_file": str(nc0)}]}, shared_tmp / "i_t0")
    assert np.max(np.abs(t900["uz"] - g900["uz"])) < 1e-9 * scale
    assert s1["fem"]["heterogeneity"]["interfaces"]["cells_changed"] > 50
    for c in ("ux", "uy", "uz"):
        assert np.max(np.abs(g900[c] - c900[c])) < 1e-7 * scale
    assert np.max(np.abs(g900["uz"] - flat["uz"])) > 0.01 * scale  # the grid is seen
    # bad files and keys are named errors
    bad = shared_tmp / "bad_grid.csv"
    if comm.rank == 0:
        bad.write_text("x,y,depth\n0,0,1\n1,0,1\n0,1,1\n")
    comm.Barrier()
    with pytest.raises(CaseError, match="not a regular grid"):
        case_from_dict({**data, "interfaces": [{"layer": "under", "top_file": str(bad)}]})
    with pytest.raises(CaseError, match="no variable 'depth'"):
        case_from_dict({**data, "interfaces": [{"layer": "under", "top_file": str(nc0)}]})
    with pytest.raises(CaseError, match="below the first"):
        case_from_dict({**data, "interfaces": [{"layer": "over", "top_file": str(top900)}]})


def test_soft_near_surface_channel_increases_tilt_above_its_edges(shared_tmp):
    """A 800 m wide, 200 m deep channel of soft sediment (E/10) over the bowl's flank: the largest tilt
    within 150 m of its inner edge (towards the bowl's centre) grows by a third (34 % on this 150 m
    surface mesh; the outer edge's +7 % is within the mesh error: 200 m elements give −3 %), the tilt
    away from it does not change (< 1 %); the reference is the same mesh with the channel at the
    host's stiffness."""
    data = copy.deepcopy(BASE)
    data["mesh"] = {"reservoir_size": 400.0, "surface_size": 150.0, "far_size": 2000.0, "lateral_margin": 4000.0,
                    "grading": 800.0}
    data["output"] = {"times": [10.0], "grid": {"x": [-3000.0, 5000.0, 161], "y": [-500.0, 500.0, 3]}}
    soft = {"name": "channel", "shape": {"type": "polygon", "vertices": [[1500.0, -6000.0], [2300.0, -6000.0],
                                                                         [2300.0, 6000.0], [1500.0, 6000.0]]},
            "top": 0.0, "bottom": 200.0, "E": 1.0e9, "nu": 0.3}
    _, hom, x, _ = _run({**data, "bodies": [soft], "heterogeneity": {"homogeneous": True}}, shared_tmp / "c_hom")
    _, het, _, _ = _run({**data, "bodies": [soft]}, shared_tmp / "c_soft")
    tilt_hom, tilt_het = np.abs(np.gradient(hom["uz"][1], x)), np.abs(np.gradient(het["uz"][1], x))
    near = np.abs(x - 1500.0) <= 150.0
    assert tilt_het[near].max() > 1.2 * tilt_hom[near].max()
    away = x < 1000.0
    assert tilt_het[away].max() == pytest.approx(tilt_hom[away].max(), rel=0.01)
