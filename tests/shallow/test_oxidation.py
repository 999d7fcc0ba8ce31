"""Oxidation: a KNMI temperature series, the moisture dependence (air-filled pores of a van
Genuchten profile), the minimum organic fraction; against independent calculations."""

import copy

import numpy as np
import pytest
from scipy.integrate import quad

from subsidence.config import CaseError, case_from_dict
from subsidence.physics.retention import VanGenuchten
from subsidence.shallow.column import Column, ColumnLayer, LinearCompression, PeatOxidation
from subsidence.shallow.forcing import read_temperature

DAY = 86400.0


def _peat(thickness, ox, max_cell=0.05):
    return ColumnLayer("peat", thickness, 1e-3, 10500.0, 10000.0, LinearCompression(0.0), oxidation=ox, max_cell=max_cell)


def test_temperature_series_drives_the_rate():
    """A 2 m peat layer above the water table oxidises its top 0.6 m (the oxidation depth) every
    day at α exp(0.127 (T − 12.27)): the loss is the sum over the days of the series, by hand."""
    alpha, rho, fv = 0.02, 150.0, 0.9
    temp = 10.0 + 8.0 * np.sin(np.arange(200) / 9.0) + np.linspace(-3, 3, 200)
    col = Column([_peat(2.0, PeatOxidation(alpha, rho, fv))], oxidation_depth=0.6)
    t = np.arange(201) * DAY
    hist = col.run(t, phreatic=np.full(t.size, -1.0), temperature=np.concatenate([[temp[0]], temp]))
    hand = np.cumsum(alpha * np.exp(0.127 * (temp - 12.27)) * 0.6 / rho * fv)
    assert hist.oxidation[1:, 0] == pytest.approx(hand, rel=1e-12)
    assert hist.co2[-1, 0] == pytest.approx(hand[-1] / fv * rho * 0.58 * 44 / 12, rel=1e-12)


def test_moisture_dependent_rate_against_quadrature():
    """Water table 0.5 m below the top of a peat layer with a van Genuchten curve: the rate is
    α ∫₀^ψtop a(ψ) dψ with a = (θs − θ(ψ))/(θs − θr), integrated here by quadrature day by day
    as the surface comes down (within 1e-6: the 1 mm table); much less than the dry rate α·0.5 m."""
    vg = VanGenuchten(theta_s=0.85, theta_r=0.1, alpha=1.2, n=1.3)
    alpha, rho = 0.05, 150.0
    col = Column([_peat(1.0, PeatOxidation(alpha, rho, moisture=vg), max_cell=0.07)], oxidation_depth=2.0)
    t = np.arange(31) * DAY
    hp = 0.5
    hist = col.run(t, phreatic=np.full(t.size, hp), temperature=np.full(t.size, 12.27))
    a = lambda psi: (vg.theta_s - vg.theta(psi)) / (vg.theta_s - vg.theta_r)  # noqa: E731
    top, total, ref = 1.0, 0.0, []
    for _ in range(30):
        aerated = quad(a, 0.0, top - hp, epsabs=0, epsrel=1e-12)[0]
        dh = alpha * aerated / rho
        total += dh
        top -= dh
        ref.append(total)
    assert hist.oxidation[1:, 0] == pytest.approx(np.array(ref), rel=1e-6)
    assert ref[0] < 0.5 * alpha * 0.5 / rho  # the wet part oxidises little
    # the same layer without the moisture dependence: the full rate over the 0.5 m above the water
    dry = Column([_peat(1.0, PeatOxidation(alpha, rho), max_cell=0.07)], oxidation_depth=2.0)
    h2 = dry.run(t[:2], phreatic=np.full(2, hp), temperature=np.full(2, 12.27))
    assert h2.oxidation[1, 0] == pytest.approx(alpha * 0.5 / rho, rel=1e-12)


def test_minimum_organic_fraction_stops_oxidation():
    """Organic 150 kg/m³ and mineral 300 kg/m³ per bulk volume (organic fraction 1/3); with a
    minimum fraction of 0.1 the organic mass can fall to 300·0.1/0.9 = 33.33 kg/m³, so 116.67
    kg/m³ of a 0.1 m layer (11.667 kg/m²) oxidises and the layer thins by 11.667/150 × 0.4 m."""
    ox = PeatOxidation(10.0, 150.0, 0.4, minimum_organic_fraction=0.1, mineral_density=300.0)
    col = Column([_peat(0.1, ox, max_cell=0.1)], oxidation_depth=1.0)
    t = np.arange(40) * DAY
    hist = col.run(t, phreatic=np.full(t.size, -1.0), temperature=np.full(t.size, 12.27))
    lost = 0.1 * (150.0 - 300.0 * 0.1 / 0.9)
    assert hist.oxidation[-1, 0] == pytest.approx(lost / 150.0 * 0.4, rel=1e-12)
    assert hist.co2[-1, 0] == pytest.approx(lost * 0.58 * 44 / 12, rel=1e-12)
    assert hist.oxidation[-1, 0] == hist.oxidation[-5, 0]  # stopped
    with pytest.raises(ValueError, match="mineral_density"):
        PeatOxidation(1.0, 150.0, minimum_organic_fraction=0.1)


def _knmi_tg(path, start, values):
    days = np.datetime64(start) + np.arange(len(values))
    lines = ["# STN,YYYYMMDD,   TG,   RH"]
    lines += [f"  280,{str(d).replace('-', '')},{int(round(v * 10)):5d},    0" for d, v in zip(days, values)]
    path.write_text("\n".join(lines) + "\n")


def test_case_file_temperature_series_and_moisture(tmp_path):
    from subsidence.run import run_case
    from tests.shallow.test_chain import _case

    temp = 9.0 + 9.0 * np.cos(2 * np.pi * (np.arange(366) - 200) / 365.25)
    _knmi_tg(tmp_path / "etmgeg_280.txt", "2017-01-01", temp)
    assert read_temperature(tmp_path / "etmgeg_280.txt").values == pytest.approx(np.round(temp, 1), abs=1e-12)
    d = _case()
    d["forcing"]["temperature"] = str(tmp_path / "etmgeg_280.txt")
    cfg = case_from_dict(copy.deepcopy(d), file=tmp_path / "c.toml").config
    dates = np.arange(np.datetime64("2017-01-01"), np.datetime64("2018-01-02"))
    assert cfg.forcing.soil_temperature(dates)[:366] == pytest.approx(np.round(temp, 1), abs=1e-12)
    # warmer than the default cosine (10.5 ± 7) in summer: more oxidation than the same case without the file
    s_file = run_case(case_from_dict(copy.deepcopy(d), file=tmp_path / "c.toml"), tmp_path / "a")
    d2 = copy.deepcopy(d)
    d2["forcing"]["temperature"] = {"mean": 9.0, "amplitude": 0.0}
    s_const = run_case(case_from_dict(d2, file=tmp_path / "c.toml"), tmp_path / "b")
    assert s_file["oxidation_m_mean"] > 1.05 * s_const["oxidation_m_mean"]
    # the series must cover the run (the end date included)
    _knmi_tg(tmp_path / "short.txt", "2017-01-01", temp[:200])
    d["forcing"]["temperature"] = str(tmp_path / "short.txt")
    with pytest.raises(CaseError) as err:
        case_from_dict(copy.deepcopy(d), file=tmp_path / "c.toml")
    assert "forcing.temperature" in str(err.value)
    # air-filled moisture dependence needs a retention curve
    d = _case()
    d["soil"]["layers"][1]["oxidation"]["moisture"] = "air-filled"
    with pytest.raises(CaseError) as err:
        case_from_dict(copy.deepcopy(d), file=tmp_path / "c.toml")
    assert "soil.layers[1].oxidation.moisture" in str(err.value)
    layer = d["soil"]["layers"][1]
    layer.pop("specific_yield")
    layer["retention"] = {"model": "van-genuchten", "theta_s": 0.85, "theta_r": 0.1, "alpha": 1.2, "n": 1.3}
    lay = case_from_dict(copy.deepcopy(d), file=tmp_path / "c.toml").config.layers[1]
    assert lay.oxidation.moisture == VanGenuchten(0.85, 0.1, 1.2, 1.3)
