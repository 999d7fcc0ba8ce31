import gc
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Test modules are imported by basename (pytest's default "prepend" mode): keep test file
# names unique across the folders (tests/fem/test_study.py vs tests/cavern/test_cavern_study.py).


@pytest.fixture
def repo_root() -> Path:
    return ROOT


@pytest.fixture(autouse=True)
def _collective_teardown():
    """Let collective destructors (PETSc objects) meet on all ranks after each test."""
    yield
    gc.collect()
    try:
        from mpi4py import MPI

        MPI.COMM_WORLD.Barrier()
    except ImportError:
        pass


def pytest_collection_modifyitems(config, items):
    """Under mpiexec with more than one rank, skip tests marked serial."""
    try:
        from mpi4py import MPI

        size = MPI.COMM_WORLD.size
    except ImportError:
        size = 1
    if size > 1:
        skip = pytest.mark.skip(reason="serial-only test (running on several ranks)")
        for item in items:
            if "serial" in item.keywords:
                item.add_marker(skip)


@pytest.fixture
def shared_tmp(tmp_path_factory):
    """A temporary directory that every rank of COMM_WORLD sees (made by rank 0)."""
    from mpi4py import MPI

    comm = MPI.COMM_WORLD
    path = str(tmp_path_factory.mktemp("shared")) if comm.rank == 0 else None
    return Path(comm.bcast(path, root=0))
