"""validation/insar_nieuwolda/forecast_headroom.py: the oracle bound on how much any forecast of the
Nieuwolda parcels can beat the per-parcel statistics. The true signal must beat a trend fitted to
noisy data (it knows the noise-free rate), by an amount that grows with the horizon; a noise-free
world leaves no room at all."""

import datetime as dt
import importlib.util
from pathlib import Path

import numpy as np
import pytest

FILE = Path(__file__).resolve().parents[2] / "validation" / "insar_nieuwolda" / "forecast_headroom.py"


@pytest.fixture(scope="module")
def mod():
    spec = importlib.util.spec_from_file_location("forecast_headroom", FILE)
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    return m


@pytest.fixture(scope="module")
def data(mod):
    return mod.load()


def test_the_truth_beats_the_statistics_and_more_so_further_ahead(mod, data):
    x, y, dates, t, D = data
    assert x.size == 286 and t.size == 158
    one = mod.headroom(x, y, dates, t, D, dt.date(2017, 12, 31), realisations=3)
    two = mod.headroom(x, y, dates, t, D, dt.date(2016, 12, 31), realisations=3)
    for r in (one, two):
        assert r["rmse_mm"]["oracle"] < r["rmse_mm"]["trend + annual"]
        assert r["difference_mm"]["trend + annual"]["p95"] < 0
        assert 2.0 < r["rmse_mm"]["oracle"] < 6.0  # the noise level of these data, a few mm
    gain = lambda r: -r["difference_mm"]["trend + annual"]["median"]  # noqa: E731
    assert gain(two) > gain(one)  # a trend from fewer years drifts further over a longer horizon


def test_without_noise_there_is_no_headroom(mod, data, monkeypatch):
    """A check of the machinery: with (almost) no noise the smooth truth is what trend + annual fits."""
    from subsidence.insar import noise

    x, y, dates, t, D = data
    quiet = noise.NoiseModel(white_var=1e-14, spatial_var=1e-14, spatial_range=1000.0, temporal_var=1e-14,
                             temporal_range=0.2)
    monkeypatch.setattr(noise, "estimate_noise", lambda *a, **k: quiet)
    r = mod.headroom(x, y, dates, t, D, dt.date(2017, 12, 31), realisations=1)
    assert r["rmse_mm"]["oracle"] < 1e-3 and abs(r["difference_mm"]["trend + annual"]["median"]) < 1e-3
    assert np.isfinite(r["rmse_mm"]["linear trend"])
