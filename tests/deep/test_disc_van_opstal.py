"""The engine with the van Opstal (rigid basement) kernel against the exact disc solution,
an independent evaluation by numerical Hankel integration (subsidence.analytic.disc)."""

import numpy as np
import pytest

from subsidence.analytic.disc import disc_surface
from subsidence.config import case_from_dict
from subsidence.studies.deep import displacement_at

from .helpers import disc_case

R, D, C, NU = 2000.0, 3000.0, 0.1, 0.25


@pytest.mark.parametrize("k_over_d", [1.5, 3.0])
def test_engine_matches_exact_disc_with_rigid_base(k_over_d):
    k = k_over_d * D
    cfg = case_from_dict(disc_case(model__kernel="van-opstal", model__basement_depth=k)).config
    r = np.array([0.0, 1000.0, 2000.0, 2735.0, 5000.0])
    ux, uy, uz = displacement_at(cfg, r, np.zeros_like(r), cfg.output.times)
    ref_uz, ref_ur = disc_surface(r, R, D, C, NU, basement_depth=k)
    peak = abs(ref_uz[0])
    assert np.allclose(uz[0], ref_uz, rtol=0, atol=2e-3 * peak)
    assert np.allclose(ux[0], ref_ur, rtol=0, atol=2e-3 * peak)
    assert uz[0, 0] == pytest.approx(ref_uz[0], rel=2e-3)


def test_rigid_base_raises_the_peak_of_a_narrow_bowl():
    """REFERENCES: k = 1.5 D gives about -31.1 mm against -25.19 mm in the half-space."""
    half = case_from_dict(disc_case()).config
    rigid = case_from_dict(disc_case(model__kernel="van-opstal", model__basement_depth=1.5 * D)).config
    t = half.output.times
    uz_h = displacement_at(half, [0.0], [0.0], t)[2][0, 0]
    uz_r = displacement_at(rigid, [0.0], [0.0], t)[2][0, 0]
    assert uz_r < uz_h < 0
    assert uz_r == pytest.approx(-31.09e-3, rel=0.005)  # exact solution differs 0.17 % from the published value


def test_rigid_base_bowl_volume_equals_compaction_volume():
    a = 60e3
    d = disc_case(model__kernel="van-opstal", model__basement_depth=4500.0,
                  output__grid={"x": [-a, a, 241], "y": [-a, a, 241]}, output__points=None)
    cfg = case_from_dict(d).config
    from subsidence.deep.sources import build_sources
    from subsidence.deep.superposition import compute_lattice, grid_displacement
    from subsidence.studies.deep import kernel_of

    lat, m = compute_lattice(cfg.output.grid, D)
    src = build_sources(cfg, lat, cfg.output.times)
    out = {}
    grid_displacement(src, kernel_of(cfg), cfg.output.grid, lambda it, ux, uy, uz: out.update(uz=uz.copy()), lattice=lat, m=m)
    g = cfg.output.grid
    vol = -np.trapezoid(np.trapezoid(out["uz"], g.x, axis=1), g.y)
    assert vol == pytest.approx(float(src.S.sum() * src.W[-1, 0]), rel=2e-3)
