"""Wall indicators against the Lamé stresses; checkpoint/resume; periodic releases."""

import numpy as np
import pytest

from subsidence.cavern.indicators import WallIndicators, dilatancy_factors, invariants
from subsidence.cavern.material import SaltLaw
from subsidence.cavern.operations import Phase
from subsidence.cavern.simulate import Interrupted

from cavern_helpers import A, B, P_CAV, P_FAR, shell_model, sphere_simulation

pytestmark = pytest.mark.fem


def lame_sphere_stress(rho, P, Pf):
    """Compression-positive (σ_rr, σ_θθ) in a thick sphere with pressures P at a, Pf at b."""
    Bc = (P - Pf) * A**3 * B**3 / (B**3 - A**3)
    Ac = -P + Bc / A**3
    return -(Ac - Bc / rho**3), -(Ac + Bc / (2 * rho**3))


def test_wall_indicators_match_lame(comm):
    """Elastic sphere: the minimum dilatancy factors and tension margin at the wall, and where
    they occur, follow from the Lamé stresses (guards sign conventions, Lode angle, units)."""
    # a creeping law (the dilatancy factors are for salt) on its instantaneous elastic step
    model, _ = shell_model(comm, law=SaltLaw(E=25e9, nu=0.3, A=1e-6), h_wall=0.05, h_far=1.0)
    model.solve_step(0.0, np.array([P_CAV]), np.array([False]))
    model.commit()
    rec = WallIndicators(model).evaluate(np.array([P_CAV]))[0]
    # the values at the integration points next to the wall (``ip_``); those on the wall are
    # checked against the wall stresses in test_fos_convergence.py
    for key, which in (("ip_fs_vansambeek", 0), ("ip_fs_devries", 1), ("ip_tension_margin_MPa", 2)):
        rho = np.hypot(rec[key + "_r"], rec[key + "_depth"])
        assert A < rho < A + 0.06
        sr, st = lame_sphere_stress(rho, P_CAV, P_FAR)
        sc = np.diag([sr, st, st])[None] / 1e6
        I1, sq, psi, _ = invariants(sc)
        assert psi[0] == pytest.approx(np.pi / 6, abs=1e-6)  # σ1 = σ2 > σ3: extension
        vs, dv = dilatancy_factors(I1, sq, psi)
        expected = (vs[0], dv[0], (st - P_CAV) / 1e6)[which]
        assert rec[key] == pytest.approx(expected, rel=0.01)


def test_resume_gives_the_uninterrupted_result(comm, tmp_path):
    """Interrupt at a checkpoint step, resume from the checkpoint: identical history."""
    tmp = comm.bcast(str(tmp_path), root=0)
    phases = [Phase(0.0, "pressure", pressure=P_CAV), Phase(0.05, "cbbo", p_high=11e6, p_low=10.5e6, rate=2e-2)]
    kw = dict(end=1.0, h_wall=0.25, h_far=3.0)
    ref, _ = sphere_simulation(comm, phases, **kw)
    rows_ref = ref.run(resume=False).rows
    sim, _ = sphere_simulation(comm, phases, **kw)
    sim.ckdir, sim.ckkey = __import__("pathlib").Path(tmp) / "ck", "k"
    with pytest.raises(Interrupted):
        sim.run(stop_after=20)  # checkpoint_every = 20
    again, _ = sphere_simulation(comm, phases, **kw)
    again.ckdir, again.ckkey = sim.ckdir, "k"
    rows = again.run().rows
    assert len(rows) == len(rows_ref) > 25
    for a, b in zip(rows, rows_ref):
        for k in ("time_yr", "pressure_MPa", "volume_m3", "bled_m3", "fs_devries"):
            assert a[k] == pytest.approx(b[k], rel=1e-10, abs=1e-14)
    # a checkpoint of another case (key) is ignored
    other, _ = sphere_simulation(comm, phases, **kw)
    other.ckdir, other.ckkey = sim.ckdir, "another case"
    assert not other.try_resume()


def test_periodic_releases_volume(comm):
    """CBBO every 0.5 s of 1e-3 m³: bled volume = releases × volume, pressure drops at each."""
    phases = [Phase(0.0, "pressure", pressure=P_CAV), Phase(0.1, "cbbo", interval=0.5, volume=1e-3, rate=1e-2)]
    sim, _ = sphere_simulation(comm, phases, end=1.75, h_wall=0.25, h_far=3.0)
    rows = sim.run(resume=False).rows
    before = [r["bled_m3"] for r in rows if r["mode"] == "pressure"][-1]  # out-flow of the held-pressure phase
    assert rows[-1]["bled_m3"] - before == pytest.approx(3e-3, rel=1e-9)
    starts = [k for k in range(1, len(rows)) if rows[k]["releases"] > rows[k - 1]["releases"]]
    assert len(starts) == 3 and rows[-1]["releases"] == 3
    for k in starts:
        assert rows[k]["pressure_MPa"] < rows[k - 1]["pressure_MPa"]
