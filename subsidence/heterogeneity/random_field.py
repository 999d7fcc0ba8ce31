"""Stationary Gaussian random fields on a regular grid (circulant embedding), and the lognormal
stiffness factor built from them.

The field is generated on the *global* grid from the seed alone (Dietrich & Newsam 1997,
"Fast and exact simulation of stationary Gaussian processes through circulant embedding of the
covariance matrix", SIAM J. Sci. Comput. 18(4)): the covariance of the grid is embedded in a
periodic (circulant) one on a grid of at least twice the size, whose eigenvalues are the FFT
of its first row; a complex white noise scaled by their square roots and transformed back has
exactly the requested covariance on the original grid (real and imaginary parts are two
independent realisations; the real part is used). Where the embedding is not positive
semi-definite the grid is enlarged (up to ``MAX_GROW`` times) and any negative eigenvalues left
are set to zero; the share of variance so lost is reported (``clipped``).

Covariances (r = √Σ(Δx_i / l_i)², l_i the correlation length along axis i):
``exponential`` C = exp(−r), ``gaussian`` C = exp(−r²).

The lognormal factor is F = m · exp(σ G − σ²/2) with G a unit Gaussian field: E[F] = m and
the coefficient of variation of F is √(exp(σ²) − 1).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

COVARIANCES = ("exponential", "gaussian")
MAX_GROW = 4  # enlargements of the embedding tried before clipping negative eigenvalues
MAX_POINTS = 2.0e7  # embedding points: beyond this the grid spacing is a typo, not a model


class FieldError(ValueError):
    pass


@dataclasses.dataclass
class GaussianField:
    """A realisation on the grid ``axes`` (one coordinate array per axis), values ``values``."""

    axes: tuple[np.ndarray, ...]
    values: np.ndarray
    clipped: float  # share of the variance lost to clipped negative eigenvalues (0 when exact)
    embedding: tuple[int, ...]


def correlation(lags: np.ndarray, covariance: str) -> np.ndarray:
    """Correlation at scaled lag distance r (lag / correlation length)."""
    if covariance == "exponential":
        return np.exp(-lags)
    if covariance == "gaussian":
        return np.exp(-lags ** 2)
    raise FieldError(f"unknown covariance {covariance!r} (one of: {', '.join(COVARIANCES)})")


def _eigenvalues(m, h, lengths, covariance):
    r2 = 0.0
    for i, (mi, hi, li) in enumerate(zip(m, h, lengths)):
        j = np.arange(mi)
        lag = np.minimum(j, mi - j) * hi / li
        shape = [1] * len(m)
        shape[i] = mi
        r2 = r2 + (lag ** 2).reshape(shape)
    c = correlation(np.sqrt(r2), covariance)
    return np.fft.fftn(c).real


def gaussian_field(axes, lengths, *, covariance: str = "exponential", seed: int = 0) -> GaussianField:
    """Zero-mean, unit-variance Gaussian field on the regular grid ``axes`` (equally spaced 1-D arrays).

    ``lengths``: correlation length per axis (same units as the axes). Deterministic for a seed.
    """
    if covariance not in COVARIANCES:
        raise FieldError(f"unknown covariance {covariance!r} (one of: {', '.join(COVARIANCES)})")
    axes = tuple(np.asarray(a, float) for a in axes)
    lengths = tuple(float(v) for v in lengths)
    if len(lengths) != len(axes):
        raise FieldError(f"need one correlation length per axis ({len(axes)}), got {len(lengths)}")
    if any(not v > 0 for v in lengths):
        raise FieldError(f"correlation lengths must be > 0, got {lengths}")
    n = tuple(a.size for a in axes)
    h = []
    for a in axes:
        if a.size > 1:
            d = np.diff(a)
            if not np.allclose(d, d[0], rtol=1e-9) or d[0] <= 0:
                raise FieldError("the grid axes must be equally spaced and increasing")
            h.append(float(d[0]))
        else:
            h.append(1.0)
    m = [max(1, 2 * (ni - 1)) for ni in n]
    for _ in range(MAX_GROW + 1):
        if math.prod(m) > MAX_POINTS:
            raise FieldError(f"the random field's embedding grid would have {float(math.prod(m)):.3g} points "
                             f"(limit {MAX_POINTS:.0e}): use a coarser spacing or a smaller region")
        lam = _eigenvalues(m, h, lengths, covariance)
        if lam.min() >= -1e-10 * lam.max():
            break
        m = [max(mi, int(math.ceil(1.5 * mi))) if ni > 1 else mi for mi, ni in zip(m, n)]
    total = lam.sum()
    neg = -lam[lam < 0].sum()
    lam = np.clip(lam, 0.0, None)
    M = float(np.prod(m))
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal(tuple(m)) + 1j * rng.standard_normal(tuple(m))
    z = np.fft.fftn(np.sqrt(lam / M) * noise)
    vals = z.real[tuple(slice(0, ni) for ni in n)].copy()
    return GaussianField(axes, vals, clipped=float(neg / total) if total > 0 else 0.0, embedding=tuple(m))


def sigma_log(cv: float) -> float:
    """σ of ln F for a lognormal F with coefficient of variation ``cv``."""
    return math.sqrt(math.log1p(cv * cv))


def lognormal(g: np.ndarray, *, mean: float = 1.0, sigma: float) -> np.ndarray:
    """F = mean · exp(σ g − σ²/2) for a unit Gaussian ``g``: E[F] = mean."""
    return mean * np.exp(sigma * g - 0.5 * sigma * sigma)


def grid_counts(lo, hi, spacing) -> tuple[int, ...]:
    """Points per axis of :func:`grid_axes` (without making the axes)."""
    return tuple(max(2, int(math.ceil((max(b, a + s) - a) / s - 1e-9)) + 1) for a, b, s in zip(lo, hi, spacing))


def grid_axes(lo, hi, spacing) -> tuple[np.ndarray, ...]:
    """Equally spaced axes covering [lo_i, hi_i] with steps of at most ``spacing[i]``."""
    out = []
    for a, b, s, n in zip(lo, hi, spacing, grid_counts(lo, hi, spacing)):
        if n > MAX_POINTS:  # the embedding check in gaussian_field would refuse it: do not allocate it first
            raise FieldError(f"a random-field grid axis of {n:.3g} points (limit {MAX_POINTS:.0e}): use a coarser spacing")
        b = max(b, a + s)  # a flat region still gets a grid of two points
        out.append(np.linspace(a, b, n))
    return tuple(out)
