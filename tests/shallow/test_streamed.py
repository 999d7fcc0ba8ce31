"""A multi-point run streamed in blocks of points keeps only the output times and gives the
full run's values there (memory ~ points × output times, not points × days)."""

import copy

import numpy as np
import pytest
from mpi4py import MPI

from subsidence.config import case_from_dict
from subsidence.shallow.chain import run_chain

from .test_profiles import _coupled, _with_profiles


@pytest.mark.parametrize("reference", ["mean", "max", "own"])
def test_streamed_blocks_reproduce_the_full_run(tmp_path, reference):
    d = _with_profiles(_coupled(tmp_path), assign=("clay", "peaty", "peaty", "clay"))
    d["points"]["area"] = ["A", "B", "A", "A"]
    d["water_management"].update(reference=reference, interval=0.25)
    d["output"]["interval"] = 7
    cfg = case_from_dict(copy.deepcopy(d), file="x.toml").config
    full = run_chain(cfg, MPI.COMM_SELF, stream=False)
    part = run_chain(cfg, MPI.COMM_SELF, stream=True, block_points=3)  # blocks {a, b, c} and {d}
    idx = np.append(np.arange(0, full.dates.size, 7), full.dates.size - 1)
    idx = np.unique(idx)
    assert part.streamed and part.dates.tolist() == full.dates[idx].tolist()
    for k in ("deep_uz", "level_change", "ditch_level", "gw_mean", "gw_mid", "shallow", "compaction", "oxidation", "extra",
              "total_uz", "gw_ref_points", "shallow_ref_points", "co2"):
        np.testing.assert_allclose(getattr(part, k), getattr(full, k)[idx], rtol=0, atol=1e-12, err_msg=k)
    np.testing.assert_allclose(part.layer_settlement, full.layer_settlement[idx], rtol=0, atol=1e-12)
    # the yearly GLG from the daily levels, as the full run's table
    from subsidence.shallow.output import glg_table

    a, b = glg_table(part), glg_table(full)
    assert len(a) == len(b) and all(ra["name"] == rb["name"] and ra["glg_m"] == pytest.approx(rb["glg_m"], abs=1e-12)
                                    for ra, rb in zip(a, b))
    # precipitation: the mean per day since the previous output time
    assert part.precipitation_mm[1] == pytest.approx(full.precipitation_mm[1:8].mean(), rel=1e-12)


def test_streamed_run_writes_the_outputs(tmp_path):
    """Also under ``mpiexec -n 2`` (each block's columns split over the ranks): the same files."""
    from pathlib import Path

    from subsidence.run import run_case
    from subsidence.shallow import chain

    tmp_path = Path(MPI.COMM_WORLD.bcast(str(tmp_path), root=0))  # one folder for every rank
    d = _coupled(tmp_path)
    d["output"]["interval"] = 30
    old = chain.STREAM_ABOVE_BYTES
    chain.STREAM_ABOVE_BYTES = 0  # stream every multi-point run
    try:
        s = run_case(case_from_dict(copy.deepcopy(d), file=tmp_path / "c.toml"), tmp_path / "a")
    finally:
        chain.STREAM_ABOVE_BYTES = old
    ref = run_case(case_from_dict(copy.deepcopy(d), file=tmp_path / "c.toml"), tmp_path / "b")
    assert s["shallow_settlement_m"]["mean"] == pytest.approx(ref["shallow_settlement_m"]["mean"], abs=1e-12)
    MPI.COMM_WORLD.Barrier()
    for f in ("chain_points.csv", "glg_ghg.csv", "points.csv"):
        assert (tmp_path / "a" / f).read_text() == (tmp_path / "b" / f).read_text(), f
