"""Soil profiles from a voxel model (GeoTOP layout): column lookup, merging of voxels into layers,
named errors, the `soil-profiles` command on the shipped synthetic sample, and a case that reads
the profiles it writes."""

from pathlib import Path

import numpy as np
import pytest

from subsidence.cli import main as cli_main
from subsidence.config import load_case
from subsidence.shallow.voxels import VoxelError, VoxelModel, build_profiles, profile_layers, read_classes, read_voxels

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "validation" / "data" / "geotop_sample"
NAN = np.nan


def _model():
    # 2 × 1 cells of 100 m, z every 0.5 m from -2.75 to 0.75 (8 voxels), bottom first
    a = [5, 5, 5, 1, 1, 2, 2, NAN]  # surface at +0.5: clay 1 m over peat 1 m over sand
    b = [5, 5, 5, 5, 2, 2, 2, 0]    # surface at +1.0: made ground over clay 1.5 m over sand
    code = np.array([[a], [b]], dtype=float)
    return VoxelModel(x=np.array([100.0, 200.0]), y=np.array([50.0]), z=np.arange(-2.75, 1.0, 0.5), code=code, file="m.nc")


CLASSES = {c: {"code": c, "name": n, "kh": 1.0} for c, n in ((0, "made"), (1, "peat"), (2, "clay"), (5, "sand"))}


def test_columns_are_read_top_down_from_the_surface():
    m = _model()
    np.testing.assert_array_equal(m.column(90.0, 40.0), [2, 2, 1, 1, 5, 5, 5])
    np.testing.assert_array_equal(m.column(240.0, 90.0), [0, 2, 2, 2, 5, 5, 5, 5])
    assert m.column(300.0, 50.0) is None and m.column(100.0, 200.0) is None  # outside the cells


def test_voxels_merge_into_layers_cut_at_the_depth():
    assert profile_layers(np.array([2, 2, 1, 1, 5, 5, 5]), 0.5, 10.0) == [(2, 1.0), (1, 1.0), (5, 1.5)]
    assert profile_layers(np.array([2, 2, 1, 1, 5, 5, 5]), 0.5, 1.5) == [(2, 1.0), (1, 0.5)]


def test_points_with_the_same_column_share_a_profile_and_errors_are_named():
    m = _model()
    profiles, which = build_profiles(m, CLASSES, ["p", "q", "r"], [95.0, 205.0, 110.0], [50.0, 50.0, 60.0], depth=3.0)
    assert which[0] == which[2] != which[1]
    layers = profiles[which[0]]
    assert [(L["name"], L["thickness"], L["kh"]) for L in layers] == [("clay-1", 1.0, 1.0), ("peat-2", 1.0, 1.0),
                                                                    ("sand-3", 1.0, 1.0)]
    with pytest.raises(VoxelError, match="1 point\\(s\\) outside the voxel model or without soil: far"):
        build_profiles(m, CLASSES, ["far"], [900.0], [50.0], depth=3.0)
    with pytest.raises(VoxelError, match=r"lithoclass\(es\) \[1\]"):
        build_profiles(m, {k: v for k, v in CLASSES.items() if k != 1}, ["p"], [95.0], [50.0], depth=3.0)


def test_bad_classes_files(tmp_path):
    f = tmp_path / "c.toml"
    f.write_text("[[classes]]\nname = 'peat'\n")
    with pytest.raises(VoxelError, match="integer code"):
        read_classes(f)
    f.write_text("[[classes]]\ncode = 1\nthickness = 2.0\n")
    with pytest.raises(VoxelError, match="thickness comes from the voxels"):
        read_classes(f)
    with pytest.raises(VoxelError, match="no variable 'strat'"):
        read_voxels(SAMPLE / "geotop_sample.nc", variable="strat")


def test_soil_profiles_command_on_the_sample_and_a_case_that_reads_them(tmp_path, capsys):
    pts = tmp_path / "pts.csv"
    pts.write_text("name,x,y\na,230000,570000\nb,250400,590300\nc,250300,590200\n")
    out = tmp_path / "prof"
    rc = cli_main(["soil-profiles", "--voxels", str(SAMPLE / "geotop_sample.nc"), "--classes", str(SAMPLE / "classes.toml"),
                   "--points", str(pts), "--depth", "6", "--out", str(out)])
    assert rc == 0 and "profile(s) for 3 point(s)" in capsys.readouterr().out
    rows = (out / "profiles.csv").read_text().splitlines()
    assert rows[0] == "name,profile" and rows[2].split(",")[1] == rows[3].split(",")[1]  # same 1 km cell
    case = (ROOT / "cases" / "coupled_nieuwolda_voxels.toml").read_text(encoding="utf-8")
    case = case.replace('"../', f'"{ROOT.as_posix()}/').replace('case = "groningen_deep.toml"',
                                                              f'case = "{(ROOT / "cases" / "groningen_deep.toml").as_posix()}"')
    case = case.replace(f'"{ROOT.as_posix()}/validation/data/geotop_sample/profiles/profiles.toml"', f'"{(out / "profiles.toml").as_posix()}"')
    case = case.replace(f'"{ROOT.as_posix()}/validation/data/geotop_sample/profiles/profiles.csv"', f'"{(out / "profiles.csv").as_posix()}"')
    case = case.replace(f'file = "{ROOT.as_posix()}/validation/data/nieuwolda/insar_t88_parcels_2015_2018.csv"', f'file = "{pts.as_posix()}"')
    f = tmp_path / "case.toml"
    f.write_text(case, encoding="utf-8")
    cfg = load_case(f).config
    assert cfg.point_names == ["a", "b", "c"] and cfg.point_profiles[1] == cfg.point_profiles[2]
    assert sum(L.thickness for L in cfg.profiles[cfg.point_profiles[0]][1]) == pytest.approx(6.0)
    # a points file outside the model: a clear error, no traceback
    pts.write_text("name,x,y\nz,0,0\n")
    rc = cli_main(["soil-profiles", "--voxels", str(SAMPLE / "geotop_sample.nc"), "--classes", str(SAMPLE / "classes.toml"),
                   "--points", str(pts), "--out", str(tmp_path / "p2")])
    assert rc == 2 and "outside the voxel model" in capsys.readouterr().err


def test_soil_map_gives_each_point_its_polygons_profile(tmp_path, capsys):
    import pyogrio
    import shapely

    geoms = [shapely.box(0, 0, 100, 100), shapely.box(100, 0, 200, 100)]
    f = tmp_path / "map.gpkg"
    pyogrio.raw.write(f, geometry=shapely.to_wkb(geoms), field_data=[np.array(["clay", "peat-with-clay-cover"], dtype=object)],
                      fields=["unit"], geometry_type="Polygon", crs="EPSG:28992", driver="GPKG")
    pts = tmp_path / "pts.csv"
    pts.write_text("name,x,y\na,50,50\nb,150,20\nc,99,99\n")
    rc = cli_main(["soil-profiles", "--soil-map", str(f), "--field", "unit", "--points", str(pts), "--out", str(tmp_path / "o")])
    assert rc == 0
    assert (tmp_path / "o" / "profiles.csv").read_text().splitlines() == ["name,profile", "a,clay", "b,peat-with-clay-cover",
                                                                          "c,clay"]
    pts.write_text("name,x,y\nz,500,500\n")
    rc = cli_main(["soil-profiles", "--soil-map", str(f), "--field", "unit", "--points", str(pts), "--out", str(tmp_path / "o2")])
    assert rc == 2 and "in no polygon of the soil map: z" in capsys.readouterr().err
    rc = cli_main(["soil-profiles", "--soil-map", str(f), "--field", "code", "--points", str(pts), "--out", str(tmp_path / "o3")])
    assert rc == 2 and "no field 'code'" in capsys.readouterr().err
