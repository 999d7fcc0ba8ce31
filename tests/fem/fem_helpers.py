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
               degree=2, base="fixed", layers=None, solver="auto", grading=2000.0):
    """Solve the disc problem; returns (model, pressure change). ``layers``: [(name, top, bottom, Material)]."""
    mat = Material(E=E, nu=NU)
    dp = -C / (mat_cm(mat) * H)
    if layers is None:
        layers = [("rock", 0.0, base_depth, mat)]
    slabs = [Slab(n, t, b) for n, t, b, _ in layers]
    ymin = 0.0
    dom = Domain(0.0, width, base_depth, ymin, width) if mode == "3d" else Domain(0.0, width, base_depth)
    res = DiscVolume("res", (0.0, 0.0), R, D - H / 2, D + H / 2)
    built = build(comm, mode=mode, domain=dom, slabs=slabs, reservoirs=[res],
                  sizes=Sizes(h, 2 * h if mode != "3d" else h, far or width / 20, grading, surface_zone=3000.0))
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
