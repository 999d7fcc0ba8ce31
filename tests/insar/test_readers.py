"""Each reader on a small fixture in its real format (fixtures: data/make_fixtures.py)."""

from pathlib import Path

import numpy as np
import pyproj
import pytest

from subsidence.config.errors import CaseError
from subsidence.insar.readers import detect_format, read_insar

DATA = Path(__file__).parent / "data"
RD_POINTS = np.array([(240000.0, 580000.0), (241000.0, 580500.0), (245000.0, 585000.0), (250500.0, 590250.0)])
VEL_MM = np.array([-5.0, -3.0, 2.0, 0.0])


def test_tudelft_wkt_real_sample():
    f = DATA / "tudelft_t88_sample.csv"
    assert detect_format(f) == "tudelft"
    ds = read_insar(f, pass_="ascending")
    # 6 rows; 15825 and 13819 are the same parcel (same position and series) -> one skipped
    assert ds.n == 5 and ds.skipped == {"duplicate point (same position and time series as an earlier one)": 1}
    assert list(ds.ids[:3]) == ["15825", "16439", "5870"]
    assert ds.nt == 12 and str(ds.dates[0]) == "2015-05-03" and str(ds.dates[-1]) == "2015-10-18"
    assert ds.x[0] == pytest.approx(224807.7018987528) and ds.y[0] == pytest.approx(563858.0034237952)
    assert ds.disp[0, 0] == 0.0 and ds.disp[0, 1] == pytest.approx(-0.0071075, abs=1e-7)  # metres, as in the file
    inc = np.degrees(np.arccos(ds.los[0, 2]))
    assert inc == pytest.approx(42.6521475, abs=1e-5)  # pnt_incidangle
    assert ds.los[0, 0] < 0  # ascending: satellite to the west
    assert ds.provenance["sha256"] and ds.provenance["points_in_file"] == 6


def test_tudelft_needs_heading():
    with pytest.raises(CaseError, match="heading"):
        read_insar(DATA / "tudelft_t88_sample.csv")


def test_tudelft_latlon_bad_data_is_counted(caplog):
    import logging

    with caplog.at_level(logging.INFO, logger="subsidence"):
        ds = read_insar(DATA / "tudelft_latlon_sample.csv", heading=-12.0)
    assert ds.provenance["position"] == "latlon" and ds.provenance["source_crs"] == "EPSG:4326"
    assert list(ds.ids) == ["a", "b", "c"]
    assert ds.skipped == {"duplicate id": 1, "too few valid epochs (< 3)": 1}
    # a duplicate id (one of two entries chosen) is a warning; a series too short, information
    levels = {r.getMessage().split(": ", 2)[-1]: r.levelno for r in caplog.records if "skipped" in r.getMessage()}
    assert levels == {"duplicate id (the first kept)": logging.WARNING, "too few valid epochs (< 3)": logging.INFO}, levels
    assert "sorted" in ds.provenance["notes"][0]
    # dates sorted: the 2016-01-03 column (zeros) comes first
    assert str(ds.dates[0]) == "2016-01-03"
    np.testing.assert_allclose(ds.disp[1], [0, -0.002, -0.004, -0.006, -0.008, -0.010], atol=1e-9)
    assert np.isnan(ds.disp[0, 3]) and ds.summary()["missing_values"] == 1
    x, y = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:28992", always_xy=True).transform(6.72, 53.12)
    assert ds.x[1] == pytest.approx(x, abs=1e-6) and ds.y[1] == pytest.approx(y, abs=1e-6)


def test_egms_l2b():
    f = DATA / "EGMS_L2b_088_0296_IW2_VV_2018_2022_1_sample.csv"
    assert detect_format(f) == "egms"
    ds = read_insar(f)
    assert ds.provenance["format"] == "egms-l2" and ds.component == "los"
    np.testing.assert_allclose(np.c_[ds.x, ds.y], RD_POINTS, atol=0.02)  # EPSG:3035 → RD New
    t = (ds.dates - ds.dates[0]).astype(float) / 365.25
    np.testing.assert_allclose(ds.disp, 1e-3 * VEL_MM[:, None] * t[None], atol=6e-6)  # mm → m (2 decimals in file)
    np.testing.assert_allclose(ds.los[0], [-0.6162, -0.1310, 0.7765], atol=1e-3)
    np.testing.assert_allclose(ds.sigma, 1.8e-3)  # rmse column, mm → m


def test_egms_l3_vertical_and_domain_filter():
    f = DATA / "EGMS_L3_E40N32_100km_U_2018_2022_1_sample.csv"
    ds = read_insar(f, bbox=(239000, 579000, 246000, 586000))
    assert ds.component == "up" and ds.los is None
    assert ds.n == 3 and ds.skipped == {"outside model domain": 1}
    with pytest.raises(CaseError, match="vertical"):
        import shutil
        import tempfile

        with tempfile.TemporaryDirectory() as d:
            g = Path(d) / "egms_l3.csv"
            shutil.copy(f, g)
            read_insar(g)


def test_mintpy_geocoded_with_geometry():
    ds = read_insar(DATA / "mintpy_timeseries.h5", geometry=DATA / "mintpy_geometryGeo.h5")
    assert ds.provenance["format"] == "mintpy"
    # 20 pixels, one NaN; the reference pixel (0, 0) is zero at every epoch but kept
    assert ds.n == 19 and ds.skipped == {"no data (NaN or 0 at every epoch)": 1}
    assert "r0c0" in ds.ids
    assert ds.nt == 6 and str(ds.dates[1]) == "2017-01-13"
    # pixel (row 2, col 1): centre lon 6.70 + 1.5*0.01, lat 53.20 - 2.5*0.005
    k = list(ds.ids).index("r2c1")
    x, y = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:28992", always_xy=True).transform(6.715, 53.1875)
    assert ds.x[k] == pytest.approx(x, abs=1e-6) and ds.y[k] == pytest.approx(y, abs=1e-6)
    assert ds.disp[k, -1] == pytest.approx(-0.003, abs=1e-9)
    np.testing.assert_allclose(ds.los[k], [-0.616, -0.131, 0.777], atol=2e-3)  # azimuthAngle 102°
    ref = ds.provenance["reference_point"]
    x0, y0 = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:28992", always_xy=True).transform(6.705, 53.1975)
    assert ref == pytest.approx([x0, y0]) and ds.provenance["reference_date"] == "2017-01-01"


def test_mintpy_heading_attribute_fallback_and_block_reading():
    a = read_insar(DATA / "mintpy_timeseries.h5", incidence=39.0)
    np.testing.assert_allclose(a.los[0], [-0.616, -0.131, 0.777], atol=2e-3)  # HEADING -12
    from subsidence.insar.readers.mintpy import read_mintpy

    b = read_mintpy(DATA / "mintpy_timeseries.h5", crs="EPSG:28992", incidence=39.0, block_rows=2)
    np.testing.assert_array_equal(a.ids, b.ids)
    np.testing.assert_array_equal(a.disp, b.disp)
    with pytest.raises(CaseError, match="geometry"):
        read_insar(DATA / "mintpy_timeseries.h5")


def test_generic_csv_needs_crs_and_unit():
    f = DATA / "generic_sample.csv"
    with pytest.raises(CaseError, match="CRS"):
        read_insar(f, format="generic", unit="mm", component="up")
    with pytest.raises(CaseError, match="unit"):
        read_insar(f, format="generic", source_crs="EPSG:4326", component="up")
    with pytest.raises(CaseError, match="unknown CRS"):
        read_insar(f, format="generic", source_crs="EPSG:99999999", unit="mm", component="up")
    ds = read_insar(f, source_crs="EPSG:4326", unit="mm", component="up")
    assert ds.provenance["format"] == "generic" and ds.component == "up"
    np.testing.assert_allclose(ds.disp[1], [0, -0.002, -0.004])
    assert ds.skipped == {"too few valid epochs (< 3)": 1}  # g3 has a gap: 2 of 3 epochs
    ds2 = read_insar(f, source_crs="EPSG:4326", unit="mm", component="up", min_epochs=2)
    assert ds2.n == 3 and np.isnan(ds2.disp[2, 1])
    los = read_insar(f, source_crs="EPSG:4326", unit="mm", incidence=39.0, heading=192.0)
    np.testing.assert_allclose(los.los[0], [0.616, -0.131, 0.777], atol=1e-3)


def test_chunked_reading_of_a_large_file_matches_and_filters(tmp_path):
    """An EGMS-like file read in many chunks gives the same result as one read; points outside
    the domain never reach memory as displacements."""
    rng = np.random.default_rng(3)
    n, nt = 6000, 40
    e = rng.uniform(4.00e6, 4.10e6, n)
    nn = rng.uniform(3.25e6, 3.35e6, n)
    dates = [f"2018{m:02d}{d:02d}" for m in range(1, 11) for d in (1, 8, 15, 22)]
    vals = np.round(rng.normal(size=(n, nt)), 2)
    head = "pid,easting,northing,incidence_angle,track_angle,los_east,los_north,los_up,rmse," + ",".join(dates)
    body = "\n".join(f"p{i},{e[i]:.1f},{nn[i]:.1f},39,-12,-0.616,-0.131,0.777,2.0," + ",".join(map(str, vals[i])) for i in range(n))
    f = tmp_path / "EGMS_L2a_big.csv"
    f.write_text(head + "\n" + body + "\n")
    bbox = (180000.0, 500000.0, 260000.0, 600000.0)
    one = read_insar(f, chunksize=10**7, bbox=bbox)
    many = read_insar(f, chunksize=500, bbox=bbox)
    assert many.provenance["chunks"] == 12 and one.provenance["chunks"] == 1
    np.testing.assert_array_equal(one.ids, many.ids)
    np.testing.assert_array_equal(one.disp, many.disp)
    assert many.disp.dtype == np.float32
    assert 0 < many.n < n and many.skipped["outside model domain"] == n - many.n


def test_missing_file_and_bad_format():
    with pytest.raises(CaseError, match="not found"):
        read_insar(DATA / "nope.csv")
    with pytest.raises(CaseError, match="unknown InSAR format"):
        read_insar(DATA / "generic_sample.csv", format="xyz")


def test_mintpy_radar_coded_with_latlon_geometry(tmp_path):
    import h5py

    ts = np.zeros((4, 3, 2), np.float32)
    ts[:, 1, 1] = [0.0, -0.001, -0.002, -0.003]
    with h5py.File(tmp_path / "timeseries.h5", "w") as f:
        f["timeseries"] = ts
        f["date"] = np.array([b"20200101", b"20200113", b"20200125", b"20200206"])
        f.attrs.update({"HEADING": "192.0", "REF_Y": "0", "REF_X": "0"})
    lat, lon = np.meshgrid([53.20, 53.21, 53.22], [6.70, 6.71], indexing="ij")
    with h5py.File(tmp_path / "geometryRadar.h5", "w") as f:
        f["latitude"], f["longitude"] = lat, lon
        f["incidenceAngle"] = np.full((3, 2), 41.0)
    with pytest.raises(CaseError, match="radar-coded"):
        read_insar(tmp_path / "timeseries.h5", incidence=41.0)
    ds = read_insar(tmp_path / "timeseries.h5", geometry=tmp_path / "geometryRadar.h5")
    # pixels that are 0 at every epoch are MintPy no-data, except the reference pixel
    assert list(ds.ids) == ["r0c0", "r1c1"] and ds.skipped == {"no data (NaN or 0 at every epoch)": 4}
    x, y = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:28992", always_xy=True).transform(6.71, 53.21)
    assert ds.x[1] == pytest.approx(x) and ds.y[1] == pytest.approx(y)
    np.testing.assert_allclose(ds.los[1], los_desc_41(), atol=1e-12)  # no azimuthAngle: HEADING used


def los_desc_41():
    from subsidence.insar.geometry import los_from_heading

    return los_from_heading(41.0, 192.0)


def _with_ids(src: Path, dst: Path, ids: list[str]) -> Path:
    """The TU Delft sample with its first column (the point id) replaced by ``ids``."""
    lines = src.read_text().splitlines()
    out = [lines[0]] + [",".join([i] + ln.split(",")[1:]) for i, ln in zip(ids, lines[1:])]
    dst.write_text("\n".join(out) + "\n")
    return dst


def test_point_ids_are_read_as_written(tmp_path):
    # "007", "07" and "7" are three points, not one number: ids are text, kept exactly
    # (the sample's third row repeats the first parcel: skipped as a duplicate point, whatever its id)
    f = _with_ids(DATA / "tudelft_t88_sample.csv", tmp_path / "ids.csv", ["007", "07", "again", "7", "0100", "P5"])
    ds = read_insar(f, pass_="ascending")
    assert list(ds.ids) == ["007", "07", "7", "0100", "P5"]
    assert "duplicate id" not in ds.skipped


def test_an_empty_point_id_is_an_error_naming_the_line(tmp_path):
    f = _with_ids(DATA / "tudelft_t88_sample.csv", tmp_path / "blank.csv", ["1", "2", "", "4", "5", "6"])
    with pytest.raises(CaseError, match="line 4: empty point id"):
        read_insar(f, pass_="ascending")


@pytest.mark.parametrize("option, value", [("component", "up"), ("component", "east"), ("unit", "mm")])
def test_an_option_a_tudelft_file_fixes_is_refused(option, value):
    # the file holds line-of-sight metres: asking for another component or unit would be ignored silently
    with pytest.raises(CaseError, match=f"{option}.*cannot be chosen"):
        read_insar(DATA / "tudelft_t88_sample.csv", pass_="ascending", **{option: value})
    ds = read_insar(DATA / "tudelft_t88_sample.csv", pass_="ascending", component="los", unit="m")  # the same: fine
    assert ds.component == "los"


def test_the_pass_is_recorded_when_it_set_the_heading():
    ds = read_insar(DATA / "tudelft_t88_sample.csv", pass_="descending")
    assert ds.provenance["pass"] == "descending" and ds.provenance["heading_deg"] == pytest.approx(192.0)
    assert ds.los[0, 0] > 0  # descending: satellite to the east
    ds = read_insar(DATA / "tudelft_t88_sample.csv", pass_="descending", heading=-12.0)  # a heading wins: no pass
    assert "pass" not in ds.provenance and ds.provenance["heading_deg"] == -12.0
