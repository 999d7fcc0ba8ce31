"""Sealed reservoir faces in coupled Biot runs: the pore pressure jumps across them.

Guards against: a sealed face that still smears the pressure over one element (the
continuous-P1 error, +10.6 % compaction at h = 25 m for a 100 m reservoir), a sealed face
that lets the depletion through, open faces that no longer pass it, faces classified on the
wrong side (top/base swapped, sides missed) or only on one rank, a fixed-stress split (or a 3D
model) that ignores the sealing, and bad ``sealed`` input reaching the solver.
"""

import copy
from pathlib import Path

import numpy as np
import pytest
from mpi4py import MPI

from subsidence.config import CaseError
from subsidence.config.case import case_from_dict
from subsidence.run import run_case

pytestmark = pytest.mark.fem
comm = MPI.COMM_WORLD

CASE = {
    "name": "sealed",
    "kind": "deep",
    "model": {"method": "fem", "poisson_ratio": 0.25, "coupling": "biot", "time_step": 1.0},
    "basement": {"depth": 4500.0, "rigid": True},
    "reservoirs": [{
        "name": "disc", "shape": {"type": "disc", "center": [0.0, 0.0], "radius": 2000.0},
        "depth": 3000.0, "thickness": 100.0, "compaction": {"law": "linear", "cm": 1.0e-10},
        "pressure_change": {"time": [0.0, 10.0, 20.0], "value": [0.0, -1.0e7, -1.0e7]},
    }],
    "layers": [{"name": "over", "top": 0.0, "E": 1.0e10, "nu": 0.25},
               {"name": "aquifer", "top": 2900.0, "E": 1.0e10, "nu": 0.25},
               {"name": "under", "top": 3100.0, "E": 1.0e10, "nu": 0.25}],
    "reservoir_properties": {"disc": {"permeability": 1e-13}},
    "output": {"times": [10.0, 20.0], "points": {"name": ["centre", "r2500"], "x": [0.0, 2500.0], "y": [0.0, 0.0]}},
}


def _case(h, *, sealed=None, storage=None, perm=0.0, one_way=False, solver=None):
    d = copy.deepcopy(CASE)
    d["mesh"] = {"reservoir_size": h}
    if one_way:
        d["model"] = {"method": "fem", "poisson_ratio": 0.25}
        d["reservoir_properties"] = {"disc": {}}
        return d
    for t in d["layers"]:
        if storage is not None:
            t["storage"] = storage
    d["layers"][1]["permeability"] = perm
    if sealed is not None:
        d["reservoir_properties"]["disc"]["sealed"] = sealed
    if solver:
        d["model"]["solver"] = solver
    return d


def _uz(data, out):
    import pandas as pd

    run_case(case_from_dict(copy.deepcopy(data)), out, comm=comm)
    p = pd.read_csv(out / "points.csv")
    return p.uz.to_numpy()


@pytest.fixture(scope="module")
def tmp(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("sealing")) if comm.rank == 0 else None
    return Path(comm.bcast(path, root=0))


def test_sealed_reservoir_drained_limit_has_no_smearing_error(tmp):
    """Huge storage keeps the sealed surroundings drained (p ≈ 0): the coupled model is then the one-way one.

    With the pressure jump at the faces exact, the coupled run equals the one-way run on the
    same mesh (the continuous P1 pressure is 10.6 % off here), and against a finer one-way
    reference the error falls at the displacement element's rate, not at first order.
    """
    ref = _uz(_case(12.5, one_way=True), tmp / "ref")
    err = []
    for h in (50.0, 25.0):
        sealed = _uz(_case(h, sealed=True, storage=1e-3), tmp / f"sealed{h}")
        if h == 25.0:
            same = _uz(_case(h, one_way=True), tmp / "one25")
            assert np.abs(sealed / same - 1).max() < 1e-6, (sealed, same)
        err.append(np.abs(sealed / ref - 1).max())
    assert err[1] < 1e-3 and err[0] / err[1] > 3.0, err


def test_sealed_faces_stop_the_flow_and_open_faces_pass_it(tmp):
    """A reservoir inside a permeable aquifer (k = 1e-15 m²), depletion held after 10 yr.

    All faces sealed → nothing diffuses out: the surface hardly moves after 10 yr (only the
    aquifer's own undrained stress-induced pressures relax, 3e-4 relative). Top/base or sides
    open → the aquifer keeps depleting and the surface keeps sinking; all open sinks most.
    """
    runs = {}
    for name, sealed in (("closed", True), ("sides-open", ["top", "base"]), ("top-base-open", ["sides"]),
                         ("open", None)):
        runs[name] = _uz(_case(50.0, sealed=sealed, perm=1e-15), tmp / name).reshape(2, 2)
    later = {k: v[1] - v[0] for k, v in runs.items()}  # subsidence from 10 to 20 yr (negative: down)
    assert np.abs(later["closed"]).max() < 0.002 * np.abs(later["open"]).max(), later
    for k in ("sides-open", "top-base-open"):
        assert later[k][0] < 0.5 * later["open"][0], later
        assert runs["open"][1, 0] <= runs[k][1, 0], runs


def test_fixed_stress_split_keeps_the_seal(tmp):
    """The iterative split (GAMG) holds the same regions apart as the monolithic solve."""
    out = []
    for solver in ("mumps", "fixed-stress"):
        case = _case(50.0, sealed=["top", "base"], perm=1e-15, solver=solver)
        case["model"]["time_step"] = 10.0
        out.append(_uz(case, tmp / solver))
    mono, split = out
    assert np.allclose(split, mono, rtol=1e-5), (split, mono)


def test_faces_are_classified_by_their_outward_normal():
    """A 2 × 1 block inside a 4 × 3 box (2D and 3D), on any number of ranks: face lengths/areas."""
    from dolfinx import mesh

    from subsidence.fem.sealing import region_faces

    none = mesh.GhostMode.none  # like the meshes of the runs: each interface facet is listed by one rank
    for tdim in (2, 3):
        if tdim == 2:
            m = mesh.create_rectangle(comm, [[0.0, -3.0], [4.0, 0.0]], [8, 6], ghost_mode=none)
        else:
            m = mesh.create_box(comm, [[0.0, 0.0, -3.0], [4.0, 2.0, 0.0]], [8, 4, 6], ghost_mode=none)
        ncell = m.topology.index_map(tdim).size_local
        cells = np.arange(ncell, dtype=np.int32)
        mid = mesh.compute_midpoints(m, tdim, cells)
        inside = (mid[:, 0] > 1.0) & (mid[:, 0] < 3.0) & (mid[:, tdim - 1] > -2.0) & (mid[:, tdim - 1] < -1.0)
        tags = mesh.meshtags(m, tdim, cells, np.where(inside, 7, 1).astype(np.int32))
        faces = region_faces(m, tags, 7, [7])
        size = {k: comm.allreduce(_facet_measure(m, tdim - 1, f), op=MPI.SUM) for k, f in faces.items()}
        width = 1.0 if tdim == 2 else 2.0  # extent normal to the (x, z) plane; the y faces lie on the boundary
        assert size["top"] == pytest.approx(2.0 * width), (tdim, size)
        assert size["base"] == pytest.approx(2.0 * width), (tdim, size)
        assert size["sides"] == pytest.approx(2.0 * width), (tdim, size)
        # the block with its lower half also held: the base is then no interface
        held = mid[:, tdim - 1] < -2.0
        tags = mesh.meshtags(m, tdim, cells, np.where(inside, 7, np.where(held, 8, 1)).astype(np.int32))
        faces = region_faces(m, tags, 7, [7, 8])
        assert comm.allreduce(len(faces["base"]), op=MPI.SUM) == 0
        assert comm.allreduce(_facet_measure(m, tdim - 1, faces["top"]), op=MPI.SUM) == pytest.approx(2.0 * width)


def _facet_measure(m, fdim, facets):
    from dolfinx.mesh import entities_to_geometry

    if len(facets) == 0:
        return 0.0
    x = m.geometry.x[entities_to_geometry(m, fdim, facets.astype(np.int32))]
    if fdim == 1:
        return float(np.linalg.norm(x[:, 1] - x[:, 0], axis=1).sum())
    return float(0.5 * np.linalg.norm(np.cross(x[:, 1] - x[:, 0], x[:, 2] - x[:, 0]), axis=1).sum())


@pytest.mark.parametrize("sealed, coupling, why", [
    (["roof"], "biot", "'roof'"),
    ([], "biot", "non-empty"),
    ("top", "biot", "array of strings"),
    (True, "one-way", "coupling"),
])
def test_bad_sealed_input_names_the_key(sealed, coupling, why):
    d = copy.deepcopy(CASE)
    d["reservoir_properties"]["disc"]["sealed"] = sealed
    if coupling != "biot":
        d["model"] = {"method": "fem", "poisson_ratio": 0.25}
    with pytest.raises(CaseError) as exc:
        case_from_dict(d)
    assert exc.value.key == "reservoir_properties.disc.sealed" and why in str(exc.value), str(exc.value)


def test_sealed_reservoir_in_3d_with_the_fixed_stress_split(tmp):
    """3D (coarse: h = 400 m for H = 100 m, where the continuous pressure is 39 % off), GAMG split:
    the drained limit of the sealed model is the one-way model on the same mesh."""
    mesh = {"reservoir_size": 400.0, "surface_size": 1000.0, "far_size": 4000.0, "lateral_margin": 6000.0}
    out = []
    for name, kw in (("one3d", dict(one_way=True)),
                     ("split3d", dict(sealed=True, storage=1e-3, solver="fixed-stress"))):
        case = _case(400.0, **kw)
        case["model"]["geometry"] = "3d"
        if kw.get("solver"):
            case["model"]["time_step"] = 10.0
        case["mesh"] = mesh
        out.append(_uz(case, tmp / name))
    assert np.abs(out[1] / out[0] - 1).max() < 1e-6, out
