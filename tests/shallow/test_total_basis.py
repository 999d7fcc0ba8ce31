"""Water-level rules on the total subsidence (deep + shallow), solved as a fixed point of the
chain: the levels used are the rule applied to the subsidence they produce, and the freeboard
bookkeeping holds (issue 12)."""

import logging
from pathlib import Path

import numpy as np
import pytest
from mpi4py import MPI

from subsidence.config import CaseError, load_case
from subsidence.shallow.chain import run_chain

ROOT = Path(__file__).resolve().parents[2]


def _case(tmp_path, years, management):
    src = (ROOT / "cases" / "shallow_peat_meadow.toml").read_text(encoding="utf-8").replace('"../', f'"{ROOT.as_posix()}/')
    src = src.replace("years = 30", f"years = {years}", 1)
    i, j = src.index("[water_management]"), src.index("[output]")
    src = src[:i] + "[water_management]\n" + management + "\n\n" + src[j:]
    f = tmp_path / "case.toml"
    f.write_text(src, encoding="utf-8")
    return load_case(f).config


@pytest.mark.serial
def test_a_threshold_rule_on_total_subsidence_keeps_the_freeboard(tmp_path, caplog):
    """The ditch follows the parcel's own (shallow: no deep) subsidence whenever 2 cm of freeboard
    are lost: the loss never exceeds 2 cm plus one day's settlement, and the levels are the rule
    applied to the settlement they cause."""
    cfg = _case(tmp_path, 8, 'initial_level = -0.6\nrule = "fraction"\nfraction = 1.0\nthreshold = 0.02\n'
                             'reference = "own"\nbasis = "total"')
    with caplog.at_level(logging.INFO, logger="subsidence"):
        r = run_chain(cfg, MPI.COMM_SELF)
    s = r.shallow[:, 0]
    lost = s + r.level_change[:, 0]  # settlement not yet followed by the ditch (level_change < 0: lowered)
    assert r.level_change[-1, 0] < -0.04  # it was lowered several times
    # freeboard lost (or gained, the peat swells in wet winters) since the last decision: at most the
    # threshold plus two days of motion (the decision sees the day before)
    assert np.abs(lost).max() <= 0.02 + 2 * np.abs(np.diff(s)).max() + 1e-12
    known = np.concatenate([s[:1], s[:-1]])
    np.testing.assert_array_equal(r.level_change, cfg.management.rule.lowering(r.times, -known[:, None]))
    assert any("pass(es) of the chain" in m for m in caplog.messages)


@pytest.mark.serial
def test_total_basis_lowers_more_than_the_deep_basis_and_point_reference_is_refused(tmp_path):
    mg = 'initial_level = -0.6\nrule = "fraction"\nfraction = 1.0\ninterval = 2\nreference = "own"\n'
    deep = run_chain(_case(tmp_path, 6, mg + 'basis = "deep"'), MPI.COMM_SELF)
    total = run_chain(_case(tmp_path, 6, mg + 'basis = "total"'), MPI.COMM_SELF)
    assert np.all(deep.level_change == 0)  # a shallow case has no deep subsidence to follow
    assert total.level_change[-1, 0] < -0.01 and total.shallow[-1, 0] > deep.shallow[-1, 0]
    # the counterfactual follows its own settlement too: no deep subsidence, so the run is its counterfactual
    np.testing.assert_allclose(total.extra, 0.0, atol=1e-12)
    with pytest.raises(CaseError) as exc:
        _case(tmp_path, 6, mg.replace('"own"', '"point"') + 'reference_point = [0.0, 0.0]\nbasis = "total"')
    assert exc.value.key == "water_management.basis"
