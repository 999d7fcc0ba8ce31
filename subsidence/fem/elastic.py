"""One-way coupled compaction model: linear elasticity loaded by prescribed pore-pressure change.

The pressure change p (Pa, depletion negative) acts through the Biot coefficient:
σ = C:ε(u) − α p I. For a reservoir with the properties of its surroundings this is the
Geertsma nucleus-of-strain model; with layers, bodies and a basement it is the general
heterogeneous case. The matrix and preconditioner are built once; each output time is one
right-hand side.
"""

from __future__ import annotations

import numpy as np

from subsidence.fem.materials import Material, material_fields
from subsidence.mesh.builder import BuiltMesh
from subsidence.mesh.tags import Facets
from subsidence.physics.elasticity import Kinematics, elastic_forms
from subsidence.solvers.linear import LinearSolver, SolveStats

BASES = ("fixed", "roller")


def displacement_bcs(V, built: BuiltMesh, *, base: str):
    """Rollers on the sides (and the axis), base fixed (rigid, bonded) or on rollers (rigid, smooth)."""
    from dolfinx import fem

    if base not in BASES:
        raise ValueError(f"base must be one of {BASES}")
    mesh = built.mesh
    fdim = mesh.topology.dim - 1
    gdim = mesh.geometry.dim
    ft = built.facet_tags
    bcs = []

    def fix(tag, comp):
        facets = ft.find(tag)
        dofs = fem.locate_dofs_topological(V.sub(comp), fdim, facets)
        bcs.append(fem.dirichletbc(0.0, dofs, V.sub(comp)))

    if gdim == 3:
        for tag, comp in ((Facets.XMIN, 0), (Facets.XMAX, 0), (Facets.YMIN, 1), (Facets.YMAX, 1)):
            fix(tag, comp)
    else:
        fix(Facets.AXIS, 0)
        fix(Facets.OUTER, 0)
    zc = gdim - 1
    fix(Facets.BASE, zc)
    if base == "fixed":
        for c in range(gdim - 1):
            fix(Facets.BASE, c)
    return bcs


class ElasticModel:
    """Elastic response to prescribed pressure changes in tagged regions."""

    def __init__(self, built: BuiltMesh, materials: dict[int, Material], *, degree: int = 1, base: str = "fixed",
                 solver: str = "auto", rtol: float = 1e-10, prefix: str = "subs_el_", petsc_options: dict | None = None,
                 cell_materials=None):
        """``cell_materials(fields) -> dict``: changes the DG0 material fields cell by cell before the
        matrix is built (faults, random fields: :mod:`subsidence.fem.heterogeneous`); its result is
        kept as ``self.heterogeneity``."""
        import ufl
        from dolfinx import fem

        self.built = built
        mesh = built.mesh
        gdim = mesh.geometry.dim
        self.V = fem.functionspace(mesh, ("Lagrange", degree, (gdim,)))
        self.kin = Kinematics(built.mode, ufl.SpatialCoordinate(mesh))
        self.fields = material_fields(mesh, built.cell_tags, materials)
        self.heterogeneity = cell_materials(self.fields) if cell_materials is not None else {}
        self.load = fem.Function(self.fields["biot"].function_space, name="pressure_change")
        u, v = ufl.TrialFunction(self.V), ufl.TestFunction(self.V)
        a, L = elastic_forms(self.kin, u, v, lmbda=self.fields["lmbda"], mu=self.fields["mu"],
                             biot=self.fields["biot"], pressure=self.load)
        self.L = fem.form(L)
        self.stats = SolveStats()
        bcs = displacement_bcs(self.V, built, base=base)
        nns = self.V if built.mode != "axisymmetric" else None
        self.solver = LinearSolver(a, bcs, prefix=prefix, preset=solver, rtol=rtol, near_nullspace_space=nns,
                                   stats=self.stats, petsc_options=petsc_options)
        self.u = fem.Function(self.V, name="displacement")

    def set_pressure(self, pressures: dict[int, float] | None = None, *, cell_values: np.ndarray | None = None):
        """Pressure change per region tag (Pa), or per local cell (DG0 array)."""
        self.load.x.array[:] = 0.0
        dofs = self.load.function_space.dofmap.list[:, 0]
        if cell_values is not None:
            self.load.x.array[dofs[: cell_values.size]] = cell_values
        for tag, p in (pressures or {}).items():
            cells = self.built.cell_tags.find(tag)
            self.load.x.array[dofs[cells]] = p
        self.load.x.scatter_forward()

    def solve(self, pressures: dict[int, float] | None = None, *, cell_values=None):
        self.set_pressure(pressures, cell_values=cell_values)
        self.solver.solve(self.L, self.u, initial_guess=True)
        return self.u

    def volumetric_strain(self):
        return self.kin.div(self.u)

    def stress(self):
        import ufl

        from subsidence.physics.elasticity import stress

        return stress(self.kin.strain(self.u), self.fields["lmbda"], self.fields["mu"]) - \
            self.fields["biot"] * self.load * ufl.Identity(3)


def displacement_bcs_mixed(model, built: BuiltMesh, *, base: str) -> None:
    """The same displacement conditions as :func:`displacement_bcs`, on a BiotModel."""
    gdim = built.mesh.geometry.dim
    ft = built.facet_tags
    if gdim == 3:
        for tag, comp in ((Facets.XMIN, 0), (Facets.XMAX, 0), (Facets.YMIN, 1), (Facets.YMAX, 1)):
            model.fix_displacement(ft.find(tag), comp)
    else:
        model.fix_displacement(ft.find(Facets.AXIS), 0)
        model.fix_displacement(ft.find(Facets.OUTER), 0)
    model.fix_displacement(ft.find(Facets.BASE), gdim - 1)
    if base == "fixed":
        for c in range(gdim - 1):
            model.fix_displacement(ft.find(Facets.BASE), c)
