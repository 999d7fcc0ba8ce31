"""A plain wide CSV: id, x, y, one column per date — with a declared CRS and unit.

Columns (case-insensitive; override with ``columns={"id": ..., "x": ..., "y": ...}``):

- id: ``id``/``pid``/``name``; position: ``x``/``easting``/``lon`` and ``y``/``northing``/``lat``
  in ``source_crs`` (required: there is no safe guess);
- dates: ``YYYYMMDD``, ``YYYY-MM-DD`` or ``d_YYYYMMDD``; values in ``unit`` (m, cm or mm; required);
- geometry (for a LOS component): ``los_east, los_north, los_up`` columns, or
  ``incidence``/``heading`` columns [deg], or the ``incidence``/``heading`` options;
- optional ``sigma`` column (1-σ, same unit as the displacements).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from subsidence.config.errors import CaseError
from subsidence.insar.geometry import los_from_heading, normalise_los
from subsidence.insar.readers import common as C

UNITS = {"m": 1.0, "cm": 1e-2, "mm": 1e-3}


def read_generic(
    path: Path,
    *,
    crs: str | None,
    source_crs: str | None,
    unit: str | None,
    component: str = "los",
    incidence: float | None = None,
    heading: float | None = None,
    look: str = "right",
    columns: dict | None = None,
    bbox=None,
    chunksize: int = C.DEFAULT_CHUNK,
    min_epochs: int = 3,
):
    path = Path(path)
    if unit not in UNITS:
        raise CaseError(str(path), "unit", f"declare the unit of the displacements: one of {', '.join(UNITS)} (got {unit!r})")
    scale = UNITS[unit]
    if source_crs is None:
        raise CaseError(str(path), "source_crs", "declare the CRS of x/y for a generic CSV (e.g. --insar-crs EPSG:28992)")
    tr = C.transformer(source_crs, crs, path=path, key="source_crs")
    cols = C.header(path)
    dpos, dates = C.date_columns(path, cols)
    columns = columns or {}
    idp = C.find_column(cols, [columns["id"]] if "id" in columns else ("id", "pid", "name", "pnt_id"), path=path, what="id")
    xp = C.find_column(cols, [columns["x"]] if "x" in columns else ("x", "easting", "lon", "longitude"), path=path, what="x")
    yp = C.find_column(cols, [columns["y"]] if "y" in columns else ("y", "northing", "lat", "latitude"), path=path, what="y")
    sp = C.find_column(cols, ("sigma", "std", "rmse"), required=False)
    other = [idp, xp, yp] + ([sp] if sp is not None else [])
    lp = ip = hp = None
    if component == "los":
        lp = [C.find_column(cols, (k,), required=False) for k in ("los_east", "los_north", "los_up")]
        if None in lp:
            lp = None
            ip = C.find_column(cols, ("incidence", "incidence_angle"), required=False)
            hp = C.find_column(cols, ("heading",), required=False)
            if (ip is None and incidence is None) or (hp is None and heading is None):
                raise CaseError(str(path), "los_east", "a LOS CSV needs los_east/los_north/los_up or incidence and heading (columns or options)")
        other += [p for p in (lp or []) + [ip, hp] if p is not None]

    def chunk(df):
        x, y = C.apply_transform(tr, C.to_float(df[xp], path=path, col="x"), C.to_float(df[yp], path=path, col="y"))
        out = {"ids": C.point_ids(path, df[idp]), "x": x, "y": y}
        if sp is not None:
            out["sigma"] = C.to_float(df[sp], path=path, col="sigma") * scale
        if component == "los":
            if lp is not None:
                out["los"] = normalise_los(*(C.to_float(df[p], path=path, col="los") for p in lp))
            else:
                inc = C.to_float(df[ip], path=path, col="inc") if ip is not None else np.full(len(df), float(incidence))
                C.check_incidence(inc, path=path, key=cols[ip] if ip is not None else "incidence", index=df.index)
                hd = C.to_float(df[hp], path=path, col="hd") if hp is not None else np.full(len(df), float(heading))
                out["los"] = los_from_heading(inc, hd, look=look)
        return out

    got = C.chunked_points(path, date_pos=dpos, other_pos=other, chunk_fn=chunk, bbox=bbox, chunksize=chunksize, scale=scale, text_pos=(idp,))
    return C.finalize(path, got, dates, fmt="generic", component=component, crs=crs, min_epochs=min_epochs,
                      provenance={"source_crs": source_crs, "unit": unit})
