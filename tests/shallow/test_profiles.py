"""Soil profiles over an area ([[soil.profiles]]): points choose their profile; each profile's
points run with their own parcel and layers; identical profiles reproduce the one-profile
result exactly; two profiles reproduce, point by point, the cases that have only one of them."""

import copy

import numpy as np
import pytest
from mpi4py import MPI

from subsidence.config import CaseError, case_from_dict
from subsidence.shallow.chain import run_chain

from .test_chain import _case


def _coupled(tmp_path, **over):
    series = tmp_path / "deep.csv"
    series.write_text("time,a,b,c,d\n0,0,0,0,0\n1,-0.02,-0.10,-0.05,-0.03\n")
    d = _case(kind="coupled", deep={"source": "series", "file": str(series)},
              points={"name": ["a", "b", "c", "d"], "x": [0.0, 100.0, 5000.0, 300.0], "y": [0.0] * 4},
              water_management={"initial_level": -0.9, "rule": "fraction", "fraction": 1.0, "reference": "own"},
              output={"plots": False})
    d.update(over)
    return d


def _with_profiles(d, second_layers=None, second_parcel=None, assign=("clay", "peaty", "clay", "peaty")):
    d = copy.deepcopy(d)
    layers = d["soil"].pop("layers")
    peaty = copy.deepcopy(layers if second_layers is None else second_layers)
    prof2 = {"name": "peaty", "layers": peaty}
    if second_parcel:
        prof2["parcel"] = second_parcel
    d["soil"]["profiles"] = [{"name": "clay", "layers": layers}, prof2]
    d["points"]["profile"] = list(assign)
    return d


def _run(d):
    return run_chain(case_from_dict(d, file="x.toml").config, MPI.COMM_SELF)


def test_identical_profiles_reproduce_the_single_profile_run(tmp_path):
    base = _coupled(tmp_path)
    one = _run(base)
    two = _run(_with_profiles(base))
    for k in ("shallow", "compaction", "oxidation", "gw_mean", "gw_mid", "total_uz", "extra"):
        np.testing.assert_array_equal(getattr(two, k), getattr(one, k), err_msg=k)
    np.testing.assert_array_equal(two.layer_settlement, one.layer_settlement)


def test_each_profile_runs_with_its_own_soil_and_parcel(tmp_path):
    base = _coupled(tmp_path)
    thick = copy.deepcopy(base["soil"]["layers"])
    thick[1]["thickness"] = 2.0  # twice the peat
    d = _with_profiles(base, second_layers=thick, second_parcel={"spacing": 30.0})
    both = _run(d)
    # the same points, every one with the second profile's soil and parcel
    alone = copy.deepcopy(base)
    alone["soil"]["layers"] = thick
    alone["parcel"]["spacing"] = 30.0
    ref2 = _run(alone)
    ref1 = _run(base)
    for j, prof in enumerate(("clay", "peaty", "clay", "peaty")):
        ref = ref1 if prof == "clay" else ref2
        np.testing.assert_allclose(both.shallow[:, j], ref.shallow[:, j], rtol=0, atol=1e-12)
        np.testing.assert_allclose(both.extra[:, j], ref.extra[:, j], rtol=0, atol=1e-12)
        np.testing.assert_allclose(both.gw_mean[:, j], ref.gw_mean[:, j], rtol=0, atol=1e-12)
    assert both.shallow[-1, 1] > ref1.shallow[-1, 1]  # b with twice the peat settles more than b on the first profile
    assert both.point_profiles == ["clay", "peaty", "clay", "peaty"]


def test_profile_file_and_bad_profiles(tmp_path):
    base = _coupled(tmp_path)
    d = _with_profiles(base)
    d["points"].pop("profile")
    f = tmp_path / "profiles.csv"
    f.write_text("name,profile\nb,peaty\nd,peaty\n")
    d["points"]["profile_file"] = str(f)
    cfg = case_from_dict(d, file="x.toml").config
    assert cfg.point_profiles == ["clay", "peaty", "clay", "peaty"]  # unlisted points: the first profile

    bad = copy.deepcopy(d)
    f.write_text("name,profile\nb,sandy\n")
    with pytest.raises(CaseError) as exc:
        case_from_dict(bad, file="x.toml")
    assert "profile_file" in exc.value.key and "sandy" in str(exc.value)

    both = copy.deepcopy(_with_profiles(base))
    both["soil"]["layers"] = copy.deepcopy(base["soil"]["layers"])
    with pytest.raises(CaseError) as exc:
        case_from_dict(both, file="x.toml")
    assert "soil" in exc.value.key

    stray = copy.deepcopy(base)
    stray["points"]["profile"] = ["clay"] * 4
    with pytest.raises(CaseError) as exc:
        case_from_dict(stray, file="x.toml")
    assert exc.value.key.endswith("profile")


def test_a_run_with_profiles_writes_its_outputs_and_profiles_are_calibration_paths(tmp_path):
    from subsidence.calibration.paths import Resolver
    from subsidence.run import run_case

    d = _with_profiles(_coupled(tmp_path))
    d["crs"] = "EPSG:28992"
    case = case_from_dict(d, file=tmp_path / "c.toml")
    summary = run_case(case, tmp_path / "out")
    assert summary["soil_profiles"] == {"clay": 2, "peaty": 2}
    assert (tmp_path / "out" / "chain_points.csv").is_file() and (tmp_path / "out" / "points.nc").is_file()
    r = Resolver(case)
    t = r.resolve("soil.profiles.peaty.layers.peat.compression.c", where=("c.toml", "x"))
    built = r.build([(t, 0.03)])
    assert built.config.profiles["peaty"][1][1].compression.c == pytest.approx(0.03)
    assert built.config.profiles["clay"][1][1].compression.c == pytest.approx(0.02)


def test_calibration_points_take_the_profile_of_their_case_point(tmp_path):
    from subsidence.calibration.forward import ForwardModel

    d = _with_profiles(_coupled(tmp_path))
    case = case_from_dict(d, file=tmp_path / "c.toml")
    dates = np.array(["2017-03-01", "2017-06-01"], dtype="datetime64[D]")
    # "b" by name; the others by the nearest case point (d at x = 300 m is peaty, c at 5 km clay)
    fm = ForwardModel(case, ["b", "q1", "q2"], [100.0, 290.0, 4900.0], [0.0, 10.0, 0.0], dates)
    cfg = fm.chain_config(case)
    assert cfg.point_profiles == ["peaty", "peaty", "clay"]
    groups = {name: list(idx) for name, _, _, idx in cfg.profile_groups()}
    assert groups == {"clay": [2], "peaty": [0, 1]}
