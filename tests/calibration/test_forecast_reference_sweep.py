"""``subsidence forecast CAL --insar LATER [--reference ...]`` on awkward later products and calibration
directories: each is scored with counts that say what was scored, or is a named error (never a
traceback, never a silently wrong score)."""

import csv
import json
import shutil

import numpy as np
import pytest

from subsidence.insar.geometry import los_from_heading
from test_forecast_check import UNTIL, _forecast, calibrated  # noqa: F401  (calibrated: the fixture, reused)


def _write(path, ds, *, keep=None, D=None, ids=None, x=None, y=None, los=None):
    """The twin (or ``D``) as a generic CSV (metres, LOS vectors per point), epochs ``keep``."""
    keep = np.ones(ds.nt, bool) if keep is None else keep
    D = np.asarray(ds.disp, float) if D is None else D
    ids = list(ds.ids) if ids is None else ids
    x = ds.x if x is None else x
    y = ds.y if y is None else y
    los = ds.los if los is None else los
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "x", "y", "los_east", "los_north", "los_up", *[str(t) for t in ds.dates[keep]]])
        for i in range(len(ids)):
            w.writerow([ids[i], repr(float(x[i])), repr(float(y[i])), *[repr(float(v)) for v in los[i]],
                        *[repr(float(v)) for v in D[i, keep]]])
    return path


def _doc(out):
    return json.loads((out / "forecast_check.json").read_text())


def _rows(out):
    with open(out / "forecast_points.csv") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def cal(calibrated):
    """The calibration of test_forecast_check (a twin calibrated up to UNTIL) and its last calibration epoch."""
    tmp, ds, _, doc = calibrated
    return tmp, ds, np.datetime64(doc["data"]["last_calibration"])


def _copy_with(tmp, name, edit):
    """A copy of the calibration directory with its observations.npz edited (``edit``: dict -> dict)."""
    d = tmp / name
    shutil.copytree(tmp / "cal", d)
    with np.load(d / "observations.npz") as z:
        o = {k: z[k] for k in z.files}
    np.savez(d / "observations.npz", **edit(o))
    return d


@pytest.mark.serial
def test_a_damaged_or_foreign_observations_npz_is_a_named_error(cal, capsys):
    """Before: a damaged file or a missing key was a traceback; values with gaps or the epochs of another
    calibration gave scores silently (no value scored at all, or an empty horizon table)."""
    tmp, ds, last = cal
    later = _write(tmp / "later_npz.csv", ds, keep=ds.dates > last)
    bad = tmp / "cal_bad"
    shutil.copytree(tmp / "cal", bad)
    (bad / "observations.npz").write_bytes((tmp / "cal" / "observations.npz").read_bytes()[:200])
    cases = [
        (bad, "[observations.npz] cannot be read"),
        (_copy_with(tmp, "cal_nokey", lambda o: {k: v for k, v in o.items() if k != "dates"}), "[dates] missing from"),
        (_copy_with(tmp, "cal_nan", lambda o: {**o, "D": np.where(np.arange(o["D"].shape[1]) == 3, np.nan, o["D"])}),
         "[D] 20 missing or non-finite values"),
        (_copy_with(tmp, "cal_late", lambda o: {**o, "dates": (o["dates"].astype("datetime64[D]")
                                                               + np.timedelta64(800, "D")).astype(str)}),
         "[dates]"),
        (_copy_with(tmp, "cal_baddate", lambda o: {**o, "dates": np.array(["x"] * o["dates"].size)}),
         "[dates] not dates"),
    ]
    for k, (d, msg) in enumerate(cases):
        assert _forecast(d, later, tmp / f"npz{k}", "--reference", "calibration") == 2, msg
        err = capsys.readouterr().err
        assert msg in err and "observations.npz" in err and "Traceback" not in err, err
        assert not (tmp / f"npz{k}").exists()


@pytest.mark.serial
def test_a_damaged_state_npz_is_a_named_error(cal, capsys):
    tmp, ds, last = cal
    d = tmp / "cal_badstate"
    shutil.copytree(tmp / "cal", d)
    (d / "state.npz").write_bytes(b"PK\x03\x04 not really a zip")
    assert _forecast(d, _write(tmp / "full_state.csv", ds), tmp / "st") == 2
    assert "state.npz: [state.npz] cannot be read" in capsys.readouterr().err


@pytest.mark.serial
def test_out_at_the_calibration_directory_is_refused(cal, capsys):
    """Before: --out CAL_DIR replaced the calibration (same case: no --force needed) by the forecast."""
    tmp, ds, last = cal
    d = tmp / "cal_out"
    shutil.copytree(tmp / "cal", d)
    later = _write(tmp / "later_out.csv", ds, keep=ds.dates > last)
    assert _forecast(d, later, d, "--reference", "calibration") == 2
    assert "[--out] is the calibration directory" in capsys.readouterr().err
    assert (d / "state.npz").is_file() and (d / "observations.npz").is_file()


@pytest.mark.serial
def test_a_later_product_of_another_track_is_a_named_error_with_reference(cal, capsys):
    """Before: a later-only product of another pass (other LOS vectors) was scored against baselines and
    offsets of the calibration's line of sight: silently wrong scores (here 3x the RMSE and 22 % coverage).
    With a product that covers the calibration period (overlap) it is scored in its own geometry."""
    tmp, ds, last = cal
    los = los_from_heading(np.full(ds.n, 39.0), np.full(ds.n, -168.0))  # descending, against the ascending calibration
    keep = ds.dates > last
    other = _write(tmp / "later_desc.csv", ds, keep=keep, los=los)
    for mode in ("calibration", "first-epochs"):
        assert _forecast(tmp / "cal", other, tmp / f"desc_{mode}", "--reference", mode) == 2
        err = capsys.readouterr().err
        assert "[--reference] its line of sight differs from the calibration's by up to" in err
    near = _write(tmp / "later_near.csv", ds, keep=keep, los=los_from_heading(np.full(ds.n, 40.0), np.full(ds.n, -12.0)))
    assert _forecast(tmp / "cal", near, tmp / "near", "--reference", "calibration") == 0  # 1 degree: the same track
    assert _forecast(tmp / "cal", _write(tmp / "full_desc.csv", ds, los=los), tmp / "desc_overlap") == 0


@pytest.mark.serial
def test_gaps_everywhere_in_the_shared_epochs_name_this_commands_options(cal, capsys):
    """Before: calibrate's message, which points to --until, an option forecast does not have."""
    tmp, ds, last = cal
    D = np.array(ds.disp, float)
    shared = np.flatnonzero(ds.dates <= last)
    for i in range(ds.n):
        D[i, shared[i]] = np.nan
    assert _forecast(tmp / "cal", _write(tmp / "gappy.csv", ds, D=D), tmp / "gappy") == 2
    err = capsys.readouterr().err
    assert "[--insar] no point has a complete series over the" in err and "epochs up to" in err
    assert "--reference calibration" in err and "--until" not in err


@pytest.mark.serial
def test_points_and_epochs_without_a_value_to_score_are_left_out_and_counted(cal, capsys):
    """Before: a point without any later value counted as scored (points, rows of forecast_points.csv);
    epochs with values of other points only counted as scored (scored_epochs, last_scored); and a product
    without any value to score at the calibration's points gave exit 0 and empty scores."""
    tmp, ds, last = cal
    later = ds.dates > last
    D = np.array(ds.disp, float)
    D[4, later] = np.nan  # point p4: nothing after the calibration
    assert _forecast(tmp / "cal", _write(tmp / "p4.csv", ds, D=D), tmp / "p4") == 0
    doc = _doc(tmp / "p4")
    assert doc["points"] == ds.n - 1 and sum("no value to score" in k for k in doc["skipped"]) == 1
    rows = _rows(tmp / "p4")
    assert len(rows) == (ds.n - 1) * doc["scored_epochs"] and "p4" not in {r["id"] for r in rows}
    # a product of a larger area: its last 10 later epochs have values at two foreign points only
    n_l = int(later.sum())
    E = np.vstack([D[:, later], D[:2, later]])
    E[4] = D[5, later]
    E[:ds.n, n_l - 10:] = np.nan
    other = _write(tmp / "larger.csv", ds, keep=later, D=np.hstack([np.full((ds.n + 2, ds.nt - n_l), np.nan), E]),
                   ids=list(ds.ids) + ["f1", "f2"], x=np.append(ds.x, [9e3, 9e3]), y=np.append(ds.y, [9e3, 9.1e3]),
                   los=np.vstack([ds.los, ds.los[:2]]))
    for mode in ("calibration", "first-epochs"):
        assert _forecast(tmp / "cal", other, tmp / f"larger_{mode}", "--reference", mode) == 0
        doc = _doc(tmp / f"larger_{mode}")
        n_ref = 6 if mode == "first-epochs" else 0
        assert doc["skipped"]["without a value at any point of the calibration (epochs)"] == 10
        assert doc["scored_epochs"] == n_l - 10 - n_ref and doc["last_scored"] == str(ds.dates[later][n_l - 11])
        assert doc["scores"]["posterior ensemble"]["values"] == ds.n * doc["scored_epochs"]
    # nothing to score at the calibration's points: a named error, no output
    F = np.vstack([D[:, later], D[:2, later]])
    F[:ds.n, 6:] = np.nan
    none = _write(tmp / "none.csv", ds, keep=later, D=np.hstack([np.full((ds.n + 2, ds.nt - n_l), np.nan), F]),
                  ids=list(ds.ids) + ["f1", "f2"], x=np.append(ds.x, [9e3, 9e3]), y=np.append(ds.y, [9e3, 9.1e3]),
                  los=np.vstack([ds.los, ds.los[:2]]))
    assert _forecast(tmp / "cal", none, tmp / "none", "--reference", "first-epochs") == 2
    assert "need at least 7" in capsys.readouterr().err
    G = D.copy()
    G[:, later] = np.nan
    G = np.vstack([G, D[:2]])
    nolater = _write(tmp / "nolater.csv", ds, D=G, ids=list(ds.ids) + ["f1", "f2"], x=np.append(ds.x, [9e3, 9e3]),
                     y=np.append(ds.y, [9e3, 9.1e3]), los=np.vstack([ds.los, ds.los[:2]]))
    assert _forecast(tmp / "cal", nolater, tmp / "nolater") == 2
    assert "no epoch after" in capsys.readouterr().err
    H = D.copy()
    H[:, later] = np.nan
    H[0, np.flatnonzero(later)[:5]] = 0.0  # p0: values in the reference epochs only
    H[1, np.flatnonzero(later)[5:10]] = 0.0  # p1: none there (cannot be levelled)
    onlyref = _write(tmp / "onlyref.csv", ds, keep=later, D=np.vstack([H, D[:1]]), ids=list(ds.ids) + ["f1"],
                     x=np.append(ds.x, 9e3), y=np.append(ds.y, 9e3), los=np.vstack([ds.los, ds.los[:1]]))
    assert _forecast(tmp / "cal", onlyref, tmp / "onlyref", "--reference", "first-epochs", "--reference-epochs", "5") == 2
    assert "has a value at the" in capsys.readouterr().err and not (tmp / "onlyref").exists()


@pytest.mark.serial
def test_first_epochs_writes_the_scored_epochs_only(cal):
    """Before: forecast_points.csv/forecast.nc also held the reference epochs, where the forecast was put
    at the product's level (not a forecast there): rows did not match scored_epochs."""
    tmp, ds, last = cal
    keep = ds.dates > last
    assert _forecast(tmp / "cal", _write(tmp / "later_fe.csv", ds, keep=keep), tmp / "fe",
                     "--reference", "first-epochs", "--reference-epochs", "4") == 0
    doc = _doc(tmp / "fe")
    rows = _rows(tmp / "fe")
    assert doc["scored_epochs"] == int(keep.sum()) - 4
    assert len(rows) == ds.n * doc["scored_epochs"] and min(r["date"] for r in rows) == doc["first_scored"]
    assert max(r["date"] for r in rows) == doc["last_scored"]
    summary = json.loads((tmp / "fe" / "summary.json").read_text())
    assert summary["dates"] == [doc["first_scored"], doc["last_scored"]]
