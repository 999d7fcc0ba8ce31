"""Root-zone water balance (subsidence.physics.root_zone) and its coupling to the lumped model.

Checks against closed forms and an independent ODE integration:
- drying without rain or capillary rise: full ET until the readily available water is used,
  then W = thr·exp(−E (t − t₁)/thr) (FAO-56 linear stress), exact for daily steps;
- any single step (with capillary rise, threshold crossings up and down, the cap at W_max)
  against scipy's solve_ivp of the same ODE;
- the step balance, and the whole lumped parcel's water balance with the zone;
- a dry spell lowers the water table less with the zone than with ET drawn from the water table.
"""

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from subsidence.config import CaseError
from subsidence.physics.root_zone import RootZone
from subsidence.shallow.groundwater import HydroLayer, LumpedGroundwater, Parcel

DAY = 86400.0
RZ = RootZone(depth=0.4, available_water=0.15, depletion_fraction=0.5, capillary_max=1.5e-3 / DAY, capillary_decay=0.4)


def test_drying_follows_the_closed_form():
    rz = RootZone(depth=0.5, available_water=0.2, depletion_fraction=0.4)  # W_max 0.1 m, thr 0.06 m
    e = 4e-3 / DAY
    w, t = np.array([rz.capacity]), 0.0
    t1 = 0.4 * rz.capacity / e  # the readily available water lasts 10 days
    for _ in range(60):
        w, et, perc, cap = rz.step(w, 0.0, e, 5.0, DAY)
        t += DAY
        ref = rz.capacity - e * t if t <= t1 else 0.06 * np.exp(-e * (t - t1) / 0.06)
        assert w[0] == pytest.approx(ref, rel=1e-12, abs=1e-15)
        assert perc[0] == 0 and cap[0] == 0


def _ode(rz, w0, ep, qc, dt):
    thr, wmax = (1 - rz.depletion_fraction) * rz.capacity, rz.capacity

    def f(t, y):
        et = ep * min(1.0, y[0] / thr)
        dw = qc - et
        return [0.0 if (y[0] >= wmax and dw > 0) else dw]

    sol = solve_ivp(f, (0, dt), [w0], rtol=1e-11, atol=1e-14, max_step=dt / 2000)
    return min(sol.y[0, -1], wmax)


@pytest.mark.parametrize("w0, ep_mm, depth", [
    (0.06, 3.0, 0.3),    # full, falls through the threshold, table within the root zone
    (0.02, 0.5, 0.3),    # below the threshold, capillary rise > ET: rises back above it
    (0.01, 4.0, 1.5),    # deep table: little rise, exponential decay
    (0.059, 0.2, 0.2),   # near W_max, rise > ET: capped at W_max
    (0.03, 0.0, 0.8),    # no ET: only the rise
])
def test_one_step_against_an_ode_solver(w0, ep_mm, depth):
    ep = ep_mm * 1e-3 / DAY
    qc = float(RZ.capillary(depth))
    w, et, perc, cap = RZ.step(np.array([w0]), 0.0, ep, depth, DAY)
    assert w[0] == pytest.approx(_ode(RZ, w0, ep, qc, DAY), rel=1e-7, abs=1e-11)
    assert w[0] - w0 == pytest.approx(cap[0] - et[0] - perc[0], abs=1e-15)
    assert et[0] >= -1e-15 and cap[0] <= qc * DAY + 1e-15


def test_rain_fills_the_store_and_the_rest_percolates():
    w, et, perc, cap = RZ.step(np.array([0.05]), 30e-3 / DAY, 0.0, 3.0, DAY)
    assert w[0] == pytest.approx(RZ.capacity, abs=1e-12)  # W_max 0.06 m
    assert perc[0] == pytest.approx(0.05 + 0.03 - RZ.capacity, rel=1e-9)


def _parcel(root_zone):
    layers = (HydroLayer("clay", 1.0, 0.1 / DAY, 0.05 / DAY, 0.08), HydroLayer("sand", 6.0, 10 / DAY, 3 / DAY, 0.2))
    return Parcel(layers=layers, spacing=60.0, ditch_depth=0.9, entry_resistance=1 * DAY, aquifer_head=-1.0,
                  aquitard_resistance=300 * DAY, root_zone=root_zone)


def test_lumped_water_balance_with_the_root_zone_and_a_buffered_drought():
    rng = np.random.default_rng(3)
    nd = 400
    rain = np.where(rng.random(nd) < 0.45, rng.exponential(5e-3, nd), 0.0) / DAY
    rain[150:230] = 0.0  # a dry spell
    evap = (1.5 + 2.5 * np.sin(np.pi * np.arange(nd) / 365.0) ** 2) * 1e-3 / DAY
    ditch = np.full(nd + 1, -1.0)
    with_rz = LumpedGroundwater(_parcel(RZ), drainage_resistance=150 * DAY).run(rain, evap, ditch)
    assert abs(with_rz.balance_error()[0]) < 1e-10
    b = {k: v[-1, 0] for k, v in with_rz.balance.items()}
    assert b["capillary_rise"] > 0 and b["root_zone"] <= 0
    without = LumpedGroundwater(_parcel(None), drainage_resistance=150 * DAY).run(rain, evap, ditch)
    drop_rz = with_rz.mean[150, 0] - with_rz.mean[230, 0]
    drop = without.mean[150, 0] - without.mean[230, 0]
    assert 0 < drop_rz < drop  # the zone's store buffers the water table


def test_root_zone_table_in_a_case(tmp_path):
    from pathlib import Path

    from subsidence.config import load_case

    cases = Path(__file__).resolve().parents[2] / "cases"
    src = (cases / "shallow_peat_meadow.toml").read_text(encoding="utf-8").replace('"../', f'"{cases.parent.as_posix()}/')
    assert "\n[parcel]\n" in src
    good = src.replace("\n[parcel]\n", '\n[parcel]\nroot_zone = { depth = 0.4, available_water = 0.15, capillary_max = "1.5 mm/day" }\n', 1)
    f = tmp_path / "case.toml"
    f.write_text(good, encoding="utf-8")
    rz = load_case(f).config.parcel.root_zone
    assert rz.capacity == pytest.approx(0.06) and rz.capillary_max == pytest.approx(1.5e-3 / DAY)
    bad = src.replace("\n[parcel]\n", "\n[parcel]\nroot_zone = { depth = 0.4, available_water = 1.5 }\n", 1)
    f.write_text(bad, encoding="utf-8")
    with pytest.raises(CaseError) as exc:
        load_case(f)
    assert "root_zone.available_water" in exc.value.key
    fe = good.replace('model = "lumped"', 'model = "fe"', 1)
    f.write_text(fe, encoding="utf-8")
    with pytest.raises(CaseError) as exc:
        load_case(f)
    assert "lumped" in str(exc.value)


@pytest.mark.parametrize("rs", [1.0, 3.0])
def test_bronswijk_shrinkage(rs):
    rz = RootZone(depth=0.5, available_water=0.2, shrinkage_fraction=0.8, geometry_factor=rs)
    d = np.array([0.0, 0.02, 0.05, 0.1, 0.3])  # m of water lacking (the last beyond W_max = 0.1)
    dv = 0.8 * np.minimum(d, 0.1) / 0.5
    expected = 0.5 * (1 - (1 - dv) ** (1 / rs))
    np.testing.assert_allclose(rz.shrinkage(d), expected, rtol=1e-14)
    if rs == 1.0:  # only vertical: the surface drops by the volume lost, 0.8 × the water lost
        np.testing.assert_allclose(rz.shrinkage(d[:4]), 0.8 * d[:4], rtol=1e-12)


def test_chain_adds_reversible_shrinkage_to_the_shallow_settlement():
    import copy

    from mpi4py import MPI

    from subsidence.config import case_from_dict
    from subsidence.shallow.chain import run_chain
    from .test_chain import BASE

    d = copy.deepcopy(BASE)
    d["parcel"]["root_zone"] = {"depth": 0.4, "available_water": 0.15, "capillary_max": "1 mm/day",
                                "shrinkage_fraction": 0.5}
    with_s = run_chain(case_from_dict(d, file="x.toml").config, MPI.COMM_SELF)
    d["parcel"]["root_zone"]["shrinkage_fraction"] = 0.0
    without = run_chain(case_from_dict(d, file="x.toml").config, MPI.COMM_SELF)
    s = with_s.shrinkage[:, 0]
    np.testing.assert_allclose(with_s.shallow[:, 0] - without.shallow[:, 0], s, atol=1e-15)
    assert s.max() > 1e-3 and s.min() >= 0  # a summer's drying shrinks the root zone by millimetres
    month = with_s.dates.astype("datetime64[M]").astype(int) % 12 + 1
    assert s[month == 8].mean() > 5 * max(s[month == 2].mean(), 1e-6)  # and winter rewetting undoes it
    assert np.all(without.shrinkage == 0)


def test_ripening_keeps_part_of_the_shrinkage_beyond_the_driest_state():
    """Hand calculation (r_s = 1: S = 0.8 D): ρ = 0.4 of the shrinkage beyond the driest depletion so
    far (at least D0 = 0.1 W_max = 0.01 m) stays when the soil rewets."""
    rz = RootZone(depth=0.5, available_water=0.2, shrinkage_fraction=0.8, geometry_factor=1.0, ripening_fraction=0.4,
                  ripened_to=0.1)
    D = np.array([0.0, 0.02, 0.0, 0.05, 0.03, 0.0, 0.04, 0.0])
    # D_max: .01 .02 .02 .05 .05 .05 .05 .05;  lowering = 0.8 D + 0.32 (D_max − max(D, 0.01))
    expected = [0.0, 0.016, 0.0032, 0.04, 0.0304, 0.0128, 0.0352, 0.0128]
    np.testing.assert_allclose(rz.shrinkage_history(D), expected, rtol=1e-12, atol=1e-15)
    two = np.stack([D, 0.5 * D], axis=1)  # points on axis 1, each with its own history
    np.testing.assert_allclose(rz.shrinkage_history(two)[:, 0], expected, rtol=1e-12, atol=1e-15)
    plain = RootZone(depth=0.5, available_water=0.2, shrinkage_fraction=0.8, geometry_factor=3.0)
    np.testing.assert_array_equal(plain.shrinkage_history(D), plain.shrinkage(D))  # ρ = 0: reversible only
    with pytest.raises(ValueError, match="ripening"):
        RootZone(depth=0.5, available_water=0.2, ripening_fraction=1.5)


def test_chain_ripening_accumulates_over_dry_summers():
    import copy

    from mpi4py import MPI

    from subsidence.config import case_from_dict
    from subsidence.shallow.chain import run_chain
    from .test_chain import BASE

    d = copy.deepcopy(BASE)
    d["parcel"]["root_zone"] = {"depth": 0.4, "available_water": 0.15, "capillary_max": "1 mm/day",
                                "shrinkage_fraction": 0.5}
    plain = run_chain(case_from_dict(d, file="x.toml").config, MPI.COMM_SELF)
    d["parcel"]["root_zone"].update(ripening_fraction=0.5, ripened_to=0.0)
    ripe = run_chain(case_from_dict(d, file="x.toml").config, MPI.COMM_SELF)
    extra = ripe.shrinkage[:, 0] - plain.shrinkage[:, 0]
    assert extra.min() >= -1e-15 and extra[-1] > 1e-4  # what the summers dried out stays
    np.testing.assert_allclose(ripe.shallow[:, 0] - plain.shallow[:, 0], extra, atol=1e-12)
    month = ripe.dates.astype("datetime64[M]").astype(int) % 12 + 1
    year = ripe.dates.astype("datetime64[Y]").astype(int)
    feb = [extra[(month == 2) & (year == y)].mean() for y in np.unique(year) if np.any((month == 2) & (year == y))]
    assert np.all(np.diff(feb) >= -1e-12) and feb[-1] > 0  # wet winters keep it, and it only grows
