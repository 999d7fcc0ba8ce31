"""`subsidence bowl` on awkward input (found by a robustness sweep): run folders with the same
name or named ``reference`` (labels that collided crashed with KeyError 'reference'), a
reference grid that does not overlap the run's (all-NaN differences, exit 0), and options that
cannot be meant (incidence outside (0, 90) degrees, a contour <= 0 m, a contour above the
bowl's largest subsidence that gave widths of 0)."""

import csv

import numpy as np
import pytest

from subsidence.heterogeneity.bowl import bowl_metrics


def _case(name, cm=1e-9, x=(-8000.0, 8000.0), y=(-8000.0, 8000.0), n=41):
    return {"name": name, "model": {"method": "analytic", "kernel": "geertsma", "poisson_ratio": 0.25},
            "reservoirs": [{"name": "d", "shape": {"type": "disc", "center": [0.0, 0.0], "radius": 2000.0},
                            "depth": 2000.0, "thickness": 100.0, "compaction": {"law": "linear", "cm": cm},
                            "pressure_change": {"time": [0.0, 10.0], "value": [0.0, -1e7]}}],
            "output": {"times": [10.0], "grid": {"x": [x[0], x[1], n], "y": [y[0], y[1], n]}}}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    from subsidence.config import case_from_dict
    from subsidence.run import run_case

    root = tmp_path_factory.mktemp("bowlruns")
    todo = {"ref": _case("ref"), "a/disc": _case("disc", 1.2e-9), "b/disc": _case("disc", 0.8e-9),
            "sweep/reference": _case("other", 1.1e-9),
            "far": _case("far", x=(50000.0, 60000.0)),  # no overlap with the others
            "half": _case("half", x=(-8000.0, 0.0), n=21),  # covers half, with the deepest point
            "east": _case("east", x=(1000.0, 8000.0), n=15)}  # misses the deepest point (0, 0)
    for sub, d in todo.items():
        run_case(case_from_dict(d), root / sub)
    return root


def _rows(path):
    with open(path / "metrics.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def test_labels_are_unique_and_the_reference_is_reference():
    from subsidence.heterogeneity.cli import run_labels

    assert run_labels(["runs/strong", "alt/strong"]) == ["runs-strong", "alt-strong"]
    assert run_labels(["o_fe/members/m000", "o_fe/reference"]) == ["m000", "o_fe-reference"]
    assert run_labels(["x/a/s", "y/a/s", "z"]) == ["x-a-s", "y-a-s", "z"]
    labs = run_labels(["same", "same"])
    assert len(set(labs)) == 2 and all(lab.endswith("same") for lab in labs)
    assert run_labels(["."])[0] != ""  # the folder's real name, not an empty label


def test_bowl_with_runs_of_the_same_name_and_a_run_named_reference(runs, tmp_path):
    import xarray as xr

    from subsidence.cli import main

    out = tmp_path / "b"
    rc = main(["bowl", str(runs / "a" / "disc"), str(runs / "b" / "disc"), str(runs / "sweep" / "reference"),
               "--reference", str(runs / "ref"), "--out", str(out)])
    assert rc == 0
    rows = _rows(out)
    assert [r["run"] for r in rows] == ["reference", "a-disc", "b-disc", "sweep-reference"]
    assert rows[0]["path"] == str(runs / "ref")
    # each difference is its own run minus the reference (the stiffer b subsides less)
    with xr.open_dataset(out / "differences.nc") as ds:
        assert ds["duz_a-disc"].values.min() < 0 < ds["duz_b-disc"].values.max()
        assert "duz_sweep-reference" in ds
    for lab in ("a-disc", "b-disc", "sweep-reference"):
        assert (out / f"difference_{lab}.png").is_file()
        assert float(next(r for r in rows if r["run"] == lab)["reference_coverage"]) == 1.0


@pytest.mark.serial
def test_reference_grid_that_does_not_overlap_is_an_error(runs, tmp_path, capsys):
    from subsidence.cli import main

    for ref, words in (("far", "does not overlap the grid of"), ("east", "does not cover the deepest point")):
        out = tmp_path / ref
        rc = main(["bowl", str(runs / "a" / "disc"), "--reference", str(runs / ref), "--out", str(out)])
        err = capsys.readouterr().err
        assert rc == 2 and words in err and "Traceback" not in err, err
        assert str(runs / ref) in err and "[bowl]" in err
        assert not out.exists() and not (tmp_path / f"{ref}.partial").exists()


def test_reference_grid_that_covers_part_of_the_run(runs, tmp_path, capsys):
    import xarray as xr

    from subsidence.cli import main

    out = tmp_path / "half"
    assert main(["bowl", str(runs / "a" / "disc"), "--reference", str(runs / "half"), "--out", str(out)]) == 0
    assert "covers" in capsys.readouterr().err
    cov = float(_rows(out)[1]["reference_coverage"])
    assert 0.45 < cov < 0.6  # x from -8 to 0 km of -8 to 8 km (and the cells on x = 0)
    with xr.open_dataset(out / "differences.nc") as ds:
        d = ds["duz_disc"].values
    assert np.isnan(d).mean() == pytest.approx(1 - cov) and np.isfinite(d).any()


@pytest.mark.serial
@pytest.mark.parametrize("option, value", [("--incidence", "95"), ("--incidence", "-10"), ("--incidence", "90"),
                                           ("--incidence", "0"), ("--incidence", "nan"), ("--contour", "0"),
                                           ("--contour", "-0.02"), ("--contour", "nan"), ("--time", "nan")])
def test_options_that_cannot_be_meant_are_errors(runs, tmp_path, capsys, option, value):
    from subsidence.cli import main

    rc = main(["bowl", str(runs / "a" / "disc"), "--reference", str(runs / "ref"), option, value,
               "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert rc == 2 and f"[{option}]" in err and "Traceback" not in err, err
    assert not (tmp_path / "o").exists()


def test_contour_above_the_largest_subsidence_is_nan_with_a_note(runs, tmp_path, capsys):
    from subsidence.cli import main

    out = tmp_path / "c"
    assert main(["bowl", str(runs / "a" / "disc"), "--reference", str(runs / "ref"), "--contour", "5",
                 "--out", str(out)]) == 0
    assert "not below the largest subsidence" in capsys.readouterr().err
    for row in _rows(out):
        assert row["width_major_contour_m"] == "nan" and row["width_minor_contour_m"] == "nan"
        assert "5 m contour is not below the largest subsidence" in row["notes"]
        assert float(row["width_major_10pct_m"]) > 0


def test_bowl_metrics_contour_checks():
    x = np.linspace(-10000.0, 10000.0, 101)
    X, Y = np.meshgrid(x, x)
    uz = -0.3 * np.exp(-(X**2 + Y**2) / (2 * 2000.0**2))
    m = bowl_metrics(x, x, 0 * uz, 0 * uz, uz, contour=0.5)
    assert np.isnan(m["width_major_contour_m"]) and "0.5 m contour" in m["notes"]
    assert "notes" not in bowl_metrics(x, x, 0 * uz, 0 * uz, uz, contour=0.1)
    for bad in (0.0, -0.1, float("nan")):
        with pytest.raises(ValueError, match="contour"):
            bowl_metrics(x, x, 0 * uz, 0 * uz, uz, contour=bad)
    # a bowl wider than the grid: the 10 % contour does not close, NaN with a note (not a width)
    small = np.linspace(-2000.0, 2000.0, 21)
    S, T = np.meshgrid(small, small)
    m = bowl_metrics(small, small, 0 * S, 0 * S, -0.3 * np.exp(-(S**2 + T**2) / (2 * 2000.0**2)))
    assert np.isnan(m["width_major_10pct_m"]) and "does not close within the grid" in m["notes"]
