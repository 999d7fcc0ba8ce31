"""``[mesh] cache``: a coarse mesh saved under a key of the geometry and read back in parallel,
without gmsh, by later runs of the same geometry (clusters, sweeps over materials).

Guards against: a cached mesh used for another geometry (the key must change with any input of
the builder), a cached run that differs from the meshed one, and half-written entries.
"""

import copy

import numpy as np
import pytest
from mpi4py import MPI

from subsidence.config import CaseError
from subsidence.config.case import case_from_dict
from test_refine import CASE

pytestmark = pytest.mark.fem
comm = MPI.COMM_WORLD


def _case(cache, **mesh):
    d = copy.deepcopy(CASE)
    d["mesh"] = {"reservoir_size": 100.0, "surface_size": 200.0, "refine": 1, "cache": str(cache), **mesh}
    return d


def test_second_run_reads_the_mesh_and_gives_the_same_answer(shared_tmp):
    import pandas as pd

    from subsidence.run import run_case

    cache = shared_tmp / "meshes"
    s1 = run_case(case_from_dict(_case(cache)), shared_tmp / "first", comm=comm)
    s2 = run_case(case_from_dict(_case(cache)), shared_tmp / "second", comm=comm)
    c1, c2 = s1["fem"]["mesh_cache"], s2["fem"]["mesh_cache"]
    assert not c1["hit"] and c2["hit"] and c1["key"] == c2["key"]
    assert s2["fem"]["cells"] == s1["fem"]["cells"] and s2["fem"]["gmsh_cells"] == s1["fem"]["gmsh_cells"]
    assert s2["fem"]["refine"] == 1 and "mesh_read_s" in s2["fem"]
    entries = sorted(p.name for p in cache.iterdir())
    assert entries == [c1["key"]]  # one complete entry, no temporary left
    assert {"mesh.xdmf", "mesh.h5", "mesh.json", "inputs.json"} <= {p.name for p in (cache / c1["key"]).iterdir()}
    p1 = pd.read_csv(shared_tmp / "first" / "points.csv")
    p2 = pd.read_csv(shared_tmp / "second" / "points.csv")
    assert p1.uz[0] < -0.02
    assert np.allclose(p2.uz, p1.uz, rtol=1e-6, atol=1e-9) and np.allclose(p2.ux, p1.ux, rtol=1e-6, atol=1e-9)
    # another refinement level of the same geometry reuses the coarse mesh
    s3 = run_case(case_from_dict(_case(cache, refine=0)), shared_tmp / "third", comm=comm)
    assert s3["fem"]["mesh_cache"]["hit"] and s3["fem"]["cells"] == s1["fem"]["gmsh_cells"]


def test_the_key_follows_every_input_of_the_mesh(shared_tmp):
    from subsidence.fem.setup import layout
    from subsidence.mesh.store import cache_key

    def key(d):
        cfg = case_from_dict(d).config
        lay = layout(cfg, cfg.fem)
        return cache_key(mode=lay.mode, domain=lay.domain, slabs=lay.slabs, bodies=lay.bodies,
                         reservoirs=lay.reservoirs, sizes=lay.sizes, refine=lay.zones)

    base = _case(shared_tmp)
    k0 = key(base)
    assert key(copy.deepcopy(base)) == k0
    deeper = copy.deepcopy(base)
    deeper["reservoirs"][0]["depth"] = base["reservoirs"][0]["depth"] + 1.0
    finer = _case(shared_tmp, reservoir_size=99.0)
    assert len({k0, key(deeper), key(finer)}) == 3
    softer = copy.deepcopy(base)  # materials are not part of the mesh: a sweep over them reuses it
    softer["model"]["poisson_ratio"] = 0.3
    softer["reservoirs"][0]["compaction"]["cm"] = 2e-10
    assert key(softer) == k0


def test_a_cache_path_that_is_a_file_is_an_error(shared_tmp):
    f = shared_tmp / f"not_a_dir_{comm.rank}"
    f.write_text("x")
    with pytest.raises(CaseError) as e:
        case_from_dict(_case(f))
    assert e.value.key == "mesh.cache" and "not a directory" in str(e.value)


@pytest.mark.serial
def test_an_unwritable_cache_is_a_clear_error(shared_tmp, capsys):
    """A cache directory that cannot be created (here: below a file): the CLI names the case
    file and the key, no traceback, exit status 2."""
    import tomli_w

    from subsidence.cli import main

    (shared_tmp / "a_file").write_text("x")
    case = shared_tmp / "cached.toml"
    case.write_bytes(tomli_w.dumps(_case(shared_tmp / "a_file" / "meshes")).encode())
    rc = main(["run", str(case), "--out", str(shared_tmp / "out_unwritable")])
    err = capsys.readouterr().err
    assert rc == 2 and "[mesh.cache] cannot write the mesh cache" in err and "cached.toml" in err, err
    assert "Traceback" not in err
