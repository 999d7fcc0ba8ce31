"""Compaction nucleus above a rigid basement (van Opstal 1974).

Guards against: algebra errors in the layer transform (checked against the φ of
the literature and the k → ∞ limit), spline/quadrature errors of the fast table
(checked against adaptive quadrature, incl. the far field), a wrong bowl volume,
and inconsistency between the nucleus and the disc reference solution.
"""

import math
import time

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.special import j0, j1

from subsidence.analytic.disc import disc_surface
from subsidence.analytic.van_opstal import (
    RigidBaseNucleus,
    rigid_base_factors,
    rigid_base_nucleus,
    rigid_base_nucleus_approx,
    rigid_base_phi_approx,
)


def phi(x, nu):
    return (1 - 2 * nu) ** 2 + x * x + (3 - 4 * nu) * np.cosh(x) ** 2


def direct(r, D, k, nu):
    """Adaptive quadrature of the exact transform (independent of the table)."""
    kw = dict(limit=4000, epsabs=1e-22, epsrel=1e-13)
    a = quad(lambda t: t * rigid_base_factors(t, D, k, nu)[0] * j0(t * r), 0, 46 / D, **kw)[0]
    b = quad(lambda t: t * rigid_base_factors(t, D, k, nu)[1] * j1(t * r), 0, 46 / D, **kw)[0]
    return -(1 - nu) / np.pi * a, -(1 - nu) / np.pi * b


@pytest.mark.parametrize("nu", [-0.5, 0.0, 0.25, 0.45])
def test_transform_factor_identities(nu):
    D, k = 3e3, 4.5e3
    lam = np.linspace(0.0, 4e-3, 41)
    x = lam * k
    fz, fr = rigid_base_factors(lam, D, k, nu)
    q = 3 - 4 * nu
    s0 = 2 * q + 4 * (1 - 2 * nu) ** 2 + 4 * x * x
    pz = 2 * np.cosh(lam * D) + 4 * x * np.sinh(lam * D) + 2 * q * np.exp(-2 * x) * np.sinh(lam * D) - s0 * np.exp(-lam * D)
    pr = 4 * x * np.cosh(lam * D) - 2 * np.sinh(lam * D) - 2 * q * np.exp(-2 * x) * np.cosh(lam * D) - s0 * np.exp(-lam * D)
    big_phi = 1 / (2 * phi(x, nu))  # Φ(λk) of the literature
    np.testing.assert_allclose(fz, np.exp(-lam * D) + big_phi * pz / 2, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(fr, np.exp(-lam * D) + big_phi * pr / 2, rtol=1e-12, atol=1e-15)
    assert fz[0] == pytest.approx(1 / (2 * (1 - nu)), rel=1e-14)  # bowl volume = compaction volume
    assert fr[0] == pytest.approx(0.0, abs=1e-15)
    # k -> infinity: half-space factor e^{-λD}
    fz_inf, fr_inf = rigid_base_factors(lam, D, 1e3 * D, nu)
    np.testing.assert_allclose(fz_inf[1:], np.exp(-lam[1:] * D), rtol=1e-6)
    np.testing.assert_allclose(fr_inf[1:], np.exp(-lam[1:] * D), rtol=1e-6)
    # huge λ: no overflow
    assert np.all(np.isfinite(rigid_base_factors(np.array([1.0, 1e3]), D, k, nu)))


@pytest.mark.filterwarnings("ignore::scipy.integrate.IntegrationWarning")
@pytest.mark.parametrize("kd,nu", [(1.5, 0.25), (1.05, 0.45), (4.0, 0.0), (1.5, -0.5)])
def test_fast_nucleus_matches_adaptive_quadrature(kd, nu):
    D = 2e3
    k = kd * D
    nucleus = RigidBaseNucleus(D, k, nu)
    r = np.array([0.0, 137.0, 0.5 * D, D, 2.3 * k, 7.7 * k, 30 * k, 49.9 * k, 60 * k])
    uz, ur = nucleus(r)
    ref = np.array([direct(ri, D, k, nu) for ri in r[:6]]).T
    assert np.max(np.abs(uz[:6] - ref[0])) < 1e-10 * nucleus.peak  # measured <= 1e-11
    assert np.max(np.abs(ur[:6] - ref[1])) < 1e-10 * nucleus.peak
    # far field: exponentially small (rigid base), unlike the 1/r^3 half-space tail
    assert np.max(np.abs(uz[6:])) < 1e-9 * nucleus.peak
    assert np.max(np.abs(ur[6:])) < 1e-9 * nucleus.peak
    assert abs(uz[0]) == pytest.approx(nucleus.peak)


@pytest.mark.parametrize("nu", [0.25, 0.4])
def test_bowl_volume_equals_compaction_volume(nu):
    D, k = 3e3, 4.5e3
    x, w = np.polynomial.legendre.leggauss(40)
    edges = np.concatenate([[0.0], np.geomspace(50.0, 60 * k, 300)])
    a, b = edges[:-1], edges[1:]
    r = (0.5 * (a + b)[:, None] + 0.5 * (b - a)[:, None] * x).ravel()
    wr = (0.5 * (b - a)[:, None] * w).ravel()
    uz, _ = rigid_base_nucleus(r, D, k, nu)
    volume = np.sum(2 * np.pi * r * uz * wr)
    assert volume == pytest.approx(-1.0, abs=1e-10)  # measured 3e-13
    # the half-space part alone carries 2(1-ν) times the compaction volume
    hs = -(1 - nu) / np.pi * D / (r * r + D * D) ** 1.5
    tail = -2 * (1 - nu) * D / np.hypot(60 * k, D)  # analytic ∫ beyond 60k
    assert np.sum(2 * np.pi * r * hs * wr) + tail == pytest.approx(-2 * (1 - nu), rel=1e-10)


def disc_by_superposition(nucleus_fn, r_obs, R, c, n_rho=64, n_theta=128):
    x, w = np.polynomial.legendre.leggauss(n_rho)
    rho = 0.5 * R * (x + 1.0)
    th = 2 * np.pi * np.arange(n_theta) / n_theta
    px = (rho[:, None] * np.cos(th)).ravel()
    py = (rho[:, None] * np.sin(th)).ravel()
    dA = (0.5 * R * w * rho)[:, None].repeat(n_theta, 1).ravel() * 2 * np.pi / n_theta
    uz, ur = [], []
    for r in r_obs:
        dx, dy = r - px, -py
        s = np.hypot(dx, dy)
        nz, nr = nucleus_fn(s)
        uz.append(c * np.sum(nz * dA))
        ur.append(c * np.sum(nr * np.divide(dx, s, out=np.zeros_like(s), where=s > 0) * dA))
    return np.array(uz), np.array(ur)


def test_nucleus_over_disc_area_matches_disc_solution():
    R, D, k, nu, c = 2e3, 3e3, 4.5e3, 0.3, 0.1
    r = np.array([0.0, 1000.0, 2500.0, 6000.0, 15000.0])
    uz, ur = disc_by_superposition(lambda s: rigid_base_nucleus(s, D, k, nu), r, R, c)
    ez, er = disc_surface(r, R, D, c, nu, k)
    assert np.max(np.abs(uz - ez)) < 1e-10 * abs(ez[0])  # measured 5e-12
    assert np.max(np.abs(ur - er)) < 1e-10 * abs(ez[0])


def test_deep_basement_tends_to_halfspace():
    D, nu = 3e3, 0.25
    r = np.linspace(0.0, 20e3, 81)
    hz = -(1 - nu) / np.pi * D / (r * r + D * D) ** 1.5
    hr = -(1 - nu) / np.pi * r / (r * r + D * D) ** 1.5
    errs = []
    for k in (30e3, 300e3):
        uz, ur = rigid_base_nucleus(r, D, k, nu)
        errs.append(max(np.abs(uz - hz).max(), np.abs(ur - hr).max()) / abs(hz[0]))
    assert errs[1] < 2e-4 and errs[1] < errs[0] / 50


def test_van_opstal_fit_and_closed_form():
    x = np.linspace(0.0, 8.0, 161)
    assert np.max(np.abs(rigid_base_phi_approx(x) - 1 / (2 * phi(x, 0.25)))) < 4e-3  # measured 3.1e-3 (Φ(0) = 0.222)
    D, k = 3e3, 4.5e3
    r = np.linspace(0.0, 40e3, 401)
    az, ar = rigid_base_nucleus_approx(r, D, k)
    ez, er = rigid_base_nucleus(r, D, k, 0.25)
    peak = abs(ez[0])
    assert np.max(np.abs(az - ez)) < 3e-3 * peak  # measured 2.0e-3
    assert np.max(np.abs(ar - er)) < 1.5e-3 * peak  # measured 0.9e-3
    assert ar[0] == 0.0
    # the closed form reproduces the published disc values (computed with the fit)
    for R, kk, ref, tol in [(2e3, 4.5e3, -31.09, 0.015), (2e3, 9e3, -24.61, 0.015), (10e3, 4.5e3, -98.6, 0.05)]:
        uz, _ = disc_by_superposition(lambda s: rigid_base_nucleus_approx(s, D, kk), [0.0], R, 0.1, n_rho=96)
        assert uz[0] * 1e3 == pytest.approx(ref, abs=tol)


def test_ten_million_radii_fast():
    nucleus = RigidBaseNucleus(3e3, 4.5e3, 0.25)
    r = np.random.default_rng(1).uniform(0.0, 60e3, 1_000_000)
    t = time.perf_counter()
    uz, ur = nucleus(r)
    assert time.perf_counter() - t < 2.0  # measured ~0.1 s per million radii
    assert np.all(np.isfinite(uz)) and np.all(np.isfinite(ur))
    assert math.isclose(float(nucleus(np.array(1234.0))[0]), float(nucleus(np.array([1234.0]))[0][0]))


def test_bad_input():
    for args in [(3e3, 2e3, 0.25), (-1.0, 2e3, 0.25), (3e3, 4e3, 0.5), (3e3, 4e3, -1.0)]:
        with pytest.raises(ValueError):
            rigid_base_nucleus(0.0, *args)
