"""InSAR comparison (line-of-sight geometry, noise model, misfit statistics): page docs/insar.md.

The synthetic dataset is the one of tests/insar/test_synthetic.py (a growing subsidence bowl
sampled at 150 random points, plus noise drawn from the Dutch Sentinel-1 noise model); its
builders are loaded from the test folder. Same tolerances as the tests.
"""

import importlib.util
import sys
from pathlib import Path

import numpy as np

from framework import Benchmark, Check

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests/insar"


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _synthetic_module():
    """tests/insar/test_synthetic.py, which does ``from conftest import ...``: give it its own conftest."""
    conf = _load("validation_insar_conftest", TESTS / "conftest.py")
    saved = sys.modules.get("conftest")
    sys.modules["conftest"] = conf
    try:
        return _load("validation_insar_synthetic", TESTS / "test_synthetic.py"), conf
    finally:
        if saved is None:
            sys.modules.pop("conftest", None)
        else:
            sys.modules["conftest"] = saved


def _los(tmp):
    from subsidence.insar.geometry import los_from_heading

    out = []
    # REFERENCES.md: Sentinel-1 at 39°: ascending (−0.616, −0.131, 0.777), descending (0.616, −0.131, 0.777)
    for label, heading, ref in (("ascending", -12.0, (-0.616, -0.131, 0.777)), ("descending", 192.0, (0.616, -0.131, 0.777))):
        e = los_from_heading(39.0, heading)
        out += [Check(f"{label} {c}", float(v), r, abs_tol=6e-4) for c, v, r in zip("ENU", e, ref)]
    return out


def _synthetic(tmp):
    from subsidence.insar.model import run_from_result
    from subsidence.insar.noise import DUTCH_S1
    from subsidence.insar.validate import Options, compare

    syn, conf = _synthetic_module()
    ds = syn.synthetic(DUTCH_S1, seed=11)
    c = compare(ds, run_from_result(conf.bowl_result(1.0)), Options(noise=DUTCH_S1))
    n = c.noise["n"]
    # noise level of first-epoch-referenced data from the REFERENCES.md covariance (σ0², σs², σt², mm²)
    expected = np.sqrt(2 * (9.49 + 4.96) + 2 * 4.53 * 0.8) * 1e-3
    return [
        Check("true model χ²/N (χ²_N: 1 ± 4√(2/N))", c.noise["chi2_per_value"], 1.0, abs_tol=4 * np.sqrt(2.0 / n)),
        Check("true model RMSE [m] vs expected noise level", c.overall["rmse_m"], c.noise["expected_rmse_m"], rel_tol=0.10),
        Check("expected noise level [m] vs REFERENCES covariance", c.noise["expected_rmse_m"], expected, rel_tol=0.10),
        Check("true model bias [m]", c.overall["bias_m"], 0.0, abs_tol=1.5e-3, unit="m"),
    ]


PAGE = "docs/insar.md"
BENCHMARKS = [
    Benchmark("insar-s1-los", "Sentinel-1 line-of-sight unit vectors at 39° incidence, both passes",
              "subsidence.insar.geometry.los_from_heading", "REFERENCES.md (InSAR)", PAGE, _los),
    Benchmark("insar-synthetic-misfit", "synthetic bowl + Dutch S1 correlated noise, 150 points, 4 yr, seed 11",
              "tests/insar/test_synthetic.py synthetic()", "χ²_N statistics; noise covariance of REFERENCES.md", PAGE, _synthetic),
]
