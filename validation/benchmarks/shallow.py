"""Shallow subsidence (soil column, groundwater between ditches, impact factors): page docs/shallow.md.

Koppejan and oxidation: the set-ups and tolerances of tests/shallow/test_koppejan.py and
tests/shallow/test_oxidation.py, re-built here.
"""

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


def _koppejan(tmp):
    """σ'₀ = 20 kPa, σ'ₚ = 30 kPa (OCR 1.5), t₀ = 1 day, Cp 20, Cs 80, C'p 60, C's 240; hand values
    of tests/shallow/test_koppejan.py (abs 2e-7); the drained column, stepped once and daily, on the
    law's strain (rel 1e-9)."""
    from subsidence.shallow.column import Column, ColumnLayer, Koppejan
    from subsidence.shallow.column.compression import koppejan_strain

    law, h0 = dict(Cp=20.0, Cs=80.0, Cp_prime=60.0, Cs_prime=240.0), 0.05
    days = np.array([1.0, 10.0, 100.0, 1000.0])
    out = []
    for s1, hand in ((40e3, {1000.0: 0.0370005}), (25e3, {10.0: 0.0046873, 1000.0: 0.0065088})):
        ref = koppejan_strain(days * DAY, sigma0=20e3, sigma1=s1, sigma_p=30e3, **law)
        for d, v in hand.items():
            out.append(Check(f"20 → {s1 / 1e3:.0f} kPa, strain after {d:.0f} days (law)", float(ref[list(days).index(d)]), v,
                             abs_tol=2e-7))
        for label, t in (("one step per output", np.concatenate([[0.0], days * DAY])),
                         ("daily steps", np.arange(0.0, 1001.0) * DAY)):
            q = np.full(t.size, s1)
            q[0] = 20e3
            col = Column([ColumnLayer("clay", h0, 1e-4, 1e-9, 1e-9, Koppejan(**law), ocr=1.5, max_cell=h0)])
            eps = col.run(t, phreatic=np.full(t.size, -1.0), surcharge=q).settlement[:, 0] / h0
            e = eps[np.searchsorted(t, days * DAY)]
            k = int(np.argmax(np.abs(e / ref - 1)))
            out.append(Check(f"20 → {s1 / 1e3:.0f} kPa, column ({label}), worst of 1-1000 days", float(e[k]), float(ref[k]),
                             rel_tol=1e-9))
    # the primary part alone at the step (the secular term log10(1 + t/t0) → 0): 0.0067578 + 0.0143841
    col = Column([ColumnLayer("clay", h0, 1e-4, 1e-9, 1e-9, Koppejan(**law), ocr=1.5, max_cell=h0)])
    e = col.run(np.array([0.0, 1.0]), phreatic=np.full(2, -1.0), surcharge=np.array([20e3, 40e3])).settlement[1, 0] / h0
    out.append(Check("20 → 40 kPa, primary strain at the step", float(e), 0.0211419, abs_tol=2e-7))
    return out


def _peat(thickness, ox, max_cell=0.05):
    from subsidence.shallow.column import ColumnLayer, LinearCompression

    return ColumnLayer("peat", thickness, 1e-3, 10500.0, 10000.0, LinearCompression(0.0), oxidation=ox, max_cell=max_cell)


def _oxidation(tmp):
    """tests/shallow/test_oxidation.py: a 200-day temperature series (hand sum, rel 1e-12), the
    air-filled-pore moisture factor of a van Genuchten profile (quadrature day by day, rel 1e-6), and
    the minimum organic fraction (oxidation stops at 116.67 kg/m³ lost, rel 1e-12)."""
    from scipy.integrate import quad

    from subsidence.physics.retention import VanGenuchten
    from subsidence.shallow.column import Column, PeatOxidation

    out = []
    # temperature series: α exp(0.127 (T − 12.27)) over the 0.6 m oxidation depth, day by day
    alpha, rho, fv = 0.02, 150.0, 0.9
    temp = 10.0 + 8.0 * np.sin(np.arange(200) / 9.0) + np.linspace(-3, 3, 200)
    col = Column([_peat(2.0, PeatOxidation(alpha, rho, fv))], oxidation_depth=0.6)
    t = np.arange(201) * DAY
    hist = col.run(t, phreatic=np.full(t.size, -1.0), temperature=np.concatenate([[temp[0]], temp]))
    hand = np.cumsum(alpha * np.exp(0.127 * (temp - 12.27)) * 0.6 / rho * fv)
    k = int(np.argmax(np.abs(hist.oxidation[1:, 0] / hand - 1)))
    out += [Check("T series: oxidation (worst day of 200) [m]", float(hist.oxidation[1 + k, 0]), float(hand[k]), rel_tol=1e-12),
            Check("T series: CO2 after 200 days [kg/m2]", float(hist.co2[-1, 0]), float(hand[-1] / fv * rho * 0.58 * 44 / 12),
                  rel_tol=1e-12)]
    # moisture: α ∫₀^ψtop a(ψ) dψ, a = (θs − θ(ψ))/(θs − θr), water table 0.5 m below the top
    vg = VanGenuchten(theta_s=0.85, theta_r=0.1, alpha=1.2, n=1.3)
    alpha, rho, hp = 0.05, 150.0, 0.5
    col = Column([_peat(1.0, PeatOxidation(alpha, rho, moisture=vg), max_cell=0.07)], oxidation_depth=2.0)
    t = np.arange(31) * DAY
    hist = col.run(t, phreatic=np.full(t.size, hp), temperature=np.full(t.size, 12.27))
    a = lambda psi: (vg.theta_s - vg.theta(psi)) / (vg.theta_s - vg.theta_r)  # noqa: E731
    top, total, ref = 1.0, 0.0, []
    for _ in range(30):
        dh = alpha * quad(a, 0.0, top - hp, epsabs=0, epsrel=1e-12)[0] / rho
        total += dh
        top -= dh
        ref.append(total)
    ref = np.array(ref)
    k = int(np.argmax(np.abs(hist.oxidation[1:, 0] / ref - 1)))
    out.append(Check("moisture factor: oxidation (worst day of 30) [m]", float(hist.oxidation[1 + k, 0]), float(ref[k]),
                     rel_tol=1e-6))
    # minimum organic fraction 0.1 with 300 kg/m³ mineral: 0.1 m × (150 − 300·0.1/0.9) kg/m³ can go
    ox = PeatOxidation(10.0, 150.0, 0.4, minimum_organic_fraction=0.1, mineral_density=300.0)
    col = Column([_peat(0.1, ox, max_cell=0.1)], oxidation_depth=1.0)
    t = np.arange(40) * DAY
    hist = col.run(t, phreatic=np.full(t.size, -1.0), temperature=np.full(t.size, 12.27))
    lost = 0.1 * (150.0 - 300.0 * 0.1 / 0.9)
    out += [Check("minimum organic fraction: final oxidation [m]", float(hist.oxidation[-1, 0]), lost / 150.0 * 0.4, rel_tol=1e-12),
            Check("minimum organic fraction: final CO2 [kg/m2]", float(hist.co2[-1, 0]), lost * 0.58 * 44 / 12, rel_tol=1e-12),
            Check("minimum organic fraction: oxidation over the last 4 days [m]",
                  float(hist.oxidation[-1, 0] - hist.oxidation[-5, 0]), 0.0, abs_tol=0.0)]
    return out


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
    Benchmark("koppejan", "drained thin layer, 20 -> 40 and 20 -> 25 kPa, OCR 1.5, 1-1000 days",
              "subsidence.shallow.column (Koppejan)", "hand-computed primary ln/Cp + secular ln/Cs · log10(1 + t/t0)",
              "docs/shallow.md", _koppejan),
    Benchmark("peat-oxidation", "peat oxidation: 200-day temperature series; van Genuchten moisture factor; "
              "minimum organic fraction", "subsidence.shallow.column (PeatOxidation)",
              "hand sum of α exp(0.127 (T − 12.27)); quadrature of the air-filled pores; organic mass balance",
              "docs/shallow.md", _oxidation),
]
