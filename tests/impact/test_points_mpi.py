"""The deformation measures of a coupled run on two ranks: the same summary on every rank, one file."""

import copy
import json

import numpy as np
import pytest
from mpi4py import MPI

from tests.impact.test_points import CHAIN


@pytest.mark.mpi
def test_point_measures_of_a_coupled_run_on_every_rank(tmp_path_factory):
    from subsidence.config import case_from_dict
    from subsidence.run import run_case

    comm = MPI.COMM_WORLD
    base = comm.bcast(str(tmp_path_factory.mktemp("mpi")) if comm.rank == 0 else None, root=0)
    X, Y = np.meshgrid(np.arange(4) * 100.0, np.arange(4) * 100.0)
    names = [f"p{i}" for i in range(X.size)]
    if comm.rank == 0:  # a tilted plane of deep subsidence: slope 1e-5 towards +x at the end
        with open(f"{base}/deep.csv", "w") as f:
            f.write("time," + ",".join(names) + "\n0," + ",".join("0" for _ in names) + "\n1,"
                    + ",".join(f"{-1e-5 * x:.6g}" for x in X.ravel()) + "\n")
    comm.Barrier()
    d = copy.deepcopy(CHAIN)
    d.update(deep={"source": "series", "file": f"{base}/deep.csv"},
             points={"name": names, "x": X.ravel().tolist(), "y": Y.ravel().tolist()}, output={"plots": False})
    summary = run_case(case_from_dict(d, file=f"{base}/c.toml"), f"{base}/out", comm=comm)
    keys = ("max_tilt", "max_curvature", "deformation_points", "deformation_horizontal")
    got = comm.allgather(tuple(summary[k] for k in keys))
    assert all(g == got[0] for g in got)
    assert summary["deformation_points"] == 16
    if comm.rank == 0:
        saved = json.loads(open(f"{base}/out/summary.json").read())
        assert saved["max_tilt"] == pytest.approx(summary["max_tilt"])
