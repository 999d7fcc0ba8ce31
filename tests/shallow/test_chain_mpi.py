"""The soil columns of an area split over the ranks give the one-rank result (to the solver
tolerance), on every rank."""

import numpy as np
import pytest
from mpi4py import MPI

from subsidence.config import case_from_dict
from subsidence.shallow.chain import run_chain

from .test_chain import _case


@pytest.mark.mpi
def test_columns_over_the_ranks_give_the_one_rank_result(tmp_path_factory):
    comm = MPI.COMM_WORLD
    base = comm.bcast(str(tmp_path_factory.mktemp("cols")) if comm.rank == 0 else None, root=0)
    series = f"{base}/deep.csv"
    names = [f"p{i}" for i in range(9)]
    if comm.rank == 0:
        with open(series, "w") as f:
            f.write("time," + ",".join(names) + "\n0," + ",".join("0" for _ in names) + "\n1,"
                    + ",".join(f"{-0.01 * (i + 1):.3f}" for i in range(9)) + "\n")
    comm.Barrier()
    d = _case(kind="coupled", deep={"source": "series", "file": series},
              points={"name": names, "x": [100.0 * i for i in range(9)], "y": [0.0] * 9},
              water_management={"initial_level": -0.9, "rule": "fraction", "fraction": 1.0, "reference": "own",
                                "threshold": 0.005},
              output={"plots": False})
    cfg = case_from_dict(d, file="x.toml").config
    world = run_chain(cfg, comm)
    alone = run_chain(cfg, MPI.COMM_SELF)
    assert len(np.unique(alone.shallow[-1])) > 2  # the columns differ
    for k in ("shallow", "compaction", "extra", "total_uz"):
        np.testing.assert_allclose(getattr(world, k), getattr(alone, k), rtol=0, atol=1e-9, err_msg=k)
