"""Axisymmetric (r, z) section: a disc reservoir in a layered half-space above a rigid base.

    .venv/bin/python meshes/disc_axisymmetric.py --out disc_axi.msh [--radius 2000 --depth 3000 ...]
"""

import argparse

from mpi4py import MPI

from subsidence.mesh.builder import Domain, Sizes, build
from subsidence.mesh.domain import domain_extent
from subsidence.mesh.shapes import DiscVolume, Slab

ap = argparse.ArgumentParser(description=__doc__)
ap.add_argument("--radius", type=float, default=2000.0)
ap.add_argument("--depth", type=float, default=3000.0, help="reservoir centre depth (m)")
ap.add_argument("--thickness", type=float, default=100.0)
ap.add_argument("--interfaces", type=float, nargs="*", default=[1000.0, 2500.0], help="layer interface depths (m)")
ap.add_argument("--out", default="disc_axi.msh")
a = ap.parse_args()
bottom = a.depth + a.thickness / 2
depth, width = domain_extent(reservoir_bottom=bottom, reservoir_halfwidth=a.radius)  # the 10 x depth rule
tops = [0.0] + sorted(a.interfaces) + [depth]
slabs = [Slab(f"layer{i}", tops[i], tops[i + 1]) for i in range(len(tops) - 1)]
m = build(MPI.COMM_WORLD, mode="axisymmetric", domain=Domain(0.0, width, depth), slabs=slabs,
          reservoirs=[DiscVolume("reservoir", (0.0, 0.0), a.radius, a.depth - a.thickness / 2, bottom)],
          sizes=Sizes(a.thickness / 2, a.depth / 20, depth / 15, a.depth), write=a.out)
print(f"{m.mesh.topology.index_map(2).size_global} triangles, regions {m.regions.names} -> {a.out}")
