"""gmsh mesh builders (built on rank 0, distributed with dolfinx.io.gmsh.model_to_mesh)."""

from subsidence.mesh.tags import Facets, Regions  # noqa: F401
