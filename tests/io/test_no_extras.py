"""``pip install subsidence`` without extras (no mpi4py, no dolfinx) runs the analytic cases.

The FE stack is hidden from a subprocess by a ``sitecustomize`` that makes importing
mpi4py, petsc4py, dolfinx, basix, ufl and ffcx fail, as on a machine without them.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.serial

ROOT = Path(__file__).resolve().parents[2]

BLOCKER = '''
import sys
class _NoFE:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("mpi4py", "petsc4py", "dolfinx", "basix", "ufl", "ffcx"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None
sys.meta_path.insert(0, _NoFE())
'''


@pytest.fixture
def no_fe(tmp_path):
    d = tmp_path / "site"
    d.mkdir()
    (d / "sitecustomize.py").write_text(BLOCKER)

    def run(*args):
        env = dict(os.environ, PYTHONPATH=str(d), PYTHONUNBUFFERED="1", MPLBACKEND="Agg")
        return subprocess.run([sys.executable, "-m", "subsidence.cli", *args], cwd=ROOT, capture_output=True,
                              text=True, env=env, timeout=300)

    return run


def test_blocker_hides_mpi4py(no_fe, tmp_path):
    env = dict(os.environ, PYTHONPATH=str(tmp_path / "site"))
    no_fe("info")  # writes the blocker
    r = subprocess.run([sys.executable, "-c", "import mpi4py"], env=env, capture_output=True, text=True)
    assert r.returncode != 0 and "mpi4py" in r.stderr


def test_analytic_case_runs_without_mpi4py_and_dolfinx(no_fe, tmp_path):
    out = tmp_path / "disc"
    r = no_fe("run", "cases/disc_geertsma.toml", "--out", str(out))
    assert r.returncode == 0, r.stderr
    s = json.loads((out / "summary.json").read_text())
    assert s["max_subsidence_m"] == pytest.approx(0.02519, rel=0.005)
    m = json.loads((out / "manifest.json").read_text())
    assert m["ranks"] == 1 and m["versions"]["mpi"] is None
    for f in ("surface.nc", "points.csv", "case.toml", "subsidence_map.png"):
        assert (out / f).is_file(), f
    r = no_fe("check", "cases/disc_geertsma.toml")
    assert r.returncode == 0 and "OK" in r.stdout
    r = no_fe("info")
    assert r.returncode == 0 and "not available" in r.stdout
    r = no_fe("export", str(out), "--geotiff", "-o", str(tmp_path / "tif"))
    assert r.returncode == 0, r.stderr
    r = no_fe("compare", str(out), str(out), "--no-plot", "-o", str(tmp_path / "cmp"))
    assert r.returncode == 0, r.stdout + r.stderr


def test_fe_case_without_dolfinx_says_how_to_install(no_fe, tmp_path):
    r = no_fe("run", "cases/fem_disc.toml", "--out", str(tmp_path / "fem"))
    assert r.returncode == 2
    assert "not available in this installation" in r.stderr and "Traceback" not in r.stderr


def test_shallow_fe_cross_section_without_dolfinx_names_the_key(no_fe, tmp_path):
    r = no_fe("check", "cases/shallow_peat_meadow.toml")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "lumped_resistances" in r.stderr and "subsidence[fem]" in r.stderr


def test_validate_runs_without_mpi4py(no_fe, tmp_path):
    run = tmp_path / "gron"
    assert no_fe("run", "cases/groningen_deep.toml", "--out", str(run), "-q").returncode == 0
    r = no_fe("validate", str(run), "--insar", "tests/insar/data/tudelft_t88_sample.csv", "--pass", "ascending",
              "--out", str(tmp_path / "val"))
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "val" / "report.html").is_file()
