"""What calibrate and forecast do with awkward input: gaps in the series, a calibration window
shorter than a year, command-line values out of bounds, and the observation interval of a
forecast (exact, not a random draw)."""

import json
from pathlib import Path

import numpy as np
import pytest
from mpi4py import MPI
from scipy.special import ndtr
from scipy.stats import norm

from subsidence.calibration.calibrate import observations_from
from subsidence.calibration.cli import calibrate_case
from subsidence.calibration.forecast import mixture_quantiles
from subsidence.calibration.scores import baselines
from subsidence.config import CaseError, case_from_dict
from test_twin import case_data, twin

ROOT = Path(__file__).resolve().parents[2]


def test_observation_interval_is_the_exact_mixture_quantile():
    # one member: the normal quantiles themselves
    q = mixture_quantiles(np.array([[0.0, 1.0]]), 2.0, [0.1, 0.9])
    np.testing.assert_allclose(q, [[norm.ppf(0.1, 0, 2), norm.ppf(0.1, 1, 2)], [norm.ppf(0.9, 0, 2), norm.ppf(0.9, 1, 2)]],
                               atol=1e-9)
    # many members: the mixture CDF at the quantile is the probability, and a column's quantile
    # does not depend on the other columns (forecast rows do not depend on the other dates asked for)
    rng = np.random.default_rng(3)
    c = rng.normal(0.0, 3e-3, (50, 4, 3))
    q = mixture_quantiles(c, 2e-3, [0.1, 0.9])
    for k, p in enumerate((0.1, 0.9)):
        np.testing.assert_allclose(ndtr((q[k][None] - c) / 2e-3).mean(axis=0), p, atol=1e-9)
    np.testing.assert_allclose(mixture_quantiles(c[:, :1, :1], 2e-3, [0.1, 0.9])[:, 0, 0], q[:, 0, 0], rtol=0, atol=1e-15)
    # no observation noise: the ensemble's own percentiles
    np.testing.assert_allclose(mixture_quantiles(c, 0.0, [0.1]), np.percentile(c, [10], axis=0))


def test_no_trend_plus_annual_baseline_on_less_than_a_year():
    t = np.arange(0, 3.0, 0.05)
    D = np.vstack([-2e-3 * t + 1e-3 * np.sin(2 * np.pi * t), 1e-3 * t])
    long = baselines(D, t, t <= 2.0)
    assert set(long) == {"linear trend", "trend + annual", "persistence"}
    np.testing.assert_allclose(long["trend + annual"], D, atol=1e-12)  # the exact model of row 0 and row 1
    short = baselines(D, t, t <= 0.5)
    assert set(short) == {"linear trend", "persistence"}


def test_gaps_in_every_series_are_a_clear_error():
    ds, _ = twin(years=2.0, m=8)
    rng = np.random.default_rng(0)
    d = np.array(ds.disp)
    d[np.arange(8), rng.integers(1, ds.nt, 8)] = np.nan  # one missing value in every series
    ds.disp = d.astype(np.float32)
    ds.provenance = {"file": "gappy.csv"}
    with pytest.raises(CaseError, match=r"gappy.csv.*no point has a complete series over the \d+ calibration epochs: "
                                        r"all 8 points have missing values .*remove the epochs or points with gaps"):
        observations_from(ds, start_date=np.datetime64("2015-01-01", "D").item(), until=None)
    d[0] = np.array(twin(years=2.0, m=8)[0].disp)[0]  # one complete series: calibrated on that one, the others counted
    ds.disp = d.astype(np.float32)
    obs = observations_from(ds, start_date=np.datetime64("2015-01-01", "D").item(), until=None)
    assert obs.ids.size == 1 and obs.skipped["missing values within the calibration epochs"] == 7


@pytest.mark.serial
def test_a_short_calibration_window_says_what_it_could_not_estimate(tmp_path):
    ds, _ = twin(years=1.5, m=12)
    ds.provenance = {"file": "twin.csv", "format": "test", "heading_deg": -12.0, "pass": "ascending"}
    data = case_data(ensemble=8, assimilations=1, until="2015-09-30", noise={"source": "data"})
    s = calibrate_case(case_from_dict(data), ds, tmp_path / "short", comm=MPI.COMM_SELF)
    doc = json.loads((tmp_path / "short" / "calibration.json").read_text())
    assert "trend + annual" not in doc["scores"]["out_of_sample"] and "linear trend" in doc["scores"]["out_of_sample"]
    assert any("no trend + annual baseline" in n for n in doc["notes"])
    assert any(n.startswith("8 members for 1 global parameter:") and "use at least 50 members" in n for n in doc["notes"])
    assert doc["data"]["read"]["pass"] == "ascending"  # how the product was read is in the record
    assert "ascending pass" in (tmp_path / "short" / "report.html").read_text()
    assert s["doc"]["notes"] == doc["notes"]


@pytest.mark.serial
@pytest.mark.parametrize("option, value", [("--assimilations", "0"), ("--seed", "-5"), ("--ensemble", "2")])
def test_command_line_values_get_the_case_files_bounds(tmp_path, capsys, option, value):
    from subsidence.cli import main

    rc = main(["calibrate", str(ROOT / "cases/calibration_nieuwolda.toml"), option, value, "--out", str(tmp_path / "c"), "-q"])
    assert rc == 2
    err = capsys.readouterr().err
    assert option in err and "Traceback" not in err
    assert not (tmp_path / "c").exists()


def test_forecast_dates_after_the_pressure_history_are_noted():
    """A forecast past the deep case's last pressure value holds it there: said, with the date."""
    from subsidence.calibration.forward import pressure_history_notes
    from subsidence.config import load_case

    root = Path(__file__).resolve().parents[2]
    case = load_case(root / "cases" / "calibration_nieuwolda.toml")
    assert pressure_history_notes(case, "2019-01-01") == []
    (note,) = pressure_history_notes(case, "2031-06-01")
    assert "'groningen'" in note and "2029-12-31" in note and "held" not in note and "last value given" in note
    deep = load_case(root / "cases" / "groningen_deep.toml")  # the same reservoir on its own start date
    assert pressure_history_notes(deep, "2031-06-01") == [note]


def test_observation_points_far_from_every_case_point_are_noted():
    """A coupled case gives each observation point the soil and water level of a case point: one
    kilometres away is said, not silently assumed."""
    from subsidence.calibration.forward import far_point_notes
    from subsidence.config import load_case

    cfg = load_case(Path(__file__).resolve().parents[2] / "cases" / "calibration_nieuwolda.toml").config
    px, py = np.asarray(cfg.point_x, float), np.asarray(cfg.point_y, float)
    assert far_point_notes(cfg, list(cfg.point_names), px, py) == []
    assert far_point_notes(cfg, ["new"], px[:1] + 300.0, py[:1]) == []  # a neighbour: nearest case point
    (note,) = far_point_notes(cfg, [str(cfg.point_names[0]), "far"], px[:2], py[:2] + [0.0, 100e3])
    assert note.startswith("1 of 2 observation points") and "far," in note and "[points]" in note
