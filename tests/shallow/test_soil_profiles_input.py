"""`subsidence soil-profiles` on awkward input: integer raster soil maps with nodata, points with
missing coordinates or repeated ids, a depth below half a voxel, columns shorter than the depth,
voxels of unequal thickness and lithoclasses that are not integers."""

from pathlib import Path

import numpy as np
import pytest

from subsidence.cli import main as cli_main
from subsidence.shallow.raster import profiles_from_raster, sample_raster
from subsidence.shallow.voxels import (VoxelError, VoxelModel, profile_layers, profile_set, read_voxels,
                                       voxel_bounds)

NAN = np.nan
CLASSES = {c: {"code": c, "name": n, "kh": 1.0} for c, n in ((0, "made"), (1, "peat"), (2, "clay"), (5, "sand"))}


def _int_raster(path, codes, nodata=-1):
    import rasterio
    from rasterio.transform import Affine

    codes = np.asarray(codes, dtype="int32")
    with rasterio.open(path, "w", driver="GTiff", width=codes.shape[1], height=codes.shape[0], count=1, dtype="int32",
                       crs="EPSG:28992", nodata=nodata, transform=Affine(100, 0, 0, 0, -100, 200)) as ds:
        ds.write(codes, 1)
    return path


def _voxels(path, code, z, *, x=(50.0, 150.0), y=(50.0,), zbounds=None):
    """A NetCDF voxel model: ``code`` (nx, ny, nz), bottom first; optional CF bounds of z."""
    import xarray as xr

    ds = xr.Dataset({"lithok": (("x", "y", "z"), np.asarray(code, float))},
                    coords={"x": np.asarray(x, float), "y": np.asarray(y, float), "z": np.asarray(z, float)})
    if zbounds is not None:
        ds["z_bnds"] = (("z", "nv"), np.asarray(zbounds, float))
        ds["z"].attrs["bounds"] = "z_bnds"
    ds.to_netcdf(path)
    return path


def _classes(path):
    path.write_text("".join(f'[[classes]]\ncode = {c}\nname = "{d["name"]}"\nkh = 1.0\n\n' for c, d in CLASSES.items()))
    return path


# -- 1: integer raster soil map with a nodata value -------------------------------------------

def test_integer_raster_with_nodata_and_every_point_valid(tmp_path):
    f = _int_raster(tmp_path / "bofek.tif", [[1001, 1002], [1003, -1]])
    v = sample_raster(f, [50.0, 150.0, 50.0], [150.0, 150.0, 50.0], names=["nw", "ne", "sw"])
    assert v.dtype == float and v.tolist() == [1001.0, 1002.0, 1003.0]
    assert profiles_from_raster(f, ["nw", "sw"], [50.0, 50.0], [150.0, 50.0]) == ["1001", "1003"]
    with pytest.raises(ValueError, match="on a nodata cell: se"):  # the nodata cell is still refused
        sample_raster(f, [150.0], [50.0], names=["se"])


def test_integer_raster_soil_map_in_the_command(tmp_path):
    f = _int_raster(tmp_path / "bofek.tif", [[1001, 1002], [1003, -1]])
    pts = tmp_path / "pts.csv"
    pts.write_text("name,x,y\na,50,150\nb,150,150\nc,50,50\n")
    assert cli_main(["soil-profiles", "--soil-map", str(f), "--points", str(pts), "--out", str(tmp_path / "o")]) == 0
    assert (tmp_path / "o" / "profiles.csv").read_text().splitlines() == ["name,profile", "a,1001", "b,1002", "c,1003"]


# -- 2 and 5: points without coordinates, repeated ids -----------------------------------------

def _read(pts):
    from subsidence.shallow.config import read_points

    names, x, y, _ = read_points(pts)
    return names, x, y


@pytest.mark.parametrize("row, col, what", [("A,,2000", "x", "is empty"), ("A,1000,", "y", "is empty"),
                                            ("A,nan,2000", "x", "'nan'"), ("A,1000,inf", "y", "'inf'")])
def test_a_point_without_a_finite_coordinate_is_a_named_error(tmp_path, row, col, what):
    # the points reader (shared with the shallow chain) refuses the row, naming column, line and point
    pts = tmp_path / "pts.csv"
    pts.write_text(f"name,x,y\nB,1000,2000\n\n{row}\n")  # a blank line: line numbers are the file's
    with pytest.raises(ValueError) as err:
        _read(pts)
    assert f"column '{col}', line 4 (point 'A')" in str(err.value) and what in str(err.value)


def test_repeated_point_ids_are_a_named_error(tmp_path):
    pts = tmp_path / "pts.csv"
    pts.write_text("name,x,y\nA,1000,2000\nB,1000,2000\nA,1100,2000\n")
    with pytest.raises(ValueError) as err:
        _read(pts)
    assert "column 'name', line 4: point id 'A' repeats line 2" in str(err.value)
    pts.write_text("name,x,y\nA,1000,2000\nB,1100,2000\n")
    assert _read(pts)[0] == ["A", "B"]  # distinct ids, finite coordinates: fine


@pytest.mark.serial
def test_the_command_refuses_bad_points_with_exit_2(tmp_path, capsys):
    vox = _voxels(tmp_path / "v.nc", [[[2, 2, 1, 1]], [[2, 2, 2, 1]]], np.arange(-1.75, 0.0, 0.5))
    cls = _classes(tmp_path / "c.toml")
    pts = tmp_path / "pts.csv"
    base = ["soil-profiles", "--voxels", str(vox), "--classes", str(cls), "--points", str(pts)]
    pts.write_text("name,x,y\nA,,50\n")  # used to take the first column of the model
    assert cli_main(base + ["--out", str(tmp_path / "o1")]) == 2
    err = capsys.readouterr().err
    assert f"{pts}: [--points] column 'x', line 2 (point 'A'): the value is empty" in err and "Traceback" not in err
    assert not (tmp_path / "o1").exists()
    pts.write_text("name,x,y\nA,50,50\nA,150,50\n")
    assert cli_main(base + ["--out", str(tmp_path / "o2")]) == 2
    err = capsys.readouterr().err
    assert f"{pts}: [--points] column 'name', line 3: point id 'A' repeats line 2" in err and "Traceback" not in err
    assert cli_main(base + ["--out", str(tmp_path / "o3"), "--depth", "inf"]) == 2
    assert "[--depth] must be a finite depth > 0" in capsys.readouterr().err


# -- 3: a depth below half a voxel ------------------------------------------------------------

def test_a_depth_below_half_a_voxel_gives_the_top_voxel():
    assert profile_layers(np.array([2, 2, 1]), 0.5, 0.2) == [(2, 0.5)]
    assert profile_layers(np.array([2, 2, 1]), 0.5, 0.3) == [(2, 0.5)]
    assert profile_layers(np.array([2, 2, 1]), 0.5, 0.8) == [(2, 1.0)]  # the nearest voxel boundary
    assert profile_layers(np.array([2, 2, 1]), 0.5, 1.2) == [(2, 1.0)]
    assert profile_layers(np.array([2, 2, 1]), 0.5, 1.3) == [(2, 1.0), (1, 0.5)]


def test_the_command_with_a_small_depth_writes_one_voxel(tmp_path, capsys):
    vox = _voxels(tmp_path / "v.nc", [[[2, 2, 1, 1]], [[2, 2, 2, 0]]], np.arange(-1.75, 0.0, 0.5))
    pts = tmp_path / "pts.csv"
    pts.write_text("name,x,y\na,50,50\nb,150,50\n")
    rc = cli_main(["soil-profiles", "--voxels", str(vox), "--classes", str(_classes(tmp_path / "c.toml")), "--points",
                   str(pts), "--depth", "0.2", "--out", str(tmp_path / "o")])
    assert rc == 0
    text = (tmp_path / "o" / "profiles.toml").read_text()
    assert text.count("[[profiles.layers]]") == 2 and text.count("thickness = 0.5") == 2
    assert (tmp_path / "o" / "profiles.csv").read_text().splitlines() == ["name,profile", "a,p1-peat", "b,p2-made"]
    assert "shorter" not in capsys.readouterr().err


# -- 4: short columns, voxels of unequal thickness, non-integer classes -----------------------

def test_columns_shorter_than_the_depth_are_reported():
    # a: 4 voxels of soil then none (the column ends 2 m down); b: a gap 1 m down; c: the full 4 m
    z = np.arange(-3.75, 0.0, 0.5)
    a = [NAN, NAN, NAN, NAN, 2, 2, 1, 1]
    b = [2, 2, 2, 2, 2, NAN, 1, 1]
    c = [5, 5, 5, 5, 2, 2, 1, 1]
    m = VoxelModel(x=np.array([50.0, 150.0, 250.0]), y=np.array([50.0]), z=z, code=np.array([[a], [b], [c]], float))
    s = profile_set(m, CLASSES, ["a", "b", "c"], [50.0, 150.0, 250.0], [50.0] * 3, depth=4.0)
    assert s.short == ["a", "b"] and s.reached == [2.0, 1.0, 4.0]
    s = profile_set(m, CLASSES, ["a", "b", "c"], [50.0, 150.0, 250.0], [50.0] * 3, depth=1.0)
    assert s.short == [] and s.reached == [1.0, 1.0, 1.0]
    s = profile_set(m, CLASSES, ["a"], [50.0], [50.0], depth=2.2)  # 2.25 would need one more voxel: not short
    assert s.short == []


def test_the_command_warns_about_short_profiles_and_marks_them(tmp_path, capsys):
    vox = _voxels(tmp_path / "v.nc", [[[NAN, NAN, 1, 1]], [[2, 2, 1, 1]]], np.arange(-1.75, 0.0, 0.5))
    pts = tmp_path / "pts.csv"
    pts.write_text("name,x,y\nshort,50,50\nfull,150,50\n")
    rc = cli_main(["soil-profiles", "--voxels", str(vox), "--classes", str(_classes(tmp_path / "c.toml")), "--points",
                   str(pts), "--depth", "5", "--out", str(tmp_path / "o")])
    assert rc == 0
    cap = capsys.readouterr()
    assert "2 point(s) have a profile shorter than the depth 5 m" in cap.err and "short (1 m), full (2 m)" in cap.err
    assert "2 point(s) with a profile shorter than --depth 5 m" in cap.out
    text = (tmp_path / "o" / "profiles.toml").read_text()
    assert "# shorter than --depth 5 m: reaches 1 m below the surface" in text
    assert "# shorter than --depth 5 m: reaches 2 m below the surface" in text


def test_each_voxel_keeps_its_own_thickness():
    # 1 m voxels from -10 to -4, 0.5 m voxels from -3 to 0 (a gap between), and contiguous 1 m -> 0.5 m
    z = np.r_[np.arange(-9.5, -4.0, 1.0), np.arange(-2.75, 0.0, 0.5)]
    lo, up = voxel_bounds(z)
    np.testing.assert_allclose(up - lo, [1.0] * 6 + [0.5] * 6)
    assert up[5] == pytest.approx(-4.0) and lo[6] == pytest.approx(-3.0)
    z2 = np.array([-5.5, -4.5, -3.75, -3.25, -2.75])
    lo, up = voxel_bounds(z2)
    np.testing.assert_allclose(up - lo, [1, 1, 0.5, 0.5, 0.5])
    np.testing.assert_allclose(up[:-1], lo[1:])
    lo, up = voxel_bounds(np.array([0.0, 1.0, 3.0, 6.0]))  # no pattern: halfway between centres
    np.testing.assert_allclose(up[:-1], lo[1:])
    # a column over the contiguous grid: 2 m of sand in 1 m voxels under 1.5 m clay of 0.5 m voxels
    m = VoxelModel(x=np.array([50.0]), y=np.array([50.0]), z=z2, code=np.array([[[5, 5, 2, 2, 2]]], float))
    s = profile_set(m, CLASSES, ["p"], [50.0], [50.0], depth=10.0)
    assert [(L["name"], L["thickness"]) for L in s.profiles[s.point_profiles[0]]] == [("clay-1", 1.5), ("sand-2", 2.0)]
    # over the grid with a gap: the column ends at the gap (3 m down), 0.5 m voxels stay 0.5 m
    m = VoxelModel(x=np.array([50.0]), y=np.array([50.0]), z=z, code=np.array([[[5] * 6 + [2] * 4 + [1] * 2]], float))
    s = profile_set(m, CLASSES, ["p"], [50.0], [50.0], depth=10.0)
    assert [(L["name"], L["thickness"]) for L in s.profiles[s.point_profiles[0]]] == [("peat-1", 1.0), ("clay-2", 2.0)]
    assert s.short == ["p"] and s.reached == [3.0]


def test_voxel_thickness_from_a_netcdf_file_and_its_z_bounds(tmp_path):
    z = np.array([-5.5, -4.5, -3.75, -3.25, -2.75])
    code = [[[5, 5, 2, 2, 1]]]
    m = read_voxels(_voxels(tmp_path / "a.nc", code, z, x=(50.0,)))
    np.testing.assert_allclose(m.column_voxels(50.0, 50.0)[1], [0.5, 0.5, 0.5, 1.0, 1.0])
    # CF bounds win over the centres: here 0.8 m voxels below, 0.1 m under the 0.5 m ones (a gap ends the column)
    zb = [[-5.9, -5.1], [-4.9, -4.1], [-4.0, -3.5], [-3.5, -3.0], [-3.0, -2.5]]
    m = read_voxels(_voxels(tmp_path / "b.nc", code, z, x=(50.0,), zbounds=zb))
    codes, thick = m.column_voxels(50.0, 50.0)
    assert codes.tolist() == [1, 2, 2] and thick.tolist() == pytest.approx([0.5, 0.5, 0.5])
    with pytest.raises(VoxelError, match="do not enclose it"):
        read_voxels(_voxels(tmp_path / "c.nc", code, z, x=(50.0,), zbounds=np.c_[z + 0.1, z + 0.2]))


def test_a_lithoclass_that_is_not_an_integer_is_an_error(tmp_path):
    z = np.arange(-1.75, 0.0, 0.5)
    f = _voxels(tmp_path / "v.nc", [[[2, 2, 2.5, 1]], [[2, 2, 2, 1]]], z)
    with pytest.raises(VoxelError) as err:
        read_voxels(f)
    e = err.value
    assert e.file == str(f) and e.key == "lithok"
    assert "not an integer lithoclass, the first 2.5 at x = 50, y = 50, z = -0.75" in e.reason


@pytest.mark.serial
def test_the_command_refuses_a_non_integer_lithoclass(tmp_path, capsys):
    f = _voxels(tmp_path / "v.nc", [[[2, 2, 2.5, 1]], [[2, 2, 2, 1]]], np.arange(-1.75, 0.0, 0.5))
    pts = tmp_path / "pts.csv"
    pts.write_text("name,x,y\na,50,50\n")
    rc = cli_main(["soil-profiles", "--voxels", str(f), "--classes", str(_classes(tmp_path / "c.toml")), "--points",
                   str(pts), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert rc == 2 and f"{f}: [lithok] holds 1 value(s) that are not an integer lithoclass" in err
    assert "Traceback" not in err
