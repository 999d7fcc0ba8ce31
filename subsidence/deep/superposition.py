"""Superposition of nucleus-of-strain kernels over reservoir cells — fast and exact.

The surface displacement is a sum over cells i of V_i(t) · K(x - x_i, y - y_i; D_i).
Three ideas make it fast without truncating anything:

1. **Low rank in time.** The compaction volumes form a matrix V (cells × times) that is
   exactly a short sum of products s_k(cell) · w_k(time): one term per reservoir with a
   single pressure history, and a truncated SVD (relative tolerance 1e-13, i.e. exact in
   double precision) for per-cell histories. Each term is convolved once; every output time
   is then a linear combination. When the rank is not smaller than the number of times, the
   times are convolved one by one instead (and streamed, so memory stays bounded).
2. **FFT convolution on a lattice.** Sources are placed on a lattice aligned with the output
   grid (spacing h/m, m ≥ 1 chosen so that the lattice spacing is at most depth/20), so
   the sum over *all* cells for *all* grid points is one linear convolution, done exactly
   (no cut-off radius, no aliasing) with zero-padded real FFTs in double precision.
3. **Depth levels.** Cells at different depths are split linearly between depth levels at
   most 0.5 % of the shallowest depth apart (error below 1e-5 relative); one depth: one level.

Named points are evaluated by direct summation over the same cells (exact).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable

import numpy as np
import scipy.fft as sfft
import scipy.sparse as sp

from subsidence.deep.cache import ByteLRU, digest
from subsidence.deep.geometry import Lattice
from subsidence.deep.kernels import Kernel

SVD_RTOL = 1e-13
LEVEL_RTOL = 0.005  # depth-level spacing relative to the shallowest depth
SPACING_PER_DEPTH = 1.0 / 20.0  # lattice spacing at most depth/20


@dataclasses.dataclass
class Sources:
    """Cells (all reservoirs) and their compaction volumes V = S @ W.T (m³)."""

    x: np.ndarray  # (ncell,)
    y: np.ndarray
    depth: np.ndarray
    S: np.ndarray  # (ncell, rank) spatial factors (m³ per unit of w)
    W: np.ndarray  # (nt, rank) time factors

    @property
    def ncell(self) -> int:
        return self.x.size

    @property
    def rank(self) -> int:
        return self.S.shape[1]

    def volumes(self, it: int) -> np.ndarray:
        return self.S @ self.W[it]


def low_rank(C: np.ndarray, rtol: float = SVD_RTOL) -> tuple[np.ndarray, np.ndarray]:
    """C (ncell, nt) ≈ S @ W.T with the smallest rank keeping singular values > rtol·σ_max."""
    if not np.any(C):
        return np.zeros((C.shape[0], 0)), np.zeros((C.shape[1], 0))
    u, s, vt = np.linalg.svd(C, full_matrices=False)
    k = int(np.sum(s > rtol * s[0]))
    return u[:, :k] * s[:k], vt[:k].T


def depth_levels(depth: np.ndarray) -> tuple[np.ndarray, sp.csr_matrix]:
    """Levels and a (nlevel, ncell) interpolation matrix splitting each cell between two levels."""
    dmin, dmax = float(depth.min()), float(depth.max())
    n = depth.size
    if dmax - dmin <= 1e-9 * dmax:
        return np.array([dmin]), sp.csr_matrix((np.ones(n), (np.zeros(n, int), np.arange(n))), shape=(1, n))
    nlev = int(np.ceil((dmax - dmin) / (LEVEL_RTOL * dmin))) + 1
    levels = np.linspace(dmin, dmax, nlev)
    f = (depth - dmin) / (levels[1] - levels[0])
    i0 = np.clip(np.floor(f).astype(int), 0, nlev - 2)
    w1 = f - i0
    rows = np.r_[i0, i0 + 1]
    cols = np.r_[np.arange(n), np.arange(n)]
    vals = np.r_[1 - w1, w1]
    return levels, sp.csr_matrix((vals, (rows, cols)), shape=(nlev, n))


def bilinear_matrix(x: np.ndarray, y: np.ndarray, lat: Lattice) -> sp.csr_matrix:
    """(ny·nx, ncell) matrix spreading each point to its 4 lattice nodes (keeps sum and centroid)."""
    fx = (x - lat.x0) / lat.dx
    fy = (y - lat.y0) / lat.dy
    i0 = np.clip(np.floor(fx).astype(int), 0, lat.nx - 2)
    j0 = np.clip(np.floor(fy).astype(int), 0, lat.ny - 2)
    ax, ay = fx - i0, fy - j0
    if np.any(ax < -1e-9) or np.any(ax > 1 + 1e-9) or np.any(ay < -1e-9) or np.any(ay > 1 + 1e-9):
        raise ValueError("internal error: a source lies outside the source lattice")
    n = x.size
    cols = np.tile(np.arange(n), 4)
    rows = np.r_[j0 * lat.nx + i0, j0 * lat.nx + i0 + 1, (j0 + 1) * lat.nx + i0, (j0 + 1) * lat.nx + i0 + 1]
    vals = np.r_[(1 - ax) * (1 - ay), ax * (1 - ay), (1 - ax) * ay, ax * ay]
    return sp.csr_matrix((vals, (rows, cols)), shape=(lat.ny * lat.nx, n))


def compute_lattice(out: Lattice, min_depth: float) -> tuple[Lattice, int]:
    """Computation lattice aligned with ``out``: spacing out.d/m with m the smallest integer
    making it at most min_depth/20. Returns the (unbounded-origin) lattice and m."""
    h = max(out.dx, out.dy)
    m = max(1, int(np.ceil(h / (SPACING_PER_DEPTH * min_depth) - 1e-9)))
    return Lattice(out.x0, out.y0, out.dx / m, out.dy / m, (out.nx - 1) * m + 1, (out.ny - 1) * m + 1), m


def grid_displacement(
    src: Sources,
    kernel: Kernel,
    out: Lattice,
    callback: Callable[[int, np.ndarray, np.ndarray, np.ndarray], None],
    *,
    lattice: Lattice | None = None,
    m: int = 1,
    memory_budget: float = 256e6,
    workers: int | None = None,
) -> dict:
    """Displacements (ux, uy, uz), each (out.ny, out.nx), for every output time via ``callback``.

    The arrays handed to ``callback(it, ux, uy, uz)`` may be reused for the next time:
    copy what you keep.

    ``lattice``/``m``: the computation lattice (aligned with ``out``, spacing out.d/m); the
    sources are spread onto it bilinearly. Returns statistics (rank, levels, FFT shape).
    """
    return grid_fields(src, kernel, out, ("uz", "ux", "uy"), lambda it, f: callback(it, f[1], f[2], f[0]),
                       lattice=lattice, m=m, memory_budget=memory_budget, workers=workers)


def grid_fields(
    src: Sources,
    kernel: Kernel,
    out: Lattice,
    names: tuple[str, ...],
    callback: Callable[[int, list[np.ndarray]], None],
    *,
    lattice: Lattice | None = None,
    m: int = 1,
    memory_budget: float = 256e6,
    workers: int | None = None,
) -> dict:
    """The kernel fields ``names`` (displacements ``ux, uy, uz`` and/or the horizontal
    derivatives of :data:`subsidence.deep.kernels.FIELDS`), each (out.ny, out.nx), summed over
    all cells for every output time: ``callback(it, [field for each name])``.

    The derivatives are convolutions of the sources with the kernel's own (closed-form)
    derivatives, not differences of the output grid. The arrays handed to ``callback`` may be
    reused for the next time: copy what you keep. Returns statistics (rank, levels, FFT shape).
    """
    names = tuple(names)
    nc = len(names)
    workers = workers or os.cpu_count() or 1
    nt = src.W.shape[0]
    if lattice is None:
        lattice, m = compute_lattice(out, float(src.depth.min()))
    fine_out = Lattice(out.x0, out.y0, out.dx / m, out.dy / m, (out.nx - 1) * m + 1, (out.ny - 1) * m + 1)
    xmin, xmax = src.x.min(), src.x.max()
    ymin, ymax = src.y.min(), src.y.max()
    slat = lattice.covering((xmin, xmax, ymin, ymax), margin_cells=1)
    P = bilinear_matrix(src.x, src.y, slat)
    levels, Lm = depth_levels(src.depth)
    # shape of the linear convolution of the source lattice with the fine output lattice
    Ly, Lx = slat.ny + fine_out.ny - 1, slat.nx + fine_out.nx - 1
    Ny, Nx = sfft.next_fast_len(Ly, real=True), sfft.next_fast_len(Lx, real=True)
    # kernel offsets: (fine_out origin - source origin) + k·h, k = -(ns-1) .. no-1
    offx = (fine_out.x0 - slat.x0) + lattice.dx * np.arange(-(slat.nx - 1), fine_out.nx)
    offy = (fine_out.y0 - slat.y0) + lattice.dy * np.arange(-(slat.ny - 1), fine_out.ny)
    sl = (slice(slat.ny - 1, slat.ny - 1 + fine_out.ny, m), slice(slat.nx - 1, slat.nx - 1 + fine_out.nx, m))

    spec_bytes = Ny * (Nx // 2 + 1) * 16
    cache_kernels = len(levels) * nc * spec_bytes <= memory_budget
    # fields are convolved in groups of three (the displacement, then the derivatives), so that at
    # most three accumulated spectra are held at once, whatever the number of fields
    groups = [tuple(range(a, min(a + 3, nc))) for a in range(0, nc, 3)]
    kcache: dict[tuple[int, int], list[np.ndarray]] = {}

    def kernel_spectra(il: int, ig: int):
        if (il, ig) in kcache:
            yield from kcache[(il, ig)]
            return
        specs = []
        for comp in kernel.lattice_components(offx, offy, float(levels[il]), [names[c] for c in groups[ig]]):
            spec = sfft.rfft2(comp, s=(Ny, Nx), workers=workers)
            del comp
            if cache_kernels:
                specs.append(spec)
            yield spec
        if cache_kernels:
            kcache[(il, ig)] = specs

    # per-level source matrices: (nlattice, ncell) = P · diag(level weight)
    PL = [P @ sp.diags(Lm[il].toarray().ravel()) for il in range(len(levels))]

    keep_sources = len(groups) > 1 and len(levels) * spec_bytes <= memory_budget  # source spectra reused by groups

    def convolve(vol: np.ndarray) -> list[np.ndarray]:
        res: list[np.ndarray] = []
        fss: dict[int, np.ndarray | None] = {}
        for ig, grp in enumerate(groups):
            acc = None
            for il in range(len(levels)):
                if il in fss:
                    fs = fss[il]
                else:
                    s = (PL[il] @ vol).reshape(slat.ny, slat.nx)
                    fs = _rfft2_padded(s, Ny, Nx, workers) if np.any(s) else None
                    if keep_sources:
                        fss[il] = fs
                if fs is None:
                    continue
                if acc is None:
                    acc = [fs * k for k in kernel_spectra(il, ig)]
                else:
                    for j, k in enumerate(kernel_spectra(il, ig)):
                        acc[j] += fs * k
                del fs
            if acc is None:
                return [np.zeros((out.ny, out.nx)) for _ in range(nc)]
            while acc:
                res.append(np.ascontiguousarray(sfft.irfft2(acc.pop(0), s=(Ny, Nx), workers=workers)[sl]))
        return res

    out_bytes = nc * out.nx * out.ny * 8
    use_basis = src.rank < nt and src.rank * out_bytes <= memory_budget
    if use_basis:
        basis = [convolve(src.S[:, k]) for k in range(src.rank)]
        bufs = [np.empty((out.ny, out.nx)) for _ in range(nc)]
        for it in range(nt):
            w = src.W[it]
            for c in range(nc):
                np.multiply(basis[0][c], w[0], out=bufs[c])
                for k in range(1, src.rank):
                    if w[k] != 0.0:
                        bufs[c] += w[k] * basis[k][c]
            callback(it, bufs)  # buffers are reused: the callback copies what it keeps
    else:
        for it in range(nt):
            callback(it, convolve(src.volumes(it)))
    return {
        "rank": src.rank,
        "path": "low-rank basis" if use_basis else "per time",
        "depth_levels": len(levels),
        "fft_shape": [Ny, Nx],
        "lattice_spacing_m": [lattice.dx, lattice.dy],
        "refinement": m,
        "cells": src.ncell,
    }


_KERNEL_CACHE = ByteLRU(200e6)  # kernel values at the points, per chunk of cells (geometry, kernel, points)
_POINT_CACHE = ByteLRU(64e6)  # the (3, npoints, rank) sums, also keyed on the spatial factors S


def point_displacement(src: Sources, kernel: Kernel, px: np.ndarray, py: np.ndarray, *, chunk: int = 2_000_000,
                       cache: bool = True):
    """Direct (exact) sums at named points: arrays (nt, npoints) for ux, uy, uz.

    With ``cache`` the kernel values at the points (when they fit in 200 MB) and their sums
    over the cells, ``G = K @ S``, are kept for the next call with the same cells, depths,
    kernel and points (and, for G, spatial factors): a call with only another pressure
    history or compaction law (the time factors W) reuses them. The results are the same as
    without the cache (the same arithmetic on the same arrays).
    """
    npnt = px.size
    nt = src.W.shape[0]
    geo_key = g_key = None
    if cache:
        geo_key = digest("point_displacement", kernel_key(kernel), chunk, px, py, src.x, src.y, src.depth)
        g_key = digest(geo_key, src.S)
        G = _POINT_CACHE.get(g_key)
        if G is not None:
            return _point_series(G, src.W, npnt, nt)
    G = np.zeros((3, npnt, src.rank))
    step = max(1, chunk // max(npnt, 1))
    if kernel.name == "geertsma":  # closed form broadcasts over per-cell depths
        groups = [(np.arange(src.ncell), src.depth)]
    else:
        depths, inv = np.unique(src.depth, return_inverse=True)
        groups = [(np.flatnonzero(inv == k), float(d)) for k, d in enumerate(depths)]
    kvals = _KERNEL_CACHE.get(geo_key) if cache else None
    keep = cache and kvals is None and 3 * npnt * src.ncell * 8 <= _KERNEL_CACHE.max_bytes
    new_kvals = []
    n = 0
    for idx, d in groups:
        for a in range(0, idx.size, step):
            ii = idx[a : a + step]
            if kvals is not None:
                us = kvals[n]
            else:
                dx = px[:, None] - src.x[None, ii]
                dy = py[:, None] - src.y[None, ii]
                dd = d[None, ii] if isinstance(d, np.ndarray) else d
                us = kernel.xy(dx, dy, dd)
                if keep:
                    new_kvals.append(tuple(np.ascontiguousarray(np.broadcast_to(u, dx.shape)) for u in us))
            n += 1
            for c, u in enumerate(us):
                G[c] += u @ src.S[ii]
    if keep:
        _KERNEL_CACHE.put(geo_key, new_kvals)
    if cache:
        _POINT_CACHE.put(g_key, G)
    return _point_series(G, src.W, npnt, nt)


def kernel_key(kernel: Kernel) -> tuple:
    """Everything that defines the kernel: its type and all its fields (the dataclass repr: name,
    Poisson ratio, basement depth, and whatever is added later), floats written exactly."""
    return (type(kernel).__module__, type(kernel).__qualname__, repr(kernel))


def _point_series(G, W, npnt, nt):
    res = [G[c] @ W.T for c in range(3)]  # (npnt, nt)
    return tuple(r.T for r in res) if npnt else tuple(np.zeros((nt, 0)) for _ in range(3))


def _rfft2_padded(a: np.ndarray, Ny: int, Nx: int, workers: int) -> np.ndarray:
    """rfft2 of ``a`` zero-padded to (Ny, Nx): the row transforms skip the all-zero rows."""
    rows = sfft.rfft(a, n=Nx, axis=1, workers=workers)
    return sfft.fft(rows, n=Ny, axis=0, workers=workers)
