"""``subsidence validate`` end to end, the [validation] case table, and report.html in a browser."""

import json
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import numpy as np
import pytest

from conftest import bowl_result, write_run
from subsidence.cli import main as cli_main
from subsidence.config import case_from_dict
from subsidence.config.errors import CaseError

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def validated(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("val")
    run = write_run(tmp / "run", bowl_result(1.0, extent=30e3, n=61))
    out = tmp / "report"
    rc = cli_main(["validate", str(run), "--insar", str(DATA / "tudelft_t88_sample.csv"), "--pass", "ascending",
                   "--out", str(out), "--points", "15825", "5870"])
    assert rc == 0
    return out


def test_validate_writes_report_json_and_csv(validated):
    doc = json.loads((validated / "validation.json").read_text())
    (d,) = doc["datasets"]
    assert d["data"]["points"] == 5 and d["data"]["provenance"]["format"] == "tudelft"
    assert d["data"]["skipped"] == {"duplicate point (same position and time series as an earlier one)": 1}
    assert d["reference"]["epoch"] == "2015-05-03"
    o = d["overall"]
    assert o["points"] == 5 and o["values"] == 5 * 11  # reference epoch left out
    assert 0 < o["rmse_m"] < 0.05 and np.isfinite(o["velocity_rmse_m_per_yr"])
    assert d["noise_weighted"]["chi2_per_value"] > 0
    assert len(d["points"]) == 5 and {"rmse", "vel_obs", "amp_model"} <= set(d["points"][0])
    assert (validated / d["points_csv"]).is_file()
    html = (validated / "report.html").read_text()
    assert html.count('src="data:image/png;base64,') == 4  # self-contained
    assert not re.search(r'src="(?!data:)', html)  # no external file or URL
    assert "positive when the ground moves towards the satellite" in html
    assert "tudelft_t88_sample.csv" in html and "15825" in html


def test_validate_a_case_file_runs_it_first(tmp_path, monkeypatch):
    import subsidence.io.plots

    monkeypatch.setattr(subsidence.io.plots, "plot_surface", lambda *a, **k: None)  # the run's own maps: not tested here
    case = (ROOT / "cases" / "disc_geertsma.toml").read_text()
    case = case.replace('name = "disc-geertsma"', 'name = "disc-insar"\nstart_date = "2015-01-01"')
    case = case.replace("times = [10.0]", "times = [0.0, 1.0, 2.0, 3.0]").replace(", 201]", ", 41]")
    case += ('\n[validation]\ninsar = "obs.csv"\nformat = "generic"\ninsar_crs = "EPSG:28992"\nunit = "mm"\n'
             'component = "up"\nreference_epoch = "first"\n[validation.noise]\nwhite_variance = 4.0\nspatial_variance = 0\ntemporal_variance = 0\n')
    (tmp_path / "c.toml").write_text(case)
    # observations = 1 mm/yr uniform subsidence at three points (RD coordinates = case coordinates)
    (tmp_path / "obs.csv").write_text("id,x,y,2015-01-01,2016-01-01,2017-01-01\nA,0,0,0,-1,-2\nB,1000,0,0,-1,-2\nC,5000,5000,0,-1,-2\n")
    out = tmp_path / "val"
    assert cli_main(["validate", str(tmp_path / "c.toml"), "--out", str(out)]) == 0
    assert (out / "run" / "manifest.json").is_file() and (out / "run" / "surface.nc").is_file()
    doc = json.loads((out / "validation.json").read_text())
    d = doc["datasets"][0]
    assert d["component"] == "up" and d["data"]["points"] == 3
    assert d["noise_weighted"]["model"]["white_sigma_mm"] == pytest.approx(2.0)
    assert doc["model"]["case"] == "disc-insar"


def test_validation_table_is_checked():
    base = tomllib.loads((ROOT / "cases" / "disc_geertsma.toml").read_text())
    case = case_from_dict({**base, "validation": {"pass": "descending", "reference_point": [1.0, 2.0],
                                                  "reference_radius": "0.5 km", "noise": {"spatial_range": "2 km", "temporal_range": 1.5}}},
                          file=ROOT / "cases" / "x.toml")
    v = case.validation
    assert v.pass_ == "descending" and v.reference_point == (1.0, 2.0) and v.reference_radius == 500.0
    assert v.noise.spatial_range == 2000.0 and v.noise.temporal_range == 1.5 and v.noise.white_var == pytest.approx(9.49e-6)
    with pytest.raises(CaseError, match=r"validation\.noise\.white_varience.*unknown key"):
        case_from_dict({**base, "validation": {"noise": {"white_varience": 1.0}}}, file="x.toml")
    with pytest.raises(CaseError, match=r"validation\.reference_epoch"):
        case_from_dict({**base, "validation": {"reference_epoch": "yesterday"}}, file="x.toml")
    with pytest.raises(CaseError, match=r"validation\.insar_crs"):
        case_from_dict({**base, "validation": {"insar_crs": "EPSG:0"}}, file="x.toml")


def test_validate_reports_bad_input_without_traceback(tmp_path, capsys):
    run = write_run(tmp_path / "run", bowl_result(1.0))
    assert cli_main(["validate", str(run), "--insar", str(DATA / "tudelft_t88_sample.csv")]) == 2
    assert "heading" in capsys.readouterr().err
    assert cli_main(["validate", str(run)]) == 2
    assert "no InSAR file" in capsys.readouterr().err


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        p = shutil.which(name)
        if p:
            return p
    return None


@pytest.mark.skipif(_chromium() is None, reason="no chromium on PATH (Debian package 'chromium'); the browser check of report.html is skipped")
def test_report_renders_with_its_images_in_headless_chromium(validated, tmp_path):
    exe = _chromium()
    url = (validated / "report.html").resolve().as_uri()
    flags = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
             f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run(flags + ["--virtual-time-budget=5000", "--dump-dom", url], capture_output=True, text=True, timeout=120)
    m = re.search(r'<body[^>]*data-images="(\d+)/(\d+)"', dom.stdout)
    assert m, f"the page's load script did not run: {dom.stderr[-2000:]}"
    assert m[1] == m[2] == "4"  # every <img> decoded with naturalWidth > 0
    shot = tmp_path / "shot.png"
    subprocess.run(flags + ["--window-size=1200,1600", f"--screenshot={shot}", url], capture_output=True, timeout=120)
    import matplotlib.image as mpimg

    img = mpimg.imread(shot)[..., :3]
    assert img.shape[0] == 1600 and img.shape[1] == 1200
    assert img.std() > 0.05  # not blank
    # the figures are colourful (the velocity maps); text alone would be grey
    sat = img.max(axis=2) - img.min(axis=2)
    assert (sat > 0.3).mean() > 0.002  # colour bars and markers; page text is grey


@pytest.mark.serial
def test_validate_says_when_no_series_is_complete_for_chi2(tmp_path, capsys):
    # a gap in every series: RMSE and velocities are computed, the spatio-temporal chi2 cannot be,
    # and the command says so instead of printing "chi2/N nan"
    lines = (DATA / "tudelft_t88_sample.csv").read_text().splitlines()
    rows = [ln.split(",") for ln in lines[1:]]
    for i, r in enumerate(rows):
        r[len(r) - 1 - i % 3] = ""  # one of the last three epochs missing in each series
    f = tmp_path / "gappy.csv"
    f.write_text("\n".join([lines[0]] + [",".join(r) for r in rows]) + "\n")
    run = write_run(tmp_path / "run", bowl_result(1.0, extent=30e3, n=61))
    rc = cli_main(["validate", str(run), "--insar", str(f), "--pass", "ascending", "--out", str(tmp_path / "rep")])
    assert rc == 0
    out = capsys.readouterr()
    assert "chi2/N not computed" in out.out and "no point has a complete series" in out.out and "nan" not in out.out.split("chi2/N")[1]
    doc = json.loads((tmp_path / "rep" / "validation.json").read_text())
    assert doc["datasets"][0]["overall"]["rmse_m"] > 0 and "chi2_per_value" not in doc["datasets"][0]["noise_weighted"]
