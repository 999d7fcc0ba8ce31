"""Re-reading an unchanged input file gives what was read before.

An ensemble (``subsidence calibrate``) builds its case once per member: every member re-parsed the
same weather series, parcel tables and outlines, which cost more than a member's shallow run.
:func:`file_cached` keys a reader's result on the file's resolved path, size and modification
time (and the reader's arguments), so an edited file is read again; errors are not cached (each
read raises them again), and each caller gets its own copy.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Callable

_CACHE: dict = {}
CACHE_SIZE = 64  # results kept (oldest dropped first); each is one parsed input file


def file_cached(copy: Callable):
    """Decorator for ``read(path, *args, **kwargs)``: results of unchanged files are kept and
    handed out as ``copy(result)``, so a caller that changes what it got changes nobody else's."""

    def deco(read):
        @functools.wraps(read)
        def wrapper(path, *args, **kwargs):
            try:
                p = Path(path).resolve()
                st = p.stat()
                key = (read.__module__, read.__qualname__, str(p), st.st_size, st.st_mtime_ns, args,
                       tuple(sorted(kwargs.items())))
                hash(key)
            except (OSError, TypeError):
                return read(path, *args, **kwargs)
            hit = _CACHE.get(key)
            if hit is None:
                hit = read(path, *args, **kwargs)
                if len(_CACHE) >= CACHE_SIZE:
                    _CACHE.pop(next(iter(_CACHE)))
                _CACHE[key] = hit
            return copy(hit)

        return wrapper

    return deco
