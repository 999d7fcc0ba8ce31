"""Bad input is rejected with a message naming the file, the key and the reason."""

import datetime

import pytest

from subsidence.config import CaseError, case_from_dict, load_case

from .helpers import disc_case


@pytest.mark.parametrize(
    "changes, key, words",
    [
        ({"model__poisson_ratio": 0.5}, "model.poisson_ratio", "< 0.5"),
        ({"model__poisson_ratio": -1.2}, "model.poisson_ratio", "> -1"),
        ({"reservoirs__0__thickness": -5.0}, "reservoirs[0].thickness", "> 0"),
        ({"reservoirs__0__depth": None}, "reservoirs[0].depth", "missing"),
        ({"reservoirs__0__colour": "red"}, "reservoirs[0].colour", "unknown key"),
        ({"model__kernel": "van-opstal"}, "model.basement_depth", "required"),
        ({"model__kernel": "van-opstal", "model__basement_depth": 2000.0}, "model.basement_depth", "not below"),
        ({"output__times": [10.0, 5.0]}, "output.times", "increasing"),
        ({"reservoirs__0__pressure_change": {"time": [0.0, 10.0], "value": [0.0]}}, "reservoirs[0].pressure_change.value", "expected 2"),
        ({"reservoirs__0__compaction": {"law": "linear", "cm": "1e-5 bar"}}, "reservoirs[0].compaction.cm", "not convertible"),
        ({"reservoirs__0__compaction": {"law": "magic", "cm": 1e-10}}, "reservoirs[0].compaction.law", "not one of"),
        ({"reservoirs__0__shape": {"type": "disc", "center": [0.0], "radius": 1.0}}, "reservoirs[0].shape.center", "expected 2"),
        ({"output__grid": {"x": [0.0, 1.0, 2.5], "y": [0.0, 1.0, 3]}}, "output.grid.x", "integer"),
        ({"kind": "volcano"}, "kind", "not one of"),
        ({"crs": "EPSG:99999999"}, "crs", "unknown CRS"),
        ({"start_date": "2015-13-01"}, "start_date", "ISO date"),
        ({"model__method": "magic"}, "model.method", "not one of"),
        ({"reservoirs__0__shape": {"type": "polygon", "vertices": [[0.0, 0.0], [1000.0, float("nan")], [0.0, 1000.0]]}},
         "reservoirs[0].shape.vertices", "vertex 2 (numbered from 1)"),
        ({"reservoirs__0__shape": {"type": "polygon", "vertices": [[0.0, 0.0], [1000.0, 0.0], [float("inf"), 1000.0]]}},
         "reservoirs[0].shape.vertices", "not finite"),
        ({"reservoirs__0__cell_size": 50.0}, "reservoirs[0].cell_size", "belongs in the shape table"),
        ({"start_date": datetime.datetime(2015, 1, 1, 12, 0)}, "start_date", "a date is expected"),
        ({"model__poisson_ratio": "0.25 yr"}, "model.poisson_ratio", "a plain number is expected here"),
    ],
)
def test_bad_values_name_the_key(changes, key, words):
    with pytest.raises(CaseError) as e:
        case_from_dict(disc_case(**changes), file="case.toml")
    msg = str(e.value)
    assert msg.startswith("case.toml: ")
    assert f"[{key}]" in msg
    assert words in msg


def test_unit_strings_are_converted_once():
    cfg = case_from_dict(
        disc_case(
            reservoirs__0__compaction={"law": "linear", "cm": "1e-5 1/bar"},
            reservoirs__0__pressure_change={"time": ["0 yr", "120 month"], "value": ["0 bar", "-100 bar"]},
            reservoirs__0__depth="3 km",
        )
    ).config
    r = cfg.reservoirs[0]
    assert r.compaction.cm == pytest.approx(1e-10)
    assert r.depth == pytest.approx(3000.0)
    assert r.history.values[-1] == pytest.approx(-1e7)
    assert r.history.times[-1] == pytest.approx(10 * 365.25 * 86400, rel=1e-3)


def test_bare_string_without_unit_is_rejected():
    with pytest.raises(CaseError, match=r"\[reservoirs\[0\]\.depth\].*no unit"):
        case_from_dict(disc_case(reservoirs__0__depth="3000"))


def test_toml_syntax_error_names_the_file(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text("name = 'x'\n[model\n")
    with pytest.raises(CaseError, match="bad.toml.*not valid TOML"):
        load_case(p)


def test_missing_polygon_file(tmp_path):
    d = disc_case(reservoirs__0__shape={"type": "polygon", "file": "nowhere.dat"})
    with pytest.raises(CaseError, match=r"\[reservoirs\[0\]\.shape\.file\] file not found"):
        case_from_dict(d, file=tmp_path / "c.toml")


def test_grid_file_errors_name_the_column(tmp_path):
    (tmp_path / "g.csv").write_text("x,y,depth,thick\n0,0,3000,100\n100,0,3000,100\n")
    d = disc_case(reservoirs__0__shape={"type": "grid", "file": "g.csv"}, reservoirs__0__depth=None,
                  reservoirs__0__thickness=None)
    with pytest.raises(CaseError, match=r"g\.csv: field 'thickness'.*missing"):
        case_from_dict(d, file=tmp_path / "c.toml")


def test_a_bowl_beyond_the_output_grid_is_a_warning(tmp_path):
    # the reservoir far outside the grid: the largest motion on the grid lies on its edge, and the
    # summary says that max_subsidence_m is the edge's value, not the bowl's
    import subsidence

    case = disc_case(reservoirs__0__shape={"type": "disc", "center": [30000.0, 0.0], "radius": 2000.0},
                     output__grid={"x": [-10000.0, 10000.0, 21], "y": [-10000.0, 10000.0, 21]})
    _, summary = subsidence.run(case)
    assert any("lies on its edge at (10000, 0) m" in w for w in summary["warnings"])
    _, summary = subsidence.run(disc_case(output__grid={"x": [-10000.0, 10000.0, 21], "y": [-10000.0, 10000.0, 21]}))
    assert not any("on its edge" in w for w in summary.get("warnings", []))
