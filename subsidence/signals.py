"""Runs that are killed: SIGTERM (a scheduler's time limit, ``scancel``), SIGINT (Ctrl-C), SIGHUP.

A run that receives one of these signals must not leave a half-written ``<out>.tmp-*``
directory or PETSc's "crash" report behind: it ends like any failed run, with the partial
results kept in ``<out>.failed/`` and ``error.txt`` saying ``terminated by signal 15``.

How (see :func:`handle_termination`):

* PETSc installs its own signal handlers when it is initialised (it prints a crash report
  and calls ``MPI_Abort``). ``-no_signal_handler`` is added to ``PETSC_OPTIONS`` before
  PETSc starts; if it has already started, its handler is popped. Ours are installed last.
* On one rank, the first signal becomes a :class:`Terminated` exception, which unwinds
  through the run directory (``<out>.failed/``, files closed) to the command line (a
  message, no traceback, exit status 128 + signal).
* Under MPI, unwinding is not safe: the ``finally`` blocks on the way out (closing a
  parallel field writer, freeing PETSc objects) are collectives that the other ranks, still
  computing, would never join. So rank 0 fails the run directory *in the handler* (error.txt
  with the stack where it was, ``<out>.tmp-*`` renamed to ``<out>.failed``, lock removed),
  says so and aborts the job. The other ranks only note the signal and go on (rank 0 may be
  waiting for them in a collective); rank 0's abort ends them (``mpiexec`` forwards the
  signal to every rank). Should rank 0 never act (the signal was sent to one rank only),
  they leave after :data:`GRACE_S` seconds.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
import types

#: signals that end a run cleanly (SIGHUP: the terminal went away; SIGXCPU: a CPU-time limit)
SIGNALS = tuple(getattr(signal, n) for n in ("SIGTERM", "SIGINT", "SIGHUP", "SIGXCPU") if hasattr(signal, n))
#: how long a rank other than 0 waits for rank 0 to end the job after a signal (s)
GRACE_S = 60.0
#: a second signal within this time (s) is ignored while the first one's clean-up runs; a later
#: one acts again (the first may have been swallowed by code that catches everything)
REARM_S = 5.0


class Terminated(KeyboardInterrupt):
    """The run was ended by a signal. A KeyboardInterrupt, so ``except Exception`` does not stop it."""

    def __init__(self, signum: int):
        self.signum = int(signum)
        super().__init__(f"terminated by signal {self.signum} ({signal_name(self.signum)})")

    @property
    def exit_status(self) -> int:
        return 128 + self.signum


def signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def disable_petsc_signal_handler() -> None:
    """Keep PETSc from installing (or keeping) its own signal handlers."""
    opts = os.environ.get("PETSC_OPTIONS", "")
    if "-no_signal_handler" not in opts.split():
        os.environ["PETSC_OPTIONS"] = (opts + " -no_signal_handler").strip()
    petsc = sys.modules.get("petsc4py.PETSc")
    if petsc is not None:  # already initialised: drop the handler it pushed
        with contextlib.suppress(Exception):
            if petsc.Sys.isInitialized():
                petsc.Sys.popSignalHandler()


@contextlib.contextmanager
def handle_termination(comm=None, *, out=None, signals=SIGNALS, grace_s: float | None = None):
    """Within this block, a termination signal raises :class:`Terminated` on rank 0.

    Under MPI (more than one rank), rank 0 instead fails the run directory and aborts the job at
    once (see the module's notes); ``out`` is the run's ``--out``, for the message. Only the
    main thread can install signal handlers; elsewhere this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    rank = comm.rank if comm is not None else 0
    size = comm.size if comm is not None else 1
    disable_petsc_signal_handler()
    state = {"signum": None, "timer": None, "when": 0.0}
    grace = GRACE_S if grace_s is None else grace_s

    def on_signal(signum, frame):
        global _PENDING
        now = time.monotonic()
        if state["signum"] is not None and (rank != 0 or now - state["when"] < REARM_S):
            return  # already ending: let the clean-up finish
        state["signum"], state["when"] = signum, now
        _PENDING = signum  # seen by raise_if_terminated, should the exception below be swallowed
        if rank == 0 and size == 1:
            raise Terminated(signum)
        if rank == 0:
            _fail_and_abort(comm, Terminated(signum), frame, out)
        t = state["timer"] = threading.Timer(grace, os._exit, args=(128 + signum,))
        t.daemon = True
        t.start()

    previous = {}
    for s in signals:
        try:
            if signal.getsignal(s) is signal.SIG_IGN:  # e.g. SIGHUP under nohup
                continue
            previous[s] = signal.signal(s, on_signal)
        except (OSError, ValueError):
            pass
    global _PENDING
    _PENDING = None
    try:
        yield state
    finally:
        _PENDING = None
        if state["timer"] is not None:
            state["timer"].cancel()
        for s, h in previous.items():
            with contextlib.suppress(OSError, ValueError, TypeError):
                signal.signal(s, h if h is not None else signal.SIG_DFL)


#: the signal received within :func:`handle_termination`, if any
_PENDING: int | None = None


def raise_if_terminated() -> None:
    """Raise :class:`Terminated` if a termination signal arrived. The handler raises at once, but an
    exception raised while the main thread is inside compiled code that swallows exceptions (a
    callback printing "Exception ignored") would be lost; a run checks here before it moves into
    place, so that a killed run is never passed off as complete."""
    if _PENDING is not None:
        raise Terminated(_PENDING)


def message(exc: Terminated, out=None, failed=None) -> str:
    """What the command line says about a run ended by a signal."""
    from pathlib import Path

    text = f"error: run {exc}"
    if failed is None and out is not None:
        failed = Path(out).resolve()
        failed = failed.with_name(failed.name + ".failed")
    if failed is not None:
        if Path(failed).is_dir():
            text += f"; what it computed is kept in {failed}"
    return text


def _fail_and_abort(comm, exc: Terminated, frame, out) -> None:
    """Rank 0 under MPI: keep what was computed as ``<out>.failed``, say so, end every rank."""
    try:
        from subsidence.io.rundir import RunDirectory

        tb = None
        while frame is not None:  # the traceback of where the signal arrived, for error.txt
            tb = types.TracebackType(tb, frame, frame.f_lasti, frame.f_lineno)
            frame = frame.f_back
        exc.__traceback__ = tb
        rd = RunDirectory.current
        if rd is not None:
            rd.fail(exc)
        print(message(exc, out, failed=rd.failed_path if rd is not None else None), file=sys.stderr)
    except BaseException as err:  # noqa: BLE001 - whatever happens, the job must end
        print(f"error: run {exc}; could not keep its partial results ({err})", file=sys.stderr)
    finally:
        sys.stderr.flush()
        comm.Abort(exc.exit_status)


@contextlib.contextmanager
def deferred(signals=SIGNALS):
    """Hold termination signals back during a short critical section (e.g. moving a run into place)."""
    if not hasattr(signal, "pthread_sigmask") or threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, signals)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)
