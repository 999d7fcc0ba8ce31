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

from subsidence.mesh.builder import BuiltMesh
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
    if comm.rank == 0:
        meta.write_text(json.dumps(info, indent=1))
    comm.Barrier()
    return xdmf


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
    t0 = time.perf_counter()
    if levels:
        from subsidence.mesh.refine import refine_uniformly

        mesh, ct, ft = refine_uniformly(mesh, ct, ft, levels)
    timings = {"gmsh_s": float(info["timings"].get("gmsh_s", 0.0)), "made_elsewhere": 1.0,
               "read_s": read_s, "distribute_s": read_s, "refine_s": time.perf_counter() - t0}
    return BuiltMesh(mesh, ct, ft, regions, info["mode"], levels=int(info["levels"]) + int(levels),
                     coarse_cells=int(info["coarse_cells"] or coarse), timings=timings)
