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

from subsidence.fem.reference import mandel, terzaghi_degree, terzaghi_pressure
from subsidence.fem.sampling import evaluate
from fem_helpers import mandel_specimen, terzaghi_column

pytestmark = pytest.mark.fem
comm = MPI.COMM_WORLD


def test_terzaghi_consolidation():
    col = terzaghi_column(comm)
    m, probe, zs, p0, cv, Lh = col.m, col.probe, col.zs, col.p0, col.cv, col.Lh
    sig0, Kv, alpha, S = col.sig0, col.Kv, col.alpha, col.S

    m.undrained()
    p, u0 = probe()
    assert np.allclose(p, p0, rtol=1e-8)
    assert abs(u0 / (-sig0 * Lh / (Kv + alpha**2 / S)) - 1) < 1e-8
    s_inf = -sig0 * Lh / Kv
    for Tv, t in col.march():
        p, ut = probe()
        ref = terzaghi_pressure(zs, t, p0=p0, height=Lh, cv=cv)
        assert np.abs(p - ref).max() < 0.01 * p0, Tv
        U = terzaghi_degree(t, height=Lh, cv=cv)[0]
        assert abs(ut - (u0 + (s_inf - u0) * U)) < 0.003 * abs(s_inf - u0), Tv


def test_mandel_problem():
    sp = mandel_specimen(comm)
    m, advance = sp.m, sp.advance
    a, b, F, G, nu, nu_u, B, c = sp.a, sp.b, sp.F, sp.G, sp.nu, sp.nu_u, sp.B, sp.c

    xs = np.linspace(0.0, a, 11)
    p0 = sp.p0

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
