"""Case files, water-management rules, forcing readers and the chain end to end (no FE)."""

import copy
import csv
import dataclasses
import json

import numpy as np
import pytest

from subsidence.config import CaseError, case_from_dict
from subsidence.shallow.forcing import ForcingError, read_evaporation, read_precipitation
from subsidence.shallow.water_management import FractionRule, NoManagement, PrescribedLevels, seasonal_offset
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "validation" / "data" / "nieuwolda"

YEAR = 365.25 * 86400.0

BASE = {
    "name": "t", "kind": "shallow", "start_date": "2017-01-01",
    "time": {"end": "2018-01-01", "spinup_years": 1},
    "forcing": {"precipitation": str(DATA / "neerslaggeg_NIEUWOLDA_172.csv"),
                "evaporation": str(DATA / "NBeerta_evapotransp20152020.csv")},
    "parcel": {"spacing": 50.0, "ditch_depth": 1.5, "aquifer_head": -1.0, "aquitard_resistance": 400.0},
    "soil": {"layers": [
        {"name": "clay", "thickness": 1.0, "kh": 0.1, "specific_yield": 0.05, "gamma_sat": 17.0, "gamma_unsat": 15.5,
         "compression": {"law": "isotache", "a": 0.01, "b": 0.1, "c": 0.004}, "ocr": 2.5},
        {"name": "peat", "thickness": 1.0, "kh": 0.3, "specific_yield": 0.12, "gamma_sat": 10.5, "gamma_unsat": 10.0,
         "compression": {"law": "isotache", "a": 0.04, "b": 0.3, "c": 0.02}, "ocr": 2.0,
         "oxidation": {"alpha": 0.008, "organic_density": 140.0}},
        {"name": "sand", "thickness": 4.0, "kh": 10.0, "specific_yield": 0.2, "gamma_sat": 20.0,
         "compression": {"law": "linear", "mv": "2e-8 1/Pa"}, "max_cell": 0.5}]},
    "groundwater": {"model": "lumped", "lumped_resistances": "ernst"},
    "water_management": {"initial_level": -0.9, "rule": "none"},
}


def _case(**over):
    d = copy.deepcopy(BASE)
    for k, v in over.items():
        if v is None:
            d.pop(k, None)
        else:
            d[k] = v
    return d


# -- readers and rules -------------------------------------------------------------------------
def test_knmi_readers():
    p = read_precipitation(DATA / "neerslaggeg_NIEUWOLDA_172.csv")
    e = read_evaporation(DATA / "NBeerta_evapotransp20152020.csv")  # mixes MM/DD/YY and MM/DD/YYYY
    s, t = np.datetime64("2018-01-01"), np.datetime64("2019-01-01")
    assert p.window(s, t).sum() * 86400 * 1e3 == pytest.approx(708.4, abs=0.05)  # sum of RD/10 in the file
    assert e.window(s, t).sum() * 86400 * 1e3 == pytest.approx(668.0, abs=0.05)
    assert e.dates[0] == np.datetime64("2014-08-01") and e.dates[-1] == np.datetime64("2019-12-31")


def test_missing_days_are_an_error(tmp_path):
    f = tmp_path / "p.csv"
    f.write_text("STN,YYYYMMDD,   RD,   SX\n172,20200101,10,0\n172,20200103,20,0\n")
    with pytest.raises(ForcingError, match="missing"):
        read_precipitation(f)
    assert read_precipitation(f, fill="zero").values[1] == 0.0


def test_fraction_rule_steps_and_threshold():
    t = np.arange(0, 11) * YEAR
    uz = -0.01 * np.arange(11.0)  # 1 cm/yr
    assert FractionRule(fraction=1.0).lowering(t, uz) == pytest.approx(uz)
    stepped = FractionRule(fraction=0.5, interval=5 * YEAR).lowering(t, uz)
    assert stepped == pytest.approx([0, 0, 0, 0, 0, -0.025, -0.025, -0.025, -0.025, -0.025, -0.05])
    thr = FractionRule(fraction=1.0, threshold=0.03).lowering(t, uz)
    assert thr == pytest.approx([0, 0, 0, -0.03, -0.03, -0.03, -0.06, -0.06, -0.06, -0.09, -0.09])
    assert NoManagement().lowering(t, uz) == pytest.approx(0 * uz)
    pres = PrescribedLevels(times=np.array([2.5 * YEAR]), changes=np.array([-0.2])).lowering(t, uz)
    assert pres == pytest.approx([0, 0, 0] + [-0.2] * 8)
    d = np.array(["2017-03-31", "2017-04-01", "2017-09-30", "2017-10-01"], dtype="datetime64[D]")
    assert seasonal_offset(d, summer_offset=0.1) == pytest.approx([0, 0.1, 0.1, 0])


# -- case-file errors ---------------------------------------------------------------------------
@pytest.mark.parametrize("mutate, key", [
    (lambda d: d["parcel"].update(ditch_depth=9.0), "parcel.ditch_depth"),
    (lambda d: d["parcel"].pop("aquitard_resistance"), "parcel.aquitard_resistance"),
    (lambda d: d["soil"]["layers"][0].update(colour="grey"), "soil.layers[0].colour"),
    (lambda d: d["soil"]["layers"][1]["compression"].update(a=0.5), "soil.layers[1].compression"),
    (lambda d: d["water_management"].update(initial_level=-3.0), "water_management.initial_level"),
    (lambda d: d["time"].update(end="2030-01-01"), "forcing.beyond"),
    (lambda d: d.update(deep={"source": "none"}), "deep"),
    (lambda d: d["forcing"].update(precipitation="nope.csv"), "forcing.precipitation"),
])
def test_bad_input_names_the_key(mutate, key):
    d = _case()
    mutate(d)
    with pytest.raises(CaseError) as err:
        case_from_dict(d, file="x.toml")
    assert key in str(err.value)


# -- the chain ----------------------------------------------------------------------------------
def test_shallow_run_writes_the_contract(tmp_path):
    from subsidence.run import run_case

    d = _case(water_management={"initial_level": -0.9, "rule": "series", "series": {"time": [0.25], "change": [-0.3]}})
    summary = run_case(case_from_dict(d, file=tmp_path / "c.toml"), tmp_path / "out")
    out = tmp_path / "out"
    for f in ("points.csv", "timeseries.csv", "timeseries.png", "glg_ghg.csv", "summary.json", "manifest.json"):
        assert (out / f).exists(), f
    rows = list(csv.DictReader(open(out / "points.csv")))
    assert rows[0].keys() >= {"name", "x", "y", "time", "ux", "uy", "uz"}
    assert len(rows) == 366
    # lowering the ditch by 30 cm from April on: lower groundwater, more settlement than the counterfactual
    assert summary["extra_shallow_settlement_m"]["max"] > 0.001
    ts = list(csv.DictReader(open(out / "timeseries.csv")))
    gw, ref = float(ts[300]["groundwater_mean_m"]), float(ts[300]["groundwater_counterfactual_m"])
    assert gw < ref - 0.05
    assert abs(summary["groundwater_mass_balance_rel_error"]) < 1e-6
    assert json.loads((out / "summary.json").read_text())["kind"] == "shallow"


def test_coupled_run_with_deep_series(tmp_path):
    """Two parcels in one water-level area that lowers the ditch by the *mean* subsidence:
    the parcel that subsides less than the mean is over-drained (positive extra settlement),
    the other comes out wetter (negative extra); a third parcel has an area of its own."""
    from subsidence.run import run_case

    series = tmp_path / "deep.csv"
    series.write_text("time,a,b,c\n0,0,0,0\n1,-0.02,-0.10,-0.05\n")
    d = _case(kind="coupled", deep={"source": "series", "file": str(series)},
              points={"name": ["a", "b", "c"], "x": [0.0, 100.0, 5000.0], "y": [0.0, 0.0, 0.0], "area": ["A", "A", "B"]},
              water_management={"initial_level": -0.9, "rule": "fraction", "fraction": 1.0, "reference": "mean"},
              output={"plots": False})
    d["crs"] = "EPSG:28992"
    summary = run_case(case_from_dict(d, file=tmp_path / "c.toml"), tmp_path / "out")
    rows = list(csv.DictReader(open(tmp_path / "out" / "chain_points.csv")))
    last = {r["name"]: r for r in rows if r["date"] == "2018-01-01"}
    assert float(last["a"]["deep_uz_m"]) == pytest.approx(-0.02, abs=2e-4)
    assert float(last["a"]["extra_shallow_m"]) > 0 > float(last["b"]["extra_shallow_m"])
    # c is alone in its area and the level follows it continuously: nothing changes in the land frame
    assert float(last["c"]["extra_shallow_m"]) == pytest.approx(0.0, abs=1e-9)
    total = float(last["a"]["total_uz_m"])
    assert total == pytest.approx(float(last["a"]["deep_uz_m"]) - float(last["a"]["shallow_settlement_m"]))
    assert summary["n_points"] == 3
    assert set(summary["points"]) == {"a", "b", "c"}  # final displacement per point (few points)


def test_deep_case_source_is_relative_to_the_chain_start():
    """The Groningen deep case (start 1960) evaluated from 2015 on: zero at the chain start,
    subsiding afterwards."""
    from pathlib import Path

    from subsidence.config import load_case
    from subsidence.shallow.deep import CaseDeep

    deep = load_case(Path(__file__).resolve().parents[2] / "cases" / "groningen_deep.toml")
    src = CaseDeep(case=deep, offset_s=(np.datetime64("2015-01-01") - np.datetime64("1960-01-01")).astype(float) * 86400)
    _, _, uz = src.displacement(np.array([0.0, 2 * YEAR]), np.array([245520.0]), np.array([594918.0]))
    assert uz[0, 0] == 0.0
    assert -0.05 < uz[1, 0] < 0.0


def test_shipped_nieuwolda_case_on_a_few_parcels(tmp_path):
    """The shipped coupled Nieuwolda case (deep case + InSAR parcels), cut to 3 months and
    every 60th parcel: parcel ids and RD positions reach points.csv, total = deep - shallow."""
    import tomllib

    from subsidence.run import run_case

    root = Path(__file__).resolve().parents[2]
    case_file = root / "cases" / "coupled_nieuwolda.toml"
    d = tomllib.loads(case_file.read_text())
    d["time"]["end"] = "2015-04-01"
    d["points"]["every"] = 60
    d["output"]["plots"] = False
    summary = run_case(case_from_dict(d, file=case_file), tmp_path / "out")
    rows = list(csv.DictReader(open(tmp_path / "out" / "points.csv")))
    names = {r["name"] for r in rows}
    assert len(names) == 5 and "15825" in names  # the first parcel id of the InSAR file
    assert all(200e3 < float(r["x"]) < 300e3 and 550e3 < float(r["y"]) < 620e3 for r in rows)
    long = list(csv.DictReader(open(tmp_path / "out" / "chain_points.csv")))
    for r in long[-5:]:
        assert float(r["total_uz_m"]) == pytest.approx(float(r["deep_uz_m"]) - float(r["shallow_settlement_m"]), abs=1e-9)
        assert float(r["deep_uz_m"]) < 0
    assert summary["n_points"] == 5


def test_repeating_the_weather_record_keeps_month_and_day():
    """beyond = "repeat": a day outside the record takes the same month and day of a full
    year of the record (cycled); 29 February of a non-leap year takes the 28th."""
    from subsidence.shallow.config import Forcing
    from subsidence.shallow.forcing import DailySeries

    d = np.arange(np.datetime64("2015-01-01"), np.datetime64("2020-01-01"))
    code = (d - np.datetime64("2000-01-01")).astype(float)  # each value encodes its own date
    f = Forcing(None, None, "repeat", 10.5, 7.0, DailySeries(d, code), DailySeries(d, code))
    p, _ = f.window(np.datetime64("2020-02-27"), np.datetime64("2020-03-02"))
    got = np.datetime64("2000-01-01") + p.astype(int).astype("timedelta64[D]")
    assert list(got.astype(str)) == ["2015-02-27", "2015-02-28", "2015-02-28", "2015-03-01"]
    p, _ = f.window(np.datetime64("2024-12-31"), np.datetime64("2025-01-02"))
    got = np.datetime64("2000-01-01") + p.astype(int).astype("timedelta64[D]")
    assert list(got.astype(str)) == ["2019-12-31", "2015-01-01"]


def test_forcing_climatology_beyond_the_record():
    """Outside the record the day-of-year mean of the record; inside it the record itself."""
    import datetime as _dt

    import numpy as np

    from subsidence.shallow.config import Forcing
    from subsidence.shallow.forcing import DailySeries

    d = np.arange(np.datetime64("2015-01-01"), np.datetime64("2017-01-01"))
    rng = np.random.default_rng(0)
    p = DailySeries(d, rng.uniform(0, 1, d.size), "p")
    e = DailySeries(d, rng.uniform(0, 1, d.size), "e")
    f = Forcing(None, None, "climatology", 10.0, 5.0, precipitation=p, evaporation=e)
    pw, ew = f.window(np.datetime64("2016-12-30"), np.datetime64("2017-03-02"))
    assert np.allclose(pw[:2], p.values[-2:])
    jan1 = (p.values[0] + p.values[365]) / 2  # 2015-01-01 and 2016-01-01
    assert np.isclose(pw[2], jan1)
    feb28 = [v for dd, v in zip(d, p.values) if str(dd)[5:] == "02-28"]
    assert np.isclose(pw[2 + 31 + 27], np.mean(feb28))
    assert pw.size == (_dt.date(2017, 3, 2) - _dt.date(2016, 12, 30)).days


def test_initial_creep_rate_sets_the_layers_initial_state():
    """A layer given ``initial_creep_rate`` creeps at that strain rate at the start (constant
    stress): OCR = (c/(rate τ_ref))^(c/(b−a)), checked by the column itself."""
    from mpi4py import MPI

    from subsidence.shallow.chain import run_chain
    from subsidence.shallow.column import Column

    d = _case()
    peat = d["soil"]["layers"][1]
    peat.pop("ocr")
    peat["initial_creep_rate"] = "0.004 1/yr"
    cfg = case_from_dict(d, file="x.toml").config
    lay = cfg.layers[1]
    assert lay.ocr == pytest.approx((0.02 / (0.004 / 365.25)) ** (0.02 / 0.26), rel=1e-12)
    # drained (permeable) so that the effective stress stays constant: the pure creep rate (compaction,
    # not oxidation); water table within the layer, at its top (a saturated top cell, effective stresses
    # below the law's floor) and above it (ponding, which loads the layer as it settles below the water)
    for hp in (0.7 * lay.thickness, lay.thickness, lay.thickness + 0.5):
        col = Column([dataclasses.replace(lay, k=1e-3)], bottom="no_flow")
        days = np.arange(0, 31) * 86400.0
        h = col.run(days, phreatic=np.full(days.size, hp))
        rate = np.diff(h.compaction[:, 0]) / (1 / 365.25) / lay.thickness  # strain rate per day, 1/yr
        assert rate[0] == pytest.approx(0.004, rel=3e-3)  # the mean over the first day of a decaying rate
        if hp < lay.thickness:
            assert rate[-1] < rate[0]  # creep slows down
    del run_chain, MPI
    peat["ocr"] = 2.0
    with pytest.raises(CaseError) as exc:
        case_from_dict(d, file="x.toml")
    assert exc.value.key.endswith("ocr")
    peat.pop("ocr")
    peat["initial_creep_rate"] = "10 1/yr"
    with pytest.raises(CaseError) as exc:
        case_from_dict(d, file="x.toml")
    assert "faster" in str(exc.value)


def test_initial_age_equals_creeping_that_long_from_normal_consolidation():
    """``initial_age`` T: the state of a layer that has crept at its present effective stress for T
    since it was normally consolidated. Checked by the column itself: a normally consolidated
    (OCR 1) drained column after T days creeps at the (natural) strain rate a column given
    ``initial_age = T`` starts with, and both at c/(τ_ref + T)."""
    from subsidence.shallow.column import Column, NoOxidation

    d = _case()
    peat = d["soil"]["layers"][1]
    peat.pop("ocr")
    peat["initial_age"] = "0.5 yr"
    lay = case_from_dict(d, file="x.toml").config.layers[1]
    T = 0.5 * 365.25  # days
    c, b, a = lay.compression.c, lay.compression.b, lay.compression.a
    assert lay.ocr == pytest.approx((1 + T) ** (c / (b - a)), rel=1e-12)
    hp = 0.0  # water table at the base: the effective stresses (the weight above) stay put as the layer creeps
    young = dataclasses.replace(lay, k=1.0, ocr=1.0, oxidation=NoOxidation())  # no oxidation: it would unload the layer
    col = Column([young], bottom="no_flow")
    days = np.arange(0, int(T) + 3) * 86400.0
    h = col.run(days, phreatic=np.full(days.size, hp))
    # natural strain rate (the isotache law's strain): per the thickness left after ~10 % of creep
    rate_young = np.diff(h.compaction[:, 0])[int(T)] / (lay.thickness - h.compaction[int(T), 0])
    aged = Column([dataclasses.replace(lay, k=1.0, oxidation=NoOxidation())], bottom="no_flow")
    h2 = aged.run(days[:3], phreatic=np.full(3, hp))
    rate_aged = np.diff(h2.compaction[:, 0])[0] / lay.thickness
    assert rate_aged == pytest.approx(rate_young, rel=0.02)
    assert rate_aged == pytest.approx(c / (1 + T), rel=0.02)  # c/(τ_ref + T), τ_ref = 1 day
    peat["ocr"] = 2.0
    with pytest.raises(CaseError) as exc:
        case_from_dict(d, file="x.toml")
    assert "initial_age" in str(exc.value)


def test_past_lowering_preconsolidates_like_the_stress_it_caused():
    """``[column] past_lowering`` Δ: the phreatic level was once Δ lower. Below both levels that
    raised the effective stress by Δ (γ_w + γ_unsat − γ_sat) (less pore pressure, less saturated
    weight above), so an isotache layer there is preconsolidated exactly as by that pop: both
    columns give the same settlement history (the levels lie in a linear top layer, which has no
    preconsolidation). The preconsolidation stress is max(OCR σ'₀ + pop, σ'_past)."""
    from subsidence.shallow.column import Column, LinearCompression, NoOxidation

    d = _case()
    peat = d["soil"]["layers"][1]
    lay = case_from_dict(d, file="x.toml").config.layers[1]
    A = dataclasses.replace(lay, thickness=0.7, max_cell=0.1, oxidation=NoOxidation(), ocr=1.0, pop=0.0)
    B = dataclasses.replace(lay, name="top", thickness=0.3, max_cell=0.1, oxidation=NoOxidation(),
                            compression=LinearCompression(mv=1e-7), ocr=1.0, pop=0.0)
    delta, hp = 0.05, 0.78  # layers top-down: B (0.7-1.0 m above the base) on A; both levels within B
    days = np.arange(0, 200) * 86400.0
    level = 0.78 - 0.1 * np.sin(np.linspace(0, 3, days.size)) ** 2  # the water table moves within B
    past = Column([B, A], past_lowering=delta).run(days, phreatic=level)
    pop = delta * (9810.0 + lay.gamma_unsat - lay.gamma_sat)
    same = Column([B, dataclasses.replace(A, pop=pop)]).run(days, phreatic=level)
    plain = Column([B, A]).run(days, phreatic=level)
    np.testing.assert_allclose(past.compaction, same.compaction, rtol=1e-10, atol=1e-14)
    assert past.compaction[-1, 0] < 0.9 * plain.compaction[-1, 0]  # preconsolidated: it creeps less
    # the preconsolidation is the largest of the two histories: an OCR whose stress exceeds the past
    # level's everywhere leaves nothing for the past level to add
    aged = dataclasses.replace(A, ocr=1.5)
    np.testing.assert_array_equal(Column([B, aged], past_lowering=delta).run(days, phreatic=level).compaction,
                                  Column([B, aged]).run(days, phreatic=level).compaction)
    del peat, hp
    d["column"] = dict(d.get("column", {}), past_lowering="0.3 m")
    assert case_from_dict(d, file="x.toml").config.column_past_lowering == pytest.approx(0.3)
    d["column"]["past_lowering"] = "-0.3 m"
    with pytest.raises(CaseError) as exc:
        case_from_dict(d, file="x.toml")
    assert "past_lowering" in exc.value.key


# -- monthly totals extending a daily record ---------------------------------------------------
MONTHLY = DATA / "evaporation_monthly_2015_2020.csv"


def test_monthly_totals_extend_the_daily_evaporation():
    """Each month's total spread evenly over its days; where the daily record has days it wins;
    the yearly totals of the two KNMI products agree within 2 % where both exist."""
    from subsidence.shallow.forcing import MM_PER_DAY, extend_series, read_monthly_totals

    m = read_monthly_totals(MONTHLY, 249)
    assert m.dates[0] == np.datetime64("2015-01-01") and m.dates[-1] == np.datetime64("2020-12-31")
    mar = (m.dates >= np.datetime64("2020-03-01")) & (m.dates < np.datetime64("2020-04-01"))
    assert np.ptp(m.values[mar]) == 0 and m.values[mar].sum() / MM_PER_DAY == pytest.approx(43.4, rel=1e-12)  # M_032020
    assert read_monthly_totals(MONTHLY, "Nieuw Beerta").values.tolist() == m.values.tolist()  # by name, any case
    d = read_evaporation(DATA / "NBeerta_evapotransp20152020.csv")
    e = extend_series(d, m)
    assert e.dates[0] == d.dates[0] and e.dates[-1] == np.datetime64("2020-12-31")
    assert np.array_equal(e.values[: d.values.size], d.values)  # the daily record untouched
    for y in range(2015, 2020):
        s, t = np.datetime64(f"{y}-01-01"), np.datetime64(f"{y + 1}-01-01")
        assert m.window(s, t).sum() == pytest.approx(d.window(s, t).sum(), rel=0.02)


def test_monthly_totals_spread_evenly(tmp_path):
    from subsidence.shallow.forcing import MM_PER_DAY, read_monthly_totals

    f = tmp_path / "m.csv"
    f.write_text("name,ID,lon,lat,M_012021,M_022021,m_032021\nx,7,1,2,31,28,62\ny,8,,,1,,\n")
    s = read_monthly_totals(f, 7)
    assert s.values.size == 31 + 28 + 31
    assert np.allclose(s.values / MM_PER_DAY, [1.0] * 59 + [2.0] * 31)
    g = read_monthly_totals(f, "y")  # empty months after the last value are left out
    assert g.dates[-1] == np.datetime64("2021-01-31")


def test_monthly_totals_refuse_bad_files(tmp_path):
    from subsidence.shallow.forcing import StationError, read_monthly_totals

    with pytest.raises(ForcingError, match="2019 repeat those of 2018"):  # Eelde's copied year in the source
        read_monthly_totals(MONTHLY, 280)
    with pytest.raises(StationError, match="no station '999'.*Nieuw beerta \\(249\\)"):
        read_monthly_totals(MONTHLY, "999")
    f = tmp_path / "m.csv"
    f.write_text("name,ID,lon,lat,M_012021,M_022021,M_032021\nx,7,1,2,31,,62\n")
    with pytest.raises(ForcingError, match="no value for 02-2021"):
        read_monthly_totals(f, 7)
    f.write_text("STN,YYYYMMDD,RD\n")
    with pytest.raises(ForcingError, match="not a file of monthly totals"):
        read_monthly_totals(f, 7)


def test_case_extends_evaporation_with_monthly_totals():
    """[forcing] evaporation_monthly: a run may end in 2020 without `beyond`; the run says which
    days came from monthly totals; a wrong station is an error naming the key."""
    forcing = {**BASE["forcing"], "evaporation_monthly": {"file": str(MONTHLY), "station": 249}}
    case = case_from_dict(_case(forcing=forcing, time={"end": "2020-12-31", "spinup_years": 1}))
    f = case.config.forcing
    assert f.evaporation.dates[-1] == np.datetime64("2020-12-31")
    desc = f.describe()
    assert desc["evaporation_monthly"]["days"] == [["2020-01-01", "2020-12-31"]]
    assert desc["evaporation_monthly"]["note"].startswith("evaporation from 2020-01-01 to 2020-12-31: the monthly totals of station 249")
    from subsidence.config.case import to_jsonable

    json.dumps(to_jsonable(case.config))  # the manifest of every run holds the configuration
    with pytest.raises(CaseError, match="covers"):  # without the monthly totals the record ends 2019-12-31
        case_from_dict(_case(time={"end": "2020-12-31", "spinup_years": 1}))
    bad = {**BASE["forcing"], "evaporation_monthly": {"file": str(MONTHLY), "station": "Groningen"}}
    with pytest.raises(CaseError, match=r"forcing\.evaporation_monthly\.station.*no station 'Groningen'"):
        case_from_dict(_case(forcing=bad))
    eelde = {**BASE["forcing"], "evaporation_monthly": {"file": str(MONTHLY), "station": "Eelde"}}
    with pytest.raises(CaseError, match=r"forcing\.evaporation_monthly\.file.*repeat"):
        case_from_dict(_case(forcing=eelde))


@pytest.mark.parametrize("key, value, words", [
    ("gamma_sat", 17000.0, "must be <= 30 kN/m^3"),        # N/m3 written as a bare number (bare is kN/m3)
    ("gamma_sat", 2.0, "must be >= 5 kN/m^3"),
    ("gamma_unsat", 31.0, "must be <= 30 kN/m^3"),
])
def test_unit_weights_that_cannot_be_meant_are_errors(key, value, words):
    d = _case()
    d["soil"]["layers"][0][key] = value
    with pytest.raises(CaseError) as exc:
        case_from_dict(d, file="c.toml")
    assert f"[soil.layers[0].{key}]" in str(exc.value) and words in str(exc.value)
    d["soil"]["layers"][0][key] = "17 kN/m^3"  # with its unit: fine
    case_from_dict(d, file="c.toml")


@pytest.mark.parametrize("wm, key, words", [
    ({"initial_level": -0.2, "summer_offset": 0.5}, "water_management.summer_offset", "above the ditch"),
    ({"initial_level": -0.9, "summer_offset": -1.0}, "water_management.summer_offset", "below the ditch"),
    ({"initial_level": -0.9, "rule": "series", "series": {"time": [1.0], "change": [1.5]}},
     "water_management.series.change", "above the surface"),
])
def test_ditch_levels_outside_the_ditch_are_errors(wm, key, words):
    # the base case's ditch: 1.5 m deep (bottom -1.5 m), surface 0
    with pytest.raises(CaseError) as exc:
        case_from_dict(_case(water_management={"rule": "none", **wm}), file="c.toml")
    assert f"[{key}]" in str(exc.value) and words in str(exc.value)


def test_a_series_below_the_ditch_bottom_is_a_warning():
    # the deep subsidence lowers the ditch bottom with the surface: only the case can tell
    case = case_from_dict(_case(water_management={"initial_level": -0.9, "rule": "series",
                                                  "series": {"time": [1.0], "change": [-1.0]}}), file="c.toml")
    assert any("series change 1" in w and "below the ditch" in w for w in case.warnings)


def test_a_soil_temperature_in_kelvin_is_an_error():
    d = _case()
    d["forcing"] = {**d["forcing"], "temperature": {"mean": 283.15, "amplitude": 7.0}}
    with pytest.raises(CaseError) as exc:
        case_from_dict(d, file="c.toml")
    assert "[forcing.temperature.mean]" in str(exc.value) and "kelvin" in str(exc.value)
