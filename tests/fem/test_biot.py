"""Coupled Biot consolidation against Terzaghi (1D) and Mandel (2D plane strain).

Both start with the instantaneous undrained response (no flow; drainage boundaries not yet
at zero pressure) and then march with backward Euler. Guards against: wrong signs or
factors in the coupling terms, a wrong storage term (loading efficiency), and an initial
state computed as if drained (which would miss the undrained pressure jump and, in
Mandel's problem, the Mandel–Cryer pressure rise).
"""

import numpy as np
import pytest
from mpi4py import MPI

from subsidence.fem.biot import BiotModel
from subsidence.fem.reference import mandel, terzaghi_degree, terzaghi_pressure
from subsidence.fem.sampling import evaluate
from subsidence.physics.elasticity import lame

pytestmark = pytest.mark.fem
comm = MPI.COMM_WORLD


def _rectangle(w, h, nx, ny):
    from dolfinx import mesh as dmesh

    msh = dmesh.create_rectangle(comm, [[0.0, 0.0], [w, h]], [nx, ny], dmesh.CellType.triangle)
    msh.topology.create_connectivity(1, 2)

    def side(f):
        return dmesh.locate_entities_boundary(msh, 1, f)

    return msh, side


def test_terzaghi_consolidation():
    from dolfinx import fem
    from dolfinx import mesh as dmesh

    Lh, w = 10.0, 1.0
    E, nu, alpha, S, kap = 1e7, 0.3, 1.0, 1e-8, 1e-10
    lmbda, mu = lame(E, nu)
    Kv = lmbda + 2 * mu
    cv = kap / (S + alpha**2 / Kv)
    sig0 = 1e4
    p0 = sig0 * alpha / (S * Kv + alpha**2)  # loading efficiency < 1 because S > 0
    msh, side = _rectangle(w, Lh, 1, 40)
    top = side(lambda x: np.isclose(x[1], Lh))
    ft = dmesh.meshtags(msh, 1, np.sort(top), np.full(top.size, 1, dtype=np.int32))
    m = BiotModel(msh, mode="plane-strain", facet_tags=ft,
                  fields=dict(lmbda=lmbda, mu=mu, biot=alpha, storage=S, mobility=kap))
    m.fix_displacement(side(lambda x: np.isclose(x[0], 0) | np.isclose(x[0], w)), 0)
    m.fix_displacement(side(lambda x: np.isclose(x[1], 0)), 1)
    m.fix_pressure(top, 0.0)
    m.traction(1, fem.Constant(msh, np.array([0.0, -sig0])))
    zs = np.linspace(0.0, Lh, 21)

    def probe():
        u, p = m.split()
        return evaluate(p, np.c_[np.full_like(zs, 0.5), Lh - zs])[:, 0], evaluate(u, np.array([[0.5, Lh]]))[0, 1]

    m.undrained()
    p, u0 = probe()
    assert np.allclose(p, p0, rtol=1e-8)
    assert abs(u0 / (-sig0 * Lh / (Kv + alpha**2 / S)) - 1) < 1e-8
    s_inf = -sig0 * Lh / Kv
    T, t = Lh**2 / cv, 0.0
    for Tv, n in ((0.01, 20), (0.05, 40), (0.2, 60), (0.5, 60)):
        dt = (Tv * T - t) / n
        for _ in range(n):
            m.step(dt)
            t += dt
        p, ut = probe()
        ref = terzaghi_pressure(zs, t, p0=p0, height=Lh, cv=cv)
        assert np.abs(p - ref).max() < 0.01 * p0, Tv
        U = terzaghi_degree(t, height=Lh, cv=cv)[0]
        assert abs(ut - (u0 + (s_inf - u0) * U)) < 0.003 * abs(s_inf - u0), Tv


def test_mandel_problem():
    from dolfinx import fem

    a = b = 1.0
    E, nu, alpha, S, kap = 1e8, 0.2, 1.0, 5e-10, 1e-11
    lmbda, G = lame(E, nu)
    K = lmbda + 2 * G / 3
    Ku = K + alpha**2 / S
    nu_u = (3 * Ku - 2 * G) / (2 * (3 * Ku + G))
    B = alpha / (S * Ku)
    c = kap / S * (K + 4 * G / 3) / (Ku + 4 * G / 3)
    F = 1e4  # compressive force on the quarter's top plate, N/m
    msh, side = _rectangle(a, b, 20, 20)
    top = side(lambda x: np.isclose(x[1], b))
    m = BiotModel(msh, mode="plane-strain", fields=dict(lmbda=lmbda, mu=G, biot=alpha, storage=S, mobility=kap))
    m.fix_displacement(side(lambda x: np.isclose(x[0], 0)), 0)
    m.fix_displacement(side(lambda x: np.isclose(x[1], 0)), 1)
    m.fix_pressure(side(lambda x: np.isclose(x[0], a)), 0.0)
    plate = m.fix_displacement(top, 1, 0.0)
    # rigid frictionless plate: uniform settlement δ such that the plate force is F (superposition)
    w = m.x.x.petsc_vec.duplicate()
    w.set(0.0)
    dofs = fem.locate_dofs_topological(m.W.sub(0).sub(1), 1, top)
    nown = m.W.dofmap.index_map.size_local * m.W.dofmap.index_map_bs
    w.array[dofs[dofs < nown]] = 1.0
    xB = fem.Function(m.W)

    def advance(dt, flow):
        m.prepare(dt, flow=flow)
        plate.value = 1.0
        m.solve_into(xB, zero_history=True)
        fB = m.reaction(w, xB, rhs=False)
        plate.value = 0.0
        m.solve_into(m.x)
        d = (-F - m.reaction(w)) / fB
        m.x.x.array[:] += d * xB.x.array
        m.x_old.x.array[:] = m.x.x.array
        return d

    xs = np.linspace(0.0, a, 11)
    p0 = F * B * (1 + nu_u) / (3 * a)

    def check(t, d, tol_p):
        u, p = m.split()
        pp = evaluate(p, np.c_[xs, np.full_like(xs, 0.5 * b)])[:, 0]
        ux = evaluate(u, np.c_[xs, np.full_like(xs, 0.5 * b)])[:, 0]
        pr, uxr, ey = mandel(xs, t, a=a, force=F, G=G, nu=nu, nu_u=nu_u, B=B, c=c)
        if t == 0:  # exact undrained state: uniform p0 (the series converges slowly near x = a)
            pr = np.full_like(xs, p0)
        assert np.abs(pp - pr).max() < tol_p * p0, t
        assert np.abs(ux - uxr).max() < 0.01 * np.abs(uxr).max(), t
        assert abs(d / b / ey - 1) < 0.005, t
        return pp[0] / p0

    d = advance(1.0, False)
    assert check(0.0, d, 0.003) == pytest.approx(1.0, rel=1e-3)
    T, t, centre = a**2 / c, 0.0, []
    for tt, n in ((0.01, 20), (0.1, 40), (0.5, 40), (1.5, 40)):
        dt = (tt * T - t) / n
        for _ in range(n):
            d = advance(dt, True)
            t += dt
        centre.append(check(t, d, 0.01))
    assert centre[1] > 1.05  # Mandel–Cryer effect: the centre pressure first rises above p0
