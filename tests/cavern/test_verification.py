"""FE creep model against closed-form cavity solutions (docs/caverns.md, "Verification").

Mesh: quarter annulus a = 1 < ρ < b = 10, P2 on a curved P2 mesh, h = 0.1 at the wall.
"""

import numpy as np
import pytest
from mpi4py import MPI

from subsidence.cavern import analytic as an
from subsidence.cavern.brine import Brine
from subsidence.cavern.material import SaltLaw
from subsidence.cavern.operations import Phase

from cavern_helpers import A, B, P_CAV, P_FAR, brine_balance_run, run_steady, shell_model, sphere_simulation

pytestmark = pytest.mark.fem


@pytest.mark.parametrize("kind", ["axisymmetric", "plane_strain"])
def test_lame_thick_shell(comm, kind):
    """Elastic wall displacement of a thick sphere / plane-strain cylinder (wrong loads, normals,
    axisymmetric hoop strain or volume functional would show here)."""
    model, law = shell_model(comm, kind=kind, law=SaltLaw(E=25e9, nu=0.3))
    model.solve_step(0.0, np.array([P_CAV]), np.array([False]))
    dim = 3 if kind == "axisymmetric" else 2
    u_fe = (model.volumes()[0] / model.V0[0] - 1) / dim * A
    f = an.lame_sphere_wall_displacement if kind == "axisymmetric" else an.lame_cylinder_wall_displacement
    u_ex = f(dP=P_FAR - P_CAV, a=A, G=law.G, K=law.K, b=B)
    assert u_fe == pytest.approx(u_ex, rel=2e-3)
    # the infinite-medium formula −ΔP a/(4G) is the b → ∞ limit of the thick-shell one
    assert f(dP=1.0, a=A, G=law.G, K=law.K, b=1e6) == pytest.approx(f(dP=1.0, a=A, G=law.G, K=law.K), rel=1e-6)


@pytest.mark.parametrize("kind", ["axisymmetric", "plane_strain"])
def test_norton_steady_closure(comm, kind):
    """Steady Norton closure with the finite-domain correction, within 2 %."""
    model, law = shell_model(comm, kind=kind)
    rate = run_steady(model, P_CAV)
    f = an.norton_sphere_closure_rate if kind == "axisymmetric" else an.norton_cylinder_closure_rate
    exact = f(dP=P_FAR - P_CAV, A_star=law.A / law.sigma_ref**law.n, n=law.n, a=A, b=B)
    assert rate == pytest.approx(exact, rel=0.02)
    # the correction matters here (4.3× for the sphere): an infinite-medium answer would fail
    inf = f(dP=P_FAR - P_CAV, A_star=law.A / law.sigma_ref**law.n, n=law.n)
    assert abs(rate / inf - 1) > 0.5


def test_sealed_sphere_pressure_buildup(comm):
    """Sealed isothermal impermeable sphere against (P∞−P)^(1−n) = ΔP0^(1−n) + (n−1)Kt/β.

    E is large so that the rock's elastic compressibility and transient are negligible
    (the closed form assumes steady creep); its small elastic compressibility is added to β.
    """
    law = SaltLaw(E=1e14, nu=0.3, A=1e-6, n=5, sigma_ref=1e6)
    brine = Brine()
    sim, _ = sphere_simulation(comm, [Phase(0.0, "pressure", pressure=P_CAV), Phase(0.05, "shut_in")], brine=brine, law=law, end=5.0, h_wall=0.2, h_far=3.0)
    res = sim.run(resume=False)
    rows = [r for r in res.rows if r["mode"] == "shut_in"]
    t = np.array([r["time_yr"] for r in rows]) * 365.25 * 86400
    P = np.array([r["pressure_MPa"] for r in rows]) * 1e6
    beta_el = -3 * an.lame_sphere_wall_displacement(dP=1.0, a=A, G=law.G, K=law.K, b=B) / A
    exact = an.sealed_sphere_pressure(
        t - t[0], P_far=P_FAR, dP0=P_FAR - P[0], A_star=law.A / 1e30, n=5, beta=brine.compressibility + beta_el, a=A, b=B
    )
    assert P[-1] - P[0] > 4e6  # the pressure really builds up
    np.testing.assert_allclose(P_FAR - P, P_FAR - exact, rtol=0.02)


def test_brine_mass_balance_closes(comm):
    """Shut-in with warming and permeation, then CBBO cycles: brine mass conserved to 1e-6.

    Recomputed from the reported P, T, V and the bled / permeated volumes."""
    rows, P, err = brine_balance_run(comm)
    assert np.abs(err).max() < 1e-6
    assert max(abs(r["mass_balance_error"]) for r in rows) < 1e-6
    cycles = sum(r["event"] == "p_low" for r in rows)  # releases that ended at p_low
    assert cycles >= 2 and rows[-1]["bled_m3"] > 0 and rows[-1]["permeated_m3"] > 0
    # after the first release the pressure stays between the thresholds (0.1 % of the band)
    first = next(k for k, r in enumerate(rows) if r["status"] == "bleeding")
    first = next(k for k in range(first, len(rows)) if rows[k]["status"] == "sealed")
    assert P[first:].max() <= 12e6 + 1.01e3 and P[first:].min() >= 11e6 - 1.01e3


def test_same_result_on_one_and_more_ranks(comm):
    """The model on COMM_WORLD (2 ranks under mpiexec) equals the serial model on COMM_SELF."""
    if comm.size == 1:
        pytest.skip("compares a distributed run with a serial one; run under mpiexec -n 2")
    phases = [Phase(0.0, "pressure", pressure=P_CAV), Phase(0.05, "shut_in")]
    out = []
    for c in (comm, MPI.COMM_SELF):
        sim, _ = sphere_simulation(c, phases, end=2.0, h_wall=0.2, h_far=3.0)
        rows = sim.run(resume=False).rows
        out.append(np.array([[r["pressure_MPa"], r["volume_m3"], r["fs_vansambeek"]] for r in rows]))
    assert out[0].shape == out[1].shape
    np.testing.assert_allclose(out[0], out[1], rtol=1e-8)


def test_norton_sphere_mesh_convergence(comm):
    """The steady-closure error falls at second order with the wall mesh size (h = 0.2, 0.1)."""
    errs = []
    for h in (0.2, 0.1):
        model, law = shell_model(comm, h_wall=h, h_far=20 * h)
        rate = run_steady(model, P_CAV)
        exact = an.norton_sphere_closure_rate(dP=P_FAR - P_CAV, A_star=law.A / law.sigma_ref**law.n, n=law.n, a=A, b=B)
        errs.append(abs(rate / exact - 1))
    assert np.log2(errs[0] / errs[1]) > 1.5
