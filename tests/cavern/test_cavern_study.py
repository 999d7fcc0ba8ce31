"""The cavern case file: checked parsing with named errors, and a small run end to end."""

import copy
import csv
import json
from pathlib import Path

import numpy as np
import pytest

from subsidence.config import case_from_dict
from subsidence.config.errors import CaseError

from cavern_helpers import BASE  # noqa: E402



def case(**changes):
    d = copy.deepcopy(BASE)
    for k, v in changes.items():
        d[k] = v
    if "operation" not in d and "scenarios" not in d:
        d["operation"] = [{"mode": "open"}, {"mode": "shut_in", "start": 1}]
    return case_from_dict(d, file="test.toml")


@pytest.mark.parametrize(
    "changes, key, words",
    [
        (dict(geometry={**BASE["geometry"], "mesh_size": 3}), "geometry.mesh_size", "unknown key"),
        (dict(operation=[{"mode": "bleed"}]), "operation[0].mode", "not one of"),
        (dict(operation=[{"mode": "open"}, {"mode": "cbbo", "start": 2, "p_high": 20, "p_low": 22}]), "operation[1].mode", "p_low < p_high"),
        (dict(operation=[{"mode": "open"}, {"mode": "cbbo", "start": 2, "p_high": 20}]), "operation[1].mode", "either"),
        (dict(operation=[{"mode": "open"}, {"mode": "cbbo", "start": 2, "p_high": 12, "p_low": 9}]),
         "caverns[0].casing_shoe_depth", "brine-column"),
        (dict(operation=[{"mode": "open", "start": 1}]), "operation[0].start", "start at 0"),
        (dict(caverns=[{**BASE["caverns"][0], "bottom_depth": 1490}]), "caverns[0].bottom_depth", "well below the cavern"),
        (dict(caverns=[{**BASE["caverns"][0], "bottom_depth": 1600}]), "caverns[0].bottom_depth", "above the model bottom"),
        (dict(caverns=[{**BASE["caverns"][0], "radius": 400}]), "caverns[0].radius", "much larger"),
        (dict(time={"end": -3}), "time.end", "must be > 0 yr, got -3 yr"),
        (dict(caverns=[]), "caverns", "exactly one"),
        (dict(layers=[BASE["layers"][0]]), "layers[0].bottom_depth", "model bottom"),
        (dict(time={"end": "3 MPa"}), "time.end", "not convertible"),
        (dict(layers=[BASE["layers"][0], {**BASE["layers"][1], "creep": {"A": 1, "kelvin_viscosity": 1e16}}]),
         "layers[1].creep.kelvin_viscosity", "both"),
    ],
)
def test_bad_input_names_file_key_and_reason(changes, key, words):
    with pytest.raises(CaseError) as exc:
        case(**changes)
    msg = str(exc.value)
    assert "test.toml" in msg and key in msg and words in msg


def test_units_and_gradients_are_converted():
    c = case(operation=[{"mode": "open"}, {"mode": "cbbo", "start": 1, "p_high_gradient": "0.019 MPa/m",
                                            "p_low_gradient": 0.017, "rate": 50}])
    ph = c.config.scenarios[0].operation[1]
    assert ph.p_high == pytest.approx(0.019e6 * 800) and ph.p_low == pytest.approx(0.017e6 * 800)
    assert ph.rate == pytest.approx(50 / 86400) and ph.start == pytest.approx(365.25 * 86400)
    law = c.config.layers[1].law
    assert law.A == pytest.approx(0.18 / 86400) and law.Q == 54e3
    # lithostatic stress from the layer densities
    assert c.config.p_lith(np.array([-800.0]))[0] == pytest.approx((400 * 2250 + 400 * 2160) * 9.81)


@pytest.mark.fem
def test_small_case_runs_and_writes_the_contract(comm, tmp_path):
    from subsidence.run import run_case

    out = Path(comm.bcast(str(tmp_path), root=0)) / "run"
    scen = [
        {"name": "shut-in", "operation": [{"mode": "open"}, {"mode": "shut_in", "start": 1}]},
        {"name": "cbbo", "operation": [{"mode": "open"}, {"mode": "shut_in", "start": 1},
                                       {"mode": "cbbo", "start": 1.5, "interval": 0.6, "volume": 2, "rate": 100}]},
    ]
    summary = run_case(case(scenarios=scen), out, comm=comm)
    if comm.rank == 0:
        for f in ("cavern.csv", "scenarios.csv", "scenarios.md", "points.csv", "surface.nc", "summary.json", "manifest.json",
                  "cavern_history.png", "scenarios/cbbo/cavern.csv", "scenarios/shut-in/surface.nc"):
            assert (out / f).is_file(), f
        rows = list(csv.DictReader(open(out / "cavern.csv")))
        assert {r["scenario"] for r in rows} == {"shut-in", "cbbo"}
        table = {r["scenario"]: r for r in csv.DictReader(open(out / "scenarios.csv"))}
        assert float(table["cbbo"]["bled_m3"]) > float(table["shut-in"]["bled_m3"])
        assert int(table["cbbo"]["releases"]) == 2
        # the sealed cavern's pressure rises above the brine column, the bled one's less so
        assert float(table["shut-in"]["max_pressure_MPa"]) > 0.012 * 800 + 0.1
        s = json.loads((out / "summary.json").read_text())
        assert s["max_subsidence_m"] > 0 and s["kind"] == "cavern"
        # deformation measures of the surface grid, per scenario too
        assert (out / "deformation.nc").is_file() and (out / "scenarios/cbbo/deformation.nc").is_file()
        assert s["max_tilt"] > 0 and s["deformation_method"].startswith("second-order central finite differences")
        assert not (out.parent / "run.checkpoint").exists()
    assert summary["scenarios"]["cbbo"]["caverns"][0]["volume_loss_pct"] > 0
    assert all(v > 0 for v in summary["scenarios"]["cbbo"]["wall_window_m"].values())  # quoted with the factors


@pytest.mark.fem
def test_failing_run_stops_with_a_report_and_keeps_results(comm, tmp_path, monkeypatch):
    """A step that never converges: the run stops with a clear message; <out>.failed/ has
    error.txt and cavern.csv up to the last converged step; the checkpoint is kept."""
    from subsidence.cavern import model as cmodel
    from subsidence.run import run_case

    calls = {"n": 0}
    orig = cmodel.CreepModel.solve_step

    def flaky(self, dt, *a, **k):
        calls["n"] += 1
        if calls["n"] > 12:
            raise cmodel.StepFailed("injected failure")
        return orig(self, dt, *a, **k)

    monkeypatch.setattr(cmodel.CreepModel, "solve_step", flaky)
    out = Path(comm.bcast(str(tmp_path), root=0)) / "run"
    d = copy.deepcopy(BASE)
    d["time"]["checkpoint_every"] = 5
    d["operation"] = [{"mode": "open"}, {"mode": "shut_in", "start": 1}]
    with pytest.raises(Exception, match="did not converge after"):
        run_case(case_from_dict(d, file="test.toml"), out, comm=comm)
    if comm.rank == 0:
        failed = out.parent / "run.failed"
        assert (failed / "error.txt").is_file() and not (failed / "manifest.json").exists()
        rows = list(csv.DictReader(open(failed / "cavern.csv")))
        assert len(rows) == 12  # initial state + 11 converged steps
        assert any((out.parent / "run.checkpoint").rglob("*.pkl"))


@pytest.mark.fem
def test_small_cluster_3d(comm, tmp_path):
    """Two caverns in 3D: each follows its own operation, pillar stress and the surface bowl
    come out, and the shut-in cavern's pressure rises while the open one stays at the column."""
    from subsidence.run import run_case

    d = copy.deepcopy(BASE)
    d["geometry"] = {"type": "cluster", "extent": [-500, 500, -400, 400], "domain_depth": 1500,
                     "mesh_size_wall": 40, "mesh_size_far": 400}
    cav = {"top_depth": 800, "bottom_depth": 900, "radius": 25, "dome_height": 20}
    d["caverns"] = [{"name": "W", "x": -90, "y": 0, **cav},
                    {"name": "E", "x": 90, "y": 0, **cav, "operation": [{"mode": "open"}, {"mode": "shut_in", "start": 0.5}]}]
    d["operation"] = [{"mode": "open"}]
    d["time"] = {"end": 2, "dt_max": 1, "outputs": [1, 2]}
    d["surface"] = {"n": 7}
    out = Path(comm.bcast(str(tmp_path), root=0)) / "run"
    summary = run_case(case_from_dict(d, file="test.toml"), out, comm=comm)
    if comm.rank == 0:
        rows = list(csv.DictReader(open(out / "cavern.csv")))
        last = {r["cavern"]: r for r in rows}
        assert float(last["W"]["pressure_MPa"]) == pytest.approx(0.012 * 800, rel=1e-9)
        assert float(last["E"]["pressure_MPa"]) > 0.012 * 800 + 0.05
        assert 0 < float(last["W"]["volume_loss_rel"]) < 0.05
        assert 15 < float(last["W"]["pillar_0-1_vertical_MPa"]) < 30
        assert set(r["name"] for r in csv.DictReader(open(out / "points.csv"))) == {"above_W", "above_E"}
    assert summary["max_subsidence_m"] > 0
    # 40 m wall elements against a 3.4 m wall window: the run says its wall indicators are not converged
    coarse = [w for w in summary.get("warnings", []) if "mesh_size_wall = 40 m is larger than the wall window" in w]
    assert len(coarse) == 1 and "W (3.44 m)" in coarse[0] and "E (3.44 m)" in coarse[0], summary.get("warnings")
