"""3D fields for ParaView: displacement, pressure change, stress and volumetric strain.

Two formats of the same fields: VTX (``*.bp``, ADIOS2; ParaView) and XDMF/HDF5
(``fields.xdmf`` + ``fields.h5``), which meshio, pyvista, ogstools and ParaView read without
ADIOS2. The XDMF file holds one temporal collection whose grids carry every field at that time
(``displacement`` as P1 point data; ``pressure_change``, ``volumetric_strain``, ``stress`` as
cell data; ``pressure`` as P1 point data in Biot runs).
"""

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
        from dolfinx.io import VTXWriter, XDMFFile

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
        # XDMF/HDF5: displacement interpolated to the mesh's P1 space (what XDMF point data can hold)
        V1 = fem.functionspace(mesh, ("Lagrange", 1, (mesh.geometry.dim,)))
        self._u, self._u1 = u, fem.Function(V1, name="displacement")
        self._xdmf_path = folder / "fields.xdmf"
        self._xdmf = XDMFFile(comm, str(self._xdmf_path), "w")
        self._xdmf.write_mesh(mesh)
        self._xdmf_fields = [self._u1, self.p0, self.ev, self.sig]
        if pressure_p1 is not None:
            self._xdmf_fields.append(pressure_p1)
        self._comm = comm

    def write(self, t: float) -> None:
        for f, e in self._exprs:
            f.interpolate(e)
        for w in self._w:
            w.write(t)
        self._u1.interpolate(self._u)
        for f in self._xdmf_fields:
            self._xdmf.write_function(f, t)

    def close(self) -> None:
        for w in self._w:
            w.close()
        self._xdmf.close()
        self._comm.Barrier()
        if self._comm.rank == 0:
            merge_xdmf_collections(self._xdmf_path)
        self._comm.Barrier()


def merge_xdmf_collections(path) -> None:
    """One temporal collection with all fields per time, instead of dolfinx's one per field.

    dolfinx writes each function as its own temporal collection; meshio's XDMF time-series
    reader (and pyvista through it) sees only one collection. The HDF5 data stay as written;
    only the XML is rewritten. Left as it is if the collections do not share their times."""
    import xml.etree.ElementTree as ET

    path = Path(path)
    text = path.read_text(encoding="utf-8")
    for ns in ("https://www.w3.org/2001/XInclude", "http://www.w3.org/2001/XInclude"):
        if ns in text:
            ET.register_namespace("xi", ns)
    tree = ET.parse(path)
    domain = tree.getroot().find("Domain")
    cols = [g for g in domain.findall("Grid") if g.get("CollectionType") == "Temporal"]
    if len(cols) < 2:
        return
    steps = [c.findall("Grid") for c in cols]
    times = [[g.find("Time").get("Value") for g in st] for st in steps]
    if any(t != times[0] for t in times[1:]):
        return
    merged = ET.Element("Grid", Name="fields", GridType="Collection", CollectionType="Temporal")
    for k in range(len(times[0])):
        first = steps[0][k]
        grid = ET.SubElement(merged, "Grid", Name="fields", GridType="Uniform")
        for child in first:
            if child.tag != "Attribute":
                grid.append(child)  # the xi:include of the mesh, and the Time
        for st in steps:
            for att in st[k].findall("Attribute"):
                grid.append(att)
    for c in cols:
        domain.remove(c)
    domain.append(merged)
    ET.indent(tree)
    tmp = path.with_suffix(".xdmf.tmp")
    tree.write(tmp, xml_declaration=True, encoding="utf-8")
    tmp.replace(path)
