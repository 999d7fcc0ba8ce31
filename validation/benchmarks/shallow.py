"""Shallow subsidence (soil column, groundwater between ditches, impact factors): page docs/shallow.md."""

from pathlib import Path

import numpy as np

from framework import Benchmark, Check

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "validation/data/nieuwolda"
DAY, YEAR, GW = 86400.0, 365.25 * 86400.0, 9810.0


def _sand(thickness):
    from subsidence.shallow.column import ColumnLayer, LinearCompression

    return ColumnLayer("sand", thickness, 1e-3, 18000.0, 18000.0, LinearCompression(0.0), max_cell=0.1)


def _terzaghi(tmp):
    from subsidence.shallow.analytic import terzaghi_degree
    from subsidence.shallow.column import Column, ColumnLayer, LinearCompression

    thick, mv, k = 2.0, 1e-7, 1e-9
    cv = k / (mv * GW)
    col = Column([_sand(0.1), ColumnLayer("clay", thick, k, 16000.0, 16000.0, LinearCompression(mv), max_cell=thick / 100)])
    tv = np.unique(np.concatenate([[0.0], np.geomspace(1e-6, 3.0, 400), [0.197, 0.848]]))
    load = np.full(tv.size, 1e4)
    load[0] = 0.0
    s = col.run(tv * thick**2 / cv, phreatic=np.full(tv.size, thick + 0.05), surcharge=load).settlement[:, 0]
    u = s / (s[-1] / terzaghi_degree(3.0)[0])
    return [Check(f"U at Tv = {t}", u[np.argmin(abs(tv - t))], terzaghi_degree(t)[0], rel_tol=0.01) for t in (0.197, 0.848)]


def _creep(tmp):
    from subsidence.shallow.column import Column, ColumnLayer, Isotache

    col = Column([ColumnLayer("clay", 0.05, 1e-4, 1.0, 1.0, Isotache(0.017, 0.13, 0.0087), ocr=1.5, max_cell=0.05)])
    days = np.array([1.0, 10.0, 100.0, 1000.0])
    t = np.concatenate([[0.0, 1.0], 1.0 + days * DAY])
    q = np.full(t.size, 40e3)
    q[0] = 20e3
    eps = -np.log(1.0 - col.run(t, phreatic=np.full(t.size, -1.0), surcharge=q).settlement[2:, 0] / 0.05)
    hand = [0.04450, 0.06434, 0.08436, 0.10439]
    return [Check(f"strain at {d:g} d", e, h, abs_tol=5e-5) for d, e, h in zip(days, eps, hand)]


def _periodic(tmp):
    from subsidence.shallow.analytic import periodic_layer_response
    from subsidence.shallow.column import Column, ColumnLayer, LinearCompression

    omega, thick, mv, amp = 2 * np.pi / YEAR, 2.0, 1e-7, 0.3
    cv = omega * thick**2 / 2
    col = Column([_sand(1.0), ColumnLayer("clay", thick, cv * mv * GW, 16000.0, 16000.0, LinearCompression(mv), max_cell=thick / 40)])
    t = np.arange(0, 4 * 365 + 1) * YEAR / 365
    uz = -col.run(t, phreatic=thick + 0.5 + amp * np.sin(omega * t)).settlement[:, 0]
    m = t >= 2 * YEAR
    co = np.linalg.lstsq(np.c_[np.sin(omega * t[m]), np.cos(omega * t[m]), np.ones(m.sum())], uz[m], rcond=None)[0]
    f = periodic_layer_response(cv=cv, omega=omega, thickness=thick)
    return [Check("settlement amplitude [m]", np.hypot(co[0], co[1]), mv * GW * amp * thick * abs(f), rel_tol=0.01),
            Check("phase [rad]", np.arctan2(co[1], co[0]), np.angle(f), abs_tol=0.01, unit="rad")]


def _hooghoudt(tmp):
    from mpi4py import MPI

    from subsidence.shallow.analytic import hooghoudt_profile
    from subsidence.shallow.groundwater import HydroLayer, Parcel
    from subsidence.shallow.groundwater.fe import CrossSectionGroundwater

    k, depth, spacing, n = 1.0 / DAY, 5.0, 50.0, 5e-3 / DAY
    par = Parcel(layers=(HydroLayer("sand", 6.0, k, 100 * k, 0.2),), spacing=spacing, ditch_depth=6.0 - 1e-6,
                 entry_resistance=1e-3 * DAY)
    _, mid = CrossSectionGroundwater(par, comm=MPI.COMM_SELF, reference_level=-1.0, nx=20).steady(recharge=n, ditch_level=-1.0)
    ref = hooghoudt_profile(spacing / 2, spacing=spacing, recharge=n, k=k, thickness=depth) + n * depth / (300 * k)
    return [Check("midpoint rise [m]", mid + 1.0, ref, rel_tol=2e-3)]


def _balance_and_impact(tmp):
    from mpi4py import MPI

    from subsidence.shallow.forcing import read_evaporation, read_precipitation
    from subsidence.shallow.groundwater import HydroLayer, Parcel
    from subsidence.shallow.groundwater.fe import CrossSectionGroundwater
    from subsidence.shallow.impact import impact_factor

    p = read_precipitation(DATA / "neerslaggeg_NIEUWOLDA_172.csv")
    e = read_evaporation(DATA / "NBeerta_evapotransp20152020.csv")
    par = Parcel(layers=(HydroLayer("clay", 1.2, 0.1 / DAY, 0.05 / DAY, 0.05), HydroLayer("peat", 1.0, 0.3 / DAY, 0.1 / DAY, 0.12),
                         HydroLayer("sand", 8.0, 10 / DAY, 3 / DAY, 0.2)),
                 spacing=60.0, ditch_depth=1.6, entry_resistance=DAY, aquifer_head=-0.9, aquitard_resistance=300 * DAY)
    s, t = np.datetime64("2018-01-01"), np.datetime64("2019-01-01")
    r = CrossSectionGroundwater(par, comm=MPI.COMM_SELF, nx=16).run(p.window(s, t), e.window(s, t), np.full(366, -1.0))
    sand = Parcel(layers=(HydroLayer("sand", 10.0, 20 / DAY, 10 / DAY, 0.25),), spacing=50.0, ditch_depth=1.5, entry_resistance=0.5 * DAY)
    clay = Parcel(layers=(HydroLayer("clay", 3.0, 0.02 / DAY, 0.01 / DAY, 0.05),), spacing=100.0, ditch_depth=1.5,
                  entry_resistance=DAY, aquifer_head=-0.5, aquitard_resistance=50 * DAY)
    f_sand = impact_factor(CrossSectionGroundwater(sand, comm=MPI.COMM_SELF, nx=12, dz_target=1.0), p, e, 2018, ditch_level=-1.0)
    f_clay = impact_factor(CrossSectionGroundwater(clay, comm=MPI.COMM_SELF, nx=12), p, e, 2018, ditch_level=-1.0)
    return [Check("water balance error, 2018 [-]", float(r.balance_error()[0]), 0.0, abs_tol=1e-3),
            Check("impact factor, permeable sand (-> 1)", f_sand["impact_factor"], 1.0, abs_tol=0.1),
            Check("impact factor, clay with strong seepage (<< 0.5)", f_clay["impact_factor"], 0.0, abs_tol=0.15)]


BENCHMARKS = [
    Benchmark("terzaghi", "single clay layer, drained top, instantaneous load", "subsidence.shallow.column",
              "Terzaghi series U(Tv): 50 % at 0.197, 90 % at 0.848 (REFERENCES.md)", "docs/shallow.md", _terzaghi),
    Benchmark("isotache-creep", "drained a-b-c layer, 20 -> 40 kPa, OCR 1.5", "subsidence.shallow.column",
              "hand-computed a ln(s1/s0) + c ln(1 + t/tau0)", "docs/shallow.md", _creep),
    Benchmark("periodic-water-level", "annual water-level cycle on a drained elastic layer", "subsidence.shallow.column",
              "closed-form diffusion: mv gw A L |F|, arg F, F = tanh(kL)/kL", "docs/shallow.md", _periodic),
    Benchmark("hooghoudt-steady", "FE cross-section, fully penetrating ditches, uniform recharge",
              "subsidence.shallow.groundwater.fe", "Dupuit/Hooghoudt N x(L-x)/(2kD) + N D/(3 kv)", "docs/shallow.md", _hooghoudt),
    Benchmark("groundwater-balance-impact", "FE cross-section with KNMI 2018 forcing; impact-factor limits",
              "subsidence.shallow.groundwater.fe, subsidence.shallow.impact", "mass conservation; physical limits",
              "docs/shallow.md", _balance_and_impact),
]
