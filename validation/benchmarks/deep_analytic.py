"""Deep subsidence, analytical kernels: page docs/deep.md."""

from pathlib import Path

import numpy as np

from framework import Benchmark, Check

ROOT = Path(__file__).resolve().parents[2]


def _disc(tmp):
    from mpi4py import MPI

    from subsidence.run import run_case

    s = run_case(ROOT / "cases/disc_geertsma.toml", Path(tmp) / "run", comm=MPI.COMM_SELF)
    from subsidence.analytic.geertsma import disc_centre

    return [
        Check("centre subsidence [m]", s["max_subsidence_m"], -disc_centre(2000.0, 3000.0, 0.1, 0.25), rel_tol=0.005),
        Check("max horizontal [m]", s["max_horizontal_m"], 10.32e-3, rel_tol=0.005),
    ]


def _van_opstal(tmp):
    from subsidence.analytic.disc import disc_surface
    from subsidence.config import load_case
    from subsidence.studies.deep import displacement_at

    out = []
    for k in (1.5, 3.0):
        text = (ROOT / "cases/disc_geertsma.toml").read_text()
        text = text.replace('kernel = "geertsma"', 'kernel = "van-opstal"').replace(
            "# basement_depth = 4500.0", f"basement_depth = {k * 3000.0}")
        p = Path(tmp) / f"vo{k}.toml"
        p.write_text(text)
        cfg = load_case(p).config
        ux, _, uz = displacement_at(cfg, [0.0, 2735.0], [0.0, 0.0], cfg.output.times)
        ref_uz, ref_ur = disc_surface(np.array([0.0, 2735.0]), 2000.0, 3000.0, 0.1, 0.25, basement_depth=k * 3000.0)
        out.append(Check(f"k={k}D centre uz [m]", uz[0, 0], ref_uz[0], rel_tol=2e-3))
        out.append(Check(f"k={k}D ur at 2735 m [m]", ux[0, 1], ref_ur[1], rel_tol=2e-3))
    return out


def _rticm(tmp):
    import sys

    from subsidence.physics.compaction import PressureHistory, RTiCM

    if str(ROOT / "tests/deep") not in sys.path:
        sys.path.insert(0, str(ROOT / "tests/deep"))
    from rticm_reference import rticm_ode

    yr, bar = 365.25 * 86400.0, 1e5
    out = []
    # published check value (REFERENCES.md): 150 bar within 0.001 yr at σ'0 = 300 bar, then held
    law = RTiCM(cm_d=1.0e-10, cm_ref=4.0e-10, b=0.03, sigma_dot_ref=1.0 / yr, sigma0=300 * bar)
    t = np.array([5.0, 20.0]) * yr
    e = law.strain(PressureHistory(np.array([0.0, 0.001 * yr]), np.array([0.0, -150 * bar])), t)
    out += [Check(f"check value, strain at {tt / yr:g} yr", a, b, rel_tol=5e-6) for tt, a, b in zip(t, e, (1.51436e-3, 1.55475e-3))]
    # typical Dutch values, fast 100 bar depletion at σ'0 = 200 bar, against scipy's Radau on the rate equation
    law = RTiCM(cm_d=1.2e-5 / bar, cm_ref=4.56e-5 / bar, b=0.025, sigma_dot_ref=1e-5 * bar / yr, sigma0=200 * bar)
    tt_, ds = np.array([0.0, 0.001 * yr]), np.array([0.0, 100 * bar])
    t = np.array([1.0, 10.0, 30.0]) * yr
    e = law.strain(PressureHistory(tt_, -ds), t)
    ref = rticm_ode(law.cm_d, law.cm_ref, law.b, law.sigma_dot_ref, law.sigma0, tt_, ds, t)
    out += [Check(f"100 bar depletion, strain at {tt / yr:g} yr", a, b, rel_tol=3e-6) for tt, a, b in zip(t, e, ref)]
    return out


BENCHMARKS = [
    Benchmark("geertsma-disc", "disc R=2 km at 3 km, c=0.1 m, ν=0.25, half-space", "cases/disc_geertsma.toml",
              "closed form 2(1-ν)c(1-D/√(D²+R²)); Geertsma 1973 (REFERENCES.md)", "docs/deep.md", _disc),
    Benchmark("van-opstal-disc", "same disc over a rigid basement at 1.5 D and 3 D", "cases/disc_geertsma.toml (kernel changed)",
              "exact disc solution by Hankel integration (subsidence.analytic.disc)", "docs/deep.md", _van_opstal),
    Benchmark("rticm-depletion", "RTiCM strain after a fast depletion, then held", "subsidence.physics.compaction",
              "published check value (REFERENCES.md); scipy Radau on the published rate equation "
              "(tests/deep/rticm_reference.py)", "docs/deep.md", _rticm),
]
