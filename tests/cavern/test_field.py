"""A field of caverns from a CSV (``geometry.type = "field"``): reading the CSV with named
errors, identical caverns computed once, the summed surface equal to the sum of single runs,
and the field's bowl rate compared with InSAR by ``subsidence validate``."""

import copy
import csv
import json
from pathlib import Path

import numpy as np
import pytest

from subsidence.config import case_from_dict
from subsidence.config.errors import CaseError

from cavern_helpers import BASE  # noqa: E402

HEADER = "name,x,y,top_depth,bottom_depth,radius,shape,dome_height,casing_shoe_depth,operation"
# P and Q: the same cavern and operation (one model); R: deeper, another operation. 3-4 km apart.
ROWS = [
    "P,100000,400000,800,900,25,cylinder,15,,sealed",
    "Q,103000,400000,800,900,25,cylinder,15,,sealed",
    "R,101500,403000,850,950,50,sphere,,840,",
]
OPERATIONS = [{"name": "sealed", "operation": [{"mode": "open"}, {"mode": "shut_in", "start": 1}]},
              {"name": "cbbo", "operation": [{"mode": "open"},
                                             {"mode": "cbbo", "start": 1, "p_high_gradient": 0.0135, "p_low_gradient": 0.0125}]}]
POINTS = [("above_P", 100000, 400000), ("between", 101500, 401000), ("above_R", 101500, 403000), ("far", 99000, 404000)]


def field_dict(tmp_path, rows=ROWS, header=HEADER, write=True, **changes):
    """The field case; ``write``: (re)write its CSV (in a directory shared by MPI ranks only rank 0
    may: two ranks writing the file while one reads it was a race that failed one rank)."""
    csvp = Path(tmp_path) / "data" / "field.csv"
    if write:
        csvp.parent.mkdir(parents=True, exist_ok=True)
        csvp.write_text("# a test field\n" + header + "\n" + "\n".join(rows) + "\n")
    d = copy.deepcopy(BASE)
    d.pop("caverns")
    d["geometry"] = {**d["geometry"], "type": "field"}
    d["caverns"] = {"file": "data/field.csv"}
    d["operations"] = copy.deepcopy(OPERATIONS)
    d["operation"] = [{"mode": "open"}]
    d["crs"] = "EPSG:28992"
    d["start_date"] = "2026-01-01"
    d["surface"] = {"n": 9, "points": [{"name": n, "x": x, "y": y} for n, x, y in POINTS]}
    d.update(changes)
    return d


def field_case(tmp_path, **kw):
    return case_from_dict(field_dict(tmp_path, **kw), file=Path(tmp_path) / "case.toml")


def test_field_csv_is_read(tmp_path):
    from subsidence.cavern.bowl import half_width_for_fraction
    from subsidence.cavern.field import field_grid, model_groups

    c = field_case(tmp_path)
    cfg = c.config
    assert cfg.geometry == "field" and [cv.name for cv in cfg.caverns] == ["P", "Q", "R"]
    P, Q, R = cfg.caverns
    assert (P.x, P.y, R.x, R.y) == (100000, 400000, 101500, 403000)
    assert (P.operation_name, R.operation_name) == ("sealed", None) and R.operation is None  # R: the case's operation
    assert [ph.mode for ph in P.operation] == ["open", "shut_in"]
    assert R.shape == "sphere" and R.shoe_depth == 840 and P.shoe_depth == 800
    assert model_groups(cfg) == [[0, 1], [2]]  # P and Q: one model
    assert cfg.field_sha256 and cfg.field_file.endswith("field.csv") and c.warnings == []
    # no surface.half_width: 95 % of the deepest cavern's bowl needs 18 x its centroid depth (900 m),
    # capped at the largest margin inside the model (domain_radius / sqrt 2)
    assert cfg.surface_half_width_auto
    assert cfg.surface_half_width_needed == pytest.approx(half_width_for_fraction(900.0), rel=1e-9)
    assert cfg.surface_half_width == pytest.approx(1500 / np.sqrt(2))
    xs, ys = field_grid(cfg)
    assert xs[0] <= 100000 - cfg.surface_half_width + 1e-6 and xs[-1] >= 103000 + cfg.surface_half_width - 1e-6
    assert ys[0] <= 400000 - cfg.surface_half_width + 1e-6 and ys[-1] >= 403000 + cfg.surface_half_width - 1e-6
    assert np.allclose(np.diff(xs), np.diff(xs)[0]) and np.diff(ys)[0] == pytest.approx(np.diff(xs)[0])
    # pressures given as gradients are taken at each cavern's own shoe
    d = field_dict(tmp_path, rows=[ROWS[0], "S,110000,400000,1000,1100,25,cylinder,15,,cbbo", "T,110000,405000,800,900,25,,,,cbbo"])
    cfg = case_from_dict(d, file=Path(tmp_path) / "case.toml").config
    assert cfg.caverns[1].operation[1].p_high == pytest.approx(0.0135e6 * 1000)
    assert cfg.caverns[2].operation[1].p_high == pytest.approx(0.0135e6 * 800)


@pytest.mark.parametrize("rows, header, where, words", [
    ([ROWS[0], "Q,103000,400000,800,900,-5,cylinder,15,,sealed"], HEADER, "line 4 (cavern 'Q'), column radius", "must be > 0"),
    ([ROWS[0], "Q,103000,abc,800,900,25,cylinder,15,,sealed"], HEADER, "line 4 (cavern 'Q'), column y", "abc"),
    ([ROWS[0], "Q,103000,400000,800,900,25,cylinder,15,,bleed"], HEADER, "line 4 (cavern 'Q'), column operation",
     "unknown operation 'bleed'"),
    ([ROWS[0], "Q,103000,400000,900,800,25,cylinder,15,,sealed"], HEADER, "line 4 (cavern 'Q'), column bottom_depth", "must be >"),
    ([ROWS[0], "Q,103000,400000,800,900,25,cube,15,,sealed"], HEADER, "line 4 (cavern 'Q'), column shape", "not one of"),
    ([ROWS[0], "Q,103000,400000,800,900,25,cylinder,15,850,sealed"], HEADER, "line 4 (cavern 'Q'), column casing_shoe_depth",
     "inside the cavern"),
    ([ROWS[0], "Q,103000,400000,100,300,25,cylinder,15,,sealed"], HEADER, "line 4 (cavern 'Q'), column top_depth", "without a creep law"),
    ([ROWS[0], "Q,103000,400000,800,1400,25,cylinder,15,,sealed"], HEADER, "line 4 (cavern 'Q'), column bottom_depth",
     "well below the cavern"),
    ([ROWS[0], "P,103000,400000,800,900,25,cylinder,15,,sealed"], HEADER, "line 4 (cavern 'P'), column name", "used twice"),
    ([ROWS[0], "Q,100030,400000,800,900,25,cylinder,15,,sealed"], HEADER, "line 4 (cavern 'Q'), column x", "overlaps cavern 'P'"),
    ([ROWS[0], "Q,103000,400000,800,900"], HEADER, "field.csv line 4", "expected 10 values"),
    ([ROWS[0], ",103000,400000,800,900,25,cylinder,15,,sealed"], HEADER, "column name", "needs a name"),
    ([ROWS[0]], "name,x,y,top_depth,bottom_depth,radius,colour", "line 2 (header), column colour", "unknown column"),
    ([ROWS[0]], "name,x,top_depth,bottom_depth,radius", "line 2 (header)", "missing column(s) y"),
    ([], HEADER, "", "no caverns"),
])
def test_bad_rows_name_the_file_line_and_column(tmp_path, rows, header, where, words):
    with pytest.raises(CaseError) as exc:
        field_case(tmp_path, rows=rows, header=header)
    e = exc.value
    assert e.file.endswith("field.csv"), e
    assert where in e.key and words in e.reason, e


def test_field_keys_are_checked(tmp_path):
    def err(**changes):
        with pytest.raises(CaseError) as exc:
            case_from_dict(changes.pop("d", None) or field_dict(tmp_path, **changes), file=Path(tmp_path) / "case.toml")
        return exc.value

    e = err(caverns={"file": "data/nothere.csv"})
    assert e.key == "caverns.file" and "file not found" in e.reason
    d = field_dict(tmp_path)
    d["geometry"]["origin"] = [1, 2]
    assert err(d=d).key == "geometry.origin"
    d = field_dict(tmp_path)
    d["geometry"]["type"] = "axisymmetric"
    e = err(d=d)
    assert e.key == "caverns.file" and "geometry.type = \"field\"" in e.reason
    d = field_dict(tmp_path)
    d["operations"][1]["operation"][1]["p_high_gradient"] = 0.03  # above the lithostatic stress at every shoe
    assert err(d=d).key == "operations[1].operation[1].p_high_gradient"
    # close caverns: a warning that the superposition neglects their creep interaction
    c = field_case(tmp_path, rows=[ROWS[0], "Q,100120,400000,800,900,25,cylinder,15,,sealed"])
    assert any("120 m apart" in w and "cluster" in w for w in c.warnings)


@pytest.fixture(scope="module")
def field_runs(tmp_path_factory):
    """The field (P, Q, R) and single axisymmetric runs of its two distinct caverns, with the
    points of the field shifted so that one single run gives the contribution of P and of Q."""
    from mpi4py import MPI

    from subsidence.run import run_case

    comm = MPI.COMM_WORLD
    tmp = Path(comm.bcast(str(tmp_path_factory.mktemp("field")) if comm.rank == 0 else None, root=0))
    if comm.rank == 0:
        field_dict(tmp)  # the CSV, written once
    comm.Barrier()
    fs = run_case(field_case(tmp, write=False), tmp / "field", comm=comm)
    d = field_dict(tmp, write=False)
    cfg = field_case(tmp, write=False).config
    singles = {}
    for c in (cfg.caverns[0], cfg.caverns[2]):
        s = copy.deepcopy(BASE)
        s["caverns"] = [{"name": c.name, "shape": c.shape, "top_depth": c.top_depth, "bottom_depth": c.bottom_depth,
                         "radius": c.radius, **({"dome_height": c.dome_height} if c.shape == "cylinder" else {}),
                         "casing_shoe_depth": c.shoe_depth}]
        s["geometry"] = {**d["geometry"], "type": "axisymmetric", "origin": [c.x, c.y]}
        s["operation"] = (OPERATIONS[0]["operation"] if c.operation_name == "sealed" else d["operation"])
        pts = [(n, x, y) for n, x, y in POINTS]
        if c.name == "P":  # Q is P moved by (3000, 0): its contribution at a point is P's at the point − (3000, 0)
            pts += [(n + "_Q", x - 3000.0, y) for n, x, y in POINTS]
        s["surface"] = {"n": 9, "points": [{"name": n, "x": x, "y": y} for n, x, y in pts]}
        s["crs"], s["start_date"] = "EPSG:28992", "2026-01-01"
        singles[c.name] = run_case(case_from_dict(s, file=tmp / f"single_{c.name}.toml"), tmp / f"single_{c.name}", comm=comm)
    return tmp, fs, singles


def _points(path):
    out = {}
    for r in csv.DictReader(open(path)):
        out.setdefault(r["name"], []).append((float(r["time"]), float(r["uz"]), float(r["ux"]), float(r["uy"])))
    return {k: np.array(v) for k, v in out.items()}


@pytest.mark.fem
def test_field_is_the_sum_of_single_runs(field_runs):
    """The field's surface at map points equals the sum of the single caverns' runs (the same
    models, so to rounding: 1e-9 of the largest displacement); identical caverns share a model.
    Under mpiexec -n 2 the field's models run on one rank each and the singles on two: the same
    numbers, so distributing the models changes nothing but the time."""
    from mpi4py import MPI

    tmp, fs, singles = field_runs
    assert fs["field"]["models"] == 2 and fs["field"]["model_of_cavern"] == {"P": 1, "Q": 1, "R": 2}
    # the two models run side by side on two ranks (each its own sub-communicator), in turn on one
    size = MPI.COMM_WORLD.size
    assert fs["field"]["model_ranks"] == ({"model1": [0], "model2": [1]} if size == 2 else
                                          {"model1": list(range(0, size, 2)), "model2": list(range(1, size, 2))}
                                          if size > 2 else {"model1": [0], "model2": [0]})
    if MPI.COMM_WORLD.rank != 0:
        return
    field = _points(tmp / "field" / "points.csv")
    sp, sr = _points(tmp / "single_P" / "points.csv"), _points(tmp / "single_R" / "points.csv")
    scale = max(np.abs(v[:, 1:]).max() for v in field.values())
    assert scale > 1e-5  # the shut-in caverns lift/lower the ground by more than 10 µm
    for n, _, _ in POINTS:
        expect = sp[n][:, 1:] + sp[n + "_Q"][:, 1:] + sr[n][:, 1:]
        np.testing.assert_allclose(field[n][:, 0], sp[n][:, 0])  # same output times
        np.testing.assert_allclose(field[n][:, 1:], expect, rtol=0, atol=1e-9 * scale)
    # the rows of P and Q are the same model's (names aside), R's those of its single run
    rows = list(csv.DictReader(open(tmp / "field" / "cavern.csv")))
    p = [r for r in rows if r["cavern"] == "P"]
    q = [r for r in rows if r["cavern"] == "Q"]
    assert len(p) == len(q) > 3 and all(a["pressure_MPa"] == b["pressure_MPa"] for a, b in zip(p, q))
    single_r = list(csv.DictReader(open(tmp / "single_R" / "cavern.csv")))
    assert [r["volume_m3"] for r in rows if r["cavern"] == "R"] == [r["volume_m3"] for r in single_r]
    # outputs: the contract of a cavern run plus the per-cavern table and the input CSV
    for f in ("surface.nc", "points.csv", "cavern.csv", "scenarios.csv", "scenarios.md", "cavern_history.png",
              "field_caverns.csv", "caverns_input.csv", "summary.json", "scenarios/base/field_caverns.csv"):
        assert (tmp / "field" / f).is_file(), f
    per = {r["cavern"]: r for r in csv.DictReader(open(tmp / "field" / "field_caverns.csv"))}
    assert set(per) == {"P", "Q", "R"} and per["P"]["model"] == per["Q"]["model"] == "1"
    assert float(per["P"]["uz_above_mm"]) == pytest.approx(1e3 * field["above_P"][-1, 1], rel=1e-9)
    s = json.loads((tmp / "field" / "summary.json").read_text())
    b = s["bowl"]
    assert set(b["source_depth_m"]) == {"P", "Q", "R"} and b["fraction"] is not None and 0 < b["max_fraction"] < 1


@pytest.mark.fem
@pytest.mark.serial
def test_validate_compares_the_field_bowl_rate_with_insar(field_runs, tmp_path):
    """``subsidence validate`` on a field run: synthetic InSAR (vertical, mm) made of the field's
    own displacement at its points plus a known 2 mm/yr: the velocity misfit is that 2 mm/yr."""
    from mpi4py import MPI

    from subsidence.cli import main as cli_main

    tmp, fs, _ = field_runs
    if MPI.COMM_WORLD.size > 1:
        pytest.skip("the validate CLI runs on one rank")
    field = _points(tmp / "field" / "points.csv")
    times = field["above_P"][:, 0]  # years since 2026-01-01
    dates = [np.datetime64("2026-01-01") + np.timedelta64(int(round(t * 365.25)), "D") for t in times]
    lines = ["id,x,y," + ",".join(str(d) for d in dates)]
    for n, x, y in POINTS:
        obs = 1e3 * field[n][:, 1] - 2.0 * times  # mm, 2 mm/yr more subsidence than the model
        lines.append(f"{n},{x},{y}," + ",".join(f"{v:.6f}" for v in obs))
    (tmp_path / "insar.csv").write_text("\n".join(lines) + "\n")
    out = tmp_path / "val"
    rc = cli_main(["validate", str(tmp / "field"), "--insar", str(tmp_path / "insar.csv"), "--format", "generic",
                   "--unit", "mm", "--component", "up", "--insar-crs", "EPSG:28992", "--out", str(out)])
    assert rc == 0
    d = json.loads((out / "validation.json").read_text())["datasets"][0]
    assert d["data"]["points"] == len(POINTS)
    assert d["overall"]["velocity_rmse_m_per_yr"] == pytest.approx(2e-3, rel=1e-3)
    # and the model's own bowl rate is not zero (the comparison sees the caverns)
    assert max(abs(v) for v in fs["scenarios"]["base"]["point_rates_mm_per_yr"].values()) > 1e-3


def test_field_from_cavern_tables(tmp_path):
    """A field may list its caverns as [[caverns]] tables (map x, y, own [[caverns.operation]])."""
    from subsidence.cavern.field import model_groups

    d = field_dict(tmp_path)
    cav = {"top_depth": 800, "bottom_depth": 900, "radius": 25, "dome_height": 15}
    d["caverns"] = [{"name": "U", "x": 5000, "y": 7000, **cav},
                    {"name": "V", "x": 9000, "y": 7000, **cav, "operation": [{"mode": "open"}, {"mode": "shut_in", "start": 1}]},
                    {"name": "W", "x": 5000, "y": 3000, **cav}]
    d.pop("operations")
    cfg = case_from_dict(d, file=Path(tmp_path) / "case.toml").config
    assert [(c.name, c.x, c.y) for c in cfg.caverns] == [("U", 5000, 7000), ("V", 9000, 7000), ("W", 5000, 3000)]
    assert cfg.field_file is None and cfg.caverns[1].operation[1].mode == "shut_in"
    assert model_groups(cfg) == [[0, 2], [1]]  # U and W: same cavern, the case's operation
    with pytest.raises(CaseError) as exc:  # named operations belong to a field's CSV
        case_from_dict({**copy.deepcopy(BASE), "operation": [{"mode": "open"}], "operations": OPERATIONS}, file="t.toml")
    assert exc.value.key == "operations" and "field" in exc.value.reason
