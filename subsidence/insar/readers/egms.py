"""European Ground Motion Service (EGMS) CSV products.

- L2a / L2b (basic / calibrated, line of sight): ``pid``, ``easting``/``northing``
  (ETRS89-LAEA, EPSG:3035), ``incidence_angle``, ``track_angle``, ``los_east``,
  ``los_north``, ``los_up`` (unit vector), ``mean_velocity`` [mm/yr], ``rmse`` [mm] …,
  then one column per date ``YYYYMMDD`` in **millimetres**, positive towards the satellite.
- L3 (ortho, 100 m grid delivered as CSV): the same layout without LOS columns; the
  component is vertical (``U`` in the file name, up positive) or east–west (``E``, east
  positive); give ``component`` when the file name does not say.

``rmse`` (when present) is used as the per-point 1-σ uncertainty.
"""

from __future__ import annotations

import re
from pathlib import Path


from subsidence.config.errors import CaseError
from subsidence.insar.geometry import los_from_heading, normalise_los
from subsidence.insar.readers import common as C


def sniff(cols: list[str]) -> bool:
    low = {c.lower() for c in cols}
    return "pid" in low and {"easting", "northing"} <= low and any(C.date_of_column(c) and c.isdigit() for c in cols)


def level_of(cols: list[str], path: Path) -> str:
    low = {c.lower() for c in cols}
    if {"los_east", "los_north", "los_up"} <= low or "incidence_angle" in low:
        return "L2"
    return "L3"


def l3_component(path: Path) -> str | None:
    m = re.search(r"(?:^|_)(U|E)(?:_|$)", Path(path).stem)
    return {"U": "up", "E": "east"}.get(m[1]) if m else None


def read_egms(
    path: Path,
    *,
    crs: str | None,
    source_crs: str | None = None,
    component: str | None = None,
    bbox=None,
    chunksize: int = C.DEFAULT_CHUNK,
    min_epochs: int = 3,
    unit_scale: float = 1e-3,
    look: str = "right",
):
    path = Path(path)
    cols = C.header(path)
    dpos, dates = C.date_columns(path, cols)
    src = source_crs or "EPSG:3035"
    tr = C.transformer(src, crs, path=path, key="source_crs")
    id_pos = C.find_column(cols, ("pid",), path=path, what="pid")
    xp = C.find_column(cols, ("easting",), path=path, what="easting")
    yp = C.find_column(cols, ("northing",), path=path, what="northing")
    rm = C.find_column(cols, ("rmse",), required=False)
    level = level_of(cols, path)
    other = [id_pos, xp, yp] + ([rm] if rm is not None else [])
    if level == "L2":
        if component not in (None, "los"):
            raise CaseError(str(path), "component", f"this EGMS L2 file holds line-of-sight displacements; component "
                            f"{component!r} cannot be chosen for it (an L3 file holds 'up' or 'east')")
        comp = "los"
        lp = [C.find_column(cols, (k,), required=False) for k in ("los_east", "los_north", "los_up")]
        ip = C.find_column(cols, ("incidence_angle",), required=False)
        tp = C.find_column(cols, ("track_angle",), required=False)
        if None in lp and (ip is None or tp is None):
            raise CaseError(str(path), "los_east", "EGMS L2 file without los_east/los_north/los_up or incidence_angle/track_angle")
        other += [p for p in lp + [ip, tp] if p is not None]
    else:
        comp = component or l3_component(path)
        if comp not in ("up", "east"):
            raise CaseError(str(path), "component", "EGMS L3 file: say whether it is vertical ('up') or east-west ('east')")

    def chunk(df):
        x = C.to_float(df[xp], path=path, col="easting")
        y = C.to_float(df[yp], path=path, col="northing")
        x, y = C.apply_transform(tr, x, y)
        out = {"ids": C.point_ids(path, df[id_pos]), "x": x, "y": y}
        if rm is not None:
            out["sigma"] = C.to_float(df[rm], path=path, col="rmse") * unit_scale
        if level == "L2":
            if None not in lp:
                out["los"] = normalise_los(*(C.to_float(df[p], path=path, col="los") for p in lp))
            else:
                inc = C.to_float(df[ip], path=path, col="inc")
                C.check_incidence(inc, path=path, key=cols[ip], index=df.index)
                out["los"] = los_from_heading(inc, C.to_float(df[tp], path=path, col="trk"), look=look)
        return out

    got = C.chunked_points(path, date_pos=dpos, other_pos=other, chunk_fn=chunk, bbox=bbox, chunksize=chunksize, scale=unit_scale, text_pos=(id_pos,))
    return C.finalize(
        path, got, dates, fmt=f"egms-{level.lower()}", component=comp, crs=crs, min_epochs=min_epochs,
        provenance={"source_crs": src, "unit": "mm", "level": level, "sigma": "rmse column" if rm is not None else None,
                    "chunks": got["chunks"]},
    )
