"""3D layered box: an extruded polygon reservoir, a cylindrical salt dome and a stiff layer.

    .venv/bin/python meshes/layered_box.py --out box.msh [--size 300]
"""

import argparse

from mpi4py import MPI

import numpy as np

from subsidence.mesh.builder import Domain, Sizes, build
from subsidence.mesh.shapes import DiscVolume, PrismVolume, Slab

ap = argparse.ArgumentParser(description=__doc__)
ap.add_argument("--size", type=float, default=300.0, help="element size in the reservoir (m)")
ap.add_argument("--out", default="box.msh")
a = ap.parse_args()
outline = np.array([[-2500.0, -1500.0], [2000.0, -2000.0], [2500.0, 1500.0], [0.0, 2500.0], [-2000.0, 1500.0]])
m = build(MPI.COMM_WORLD, mode="3d", domain=Domain(-12000.0, 14000.0, 4500.0, -12000.0, 12000.0),
          slabs=[Slab("overburden", 0.0, 800.0), Slab("chalk", 800.0, 1600.0), Slab("deep", 1600.0, 4500.0)],
          bodies=[DiscVolume("salt-dome", (4500.0, 0.0), 1500.0, 900.0, 2700.0)],
          reservoirs=[PrismVolume("field", outline, 2825.0, 2975.0)],
          sizes=Sizes(a.size, 2 * a.size, 10 * a.size, 3000.0), write=a.out)
print(f"{m.mesh.topology.index_map(3).size_global} tetrahedra, regions {m.regions.names} -> {a.out}")
