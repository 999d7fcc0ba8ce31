"""Calibration (ES-MDA): page docs/calibration.md.

The ES-MDA update against the exact posterior of a two-parameter linear-Gaussian problem
(the case of tests/calibration/test_esmda.py, loaded from there; same tolerances as the test).
"""

import importlib.util
from pathlib import Path

import numpy as np

from framework import Benchmark, Check

ROOT = Path(__file__).resolve().parents[2]


def _case():
    spec = importlib.util.spec_from_file_location("validation_calibration_esmda", ROOT / "tests/calibration/test_esmda.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.linear_gaussian_case


def _linear_gaussian(tmp):
    mp, Pp, M = _case()()
    sd = np.sqrt(np.diag(Pp))
    out = [Check(f"posterior mean m{i + 1}", float(M[i].mean()), float(mp[i]), abs_tol=0.03 * float(sd[i])) for i in range(2)]
    C = np.cov(M)
    out += [Check(f"posterior sd m{i + 1}", float(np.sqrt(C[i, i])), float(sd[i]), rel_tol=0.05) for i in range(2)]
    out.append(Check("posterior correlation", float(C[0, 1] / np.sqrt(C[0, 0] * C[1, 1])),
                     float(Pp[0, 1] / np.sqrt(Pp[0, 0] * Pp[1, 1])), abs_tol=0.03))
    return out


BENCHMARKS = [
    Benchmark("esmda-linear-gaussian", "ES-MDA, 4 assimilations, 20 000 members, 2 parameters, 4 data",
              "tests/calibration/test_esmda.py::linear_gaussian_case", "closed-form Gaussian posterior",
              "docs/calibration.md", _linear_gaussian),
]
