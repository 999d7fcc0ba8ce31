"""The references of a heterogeneous FE case, run alongside it (``[heterogeneity]``, issue 10).

* **Homogeneous FE reference** (``references/homogeneous``): the same case with
  ``[heterogeneity] homogeneous = true``: the *same mesh* (bodies are still meshed, so the
  difference maps carry no meshing noise), bodies take the material of the layer their
  cell centroids lie in, fault blocks and random fields are off. The reservoirs keep their
  geometry, including the offset by a fault's throw (the structure is known, the stiffness is
  what is studied).
* **Analytic reference** (``references/analytic``): the kernel of the same reservoirs and
  output: van Opstal with the rigid basement's depth, otherwise Geertsma, with ``[model]
  poisson_ratio``. A reservoir offset by a fault becomes two reservoirs: its outline clipped
  at the fault's trace at the reservoir's mid-depth, the hanging-wall part moved by the slip
  (down by the throw, along the dip by throw/tan(dip)). A disc is first replaced by a
  256-gon of the same area.
* The bowl metrics and difference maps of ``subsidence bowl`` (``heterogeneity/``): the
  homogeneous FE run is the reference; the case and the analytic run are compared with it.
"""

from __future__ import annotations

import copy
import math
import types
from pathlib import Path

import numpy as np

from subsidence.log import get_logger

log = get_logger("heterogeneity")

FE_ONLY = ("mesh", "layers", "basement", "bodies", "faults", "random_fields", "interfaces", "reservoir_properties",
           "heterogeneity")
DISC_SIDES = 256


def _absolute_files(obj, base: Path):
    """Paths under keys ``file`` / ``*_file`` made absolute (the reference cases live elsewhere)."""
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            if isinstance(v, str) and (k == "file" or k.endswith("_file")) and not Path(v).expanduser().is_absolute():
                out[k] = str((base / Path(v).expanduser()).resolve())
            else:
                out[k] = _absolute_files(v, base)
        return out
    if isinstance(obj, list):
        return [_absolute_files(v, base) for v in obj]
    return obj


def _base_dir(case) -> Path:
    f = Path(case.file)
    return f.resolve().parent if f.name != "<dict>" and f.exists() else Path.cwd()


def fem_reference_data(case) -> dict:
    """The case data of the homogeneous FE reference."""
    data = _absolute_files(copy.deepcopy(case.data), _base_dir(case))
    data["name"] = f"{case.name}-homogeneous"
    data["heterogeneity"] = {"homogeneous": True}
    data.pop("impact", None)
    data.pop("calibration", None)
    data.pop("validation", None)
    return data


def _outline(shape) -> np.ndarray:
    from subsidence.deep.geometry import Disc

    if isinstance(shape, Disc):
        n = DISC_SIDES
        # radius of the n-gon with the disc's area
        r = shape.radius * math.sqrt(2 * math.pi / (n * math.sin(2 * math.pi / n)))
        a = 2 * math.pi * np.arange(n) / n
        return np.c_[shape.center[0] + r * np.cos(a), shape.center[1] + r * np.sin(a)]
    return np.asarray(shape.vertices, float)


def analytic_data(case) -> dict:
    """The case data of the analytic kernel of the same reservoirs (offset parts split)."""
    from subsidence.deep.gridded import GridShape
    from subsidence.heterogeneity.geometry import clip_polygon, polygon_area

    spec = case.config.fem
    src = _absolute_files(copy.deepcopy(case.data), _base_dir(case))
    model = {"method": "analytic", "poisson_ratio": spec.poisson_ratio}
    if spec.rigid_basement is not None:
        model.update(kernel="van-opstal", basement_depth=spec.rigid_basement)
    else:
        model["kernel"] = "geertsma"
    data = {k: v for k, v in src.items() if k in ("kind", "crs", "start_date", "output")}
    data["name"] = f"{case.name}-analytic"
    data["model"] = model
    offsets = {n: f for f in spec.faults if f.throw for n in f.reservoirs}
    out = []
    for raw, r in zip(src["reservoirs"], case.config.reservoirs):
        f = offsets.get(r.name)
        if f is None or isinstance(r.shape, GridShape):
            out.append(raw)
            continue
        verts = _outline(r.shape)
        p, _ = f.plane.trace_at(r.depth)
        dh = f.plane.dip_direction
        slip = f.plane.slip(f.throw)
        for part, normal, shift, dz in (("footwall", -dh, np.zeros(2), 0.0), ("hanging-wall", dh, slip[:2], f.throw)):
            v = clip_polygon(verts, p, normal)
            if polygon_area(v) <= 1e-9 * max(polygon_area(verts), 1.0):
                continue
            v = v + shift
            d = copy.deepcopy(raw)
            d["name"] = f"{r.name}-{part}"
            d["shape"] = {"type": "polygon", "vertices": v.tolist(),
                          **{k: val for k, val in raw["shape"].items() if k not in ("type", "vertices", "file",
                                                                                     "center", "radius")}}
            d["depth"] = float(r.depth + dz)
            out.append(d)
    data["reservoirs"] = out
    return data


def run_references(case, rundir, comm) -> dict:
    """Run the references into ``references/`` of the run directory and the bowl comparison into
    ``heterogeneity/`` (collective: every rank calls it). Returns figures for ``summary.json``."""
    from subsidence.config.case import case_from_dict
    from subsidence.run import run_case

    study = case.config.fem.study
    root = Path(rundir.path)
    runs = []  # (label, path relative to the run directory), the reference first
    out: dict = {}
    if study.reference:
        ref = case_from_dict(fem_reference_data(case), file=case.file)
        run_case(ref, root / "references" / "homogeneous", comm=comm)
        runs.append(("reference", "references/homogeneous"))
    runs.append((case.name, "."))
    if study.analytic:
        run_case(case_from_dict(analytic_data(case), file=case.file), root / "references" / "analytic", comm=comm)
        runs.append(("analytic", "references/analytic"))
    if comm.rank == 0:  # serial post-processing, no collectives
        out = write_bowl(root / "heterogeneity", runs, study, has_reference=study.reference, base=root)
    return comm.bcast(out, root=0)


def write_bowl(out: Path, runs, study, *, has_reference: bool, base: Path) -> dict:
    """``subsidence bowl`` on the runs (serial): metrics.csv, differences.nc and the maps into ``out``.
    ``runs``: (label, path relative to ``base``, as written in metrics.csv)."""
    import csv

    from subsidence.heterogeneity import cli

    labels = runs
    runs = [(lab, base / p) for lab, p in labels]
    args = types.SimpleNamespace(reference=str(runs[0][1]) if has_reference else None, time=None,
                                 contour=study.contour, window=list(study.window) if study.window else None,
                                 velocity_noise=study.velocity_noise, incidence=study.incidence)
    if args.window is not None and not has_reference:
        args.window = None
    data = {lab: cli._load(str(p), None) for lab, p in runs}
    window = None
    if args.window is not None:
        window = {lab: (cli._load(str(p), args.window[0]), cli._load(str(p), args.window[1])) for lab, p in runs}
    out.mkdir(parents=True, exist_ok=True)
    cli._write(out, [(lab, str(p)) for lab, p in labels], data, window, args)
    with open(out / "metrics.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    keep = ("max_subsidence_m", "max_x", "max_y", "centroid_x", "width_major_10pct_m", "width_minor_10pct_m",
            "asymmetry_major", "max_horizontal_m", "max_tilt", "detectable")
    return {row["run"]: {k: _num(row[k]) for k in keep if k in row and row[k] != ""} for row in rows}


def _num(v: str):
    try:
        return float(v)
    except ValueError:
        return {"True": True, "False": False}.get(v, v)
