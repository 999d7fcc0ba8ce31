"""Runs on 1 and on 2 ranks give the same directory (rank 0 computes the analytic sum)."""

import json

import numpy as np
import pytest
from mpi4py import MPI

from subsidence.config import case_from_dict
from subsidence.run import run_case

from .helpers import disc_case


@pytest.mark.mpi
def test_analytic_run_on_all_ranks(shared_tmp):
    comm = MPI.COMM_WORLD
    summary = run_case(case_from_dict(disc_case()), shared_tmp / "run", comm=comm)
    # every rank gets the summary, and it is the serial one
    assert summary["max_subsidence_m"] == pytest.approx(0.025189, rel=1e-4)
    gathered = comm.allgather(summary["max_subsidence_m"])
    assert np.allclose(gathered, gathered[0], rtol=0)
    if comm.rank == 0:
        m = json.loads((shared_tmp / "run" / "manifest.json").read_text())
        assert m["ranks"] == comm.size
    comm.Barrier()
