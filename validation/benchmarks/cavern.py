"""Salt caverns (FE creep model, brine thermodynamics): page docs/caverns.md.

Verification geometry of tests/cavern (quarter annulus a = 1 m < ρ < b = 10 m, P∞ = 20 MPa,
cavern 10 MPa); the builders are imported from tests/cavern/cavern_helpers.py (and the creep-law
helpers from tests/cavern/test_creep_laws.py). Same tolerances as tests/cavern/test_verification.py,
test_creep_laws.py, test_leak_off.py, test_heat.py and test_mogi.py.
"""

import sys
from pathlib import Path

import numpy as np

from framework import Benchmark, Check

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT / "tests/cavern") not in sys.path:
    sys.path.insert(0, str(ROOT / "tests/cavern"))

YEAR = 365.25 * 86400.0


def _lame(tmp):
    from mpi4py import MPI

    from cavern_helpers import A, B, P_CAV, P_FAR, shell_model

    from subsidence.cavern import analytic as an
    from subsidence.cavern.material import SaltLaw

    out = []
    for kind, dim, f, label in (("axisymmetric", 3, an.lame_sphere_wall_displacement, "sphere"),
                                ("plane_strain", 2, an.lame_cylinder_wall_displacement, "cylinder")):
        model, law = shell_model(MPI.COMM_SELF, kind=kind, law=SaltLaw(E=25e9, nu=0.3))
        model.solve_step(0.0, np.array([P_CAV]), np.array([False]))
        u_fe = (model.volumes()[0] / model.V0[0] - 1) / dim * A  # mean wall displacement from the volume
        out.append(Check(f"{label}: wall displacement [m]", u_fe, f(dP=P_FAR - P_CAV, a=A, G=law.G, K=law.K, b=B),
                         rel_tol=2e-3))
    return out


def _norton(tmp):
    from mpi4py import MPI

    from cavern_helpers import A, B, P_CAV, P_FAR, run_steady, shell_model

    from subsidence.cavern import analytic as an

    out = []
    for kind, f, label in (("axisymmetric", an.norton_sphere_closure_rate, "sphere"),
                           ("plane_strain", an.norton_cylinder_closure_rate, "cylinder")):
        model, law = shell_model(MPI.COMM_SELF, kind=kind)
        rate = run_steady(model, P_CAV)
        exact = f(dP=P_FAR - P_CAV, A_star=law.A / law.sigma_ref**law.n, n=law.n, a=A, b=B)
        out.append(Check(f"{label}: steady dV/dt/V [1/s]", rate, exact, rel_tol=0.02))
    return out


def _sealed(tmp):
    from mpi4py import MPI

    from cavern_helpers import A, B, P_CAV, P_FAR, sphere_simulation

    from subsidence.cavern import analytic as an
    from subsidence.cavern.brine import Brine
    from subsidence.cavern.material import SaltLaw
    from subsidence.cavern.operations import Phase

    # stiff rock: the closed form assumes steady creep; its small elastic compressibility is added to β
    law = SaltLaw(E=1e14, nu=0.3, A=1e-6, n=5, sigma_ref=1e6)
    brine = Brine()
    sim, _ = sphere_simulation(MPI.COMM_SELF, [Phase(0.0, "pressure", pressure=P_CAV), Phase(0.05, "shut_in")],
                               brine=brine, law=law, end=5.0, h_wall=0.2, h_far=3.0)
    rows = [r for r in sim.run(resume=False).rows if r["mode"] == "shut_in"]
    t = np.array([r["time_yr"] for r in rows]) * YEAR
    P = np.array([r["pressure_MPa"] for r in rows]) * 1e6
    beta_el = -3 * an.lame_sphere_wall_displacement(dP=1.0, a=A, G=law.G, K=law.K, b=B) / A
    exact = an.sealed_sphere_pressure(t - t[0], P_far=P_FAR, dP0=P_FAR - P[0], A_star=law.A / 1e30, n=5,
                                      beta=brine.compressibility + beta_el, a=A, b=B)
    out = []
    ts = t - t[0]  # seconds since shut-in (the verification creep law is fast: ~5 s of build-up)
    for target in (0.25, 1.0, 2.0, ts[-1]):
        i = int(np.argmin(abs(ts - target)))
        out.append(Check(f"P∞ − P, {ts[i]:.2f} s after shut-in [MPa]", (P_FAR - P[i]) / 1e6, (P_FAR - exact[i]) / 1e6,
                         rel_tol=0.02))
    return out


def _mass_balance(tmp):
    from mpi4py import MPI

    from cavern_helpers import brine_balance_run

    rows, P, err = brine_balance_run(MPI.COMM_SELF)
    first = next(k for k, r in enumerate(rows) if r["status"] == "bleeding")
    first = next(k for k in range(first, len(rows)) if rows[k]["status"] == "sealed")
    return [Check("max |relative mass error|, recomputed", float(np.abs(err).max()), 0.0, abs_tol=1e-6),
            Check("max |mass_balance_error|, reported", float(max(abs(r["mass_balance_error"]) for r in rows)), 0.0,
                  abs_tol=1e-6),
            Check("max pressure after first bleed [MPa] (p_high)", P[first:].max() / 1e6, 12.0, abs_tol=1.01e-3,
                  unit="MPa"),
            Check("min pressure after first bleed [MPa] (p_low)", P[first:].min() / 1e6, 11.0, abs_tol=1.01e-3,
                  unit="MPa")]


def _linear_sphere(tmp):
    from mpi4py import MPI

    from cavern_helpers import A, B
    from test_creep_laws import A_LIN_ALONE, D_TEST, _fe_rate, _ps_A

    from subsidence.cavern import analytic as an
    from subsidence.cavern.material import SaltLaw

    law = SaltLaw(E=25e9, nu=0.3, ps_A=_ps_A(A_LIN_ALONE), grain_size=D_TEST)
    rate = _fe_rate(MPI.COMM_SELF, law, 10e6)
    exact = an.norton_sphere_closure_rate(dP=10e6, A_star=A_LIN_ALONE, n=1, a=A, b=B)
    return [Check("n = 1: steady dV/dt/V [1/s]", rate, exact, rel_tol=0.01)]


def _summed_sphere(tmp):
    from mpi4py import MPI

    from cavern_helpers import A, B
    from test_creep_laws import A_LIN, D_TEST, NORTON, _fe_rate, _ps_A

    from subsidence.cavern import analytic as an
    from subsidence.cavern.material import SaltLaw

    law = SaltLaw(E=25e9, nu=0.3, **NORTON, ps_A=_ps_A(A_LIN), grain_size=D_TEST)
    A5 = NORTON["A"] / NORTON["sigma_ref"] ** 5
    out = []
    for dP, limit in ((10e6, "norton"), (0.1e6, "linear"), (1.5e6, None)):
        rate = _fe_rate(MPI.COMM_SELF, law, dP)
        both = an.sphere_steady_closure_rate(dP=dP, rate=lambda s: A5 * s**5 + A_LIN * s,
                                             drate=lambda s: 5 * A5 * s**4 + A_LIN, a=A, b=B)
        out.append(Check(f"ΔP = {dP / 1e6:g} MPa: dV/dt/V vs summed law [1/s]", rate, both, rel_tol=0.01))
        if limit == "norton":
            out.append(Check(f"ΔP = {dP / 1e6:g} MPa: dV/dt/V vs Norton n = 5 limit [1/s]", rate,
                             an.norton_sphere_closure_rate(dP=dP, A_star=A5, n=5, a=A, b=B), rel_tol=0.02))
        elif limit == "linear":
            out.append(Check(f"ΔP = {dP / 1e6:g} MPa: dV/dt/V vs linear n = 1 limit [1/s]", rate,
                             an.norton_sphere_closure_rate(dP=dP, A_star=A_LIN, n=1, a=A, b=B), rel_tol=0.02))
    return out


def _munson_dawson(tmp):
    from scipy.integrate import solve_ivp

    from test_creep_laws import T_TEST, _md_creep_test, _md_rhs

    from subsidence.cavern.material import wipp_clean_salt

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
    return [Check("80 steps/phase: max |creep strain error| / max strain", float(errs[1, 0]), 0.0, abs_tol=5e-3),
            Check("80 steps/phase: max |ζ error| / max ζ", float(errs[1, 1]), 0.0, abs_tol=2e-2),
            Check("error ratio 40/80 steps, creep strain (first order)", float(errs[0, 0] / errs[1, 0]), 2.0, abs_tol=0.3),
            Check("error ratio 40/80 steps, ζ (first order)", float(errs[0, 1] / errs[1, 1]), 2.0, abs_tol=0.3)]


def _leak_off(tmp):
    from mpi4py import MPI

    from cavern_helpers import A, B, P_CAV, P_FAR, sphere_simulation

    from subsidence.cavern import analytic as an
    from subsidence.cavern.brine import Brine
    from subsidence.cavern.material import SaltLaw
    from subsidence.cavern.operations import Phase

    law = SaltLaw(E=1e14, nu=0.3, A=1e-6, n=5, sigma_ref=1e6)
    cap = P_FAR - 7e6
    brine = Brine(leak_off=True, leak_margin=P_FAR - cap)
    sim, _ = sphere_simulation(MPI.COMM_SELF, [Phase(0.0, "pressure", pressure=P_CAV), Phase(0.05, "shut_in")],
                               brine=brine, law=law, end=3.0, h_wall=0.2, h_far=3.0)
    rows = sim.run(resume=False).rows
    t = np.array([r["time_yr"] for r in rows]) * YEAR
    P = np.array([r["pressure_MPa"] for r in rows]) * 1e6
    V = np.array([r["volume_m3"] for r in rows])
    leaked = np.array([r["leaked_m3"] for r in rows])
    events = [r["event"] for r in rows]
    if events.count("leak_off") != 1:
        raise RuntimeError(f"expected one leak_off event, got {events.count('leak_off')}")
    k = events.index("leak_off")
    s0 = next(i for i, r in enumerate(rows) if r["mode"] == "shut_in")
    beta = brine.compressibility - 3 * an.lame_sphere_wall_displacement(dP=1.0, a=A, G=law.G, K=law.K, b=B) / A
    corr = 1.0 - (A / B) ** (3.0 / 5)
    Kc = 1.5 * law.A / 1e30 * (3.0 / (2 * 5 * corr)) ** 5
    exact = an.sealed_sphere_pressure(t[k] - t[s0], P_far=P_FAR, dP0=P_FAR - P[s0], A_star=law.A / 1e30, n=5, beta=beta,
                                      a=A, b=B)
    t_cap = beta * ((P_FAR - cap) ** -4 - (P_FAR - P[s0]) ** -4) / (4 * Kc)
    rate = an.norton_sphere_closure_rate(dP=P_FAR - cap, A_star=law.A / 1e30, n=5, a=A, b=B)
    lost = V[k] - V[k:]  # volume lost since the cap (row k on)
    return [Check("P∞ − P when the cap is reached, vs sealed-sphere closed form [MPa]", (P_FAR - P[k]) / 1e6,
                  float(P_FAR - exact) / 1e6, rel_tol=0.02),
            Check("time from shut-in to the cap [s]", float(t[k] - t[s0]), float(t_cap), rel_tol=0.04),
            Check("max pressure, vs the cap 13 MPa [MPa]", float(P.max()) / 1e6, cap / 1e6, abs_tol=1e-3 * cap / 1e6, unit="MPa"),
            Check("leaked volume at the end vs volume lost since the cap [m3]", float(leaked[-1]), float(lost[-1]),
                  abs_tol=1e-9 * abs(float(lost[-1])) + 1e-12 * V[0], unit="m3"),
            Check("max |leaked − lost| over the rows since the cap / lost at the end",
                  float(np.abs(leaked[k:] - lost).max() / abs(lost[-1])), 0.0, abs_tol=1e-9),
            Check("leaked volume at the end vs steady Norton closure at ΔP = 7 MPa [m3]", float(leaked[-1]),
                  float(-rate * V[k] * (t[-1] - t[k])), rel_tol=0.02),
            Check("max |mass_balance_error|", float(max(abs(r["mass_balance_error"]) for r in rows)), 0.0, abs_tol=1e-9)]


def _heat(tmp):
    from subsidence.cavern.heat import BrineHeat, stirred_sphere_temperature

    V, k, kap, rc, tend = 5e5, 6.0, 3e-6, 1200 * 3500.0, 30 * YEAR
    errs, last = {}, {}
    for ns, n in ((200, 200), (400, 200), (400, 120), (400, 240)):
        h = BrineHeat(volume=V, T_rock=320.0, deficit=10.0, k_salt=k, kappa_salt=kap, rho_c_brine=rc, t_end=tend, n=n)
        ts, t, out = np.geomspace(3600.0, tend, ns), 0.0, []
        for t1 in ts:
            h.commit(t1 - t)
            t = t1
            out.append(h.brine_T - 320.0)
        ex = stirred_sphere_temperature(ts, a=h.a, theta0=-10.0, k_salt=k, kappa_salt=kap, rho_c_brine=rc)
        errs[(ns, n)] = np.abs(np.array(out) - ex).max() / 10
        last[(ns, n)] = np.array(out)
    return [Check("400 steps, 200 nodes: max |T_b − C&J| / θ0", float(errs[(400, 200)]), 0.0, abs_tol=3e-3),
            Check("error ratio 200/400 steps (first order)", float(errs[(200, 200)] / errs[(400, 200)]), 2.0, abs_tol=0.5),
            Check("120 vs 240 nodes: max |ΔT_b| / θ0", float(np.abs(last[(400, 120)] - last[(400, 240)]).max() / 10), 0.0,
                  abs_tol=1e-4)]


def _sealed_warming(tmp):
    from mpi4py import MPI

    from cavern_helpers import A, B, P_CAV, sphere_simulation

    from subsidence.cavern import analytic as an
    from subsidence.cavern.brine import Brine
    from subsidence.cavern.heat import stirred_sphere_temperature
    from subsidence.cavern.material import SaltLaw
    from subsidence.cavern.operations import Phase

    law = SaltLaw(E=1e14, nu=0.3)
    brine = Brine(initial_temperature_deficit=5.0, heat="conduction", salt_conductivity=6.0, salt_diffusivity=3e-6)
    sim, _ = sphere_simulation(MPI.COMM_SELF, [Phase(0.0, "shut_in")], brine=brine, law=law, end=3e6, h_wall=0.25,
                               h_far=3.0, dt_min=10.0, dt_max=5e3, dp_max=50e6, growth=1.2)
    sim.P[:] = P_CAV
    rows = sim.run(resume=False).rows
    t = np.array([r["time_yr"] for r in rows]) * YEAR
    P = np.array([r["pressure_MPa"] for r in rows]) * 1e6
    Tb = np.array([r["brine_T_C"] for r in rows]) + 273.15
    a = (3 * sim.model.V0[0] / (4 * np.pi)) ** (1 / 3)
    theta = stirred_sphere_temperature(t, a=a, theta0=-5.0, k_salt=6.0, kappa_salt=3e-6,
                                       rho_c_brine=brine.density * brine.specific_heat)
    beta = brine.compressibility - 3 * an.lame_sphere_wall_displacement(dP=1.0, a=A, G=law.G, K=law.K, b=B) / A
    dP_exact = brine.thermal_expansion * (theta - theta[0]) / beta
    return [Check("max |T_b − C&J| / 5 K", float(np.abs(Tb - 300.0 - theta).max() / 5), 0.0, abs_tol=0.01),
            Check("max |ΔP − α Δθ_b/β| / ΔP_end", float(np.abs(P - P[0] - dP_exact).max() / dP_exact[-1]), 0.0, abs_tol=0.01),
            Check("max |mass_balance_error|", float(max(abs(r["mass_balance_error"]) for r in rows)), 0.0, abs_tol=1e-9)]


def _mogi(tmp):
    from mpi4py import MPI

    from subsidence.cavern import geometry as geo
    from subsidence.cavern.material import SaltLaw
    from subsidence.cavern.model import CreepModel
    from subsidence.cavern.surface import SurfaceSampler, mogi_volume_fraction

    a_sph, depth, nu = 20.0, 1000.0, 0.3
    dep, rad = geo.cavern_profile("sphere", top_depth=depth - a_sph, bottom_depth=depth + a_sph)
    cm = geo.axisymmetric_cavern(MPI.COMM_SELF, depths=dep, radii=rad, domain_radius=40e3, domain_depth=40e3,
                                 interfaces=[], h_wall=2.0, h_far=2000.0)
    law = SaltLaw(E=25e9, nu=nu)
    model = CreepModel(cm, zone_laws=[law], temperature=lambda z: 300.0 + 0 * z, p_lith=lambda z: 2160 * 9.81 * -z,
                       brine_gradient=[0.012e6], shoe_z=[-(depth - a_sph)])
    sampler = SurfaceSampler(model)
    r = np.linspace(0.0, 1000.0, 11)
    states = []
    for P in (12e6, 10e6):  # a 2 MPa pressure drop at the shoe
        model.solve_step(0.0, np.array([P]), np.array([False]))
        states.append((model.volumes()[0], sampler.on_points(r, 0 * r)[2], [sampler.volume(R) for R in (3e3, 5e3)]))
    dV = states[1][0] - states[0][0]
    duz = states[1][1] - states[0][1]
    mogi = (1 - nu) * dV * depth / (np.pi * (r**2 + depth**2) ** 1.5)
    j = int(np.argmax(np.abs(duz / mogi - 1)))
    out = [Check("cavity ΔV vs π a³ ΔP / G [m3]", float(dV), float(np.pi * a_sph**3 * -2e6 / law.G), rel_tol=0.01),
           Check(f"surface uz vs Mogi, worst of r = 0-1 km (r = {r[j]:.0f} m) [m]", float(duz[j]), float(mogi[j]), rel_tol=5e-3)]
    for k, R in enumerate((3e3, 5e3)):
        out.append(Check(f"bowl volume within R = {R / 1e3:.0f} km vs 2(1 − ν)ΔV·(1 − d/√(R² + d²)) [m3]",
                         float(states[1][2][k] - states[0][2][k]), float(2 * (1 - nu) * dV * mogi_volume_fraction(R, depth)),
                         rel_tol=0.015))
    return out


PAGE = "docs/caverns.md"

def _own_dilatancy(tmp):
    from mpi4py import MPI

    from cavern_helpers import P_CAV, shell_model
    from test_dilatancy_criteria import PRINC, QUAD
    from test_fos_convergence import wall_stresses

    from subsidence.cavern.indicators import WallIndicators
    from subsidence.cavern.material import SaltLaw

    model, _ = shell_model(MPI.COMM_SELF, law=SaltLaw(E=25e9, nu=0.3, A=1e-6), h_wall=0.05, h_far=1.0)
    model.solve_step(0.0, np.array([P_CAV]), np.array([False]))
    model.commit()
    rec = WallIndicators(model, dilatancy=(QUAD, PRINC)).evaluate(np.array([P_CAV]))[0]
    sr, (t1, t2) = wall_stresses("axisymmetric")
    s = np.array([sr, t1, t2])
    s_oct, t_oct = s.mean(), np.sqrt(((s[0] - s[1]) ** 2 + (s[1] - s[2]) ** 2 + (s[2] - s[0]) ** 2)) / 3
    exact = {"quad": np.polynomial.polynomial.polyval(s_oct, QUAD.coefficients) / t_oct,
             "princ": np.polynomial.polynomial.polyval(s.min(), PRINC.coefficients) / (s.max() - s.min())}
    return [Check(f"FS of the {k} boundary on the wall", rec["fs_" + k], v, rel_tol=2e-3) for k, v in exact.items()]


def _volume_balance(tmp):
    from mpi4py import MPI

    from test_volume_balance import _run

    out = []
    for nu in (0.3, 0.49):
        model, _ = _run(MPI.COMM_SELF, nu, f"valvb{int(100 * nu)}_")
        b = model.volume_balance()
        out.append(Check(f"ν = {nu}: bowl [m³] against cavity + rock", b["surface_m3"], b["cavity_m3"] + b["rock_m3"],
                         rel_tol=1e-8))
    out.append(Check("ν = 0.49: bowl / closure (incompressible limit 1)", b["surface_m3"] / b["cavity_m3"], 1.0,
                     rel_tol=0.1))
    return out

def _wall_3d(tmp):
    from mpi4py import MPI

    from cavern_helpers import A, B, P_CAV, P_FAR, octant_model
    from test_fos_convergence import closed_form_indicators

    from subsidence.cavern import analytic as an
    from subsidence.cavern.indicators import WallIndicators

    model, law = octant_model(MPI.COMM_SELF, h_wall=0.1, h_far=2.0, prefix="val3d_")
    model.solve_step(0.0, np.array([P_CAV]), np.array([False]))
    model.commit()
    rec = WallIndicators(model).evaluate(np.array([P_CAV]))[0]
    exact, _ = closed_form_indicators("axisymmetric")
    out = [Check("wall displacement [m] (from the volume)", (model.volumes()[0] / model.V0[0] - 1) / 3 * A,
                 an.lame_sphere_wall_displacement(dP=P_FAR - P_CAV, a=A, G=law.G, K=law.K, b=B), rel_tol=1e-3)]
    out += [Check(f"{k} on the wall", rec[k], v, rel_tol=3e-3) for k, v in exact.items()]
    out += [Check(f"{k} in the roof", rec["roof_" + k], v, rel_tol=3e-3) for k, v in exact.items()]
    return out


BENCHMARKS = [
    Benchmark("cavern-lame", "elastic sphere and plane-strain cylinder, a=1, b=10, ΔP=10 MPa, P2 curved mesh",
              "tests/cavern/cavern_helpers.py shell_model", "Lamé thick shell (subsidence.cavern.analytic)", PAGE, _lame),
    Benchmark("cavern-norton-steady", "Norton creep n=5, steady closure of sphere and cylinder, ΔP=10 MPa",
              "tests/cavern/cavern_helpers.py run_steady", "closed-form steady closure with finite-domain factor "
              "1 − (a/b)^(3/n), 1 − (a/b)^(2/n)", PAGE, _norton),
    Benchmark("cavern-sealed-sphere", "sealed isothermal impermeable sphere, pressure build-up after shut-in (10 → ~14.7 MPa)",
              "tests/cavern/cavern_helpers.py sphere_simulation", "(P∞−P)^(1−n) = ΔP0^(1−n) + (n−1)Kt/β", PAGE, _sealed),
    Benchmark("cavern-brine-mass-balance", "shut-in with warming and permeation, then CBBO cycles 11–12 MPa",
              "tests/cavern/cavern_helpers.py sphere_simulation", "brine mass conservation ρ(P,T)V + outflow = const",
              PAGE, _mass_balance),
    Benchmark("cavern-linear-sphere", "pressure-solution (n = 1) creep alone, steady closure of the sphere, ΔP = 10 MPa",
              "tests/cavern/test_creep_laws.py _fe_rate", "Norton closed form with n = 1, finite shell", PAGE, _linear_sphere),
    Benchmark("cavern-summed-law-sphere", "Norton n = 5 + linear (equal at 0.5 MPa), ΔP = 10, 0.1 and 1.5 MPa",
              "tests/cavern/test_creep_laws.py _fe_rate", "semi-analytic steady sphere for the summed law; the Norton "
              "and linear closed forms in their limits", PAGE, _summed_sphere),
    Benchmark("cavern-munson-dawson", "WIPP clean salt at 300 K, 12 MPa 2 yr then 8 MPa 2 yr, point update",
              "tests/cavern/test_creep_laws.py _md_creep_test", "Munson–Dawson ODE by solve_ivp (Radau, rtol 1e-10)",
              PAGE, _munson_dawson),
    Benchmark("cavern-leak-off", "sealed sphere from 10 MPa, pressure capped at P∞ − 7 MPa = 13 MPa",
              "tests/cavern/cavern_helpers.py sphere_simulation", "sealed-sphere closed form to the cap; volume balance "
              "and steady Norton closure after it", PAGE, _leak_off),
    Benchmark("cavern-brine-heat", "0.5 Mm³ cavern, brine 10 K cold, 30 years of radial conduction",
              "subsidence.cavern.heat BrineHeat", "stirred fluid sphere in an infinite medium (Carslaw & Jaeger §9.8)",
              PAGE, _heat),
    Benchmark("cavern-mogi", "20 m elastic sphere at 1 km depth, 2 MPa pressure drop, 40 km domain",
              "subsidence.cavern.surface SurfaceSampler", "Mogi point source; bowl volume 2(1 − ν)ΔV", PAGE, _mogi),
    Benchmark("cavern-own-dilatancy", "elastic sphere a = 1, b = 10, ΔP = 10 MPa: a quadratic octahedral boundary and a "
              "quadratic boundary in (σ3, σ1 − σ3) as [[indicators.dilatancy]]", "tests/cavern/test_dilatancy_criteria.py",
              "the boundaries on the Lamé wall stresses", PAGE, _own_dilatancy),
    Benchmark("cavern-wall-3d", "elastic sphere in 3D (an eighth, rollers on the symmetry planes), a = 1, b = 10, "
              "ΔP = 10 MPa, h_wall 0.1 a", "tests/cavern/test_fos_convergence.py", "Lamé wall stresses: Van Sambeek, "
              "De Vries and σmin − P on the wall and in the roof; Lamé wall displacement", PAGE, _wall_3d),
    Benchmark("cavern-volume-balance", "100 m domed cylinder at 800–900 m, open 2 yr, Norton n = 5, roller box 6 × 3 km",
              "tests/cavern/test_volume_balance.py _run", "divergence theorem (bowl = cavity + rock); incompressible "
              "limit bowl = closure", PAGE, _volume_balance),
    Benchmark("cavern-sealed-warming", "sealed elastic creep-free sphere (a = 1 m), brine 5 K cold, 3e6 s",
              "tests/cavern/cavern_helpers.py sphere_simulation", "β ΔP = α Δθ_b with θ_b of Carslaw & Jaeger §9.8",
              PAGE, _sealed_warming),
]
