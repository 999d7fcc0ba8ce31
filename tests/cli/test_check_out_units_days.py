"""`check --out` refuses what `run --out` would refuse; "m3"/"km2" are units; day counts are whole days."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from subsidence.cli import main as cli_main
from subsidence.config import load_case
from subsidence.config.table import CaseError
from subsidence.units import to_si

pytestmark = pytest.mark.serial
ROOT = Path(__file__).resolve().parents[2]
DISC = ROOT / "cases" / "disc_geertsma.toml"


def test_check_out_that_is_a_file_is_an_error(tmp_path, capsys):
    f = tmp_path / "afile"
    f.write_text("x")
    assert cli_main(["check", str(DISC), "--out", str(f)]) == 2
    assert "exists and is not a directory" in capsys.readouterr().err


def test_check_out_that_is_a_foreign_directory_is_an_error(tmp_path, capsys):
    (tmp_path / "mine.txt").write_text("x")
    assert cli_main(["check", str(DISC), "--out", str(tmp_path)]) == 2
    assert "not a run directory" in capsys.readouterr().err
    assert (tmp_path / "mine.txt").exists()


def test_check_out_says_it_would_replace_an_earlier_run_and_touches_nothing(tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    (out / "manifest.json").write_text(json.dumps({"case": {"name": "someone-else"}, "case_sha256": "0"}))
    assert cli_main(["check", str(DISC), "--out", str(out)]) == 2
    assert "run of another case" in capsys.readouterr().err
    name = load_case(DISC).name
    (out / "manifest.json").write_text(json.dumps({"case": {"name": name}}))
    assert cli_main(["check", str(DISC), "--out", str(out)]) == 0
    assert "replaces the earlier run" in capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json"]
    assert cli_main(["check", str(DISC), "--out", str(tmp_path / "new")]) == 0
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize("text, si, value", [("1e5 m3", "m^3", 1e5), ("3 m3/day", "m^3/s", 3 / 86400),
                                             ("2 km2", "m^2", 2e6), ("2E3 m3", "m^3", 2e3),
                                             ("1e-5 1/bar", "1/Pa", 1e-10), ("4 mm^2", "m^2", 4e-6)])
def test_unit_powers_written_without_a_caret(text, si, value):
    assert to_si(text, si) == pytest.approx(value, rel=1e-12)


def _peat_meadow(tmp_path, old, new):
    src = (ROOT / "cases" / "shallow_peat_meadow.toml").read_text(encoding="utf-8").replace('"../', f'"{ROOT.as_posix()}/')
    assert old in src
    p = tmp_path / "case.toml"
    p.write_text(src.replace(old, new, 1), encoding="utf-8")
    return p


def test_output_interval_must_be_whole_days(tmp_path):
    with pytest.raises(CaseError, match=r"interval.*whole number of days.*36 h"):
        load_case(_peat_meadow(tmp_path, "interval = 5 ", 'interval = "36 h" '))
    assert load_case(_peat_meadow(tmp_path, "interval = 5 ", 'interval = "2 weeks" ')).config.output_interval_days == 14


def test_a_run_shorter_than_its_spin_up_is_warned_about(tmp_path):
    src = _peat_meadow(tmp_path, "[time]", "[time]").read_text(encoding="utf-8")
    import re

    short = re.sub(r"(?m)^\s*(years|end)\s*=.*$", 'end = "2015-04-01"', src, count=1)
    p = tmp_path / "short.toml"
    p.write_text(short, encoding="utf-8")
    case = load_case(p)
    assert any("spin-up" in w and "longer than the run" in w for w in case.warnings)
    assert not any("longer than the run" in w for w in load_case(_peat_meadow(tmp_path, "[time]", "[time]")).warnings)
