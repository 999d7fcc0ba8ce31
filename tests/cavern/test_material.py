"""Integration-point law: consistent tangent and closed-form creep responses."""

import numpy as np
import pytest

from subsidence.cavern.material import PointMaterial, SaltLaw, equivalent_stress, update_stress


def _mat(law, N=1, T=320.0):
    return PointMaterial.build([law], np.zeros(N, int), np.full(N, T))


def _dev(x):
    x = x.copy()
    x[:, :3] -= x[:, :3].mean(axis=1, keepdims=True)
    return x


@pytest.mark.parametrize("m", [4, 6])
def test_tangent_matches_finite_differences(m):
    """Guards the global Newton's quadratic convergence (wrong tangent = slow or no convergence)."""
    rng = np.random.default_rng(1)
    law = SaltLaw(E=25e9, nu=0.3, A=0.18 / 86400, n=5, Q=54e3, kelvin_G=20e9, kelvin_eta=1e16)
    N = 6
    mat = _mat(law, N)
    eps = rng.normal(size=(N, m)) * 1e-3
    eN0, eK0 = _dev(rng.normal(size=(N, m)) * 1e-4), _dev(rng.normal(size=(N, m)) * 1e-5)
    dt = 30 * 86400.0
    up = update_stress(eps, eN0, eK0, dt, mat)
    h = 1e-9
    for j in range(m):
        ep, em = eps.copy(), eps.copy()
        ep[:, j] += h
        em[:, j] -= h
        fd = (update_stress(ep, eN0, eK0, dt, mat).stress - update_stress(em, eN0, eK0, dt, mat).stress) / (2 * h)
        assert np.abs(fd - up.tangent[:, :, j]).max() < 1e-6 * np.abs(up.tangent).max()


def test_norton_rate_and_bgra_temperature_factor():
    """A tiny step at fixed total strain relaxes the stress at the Norton rate A e^{-Q/RT} (σ/σ0)^n."""
    law = SaltLaw(E=25e9, nu=0.3, A=0.18 / 86400, n=5, Q=54e3, sigma_ref=1e6)
    T = 330.0
    mat = _mat(law, 1, T)
    G = law.G
    # pure shear strain giving σ_eq = 10 MPa: s_xy = 2G ε_xy, σ_eq = √3 |s_xy|
    q = 10e6
    exy = q / np.sqrt(3) / (2 * G)
    eps = np.array([[0, 0, 0, np.sqrt(2) * exy]])
    z = np.zeros((1, 4))
    dt = 1.0
    up = update_stress(eps, z, z, dt, mat)
    rate_eq = np.sqrt(2 / 3 * np.sum(up.eN**2)) / dt
    expected = 0.18 / 86400 * np.exp(-54e3 / (8.314462618 * T)) * (equivalent_stress(up.stress)[0] / 1e6) ** 5
    assert rate_eq == pytest.approx(expected, rel=1e-10)


def test_kelvin_saturates_at_s_over_2GK():
    """Constant deviatoric stress: Kelvin strain tends to s/(2 G_K) with time constant η/G_K."""
    law = SaltLaw(E=25e9, nu=0.3, kelvin_G=5e9, kelvin_eta=5e9 * 1000.0)
    mat = _mat(law)
    # drive with strain steps keeping the stress fixed: iterate e = e_K + s/2G
    s_target = 2e6
    z = np.zeros((1, 4))
    eK = z.copy()
    t, dt = 0.0, 10.0
    for _ in range(300):
        eps = np.array([[0, 0, 0, np.sqrt(2) * (s_target / (2 * law.G))]]) + eK * 0
        # total deviatoric strain that keeps σ_xy = s_target after the step (solve linear eq)
        c = dt / (2 * law.kelvin_eta * (1 + dt * law.kelvin_G / law.kelvin_eta))
        d = (dt * law.kelvin_G / law.kelvin_eta) / (1 + dt * law.kelvin_G / law.kelvin_eta)
        s_vec = np.array([[0, 0, 0, np.sqrt(2) * s_target]])
        eK_new = c * s_vec + (1 - d) * eK
        eps = s_vec / (2 * law.G) + eK_new
        up = update_stress(eps, z, eK, dt, mat)
        assert up.stress[0, 3] == pytest.approx(np.sqrt(2) * s_target, rel=1e-9)
        eK = up.eK
        t += dt
    exact = s_target / (2 * law.kelvin_G) * (1 - np.exp(-t * law.kelvin_G / law.kelvin_eta))
    assert eK[0, 3] / np.sqrt(2) == pytest.approx(exact, rel=0.01)


def test_bad_parameters_rejected():
    with pytest.raises(ValueError):
        SaltLaw(E=25e9, nu=0.6)
    with pytest.raises(ValueError):
        SaltLaw(E=25e9, nu=0.3, kelvin_G=1e9)
