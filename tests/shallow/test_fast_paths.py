"""The optimised forward paths (soil column Newton loop, groundwater storage, caches) against
the plain formulas and against values of the code before the optimisation."""

import numpy as np
import pytest

from subsidence.shallow.column import Column, ColumnLayer, Isotache, LinearCompression, PeatOxidation
from subsidence.shallow.column.compression import StepLaw, strain_increment
from subsidence.shallow.column.model import _solve_symmetric, _thomas

DAY = 86400.0


@pytest.mark.parametrize("order", [[0, 1, 2, 3, 4], [2, 0, 4, 1, 3], [0, 2, 1], [1, 2, 0, 1]])  # cell kinds
def test_step_law_equals_strain_increment(order):
    """StepLaw.evaluate (creep, plastic c = 0, linear and a = 0 isotache cells, in any order;
    the last two cases: every isotache cell creeps, the fast path) gives strain_increment's
    strain, tangent and new preconsolidation stress to rounding."""
    rng = np.random.default_rng(1)
    laws = [(0.0, 0.01, 0.1, 0.004), (2e-8, 0.0, 0.0, 0.0), (0.0, 0.04, 0.3, 0.02), (0.0, 0.015, 0.12, 0.0),
            (0.0, 0.0, 0.1, 0.003)]
    cells = np.repeat(np.array(order), 3)
    mv, a, b, c = (np.array([laws[k][j] for k in cells]) for j in range(4))
    nb, n = 6, cells.size
    s0 = rng.uniform(200.0, 5e4, (nb, n))
    sp = s0 * rng.uniform(0.8, 2.5, (nb, n))
    law = StepLaw(mv, a, b, c)
    for dt in (3600.0, DAY, 30 * DAY):
        law.begin(s0, sp, dt)
        for _ in range(3):
            s1 = s0 * rng.uniform(0.5, 2.0, (nb, n))
            s1[0, :2] = 100.0  # below SIGMA_MIN
            s1[1, :] = sp[1, :] * 50.0  # fast creep: ln(dt/tau0) >> 0
            d_ref, t_ref, sp_ref = strain_increment(s0, s1, sp, dt, mv, a, b, c)
            d, t = law.evaluate(s1)
            d2, t2, sp2 = law.evaluate(s1, new_sp=True)
            np.testing.assert_allclose(d, d_ref, rtol=1e-12, atol=1e-16)
            np.testing.assert_allclose(t, t_ref, rtol=1e-12, atol=1e-22)
            np.testing.assert_allclose(sp2, sp_ref, rtol=1e-13)
            assert np.array_equal(d, d2) and np.array_equal(t, t2)
    assert law.evaluate(s0)[0].shape == (nb, n)


def test_block_tridiagonal_solve_equals_thomas():
    rng = np.random.default_rng(2)
    nb, n = 7, 9
    t_int = rng.random((nb, n - 1))
    t_int[:, 3] = 0.0  # an unsaturated cell: decoupled
    diag = rng.random((nb, n)) + 0.1
    diag[:, :-1] += t_int
    diag[:, 1:] += t_int
    rhs = rng.standard_normal((nb, n))
    off = np.zeros((nb, n))
    off[:, :-1] = -t_int
    x = _solve_symmetric(diag.copy(), off.ravel()[:-1], rhs.copy(), t_int)
    np.testing.assert_allclose(x, _thomas(-t_int, diag, -t_int, rhs), rtol=1e-12, atol=1e-14)


def _small_column_layers():
    return [ColumnLayer("clay", 0.6, 1e-6, 17000.0, 15500.0, Isotache(0.01, 0.1, 0.004), ocr=1.3, max_cell=0.1),
            ColumnLayer("sand", 0.5, 1e-4, 20000.0, 18000.0, LinearCompression(2e-8), max_cell=0.25),
            ColumnLayer("peat", 0.8, 1e-6, 10500.0, 10000.0, Isotache(0.04, 0.3, 0.02), ocr=1.5, max_cell=0.2,
                        oxidation=PeatOxidation(0.008, 140.0)),
            ColumnLayer("plastic", 0.6, 5e-7, 16000.0, 15000.0, Isotache(0.015, 0.12, 0.0), ocr=1.05, max_cell=0.2),
            ColumnLayer("base", 1.0, 1e-4, 20000.0, 18000.0, LinearCompression(1e-8), max_cell=0.5)]


# settlement (m) at days 30, 60, 120 of four columns, computed by the code before the
# optimisation of the Newton loop (commit 81481ba), printed to 15 decimals
_REFERENCE = {
    "head": [[0.000922493404111, 0.000899991898331, 0.000870751587859, 0.000880968855826],
             [0.011351267546549, 0.011941237824133, 0.01156313845002, 0.012183511386511],
             [0.017062953965574, 0.017795947257558, 0.017320896768795, 0.017957992692545]],
    "no_flow": [[0.000444863639395, 0.00055803232348, 0.000649787275396, 0.000720306991313],
                [0.020058668055285, 0.018284914889866, 0.017326436026424, 0.017114466534683],
                [0.026894828548726, 0.024800198333002, 0.023637049115951, 0.023323318552874]],
}


@pytest.mark.parametrize("bottom", ["head", "no_flow"])
def test_small_column_matches_the_unoptimised_code(bottom):
    """Creep, linear, plastic (c = 0) and oxidising layers under a moving water table."""
    t = np.arange(121) * DAY
    nb = 4
    season = 0.4 * np.sin(2 * np.pi * t / (60 * DAY))
    hp = 3.0 + season[:, None] - 0.1 * np.arange(nb)[None, :]
    phi = 2.5 + 0.5 * season[:, None] + 0.05 * np.arange(nb)[None, :]
    col = Column(_small_column_layers(), bottom=bottom, oxidation_depth=1.2)
    h = col.run(t, phreatic=hp, bottom_head=phi if bottom == "head" else None, temperature=10 + 5 * np.sin(t / 4e6))
    np.testing.assert_allclose(h.settlement[[30, 60, 120]], _REFERENCE[bottom], rtol=0, atol=1e-12)


# total_uz (m) of the shipped coupled Nieuwolda case cut to 2015-01-01..2015-07-01 and every 40th
# parcel, at days 60, 120 and 181, computed by the code before the optimisation (81481ba).
# A deliberate change of that case file or of the model's physics needs these regenerated.
_CHAIN_REFERENCE = [
    [0.001705593813671, 0.001686474806712, 0.001506622467568, 0.001642985753834, 0.001063837989152,
     0.001103913472878, 0.001301077631989, 0.001656569071603],
    [-0.001045713157492, -0.001083884094395, -0.001442957574669, -0.0011707096078, -0.002326970985517,
     -0.002246960896866, -0.001853325424936, -0.001143590635099],
    [-0.000645894781501, -0.000703280113237, -0.001243102457476, -0.000833811669855, -0.002572106344125,
     -0.0024518205976, -0.001860036369936, -0.000793041602472],
]


def test_small_coupled_chain_matches_the_unoptimised_code():
    """Deep case (cached on the second run), lumped groundwater fitted to the FE cross-section
    (cached too), soil column: the same total_uz as before the optimisation, twice."""
    import tomllib
    from pathlib import Path

    from mpi4py import MPI

    from subsidence.config import case_from_dict
    from subsidence.shallow.chain import run_chain

    case_file = Path(__file__).resolve().parents[2] / "cases" / "coupled_nieuwolda.toml"
    d = tomllib.loads(case_file.read_text())
    d["time"]["end"] = "2015-07-01"
    d["points"]["every"] = 40
    d["output"]["plots"] = False
    cfg = case_from_dict(d, file=case_file).config
    first = run_chain(cfg, MPI.COMM_SELF)
    again = run_chain(cfg, MPI.COMM_SELF)
    np.testing.assert_allclose(first.total_uz[[60, 120, 181]], _CHAIN_REFERENCE, rtol=0, atol=1e-12)
    assert np.array_equal(first.total_uz, again.total_uz) and np.array_equal(first.gw_mean, again.gw_mean)
