"""FE fields readable without ADIOS2: fields.xdmf + fields.h5 beside the VTX files, read back by meshio."""

import copy
from pathlib import Path

import numpy as np
import pytest
from mpi4py import MPI

from subsidence.config.case import case_from_dict
from subsidence.run import run_case

pytestmark = pytest.mark.fem
comm = MPI.COMM_WORLD

CASE = {
    "name": "fem-xdmf",
    "kind": "deep",
    "model": {"method": "fem", "poisson_ratio": 0.25},
    "basement": {"depth": 4500.0, "rigid": True},
    "reservoirs": [{
        "name": "disc", "shape": {"type": "disc", "center": [0.0, 0.0], "radius": 2000.0},
        "depth": 3000.0, "thickness": 100.0,
        "compaction": {"law": "linear", "cm": 1.0e-10},
        "pressure_change": {"time": [0.0, 10.0], "value": [0.0, -1.0e7]},
    }],
    "output": {"times": [5.0, 10.0], "points": {"name": ["centre"], "x": [0.0], "y": [0.0]}},
}


def test_fields_xdmf_reads_back_with_meshio(tmp_path_factory):
    meshio = pytest.importorskip("meshio")
    path = str(tmp_path_factory.mktemp("xdmf")) if comm.rank == 0 else None
    out = Path(comm.bcast(path, root=0)) / "run"
    summary = run_case(case_from_dict(copy.deepcopy(CASE)), out, comm=comm)
    assert (out / "fields.xdmf").is_file() and (out / "fields.h5").is_file()
    assert (out / "displacement.bp").exists()  # VTX stays
    if comm.rank != 0:
        return
    with meshio.xdmf.TimeSeriesReader(str(out / "fields.xdmf")) as rd:
        points, cells = rd.read_points_cells()
        assert rd.num_steps == 2
        steps = [rd.read_data(k) for k in range(rd.num_steps)]
    ncell = sum(len(c.data) for c in cells)
    assert [t for t, _, _ in steps] == [5.0, 10.0]
    for _, pd, cd in steps:
        assert set(pd) == {"displacement"} and pd["displacement"].shape[0] == len(points)
        assert {"pressure_change", "volumetric_strain", "stress"} <= set(cd)
        assert cd["stress"][0].shape == (ncell, 9) and cd["pressure_change"][0].shape[0] == ncell
    # axisymmetric: the (r, z) section (meshio pads to 3 components); the centre of the surface is (0, 0)
    k = points.shape[1] - 1 if points.shape[1] == 2 or not np.allclose(points[:, 2], 0.0) else 1
    u = steps[-1][1]["displacement"]
    centre = np.flatnonzero(np.isclose(points[:, 0], 0.0) & np.isclose(points[:, k], 0.0))
    assert centre.size == 1
    assert u[centre[0], k] == pytest.approx(summary["points"]["centre"]["uz"], rel=1e-6)
    assert np.allclose(steps[0][1]["displacement"], 0.5 * u, rtol=1e-6, atol=1e-9)  # linear in the depletion
    assert cd["pressure_change"][0].min() == pytest.approx(-1.0e7)
