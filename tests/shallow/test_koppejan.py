"""Koppejan's compression law in the soil column: hand calculations of a drained load step,
unloading, the superposition of load steps, consolidation and the case-file table."""

import copy

import numpy as np
import pytest

from subsidence.config import CaseError, case_from_dict
from subsidence.shallow.column import Column, ColumnLayer, Koppejan
from subsidence.shallow.column.compression import koppejan_strain

DAY = 86400.0
LAW = dict(Cp=20.0, Cs=80.0, Cp_prime=60.0, Cs_prime=240.0)
H0 = 0.05


def _drained(ocr, times, load):
    """A thin dry layer (no pore pressure) of negligible weight under the surcharge ``load``;
    linear strain ΔH/H₀."""
    col = Column([ColumnLayer("clay", H0, 1e-4, 1e-9, 1e-9, Koppejan(**LAW), ocr=ocr, max_cell=H0)])
    hist = col.run(times, phreatic=np.full(times.size, -1.0), surcharge=load)
    return hist.settlement[:, 0] / H0


def test_load_step_hand_values_above_and_below_preconsolidation():
    """σ'₀ = 20 kPa, σ'ₚ = 30 kPa (OCR 1.5), t₀ = 1 day.
    Above σ'ₚ, to 40 kPa: primary ln(30/20)/60 + ln(40/30)/20 = 0.0067578 + 0.0143841 = 0.0211419;
    secular per decade ln(30/20)/240 + ln(40/30)/80 = 0.0016894 + 0.0035960 = 0.0052855;
    after 1000 days (log10(1001) = 3.000434): 0.0211419 + 0.0158586 = 0.0370005.
    Below σ'ₚ, to 25 kPa: ln(1.25)/60 = 0.0037191 and ln(1.25)/240 = 0.00092977 per decade;
    after 1000 days 0.0037191 + 0.0027897 = 0.0065088; after 10 days (log10 11 = 1.041393)
    0.0037191 + 0.00096826 = 0.0046873."""
    days = np.array([1.0, 10.0, 100.0, 1000.0])
    for ocr, s1, hand in ((1.5, 40e3, {1000.0: 0.0370005}), (1.5, 25e3, {10.0: 0.0046873, 1000.0: 0.0065088})):
        ref = koppejan_strain(days * DAY, sigma0=20e3, sigma1=s1, sigma_p=30e3, **LAW)
        for d, v in hand.items():
            assert ref[list(days).index(d)] == pytest.approx(v, abs=2e-7)
        # one step to each output time, and daily steps: the same strain (the law is exact for a step load)
        for t in (np.concatenate([[0.0], days * DAY]), np.arange(0.0, 1001.0) * DAY):
            q = np.full(t.size, s1)
            q[0] = 20e3
            eps = _drained(ocr, t, q)
            at = np.searchsorted(t, days * DAY)
            assert eps[at] == pytest.approx(ref, rel=1e-9)
    # the primary part alone at the step: the secular term is log10(1 + t/t0) -> 0
    t = np.array([0.0, 1.0])
    assert _drained(1.5, t, np.array([20e3, 40e3]))[1] == pytest.approx(0.0211419, abs=2e-7)


def test_unloading_recovers_along_cp_prime_without_new_secular_strain():
    """Loaded 20 → 40 kPa (σ'ₚ 30), unloaded to 30 kPa at day 100 and reloaded to 40 kPa at day 200:
    the unloading recovers ln(40/30)/C'p at once and the secular strain goes on as that of the first
    load step only (a cycle below the largest stress reached adds none)."""
    t = np.arange(0.0, 401.0) * DAY
    q = np.where(t < 100 * DAY, 40e3, np.where(t < 200 * DAY, 30e3, 40e3))
    q[0] = 20e3
    eps = _drained(1.5, t, q)
    first = koppejan_strain(t, sigma0=20e3, sigma1=40e3, sigma_p=30e3, **LAW)
    back = np.log(40 / 30) / LAW["Cp_prime"]
    # the stress changes at the start of the step that ends at day 100 (day 99)
    assert eps[150] == pytest.approx(first[150] - back, rel=1e-9)
    assert eps[400] == pytest.approx(first[400], rel=1e-9)


def test_load_history_follows_koppejans_superposition():
    """A ramp 20 → 40 kPa over 300 days with a seasonal ±3 kPa, σ'ₚ = 25 kPa, 3000 daily steps:
    against the superposition of every step's secular term k_i log10(1 + (t − t_i)/t₀) (k_i of the
    rise of the largest stress reached in step i, from the start of the step), computed here
    independently; the bounded slots (16) keep the strain within 0.3 % of it."""
    t = np.arange(0.0, 3001.0) * DAY
    q = 20e3 + 20e3 * np.minimum(t / (300 * DAY), 1.0) + 3e3 * np.sin(2 * np.pi * t / (365.25 * DAY))
    eps = _drained(1.25, t, q)
    sp, smax, sig = 25e3, 20e3, 20e3
    prim = np.zeros(t.size)
    ks = np.zeros(t.size - 1)
    for i in range(1, t.size):
        s = q[i]
        prim[i] = prim[i - 1] + np.log(min(s, sp) / sig) / LAW["Cp_prime"] + np.log(max(s, sp) / sp) / LAW["Cp"]
        m = max(s, smax)
        ks[i - 1] = np.log(min(m, sp) / min(smax, sp)) / LAW["Cs_prime"] + np.log(max(m, sp) / max(smax, sp)) / LAW["Cs"]
        sp, smax, sig = max(sp, s), m, s
    sup = np.array([prim[i] + (ks[:i] * np.log10(1 + (t[i] - t[:i]) / DAY)).sum() for i in range(t.size)])
    assert np.abs(eps - sup).max() < 0.003 * sup.max()
    assert eps[-1] == pytest.approx(sup[-1], rel=0.003)


def test_consolidating_layer_approaches_the_drained_column():
    """A saturated, slowly draining Koppejan layer (consolidation time H²/c_v of about 150 days)
    under a 20 kPa surcharge against the same column drained (k × 10⁶): Newton converges (also
    where the top cells' effective stress passes through nearly zero), the settlement grows
    monotonically, lags the drained one while the excess pore pressure lasts and, after 80 years,
    is within 3 % below it (the secular terms start as the effective stress rises)."""
    t = np.concatenate([[0.0], np.geomspace(60.0, 3e4 * DAY, 300)])
    q = np.full(t.size, 20e3)
    q[0] = 0.0
    out = {}
    for k in (1e-9, 1e-3):
        col = Column([ColumnLayer("clay", 0.5, k, 15000.0, 15000.0, Koppejan(**LAW), ocr=1.0, max_cell=0.02)])
        out[k] = col.run(t, phreatic=np.full(t.size, 0.5), surcharge=q).settlement[:, 0]
    s, drained = out[1e-9], out[1e-3]
    assert np.all(np.diff(s) >= -1e-12)
    i = np.searchsorted(t, 30 * DAY)
    assert s[i] < 0.8 * drained[i]
    assert drained[-1] * 0.97 < s[-1] <= drained[-1]


def test_case_file_koppejan_table():
    from tests.shallow.test_chain import _case

    d = _case()
    d["soil"]["layers"][0]["compression"] = {"law": "koppejan", "Cp": 20, "Cs": 80, "Cp_prime": 60, "Cs_prime": 240}
    cfg = case_from_dict(copy.deepcopy(d), file="x.toml").config
    assert cfg.layers[0].compression == Koppejan(20.0, 80.0, 60.0, 240.0)
    d["soil"]["layers"][0]["compression"].pop("Cs_prime")
    with pytest.raises(CaseError) as err:
        case_from_dict(copy.deepcopy(d), file="x.toml")
    assert "soil.layers[0].compression.Cs_prime" in str(err.value)
    d["soil"]["layers"][0]["compression"].update(Cs_prime=-1.0)
    with pytest.raises(CaseError) as err:
        case_from_dict(d, file="x.toml")
    assert "Cs_prime" in str(err.value)


def test_koppejan_layers_in_a_chain_run():
    """Clay and peat with Koppejan's law under four years of daily KNMI weather (the water table
    crossing the layers, top cells at nearly zero effective stress): the run converges, and a
    ditch lowered by 0.3 m after a year compacts the soil more than the unlowered counterfactual,
    the difference growing after the lowering (secular strain of the new load)."""
    from mpi4py import MPI

    from subsidence.shallow.chain import run_chain
    from tests.shallow.test_chain import _case

    d = _case(start_date="2015-01-01", time={"end": "2018-12-31", "spinup_years": 1},
              water_management={"initial_level": -0.9, "rule": "series", "series": {"time": [1.0], "change": [-0.3]}})
    d["soil"]["layers"][0]["compression"] = {"law": "koppejan", "Cp": 40, "Cs": 300, "Cp_prime": 120, "Cs_prime": 900}
    d["soil"]["layers"][1]["compression"] = {"law": "koppejan", "Cp": 12, "Cs": 60, "Cp_prime": 40, "Cs_prime": 200}
    r = run_chain(case_from_dict(d, file="x.toml").config, MPI.COMM_SELF)
    extra = r.extra[:, 0]
    i1, i2, i3 = 400, 800, len(extra) - 1  # days after the start: the lowering is at day 365
    assert abs(extra[300]) < 1e-4
    assert 0.0 < extra[i1] < extra[i2] < extra[i3]
    assert np.all(np.isfinite(r.shallow))
