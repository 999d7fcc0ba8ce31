"""Water-table-dependent storage from a van Genuchten retention curve (subsidence.physics.retention).

Closed forms and independent calculations:
- F(x) = ∫₀ˣ θ dψ (hypergeometric form) against adaptive quadrature;
- one uniform layer reaching the surface: dS/dh = θs − θ(D), D the water-table depth;
- the water released by a water-table drop equals ∫ (θs − θ(D)) dD over the drop (quadrature);
- a lumped parcel that only evaporates loses exactly that water: S(h0) − S(hT) = E T;
- a layered profile: S is continuous across layer boundaries and dS/dh is its derivative.
"""

import numpy as np
import pytest
from scipy.integrate import quad

from subsidence.config import CaseError
from subsidence.physics.retention import ProfileStorage, VanGenuchten
from subsidence.shallow.groundwater import HydroLayer, LumpedGroundwater, Parcel

DAY = 86400.0
CLAY = VanGenuchten(theta_s=0.59, theta_r=0.0, alpha=1.95, n=1.109)  # a heavy clay, alpha in 1/m
PEAT = VanGenuchten(theta_s=0.85, theta_r=0.01, alpha=1.3, n=1.3)
SAND = VanGenuchten(theta_s=0.36, theta_r=0.02, alpha=2.5, n=2.2)


@pytest.mark.parametrize("vg", [CLAY, PEAT, SAND])
def test_integral_of_theta_against_quadrature(vg):
    for x in (1e-3, 0.3, 1.0, 2.7, 12.0):
        ref = quad(lambda p: float(vg.theta(p)), 0.0, x, epsabs=1e-13, epsrel=1e-12, limit=200)[0]
        assert float(vg.integral(x)) == pytest.approx(ref, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("vg", [CLAY, SAND])
def test_single_layer_specific_yield_is_theta_s_minus_theta_at_the_depth(vg):
    surface, base = 0.0, -10.0
    st = ProfileStorage([(base, surface, vg)], span=15.0)
    depth = np.array([0.05, 0.3, 0.8, 1.5, 3.0])
    s, ds = st(surface - depth)
    np.testing.assert_allclose(ds, vg.drainable(depth), rtol=1e-12)
    # the slope is the derivative of the stored water (central difference of S)
    e = 1e-4
    fd = (st(surface - depth + e)[0] - st(surface - depth - e)[0]) / (2 * e)
    np.testing.assert_allclose(fd, ds, rtol=2e-4)
    # the water released by lowering the water table from 0.3 m to 1.5 m depth
    released = s[1] - s[3]
    ref = quad(lambda d: float(vg.drainable(d)), 0.3, 1.5, epsabs=1e-13)[0]
    assert released == pytest.approx(ref, rel=1e-7)


def test_layered_profile_is_continuous_and_its_slope_is_its_derivative():
    st = ProfileStorage([(-0.5, 0.0, CLAY), (-1.5, -0.5, PEAT), (-8.0, -1.5, SAND)], span=13.0)
    h = np.linspace(-7.9, -0.01, 2000)
    s, ds = st(h)
    assert np.all(np.diff(s) > 0) and np.all(ds > 0)
    # continuity at the boundaries (no jump in stored water)
    for z in (-0.5, -1.5):
        lo, hi = st(np.array([z - 1e-9, z + 1e-9]))[0]
        assert abs(hi - lo) < 1e-8
    mid = 0.5 * (h[1:] + h[:-1])
    np.testing.assert_allclose(np.diff(s) / np.diff(h), st(mid)[1], rtol=1e-3, atol=1e-6)
    # fully saturated profile stores θs times the thickness of every layer
    full = st(np.array([0.0]))[0][0]
    assert full == pytest.approx(0.59 * 0.5 + 0.85 * 1.0 + 0.36 * 6.5, rel=1e-12)


def _evaporating_parcel(retention, sy=0.05):
    layers = (HydroLayer("clay", 1.0, 0.1 / DAY, 0.05 / DAY, sy, retention),
              HydroLayer("sand", 6.0, 10 / DAY, 3 / DAY, 0.2))
    return Parcel(layers=layers, spacing=60.0, ditch_depth=0.8, et_depths=(5.0, 6.0), et_min_factor=1.0)


def test_lumped_parcel_loses_exactly_the_evaporated_water():
    """No rain, no drainage, no seepage, constant evaporation E for T days from a water table at
    the surface: the retention storage must release E·T, and the level follows from S(h) alone."""
    par = _evaporating_parcel(CLAY)
    lm = LumpedGroundwater(par, drainage_resistance=1e30, seepage_resistance=np.inf)
    e, nd = 2e-3 / DAY, 200
    r = lm.run(np.zeros(nd), np.full(nd, e), np.full(nd + 1, -0.2), initial=-0.2)
    s = par.storage
    np.testing.assert_allclose(s(np.array([-0.2]))[0] - s(r.mean[1:, 0]), e * DAY * np.arange(1, nd + 1), rtol=1e-9)
    # a shallow clay water table drains little water per metre: it falls faster than with the
    # constant yield of 0.59 (θs − θr) the layer would otherwise be given, and slows down with depth
    const = LumpedGroundwater(_evaporating_parcel(None, sy=0.59), drainage_resistance=1e30, seepage_resistance=np.inf)
    r0 = const.run(np.zeros(nd), np.full(nd, e), np.full(nd + 1, -0.2), initial=-0.2)
    assert r.mean[-1, 0] < r0.mean[-1, 0]
    rate = -np.diff(r.mean[:, 0])
    assert rate[10] > rate[-1]


def test_without_retention_the_storage_is_unchanged():
    p = _evaporating_parcel(None)
    h = np.linspace(-6.5, 0.2, 50)
    ref = 0.05 * (np.maximum(h + 1.0, 0) - np.maximum(h, 0)) + 0.2 * (np.maximum(h + 7.0, 0) - np.maximum(h + 1.0, 0)) + np.maximum(h, 0)
    np.testing.assert_allclose(p.storage(h), ref, atol=0.01 * np.log(2) * 1.3)


@pytest.mark.parametrize("vals, key", [
    (dict(theta_s=0.5, theta_r=0.6, alpha="2 1/m", n=1.2), "retention"),
    (dict(theta_s=0.5, theta_r=0.0, alpha="2 1/m", n=1.0), "n"),
    (dict(theta_s=0.5, alpha="-2 1/m", n=1.3), "alpha"),
    (dict(theta_s=0.5, alpha="2 1/m", n=1.3, specific_yield=0.1), "specific_yield"),
])
def test_bad_retention_tables_are_named(tmp_path, vals, key):
    from subsidence.config import load_case

    src = (_case_dir() / "shallow_peat_meadow.toml").read_text(encoding="utf-8")
    table = "{ model = \"van-genuchten\", " + ", ".join(
        f"{k} = {v!r}".replace("'", '"') for k, v in vals.items() if k != "specific_yield") + " }"
    extra = f"specific_yield = {vals['specific_yield']}\n" if "specific_yield" in vals else ""
    lines, done = [], False
    for line in src.splitlines():
        if not done and line.strip().startswith("specific_yield"):
            line = extra + f"retention = {table}"
            done = True
        lines.append(line)
    assert done
    f = tmp_path / "case.toml"
    f.write_text("\n".join(lines).replace('"../', f'"{_case_dir().parent.as_posix()}/'), encoding="utf-8")
    with pytest.raises(CaseError) as exc:
        load_case(f)
    assert key in exc.value.key and "case.toml" in str(exc.value)


def test_a_case_with_retention_loads_and_fe_refuses_it(tmp_path):
    from subsidence.config import load_case

    src = (_case_dir() / "shallow_peat_meadow.toml").read_text(encoding="utf-8")
    lines, done = [], False
    for line in src.splitlines():
        if not done and line.strip().startswith("specific_yield"):
            line = 'retention = { model = "van-genuchten", theta_s = 0.59, theta_r = 0.0, alpha = "0.0195 1/cm", n = 1.109 }'
            done = True
        lines.append(line)
    text = "\n".join(lines).replace('"../', f'"{_case_dir().parent.as_posix()}/')
    f = tmp_path / "case.toml"
    f.write_text(text, encoding="utf-8")
    case = load_case(f)
    assert case.config.parcel.has_retention
    assert case.config.parcel.layers[0].retention.alpha == pytest.approx(1.95)
    assert 'model = "lumped"' in text
    text = text.replace('model = "lumped"', 'model = "fe"', 1)
    f.write_text(text, encoding="utf-8")
    with pytest.raises(CaseError) as exc:
        load_case(f)
    assert "lumped" in str(exc.value)


def _case_dir():
    from pathlib import Path

    return Path(__file__).resolve().parents[2] / "cases"
