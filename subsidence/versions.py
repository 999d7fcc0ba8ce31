"""Versions of the toolkit and its numerical stack (for `subsidence info` and manifests)."""

from __future__ import annotations

import platform
import subprocess
from pathlib import Path

import subsidence


def git_commit() -> str | None:
    root = Path(subsidence.__file__).resolve().parent.parent
    try:
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5)
        if out.returncode == 0:
            dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                                   capture_output=True, text=True, timeout=5).stdout.strip()
            return out.stdout.strip() + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        pass
    return None


def versions(*, fem: bool = True) -> dict:
    info: dict = {
        "subsidence": subsidence.__version__,
        "git_commit": git_commit(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    import numpy
    import scipy

    info["numpy"] = numpy.__version__
    info["scipy"] = scipy.__version__
    try:
        from mpi4py import MPI

        info["mpi4py"] = __import__("mpi4py").__version__
        info["mpi"] = MPI.Get_library_version().splitlines()[0].strip()
        info["mpi_size"] = MPI.COMM_WORLD.size
    except ImportError:
        info["mpi"] = None
    if fem:
        try:
            from mpi4py import MPI  # noqa: F401  (must precede dolfinx/petsc4py)
            import dolfinx
            from petsc4py import PETSc

            info["dolfinx"] = dolfinx.__version__
            info["petsc"] = ".".join(map(str, PETSc.Sys.getVersion()))
            info["petsc_scalar"] = str(PETSc.ScalarType.__name__)
        except ImportError as exc:
            info["dolfinx"] = f"not available ({exc})"
    try:
        import gmsh

        info["gmsh"] = gmsh.__version__
    except ImportError:
        info["gmsh"] = None
    return info
