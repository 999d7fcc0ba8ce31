"""``subsidence impact`` on awkward input (found by a robustness sweep): the output folder, the base
length, duplicate building names.

Guards against: a file as ``--out`` failing with a traceback; a folder that mixes the files of two
calls (old ``buildings.csv`` beside a new ``impact.json`` without buildings); a user's folder or the
run itself replaced without ``--force``; a half-written folder left behind; ``--cba`` reporting the
angular distortion over 20 m when another base length was asked for; two buildings of one name.
"""

import csv
import json

import pytest

from subsidence.cli import main as cli_main

from tests.deep.helpers import disc_case

pytestmark = pytest.mark.serial  # calls the CLI's main for error paths

X0, Y0 = 230000.0, 580000.0  # RD New


def _run(tmp_path_factory, name, half, n):
    import subsidence

    d = disc_case(output__points=None, reservoirs__0__shape={"type": "disc", "center": [X0, Y0], "radius": 2000.0},
                  output__grid={"x": [X0 - half, X0 + half, n], "y": [Y0 - half, Y0 + half, n]})
    d["crs"] = "EPSG:28992"
    out = tmp_path_factory.mktemp("impact_out") / name
    subsidence.run(d, out=out)
    return out


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    return _run(tmp_path_factory, "disc", 6000.0, 41)  # 12 km x 12 km, 300 m spacing


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    return _run(tmp_path_factory, "tiny", 5.0, 11)  # 10 m x 10 m: smaller than the 20 m of --cba


def _houses(path, names=("a", "b")):
    rows = [f"{n},{X0 + 300.0 * k},{Y0},20,90,6" for k, n in enumerate(names)]
    path.write_text("name,x,y,length,orientation,height\n" + "\n".join(rows) + "\n")
    return path


def _read(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


# --- bug 1: --out that is a file ---------------------------------------------------------------

def test_out_that_is_a_file_is_a_clear_error(run_dir, tmp_path, capsys):
    f = tmp_path / "file"
    f.write_text("x\n")
    for out in (f, f / "sub"):
        assert cli_main(["impact", str(run_dir), "--base-length", "20", "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert f"[--out] {f} exists and is not a directory" in err and "Traceback" not in err
    assert f.read_text() == "x\n"


# --- bug 3: the output folder is written as a whole -----------------------------------------------

def test_an_earlier_impact_output_is_replaced_not_mixed(run_dir, tmp_path, capsys):
    out = tmp_path / "imp"
    assert cli_main(["impact", str(run_dir), "--buildings", str(_houses(tmp_path / "h.csv")), "--out", str(out)]) == 0
    assert (out / "buildings.csv").is_file() and (out / "buildings_map.png").is_file()
    capsys.readouterr()
    assert cli_main(["impact", str(run_dir), "--base-length", "20", f"--pair={X0},{Y0},{X0 + 300},{Y0}",
                     "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert f"replacing the earlier impact output in {out}" in err
    assert sorted(p.name for p in out.iterdir()) == ["deformation.nc", "deformation_impact.png", "impact.json",
                                                     "pairs.csv"]
    assert "buildings_file" not in json.loads((out / "impact.json").read_text())
    assert [p.name for p in tmp_path.iterdir() if ".partial" in p.name or ".old" in p.name] == []


def test_another_folder_needs_force_and_the_run_is_never_replaced(run_dir, tmp_path, capsys, monkeypatch):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep\n")
    assert cli_main(["impact", str(run_dir), "--base-length", "20", "--out", str(mine)]) == 2
    err = capsys.readouterr().err
    assert f"{mine} exists, is not empty and is not the output of an earlier impact call" in err
    assert "--force" in err and (mine / "notes.txt").read_text() == "keep\n"
    assert cli_main(["impact", str(run_dir), "--base-length", "20", "--out", str(mine), "--force"]) == 0
    assert "which was not an impact output (--force)" in capsys.readouterr().err
    assert not (mine / "notes.txt").exists() and (mine / "impact.json").is_file()
    empty = tmp_path / "empty"
    empty.mkdir()
    assert cli_main(["impact", str(run_dir), "--base-length", "20", "--out", str(empty)]) == 0
    assert (empty / "impact.json").is_file()
    for out in (run_dir, run_dir.parent):  # the run itself, or a folder holding it: never, even with --force
        assert cli_main(["impact", str(run_dir), "--base-length", "20", "--out", str(out), "--force"]) == 2
        assert "is (or holds) the run directory" in capsys.readouterr().err
    assert (run_dir / "surface.nc").is_file() and (run_dir / "manifest.json").is_file()
    monkeypatch.chdir(mine)
    assert cli_main(["impact", str(run_dir), "--base-length", "20", "--out", ".", "--force"]) == 2
    assert "is (or holds) the current directory" in capsys.readouterr().err and (mine / "impact.json").is_file()


def test_a_failed_write_leaves_the_earlier_output_and_no_partial_folder(run_dir, tmp_path, monkeypatch):
    from subsidence.impact import surface_measures
    from subsidence.impact.cli import run_impact

    out = tmp_path / "imp"
    run_impact(run_dir, _houses(tmp_path / "h.csv"), out)
    before = sorted(p.name for p in out.iterdir())
    summary = (out / "impact.json").read_text()

    def boom(*a, **k):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(surface_measures, "plot", boom)
    with pytest.raises(RuntimeError, match="disk on fire"):
        run_impact(run_dir, None, out, base_length=20.0)
    assert sorted(p.name for p in out.iterdir()) == before and (out / "impact.json").read_text() == summary
    assert sorted(p.name for p in tmp_path.iterdir()) == ["h.csv", "imp"]


# --- bug 2: no angular distortion over another base length ------------------------------------------

def test_a_base_length_longer_than_the_grid_is_refused(run_dir, tmp_path, capsys):
    out = tmp_path / "cba_1e6"
    assert cli_main(["impact", str(run_dir), "--base-length", "1e6", "--cba", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "[--base-length] 1e+06 m is too long: the chord of 1e+06 m leaves the output grid at every node" in err
    assert "12000 m × 12000 m" in err and "give a base length below 12000 m" in err and "Traceback" not in err
    assert not out.exists()


def test_cba_says_not_available_instead_of_another_base_length(tiny_run, tmp_path, capsys):
    out = tmp_path / "cba"
    assert cli_main(["impact", str(tiny_run), "--cba", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "angular distortion (over 20 m): not available: the chord of 20 m leaves the output grid" in printed
    rows = {r["quantity"]: r for r in _read(out / "cba_1987_deformation.csv")}
    ad = rows["max_angular_distortion"]
    assert ad["value"] == "" and ad["category"] == "" and ad["unit"] == "1 (over 20 m)"
    assert ad["note"].startswith("not available: the chord of 20 m leaves the output grid at every node")
    assert "a 20 m long" in rows["max_curvature"]["limits_from"]
    assert "| max_angular_distortion |  | 1 (over 20 m) |" in (out / "cba_1987_table.md").read_text()
    s = json.loads((out / "impact.json").read_text())
    assert "base_length_m" not in s["deformation"]  # none was asked for: 20 m is the table's only


def test_cba_rows_never_take_a_value_over_another_base_length():
    from subsidence.impact.cba import deformation_rows

    meas = {"max_horizontal_strain": 1e-4, "max_curvature": 1e-6, "max_curvature_mode": "sagging",
            "min_radius_of_curvature_km": 1000.0, "max_tilt": 1e-3, "base_length_m": 50.0,
            "angular_distortion_not_computed": "not available: because"}
    rows = {r["quantity"]: r for r in deformation_rows(meas, base_length=50.0, height=6.0, e_over_g=2.6,
                                                       run_maxima=None)}
    assert rows["max_angular_distortion"]["value"] == "" and rows["max_angular_distortion"]["note"] == \
        "not available: because" and rows["max_angular_distortion"]["unit"] == "1 (over 50 m)"


# --- bug 5: duplicate names ----------------------------------------------------------------------------

def test_duplicate_building_names_are_an_error(run_dir, tmp_path, capsys):
    f = _houses(tmp_path / "dups.csv", names=("ok", "dup", "dup", "", "row5"))
    out = tmp_path / "o"
    assert cli_main(["impact", str(run_dir), "--buildings", str(f), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{f}: [name] duplicate building name(s): 'dup' (rows 3, 4); 'row5' (rows 5, 6)" in err
    assert "Traceback" not in err and not out.exists()


def test_duplicate_polygon_names_are_an_error(tmp_path):
    from subsidence.config.errors import CaseError
    from subsidence.impact.footprints import read_footprints

    sq = [[0, 0], [10, 0], [10, 5], [0, 5], [0, 0]]
    feats = [{"type": "Feature", "properties": {"name": "barn"}, "geometry": {"type": "Polygon", "coordinates": [sq]}}
             for _ in range(2)]
    f = tmp_path / "barns.geojson"
    f.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    with pytest.raises(CaseError) as e:
        read_footprints(f, default_height=6.0)
    assert e.value.file == str(f) and e.value.key == "name" and "'barn' (features 1, 2)" in e.value.reason
