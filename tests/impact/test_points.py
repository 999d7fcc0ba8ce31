"""Surface deformation measures at scattered points (shallow and coupled runs): the local quadratic
fits against closed forms, and the shallow/coupled runs' deformation.nc and max_* keys.

Guards against: a wrong factor or transposition in the fitted derivatives, an O(h) instead of
O(h²) fit on a grid, derivatives claimed where the points lie on a line or far apart, the coupled
run's measures not following its deep case's closed-form derivatives, and a shallow-only run
silently reporting horizontal strain it does not model.
"""

import copy
import json
from pathlib import Path

import numpy as np
import pytest

from subsidence.deep.deformation import PointStencils, angular_distortion_of_curvature, measures_from, radius_of_curvature
from subsidence.impact.points import point_measures

DATA = Path(__file__).resolve().parents[2] / "validation" / "data" / "nieuwolda"


def test_a_quadratic_field_is_fitted_exactly_on_scattered_points():
    rng = np.random.default_rng(3)
    x, y = rng.uniform(-500, 500, 200), rng.uniform(-500, 500, 200)
    a = dict(z0=-0.01, zx=2e-5, zy=-3e-5, zxx=4e-7, zxy=1e-7, zyy=-2e-7)
    uz = a["z0"] + a["zx"] * x + a["zy"] * y + 0.5 * a["zxx"] * x**2 + a["zxy"] * x * y + 0.5 * a["zyy"] * y**2
    ux, uy = 1e-5 * x + 3e-6 * y, 2e-6 * x - 4e-6 * y  # constant strain: ε = [[1e-5, 2.5e-6], [2.5e-6, -4e-6]]
    d = PointStencils(x, y).derivatives(ux, uy, uz)
    assert np.allclose(d["uz_x"], a["zx"] + a["zxx"] * x + a["zxy"] * y, rtol=0, atol=1e-15)
    for name, v in (("uz_xx", a["zxx"]), ("uz_xy", a["zxy"]), ("uz_yy", a["zyy"]), ("ux_x", 1e-5),
                    ("ux_y", 2.5e-6), ("uy_y", -4e-6)):
        assert np.allclose(d[name], v, rtol=1e-9, atol=1e-18), name
    m = measures_from(d)
    e1 = 0.5 * (1e-5 - 4e-6) + np.hypot(0.5 * (1e-5 + 4e-6), 2.5e-6)  # hand eigenvalues of the strain
    assert np.allclose(m["horizontal_strain"], e1, rtol=1e-9)


def test_parabolic_bowl_curvature_radius_and_angular_distortion():
    """uz = −w + κr²/2: curvature κ (sagging) everywhere, radius 1/κ, angular distortion over B: κB/4."""
    rng = np.random.default_rng(5)
    x, y = rng.uniform(-300, 300, 150), rng.uniform(-300, 300, 150)
    kappa = 2.0e-6  # 1/m: a radius of 500 km
    uz = -0.05 + 0.5 * kappa * (x**2 + y**2)
    m, st = point_measures(x, y, 0 * x, 0 * x, uz[None])
    assert st.ok.all()
    assert np.allclose(m["curvature"], kappa, rtol=1e-8)
    assert np.allclose(radius_of_curvature(m["curvature"]) * 1e-3, 500.0, rtol=1e-8)
    assert np.allclose(m["tilt"][0], kappa * np.hypot(x, y), rtol=1e-8, atol=1e-15)
    # hand: a 20 m chord at r = 0 has its ends 1e-4 m (κ(10 m)²/2) above the centre: half-chord slopes
    # ±1e-5, the chord level, so β = 1e-5 = κ·20/4
    assert angular_distortion_of_curvature(kappa, 20.0) == pytest.approx(1e-5, rel=1e-12)
    assert np.isnan(radius_of_curvature(0.0))


def test_gaussian_bowl_on_a_grid_converges_at_second_order():
    L = 1000.0
    errs = []
    for h in (100.0, 50.0):
        xs = np.arange(-3000.0, 3000.1, h)
        X, Y = np.meshgrid(xs, xs)
        x, y = X.ravel(), Y.ravel()
        g = np.exp(-(x**2 + y**2) / L**2)
        d = PointStencils(x, y).derivatives(0 * x, 0 * x, -0.1 * g)
        exx = -0.1 * g * (4 * x**2 / L**4 - 2 / L**2)
        ex = 0.2 * g * x / L**2
        errs.append((np.abs(d["uz_xx"] - exx).max() / np.abs(exx).max(), np.abs(d["uz_x"] - ex).max() / np.abs(ex).max()))
    assert errs[0][0] < 0.025 and errs[0][1] < 0.025  # h = L/10: 2.3 % of the peak
    assert errs[0][0] / errs[1][0] == pytest.approx(4.0, rel=0.05)  # second order
    assert errs[0][1] / errs[1][1] == pytest.approx(4.0, rel=0.05)


def test_points_on_a_line_or_far_away_have_no_fit():
    st = PointStencils(np.arange(10.0) * 100.0, np.zeros(10))
    assert not st.ok.any() and "do not span an area" in st.reasons[0]
    assert "at least 6 points" in PointStencils([0.0, 1.0, 2.0], [0.0, 1.0, 0.0]).reasons[0]
    xs = np.arange(5) * 100.0
    X, Y = np.meshgrid(xs, xs)
    x, y = np.r_[X.ravel(), 20000.0], np.r_[Y.ravel(), 0.0]  # a 5×5 grid and one point 20 km away
    st = PointStencils(x, y)
    assert st.ok[:-1].all() and not st.ok[-1] and "isolated" in st.reasons[-1]
    m, _ = point_measures(x, y, 0 * x, 0 * x, (1e-6 * x * x)[None])
    assert np.isnan(m["curvature"][0, -1]) and np.allclose(m["curvature"][0, :-1], 2e-6)


# -- the shallow and coupled runs ----------------------------------------------------------------
DEEP = """name = "disc"
[model]
method = "analytic"
kernel = "geertsma"
poisson_ratio = 0.25
[[reservoirs]]
name = "disc"
shape = {{ type = "disc", center = [0.0, 0.0], radius = 2000.0 }}
depth = 3000.0
thickness = 100.0
compaction = {{ law = "linear", cm = 1.0e-10 }}
pressure_change = {{ time = [0.0, 0.25], value = [0.0, -1.0e7] }}
[output]
times = [{t!r}]
{out}
"""

CHAIN = {
    "name": "t", "kind": "coupled", "start_date": "2017-01-01",
    "time": {"end": "2017-04-01", "spinup_years": 1},
    "forcing": {"precipitation": str(DATA / "neerslaggeg_NIEUWOLDA_172.csv"),
                "evaporation": str(DATA / "NBeerta_evapotransp20152020.csv")},
    "parcel": {"spacing": 50.0, "ditch_depth": 1.5, "aquifer_head": -1.0, "aquitard_resistance": 400.0},
    "soil": {"layers": [
        {"name": "clay", "thickness": 1.0, "kh": 0.1, "specific_yield": 0.05, "gamma_sat": 17.0, "gamma_unsat": 15.5,
         "compression": {"law": "isotache", "a": 0.01, "b": 0.1, "c": 0.004}, "ocr": 2.5},
        {"name": "sand", "thickness": 4.0, "kh": 10.0, "specific_yield": 0.2, "gamma_sat": 20.0,
         "compression": {"law": "linear", "mv": "2e-8 1/Pa"}, "max_cell": 0.5}]},
    "groundwater": {"model": "lumped", "lumped_resistances": "ernst"},
    "water_management": {"initial_level": -0.9, "rule": "none"},
    "output": {"plots": True},
}
T_END = 90 / 365.25  # 2017-01-01 → 2017-04-01, years
XS, YS = np.arange(-3, 4) * 250.0 + 2000.0, np.arange(-3, 4) * 250.0  # 7 × 7 points on the flank of the bowl


def coupled_run(tmp, **over):
    from subsidence.config import case_from_dict
    from subsidence.run import run_case

    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "deep.toml").write_text(DEEP.format(t=0.25, out='points = { name = ["c"], x = [0.0], y = [0.0] }'))
    X, Y = np.meshgrid(XS, YS)
    d = copy.deepcopy(CHAIN)
    d.update(deep={"source": "case", "case": "deep.toml"}, points={"x": X.ravel().tolist(), "y": Y.ravel().tolist()},
             crs="EPSG:28992")
    d.update(over)
    return run_case(case_from_dict(d, file=tmp / "c.toml"), tmp / "out"), tmp / "out"


@pytest.fixture(scope="module")
def coupled(tmp_path_factory):
    return coupled_run(tmp_path_factory.mktemp("coupled"))


def test_coupled_run_measures_follow_the_deep_closed_form(coupled, tmp_path):
    """The 7 × 7 points (250 m apart) of a coupled run over the flank of a disc bowl (D = 3 km):
    uniform soil and no water management, so the total's derivatives are the deep case's; against
    the deep case's closed-form derivatives on the same 7 × 7 grid."""
    import xarray as xr

    from subsidence.config import load_case
    from subsidence.run import run_case

    summary, out = coupled
    (tmp_path / "deep.toml").write_text(DEEP.format(t=T_END, out=f"grid = {{ x = [{XS[0]}, {XS[-1]}, 7], "
                                                                  f"y = [{YS[0]}, {YS[-1]}, 7] }}"))
    ref_summary = run_case(load_case(tmp_path / "deep.toml"), tmp_path / "deep_out")
    with xr.open_dataset(tmp_path / "deep_out" / "deformation.nc") as r, xr.open_dataset(out / "deformation.nc") as g:
        assert g.attrs["horizontal_displacement"].startswith("the deep part")
        inner = ((np.abs(g["x"].values - 2000.0) < 600) & (np.abs(g["y"].values) < 600))
        # the fit error at this spacing (h/D = 1/12), of the largest value, at all points / inside: tilt 1.8 / 1.8 %,
        # strain 1.8 / 0.8 %, compression 2.3 / 1.3 %, curvature 10 / 3.6 % (the edge points' fits are one-sided)
        for k, tol, tol_in in (("tilt", 0.025, 0.025), ("horizontal_strain", 0.025, 0.01),
                               ("horizontal_compression", 0.03, 0.015), ("curvature", 0.12, 0.045)):
            ref, got = r[k].isel(time=-1).values.ravel(), g[k].isel(time=-1).values
            err = np.abs(got - ref) / np.abs(ref).max()
            assert err.max() < tol and err[inner].max() < tol_in, (k, err.max(), err[inner].max())
        rad = g["radius_of_curvature"].isel(time=-1).values
        assert np.allclose(rad, 1e-3 / g["curvature"].isel(time=-1).values)
    for k in ("tilt", "horizontal_compression"):
        assert summary[f"max_{k}"] == pytest.approx(ref_summary[f"max_{k}"], rel=0.02)
        assert summary[f"max_{k}_time_yr"] == pytest.approx(T_END, rel=1e-9)
    saved = json.loads((out / "summary.json").read_text())
    assert saved["deformation_points"] == 49 and saved["max_curvature_mode"] == "sagging"
    assert (out / "deformation_map.png").is_file()


def test_shallow_runs_say_there_is_no_horizontal_strain(tmp_path):
    from subsidence.config import case_from_dict
    from subsidence.run import run_case

    d = copy.deepcopy(CHAIN)
    d.update(kind="shallow", output={"plots": False})
    one = run_case(case_from_dict(d, file=tmp_path / "c.toml"), tmp_path / "one")  # the default: one site
    assert one["deformation"].startswith("not computed: 1 point(s)")
    assert one["deformation_horizontal"].startswith("none: the shallow model is vertical")
    assert not (tmp_path / "one" / "deformation.nc").exists()
    # a coupled run whose deep part is a vertical time series (the same at each of nine parcels on a grid)
    series = tmp_path / "deep.csv"
    series.write_text("time,uz\n0,0\n1,-0.04\n")
    X, Y = np.meshgrid(np.arange(3) * 100.0, np.arange(3) * 100.0)
    d.update(kind="coupled", deep={"source": "series", "file": str(series)},
             points={"x": X.ravel().tolist(), "y": Y.ravel().tolist()})
    nine = run_case(case_from_dict(d, file=tmp_path / "c.toml"), tmp_path / "nine")
    assert nine["deformation_points"] == 9 and nine["max_horizontal_strain"] == 0.0
    assert nine["max_horizontal_compression"] == 0.0 and "horizontal strain is 0" in nine["deformation_horizontal"]
    assert nine["max_tilt"] < 1e-12  # the same settlement everywhere
    import xarray as xr

    with xr.open_dataset(tmp_path / "nine" / "deformation.nc") as g:
        assert "time series of vertical displacement" in g.attrs["horizontal_displacement"]
        assert np.all(g["horizontal_strain"].values == 0.0)


def test_impact_on_a_coupled_run_uses_the_total_at_the_buildings(coupled, tmp_path, capsys):
    """Buildings on the coupled run's points: the settlement along the axis is the run's total (deep +
    shallow) from the local fit, and the surface measures are the run's own at the last time."""
    import xarray as xr

    from subsidence.cli import main as cli_main

    summary, out = coupled
    f = tmp_path / "b.csv"
    f.write_text("name,x,y,length,orientation\nmid,2000,0,30,90\nfar,9000,0,20,0\n")
    rc = cli_main(["impact", str(out), "--buildings", str(f), "--base-length", "25", "--cba", "--out", str(tmp_path / "o")])
    assert rc == 0, capsys.readouterr().err
    with xr.open_dataset(out / "points.nc") as p:
        j = int(np.flatnonzero((p["x"].values == 2000.0) & (p["y"].values == 0.0))[0])
        total = float(p["uz"].isel(time=-1).values[j])
        assert total == pytest.approx(float(p["deep_uz"].isel(time=-1).values[j])
                                      - float(p["shallow_settlement"].isel(time=-1).values[j]), rel=1e-9)
    import csv as _csv

    rows = list(_csv.DictReader(open(tmp_path / "o" / "buildings.csv")))
    assert [r["name"] for r in rows] == ["mid"] and rows[0]["category"] == "0"
    assert float(rows[0]["settlement_m"]) == pytest.approx(-total, rel=2e-4)  # mean over the axis, fitted
    s = json.loads((tmp_path / "o" / "impact.json").read_text())
    for k in ("max_tilt", "max_curvature", "max_horizontal_strain", "max_horizontal_compression"):
        assert s["deformation"][k] == pytest.approx(summary[k], rel=1e-9)
    assert s["deformation"]["max_angular_distortion"] == pytest.approx(summary["max_curvature"] * 25 / 4, rel=1e-9)
    md = (tmp_path / "o" / "cba_1987_table.md").read_text()
    assert "None in this run" in md and "max_horizontal_strain" in md
