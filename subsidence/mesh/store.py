"""Save a built mesh (cells, cell and facet tags, region names) and read it back on any ranks.

The cluster workflow: make the coarse gmsh mesh once where gmsh is installed (a workstation,
serial), save it, then read it in parallel where the run happens — every rank reads its own
slice of the HDF5 file, no rank holds the whole mesh — and refine it there
(``levels``, as ``[mesh] refine``). It also lets a compute node without gmsh's graphics
libraries run the FE models.

Files: ``NAME.xdmf`` + ``NAME.h5`` (dolfinx XDMF: mesh "mesh", meshtags "cell_tags" and
"facet_tags", readable in ParaView) and ``NAME.json`` (format version, mode, regions,
the gmsh cell count and the seconds gmsh took where the mesh was made).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from subsidence.mesh.builder import BuiltMesh, refine_built
from subsidence.mesh.tags import Regions

FORMAT = 1
MESH, CELL_TAGS, FACET_TAGS = "mesh", "cell_tags", "facet_tags"


def _paths(path) -> tuple[Path, Path]:
    p = Path(path)
    if p.suffix in (".xdmf", ".json", ".h5"):
        p = p.with_suffix("")
    return p.parent / f"{p.name}.xdmf", p.parent / f"{p.name}.json"  # names may hold dots ("disc_0.5")


def write(built: BuiltMesh, path) -> Path:
    """Write ``built`` to ``path`` (.xdmf/.h5/.json; collective, rank 0 writes the JSON). Returns the .xdmf path."""
    from dolfinx.io import XDMFFile

    xdmf, meta = _paths(path)
    mesh = built.mesh
    comm = mesh.comm
    tdim = mesh.topology.dim
    mesh.topology.create_connectivity(tdim - 1, tdim)
    name = mesh.name
    mesh.name = MESH
    ct_name, built.cell_tags.name = built.cell_tags.name, CELL_TAGS
    try:
        with XDMFFile(comm, str(xdmf), "w") as f:
            f.write_mesh(mesh)
            f.write_meshtags(built.cell_tags, mesh.geometry)
            if built.facet_tags is not None:
                ft_name, built.facet_tags.name = built.facet_tags.name, FACET_TAGS
                try:
                    f.write_meshtags(built.facet_tags, mesh.geometry)
                finally:
                    built.facet_tags.name = ft_name
    finally:
        mesh.name, built.cell_tags.name = name, ct_name
    info = {
        "format": FORMAT, "mode": built.mode, "levels": built.levels,
        "cells": mesh.topology.index_map(tdim).size_global,
        "coarse_cells": built.coarse_cells, "facet_tags": built.facet_tags is not None,
        "regions": {"names": {str(k): v for k, v in built.regions.names.items()},
                    "layers": built.regions.layers, "bodies": built.regions.bodies,
                    "reservoirs": built.regions.reservoirs},
        "timings": {k: float(v) for k, v in built.timings.items()},
    }
    _on_root(comm, lambda: meta.write_text(json.dumps(info, indent=1)))
    return xdmf


def _on_root(comm, fn) -> None:
    """``fn()`` on rank 0 (a file written once); an OSError there is raised on every rank, so
    that none is left waiting in a collective (collective)."""
    err = None
    if comm.rank == 0:
        try:
            fn()
        except OSError as exc:
            err = (exc.errno, exc.strerror or str(exc), exc.filename)
    err = comm.bcast(err, root=0)
    if err:
        raise OSError(*err)


def read(comm, path, levels: int = 0) -> BuiltMesh:
    """Read a mesh written by :func:`write` on ``comm`` (collective) and refine it ``levels`` times.

    Timings: ``read_s`` (parallel read and partitioning), ``refine_s``, and ``gmsh_s`` as
    recorded where the mesh was made (``made_elsewhere`` = 1.0 says so).
    """
    from dolfinx.io import XDMFFile
    from dolfinx.mesh import GhostMode

    xdmf, meta = _paths(path)
    missing = [str(p) for p in (xdmf, meta) if not p.exists()]
    if missing:
        raise FileNotFoundError(f"mesh {path}: missing {', '.join(missing)} (write it with subsidence.mesh.store.write)")
    info = json.loads(meta.read_text())
    if info.get("format") != FORMAT:
        raise ValueError(f"{meta}: format {info.get('format')!r}, this version reads format {FORMAT}")
    r = info["regions"]
    regions = Regions(names={int(k): v for k, v in r["names"].items()}, layers=list(r["layers"]),
                      bodies=list(r["bodies"]), reservoirs=list(r["reservoirs"]))
    t0 = time.perf_counter()
    with XDMFFile(comm, str(xdmf), "r") as f:
        mesh = f.read_mesh(ghost_mode=GhostMode.none, name=MESH)
        tdim = mesh.topology.dim
        ct = f.read_meshtags(mesh, name=CELL_TAGS)
        ft = None
        if info["facet_tags"]:
            mesh.topology.create_connectivity(tdim - 1, tdim)
            ft = f.read_meshtags(mesh, name=FACET_TAGS)
    read_s = time.perf_counter() - t0
    coarse = mesh.topology.index_map(tdim).size_global
    timings = {"gmsh_s": float(info["timings"].get("gmsh_s", 0.0)), "made_elsewhere": 1.0,
               "read_s": read_s, "distribute_s": read_s}
    built = BuiltMesh(mesh, ct, ft, regions, info["mode"], levels=int(info["levels"]),
                      coarse_cells=int(info["coarse_cells"] or coarse), timings=timings)
    return refine_built(built, levels)


# --- a mesh cache keyed by what the builder is given ------------------------------------------

#: bump when the builder's output for the same inputs changes (tags, sizes, geometry rules)
BUILDER_VERSION = 1


def _canonical(v):
    """JSON-able, exact form of the builder's inputs (dataclasses, arrays, tuples, numbers)."""
    import dataclasses

    import numpy as np

    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        return {"__type__": type(v).__name__, **{f.name: _canonical(getattr(v, f.name)) for f in dataclasses.fields(v)}}
    if isinstance(v, dict):
        return {str(k): _canonical(x) for k, x in sorted(v.items(), key=lambda kv: str(kv[0]))}
    if isinstance(v, (list, tuple)):
        return [_canonical(x) for x in v]
    if isinstance(v, np.ndarray):
        return {"__array__": v.shape, "data": [float(x).hex() for x in v.ravel()]}
    if isinstance(v, (bool, str)) or v is None:
        return v
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return float(v).hex()  # exact
    raise TypeError(f"mesh cache key: cannot serialise {type(v).__name__}")


def cache_key(**inputs) -> str:
    """sha256 of the builder's inputs (exact: floats by their bits, arrays in full)."""
    import hashlib

    doc = {"builder_version": BUILDER_VERSION, **{k: _canonical(v) for k, v in sorted(inputs.items())}}
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()


class CacheNotWritable(OSError):
    """The mesh cache directory cannot be created or written (raised on every rank)."""


def cached_build(comm, cache_dir, *, levels: int = 0, **inputs) -> tuple[BuiltMesh, str, bool]:
    """The coarse mesh of ``inputs`` (keyword arguments of :func:`subsidence.mesh.builder.build`
    except ``levels``) from ``cache_dir`` when it is there (parallel read, no gmsh), else built
    with gmsh and saved there; then refined ``levels`` times (collective).

    Returns (mesh, key, hit). Entries are directories ``cache_dir/<key>/`` written under a
    temporary name and renamed when complete, so a run that stops while writing, or two runs
    writing at once, never leave a half-written entry that a later run would read.
    """
    import os
    import shutil

    from subsidence.mesh.builder import build

    opts = {k: inputs.pop(k) for k in ("write", "verbose") if k in inputs}  # not part of the mesh
    root = Path(cache_dir)
    key = cache_key(**inputs)
    entry = root / key
    hit = bool(comm.bcast((entry / "mesh.json").exists() and (entry / "mesh.xdmf").exists(), root=0))
    if hit:
        built = read(comm, entry / "mesh", levels=levels)
        return built, key, True
    built = build(comm, levels=0, **inputs, **opts)
    tmp = root / f".{key}.{os.getpid()}.tmp"
    tmp = Path(comm.bcast(str(tmp), root=0))
    def store():
        (tmp / "inputs.json").write_text(json.dumps({k: _canonical(v) for k, v in sorted(inputs.items())}, indent=0))
        try:
            tmp.rename(entry)
        except OSError:  # another run stored the same mesh meanwhile: keep theirs
            shutil.rmtree(tmp, ignore_errors=True)

    try:
        _on_root(comm, lambda: tmp.mkdir(parents=True, exist_ok=True))
        write(built, tmp / "mesh")
        _on_root(comm, store)
    except OSError as exc:  # on every rank
        raise CacheNotWritable(f"cannot write the mesh cache {root} ({exc.strerror or exc})") from None
    return refine_built(built, levels), key, False
