"""Forcing files read once per process (an ensemble builds its case per member): the same unchanged
file gives an equal copy, an edited file is read again, and a bad file raises every time."""

import os

import numpy as np
import pytest

from subsidence.shallow.forcing import ForcingError, read_precipitation


def _write(path, rows):
    path.write_text("STN,YYYYMMDD,   RD,   SX\n" + "".join(f"172,{d},{v},0\n" for d, v in rows))


def test_reads_are_cached_as_copies_and_edits_are_seen(tmp_path):
    f = tmp_path / "rain.csv"
    _write(f, [(20150101 + i, 10 * i) for i in range(5)])
    a = read_precipitation(f)
    b = read_precipitation(f)
    assert np.array_equal(a.values, b.values) and a.values is not b.values
    b.values[:] = -1.0  # a caller that changes its copy does not change the next read
    assert np.array_equal(read_precipitation(f).values, a.values)
    _write(f, [(20150101 + i, 20 * i) for i in range(5)])
    st = f.stat()
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    assert np.allclose(read_precipitation(f).values, 2 * a.values)


def test_errors_are_raised_every_time(tmp_path):
    f = tmp_path / "bad.csv"
    _write(f, [(20150101, -5)])
    for _ in range(2):
        with pytest.raises(ForcingError, match="negative"):
            read_precipitation(f)


def test_parcel_tables_and_outlines_are_cached_the_same_way(tmp_path):
    """The points/parcel tables and the reservoir outlines are read through the same cache: an equal
    copy per read, a changed file read again, a bad one refused every time with its name."""
    from subsidence.deep.geometry import read_polygon_file
    from subsidence.shallow.config import _csv_table

    f = tmp_path / "points.csv"
    f.write_text("name,x,y\na,1,2\nb,3,4\n")
    h1, r1 = _csv_table(f, "points file")
    h2, r2 = _csv_table(f, "points file")
    assert (h1, r1) == (h2, r2) and r1[0][1] is not r2[0][1]
    r2[0][1][1] = "99"  # changing one copy changes no other
    assert _csv_table(f, "points file")[1][0][1][1] == "1"
    f.write_text("name,x,y\na,5,2\nb,3,4\nc,0,0\n")
    st = f.stat()
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    assert len(_csv_table(f, "points file")[1]) == 3
    bad = tmp_path / "bad.csv"
    bad.write_text("name,x,y\na,1\n")
    for _ in range(2):
        with pytest.raises(ValueError, match="bad.csv"):
            _csv_table(bad, "points file")
    poly = tmp_path / "outline.dat"
    poly.write_text("0 0\n1 0\n1 1\n")
    p1 = read_polygon_file(poly)
    p1[0, 0] = 7.0
    assert read_polygon_file(poly)[0, 0] == 0.0
