"""Synthetic twin: observations made from known parameters + noise, then calibrated.

The model is the analytic Geertsma disc (cheap; depletion stops after 1.5 years, so that the deep
signal is not a linear trend like the background rates), the data line-of-sight series at 30 points
with per-point background rates drawn from their prior, arbitrary per-point offsets and noise
drawn from the white + spatial + temporal model. Checks: the posterior P5–P95 contains the
truth and narrows with more data, per-point rates are recovered where the data constrain
them, a seed reproduces the posterior, 1 and 2 ranks agree, and ``forecast`` writes the
contract's files.
"""

import copy
import csv
import dataclasses
import json
import os
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
import pytest
from mpi4py import MPI

from subsidence.calibration.cli import calibrate_case
from subsidence.calibration.priors import field_covariance
from subsidence.config import CaseError, case_from_dict
from subsidence.insar.data import InsarDataset
from subsidence.insar.geometry import los_from_heading
from subsidence.insar.noise import NoiseModel
from subsidence.studies.deep import displacement_at
from subsidence.units import SECONDS_PER_YEAR

ROOT = Path(__file__).resolve().parents[2]
CM_TRUE = 1.4e-10
BG = dict(mean=-1.0e-3, mean_sd=2.0e-3, sd=1.5e-3, corr=1000.0)  # m/yr
NOISE = NoiseModel(white_var=(2e-3) ** 2, spatial_var=(1e-3) ** 2, spatial_range=1000.0, temporal_var=(1e-3) ** 2,
                   temporal_range=0.3)  # the [calibration.noise] of case_data() (the estimate from data is tested below)


def case_data(**cal):
    c = {
        "method": "es-mda", "ensemble": 60, "assimilations": 4, "seed": 7, "offset": "per-point",
        "noise": {"source": "model", "white_variance": "4 mm^2", "spatial_variance": "1 mm^2", "spatial_range": "1 km",
                  "temporal_variance": "1 mm^2", "temporal_range": "0.3 yr"},
        "parameters": [{"name": "cm", "path": "reservoirs.disc.compaction.cm", "prior": "lognormal", "median": 1.0e-10,
                        "sigma_log": 0.5}],
        "point_parameters": [{"name": "background_rate", "mean": "-1 mm/yr", "mean_sd": "2 mm/yr", "sd": "1.5 mm/yr",
                              "correlation_length": "1 km"}],
    }
    c.update(cal)
    return {
        "name": "twin", "crs": "EPSG:28992", "start_date": "2015-01-01",
        "model": {"method": "analytic", "kernel": "geertsma", "poisson_ratio": 0.25},
        "reservoirs": [{"name": "disc", "shape": {"type": "disc", "center": [0.0, 0.0], "radius": 2000.0}, "depth": 1500.0,
                        "thickness": 200.0, "compaction": {"law": "linear", "cm": 1.0e-10},
                        "pressure_change": {"time": [0.0, 1.5, 10.0], "value": [0.0, -2.0e6, -2.0e6]}}],
        "output": {"times": [1.0], "points": {"name": ["c"], "x": [0.0], "y": [0.0]},
                   "grid": {"x": [-4000.0, 4000.0, 9], "y": [-4000.0, 4000.0, 9]}},
        "calibration": c,
    }


def twin(years=3.0, seed=11, m=30):
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(-3000, 3000, m), rng.uniform(-3000, 3000, m)
    dates = np.datetime64("2015-03-01") + np.arange(0, int(years * 365.25), 12).astype("timedelta64[D]")
    truth = copy.deepcopy(case_data())
    truth["reservoirs"][0]["compaction"]["cm"] = CM_TRUE
    case = case_from_dict(truth)
    t = (dates - np.datetime64("2015-01-01")).astype(float) * 86400.0
    ux, uy, uz = (np.asarray(a).T for a in displacement_at(case.config, x, y, t))
    L = np.linalg.cholesky(field_covariance(x, y, BG["sd"], BG["corr"]) + 1e-12 * np.eye(m))
    v = BG["mean"] + L @ rng.standard_normal(m)  # m/yr
    ty = (dates - dates[0]).astype(float) / 365.25
    uz = uz + v[:, None] * ty[None, :]
    los = los_from_heading(np.full(m, 39.0), np.full(m, -12.0))
    d = los[:, 0:1] * ux + los[:, 1:2] * uy + los[:, 2:3] * uz
    d += rng.uniform(-5e-3, 5e-3, (m, 1))  # arbitrary per-point offsets
    d += NOISE.sample(x, y, ty, rng)
    ds = InsarDataset(ids=[f"p{i}" for i in range(m)], x=x, y=y, dates=dates, disp=d, component="los", los=los,
                      crs="EPSG:28992", name="twin")
    return ds, v


def _posterior(out):
    with open(out / "ensemble_posterior.csv") as f:
        rows = list(csv.DictReader(f))
    return np.array([float(r["cm"]) for r in rows])


def _points(out):
    with open(out / "point_parameters.csv") as f:
        rows = list(csv.DictReader(f))
    return np.array([[float(r[f"background_rate_mm_per_yr_p{p}"]) for p in (5, 50, 95)] for r in rows])


@pytest.fixture(scope="module")
def full_run(tmp_path_factory):
    ds, v = twin()
    out = tmp_path_factory.mktemp("twin") / "cal"
    s = calibrate_case(case_from_dict(case_data()), ds, out, comm=MPI.COMM_SELF)
    return out, s, v


@pytest.mark.serial
def test_posterior_contains_truth_and_recovers_point_rates(full_run):
    out, s, v = full_run
    cm = _posterior(out)
    lo, hi = np.percentile(cm, [5, 95])
    assert lo <= CM_TRUE <= hi
    prior_sd = np.std(np.array([float(r) for r in np.loadtxt(out / "ensemble_prior.csv", delimiter=",", skiprows=1,
                                                                    usecols=1)]))
    assert np.std(cm) < 0.3 * prior_sd
    pts = _points(out)
    inside = (pts[:, 0] <= v * 1e3) & (v * 1e3 <= pts[:, 2])
    assert inside.mean() >= 0.7, inside.mean()
    err = np.sqrt(np.mean((pts[:, 1] - v * 1e3) ** 2))
    assert err < 0.5 * BG["sd"] * 1e3, err
    doc = s["doc"]
    assert doc["chi2_per_value"]["posterior"] < 1.3  # the true model fits to the (estimated) noise level
    assert "does NOT fit" not in doc["verdict"]
    assert doc["prior_data_conflicts"] == [] and "conflict" not in doc["verdict"]  # truth at P75 of the prior
    # every epoch used (no `until`): no out-of-sample scores, and the verdict claims none
    assert doc["data"]["held_out_epochs"] == 0 and "out_of_sample" not in doc["scores"]
    assert doc["scores_by_horizon"] == [] and "out of sample" not in doc["verdict"]
    for f in ("report.html", "parameters.csv", "state.npz", "manifest.json", "summary.json", "fit_points.csv"):
        assert (out / f).is_file()


@pytest.mark.serial
def test_posterior_narrows_with_more_data(full_run, tmp_path):
    out, _, _ = full_run
    ds, _ = twin()
    short = tmp_path / "short"
    cfg = dataclasses.replace(case_from_dict(case_data()).calibration)
    import datetime as dt

    cfg.until = dt.date(2015, 11, 30)  # nine months of data instead of three years
    s = calibrate_case(case_from_dict(case_data()), ds, short, cfg=cfg, comm=MPI.COMM_SELF)
    assert np.std(_posterior(short)) > 1.5 * np.std(_posterior(out))
    assert s["doc"]["data"]["held_out_epochs"] > 0 and "out_of_sample" in s["doc"]["scores"]
    # the physics knows the depletion stops at 1.5 yr; nine months of data do not show it: out of sample
    # the calibrated model beats its own statistics without the physics (the hierarchical per-point
    # terms fitted alone), and by more the further ahead, while both fit the nine months alike
    from subsidence.calibration.output import TERMS_ONLY

    sc = s["doc"]["scores"]
    print({k: v["rmse_m"] for k, v in sc["out_of_sample"].items()})
    assert sc["out_of_sample"]["posterior ensemble"]["rmse_m"] < 0.8 * sc["out_of_sample"][TERMS_ONLY]["rmse_m"]
    assert sc["in_sample"][TERMS_ONLY]["rmse_m"] < 1.2 * sc["in_sample"]["posterior ensemble"]["rmse_m"]
    hz = s["doc"]["scores_by_horizon"]
    assert sum(h["epochs"] for h in hz) == s["doc"]["data"]["held_out_epochs"] and len(hz) >= 3
    gain = [h["scores"][TERMS_ONLY]["rmse_m"] - h["scores"]["posterior ensemble"]["rmse_m"] for h in hz]
    print(gain)
    assert gain[-1] > gain[0]
    sd_short = _points(short)[:, 2] - _points(short)[:, 0]
    sd_full = _points(out)[:, 2] - _points(out)[:, 0]
    assert np.median(sd_short) > np.median(sd_full)


@pytest.mark.serial
def test_seed_reproduces_the_posterior(full_run, tmp_path):
    out, _, _ = full_run
    ds, _ = twin()
    again = tmp_path / "again"
    calibrate_case(case_from_dict(case_data()), ds, again, comm=MPI.COMM_SELF)
    assert np.array_equal(_posterior(again), _posterior(out))


@pytest.mark.mpi
def test_same_posterior_on_one_and_on_all_ranks(tmp_path_factory):
    """Members spread over the ranks of COMM_WORLD give the posterior of a one-rank run."""
    comm = MPI.COMM_WORLD
    ds, _ = twin(years=1.5, m=12)
    data = case_data(ensemble=12, assimilations=2)
    base = comm.bcast(str(tmp_path_factory.mktemp("mpi")) if comm.rank == 0 else None, root=0)
    a = calibrate_case(case_from_dict(data), ds, f"{base}/world", comm=comm)
    b = calibrate_case(case_from_dict(data), ds, f"{base}/self-{comm.rank}", comm=MPI.COMM_SELF)
    assert np.array_equal(a["arrays"]["g_post"], b["arrays"]["g_post"])
    assert np.array_equal(a["arrays"]["pvals"], b["arrays"]["pvals"])


@pytest.mark.serial
def test_least_squares_finds_the_truth(tmp_path):
    ds, v = twin(m=12)
    data = case_data(method="least-squares", ensemble=40)
    s = calibrate_case(case_from_dict(data), ds, tmp_path / "lsq", comm=MPI.COMM_SELF)
    cm = s["arrays"]["g_post"][:, 0]
    lo, hi = np.percentile(cm, [5, 95])
    assert lo <= CM_TRUE <= hi and np.std(cm) < 0.3 * 0.5 * 1e-10
    assert s["doc"]["history"][0]["converged"]


@pytest.mark.serial
def test_forecast_writes_the_contract(full_run, tmp_path):
    from subsidence.cli import main

    out, _, _ = full_run
    dates = tmp_path / "dates.txt"
    dates.write_text("# forecast dates\n2018-06-01\n2019-01-01\n\n")
    fc = tmp_path / "fc"
    assert main(["forecast", str(out), "--dates", str(dates), "--out", str(fc), "-q"]) == 0
    with open(fc / "forecast_points.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 30 * 2
    assert list(rows[0])[:5] == ["id", "date", "los_p10", "los_p50", "los_p90"]
    r = rows[0]
    assert float(r["los_p10"]) <= float(r["los_p50"]) <= float(r["los_p90"])
    assert float(r["obs_p10"]) <= float(r["los_p10"]) and float(r["obs_p90"]) >= float(r["los_p90"])
    import xarray as xr

    with xr.open_dataset(fc / "forecast.nc") as nc:
        assert nc.attrs["featureType"] == "timeSeries" and nc["los_p50"].shape == (30, 2)
        grid_p50 = nc["deep_uz_grid_p50"].values
    # the gridded deep forecast (unit responses × each member's compaction history) against a direct
    # sum with the posterior median Cm (uz is linear and monotone in Cm, so the medians correspond)
    assert grid_p50.shape == (2, 9, 9)
    data = case_data()
    data["reservoirs"][0]["compaction"]["cm"] = float(np.median(_posterior(out)))
    t = (np.array(["2018-06-01", "2019-01-01"], dtype="datetime64[D]") - np.datetime64("2015-01-01")).astype(float) * 86400
    direct = np.asarray(displacement_at(case_from_dict(data).config, np.array([0.0]), np.array([0.0]), t)[2])[:, 0]
    assert np.allclose(grid_p50[:, 4, 4], direct, rtol=1e-3)
    bad = tmp_path / "bad.txt"
    bad.write_text("2018-06-01\n2018-13-01\n")
    assert main(["forecast", str(out), "--dates", str(bad), "--out", str(tmp_path / "x"), "-q"]) == 2


def test_bad_calibration_tables_are_named():
    bad = case_data()
    bad["calibration"]["parameters"][0]["path"] = "reservoirs.disc.compaction.cmm"
    ds, _ = twin(years=0.5, m=4)
    with pytest.raises(CaseError, match="no key 'cmm'"):
        calibrate_case(case_from_dict(bad), ds, "/nonexistent/never", comm=MPI.COMM_SELF)
    bad = case_data()
    bad["calibration"]["parameters"][0].update(prior="normal", mean="1e-5 1/bar", sd="2 m")
    bad["calibration"]["parameters"][0].pop("median")
    bad["calibration"]["parameters"][0].pop("sigma_log")
    with pytest.raises(CaseError, match="calibration.parameters\\[0\\].sd"):
        case_from_dict(bad)
    bad = case_data()
    bad["calibration"]["parameters"][0]["median"] = "1e-5 m"  # wrong dimension for cm: caught before any run
    with pytest.raises(CaseError, match="cm"):
        calibrate_case(case_from_dict(bad), ds, "/nonexistent/never", comm=MPI.COMM_SELF)
    bad = case_data()
    bad["calibration"]["point_parameters"][0]["name"] = "thickness"
    with pytest.raises(CaseError, match="point_parameters"):
        case_from_dict(bad)


def test_noise_estimated_from_data_less_the_prior_median_model(tmp_path):
    """With source = "data" the noise is estimated from the data less the model at the prior
    medians: here the prior median is the truth, so the estimate must recover the noise."""
    from subsidence.calibration.calibrate import Calibration, estimate_observation_noise, observations_from

    data = case_data(noise={"source": "data"})
    data["calibration"]["parameters"][0]["median"] = CM_TRUE
    case = case_from_dict(data)
    ds, _ = twin(m=60)
    obs = observations_from(ds, start_date=case.start_date, until=None)
    cal = Calibration(case, obs, case.calibration, comm=MPI.COMM_SELF)
    nm, info = estimate_observation_noise(cal)
    assert "prior medians" in info["source"]
    total = nm.white_var + nm.spatial_var + nm.temporal_var
    assert abs(np.sqrt(total) - NOISE.total_sigma) < 0.2 * NOISE.total_sigma
    assert abs(np.sqrt(nm.white_var) - 2e-3) < 0.5e-3


@pytest.mark.serial
def test_noise_from_data_with_too_few_points_names_the_key(tmp_path):
    """Three points cannot give a spatial covariance: calibrate stops with an error that names the
    case file, [calibration.noise], the product and the way out (a given noise model), and
    writes no output directory; with the noise given, the same data calibrate."""
    data = case_data(noise={"source": "data"}, ensemble=8, assimilations=1)
    case = case_from_dict(data, file=tmp_path / "few.toml")
    ds, _ = twin(m=3)
    with pytest.raises(CaseError) as e:
        calibrate_case(case, ds, tmp_path / "c", comm=MPI.COMM_SELF)
    msg = str(e.value)
    assert e.value.key == "calibration.noise" and "few.toml" in msg, msg
    assert "3 points" in msg and 'source = \"model\"' in msg, msg
    assert not (tmp_path / "c").exists()
    given = case_from_dict(case_data(ensemble=8, assimilations=1), file=tmp_path / "few.toml")
    calibrate_case(given, ds, tmp_path / "c2", comm=MPI.COMM_SELF)
    assert (tmp_path / "c2" / "calibration.json").is_file()


def test_calibrate_command_without_calibration_table_is_a_clear_error(tmp_path, capsys):
    from subsidence.cli import main

    rc = main(["calibrate", str(ROOT / "cases/disc_geertsma.toml"), "--out", str(tmp_path / "c"), "-q"])
    assert rc == 2
    err = capsys.readouterr().err
    assert "disc_geertsma.toml" in err and "[calibration]" in err and "Traceback" not in err
    assert not (tmp_path / "c").exists()


@pytest.mark.serial
def test_annual_point_terms_are_recovered(tmp_path):
    """Per-point annual cycles with random phases (as the Nieuwolda parcels show) added to the twin's
    data are recovered by the ``annual`` per-point parameter (cos and sin coefficients)."""
    ds, _ = twin(m=20)
    rng = np.random.default_rng(5)
    amp, phase = rng.uniform(1e-3, 3e-3, 20), rng.uniform(0, 2 * np.pi, 20)
    yr = (ds.dates - np.datetime64("2000-01-01")).astype(float) / 365.25
    cycle = amp[:, None] * np.cos(2 * np.pi * yr[None, :] - phase[:, None])
    ds.disp = ds.disp + ds.los[:, 2:3] * cycle
    data = case_data(ensemble=30, assimilations=2)
    data["calibration"]["point_parameters"].append({"name": "annual", "sd": "3 mm", "correlation_length": 0})
    s = calibrate_case(case_from_dict(data), ds, tmp_path / "annual", comm=MPI.COMM_SELF)
    pv = np.median(s["arrays"]["pvals"], axis=0)  # (terms, points): background_rate, annual_cos, annual_sin
    assert pv.shape == (3, 20)
    err = np.hypot(pv[1] - amp * np.cos(phase), pv[2] - amp * np.sin(phase))
    # the noise (2.6 mm per value, correlated over 0.3 yr) allows ≈ 0.5 mm per coefficient from 91 epochs;
    # the error must be well below the amplitudes themselves (what knowing nothing would give)
    assert np.sqrt(np.mean(err**2)) < 0.5 * np.sqrt(np.mean(amp**2)), err
    with open(tmp_path / "annual" / "point_parameters.csv") as f:
        head = f.readline()
    assert "annual_cos_mm_p50" in head and "annual_sin_mm_p95" in head


@pytest.mark.serial
def test_a_prior_that_excludes_the_truth_is_flagged(tmp_path):
    """Truth at +3 prior sd (P99.9): the data pull the posterior there, and the report says the data
    and the prior disagree instead of presenting the result as a clean calibration."""
    ds, _ = twin()
    params = [{"name": "cm", "path": "reservoirs.disc.compaction.cm", "prior": "lognormal",
               "median": CM_TRUE * np.exp(-3 * 0.3), "sigma_log": 0.3}]
    s = calibrate_case(case_from_dict(case_data(parameters=params, ensemble=40, assimilations=2)), ds, tmp_path / "c",
                       comm=MPI.COMM_SELF)
    doc = s["doc"]
    assert len(doc["prior_data_conflicts"]) == 1 and doc["prior_data_conflicts"][0].startswith("cm:")
    assert doc["parameters"][0]["posterior_median_prior_percentile"] > 97.7
    assert "prior-data conflict in 1 parameter(s) (cm)" in doc["verdict"]
    assert "Prior–data conflict" in (tmp_path / "c" / "report.html").read_text(encoding="utf-8")


@pytest.mark.serial
def test_missing_values_after_until_are_left_out_of_the_scores(tmp_path):
    """A product with gaps in the held-out epochs (a later period, another processing): the scores
    count the observed values only, and every number stays finite."""
    import datetime as dt

    ds, _ = twin(years=2.0, m=20)
    n = ds.dates.size
    held = np.flatnonzero(ds.dates > np.datetime64("2016-03-01"))
    rng = np.random.default_rng(5)
    gaps = np.zeros(ds.disp.shape, bool)
    gaps[:, held] = rng.uniform(size=(ds.disp.shape[0], held.size)) < 0.2
    gaps[0, held] = True  # one point with no held-out value at all
    ds.disp[gaps] = np.nan
    cfg = dataclasses.replace(case_from_dict(case_data(ensemble=20, assimilations=2)).calibration,
                              until=dt.date(2016, 3, 1))
    s = calibrate_case(case_from_dict(case_data(ensemble=20, assimilations=2)), ds, tmp_path / "gaps", cfg=cfg,
                       comm=MPI.COMM_SELF)
    doc = s["doc"]
    assert doc["data"]["points"] == 20 and doc["data"]["held_out_epochs"] == held.size < n
    out = doc["scores"]["out_of_sample"]
    for name, sc in out.items():
        assert sc["values"] == int((~gaps[:, held]).sum()) and sc["missing_values"] == int(gaps.sum()), name
        assert all(np.isfinite(v) for v in sc.values()), (name, sc)
    for v in doc["versus_baselines_out_of_sample"].values():
        assert np.isfinite(v["rmse_difference_m"]) and v["p5_m"] <= v["p95_m"]
    assert all(np.isfinite(sc["rmse_m"]) for h in doc["scores_by_horizon"] for sc in h["scores"].values())
    json.loads((tmp_path / "gaps" / "calibration.json").read_text())  # valid JSON: no NaN where a number is expected


@pytest.mark.serial
def test_forecast_out_is_checked_before_anything_runs(full_run, tmp_path, capsys):
    """--out below a file, or on the directory of another calibration of the same case: exit 2 with a
    message naming it, before the ensemble runs (before, a traceback after the forecast, or the
    other calibration silently replaced); --force replaces that calibration."""
    import shutil

    from subsidence.cli import main

    out, _, _ = full_run
    dates = tmp_path / "dates.txt"
    dates.write_text("2018-06-01\n")
    (tmp_path / "afile").write_text("x")
    assert main(["forecast", str(out), "--dates", str(dates), "--out", str(tmp_path / "afile" / "sub"), "-q"]) == 2
    err = capsys.readouterr().err
    assert "afile is a file, not a directory" in err and "Traceback" not in err and "forecast:" not in err
    other = tmp_path / "other_calibration"
    shutil.copytree(out, other)
    assert main(["forecast", str(out), "--dates", str(dates), "--out", str(other), "-q"]) == 2
    err = capsys.readouterr().err
    assert "holds a calibration of case" in err and "--force" in err
    assert (other / "state.npz").is_file()
    assert main(["forecast", str(out), "--dates", str(dates), "--out", str(other), "--force", "-q"]) == 0
    assert not (other / "state.npz").exists() and (other / "forecast_points.csv").is_file()


@pytest.mark.serial
def test_a_crs_that_contradicts_the_cases_is_an_error(full_run, tmp_path, capsys):
    from subsidence.cli import main
    from subsidence.insar.cli import model_crs

    assert model_crs("epsg:28992", "EPSG:28992", "case") == "EPSG:28992"  # the same CRS, spelled otherwise
    assert model_crs(None, None, "case") == "EPSG:28992" and model_crs("EPSG:3857", None, "case") == "EPSG:3857"
    out, _, _ = full_run
    assert main(["forecast", str(out), "--insar", str(tmp_path / "none.csv"), "--crs", "EPSG:4326",
                 "--out", str(tmp_path / "x"), "-q"]) == 2
    err = capsys.readouterr().err
    assert "--crs" in err and "contradicts the case's crs (EPSG:28992)" in err


@pytest.mark.serial
def test_forecast_vertical_parts_are_zero_at_the_cases_start(full_run, tmp_path):
    """uz_total/deep/shallow_p50 are displacements since the case's start date, as the docs say: the
    per-point terms (rate from the first calibration epoch, annual cycle) count from there too (a user
    found 5.2 mm at the start date); later, total = deep + shallow."""
    from subsidence.cli import main

    out, _, _ = full_run
    dates = tmp_path / "dates.txt"
    dates.write_text("2015-01-01\n2018-06-01\n")
    assert main(["forecast", str(out), "--dates", str(dates), "--out", str(tmp_path / "fc"), "-q"]) == 0
    with open(tmp_path / "fc" / "forecast_points.csv") as f:
        rows = list(csv.DictReader(f))
    start = [r for r in rows if r["date"] == "2015-01-01"]
    assert len(start) == 30
    for r in start:
        for k in ("uz_total_p50", "uz_deep_p50", "uz_shallow_p50"):
            assert abs(float(r[k])) < 1e-9, (k, r[k])
    later = [r for r in rows if r["date"] == "2018-06-01"]
    assert max(abs(float(r["uz_shallow_p50"])) for r in later) > 1e-4  # the background rates (mm/yr) over 3.4 yr
