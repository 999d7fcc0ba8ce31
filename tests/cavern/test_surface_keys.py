"""Case-file key of the surface reference state."""

import copy

import pytest

from subsidence.config import case_from_dict
from subsidence.config.errors import CaseError

from cavern_helpers import BASE


def _cfg(**surface):
    d = copy.deepcopy(BASE)
    d["operation"] = [{"mode": "open"}]
    d["surface"] = {**d.get("surface", {}), **surface}
    return case_from_dict(d, file="test.toml").config


def test_surface_reference_default_and_choices():
    assert _cfg().surface_reference == "cavern"  # zero at t = 0
    assert _cfg(reference="excavation").surface_reference == "excavation"
    with pytest.raises(CaseError) as exc:
        _cfg(reference="leaching")
    assert exc.value.key == "surface.reference"
