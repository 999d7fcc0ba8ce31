"""Brine heat solved by radial conduction in the salt around a well-mixed brine node, against
the closed form of a stirred fluid sphere in an infinite medium (Carslaw & Jaeger §9.8)."""

import numpy as np
import pytest

from subsidence.cavern import analytic as an
from subsidence.cavern.brine import Brine
from subsidence.cavern.heat import BrineHeat, stirred_sphere_temperature
from subsidence.cavern.material import SaltLaw
from subsidence.cavern.operations import Phase

from cavern_helpers import A, B, P_CAV, sphere_simulation

YEAR = 365.25 * 86400.0


def test_closed_form_limits():
    """θ_b(0) = θ0; early times follow the semi-infinite flux, θ0 (1 − 2h √(t/(πκ)));
    and it is real and monotone for both real (small brine heat capacity) and complex roots."""
    a, k, kap = 50.0, 6.0, 3e-6
    assert stirred_sphere_temperature(0.0, a=a, theta0=-10, k_salt=k, kappa_salt=kap, rho_c_brine=4.2e6) == pytest.approx(-10)
    t = 3600.0
    h = 3 * k / (4.2e6 * a)
    early = -10 * (1 - 2 * h * np.sqrt(t / (np.pi * kap)))
    got = stirred_sphere_temperature(t, a=a, theta0=-10, k_salt=k, kappa_salt=kap, rho_c_brine=4.2e6)
    assert (got - early) / (-10 - early) == pytest.approx(0.0, abs=0.01)
    for rc in (4.2e6, 0.5e6):  # 3ρ_s c_s/(ρ_b c_b) = 1.43 (complex roots) and 12 (real roots)
        th = stirred_sphere_temperature(np.geomspace(1e3, 1e10, 50), a=a, theta0=-10, k_salt=k, kappa_salt=kap, rho_c_brine=rc)
        assert np.all(np.diff(th) > 0) and -10 < th[0] and th[-1] < 0


def test_conduction_against_carslaw_jaeger():
    """0.5 Mm³ cavern, brine 10 K below the rock, 30 years, salt k = 6 W/(m K), κ = 3e-6 m²/s,
    brine ρc = 4.2e6 J/(m³ K): the brine temperature of the radial conduction model within
    0.3 % of the initial difference with 400 geometric steps; first order in time; the spatial
    grid converged (120 and 240 nodes agree to 1e-4 of θ0)."""
    V, k, kap, rc, tend = 5e5, 6.0, 3e-6, 1200 * 3500.0, 30 * YEAR
    errs, last = [], {}
    for ns, n in ((200, 200), (400, 200), (400, 120), (400, 240)):
        h = BrineHeat(volume=V, T_rock=320.0, deficit=10.0, k_salt=k, kappa_salt=kap, rho_c_brine=rc, t_end=tend, n=n)
        ts, t, out = np.geomspace(3600.0, tend, ns), 0.0, []
        for t1 in ts:
            h.commit(t1 - t)
            t = t1
            out.append(h.brine_T - 320.0)
        ex = stirred_sphere_temperature(ts, a=h.a, theta0=-10.0, k_salt=k, kappa_salt=kap, rho_c_brine=rc)
        errs.append(np.abs(np.array(out) - ex).max() / 10)
        last[(ns, n)] = np.array(out)
    assert errs[1] < 3e-3
    assert 1.5 < errs[0] / errs[1] < 2.5  # first order in time
    assert np.abs(last[(400, 120)] - last[(400, 240)]).max() / 10 < 1e-4


@pytest.mark.fem
def test_sealed_cavern_pressurised_by_solved_warming(comm):
    """Sealed, elastic, creep-free cavern (a = 1 m sphere) with brine 5 K below the rock: the
    pressure follows the brine's thermal expansion, β_total ΔP = α ΔT_b(t), with T_b from the
    Carslaw & Jaeger closed form (1 %; measured 0.6 % in T_b and in ΔP, 631 steps), and the
    brine mass balance closes."""
    law = SaltLaw(E=1e14, nu=0.3)
    brine = Brine(initial_temperature_deficit=5.0, heat="conduction", salt_conductivity=6.0, salt_diffusivity=3e-6)
    end = 3e6  # s: ~9 a²/κ
    sim, _ = sphere_simulation(comm, [Phase(0.0, "shut_in")], brine=brine, law=law, end=end, h_wall=0.25, h_far=3.0,
                               dt_min=10.0, dt_max=5e3, dp_max=50e6, growth=1.2)
    sim.P[:] = P_CAV
    rows = sim.run(resume=False).rows
    t = np.array([r["time_yr"] for r in rows]) * YEAR
    P = np.array([r["pressure_MPa"] for r in rows]) * 1e6
    Tb = np.array([r["brine_T_C"] for r in rows]) + 273.15
    a = (3 * sim.model.V0[0] / (4 * np.pi)) ** (1 / 3)
    theta = stirred_sphere_temperature(t, a=a, theta0=-5.0, k_salt=6.0, kappa_salt=3e-6, rho_c_brine=brine.density * brine.specific_heat)
    assert np.abs(Tb - 300.0 - theta).max() < 0.01 * 5  # the brine node follows the closed form
    beta = brine.compressibility - 3 * an.lame_sphere_wall_displacement(dP=1.0, a=A, G=law.G, K=law.K, b=B) / A
    dP_exact = brine.thermal_expansion * (theta - theta[0]) / beta
    assert P[-1] - P[0] > 0.5 * brine.thermal_expansion * 5 / beta  # most of the 5 K are recovered
    assert np.abs(P - P[0] - dP_exact).max() < 0.01 * dP_exact[-1]
    assert max(abs(r["mass_balance_error"]) for r in rows) < 1e-9


def test_heat_keys():
    import copy

    from subsidence.config import case_from_dict
    from subsidence.config.errors import CaseError

    from cavern_helpers import BASE

    d = copy.deepcopy(BASE)
    d["operation"] = [{"mode": "open"}, {"mode": "shut_in", "start": 1}]
    d["brine"] = {"heat": "conduction", "salt_thermal_conductivity": "5.5 W/(m*K)", "specific_heat": "3.3 kJ/(kg*K)"}
    b = case_from_dict(d, file="test.toml").config.brine
    assert b.heat == "conduction" and b.salt_conductivity == 5.5 and b.specific_heat == 3300.0
    d["brine"]["warming_time"] = "10 yr"
    with pytest.raises(CaseError) as exc:
        case_from_dict(d, file="test.toml")
    assert exc.value.key == "brine.warming_time"
