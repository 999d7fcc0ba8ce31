"""Salt caverns (FE creep model, brine thermodynamics): page docs/caverns.md.

Verification geometry of tests/cavern (quarter annulus a = 1 m < ρ < b = 10 m, P∞ = 20 MPa,
cavern 10 MPa); the builders are imported from tests/cavern/cavern_helpers.py. Same tolerances
as tests/cavern/test_verification.py.
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


PAGE = "docs/caverns.md"
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
]
