"""Per-point column-layer values (``ChainConfig.point_layers``, ``Column(column_layers=...)``):
one vectorised run with each column's own values equals separate runs with each column's own
layers; in the chain, a point with other values equals that point on a profile of its own."""

import copy
import dataclasses

import numpy as np
import pytest
from mpi4py import MPI

from subsidence.config import case_from_dict
from subsidence.physics.retention import VanGenuchten
from subsidence.shallow.chain import run_chain
from subsidence.shallow.column import Column, ColumnLayer, Isotache, Koppejan, LinearCompression, NoOxidation, PeatOxidation

from .test_profiles import _coupled, _with_profiles

DAY = 86400.0
KEYS = ("settlement", "compaction", "oxidation", "layer_settlement", "co2")


def _layers(moisture=None):
    return [ColumnLayer("clay", 0.6, 1e-8, 17000.0, 15500.0, Isotache(0.01, 0.1, 0.004), ocr=2.5, max_cell=0.2),
            ColumnLayer("peat", 1.0, 1e-7, 10500.0, 10000.0, Isotache(0.04, 0.3, 0.02), ocr=2.0, max_cell=0.25,
                        oxidation=PeatOxidation(0.008, 140.0, moisture=moisture)),
            ColumnLayer("clay2", 0.5, 5e-9, 16000.0, 15000.0, Isotache(0.02, 0.15, 0.0), pop=3000.0, max_cell=0.25),
            ColumnLayer("sand", 2.0, 1e-4, 20000.0, 17000.0, LinearCompression(2e-8), max_cell=0.5)]


def _varied(base):
    """Columns with other c, a, ocr, alpha, thickness, mv, pop and unit weights (the peat's
    thickness within the range that keeps its 4 cells, so that the columns alone have the same cells)."""
    clay, peat, clay2, sand = base
    r = dataclasses.replace
    return [
        base,
        [clay, r(peat, compression=Isotache(0.05, 0.3, 0.04)), clay2, sand],
        [r(clay, ocr=1.3, gamma_sat=18000.0), r(peat, thickness=0.8, oxidation=r(peat.oxidation, alpha=0.02)), clay2, sand],
        [clay, r(peat, thickness=0.9, ocr=1.5, k=3e-7, compression=Isotache(0.03, 0.25, 0.01),
                 oxidation=r(peat.oxidation, alpha=0.0)), r(clay2, pop=0.0, ocr=1.8), r(sand, compression=LinearCompression(5e-8))],
        [r(clay, thickness=0.5, compression=Isotache(0.01, 0.12, 0.008), oxidation=PeatOxidation(0.003, 50.0)),
         r(peat, gamma_unsat=9000.0), clay2, sand],  # (and an oxidising top clay, the profile's does not oxidise)
    ]


@pytest.mark.parametrize("bottom", ["no_flow", "head"])
def test_column_with_values_per_column_equals_separate_runs(bottom):
    base = _layers(moisture=VanGenuchten(theta_s=0.85, theta_r=0.1, alpha=1.5, n=1.4) if bottom == "head" else None)
    cols = _varied(base)
    nb = len(cols)
    t = np.arange(2 * 365 + 1) * DAY
    season = 0.45 * np.sin(2 * np.pi * t / (365 * DAY))
    hp = 3.6 + season[:, None] - 0.07 * np.arange(nb)[None, :]
    phi = 3.3 + 0.3 * season[:, None] + 0.02 * np.arange(nb)[None, :]
    temp = 10 + 6 * np.sin(2 * np.pi * t / (365 * DAY))
    kw = dict(bottom=bottom, oxidation_depth=1.0)
    one = Column(base, column_layers=cols, **kw)
    assert one.c.ndim == 2 and one.h_init_col.ndim == 2 and one.mv.ndim == 2  # values per column
    h = one.run(t, phreatic=hp, bottom_head=phi if bottom == "head" else None, temperature=temp)
    for j, lay in enumerate(cols):
        alone = Column(lay, **kw)
        assert alone.ncell == one.ncell
        a = alone.run(t, phreatic=hp[:, j], bottom_head=phi[:, j] if bottom == "head" else None, temperature=temp)
        for k in KEYS:
            np.testing.assert_allclose(getattr(h, k)[:, j], getattr(a, k)[:, 0], rtol=0, atol=1e-9, err_msg=f"{k} {j}")
    # the values matter: the columns differ (by more than millimetres), and the one without oxidation has none
    assert np.ptp(h.settlement[-1]) > 5e-3
    assert h.oxidation[-1, 3] == 0.0 and h.oxidation[-1, 2] > h.oxidation[-1, 0] > 0
    # a subset of the columns (the split over ranks) gives those columns
    sub = one.take([4, 1]).run(t, phreatic=hp[:, [4, 1]], bottom_head=phi[:, [4, 1]] if bottom == "head" else None,
                               temperature=temp)
    np.testing.assert_allclose(sub.settlement, h.settlement[:, [4, 1]], rtol=0, atol=1e-9)


def test_column_with_koppejan_values_per_column():
    law = Koppejan(Cp=30.0, Cs=150.0, Cp_prime=90.0, Cs_prime=500.0)
    base = [ColumnLayer("clay", 0.5, 1e-8, 15000.0, 15000.0, law, ocr=1.2, max_cell=0.1)]
    cols = [base, [dataclasses.replace(base[0], compression=dataclasses.replace(law, Cp=20.0, Cs=80.0), thickness=0.45)]]
    t = np.arange(200) * DAY
    hp = np.stack([0.5 - 0.3 * np.minimum(t / (30 * DAY), 1.0)] * 2, axis=1)
    h = Column(base, column_layers=cols).run(t, phreatic=hp)
    for j, lay in enumerate(cols):
        a = Column(lay).run(t, phreatic=hp[:, j])
        np.testing.assert_allclose(h.settlement[:, j], a.settlement[:, 0], rtol=0, atol=1e-9)
    assert h.settlement[-1, 1] > 1.2 * h.settlement[-1, 0]


def test_equal_values_per_column_keep_the_single_layer_path():
    base = _layers()
    one = Column(base, column_layers=[base, list(base)])
    assert one.c.ndim == 1 and one.h_init_col is one.h_init
    t = np.arange(100) * DAY
    hp = np.stack([3.5 - 0.3 * t / t[-1], 3.4 + 0 * t], axis=1)
    np.testing.assert_array_equal(one.run(t, phreatic=hp).settlement, Column(base).run(t, phreatic=hp).settlement)


def test_column_rejects_layers_that_do_not_fit():
    base = _layers()
    r = dataclasses.replace
    with pytest.raises(ValueError, match=r"column 1: layers .* differ"):
        Column(base, column_layers=[base, base[::-1]])
    with pytest.raises(ValueError, match="column 0: layer 'peat': max_cell"):
        Column(base, column_layers=[[base[0], r(base[1], max_cell=0.1), *base[2:]]])
    with pytest.raises(ValueError, match="layer 'clay2': isotache c"):
        Column(base, column_layers=[[*base[:2], r(base[2], compression=Isotache(0.02, 0.15, 0.01)), base[3]]])
    with pytest.raises(ValueError, match="layer 'sand': compression law Isotache"):
        Column(base, column_layers=[[*base[:3], r(base[3], compression=Isotache(0.01, 0.02, 0.001))]])
    col = Column(base, column_layers=[base, base])
    with pytest.raises(ValueError, match="values for 2 column"):
        col.run(np.arange(3) * DAY, phreatic=np.full((3, 3), 3.0))


# -- the chain ---------------------------------------------------------------------------------
def _cfg(d):
    return case_from_dict(copy.deepcopy(d), file="x.toml").config


def _peat_c(layers, factor):
    out = list(layers)
    j = [L.name for L in out].index("peat")
    out[j] = dataclasses.replace(out[j], compression=dataclasses.replace(out[j].compression, c=out[j].compression.c * factor))
    return out


SERIES = ("shallow", "compaction", "oxidation", "gw_mean", "layer_settlement", "co2")


def test_chain_point_layers_equal_a_profile_of_their_own(tmp_path):
    base = _coupled(tmp_path)
    cfg = _cfg(base)
    plain = run_chain(cfg, MPI.COMM_SELF)
    same = run_chain(dataclasses.replace(cfg, point_layers=[list(cfg.layers) for _ in cfg.point_names]), MPI.COMM_SELF)
    for k in SERIES + ("shallow_ref_points", "gw_ref_points"):
        np.testing.assert_array_equal(getattr(same, k), getattr(plain, k), err_msg=k)
    # point b with its peat's creep doubled
    pl = [list(cfg.layers) for _ in cfg.point_names]
    pl[1] = _peat_c(cfg.layers, 2.0)
    run = run_chain(dataclasses.replace(cfg, point_layers=pl), MPI.COMM_SELF)
    assert run.shallow[-1, 1] - plain.shallow[-1, 1] > 1e-3  # more creep: more settlement
    for j in (0, 2, 3):
        np.testing.assert_allclose(run.shallow[:, j], plain.shallow[:, j], rtol=0, atol=1e-9)
    np.testing.assert_array_equal(run.gw_mean, plain.gw_mean)  # the groundwater keeps the profile's parcel
    np.testing.assert_allclose(run.shallow_ref_points, plain.shallow_ref_points, rtol=0, atol=1e-9)  # and the counterfactuals its layers
    # = point b alone on a profile with that peat
    d = copy.deepcopy(base)
    peat = next(L for L in d["soil"]["layers"] if L["name"] == "peat")
    peat["compression"]["c"] *= 2.0
    own = run_chain(_cfg(_with_profiles(base, second_layers=d["soil"]["layers"], assign=("clay", "peaty", "clay", "clay"))),
                    MPI.COMM_SELF)
    for k in ("shallow", "compaction", "oxidation", "co2", "layer_settlement"):
        np.testing.assert_allclose(getattr(run, k), getattr(own, k), rtol=0, atol=1e-9, err_msg=k)


def _varied_point_layers(cfg):
    """Per point: its profile's layers with another peat c, and every other point also another
    clay ocr and a thinner peat."""
    prof = {j: lay for _, _, lay, idx in cfg.profile_groups() for j in idx}
    out = []
    for j in range(len(cfg.point_names)):
        lay = _peat_c(prof[j], 1.0 + 0.5 * j)
        if j % 2:
            lay = [dataclasses.replace(L, ocr=1.5) if L.name == "clay" else
                   dataclasses.replace(L, thickness=0.8 * L.thickness) if L.name == "peat" else L for L in lay]
        out.append(lay)
    return out


def test_streamed_chain_with_point_layers_equals_the_full_run(tmp_path):
    d = _with_profiles(_coupled(tmp_path), assign=("clay", "peaty", "peaty", "clay"))
    d["output"]["interval"] = 7
    cfg = _cfg(d)
    cfg = dataclasses.replace(cfg, point_layers=_varied_point_layers(cfg))
    full = run_chain(cfg, MPI.COMM_SELF, stream=False)
    part = run_chain(cfg, MPI.COMM_SELF, stream=True, block_points=3)
    idx = np.unique(np.append(np.arange(0, full.dates.size, 7), full.dates.size - 1))
    for k in SERIES + ("extra", "shallow_ref_points"):
        np.testing.assert_allclose(getattr(part, k), getattr(full, k)[idx], rtol=0, atol=1e-9, err_msg=k)
    # the points' own values were used (points b-d have another peat c than their profile's)
    plain = run_chain(dataclasses.replace(cfg, point_layers=None), MPI.COMM_SELF, stream=True, block_points=3)
    assert np.all(np.abs(part.shallow[-1, 1:] - plain.shallow[-1, 1:]) > 1e-4)
    # (the counterfactuals keep the profile's layers: the same to the Newton tolerance of the batch)
    np.testing.assert_allclose(part.shallow_ref_points, plain.shallow_ref_points, rtol=0, atol=1e-9)


def test_bad_point_layers_name_the_point_and_the_layer(tmp_path):
    cfg = _cfg(_coupled(tmp_path))
    good = [list(cfg.layers) for _ in cfg.point_names]
    r = dataclasses.replace

    def bad(j, lay):
        pl = list(good)
        pl[j] = lay
        return r(cfg, point_layers=pl)

    L = cfg.layers
    with pytest.raises(ValueError, match=r"point 'c'.*layers \['peat', 'clay'"):
        run_chain(bad(2, [L[1], L[0], *L[2:]]), MPI.COMM_SELF)
    with pytest.raises(ValueError, match=r"point 'b'.*layers \['clay', 'peat'\] differ"):
        run_chain(bad(1, L[:2]), MPI.COMM_SELF)
    with pytest.raises(ValueError, match="point 'd'.*layer 'sand': max_cell"):  # another cell count
        run_chain(bad(3, [*L[:2], r(L[2], max_cell=0.25)]), MPI.COMM_SELF)
    with pytest.raises(ValueError, match="point 'a'.*layer 'peat': isotache c = 0"):
        run_chain(bad(0, _peat_c(L, 0.0)), MPI.COMM_SELF)
    with pytest.raises(ValueError, match="point 'a'.*layer 'clay': compression law LinearCompression"):
        run_chain(bad(0, [r(L[0], compression=LinearCompression(1e-7)), *L[1:]]), MPI.COMM_SELF)
    with pytest.raises(ValueError, match="3 entries for 4 points"):
        run_chain(r(cfg, point_layers=good[:3]), MPI.COMM_SELF)
    assert isinstance(L[2].oxidation, NoOxidation)


@pytest.mark.mpi
def test_point_layers_over_the_ranks_give_the_one_rank_result(tmp_path_factory):
    """Under ``mpiexec -n 2``: the 5 distinct columns (4 points, 1 counterfactual) split over the ranks."""
    from pathlib import Path

    comm = MPI.COMM_WORLD
    d = _coupled(tmp_path_factory.mktemp("pl")) if comm.rank == 0 else None
    d = comm.bcast(d, root=0)
    comm.Barrier()
    cfg = _cfg(d)
    cfg = dataclasses.replace(cfg, point_layers=_varied_point_layers(cfg))
    world = run_chain(cfg, comm)
    alone = run_chain(cfg, MPI.COMM_SELF)
    for k in ("shallow", "compaction", "oxidation", "extra"):
        np.testing.assert_allclose(getattr(world, k), getattr(alone, k), rtol=0, atol=1e-9, err_msg=k)
    assert Path(d["deep"]["file"]).exists()


def test_a_thicker_layer_keeps_the_surface_at_the_land_surface(tmp_path):
    """A point whose bottom layer is 1 m thicker has its column reach 1 m deeper: the water levels
    stay where they are below the surface, so only that extra metre's compression is added
    (the sand's mv × stress × 1 m: well under a millimetre), not the settlement of a water table
    lowered by a metre relative to the surface."""
    cfg = _cfg(_coupled(tmp_path))
    plain = run_chain(cfg, MPI.COMM_SELF)
    pl = [list(cfg.layers) for _ in cfg.point_names]
    j = len(cfg.layers) - 1
    pl[1][j] = dataclasses.replace(cfg.layers[j], thickness=cfg.layers[j].thickness + 1.0)
    run = run_chain(dataclasses.replace(cfg, point_layers=pl), MPI.COMM_SELF)
    diff = np.abs(run.shallow[:, 1] - plain.shallow[:, 1]).max()
    assert diff < 1e-3, diff
    np.testing.assert_allclose(run.shallow[:, 0], plain.shallow[:, 0], rtol=0, atol=1e-9)
