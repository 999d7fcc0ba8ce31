"""The forecast of the Nieuwolda parcels made from all of 2015-2018 before any later data were seen
(validation/insar_nieuwolda/forecast_2019): shipped so that a later product can score it with
``subsidence forecast … --insar LATER``. It must load from any working directory and its record
must be complete and consistent (the run itself is the calibrate/forecast code tested elsewhere)."""

import csv
import json
from pathlib import Path

import numpy as np

from subsidence.calibration.check import last_calibration_date
from subsidence.calibration.forecast import load_calibration

HERE = Path(__file__).resolve().parents[2] / "validation" / "insar_nieuwolda" / "forecast_2019"


def test_the_shipped_calibration_loads_from_anywhere(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # not the repository: the case's data are found from the calibration's place
    case, st = load_calibration(HERE / "calibration")
    assert case.name == "calibration-nieuwolda" and case.kind == "coupled"  # its forcing files were read
    assert str(last_calibration_date(HERE / "calibration")) == "2018-12-31"
    m, N = st["ids"].size, st["zg"].shape[1]
    assert (m, N) == (286, 100) and st["offsets"].shape == (N, m) and np.all(np.isfinite(st["pp"]))


def test_the_recorded_forecast_is_complete():
    with open(HERE / "forecast_points.csv") as f:
        rows = list(csv.DictReader(f))
    dates = sorted({r["date"] for r in rows})
    assert dates[0] == "2019-01-01" and dates[-1] == "2023-01-01" and len(rows) == 286 * len(dates)
    for r in rows[:: 97]:
        lo, mid, hi = (float(r[k]) for k in ("los_p10", "los_p50", "los_p90"))
        assert lo <= mid <= hi and float(r["obs_p10"]) <= lo and hi <= float(r["obs_p90"])
    doc = json.loads((HERE / "calibration" / "calibration.json").read_text())
    assert doc["data"]["held_out_epochs"] == 0 and doc["data"]["calibration_epochs"] == 158


def test_the_added_observations_are_those_the_calibration_was_made_on():
    """observations.npz was added after the forecast (for products of the later epochs only): it must be
    the shipped product's values at the calibration's points and epochs, as the calibration read them."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_observations", HERE / "make_observations.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    obs = mod.observations()  # checks the sha256, points and epochs against calibration.json
    from subsidence.calibration.check import load_calibration_observations

    _, st = load_calibration(HERE / "calibration")
    o = load_calibration_observations(HERE / "calibration", st)
    assert np.array_equal(o["ids"], obs.ids) and np.array_equal(o["dates"], obs.dates[obs.cal])
    assert np.array_equal(o["D"], obs.D[:, obs.cal]) and str(o["component"]) == "los"
