"""Implausible deep input: rejected (CaseError naming file, key, reason) or run with a warning."""

import json

import numpy as np
import pytest

from subsidence.config import CaseError, case_from_dict, load_case
from subsidence.deep.geometry import self_intersection

from .helpers import disc_case

SMALL = {"x": [-6000.0, 6000.0, 13], "y": [-6000.0, 6000.0, 13]}


def _error(d) -> CaseError:
    with pytest.raises(CaseError) as exc:
        case_from_dict(d)
    return exc.value


def test_cm_per_bar_written_as_bare_number_is_rejected():
    """cm = 1e-5 meant per bar, read per Pa: 1e4 m of compaction from a 100 m reservoir."""
    e = _error(disc_case(reservoirs__0__compaction={"law": "linear", "cm": 1e-5}))
    assert e.file == "<dict>" and e.key == "reservoirs[0].compaction.cm"
    assert "of the reservoir thickness" in e.reason and "20 %" in e.reason and "1/bar" in e.reason
    # the same value with its unit is fine (1e-10 1/Pa)
    case_from_dict(disc_case(reservoirs__0__compaction={"law": "linear", "cm": "1e-5 1/bar"}))


def test_time_decay_and_rticm_are_checked_too():
    e = _error(disc_case(reservoirs__0__compaction={"law": "time-decay", "cm": 5e-7, "tau": 2.0}))
    assert e.key == "reservoirs[0].compaction.cm"
    rticm = {"law": "rticm", "cm_d": 1.2e-5, "cm_ref": 4.56e-5, "b": 0.025, "sigma_dot_ref": "1e-5 bar/yr",
             "sigma0": "200 bar"}
    e = _error(disc_case(reservoirs__0__compaction=rticm))
    assert e.key == "reservoirs[0].compaction.cm_ref" and "not plausible" in e.reason


def test_gridded_cm_column_is_checked(tmp_path):
    f = tmp_path / "res.csv"
    rows = ["x,y,depth,thickness,cm"] + [f"{x},{y},3000,100,{1e-6 if (x, y) == (100, 0) else 1e-10}"
                                         for x in (0, 100, 200) for y in (0, 100)]
    f.write_text("\n".join(rows) + "\n")
    d = disc_case(reservoirs__0__shape={"type": "grid", "file": str(f)}, reservoirs__0__depth=None,
                  reservoirs__0__thickness=None)
    e = _error(d)
    assert e.key == "reservoirs[0].shape.file" and "(100, 0) m" in e.reason


def test_large_strain_is_run_with_a_warning_in_the_summary(tmp_path):
    from mpi4py import MPI

    from subsidence.run import run_case

    # 3e-9 1/Pa x 1e7 Pa = 3 % strain: allowed, but warned about
    case = case_from_dict(disc_case(reservoirs__0__compaction={"law": "linear", "cm": 3e-9}, output__grid=SMALL))
    assert len(case.warnings) == 1 and "compaction strain 3 %" in case.warnings[0]
    assert "reservoirs[0].compaction.cm" in case.warnings[0]
    s = run_case(case, tmp_path / "run", comm=MPI.COMM_SELF)
    on_disk = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert s["warnings"] == on_disk["warnings"] == case.warnings
    # an ordinary case has no warnings key
    s = run_case(case_from_dict(disc_case(output__grid=SMALL)), tmp_path / "ok", comm=MPI.COMM_SELF)
    assert "warnings" not in s


def test_output_after_the_pressure_history_is_noted(tmp_path, caplog):
    from mpi4py import MPI

    from subsidence.run import run_case

    d = disc_case(output__times=[5.0, 10.0, 30.0], output__grid=SMALL)
    with caplog.at_level("INFO", logger="subsidence"):
        case = case_from_dict(d)
    assert len(case.warnings) == 1
    w = case.warnings[0]
    assert "after 10 yr" in w and "hold the pressure change at its last value (-1e+07 Pa)" in w
    s = run_case(case, tmp_path / "run", comm=MPI.COMM_SELF)
    assert s["warnings"] == [w]
    # held, not extrapolated: the same subsidence at 10 and 30 years
    series = s.get("max_subsidence_series_m")
    if series is not None:
        assert series[2] == pytest.approx(series[1], rel=1e-12)
    # time-decay says that its compaction goes on
    d = disc_case(output__times=[30.0], reservoirs__0__compaction={"law": "time-decay", "cm": 1e-10, "tau": 3.0})
    assert "time-decay compaction goes on" in case_from_dict(d).warnings[0]


def test_negative_output_time_is_rejected():
    e = _error(disc_case(output__times=[-1.0, 5.0]))
    assert e.key == "output.times" and "negative" in e.reason and "-1 yr" in e.reason


def test_self_intersecting_polygon_is_rejected_with_the_place(tmp_path):
    bowtie = [[0.0, 0.0], [2000.0, 2000.0], [2000.0, 0.0], [0.0, 2000.0]]
    e = _error(disc_case(reservoirs__0__shape={"type": "polygon", "vertices": bowtie}))
    assert e.key == "reservoirs[0].shape.vertices"
    assert "intersects itself at (1000, 1000) m" in e.reason and "edge 1-2 and edge 3-4" in e.reason
    f = tmp_path / "outline.dat"
    f.write_text("\n".join(f"{x} {y}" for x, y in bowtie) + "\n")
    e = _error(disc_case(reservoirs__0__shape={"type": "polygon", "file": str(f)}))
    assert e.key == "reservoirs[0].shape.file" and "(1000, 1000)" in e.reason
    # a concave (L-shaped) outline, closed or not, is fine
    ell = [[0.0, 0.0], [3000.0, 0.0], [3000.0, 1000.0], [1000.0, 1000.0], [1000.0, 3000.0], [0.0, 3000.0]]
    case_from_dict(disc_case(reservoirs__0__shape={"type": "polygon", "vertices": ell + [ell[0]]}))


def test_self_intersection_cases():
    sq = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], float)
    assert self_intersection(sq) is None
    assert self_intersection(np.vstack([sq, sq[:1]])) is None  # explicitly closed
    assert self_intersection(np.array([[0, 0], [1, 0], [1, 0], [1, 1], [0, 1]], float)) is None  # repeated vertex
    # a vertex touching another edge, and a collinear overlap
    assert self_intersection(np.array([[0, 0], [2, 0], [2, 2], [1, 0], [0, 2]], float))[2:] == (1.0, 0.0)
    assert self_intersection(np.array([[0, 0], [3, 0], [3, 1], [2, 1], [2, 0], [1, 0], [1, -1], [0, -1]], float)) is not None
    # a large smooth outline (many vertices) passes; swapping two vertices makes it cross
    th = np.linspace(0, 2 * np.pi, 20001)[:-1]
    ring = np.c_[np.cos(th), np.sin(th)] * (1 + 0.1 * np.sin(37 * th))[:, None]
    assert self_intersection(ring) is None
    ring[[10, 2000]] = ring[[2000, 10]]
    i, j, x, y = self_intersection(ring)
    assert i == 9 and j > 10  # the first edge that leaves vertex 10 for the far one crosses the ring


def test_existing_cases_pass_the_checks(repo_root):
    for name in ("disc_geertsma.toml", "groningen_deep.toml"):
        assert load_case(repo_root / "cases" / name).warnings == []


@pytest.mark.fem
def test_rticm_is_refused_by_the_fe_method():
    pytest.importorskip("dolfinx")
    rticm = {"law": "rticm", "cm_d": "1.2e-5 1/bar", "cm_ref": "4.56e-5 1/bar", "b": 0.025,
             "sigma_dot_ref": "1e-5 bar/yr", "sigma0": "200 bar"}
    d = disc_case(reservoirs__0__compaction=rticm, model={"method": "fem", "poisson_ratio": 0.25})
    e = _error(d)
    assert e.key == "model.method" and "rticm" in e.reason


@pytest.mark.serial
def test_cli_check_exits_2_with_file_key_and_reason(repo_root, tmp_path, capsys):
    """The issue's example through the CLI: a bare cm = 1e-5 in the disc case, exit 2, no traceback."""
    from subsidence.cli import main

    text = (repo_root / "cases" / "disc_geertsma.toml").read_text(encoding="utf-8")
    assert "cm = 1.0e-10" in text
    f = tmp_path / "bare_cm.toml"
    f.write_text(text.replace("cm = 1.0e-10", "cm = 1.0e-5"), encoding="utf-8")
    assert main(["check", str(f)]) == 2
    err = capsys.readouterr().err
    assert str(f) in err and "[reservoirs[0].compaction.cm]" in err and "not plausible" in err
    assert "Traceback" not in err
