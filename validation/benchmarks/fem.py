"""Finite-element elasticity and Biot consolidation: page docs/fem.md.

The set-ups are those of tests/fem (the disc helpers are imported from tests/fem/fem_helpers.py,
the sealed-reservoir case builder from tests/fem/test_biot_sealing.py), with the same tolerances.
"""

import sys
from pathlib import Path

import numpy as np

from framework import Benchmark, Check

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT / "tests/fem") not in sys.path:
    sys.path.insert(0, str(ROOT / "tests/fem"))

PROFILE = np.linspace(0.0, 6000.0, 241)  # surface radii (m), as in tests/fem/test_disc_verification.py


def _disc_checks(model, ref_basement, label):
    from fem_helpers import NU, C, D, R, peak, surface_profile

    from subsidence.analytic.disc import disc_surface

    uz, ur = surface_profile(model, PROFILE)
    uz_ref, ur_ref = disc_surface(PROFILE, R, D, C, NU, basement_depth=ref_basement)
    tol = 0.005 if ref_basement is not None else 0.01
    return uz, [Check(f"{label} centre uz [m]", uz[0], uz_ref[0], rel_tol=tol),
                Check(f"{label} max ur [m]", peak(PROFILE, ur)[0], peak(PROFILE, ur_ref)[0], rel_tol=tol)]


def _van_opstal(tmp):
    from mpi4py import MPI

    from fem_helpers import D, disc_model

    k = 1.5 * D
    model, _ = disc_model(MPI.COMM_SELF, base_depth=k, h=50.0)
    uz, checks = _disc_checks(model, k, "k=1.5D")
    # published value (REFERENCES.md: van Opstal 1974, k = 1.5 D: −31.09 mm), 1 %
    checks.append(Check("k=1.5D centre uz vs published [m]", uz[0], -31.09e-3, rel_tol=0.01))
    return checks


def _half_space(tmp):
    from mpi4py import MPI

    from fem_helpers import D, R, disc_model

    from subsidence.mesh.domain import domain_extent

    depth, half_width = domain_extent(reservoir_bottom=D + 50.0, reservoir_halfwidth=R)
    model, _ = disc_model(MPI.COMM_SELF, base_depth=depth, width=half_width, h=50.0, base="roller", far=2000.0)
    return _disc_checks(model, None, "half-space")[1]


def _terzaghi(tmp):
    """1D column loaded on the drained top (set-up shared with tests/fem/test_biot.py)."""
    from mpi4py import MPI

    from fem_helpers import terzaghi_column
    from subsidence.fem.reference import terzaghi_degree, terzaghi_pressure

    col = terzaghi_column(MPI.COMM_SELF)
    m, probe, zs, p0, cv, Lh, sig0, Kv = col.m, col.probe, col.zs, col.p0, col.cv, col.Lh, col.sig0, col.Kv

    m.undrained()
    p, u0 = probe()
    out = [Check("undrained pressure / p0", p[-1] / p0, 1.0, rel_tol=1e-8)]
    s_inf = -sig0 * Lh / Kv
    for Tv, t in col.march():
        if Tv < 0.05:
            continue
        p, ut = probe()
        ref = terzaghi_pressure(zs, t, p0=p0, height=Lh, cv=cv)
        U = terzaghi_degree(t, height=Lh, cv=cv)[0]
        out.append(Check(f"Tv={Tv}: base pressure / p0", p[-1] / p0, ref[-1] / p0, abs_tol=0.01, unit="p0"))
        out.append(Check(f"Tv={Tv}: degree of consolidation U", (ut - u0) / (s_inf - u0), U, abs_tol=0.003))
    return out


def _mandel(tmp):
    """Mandel's specimen under a rigid plate (set-up shared with tests/fem/test_biot.py)."""
    from mpi4py import MPI

    from fem_helpers import mandel_specimen
    from subsidence.fem.reference import mandel
    from subsidence.fem.sampling import evaluate

    sp = mandel_specimen(MPI.COMM_SELF)
    m, advance, p0 = sp.m, sp.advance, sp.p0
    a, b, F, G, nu, nu_u, B, c = sp.a, sp.b, sp.F, sp.G, sp.nu, sp.nu_u, sp.B, sp.c
    centre = np.array([[0.0, 0.5 * b]])
    out = []

    def check(tstar, t, d):
        _, p = m.split()
        pc = evaluate(p, centre)[0, 0]
        pr, _, ey = mandel(np.array([0.0]), t, a=a, force=F, G=G, nu=nu, nu_u=nu_u, B=B, c=c)
        ref = 1.0 if t == 0 else pr[0] / p0  # undrained state: uniform p0 exactly
        tol = 0.003 if t == 0 else 0.01
        out.append(Check(f"t*={tstar}: centre pressure / p0", pc / p0, ref, abs_tol=tol, unit="p0"))
        out.append(Check(f"t*={tstar}: vertical strain", d / b, ey, rel_tol=0.005))

    check(0, 0.0, advance(1.0, False))
    T, t = a**2 / c, 0.0
    for tt, n in ((0.01, 20), (0.1, 40), (0.5, 40)):
        dt = (tt * T - t) / n
        for _ in range(n):
            d = advance(dt, True)
            t += dt
        check(tt, t, d)
    return out


def _sealed_drained(tmp):
    """Sealed reservoir faces (tests/fem/test_biot_sealing.py, its case builder and runner): a
    disc reservoir (R = 2 km, 100 m thick, −10 MPa) in Biot coupling with all faces sealed and a
    huge storage around it (drained surroundings, p ≈ 0) is the one-way model on the same mesh
    (h = 25 m); a smeared continuous pressure would be 10.6 % off. Same tolerance (1e-6)."""
    from test_biot_sealing import _case, _uz

    sealed = _uz(_case(25.0, sealed=True, storage=1e-3), Path(tmp) / "sealed25").reshape(2, 2)
    same = _uz(_case(25.0, one_way=True), Path(tmp) / "one25").reshape(2, 2)
    out = []
    for it, yr in enumerate((10, 20)):
        for ip, name in enumerate(("centre", "r = 2.5 km")):
            out.append(Check(f"uz at {name}, {yr} yr: sealed Biot vs one-way [m]", float(sealed[it, ip]), float(same[it, ip]),
                             rel_tol=1e-6))
    return out


PAGE = "docs/fem.md"
BENCHMARKS = [
    Benchmark("fe-disc-van-opstal", "FE axisymmetric disc (R=2 km, D=3 km, c=0.1 m) over a rigid base at 1.5 D, h=50 m, P2",
              "tests/fem/fem_helpers.py disc_model", "exact disc solution (subsidence.analytic.disc); van Opstal 1974 "
              "table value (REFERENCES.md)", PAGE, _van_opstal),
    Benchmark("fe-disc-half-space", "FE disc, roller base, domain depth/width from the 10 D rule",
              "tests/fem/fem_helpers.py disc_model, subsidence.mesh.domain", "Geertsma 1973 half-space (subsidence.analytic.disc)",
              PAGE, _half_space),
    Benchmark("biot-terzaghi", "Biot FE, 1D column 10 m, drained top, step load 10 kPa, S>0", "subsidence.fem.biot",
              "Terzaghi series (subsidence.fem.reference)", PAGE, _terzaghi),
    Benchmark("biot-mandel", "Biot FE, Mandel's plane-strain specimen under a rigid plate, 20x20", "subsidence.fem.biot",
              "Mandel/Abousleiman series (subsidence.fem.reference); Mandel–Cryer rise", PAGE, _mandel),
    Benchmark("biot-sealed-drained-limit", "Biot FE disc reservoir with sealed faces, huge storage around it "
              "(drained limit), h = 25 m", "tests/fem/test_biot_sealing.py _case, _uz",
              "one-way (uncoupled) FE result on the same mesh", PAGE, _sealed_drained),
]
