"""Saved meshes (``subsidence.mesh.store``): written once, read back on any number of ranks.

Guards against: a read-back mesh that lost or shuffled tags or region names (a region's
volume or a boundary's area changes), refinement after reading that differs from refinement
after gmsh, and a missing file reaching dolfinx instead of an error that names it.
"""

import json
from pathlib import Path

import pytest
from mpi4py import MPI

from subsidence.mesh import store
from subsidence.mesh.refine import refine_uniformly, tagged_measures
from test_refine import _layered

pytestmark = pytest.mark.fem
comm = MPI.COMM_WORLD


def _shared_dir(tmp_path) -> Path:
    return Path(comm.bcast(str(tmp_path), root=0))


@pytest.mark.parametrize("mode", ["3d", "axisymmetric"])
def test_written_mesh_reads_back_with_its_tags_and_refines_alike(tmp_path, mode):
    built = _layered(mode)
    tdim = built.mesh.topology.dim
    path = store.write(built, _shared_dir(tmp_path) / "coarse.f0.5")  # a dot in the name is kept
    assert path.name == "coarse.f0.5.xdmf"
    assert (path.parent / "coarse.f0.5.h5").exists() and (path.parent / "coarse.f0.5.json").exists()
    vol0, area0 = tagged_measures(built.mesh, built.cell_tags, built.facet_tags)
    back = store.read(comm, path, levels=0)
    assert back.mode == built.mode and back.regions == built.regions
    assert back.mesh.topology.index_map(tdim).size_global == built.mesh.topology.index_map(tdim).size_global
    assert back.timings["made_elsewhere"] == 1.0 and back.timings["gmsh_s"] == pytest.approx(built.timings["gmsh_s"])
    vol, area = tagged_measures(back.mesh, back.cell_tags, back.facet_tags)
    assert sorted(vol) == sorted(vol0) and sorted(area) == sorted(area0)
    for t in vol0:
        assert vol[t] == pytest.approx(vol0[t], rel=1e-12)
    for t in area0:
        assert area[t] == pytest.approx(area0[t], rel=1e-12)
    # refined after reading = refined after gmsh
    fine = store.read(comm, path, levels=1)
    m1, ct1, ft1 = refine_uniformly(built.mesh, built.cell_tags, built.facet_tags, 1)
    assert fine.levels == 1 and fine.coarse_cells == built.coarse_cells
    assert fine.mesh.topology.index_map(tdim).size_global == m1.topology.index_map(tdim).size_global
    assert fine.mesh.topology.index_map(tdim).num_ghosts == 0
    vf, af = tagged_measures(fine.mesh, fine.cell_tags, fine.facet_tags)
    v1, a1 = tagged_measures(m1, ct1, ft1)
    for t in v1:
        assert vf[t] == pytest.approx(v1[t], rel=1e-12)
    for t in a1:
        assert af[t] == pytest.approx(a1[t], rel=1e-12)
    assert comm.allreduce(len(ft1.indices)) == comm.allreduce(len(fine.facet_tags.indices))


def test_missing_or_foreign_files_are_named(tmp_path):
    d = _shared_dir(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"nowhere\.xdmf"):
        store.read(comm, d / "nowhere.xdmf")
    built = _layered("axisymmetric")
    path = store.write(built, d / "m")
    comm.Barrier()
    if comm.rank == 0:
        meta = path.with_suffix(".json")
        meta.write_text(json.dumps({**json.loads(meta.read_text()), "format": 99}))
    comm.Barrier()
    with pytest.raises(ValueError, match=r"m\.json: format 99"):
        store.read(comm, path)
