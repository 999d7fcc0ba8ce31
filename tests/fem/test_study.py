"""The FE engine behind ``[model] method = "fem"``: case parsing, the output contract, Biot plumbing.

Guards against: FE runs that do not write the same files as analytic runs, surface
sampling that mixes up axes or signs (checked against the analytic van Opstal run through
the whole stack, with a time-decay law), a coupled model whose drained limit differs from
the one-way model, and bad input reaching the solver instead of a CaseError.
"""

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from mpi4py import MPI

from subsidence.config import CaseError
from subsidence.config.case import case_from_dict
from subsidence.run import run_case

pytestmark = pytest.mark.fem
comm = MPI.COMM_WORLD

BASE = {
    "name": "fem-test",
    "kind": "deep",
    "model": {"method": "fem", "poisson_ratio": 0.25},
    "basement": {"depth": 4500.0, "rigid": True},
    "reservoirs": [{
        "name": "disc", "shape": {"type": "disc", "center": [1000.0, -500.0], "radius": 2000.0},
        "depth": 3000.0, "thickness": 100.0,
        "compaction": {"law": "time-decay", "cm": 1.0e-10, "tau": 2.0},
        "pressure_change": {"time": [0.0, 10.0, 20.0], "value": [0.0, -1.0e7, -1.0e7]},
    }],
    "output": {"times": [5.0, 10.0, 20.0],
               "grid": {"x": [-7000.0, 9000.0, 33], "y": [-8500.0, 7500.0, 33]},
               "points": {"name": ["centre", "east"], "x": [1000.0, 3735.0], "y": [-500.0, -500.0]}},
}


def _tmp(tmp_path_factory, name):
    path = str(tmp_path_factory.mktemp(name)) if comm.rank == 0 else None
    return Path(comm.bcast(path, root=0))


def _run(data, out):
    return run_case(case_from_dict(copy.deepcopy(data)), out, comm=comm)


def _points(run):
    return pd.read_csv(run / "points.csv")


def test_fem_run_writes_the_contract_and_matches_the_analytic_run(tmp_path_factory):
    d = _tmp(tmp_path_factory, "fem")
    s = _run(BASE, d / "fem")
    ana = copy.deepcopy(BASE)
    del ana["basement"]
    ana["model"] = {"method": "analytic", "kernel": "van-opstal", "poisson_ratio": 0.25, "basement_depth": 4500.0}
    sa = _run(ana, d / "ana")
    for f in ("points.csv", "surface.nc", "summary.json", "manifest.json", "displacement.bp", "cells.bp",
              "deformation.nc"):
        assert (d / "fem" / f).exists(), f
    # deformation measures of the FE run (finite differences of its 500 m grid) against the analytic
    # run's closed-form ones
    assert s["deformation_method"].startswith("second-order central finite differences")
    assert s["max_tilt"] == pytest.approx(sa["max_tilt"], rel=0.05)
    assert s["max_horizontal_compression"] == pytest.approx(sa["max_horizontal_compression"], rel=0.1)
    assert s["fem"]["geometry"] == "axisymmetric" and s["method"] == "fem"
    pf, pa = _points(d / "fem"), _points(d / "ana")
    assert np.allclose(pf.time, pa.time)
    c_f, c_a = pf[pf.name == "centre"].uz.to_numpy(), pa[pa.name == "centre"].uz.to_numpy()
    assert np.all(np.abs(c_f / c_a - 1) < 0.01), (c_f, c_a)
    e_f, e_a = pf[pf.name == "east"], pa[pa.name == "east"]
    assert np.all(np.abs(e_f.ux.to_numpy() / e_a.ux.to_numpy() - 1) < 0.01)  # east of the centre: ux < 0 (inward)
    assert np.all(e_f.ux.to_numpy() < 0) and np.allclose(e_f.uy, 0.0, atol=1e-6)
    if comm.rank == 0:
        import xarray as xr

        with xr.open_dataset(d / "fem" / "surface.nc") as f, xr.open_dataset(d / "ana" / "surface.nc") as a:
            duz = np.abs(f.uz.values - a.uz.values).max()
            assert duz < 0.01 * np.abs(a.uz.values).max()
            # the bowl is centred on the reservoir, not on the origin
            j, i = np.unravel_index(np.argmin(f.uz.values[-1]), f.uz.shape[1:])
            assert (f.x.values[i], f.y.values[j]) == (1000.0, -500.0)


def _biot(perm_aquifer, storage=None):
    d = copy.deepcopy(BASE)
    d["reservoirs"][0]["compaction"] = {"law": "linear", "cm": 1.0e-10}
    d["model"].update(coupling="biot", time_step=1.0)
    extra = {"storage": storage} if storage is not None else {}
    d["layers"] = [{"name": "over", "top": 0.0, "E": 1.0e10, "nu": 0.25, **extra},
                   {"name": "aquifer", "top": 2900.0, "E": 1.0e10, "nu": 0.25, "permeability": perm_aquifer, **extra},
                   {"name": "under", "top": 3100.0, "E": 1.0e10, "nu": 0.25, **extra}]
    d["reservoir_properties"] = {"disc": {"permeability": 1e-13, **extra}}
    d["output"] = {"times": [10.0, 20.0], "points": {"name": ["centre"], "x": [1000.0], "y": [-500.0]}}
    d["mesh"] = {"reservoir_size": 25.0}
    return d


def test_biot_drained_limit_converges_to_one_way(tmp_path_factory):
    """Huge storage keeps the sealed surroundings drained: the coupled model must tend to the one-way one.

    The continuous (P1) pressure ramps from the reservoir value to 0 across one element
    of the seal, so the extra compaction is O(h/H): first-order convergence is expected.
    """
    d = _tmp(tmp_path_factory, "biot")
    b = []
    for h in (25.0, 12.5):
        case = _biot(0.0, storage=1e-3)
        case["mesh"] = {"reservoir_size": h}
        _run(case, d / f"biot{h}")
        b.append(_points(d / f"biot{h}").uz.to_numpy())
    one = _biot(0.0)
    one["model"] = {"method": "fem", "poisson_ratio": 0.25}
    for t in one["layers"]:
        t.pop("permeability", None)
    one["reservoir_properties"] = {"disc": {}}
    _run(one, d / "one")
    o = _points(d / "one").uz.to_numpy()
    e = [np.abs(x / o - 1).max() for x in b]
    assert e[1] < 0.06 and 1.6 < e[0] / e[1] < 2.6, e


def test_biot_delayed_subsidence_needs_a_permeable_aquifer(tmp_path_factory):
    d = _tmp(tmp_path_factory, "delay")
    _run(_biot(0.0), d / "sealed")
    _run(_biot(1e-15), d / "open")
    sealed, open_ = _points(d / "sealed").uz.to_numpy(), _points(d / "open").uz.to_numpy()
    # reservoir pressure is constant after 10 yr: sealed → no further subsidence; aquifer → it continues
    assert abs(sealed[1] / sealed[0] - 1) < 1e-3
    assert open_[1] < open_[0] * 1.05 and open_[1] < sealed[1]


@pytest.mark.parametrize("patch, key", [
    ({"layers": [{"name": "a", "top": 0.0, "E": 1e10, "cm": 1e-10}]}, "layers[0].cm"),
    ({"layers": [{"name": "a", "top": 100.0, "E": 1e10}]}, "layers[0].top"),
    ({"mesh": {"reservoir_sise": 50.0}}, "mesh.reservoir_sise"),
    ({"model": {"method": "fem", "geometry": "2d"}}, "model.geometry"),
    ({"basement": {"depth": 2000.0, "rigid": True}}, "basement.depth"),
    ({"bodies": [{"name": "b", "shape": {"type": "sphere"}, "top": 0, "bottom": 1, "E": 1e9}]}, "bodies[0].shape.type"),
    ({"reservoir_properties": {"other": {"nu": 0.2}}}, "reservoir_properties.other"),
    ({"reservoir_properties": {"disc": {"E": 1e9}}}, "reservoir_properties.disc.E"),
    ({"model": {"method": "fem", "solver": "fixed-stress"}}, "model.solver"),
    ({"model": {"method": "fem", "coupling": "biot"}}, "model.coupling"),  # time-decay law + Biot
    ({"model": {"method": "fem", "geometry": "axisymmetric"},
      "bodies": [{"name": "b", "shape": {"type": "box", "x": [0, 1], "y": [0, 1]}, "top": 0, "bottom": 1, "E": 1e9}]},
     "model.geometry"),
])
def test_bad_fem_input_names_the_key(patch, key):
    d = copy.deepcopy(BASE)
    d.update(patch)
    with pytest.raises(CaseError) as exc:
        case_from_dict(d)
    assert exc.value.key == key, str(exc.value)


def test_compare_command(tmp_path_factory):
    from subsidence.compare import compare_runs, format_table

    d = _tmp(tmp_path_factory, "cmp")
    small = copy.deepcopy(BASE)
    small["output"]["times"] = [10.0]
    _run(small, d / "a")
    small["reservoirs"][0]["pressure_change"]["value"] = [0.0, -1.1e7, -1.1e7]
    _run(small, d / "b")
    if comm.rank == 0:
        rep = compare_runs(d / "a", d / "b", out=d / "cmp")
        assert rep["grid"][0]["relative_difference"] == pytest.approx(0.1, rel=1e-6)
        assert (d / "cmp" / "compare.png").exists() and (d / "cmp" / "compare.json").exists()
        assert "centre" in format_table(rep)


def test_fixed_stress_split_equals_monolithic_biot_in_3d(tmp_path_factory):
    """The iterative fixed-stress split (GAMG blocks) converges to the monolithic direct solution."""
    d = _tmp(tmp_path_factory, "split")
    out = []
    for solver in ("mumps", "fixed-stress"):
        case = _biot(1e-15)
        case["model"].update(geometry="3d", solver=solver, time_step=10.0)
        case["mesh"] = {"reservoir_size": 400.0, "surface_size": 1000.0, "far_size": 4000.0, "lateral_margin": 6000.0}
        s = _run(case, d / solver)
        out.append(_points(d / solver).uz.to_numpy())
    assert s["fem"]["solver"] == "fixed-stress" and s["fem"]["coupling_iterations"]["max_per_step"] < 60
    assert np.allclose(out[0], out[1], rtol=1e-5), out


def test_gridded_reservoir_matches_the_analytic_grid_run(tmp_path_factory):
    """A gridded reservoir (cell-wise DG0 load, volume-conserving) against the analytic run on the same grid."""
    d = _tmp(tmp_path_factory, "grid")
    if comm.rank == 0:
        x = np.arange(-2500.0, 2501.0, 250.0)
        X, Y = np.meshgrid(x, x)
        m = np.hypot(X, Y) <= 2000.0
        dp = np.where(X[m] > 0, -1.2e7, -0.8e7)  # laterally varying depletion
        pd.DataFrame({"x": X[m], "y": Y[m], "depth": 3000.0, "thickness": 100.0, "dp@0": 0.0,
                      "dp@10": dp}).to_csv(d / "grid.csv", index=False)
    comm.Barrier()
    case = copy.deepcopy(BASE)
    case["reservoirs"] = [{"name": "grid", "shape": {"type": "grid", "file": str(d / "grid.csv")},
                           "compaction": {"law": "linear", "cm": 1.0e-10}}]
    case["output"]["times"] = [10.0]
    ana = copy.deepcopy(case)
    del ana["basement"]
    ana["model"] = {"method": "analytic", "kernel": "van-opstal", "poisson_ratio": 0.25, "basement_depth": 4500.0}
    _run(ana, d / "ana")
    case["layers"] = [{"name": "rock", "top": 0.0, "cm": 1.0e-10, "nu": 0.25}]
    case["mesh"] = {"reservoir_size": 100.0, "surface_size": 500.0, "far_size": 3000.0, "lateral_margin": 5000.0}
    s = _run(case, d / "fem")
    assert s["fem"]["geometry"] == "3d" and s["fem"]["gridded_missed_volume_fraction"] == 0.0
    pf, pa = _points(d / "fem"), _points(d / "ana")
    assert abs(pf.uz.to_numpy()[0] / pa.uz.to_numpy()[0] - 1) < 0.01, (pf.uz, pa.uz)
    assert abs(pf.uz.to_numpy()[1] / pa.uz.to_numpy()[1] - 1) < 0.02, (pf.uz, pa.uz)
    assert abs(pf.ux.to_numpy()[1] / pa.ux.to_numpy()[1] - 1) < 0.04, (pf.ux, pa.ux)
