"""``subsidence impact RUN --buildings FILE``: footprints from CSV and polygons, buildings.csv,
counts, invalid rows with their reasons, and clear errors for a bad footprint file.

Guards against: the main axis or the orientation convention (clockwise from north) read
wrongly, polygons in another CRS not transformed, a bad row losing the other buildings, and a
bad file failing without naming the file and the row or column.
"""

import csv
import json

import numpy as np
import pytest

from subsidence.cli import main as cli_main

from tests.deep.helpers import disc_case

X0, Y0 = 230000.0, 580000.0  # RD New, in the north of the Netherlands


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    import subsidence

    d = disc_case(output__points=None, reservoirs__0__shape={"type": "disc", "center": [X0, Y0], "radius": 2000.0},
                  output__grid={"x": [X0 - 6000.0, X0 + 6000.0, 121], "y": [Y0 - 6000.0, Y0 + 6000.0, 121]})
    d["crs"] = "EPSG:28992"
    out = tmp_path_factory.mktemp("impact") / "disc"
    _, summary = subsidence.run(d, out=out)
    return out, summary


def _csv(path, rows, header="name,x,y,length,orientation,height"):
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    return path


def _read(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_csv_buildings_are_assessed_and_bad_rows_listed(run_dir, tmp_path, capsys):
    run, summary = run_dir
    f = _csv(tmp_path / "houses.csv", [f"centre,{X0},{Y0},20,90,6", f"flank,{X0 + 2200},{Y0},30,90,8",
                                       f"north,{X0},{Y0 + 2200},30,0,", f"typo,{X0},{Y0},2O,90,6",
                                       f"far,{X0 + 9000},{Y0},20,0,6"])
    rc = cli_main(["impact", str(run), "--buildings", str(f), "--out", str(tmp_path / "imp")])
    err = capsys.readouterr().err
    assert rc == 0, err
    rows = {r["name"]: r for r in _read(tmp_path / "imp" / "buildings.csv")}
    assert set(rows) == {"centre", "flank", "north"}
    c = rows["centre"]
    # a 20 m building at the centre of the bowl: uniform sagging curvature κ gives Δ = κL²/8, so Δ/L = κL/8;
    # its axial strain is the (isotropic) compression there
    assert float(c["deflection_ratio"]) == pytest.approx(summary["max_curvature"] * 20.0 / 8.0, rel=0.01)
    assert float(c["horizontal_strain"]) == pytest.approx(-summary["max_horizontal_compression"], rel=0.01)
    assert c["mode"] == "sagging" and c["category"] == "0" and float(c["height_m"]) == 6.0
    # orientation clockwise from north: the east-west building east of the centre tilts along its axis (down
    # towards the centre, i.e. up towards +x), the north-south one north of it the same along +y
    assert float(rows["flank"]["tilt"]) == pytest.approx(summary["max_tilt"], rel=0.02)
    assert float(rows["north"]["tilt"]) == pytest.approx(float(rows["flank"]["tilt"]), rel=1e-3)
    assert float(rows["north"]["height_m"]) == 6.0  # the default where the file gives none
    bad = _read(tmp_path / "imp" / "buildings_invalid.csv")
    assert [(b["row"], b["name"]) for b in bad] == [("5", "typo"), ("6", "far")]
    assert "houses.csv, row 5: field 'length': not a number: '2O'" in bad[0]["reason"]
    assert "row 6: outside the output grid" in bad[1]["reason"]
    assert "houses.csv, row 5" in err
    s = json.loads((tmp_path / "imp" / "impact.json").read_text())
    assert s["counts"] == {"0": 3, "1": 0, "2": 0, "3": 0, "4-5": 0} and s["assessed"] == 3 and s["invalid"] == 2
    assert (tmp_path / "imp" / "buildings_map.png").is_file()


def test_bad_footprint_files_are_clear_errors(run_dir, tmp_path, capsys):
    run, _ = run_dir
    f = _csv(tmp_path / "nocol.csv", [f"a,{X0},{Y0},20"], header="name,x,y,length")
    assert cli_main(["impact", str(run), "--buildings", str(f), "--out", str(tmp_path / "o1")]) == 2
    err = capsys.readouterr().err
    assert "nocol.csv" in err and "missing column(s) orientation" in err and "Traceback" not in err
    f = _csv(tmp_path / "allbad.csv", [f"a,{X0},{Y0},20,90,6", f"b,{X0},{Y0},20,ninety,6"])
    f.write_text(f.read_text().replace(f"a,{X0},{Y0},20,90,6", f"a,{X0},{Y0},0,90,6"))
    assert cli_main(["impact", str(run), "--buildings", str(f), "--out", str(tmp_path / "o2")]) == 2
    err = capsys.readouterr().err
    assert "allbad.csv, row 2: field 'length': must be > 0 m" in err
    assert "allbad.csv, row 3: field 'orientation': not a number: 'ninety'" in err
    assert not (tmp_path / "o2").exists()
    assert cli_main(["impact", str(run), "--buildings", str(tmp_path / "missing.gpkg")]) == 2
    assert "missing.gpkg: no such footprint file" in capsys.readouterr().err
    junk = tmp_path / "junk.geojson"
    junk.write_text("{ not json")
    assert cli_main(["impact", str(run), "--buildings", str(junk)]) == 2
    assert "junk.geojson: cannot be read as a vector file" in capsys.readouterr().err


def _rect(cx, cy, length, width, azimuth_deg):
    a = np.radians(azimuth_deg)
    e = np.array([np.sin(a), np.cos(a)])
    n = np.array([e[1], -e[0]])
    c = np.array([cx, cy])
    pts = [c + sl * length / 2 * e + sw * width / 2 * n for sl, sw in ((-1, -1), (1, -1), (1, 1), (-1, 1))]
    return [list(map(float, p)) for p in pts + pts[:1]]


def _feature(name, coords, gtype="Polygon", height=None):
    props = {"name": name}
    if height is not None:
        props["height"] = height
    geom = {"type": gtype, "coordinates": [coords] if gtype == "Polygon" else coords}
    return {"type": "Feature", "properties": props, "geometry": geom}


def test_polygons_in_wgs84_give_the_main_axis_in_the_run_crs(run_dir, tmp_path, capsys):
    import pyproj

    run, _ = run_dir
    to_ll = pyproj.Transformer.from_crs("EPSG:28992", "EPSG:4326", always_xy=True)
    rect = _rect(X0 + 1000.0, Y0 + 500.0, 30.0, 12.0, 30.0)
    ll = [list(to_ll.transform(x, y)) for x, y in rect]
    bowtie = [[X0, Y0], [X0 + 10, Y0 + 10], [X0 + 10, Y0], [X0, Y0 + 10], [X0, Y0]]
    feats = [_feature("house", ll, height=9.0),
             _feature("bowtie", [list(to_ll.transform(x, y)) for x, y in bowtie]),
             _feature("pole", list(to_ll.transform(X0, Y0)), gtype="Point")]
    f = tmp_path / "houses.geojson"
    f.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    rc = cli_main(["impact", str(run), "--buildings", str(f), "--out", str(tmp_path / "imp")])
    assert rc == 0, capsys.readouterr().err
    (row,) = _read(tmp_path / "imp" / "buildings.csv")
    assert row["name"] == "house" and float(row["height_m"]) == 9.0
    assert float(row["length_m"]) == pytest.approx(30.0, abs=0.01)
    assert float(row["orientation_deg"]) == pytest.approx(30.0, abs=0.05)
    assert float(row["x"]) == pytest.approx(X0 + 1000.0, abs=0.01) and float(row["y"]) == pytest.approx(Y0 + 500.0, abs=0.01)
    bad = {b["name"]: b["reason"] for b in _read(tmp_path / "imp" / "buildings_invalid.csv")}
    assert "houses.geojson, feature 2: invalid polygon: Self-intersection" in bad["bowtie"]
    assert "houses.geojson, feature 3: geometry must be a polygon, got Point" in bad["pole"]


def _gpkg(path, rects, crs):
    import pyogrio
    import shapely

    geoms = np.array([shapely.to_wkb(shapely.Polygon(r)) for r in rects], dtype=object)
    names = np.array([f"gp{k + 1}" for k in range(len(rects))], dtype=object)
    pyogrio.raw.write(path, geoms, [names], ["name"], geometry_type="Polygon", crs=crs, driver="GPKG")
    return path


def test_geopackage_polygons_and_a_run_without_crs(run_dir, tmp_path, capsys):
    import subsidence

    run, _ = run_dir
    f = _gpkg(tmp_path / "houses.gpkg", [_rect(X0 - 800.0, Y0 + 300.0, 18.0, 9.0, 120.0)], "EPSG:28992")
    assert cli_main(["impact", str(run), "--buildings", str(f), "--out", str(tmp_path / "imp")]) == 0
    (row,) = _read(tmp_path / "imp" / "buildings.csv")
    assert row["name"] == "gp1" and float(row["length_m"]) == pytest.approx(18.0, abs=1e-6)
    assert float(row["orientation_deg"]) == pytest.approx(120.0, abs=1e-6) and float(row["height_m"]) == 6.0
    capsys.readouterr()
    # a run without a crs cannot place a file that has one: every feature is listed, nothing assessed
    d = disc_case(output__points=None, output__grid={"x": [-3000.0, 3000.0, 31], "y": [-3000.0, 3000.0, 31]})
    subsidence.run(d, out=tmp_path / "nocrs")
    assert cli_main(["impact", str(tmp_path / "nocrs"), "--buildings", str(f), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "houses.gpkg, feature 1: the file is in" in err and "the run has no crs" in err


def test_time_and_run_errors(run_dir, tmp_path, capsys):
    run, _ = run_dir
    f = _csv(tmp_path / "one.csv", [f"a,{X0},{Y0},20,90,6"])
    assert cli_main(["impact", str(run), "--buildings", str(f), "--time", "5", "--out", str(tmp_path / "o")]) == 2
    assert "no output time 5 yr (the run has 10)" in capsys.readouterr().err
    assert cli_main(["impact", str(run), "--buildings", str(f), "--time", "10", "--out", str(tmp_path / "o")]) == 0
    assert json.loads((tmp_path / "o" / "impact.json").read_text())["time_yr"] == 10.0
    empty = tmp_path / "notarun"
    empty.mkdir()
    assert cli_main(["impact", str(empty), "--buildings", str(f)]) == 2
    assert "notarun: no surface.nc or points.nc" in capsys.readouterr().err


def test_fragility_curves_and_son_cording_columns(run_dir, tmp_path, capsys):
    run, _ = run_dir
    f = _csv(tmp_path / "h.csv", [f"centre,{X0},{Y0},20,90,6", f"flank,{X0 + 2200},{Y0},30,90,8"])
    frag = tmp_path / "frag.toml"
    frag.write_text('demand = "angular_distortion"\n[[states]]\nname = "DS1"\nmedian = 1e-6\ndispersion = 0.5\n'
                    '[[states]]\nname = "DS2"\nmedian = 1e-3\ndispersion = 0.5\n')
    assert cli_main(["impact", str(run), "--buildings", str(f), "--fragility", str(frag), "--out", str(tmp_path / "o")]) == 0
    rows = _read(tmp_path / "o" / "buildings.csv")
    for r in rows:
        p = [float(r[k]) for k in ("p_none", "p_DS1", "p_DS2")]
        assert sum(p) == pytest.approx(1.0, abs=1e-5) and r["son_cording_category"] in ("0", "1", "2", "3", "4-5")
    s = json.loads((tmp_path / "o" / "impact.json").read_text())
    assert s["fragility"]["demand"] == "angular_distortion"
    assert sum(s["fragility"]["expected_counts"].values()) == pytest.approx(2.0, abs=1e-4)
    frag.write_text('demand = "angular_distortion"\n[[states]]\nname = "DS1"\nmedian = 1e-3\ndispersion = 0.5\n'
                    '[[states]]\nname = "DS2"\nmedian = 1e-4\ndispersion = 0.5\n')
    assert cli_main(["impact", str(run), "--buildings", str(f), "--fragility", str(frag), "--out", str(tmp_path / "p")]) == 2
    assert "medians must increase" in capsys.readouterr().err


def test_the_difference_of_two_runs(run_dir, tmp_path):
    """RUN minus itself leaves nothing to assess (all zero); minus a run with half the compaction
    leaves half the deflection."""
    import subsidence

    run, _ = run_dir
    d = disc_case(output__points=None, reservoirs__0__shape={"type": "disc", "center": [X0, Y0], "radius": 2000.0},
                  output__grid={"x": [X0 - 6000.0, X0 + 6000.0, 121], "y": [Y0 - 6000.0, Y0 + 6000.0, 121]})
    d["crs"] = "EPSG:28992"
    d["reservoirs"][0]["compaction"]["cm"] = 0.5 * d["reservoirs"][0]["compaction"]["cm"]
    half = tmp_path / "half"
    subsidence.run(d, out=half)
    f = _csv(tmp_path / "h.csv", [f"flank,{X0 + 2200},{Y0},30,90,8"])
    assert cli_main(["impact", str(run), "--buildings", str(f), "--out", str(tmp_path / "a")]) == 0
    assert cli_main(["impact", str(run), "--buildings", str(f), "--minus", str(run), "--out", str(tmp_path / "z")]) == 0
    assert cli_main(["impact", str(run), "--buildings", str(f), "--minus", str(half), "--out", str(tmp_path / "h")]) == 0
    full, zero, diff = (_read(tmp_path / k / "buildings.csv")[0] for k in ("a", "z", "h"))
    assert float(zero["differential_settlement_m"]) == pytest.approx(0.0, abs=1e-12)
    assert float(diff["tilt"]) == pytest.approx(0.5 * float(full["tilt"]), rel=1e-3)
    assert json.loads((tmp_path / "h" / "impact.json").read_text())["minus"] == str(half)


def test_impact_table_in_a_deep_case(tmp_path):
    """`[impact]` in a deep case: the buildings are assessed after the run, into impact/ of the run
    directory, with their counts in summary.json; a missing buildings file is a named error."""
    import subsidence
    from subsidence.config import CaseError, case_from_dict

    f = _csv(tmp_path / "h.csv", [f"centre,{X0},{Y0},20,90,6", f"far,{X0 + 9000},{Y0},20,0,6"])
    d = disc_case(output__points=None, reservoirs__0__shape={"type": "disc", "center": [X0, Y0], "radius": 2000.0},
                  output__grid={"x": [X0 - 6000.0, X0 + 6000.0, 61], "y": [Y0 - 6000.0, Y0 + 6000.0, 61]})
    d["crs"] = "EPSG:28992"
    d["impact"] = {"buildings": str(f), "height": 7.0}
    out = tmp_path / "run"
    _, summary = subsidence.run(d, out=out)
    assert summary["buildings"]["assessed"] == 1 and summary["buildings"]["invalid"] == 1
    assert (out / "impact" / "buildings.csv").is_file() and (out / "impact" / "buildings_invalid.csv").is_file()
    assert json.loads((out / "impact" / "impact.json").read_text())["run"] == str(out)
    d["impact"] = {"buildings": str(tmp_path / "missing.csv")}
    with pytest.raises(CaseError) as exc:
        case_from_dict(d)
    assert exc.value.key == "impact.buildings"
