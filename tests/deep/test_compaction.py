"""Compaction laws against hand-computed values for step and ramp pressure changes."""

import numpy as np
import pytest

from subsidence.physics.compaction import Linear, PressureHistory, RTiCM, TimeDecay, rticm_step_response

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


def _law():
    return RTiCM(cm_d=1.2e-5 / BAR, cm_ref=4.56e-5 / BAR, b=0.025, sigma_dot_ref=1e-5 * BAR / YR,
                 sigma0=250 * BAR, sigma_dot_0=0.5e-5 * BAR / YR)


def test_rticm_step_against_closed_form():
    law = _law()
    p = PressureHistory(np.array([0.0, 0.0, 60 * YR]), np.array([0.0, -100 * BAR, -100 * BAR]))
    t = np.array([0.1, 1, 5, 20, 50]) * YR
    eps = law.strain(p, t)
    ref = rticm_step_response(law, 100 * BAR, t)
    assert np.allclose(eps, ref, rtol=1e-5)
    # hand check of the first instant: direct compaction only
    assert law.strain(p, np.array([1e-9 * YR]))[0] == pytest.approx(1.2e-5 * 100, rel=1e-6)


def test_rticm_initial_state_creeps_at_the_geological_rate():
    """With no production the initial state creeps at σ̇_0·(cm_ref - cm_d): after 1000 yr a tiny strain."""
    law = _law()
    p = PressureHistory(np.array([0.0, 1000 * YR]), np.array([0.0, 0.0]))
    eps = law.strain(p, np.array([1000 * YR]))[0]
    expected = (law.cm_ref - law.cm_d) * law.sigma_dot_0 * 1000 * YR
    assert eps == pytest.approx(expected, rel=0.02)


def test_rticm_delay_and_reference_slope():
    """Loading at the reference rate from the reference isotach gives the cm_ref slope;
    fast production first shows the direct slope and the delayed creep catches up."""
    law = RTiCM(cm_d=1.2e-5 / BAR, cm_ref=4.56e-5 / BAR, b=0.025, sigma_dot_ref=10 * BAR / YR,
                sigma0=250 * BAR, sigma_dot_0=10 * BAR / YR)
    p = PressureHistory(np.array([0.0, 10 * YR]), np.array([0.0, -100 * BAR]))
    eps = law.strain(p, np.array([10 * YR]))[0]
    assert eps / (100 * BAR) == pytest.approx(law.cm_ref, rel=0.02)
    fast = RTiCM(cm_d=law.cm_d, cm_ref=law.cm_ref, b=0.025, sigma_dot_ref=1e-5 * BAR / YR,
                 sigma0=250 * BAR, sigma_dot_0=1e-5 * BAR / YR)
    e = fast.strain(p, np.array([0.5, 10, 40]) * YR)
    assert e[0] < 0.5 * law.cm_ref * 100 * BAR  # early: mostly direct
    assert e[0] < e[1] < e[2]  # creep continues after production stops


def test_per_cell_histories_are_vectorised():
    p = PressureHistory(np.array([0.0, 10 * YR]), np.array([[0.0, -1e7], [0.0, -2e7]]))
    c = TimeDecay(cm=1e-10, tau=YR).compaction(p, np.array([10 * YR, 50 * YR]), np.array([100.0, 50.0]))
    assert c.shape == (2, 2)
    assert np.allclose(c[:, 1], [0.1, 0.1], rtol=1e-9)
