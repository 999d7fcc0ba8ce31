"""``subsidence export``: ``--time`` within the run's output times only (the nearest one, said in the
log when it is not exact), and ``--out`` that is a file.

Guards against (found by a robustness sweep): ``-t 1000`` on a run of 0–10 yr silently writing the
map at 10 yr as ``*_t10yr.tif``; ``-t=-5`` giving t = 5; a file as ``-o`` failing with a traceback.
"""

import pytest

from subsidence.cli import main as cli_main

from tests.deep.helpers import disc_case

pytestmark = pytest.mark.serial  # calls the CLI's main for error paths

X0, Y0 = 230000.0, 580000.0


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    import subsidence

    d = disc_case(output__points=None, output__times=[0.0, 5.0, 10.0],
                  reservoirs__0__shape={"type": "disc", "center": [X0, Y0], "radius": 2000.0},
                  output__grid={"x": [X0 - 6000.0, X0 + 6000.0, 13], "y": [Y0 - 6000.0, Y0 + 6000.0, 13]})
    d["crs"] = "EPSG:28992"
    out = tmp_path_factory.mktemp("export") / "disc"
    subsidence.run(d, out=out)
    return out


@pytest.mark.parametrize("t", ["1000", "-5", "10.5", "nan", "inf"])
def test_a_time_outside_the_run_is_refused(run_dir, tmp_path, capsys, t):
    pytest.importorskip("rasterio")
    out = tmp_path / "tif"
    assert cli_main(["export", str(run_dir), "--geotiff", f"-t={t}", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{run_dir / 'surface.nc'}: [--time]" in err and "0 … 10 yr: 0, 5, 10" in err
    assert "Traceback" not in err
    assert not out.exists() or not any(out.iterdir())


def test_the_nearest_time_within_the_run_is_used_and_said(run_dir, tmp_path, capsys):
    rasterio = pytest.importorskip("rasterio")
    assert cli_main(["export", str(run_dir), "--geotiff", "-v", "uz", "-t", "6.5", "-o", str(tmp_path / "a")]) == 0
    cap = capsys.readouterr()
    assert "--time 6.5 yr is not an output time: using the nearest, 5 yr" in cap.err
    with rasterio.open(tmp_path / "a" / "uz_t5yr.tif") as src:
        assert src.tags(1)["time_years"] == "5"
    # an output time (to within the tolerance) and the ends of the span: no note
    for t, name in (("10", "uz_t10yr.tif"), ("0", "uz_t0yr.tif"), ("10.0000001", "uz_t10yr.tif")):
        assert cli_main(["export", str(run_dir), "--geotiff", "-v", "uz", "-t", t, "-o", str(tmp_path / "b")]) == 0
        assert "not an output time" not in capsys.readouterr().err
        assert (tmp_path / "b" / name).is_file()


def test_out_that_is_a_file_is_a_clear_error(run_dir, tmp_path, capsys):
    pytest.importorskip("rasterio")
    f = tmp_path / "file"
    f.write_text("x\n")
    for out in (f, f / "sub"):
        assert cli_main(["export", str(run_dir), "--geotiff", "-o", str(out)]) == 2
        err = capsys.readouterr().err
        assert f"[--out] {f} exists and is not a directory" in err and "Traceback" not in err
    assert f.read_text() == "x\n"
