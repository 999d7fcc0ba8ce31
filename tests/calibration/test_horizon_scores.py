"""Out-of-sample scores per forecast horizon (``subsidence.calibration.scores.by_horizon``)."""

import numpy as np
import pytest

from subsidence.calibration.scores import by_horizon, score


def _setup():
    t = np.arange(0, 4.9, 12 / 365.25)  # 12-day epochs over 4.9 years
    cal = t <= 2.0
    rng = np.random.default_rng(3)
    D = -4e-3 * t[None] + 1e-3 * rng.standard_normal((20, t.size))
    return t, cal, D


def test_bins_partition_the_held_out_epochs_and_drift_grows_with_lead():
    t, cal, D = _setup()
    truth = -4e-3 * t[None] * np.ones((20, 1))
    drift = truth + 2e-3 * np.clip(t - t[cal][-1], 0, None)[None]  # wrong rate after the last calibration epoch
    rows = by_horizon(D, t, cal, {"truth": truth, "drifting": drift})
    assert [r["lead_from_yr"] for r in rows] == [0.0, 0.5, 1.0, 2.0]  # 3 yr held out: bins to 3 yr, empty ones left out
    assert rows[-1]["lead_to_yr"] == 3.0
    assert sum(r["epochs"] for r in rows) == int((~cal).sum())
    for r in rows:  # a correct model scores the noise, whatever the horizon
        assert r["scores"]["truth"]["rmse_m"] == pytest.approx(1e-3, rel=0.15)
    d = [r["scores"]["drifting"]["rmse_m"] for r in rows]
    assert all(b > a for a, b in zip(d, d[1:]))
    # each bin's score is that of its own epochs
    lead = t - t[cal][-1]
    sel = ~cal & (lead > 1.0) & (lead <= 2.0)
    assert rows[2]["scores"]["drifting"] == score(D, drift, t, sel)


def test_ensembles_get_coverage_and_nothing_is_held_out():
    t, cal, D = _setup()
    ens = np.broadcast_to(-4e-3 * t, (30, 20, t.size)).copy()
    rows = by_horizon(D, t, cal, {}, ensembles={"ens": ens}, noise_sd=1e-3, rng=np.random.default_rng(0))
    assert all(0.7 < r["scores"]["ens"]["coverage_p10_p90"] < 0.9 for r in rows)
    assert by_horizon(D, t, np.ones(t.size, bool), {"x": D}) == []


def test_report_table_shows_the_bias_growing_with_the_horizon():
    """The report's horizon table gives each RMSE with its bias: the drifting model's bias grows."""
    from subsidence.calibration.report import horizon_table

    t, cal, D = _setup()
    drift = -4e-3 * t[None] * np.ones((20, 1)) + 2e-3 * np.clip(t - t[cal][-1], 0, None)[None]
    rows = by_horizon(D, t, cal, {"drifting": drift})
    b = [r["scores"]["drifting"]["bias_m"] for r in rows]
    assert all(y < x < 0 for x, y in zip(b, b[1:]))  # observed − predicted: more negative with lead
    html = horizon_table(rows)
    for r in rows:
        sc = r["scores"]["drifting"]
        assert f"{sc['rmse_m'] * 1e3:.2f} ({sc['bias_m'] * 1e3:+.2f})" in html
    assert horizon_table([]) == ""
