"""Impact factors: the two physical limits, with the FE model and its lumped twin."""

import numpy as np
import pytest

from subsidence.shallow.groundwater import HydroLayer, LumpedGroundwater, Parcel
from subsidence.shallow.impact import CBA_1987, dry_and_average_year, impact_factor

DAY = 86400.0

SAND = Parcel(layers=(HydroLayer("sand", 10.0, 20 / DAY, 10 / DAY, 0.25),), spacing=50.0, ditch_depth=1.5,
              entry_resistance=0.5 * DAY)
CLAY_SEEPAGE = Parcel(layers=(HydroLayer("clay", 3.0, 0.02 / DAY, 0.01 / DAY, 0.05),), spacing=100.0, ditch_depth=1.5,
                      entry_resistance=1 * DAY, aquifer_head=-0.5, aquitard_resistance=50 * DAY)


def test_dry_and_average_year_from_the_record(knmi):
    """2018 had by far the largest summer deficit of 2015-2019 (the drought)."""
    pick = dry_and_average_year(*knmi)
    assert pick["dry"] == 2018
    assert pick["average"] in (2015, 2016, 2017, 2019) and pick["average"] != pick["dry"]


def test_cba_values():
    assert CBA_1987 == pytest.approx({"sand": 0.8, "clay": 0.5, "peat with clay cover": 0.7})


@pytest.mark.fem
def test_impact_factor_limits_fe(knmi):
    """Permeable sand: the groundwater follows the ditch almost fully (IF -> 1, only the
    evapotranspiration reduction of a deeper water table holds it back a little).
    Low-permeability clay with strong upward seepage: IF far below 0.5."""
    from mpi4py import MPI

    from subsidence.shallow.groundwater.fe import CrossSectionGroundwater

    p, e = knmi
    sand = impact_factor(CrossSectionGroundwater(SAND, comm=MPI.COMM_WORLD, nx=12, dz_target=1.0), p, e, 2018,
                         ditch_level=-1.0, lowering=0.2, spinup_days=120)
    clay = impact_factor(CrossSectionGroundwater(CLAY_SEEPAGE, comm=MPI.COMM_WORLD, nx=12, dz_target=0.5), p, e, 2018,
                         ditch_level=-1.0, lowering=0.2, spinup_days=120)
    assert 0.9 < sand["impact_factor"] <= 1.0
    assert 0.0 < clay["impact_factor"] < 0.15


def test_impact_factor_limits_lumped(knmi):
    """The same limits with the lumped model (Ernst resistances); a linear reservoir without
    evaporation feedback gives exactly c/(c + gamma) at steady state, which bounds it."""
    p, e = knmi
    sand = impact_factor(LumpedGroundwater(SAND), p, e, 2018, ditch_level=-1.0)["impact_factor"]
    lm = LumpedGroundwater(CLAY_SEEPAGE)
    clay = impact_factor(lm, p, e, 2018, ditch_level=-1.0)["impact_factor"]
    assert sand > 0.9
    assert clay < 0.3
    steady = lm.seepage_resistance / (lm.seepage_resistance + lm.gamma_mean)
    assert clay == pytest.approx(steady, abs=0.1)
    assert np.isfinite(steady)


def test_cba_class_of_profiles():
    from subsidence.config import case_from_dict
    from subsidence.shallow.impact import cba_class

    from .test_chain import _case

    cfg = case_from_dict(_case(), file="x.toml").config  # clay 1 m over peat 1 m over sand
    assert cba_class(cfg.parcel, cfg.layers) == "peat with clay cover"
    assert cba_class(cfg.parcel, cfg.layers[2:]) == "sand"
    assert cba_class(cfg.parcel, cfg.layers[1:]) == "peat"
    assert cba_class(cfg.parcel, cfg.layers[:1] + cfg.layers[2:]) == "clay"


def test_cba_table_per_profile_with_the_range_of_the_hydrology(tmp_path):
    """`[impact]` in a case with two profiles: per profile and year the impact factor at the case's
    values inside its range over the hydrology variants, against the CBA value of its class
    (given for one profile, inferred for the other)."""
    import copy
    import csv

    from subsidence.config import case_from_dict
    from subsidence.run import run_case

    from .test_chain import _case

    d = _case(time={"end": "2018-12-31", "spinup_years": 1}, impact={"lowering": 0.2, "years": [2018],
                                                                      "cba_classes": {"sandy": "sand"}})
    d["start_date"] = "2017-01-01"
    layers = d["soil"].pop("layers")
    d["soil"]["profiles"] = [{"name": "clayey", "layers": layers},
                             {"name": "sandy", "layers": [copy.deepcopy(layers[2]) | {"thickness": 6.0}]}]
    d["parcel"]["ditch_depth"] = 1.5
    d["output"] = {"plots": False}
    summary = run_case(case_from_dict(d, file=tmp_path / "c.toml"), tmp_path / "out")
    rows = list(csv.DictReader(open(tmp_path / "out" / "cba_1987.csv")))
    assert [(r["profile"], r["cba_class"]) for r in rows] == [("clayey", "peat with clay cover"), ("sandy", "sand")]
    for r in rows:
        assert float(r["impact_factor_min"]) <= float(r["impact_factor"]) <= float(r["impact_factor_max"])
        assert float(r["impact_factor_max"]) > float(r["impact_factor_min"])
    sand, clayey = (float(r["impact_factor"]) for r in rows[::-1])
    assert sand > clayey  # a sand profile follows the ditch more closely
    assert set(summary["impact_factors"]) >= {"clayey", "sandy", "cba_1987"}
    bad = copy.deepcopy(d)
    bad["impact"]["cba_classes"] = {"sandy": "gravel"}
    from subsidence.config import CaseError

    with pytest.raises(CaseError) as exc:
        case_from_dict(bad, file=tmp_path / "c.toml")
    assert exc.value.key == "impact.cba_classes"
