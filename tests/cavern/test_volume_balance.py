"""Where a cavern's closure goes: the volume balance of the rock (``CreepModel.volume_balance``)
and the surface bowl of creep closure against the cavity's volume loss (issue 13, KEM-49).

In a box with rollers on the sides and the base, the divergence theorem gives
surface bowl = cavity volume change + rock volume change. Creep keeps volume, so the rock's
volume change is elastic (and thermal): it is what keeps the creep bowl below the cavity's
loss (docs/caverns.md, "Bowl completeness"). In the incompressible limit (ν → 0.5) it vanishes
and the bowl must equal the cavity's loss.

Guards against: bowl volumes that do not add up (a lost flux, a wrong 2π r weight), and an
explanation of the bowl deficit that the model does not bear out.
"""

import copy
import dataclasses

import numpy as np
import pytest

from subsidence.config import case_from_dict

from cavern_helpers import BASE

pytestmark = pytest.mark.fem


def _run(comm, nu: float, prefix: str, end: float = 2.0):
    from subsidence.studies.cavern import build_mesh, build_model, build_simulation

    d = copy.deepcopy(BASE)
    d["geometry"].update({"mesh_size_wall": 6.0, "domain_radius": 6000, "domain_depth": 3000, "mesh_size_far": 600})
    for L in d["layers"]:
        L["poisson_ratio"] = nu
    d["layers"][-1]["bottom_depth"] = 3000
    d["operation"] = [{"mode": "open"}]
    d["time"] = {"end": end, "dt_max": 0.5}
    cfg = dataclasses.replace(case_from_dict(d, file="test.toml").config, checkpoint_every=0)
    model = build_model(cfg, build_mesh(cfg, comm), prefix=prefix)
    sim = build_simulation(cfg, model, cfg.scenarios[0])
    res = sim.run(resume=False)
    return model, res


def test_balance_adds_up_and_the_bowl_deficit_is_the_rock_dilatation(comm):
    model, res = _run(comm, 0.3, "volbal03_")
    b = model.volume_balance()
    closure = -b["cavity_m3"]
    assert closure > 0 and b["surface_m3"] < 0
    # the identity, and rollers: no flux through the sides, base or axis
    assert abs(b["residual_m3"]) < 1e-8 * closure
    for k in ("sides_m3", "base_m3", "symmetry_m3"):
        assert abs(b[k]) < 1e-10 * closure, k
    assert b["surface_m3"] == pytest.approx(b["cavity_m3"] + b["rock_m3"], rel=1e-8)
    # the model's cavity volume change (its own bookkeeping, from V0) agrees
    V_ref = model.V0[0] - model.wfac * model.b[0].dot(_vec(model, model.u_ref))
    assert b["cavity_m3"] == pytest.approx(model.volumes()[0] - V_ref, rel=1e-10)
    # creep bowl below the closure: the rock dilates elastically
    ratio03 = -b["surface_m3"] / closure
    assert b["rock_m3"] > 0.2 * closure and ratio03 < 0.8
    # at t = 0 nothing has moved yet
    assert model.volume_balance(u_from=model.u.x.array)["surface_m3"] == 0.0
    # nearly incompressible rock: the bowl holds nearly all of the closure
    model49, _ = _run(comm, 0.49, "volbal49_")
    b49 = model49.volume_balance()
    ratio49 = -b49["surface_m3"] / -b49["cavity_m3"]
    assert abs(b49["residual_m3"]) < 1e-8 * -b49["cavity_m3"]
    assert ratio49 > 0.9 and ratio49 > ratio03 + 0.2, (ratio03, ratio49)


def _vec(model, arr):
    v = model.u.x.petsc_vec.copy()
    v.array[:] = arr[: v.getLocalSize()]
    return v
