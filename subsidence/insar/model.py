"""Model displacements from a run directory, sampled at observation points and epochs.

A run directory (the output contract of every run type) holds ``surface.nc`` (grid
``ux, uy, uz`` over ``(time, y, x)``) and/or ``points.csv`` (``name, x, y, time, ux, uy,
uz``), both East-North-Up, up positive, metres, time in years since the case's
``start_date``. Observation points are matched to model points by name, else to the
nearest model point within ``match_distance``; the others are interpolated bilinearly in
the grid. Time is interpolated linearly; nothing is extrapolated.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import tomllib
from pathlib import Path

import numpy as np

from subsidence.config.errors import CaseError


@dataclasses.dataclass
class ModelRun:
    path: Path | None
    start_date: _dt.date | None
    crs: str | None
    times_grid: np.ndarray | None = None  # years
    x: np.ndarray | None = None
    y: np.ndarray | None = None
    grid: dict | None = None  # comp -> (nt, ny, nx)
    times_pts: np.ndarray | None = None
    point_names: np.ndarray | None = None
    point_x: np.ndarray | None = None
    point_y: np.ndarray | None = None
    points: dict | None = None  # comp -> (nt, np)
    case_name: str = ""
    manifest: dict = dataclasses.field(default_factory=dict)
    case_text: str = ""

    @property
    def bbox(self):
        """(xmin, ymin, xmax, ymax) of what the model covers (grid and points)."""
        xs, ys = [], []
        if self.x is not None:
            xs += [self.x.min(), self.x.max()]
            ys += [self.y.min(), self.y.max()]
        if self.point_x is not None and len(self.point_x):
            xs += [self.point_x.min(), self.point_x.max()]
            ys += [self.point_y.min(), self.point_y.max()]
        return (min(xs), min(ys), max(xs), max(ys)) if xs else None

    def sample(self, ids, x, y, t_yr, *, match_distance: float = 1.0) -> tuple[dict, np.ndarray, np.ndarray]:
        """Model (ux, uy, uz) at the points (n,) and times ``t_yr`` (nt,) → dict of (n, nt).

        Returns (values, source, ok) where ``source`` is "point"/"grid"/"" per point and
        ``ok`` marks points the model covers. Values outside the model time span are NaN.
        """
        x, y, ids = np.asarray(x, float), np.asarray(y, float), np.asarray(ids).astype(str)
        n, nt = len(x), len(t_yr)
        out = {c: np.full((n, nt), np.nan) for c in ("ux", "uy", "uz")}
        source = np.full(n, "", dtype=object)
        if self.points is not None and len(self.point_names):
            idx = _match_points(ids, x, y, self.point_names, self.point_x, self.point_y, match_distance)
            m = idx >= 0
            for c in out:
                vals = self.points[c][:, idx[m]].T  # (nm, nt_model)
                out[c][m] = _interp_time(self.times_pts, vals, t_yr)
            source[m] = "point"
        if self.grid is not None:
            todo = source == ""
            ij = _bilinear_weights(self.x, self.y, x[todo], y[todo])
            if ij is not None:
                inside, i0, j0, fx, fy = ij
                sel = np.flatnonzero(todo)[inside]
                for c in out:
                    g = self.grid[c]
                    v = ((1 - fx) * (1 - fy))[None] * g[:, j0, i0] + (fx * (1 - fy))[None] * g[:, j0, i0 + 1] \
                        + ((1 - fx) * fy)[None] * g[:, j0 + 1, i0] + (fx * fy)[None] * g[:, j0 + 1, i0 + 1]
                    out[c][sel] = _interp_time(self.times_grid, v.T, t_yr)
                source[sel] = "grid"
        return out, source, source != ""

    def time_span(self) -> tuple[float, float]:
        ts = [t for t in (self.times_grid, self.times_pts) if t is not None and len(t)]
        return min(t.min() for t in ts), max(t.max() for t in ts)


def _match_points(ids, x, y, names, px, py, dist):
    idx = np.full(len(ids), -1)
    pos = {str(nm): k for k, nm in enumerate(names)}
    for i, s in enumerate(ids):
        k = pos.get(s)
        if k is not None and np.hypot(px[k] - x[i], py[k] - y[i]) <= max(dist, 100.0):
            idx[i] = k
    rest = idx < 0
    if rest.any() and dist > 0:
        from scipy.spatial import cKDTree

        d, k = cKDTree(np.c_[px, py]).query(np.c_[x[rest], y[rest]])
        idx[np.flatnonzero(rest)[d <= dist]] = k[d <= dist]
    return idx


def _bilinear_weights(gx, gy, x, y):
    if len(x) == 0 or len(gx) < 2 or len(gy) < 2:
        return None
    inside = (x >= gx[0]) & (x <= gx[-1]) & (y >= gy[0]) & (y <= gy[-1])
    xi, yi = x[inside], y[inside]
    i0 = np.clip(np.searchsorted(gx, xi) - 1, 0, len(gx) - 2)
    j0 = np.clip(np.searchsorted(gy, yi) - 1, 0, len(gy) - 2)
    fx = (xi - gx[i0]) / (gx[i0 + 1] - gx[i0])
    fy = (yi - gy[j0]) / (gy[j0 + 1] - gy[j0])
    return inside, i0, j0, fx, fy


def _interp_time(tm, vals, t):
    """vals (n, ntm) at model times tm → (n, nt) at t; NaN outside [tm0, tm1]."""
    tm = np.asarray(tm, float)
    t = np.asarray(t, float)
    if len(tm) == 1:
        out = np.repeat(vals, len(t), axis=1)
        out[:, np.abs(t - tm[0]) > 1e-9] = np.nan
        return out
    k = np.clip(np.searchsorted(tm, t) - 1, 0, len(tm) - 2)
    w = (t - tm[k]) / (tm[k + 1] - tm[k])
    out = vals[:, k] * (1 - w)[None] + vals[:, k + 1] * w[None]
    out[:, (t < tm[0] - 1e-9) | (t > tm[-1] + 1e-9)] = np.nan
    return out


def load_run(path, *, start_date: _dt.date | None = None, crs: str | None = None) -> ModelRun:
    """Read a run directory (``surface.nc`` and/or ``points.csv``, ``manifest.json``)."""
    path = Path(path)
    if not path.is_dir():
        raise CaseError(str(path), "", "run directory not found")
    man = {}
    if (path / "manifest.json").is_file():
        man = json.loads((path / "manifest.json").read_text())
    case = man.get("case", {})
    case_text = (path / "case.toml").read_text() if (path / "case.toml").is_file() else ""
    if not case and case_text:
        try:
            d = tomllib.loads(case_text)
            case = {"name": d.get("name"), "crs": d.get("crs"), "start_date": str(d.get("start_date") or "") or None}
        except tomllib.TOMLDecodeError:
            pass
    sd = start_date or (case.get("start_date") and _dt.date.fromisoformat(str(case["start_date"])[:10]))
    run = ModelRun(path=path, start_date=sd or None, crs=crs or case.get("crs"), case_name=case.get("name") or path.name,
                   manifest=man, case_text=case_text)
    nc, pc = path / "surface.nc", path / "points.csv"
    if not nc.is_file() and not pc.is_file():
        raise CaseError(str(path), "", "neither surface.nc nor points.csv in this run directory")
    if nc.is_file():
        from subsidence.io.surface import open_surface

        with open_surface(nc) as ds:  # time in years, calendar time (if any) as `date`
            run.times_grid = np.asarray(ds["time"].values, float)
            run.x, run.y = np.asarray(ds["x"].values, float), np.asarray(ds["y"].values, float)
            run.grid = {c: np.asarray(ds[c].values, float) for c in ("ux", "uy", "uz")}
            if run.crs is None and "crs" in ds.attrs:
                run.crs = str(ds.attrs["crs"])
            if run.start_date is None and "date" in ds.coords:
                t0 = ds["date"].values[0] - np.timedelta64(int(round(run.times_grid[0] * 365.25 * 86400)), "s")
                run.start_date = _dt.date.fromisoformat(str(np.datetime64(t0, "D")))
        if run.y[0] > run.y[-1]:
            run.y = run.y[::-1]
            run.grid = {c: g[:, ::-1] for c, g in run.grid.items()}
        if run.x[0] > run.x[-1]:
            run.x = run.x[::-1]
            run.grid = {c: g[:, :, ::-1] for c, g in run.grid.items()}
    if pc.is_file():
        import pandas as pd

        df = pd.read_csv(pc, dtype={"name": str})
        if len(df):
            names = pd.unique(df["name"])
            times = np.sort(pd.unique(df["time"]))
            run.times_pts = times.astype(float)
            first = df.drop_duplicates("name").set_index("name").loc[names]
            run.point_names = np.asarray(names).astype(str)
            run.point_x, run.point_y = first["x"].to_numpy(float), first["y"].to_numpy(float)
            run.points = {}
            for c in ("ux", "uy", "uz"):
                piv = df.pivot_table(index="time", columns="name", values=c, aggfunc="first")
                run.points[c] = piv.reindex(index=times, columns=names).to_numpy(float)
    return run


def run_from_result(res, *, name: str = "model") -> ModelRun:
    """A :class:`ModelRun` straight from a ``SurfaceResult`` (Python API and tests)."""
    t = np.asarray(res.times_yr, float)
    run = ModelRun(path=None, start_date=res.start_date, crs=res.crs, case_name=name)
    if res.has_grid:
        run.times_grid, run.x, run.y = t, np.asarray(res.x, float), np.asarray(res.y, float)
        run.grid = {"ux": np.asarray(res.grid_ux, float), "uy": np.asarray(res.grid_uy, float), "uz": np.asarray(res.grid_uz, float)}
    if len(res.point_names):
        run.times_pts = t
        run.point_names = np.asarray(res.point_names).astype(str)
        run.point_x, run.point_y = np.asarray(res.point_x, float), np.asarray(res.point_y, float)
        run.points = {"ux": np.asarray(res.point_ux, float), "uy": np.asarray(res.point_uy, float), "uz": np.asarray(res.point_uz, float)}
    return run
