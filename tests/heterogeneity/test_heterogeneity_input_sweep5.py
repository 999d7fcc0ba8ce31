"""Heterogeneity inputs found by a robustness sweep: a swept key the members silently ignore, a
misleading message for a NaN in an interface grid, and a random-field size check that an int64
overflow let through. Loaded or called directly (no run)."""

import copy
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fem"))
from test_fem_input_sweep5 import BASE, FAULT  # noqa: E402

from subsidence.config import case_from_dict  # noqa: E402
from subsidence.config.errors import CaseError  # noqa: E402


def sweep_case(key, values):
    d = copy.deepcopy(BASE)
    d["faults"] = [copy.deepcopy(FAULT)]
    d["heterogeneity"] = {"contour": 0.01}
    d["sweep"] = {"parameters": [{"key": key, "values": values}]}
    return d


@pytest.mark.parametrize("key", ["name", "heterogeneity.contour", "sweep.groups"])
def test_sweeping_a_key_the_members_do_not_have_is_an_error(key):
    # "name": was accepted and silently overwritten (identical members); [heterogeneity]/[sweep]:
    # "a key is not in the case file", though it is (the members are run without them)
    with pytest.raises(CaseError) as exc:
        case_from_dict(sweep_case(key, [1, 2]), file="test.toml")
    assert exc.value.key == "sweep.parameters[0]" and "cannot be swept" in exc.value.reason
    case_from_dict(sweep_case("faults.0.hanging_wall.factor", [0.5, 1.0]), file="test.toml")


def test_nan_in_an_interface_grid_is_named(tmp_path):
    # was "some grid nodes are given twice and others not at all"
    from subsidence.heterogeneity.geometry import SurfaceGridError, read_surface_grid

    f = tmp_path / "top.csv"
    f.write_text("x,y,depth\n0,0,900\n1000,0,900\n0,1000,\n1000,1000,nan\n")
    with pytest.raises(SurfaceGridError) as exc:
        read_surface_grid(f, "depth")
    assert exc.value.column == "depth" and "NaN" in exc.value.reason and "row 3" in exc.value.reason


def test_embedding_size_limit_is_not_bypassed_by_an_overflow():
    # 6e6 points per axis: np.prod overflowed int64 to a negative count, so the limit passed and
    # the embedding was allocated (MemoryError or worse)
    from subsidence.heterogeneity.random_field import FieldError, gaussian_field, grid_axes

    axes = tuple(np.linspace(0.0, 1.0, 3_000_001) for _ in range(3))
    with pytest.raises(FieldError, match="limit"):
        gaussian_field(axes, (1.0, 1.0, 1.0))
    with pytest.raises(FieldError, match="limit"):  # not first allocated as 1e9-point axes
        grid_axes((0.0, 0.0, 0.0), (1.0e4, 1.0e4, 1.0e4), (1e-5, 1e-5, 1e-5))


def test_a_swept_key_the_reference_does_not_follow_is_warned_about():
    """The homogeneous reference runs once, for the base case: a swept reservoir or layer key makes
    the members' diff_* hold that change too; said, while a fault block or body is not."""
    base = "sweep.parameters"
    blocks = case_from_dict(sweep_case("faults.0.hanging_wall.factor", [0.5, 1.0]), file="test.toml")
    assert not any(base in w for w in blocks.warnings)
    res = case_from_dict(sweep_case("reservoirs.0.thickness", [100.0, 200.0]), file="test.toml")
    (w,) = [w for w in res.warnings if base in w]
    assert "reservoirs.0.thickness" in w and "not of the heterogeneity alone" in w


def test_a_negative_array_index_in_a_swept_key_is_an_error():
    # "layers.-1.E" was taken as the last layer, python's way; keys count from 0
    with pytest.raises(CaseError) as exc:
        case_from_dict(sweep_case("layers.-1.E", [1e10, 2e10]), file="test.toml")
    assert exc.value.key == "sweep.parameters" and "index from 0" in exc.value.reason
