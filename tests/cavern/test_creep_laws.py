"""Low-stress linear (pressure-solution) creep and the Munson–Dawson transient.

Integration-point checks (rates, consistent tangent, a constant-stress creep test against
an independent ODE integration) and FE checks of a spherical cavity in a thick shell
a = 1 < r < b = 10 against the steady closed forms (docs/caverns.md, "Verification").
"""

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from subsidence.cavern import analytic as an
from subsidence.cavern.material import (
    R_GAS, WIPP_CLEAN_SALT, PointMaterial, SaltLaw, equivalent_stress, update_stress, wipp_clean_salt)

from cavern_helpers import A, B, P_FAR, run_steady, shell_model

YEAR = 365.25 * 86400.0
T_TEST = 300.0
D_TEST = 0.01  # grain size [m] of the FE checks


def _mat(law, N=1, T=T_TEST):
    return PointMaterial.build([law], np.zeros(N, int), np.full(N, T))


def _ps_A(AL, T=T_TEST, d=D_TEST):
    """ps_A giving the linear factor A_L* = AL [1/(Pa s)] at T with Q_ps = 0."""
    return AL * T * d**3


# -- integration point ----------------------------------------------------------------


def test_pressure_solution_rate_and_sum_with_norton():
    """A tiny relaxation step gives ε̇_eq = A_ps e^{−Q/RT} σ/(T d³) (+ the Norton rate): the
    pressure-solution law as written (grain size cubed, 1/T, Arrhenius) and added as a sum."""
    T, d = 320.0, 3e-3
    ps = dict(ps_A=4.7e-19, ps_Q=24.53e3, grain_size=d)
    q = 2e6
    for law, norton in ((SaltLaw(E=25e9, nu=0.3, **ps), 0.0),
                        (SaltLaw(E=25e9, nu=0.3, A=0.18 / 86400, n=5, Q=54e3, **ps), 1.0)):
        exy = q / np.sqrt(3) / (2 * law.G)
        up = update_stress(np.array([[0, 0, 0, np.sqrt(2) * exy]]), np.zeros((1, 4)), np.zeros((1, 4)), 1e-3, _mat(law, 1, T))
        s = equivalent_stress(up.stress)[0]
        rate = np.sqrt(2 / 3 * np.sum(up.eN**2)) / 1e-3
        lin = 4.7e-19 * np.exp(-24.53e3 / (R_GAS * T)) * s / (T * d**3)
        nor = norton * 0.18 / 86400 * np.exp(-54e3 / (R_GAS * T)) * (s / 1e6) ** 5
        # (ratios: the rates are ~1e-12 1/s, below pytest.approx's default absolute tolerance)
        assert rate / (lin + nor) == pytest.approx(1.0, rel=1e-9)
        assert law.steady_rate(s, T) / (lin + nor) == pytest.approx(1.0, rel=1e-12)
    # finer grains creep faster as d^-3
    assert SaltLaw(E=25e9, nu=0.3, ps_A=1e-18, grain_size=1e-3).linear_factor(T) / (
        1000 * SaltLaw(E=25e9, nu=0.3, ps_A=1e-18, grain_size=1e-2).linear_factor(T)) == pytest.approx(1.0, rel=1e-12)


LAWS = {
    "norton+linear+second": SaltLaw(E=25e9, nu=0.3, A=0.18 / 86400, n=5, Q=54e3, A2=1e-9, n2=3, sigma_ref2=1e6,
                                    ps_A=4.7e-19, ps_Q=24.53e3, grain_size=2e-3, kelvin_G=20e9, kelvin_eta=1e16),
    "munson-dawson (WIPP)": wipp_clean_salt(),
    "munson-dawson + linear": SaltLaw(E=31e9, nu=0.25, **{**WIPP_CLEAN_SALT, "ps_A": 4.7e-19, "grain_size": 5e-3}),
}


@pytest.mark.parametrize("m", [4, 6])
@pytest.mark.parametrize("name", list(LAWS))
def test_tangent_matches_finite_differences(m, name):
    """The consistent tangent of every law (with ζ by implicit differentiation for
    Munson–Dawson): a wrong one would slow down or break the global Newton iteration."""
    rng = np.random.default_rng(2)
    law = LAWS[name]
    N = 8
    mat = _mat(law, N)
    eps = rng.normal(size=(N, m)) * 4e-4
    eN0 = rng.normal(size=(N, m)) * 1e-5
    eN0[:, :3] -= eN0[:, :3].mean(axis=1, keepdims=True)
    z0 = np.abs(rng.normal(size=N)) * 2e-3  # some points hardening, some recovering
    dt = 10 * 86400.0
    up = update_stress(eps, eN0, np.zeros((N, m)), dt, mat, zeta0=z0)
    h = 1e-7  # the local solves converge to ~1e-12 q_tr: a smaller h would measure their noise
    for j in range(m):
        ep, em = eps.copy(), eps.copy()
        ep[:, j] += h
        em[:, j] -= h
        fd = (update_stress(ep, eN0, np.zeros((N, m)), dt, mat, zeta0=z0).stress
              - update_stress(em, eN0, np.zeros((N, m)), dt, mat, zeta0=z0).stress) / (2 * h)
        assert np.abs(fd - up.tangent[:, :, j]).max() < 1e-6 * np.abs(up.tangent).max()


def _md_rhs(law, T):
    """Munson–Dawson at constant stress as written by Munson & Dawson (independent of the code)."""
    def rhs(t, y, q):
        es = sum(A * np.exp(-Q / (R_GAS * T)) * (q / s0) ** n
                 for A, Q, s0, n in ((law.A, law.Q, law.sigma_ref, law.n), (law.A2, law.Q2, law.sigma_ref2, law.n2)))
        est = law.md_K0 * np.exp(law.md_c * T) * (q / law.md_mu) ** law.md_m
        lg = np.log10(q / law.md_mu)
        u = 1 - y[1] / est
        F = np.exp((law.md_alpha_w + law.md_beta_w * lg) * u * u) if u > 0 else np.exp(-(law.md_alpha_r + law.md_beta_r * lg) * u * u)
        return [F * es, (F - 1) * es]
    return rhs


def _md_creep_test(law, phases, nsteps, T):
    """Constant-stress creep test through ``update_stress``: in each step the shear strain is
    found (Newton with the consistent tangent) that holds the equivalent stress at q."""
    mat = _mat(law, 1, T)
    eN, z, e3, t, out = np.zeros((1, 4)), np.zeros(1), 0.0, 0.0, []
    for q, dur in phases:
        s3 = np.sqrt(2) * q / np.sqrt(3)
        for dt in np.diff(np.concatenate([[0.0], np.geomspace(1.0, dur, nsteps)])):
            for _ in range(30):
                up = update_stress(np.array([[0, 0, 0, e3]]), eN, np.zeros((1, 4)), dt, mat, zeta0=z)
                r = up.stress[0, 3] - s3
                if abs(r) < 1e-11 * s3:
                    break
                e3 -= r / up.tangent[0, 3, 3]
            eN, z, t = up.eN, up.zeta, t + dt
            out.append((t, np.sqrt(2 / 3 * np.sum(eN**2)), z[0]))
    return np.array(out)


def test_munson_dawson_creep_test_against_ode():
    """WIPP clean salt at 300 K: 12 MPa for 2 years (work hardening), then unloaded to 8 MPa
    for 2 years (recovery: the creep rate falls below steady state and the transient strain ζ
    shrinks). Creep strain and ζ of the backward-Euler point update against solve_ivp (Radau,
    rtol 1e-10); the error is first order in the step (halving the steps halves it)."""
    # guards: a wrong hardening/recovery branch, a wrong ζ equation or a wrong return map
    law, T = wipp_clean_salt(), T_TEST
    phases = [(12e6, 2 * YEAR), (8e6, 2 * YEAR)]
    rhs = _md_rhs(law, T)
    sols, y, t0 = [], [0.0, 0.0], 0.0
    for q, dur in phases:
        sols.append(solve_ivp(rhs, (t0, t0 + dur), y, args=(q,), method="Radau", rtol=1e-10, atol=1e-14, dense_output=True))
        y, t0 = sols[-1].y[:, -1], t0 + dur
    errs = []
    for ns in (40, 80):
        h = _md_creep_test(law, phases, ns, T)
        ref = np.array([(sols[0] if t <= phases[0][1] * (1 + 1e-12) else sols[1]).sol(t) for t in h[:, 0]])
        errs.append((np.abs(h[:, 1] - ref[:, 0]).max() / ref[:, 0].max(), np.abs(h[:, 2] - ref[:, 1]).max() / ref[:, 1].max()))
    errs = np.array(errs)
    # 80 geometric steps per phase: creep strain within 0.5 %, ζ (small after unloading) within 2 %
    assert errs[1, 0] < 5e-3 and errs[1, 1] < 2e-2
    assert np.all((1.7 < errs[0] / errs[1]) & (errs[0] / errs[1] < 2.3))  # first order, both
    # the physics the test is about: hardening at first (rate far above steady), recovery after
    # unloading (rate below the steady rate at 8 MPa, ζ decreasing)
    y0 = sols[0].sol(1.0)
    assert rhs(1.0, y0, 12e6)[0] > 100 * law.steady_rate(12e6, T)
    y1 = sols[1].sol(phases[0][1] * 1.01)
    assert rhs(0, y1, 8e6)[0] < 0.1 * law.steady_rate(8e6, T) and rhs(0, y1, 8e6)[1] < 0


def test_munson_dawson_bad_parameters_rejected():
    with pytest.raises(ValueError, match="one transient"):
        SaltLaw(E=31e9, nu=0.25, **WIPP_CLEAN_SALT, kelvin_G=1e9, kelvin_eta=1e15)
    with pytest.raises(ValueError, match="steady creep"):
        SaltLaw(E=31e9, nu=0.25, md_K0=6e5)
    with pytest.raises(ValueError, match="grain_size"):
        SaltLaw(E=31e9, nu=0.3, ps_A=1e-18)


# -- semi-analytic sphere ----------------------------------------------------------------


def test_general_sphere_solution_reduces_to_closed_forms():
    """The quadrature solution for any creep law gives the Norton closed form (n = 5 and
    n = 1, finite and infinite shell); a sum of both lies between its two limits."""
    for n, A_ in ((5, 1e-36), (1, 1e-12)):
        for b in (np.inf, B):
            got = an.sphere_steady_closure_rate(dP=10e6, rate=lambda s: A_ * s**n, drate=lambda s: n * A_ * s ** (n - 1), a=A, b=b)
            assert got == pytest.approx(an.norton_sphere_closure_rate(dP=10e6, A_star=A_, n=n, a=A, b=b), rel=1e-9)


# -- FE sphere ---------------------------------------------------------------------------

NORTON = dict(A=1e-6, n=5, sigma_ref=1e6)
A_LIN_ALONE = 1e-12  # 1/(Pa s)
A_LIN = 6.25e-14  # 1/(Pa s): linear = Norton at σ_eq = 0.5 MPa (relaxation time 1/(3 G A_LIN) ≈ 560 s)


def _fe_rate(comm, law, dP):
    model, _ = shell_model(comm, law=law)
    return run_steady(model, P_FAR - dP, t_end=2e4)


@pytest.mark.fem
def test_linear_viscous_sphere(comm):
    """n = 1 (pressure solution alone): steady V̇/V = −(3/2) A_L (3ΔP/2)/(1 − (a/b)³), within 1 %."""
    law = SaltLaw(E=25e9, nu=0.3, ps_A=_ps_A(A_LIN_ALONE), grain_size=D_TEST)
    rate = _fe_rate(comm, law, 10e6)
    assert rate == pytest.approx(an.norton_sphere_closure_rate(dP=10e6, A_star=A_LIN_ALONE, n=1, a=A, b=B), rel=0.01)


@pytest.mark.fem
@pytest.mark.parametrize("dP, limit", [(10e6, "norton"), (0.1e6, "linear"), (1.5e6, None)])
def test_combined_law_sphere(comm, dP, limit):
    """Norton (n = 5) + linear creep, equal at σ_eq = 0.5 MPa. High ΔP: the Norton closed form;
    low ΔP: the linear one (each within 2 %, and the other mechanism's closed form is far off);
    in between, where both matter, the semi-analytic solution for the summed law (within 1 %)."""
    law = SaltLaw(E=25e9, nu=0.3, **NORTON, ps_A=_ps_A(A_LIN), grain_size=D_TEST)
    rate = _fe_rate(comm, law, dP)
    A5 = NORTON["A"] / NORTON["sigma_ref"] ** 5
    nor = an.norton_sphere_closure_rate(dP=dP, A_star=A5, n=5, a=A, b=B)
    lin = an.norton_sphere_closure_rate(dP=dP, A_star=A_LIN, n=1, a=A, b=B)
    both = an.sphere_steady_closure_rate(dP=dP, rate=lambda s: A5 * s**5 + A_LIN * s,
                                         drate=lambda s: 5 * A5 * s**4 + A_LIN, a=A, b=B)
    assert rate == pytest.approx(both, rel=0.01)
    if limit == "norton":
        assert rate == pytest.approx(nor, rel=0.02) and abs(lin / rate) < 0.05
    elif limit == "linear":
        assert rate == pytest.approx(lin, rel=0.02) and abs(nor / rate) < 0.05
    else:  # both mechanisms matter: neither limit is within 20 %
        assert abs(nor / rate - 1) > 0.2 and abs(lin / rate - 1) > 0.2


@pytest.mark.fem
def test_munson_dawson_sphere_tends_to_steady_closure(comm):
    """WIPP clean salt (two power laws + Munson–Dawson) around the sphere, ΔP = 10 MPa at 300 K:
    the work-hardening transient closes the cavity far faster than steady creep at first, and
    once F → 1 everywhere (~10⁴ years: the far field, at low stress, saturates last; at 300
    years the rate is still 11 % above steady) the rate is the steady one of the summed law
    from the semi-analytic solution (within 2 %)."""
    law = wipp_clean_salt()
    model, _ = shell_model(comm, law=law, h_wall=0.2, h_far=3.0)
    P = np.array([P_FAR - 10e6])
    model.solve_step(0.0, P, np.array([False]))
    model.commit()
    v_old, dt, t, rates = model.volumes()[0], 1.0, 0.0, []
    while t < 3e11:
        model.solve_step(dt, P, np.array([False]))
        model.commit()
        v = model.volumes()[0]
        rates.append((v - v_old) / dt / model.V0[0])
        v_old, t, dt = v, t + dt, dt * 1.6
    steady = an.sphere_steady_closure_rate(dP=10e6, rate=lambda s: law.steady_rate(s, T_TEST),
                                           drate=lambda s: _dsteady(law, s), a=A, b=B)
    assert rates[-1] / steady == pytest.approx(1.0, rel=0.02)  # measured −0.64 % (h_wall 0.2)
    assert abs(rates[3]) > 100 * abs(steady)  # transient: much faster closure at first
    assert model.zeta.max() > 0


def _dsteady(law, s):
    T = T_TEST
    return (law.rate_factor(T) * law.n * (s / law.sigma_ref) ** (law.n - 1) / law.sigma_ref
            + law.rate_factor2(T) * law.n2 * (s / law.sigma_ref2) ** (law.n2 - 1) / law.sigma_ref2 + law.linear_factor(T))
