"""FE against Geertsma / van Opstal for a homogeneous disc reservoir.

Guards against: wrong sign or factor in the pressure load (Biot/Cm relation), wrong
axisymmetric strain (missing u_r/r hoop term or r weight), boundary conditions that
pollute the bowl, and a mesh builder that mis-tags the reservoir.
"""

import numpy as np
import pytest
from mpi4py import MPI

from subsidence.analytic.disc import disc_surface
from fem_helpers import C, D, NU, R, disc_model, peak, surface_profile

pytestmark = pytest.mark.fem
comm = MPI.COMM_WORLD
r = np.linspace(0.0, 6000.0, 241)


@pytest.mark.parametrize("k", [1.5 * D, 3.0 * D])
def test_axisymmetric_rigid_base_matches_van_opstal(k):
    model, _ = disc_model(comm, base_depth=k, h=50.0)
    uz, ur = surface_profile(model, r)
    uz_ref, ur_ref = disc_surface(r, R, D, C, NU, basement_depth=k)
    assert abs(uz[0] / uz_ref[0] - 1) < 0.005
    ur_max, at = peak(r, ur)
    ur_ref_max, at_ref = peak(r, ur_ref)
    assert abs(ur_max / ur_ref_max - 1) < 0.005
    assert abs(at - at_ref) < 100.0
    # published reference values (REFERENCES: k = 1.5D → −31.09 mm, k = 3D → −24.61 mm)
    published = {1.5 * D: -31.09e-3, 3.0 * D: -24.61e-3}[k]
    assert abs(uz[0] / published - 1) < 0.01


def test_axisymmetric_mesh_convergence():
    """P1 centre subsidence converges to van Opstal at about second order."""
    k = 1.5 * D
    ref = disc_surface(np.array([0.0]), R, D, C, NU, basement_depth=k)[0][0]
    errs, hs = [], [400.0, 200.0, 100.0]
    for h in hs:
        model, _ = disc_model(comm, base_depth=k, h=h, degree=1, H=200.0, far=h * 10, grading=1e9)
        errs.append(abs(surface_profile(model, np.array([0.0]))[0][0] / ref - 1))
    rate = np.polyfit(np.log(hs), np.log(errs), 1)[0]
    assert errs[0] > errs[1] > errs[2]
    assert errs[2] < 0.01
    assert rate > 1.5, (errs, rate)


def test_half_space_with_the_domain_size_rule():
    """Domain depth and width = 10 D below/beside the reservoir: within 1 % of the half-space."""
    from subsidence.mesh.domain import domain_extent

    depth, half_width = domain_extent(reservoir_bottom=D + 50.0, reservoir_halfwidth=R)
    model, _ = disc_model(comm, base_depth=depth, width=half_width, h=50.0, base="roller", far=2000.0)
    uz, ur = surface_profile(model, r)
    uz_ref, ur_ref = disc_surface(r, R, D, C, NU)
    assert abs(uz[0] / uz_ref[0] - 1) < 0.01
    assert abs(peak(r, ur)[0] / peak(r, ur_ref)[0] - 1) < 0.01


def test_domain_size_rule_converges():
    """Doubling the factor of the rule changes the centre subsidence by less than 1 %."""
    from subsidence.mesh.domain import domain_extent

    out = []
    for f in (10.0, 20.0):
        depth, hw = domain_extent(reservoir_bottom=D + 50.0, reservoir_halfwidth=R, factor=f)
        model, _ = disc_model(comm, base_depth=depth, width=hw, h=50.0, base="roller", far=2000.0)
        out.append(surface_profile(model, np.array([0.0]))[0][0])
    assert abs(out[0] / out[1] - 1) < 0.01
