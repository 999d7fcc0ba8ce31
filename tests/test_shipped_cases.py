"""Every case file shipped in ``cases/`` loads and passes the case checks; a calibration table
resolves every parameter path and builds the case at the prior medians (what ``calibrate`` does
before it runs anything), so a shipped case cannot break silently when the format grows."""

from pathlib import Path

import pytest

from subsidence.config import load_case

CASES = sorted((Path(__file__).resolve().parents[1] / "cases").glob("*.toml"))


@pytest.mark.parametrize("path", CASES, ids=[p.name for p in CASES])
def test_shipped_case_loads(path):
    case = load_case(path)
    assert case.name
    if case.calibration is not None:
        from subsidence.calibration.paths import Resolver

        r = Resolver(case)
        params = [p for p in case.calibration.parameters if not p.observation]  # observation.*: not case-file keys
        targets = [r.resolve(p.path, where=(str(case.file), p.key)) for p in params]
        built = r.build([(t, p.case_value(p.prior.from_z(0.0))) for t, p in zip(targets, params)])
        assert built.kind == case.kind


def test_there_are_shipped_cases():
    assert len(CASES) >= 10
