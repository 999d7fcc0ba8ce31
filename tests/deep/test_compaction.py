"""Compaction laws against hand-computed values for step and ramp pressure changes."""

import numpy as np
import pytest

from subsidence.physics.compaction import Linear, PressureHistory, RTiCM, TimeDecay, rticm_step_response

from .rticm_reference import rticm_ode

YR = 365.25 * 86400.0
BAR = 1e5


def test_linear():
    p = PressureHistory(np.array([0.0, 10 * YR]), np.array([0.0, -1e7]))
    c = Linear(cm=1e-10).compaction(p, np.array([0, 5, 10, 20]) * YR, 100.0)
    assert np.allclose(c, [0.0, 0.05, 0.1, 0.1])


def test_time_decay_step_matches_hand_values():
    # step of -100 bar at t = 1 yr; τ = 2 yr: c = Cm·Δp·H·(1 - exp(-(t-1)/τ))
    p = PressureHistory(np.array([0.0, 1 * YR, 1 * YR, 30 * YR]), np.array([0.0, 0.0, -1e7, -1e7]))
    t = np.array([0.5, 1.0, 2.0, 3.0, 5.0, 21.0]) * YR
    c = TimeDecay(cm=1e-10, tau=2 * YR).compaction(p, t, 100.0)
    hand = [0.0, 0.0, 0.1 * (1 - np.exp(-0.5)), 0.1 * (1 - np.exp(-1.0)), 0.1 * (1 - np.exp(-2.0)), 0.1 * (1 - np.exp(-10))]
    assert np.allclose(c, hand, rtol=1e-12, atol=1e-15)


def test_time_decay_ramp_matches_convolution():
    # ramp 0 → -1e7 Pa over 10 yr; c(t) = r·[t - τ(1 - e^{-t/τ})] during the ramp
    tau = 3 * YR
    p = PressureHistory(np.array([0.0, 10 * YR]), np.array([0.0, -1e7]))
    t = np.array([2.0, 10.0, 15.0]) * YR
    c = TimeDecay(cm=1e-10, tau=tau).compaction(p, t, 100.0)
    rate = 0.1 / (10 * YR)
    during = lambda s: rate * (s - tau * (1 - np.exp(-s / tau)))  # noqa: E731
    after = during(10 * YR) + (0.1 - during(10 * YR)) * (1 - np.exp(-(5 * YR) / tau))
    assert c[0] == pytest.approx(during(2 * YR), rel=1e-12)
    assert c[1] == pytest.approx(during(10 * YR), rel=1e-12)
    assert c[2] == pytest.approx(after, rel=1e-9)
    assert c[-1] < 0.1


def _law(**kw):
    pars = dict(cm_d=1.2e-5 / BAR, cm_ref=4.56e-5 / BAR, b=0.025, sigma_dot_ref=1e-5 * BAR / YR, sigma0=200 * BAR)
    pars.update(kw)
    return RTiCM(**pars)


def _ode(law, times, dsigma, t_out):
    return rticm_ode(law.cm_d, law.cm_ref, law.b, law.sigma_dot_ref, law.sigma0, times, dsigma, t_out,
                     sigma_dot_0=law.sigma_dot_0)


def test_rticm_published_check_value():
    """REFERENCES.md check value (independent stiff ODE): 150 bar within 0.001 yr at σ'0 = 300 bar, held."""
    law = RTiCM(cm_d=1.0e-10, cm_ref=4.0e-10, b=0.03, sigma_dot_ref=1.0 / YR, sigma0=300 * BAR)
    p = PressureHistory(np.array([0.0, 0.001 * YR]), np.array([0.0, -150 * BAR]))
    eps = law.strain(p, np.array([5.0, 20.0]) * YR)
    assert eps == pytest.approx([1.51436e-3, 1.55475e-3], rel=5e-6)


def test_rticm_fast_depletion_against_independent_ode():
    """The issue's case: fast 100 bar depletion at σ'0 = 200 bar. The secular prefactor is the state
    (c_m - cm_d); the old constant (cm_ref - cm_d) gave +0.7/3.5/4.8 % at 1/10/30 yr."""
    law = _law()
    tt, ds = np.array([0.0, 1e-3 * YR]), np.array([0.0, 100 * BAR])
    t = np.array([1e-3, 0.1, 1.0, 10.0, 30.0]) * YR
    eps = law.strain(PressureHistory(tt, -ds), t)
    ref = _ode(law, tt, ds, t)
    assert np.allclose(eps, ref, rtol=3e-6, atol=0)
    creep = ref - law.cm_d * 100 * BAR
    assert np.allclose(eps - law.cm_d * 100 * BAR, creep, rtol=5e-5)


def test_rticm_production_history_against_independent_ode():
    """Steps, ramps, a hold and partial re-pressurisation, for the published model and the
    sigma_dot_0 extension, against scipy's Radau on the published rate equation."""
    tt = np.array([0.0, 2.0, 2.0, 12.0, 20.0, 25.0]) * YR
    ds = np.array([0.0, 0.0, 20.0, 120.0, 120.0, 90.0]) * BAR
    t = np.array([1.0, 2.0, 3.0, 7.0, 12.0, 16.0, 20.0, 22.0, 25.0, 40.0]) * YR
    for law in (_law(), _law(sigma_dot_0=0.3e-5 * BAR / YR, sigma0=250 * BAR, b=0.04)):
        eps = law.strain(PressureHistory(tt, -ds), t)
        ref = _ode(law, tt, ds, t)
        assert np.allclose(eps, ref, rtol=3e-6, atol=1e-12), law


def test_rticm_step_against_semi_analytic_response():
    law = _law()
    p = PressureHistory(np.array([0.0, 0.0, 60 * YR]), np.array([0.0, -100 * BAR, -100 * BAR]))
    t = np.array([0.1, 1, 5, 20, 50]) * YR
    eps = law.strain(p, t)
    assert np.allclose(eps, rticm_step_response(law, 100 * BAR, t), rtol=3e-6)
    assert np.allclose(eps, _ode(law, [0.0, 0.0], [0.0, 100 * BAR], t), rtol=3e-6)
    # the first instant: direct compaction only
    assert law.strain(p, np.array([1e-9 * YR]))[0] == pytest.approx(1.2e-5 * 100, rel=1e-6)


def test_rticm_initial_state_creeps_at_its_loading_rate():
    """Published: the initial state lies on the reference isotach and creeps at (cm_ref - cm_d)·σ̇_ref.
    Extension (sigma_dot_0): c_m0 = cm_ref (σ̇_ref/σ̇_0)^b, creeping at (c_m0 - cm_d)·σ̇_0."""
    p = PressureHistory(np.array([0.0, 1000 * YR]), np.array([0.0, 0.0]))
    law = _law()
    eps = law.strain(p, np.array([1000 * YR]))[0]
    assert eps == pytest.approx((law.cm_ref - law.cm_d) * law.sigma_dot_ref * 1000 * YR, rel=0.02)
    ext = _law(sigma_dot_0=0.5e-5 * BAR / YR)
    assert ext.cm0 == pytest.approx(ext.cm_ref * 2 ** 0.025)
    eps = ext.strain(p, np.array([1000 * YR]))[0]
    assert eps == pytest.approx((ext.cm0 - ext.cm_d) * ext.sigma_dot_0 * 1000 * YR, rel=0.02)


def test_rticm_delay_and_reference_slope():
    """Loading at the reference rate from the reference isotach gives the cm_ref slope (c_m stays
    cm_ref exactly); fast production first shows the direct slope and the delayed creep catches up."""
    law = _law(sigma_dot_ref=10 * BAR / YR, sigma0=250 * BAR)
    p = PressureHistory(np.array([0.0, 10 * YR]), np.array([0.0, -100 * BAR]))
    eps = law.strain(p, np.array([10 * YR]))[0]
    assert eps / (100 * BAR) == pytest.approx(law.cm_ref, rel=1e-6)
    fast = _law(sigma0=250 * BAR)
    e = fast.strain(p, np.array([0.5, 10, 40]) * YR)
    assert e[0] < 0.5 * law.cm_ref * 100 * BAR  # early: mostly direct
    assert e[0] < e[1] < e[2]  # creep continues after production stops


def test_per_cell_histories_are_vectorised():
    p = PressureHistory(np.array([0.0, 10 * YR]), np.array([[0.0, -1e7], [0.0, -2e7]]))
    c = TimeDecay(cm=1e-10, tau=YR).compaction(p, np.array([10 * YR, 50 * YR]), np.array([100.0, 50.0]))
    assert c.shape == (2, 2)
    assert np.allclose(c[:, 1], [0.1, 0.1], rtol=1e-9)
