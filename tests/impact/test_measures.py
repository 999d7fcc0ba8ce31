"""``subsidence impact`` on point runs (shallow, coupled) and the surface measures it writes: radius of
curvature, angular distortion over a base length, differential settlement between two points, and
the CBA 1987 comparison table, against hand calculations on parabolic bowls.

Guards against: point runs not assessable, the building profile of a point run not following the
fitted surface, the radius or the angular distortion off by a factor (B/4, km), a pair's sign
convention (settlement down positive, point 2 minus point 1), and a CBA row compared with the
wrong limits.
"""

import csv
import json

import numpy as np
import pytest

from subsidence.cli import main as cli_main
from subsidence.io.surface import SurfaceNCWriter, SurfaceResult, write_points_nc
from subsidence.units import SECONDS_PER_YEAR

W = 0.05  # m, settlement at the centre of the bowls


def _bowl(x, y, kappa, strain):
    """uz = −W + κr²/2 (sagging for κ > 0) and a uniform isotropic horizontal strain."""
    return strain * x, strain * y, -W + 0.5 * kappa * (x * x + y * y)


def grid_run(path, kappa, strain, half=100.0, n=41):
    path.mkdir(parents=True)
    xs = np.linspace(-half, half, n)
    X, Y = np.meshgrid(xs, xs)
    with SurfaceNCWriter(path / "surface.nc", xs, xs, np.array([5.0, 10.0]) * SECONDS_PER_YEAR) as w:
        for it, f in enumerate((0.5, 1.0)):
            ux, uy, uz = _bowl(X, Y, kappa * f, strain * f)
            w.write(it, ux, uy, uz)
    return path


def point_run(path, kappa, strain, spacing=50.0, n=9):
    path.mkdir(parents=True)
    xs = (np.arange(n) - (n - 1) / 2) * spacing
    X, Y = np.meshgrid(xs, xs)
    x, y = X.ravel(), Y.ravel()
    ux, uy, uz = _bowl(x, y, kappa, strain)
    res = SurfaceResult(times=np.array([0.0, 1.0]) * SECONDS_PER_YEAR, point_names=[f"p{i}" for i in range(x.size)],
                        point_x=x, point_y=y, point_ux=np.stack([0 * ux, ux]), point_uy=np.stack([0 * uy, uy]),
                        point_uz=np.stack([0 * uz, uz]))
    write_points_nc(path / "points.nc", res)
    return path


def _read(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_buildings_on_a_point_run_follow_the_fitted_bowl(tmp_path, capsys):
    kappa, strain = 4e-6, -2e-4
    run = point_run(tmp_path / "pts", kappa, strain)
    f = tmp_path / "b.csv"
    f.write_text("name,x,y,length,orientation,height\ncentre,0,0,20,90,6\nnorth,0,100,30,0,8\n"
                 "outside,500,0,20,0,6\n")
    rc = cli_main(["impact", str(run), "--buildings", str(f), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert rc == 0, err
    rows = {r["name"]: r for r in _read(tmp_path / "o" / "buildings.csv")}
    c, n = rows["centre"], rows["north"]
    # hand: a parabola of curvature κ under a building of length L: Δ/L = κL/8, sagging; the axial strain is the
    # ground's; the settlement at the centre W minus the mean of κs²/2 over the samples
    assert float(c["deflection_ratio"]) == pytest.approx(kappa * 20 / 8, rel=1e-4)
    assert c["mode"] == "sagging" and float(c["horizontal_strain"]) == pytest.approx(strain, rel=1e-6)
    s = np.linspace(-10, 10, 11)
    assert float(c["settlement_m"]) == pytest.approx(W - np.mean(0.5 * kappa * s * s), rel=1e-5)
    # 100 m north, along north: rigid tilt = the slope κ·100 (up towards +y)
    assert float(n["tilt"]) == pytest.approx(kappa * 100.0, rel=1e-4)
    bad = _read(tmp_path / "o" / "buildings_invalid.csv")
    assert [b["name"] for b in bad] == ["outside"] and "outside the area of the output points" in bad[0]["reason"]
    s = json.loads((tmp_path / "o" / "impact.json").read_text())
    assert s["surface"] == "points" and "local quadratic" in s["profile"]
    assert s["deformation"]["max_curvature"] == pytest.approx(kappa, rel=1e-6)


@pytest.mark.parametrize("kind", ["grid", "points"])
@pytest.mark.parametrize("sign", [1.0, -1.0], ids=["sagging", "hogging"])
def test_radius_angular_distortion_and_pairs_by_hand(tmp_path, capsys, kind, sign):
    kappa, strain = sign * 2.5e-6, -1e-4  # radius 400 km
    run = (grid_run if kind == "grid" else point_run)(tmp_path / "run", kappa, strain)
    rc = cli_main(["impact", str(run), "--base-length", "20m", "--pair", "0,0,40,30", "--pair=-30,0,0,0",  # a leading minus needs the = form
                   "--out", str(tmp_path / "o")])
    out = capsys.readouterr()
    assert rc == 0, out.err
    import xarray as xr

    with xr.open_dataset(tmp_path / "o" / "deformation.nc") as d:
        rad = d["radius_of_curvature"].values
        assert d["radius_of_curvature"].attrs["units"] == "km"
        assert np.allclose(rad, sign * 400.0, rtol=1e-6)
        beta = d["angular_distortion"].values
        # hand: over B = 20 m the ends of a chord lie κ(10 m)²/2 = 1.25e-4 m off the middle: half-chord slopes
        # differ from the chord's by 1.25e-5 = |κ|·B/4, in every direction
        ok = np.isfinite(beta)
        assert ok.sum() > 0.5 * beta.size and np.allclose(beta[ok], 1.25e-5, rtol=1e-5)
    s = json.loads((tmp_path / "o" / "impact.json").read_text())
    dsum = s["deformation"]
    assert dsum["min_radius_of_curvature_km"] == pytest.approx(400.0, rel=1e-6)
    assert dsum["max_curvature_mode"] == ("sagging" if sign > 0 else "hogging")
    assert dsum["max_angular_distortion"] == pytest.approx(1.25e-5, rel=1e-5) and dsum["base_length_m"] == 20.0
    p1, p2 = _read(tmp_path / "o" / "pairs.csv")
    # pair 1: (0,0) → (40,30), 50 m apart; settlement = W − κr²/2: s2 − s1 = −κ·50²/2 = ∓3.125e-3 m
    assert float(p1["distance_m"]) == pytest.approx(50.0)
    assert float(p1["differential_settlement_m"]) == pytest.approx(-sign * 3.125e-3, rel=1e-5)
    assert float(p1["slope"]) == pytest.approx(-sign * 6.25e-5, rel=1e-5)
    assert float(p1["horizontal_strain"]) == pytest.approx(strain, rel=1e-5)
    # pair 2: (−30,0) → (0,0): s2 − s1 = +κ·30²/2
    assert float(p2["differential_settlement_m"]) == pytest.approx(sign * 1.125e-3, rel=1e-5)
    assert "pair 1: differential settlement" in out.out


def test_cba_table_against_the_category_limits_by_hand(tmp_path, capsys):
    """κ = 1.8e-4 /m (radius 5.56 km), extension 1e-3, base length 20 m, height 6 m. Hand: sagging beam
    L = 20, H = 6, t = 3, I = 18, E/G = 2.6: c_b = 20/36 + 3·18·2.6/(2·3·20·6) = 0.750556,
    c_d = 1 + 6·400/(18·18·2.6) = 3.849003; κ_1 = 8·5e-4·0.750556/20 = 1.501111e-4 (category 1 from
    there; κ_2 = 2.251667e-4): category 1. Strain 1e-3: category 2 (0.075–0.15 %). Angular distortion
    κ·20/4 = 9e-4 → Son & Cording ε = 4.5e-4: category 0; with the extension:
    5e-4 + √(5e-4² + 4.5e-4²) = 1.17268e-3: category 2."""
    run = grid_run(tmp_path / "run", 1.8e-4, 1e-3)
    (run / "cba_1987.csv").write_text("profile,cba_class,label,year,impact_factor,impact_factor_min,impact_factor_max,"
                                      "cba_1987,cba_inside_range,difference_to_cba\n"
                                      "default,clay,dry,2018,0.41,0.2,0.6,0.5,True,-0.09\n")
    rc = cli_main(["impact", str(run), "--cba", "--height", "6", "--out", str(tmp_path / "o")])
    assert rc == 0, capsys.readouterr().err
    rows = {r["quantity"]: r for r in _read(tmp_path / "o" / "cba_1987_deformation.csv")}
    k = rows["max_curvature"]
    assert float(k["value"]) == pytest.approx(1.8e-4, rel=1e-6) and k["category"] == "1"
    assert float(k["limit_cat1"]) == pytest.approx(1.501111e-4, rel=1e-5)  # 6 digits in the CSV
    assert float(k["limit_cat2"]) == pytest.approx(2.251667e-4, rel=1e-5)
    e = rows["max_horizontal_strain"]
    assert float(e["value"]) == pytest.approx(1e-3, rel=1e-6) and e["category"] == "2"
    assert [float(e[f"limit_cat{c}"]) for c in ("1", "2", "3", "4_5")] == [5e-4, 7.5e-4, 1.5e-3, 3e-3]
    b = rows["max_angular_distortion"]
    assert float(b["value"]) == pytest.approx(9e-4, rel=1e-5) and b["category"] == "0"
    assert float(b["limit_cat1"]) == 1e-3 and "ε_p = 0.00117" in b["note"] and "category 2" in b["note"]
    assert rows["max_tilt"]["category"] == "0" and "1/300 exceeded" in rows["max_tilt"]["note"]  # κ·141 m = 0.025
    assert rows["max_horizontal_compression"]["category"] == ""
    md = (tmp_path / "o" / "cba_1987_table.md").read_text()
    assert "| default | clay | dry | 2018 | 0.41 | 0.2 | 0.6 | 0.5 | True |" in md
    assert "| max_curvature | 0.00018 | 1/m | 0.00015 | 0.000225 |" in md


def test_bad_options_are_clear_errors(tmp_path, capsys):
    run = grid_run(tmp_path / "run", 1e-6, 0.0)
    assert cli_main(["impact", str(run)]) == 2
    assert "nothing to do" in capsys.readouterr().err
    assert cli_main(["impact", str(run), "--pair", "0,0,1"]) == 2
    assert "--pair '0,0,1': expected four numbers" in capsys.readouterr().err
    assert cli_main(["impact", str(run), "--base-length", "20 s"]) == 2
    assert "--base-length '20 s'" in capsys.readouterr().err
    assert cli_main(["impact", str(run), "--pair", "0,0,900,0"]) == 2
    assert "--pair 1 (0,0,900,0): outside the output grid" in capsys.readouterr().err
    pts = point_run(tmp_path / "pts", 1e-6, 0.0)
    assert cli_main(["impact", str(pts), "--base-length", "20", "--minus", str(run)]) == 2
    assert "cannot be subtracted" in capsys.readouterr().err


def test_cba_on_a_one_site_shallow_run_says_there_are_no_surface_measures(tmp_path, capsys):
    run = point_run(tmp_path / "site", 1e-6, 0.0, n=1)
    (run / "cba_1987.csv").write_text("profile,cba_class,label,year,impact_factor,impact_factor_min,impact_factor_max,"
                                      "cba_1987,cba_inside_range,difference_to_cba\n"
                                      "default,peat with clay cover,dry,2018,0.26,0.1,0.48,0.7,False,-0.44\n")
    assert cli_main(["impact", str(run), "--cba", "--out", str(tmp_path / "o")]) == 0, capsys.readouterr().err
    assert "no surface measures: 1 point(s)" in capsys.readouterr().out
    md = (tmp_path / "o" / "cba_1987_table.md").read_text()
    assert "| default | peat with clay cover | dry | 2018 | 0.26 |" in md
    assert "| surface deformation |" in md and "need at least 6 points" in md
