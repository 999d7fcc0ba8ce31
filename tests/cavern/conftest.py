import gc

import pytest
from mpi4py import MPI


@pytest.fixture
def comm():
    yield MPI.COMM_WORLD
    gc.collect()
    MPI.COMM_WORLD.Barrier()
