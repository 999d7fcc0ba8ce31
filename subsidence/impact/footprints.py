"""Building footprints: a CSV of points with length and orientation, or polygons (GeoJSON,
GeoPackage, any vector format GDAL reads) through pyogrio and shapely.

Every footprint becomes a main axis: centre (x, y), length (m), orientation (degrees clockwise
from north, 0–180) and height (m). A row or feature that cannot be used is kept as an
:class:`Invalid` with the file, the row and the reason; a file that cannot be read at all, or
lacks a required column, raises :class:`FootprintError` naming the file (and the column). Names
identify the buildings in the outputs: two rows or features with the same name are a
:class:`~subsidence.config.errors.CaseError` naming the file, the column and the names.

CSV columns: ``x, y, length, orientation`` (required), ``name`` (optional, unique; an empty one
becomes ``row<N>``), ``height`` (optional); x and y in
the run's CRS, metres. Polygons: the main axis is the long side of the minimum rotated rectangle,
through its centre; a ``name`` and a ``height`` attribute are used when present. Coordinates are
transformed to the run's CRS with pyproj when the file says its own CRS.
"""

from __future__ import annotations

import csv
import dataclasses
import math
from pathlib import Path

REQUIRED = ("x", "y", "length", "orientation")


class FootprintError(ValueError):
    """The footprint file as a whole cannot be used."""


@dataclasses.dataclass
class Building:
    row: int  # CSV: line number in the file (the header is line 1); polygons: feature number from 1
    name: str
    x: float
    y: float
    length: float
    orientation: float  # degrees clockwise from north
    height: float

    @property
    def axis(self) -> tuple[float, float]:
        """Unit vector (east, north) of the main axis."""
        a = math.radians(self.orientation)
        return math.sin(a), math.cos(a)


@dataclasses.dataclass
class Invalid:
    row: int
    name: str
    reason: str


def read_footprints(path, *, default_height: float, target_crs: str | None = None):
    """(buildings, invalid) from a CSV or a vector file (by extension: .csv, else pyogrio)."""
    path = Path(path)
    if not path.is_file():
        raise FootprintError(f"{path}: no such footprint file")
    if path.suffix.lower() == ".csv":
        buildings, invalid = _read_csv(path, default_height)
        what = "rows"
    else:
        buildings, invalid = _read_polygons(path, default_height, target_crs)
        what = "features"
    _unique_names(path, buildings, invalid, what)
    return buildings, invalid


def _unique_names(path: Path, buildings, invalid, what: str) -> None:
    """Every name once (the outputs are keyed by it), among the valid and the invalid rows alike."""
    from subsidence.config.errors import CaseError

    where: dict[str, list[int]] = {}
    for b in [*buildings, *invalid]:
        where.setdefault(b.name, []).append(b.row)
    dups = {n: sorted(r) for n, r in where.items() if len(r) > 1}
    if dups:
        listed = "; ".join(f"{n!r} ({what} {', '.join(map(str, r))})" for n, r in list(dups.items())[:10])
        more = f" and {len(dups) - 10} more" if len(dups) > 10 else ""
        raise CaseError(str(path), "name", f"duplicate building name(s): {listed}{more}; each building needs a name "
                                           f"of its own (or none: an empty name becomes its row or feature number)")


def _number(text, field: str) -> float:
    try:
        v = float(str(text).strip())
    except (TypeError, ValueError):
        raise ValueError(f"field '{field}': not a number: {text!r}") from None
    if not math.isfinite(v):
        raise ValueError(f"field '{field}': not a finite number: {text!r}")
    return v


def _check(b: Building) -> None:
    if not b.length > 0:
        raise ValueError(f"field 'length': must be > 0 m, got {b.length:g}")
    if not b.height > 0:
        raise ValueError(f"field 'height': must be > 0 m, got {b.height:g}")


def _read_csv(path: Path, default_height: float):
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            rows = list(csv.DictReader(f))
            header = [h.strip() for h in (rows[0].keys() if rows else [])]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise FootprintError(f"{path}: cannot be read as CSV: {exc}") from None
    if not rows:
        raise FootprintError(f"{path}: no rows (expected a header with {', '.join(REQUIRED)} and one row per building)")
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise FootprintError(f"{path}: missing column(s) {', '.join(missing)} (found: {', '.join(header)}); "
                             f"required: {', '.join(REQUIRED)}")
    buildings, invalid = [], []
    for i, raw in enumerate(rows, start=2):
        row = {(k or "").strip(): v for k, v in raw.items()}
        name = (row.get("name") or "").strip() or f"row{i}"
        try:
            h = row.get("height")
            b = Building(i, name, _number(row["x"], "x"), _number(row["y"], "y"), _number(row["length"], "length"),
                         _number(row["orientation"], "orientation") % 180.0,
                         _number(h, "height") if h not in (None, "") else float(default_height))
            _check(b)
        except ValueError as exc:
            invalid.append(Invalid(i, name, f"{path}, row {i}: {exc}"))
            continue
        buildings.append(b)
    return buildings, invalid


def _read_polygons(path: Path, default_height: float, target_crs: str | None):
    try:
        import pyogrio
        import shapely
    except ImportError as exc:  # pragma: no cover - both are dependencies
        raise FootprintError(f"{path}: polygon footprints need pyogrio and shapely ({exc})") from None
    try:
        meta, _, geoms, fields = pyogrio.raw.read(path)
    except Exception as exc:  # pyogrio raises its own DataSourceError, DataLayerError, ...
        raise FootprintError(f"{path}: cannot be read as a vector file: {exc}") from None
    names = list(meta.get("fields", []))
    attrs = dict(zip(names, fields))
    transform = None
    src_crs = meta.get("crs")
    if src_crs and target_crs:
        import pyproj

        if not pyproj.CRS.from_user_input(src_crs).equals(pyproj.CRS.from_user_input(target_crs), ignore_axis_order=True):
            transform = pyproj.Transformer.from_crs(src_crs, target_crs, always_xy=True)
    no_crs = bool(src_crs) and not target_crs
    buildings, invalid = [], []
    for k, wkb in enumerate(geoms):
        row = k + 1
        name = str(attrs["name"][k]) if "name" in attrs and attrs["name"][k] not in (None, "") else f"feature{row}"
        try:
            if no_crs:
                raise ValueError(f"the file is in {src_crs} but the run has no crs to transform it to")
            if wkb is None:
                raise ValueError("no geometry")
            g = shapely.from_wkb(wkb)
            if transform is not None:
                g = shapely.transform(g, lambda xy: _xy(transform, xy))
            if g.is_empty or g.geom_type not in ("Polygon", "MultiPolygon"):
                raise ValueError(f"geometry must be a polygon, got {g.geom_type}{' (empty)' if g.is_empty else ''}")
            if not g.is_valid:
                raise ValueError(f"invalid polygon: {shapely.is_valid_reason(g)}")
            b = _axis_of(g, row, name, default_height, attrs, k)
            _check(b)
        except ValueError as exc:
            invalid.append(Invalid(row, name, f"{path}, feature {row}: {exc}"))
            continue
        buildings.append(b)
    return buildings, invalid


def _xy(transform, xy):
    import numpy as np

    x, y = transform.transform(xy[:, 0], xy[:, 1])
    return np.column_stack([x, y])


def _axis_of(g, row: int, name: str, default_height: float, attrs: dict, k: int) -> Building:
    """Main axis of a polygon: the long side of its minimum rotated rectangle, through its centre."""
    import shapely

    rect = shapely.minimum_rotated_rectangle(g)
    c = list(rect.exterior.coords)[:4]
    sides = [(c[i], c[(i + 1) % 4]) for i in range(2)]
    (p0, p1), (q0, q1) = sides
    la = math.dist(p0, p1)
    lb = math.dist(q0, q1)
    (a0, a1), length = ((p0, p1), la) if la >= lb else ((q0, q1), lb)
    orient = math.degrees(math.atan2(a1[0] - a0[0], a1[1] - a0[1])) % 180.0
    cen = rect.centroid
    h = attrs.get("height", [None] * (k + 1))[k]
    height = _number(h, "height") if h not in (None, "") else float(default_height)
    return Building(row, name, float(cen.x), float(cen.y), float(length), orient, height)
