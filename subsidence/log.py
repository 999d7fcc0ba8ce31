"""Logging and progress bars that speak on rank 0 only."""

from __future__ import annotations

import logging
import sys

_LOGGER = logging.getLogger("subsidence")


def setup_logging(comm=None, *, level: int = logging.INFO) -> None:
    rank = comm.rank if comm is not None else 0
    _LOGGER.handlers.clear()
    if rank == 0:
        h = logging.StreamHandler(sys.stderr)
        h.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%H:%M:%S"))
        _LOGGER.addHandler(h)
        _LOGGER.setLevel(level)
    else:
        _LOGGER.addHandler(logging.NullHandler())
        _LOGGER.setLevel(logging.CRITICAL + 1)
    _LOGGER.propagate = False


def get_logger(name: str = "") -> logging.Logger:
    return _LOGGER.getChild(name) if name else _LOGGER


class Progress:
    """Progress of a long loop, told on rank 0 only: a bar with the time left when stderr is a
    terminal, otherwise a log line per simulated year (at most one a second, at least one every
    ten seconds). ``update`` is cheap (a clock read) and never communicates, so every rank calls
    it; nothing here may go inside ``if rank == 0``.

    ``SUBSIDENCE_PROGRESS=bar|log|off`` overrides the choice (e.g. ``log`` under ``script``);
    ``SUBSIDENCE_PROGRESS_GAP`` the shortest gap between log lines in seconds (default 1).
    """

    MIN_GAP_S = 1.0
    MAX_GAP_S = 10.0

    def __init__(self, desc: str, total: int | None = None, *, comm=None, t_start: float = 0.0,
                 t_end: float | None = None, unit: str = "step", t_unit: str = "years", logger: logging.Logger | None = None):
        import os
        import time

        self._clock = time.monotonic
        self.desc, self.total, self.unit, self.t_unit = desc, total, unit, t_unit
        self.t_start, self.t_end = float(t_start), (None if t_end is None else float(t_end))
        self.n, self.t = 0, self.t_start
        self._bar = None
        self._log = logger or _LOGGER.getChild("progress")
        if comm is None:  # the world's rank, if MPI is in use
            mpi = sys.modules.get("mpi4py.MPI")
            comm = getattr(mpi, "COMM_WORLD", None)
        rank = comm.rank if comm is not None else 0
        mode = os.environ.get("SUBSIDENCE_PROGRESS", "").strip().lower()
        if mode not in ("bar", "log", "off"):
            mode = "bar" if sys.stderr.isatty() else "log"
        self.mode = mode if (rank == 0 and self._log.isEnabledFor(logging.INFO)) else "off"
        try:
            self.min_gap = max(0.0, float(os.environ.get("SUBSIDENCE_PROGRESS_GAP", self.MIN_GAP_S)))
        except ValueError:
            self.min_gap = self.MIN_GAP_S
        self._t0 = self._last = self._clock()
        self._year = int(self.t_start) if self.mode == "log" else 0
        self._lines = 0
        if self.mode == "bar":
            from tqdm.auto import tqdm

            self._bar = tqdm(total=total, desc=desc, unit=unit, leave=False, mininterval=0.5, file=sys.stderr,
                             dynamic_ncols=True)

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close(done=exc[0] is None)

    def fraction(self) -> float | None:
        if self.t_end is not None and self.t_end > self.t_start:
            return min(max((self.t - self.t_start) / (self.t_end - self.t_start), 0.0), 1.0)
        if self.total:
            return min(self.n / self.total, 1.0)
        return None

    def update(self, n: int = 1, *, t: float | None = None) -> None:
        """``n`` more steps done; ``t``: the simulated time reached (in ``t_unit``)."""
        if self.mode == "off":
            return
        self.n += n
        if t is not None:
            self.t = float(t)
        if self._bar is not None:
            self._bar.update(n)
            if t is not None and self._bar.n and self._clock() - self._last >= 0.5:
                self._last = self._clock()
                self._bar.set_postfix_str(f"t = {self.t:.4g} {self.t_unit}", refresh=False)
            return
        now = self._clock()
        gap = now - self._last
        if gap < self.min_gap:
            return
        year = int(self.t)
        if year != self._year or gap >= self.MAX_GAP_S:
            self._year = year
            self._last = now
            self._lines += 1
            self._log.info("%s: %s", self.desc, self.status(now))

    def status(self, now: float | None = None) -> str:
        elapsed = (self._clock() if now is None else now) - self._t0
        parts = []
        if self.t_end is not None:
            parts.append(f"{self.t:.4g} of {self.t_end:.4g} {self.t_unit}")
        elif self.t != self.t_start:
            parts.append(f"{self.t:.4g} {self.t_unit}")
        parts.append(f"{self.n}/{self.total} {self.unit}s" if self.total else f"{self.n} {self.unit}s")
        f = self.fraction()
        text = ", ".join(parts) + (f" ({100 * f:.0f} %)" if f is not None else "") + f", {_hms(elapsed)} elapsed"
        if f and f < 1.0:
            text += f", about {_hms(elapsed * (1 - f) / f)} left"
        return text

    def close(self, done: bool = True) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        elif self.mode == "log" and done and self._lines:
            self._log.info("%s: done, %d %ss in %s", self.desc, self.n, self.unit, _hms(self._clock() - self._t0))
        self.mode = "off"


def _hms(seconds: float) -> str:
    s = int(round(seconds))
    if s < 60:
        return f"{seconds:.1f} s" if seconds < 10 else f"{s} s"
    m, s = divmod(s, 60)
    if m < 60:
        return f"{m} min {s:02d} s"
    h, m = divmod(m, 60)
    return f"{h} h {m:02d} min"
