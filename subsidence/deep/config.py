"""The ``kind = "deep"`` case: model, reservoirs and output, checked and in SI units."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np

from subsidence.config.table import Table
from subsidence.deep.geometry import Disc, Lattice, Polygon, read_polygon_file, self_intersection
from subsidence.deep.gridded import GridFileError, GridShape, read_grid
from subsidence.physics.compaction import Linear, PressureHistory, RTiCM, TimeDecay

KERNELS = ("geertsma", "van-opstal")
LAWS = ("linear", "time-decay", "rticm")


@dataclasses.dataclass
class ModelSpec:
    method: str  # "analytic" | "fem"
    kernel: str | None = None
    poisson_ratio: float | None = None
    basement_depth: float | None = None  # m, rigid basement (van-opstal)


@dataclasses.dataclass
class ReservoirSpec:
    name: str
    shape: Disc | Polygon | GridShape
    depth: float | None  # m; None for grids (per cell)
    thickness: float | None  # m; None for grids (per cell)
    compaction: Linear | TimeDecay | RTiCM
    pressure: PressureHistory | None  # None only for grids that carry per-cell pressure
    cell_size: float | None = None  # m, rasterisation of disc/polygon (None: automatic)

    @property
    def history(self) -> PressureHistory:
        return self.pressure if self.pressure is not None else self.shape.pressure

    @property
    def max_bottom(self) -> float:
        if isinstance(self.shape, GridShape):
            return float(np.max(self.shape.depth + self.shape.thickness / 2))
        return self.depth + self.thickness / 2

    @property
    def min_depth(self) -> float:
        return float(np.min(self.shape.depth)) if isinstance(self.shape, GridShape) else self.depth


@dataclasses.dataclass
class OutputSpec:
    times: np.ndarray  # s
    grid: Lattice | None
    point_names: list[str]
    point_x: np.ndarray
    point_y: np.ndarray


@dataclasses.dataclass
class DeepConfig:
    model: ModelSpec
    reservoirs: list[ReservoirSpec]
    output: OutputSpec
    fem: Any = None  # FE settings when model.method == "fem" (subsidence.fem.config)
    impact: Any = None  # [impact]: buildings assessed after the run (subsidence.impact)


@dataclasses.dataclass
class BuildingsSpec:
    """``[impact]`` of a deep case: the buildings assessed on the run's surface map."""

    buildings: Path
    height: float = 6.0
    e_over_g: float = 2.6
    fragility: Path | None = None
    time: float | None = None  # years; None: the last output time


def polygon_vertices(st) -> np.ndarray:
    """The (n, 2) vertices of a polygon table: ``vertices = [[x, y], ...]`` or ``file`` (exactly
    one), at least three, every coordinate a finite number (m)."""
    if st.has("file") == st.has("vertices"):
        raise st.error("vertices", 'give either vertices = [[x, y], ...] or file = "..." (not both)')
    if st.has("file"):
        p = st.path_("file")
        try:
            verts = np.asarray(read_polygon_file(p), float)
        except (OSError, ValueError) as exc:
            raise st.error("file", f"{p}: {exc}") from None
        where = ("file", f"{p}: ")
    else:
        raw = st.raw("vertices")
        if not isinstance(raw, list) or len(raw) < 3 or not all(isinstance(v, list) and len(v) == 2 for v in raw):
            raise st.error("vertices", "expected at least 3 [x, y] pairs (m)")
        try:
            verts = np.array(raw, dtype=float)
        except (TypeError, ValueError):
            raise st.error("vertices", "vertices must be numbers (m)") from None
        where = ("vertices", "")
    if not np.isfinite(verts).all():
        bad = int(np.flatnonzero(~np.isfinite(verts).all(axis=1))[0])
        raise st.error(where[0], f"{where[1]}vertex {bad + 1} (numbered from 1) = {verts[bad].tolist()} is not finite: "
                                 "every coordinate must be a number (m), not nan or inf")
    return verts

def _impact(t: Table | None, output) -> BuildingsSpec | None:
    if t is None:
        return None
    if output.grid is None:
        raise t.error("buildings", "assessing buildings needs an output grid ([output.grid])")
    spec = BuildingsSpec(buildings=t.path_("buildings"), height=t.number("height", 6.0, unit="m", gt=0),
                         e_over_g=t.number("e_over_g", 2.6, gt=0), fragility=t.path_("fragility", None),
                         time=t.number("time", None, unit="yr", bare="yr", ge=0))
    if spec.time is not None:
        yrs = np.asarray(output.times) / (365.25 * 86400.0)
        if not np.any(np.isclose(yrs, spec.time, rtol=0, atol=1e-6)):
            raise t.error("time", f"{spec.time:g} yr is not an output time ({', '.join(f'{v:g}' for v in yrs)})")
    if spec.fragility is not None:
        from subsidence.impact.cli import ImpactError, read_fragility

        try:
            read_fragility(spec.fragility)
        except ImpactError as exc:
            raise t.error("fragility", str(exc)) from None
    t.finish()
    return spec


def parse(root: Table, case) -> DeepConfig:
    model_t = root.table("model")
    method = model_t.string("method", "analytic", choices=("analytic", "fem"))
    res_tables = root.tables("reservoirs")
    reservoirs = [parse_reservoir(t) for t in res_tables]
    if not reservoirs:
        raise root.error("reservoirs", "at least one [[reservoirs]] table is required")
    names = [r.name for r in reservoirs]
    if len(set(names)) != len(names):
        raise root.error("reservoirs", f"reservoir names must be unique, got {names}")
    output = parse_output(root.table("output"))
    for t, r in zip(res_tables, reservoirs):
        check_plausible(t, r, output.times, case)
    cfg = DeepConfig(model=ModelSpec(method=method), reservoirs=reservoirs, output=output,
                     impact=_impact(root.table("impact", None), output))
    if method == "analytic":
        cfg.model.kernel = model_t.string("kernel", "geertsma", choices=KERNELS)
        cfg.model.poisson_ratio = model_t.number("poisson_ratio", gt=-1.0, lt=0.5)
        cfg.model.basement_depth = model_t.number("basement_depth", None, unit="m", gt=0.0)
        model_t.finish()
        if cfg.model.kernel == "van-opstal":
            if cfg.model.basement_depth is None:
                raise model_t.error("basement_depth", 'is required with kernel = "van-opstal" (m below surface)')
            for r in reservoirs:
                if cfg.model.basement_depth <= r.max_bottom:
                    raise model_t.error(
                        "basement_depth",
                        f"basement at {cfg.model.basement_depth:g} m is not below reservoir {r.name!r} "
                        f"(bottom at {r.max_bottom:g} m)",
                    )
        elif cfg.model.basement_depth is not None:
            raise model_t.error("basement_depth", 'only applies to kernel = "van-opstal"; remove it or change the kernel')
    else:
        try:
            from subsidence.fem.config import parse_fem
        except ImportError as exc:
            raise model_t.error("method", f'"fem" is not available in this installation ({exc})') from None
        cfg.fem = parse_fem(root, model_t, case=case, config=cfg)
    return cfg


#: a reservoir whose compaction exceeds this fraction of its thickness is rejected (a unit slip:
#: cm = 1e-5 meant per bar but read per Pa gives 1e5 times the compaction)
MAX_STRAIN = 0.20
#: above this compaction strain a case is run but warned about (log and summary.json "warnings")
WARN_STRAIN = 0.02


def max_strain(res: ReservoirSpec, times: np.ndarray) -> tuple[float, int | None, float | None]:
    """Largest |compaction strain| the case implies: (strain, cell index for grids, time in s or None).

    Linear and time-decay: cm·max|Δp| (time-decay tends to it); RTiCM: the integrated strain at the
    history and output times (per-cell histories: the cell with the largest pressure change).
    """
    law = res.compaction
    h = res.history
    dp = np.abs(np.asarray(h.values, float))
    if isinstance(law, RTiCM):
        cell = int(np.argmax(dp.max(axis=1))) if h.per_cell else None
        hist = PressureHistory(h.times, np.asarray(h.values, float)[cell]) if h.per_cell else h
        tt = np.unique(np.concatenate([h.times, times]))
        eps = np.abs(law.strain(hist, tt))
        k = int(np.argmax(eps))
        if isinstance(res.shape, GridShape) and cell is None:
            cell = 0
        return float(eps[k]), cell, float(tt[k])
    cm = law.cm
    if isinstance(res.shape, GridShape) and res.shape.cm is not None:
        cm = np.asarray(res.shape.cm, float)
    strain = np.asarray(cm * (dp.max(axis=-1)), float)
    if strain.ndim == 0:
        return float(strain), (0 if isinstance(res.shape, GridShape) else None), None
    cell = int(np.nanargmax(strain))
    return float(strain[cell]), cell, None


def check_plausible(t: Table, res: ReservoirSpec, out_times: np.ndarray, case=None) -> None:
    """Reject compaction beyond MAX_STRAIN of the thickness, warn above WARN_STRAIN, and note output
    times after the end of the pressure history (the pressure is held at its last value there)."""
    from subsidence.units import SECONDS_PER_YEAR as YR

    eps, cell, when = max_strain(res, out_times)
    grid = isinstance(res.shape, GridShape)
    law = res.compaction
    if grid:
        H = float(res.shape.thickness[cell])
        where = f" in the cell at ({res.shape.x[cell]:g}, {res.shape.y[cell]:g}) m"
    else:
        H, where = res.thickness, ""
    at = f" at {when / YR:g} yr" if when is not None else ""
    dpmax = float(np.max(np.abs(np.asarray(res.history.values, float))))
    if isinstance(law, RTiCM):
        key, how = "compaction.cm_ref", f"cm_d = {law.cm_d:g}, cm_ref = {law.cm_ref:g} 1/Pa, max |Δp| = {dpmax:g} Pa"
    else:
        cm_here = float(res.shape.cm[cell]) if grid and res.shape.cm is not None else law.cm
        key = "shape.file" if grid and res.shape.cm is not None else "compaction.cm"
        how = f"cm·max|Δp| = {cm_here:g} 1/Pa × {dpmax:g} Pa"
    if eps > MAX_STRAIN:
        raise t.error(
            key,
            f"reservoir {res.name!r}: compaction of {eps * H:.4g} m is {100 * eps:.4g} % of the reservoir thickness "
            f"({H:g} m){where}{at} ({how}); more than {100 * MAX_STRAIN:g} % is not plausible. Compressibilities "
            f"are in 1/Pa and pressures in Pa: a bare 1e-5 meant per bar is 1e5 times too large; write "
            f'"1e-5 1/bar" (and "-100 bar") to give other units',
        )
    if case is not None and eps > WARN_STRAIN:
        case.warn(f"[{t.key(key)}] reservoir {res.name!r}: compaction strain {100 * eps:.3g} % "
                  f"({eps * H:.3g} m of {H:g} m){where}{at} ({how}) is unusually large (above {100 * WARN_STRAIN:g} %); "
                  "check the units of the compressibility and the pressure change")
    t_end = float(res.history.times[-1])
    if case is not None and out_times[-1] > t_end * (1 + 1e-12) + 1e-6:
        creep = law.law in ("time-decay", "rticm")
        key = "shape.file" if res.pressure is None else "pressure_change"
        last = "its last values" if res.history.per_cell else f"its last value ({float(np.asarray(res.history.values)[-1]):g} Pa)"
        case.warn(f"[{t.key(key)}] reservoir {res.name!r}: output times after {t_end / YR:g} yr, the end of its "
                  f"pressure history, hold the pressure change at {last}"
                  + (f"; the {law.law} compaction goes on at that pressure" if creep else ""), note=True)


def parse_reservoir(t: Table) -> ReservoirSpec:
    name = t.string("name")
    if t.has("cell_size"):  # a common slip: it is a property of the outline's rasterisation
        raise t.error("cell_size", "cell_size belongs in the shape table: shape = { type = ..., cell_size = 50.0 }")
    st = t.table("shape")
    kind = st.string("type", choices=("disc", "polygon", "grid"))
    cell_size = None
    if kind == "disc":
        c = st.array("center", unit="m", length=2)
        shape = Disc(center=(float(c[0]), float(c[1])), radius=st.number("radius", unit="m", gt=0.0))
    elif kind == "polygon":
        verts = polygon_vertices(st)
        shape = Polygon(verts, source=str(st.path_("file"))) if st.has("file") else Polygon(verts)
        cross = self_intersection(shape.vertices)
        if cross is not None:
            i, j, x, y = cross
            nv = len(shape.vertices)
            raise st.error(
                "file" if st.has("file") else "vertices",
                f"the polygon intersects itself at ({x:.6g}, {y:.6g}) m: edge {i + 1}-{(i + 1) % nv + 1} "
                f"and edge {j + 1}-{(j + 1) % nv + 1} (vertices numbered from 1) cross or touch; it would "
                "be rasterised as separate lobes. Order the vertices along the outline, or give one reservoir per part",
            )
        if shape.area <= 0:
            raise st.error("vertices", "the polygon has zero area")
    else:
        p = st.path_("file")
        try:
            shape = read_grid(p)
        except GridFileError as exc:
            raise t.error(f"shape.file ({p.name}: field {exc.field!r})" if exc.field else "shape.file", str(exc)) from None
    if kind != "grid":
        cell_size = st.number("cell_size", None, unit="m", gt=0.0)
    st.finish()

    if kind == "grid":
        depth = thickness = None
        for k in ("depth", "thickness"):
            if t.has(k):
                raise t.error(k, "a gridded reservoir takes depth and thickness per cell from its file")
    else:
        depth = t.number("depth", unit="m", gt=0.0)
        thickness = t.number("thickness", unit="m", gt=0.0)
        if depth - thickness / 2 < 0:
            raise t.error("thickness", f"reservoir top ({depth:g} - {thickness:g}/2 m) would be above the surface")

    law = parse_compaction(t.table("compaction"), grid_cm=isinstance(shape, GridShape) and shape.cm is not None)
    if t.has("pressure_change"):
        pressure = parse_pressure(t.table("pressure_change"))
    elif isinstance(shape, GridShape) and shape.pressure is not None:
        pressure = None
    else:
        raise t.error("pressure_change", "required key is missing (or give dp@<years> columns in the grid file)")
    if isinstance(shape, GridShape) and shape.pressure is not None and pressure is not None:
        raise t.error("pressure_change", "the grid file already has per-cell pressure; remove one of them")
    t.finish()
    return ReservoirSpec(name, shape, depth, thickness, law, pressure, cell_size)


def parse_compaction(t: Table, *, grid_cm: bool = False):
    law = t.string("law", choices=LAWS)
    if law in ("linear", "time-decay"):
        # a grid file with a cm column overrides this value per cell
        cm = t.number("cm", None, unit="1/Pa", ge=0.0) if grid_cm else t.number("cm", unit="1/Pa", ge=0.0)
        if law == "linear":
            out = Linear(cm=cm)
        else:
            out = TimeDecay(cm=cm, tau=t.number("tau", unit="s", bare="yr", gt=0.0))
    else:
        cm_d = t.number("cm_d", unit="1/Pa", gt=0.0)
        cm_ref = t.number("cm_ref", unit="1/Pa", gt=0.0)
        if cm_ref <= cm_d:
            raise t.error("cm_ref", f"must be larger than cm_d ({cm_d:g} 1/Pa)")
        out = RTiCM(
            cm_d=cm_d,
            cm_ref=cm_ref,
            b=t.number("b", gt=0.0, lt=1.0),
            sigma_dot_ref=t.number("sigma_dot_ref", unit="Pa/s", bare="Pa/yr", gt=0.0),
            sigma0=t.number("sigma0", unit="Pa", gt=0.0),
            # optional extension (docs/deep.md); absent: the published model (initial state on the
            # reference isotach)
            sigma_dot_0=t.number("sigma_dot_0", None, unit="Pa/s", bare="Pa/yr", gt=0.0),
        )
    t.finish()
    return out


def parse_pressure(t: Table) -> PressureHistory:
    if t.has("file"):
        p = t.path_("file")
        for k in ("time", "value"):
            if t.has(k):
                raise t.error(k, "give either file or time/value arrays, not both")
        times, values = _read_series(t, p)
    else:
        times = t.array("time", unit="s", bare="yr", min_length=1, nondecreasing=True)
        values = t.array("value", unit="Pa", length=times.size)
    t.finish()
    d = np.diff(times)
    if np.any((d[1:] == 0) & (d[:-1] == 0)):
        raise t.error("time", "a time may appear at most twice (a step)")
    return PressureHistory(times, values)


def _read_series(t: Table, path) -> tuple[np.ndarray, np.ndarray]:
    """CSV with columns time (years) and value (Pa); '#' comments allowed."""
    import pandas as pd

    from subsidence.units import SECONDS_PER_YEAR

    try:
        df = pd.read_csv(path, comment="#", skipinitialspace=True)
    except Exception as exc:
        raise t.error("file", f"{path}: cannot read CSV ({exc})") from None
    cols = [c.strip() for c in df.columns]
    if cols[:2] != ["time", "value"]:
        raise t.error("file", f"{path}: expected columns 'time,value' (years, Pa), got {cols}")
    tt = df.iloc[:, 0].to_numpy(float) * SECONDS_PER_YEAR
    vv = df.iloc[:, 1].to_numpy(float)
    if tt.size == 0 or not np.all(np.isfinite(tt)) or not np.all(np.isfinite(vv)):
        raise t.error("file", f"{path}: empty or non-numeric values")
    if np.any(np.diff(tt) < 0):
        raise t.error("file", f"{path}: times are not in order")
    return tt, vv


def parse_output(t: Table) -> OutputSpec:
    times = t.array("times", unit="s", bare="yr", min_length=1, increasing=True)
    if times[0] < 0:
        from subsidence.units import SECONDS_PER_YEAR

        raise t.error("times", f"output times must not be negative (time 0 is the start of the pressure history"
                      f" and of start_date), got {times[0] / SECONDS_PER_YEAR:g} yr")
    grid = None
    g = t.table("grid", None)
    if g is not None:
        ax = {}
        for k in ("x", "y"):
            a = g.array(k, unit="m", length=3)
            n = a[2]
            if not float(n).is_integer() or n < 2:
                raise g.error(k, f"the count (third value) must be an integer >= 2, got {n:g}")
            if a[1] <= a[0]:
                raise g.error(k, "stop must be larger than start")
            ax[k] = (a[0], a[1], int(n))
        g.finish()
        (x0, x1, nx), (y0, y1, ny) = ax["x"], ax["y"]
        grid = Lattice(x0, y0, (x1 - x0) / (nx - 1), (y1 - y0) / (ny - 1), nx, ny)
    names, px, py = [], np.zeros(0), np.zeros(0)
    p = t.table("points", None)
    if p is not None:
        names = p.strings("name")
        px = p.array("x", unit="m", length=len(names))
        py = p.array("y", unit="m", length=len(names))
        p.finish()
        if len(set(names)) != len(names):
            raise t.error("points.name", "point names must be unique")
        bad = [n for n in names if not n or any(c in n for c in ',"\n')]
        if bad:
            raise t.error("points.name", f"point names must be non-empty and contain no comma or quote: {bad[0]!r}")
    if grid is None and not names:
        raise t.error("", "give an output grid, points, or both")
    t.finish()
    return OutputSpec(times, grid, names, px, py)
