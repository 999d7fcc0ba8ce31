"""Resuming a sweep (found by a robustness sweep, tiny axisymmetric FE cases): a member folder
without manifest.json (an interrupted member) blocked the resume; a resume with fewer swept
values left the old members' folders and maps beside the new tables and reran the unchanged
reference (its hash held [sweep]); sweep.csv's change_*_m columns hold fractions, not metres
(kept, with correctly named diff_* and rel_change_* beside them)."""

import copy
import csv
import json
import tomllib
from pathlib import Path

import pytest
from mpi4py import MPI

from subsidence.config.case import case_from_dict

pytestmark = pytest.mark.fem
comm = MPI.COMM_WORLD
ROOT = Path(__file__).resolve().parents[2]


def _case(thicknesses):
    d = tomllib.loads((ROOT / "cases" / "fem_disc.toml").read_text())
    d["output"]["grid"] = {"x": [-10000.0, 10000.0, 41], "y": [-10000.0, 10000.0, 41]}
    d["sweep"] = {"parameters": [{"key": "reservoirs.0.thickness", "values": list(thicknesses)}]}
    return case_from_dict(copy.deepcopy(d))


def _started(path):
    return json.loads((path / "manifest.json").read_text())["started_utc"], (path / "manifest.json").stat().st_mtime_ns


def _on_rank0(fn):
    comm.Barrier()
    if comm.rank == 0:
        fn()
    comm.Barrier()


def _csv(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_interrupted_member_is_run_again(shared_tmp):
    """A member folder without manifest.json (an interrupted member) is run again, not an error
    ("exists, is not empty and is not a run directory"); nothing else runs."""
    from subsidence.heterogeneity.sweep import run_sweep

    out = shared_tmp / "sweep"
    s = run_sweep(_case([50.0, 100.0]), out, comm)
    assert s["members"] == 2 and s["skipped"] == 0
    ref0, m000 = _started(out / "reference"), _started(out / "members" / "m000")
    _on_rank0(lambda: (out / "members" / "m001" / "manifest.json").unlink())
    s = run_sweep(_case([50.0, 100.0]), out, comm)
    assert s["skipped"] == 1
    assert (out / "members" / "m001" / "manifest.json").is_file()
    assert not (out / "members" / "m001.failed").exists()
    assert _started(out / "reference") == ref0 and _started(out / "members" / "m000") == m000


def test_fewer_values_leave_no_stale_outputs_and_keep_the_reference(shared_tmp):
    """Resumed with fewer values: m001 is no member any more (moved to stale/), its maps and rows
    are gone; the reference, which does not depend on the swept values, is not run again."""
    from subsidence.heterogeneity.sweep import run_sweep

    out = shared_tmp / "sweep"
    run_sweep(_case([50.0, 100.0]), out, comm)
    ref0, m000 = _started(out / "reference"), _started(out / "members" / "m000")
    s = run_sweep(_case([50.0]), out, comm)
    assert s["members"] == 1 and s["skipped"] == 1
    assert _started(out / "reference") == ref0 and _started(out / "members" / "m000") == m000
    assert [p.name for p in (out / "members").iterdir()] == ["m000"]
    assert (out / "stale" / "m001" / "manifest.json").is_file()
    assert sorted(p.name for p in (out / "bowl").glob("difference_*")) == ["difference_m000.png"]
    assert [r["run"] for r in _csv(out / "bowl" / "metrics.csv")] == ["reference", "m000"]
    assert [r["member"] for r in _csv(out / "sweep.csv")] == ["m000"]
    assert not (out / "bowl.partial").exists()


def test_sweep_csv_names_its_changes_correctly(shared_tmp):
    """change_* (kept for existing readers) is member / reference - 1 despite the "_m" in its name;
    diff_* is the difference in the metric's unit, rel_change_* the fraction."""
    from subsidence.heterogeneity.sweep import run_sweep

    out = shared_tmp / "sweep"
    run_sweep(_case([50.0]), out, comm)
    (row,) = _csv(out / "sweep.csv")
    ref = next(r for r in _csv(out / "bowl" / "metrics.csv") if r["run"] == "reference")
    rel = float(row["rel_change_max_subsidence"])
    assert -0.55 < rel < -0.45  # half the reservoir's thickness (the reference is the case: 100 m)
    assert float(row["change_max_subsidence_m"]) == pytest.approx(rel, abs=1e-6)
    assert float(row["diff_max_subsidence_m"]) == pytest.approx(
        float(row["max_subsidence_m"]) - float(ref["max_subsidence_m"]), rel=1e-4)
    assert float(row["diff_max_subsidence_m"]) == pytest.approx(rel * float(ref["max_subsidence_m"]), rel=1e-4)
    assert float(row["rel_change_bowl_volume"]) == pytest.approx(float(row["change_bowl_volume_m3"]), abs=1e-6)
    assert float(row["diff_bowl_volume_m3"]) == pytest.approx(rel * float(ref["bowl_volume_m3"]), rel=0.05)
    header = list(row)  # the old columns keep their order, the new ones follow
    assert header.index("change_max_horizontal_strain") < header.index("diff_max_subsidence_m")


def test_sweep_folder_of_an_earlier_version_keeps_its_reference(shared_tmp):
    """A sweep folder whose reference ran with [sweep] in its case (before the reference left it
    out) resumes without running the reference again."""
    from subsidence.heterogeneity.sweep import _legacy_reference_sha, run_sweep

    out = shared_tmp / "old"
    case = _case([100.0])
    run_sweep(case, out, comm)
    legacy = _legacy_reference_sha(case)
    assert legacy is not None

    def age():
        m = json.loads((out / "reference" / "manifest.json").read_text())
        m["case_sha256"] = legacy
        (out / "reference" / "manifest.json").write_text(json.dumps(m))

    _on_rank0(age)
    ref0 = _started(out / "reference")
    s = run_sweep(case, out, comm)
    assert s["skipped"] == 1 and _started(out / "reference") == ref0
