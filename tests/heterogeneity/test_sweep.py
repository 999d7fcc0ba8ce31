"""Sweeps over heterogeneity parameters (``[sweep]``, issue 10).

Guards against: members that are not the case with the swept values (checked against the same
case run on its own), a sweep that reruns finished members after an interruption, members lost
or doubled when dealt to MPI sub-communicators, a table whose changes are not member over
reference, and bad sweep keys reaching the run.
"""

import copy
import csv
import json
import sys
from pathlib import Path

import numpy as np
import pytest
from mpi4py import MPI

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fem"))
from test_heterogeneity_bodies import BASE, LENS  # noqa: E402

from subsidence.config import CaseError  # noqa: E402
from subsidence.config.case import case_from_dict  # noqa: E402

pytestmark = pytest.mark.fem
comm = MPI.COMM_WORLD


def _case():
    d = copy.deepcopy(BASE)
    d["bodies"] = [copy.deepcopy(LENS)]
    d["mesh"] = {"reservoir_size": 500.0, "surface_size": 800.0, "far_size": 2500.0, "lateral_margin": 4000.0}
    d["sweep"] = {"parameters": [{"key": "bodies.0.E", "values": [1.0e10, 5.0e10, 2.0e11]}]}
    return d


def test_sweep_runs_members_restarts_and_tabulates(shared_tmp):
    import xarray as xr

    from subsidence.heterogeneity.sweep import run_sweep
    from subsidence.run import run_case

    case = case_from_dict(_case())
    out = shared_tmp / "sweep"
    s = run_sweep(case, out, comm)
    assert s["members"] == 3 and s["skipped"] == 0 and s["groups"] == min(comm.size, 3)
    with open(out / "sweep.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["member"] for r in rows] == ["m000", "m001", "m002"]
    assert [float(r["bodies.0.E"]) for r in rows] == [1.0e10, 5.0e10, 2.0e11]
    # zero contrast member = the reference; stiffer lenses: shallower bowls, monotonically
    ch = [float(r["change_max_subsidence_m"]) for r in rows]
    assert abs(ch[0]) < 1e-6 and ch[2] < ch[1] < 0.0
    assert (out / "sweep_bodies_0_E.png").is_file() and (out / "bowl" / "differences.nc").is_file()
    # a member is the case with that value, run on its own
    one = copy.deepcopy(_case())
    del one["sweep"]
    one["bodies"][0]["E"] = 5.0e10
    run_case(case_from_dict(one), shared_tmp / "alone", comm=comm)
    with xr.open_dataset(out / "members" / "m001" / "surface.nc") as a, \
            xr.open_dataset(shared_tmp / "alone" / "surface.nc") as b:
        assert np.max(np.abs(a["uz"].values - b["uz"].values)) < 1e-7 * np.abs(b["uz"].values).max()
    # restart: remove one member; only it runs again
    stamp = {m: json.loads((out / "members" / m / "manifest.json").read_text())["started_utc"] for m in ("m000", "m002")}
    comm.Barrier()
    if comm.rank == 0:
        import shutil

        shutil.rmtree(out / "members" / "m001")
    comm.Barrier()
    s2 = run_sweep(case, out, comm)
    assert s2["skipped"] == 2
    assert (out / "members" / "m001" / "manifest.json").is_file()
    for m, t in stamp.items():
        assert json.loads((out / "members" / m / "manifest.json").read_text())["started_utc"] == t


@pytest.mark.parametrize("sweep, words", [
    ({"parameters": [{"key": "bodies.3.E", "values": [1.0]}]}, "not in the case file"),
    ({"parameters": [{"key": "bodies.0.E", "values": [-1.0]}]}, "not a valid case"),
    ({"parameters": [{"key": "bodies.0.E", "values": [1e9, 2e9]}, {"key": "bodies.0.nu", "values": [0.2]}],
      "combine": "zip"}, "same number of values"),
    ({"parameters": [{"key": "bodies.0.E"}]}, "expected {key"),
])
def test_bad_sweep_names_the_problem(sweep, words):
    d = _case()
    d["sweep"] = sweep
    with pytest.raises(CaseError) as e:
        case_from_dict(d)
    assert "sweep" in str(e.value) and words in str(e.value), str(e.value)


@pytest.mark.serial
def test_sweep_command_on_two_ranks_restarts_in_a_fresh_process(tmp_path):
    """``mpiexec -n 2 python -m subsidence.heterogeneity.sweep``: two groups of one rank; rerun in a new
    process after removing the member of group 0 (the reference and the other member complete, so
    nothing else touches PETSc first): it must finish (a group that initialised PETSc on its own
    waited for the idle rank forever) and run only that member."""
    import os
    import subprocess

    from subsidence.config.case import dict_to_toml

    if comm.size > 1:
        pytest.skip("starts its own mpiexec")
    d = _case()
    d["sweep"] = {"parameters": [{"key": "bodies.0.E", "values": [1.0e10, 1.0e11]}]}
    case = tmp_path / "sweep.toml"
    case.write_text(dict_to_toml(d))
    root = Path(__file__).resolve().parents[2]
    cmd = [str(root / ".venv" / "bin" / "mpiexec"), "-n", "2", sys.executable, "-m", "subsidence.heterogeneity.sweep",
           str(case), "--out", str(tmp_path / "out")]
    env = {**os.environ, "SUBSIDENCE_PROGRESS": "off"}
    first = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)
    assert first.returncode == 0, first.stderr[-2000:]
    import shutil

    shutil.rmtree(tmp_path / "out" / "members" / "m000")
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)
    assert again.returncode == 0, again.stderr[-2000:]
    assert "1 complete already" in again.stderr and "2 of 2 members done" in again.stderr
    assert (tmp_path / "out" / "members" / "m000" / "manifest.json").is_file()


@pytest.mark.serial  # the CLI aborts the whole MPI job on an error (so that no rank hangs): one rank only
def test_subsidence_sweep_command_names_a_case_without_sweep(tmp_path, capsys):
    """`subsidence sweep` is a command of the CLI; a case without [sweep] is a clear error (exit 2)."""
    from subsidence.cli import main

    root = Path(__file__).resolve().parents[2]
    rc = main(["sweep", str(root / "cases" / "fem_disc.toml"), "--out", str(tmp_path / "s"), "-q"])
    err = capsys.readouterr().err
    assert rc == 2 and "sweep" in err and "Traceback" not in err
    assert not (tmp_path / "s").exists() or not any((tmp_path / "s").iterdir())
