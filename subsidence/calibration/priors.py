"""Prior distributions of calibration parameters, and their normal-score transforms.

ES-MDA updates Gaussian variables. Every prior here maps one-to-one onto a standard normal
variable z (the *normal score*): ``x = prior.from_z(z)``, ``z = prior.to_z(x)``, with
z ~ N(0, 1) exactly when x follows the prior (x = F⁻¹(Φ(z)), F the prior's CDF). A normal
prior is then a shift and scale, a lognormal one an exponential; uniform and truncated-normal
priors stay inside their bounds whatever the update does.

Values are in the units of the case-file key they set (see :mod:`.paths`): a prior written
as ``median = "0.65e-5 1/bar"`` is sampled in 1/bar and written back with that unit.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from scipy import special, stats

KINDS = ("normal", "lognormal", "uniform", "truncated-normal")


@dataclasses.dataclass(frozen=True)
class Prior:
    kind: str
    a: float  # normal/truncated: mean; lognormal: median; uniform: low
    b: float  # normal/truncated: sd; lognormal: sd of ln x; uniform: high
    low: float = -math.inf  # truncated-normal bounds
    high: float = math.inf

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown prior {self.kind!r} (one of {', '.join(KINDS)})")
        if self.kind == "uniform":
            if not self.b > self.a:
                raise ValueError(f"uniform prior needs low < high, got {self.a:g}, {self.b:g}")
        elif not self.b > 0:
            raise ValueError("the spread (sd / sigma_log) must be > 0")
        if self.kind == "lognormal" and not self.a > 0:
            raise ValueError("a lognormal prior needs median > 0")
        if self.kind == "truncated-normal" and not self.high > self.low:
            raise ValueError("a truncated-normal prior needs low < high")

    # -- transforms --------------------------------------------------------------------
    def _trunc(self):
        return (self.low - self.a) / self.b, (self.high - self.a) / self.b

    def from_z(self, z):
        z = np.asarray(z, float)
        if self.kind == "normal":
            return self.a + self.b * z
        if self.kind == "lognormal":
            return self.a * np.exp(self.b * z)
        u = special.ndtr(z)
        if self.kind == "uniform":
            return self.a + (self.b - self.a) * u
        lo, hi = self._trunc()
        return self.a + self.b * stats.truncnorm.ppf(np.clip(u, 1e-15, 1 - 1e-15), lo, hi)

    def to_z(self, x):
        x = np.asarray(x, float)
        if self.kind == "normal":
            return (x - self.a) / self.b
        if self.kind == "lognormal":
            return np.log(x / self.a) / self.b
        if self.kind == "uniform":
            u = (x - self.a) / (self.b - self.a)
        else:
            lo, hi = self._trunc()
            u = stats.truncnorm.cdf((x - self.a) / self.b, lo, hi)
        return special.ndtri(np.clip(u, 1e-15, 1 - 1e-15))

    def quantile(self, q):
        return self.from_z(special.ndtri(np.asarray(q, float)))

    def describe(self) -> dict:
        if self.kind == "normal":
            return {"prior": "normal", "mean": self.a, "sd": self.b}
        if self.kind == "lognormal":
            return {"prior": "lognormal", "median": self.a, "sigma_log": self.b}
        if self.kind == "uniform":
            return {"prior": "uniform", "low": self.a, "high": self.b}
        return {"prior": "truncated-normal", "mean": self.a, "sd": self.b, "low": self.low, "high": self.high}


def field_covariance(x, y, sd: float, correlation_length: float) -> np.ndarray:
    """Covariance of a per-point Gaussian field: sd² exp(−d / L) (L = 0: independent points)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    if correlation_length <= 0:
        return sd**2 * np.eye(x.size)
    d = np.hypot(np.subtract.outer(x, x), np.subtract.outer(y, y))
    return sd**2 * np.exp(-d / correlation_length)
