"""Shared set-ups for the FE tests: a thin disc reservoir in a homogeneous or layered medium."""

from __future__ import annotations

import numpy as np

from subsidence.fem.elastic import ElasticModel
from subsidence.fem.materials import Material
from subsidence.fem.sampling import evaluate
from subsidence.mesh.builder import Domain, Sizes, build
from subsidence.mesh.shapes import DiscVolume, Slab

R, D, C, NU = 2000.0, 3000.0, 0.1, 0.25  # disc radius, depth, compaction (m), Poisson ratio
E = 1.0e10


def disc_model(comm, *, mode="axisymmetric", H=100.0, base_depth=4500.0, width=30000.0, h=50.0, far=None,
               degree=2, base="fixed", layers=None, solver="auto", grading=2000.0, levels=0):
    """Solve the disc problem; returns (model, pressure change). ``layers``: [(name, top, bottom, Material)].

    ``levels``: uniform parallel refinements of the gmsh mesh (sizes are the coarse mesh's).
    """
    mat = Material(E=E, nu=NU)
    dp = -C / (mat_cm(mat) * H)
    if layers is None:
        layers = [("rock", 0.0, base_depth, mat)]
    slabs = [Slab(n, t, b) for n, t, b, _ in layers]
    ymin = 0.0
    dom = Domain(0.0, width, base_depth, ymin, width) if mode == "3d" else Domain(0.0, width, base_depth)
    res = DiscVolume("res", (0.0, 0.0), R, D - H / 2, D + H / 2)
    built = build(comm, mode=mode, domain=dom, slabs=slabs, reservoirs=[res],
                  sizes=Sizes(h, 2 * h if mode != "3d" else h, far or width / 20, grading, surface_zone=3000.0),
                  levels=levels)
    mats = {built.regions.tag(n): m for n, _, _, m in layers}
    mats[built.regions.tag("res")] = mat
    model = ElasticModel(built, mats, degree=degree, base=base, solver=solver, rtol=1e-9)
    model.solve({built.regions.tag("res"): dp})
    return model, dp


def mat_cm(m: Material) -> float:
    return m.biot * (1 + m.nu) * (1 - 2 * m.nu) / (m.E * (1 - m.nu))


def surface_profile(model, r):
    """(uz, ur) along the surface at radii r (3D: along the x axis)."""
    gdim = model.V.mesh.geometry.dim
    pts = np.zeros((len(r), gdim))
    pts[:, 0] = r
    v = evaluate(model.u, pts)
    return v[:, gdim - 1], v[:, 0]


def peak(r, f):
    """Extreme value of a sampled curve, refined with a parabola through the three best samples."""
    i = int(np.argmax(np.abs(f)))
    i = min(max(i, 1), len(f) - 2)
    c = np.polyfit(r[i - 1:i + 2], f[i - 1:i + 2], 2)
    x = -c[1] / (2 * c[0])
    return float(np.polyval(c, x)), float(x)


# --- coupled Biot set-ups shared by tests/fem/test_biot.py and validation/benchmarks/fem.py ---


def rectangle(comm, w, h, nx, ny):
    """Triangulated rectangle [0, w] × [0, h] and a boundary-facet locator."""
    from dolfinx import mesh as dmesh

    msh = dmesh.create_rectangle(comm, [[0.0, 0.0], [w, h]], [nx, ny], dmesh.CellType.triangle)
    msh.topology.create_connectivity(1, 2)

    def side(f):
        return dmesh.locate_entities_boundary(msh, 1, f)

    return msh, side


def terzaghi_column(comm):
    """1D column (10 m, 40 cells) under a 10 kPa step load on its drained top; S > 0.

    Returns a namespace with the model ``m``, ``probe() -> (pressure at depths zs, top settlement)``
    and the parameters of the series solution (p0, cv, Lh, Kv, sig0, alpha, S).
    """
    from types import SimpleNamespace

    from dolfinx import fem
    from dolfinx import mesh as dmesh

    from subsidence.fem.biot import BiotModel
    from subsidence.physics.elasticity import lame

    Lh, w = 10.0, 1.0
    E, nu, alpha, S, kap = 1e7, 0.3, 1.0, 1e-8, 1e-10
    lmbda, mu = lame(E, nu)
    Kv = lmbda + 2 * mu
    cv = kap / (S + alpha**2 / Kv)
    sig0 = 1e4
    p0 = sig0 * alpha / (S * Kv + alpha**2)  # loading efficiency < 1 because S > 0
    msh, side = rectangle(comm, w, Lh, 1, 40)
    top = side(lambda x: np.isclose(x[1], Lh))
    ft = dmesh.meshtags(msh, 1, np.sort(top), np.full(top.size, 1, dtype=np.int32))
    m = BiotModel(msh, mode="plane-strain", facet_tags=ft,
                  fields=dict(lmbda=lmbda, mu=mu, biot=alpha, storage=S, mobility=kap))
    m.fix_displacement(side(lambda x: np.isclose(x[0], 0) | np.isclose(x[0], w)), 0)
    m.fix_displacement(side(lambda x: np.isclose(x[1], 0)), 1)
    m.fix_pressure(top, 0.0)
    m.traction(1, fem.Constant(msh, np.array([0.0, -sig0])))
    zs = np.linspace(0.0, Lh, 21)  # depth below the drained top

    def probe():
        u, p = m.split()
        return evaluate(p, np.c_[np.full_like(zs, 0.5), Lh - zs])[:, 0], evaluate(u, np.array([[0.5, Lh]]))[0, 1]

    def march(stages=((0.01, 20), (0.05, 40), (0.2, 60), (0.5, 60))):
        """Backward-Euler steps up to each time factor Tv (n steps per stage); yields (Tv, t)."""
        T, t = Lh**2 / cv, 0.0
        for Tv, n in stages:
            dt = (Tv * T - t) / n
            for _ in range(n):
                m.step(dt)
                t += dt
            yield Tv, t

    return SimpleNamespace(m=m, probe=probe, march=march, zs=zs, p0=p0, cv=cv, Lh=Lh, Kv=Kv, sig0=sig0,
                           alpha=alpha, S=S)


def mandel_specimen(comm):
    """Mandel's plane-strain quarter specimen (20 × 20) under a rigid frictionless plate.

    ``advance(dt, flow) -> plate settlement`` makes one step (``flow=False``: the undrained
    start); the plate settles uniformly such that its force is F (superposition of two solves).
    Returns a namespace with the model, ``advance`` and the parameters of Mandel's series.
    """
    from types import SimpleNamespace

    from dolfinx import fem

    from subsidence.fem.biot import BiotModel
    from subsidence.physics.elasticity import lame

    a = b = 1.0
    E, nu, alpha, S, kap = 1e8, 0.2, 1.0, 5e-10, 1e-11
    lmbda, G = lame(E, nu)
    K = lmbda + 2 * G / 3
    Ku = K + alpha**2 / S
    nu_u = (3 * Ku - 2 * G) / (2 * (3 * Ku + G))
    B = alpha / (S * Ku)
    c = kap / S * (K + 4 * G / 3) / (Ku + 4 * G / 3)
    F = 1e4  # compressive force on the quarter's top plate, N/m
    msh, side = rectangle(comm, a, b, 20, 20)
    top = side(lambda x: np.isclose(x[1], b))
    m = BiotModel(msh, mode="plane-strain", fields=dict(lmbda=lmbda, mu=G, biot=alpha, storage=S, mobility=kap))
    m.fix_displacement(side(lambda x: np.isclose(x[0], 0)), 0)
    m.fix_displacement(side(lambda x: np.isclose(x[1], 0)), 1)
    m.fix_pressure(side(lambda x: np.isclose(x[0], a)), 0.0)
    plate = m.fix_displacement(top, 1, 0.0)
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

    p0 = F * B * (1 + nu_u) / (3 * a)
    return SimpleNamespace(m=m, advance=advance, a=a, b=b, F=F, G=G, nu=nu, nu_u=nu_u, B=B, c=c, p0=p0)
