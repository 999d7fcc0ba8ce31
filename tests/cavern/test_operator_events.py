"""The operator's event logic without a model: which crossings the integrator must locate,
the tolerance it must hit, and the names of the events (docs/caverns.md, "Time stepping")."""

import pytest

from subsidence.cavern.operations import Operator, Phase

HIGH, LOW = 12e6, 11e6
TOL = 1e-3 * (HIGH - LOW)


def cbbo(**kw):
    op = Operator([Phase(0.0, "open"), Phase(1.0, "cbbo", p_high=HIGH, p_low=LOW, **kw)], brine_gradient=0.0,
                  shoe_depth=1.0)
    op.begin_step(1.0, 11.5e6)
    return op


def test_crossing_beyond_the_tolerance_is_reported_with_its_threshold():
    op = cbbo(rate=1.0)
    assert op.activity == "sealed"
    assert op.crossing(11.9e6, HIGH + 0.9 * TOL) is None  # within tolerance: an event, nothing to locate
    assert op.crossing(11.9e6, HIGH + 1.1 * TOL) == (HIGH, pytest.approx(TOL))
    assert op.end_step(HIGH - 0.9 * TOL, 1.0) == "p_high" and op.activity == "bleeding" and op.releases == 1
    assert op.crossing(11.2e6, LOW - 1.1 * TOL) == (LOW, pytest.approx(TOL))
    assert op.crossing(11.2e6, LOW - 0.9 * TOL) is None
    assert op.end_step(LOW + 0.5 * TOL, 1.0) == "p_low" and op.activity == "sealed"
    assert op.end_step(11.5e6, 1.0) == ""


def test_fast_drop_and_periodic_release_events():
    op = cbbo()  # no rate: drop to p_low in one step
    assert op.end_step(HIGH, 1.0) == "p_high" and op.activity == "drop"
    assert op.crossing(HIGH, LOW) is None  # the drop is imposed, nothing to locate
    assert op.end_step(LOW, 1.0) == "drop" and op.activity == "sealed"
    per = Operator([Phase(0.0, "pressure", pressure=10e6), Phase(1.0, "cbbo", interval=2.0, volume=4.0, rate=1.0)],
                   brine_gradient=1.0, shoe_depth=1e6)  # brine-column floor 1 MPa
    per.begin_step(0.0, 10e6)
    assert per.activity == "held" and per.scheduled_at(1.0) == ["phase"]
    per.begin_step(1.0, 10e6)
    assert per.scheduled_at(3.0) == ["release"]
    per.begin_step(3.0, 10e6)
    assert per.activity == "bleeding"
    assert per.crossing(1.5e6, 0.99e6) == (1e6, pytest.approx(1e3))
    assert per.end_step(5e6, 1.0) == ""
    assert per.end_step(5e6, 3.0) == "volume" and per.activity == "sealed"
