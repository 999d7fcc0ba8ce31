"""KNMI forcing readers: malformed inputs give clear errors naming the file (sweep of forcing files)."""

import copy
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from subsidence.config import CaseError, case_from_dict
from subsidence.shallow.forcing import (MM_PER_DAY, ForcingError, check_temperature_cosine, read_evaporation,
                                        read_precipitation, read_temperature)

DATA = Path(__file__).resolve().parents[2] / "validation" / "data" / "nieuwolda"
PREC_HEADER = "STN,YYYYMMDD,   RD,   SX\n"
EVAP_HEADER = "STN,MMDDYY,EVAP\n"


def _prec(tmp_path, rows, name="p.csv", header=PREC_HEADER, prefix=""):
    f = tmp_path / name
    f.write_text(prefix + header + "".join(f"172,{d},{v},0\n" for d, v in rows), encoding="utf-8")
    return f


def _days(n, start="2020-01-01"):
    return [str(np.datetime64(start) + np.timedelta64(i, "D")).replace("-", "") for i in range(n)]


def _case(tmp_path, **forcing):
    return {
        "name": "t", "kind": "shallow", "start_date": "2017-01-01",
        "time": {"end": "2018-01-01", "spinup_years": 1},
        "forcing": {"precipitation": str(DATA / "neerslaggeg_NIEUWOLDA_172.csv"),
                    "evaporation": str(DATA / "NBeerta_evapotransp20152020.csv"), **forcing},
        "parcel": {"spacing": 50.0, "ditch_depth": 1.5, "aquifer_head": -1.0, "aquitard_resistance": 400.0},
        "soil": {"layers": [
            {"name": "clay", "thickness": 1.0, "kh": 0.1, "specific_yield": 0.05, "gamma_sat": 17.0,
             "gamma_unsat": 15.5, "compression": {"law": "isotache", "a": 0.01, "b": 0.1, "c": 0.004}, "ocr": 2.5},
            {"name": "sand", "thickness": 4.0, "kh": 10.0, "specific_yield": 0.2, "gamma_sat": 20.0,
             "compression": {"law": "linear", "mv": "2e-8 1/Pa"}, "max_cell": 0.5}]},
        "groundwater": {"model": "lumped", "lumped_resistances": "ernst"},
        "water_management": {"initial_level": -0.9, "rule": "none"},
    }


# 1. two downloads pasted together
def test_several_headers_are_an_error(tmp_path):
    f = tmp_path / "concat.csv"
    f.write_text(PREC_HEADER + "172,20200101,10,0\n172,20200102,0,0\n\n" + PREC_HEADER + "172,20200103,5,0\n")
    with pytest.raises(ForcingError, match=r"concat\.csv.*2 header lines.*lines 1, 5.*several downloads pasted"):
        read_precipitation(f)
    api = tmp_path / "api.txt"  # "# STN," counts as a header too
    api.write_text("# STN,YYYYMMDD,   TG,   RH,  RHX, EV24\n  280,20200101, 10, 5, 1, 3\n"
                   "STN,YYYYMMDD,   TG,   RH,  RHX, EV24\n  280,20200102, 10, 5, 1, 3\n")
    with pytest.raises(ForcingError, match="lines 1, 3"):
        read_evaporation(api)


# 2. UTF-8 byte-order mark
def test_byte_order_mark(tmp_path):
    p = _prec(tmp_path, zip(_days(3), (10, 0, 25)), prefix="\ufeff")
    assert p.read_bytes()[:3] == b"\xef\xbb\xbf"
    s = read_precipitation(p)
    assert s.values / MM_PER_DAY == pytest.approx([1.0, 0.0, 2.5])
    e = tmp_path / "e.csv"
    e.write_text("\ufeff" + EVAP_HEADER + "286,01/01/20,0.5\n,01/02/20,0.7\n", encoding="utf-8")
    assert read_evaporation(e).values / MM_PER_DAY == pytest.approx([0.5, 0.7])


# 3. header only
def test_header_only_is_an_error(tmp_path):
    p = _prec(tmp_path, [], name="hdr.csv")
    with pytest.raises(ForcingError, match=r"hdr\.csv: no data rows"):
        read_precipitation(p)
    e = tmp_path / "e.csv"
    e.write_text(EVAP_HEADER + "\n")
    with pytest.raises(ForcingError, match="no data rows"):
        read_evaporation(e)


# 4. impossible values
def test_negative_and_huge_values_are_refused(tmp_path):
    days = _days(4)
    p = _prec(tmp_path, zip(days, (10, -1, -50, 5)), name="neg.csv")
    with pytest.raises(ForcingError, match=r"neg\.csv, line 4: column RD on 2020-01-03: -50 \(-5 mm/day\).*negative"):
        read_precipitation(p)
    ok = _prec(tmp_path, zip(days, (10, -1, 0, 5)), name="ok.csv")  # -1 is KNMI's < 0.05 mm: kept as 0.025 mm
    assert read_precipitation(ok).values[1] / MM_PER_DAY == pytest.approx(0.025)
    huge = _prec(tmp_path, zip(days, (10, 0, 99999, 5)), name="huge.csv")
    with pytest.raises(ForcingError, match=r"huge\.csv.*column RD on 2020-01-03: 99999.*300 mm/day.*tenths"):
        read_precipitation(huge)
    assert read_precipitation(_prec(tmp_path, zip(days, (10, 0, 2000, 5)), name="wet.csv")).values[2] > 0  # 200 mm
    e = tmp_path / "tenths.csv"
    e.write_text(EVAP_HEADER + "286,06/01/20,41\n,06/02/20,38\n")
    with pytest.raises(ForcingError, match=r"tenths\.csv.*column EVAP on 2020-06-01: 41.*15 mm/day.*tenths"):
        read_evaporation(e)
    e.write_text(EVAP_HEADER + "286,06/01/20,4.1\n,06/02/20,-3\n")
    with pytest.raises(ForcingError, match=r"column EVAP on 2020-06-02: -3.*negative"):
        read_evaporation(e)
    d = tmp_path / "etm.txt"
    d.write_text("STN,YYYYMMDD,   TG,   RH,  RHX, EV24\n  280,20200101, 10, 5, 1, -3\n")
    with pytest.raises(ForcingError, match="column EV24"):
        read_evaporation(d)


# 5. messages: duplicates, stations, bad dates, missing days
def test_duplicate_dates_name_the_date_and_stations(tmp_path):
    p = _prec(tmp_path, zip(_days(3) + ["20200102"], (1, 2, 3, 4)), name="dup.csv")
    with pytest.raises(ForcingError, match=r"dup\.csv: duplicate dates.*first 2020-01-02") as exc:
        read_precipitation(p)
    assert "station" not in str(exc.value)
    two = tmp_path / "two.txt"
    two.write_text("STN,YYYYMMDD,   TG,   RH,  RHX, EV24\n"
                   + "".join(f"  {s},{d}, 10, 5, 1, 3\n" for d in _days(2) for s in (280, 286)))
    with pytest.raises(ForcingError, match=r"first 2020-01-01.*several stations \(STN values 280, 286\).*one station per file"):
        read_precipitation(two)


@pytest.mark.parametrize("bad", ["2020011", "20200231", "2020-01-02", "abc"])
def test_bad_yyyymmdd_names_file_and_line(tmp_path, bad):
    p = _prec(tmp_path, zip(["20200101", bad, "20200103"], (1, 2, 3)), name="bad.csv")
    with pytest.raises(ForcingError, match=rf"bad\.csv, line 3: '{bad}' is not a date YYYYMMDD"):
        read_precipitation(p)


def test_bad_mmddyy_names_file_and_line(tmp_path):
    e = tmp_path / "e.csv"
    e.write_text(EVAP_HEADER + "286,12/08/14,1\n,13/08/14,1\n")  # day first
    with pytest.raises(ForcingError, match=r"e\.csv, line 3: '13/08/14'.*day first\?"):
        read_evaporation(e)
    e.write_text(EVAP_HEADER + "286,08/01/14,1\n\n,2014-08-02,1\n")
    with pytest.raises(ForcingError, match=r"e\.csv, line 4: '2014-08-02' is not a date MM/DD/YY"):
        read_evaporation(e)
    e.write_text(EVAP_HEADER + "286,02/30/2016,1\n")
    with pytest.raises(ForcingError, match="line 2"):
        read_evaporation(e)


def test_missing_days_mention_fill(tmp_path):
    p = _prec(tmp_path, zip(["20200101", "20200103"], (1, 2)))
    with pytest.raises(ForcingError, match=r'1 missing day\(s\), first 2020-01-02.*fill = "zero" or "interpolate"'):
        read_precipitation(p)


def test_temperature_file_uses_the_same_checks(tmp_path):
    t = tmp_path / "tg.txt"
    t.write_text("STN,YYYYMMDD,   TG\n  280,20200101, 55\n  280,20200132, 60\n")
    with pytest.raises(ForcingError, match="line 3"):
        read_temperature(t)
    t.write_text("\ufeffSTN,YYYYMMDD,   TG\n  280,20200101, 55\n  280,20200102, 60\n", encoding="utf-8")
    assert read_temperature(t).values == pytest.approx([5.5, 6.0])


# 6. the seasonal temperature in kelvin
def test_temperature_cosine_range():
    check_temperature_cosine(10.5, 7.0)
    with pytest.raises(ForcingError, match="kelvin"):
        check_temperature_cosine(283.15, 7.0)
    with pytest.raises(ForcingError, match="amplitude"):
        check_temperature_cosine(10.0, 45.0)


# the errors reach the case: CaseError naming key and file; the CLI prints them without a traceback
def test_case_error_names_key_and_file(tmp_path):
    p = _prec(tmp_path, zip(_days(3), (1, -50, 3)), name="neg.csv")
    with pytest.raises(CaseError, match=r"forcing\.precipitation.*neg\.csv, line 3"):
        case_from_dict(_case(tmp_path, precipitation=str(p)))
    h = tmp_path / "hdr.csv"
    h.write_text(EVAP_HEADER)
    with pytest.raises(CaseError, match=r"forcing\.evaporation.*hdr\.csv: no data rows"):
        case_from_dict(_case(tmp_path, evaporation=str(h)))


def test_cli_check_prints_reason_without_traceback(tmp_path):
    p = _prec(tmp_path, zip(_days(2), (1, 2)), name="cat.csv")
    p.write_text(p.read_text() * 2)
    toml = tmp_path / "case.toml"
    c = _case(tmp_path)
    lines = [f'name = "t"', 'kind = "shallow"', 'start_date = 2017-01-01',
             "[time]", 'end = 2018-01-01', "spinup_years = 1",
             "[forcing]", f'precipitation = "{p}"', f'evaporation = "{c["forcing"]["evaporation"]}"',
             "[parcel]", "spacing = 50.0", "ditch_depth = 1.5", "aquifer_head = -1.0", "aquitard_resistance = 400.0",
             "[groundwater]", 'model = "lumped"', 'lumped_resistances = "ernst"',
             "[water_management]", "initial_level = -0.9", 'rule = "none"']
    for layer in c["soil"]["layers"]:
        lines.append("[[soil.layers]]")
        lines += [f"{k} = {v!r}".replace("'", '"') for k, v in layer.items() if k != "compression"]
        lines.append("compression = {" + ", ".join(f'{k} = {v!r}'.replace("'", '"') for k, v in layer["compression"].items()) + "}")
    toml.write_text("\n".join(lines) + "\n")
    cli = Path(sys.executable).parent / "subsidence"
    r = subprocess.run([str(cli), "check", str(toml)], capture_output=True, text=True, timeout=120)
    out = r.stdout + r.stderr
    assert r.returncode != 0
    assert "Traceback" not in out
    assert "forcing.precipitation" in out and "cat.csv" in out and "several downloads pasted together" in out
