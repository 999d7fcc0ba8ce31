"""Case-file keys of the creep laws: pressure solution, a second mechanism, Munson–Dawson."""

import copy

import pytest

from subsidence.cavern.material import WIPP_CLEAN_SALT
from subsidence.config import case_from_dict
from subsidence.config.errors import CaseError

from cavern_helpers import BASE

WIPP = {"K0": 6.275e5, "c": "0.009198 1/K", "m": 3.0, "mu": "12.4 GPa", "alpha_w": -17.37, "beta_w": -7.738, "delta": 0.58}


def salt_law(**creep):
    d = copy.deepcopy(BASE)
    d["layers"][1]["creep"] = creep
    d["operation"] = [{"mode": "open"}]
    return case_from_dict(d, file="test.toml").config.layers[1].law


def error(**creep) -> CaseError:
    with pytest.raises(CaseError) as exc:
        salt_law(**creep)
    assert exc.value.file == "test.toml"
    return exc.value


def test_pressure_solution_units():
    """Spiers' constant as usually quoted (K mm³ MPa⁻¹ s⁻¹) is converted to SI."""
    law = salt_law(A="0.18 1/d", pressure_solution={"A": "4.7e-4 K*mm^3/(MPa*s)", "Q": "24.53 kJ/mol", "grain_size": "5 mm"})
    assert law.ps_A / 4.7e-19 == pytest.approx(1.0, rel=1e-12)  # (a ratio: 4.7e-19 is below approx's abs tolerance)
    assert law.ps_Q == pytest.approx(24530.0) and law.grain_size == pytest.approx(5e-3)


def test_pressure_solution_alone_is_salt():
    """A layer creeping only by pressure solution counts as salt (A = 0 is allowed)."""
    law = salt_law(A=0, pressure_solution={"A": 4.7e-19, "grain_size": 0.005})
    assert law.steady and law.A == 0


def test_munson_dawson_wipp_set():
    law = salt_law(A="8.386e22 1/s", n=5.5, Q="25 kcal/mol", sigma_ref="12.4 GPa",
                   second_mechanism={"A": "9.672e12 1/s", "n": 5.0, "Q": "10 kcal/mol", "sigma_ref": "12.4 GPa"},
                   munson_dawson=WIPP)
    for k, v in WIPP_CLEAN_SALT.items():
        assert getattr(law, k) == pytest.approx(v, rel=1e-9), k


def test_bad_creep_tables():
    e = error(A="0.18 1/d", kelvin_shear_modulus="20 GPa", kelvin_viscosity="5e16 Pa*s", munson_dawson=WIPP)
    assert e.key.endswith("munson_dawson.K0") and "one transient" in e.reason
    e = error(A=0, munson_dawson=WIPP)
    assert "steady creep rate" in e.reason
    e = error(A="0.18 1/d", pressure_solution={"A": 4.7e-19})
    assert e.key.endswith("pressure_solution.grain_size")
    e = error(A="0.18 1/d", pressure_solution={"A": "4.7e-19 1/s", "grain_size": 0.005})
    assert e.key.endswith("pressure_solution.A")
    e = error(A="0.18 1/d", munson_dawson={**WIPP, "dleta": 0.5})
    assert "dleta" in e.key or "dleta" in e.reason
