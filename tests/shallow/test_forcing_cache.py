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
