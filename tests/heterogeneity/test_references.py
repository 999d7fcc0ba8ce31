"""``[heterogeneity]`` in an FE case: the homogeneous FE reference and the analytic kernel run
alongside, and the bowl comparison written into the run directory (issue 10).

Guards against: a reference that is not the case with the heterogeneity removed (compared with
the case whose lens has the host's stiffness, run on its own), an analytic reference of other
reservoirs or another kernel (compared with the FE reference where the rock has the reservoir's
stiffness: they must agree to the FE discretisation error), difference maps that are not run
minus reference, and bad keys reaching the run.
"""

import copy
import csv

import numpy as np
import pytest
from mpi4py import MPI

from subsidence.config import CaseError
from subsidence.config.case import case_from_dict

pytestmark = pytest.mark.fem
comm = MPI.COMM_WORLD

E_RES = (1 + 0.25) * (1 - 2 * 0.25) / (1.0e-9 * (1 - 0.25))  # the reservoir's E (cm = 1e-9 1/Pa, ν = 0.25)
CASE = {
    "name": "het-refs",
    "model": {"method": "fem", "poisson_ratio": 0.25, "degree": 2, "solver": "gamg", "rtol": 1e-10},
    "mesh": {"reservoir_size": 300.0, "surface_size": 500.0, "far_size": 2000.0, "lateral_margin": 5000.0},
    "layers": [{"name": "rock", "top": 0.0, "E": E_RES, "nu": 0.25}],
    "basement": {"depth": 3500.0, "rigid": True},
    "bodies": [{"name": "lens", "shape": {"type": "polygon", "vertices": [[500.0, -2500.0], [3500.0, -2000.0],
                                                                          [3000.0, 2500.0], [800.0, 1500.0]]},
                "top": 200.0, "bottom": 1500.0, "E": 10 * E_RES, "nu": 0.25}],
    "reservoirs": [{
        "name": "field", "shape": {"type": "disc", "center": [0.0, 0.0], "radius": 1500.0},
        "depth": 2500.0, "thickness": 100.0, "compaction": {"law": "linear", "cm": 1.0e-9},
        "pressure_change": {"time": [0.0, 10.0], "value": [0.0, -1.0e7]},
    }],
    "output": {"times": [5.0, 10.0], "grid": {"x": [-4000.0, 4000.0, 33], "y": [-4000.0, 4000.0, 33]}},
    "heterogeneity": {"window": [5.0, 10.0], "velocity_noise": "1 mm/yr", "contour": 0.02},
}


def _grid(path):
    import xarray as xr

    with xr.open_dataset(path / "surface.nc") as ds:
        return {k: ds[k].isel(time=-1).values.copy() for k in ("ux", "uy", "uz")}


def test_references_run_alongside_and_the_bowl_is_compared(shared_tmp):
    import xarray as xr

    from subsidence.run import run_case

    out = shared_tmp / "case"
    s = run_case(case_from_dict(copy.deepcopy(CASE)), out, comm=comm)
    assert (out / "references" / "homogeneous" / "manifest.json").is_file()
    assert (out / "references" / "analytic" / "manifest.json").is_file()
    for f in ("metrics.csv", "differences.nc", "difference_het-refs.png", "difference_analytic.png",
              "detectable_het-refs.png"):
        assert (out / "heterogeneity" / f).is_file(), f
    with open(out / "heterogeneity" / "metrics.csv") as fh:
        rows = {r["run"]: r for r in csv.DictReader(fh)}
    assert list(rows) == ["reference", "het-refs", "analytic"]
    assert set(s["heterogeneity"]) == {"reference", "het-refs", "analytic"}

    # the reference is the case with the lens at the host's stiffness (run on its own, same mesh rules)
    plain = copy.deepcopy(CASE)
    plain["bodies"][0]["E"] = E_RES
    del plain["heterogeneity"]
    run_case(case_from_dict(plain), shared_tmp / "plain", comm=comm)
    ref, own, het = _grid(out / "references" / "homogeneous"), _grid(shared_tmp / "plain"), _grid(out)
    scale = np.abs(ref["uz"]).max()
    assert np.max(np.abs(ref["uz"] - own["uz"])) < 1e-7 * scale
    # rock of the reservoir's stiffness over a rigid base: the FE reference is van Opstal's bowl
    an = _grid(out / "references" / "analytic")
    assert np.max(np.abs(ref["uz"] - an["uz"])) < 0.02 * scale
    assert np.max(np.abs(ref["ux"] - an["ux"])[8:-8, 8:-8]) < 0.03 * scale  # away from the roller sides
    # the difference maps are run minus reference; the stiff lens east makes the bowl shallower there
    with xr.open_dataset(out / "heterogeneity" / "differences.nc") as ds:
        d = ds["duz_het-refs"].values
        assert np.allclose(d, het["uz"] - ref["uz"], atol=1e-12)
        assert "detectable_het-refs" in ds
    assert float(rows["het-refs"]["max_subsidence_m"]) < float(rows["reference"]["max_subsidence_m"])
    assert rows["het-refs"]["detectable"] == "True"  # cm-scale differences over 5 yr against 1 mm/yr


@pytest.mark.parametrize("table, key, words", [
    ({"window": [5.0, 7.0]}, "heterogeneity.window", "not an output time"),
    ({"homogeneous": True, "reference": True}, "heterogeneity.homogeneous", "no references"),
    ({"nope": 1}, "heterogeneity.nope", "unknown key"),
])
def test_bad_heterogeneity_table(table, key, words):
    data = copy.deepcopy(CASE)
    data["heterogeneity"] = table
    with pytest.raises(CaseError) as e:
        case_from_dict(data)
    assert key in str(e.value) and words in str(e.value), str(e.value)
