"""The command line as a user meets it: run, check, info, errors, atomic output."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.serial  # spawns its own processes

ROOT = Path(__file__).resolve().parents[2]
EXE = [sys.executable, "-m", "subsidence.cli"]


def _run(args, cwd=ROOT):
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    return subprocess.run(EXE + args, cwd=cwd, capture_output=True, text=True, env=env, timeout=300)


def test_run_example_writes_all_outputs(tmp_path):
    out = tmp_path / "disc"
    r = _run(["run", "cases/disc_geertsma.toml", "--out", str(out)])
    assert r.returncode == 0, r.stderr
    for f in ("points.csv", "surface.nc", "deformation.nc", "summary.json", "manifest.json", "case.toml",
              "subsidence_map.png", "cross_section.png", "deformation_map.png"):
        assert (out / f).is_file(), f
    s = json.loads((out / "summary.json").read_text())
    assert s["max_subsidence_m"] == pytest.approx(0.02519, rel=0.005)
    assert s["max_horizontal_m"] == pytest.approx(0.01032, rel=0.005)
    assert s["bowl_volume_m3"] > 0
    for k in ("max_tilt", "max_curvature", "max_horizontal_strain", "max_horizontal_compression"):
        assert s[k] > 0 and s[f"{k}_time_yr"] == 10.0 and len(s[f"{k}_at"]) == 2, k
    assert s["max_tilt"] == pytest.approx(5.99e-6, rel=0.01)  # m/m, tests/deep/test_deformation.py checks the disc
    assert "deformation.nc" in json.loads((out / "manifest.json").read_text())["files"]
    m = json.loads((out / "manifest.json").read_text())
    for k in ("toolkit", "versions", "ranks", "case_sha256", "case", "wall_time_s"):
        assert k in m
    assert m["versions"]["dolfinx"].startswith("0.11")
    assert m["case"]["config"]["model"]["poisson_ratio"] == 0.25
    header = (out / "points.csv").read_text().splitlines()[0]
    assert header == "name,x,y,time,ux,uy,uz"
    assert not list(tmp_path.glob("*.tmp-*"))


def test_bad_case_exits_nonzero_with_message(tmp_path):
    bad = tmp_path / "bad.toml"
    text = (ROOT / "cases/disc_geertsma.toml").read_text().replace("poisson_ratio = 0.25", "poisson_ratio = 0.7")
    bad.write_text(text)
    r = _run(["run", str(bad), "--out", str(tmp_path / "o")])
    assert r.returncode != 0
    assert "bad.toml" in r.stderr and "[model.poisson_ratio]" in r.stderr and "< 0.5" in r.stderr
    assert "Traceback" not in r.stderr
    assert not (tmp_path / "o").exists()
    r = _run(["check", str(bad)])
    assert r.returncode != 0 and "[model.poisson_ratio]" in r.stderr


def test_unknown_key_is_rejected(tmp_path):
    bad = tmp_path / "typo.toml"
    bad.write_text((ROOT / "cases/disc_geertsma.toml").read_text().replace("thickness =", "thicknes ="))
    r = _run(["check", str(bad)])
    assert r.returncode != 0 and "[reservoirs[0].thickness] required key is missing (found 'thicknes': a typo?)" in r.stderr
    bad.write_text((ROOT / "cases/disc_geertsma.toml").read_text().replace("[output]", "[output]\ncolour = 'red'"))
    r = _run(["check", str(bad)])
    assert r.returncode != 0 and "[output.colour] unknown key" in r.stderr


def test_info_lists_versions():
    r = _run(["info", "--json"])
    assert r.returncode == 0, r.stderr
    v = json.loads(r.stdout)
    for k in ("subsidence", "dolfinx", "petsc", "mpi", "gmsh"):
        assert v.get(k), k


def test_refuses_to_overwrite_a_foreign_directory(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("precious")
    r = _run(["run", "cases/disc_geertsma.toml", "--out", str(tmp_path / "mine")])
    assert r.returncode != 0 and "not a run directory" in r.stderr
    assert (tmp_path / "mine" / "thesis.tex").read_text() == "precious"


def test_failed_run_is_not_passed_off_as_complete(tmp_path, monkeypatch):
    from mpi4py import MPI

    from subsidence.config import load_case
    from subsidence.run import run_case

    case = load_case(ROOT / "cases/disc_geertsma.toml")

    def boom(*a, **k):
        raise RuntimeError("solver exploded")

    monkeypatch.setattr("subsidence.studies.deep._run_analytic", boom)
    with pytest.raises(RuntimeError):
        run_case(case, tmp_path / "run", comm=MPI.COMM_SELF)
    assert not (tmp_path / "run").exists()
    failed = tmp_path / "run.failed"
    assert (failed / "error.txt").is_file() and not (failed / "manifest.json").exists()
    assert "did NOT complete" in (failed / "error.txt").read_text()
