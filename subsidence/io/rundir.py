"""The run directory: written in a temporary place, moved into place only when complete.

A run writes into ``<out>.tmp-<id>/`` next to the requested directory. On success the
manifest is written last and the directory is renamed to ``<out>`` (an older run
directory there is replaced). On failure the partial results are kept as
``<out>.failed/`` with ``error.txt`` and *no* ``manifest.json``, so that nothing that
failed can be mistaken for a complete run. Only rank 0 touches the file system here.

While a run writes, ``<out>.lock`` names it (host, pid, start time, case): a second run
into the same ``--out`` is refused (a lock left by a dead process on this host is taken
over). The final move is atomic for readers: the old run is renamed aside, the new one
renamed into place, then the old one deleted. Replacing a run of a *different* case (other
name and other case file) needs ``force``.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import errno
import json
import os
import shutil
import socket
import traceback
import uuid
from pathlib import Path

from subsidence.log import get_logger

log = get_logger("rundir")


class OutputDirError(Exception):
    pass


#: errors of the file system that are the user's to fix, not the toolkit's: a message, exit 2
_DISK_ERRORS = {
    errno.EROFS: "read-only file system",
    errno.ENOSPC: "no space left on device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
}
_FULL_BELOW = 4 << 20  # bytes free under which a write error without errno (netCDF/HDF5) is a full disk


def disk_error(exc: BaseException, path: str | Path | None = None) -> OutputDirError | None:
    """``exc`` (or its cause) as "cannot write FILE: read-only file system / no space left on
    device", or None when it is not a file-system error. Libraries that hide the errno (netCDF,
    HDF5) are caught by looking at the free space of ``path``'s file system."""
    e: BaseException | None = exc
    for _ in range(5):
        if e is None:
            break
        if isinstance(e, OSError) and e.errno in _DISK_ERRORS:
            return OutputDirError(f"cannot write {e.filename or path}: {_DISK_ERRORS[e.errno]}")
        e = e.__cause__ or e.__context__
    if path is not None and isinstance(exc, (OSError, RuntimeError)):
        p = Path(path)
        while not p.exists() and p != p.parent:
            p = p.parent
        try:
            free = shutil.disk_usage(p).free
        except OSError:
            return None
        if free < _FULL_BELOW:
            return OutputDirError(f"cannot write {path}: no space left on device ({free} bytes free; {exc})")
    return None


class RunDirectory:
    #: the run directory being written by this process (rank 0), for a signal handler to fail it
    current: RunDirectory | None = None

    def __init__(self, out: str | Path, comm=None, *, case_name: str | None = None, case_sha256: str | None = None,
                 force: bool = False, kind: str | None = None):
        self.out = Path(out).resolve()
        self.case_name, self.case_sha256, self.force = case_name, case_sha256, force
        #: what is written (``summary.json`` ``kind``: "calibration", "forecast", a case kind): a run
        #: of another kind in ``out`` is not replaced without ``force`` (a forecast into the
        #: directory of a calibration of the same case would delete that calibration)
        self.kind = kind
        self.comm = comm
        self.rank = comm.rank if comm is not None else 0
        token = uuid.uuid4().hex[:8] if self.rank == 0 else None
        if comm is not None:
            token = comm.bcast(token, root=0)
        self.path = self.out.with_name(f"{self.out.name}.tmp-{token}")
        self.failed_path = self.out.with_name(f"{self.out.name}.failed")
        self.lock_path = self.out.with_name(f"{self.out.name}.lock")
        self.old_path = self.out.with_name(f"{self.out.name}.old-{token}")
        self._locked = False

    def preflight(self) -> str | None:
        """Before any work is done, what entering would refuse, raised as :class:`OutputDirError`: a
        file where ``out`` or a directory above it should be, a directory that is not a run
        directory, a run of another case or kind without ``force``. Else what entering will do to
        ``out`` (a note, or None)."""
        p = self.out.parent
        while not p.exists() and p != p.parent:
            p = p.parent
        if not p.is_dir():
            raise OutputDirError(f"cannot create {self.out}: {p} is a file, not a directory; choose another --out")
        return self.check_target(dry=True)

    def check_target(self, dry: bool = False) -> str | None:
        """Refuse to replace something that is not a run directory of this toolkit.

        ``dry`` (``subsidence check``): log nothing, return what a run would do to ``out``.
        """
        if self.out.exists():
            if not self.out.is_dir():
                raise OutputDirError(f"{self.out} exists and is not a directory")
            entries = list(self.out.iterdir())
            if entries and not (self.out / "manifest.json").exists():
                raise OutputDirError(
                    f"{self.out} exists, is not empty and is not a run directory (no manifest.json); "
                    "choose another --out or remove it"
                )
            if entries:
                return self._check_same_case(dry)
        return None

    def _check_same_case(self, dry: bool = False) -> str:
        """An existing run of the same case is replaced (said in the log); another case needs ``force``."""
        try:
            old = json.loads((self.out / "manifest.json").read_text(encoding="utf-8"))
            old_name, old_sha = old.get("case", {}).get("name"), old.get("case_sha256")
        except (OSError, ValueError, AttributeError):
            old_name = old_sha = None
        old_kind = None
        if self.kind is not None:
            try:
                old_kind = json.loads((self.out / "summary.json").read_text(encoding="utf-8")).get("kind")
            except (OSError, ValueError, AttributeError):
                pass
        same = (self.case_name is None or old_name == self.case_name
                or (self.case_sha256 is not None and old_sha == self.case_sha256))
        if same and old_kind is not None and old_kind != self.kind:
            if not self.force:
                raise OutputDirError(
                    f"{self.out} holds a {old_kind} of case {old_name!r} (this is a {self.kind}); "
                    "use --force to replace it, or choose another --out")
            if not dry:
                log.warning("replacing a %s of case %r in %s with a %s (--force)", old_kind, old_name, self.out, self.kind)
            return f"replaces a {old_kind} of case {old_name!r} in {self.out} (--force)"
        if same:
            note = f"replaces the earlier run of case {old_name!r} in {self.out}"
            if not dry:
                log.info("replacing the earlier run of case %r in %s", old_name, self.out)
            return note
        elif self.force:
            if not dry:
                log.warning("replacing a run of another case (%r) in %s (--force)", old_name, self.out)
            return f"replaces a run of another case ({old_name!r}) in {self.out} (--force)"
        else:
            raise OutputDirError(
                f"{self.out} holds a run of another case ({old_name!r}, this is {self.case_name!r}); "
                "use --force to replace it, or choose another --out"
            )

    def _lock(self) -> None:
        """Create ``<out>.lock`` or refuse (exit 2) while another live run holds it."""
        me = {"host": socket.gethostname(), "pid": os.getpid(),
              "started_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
              "case": self.case_name, "tmp": self.path.name}
        # written aside, then hard-linked into place: the lock appears atomically, complete, or not at all
        mine = self.lock_path.with_name(f"{self.lock_path.name}.{self.path.name}")
        mine.write_text(json.dumps(me), encoding="utf-8")
        try:
            for _ in range(5):
                try:
                    _link_or_create(mine, self.lock_path, me)
                except FileExistsError:
                    other = _read_lock(self.lock_path)
                    if other is None or not _is_stale(other):
                        raise OutputDirError(_locked_message(self.out, self.lock_path, other)) from None
                    self._take_over(other)
                    continue
                self._locked = True
                return
        finally:
            mine.unlink(missing_ok=True)
        raise OutputDirError(f"cannot lock {self.out}: {self.lock_path} keeps coming back")

    def _take_over(self, stale: dict) -> None:
        """Remove the stale lock ``stale`` (and the dead run's temporary directory), unless another
        run took it over first: renaming is atomic, so only one of several runs can claim it."""
        claim = self.lock_path.with_name(f"{self.lock_path.name}.stale-{self.path.name}")
        try:
            os.rename(self.lock_path, claim)
        except FileNotFoundError:
            return  # someone else claimed it: try again
        try:
            if _read_lock(claim) != stale:  # a live run's fresh lock: put it back
                with contextlib.suppress(OSError):
                    os.link(claim, self.lock_path)
                return
        finally:
            claim.unlink(missing_ok=True)
        log.warning("taking over the lock of a run that is gone (pid %s on %s, started %s)",
                    stale.get("pid"), stale.get("host"), stale.get("started_utc"))
        tmp = str(stale.get("tmp", ""))
        if not (tmp.startswith(f"{self.out.name}.tmp-") and "/" not in tmp):
            return
        if self.out.with_name(tmp).is_dir():
            shutil.rmtree(self.out.with_name(tmp), ignore_errors=True)
        old = self.out.with_name(f"{self.out.name}.old-{tmp.rsplit('-', 1)[-1]}")
        if old.is_dir():  # it died while moving into place: before the swap, the old run goes back
            if self.out.exists():
                shutil.rmtree(old, ignore_errors=True)
            else:
                log.warning("restoring the earlier run %s from %s", self.out, old.name)
                os.replace(old, self.out)

    def _unlock(self) -> None:
        if self._locked:
            try:
                self.lock_path.unlink(missing_ok=True)
            except OSError as e:  # e.g. the file system became read-only
                log.warning("cannot remove %s: %s", self.lock_path, e)
            self._locked = False

    def __enter__(self) -> RunDirectory:
        if self.rank == 0:
            try:
                self.out.parent.mkdir(parents=True, exist_ok=True)
                self._lock()
            except (FileExistsError, NotADirectoryError):  # a file where a directory above out should be
                self.preflight()
                raise
            except OSError as exc:  # read-only, full, no permission: say so (exit 2), no traceback
                raise (disk_error(exc, self.lock_path) or exc) from None
            try:
                self.check_target()
                self.path.mkdir(parents=True)
            except BaseException as exc:
                self._unlock()
                err = disk_error(exc, self.path) if isinstance(exc, OSError) else None
                if err is not None:
                    raise err from None
                raise
            RunDirectory.current = self
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
        from subsidence.signals import deferred, raise_if_terminated

        raise_if_terminated()  # a signal whose exception was swallowed in compiled code still fails the run

        with deferred():  # a signal now would leave neither the old nor the new run in place
            aside = self.out.exists()
            if aside:
                os.replace(self.out, self.old_path)
            os.replace(self.path, self.out)
        if aside:
            shutil.rmtree(self.old_path, ignore_errors=True)
        if self.failed_path.exists():
            shutil.rmtree(self.failed_path, ignore_errors=True)
        self._unlock()

    def fail(self, exc: BaseException) -> None:
        if self.rank != 0:
            return
        if not self.path.exists():
            self._unlock()
            return
        why = f"{exc}\n\n" if getattr(exc, "signum", None) is not None else ""  # "terminated by signal 15 (SIGTERM)"
        disk = disk_error(exc, self.path)
        if disk is not None:
            why = f"{disk}\n\n"
        # a manifest written before the error (or cut short by a full disk) must not make this
        # directory look complete
        (self.path / "manifest.json").unlink(missing_ok=True)
        try:
            (self.path / "error.txt").write_text(
                "This run did NOT complete. What it computed before the error is kept here.\n\n"
                + why + "".join(traceback.format_exception(exc))
            )
        except OSError as e:  # a full or read-only disk: the directory's name still says it failed
            log.warning("cannot write %s: %s", self.path / "error.txt", e)
        try:
            if self.failed_path.exists():
                shutil.rmtree(self.failed_path)
            os.replace(self.path, self.failed_path)
        except OSError as e:
            log.warning("cannot move %s to %s: %s (it has no manifest.json: not a complete run)",
                        self.path, self.failed_path, e)
        self._unlock()

    def __exit__(self, exc_type, exc, tb) -> bool:
        try:
            if exc is not None:
                self.fail(exc)
                err = disk_error(exc, self.path) if self.rank == 0 and isinstance(exc, Exception) else None
                if err is not None:  # a full or read-only disk is the user's to fix: a message, exit 2
                    kept = f"; the partial results are in {self.failed_path}" if self.failed_path.is_dir() else ""
                    raise OutputDirError(f"{err}{kept}") from exc
        finally:
            if self.rank == 0:
                self._unlock()
                if RunDirectory.current is self:
                    RunDirectory.current = None
        return False


def _link_or_create(src: Path, dst: Path, content: dict) -> None:
    """Make ``dst`` a hard link of ``src`` (atomic, exclusive); where the file system has no hard
    links, create it exclusively and write it. Raises FileExistsError when ``dst`` exists."""
    try:
        os.link(src, dst)
        return
    except FileExistsError:
        raise
    except OSError:  # no hard links here (some network or FAT file systems)
        pass
    fd = os.open(dst, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(content, f)


def _read_lock(path: Path) -> dict | None:
    try:
        d = json.loads(path.read_text(encoding="utf-8"))
        return d if isinstance(d, dict) else None
    except (OSError, ValueError):
        return None


def _is_stale(lock: dict) -> bool:
    """A lock is stale when its process, on this host, no longer exists."""
    if lock.get("host") != socket.gethostname():
        return False
    try:
        pid = int(lock.get("pid"))
    except (TypeError, ValueError):
        return False
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


def _locked_message(out: Path, lock_path: Path, other: dict | None) -> str:
    if other is None:
        who = "another run (its lock file cannot be read)"
    else:
        who = (f"another run (case {other.get('case')!r}, pid {other.get('pid')} on {other.get('host')}, "
               f"started {other.get('started_utc')})")
    return (f"{out} is being written by {who}; wait for it to finish, choose another --out, "
            f"or remove {lock_path} if that run is no longer alive")
