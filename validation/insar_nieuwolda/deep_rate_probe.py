"""Does the deep model's subsidence rate slow down after 2015, and is that the compaction law or the
pressure history? A physics probe without data (docs/calibration.md, "Skill by forecast horizon").

    python validation/insar_nieuwolda/deep_rate_probe.py

The deep rate at Nieuwolda (RD 260956, 585426) of cases/groningen_deep.toml, averaged over
2015-2016, 2017-2018 and 2019-2021, with the shipped time-decay law, with RTiCM (Pruiksma et al.
2015; b and sigma_dot_ref as typical in REFERENCES.md, cm_d and cm_ref scaled to give the shipped
bowl's size by 2018), and with the time-decay law under a pressure history that keeps its
2010-2014 rate of decline to 2023.
"""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path

import numpy as np
from mpi4py import MPI  # noqa: F401  (before dolfinx/petsc4py, via the package)

from subsidence.config import case_from_dict
from subsidence.studies.deep import displacement_at

ROOT = Path(__file__).resolve().parents[2]
X, Y = np.array([260956.0]), np.array([585426.0])
YEARS = np.arange(55.0, 62.01, 0.25)  # years since 1960
PERIODS = ((55, 57, "2015-2016"), (57, 59, "2017-2018"), (59, 62, "2019-2021"))


def _case(mutate=None):
    d = tomllib.loads((ROOT / "cases" / "groningen_deep.toml").read_text())
    d["reservoirs"][0]["shape"]["file"] = str(ROOT / "validation" / "data" / "nieuwolda" / "PetrelFieldPoly.dat")
    d.pop("validation", None)
    if mutate:
        mutate(d["reservoirs"][0])
    return case_from_dict(copy.deepcopy(d))


def rates(case):
    uz = np.asarray(displacement_at(case.config, X, Y, YEARS * 365.25 * 86400.0)[2]).ravel() * 1e3
    r = np.gradient(uz, YEARS)
    return [float(r[(YEARS >= a) & (YEARS <= b)].mean()) for a, b, _ in PERIODS], float(uz[YEARS == 58.0][0])


def main():
    def rticm(res):
        res["compaction"] = {"law": "rticm", "cm_d": "0.4e-5 1/bar", "cm_ref": "1.5e-5 1/bar", "b": 0.025,
                             "sigma_dot_ref": "1e-5 bar/yr", "sigma0": "330 bar"}

    def steady(res):  # -3.75 bar/yr (the 2010-2014 rate) on to 2023
        pc = res["pressure_change"]
        pc["value"][7] = f"{-250 - 4 * 3.75} bar"
        pc["value"][8] = f"{-250 - 9 * 3.75} bar"

    rows = [("time-decay, tau 3 yr (shipped)", _case()), ("RTiCM (b 0.025, sigma_dot_ref 1e-5 bar/yr)", _case(rticm)),
            ("time-decay, pressure declining at the 2010-2014 rate to 2023", _case(steady))]
    print("| model | " + " | ".join(f"rate {p} [mm/yr]" for *_, p in PERIODS) + " | 2017-18 / 2015-16 | uz 2018 [mm] |")
    print("|---|" + "---|" * (len(PERIODS) + 2))
    for name, case in rows:
        r, u18 = rates(case)
        print(f"| {name} | " + " | ".join(f"{v:.2f}" for v in r) + f" | {r[1] / r[0]:.3f} | {u18:.0f} |")


if __name__ == "__main__":
    main()
