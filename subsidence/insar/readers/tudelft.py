"""TU Delft / Dutch point CSV: ``pnt_*`` attribute columns and ``d_YYYYMMDD`` displacements.

- id: ``pnt_id`` if present, else the first column when its header is empty (pandas index
  written to CSV) or ``Unnamed: 0`` (that index after a pandas read/write round trip), else ``id``;
- position: a WKT ``geometry`` column (``POINT (x y)``, CRS given by ``source_crs``, RD New
  EPSG:28992 by default for these Dutch products) or ``pnt_lat``/``pnt_lon`` (WGS84);
- displacements in **metres**, LOS positive towards the satellite;
- incidence from ``pnt_incidangle`` [deg]; the heading is not in the file and must be given
  (``heading`` or ``pass_``; Sentinel-1 defaults in :data:`subsidence.insar.geometry.S1_HEADING`).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from subsidence.config.errors import CaseError
from subsidence.insar.geometry import los_from_heading
from subsidence.insar.readers import common as C


def sniff(cols: list[str]) -> bool:
    return any(c.startswith("d_") and C.date_of_column(c) for c in cols) and any(c.startswith("pnt_") for c in cols)


def parse_wkt_points(s) -> tuple[np.ndarray, np.ndarray]:
    import pandas as pd

    xy = pd.Series(s, dtype="string").str.extract(r"^\s*POINT\s*Z?\s*\(\s*([-+0-9.eE]+)\s+([-+0-9.eE]+)", expand=True)
    return (pd.to_numeric(xy[0], errors="coerce").to_numpy(float), pd.to_numeric(xy[1], errors="coerce").to_numpy(float))


def read_tudelft(
    path: Path,
    *,
    crs: str | None,
    source_crs: str | None = None,
    position: str = "auto",
    heading: float | None = None,
    incidence: float | None = None,
    look: str = "right",
    bbox=None,
    chunksize: int = C.DEFAULT_CHUNK,
    min_epochs: int = 3,
    unit_scale: float = 1.0,
):
    path = Path(path)
    cols = C.header(path)
    dpos, dates = C.date_columns(path, cols)
    low = [c.lower() for c in cols]
    if "pnt_id" in low:
        id_pos = low.index("pnt_id")
    elif cols[0] == "" or re.fullmatch(r"Unnamed: \d+(\.\d+)?", cols[0]):
        id_pos = 0  # the pandas index written to CSV (named "Unnamed: 0" once read and written back by pandas)
    else:
        id_pos = C.find_column(cols, ("id", "pid", "name"), path=path, what="point id")
    g_pos = C.find_column(cols, ("geometry", "wkt"), required=False)
    lat_pos = C.find_column(cols, ("pnt_lat", "lat", "latitude"), required=False)
    lon_pos = C.find_column(cols, ("pnt_lon", "lon", "longitude"), required=False)
    if position == "auto":
        position = "geometry" if g_pos is not None else "latlon"
    if position == "geometry" and g_pos is None:
        raise CaseError(str(path), "geometry", "no WKT 'geometry' column")
    if position == "latlon" and (lat_pos is None or lon_pos is None):
        raise CaseError(str(path), "pnt_lat", "no position: neither a WKT 'geometry' column nor pnt_lat/pnt_lon")
    src = (source_crs or "EPSG:28992") if position == "geometry" else "EPSG:4326"
    tr = C.transformer(src, crs, path=path, key="source_crs")
    inc_pos = C.find_column(cols, ("pnt_incidangle", "incidence_angle", "incidence"), required=False)
    if inc_pos is None and incidence is None:
        raise CaseError(str(path), "pnt_incidangle", "no incidence-angle column; give the incidence angle")
    if heading is None:
        raise CaseError(str(path), "heading", "the satellite heading is not in this file; give it (e.g. --pass ascending or --heading -12)")
    other = [id_pos] + ([g_pos] if position == "geometry" else [lat_pos, lon_pos]) + ([inc_pos] if inc_pos is not None else [])

    def chunk(df):
        if position == "geometry":
            x, y = parse_wkt_points(df[g_pos])
            if src.upper() in ("EPSG:28992", "EPSG:3035") and np.nanmax(np.abs(x), initial=0) < 400 and len(x):
                raise CaseError(str(path), "geometry", f"coordinates look like degrees but the declared CRS is {src}")
        else:
            y = C.to_float(df[lat_pos], path=path, col="lat")
            x = C.to_float(df[lon_pos], path=path, col="lon")
        x, y = C.apply_transform(tr, x, y)
        inc = C.to_float(df[inc_pos], path=path, col="inc") if inc_pos is not None else np.full(len(df), float(incidence))
        if incidence is not None and inc_pos is not None:
            inc = np.where(np.isfinite(inc), inc, float(incidence))
        C.check_incidence(inc, path=path, key=cols[inc_pos] if inc_pos is not None else "incidence", index=df.index)
        ids = C.point_ids(path, df[id_pos])
        return {"ids": ids, "x": x, "y": y, "los": los_from_heading(inc, heading, look=look)}

    got = C.chunked_points(path, date_pos=dpos, other_pos=other, chunk_fn=chunk, bbox=bbox, chunksize=chunksize, scale=unit_scale, text_pos=(id_pos,))
    return C.finalize(
        path, got, dates, fmt="tudelft", component="los", crs=crs, min_epochs=min_epochs,
        provenance={"source_crs": src, "position": position, "unit": "m", "heading_deg": heading, "look": look,
                    "incidence": "pnt_incidangle column" if inc_pos is not None else f"{incidence} deg (given)"},
    )
