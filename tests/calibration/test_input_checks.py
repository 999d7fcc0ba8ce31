"""What calibrate and forecast do with awkward input: gaps in the series, a calibration window
shorter than a year, command-line values out of bounds, and the observation interval of a
forecast (exact, not a random draw)."""

import json
import re
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


@pytest.mark.parametrize("second", ["reservoirs.disc.compaction.cm", "reservoirs.0.compaction.cm"])
def test_two_parameters_on_one_case_value_are_an_error(second):
    """The second would overwrite the first in every member while the first still got a
    'posterior': refused, whether written the same way or by the element's index."""
    from subsidence.calibration.calibrate import Calibration

    ds, _ = twin(years=1.0, m=4)
    data = case_data()
    data["calibration"]["parameters"].append({"name": "cm2", "path": second, "prior": "lognormal", "median": 1.0e-10,
                                              "sigma_log": 0.5})
    case = case_from_dict(data, file="twin.toml")
    obs = observations_from(ds, start_date=case.start_date, until=None)
    with pytest.raises(CaseError, match=r"twin.toml.*calibration.parameters\[1\].*same case value as parameter 'cm'"):
        Calibration(case, obs, case.calibration, comm=MPI.COMM_SELF)


def test_persistence_with_gaps_uses_each_points_last_observed_values():
    """With gaps (calibrate --gaps marginalise) persistence is the mean of each point's last five
    observed values, so it is scored on the same values as every other prediction (before, a point
    missing any of the last five epochs had no persistence value and dropped out of its score)."""
    from subsidence.calibration.scores import score

    t = np.arange(0, 2.0, 0.05)
    D = np.vstack([np.sin(t), np.cos(t), t])
    D[0, 15:20] = np.nan  # the last five calibration epochs missing at point 0
    D[1, 17] = np.nan
    cal = t < 1.0
    p = baselines(D, t, cal)["persistence"]
    assert np.isfinite(p).all()
    np.testing.assert_allclose(p[0], D[0, 10:15].mean())
    np.testing.assert_allclose(p[1], np.mean(D[1, [14, 15, 16, 18, 19]]))
    np.testing.assert_allclose(p[2], D[2, 15:20].mean())
    vals = {k: score(D, v, t, ~cal)["values"] for k, v in baselines(D, t, cal).items()}
    assert len(set(vals.values())) == 1, vals


@pytest.mark.serial
def test_calibrate_out_below_a_file_is_refused_before_the_data_are_read(tmp_path, capsys):
    from subsidence.cli import main

    (tmp_path / "afile").write_text("x")
    rc = main(["calibrate", str(ROOT / "cases/calibration_nieuwolda.toml"), "--insar", str(tmp_path / "absent.csv"),
               "--out", str(tmp_path / "afile" / "sub dir"), "-q"])
    err = capsys.readouterr().err
    assert rc == 2 and "afile is a file, not a directory" in err and "Traceback" not in err
    assert "absent.csv" not in err  # refused before the InSAR file is opened


def test_a_path_to_text_is_named_as_such():
    """A parameter on a text value of the case (the compaction law's name) is refused when the
    calibration is set up, naming the entry, instead of 'expected a string, got float' from a member."""
    from subsidence.calibration.calibrate import Calibration

    ds, _ = twin(years=1.0, m=4)
    data = case_data()
    data["calibration"]["parameters"][0]["path"] = "reservoirs.disc.compaction.law"
    case = case_from_dict(data, file="twin.toml")
    obs = observations_from(ds, start_date=case.start_date, until=None)
    with pytest.raises(CaseError, match=r"calibration.parameters\[0\].*is text \('linear'\), not a number"):
        Calibration(case, obs, case.calibration, comm=MPI.COMM_SELF)


def test_a_prior_in_a_unit_the_case_refuses_names_the_calibration_entry():
    """A prior median in metres for a compressibility: the case refuses the value, and the error names
    the [calibration.parameters] entry, its value and the case's reason (before: only the case's key,
    and a hint about bounded priors that did not apply)."""
    from subsidence.calibration.calibrate import Calibration

    ds, _ = twin(years=1.0, m=4)
    data = case_data()
    data["calibration"]["parameters"][0]["median"] = "1e-10 m"
    case = case_from_dict(data, file="twin.toml")
    obs = observations_from(ds, start_date=case.start_date, until=None)
    cal = Calibration(case, obs, case.calibration, comm=MPI.COMM_SELF)
    with pytest.raises(CaseError) as e:
        cal.case_of(np.zeros(cal.n_g))
    msg = str(e.value)
    assert "calibration.parameters[0]" in msg and "reservoirs.disc.compaction.cm = '1e-10 meter' (the prior median)" in msg
    assert "check the prior's median and its unit" in msg and "bounded prior" not in msg


@pytest.mark.serial
def test_marginalised_gaps_say_what_the_noise_estimate_rests_on(tmp_path):
    """With gaps the noise estimated from the data rests on the points complete over the epochs it
    keeps: the note gives both counts, so a user sees how little it may be."""
    import dataclasses

    ds, _ = twin(m=20)
    gap = np.random.default_rng(0).random(ds.disp.shape) < 0.05
    ds = dataclasses.replace(ds, disp=np.where(gap, np.nan, ds.disp))
    data = case_data(ensemble=6, assimilations=1, noise={"source": "data"}, gaps="marginalise")
    s = calibrate_case(case_from_dict(data), ds, tmp_path / "c", comm=MPI.COMM_SELF)
    (note,) = [n for n in s["doc"]["notes"] if "marginalised" in n]
    n_cal = s["doc"]["data"]["calibration_epochs"]
    assert re.search(rf"rests on the \d+ points with complete series over the \d+ epochs it used \(of {n_cal}\)", note), note
