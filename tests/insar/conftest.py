"""Synthetic model runs for the InSAR tests (a subsidence bowl growing linearly in time)."""

import datetime as dt
import os

# The matrices here are small: one BLAS thread avoids oversubscription on a busy 2-core machine
# (effective when numpy is first imported here; threadpoolctl below covers the other case).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
import pytest

from subsidence.io.surface import SurfaceResult, write_json, write_surface_outputs
from subsidence.units import SECONDS_PER_YEAR

CENTRE = (245000.0, 585000.0)


def bowl_result(scale=1.0, *, rate=0.008, width=6e3, with_points=None, years=5.0, nt=11, crs="EPSG:28992",
                start=dt.date(2015, 1, 1), extent=12e3, n=49):
    """uz = −scale·rate·t·exp(−r²/2L²); horizontal = 0.3·uz·(r/L) pointing to the centre."""
    t = np.linspace(0, years, nt) * SECONDS_PER_YEAR
    x = np.linspace(CENTRE[0] - extent, CENTRE[0] + extent, n)
    y = np.linspace(CENTRE[1] - extent, CENTRE[1] + extent, n)

    def field(X, Y):
        f = np.exp(-((X - CENTRE[0]) ** 2 + (Y - CENTRE[1]) ** 2) / (2 * width**2))
        ty = (t / SECONDS_PER_YEAR)[:, None]
        uz = -scale * rate * ty * f.reshape(1, -1)
        ux = 0.3 * uz * (X - CENTRE[0]).reshape(1, -1) / width
        uy = 0.3 * uz * (Y - CENTRE[1]).reshape(1, -1) / width
        return ux, uy, uz

    X, Y = np.meshgrid(x, y)
    gx, gy, gz = (a.reshape(nt, n, n) for a in field(X, Y))
    res = SurfaceResult(times=t, x=x, y=y, grid_ux=gx, grid_uy=gy, grid_uz=gz, crs=crs, start_date=start)
    if with_points is not None:
        names, px, py = with_points
        res.point_names, res.point_x, res.point_y = list(names), np.asarray(px, float), np.asarray(py, float)
        res.point_ux, res.point_uy, res.point_uz = field(res.point_x, res.point_y)
    return res


def write_run(path, res, *, name="synthetic bowl", validation: str = ""):
    """A complete run directory like ``run_case`` writes (without running a case)."""
    from subsidence.io.rundir import RunDirectory

    rd = RunDirectory(path)
    with rd:
        write_surface_outputs(rd, res, title=name, plots=False)
        sd = res.start_date.isoformat() if res.start_date else None
        text = f'name = "{name}"\nkind = "deep"\ncrs = "{res.crs}"\n' + (f"start_date = {sd}\n" if sd else "") + validation
        rd.file("case.toml").write_text(text)
        write_json(rd.file("manifest.json"), {"case": {"name": name, "crs": res.crs, "start_date": sd},
                                              "case_file": str(path) + ".toml", "case_sha256": "0" * 64, "complete": True})
        rd.commit()
    return path


@pytest.fixture(autouse=True)
def _one_blas_thread():
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield
        return
    with threadpool_limits(1, user_api="blas"):
        yield


@pytest.fixture
def bowl():
    return bowl_result


@pytest.fixture
def make_run():
    return write_run
