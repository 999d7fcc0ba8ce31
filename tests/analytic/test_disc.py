"""Disc reservoir reference solution (Geertsma 1973; van Opstal 1974 rigid base).

Guards against: wrong signs/prefactors of the Hankel integrals, an unconverged
oscillatory quadrature, and a wrong rigid-basement transform factor.
"""

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

from subsidence.analytic.disc import disc_centre_halfspace, disc_surface

NU = 0.25
C = 0.1  # m


def halfspace_disc_by_area_quadrature(r_obs, R, D, nu, c, n_rho=96, n_theta=192):
    """Independent check: Geertsma point nucleus (closed form) summed over the disc.

    Gauss–Legendre in ρ, periodic trapezoid rule in θ (spectrally accurate for the
    smooth integrand when D is comparable to R).
    """
    x, w = np.polynomial.legendre.leggauss(n_rho)
    rho = 0.5 * R * (x + 1.0)
    wr = 0.5 * R * w * rho
    th = 2.0 * np.pi * np.arange(n_theta) / n_theta
    px = (rho[:, None] * np.cos(th)[None, :]).ravel()
    py = (rho[:, None] * np.sin(th)[None, :]).ravel()
    dA = (wr[:, None] * np.full(n_theta, 2.0 * np.pi / n_theta)[None, :]).ravel()
    uz, ur = [], []
    for r in np.atleast_1d(r_obs):
        dx, dy = r - px, -py
        s2 = dx * dx + dy * dy + D * D
        inv3 = 1.0 / (s2 * np.sqrt(s2))
        uz.append(-(1 - nu) / np.pi * c * np.sum(dA * D * inv3))
        ur.append(-(1 - nu) / np.pi * c * np.sum(dA * dx * inv3))  # projection on e_r = +x
    return np.array(uz), np.array(ur)


def ur_max(R, D, k):
    r = np.linspace(1.0, 3 * (R + D), 601)
    i = int(np.argmax(np.abs(disc_surface(r, R, D, C, NU, k)[1])))
    res = minimize_scalar(lambda x: -abs(disc_surface(x, R, D, C, NU, k)[1]), bracket=(r[i - 1], r[i], r[i + 1]))
    return abs(res.fun), res.x


def test_halfspace_centre_matches_closed_form_and_reference():
    for R in (2e3, 10e3):
        uz0 = disc_surface(0.0, R, 3e3, C, NU)[0]
        assert uz0 == pytest.approx(disc_centre_halfspace(R, 3e3, C, NU), rel=1e-11)
    assert disc_surface(0.0, 2e3, 3e3, C, NU)[0] * 1e3 == pytest.approx(-25.19, abs=0.005)
    assert disc_surface(0.0, 10e3, 3e3, C, NU)[0] * 1e3 == pytest.approx(-106.9, abs=0.05)


def test_halfspace_horizontal_maximum():
    umax, rmax = ur_max(2e3, 3e3, None)
    assert umax * 1e3 == pytest.approx(10.32, abs=0.005)
    assert rmax == pytest.approx(2740.0, abs=10.0)
    assert disc_surface(0.0, 2e3, 3e3, C, NU)[1] == 0.0


@pytest.mark.parametrize("R,D", [(2e3, 3e3), (4e3, 2e3)])
def test_halfspace_profile_matches_area_quadrature(R, D):
    r = np.array([0.0, 500.0, 1900.0, 2100.0, 3500.0, 8000.0, 25000.0])
    uz, ur = disc_surface(r, R, D, C, NU)
    qz, qr = halfspace_disc_by_area_quadrature(r, R, D, NU, C)
    peak = abs(uz[0])
    assert np.max(np.abs(uz - qz)) < 1e-12 * peak
    assert np.max(np.abs(ur - qr)) < 1e-12 * peak


def test_rigid_base_against_published_values():
    """REFERENCES values were obtained with van Opstal's fitted Φ; the exact
    integral differs from them by 0.17 % (k=1.5D), 0.03 % (k=3D), 0.33 % (R=10 km)."""
    cases = [(2e3, 3e3, 4.5e3, -31.09), (2e3, 3e3, 9e3, -24.61), (10e3, 3e3, 4.5e3, -98.6)]
    for R, D, k, ref in cases:
        uz0 = disc_surface(0.0, R, D, C, NU, k)[0] * 1e3
        assert uz0 == pytest.approx(ref, rel=4e-3)
    # a rigid base raises the peak of a narrow bowl above the half-space value
    assert disc_surface(0.0, 2e3, 3e3, C, NU, 4.5e3)[0] < disc_surface(0.0, 2e3, 3e3, C, NU)[0]


def test_rigid_base_wide_disc_reduces_horizontal_more_than_vertical():
    R, D, k = 10e3, 3e3, 4.5e3
    drop_z = 1 - disc_surface(0.0, R, D, C, NU, k)[0] / disc_surface(0.0, R, D, C, NU)[0]
    drop_r = 1 - ur_max(R, D, k)[0] / ur_max(R, D, None)[0]
    assert drop_z == pytest.approx(0.08, abs=0.005)
    assert drop_r == pytest.approx(0.25, abs=0.01)


def test_rigid_base_tends_to_halfspace():
    r = np.linspace(0.0, 12e3, 25)
    hz, hr = disc_surface(r, 2e3, 3e3, C, NU)
    errs = []
    for k in (30e3, 300e3):
        uz, ur = disc_surface(r, 2e3, 3e3, C, NU, k)
        errs.append(max(np.max(np.abs(uz - hz)), np.max(np.abs(ur - hr))) / abs(hz[0]))
    assert errs[1] < 1e-3 and errs[1] < errs[0] / 50  # correction ~ (D/k)^2


def test_bad_input():
    with pytest.raises(ValueError):
        disc_surface(0.0, 2e3, 3e3, C, 0.5)
    with pytest.raises(ValueError):
        disc_surface(0.0, 2e3, 3e3, C, NU, basement_depth=2e3)
