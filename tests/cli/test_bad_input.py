"""Bad-input corpus: every bad input ends in exit status 2 with a message that names the file,
the key and the reason, and no traceback (issue 9, "Crashes instead of messages").

The commands run in-process through ``subsidence.cli.main`` (one rank), so that the corpus is
quick; the message is read from stderr.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from subsidence.cli import main as cli_main

pytestmark = pytest.mark.serial

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "insar" / "data"
NIEUWOLDA = ROOT / "validation" / "data" / "nieuwolda" / "insar_t88_parcels_2015_2018.csv"
LATLON = DATA / "tudelft_latlon_sample.csv"
T88 = DATA / "tudelft_t88_sample.csv"

#: a small analytic disc case in RD New over the points of the TU Delft samples
RD_CASE = """
name = "rd-disc"
crs = "EPSG:28992"
start_date = 2015-01-01
[model]
method = "analytic"
kernel = "geertsma"
poisson_ratio = 0.25
[[reservoirs]]
name = "disc"
shape = { type = "disc", center = [226000.0, 565000.0], radius = 2000.0 }
depth = 3000.0
thickness = 100.0
compaction = { law = "linear", cm = 1.0e-10 }
pressure_change = { time = [0.0, 10.0], value = [0.0, -1.0e7] }
[output]
times = [0.0, 0.5, 1.0, 1.5, 2.0]
grid = { x = [200000.0, 260000.0, 31], y = [540000.0, 600000.0, 31] }
"""


def cli(args, capsys) -> tuple[int, str]:
    rc = cli_main([str(a) for a in args])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return rc, err


def bad(args, capsys, *needles) -> str:
    """The command fails with status 2 and a message holding every needle (case-insensitive)."""
    rc, err = cli(args, capsys)
    assert rc == 2, err
    for n in needles:
        assert n.lower() in err.lower(), (n, err)
    return err


@pytest.fixture(scope="module")
def disc_run(tmp_path_factory):
    """The README's disc example (no crs: local metres around 0, 0)."""
    from subsidence.run import run_case

    out = tmp_path_factory.mktemp("disc") / "run"
    run_case(ROOT / "cases" / "disc_geertsma.toml", out)
    return out


@pytest.fixture(scope="module")
def rd_run(tmp_path_factory):
    from subsidence.run import run_case

    tmp = tmp_path_factory.mktemp("rd")
    case = tmp / "rd.toml"
    case.write_text(RD_CASE)
    run_case(case, tmp / "run")
    return tmp / "run"


def _latlon_with(tmp_path, name, edit) -> Path:
    lines = LATLON.read_text().splitlines()
    f = tmp_path / name
    f.write_text("\n".join(edit(lines)) + "\n")
    return f


# -- InSAR --------------------------------------------------------------------------------------

def test_validate_without_insar_point_in_the_model_names_file_and_crs(disc_run, tmp_path, capsys):
    err = bad(["validate", disc_run, "--insar", NIEUWOLDA, "--pass", "ascending", "--out", tmp_path / "v"], capsys,
              NIEUWOLDA.name, "no InSAR point", "inside the model domain", "--insar-crs")
    assert "LOS unit vectors" not in err
    assert not (tmp_path / "v" / "report.html").exists()


@pytest.mark.parametrize("crs, words", [("EPSG:3035", "inside the model domain"), ("EPSG:4326", "valid coordinates")])
def test_validate_with_a_wrong_insar_crs(rd_run, tmp_path, capsys, crs, words):
    bad(["validate", rd_run, "--insar", NIEUWOLDA, "--pass", "ascending", "--insar-crs", crs, "--out", tmp_path / "v"],
        capsys, NIEUWOLDA.name, words, "--insar-crs")


def test_validate_without_insar_point_in_the_model_as_a_command(disc_run, tmp_path):
    """The same through the installed entry point: exit 2, one line, no traceback."""
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-m", "subsidence.cli", "validate", str(disc_run), "--insar", str(NIEUWOLDA),
                        "--pass", "ascending", "--out", str(tmp_path / "v")], capture_output=True, text=True, timeout=300)
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr and "no InSAR point" in r.stderr and NIEUWOLDA.name in r.stderr


def test_insar_non_numeric_displacement_names_column_and_row(rd_run, tmp_path, capsys):
    f = _latlon_with(tmp_path, "text.csv", lambda ls: [ls[0], ls[1].replace("-0.002", "abc"), *ls[2:]])
    bad(["validate", rd_run, "--insar", f, "--heading", "-12", "--out", tmp_path / "v"], capsys,
        "text.csv", "non-numeric", "'abc'", "d_20160117", "line 2")


def test_insar_non_numeric_coordinate_names_column_and_row(rd_run, tmp_path, capsys):
    f = _latlon_with(tmp_path, "coord.csv", lambda ls: [ls[0], ls[1], ls[2].replace("6.72,", "6.72E,"), *ls[3:]])
    bad(["validate", rd_run, "--insar", f, "--heading", "-12", "--out", tmp_path / "v"], capsys,
        "coord.csv", "non-numeric", "pnt_lon", "line 3")


def test_insar_header_only_file(rd_run, tmp_path, capsys):
    f = _latlon_with(tmp_path, "header.csv", lambda ls: ls[:1])
    bad(["validate", rd_run, "--insar", f, "--heading", "-12", "--out", tmp_path / "v"], capsys,
        "header.csv", "no data rows")


def test_insar_empty_file(rd_run, tmp_path, capsys):
    f = tmp_path / "empty.csv"
    f.write_text("")
    bad(["validate", rd_run, "--insar", f, "--heading", "-12", "--out", tmp_path / "v"], capsys, "empty.csv", "empty")


def test_insar_incidence_column_outside_0_90(rd_run, tmp_path, capsys):
    f = _latlon_with(tmp_path, "inc.csv", lambda ls: [ls[0], ls[1], ls[2].replace(",40.5,", ",140.5,"), *ls[3:]])
    bad(["validate", rd_run, "--insar", f, "--heading", "-12", "--out", tmp_path / "v"], capsys,
        "inc.csv", "pnt_incidangle", "140.5", "(0, 90)", "line 3")


@pytest.mark.parametrize("value", ["0", "90", "-30", "95"])
def test_insar_incidence_option_outside_0_90(rd_run, tmp_path, capsys, value):
    bad(["validate", rd_run, "--insar", T88, "--pass", "ascending", "--incidence", value, "--out", tmp_path / "v"],
        capsys, T88.name, "incidence", "(0, 90)")


def test_tudelft_file_after_a_pandas_round_trip_is_read(tmp_path):
    """pd.read_csv + to_csv(index=False) turns the empty id header into 'Unnamed: 0'."""
    from subsidence.insar.readers import detect_format, read_insar

    lines = T88.read_text().splitlines()
    head = lines[0].split(",")
    assert head[0] == "" and head[2] == "Unnamed: 0"
    head[0], head[2] = "Unnamed: 0.1", "Unnamed: 0"  # what pandas writes back
    f = tmp_path / "roundtrip.csv"
    f.write_text("\n".join([",".join(head), *lines[1:]]) + "\n")
    assert detect_format(f) == "tudelft"
    ds = read_insar(f, pass_="ascending")
    ref = read_insar(T88, pass_="ascending")
    assert ds.n == ref.n == 5 and list(ds.ids) == list(ref.ids)


def test_tudelft_round_trip_validates(rd_run, tmp_path, capsys):
    lines = T88.read_text().splitlines()
    f = tmp_path / "roundtrip.csv"
    f.write_text("\n".join(["Unnamed: 0" + lines[0], *lines[1:]]) + "\n")
    rc, err = cli(["validate", rd_run, "--insar", f, "--pass", "ascending", "--out", tmp_path / "v"], capsys)
    assert rc == 0, err
    assert (tmp_path / "v" / "report.html").is_file()


# -- case files ----------------------------------------------------------------------------------

def test_case_file_not_utf8_names_file_and_byte(tmp_path, capsys):
    f = tmp_path / "latin1.toml"
    text = (ROOT / "cases" / "disc_geertsma.toml").read_text()
    f.write_bytes(text.replace('name = "disc-geertsma"', 'name = "disc-Groningen \u00e9"').encode("latin-1"))
    pos = f.read_bytes().index(b"\xe9")
    bad(["check", f], capsys, "latin1.toml", "not UTF-8", f"position {pos}", "line 1", "0xe9")


def test_disc_smaller_than_a_lattice_cell_is_a_point_source(tmp_path, caplog):
    """A 1 m disc at 3 km depth used to crash (no cell hit); a 5 m disc was 24 % off."""
    import math

    from subsidence.run import run_case

    text = (ROOT / "cases" / "disc_geertsma.toml").read_text()
    for radius in (1.0, 5.0, 40.0):
        f = tmp_path / f"tiny{radius:g}.toml"
        f.write_text(text.replace("radius = 2000.0", f"radius = {radius}"))
        with caplog.at_level("WARNING"):
            s = run_case(f, tmp_path / f"tiny{radius:g}")
        assert "smaller than one lattice cell" in caplog.text
        c, D, nu = 1e-10 * 1e7 * 100.0, 3000.0, 0.25
        exact = 2 * (1 - nu) * c * (1 - D / math.hypot(D, radius))
        assert s["max_subsidence_m"] == pytest.approx(exact, rel=1e-3)
        assert s["compaction_volume_m3"] == pytest.approx(math.pi * radius**2 * c, rel=1e-9)


def _case_with(tmp_path, name, src, *edits) -> Path:
    text = (ROOT / "cases" / src).read_text()
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    f = tmp_path / name
    f.write_text(text)
    return f


def test_cavern_below_the_domain_is_blamed_on_its_depth_not_radius(tmp_path, capsys):
    f = _case_with(tmp_path, "deep_cavern.toml", "cavern_twente_shallow.toml",
                   ("top_depth = 440\nbottom_depth = 470", "top_depth = 1440\nbottom_depth = 1470"))
    err = bad(["check", f], capsys, "deep_cavern.toml", "caverns[0].bottom_depth", "1470", "domain_depth")
    assert "radius" not in err.split("]", 1)[0]


def test_cavern_too_wide_for_the_domain_is_blamed_on_radius(tmp_path, capsys):
    f = _case_with(tmp_path, "wide_cavern.toml", "cavern_twente_shallow.toml", ("radius = 60", "radius = 600"))
    bad(["check", f], capsys, "wide_cavern.toml", "caverns[0].radius", "much larger", "600 m")


def test_time_errors_print_years_as_written_not_seconds(tmp_path, capsys):
    f = _case_with(tmp_path, "neg_time.toml", "disc_geertsma.toml", ("times = [10.0]", "times = [10.0]\n"),
                   ("compaction = { law = \"linear\", cm = 1.0e-10 }",
                    "compaction = { law = \"time-decay\", cm = 1.0e-10, tau = -2.5 }"))
    err = bad(["check", f], capsys, "neg_time.toml", "compaction.tau", "must be > 0 yr", "got -2.5 yr")
    assert "e+07" not in err and "e+08" not in err
    f = _case_with(tmp_path, "neg_time_str.toml", "disc_geertsma.toml",
                   ("compaction = { law = \"linear\", cm = 1.0e-10 }",
                    "compaction = { law = \"time-decay\", cm = 1.0e-10, tau = \"-30 d\" }"))
    bad(["check", f], capsys, "neg_time_str.toml", "compaction.tau", "must be > 0 yr", "'-30 d'")
    f = _case_with(tmp_path, "cavern_end.toml", "cavern_twente_shallow.toml")
    text = f.read_text()
    import re

    f.write_text(re.sub(r"(?m)^end = .*$", "end = -50", text, count=1))
    bad(["check", f], capsys, "cavern_end.toml", "time.end", "got -50 yr")


# -- resources: memory and disk ------------------------------------------------------------------

def _huge_grid_case(tmp_path, n=20000) -> Path:
    return _case_with(tmp_path, "huge.toml", "disc_geertsma.toml",
                      ("grid = { x = [-10000.0, 10000.0, 201], y = [-10000.0, 10000.0, 201] }",
                       f"grid = {{ x = [-10000.0, 10000.0, {n}], y = [-10000.0, 10000.0, {n}] }}"))


def test_check_prints_the_memory_and_disk_estimate(capsys):
    rc = cli_main(["check", str(ROOT / "cases" / "disc_geertsma.toml")])
    out = capsys.readouterr()
    assert rc == 0, out.err
    assert "OK" in out.out and "peak memory about" in out.out and "disk about" in out.out and "available" in out.out


def test_estimate_is_close_to_measured_and_on_the_high_side():
    """Measured peak RSS of the disc case with 4 output times (one process, with deformation.nc):
    251 MB (201²), 823 MB (1001²), 1733 MB (2001²)."""
    from subsidence.config import case_from_dict, load_case
    from subsidence.resources import estimate

    import tomllib

    d = tomllib.loads((ROOT / "cases" / "disc_geertsma.toml").read_text())
    for n, measured in ((1001, 823e6), (2001, 1733e6)):
        d["output"]["grid"] = {"x": [-10000.0, 10000.0, n], "y": [-10000.0, 10000.0, n]}
        d["output"]["times"] = [1.0, 2.0, 5.0, 10.0]
        e = estimate(case_from_dict(d, file="m.toml"))
        assert measured <= e.memory <= 1.3 * measured
        assert e.disk == pytest.approx(7 * 8 * 4 * n * n, rel=0.05)  # surface.nc, deformation.nc: 3 + 4 fields, float64
    assert estimate(load_case(ROOT / "cases" / "disc_geertsma.toml")).memory < 1e9


def test_check_and_run_refuse_a_grid_that_cannot_fit_in_memory(tmp_path, capsys, monkeypatch):
    import time

    monkeypatch.delenv("SUBSIDENCE_NO_RESOURCE_CHECK", raising=False)
    f = _huge_grid_case(tmp_path)
    bad(["check", f], capsys, "huge.toml", "output.grid", "memory", "available")
    t0 = time.perf_counter()
    bad(["run", f, "--out", tmp_path / "huge"], capsys, "huge.toml", "output.grid", "memory")
    assert time.perf_counter() - t0 < 30  # refused before computing (it used to die after 92 s)
    assert not (tmp_path / "huge").exists() and not (tmp_path / "huge.failed").exists()


def test_check_refuses_a_run_that_cannot_fit_on_disk(tmp_path, capsys, monkeypatch):
    import subsidence.resources as R

    monkeypatch.setattr(R, "free_disk", lambda path: (2e6, Path(path)))
    bad(["check", ROOT / "cases" / "disc_geertsma.toml", "--out", tmp_path / "x"], capsys,
        "disc_geertsma.toml", "output.grid", "free", "another --out")


# -- the disk at output time ---------------------------------------------------------------------

def _disc_run_args(tmp_path):
    return ["run", ROOT / "cases" / "disc_geertsma.toml", "--out", tmp_path / "disc", "-q"]


def test_read_only_file_system_at_output_time(tmp_path, capsys, monkeypatch):
    import errno

    from subsidence.io.rundir import RunDirectory

    def read_only(self):
        raise OSError(errno.EROFS, "Read-only file system", str(self.lock_path))

    monkeypatch.setattr(RunDirectory, "_lock", read_only)
    bad(_disc_run_args(tmp_path), capsys, "cannot write", "disc.lock", "read-only file system")
    assert not list(tmp_path.iterdir())


def test_disk_full_while_writing_leaves_a_failed_directory_without_manifest(tmp_path, capsys, monkeypatch):
    import errno

    import subsidence.studies.deep as deep

    def full(path, *a, **k):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(deep, "write_points_csv", full)
    bad(_disc_run_args(tmp_path), capsys, "cannot write", "points.csv", "no space left on device", "disc.failed")
    assert not (tmp_path / "disc").exists()
    failed = tmp_path / "disc.failed"
    assert (failed / "error.txt").is_file() and not (failed / "manifest.json").exists()
    assert "no space left on device" in (failed / "error.txt").read_text()
    assert not [p for p in tmp_path.iterdir() if ".tmp-" in p.name or p.name.endswith(".lock")]


def test_disk_full_seen_by_a_library_without_errno(tmp_path, capsys, monkeypatch):
    """netCDF/HDF5 report a full disk as a bare RuntimeError: the free space tells."""
    import collections

    import subsidence.io.rundir as rundir
    import subsidence.studies.deep as deep

    def hdf_error(path, *a, **k):
        raise RuntimeError("NetCDF: HDF error")

    monkeypatch.setattr(deep, "write_points_csv", hdf_error)
    usage = collections.namedtuple("usage", "total used free")
    monkeypatch.setattr(rundir.shutil, "disk_usage", lambda p: usage(10**9, 10**9, 0))
    monkeypatch.setenv("SUBSIDENCE_NO_RESOURCE_CHECK", "1")  # the disk fills up during the run, not before
    bad(_disc_run_args(tmp_path), capsys, "cannot write", "no space left on device")
    assert not (tmp_path / "disc").exists() and not (tmp_path / "disc.failed" / "manifest.json").exists()


def test_failure_after_the_manifest_is_not_passed_off_as_complete(tmp_path, capsys, monkeypatch):
    import errno

    from subsidence.io.rundir import RunDirectory

    def full(self):
        raise OSError(errno.ENOSPC, "No space left on device", str(self.out))

    monkeypatch.setattr(RunDirectory, "commit", full)
    bad(_disc_run_args(tmp_path), capsys, "no space left on device")
    assert not (tmp_path / "disc").exists()
    assert (tmp_path / "disc.failed" / "error.txt").is_file()
    assert not (tmp_path / "disc.failed" / "manifest.json").exists()


def test_validate_says_how_many_epochs_lie_outside_the_run(rd_run, tmp_path, capsys):
    """The 2-year run against the 2015-2018 parcels: the epochs after 2017-01-01 cannot be
    compared; that is said (count, dates, span) and the summary line gives the epochs used."""
    import json

    rc = cli_main(["validate", str(rd_run), "--insar", str(NIEUWOLDA), "--pass", "ascending", "--out", str(tmp_path / "v")])
    out, err = capsys.readouterr()
    assert rc == 0
    doc = json.loads((tmp_path / "v" / "validation.json").read_text())["datasets"][0]
    used, total = doc["data"]["epochs"], 158
    assert used < total and doc["data"]["skipped"]["epoch outside the model time span (epochs)"] == total - used
    assert f"× {used} epochs" in out
    warned = [line for line in err.splitlines() if "outside the model's time span" in line]
    assert warned and f"{total - used} of {total} epochs" in warned[0] and "2017-01" in warned[0]


def test_validate_notes_a_noise_range_the_data_do_not_fix(tmp_path):
    from subsidence.insar.noise import NoiseModel, range_bound_notes

    info = {"temporal_range_at_bound": True, "temporal_range_bounds_yr": [0.02, 1.25], "spatial_range_at_bound": False}
    m = NoiseModel(white_var=1e-6, spatial_var=1e-6, spatial_range=2000.0, temporal_var=1e-6, temporal_range=1.25)
    notes = range_bound_notes(info, m, remedy="give it")
    assert len(notes) == 1 and "temporal noise range ended at 1.25 yr" in notes[0] and "0.02 … 1.25 yr" in notes[0]
    assert range_bound_notes({}, m, remedy="x") == []
