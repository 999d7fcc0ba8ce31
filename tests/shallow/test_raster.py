"""Rasters: surface level (AHN-style GeoTIFF) at the points, ditch levels in m NAP converted with
it, raster soil maps in `subsidence soil-profiles`, and the shipped synthetic AHN sample."""

import copy
from pathlib import Path

import numpy as np
import pytest
from mpi4py import MPI

from subsidence.cli import main as cli_main
from subsidence.config import CaseError, case_from_dict
from subsidence.shallow.chain import run_chain
from subsidence.shallow.raster import RasterError, sample_raster, write_geotiff

from .test_profiles import _coupled

SAMPLE = Path(__file__).resolve().parents[2] / "validation" / "data" / "geotop_sample"


def _raster(path, values, *, x0=0.0, y_top=200.0, cell=100.0, crs="EPSG:28992", nodata=-9999.0):
    """Cells of ``cell`` m, row 0 at the top (north); values (ny, nx)."""
    return write_geotiff(path, np.asarray(values, float), x0=x0 + cell / 2, y0=y_top - cell / 2, dx=cell, dy=-cell,
                         crs=crs, nodata=nodata)


def test_sample_raster_cells_crs_and_errors(tmp_path):
    f = _raster(tmp_path / "ahn.tif", [[1.0, 2.0, 3.0], [4.0, -9999.0, 6.0]])
    # the cell containing each point (rows from the north)
    v = sample_raster(f, [50.0, 250.0, 10.0, 299.0], [150.0, 199.0, 20.0, 1.0])
    assert v.tolist() == [1.0, 3.0, 4.0, 6.0]
    # points given in another CRS are transformed to the raster's
    import pyproj

    tr = pyproj.Transformer.from_crs("EPSG:28992", "EPSG:4326", always_xy=True)
    lon, lat = tr.transform([150000.0 + 50.0], [450000.0 + 150.0])
    g = _raster(tmp_path / "rd.tif", [[7.0, 8.0], [9.0, 10.0]], x0=150000.0, y_top=450200.0)
    assert sample_raster(g, lon, lat, crs="EPSG:4326").tolist() == [7.0]
    with pytest.raises(RasterError, match="1 point\\(s\\) on a nodata cell: b"):
        sample_raster(f, [50.0, 150.0], [150.0, 50.0], names=["a", "b"])
    with pytest.raises(RasterError, match="outside the raster: far"):
        sample_raster(f, [5000.0], [0.0], names=["far"])
    (tmp_path / "bad.tif").write_text("not a raster")
    with pytest.raises(RasterError, match="cannot be read"):
        sample_raster(tmp_path / "bad.tif", [0.0], [0.0])


def test_ditch_levels_in_nap_follow_the_surface(tmp_path):
    """Two water-level areas with targets in m NAP; the points' surface from a raster: each point
    runs with its level minus its surface level, exactly as a case that gives that level relative
    to the surface (initial_level) for that point alone; the counterfactual of each point starts at
    its own level."""
    # a, b, d in area A (-1.0 m NAP), c in area B (-0.5 m NAP); surface 0.0 / -0.3 / 0.2 / -0.3 m NAP
    f = _raster(tmp_path / "ahn.tif", [[0.0, -0.3, 0.2, 0.0, 0.0] + [0.0] * 45, [0.0] * 50], x0=0.0, y_top=100.0)
    base = _coupled(tmp_path)
    base["crs"] = "EPSG:28992"
    base["points"]["y"] = [50.0] * 4
    base["points"]["x"] = [50.0, 150.0, 4950.0, 350.0]
    base["points"]["area"] = ["A", "A", "B", "A"]
    d = copy.deepcopy(base)
    d["surface"] = {"raster": str(f)}
    d["water_management"].pop("initial_level")
    d["water_management"]["initial_level_nap"] = {"A": -1.0, "B": -0.5}
    cfg = case_from_dict(copy.deepcopy(d), file="x.toml").config
    # the surface at c (x 4950): the last cell of the first row, 0.0
    np.testing.assert_allclose(cfg.surface_level, [0.0, -0.3, 0.0, 0.0], atol=1e-6)
    np.testing.assert_allclose(cfg.point_initial_levels, [-1.0, -0.7, -0.5, -1.0], atol=1e-6)
    both = run_chain(cfg, MPI.COMM_SELF)
    for j, level in enumerate((-1.0, -0.7, -0.5, -1.0)):
        alone = copy.deepcopy(base)
        for k in ("name", "x", "y", "area"):
            alone["points"][k] = [alone["points"][k][j]]
        alone["water_management"]["initial_level"] = level
        ref = run_chain(case_from_dict(alone, file="x.toml").config, MPI.COMM_SELF)
        # the level from the raster is float32 (-0.3 -> -0.30000001): 1e-6 m of level
        for k in ("shallow", "extra", "gw_mean"):
            np.testing.assert_allclose(getattr(both, k)[:, j], getattr(ref, k)[:, 0], rtol=0, atol=2e-6, err_msg=f"{k} {j}")
    assert both.gw_mean[100, 1] > both.gw_mean[100, 0] + 0.1  # b's ditch is 30 cm higher below its surface
    # errors: a level below the ditch bottom at a point, an area without a level, no raster
    bad = copy.deepcopy(d)
    bad["water_management"]["initial_level_nap"] = {"A": -1.0, "B": -2.5}
    with pytest.raises(CaseError) as err:
        case_from_dict(bad, file="x.toml")
    assert "water_management.initial_level_nap" in str(err.value) and "point c" in str(err.value)
    bad = copy.deepcopy(d)
    bad["water_management"]["initial_level_nap"] = {"A": -1.0}
    with pytest.raises(CaseError, match="'B'"):
        case_from_dict(bad, file="x.toml")
    bad = copy.deepcopy(d)
    bad.pop("surface")
    with pytest.raises(CaseError, match="surface"):
        case_from_dict(bad, file="x.toml")
    bad = copy.deepcopy(d)
    bad["points"]["x"][0] = -500.0
    with pytest.raises(CaseError) as err:
        case_from_dict(bad, file="x.toml")
    assert "surface.raster" in str(err.value) and "outside the raster: a" in str(err.value)


def test_raster_soil_map_in_soil_profiles(tmp_path, capsys):
    f = _raster(tmp_path / "bofek.tif", [[1001.0, 2003.0], [1001.0, -9999.0]])
    pts = tmp_path / "pts.csv"
    pts.write_text("name,x,y\na,50,150\nb,150,150\nc,20,20\n")
    rc = cli_main(["soil-profiles", "--soil-map", str(f), "--points", str(pts), "--out", str(tmp_path / "o")])
    assert rc == 0
    assert (tmp_path / "o" / "profiles.csv").read_text().splitlines() == ["name,profile", "a,1001", "b,2003", "c,1001"]
    pts.write_text("name,x,y\nz,150,50\n")
    rc = cli_main(["soil-profiles", "--soil-map", str(f), "--points", str(pts), "--out", str(tmp_path / "o2")])
    assert rc == 2 and "on a nodata cell: z" in capsys.readouterr().err
    rc = cli_main(["soil-profiles", "--soil-map", str(f), "--field", "x", "--points", str(pts), "--out", str(tmp_path / "o3")])
    assert rc == 2 and "no --field" in capsys.readouterr().err


def test_shipped_ahn_sample_matches_the_voxel_surface():
    """The synthetic AHN sample lies within 0.6 m of the voxel model's top (its 1 km cells are
    interpolated to 500 m, plus 5 cm roughness) at the Nieuwolda parcels, and is small."""
    import xarray as xr

    from subsidence.shallow.config import read_points

    f = SAMPLE / "ahn_sample.tif"
    assert f.stat().st_size < 100_000
    _, x, y, _ = read_points(Path(__file__).resolve().parents[2] / "validation" / "data" / "nieuwolda" /
                             "insar_t88_parcels_2015_2018.csv")
    s = sample_raster(f, x, y)
    ds = xr.open_dataset(SAMPLE / "geotop_sample.nc")
    code = ds["lithok"].sel(x=xr.DataArray(x), y=xr.DataArray(y), method="nearest").values
    z = ds["z"].values
    top = np.array([z[np.flatnonzero(np.isfinite(c))].max() + 0.25 for c in code])
    assert np.all(np.abs(s - top) < 0.6)
    assert -2.0 < s.min() and s.max() < 1.6


def test_points_file_levels_in_nap(tmp_path):
    """A points file's ``initial_level_nap`` column gives a point its own level (m NAP); points
    without one take their area's."""
    f = _raster(tmp_path / "ahn.tif", [[0.0, -0.3, 0.2, 0.0] + [0.0] * 46, [0.0] * 50], x0=0.0, y_top=100.0)
    pts = tmp_path / "pts.csv"
    pts.write_text("name,x,y,area,initial_level_nap\na,50,50,A,-0.8\nb,150,50,A,\nc,250,50,B,-0.5\n")
    d = _coupled(tmp_path)
    d["crs"] = "EPSG:28992"
    d["points"] = {"file": str(pts)}
    (tmp_path / "deep.csv").write_text("time,a,b,c\n0,0,0,0\n1,-0.02,-0.10,-0.05\n")
    d["surface"] = {"raster": str(f)}
    d["water_management"].pop("initial_level")
    d["water_management"]["initial_level_nap"] = {"A": -1.0, "B": -0.9}
    cfg = case_from_dict(copy.deepcopy(d), file="x.toml").config
    np.testing.assert_allclose(cfg.point_initial_levels, [-0.8, -0.7, -0.7], atol=1e-6)
    # with initial_level (relative to the surface) the column is a conflict, named
    d["water_management"].pop("initial_level_nap")
    d["water_management"]["initial_level"] = -0.9
    with pytest.raises(CaseError) as err:
        case_from_dict(copy.deepcopy(d), file="x.toml")
    assert "initial_level_nap" in str(err.value)
    pts.write_text("name,x,y,area,initial_level_nap\na,50,50,A,low\n")
    d["water_management"].pop("initial_level")
    d["water_management"]["initial_level_nap"] = -1.0
    with pytest.raises(CaseError) as err:
        case_from_dict(d, file="x.toml")
    assert "points.file" in str(err.value) and "'low'" in str(err.value)
