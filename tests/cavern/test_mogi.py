"""Surface displacement above a pressurised spherical cavern in elastic salt: Mogi.

A change of cavern pressure changes the cavity volume by ΔV; in an elastic half-space the
surface moves by uz(r) = (1 − ν) ΔV d / (π (r² + d²)^{3/2}) (ΔV < 0, closure: subsidence;
issue 13 writes it with the volume loss −ΔV). Checked for a 20 m sphere at 1 km depth up to
r = 1 km within 0.5 %. The model's rollers (sides, bottom) make it a finite domain: at 40 km
the measured error is below 0.1 % (at 10 km up to 1 %).
"""

import numpy as np
import pytest

pytestmark = pytest.mark.fem

A_SPH, DEPTH, E, NU = 20.0, 1000.0, 25e9, 0.3


def test_surface_displacement_follows_mogi(comm):
    from subsidence.cavern import geometry as geo
    from subsidence.cavern.material import SaltLaw
    from subsidence.cavern.model import CreepModel
    from subsidence.cavern.surface import SurfaceSampler

    dep, rad = geo.cavern_profile("sphere", top_depth=DEPTH - A_SPH, bottom_depth=DEPTH + A_SPH)
    cm = geo.axisymmetric_cavern(comm, depths=dep, radii=rad, domain_radius=40e3, domain_depth=40e3, interfaces=[],
                                 h_wall=2.0, h_far=2000.0)
    law = SaltLaw(E=E, nu=NU)  # elastic salt
    model = CreepModel(cm, zone_laws=[law], temperature=lambda z: 300.0 + 0 * z, p_lith=lambda z: 2160 * 9.81 * -z,
                       brine_gradient=[0.012e6], shoe_z=[-(DEPTH - A_SPH)])
    sampler = SurfaceSampler(model)
    r = np.linspace(0.0, 1000.0, 11)
    states = []
    for P in (12e6, 10e6):  # a 2 MPa pressure drop at the shoe
        model.solve_step(0.0, np.array([P]), np.array([False]))
        states.append((model.volumes()[0], sampler.on_points(r, 0 * r)[2]))
    dV = states[1][0] - states[0][0]
    duz = states[1][1] - states[0][1]
    # the cavity volume change is that of a sphere in an infinite medium, π a³ ΔP / G (1 %)
    assert dV == pytest.approx(np.pi * A_SPH**3 * -2e6 / law.G, rel=0.01)
    mogi = (1 - NU) * dV * DEPTH / (np.pi * (r**2 + DEPTH**2) ** 1.5)
    assert np.all(duz < 0)  # closure: the surface goes down
    np.testing.assert_allclose(duz, mogi, rtol=5e-3)
