"""3D elasticity with CG + GAMG (rigid-body near-nullspace): accuracy and rank-independence.

Guards against: a wrong near-nullspace (GAMG iterations explode or stall), mis-tagged 3D
boundaries (quarter-model symmetry planes), and partition-dependent results.
"""

import numpy as np
import pytest
from mpi4py import MPI

from fem_helpers import C, D, NU, R, disc_model, peak, surface_profile
from subsidence.analytic.disc import disc_surface

pytestmark = pytest.mark.fem
comm = MPI.COMM_WORLD
K = 1.5 * D


def _quarter(comm_, solver="gamg"):
    # quarter model: the sides x = 0 and y = 0 (rollers) are the symmetry planes of the disc
    return disc_model(comm_, mode="3d", H=200.0, base_depth=K, width=15000.0, h=250.0, far=2500.0,
                      degree=2, solver=solver, grading=3000.0)


def test_3d_quarter_disc_matches_van_opstal_with_gamg():
    model, _ = _quarter(comm)
    assert model.stats.preset == "gamg"
    assert model.stats.iterations[-1] < 60
    r = np.linspace(0.0, 6000.0, 121)
    uz, ur = surface_profile(model, r)
    uz_ref, ur_ref = disc_surface(r, R, D, C, NU, basement_depth=K)
    assert abs(uz[0] / uz_ref[0] - 1) < 0.01
    assert abs(peak(r, ur)[0] / peak(r, ur_ref)[0] - 1) < 0.01
    # axial symmetry of the 3D solution: the diagonal profile equals the x-axis profile
    from subsidence.fem.sampling import evaluate

    d = evaluate(model.u, np.c_[r / np.sqrt(2), r / np.sqrt(2), np.zeros_like(r)])
    assert np.allclose(d[:, 2], uz, atol=5e-3 * abs(uz[0]))


def test_same_result_on_one_and_all_ranks():
    """The distributed solve equals a one-rank solve of the same problem (to solver tolerance)."""
    r = np.linspace(0.0, 6000.0, 25)
    model_all, _ = _quarter(comm)
    uz_all, ur_all = surface_profile(model_all, r)
    model_one, _ = _quarter(MPI.COMM_SELF)
    uz_one, ur_one = surface_profile(model_one, r)
    scale = abs(uz_one[0])
    assert np.max(np.abs(uz_all - uz_one)) < 1e-6 * scale
    assert np.max(np.abs(ur_all - ur_one)) < 1e-6 * scale
