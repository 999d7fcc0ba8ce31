"""Solver presets: the rigid-body near-nullspace and the MUMPS fallback.

Guards against: near-nullspace vectors that are not rigid-body motions (GAMG then stops
scaling), and an iterative failure that aborts a run that a direct solve would finish.
"""

import numpy as np
import pytest
from mpi4py import MPI

pytestmark = pytest.mark.fem
comm = MPI.COMM_WORLD


def _box(n=4):
    from dolfinx import mesh

    return mesh.create_box(comm, [[0.0, 0.0, 0.0], [2.0, 1.0, 1.0]], [2 * n, n, n], mesh.CellType.tetrahedron)


def _elastic(msh, degree=1):
    import ufl
    from dolfinx import fem

    from subsidence.physics.elasticity import Kinematics, elastic_forms

    V = fem.functionspace(msh, ("Lagrange", degree, (3,)))
    kin = Kinematics("3d", ufl.SpatialCoordinate(msh))
    u, v = ufl.TrialFunction(V), ufl.TestFunction(V)
    a, _ = elastic_forms(kin, u, v, lmbda=1.0, mu=1.0)
    return V, a, kin, v


@pytest.mark.parametrize("degree", [1, 2])
def test_rigid_body_modes_are_in_the_kernel_of_the_free_stiffness(degree):
    from dolfinx import fem
    from dolfinx.fem.petsc import assemble_matrix

    from subsidence.solvers.linear import rigid_body_modes

    V, a, _, _ = _elastic(_box(2), degree)
    A = assemble_matrix(fem.form(a))
    A.assemble()
    ns = rigid_body_modes(V)
    vecs = ns.getVecs()
    assert len(vecs) == 6
    for x in vecs:
        y = A.createVecLeft()
        A.mult(x, y)
        assert y.norm() < 1e-10 * A.norm() * x.norm()
    # orthonormal
    G = np.array([[x.dot(y) for y in vecs] for x in vecs])
    assert np.allclose(G, np.eye(6), atol=1e-10)


def test_gamg_failure_falls_back_to_mumps(monkeypatch):
    import ufl
    from dolfinx import fem, mesh

    import subsidence.solvers.linear as lin

    msh = _box(4)
    V, a, kin, v = _elastic(msh)
    facets = mesh.locate_entities_boundary(msh, 2, lambda x: np.isclose(x[0], 0.0))
    bc = fem.dirichletbc(np.zeros(3), fem.locate_dofs_topological(V, 2, facets), V)
    L = ufl.inner(ufl.as_vector([0.0, 0.0, -1.0]), v) * ufl.dx
    ref = fem.Function(V)
    lin.LinearSolver(a, [bc], prefix="t_ref_", preset="mumps").solve(L, ref)
    real = lin.options

    def crippled(preset, **kw):
        o = real(preset, **kw)
        if preset == "gamg":
            o["ksp_max_it"] = 1
        return o

    monkeypatch.setattr(lin, "options", crippled)
    u = fem.Function(V)
    s = lin.LinearSolver(a, [bc], prefix="t_fb_", preset="gamg", near_nullspace_space=V)
    s.solve(L, u)
    assert s.preset == "mumps"
    assert np.allclose(u.x.array, ref.x.array, atol=1e-10 * np.abs(ref.x.array).max())


def test_petsc_options_override_the_preset_and_do_not_leak():
    """Benchmark/tuning options reach the KSP over the preset, and leave the global options database clean."""
    from petsc4py import PETSc

    import ufl
    from dolfinx import fem, mesh

    import subsidence.solvers.linear as lin

    msh = _box(3)
    V, a, kin, v = _elastic(msh)
    facets = mesh.locate_entities_boundary(msh, 2, lambda x: np.isclose(x[0], 0.0))
    bc = fem.dirichletbc(np.zeros(3), fem.locate_dofs_topological(V, 2, facets), V)
    L = ufl.inner(ufl.as_vector([0.0, 0.0, -1.0]), v) * ufl.dx
    runs = {}
    for name, extra in (("preset", None), ("tuned", {"mg_levels_ksp_max_it": 4, "pc_gamg_threshold": 0.05})):
        s = lin.LinearSolver(a, [bc], prefix=f"t_opt_{name}_", preset="gamg", near_nullspace_space=V,
                             petsc_options=extra)
        u = fem.Function(V)
        s.solve(L, u)
        smoother = s.ksp.getPC().getMGSmoother(1)
        runs[name] = (smoother.getTolerances()[3], u.x.array.copy())
        assert not [k for k in PETSc.Options().getAll() if k.startswith(f"t_opt_{name}_")]
    assert runs["preset"][0] == 2 and runs["tuned"][0] == 4  # max_it of the level smoother
    assert np.allclose(runs["tuned"][1], runs["preset"][1], atol=1e-6 * np.abs(runs["preset"][1]).max())


def test_gamg_frees_product_data_only_during_its_set_up():
    """The preset sets PETSc's mat_product_clear for its own set-up only, leaves a user's value alone,
    and a second solve on the cleared hierarchy gives the first solve's answer."""
    from petsc4py import PETSc

    import ufl
    from dolfinx import fem, mesh

    import subsidence.solvers.linear as lin

    msh = _box(3)
    V, a, kin, v = _elastic(msh, degree=2)
    facets = mesh.locate_entities_boundary(msh, 2, lambda x: np.isclose(x[0], 0.0))
    bc = fem.dirichletbc(np.zeros(3), fem.locate_dofs_topological(V, 2, facets), V)
    L = ufl.inner(ufl.as_vector([0.0, 0.0, -1.0]), v) * ufl.dx
    opts = PETSc.Options()
    assert not opts.hasName("mat_product_clear")
    s = lin.LinearSolver(a, [bc], prefix="t_clear_", preset="gamg", rtol=1e-10, near_nullspace_space=V)
    assert not opts.hasName("mat_product_clear")
    u1, u2 = fem.Function(V), fem.Function(V)
    s.solve(L, u1)
    s.solve(2.0 * L, u2)  # reuses the hierarchy whose product data were freed
    assert np.allclose(u2.x.array, 2.0 * u1.x.array, atol=1e-8 * np.abs(u1.x.array).max())
    ref = fem.Function(V)
    lin.LinearSolver(a, [bc], prefix="t_clear_ref_", preset="mumps").solve(L, ref)
    assert np.allclose(u1.x.array, ref.x.array, atol=1e-7 * np.abs(ref.x.array).max())
    opts["mat_product_clear"] = 0  # a user's choice
    try:
        lin.LinearSolver(a, [bc], prefix="t_clear_user_", preset="gamg", near_nullspace_space=V)
        assert opts.getBool("mat_product_clear") is False
    finally:
        del opts["mat_product_clear"]
