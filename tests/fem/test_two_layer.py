"""A stiff layer between surface and reservoir changes the bowl; checked against independent references.

References: (1) the same axisymmetric problem on a mesh 4× finer (convergence), and (2) a
3D GAMG solution of the same layered problem (different discretisation and solver).
Guards against heterogeneity being "accepted on faith": materials assigned to the wrong
cells, DG0 fields mis-ordered in parallel, or region tags swapped.
"""

import numpy as np
import pytest
from mpi4py import MPI

from fem_helpers import D, E, NU, disc_model, peak, surface_profile
from subsidence.fem.materials import Material

pytestmark = pytest.mark.fem
comm = MPI.COMM_WORLD
K = 1.5 * D
r = np.linspace(0.0, 6000.0, 121)


def _layers(stiff_factor):
    soft, stiff = Material(E=E, nu=NU), Material(E=E * stiff_factor, nu=NU)
    return [("top", 0.0, 1000.0, soft), ("stiff", 1000.0, 2500.0, stiff), ("deep", 2500.0, K, soft)]


def test_stiff_layer_changes_bowl_and_converges():
    hom, _ = disc_model(comm, base_depth=K, h=100.0, layers=_layers(1.0))
    coarse, _ = disc_model(comm, base_depth=K, h=100.0, layers=_layers(10.0))
    fine, _ = disc_model(comm, base_depth=K, h=25.0, layers=_layers(10.0), far=750.0)
    uz_h, _ = surface_profile(hom, r)
    uz_c, ur_c = surface_profile(coarse, r)
    uz_f, ur_f = surface_profile(fine, r)
    # the stiff beam spreads the bowl: shallower centre, by much more than the discretisation error
    change = uz_c[0] / uz_h[0] - 1
    assert change < -0.05, change
    assert abs(uz_c[0] / uz_f[0] - 1) < 0.005
    assert abs(peak(r, ur_c)[0] / peak(r, ur_f)[0] - 1) < 0.005
    assert np.max(np.abs(uz_c - uz_f)) < 0.005 * abs(uz_f[0])


def test_layered_3d_agrees_with_axisymmetric():
    axi, _ = disc_model(comm, base_depth=K, h=50.0, H=200.0, layers=_layers(10.0), width=15000.0)
    q3d, _ = disc_model(comm, mode="3d", H=200.0, base_depth=K, width=15000.0, h=250.0, far=2500.0,
                        degree=2, solver="gamg", grading=3000.0, layers=_layers(10.0))
    uz_a, ur_a = surface_profile(axi, r)
    uz_3, ur_3 = surface_profile(q3d, r)
    assert abs(uz_3[0] / uz_a[0] - 1) < 0.01
    assert abs(peak(r, ur_3)[0] / peak(r, ur_a)[0] - 1) < 0.01
