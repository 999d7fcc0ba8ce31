"""Field drains in the lumped groundwater model: tile drains (outflow only) and submerged drains
(also infiltration), against the steady linear-reservoir closed form, and the water balance."""

import copy

import numpy as np
import pytest

from subsidence.config import CaseError, case_from_dict
from subsidence.shallow.groundwater import HydroLayer, LumpedGroundwater, Parcel
from subsidence.shallow.groundwater.parcel import Drains

from .test_chain import _case

DAY = 86400.0


def _parcel(drains):
    layers = (HydroLayer("clay", 1.2, 0.1 / DAY, 0.05 / DAY, 0.05), HydroLayer("sand", 8.0, 10 / DAY, 3 / DAY, 0.2))
    return Parcel(layers=layers, spacing=60.0, ditch_depth=1.6, aquifer_head=-0.9, aquitard_resistance=400 * DAY,
                  drains=drains)


def _steady(drains, n=2e-3 / DAY, hd=-1.0):
    lm = LumpedGroundwater(_parcel(drains), drainage_resistance=100 * DAY, seepage_resistance=400 * DAY)
    r = lm.run(np.full(3000, n), np.zeros(3000), np.full(3001, hd), aquifer_head=np.full(3001, -0.9))
    return r


def test_submerged_drains_steady_state_is_the_linear_reservoir_with_a_third_resistance():
    g, c, cd, zd, n = 100 * DAY, 400 * DAY, 20 * DAY, -0.7, 2e-3 / DAY
    r = _steady(Drains(depth=0.7, resistance=cd, kind="submerged"))
    expected = (n + (-0.9) / c + (-1.0) / g + zd / cd) / (1 / c + 1 / g + 1 / cd)
    assert r.mean[-1, 0] == pytest.approx(expected, abs=1e-6)
    assert abs(r.balance_error()[0]) < 1e-9


def test_tile_drains_only_drain():
    free = _steady(None).mean[-1, 0]  # about -0.78 m
    below = _steady(Drains(depth=1.2, resistance=20 * DAY)).mean[-1, 0]  # drains below the water table: active
    above = _steady(Drains(depth=0.3, resistance=20 * DAY)).mean[-1, 0]  # drains above the water table: idle
    assert above == pytest.approx(free, abs=2e-4)  # only the 1 cm smoothing of the kink acts
    assert below < free - 0.05
    # a submerged drain at the same depth as the idle tile drain infiltrates and raises the water table
    sub = _steady(Drains(depth=0.3, resistance=20 * DAY, kind="submerged"), n=0.0).mean[-1, 0]
    assert sub > _steady(None, n=0.0).mean[-1, 0] + 0.1


def test_drains_in_a_case_and_errors():
    d = _case()
    d["parcel"]["drains"] = {"depth": 0.7, "resistance": 20.0, "kind": "submerged"}
    cfg = case_from_dict(d, file="x.toml").config
    assert cfg.parcel.drains == Drains(depth=0.7, resistance=20 * DAY, kind="submerged")
    bad = copy.deepcopy(d)
    bad["parcel"]["drains"]["kind"] = "pipes"
    with pytest.raises(CaseError) as exc:
        case_from_dict(bad, file="x.toml")
    assert exc.value.key == "parcel.drains.kind"
    fe = copy.deepcopy(d)
    fe["groundwater"] = {"model": "fe"}
    with pytest.raises(CaseError) as exc:
        case_from_dict(fe, file="x.toml")
    assert "lumped" in str(exc.value)
