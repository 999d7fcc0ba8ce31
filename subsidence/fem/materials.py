"""Region materials and their piecewise-constant (DG0) fields on a tagged mesh."""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from subsidence.physics.elasticity import lame, young_from_cm

WATER_VISCOSITY = 1.0e-3  # Pa s
WATER_COMPRESSIBILITY = 4.5e-10  # 1/Pa


@dataclasses.dataclass(frozen=True)
class Material:
    """Poro-elastic properties of one region (SI).

    ``permeability`` k (m²) with fluid ``viscosity`` μ_f gives the mobility κ = k/μ_f;
    storage S = φ c_f + (α − φ)/K_s (``grain_modulus`` K_s = inf for incompressible grains).
    ``storage`` overrides the formula when given (1/Pa).
    """

    E: float
    nu: float
    biot: float = 1.0
    permeability: float = 0.0
    porosity: float = 0.2
    fluid_compressibility: float = WATER_COMPRESSIBILITY
    grain_modulus: float = math.inf
    viscosity: float = WATER_VISCOSITY
    storage: float | None = None

    def __post_init__(self):
        if not (self.E > 0 and -1 < self.nu < 0.5):
            raise ValueError(f"need E > 0 and -1 < nu < 0.5, got E={self.E}, nu={self.nu}")
        if not 0 <= self.biot <= 1:
            raise ValueError("the Biot coefficient must be in [0, 1]")

    @classmethod
    def from_cm(cls, cm: float, nu: float, **kw) -> Material:
        """Material whose uniaxial compaction coefficient is ``cm`` (1/Pa)."""
        return cls(E=young_from_cm(cm, nu, kw.get("biot", 1.0)), nu=nu, **kw)

    @property
    def lame(self) -> tuple[float, float]:
        return lame(self.E, self.nu)

    @property
    def bulk(self) -> float:
        return self.E / (3 * (1 - 2 * self.nu))

    @property
    def shear(self) -> float:
        return self.E / (2 * (1 + self.nu))

    @property
    def mobility(self) -> float:
        return self.permeability / self.viscosity

    @property
    def specific_storage(self) -> float:
        if self.storage is not None:
            return self.storage
        s = self.porosity * self.fluid_compressibility
        if math.isfinite(self.grain_modulus):
            s += (self.biot - self.porosity) / self.grain_modulus
        return s


def cell_field(mesh, cell_tags, values: dict[int, float], name: str, *, default: float | None = None):
    """DG0 function with ``values[tag]`` on the cells of each tag."""
    from dolfinx import fem

    V = fem.functionspace(mesh, ("DG", 0))
    f = fem.Function(V, name=name)
    n = mesh.topology.index_map(mesh.topology.dim).size_local + mesh.topology.index_map(mesh.topology.dim).num_ghosts
    arr = np.full(n, np.nan if default is None else default)
    for tag, v in values.items():
        cells = cell_tags.find(tag)
        arr[cells] = v
    dofs = V.dofmap.list[:, 0]
    f.x.array[dofs] = arr
    f.x.scatter_forward()
    nloc = V.dofmap.index_map.size_local
    bad = int(np.isnan(f.x.array[:nloc]).any())
    if mesh.comm.allreduce(bad, op=_max()):
        missing = sorted(set(np.unique(cell_tags.values)) - set(values))
        raise ValueError(f"no value of {name!r} for cell tags {missing}")
    return f


def _max():
    from mpi4py import MPI

    return MPI.MAX


def material_fields(mesh, cell_tags, materials: dict[int, Material]) -> dict:
    """λ, μ, α, κ, S as DG0 functions."""
    lm = {t: m.lame for t, m in materials.items()}
    return {
        "lmbda": cell_field(mesh, cell_tags, {t: v[0] for t, v in lm.items()}, "lambda"),
        "mu": cell_field(mesh, cell_tags, {t: v[1] for t, v in lm.items()}, "mu"),
        "biot": cell_field(mesh, cell_tags, {t: m.biot for t, m in materials.items()}, "biot"),
        "mobility": cell_field(mesh, cell_tags, {t: m.mobility for t, m in materials.items()}, "mobility"),
        "storage": cell_field(mesh, cell_tags, {t: m.specific_storage for t, m in materials.items()}, "storage"),
    }
