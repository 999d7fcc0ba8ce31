"""Write ``calibration/observations.npz`` of the 2019 forecast: the observations it was calibrated on.

The calibration was made before ``subsidence calibrate`` saved them (since then it does, as
``observations.npz``). ``subsidence forecast … --insar LATER --reference calibration`` (or
``first-epochs``) needs them to score a product of the later epochs only. They are read here from
the shipped product exactly as the calibration read it (the case's ``[validation]`` options and
``--pass ascending``, the same points and epochs up to 2018-12-31); the product's sha256 and the
points are checked against the calibration's record, so nothing about the forecast changes.

    python validation/insar_nieuwolda/forecast_2019/make_observations.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import mpi4py.MPI  # noqa: F401  (before anything that loads PETSc)
import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]


def observations():
    """The calibration's observations (``Observations``), checked against its record."""
    from types import SimpleNamespace

    from subsidence.calibration.calibrate import observations_from
    from subsidence.calibration.check import last_calibration_date
    from subsidence.calibration.forecast import load_calibration
    from subsidence.insar.cli import read_dataset

    cal = HERE / "calibration"
    case, st = load_calibration(cal)
    rec = json.loads((cal / "calibration.json").read_text(encoding="utf-8"))["data"]
    product = ROOT / "validation" / "data" / "nieuwolda" / Path(rec["file"]).name
    args = SimpleNamespace(format=None, insar_crs=None, unit=None, component=None, pass_=rec["read"]["pass"],
                           heading=None, incidence=None, geometry=None, mask=None, chunksize=None)
    ds = read_dataset(product, args, case.validation, crs=case.crs or "EPSG:28992")
    if ds.provenance["sha256"] != rec["read"]["sha256"]:
        sys.exit(f"{product}: sha256 {ds.provenance['sha256']} is not the calibration's {rec['read']['sha256']}")
    obs = observations_from(ds, start_date=case.start_date, until=last_calibration_date(cal))
    if not np.array_equal(obs.ids, st["ids"].astype(str)) or int(obs.cal.sum()) != rec["calibration_epochs"]:
        sys.exit("the product's points or epochs are not the calibration's")
    return obs


if __name__ == "__main__":
    from subsidence.calibration.output import save_observations

    obs = observations()
    save_observations(HERE / "calibration" / "observations.npz", obs)
    print(f"wrote {HERE / 'calibration' / 'observations.npz'}: {obs.ids.size} points × {int(obs.cal.sum())} epochs")
