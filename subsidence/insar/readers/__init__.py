"""InSAR readers: every format becomes one :class:`~subsidence.insar.data.InsarDataset`.

``read_insar(path, format="auto", crs="EPSG:28992", ...)`` picks the reader from the file
(``.h5``/``.he5`` → MintPy; a CSV with ``pnt_*`` and ``d_YYYYMMDD`` columns → TU Delft;
``pid, easting, northing`` and ``YYYYMMDD`` → EGMS; else the generic CSV, which needs a
declared ``source_crs`` and ``unit``).
"""

from __future__ import annotations

from pathlib import Path

from subsidence.config.errors import CaseError
from subsidence.insar.geometry import S1_HEADING

FORMATS = ("auto", "egms", "tudelft", "mintpy", "generic")


def detect_format(path: Path) -> str:
    from subsidence.insar.readers import common, egms, tudelft

    if path.suffix.lower() in (".h5", ".he5", ".hdf5"):
        return "mintpy"
    cols = common.header(path)
    if tudelft.sniff(cols):
        return "tudelft"
    if egms.sniff(cols):
        return "egms"
    return "generic"


def read_insar(
    path,
    *,
    format: str = "auto",
    crs: str | None = "EPSG:28992",
    source_crs: str | None = None,
    unit: str | None = None,
    component: str | None = None,
    incidence: float | None = None,
    heading: float | None = None,
    pass_: str | None = None,
    look: str = "right",
    geometry=None,
    mask=None,
    bbox=None,
    chunksize: int | None = None,
    min_epochs: int = 3,
    stride: int = 1,
    columns: dict | None = None,
):
    """Read an InSAR product into the model CRS ``crs``; see the module docs of each reader."""
    from subsidence.insar.readers import common

    path = Path(path)
    if not path.is_file():
        raise CaseError(str(path), "", "InSAR file not found")
    if format not in FORMATS:
        raise CaseError(str(path), "format", f"unknown InSAR format {format!r} (one of {', '.join(FORMATS)})")
    fmt = detect_format(path) if format == "auto" else format
    if incidence is not None:
        common.check_incidence(incidence, path=path, key="incidence")
    if heading is None and pass_ is not None:
        if pass_ not in S1_HEADING:
            raise CaseError(str(path), "pass", f"pass must be 'ascending' or 'descending', got {pass_!r}")
        heading = S1_HEADING[pass_]
        heading_from_pass = True
    else:
        heading_from_pass = False
    chunk = chunksize or common.DEFAULT_CHUNK
    # a format that fixes the component or the unit: an option asking for another one would be
    # ignored silently (the values are what the file says they are), so it is an error
    fixed_component = {"tudelft": "los", "mintpy": "los"}.get(fmt)
    if component is not None and fixed_component is not None and component != fixed_component:
        raise CaseError(str(path), "component", f"this {fmt} file holds line-of-sight displacements; component "
                        f"{component!r} cannot be chosen for it (component applies to generic CSV and EGMS files)")
    fixed_unit = {"tudelft": "m", "mintpy": "m", "egms": "mm"}.get(fmt)
    if unit is not None and fixed_unit is not None and unit != fixed_unit:
        raise CaseError(str(path), "unit", f"this {fmt} file gives its displacements in {fixed_unit}; unit {unit!r} "
                        "cannot be chosen for it (unit applies to generic CSV files)")
    if fmt == "tudelft":
        from subsidence.insar.readers.tudelft import read_tudelft

        ds = read_tudelft(path, crs=crs, source_crs=source_crs, heading=heading, incidence=incidence, look=look,
                          bbox=bbox, chunksize=chunk, min_epochs=min_epochs)
    elif fmt == "egms":
        from subsidence.insar.readers.egms import read_egms

        ds = read_egms(path, crs=crs, source_crs=source_crs, component=component, bbox=bbox, chunksize=chunk,
                       min_epochs=min_epochs, look=look)
    elif fmt == "mintpy":
        from subsidence.insar.readers.mintpy import read_mintpy

        ds = read_mintpy(path, crs=crs, geometry=geometry, mask=mask, incidence=incidence, look=look, bbox=bbox,
                         stride=stride, min_epochs=min_epochs)
    else:
        from subsidence.insar.readers.generic import read_generic

        ds = read_generic(path, crs=crs, source_crs=source_crs, unit=unit, component=component or "los",
                          incidence=incidence, heading=heading, look=look, columns=columns, bbox=bbox,
                          chunksize=chunk, min_epochs=min_epochs)
    if heading_from_pass and ds.provenance.get("heading_deg") is not None:
        ds.provenance["pass"] = pass_  # the heading came from it (a given heading wins over a pass)
    return ds
