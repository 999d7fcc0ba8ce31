"""Cavern shapes and meshes: the meshed cavity has the volume of its profile."""

import numpy as np
import pytest
from mpi4py import MPI

from subsidence.cavern.geometry import WALL0, axisymmetric_cavern, cavern_profile, profile_volume


def test_profile_volume_of_sphere_and_cylinder():
    d, r = cavern_profile("sphere", top_depth=100, bottom_depth=200, npts=400)
    assert profile_volume(d, r) == pytest.approx(4 / 3 * np.pi * 50**3, rel=1e-4)
    d, r = cavern_profile("cylinder", top_depth=100, bottom_depth=300, radius=30, dome_height=20, npts=400)
    assert profile_volume(d, r) == pytest.approx(np.pi * 30**2 * 160 + 4 / 3 * np.pi * 30**2 * 20, rel=1e-4)
    d, r = cavern_profile("pear", top_depth=100, bottom_depth=300, radius=40)
    assert r[0] == r[-1] == 0 and r.max() == pytest.approx(40) and np.argmax(r) > len(r) // 2


@pytest.mark.fem
@pytest.mark.parametrize("shape", ["pear", "profile"])
def test_meshed_cavity_volume(comm, shape):
    """−∮ π r² n_r ds over the wall (n out of the rock) is the cavity volume: checks that the
    wall is tagged completely and the interface fragments do not cut it."""
    import ufl
    from dolfinx import fem

    if shape == "profile":  # sonar-like radius per depth
        depths = np.array([500, 505, 520, 540, 560, 580, 590, 600.0])
        radii = np.array([0, 12, 20, 25, 22, 18, 10, 0.0])
    else:
        depths, radii = cavern_profile("pear", top_depth=500, bottom_depth=600, radius=30)
    cm = axisymmetric_cavern(comm, depths=depths, radii=radii, domain_radius=800, domain_depth=1200,
                             interfaces=[300.0, 550.0], h_wall=4.0, h_far=150.0)
    x = ufl.SpatialCoordinate(cm.mesh)
    n = ufl.FacetNormal(cm.mesh)
    ds = ufl.Measure("ds", domain=cm.mesh, subdomain_data=cm.facet_tags)
    vol = comm.allreduce(fem.assemble_scalar(fem.form(-np.pi * x[0] ** 2 * n[0] * ds(WALL0))), op=MPI.SUM)
    assert vol == pytest.approx(profile_volume(depths, radii), rel=1e-6)
    assert vol == pytest.approx(cm.volumes[0], rel=1e-6)
    # three material zones: above 300 m, 300-550 m (cut through the cavern), below
    tags = np.unique(np.concatenate(comm.allgather(cm.cell_tags.values)))
    assert tags.tolist() == [1, 2, 3]
