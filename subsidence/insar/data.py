"""The one observation data model that every reader returns.

An :class:`InsarDataset` holds ``n`` measurement points and ``nt`` epochs:

- ``ids`` (n,) strings, ``x``/``y`` (n,) metres in ``crs`` (the model CRS after reading);
- ``dates`` (nt,) ``datetime64[D]``, strictly increasing;
- ``disp`` (n, nt) float32 displacement in **metres**, NaN where an epoch is missing;
- ``component``: ``"los"`` (then ``los`` (n, 3) unit vectors ground→satellite, ENU),
  ``"up"`` (vertical, up positive) or ``"east"`` (east positive);
- ``sigma``: optional (n,) or (n, nt) 1-σ uncertainty of ``disp`` [m] from the product;
- ``skipped``: reason → number of points (or values) dropped while reading;
- ``provenance``: where the numbers came from (file, sha256, format, options).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import hashlib
from pathlib import Path

import numpy as np

from subsidence.units import SECONDS_PER_YEAR

COMPONENTS = ("los", "up", "east")


@dataclasses.dataclass
class InsarDataset:
    ids: np.ndarray
    x: np.ndarray
    y: np.ndarray
    dates: np.ndarray
    disp: np.ndarray
    component: str = "los"
    los: np.ndarray | None = None
    sigma: np.ndarray | None = None
    crs: str | None = None
    name: str = "insar"
    skipped: dict[str, int] = dataclasses.field(default_factory=dict)
    provenance: dict = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        self.ids = np.asarray(self.ids).astype(str)
        self.x = np.asarray(self.x, dtype=float)
        self.y = np.asarray(self.y, dtype=float)
        self.dates = np.asarray(self.dates).astype("datetime64[D]")
        self.disp = np.asarray(self.disp, dtype=np.float32)
        if self.component not in COMPONENTS:
            raise ValueError(f"component must be one of {COMPONENTS}, got {self.component!r}")
        n, nt = self.disp.shape if self.disp.ndim == 2 else (len(self.ids), -1)
        if self.disp.shape != (len(self.ids), len(self.dates)):
            raise ValueError(f"disp shape {self.disp.shape} != (points {len(self.ids)}, epochs {len(self.dates)})")
        if self.component == "los":
            if self.los is None:
                raise ValueError("a LOS dataset needs LOS unit vectors (los)")
            self.los = np.asarray(self.los, dtype=float).reshape(n, 3)

    @property
    def n(self) -> int:
        return len(self.ids)

    @property
    def nt(self) -> int:
        return len(self.dates)

    def years_since(self, start: _dt.date | np.datetime64) -> np.ndarray:
        """Epochs as (fractional Julian) years since ``start``."""
        d = (self.dates - np.datetime64(start, "D")).astype(float)
        return d * 86400.0 / SECONDS_PER_YEAR

    def skip(self, reason: str, count: int) -> None:
        if count:
            self.skipped[reason] = self.skipped.get(reason, 0) + int(count)

    def subset(self, keep: np.ndarray, *, reason: str | None = None) -> InsarDataset:
        """Points where ``keep`` is True; the others are counted under ``reason``."""
        keep = np.asarray(keep, dtype=bool)
        out = dataclasses.replace(
            self,
            ids=self.ids[keep],
            x=self.x[keep],
            y=self.y[keep],
            disp=self.disp[keep],
            los=None if self.los is None else self.los[keep],
            sigma=None if self.sigma is None else self.sigma[keep],
            skipped=dict(self.skipped),
            provenance=dict(self.provenance),
        )
        if reason:
            out.skip(reason, int((~keep).sum()))
        return out

    def epochs(self, keep: np.ndarray, *, reason: str | None = None) -> InsarDataset:
        """Epochs where ``keep`` is True; dropped epochs are counted (as epochs) under ``reason``."""
        keep = np.asarray(keep, dtype=bool)
        sig = self.sigma
        if sig is not None and sig.ndim == 2:
            sig = sig[:, keep]
        out = dataclasses.replace(self, dates=self.dates[keep], disp=self.disp[:, keep], sigma=sig,
                                  skipped=dict(self.skipped), provenance=dict(self.provenance))
        if reason:
            out.skip(reason + " (epochs)", int((~keep).sum()))
        return out

    def summary(self) -> dict:
        return {
            "name": self.name,
            "points": self.n,
            "epochs": self.nt,
            "first_date": str(self.dates[0]) if self.nt else None,
            "last_date": str(self.dates[-1]) if self.nt else None,
            "component": self.component,
            "crs": self.crs,
            "missing_values": int(np.isnan(self.disp).sum()),
            "skipped": dict(self.skipped),
            "provenance": dict(self.provenance),
        }


def file_sha256(path: str | Path, *, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while b := f.read(chunk):
            h.update(b)
    return h.hexdigest()
