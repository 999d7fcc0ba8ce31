import gc

import pytest


@pytest.fixture(autouse=True)
def _collective_teardown():
    """Let collective PETSc/dolfinx destructors meet on all ranks after every test."""
    yield
    from mpi4py import MPI

    gc.collect()
    MPI.COMM_WORLD.Barrier()
