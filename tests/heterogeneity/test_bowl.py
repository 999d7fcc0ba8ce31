"""Bowl metrics against closed forms (a Gaussian bowl), principal axes of an elliptical bowl,
and `subsidence bowl` on two analytic runs with a named reference."""

import csv

import numpy as np
import pytest

from subsidence.heterogeneity.bowl import bowl_metrics

A, S = 0.3, 2000.0  # amplitude (m), standard deviation (m)


def _grid(n=401, half=10000.0):
    x = np.linspace(-half, half, n)
    return x, x.copy()


def test_gaussian_bowl_against_closed_forms():
    x, y = _grid()
    X, Y = np.meshgrid(x, y)
    x0, y0 = 1500.0, -500.0
    uz = -A * np.exp(-((X - x0) ** 2 + (Y - y0) ** 2) / (2 * S**2))
    k = 1e-3  # horizontal displacement towards the centre, ux = -k (x - x0) s/A
    ux, uy = -k * (X - x0) * (-uz / A), -k * (Y - y0) * (-uz / A)
    m = bowl_metrics(x, y, ux, uy, uz, contour=0.05)
    assert m["max_subsidence_m"] == pytest.approx(A, rel=1e-6)
    assert (m["max_x"], m["max_y"]) == (x0, y0)
    w10 = 2 * S * np.sqrt(2 * np.log(10))
    assert m["width_major_10pct_m"] == pytest.approx(w10, rel=1e-3)
    assert m["width_minor_10pct_m"] == pytest.approx(w10, rel=1e-3)
    assert m["width_major_contour_m"] == pytest.approx(2 * S * np.sqrt(2 * np.log(A / 0.05)), rel=1e-3)
    assert m["asymmetry_major"] == pytest.approx(1.0, abs=1e-3)
    assert m["bowl_volume_m3"] == pytest.approx(2 * np.pi * S**2 * A, rel=1e-4)
    assert m["area_10pct_m2"] == pytest.approx(np.pi * (w10 / 2) ** 2, rel=0.01)
    # tilt: max |d uz/dr| = A/S exp(-1/2) at r = S; curvature at the centre A/S^2
    assert m["max_tilt"] == pytest.approx(A / S * np.exp(-0.5), rel=1e-3)
    assert m["max_curvature_per_m"] == pytest.approx(A / S**2, rel=1e-3)
    # ux = -k r exp(.) : largest |u_h| at r = S
    assert m["max_horizontal_m"] == pytest.approx(k * S * np.exp(-0.5), rel=1e-3)
    assert m["horizontal_to_vertical"] == pytest.approx(k * S * np.exp(-0.5) / A, rel=1e-3)
    # radial strain d(u_r)/dr = -k exp(-r²/2S²)(1 - r²/S²): compression -k at the centre,
    # largest extension 2k exp(-3/2) at r = sqrt(3) S
    assert m["max_horizontal_compression"] == pytest.approx(k, rel=1e-3)
    assert m["max_horizontal_strain"] == pytest.approx(2 * k * np.exp(-1.5), rel=2e-3)


@pytest.mark.parametrize("angle", [0.0, 30.0, 120.0])
def test_elliptical_bowl_principal_axes(angle):
    x, y = _grid()
    X, Y = np.meshgrid(x, y)
    c, s = np.cos(np.radians(angle)), np.sin(np.radians(angle))
    u, v = c * X + s * Y, -s * X + c * Y
    uz = -A * np.exp(-(u**2 / (2 * (2 * S) ** 2) + v**2 / (2 * S**2)))
    m = bowl_metrics(x, y, 0 * uz, 0 * uz, uz)
    assert m["major_axis_deg"] == pytest.approx(angle, abs=0.5)
    assert m["width_major_10pct_m"] / m["width_minor_10pct_m"] == pytest.approx(2.0, rel=5e-3)


def test_asymmetric_bowl():
    x, y = _grid()
    X, Y = np.meshgrid(x, y)
    sig = np.where(X > 0, 2 * S, S)  # twice as wide to the east
    uz = -A * np.exp(-(X**2 / (2 * sig**2) + Y**2 / (2 * S**2)))
    m = bowl_metrics(x, y, 0 * uz, 0 * uz, uz)
    assert m["asymmetry_major"] == pytest.approx(2.0, rel=5e-3)


def test_bowl_command_on_two_runs(tmp_path, capsys):
    from subsidence.cli import main
    from subsidence.config import case_from_dict
    from subsidence.run import run_case

    def case(radius):
        return {"name": f"disc{int(radius)}", "model": {"method": "analytic", "kernel": "geertsma", "poisson_ratio": 0.25},
                "reservoirs": [{"name": "d", "shape": {"type": "disc", "center": [0.0, 0.0], "radius": radius},
                                "depth": 2000.0, "thickness": 100.0, "compaction": {"law": "linear", "cm": 1e-9},
                                "pressure_change": {"time": [0.0, 10.0], "value": [0.0, -1e7]}}],
                "output": {"times": [10.0], "grid": {"x": [-8000.0, 8000.0, 81], "y": [-8000.0, 8000.0, 81]}}}

    run_case(case_from_dict(case(1500.0)), tmp_path / "ref")
    run_case(case_from_dict(case(2000.0)), tmp_path / "wide")
    rc = main(["bowl", str(tmp_path / "wide"), "--reference", str(tmp_path / "ref"), "--out", str(tmp_path / "b")])
    assert rc == 0
    rows = list(csv.DictReader(open(tmp_path / "b" / "metrics.csv")))
    assert [r["run"] for r in rows] == ["reference", "wide"]
    assert float(rows[1]["bowl_volume_m3"]) > float(rows[0]["bowl_volume_m3"])
    assert float(rows[1]["width_major_10pct_m"]) > float(rows[0]["width_major_10pct_m"])
    import xarray as xr

    with xr.open_dataset(tmp_path / "b" / "differences.nc") as ds:
        d = ds["duz_wide"].values
    assert d.min() < 0  # the wider disc subsides more
    assert (tmp_path / "b" / "difference_wide.png").is_file()
    rc = main(["bowl", str(tmp_path / "wide"), "--reference", str(tmp_path / "nothing"), "--out", str(tmp_path / "c")])
    assert rc == 2 and "no surface.nc" in capsys.readouterr().err
    assert not (tmp_path / "c").exists() and not (tmp_path / "c.partial").exists()


def test_line_of_sight_detectability(tmp_path):
    """Rates over a window, run minus reference, projected on the S1 lines of sight: the map
    equals the projection done by hand, and the detectable share follows the noise."""
    import xarray as xr

    from subsidence.cli import main
    from subsidence.config import case_from_dict
    from subsidence.insar.geometry import S1_HEADING, los_from_heading
    from subsidence.run import run_case

    def case(cm):
        return {"name": "d", "model": {"method": "analytic", "kernel": "geertsma", "poisson_ratio": 0.25},
                "reservoirs": [{"name": "d", "shape": {"type": "disc", "center": [0.0, 0.0], "radius": 2000.0},
                                "depth": 2000.0, "thickness": 100.0, "compaction": {"law": "linear", "cm": cm},
                                "pressure_change": {"time": [0.0, 10.0], "value": [0.0, -1e7]}}],
                "output": {"times": [5.0, 10.0], "grid": {"x": [-8000.0, 8000.0, 41], "y": [-8000.0, 8000.0, 41]}}}

    run_case(case_from_dict(case(1e-9)), tmp_path / "ref")
    run_case(case_from_dict(case(1.2e-9)), tmp_path / "stiff")
    assert main(["bowl", str(tmp_path / "stiff"), "--reference", str(tmp_path / "ref"), "--window", "5", "10",
                 "--out", str(tmp_path / "b")]) == 0
    with xr.open_dataset(tmp_path / "ref" / "surface.nc") as r, xr.open_dataset(tmp_path / "stiff" / "surface.nc") as s:
        dv = {c: ((s[c][1] - s[c][0]) - (r[c][1] - r[c][0])).values / 5.0 for c in ("ux", "uy", "uz")}
    e = los_from_heading(39.0, S1_HEADING["ascending"])
    with xr.open_dataset(tmp_path / "b" / "differences.nc") as ds:
        np.testing.assert_allclose(ds["dv_los_asc_stiff"].values, e[0] * dv["ux"] + e[1] * dv["uy"] + e[2] * dv["uz"],
                                   rtol=1e-9, atol=1e-15)
        code = ds["detectable_stiff"].values
    row = list(csv.DictReader(open(tmp_path / "b" / "metrics.csv")))[1]
    share = float(row["detectable_share_asc"])
    assert 0 < share < 1 and code.max() == 3
    # a noise larger than every difference: nothing is detectable
    big = 10 * float(row["max_abs_dv_los_asc_m_per_yr"]) + 10 * float(row["max_abs_dv_los_desc_m_per_yr"])
    assert main(["bowl", str(tmp_path / "stiff"), "--reference", str(tmp_path / "ref"), "--window", "5", "10",
                 "--velocity-noise", str(big), "--out", str(tmp_path / "c")]) == 0
    row = list(csv.DictReader(open(tmp_path / "c" / "metrics.csv")))[1]
    assert row["detectable"] == "False" and float(row["detectable_share_asc"]) == 0.0
