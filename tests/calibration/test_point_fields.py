"""Nonlinear per-point parameters (``[[calibration.point_parameters]]`` with a ``path``): the
localised ES-MDA update against the exact linear-Gaussian posterior, the taper, the case-file
checks, and a synthetic twin of the coupled chain in which each parcel has its own value."""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
import pytest

from subsidence.calibration import esmda
from subsidence.config import CaseError, case_from_dict

from test_esmda import DiagNoise
from test_twin import case_data


def _local_problem(m=6, n=8, seed=2):
    """d[t, i] = g_t θ_i + e: every point's parameter acts on its own data only, independent
    priors θ_i ~ N(μ_i, s²) and white noise. Exact posterior per point: precision
    1/s² + Σ g²/σ², mean (μ_i/s² + Σ g d_i/σ²) / precision."""
    rng = np.random.default_rng(seed)
    g = np.linspace(0.5, 2.0, n)
    mu, s, var = rng.normal(0, 1, m), 1.0, 0.3
    theta = mu + s * rng.standard_normal(m)
    d = g[:, None] * theta[None, :] + np.sqrt(var) * rng.standard_normal((n, m))
    prec = 1 / s**2 + np.sum(g**2) / var
    mean = (mu / s**2 + g @ d / var) / prec
    return g, mu, s, var, d, mean, 1 / np.sqrt(prec)


def _smoother(g, mu, s, var, d, members, localise, seed=5):
    rng = np.random.default_rng(seed)
    m = mu.size
    M = mu[:, None] + s * rng.standard_normal((m, members))
    noise = DiagNoise(np.full(d.shape, var))
    loc = (np.arange(m), np.eye(m)) if localise else None
    for a in esmda.inflation(4):
        D = np.einsum("t,mj->jtm", g, M)  # (N, n, m): the points on the data's last axis
        M = esmda.update(M, D, d, noise, a, rng, localise=loc)
    return M


def test_localised_update_is_exact_for_local_parameters():
    """With every parameter acting on its own point's data, own-point localisation is exact: 4000
    members reproduce the closed-form posterior (mean within 5 % of its sd, sd within 5 %). With 40
    points and 20 members the unlocalised smoother cannot update 40 independent values from a
    19-dimensional ensemble space; the localised one can, and is several times closer."""
    g, mu, s, var, d, mean, sd = _local_problem()
    M = _smoother(g, mu, s, var, d, 4000, True)
    assert np.all(np.abs(M.mean(1) - mean) < 0.05 * sd)
    assert np.allclose(M.std(1, ddof=1), sd, rtol=0.05)
    g, mu, s, var, d, mean, sd = _local_problem(m=40)
    err_loc = [np.sqrt(np.mean((_smoother(g, mu, s, var, d, 20, True, seed=k).mean(1) - mean) ** 2)) for k in range(10)]
    err_all = [np.sqrt(np.mean((_smoother(g, mu, s, var, d, 20, False, seed=k).mean(1) - mean) ** 2)) for k in range(10)]
    assert np.mean(err_loc) < 0.5 * np.mean(err_all), (np.mean(err_loc), np.mean(err_all))


def test_localisation_leaves_global_rows_alone():
    """Rows marked −1 get the ordinary update, bit for bit; a taper of ones is no localisation."""
    rng = np.random.default_rng(3)
    M = rng.standard_normal((5, 30))
    D = rng.standard_normal((30, 7, 4))
    noise = DiagNoise(np.full((7, 4), 0.5))
    E = noise.sample(np.random.default_rng(1), 30)
    plain = esmda.update(M, D, np.zeros((7, 4)), noise, 2.0, None, perturbations=E)
    rows = np.array([-1, -1, 0, 1, 2])
    rho = esmda.taper(np.array([0.0, 100.0, 5000.0, 9000.0]), np.zeros(4), 1000.0)[:3]
    loc = esmda.update(M, D, np.zeros((7, 4)), noise, 2.0, None, perturbations=E, localise=(rows, rho))
    assert np.array_equal(loc[:2], plain[:2])
    assert not np.allclose(loc[2:], plain[2:])
    ones = esmda.update(M, D, np.zeros((7, 4)), noise, 2.0, None, perturbations=E, localise=(rows, np.ones((3, 4))))
    assert np.allclose(ones, plain, rtol=1e-12, atol=1e-12)


def test_gaspari_cohn_taper():
    """1 at zero distance, 5/24 at the half-width (the published value of the fifth-order
    function), 0 from twice the half-width, continuous, and a positive semi-definite matrix."""
    gc = esmda.gaspari_cohn
    assert gc(np.array([0.0]))[0] == 1.0
    assert np.isclose(gc(np.array([1.0]))[0], 5 / 24)
    assert gc(np.array([2.0, 3.0])).tolist() == [0.0, 0.0]
    for r in (1.0, 2.0):
        assert abs(gc(np.array([r - 1e-9]))[0] - gc(np.array([r + 1e-9]))[0]) < 1e-7
    rng = np.random.default_rng(0)
    x, y = rng.uniform(0, 5000, 60), rng.uniform(0, 5000, 60)
    assert np.linalg.eigvalsh(esmda.taper(x, y, 800.0)).min() > -1e-10
    assert np.array_equal(esmda.taper(x, y, 0.0), np.eye(60))


PEAT_C = {"name": "peat_c", "path": "soil.layers.peat.compression.c", "prior": "lognormal", "median": 0.02,
          "sigma_log": 0.4}


@pytest.mark.parametrize("change,match", [
    ({"path": "soil.layers.peat.kh"}, "cannot vary per point"),
    ({"path": "parcel.aquitard_resistance"}, "cannot vary per point"),
    ({"prior": "normal", "mean": 0.02, "sd": 0.01, "median": None, "sigma_log": None}, "stay positive"),
    ({"path": "soil.layers.peat.thickness", "median": "1 bar"}, "does not fit"),
    ({"path": "observation.shallow_fraction"}, "bounded prior"),
])
def test_bad_point_fields_are_named(change, match):
    data = case_data()
    p = {**PEAT_C, **change}
    data["calibration"]["point_parameters"].append({k: v for k, v in p.items() if v is not None})
    with pytest.raises(CaseError, match=match):
        case_from_dict(data)


def test_point_field_needs_es_mda_and_one_place():
    data = case_data(method="least-squares")
    data["calibration"]["point_parameters"].append(dict(PEAT_C))
    with pytest.raises(CaseError, match="es-mda"):
        case_from_dict(data)
    data = case_data()
    data["calibration"]["parameters"].append({**PEAT_C, "name": "c_global"})
    data["calibration"]["point_parameters"].append(dict(PEAT_C))
    with pytest.raises(CaseError, match="both globally and per point"):
        case_from_dict(data)


def test_point_field_units_and_localisation_are_read():
    data = case_data()
    data["calibration"]["point_parameters"].append({"name": "peat_thickness", "path": "soil.layers.peat.thickness",
                                                    "prior": "lognormal", "median": "80 cm", "sigma_log": 0.2,
                                                    "correlation_length": "2 km"})
    data["calibration"]["point_parameters"].append({"name": "w", "path": "observation.shallow_fraction",
                                                    "prior": "uniform", "low": 0.0, "high": 1.0, "localisation": "own"})
    data["calibration"]["point_parameters"].append({"name": "pop", "path": "soil.layers.clay.pop", "prior": "uniform",
                                                    "low": 5, "high": 15, "localisation": "500 m"})
    cal = case_from_dict(data).calibration
    th, w, pop = cal.point_fields
    assert th.column == ("peat", "thickness", 1.0) and th.localisation == 2000.0 and th.correlation_length == 2000.0
    assert np.isclose(th.si(80.0), 0.8)  # prior in cm, the layer in m
    assert w.column is None and w.localisation == 0.0
    assert pop.localisation == 500.0 and np.isclose(pop.si(10.0), 1e4)  # bare kPa → Pa


# -- a synthetic twin of the coupled chain with a creep index per parcel ------------------------
import tomllib  # noqa: E402
from pathlib import Path  # noqa: E402

from mpi4py import MPI  # noqa: E402

from subsidence.insar.data import InsarDataset  # noqa: E402
from subsidence.insar.geometry import los_from_heading  # noqa: E402
from subsidence.insar.noise import NoiseModel  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
C_PRIOR = dict(median=0.02, sigma_log=0.3)
FIELD = "soil.layers.peat.compression.c"


def coupled_twin_data(ensemble=30, assimilations=3, **extra):
    """The Nieuwolda chain (cases/calibration_nieuwolda.toml: deep Groningen + lumped groundwater +
    isotache column), 2015-2016, with the cover resistance global and the peat's creep index per
    point (independent lognormal priors)."""
    data = tomllib.loads((ROOT / "cases/calibration_nieuwolda.toml").read_text(encoding="utf-8"))
    data["time"]["end"] = "2017-01-01"
    data["output"]["plots"] = False
    data.pop("validation", None)
    data["calibration"] = {
        "method": "es-mda", "ensemble": ensemble, "assimilations": assimilations, "seed": 3, "offset": "per-point",
        "noise": {"source": "model", "white_variance": "1 mm^2", "spatial_variance": "0.25 mm^2", "spatial_range": "1 km",
                  "temporal_variance": "0.25 mm^2", "temporal_range": "0.1 yr"},
        "parameters": [{"name": "aquitard_resistance", "path": "parcel.aquitard_resistance", "prior": "lognormal",
                        "median": 500.0, "sigma_log": 0.5}],
        "point_parameters": [{"name": "peat_c", "path": FIELD, "prior": "lognormal", **C_PRIOR}],
        **extra,
    }
    return data


def coupled_twin(m=10, seed=4):
    """Observations (line of sight) of m parcels from the chain with true per-point creep indices
    drawn from their prior and the true cover resistance at 700 d, plus offsets and noise."""
    from subsidence.calibration.calibrate import Calibration, observations_from

    rng = np.random.default_rng(seed)
    x, y = 224800.0 + rng.uniform(-2000, 2000, m), 563900.0 + rng.uniform(-2000, 2000, m)
    dates = np.datetime64("2015-03-01") + np.arange(0, 640, 12).astype("timedelta64[D]")
    c_true = C_PRIOR["median"] * np.exp(C_PRIOR["sigma_log"] * rng.standard_normal(m))
    los = los_from_heading(np.full(m, 39.0), np.full(m, -12.0))
    ds = InsarDataset(ids=[f"p{i}" for i in range(m)], x=x, y=y, dates=dates, disp=np.zeros((m, dates.size)),
                      component="los", los=los, crs="EPSG:28992", name="coupled twin")
    case = case_from_dict(coupled_twin_data(), file=ROOT / "cases/calibration_nieuwolda.toml")
    cal = Calibration(case, observations_from(ds, start_date=case.start_date, until=None), case.calibration,
                      comm=MPI.COMM_SELF)
    zg = np.array([np.log(700.0 / 500.0) / 0.5])
    zp = np.log(c_true / C_PRIOR["median"]) / C_PRIOR["sigma_log"]
    d = cal.obs.component_of(cal.model(zg, cal.fm, zp))
    # how far each parcel's true series lies from that with its creep index at the prior median,
    # after removing its mean (the offset is free): what the data can see of its value
    d_med = cal.obs.component_of(cal.model(zg, cal.fm, np.zeros(m)))
    r = (d - d_med) - (d - d_med).mean(axis=1, keepdims=True)
    visible = np.sqrt(np.mean(r**2, axis=1))
    nm = NoiseModel(white_var=1e-6, spatial_var=0.25e-6, spatial_range=1000.0, temporal_var=0.25e-6, temporal_range=0.1)
    ty = (dates - dates[0]).astype(float) / 365.25
    d = d + rng.uniform(-3e-3, 3e-3, (m, 1)) + nm.sample(x, y, ty, rng)
    return dataclasses_replace_disp(ds, d), c_true, visible


def dataclasses_replace_disp(ds, d):
    return InsarDataset(ids=ds.ids, x=ds.x, y=ds.y, dates=ds.dates, disp=d, component=ds.component, los=ds.los,
                        crs=ds.crs, name=ds.name)


@pytest.mark.serial
def test_coupled_twin_recovers_each_parcels_creep_index(tmp_path):
    """Ten parcels, each with its own creep index drawn from the prior (lognormal, σ_ln 0.3) and a
    global cover resistance: ES-MDA (30 members × 3, the per-point scores localised to their own
    parcel) puts ≥ 70 % of the true values inside the parcels' P5–P95. Where the data can see a
    parcel's value (its true series differs from the prior median's by more than the 1.2 mm noise,
    RMS), the posterior median is within 10 % of the truth and its P5–P95 less than a third of the
    prior's; where they cannot (creep too slow to see in two years), the posterior stays wide. The
    per-point values reach point_parameters.csv, state.npz and `forecast`."""
    import csv

    from subsidence.calibration.cli import calibrate_case

    ds, c_true, visible = coupled_twin()
    case = case_from_dict(coupled_twin_data(), file=ROOT / "cases/calibration_nieuwolda.toml")
    out = tmp_path / "cal"
    s = calibrate_case(case, ds, out, comm=MPI.COMM_SELF)
    # a case with weather gets the empirical weather baseline (trend + SPAMS per point) beside the others
    from subsidence.calibration.scores import SPAMS_TAUS, WEATHER

    assert WEATHER in s["doc"]["scores"]["in_sample"] and s["doc"]["weather_baseline"]["tau_days"] in SPAMS_TAUS
    assert WEATHER in (out / "report.html").read_text(encoding="utf-8")
    with open(out / "point_parameters.csv") as f:
        rows = list(csv.DictReader(f))
    q = np.array([[float(r[f"peat_c_p{p}"]) for p in (5, 50, 95)] for r in rows])
    inside = np.mean((q[:, 0] <= c_true) & (c_true <= q[:, 2]))
    assert inside >= 0.7, (inside, q, c_true)
    width_prior = C_PRIOR["median"] * (np.exp(1.645 * C_PRIOR["sigma_log"]) - np.exp(-1.645 * C_PRIOR["sigma_log"]))
    seen = visible > 1.2e-3
    assert seen.sum() >= 2, visible  # the draw has parcels the data constrain (and others they do not)
    assert np.all(np.abs(np.log(q[seen, 1] / c_true[seen])) < 0.1), (q[seen], c_true[seen])
    assert np.all(q[seen, 2] - q[seen, 0] < width_prior / 3), (q[seen], width_prior)
    assert np.median(q[~seen, 2] - q[~seen, 0]) > 0.25 * width_prior, (q[~seen], width_prior)
    st = np.load(out / "state.npz")
    assert st["zp"].shape == (10, 30)
    dates = tmp_path / "dates.txt"
    dates.write_text("2017-06-01\n")
    from subsidence.calibration.forecast import main as forecast_main

    import argparse

    args = argparse.Namespace(calibration=str(out), out=str(tmp_path / "fc"), dates=str(dates), seed=0, force=False, quiet=True)
    assert forecast_main(args) == 0
    assert (tmp_path / "fc" / "forecast_points.csv").is_file()


@pytest.mark.mpi
def test_point_fields_same_posterior_on_one_and_on_all_ranks(tmp_path_factory):
    """Per-point values in the state: members over the ranks of COMM_WORLD give the posterior of a
    one-rank run, bit for bit (the localised update is computed on rank 0 and broadcast)."""
    from subsidence.calibration.cli import calibrate_case

    comm = MPI.COMM_WORLD
    ds, _, _ = coupled_twin(m=4)
    data = coupled_twin_data(ensemble=6, assimilations=1)
    base = comm.bcast(str(tmp_path_factory.mktemp("mpi")) if comm.rank == 0 else None, root=0)
    f = ROOT / "cases/calibration_nieuwolda.toml"
    a = calibrate_case(case_from_dict(data, file=f), ds, f"{base}/world", comm=comm)
    b = calibrate_case(case_from_dict(data, file=f), ds, f"{base}/self-{comm.rank}", comm=MPI.COMM_SELF)
    assert np.array_equal(a["arrays"]["g_post"], b["arrays"]["g_post"])
    assert np.array_equal(a["arrays"]["fvals"], b["arrays"]["fvals"])
