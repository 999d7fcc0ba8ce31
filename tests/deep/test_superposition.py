"""The FFT/low-rank superposition against brute-force direct summation."""

import numpy as np
import pytest

from subsidence.config import case_from_dict
from subsidence.deep.geometry import Disc, Lattice, Polygon, area_fractions
from subsidence.deep.kernels import Kernel
from subsidence.deep.superposition import Sources, grid_displacement, point_displacement

from .helpers import disc_case


def _direct(src, kernel, X, Y, it):
    v = src.volumes(it)
    ux = np.zeros(X.size)
    uy = np.zeros(X.size)
    uz = np.zeros(X.size)
    for i in range(src.ncell):
        a, b, c = kernel.xy(X.ravel() - src.x[i], Y.ravel() - src.y[i], src.depth[i])
        ux += v[i] * a
        uy += v[i] * b
        uz += v[i] * c
    return ux.reshape(X.shape), uy.reshape(X.shape), uz.reshape(X.shape)


@pytest.mark.parametrize("variable_depth", [False, True])
def test_fft_grid_equals_direct_sum(variable_depth):
    """Random cells off the lattice, several depths, rank-2 histories: grid vs exact sum."""
    rng = np.random.default_rng(0)
    n = 300
    x = rng.uniform(-3000, 3000, n)
    y = rng.uniform(-2000, 2500, n)
    depth = rng.uniform(2000, 2600, n) if variable_depth else np.full(n, 2500.0)
    S = rng.uniform(0, 1e4, (n, 2))
    W = np.array([[1.0, 0.0], [0.5, 0.5], [0.0, 2.0]])
    src = Sources(x, y, depth, S, W)
    out = Lattice(-8000.0, -6000.0, 250.0, 200.0, 61, 71)
    kernel = Kernel("geertsma", 0.3)
    got = {}
    stats = grid_displacement(src, kernel, out, lambda it, *u: got.__setitem__(it, [c.copy() for c in u]))
    X, Y = np.meshgrid(out.x, out.y)
    for it in range(3):
        ref = _direct(src, kernel, X, Y, it)
        scale = np.abs(ref[2]).max()
        for c in range(3):
            # bilinear placement on the depth/20 lattice + depth levels: well below 1e-3 of the peak
            assert np.abs(got[it][c] - ref[c]).max() < 1e-3 * scale
    assert stats["depth_levels"] == (1 if not variable_depth else stats["depth_levels"])
    if variable_depth:
        assert stats["depth_levels"] > 1


def test_sources_on_lattice_are_exact():
    """Cells on the lattice and one depth: the FFT result equals the direct sum to round-off."""
    lat = Lattice(-2000.0, -2000.0, 100.0, 100.0, 41, 41)
    X, Y = np.meshgrid(lat.x, lat.y)
    m = (X**2 + Y**2) < 1500**2
    src = Sources(X[m], Y[m], np.full(m.sum(), 2000.0), np.ones((m.sum(), 1)) * 1e4, np.array([[1.0], [2.0]]))
    out = Lattice(-5000.0, -4000.0, 100.0, 100.0, 90, 70)
    kernel = Kernel("geertsma", 0.25)
    got = {}
    grid_displacement(src, kernel, out, lambda it, *u: got.__setitem__(it, [c.copy() for c in u]))
    Xo, Yo = np.meshgrid(out.x, out.y)
    ref = _direct(src, kernel, Xo, Yo, 1)
    for c in range(3):
        assert np.allclose(got[1][c], ref[c], rtol=0, atol=1e-12 * np.abs(ref[2]).max())
    # named points by direct sum agree too
    ux, uy, uz = point_displacement(src, kernel, Xo.ravel()[:50], Yo.ravel()[:50])
    assert np.allclose(uz[1], ref[2].ravel()[:50], rtol=1e-12)


def test_low_rank_and_per_time_paths_agree():
    rng = np.random.default_rng(3)
    src = Sources(rng.uniform(-1e3, 1e3, 50), rng.uniform(-1e3, 1e3, 50), np.full(50, 1500.0),
                  rng.uniform(0, 1, (50, 1)), np.array([[1.0], [3.0], [4.0]]))
    out = Lattice(-3000.0, -3000.0, 75.0, 75.0, 81, 81)
    k = Kernel("geertsma", 0.25)
    a, b = {}, {}
    grid_displacement(src, k, out, lambda it, *u: a.__setitem__(it, [c.copy() for c in u]))
    grid_displacement(src, k, out, lambda it, *u: b.__setitem__(it, [c.copy() for c in u]), memory_budget=0)
    for it in range(3):
        for c in range(3):
            assert np.allclose(a[it][c], b[it][c], rtol=1e-12, atol=1e-18)


def test_area_fractions_conserve_area():
    lat = Lattice(-3000.0, -3000.0, 100.0, 100.0, 61, 61)
    d = Disc((30.0, -40.0), 1234.0)
    assert area_fractions(d, lat).sum() * 1e4 == pytest.approx(d.area, rel=1e-4)
    poly = Polygon(np.array([[-1000.0, -500.0], [1500.0, -700.0], [900.0, 1800.0], [-1200.0, 1000.0]]))
    assert area_fractions(poly, lat).sum() * 1e4 == pytest.approx(poly.area, rel=1e-4)


def test_polygon_close_to_circle_matches_disc():
    ang = np.linspace(0, 2 * np.pi, 721)[:-1]
    verts = [[2000.0 * np.cos(a), 2000.0 * np.sin(a)] for a in ang]
    disc = case_from_dict(disc_case()).config
    poly = case_from_dict(disc_case(reservoirs__0__shape={"type": "polygon", "vertices": verts})).config
    from subsidence.studies.deep import displacement_at

    a = displacement_at(disc, [0.0, 2735.0], [0.0, 0.0], disc.output.times)
    b = displacement_at(poly, [0.0, 2735.0], [0.0, 0.0], disc.output.times)
    assert np.allclose(a[2], b[2], rtol=2e-4)
    assert np.allclose(a[0], b[0], rtol=2e-4, atol=1e-9)


@pytest.mark.parametrize("fmt", ["csv", "nc"])
def test_gridded_reservoir_matches_uniform_block(tmp_path, fmt):
    """A gridded reservoir from a file with per-cell pressure equals the same block given as a polygon."""
    h = 200.0
    xc = np.arange(-1900.0, 1901.0, h)
    X, Y = np.meshgrid(xc, xc)
    if fmt == "csv":
        lines = ["x,y,depth,thickness,cm,dp@0,dp@10"]
        for x, y in zip(X.ravel(), Y.ravel()):
            lines.append(f"{x},{y},3000,100,1e-10,0,-1e7")
        (tmp_path / "g.csv").write_text("\n".join(lines) + "\n")
        f = "g.csv"
    else:
        import xarray as xr

        shp = X.shape
        ds = xr.Dataset(
            {"depth": (("y", "x"), np.full(shp, 3000.0)), "thickness": (("y", "x"), np.full(shp, 100.0)),
             "pressure_change": (("time", "y", "x"), np.stack([np.zeros(shp), np.full(shp, -1e7)]))},
            coords={"x": xc, "y": xc, "time": [0.0, 10.0]},
        )
        ds.to_netcdf(tmp_path / "g.nc")
        f = "g.nc"
    grid = disc_case(reservoirs__0__shape={"type": "grid", "file": f}, reservoirs__0__depth=None,
                     reservoirs__0__thickness=None, reservoirs__0__pressure_change=None)
    if fmt == "csv":
        grid["reservoirs"][0]["compaction"] = {"law": "linear"}
    sq = [[-2000.0, -2000.0], [2000.0, -2000.0], [2000.0, 2000.0], [-2000.0, 2000.0]]
    poly = disc_case(reservoirs__0__shape={"type": "polygon", "vertices": sq})
    from subsidence.studies.deep import displacement_at

    cg = case_from_dict(grid, file=tmp_path / "c.toml").config
    cp = case_from_dict(poly).config
    x = np.array([0.0, 1000.0, 3000.0, 8000.0])
    a = displacement_at(cg, x, np.zeros(4), cg.output.times)
    b = displacement_at(cp, x, np.zeros(4), cp.output.times)
    assert np.allclose(a[2], b[2], rtol=2e-3)
    assert np.allclose(a[0], b[0], rtol=2e-3, atol=1e-8)
