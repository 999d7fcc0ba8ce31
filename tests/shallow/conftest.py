from pathlib import Path

import numpy as np
import pytest

DATA = Path(__file__).resolve().parents[2] / "validation" / "data" / "nieuwolda"


@pytest.fixture(scope="session")
def knmi():
    from subsidence.shallow.forcing import read_evaporation, read_precipitation

    return read_precipitation(DATA / "neerslaggeg_NIEUWOLDA_172.csv"), read_evaporation(DATA / "NBeerta_evapotransp20152020.csv")


@pytest.fixture(scope="session")
def year_2018(knmi):
    p, e = knmi
    s, t = np.datetime64("2018-01-01"), np.datetime64("2019-01-01")
    return p.window(s, t), e.window(s, t)
