"""Soil profiles from a voxel model (GeoTOP layout) and a table of parameters per lithoclass.

GeoTOP (TNO), the national 3D model of the shallow subsurface, comes as NetCDF with voxels of
100 × 100 × 0.5 m: coordinates ``x``, ``y`` (RD New, EPSG:28992, cell centres) and ``z`` (m NAP,
cell centres), and a lithoclass per voxel (``lithok``: 0 anthropogenic, 1 peat, 2 clay, 3 clayey
sand / sandy clay / loam, 5 fine sand, 6 medium sand, 7 coarse sand, 8 gravel, 9 shells; missing
above the surface and outside the model). A point's profile is the voxel column it falls in, from
its top voxel (the surface) down to a given depth, with consecutive voxels of one class merged
into one layer; each lithoclass maps to the parameters of a soil layer (``[[classes]]`` of a
classes file, the keys of ``[[soil.layers]]`` less ``name`` and ``thickness``). Points with the
same sequence of (class, thickness) share a profile.

``subsidence soil-profiles --voxels FILE --classes FILE --points FILE --depth 10 --out DIR``
writes ``profiles.toml`` (``[[profiles]]``, for ``[soil] profiles_file``) and ``profiles.csv``
(``name, profile``, for ``[points] profile_file``).

A soil map (polygons with a profile code, BOFEK-style) gives the profile of each point by
point-in-polygon instead (:func:`profiles_from_map`; ``subsidence soil-profiles --soil-map FILE
--field CODE``): only ``profiles.csv``, the profiles themselves being the case's
``[[soil.profiles]]`` named by the codes.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

LITHOCLASSES = {0: "anthropogenic", 1: "peat", 2: "clay", 3: "clayey-sand", 4: "unused", 5: "fine-sand",
                6: "medium-sand", 7: "coarse-sand", 8: "gravel", 9: "shells"}


class VoxelError(ValueError):
    pass


@dataclasses.dataclass
class VoxelModel:
    x: np.ndarray  # cell centres, increasing
    y: np.ndarray
    z: np.ndarray  # cell centres (m), increasing
    code: np.ndarray  # (nx, ny, nz) float, NaN where there is no soil
    file: str = ""

    @property
    def dz(self) -> float:
        return float(np.median(np.diff(self.z))) if self.z.size > 1 else 0.5

    def column(self, x: float, y: float) -> np.ndarray | None:
        """The codes of the voxel column containing (x, y), top down from the surface (None:
        outside the model or no soil there)."""
        hx = 0.5 * (float(np.median(np.diff(self.x))) if self.x.size > 1 else 100.0)
        hy = 0.5 * (float(np.median(np.diff(self.y))) if self.y.size > 1 else 100.0)
        i, j = int(np.argmin(np.abs(self.x - x))), int(np.argmin(np.abs(self.y - y)))
        if abs(self.x[i] - x) > hx * (1 + 1e-9) or abs(self.y[j] - y) > hy * (1 + 1e-9):
            return None
        col = self.code[i, j, ::-1]  # top down
        ok = np.flatnonzero(np.isfinite(col))
        if ok.size == 0:
            return None
        col = col[ok[0]:]
        stop = np.flatnonzero(~np.isfinite(col))  # a gap ends the column
        return col[: stop[0]] if stop.size else col


def read_voxels(path: str | Path, *, variable: str = "lithok") -> VoxelModel:
    """A voxel model from NetCDF (dimensions x, y, z in any order)."""
    import xarray as xr

    path = Path(path)
    try:
        ds = xr.open_dataset(path)
    except (OSError, ValueError) as exc:
        raise VoxelError(f"{path}: cannot read as NetCDF ({exc})") from None
    with ds:
        if variable not in ds:
            raise VoxelError(f"{path}: no variable {variable!r} (has {sorted(ds.data_vars)})")
        v = ds[variable]
        missing = [d for d in ("x", "y", "z") if d not in v.dims]
        if missing:
            raise VoxelError(f"{path}: {variable} needs dimensions x, y and z, has {v.dims}")
        v = v.transpose("x", "y", "z").sortby("x").sortby("y").sortby("z")
        code = v.values.astype(float)
        fill = v.encoding.get("_FillValue")
        if fill is not None:
            code[code == fill] = np.nan
        return VoxelModel(x=v["x"].values.astype(float), y=v["y"].values.astype(float), z=v["z"].values.astype(float),
                          code=code, file=str(path))


def profile_layers(codes: np.ndarray, dz: float, depth: float) -> list[tuple[int, float]]:
    """(class, thickness) from the top down, consecutive voxels of one class merged, cut at ``depth``."""
    n = min(codes.size, int(round(depth / dz)))
    out: list[tuple[int, float]] = []
    for c in map(int, codes[:n]):
        if out and out[-1][0] == c:
            out[-1] = (c, out[-1][1] + dz)
        else:
            out.append((int(c), dz))
    return [(c, round(t, 6)) for c, t in out]


def build_profiles(vox: VoxelModel, classes: dict[int, dict], names, x, y, *, depth: float):
    """Profiles of the points: ``({profile name: [layer dicts]}, [profile of each point])``.

    ``classes``: lithoclass → layer parameters (a ``name`` and the keys of a soil layer but the
    thickness). Raises :class:`VoxelError` naming the points outside the model and the classes
    the table lacks."""
    profiles: dict[str, list[dict]] = {}
    key_to_name: dict[tuple, str] = {}
    point_profiles, outside, unknown = [], [], set()
    for n, px, py in zip(names, x, y):
        col = vox.column(px, py)
        if col is None:
            outside.append(str(n))
            continue
        lay = profile_layers(col, vox.dz, depth)
        unknown |= {c for c, _ in lay if c not in classes}
        key = tuple(lay)
        if key not in key_to_name:
            key_to_name[key] = f"p{len(key_to_name) + 1}-" + "-".join(classes.get(c, {}).get("name", str(c)) for c, _ in lay)
        point_profiles.append(key_to_name[key])
    if outside:
        shown = ", ".join(outside[:10]) + (f" and {len(outside) - 10} more" if len(outside) > 10 else "")
        raise VoxelError(f"{vox.file}: {len(outside)} point(s) outside the voxel model or without soil: {shown}")
    if unknown:
        raise VoxelError(f"lithoclass(es) {sorted(unknown)} occur in the profiles but the classes table has no "
                         f"parameters for them (it has {sorted(classes)})")
    for key, pname in key_to_name.items():
        layers = []
        for k, (c, t) in enumerate(key):
            params = {kk: v for kk, v in classes[c].items() if kk not in ("code", "name")}
            layers.append({"name": f"{classes[c].get('name', c)}-{k + 1}", "thickness": t, **params})
        profiles[pname] = layers
    return profiles, point_profiles


def read_classes(path: str | Path) -> dict[int, dict]:
    """``[[classes]]`` tables of a TOML file: ``code`` (lithoclass), ``name`` and layer parameters."""
    import tomllib

    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise VoxelError(f"{path}: cannot read the classes table ({exc})") from None
    out = {}
    for i, c in enumerate(data.get("classes", [])):
        if "code" not in c or not isinstance(c["code"], int):
            raise VoxelError(f"{path}: classes[{i}] needs an integer code (the lithoclass)")
        if c["code"] in out:
            raise VoxelError(f"{path}: classes[{i}]: code {c['code']} given twice")
        for bad in ("thickness",):
            if bad in c:
                raise VoxelError(f"{path}: classes[{i}].{bad}: the thickness comes from the voxels")
        out[c["code"]] = dict(c)
    if not out:
        raise VoxelError(f"{path}: no [[classes]] tables")
    return out


def write_profiles(out: Path, profiles: dict[str, list[dict]], names, point_profiles) -> tuple[Path, Path]:
    """``profiles.toml`` ([[profiles]] with their [[profiles.layers]]) and ``profiles.csv``."""
    out.mkdir(parents=True, exist_ok=True)
    lines = ["# soil profiles from a voxel model (subsidence soil-profiles); use as [soil] profiles_file", ""]
    for pname, layers in profiles.items():
        lines += ["[[profiles]]", f"name = {_toml(pname)}", ""]
        for L in layers:
            lines.append("[[profiles.layers]]")
            lines += [f"{k} = {_toml(v)}" for k, v in L.items()]
            lines.append("")
    toml_path = out / "profiles.toml"
    toml_path.write_text("\n".join(lines), encoding="utf-8")
    return toml_path, write_profile_csv(out, names, point_profiles)


def write_profile_csv(out: Path, names, point_profiles) -> Path:
    """``profiles.csv``: ``name, profile`` per point (for ``[points] profile_file``)."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / "profiles.csv"
    path.write_text("name,profile\n" + "".join(f"{n},{p}\n" for n, p in zip(names, point_profiles)), encoding="utf-8")
    return path


def _toml(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {_toml(x)}" for k, x in v.items()) + " }"
    if isinstance(v, list):
        return "[" + ", ".join(_toml(x) for x in v) + "]"
    raise TypeError(f"cannot write {v!r} as TOML")


def profiles_from_map(path, field: str, names, x, y, *, crs: str | None = None) -> list[str]:
    """The value of ``field`` of the polygon of a soil map containing each point (a vector file
    GDAL reads, through pyogrio and shapely; transformed to ``crs`` when the map states another).
    Raises :class:`VoxelError` naming the points in no polygon."""
    import pyogrio
    import shapely

    path = Path(path)
    try:
        meta, _, geoms, fields = pyogrio.raw.read(path)
    except Exception as exc:  # pyogrio has its own error classes
        raise VoxelError(f"{path}: cannot be read as a vector file: {exc}") from None
    cols = list(meta.get("fields", []))
    if field not in cols:
        raise VoxelError(f"{path}: no field {field!r} (has {cols})")
    values = fields[cols.index(field)]
    polys = [shapely.from_wkb(g) if g is not None else None for g in geoms]
    src = meta.get("crs")
    if src and crs:
        from subsidence.insar.readers.common import transformer

        tr = transformer(src, crs, path=path, key="--soil-map")  # None when the CRSs are the same
        if tr is not None:
            polys = [None if g is None else shapely.transform(g, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))
                     for g in polys]
    keep = [k for k, g in enumerate(polys) if g is not None and g.geom_type in ("Polygon", "MultiPolygon")]
    tree = shapely.STRtree([polys[k] for k in keep])
    pts = shapely.points(np.asarray(x, float), np.asarray(y, float))
    hit_pt, hit_poly = tree.query(pts, predicate="intersects")  # a point on a shared edge: the first polygon
    out: list[str | None] = [None] * len(pts)
    for i, j in zip(hit_pt, hit_poly):
        if out[i] is None:
            out[i] = str(values[keep[j]])
    missing = [str(n) for n, v in zip(names, out) if v is None]
    if missing:
        shown = ", ".join(missing[:10]) + (f" and {len(missing) - 10} more" if len(missing) > 10 else "")
        raise VoxelError(f"{path}: {len(missing)} point(s) in no polygon of the soil map: {shown}")
    return out  # type: ignore[return-value]
