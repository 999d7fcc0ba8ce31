"""Surface deformation measures for building impact (``subsidence impact``): page docs/impact.md.

Parabolic bowls uz = −W + κr²/2 (the helpers of tests/impact/test_measures.py, imported from
there) and a quadratic field on scattered points (tests/impact/test_points.py, re-built here),
with the tests' tolerances.
"""

import sys
from pathlib import Path

import numpy as np

from framework import Benchmark, Check

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT / "tests/impact") not in sys.path:
    sys.path.insert(0, str(ROOT / "tests/impact"))

PAGE = "docs/impact.md"


def _bowl_measures(tmp):
    """A parabolic bowl κ = ±2.5e-6 1/m (radius 400 km) through ``subsidence impact --base-length 20m``
    on a grid run: radius of curvature 1/κ and angular distortion |κ|B/4 = 1.25e-5 over B = 20 m.
    Plus the curvature of scattered points (local quadratic fits) of a κ = 2e-6 bowl."""
    import contextlib
    import io

    import xarray as xr
    from test_measures import grid_run

    from subsidence.cli import main as cli_main
    from subsidence.deep.deformation import radius_of_curvature
    from subsidence.impact.points import point_measures

    out = []
    for sign, mode in ((1.0, "sagging"), (-1.0, "hogging")):
        kappa = sign * 2.5e-6
        run = grid_run(Path(tmp) / f"run{mode}", kappa, -1e-4)
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()) as err:
            rc = cli_main(["impact", str(run), "--base-length", "20m", "--out", str(Path(tmp) / f"o{mode}")])
        if rc != 0:
            raise RuntimeError(f"subsidence impact failed: {err.getvalue()}")
        with xr.open_dataset(Path(tmp) / f"o{mode}" / "deformation.nc") as d:
            rad = d["radius_of_curvature"].values
            beta = d["angular_distortion"].values
        # worst grid value against the hand value (a field of the same value everywhere)
        r_worst = rad.ravel()[np.argmax(np.abs(rad.ravel() / (sign * 400.0) - 1))]
        ok = beta[np.isfinite(beta)]
        b_worst = ok[np.argmax(np.abs(ok / 1.25e-5 - 1))]
        out += [Check(f"{mode}: radius of curvature (worst cell) [km]", float(r_worst), sign * 400.0, rel_tol=1e-6),
                Check(f"{mode}: angular distortion over 20 m (worst cell) [-]", float(b_worst), 1.25e-5, rel_tol=1e-5)]
    rng = np.random.default_rng(5)
    x, y = rng.uniform(-300, 300, 150), rng.uniform(-300, 300, 150)
    kappa = 2.0e-6
    m, st = point_measures(x, y, 0 * x, 0 * x, (-0.05 + 0.5 * kappa * (x**2 + y**2))[None])
    if not st.ok.all():
        raise RuntimeError("point_measures: some points have no fit")
    c = np.asarray(m["curvature"]).ravel()
    rad = radius_of_curvature(c) * 1e-3
    out += [Check("150 scattered points: curvature (worst point) [1/m]", float(c[np.argmax(np.abs(c / kappa - 1))]), kappa,
                  rel_tol=1e-8),
            Check("150 scattered points: radius (worst point) [km]", float(rad[np.argmax(np.abs(rad / 500 - 1))]), 500.0,
                  rel_tol=1e-8)]
    return out


def _quadratic(tmp):
    """A quadratic uz and a constant horizontal strain on 200 random points: the point stencils
    recover the second derivatives and the strain exactly (rtol 1e-9), and the slope (atol 1e-15)."""
    from subsidence.deep.deformation import PointStencils, measures_from

    rng = np.random.default_rng(3)
    x, y = rng.uniform(-500, 500, 200), rng.uniform(-500, 500, 200)
    a = dict(z0=-0.01, zx=2e-5, zy=-3e-5, zxx=4e-7, zxy=1e-7, zyy=-2e-7)
    uz = a["z0"] + a["zx"] * x + a["zy"] * y + 0.5 * a["zxx"] * x**2 + a["zxy"] * x * y + 0.5 * a["zyy"] * y**2
    ux, uy = 1e-5 * x + 3e-6 * y, 2e-6 * x - 4e-6 * y  # ε = [[1e-5, 2.5e-6], [2.5e-6, -4e-6]]
    d = PointStencils(x, y).derivatives(ux, uy, uz)
    slope = a["zx"] + a["zxx"] * x + a["zxy"] * y
    out = [Check("max |uz_x − exact| [-]", float(np.abs(d["uz_x"] - slope).max()), 0.0, abs_tol=1e-15)]
    for name, v in (("uz_xx", a["zxx"]), ("uz_xy", a["zxy"]), ("uz_yy", a["zyy"]), ("ux_x", 1e-5),
                    ("ux_y", 2.5e-6), ("uy_y", -4e-6)):
        val = np.asarray(d[name]).ravel()
        out.append(Check(f"{name} (worst point)", float(val[np.argmax(np.abs(val - v))]), v, rel_tol=1e-9))
    hs = np.asarray(measures_from(d)["horizontal_strain"]).ravel()
    e1 = 0.5 * (1e-5 - 4e-6) + np.hypot(0.5 * (1e-5 + 4e-6), 2.5e-6)  # hand: largest eigenvalue of ε
    out.append(Check("max horizontal strain (worst point)", float(hs[np.argmax(np.abs(hs - e1))]), e1, rel_tol=1e-9))
    return out


BENCHMARKS = [
    Benchmark("impact-bowl-measures", "parabolic bowl κ = ±2.5e-6 1/m on a 41×41 grid run (subsidence impact "
              "--base-length 20m); κ = 2e-6 on 150 scattered points",
              "tests/impact/test_measures.py grid_run; subsidence.impact.points", "hand: radius 1/κ, angular distortion "
              "|κ|B/4", PAGE, _bowl_measures),
    Benchmark("impact-point-stencils", "quadratic uz and constant horizontal strain on 200 random points",
              "subsidence.deep.deformation PointStencils", "the exact derivatives of the field", PAGE, _quadratic),
]
