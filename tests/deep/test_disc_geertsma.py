"""The analytic engine against closed-form Geertsma results (REFERENCES.md, Geertsma 1973)."""

import numpy as np
import pytest

from subsidence.analytic.geertsma import disc_centre
from subsidence.config import case_from_dict
from subsidence.studies.deep import displacement_at

from .helpers import disc_case

NU, C, R, D = 0.25, 0.1, 2000.0, 3000.0  # Cm·Δp·H = 1e-10 · 1e7 · 100 = 0.1 m


def test_closed_form_centre_value():
    assert disc_centre(R, D, C, NU) == pytest.approx(-25.19e-3, abs=0.005e-3)
    assert disc_centre(10000.0, D, C, NU) == pytest.approx(-106.9e-3, abs=0.05e-3)


def test_disc_centre_and_max_horizontal_within_half_percent():
    cfg = case_from_dict(disc_case()).config
    r = np.linspace(0, 6000, 601)
    ux, uy, uz = displacement_at(cfg, r, np.zeros_like(r), cfg.output.times)
    assert uz[0, 0] == pytest.approx(disc_centre(R, D, C, NU), rel=0.005)
    assert uz[0, 0] == pytest.approx(-25.19e-3, rel=0.005)
    k = np.argmax(np.abs(ux[0]))
    assert abs(ux[0, k]) == pytest.approx(10.32e-3, rel=0.005)
    assert r[k] == pytest.approx(2740.0, abs=60.0)
    assert ux[0, k] < 0  # east of the centre the surface moves west, towards the reservoir
    assert np.allclose(uy, 0.0, atol=1e-9)


def test_bowl_volume_is_two_one_minus_nu_times_compaction_volume():
    """Surface volume over a square of half-width a equals (1-ν)/π·ΔV·Ω(a), the solid angle of the
    square seen from the source; Ω → 2π for the whole plane gives 2(1-ν)·ΔV."""
    a = 150e3
    d = disc_case(output__grid={"x": [-a, a, 301], "y": [-a, a, 301]}, output__points=None)
    cfg = case_from_dict(d).config
    from subsidence.deep.sources import build_sources
    from subsidence.deep.superposition import compute_lattice, grid_displacement
    from subsidence.studies.deep import kernel_of

    lat, m = compute_lattice(cfg.output.grid, D)
    src = build_sources(cfg, lat, cfg.output.times)
    dv = float(src.S.sum() * src.W[-1, 0])
    assert dv == pytest.approx(np.pi * R**2 * C, rel=1e-3)
    out = {}
    grid_displacement(src, kernel_of(cfg), cfg.output.grid, lambda it, ux, uy, uz: out.update(uz=uz.copy()), lattice=lat, m=m)
    g = cfg.output.grid
    vol = -np.trapezoid(np.trapezoid(out["uz"], g.x, axis=1), g.y)
    omega = 4 * np.arcsin(a * a / (a * a + D * D))
    assert vol == pytest.approx((1 - NU) / np.pi * dv * omega, rel=2e-3)
    assert 2 * (1 - NU) * dv * omega / (2 * np.pi) == pytest.approx(2 * (1 - NU) * dv, rel=0.02)


def test_grid_and_points_agree(tmp_path):
    from mpi4py import MPI

    from subsidence.run import run_case

    comm = MPI.COMM_SELF
    case = case_from_dict(disc_case(output__points={"name": ["a", "b"], "x": [0.0, 2700.0], "y": [0.0, -1300.0]}))
    run_case(case, tmp_path / "run", comm=comm)
    import xarray as xr

    with xr.open_dataset(tmp_path / "run" / "surface.nc") as ds:
        g = ds.sel(x=[0.0, 2700.0], y=[0.0, -1300.0])
        grid_uz = [float(g.uz.isel(time=0).sel(x=0.0, y=0.0)), float(g.uz.isel(time=0).sel(x=2700.0, y=-1300.0))]
        grid_ux = float(g.ux.isel(time=0).sel(x=2700.0, y=-1300.0))
    import pandas as pd

    pts = pd.read_csv(tmp_path / "run" / "points.csv")
    assert np.allclose(grid_uz, pts.uz.to_numpy(), rtol=1e-9, atol=1e-12)
    assert grid_ux == pytest.approx(pts.ux.iloc[1], rel=1e-9)


def test_depletion_gives_subsidence_and_injection_uplift():
    cfg = case_from_dict(disc_case()).config
    _, _, uz = displacement_at(cfg, [0.0], [0.0], cfg.output.times)
    assert uz[0, 0] < 0
    cfg = case_from_dict(disc_case(reservoirs__0__pressure_change={"time": [0, 10], "value": [0, 1e7]})).config
    _, _, uz = displacement_at(cfg, [0.0], [0.0], cfg.output.times)
    assert uz[0, 0] > 0


def test_several_reservoirs_add_up():
    one = disc_case()
    two = disc_case()
    second = dict(two["reservoirs"][0], name="east", shape={"type": "disc", "center": [5000.0, 0.0], "radius": 1000.0})
    two["reservoirs"].append(second)
    only_second = disc_case()
    only_second["reservoirs"] = [second]
    x = np.array([0.0, 2500.0, 6000.0])
    y = np.zeros(3)
    u1 = displacement_at(case_from_dict(one).config, x, y, [10.0 * 3.15576e7])
    u2 = displacement_at(case_from_dict(only_second).config, x, y, [10.0 * 3.15576e7])
    u12 = displacement_at(case_from_dict(two).config, x, y, [10.0 * 3.15576e7])
    for a, b, c in zip(u1, u2, u12):
        assert np.allclose(a + b, c, rtol=1e-12, atol=1e-15)
