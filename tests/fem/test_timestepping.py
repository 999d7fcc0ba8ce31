"""Step schedule of the Biot runs: every knot is hit, no step exceeds the maximum."""

import numpy as np

from subsidence.solvers.timestepping import step_times


def test_steps_hit_all_knots_and_respect_the_maximum():
    s = step_times([5.0, 10.0, 3.0, 10.0], max_step=2.0)
    assert np.all(np.isin([3.0, 5.0, 10.0], s))
    assert np.all(np.diff(np.r_[0.0, s]) <= 2.0 + 1e-12) and np.all(np.diff(s) > 0)
    assert s[-1] == 10.0 and len(s) == 6
