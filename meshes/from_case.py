"""Write the mesh a deep FE case (method = "fem") would run on, without solving.

The .msh file is the gmsh mesh; with ``[mesh] refine = k`` the run refines it k times in
parallel after distribution, and the printed cell count is that of the refined mesh.

    .venv/bin/python meshes/from_case.py cases/fem_salt_dome.toml --out salt_dome.msh
"""

import argparse

from mpi4py import MPI

from subsidence.config import load_case
from subsidence.fem.setup import layout
from subsidence.mesh.builder import build

ap = argparse.ArgumentParser(description=__doc__)
ap.add_argument("case")
ap.add_argument("--out", default="case.msh")
a = ap.parse_args()
case = load_case(a.case)
if case.config.model.method != "fem":
    raise SystemExit(f"{a.case}: not a method = \"fem\" case")
lay = layout(case.config, case.config.fem)
m = build(MPI.COMM_WORLD, mode=lay.mode, domain=lay.domain, slabs=lay.slabs, bodies=lay.bodies,
          reservoirs=lay.reservoirs, sizes=lay.sizes, refine=lay.zones, levels=case.config.fem.mesh.refine,
          write=a.out)
tdim = m.mesh.topology.dim
print(f"{lay.mode}: {m.mesh.topology.index_map(tdim).size_global} cells ({m.coarse_cells} in the gmsh mesh, "
      f"refined {m.levels}x), domain {lay.domain}, sizes {lay.sizes}")
print(f"regions {m.regions.names} -> {a.out}")
