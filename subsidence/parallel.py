"""MPI when mpi4py is installed, a serial stand-in when it is not.

``pip install subsidence`` without the ``[fem]`` extra has no mpi4py: the analytic, shallow
and InSAR code then runs on :class:`SerialComm`, which offers the few communicator methods
the toolkit uses outside the FE code (with one rank they are identities).
"""

from __future__ import annotations

import os
import sys


class SerialComm:
    """One-rank stand-in for ``mpi4py.MPI.COMM_WORLD``."""

    rank = 0
    size = 1

    def Get_rank(self) -> int:
        return 0

    def Get_size(self) -> int:
        return 1

    def bcast(self, obj=None, root: int = 0):
        return obj

    def allreduce(self, obj, op=None):
        return obj

    def reduce(self, obj, op=None, root: int = 0):
        return obj

    def gather(self, obj, root: int = 0):
        return [obj]

    def allgather(self, obj):
        return [obj]

    def Barrier(self) -> None:
        pass

    barrier = Barrier

    def Abort(self, errorcode: int = 1) -> None:
        sys.stderr.flush()
        os._exit(errorcode)


#: stand-in for MPI.MAX / MPI.SUM where mpi4py is missing (SerialComm ignores the op)
MAX = SUM = MIN = None


def have_mpi() -> bool:
    try:
        import mpi4py.MPI  # noqa: F401
    except ImportError:
        return False
    return True


def world():
    """``MPI.COMM_WORLD``, or a :class:`SerialComm` when mpi4py is not installed."""
    try:
        from mpi4py import MPI
    except ImportError:
        return SerialComm()
    return MPI.COMM_WORLD


def max_op():
    """``MPI.MAX`` (``None`` for the serial stand-in)."""
    try:
        from mpi4py import MPI
    except ImportError:
        return MAX
    return MPI.MAX


def fem_missing() -> str | None:
    """Why the FE stack (mpi4py, dolfinx; the ``[fem]`` extra) cannot be used, or ``None``."""
    try:
        import mpi4py.MPI  # noqa: F401  (MPI before dolfinx)
        import dolfinx  # noqa: F401
    except ImportError as exc:
        return f"{exc}; install it with pip install 'subsidence[fem]'"
    return None
