"""The random stiffness field (circulant embedding) and the fault/polygon geometry of issue 10.

Guards against: a field whose mean, variance or correlation length differ from the request
(wrong FFT scaling, the embedding's periodic lag, axes swapped), a field that changes with
anything but the seed, a lognormal factor whose mean is not the requested one, and fault
geometry with the wrong side, normal or slip direction.
"""

import math

import numpy as np
import pytest

from subsidence.heterogeneity.geometry import FaultPlane, clip_polygon, points_in_polygon, polygon_area
from subsidence.heterogeneity.random_field import (
    FieldError, correlation, gaussian_field, grid_axes, lognormal, sigma_log,
)

N_REAL = 24


@pytest.mark.parametrize("covariance", ["exponential", "gaussian"])
def test_field_has_the_requested_mean_variance_and_correlation_lengths(covariance):
    """Over 24 realisations on a 64 x 48 x 24 grid with l = (8, 4, 2) cells: E[g] = 0, E[g²] = 1 and
    the correlation at one correlation length along each axis = C(1) (e^-1), each within four
    standard errors of the mean over the realisations (the sampling error, estimated from them)."""
    ax = (np.arange(64) * 10.0, np.arange(48) * 10.0, np.arange(24) * 5.0)
    lengths = (80.0, 40.0, 10.0)
    stats = []
    for s in range(N_REAL):
        f = gaussian_field(ax, lengths, covariance=covariance, seed=s)
        g = f.values
        assert g.shape == (64, 48, 24)
        assert f.clipped < 1e-6
        stats.append([g.mean(), (g * g).mean(), (g[8:] * g[:-8]).mean(), (g[:, 4:] * g[:, :-4]).mean(),
                      (g[:, :, 2:] * g[:, :, :-2]).mean()])
    stats = np.array(stats)
    est, se = stats.mean(axis=0), stats.std(axis=0, ddof=1) / math.sqrt(N_REAL)
    target = np.array([0.0, 1.0] + [float(correlation(np.array(1.0), covariance))] * 3)
    assert np.all(np.abs(est - target) < 4 * se + 1e-3), (est, se, target)
    assert np.all(se < 0.05)  # the test has power: the errors are small against the quantities tested
    # a shorter correlation length is seen: the lag-l correlation with l halved is C(2)
    assert np.mean([(gaussian_field(ax, (40.0, 40.0, 10.0), covariance=covariance, seed=s).values[8:] *
                     gaussian_field(ax, (40.0, 40.0, 10.0), covariance=covariance, seed=s).values[:-8]).mean()
                    for s in range(8)]) < 0.5 * target[2] + 0.05


def test_field_is_fixed_by_the_seed():
    ax = (np.linspace(0.0, 1000.0, 21), np.linspace(0.0, 500.0, 11), np.linspace(-300.0, 0.0, 7))
    a = gaussian_field(ax, (200.0, 200.0, 50.0), seed=5).values
    b = gaussian_field(ax, (200.0, 200.0, 50.0), seed=5).values
    c = gaussian_field(ax, (200.0, 200.0, 50.0), seed=6).values
    assert np.array_equal(a, b)
    assert not np.allclose(a, c)


def test_lognormal_factor_mean_and_cv():
    """F = m exp(σg − σ²/2): E[F] = m and cv = √(e^{σ²} − 1) (sampled with 2e6 independent values)."""
    rng = np.random.default_rng(0)
    g = rng.standard_normal(2_000_000)
    cv = 0.6
    f = lognormal(g, mean=3.0, sigma=sigma_log(cv))
    assert f.mean() == pytest.approx(3.0, rel=5 * cv / math.sqrt(g.size))
    assert f.std() / f.mean() == pytest.approx(cv, rel=0.01)


def test_bad_field_inputs():
    ax = (np.linspace(0.0, 1.0, 5),)
    with pytest.raises(FieldError, match="covariance"):
        gaussian_field(ax, (1.0,), covariance="spherical")
    with pytest.raises(FieldError, match="> 0"):
        gaussian_field(ax, (0.0,))
    with pytest.raises(FieldError, match="equally spaced"):
        gaussian_field((np.array([0.0, 1.0, 3.0]),), (1.0,))
    with pytest.raises(FieldError, match="embedding grid"):
        gaussian_field(tuple(np.arange(400.0) for _ in range(3)), (10.0, 10.0, 10.0))
    a = grid_axes((0.0, 0.0), (10.0, 0.0), (3.0, 1.0))
    assert a[0][-1] == 10.0 and np.diff(a[0]).max() <= 3.0 and a[1].size == 2


def test_fault_plane_sides_normal_and_slip():
    """Strike north, dip 60° east through the origin: east of the trace at the surface and points above
    the plane are hanging wall; the slip of a 100 m throw is 100 m down and 57.7 m east, parallel to
    the plane; the trace at 1 km depth is 577 m east."""
    f = FaultPlane(0.0, 0.0, 0.0, strike=0.0, dip=60.0)
    assert np.allclose(f.dip_direction, [1.0, 0.0])
    pts = np.array([[100.0, 0.0, 0.0], [-100.0, 0.0, 0.0], [0.0, 0.0, -1000.0], [600.0, 50.0, -1000.0],
                    [550.0, 0.0, -1000.0]])
    assert list(f.hanging_wall(pts)) == [True, False, False, True, False]
    s = f.slip(100.0)
    assert np.allclose(s, [100.0 / math.tan(math.radians(60.0)), 0.0, -100.0])
    assert abs(s @ f.normal) < 1e-9
    p, d = f.trace_at(1000.0)
    assert np.allclose(p, [1000.0 / math.tan(math.radians(60.0)), 0.0]) and np.allclose(d, [0.0, 1.0])
    g = FaultPlane(0.0, 0.0, 0.0, strike=90.0, dip=90.0)  # strike east, vertical: the hanging wall is south
    assert np.allclose(g.normal, [0.0, -1.0, 0.0])
    assert list(g.hanging_wall(np.array([[0.0, -1.0, -5.0], [0.0, 1.0, -5.0]]))) == [True, False]
    with pytest.raises(ValueError):
        FaultPlane(0.0, 0.0, 0.0, strike=0.0, dip=0.0)


def test_polygon_clip_and_inside():
    """Clipping conserves area (an L-shaped, non-convex outline split in two); even-odd inside test."""
    L = np.array([[0.0, 0.0], [4.0, 0.0], [4.0, 1.0], [1.0, 1.0], [1.0, 3.0], [0.0, 3.0]])
    a = clip_polygon(L, np.array([0.5, 0.0]), np.array([1.0, 0.0]))
    b = clip_polygon(L, np.array([0.5, 0.0]), np.array([-1.0, 0.0]))
    assert polygon_area(a) + polygon_area(b) == pytest.approx(polygon_area(L)) == pytest.approx(6.0)
    assert polygon_area(b) == pytest.approx(1.5)
    assert list(points_in_polygon(np.array([[0.5, 2.0], [2.0, 2.0], [3.0, 0.5]]), L)) == [True, False, True]
