"""Input checks of the coupled chain's points file, profile_file and deep series
(``[points] file``, ``[points] profile_file``, ``[deep] source = "series"``): ids are text as
written, bad rows are CaseErrors naming the file, column and line."""

import copy
import json

import numpy as np
import pytest

from subsidence.cli import main as cli_main
from subsidence.config import CaseError, case_from_dict
from subsidence.shallow.config import read_points
from subsidence.shallow.deep import SeriesDeep

from .test_chain import _case


def _coupled(tmp_path, points_csv, deep_csv="time,uz\n0,0\n1,-0.02\n", **over):
    pts = tmp_path / "points.csv"
    pts.write_text(points_csv)
    series = tmp_path / "deep.csv"
    series.write_text(deep_csv)
    d = _case(kind="coupled", deep={"source": "series", "file": str(series)}, points={"file": str(pts)},
              water_management={"initial_level": -0.9, "rule": "fraction", "fraction": 1.0, "reference": "own"},
              output={"plots": False})
    d.update(over)
    return d


def _load(tmp_path, d):
    return case_from_dict(d, file=tmp_path / "c.toml")


def _error(tmp_path, d, *words):
    with pytest.raises(CaseError) as e:
        _load(tmp_path, d)
    msg = str(e.value)
    for w in words:
        assert w in msg, (w, msg)
    return msg


# -- 1. ids as text -----------------------------------------------------------------------------
def test_point_ids_are_text_as_written(tmp_path):
    d = _coupled(tmp_path, "name,x,y\n007,0,0\n0010,100,0\n1.50,200,0\n",
                 deep_csv="time,007,0010,1.50\n0,0,0,0\n1,-0.05,-0.001,-0.02\n")
    cfg = _load(tmp_path, d).config
    assert cfg.point_names == ["007", "0010", "1.50"]
    _, _, uz = cfg.deep.displacement(np.array([0.0, 365.25 * 86400]), cfg.point_x, cfg.point_y, names=cfg.point_names)
    np.testing.assert_allclose(uz[-1], [-0.05, -0.001, -0.02])


def test_profile_file_matches_ids_as_text(tmp_path):
    from .test_profiles import _with_profiles

    d = _with_profiles(_coupled(tmp_path, "name,x,y\n007,0,0\n0010,100,0\n"))
    del d["points"]["profile"]
    (tmp_path / "pf.csv").write_text("name,profile\n007,peaty\n0010,peaty\n")
    d["points"]["profile_file"] = str(tmp_path / "pf.csv")
    assert _load(tmp_path, d).config.point_profiles == ["peaty", "peaty"]


# -- 2. duplicate / empty ids, empty areas, missing coordinates ---------------------------------
@pytest.mark.parametrize("text, words", [
    ("name,x,y,area\na,0,0,w\na,100,0,w\nc,200,0,e\n", ["points.csv", "'name'", "line 3", "'a'", "repeats line 2"]),
    ("name,x,y\n,0,0\nb,100,0\n", ["points.csv", "'name'", "line 2", "empty"]),
    ("name,x,y,area\na,0,0,w\nb,100,0,\n", ["points.csv", "'area'", "line 3", "'b'", "empty"]),
    ("name,x,y\na,0,0\nb,,0\n", ["points.csv", "'x'", "line 3", "'b'", "empty"]),
    ("name,x,y\na,0,0\nb,100,nan\n", ["points.csv", "'y'", "line 3", "'b'", "not a finite number"]),
    ("id,geometry\na,POINT (0 0)\nb,POINT (nan 0)\n", ["points.csv", "'geometry'", "line 3", "'b'"]),
])
def test_bad_points_rows_are_case_errors(tmp_path, text, words):
    _error(tmp_path, _coupled(tmp_path, text), "points.file", *words)


# -- 3. empty files, header only, text numbers, spaces in the header ----------------------------
@pytest.mark.parametrize("text, words", [
    ("", ["points.csv", "empty"]),
    ("name,x,y\n", ["points.csv", "header but no points"]),
    ("name,x,y\na,248000,0\nb,248k,0\n", ["points.csv", "'x'", "line 3", "'248k'"]),
    ("name,x,y\na,0,0,5\n", ["points.csv", "line 2", "fields"]),
])
def test_unreadable_points_files_are_case_errors(tmp_path, text, words):
    _error(tmp_path, _coupled(tmp_path, text), "points.file", *words)


def test_header_with_spaces_and_bom(tmp_path):
    (tmp_path / "p.csv").write_text("\ufeffname, x, y, area\n a, 1, 2, w\nb, 3, 4, e\n", encoding="utf-8")
    names, x, y, areas = read_points(tmp_path / "p.csv")
    assert names == ["a", "b"] and areas == ["w", "e"]
    np.testing.assert_array_equal(x, [1, 3])
    np.testing.assert_array_equal(y, [2, 4])


# -- 4. profile_file ----------------------------------------------------------------------------
@pytest.mark.parametrize("text, words", [
    ("name,profile\na,peaty\nb,\n", ["pf.csv", "'profile'", "line 3", "'b'", "empty"]),
    ("name,profile\na,peaty\na,clay\n", ["pf.csv", "line 3", "'a'", "listed twice", "line 2"]),
    ("name,profile\nA,peaty\nB,peaty\n", ["pf.csv", "none of its 2 point id(s)"]),
    ("name,profile\n", ["pf.csv", "none of its 0"]),
    ("id,soil\na,peaty\n", ["pf.csv", "name, profile"]),
])
def test_bad_profile_files(tmp_path, text, words):
    from .test_profiles import _with_profiles

    d = _with_profiles(_coupled(tmp_path, "name,x,y\na,0,0\nb,100,0\n"))
    del d["points"]["profile"]
    (tmp_path / "pf.csv").write_text(text)
    d["points"]["profile_file"] = str(tmp_path / "pf.csv")
    _error(tmp_path, d, "points.profile_file", *words)


def test_blank_profile_column_of_the_points_file(tmp_path):
    from .test_profiles import _with_profiles

    d = _with_profiles(_coupled(tmp_path, "name,x,y,profile\na,0,0,peaty\nb,100,0,\n"))
    del d["points"]["profile"]
    _error(tmp_path, d, "points.file", "'profile'", "'b'", "empty")


# -- 5. deep series -----------------------------------------------------------------------------
PTS = "name,x,y\na,0,0\nb,100,0\n"


@pytest.mark.parametrize("deep, words", [
    ("time,uz\n", ["deep.csv", "header but no rows"]),
    ("time,uz\n0,0\n0.5,\n1,-0.01\n", ["deep.csv", "'uz'", "line 3", "empty"]),
    ("time,uz\n0,0\n0.5,-1 cm\n1,-0.01\n", ["deep.csv", "'uz'", "line 3", "'-1 cm'"]),
    ("# comment\ntime,uz\n0,0\n1,-0.01\n0.5,0\n", ["deep.csv", "'time'", "line 5", "increase"]),
    ("date,uz\n01/01/2017,0\n01/07/2017,-0.01\n01/01/2018,-0.02\n", ["deep.csv", "'date'", "line 2", "YYYY-MM-DD"]),
    ("date,uz\n2017-01-01,0\n2017-02-30,-0.01\n2018-01-01,-0.02\n", ["deep.csv", "'date'", "line 3", "YYYY-MM-DD"]),
    ("date,uz\n2017-01-01,0\n2017-06-01,-0.01\n", ["deep.csv", "2017-06-01", "2018-01-01", "cover the whole run"]),
    ("date,uz\n2017-06-01,0\n2018-06-01,-0.01\n", ["deep.csv", "2017-06-01", "2017-01-01", "cover the whole run"]),
    ("time,uz\n0,0\n0.5,-0.01\n", ["deep.csv", "0.500 years", "cover the whole run"]),
    ("time,a,c\n0,0,0\n1,-0.01,-0.02\n", ["deep.csv", "no 'uz' column", "['b']"]),
])
def test_bad_deep_series(tmp_path, deep, words):
    _error(tmp_path, _coupled(tmp_path, PTS, deep_csv=deep), "deep.file", *words)


def test_deep_series_iso_dates_and_uz_fallback(tmp_path):
    d = _coupled(tmp_path, PTS, deep_csv="date,uz,b\n2016-12-01,0.01,0\n2017-01-01,0,0\n2018-01-01,-0.02,-0.04\n")
    cfg = _load(tmp_path, d).config
    t = np.array([0.0, 365 * 86400.0])
    _, _, uz = cfg.deep.displacement(t, cfg.point_x, cfg.point_y, names=cfg.point_names)
    np.testing.assert_allclose(uz[-1], [-0.02, -0.04])


def test_deep_series_reference_point_needs_uz(tmp_path):
    d = _coupled(tmp_path, PTS, deep_csv="time,a,b\n0,0,0\n1,-0.01,-0.02\n")
    d["water_management"].update(reference="point", reference_point=[0.0, 0.0])
    _error(tmp_path, d, "deep.file", "reference", "'uz'")


def test_deep_series_message_without_names(tmp_path):
    (tmp_path / "s.csv").write_text("time,a\n0,0\n1,-0.01\n")
    s = SeriesDeep.read(tmp_path / "s.csv", start_date=None)
    with pytest.raises(ValueError, match=r"no 'uz' column .*\['p'\]"):
        s.displacement(np.array([0.0]), np.zeros(1), np.zeros(1), names=["p"])


# -- the CLI prints these without a traceback ---------------------------------------------------
def test_cli_prints_the_error(tmp_path, capsys):
    d = _coupled(tmp_path, "name,x,y\na,0,0\na,100,0\n")
    case = tmp_path / "c.toml"
    case.write_text(_toml(d))
    rc = cli_main(["check", str(case)])
    out = capsys.readouterr()
    text = out.out + out.err
    assert rc != 0 and "Traceback" not in text
    assert "points.csv" in text and "line 3" in text and "'name'" in text


def _toml(d):
    import tomli_w

    return tomli_w.dumps(d)
