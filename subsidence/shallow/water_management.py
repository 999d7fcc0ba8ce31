"""Water management: the ditch (surface-water) level of a water-level area.

Levels here are NAP-type absolute levels *changes* (m, up positive) relative to the level at
time 0; the chain converts them to the land frame (which moves with the deep subsidence).
Every rule maps the deep subsidence of the area's reference, ``uz_ref(t)`` (m, up positive,
so subsidence is negative), to the lowering ``delta(t)`` of the managed level:

- :class:`NoManagement` (null): the level is never changed (``delta = 0``);
- :class:`FractionRule`: follow a fraction of the subsidence, ``delta -> fraction * uz_ref``,
  applied every ``interval`` (s) and/or whenever the freeboard lost since the last change
  exceeds ``threshold`` (m); with neither, continuously;
- :class:`PrescribedLevels`: a given series of level changes (held between the given times).

A seasonal target level (a higher summer level, common in Dutch polders) is added on top by
:func:`seasonal_offset`.
"""

from __future__ import annotations

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class NoManagement:
    def lowering(self, times, uz_ref):
        return np.zeros_like(np.asarray(uz_ref, dtype=float))


@dataclasses.dataclass(frozen=True)
class FractionRule:
    fraction: float = 1.0
    interval: float = 0.0  # s; 0: no periodic updates
    threshold: float = 0.0  # m; 0: no threshold updates

    def __post_init__(self):
        if not (self.fraction >= 0 and self.interval >= 0 and self.threshold >= 0):
            raise ValueError("fraction, interval and threshold must be >= 0")

    def lowering(self, times, uz_ref):
        """``times`` (nt,) s from 0; ``uz_ref`` (nt,) or (nt, n) -> delta of the same shape."""
        uz = np.asarray(uz_ref, dtype=float)
        target = self.fraction * uz
        if self.interval == 0 and self.threshold == 0:
            return target.copy()
        out = np.zeros_like(target)
        cur = np.zeros(target.shape[1:])
        next_t = self.interval if self.interval > 0 else np.inf
        for i, t in enumerate(times):
            upd = np.zeros(cur.shape, dtype=bool)
            if t >= next_t - 1e-6:
                upd[...] = True
                while next_t <= t + 1e-6:
                    next_t += self.interval
            if self.threshold > 0:
                upd |= np.abs(target[i] - cur) >= self.threshold
            cur = np.where(upd, target[i], cur)
            out[i] = cur
        return out


@dataclasses.dataclass(frozen=True)
class PrescribedLevels:
    times: np.ndarray  # s
    changes: np.ndarray  # m, level change since time 0 (negative: lowered)

    def lowering(self, times, uz_ref):
        idx = np.searchsorted(self.times, np.asarray(times, dtype=float), side="right") - 1
        vals = np.where(idx >= 0, self.changes[np.clip(idx, 0, None)], 0.0)
        shape = np.shape(uz_ref)
        return np.broadcast_to(vals.reshape((-1,) + (1,) * (len(shape) - 1)), shape).copy()


def seasonal_offset(dates: np.ndarray, *, summer_offset: float, start_month: int = 4, end_month: int = 10) -> np.ndarray:
    """``summer_offset`` (m) during months start_month .. end_month-1, else 0."""
    month = dates.astype("datetime64[M]").astype(int) % 12 + 1
    return np.where((month >= start_month) & (month < end_month), summer_offset, 0.0)
