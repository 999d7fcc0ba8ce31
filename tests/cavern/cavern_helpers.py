"""Small builders shared by the cavern tests (verification geometry: a = 1, b = 10)."""

import numpy as np

from subsidence.cavern.brine import Brine
from subsidence.cavern.geometry import octant_shell, quarter_annulus
from subsidence.cavern.indicators import WallIndicators
from subsidence.cavern.material import SaltLaw
from subsidence.cavern.model import CreepModel
from subsidence.cavern.operations import Operator
from subsidence.cavern.simulate import CavernSpec, Simulation, TimeControl

A, B = 1.0, 10.0
P_FAR, P_CAV = 20e6, 10e6


def shell_model(comm, *, kind="axisymmetric", law=None, h_wall=0.1, h_far=2.0):
    cm = quarter_annulus(comm, a=A, b=B, h_wall=h_wall, h_far=h_far, kind=kind)
    law = law or SaltLaw(E=25e9, nu=0.3, A=1e-6, n=5, sigma_ref=1e6)
    model = CreepModel(
        cm, zone_laws=[law], temperature=lambda z: 300.0 + 0 * z, p_lith=lambda z: P_FAR + 0 * z,
        brine_gradient=[0.0], shoe_z=[0.0],
    )
    return model, law


def octant_model(comm, *, law=None, h_wall=0.1, h_far=2.0, prefix="cavern_"):
    """The 3D counterpart of :func:`shell_model`: an eighth of the sphere a < ρ < b, rollers on the
    three symmetry planes (elastic by default)."""
    law = law or SaltLaw(E=25e9, nu=0.3, A=1e-6)
    model = CreepModel(
        octant_shell(comm, a=A, b=B, h_wall=h_wall, h_far=h_far), zone_laws=[law], temperature=lambda z: 300.0 + 0 * z,
        p_lith=lambda z: P_FAR + 0 * z, brine_gradient=[0.0], shoe_z=[0.0], prefix=prefix,
    )
    return model, law


def sphere_simulation(comm, phases, *, brine=None, law=None, end=20.0, dp_max=0.1e6, h_wall=0.1, h_far=2.0, **tc):
    model, law = shell_model(comm, law=law, h_wall=h_wall, h_far=h_far)
    brine = brine or Brine()
    op = Operator(phases, brine_gradient=0.0, shoe_depth=1.0)
    spec = CavernSpec("c", 1.0, op, brine, 300.0, 1.0, P_FAR)
    tcs = TimeControl(**{"end": end, "dt_min": 1e-4, "dt_max": 1.0, "growth": 1.3, "dp_max": dp_max, **tc})
    return Simulation(model, [spec], tcs, indicators=WallIndicators(model)), law


def interrupted_and_resumed(comm, tmp_path, phases, *, stop_after: int, **kw):
    """The same sphere simulation run uninterrupted, and run with an interruption after
    ``stop_after`` steps then resumed from its checkpoint: (reference, its rows, resumed, its rows)."""
    import pathlib

    import pytest

    from subsidence.cavern.simulate import Interrupted

    tmp = comm.bcast(str(tmp_path), root=0)
    ref, _ = sphere_simulation(comm, phases, **kw)
    rows_ref = ref.run(resume=False).rows
    sim, _ = sphere_simulation(comm, phases, **kw)
    sim.ckdir, sim.ckkey = pathlib.Path(tmp) / "ck", "k"
    with pytest.raises(Interrupted):
        sim.run(stop_after=stop_after)
    again, _ = sphere_simulation(comm, phases, **kw)
    again.ckdir, again.ckkey = sim.ckdir, "k"
    return ref, rows_ref, again, again.run().rows


def run_steady(model, P, *, t_end=2000.0, dt0=1e-4, growth=1.5):
    """Elastic step then creep at constant pressure; returns the last V̇/V0."""
    model.solve_step(0.0, np.array([P]), np.array([False]))
    model.commit()
    v_old, dt, t, rate = model.volumes()[0], dt0, 0.0, None
    while t < t_end:
        model.solve_step(dt, np.array([P]), np.array([False]))
        model.commit()
        v = model.volumes()[0]
        rate = (v - v_old) / dt / model.V0[0]
        v_old, t, dt = v, t + dt, dt * growth
    return rate


def brine_balance_run(comm):
    """Shut-in with warming and permeation, then CBBO cycles between 12 and 11 MPa.

    Returns (rows of the run, pressure P [Pa], relative brine-mass error per row), the error
    recomputed independently from the reported P, T, V and the volumes that left the cavern.
    """
    from subsidence.cavern.operations import Phase

    brine = Brine(initial_temperature_deficit=5.0, warming_time=2.0, permeability=1e-14, viscosity=1e-3)
    phases = [Phase(0.0, "pressure", pressure=P_CAV), Phase(0.02, "cbbo", p_high=12e6, p_low=11e6, rate=1e-2)]
    sim, _ = sphere_simulation(comm, phases, brine=brine, end=4.5, h_wall=0.25, h_far=3.0)
    rows = sim.run(resume=False).rows
    P = np.array([r["pressure_MPa"] for r in rows]) * 1e6
    T = np.array([r["brine_T_C"] for r in rows]) + 273.15
    V = np.array([r["volume_m3"] for r in rows])
    out = np.diff([r["bled_m3"] - r["injected_m3"] + r["permeated_m3"] for r in rows], prepend=0.0)
    rho = np.exp(brine.compressibility * P - brine.thermal_expansion * T)
    mass = rho * V
    return rows, P, (mass + np.cumsum(rho * out) - mass[0]) / mass[0]


#: a small axisymmetric cavern case (seconds to run), shared by the case-file tests
BASE = {
    "name": "small cavern",
    "kind": "cavern",
    "geometry": {"type": "axisymmetric", "domain_radius": 1500, "domain_depth": 1500, "mesh_size_wall": 12, "mesh_size_far": 300},
    "layers": [
        {"name": "overburden", "bottom_depth": 400, "density": 2250, "youngs_modulus": "8 GPa", "poisson_ratio": 0.3},
        {"name": "salt", "bottom_depth": 1500, "density": 2160, "youngs_modulus": "25 GPa", "poisson_ratio": 0.3,
         "creep": {"A": "0.18 1/d", "n": 5, "Q": "54 kJ/mol"}},
    ],
    "caverns": [{"name": "A", "top_depth": 800, "bottom_depth": 900, "radius": 25, "dome_height": 15}],
    "time": {"end": 3, "dt_max": 1, "outputs": [1, 2, 3]},
    "surface": {"n": 9},
}
