"""The deep caches (rasterised shapes, kernel values and sums at points): the cached path gives
the uncached numbers, and a changed input is never a stale hit."""

import numpy as np

from subsidence.config import case_from_dict
from subsidence.deep import cache as deep_cache
from subsidence.deep import superposition
from subsidence.deep.kernels import Kernel
from subsidence.deep.sources import build_sources
from subsidence.deep.superposition import Sources, point_displacement
from subsidence.studies.deep import _lattice, displacement_at, kernel_of

from .helpers import disc_case

YEAR = 365.25 * 86400.0
PX = np.array([0.0, 1500.0, 2500.0, 4000.0])
PY = np.array([0.0, 500.0, -800.0, 100.0])
T = np.array([0.0, 3.0, 7.0, 10.0]) * YEAR


def _cfg(**changes):
    changes.setdefault("reservoirs__0__shape", {"type": "polygon", "vertices": [[-2000.0, -1500.0], [2500.0, -1000.0],
                                                                                [1500.0, 2000.0], [-1800.0, 1200.0]]})
    return case_from_dict(disc_case(**changes)).config


def _uncached(cfg):
    lat, _ = _lattice(cfg)
    src = build_sources(cfg, lat, T)
    return point_displacement(src, kernel_of(cfg), PX, PY, cache=False)


def test_cached_deep_path_equals_uncached_and_follows_the_compaction_law():
    deep_cache.clear()
    cfg = _cfg()
    ref = _uncached(cfg)
    first = displacement_at(cfg, PX, PY, T)  # fills the caches
    hits = superposition._POINT_CACHE.hits
    again = displacement_at(cfg, PX, PY, T)  # from the caches
    assert superposition._POINT_CACHE.hits == hits + 1
    for a, b, c in zip(ref, first, again):
        assert np.array_equal(a, b) and np.array_equal(a, c)
    assert np.min(ref[2][-1]) < -1e-4  # subsidence, not zeros
    # another cm: the geometry is reused, the result follows the new law (linear in cm)
    cfg2 = _cfg(reservoirs__0__compaction={"law": "linear", "cm": 2.5e-10})
    hits = superposition._POINT_CACHE.hits
    changed = displacement_at(cfg2, PX, PY, T)
    assert superposition._POINT_CACHE.hits == hits + 1
    for a, b, c in zip(ref, changed, _uncached(cfg2)):
        assert np.array_equal(b, c)
        np.testing.assert_allclose(b, 2.5 * a, rtol=1e-12, atol=1e-18)
        assert not np.allclose(a, b)
    # the same cm again gives the first numbers back
    for a, b in zip(ref, displacement_at(cfg, PX, PY, T)):
        assert np.array_equal(a, b)


def test_changed_geometry_kernel_or_points_are_new_entries():
    deep_cache.clear()
    base = displacement_at(_cfg(), PX, PY, T)
    variants = [
        (_cfg(reservoirs__0__depth=2500.0), PX, PY),
        (_cfg(model__poisson_ratio=0.3), PX, PY),
        (_cfg(model__kernel="van-opstal", model__basement_depth=6000.0), PX, PY),
        (_cfg(model__kernel="van-opstal", model__basement_depth=5000.0), PX, PY),
        (_cfg(reservoirs__0__shape={"type": "disc", "center": [100.0, 0.0], "radius": 2000.0}), PX, PY),
        (_cfg(), PX + 10.0, PY),
    ]
    for cfg, px, py in variants:
        got = displacement_at(cfg, px, py, T)
        lat, _ = _lattice(cfg)
        want = point_displacement(build_sources(cfg, lat, T), kernel_of(cfg), px, py, cache=False)
        for a, b, c in zip(got, want, base):
            assert np.array_equal(a, b)
            assert not np.allclose(a, c)


def test_kernel_values_are_reused_for_other_spatial_factors():
    """Cells whose compaction enters the spatial factors S (e.g. a per-cell cm): the kernel
    values at the points are reused, the sums are not."""
    deep_cache.clear()
    rng = np.random.default_rng(3)
    n = 500
    x, y, d = rng.uniform(-3000, 3000, n), rng.uniform(-3000, 3000, n), rng.uniform(2500, 3000, n)
    W = np.array([[0.0, 0.0], [1.0, 0.5], [2.0, 1.0]])
    k = Kernel("geertsma", 0.25)
    for scale in (1.0, 3.0):
        src = Sources(x, y, d, scale * rng.uniform(0, 1e4, (n, 2)), W)
        hits = superposition._KERNEL_CACHE.hits
        got = point_displacement(src, k, PX, PY, chunk=1000)  # several chunks of cells
        want = point_displacement(src, k, PX, PY, chunk=1000, cache=False)
        for a, b in zip(got, want):
            assert np.array_equal(a, b)
        assert superposition._KERNEL_CACHE.hits == hits + (scale > 1.0)
