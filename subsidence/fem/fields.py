"""3D fields for ParaView: displacement, pressure change, stress and volumetric strain (VTX .bp)."""

from __future__ import annotations

from pathlib import Path


class FieldWriter:
    """VTX writers in the run directory (collective): ``displacement.bp`` (the displacement
    space) and ``cells.bp`` (cell-wise pressure change, volumetric strain and stress, tension
    positive, Pa). Axisymmetric runs write the (r, z) section; the hoop stress is σ_yy.
    """

    def __init__(self, folder: Path, *, u, pressure, kin, lmbda, mu, biot, pressure_p1=None):
        import ufl
        from dolfinx import fem
        from dolfinx.io import VTXWriter

        from subsidence.physics.elasticity import stress

        mesh = u.function_space.mesh
        comm = mesh.comm
        Q0 = fem.functionspace(mesh, ("DG", 0))
        T0 = fem.functionspace(mesh, ("DG", 0, (3, 3)))
        self.ev = fem.Function(Q0, name="volumetric_strain")
        self.sig = fem.Function(T0, name="stress")
        self.p0 = fem.Function(Q0, name="pressure_change")
        p_expr = pressure
        sig = stress(kin.strain(u), lmbda, mu) - biot * p_expr * ufl.Identity(3)
        pts = Q0.element.interpolation_points
        self._exprs = [(self.ev, fem.Expression(kin.div(u), pts)), (self.sig, fem.Expression(sig, pts)),
                       (self.p0, fem.Expression(p_expr, pts))]
        self._w = [VTXWriter(comm, str(folder / "displacement.bp"), [u]),
                   VTXWriter(comm, str(folder / "cells.bp"), [self.p0, self.ev, self.sig])]
        if pressure_p1 is not None:
            self._w.append(VTXWriter(comm, str(folder / "pressure.bp"), [pressure_p1]))

    def write(self, t: float) -> None:
        for f, e in self._exprs:
            f.interpolate(e)
        for w in self._w:
            w.write(t)

    def close(self) -> None:
        for w in self._w:
            w.close()
