"""``subsidence forecast CAL --insar LATER``: a saved calibration scored on a product that goes on
after it. Run on the calibration's own product it must give the held-out scores ``calibrate``
gave (the same ensemble, offsets and baselines: nothing is re-fitted); a per-point shift of the
whole product (reprocessed, re-referenced) must not change them; and products that cannot be
scored are named errors."""

import csv
import dataclasses
import datetime as dt
import json

import numpy as np
import pytest
from mpi4py import MPI

from subsidence.calibration.cli import calibrate_case
from subsidence.cli import main
from subsidence.config import case_from_dict
from test_twin import case_data, twin

UNTIL = dt.date(2016, 12, 31)


def _write(path, ds, *, shift=None, ids=None, keep=None):
    """The twin as a generic CSV (metres, LOS vectors per point)."""
    keep = np.ones(ds.nt, bool) if keep is None else keep
    d = np.asarray(ds.disp, float) + (0.0 if shift is None else shift[:, None])
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "x", "y", "los_east", "los_north", "los_up", *[str(t) for t in ds.dates[keep]]])
        for i in range(ds.n):
            w.writerow([(ids or ds.ids)[i], repr(float(ds.x[i])), repr(float(ds.y[i])), *[repr(float(v)) for v in ds.los[i]],
                        *[repr(float(v)) for v in d[i, keep]]])
    return path


def _forecast(cal, product, out, *extra):
    return main(["forecast", str(cal), "--insar", str(product), "--unit", "m", "--insar-crs", "EPSG:28992",
                 "--component", "los", "--out", str(out), "-q", *extra])


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory):
    from subsidence.insar.readers import read_insar

    tmp = tmp_path_factory.mktemp("check")
    ds, _ = twin(years=3.0, m=20)
    product = _write(tmp / "twin.csv", ds)
    read = read_insar(product, format="generic", crs="EPSG:28992", source_crs="EPSG:28992", unit="m", component="los")
    case = case_from_dict(case_data(ensemble=16, assimilations=2))
    cfg = dataclasses.replace(case.calibration, until=UNTIL)
    s = calibrate_case(case, read, tmp / "cal", cfg=cfg, comm=MPI.COMM_SELF)
    return tmp, ds, product, s["doc"]


@pytest.mark.serial
def test_scores_on_the_calibration_product_are_the_held_out_scores_of_calibrate(calibrated, capsys):
    tmp, ds, product, doc = calibrated
    assert _forecast(tmp / "cal", product, tmp / "chk") == 0
    out = capsys.readouterr().out
    chk = json.loads((tmp / "chk" / "forecast_check.json").read_text())
    held = {k: v for k, v in doc["scores"]["out_of_sample"].items() if k != "prior ensemble"}
    assert set(chk["scores"]) == set(held)  # the posterior and every baseline of calibrate, no physics included
    for name, s in held.items():
        for k in ("rmse_m", "bias_m", "median_point_rmse_m", "velocity_rmse_m_per_yr"):
            assert chk["scores"][name][k] == pytest.approx(s[k], rel=1e-6, abs=1e-12), (name, k)
    for name, p in doc["versus_baselines_out_of_sample"].items():
        assert chk["versus_baselines"][name]["rmse_difference_m"] == pytest.approx(p["rmse_difference_m"], abs=1e-9)
    assert chk["last_calibration_epoch"] <= str(UNTIL) and chk["scored_epochs"] == doc["data"]["held_out_epochs"]
    assert [h["epochs"] for h in chk["scores_by_horizon"]] == [h["epochs"] for h in doc["scores_by_horizon"]]
    with open(tmp / "chk" / "forecast_points.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == ds.n * chk["scored_epochs"] and min(r["date"] for r in rows) > str(UNTIL)
    assert "check: forecast RMSE" in out and "P10-P90 coverage" in out
    assert (tmp / "chk" / "forecast_check_fans.png").stat().st_size > 10_000  # observed against the forecast's fan


@pytest.mark.serial
def test_a_product_shifted_per_point_scores_the_same(calibrated):
    """A reprocessed product with another reference per point: the offsets come from the shared
    epochs, so the scores do not move."""
    tmp, ds, product, _ = calibrated
    shifted = _write(tmp / "shifted.csv", ds, shift=np.random.default_rng(5).uniform(-0.02, 0.02, ds.n))
    assert _forecast(tmp / "cal", shifted, tmp / "chk_shift") == 0
    if not (tmp / "chk" / "forecast_check.json").exists():
        assert _forecast(tmp / "cal", product, tmp / "chk") == 0
    a = json.loads((tmp / "chk" / "forecast_check.json").read_text())["scores"]
    b = json.loads((tmp / "chk_shift" / "forecast_check.json").read_text())["scores"]
    for name in a:
        assert b[name]["rmse_m"] == pytest.approx(a[name]["rmse_m"], rel=1e-5), name


@pytest.mark.serial
def test_products_that_cannot_be_scored_are_named_errors(calibrated, capsys):
    tmp, ds, product, _ = calibrated
    later_only = _write(tmp / "later.csv", ds, keep=ds.dates > np.datetime64(UNTIL))
    assert _forecast(tmp / "cal", later_only, tmp / "x1") == 2
    assert "must also cover the calibration period" in capsys.readouterr().err
    early_only = _write(tmp / "early.csv", ds, keep=ds.dates <= np.datetime64(UNTIL))
    assert _forecast(tmp / "cal", early_only, tmp / "x2") == 2
    assert "no epoch after" in capsys.readouterr().err
    others = _write(tmp / "others.csv", ds, ids=[f"q{i}" for i in range(ds.n)])
    assert _forecast(tmp / "cal", others, tmp / "x3") == 2
    assert "none of its 20 points is a point of the calibration by id (give --match-distance" in capsys.readouterr().err
    dates = tmp / "dates.txt"
    dates.write_text("2018-01-01\n")
    assert _forecast(tmp / "cal", product, tmp / "x4", "--dates", str(dates)) == 2
    assert "either --dates" in capsys.readouterr().err
    assert not any((tmp / f"x{k}").exists() for k in range(1, 5))


@pytest.mark.mpi
def test_the_check_on_all_ranks_gives_the_held_out_scores_of_calibrate(tmp_path_factory):
    from subsidence.insar.readers import read_insar

    comm = MPI.COMM_WORLD
    base = comm.bcast(str(tmp_path_factory.mktemp("check_mpi")) if comm.rank == 0 else None, root=0)
    ds, _ = twin(years=2.5, m=12)
    product = _write(f"{base}/twin.csv", ds) if comm.rank == 0 else f"{base}/twin.csv"
    comm.barrier()
    read = read_insar(product, format="generic", crs="EPSG:28992", source_crs="EPSG:28992", unit="m", component="los")
    case = case_from_dict(case_data(ensemble=12, assimilations=2))
    doc = calibrate_case(case, read, f"{base}/cal", cfg=dataclasses.replace(case.calibration, until=UNTIL), comm=comm)["doc"]
    assert _forecast(f"{base}/cal", product, f"{base}/chk") == 0
    chk = json.loads(open(f"{base}/chk/forecast_check.json").read())
    for name, s in doc["scores"]["out_of_sample"].items():
        if name != "prior ensemble":
            assert chk["scores"][name]["rmse_m"] == pytest.approx(s["rmse_m"], rel=1e-9), name
    # a product of the later epochs only, continuing the reference: the same scores on all ranks
    later = _write(f"{base}/later.csv", ds, keep=ds.dates > np.datetime64(UNTIL)) if comm.rank == 0 else f"{base}/later.csv"
    comm.barrier()
    assert _forecast(f"{base}/cal", later, f"{base}/chk_later", "--reference", "calibration") == 0
    b = json.loads(open(f"{base}/chk_later/forecast_check.json").read())
    for name in chk["scores"]:
        assert b["scores"][name]["rmse_m"] == pytest.approx(chk["scores"][name]["rmse_m"], rel=1e-9), name


@pytest.mark.serial
def test_another_products_points_are_matched_by_position(calibrated):
    """Other ids at the same places (another processing): with --match-distance each takes the
    nearest calibration point's posterior, and the scores are those of the id match."""
    tmp, ds, product, _ = calibrated
    others = _write(tmp / "others_pos.csv", ds, ids=[f"q{i}" for i in range(ds.n)])
    assert _forecast(tmp / "cal", others, tmp / "chk_pos", "--match-distance", "5") == 0
    if not (tmp / "chk" / "forecast_check.json").exists():
        assert _forecast(tmp / "cal", product, tmp / "chk") == 0
    a = json.loads((tmp / "chk" / "forecast_check.json").read_text())
    b = json.loads((tmp / "chk_pos" / "forecast_check.json").read_text())
    assert b["skipped"]["matched by position, not id (counted, kept)"] == ds.n
    for name in a["scores"]:
        assert b["scores"][name]["rmse_m"] == pytest.approx(a["scores"][name]["rmse_m"], rel=1e-9), name


@pytest.mark.serial
def test_a_product_in_another_component_is_scored_in_its_own(calibrated, capsys):
    """A vertical product against a line-of-sight calibration: projected, and the noise caveat said."""
    tmp, ds, product, _ = calibrated
    up = tmp / "up.csv"
    with open(product) as f, open(up, "w", newline="") as g:  # the same series, declared vertical, no LOS columns
        rows = list(csv.reader(f))
        w = csv.writer(g)
        for r in rows:
            w.writerow(r[:3] + r[6:])
    rc = main(["forecast", str(tmp / "cal"), "--insar", str(up), "--unit", "m", "--insar-crs", "EPSG:28992",
               "--component", "up", "--out", str(tmp / "chk_up")])
    err = capsys.readouterr().err
    assert rc == 0 and "the calibration was on 'los'" in err
    assert json.loads((tmp / "chk_up" / "forecast_check.json").read_text())["component"] == "up"



def _held_out_check(tmp, ds, product):
    if not (tmp / "chk" / "forecast_check.json").exists():
        assert _forecast(tmp / "cal", product, tmp / "chk") == 0
    return json.loads((tmp / "chk" / "forecast_check.json").read_text())


@pytest.mark.serial
def test_a_later_only_product_continuing_the_reference_scores_as_the_whole_product(calibrated):
    """A release of the later epochs only, in the calibration product's reference: with --reference
    calibration the calibration's own observations (observations.npz) give the members' offsets and the
    baselines, so the scores are those of the whole product (whose early epochs are those observations)."""
    tmp, ds, product, _ = calibrated
    later = _write(tmp / "later_cont.csv", ds, keep=ds.dates > np.datetime64(UNTIL))
    assert _forecast(tmp / "cal", later, tmp / "chk_cont", "--reference", "calibration") == 0
    a = _held_out_check(tmp, ds, product)
    b = json.loads((tmp / "chk_cont" / "forecast_check.json").read_text())
    assert b["reference_mode"] == "calibration" and b["scored_epochs"] == a["scored_epochs"]
    assert b["shared_epochs"] == a["shared_epochs"] and "observations.npz" in b["reference"]
    for name in a["scores"]:
        for k in ("rmse_m", "bias_m", "velocity_rmse_m_per_yr", "crps_m"):
            if k in a["scores"][name]:
                assert b["scores"][name][k] == pytest.approx(a["scores"][name][k], rel=1e-6, abs=1e-12), (name, k)
    with open(tmp / "chk_cont" / "forecast_points.csv") as f:
        assert len(list(csv.DictReader(f))) == ds.n * a["scored_epochs"]


@pytest.mark.serial
def test_a_later_only_product_with_its_own_reference_is_levelled_on_its_first_epochs(calibrated):
    """A later release with its own reference (here: another per-point level): --reference first-epochs
    levels every member and baseline on the product's first N epochs, does not score those, and gives the
    same scores whatever the product's per-point reference."""
    tmp, ds, product, _ = calibrated
    keep = ds.dates > np.datetime64(UNTIL)
    shift = np.random.default_rng(11).uniform(-0.05, 0.05, ds.n)
    plain = _write(tmp / "later_own.csv", ds, keep=keep)
    moved = _write(tmp / "later_own_moved.csv", ds, keep=keep, shift=shift)
    assert _forecast(tmp / "cal", plain, tmp / "chk_own", "--reference", "first-epochs", "--reference-epochs", "4") == 0
    assert _forecast(tmp / "cal", moved, tmp / "chk_own2", "--reference", "first-epochs", "--reference-epochs", "4") == 0
    a = json.loads((tmp / "chk_own" / "forecast_check.json").read_text())
    b = json.loads((tmp / "chk_own2" / "forecast_check.json").read_text())
    assert a["reference_mode"] == "first-epochs" and a["reference_epochs"] == 4
    assert a["scored_epochs"] == int(keep.sum()) - 4 and a["first_scored"] == str(ds.dates[keep][4])
    assert set(a["scores"]) == set(_held_out_check(tmp, ds, product)["scores"])
    for name in a["scores"]:
        assert b["scores"][name]["rmse_m"] == pytest.approx(a["scores"][name]["rmse_m"], rel=1e-6), name
    # the twin's posterior is close to the truth: levelled on four noisy epochs it stays near the noise level
    assert a["scores"]["posterior ensemble"]["rmse_m"] < 2.0 * _held_out_check(tmp, ds, product)["scores"][
        "posterior ensemble"]["rmse_m"]


def test_relevel_puts_each_prediction_at_the_products_level_on_the_reference_epochs():
    from subsidence.calibration.check import relevel

    rng = np.random.default_rng(3)
    pred = rng.normal(size=(5, 3, 10))  # (members, points, epochs)
    c = rng.normal(size=(3, 1))
    D = pred[2] + c  # member 2 exact, up to a per-point level
    D[1, 6] = np.nan  # a missing value in the reference epochs is left out
    ref = np.zeros(10, bool)
    ref[5:8] = True
    later = np.arange(10) >= 5
    out = relevel(D, pred, ref, later)
    assert np.allclose(out[2][:, later], np.nan_to_num(D, nan=(pred[2] + c)[1, 6])[:, later])
    assert np.array_equal(out[:, :, ~later], pred[:, :, ~later])  # the calibration epochs are untouched


@pytest.mark.serial
def test_reference_options_that_cannot_apply_are_named_errors(calibrated, capsys, tmp_path):
    import shutil

    tmp, ds, product, _ = calibrated
    later = _write(tmp / "later_err.csv", ds, keep=ds.dates > np.datetime64(UNTIL))
    assert _forecast(tmp / "cal", later, tmp / "y1") == 2
    assert "give --reference calibration" in capsys.readouterr().err
    assert _forecast(tmp / "cal", later, tmp / "y2", "--reference-epochs", "3") == 2
    assert "applies to --reference first-epochs only" in capsys.readouterr().err
    assert _forecast(tmp / "cal", later, tmp / "y3", "--reference", "first-epochs", "--reference-epochs", "0") == 2
    assert "must be >= 1" in capsys.readouterr().err
    n_later = int((ds.dates > np.datetime64(UNTIL)).sum())
    assert _forecast(tmp / "cal", later, tmp / "y4", "--reference", "first-epochs", "--reference-epochs", str(n_later)) == 2
    assert f"need at least {n_later + 1}" in capsys.readouterr().err
    dates = tmp_path / "dates.txt"
    dates.write_text("2018-01-01\n")
    rc = main(["forecast", str(tmp / "cal"), "--dates", str(dates), "--reference", "calibration", "--out", str(tmp / "y5")])
    assert rc == 2 and "applies to --insar" in capsys.readouterr().err
    old = tmp_path / "old_cal"  # a calibration directory from before observations.npz
    shutil.copytree(tmp / "cal", old)
    (old / "observations.npz").unlink()
    assert _forecast(old, later, tmp / "y6", "--reference", "calibration") == 2
    assert "observations.npz" in capsys.readouterr().err
    assert not any((tmp / f"y{k}").exists() for k in range(1, 7))


@pytest.mark.serial
def test_a_later_only_product_with_gaps_and_another_component(calibrated, capsys):
    """Gaps in a later-only product are left out of the scores and counted; a point without a value in
    the reference epochs cannot be levelled (counted, left out); another component is a named error."""
    tmp, ds, product, _ = calibrated
    keep = ds.dates > np.datetime64(UNTIL)
    gappy = dataclasses.replace(ds, disp=np.array(ds.disp, float))
    later_idx = np.flatnonzero(keep)
    gappy.disp[0, later_idx[:3]] = np.nan  # point 0: nothing in the first 3 later epochs
    gappy.disp[1, later_idx[5]] = np.nan  # point 1: one gap later on
    f = _write(tmp / "later_gaps.csv", gappy, keep=keep)
    assert _forecast(tmp / "cal", f, tmp / "chk_gap", "--reference", "first-epochs", "--reference-epochs", "3") == 0
    doc = json.loads((tmp / "chk_gap" / "forecast_check.json").read_text())
    assert doc["points"] == ds.n - 1 and doc["skipped"]["no value in the first 3 epochs (its level cannot be fixed)"] == 1
    assert doc["scores"]["posterior ensemble"]["missing_values"] == 1
    assert _forecast(tmp / "cal", f, tmp / "chk_gap2", "--reference", "calibration") == 0
    doc = json.loads((tmp / "chk_gap2" / "forecast_check.json").read_text())
    assert doc["points"] == ds.n and doc["scores"]["linear trend"]["missing_values"] == 4
    up = tmp / "later_up.csv"
    with open(f) as src, open(up, "w", newline="") as g:
        w = csv.writer(g)
        for r in csv.reader(src):
            w.writerow(r[:3] + r[6:])
    rc = main(["forecast", str(tmp / "cal"), "--insar", str(up), "--unit", "m", "--insar-crs", "EPSG:28992",
               "--component", "up", "--reference", "calibration", "--out", str(tmp / "chk_up2")])
    assert rc == 2 and "baselines fitted on one component cannot be scored on another" in capsys.readouterr().err
