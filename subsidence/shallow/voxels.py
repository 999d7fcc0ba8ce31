"""Soil profiles from a voxel model (GeoTOP layout) and a table of parameters per lithoclass.

GeoTOP (TNO), the national 3D model of the shallow subsurface, comes as NetCDF with voxels of
100 × 100 × 0.5 m: coordinates ``x``, ``y`` (RD New, EPSG:28992, cell centres) and ``z`` (m NAP,
cell centres), and a lithoclass per voxel (``lithok``: 0 anthropogenic, 1 peat, 2 clay, 3 clayey
sand / sandy clay / loam, 5 fine sand, 6 medium sand, 7 coarse sand, 8 gravel, 9 shells; missing
above the surface and outside the model). A point's profile is the voxel column it falls in, from
its top voxel (the surface) down to a given depth (the nearest voxel boundary, at least the top
voxel; a voxel without soil or a gap in z ends the column earlier, with a warning), each voxel
its own thickness, with consecutive voxels of one class merged into one layer; each lithoclass
maps to the parameters of a soil layer (``[[classes]]`` of a classes file, the keys of
``[[soil.layers]]`` less ``name`` and ``thickness``). Points with the same sequence of (class,
thickness) share a profile.

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
    """Bad voxel model, classes table or points; ``file`` and ``key`` (the option or variable)
    name where, ``reason`` says what is wrong (``str()`` gives ``file: [key] reason``, as a CaseError)."""

    def __init__(self, reason: str, *, file="", key: str = ""):
        self.file, self.key, self.reason = str(file), key, reason
        super().__init__((f"{self.file}: " if self.file else "") + (f"[{key}] " if key else "") + reason)


@dataclasses.dataclass
class VoxelModel:
    x: np.ndarray  # cell centres, increasing
    y: np.ndarray
    z: np.ndarray  # cell centres (m), increasing
    code: np.ndarray  # (nx, ny, nz) float, NaN where there is no soil
    file: str = ""
    zbounds: np.ndarray | None = None  # (nz, 2) lower, upper of each voxel (m); None: from the centres

    @property
    def dz(self) -> float:
        """The median voxel spacing (the profiles use each voxel's own thickness, :meth:`bounds`)."""
        return float(np.median(np.diff(self.z))) if self.z.size > 1 else 0.5

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper z of each voxel: the ``zbounds`` given, else from the centres
        (:func:`voxel_bounds`)."""
        if self.zbounds is not None:
            b = np.asarray(self.zbounds, float)
            return b[:, 0], b[:, 1]
        return voxel_bounds(self.z)

    def column_voxels(self, x: float, y: float) -> tuple[np.ndarray, np.ndarray] | None:
        """Codes and thicknesses (m) of the voxel column containing (x, y), top down from the
        surface (its top voxel with soil) to the first voxel without soil or gap in z (None:
        outside the model or no soil there)."""
        if not (np.isfinite(x) and np.isfinite(y)):
            return None
        hx = 0.5 * (float(np.median(np.diff(self.x))) if self.x.size > 1 else 100.0)
        hy = 0.5 * (float(np.median(np.diff(self.y))) if self.y.size > 1 else 100.0)
        i, j = int(np.argmin(np.abs(self.x - x))), int(np.argmin(np.abs(self.y - y)))
        if abs(self.x[i] - x) > hx * (1 + 1e-9) or abs(self.y[j] - y) > hy * (1 + 1e-9):
            return None
        lo, up = self.bounds()
        col, lo, up = self.code[i, j, ::-1], lo[::-1], up[::-1]  # top down
        ok = np.flatnonzero(np.isfinite(col))
        if ok.size == 0:
            return None
        col, lo, up = col[ok[0]:], lo[ok[0]:], up[ok[0]:]
        tol = 1e-6 * max(1.0, float(np.max(np.abs(up))))
        # a voxel without soil, or no voxel between two (a gap in z), ends the column
        stop = np.flatnonzero(~np.isfinite(col[1:]) | (lo[:-1] - up[1:] > tol))
        n = stop[0] + 1 if stop.size else col.size
        return col[:n], (up - lo)[:n]

    def column(self, x: float, y: float) -> np.ndarray | None:
        """The codes of the voxel column containing (x, y), top down from the surface (None:
        outside the model or no soil there)."""
        c = self.column_voxels(x, y)
        return None if c is None else c[0]


def voxel_bounds(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper z of voxels from their (increasing) centres. A voxel between equal
    spacings (or at an end of the grid) is as thick as that spacing; one where the spacing
    changes joins its regular neighbour without a gap (1 m voxels below 0.5 m ones each keep their
    thickness; a jump in the centres larger than that is a gap in z). Should that make voxels
    overlap (centres without such a pattern), the boundaries lie halfway between the centres.
    One voxel: 0.5 m thick (GeoTOP)."""
    z = np.asarray(z, float)
    n = z.size
    if n == 1:
        return z - 0.25, z + 0.25
    s = np.diff(z)

    def same(a, b):
        return abs(a - b) <= 1e-6 * max(abs(a), abs(b))

    t = np.full(n, np.nan)
    for i in range(n):  # regular voxels, and the ends
        if i == 0 or i == n - 1:
            t[i] = s[0] if i == 0 else s[-1]
        elif same(s[i - 1], s[i]):
            t[i] = s[i]
    known = t.copy()
    for i in np.flatnonzero(~np.isfinite(known)):  # where the spacing changes: contiguous with a regular neighbour
        cands = [c for c in (2 * s[i - 1] - known[i - 1], 2 * s[i] - known[i + 1]) if np.isfinite(c) and c > 0]
        t[i] = min(cands) if cands else 0.5 * (s[i - 1] + s[i])
    lower, upper = z - t / 2, z + t / 2
    if np.any(upper[:-1] - lower[1:] > 1e-6 * np.maximum(1.0, np.abs(z[1:]))):  # overlapping: halfway
        mid = 0.5 * (z[1:] + z[:-1])
        lower, upper = np.r_[z[0] - s[0] / 2, mid], np.r_[mid, z[-1] + s[-1] / 2]
    return lower, upper


def _z_bounds(ds, v, path: Path, variable: str):
    """The CF bounds of z (``z:bounds = "z_bnds"``), ordered like the sorted z; None when absent."""
    name = v["z"].attrs.get("bounds") or v["z"].encoding.get("bounds")
    if not name:
        return None
    if name not in ds:
        raise VoxelError(f"z names bounds {name!r} but there is no such variable", file=path, key="z")
    b = ds[name]
    other = [d for d in b.dims if d != "z"]
    if "z" not in b.dims or len(other) != 1 or b.sizes[other[0]] != 2:
        raise VoxelError(f"z bounds {name!r} need dimensions (z, 2), have {dict(b.sizes)}", file=path, key=name)
    b = b.transpose("z", other[0]).sortby("z")
    vals = np.sort(b.values.astype(float), axis=1)
    z = b["z"].values.astype(float)
    tol = 1e-6 * np.maximum(1.0, np.abs(z))
    bad = ~((vals[:, 0] < z + tol) & (z < vals[:, 1] + tol) & (vals[:, 1] > vals[:, 0]))
    if np.any(bad):
        k = int(np.flatnonzero(bad)[0])
        raise VoxelError(f"z bounds {name!r}: voxel at z = {z[k]:g} m has bounds {vals[k].tolist()} that do not enclose it",
                         file=path, key=name)
    if np.any(vals[:-1, 1] - vals[1:, 0] > tol[1:]):
        k = int(np.flatnonzero(vals[:-1, 1] - vals[1:, 0] > tol[1:])[0])
        raise VoxelError(f"z bounds {name!r}: voxels at z = {z[k]:g} and {z[k + 1]:g} m overlap", file=path, key=name)
    return vals


def read_voxels(path: str | Path, *, variable: str = "lithok") -> VoxelModel:
    """A voxel model from NetCDF (dimensions x, y, z in any order). Each voxel's thickness comes
    from the CF bounds of z when the file has them (``z:bounds``), else from the centres
    (:func:`voxel_bounds`). A lithoclass that is not an integer is an error."""
    import xarray as xr

    path = Path(path)
    try:
        ds = xr.open_dataset(path)
    except (OSError, ValueError) as exc:
        raise VoxelError(f"cannot read as NetCDF ({exc})", file=path, key="--voxels") from None
    with ds:
        if variable not in ds:
            raise VoxelError(f"no variable {variable!r} (has {sorted(ds.data_vars)})", file=path, key="--variable")
        v = ds[variable]
        missing = [d for d in ("x", "y", "z") if d not in v.dims]
        if missing:
            raise VoxelError(f"needs dimensions x, y and z, has {v.dims}", file=path, key=variable)
        v = v.transpose("x", "y", "z").sortby("x").sortby("y").sortby("z")
        code = v.values.astype(float)
        fill = v.encoding.get("_FillValue")
        if fill is not None:
            code[code == fill] = np.nan
        x, y, z = (v[d].values.astype(float) for d in ("x", "y", "z"))
        frac = np.isfinite(code) & (code != np.round(code))
        if np.any(frac):
            i, j, k = (int(a[0]) for a in np.nonzero(frac))
            raise VoxelError(f"holds {int(frac.sum())} value(s) that are not an integer lithoclass, the "
                             f"first {code[i, j, k]:g} at x = {x[i]:g}, y = {y[j]:g}, z = {z[k]:g}; a lithoclass "
                             "is an integer code (GeoTOP lithok)", file=path, key=variable)
        return VoxelModel(x=x, y=y, z=z, code=code, file=str(path), zbounds=_z_bounds(ds, v, path, variable))


def profile_layers(codes: np.ndarray, dz, depth: float) -> list[tuple[int, float]]:
    """(class, thickness) from the top down, consecutive voxels of one class merged, cut at
    ``depth``: the voxels whose centre lies within ``depth`` below the top (the cut at the voxel
    boundary nearest to ``depth``), at least the top voxel. ``dz``: the thickness of every voxel
    or of each."""
    codes = np.asarray(codes)
    t = np.broadcast_to(np.asarray(dz, float), codes.shape)
    centre = np.cumsum(t) - t / 2
    n = max(1, int(np.count_nonzero(centre <= depth * (1 + 1e-9) + 1e-9))) if codes.size else 0
    out: list[tuple[int, float]] = []
    for c, tk in zip(map(int, codes[:n]), t[:n]):
        if out and out[-1][0] == c:
            out[-1] = (c, out[-1][1] + float(tk))
        else:
            out.append((c, float(tk)))
    return [(c, round(tk, 6)) for c, tk in out]


@dataclasses.dataclass
class ProfileSet:
    """Profiles of points (:func:`profile_set`)."""

    profiles: dict[str, list[dict]]  # profile name -> layer dicts
    point_profiles: list[str]  # profile of each point
    reached: list[float]  # depth below the surface each point's profile reaches (m)
    short: list[str]  # points whose profile ends above the depth (the voxel column ends)


def build_profiles(vox: VoxelModel, classes: dict[int, dict], names, x, y, *, depth: float):
    """Profiles of the points: ``({profile name: [layer dicts]}, [profile of each point])``
    (:func:`profile_set` for the depths reached)."""
    s = profile_set(vox, classes, names, x, y, depth=depth)
    return s.profiles, s.point_profiles


def profile_set(vox: VoxelModel, classes: dict[int, dict], names, x, y, *, depth: float) -> ProfileSet:
    """Profiles of the points, each the voxel column from its surface down to ``depth`` (the
    voxel boundary nearest to it, at least the top voxel), each voxel its own thickness.

    ``classes``: lithoclass → layer parameters (a ``name`` and the keys of a soil layer but the
    thickness). Raises :class:`VoxelError` naming the points outside the model and the classes
    the table lacks. A column that ends (a voxel without soil, a gap in z, the bottom of the
    model) above ``depth`` gives a shorter profile: a warning names the points and the depth
    they reach (also in ``short`` and ``reached``)."""
    profiles: dict[str, list[dict]] = {}
    key_to_name: dict[tuple, str] = {}
    point_profiles, outside, unknown, reached, short = [], [], set(), [], []
    for n, px, py in zip(names, x, y):
        col = vox.column_voxels(px, py)
        if col is None:
            outside.append(str(n))
            continue
        codes, thick = col
        lay = profile_layers(codes, thick, depth)
        got = round(sum(t for _, t in lay), 6)
        reached.append(got)
        if np.isclose(got, float(np.sum(thick))) and got + 0.5 * float(thick[-1]) <= depth * (1 + 1e-9):
            short.append(str(n))  # the column ended where another voxel would still be within the depth
        unknown |= {c for c, _ in lay if c not in classes}
        key = tuple(lay)
        if key not in key_to_name:
            key_to_name[key] = f"p{len(key_to_name) + 1}-" + "-".join(classes.get(c, {}).get("name", str(c)) for c, _ in lay)
        point_profiles.append(key_to_name[key])
    if outside:
        shown = ", ".join(outside[:10]) + (f" and {len(outside) - 10} more" if len(outside) > 10 else "")
        raise VoxelError(f"{len(outside)} point(s) outside the voxel model or without soil: {shown}", file=vox.file,
                         key="--points")
    if unknown:
        raise VoxelError(f"lithoclass(es) {sorted(unknown)} occur in the profiles but the classes table has no "
                         f"parameters for them (it has {sorted(classes)})", key="--classes")
    if short:
        from subsidence.log import get_logger

        at = {str(n): r for n, r in zip(names, reached)}
        shown = ", ".join(f"{p} ({at[p]:g} m)" for p in short[:10]) + (f" and {len(short) - 10} more" if len(short) > 10 else "")
        get_logger("shallow").warning(
            "%d point(s) have a profile shorter than the depth %g m (the voxel column ends: no soil below, a gap "
            "in z or the bottom of the model); depth reached: %s", len(short), depth, shown)
    for key, pname in key_to_name.items():
        layers = []
        for k, (c, t) in enumerate(key):
            params = {kk: v for kk, v in classes[c].items() if kk not in ("code", "name")}
            layers.append({"name": f"{classes[c].get('name', c)}-{k + 1}", "thickness": t, **params})
        profiles[pname] = layers
    return ProfileSet(profiles, point_profiles, reached, short)


def read_classes(path: str | Path) -> dict[int, dict]:
    """``[[classes]]`` tables of a TOML file: ``code`` (lithoclass), ``name`` and layer parameters."""
    import tomllib

    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise VoxelError(f"cannot read the classes table ({exc})", file=path, key="--classes") from None
    out = {}
    for i, c in enumerate(data.get("classes", [])):
        if "code" not in c or not isinstance(c["code"], int):
            raise VoxelError("needs an integer code (the lithoclass)", file=path, key=f"classes[{i}].code")
        if c["code"] in out:
            raise VoxelError(f"code {c['code']} given twice", file=path, key=f"classes[{i}].code")
        for bad in ("thickness",):
            if bad in c:
                raise VoxelError("the thickness comes from the voxels: leave it out", file=path, key=f"classes[{i}].{bad}")
        out[c["code"]] = dict(c)
    if not out:
        raise VoxelError("no [[classes]] tables", file=path, key="--classes")
    return out


def write_profiles(out: Path, profiles: dict[str, list[dict]], names, point_profiles, *,
                   notes: dict[str, str] | None = None) -> tuple[Path, Path]:
    """``profiles.toml`` ([[profiles]] with their [[profiles.layers]]) and ``profiles.csv``;
    ``notes``: a comment line above a profile (e.g. that it is shorter than the depth)."""
    out.mkdir(parents=True, exist_ok=True)
    lines = ["# soil profiles from a voxel model (subsidence soil-profiles); use as [soil] profiles_file", ""]
    for pname, layers in profiles.items():
        if notes and pname in notes:
            lines += [f"# {ln}" for ln in notes[pname].splitlines()]
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
        raise VoxelError(f"cannot be read as a vector file: {exc}", file=path, key="--soil-map") from None
    cols = list(meta.get("fields", []))
    if field not in cols:
        raise VoxelError(f"no field {field!r} (has {cols})", file=path, key="--field")
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
        raise VoxelError(f"{len(missing)} point(s) in no polygon of the soil map: {shown}", file=path, key="--points")
    return out  # type: ignore[return-value]
