"""The run directory: written in a temporary place, moved into place only when complete.

A run writes into ``<out>.tmp-<id>/`` next to the requested directory. On success the
manifest is written last and the directory is renamed to ``<out>`` (an older run
directory there is replaced). On failure the partial results are kept as
``<out>.failed/`` with ``error.txt`` and *no* ``manifest.json``, so that nothing that
failed can be mistaken for a complete run. Only rank 0 touches the file system here.
"""

from __future__ import annotations

import os
import shutil
import traceback
import uuid
from pathlib import Path


class OutputDirError(Exception):
    pass


class RunDirectory:
    def __init__(self, out: str | Path, comm=None):
        self.out = Path(out).resolve()
        self.comm = comm
        self.rank = comm.rank if comm is not None else 0
        token = uuid.uuid4().hex[:8] if self.rank == 0 else None
        if comm is not None:
            token = comm.bcast(token, root=0)
        self.path = self.out.with_name(f"{self.out.name}.tmp-{token}")
        self.failed_path = self.out.with_name(f"{self.out.name}.failed")

    def check_target(self) -> None:
        """Refuse to replace something that is not a run directory of this toolkit."""
        if self.out.exists():
            if not self.out.is_dir():
                raise OutputDirError(f"{self.out} exists and is not a directory")
            entries = list(self.out.iterdir())
            if entries and not (self.out / "manifest.json").exists():
                raise OutputDirError(
                    f"{self.out} exists, is not empty and is not a run directory (no manifest.json); "
                    "choose another --out or remove it"
                )

    def __enter__(self) -> RunDirectory:
        if self.rank == 0:
            self.check_target()
            self.path.mkdir(parents=True)
        if self.comm is not None:
            self.comm.Barrier()
        return self

    def file(self, name: str) -> Path:
        return self.path / name

    def commit(self) -> None:
        """Move the finished directory into place (rank 0)."""
        if self.rank != 0:
            return
        if not (self.path / "manifest.json").exists():
            raise OutputDirError("internal error: manifest.json must be written before commit")
        if self.out.exists():
            shutil.rmtree(self.out)
        os.replace(self.path, self.out)
        if self.failed_path.exists():
            shutil.rmtree(self.failed_path, ignore_errors=True)

    def fail(self, exc: BaseException) -> None:
        if self.rank != 0 or not self.path.exists():
            return
        (self.path / "error.txt").write_text(
            "This run did NOT complete. What it computed before the error is kept here.\n\n"
            + "".join(traceback.format_exception(exc))
        )
        if self.failed_path.exists():
            shutil.rmtree(self.failed_path)
        os.replace(self.path, self.failed_path)

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc is not None:
            self.fail(exc)
        return False
