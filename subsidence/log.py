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


def progress(iterable=None, *, comm=None, total=None, desc: str = "", enabled: bool = True, **kw):
    """A tqdm progress bar on rank 0 only (and only when stderr is a terminal)."""
    from tqdm.auto import tqdm

    rank = comm.rank if comm is not None else 0
    disable = (not enabled) or rank != 0 or not sys.stderr.isatty()
    return tqdm(iterable, total=total, desc=desc, disable=disable, leave=False, **kw)
