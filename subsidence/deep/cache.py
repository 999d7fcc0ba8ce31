"""Small in-process caches for repeated deep evaluations (an ensemble calibration runs the same
geometry with other compaction parameters hundreds of times).

Keys are digests of *everything* the cached value depends on (array contents, not object
identities), so a changed input is a different entry, never a stale hit. Memory is bounded
per cache (least recently used entries are dropped). :func:`clear` empties all of them.
"""

from __future__ import annotations

import collections
import hashlib

import numpy as np

_ALL: list[ByteLRU] = []


class ByteLRU:
    """Least-recently-used mapping bounded by the total ``nbytes`` of the stored arrays."""

    def __init__(self, max_bytes: float):
        self.max_bytes = float(max_bytes)
        self._d: collections.OrderedDict = collections.OrderedDict()
        self._bytes = 0
        self.hits = 0
        self.misses = 0
        _ALL.append(self)

    @staticmethod
    def _size(value) -> int:
        if isinstance(value, np.ndarray):
            return value.nbytes
        if isinstance(value, (tuple, list)):
            return sum(ByteLRU._size(v) for v in value)
        return 64

    def get(self, key):
        if key in self._d:
            self._d.move_to_end(key)
            self.hits += 1
            return self._d[key][0]
        self.misses += 1
        return None

    def put(self, key, value) -> bool:
        """Store ``value`` (arrays are made read-only); False when it alone exceeds the budget."""
        size = self._size(value)
        if size > self.max_bytes:
            return False
        _freeze(value)
        if key in self._d:
            self._bytes -= self._d.pop(key)[1]
        self._d[key] = (value, size)
        self._bytes += size
        while self._bytes > self.max_bytes:
            _, (_, s) = self._d.popitem(last=False)
            self._bytes -= s
        return True

    def clear(self):
        self._d.clear()
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._d)


def _freeze(value):
    if isinstance(value, np.ndarray):
        value.flags.writeable = False
    elif isinstance(value, (tuple, list)):
        for v in value:
            _freeze(v)


def digest(*parts) -> str:
    """A key for ``parts``: arrays by dtype, shape and contents; everything else by ``repr``
    (floats repr exactly)."""
    h = hashlib.blake2b(digest_size=20)
    for p in parts:
        if isinstance(p, np.ndarray):
            a = np.ascontiguousarray(p)
            h.update(f"array{a.dtype.str}{a.shape}".encode())
            h.update(a.view(np.uint8).reshape(-1) if a.size else b"")
        else:
            h.update(repr(p).encode())
        h.update(b"|")
    return h.hexdigest()


def clear():
    """Empty every deep cache (e.g. to measure the uncached cost)."""
    for c in _ALL:
        c.clear()
