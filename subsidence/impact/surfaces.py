"""The displacement of a run at one output time, as ``subsidence impact`` reads it.

Two kinds of run directory (docs/impact.md):

- :class:`GridSurface`: ``surface.nc`` (deep analytic or FE, cavern): ``ux, uy, uz`` on a grid,
  interpolated with cubic splines; the deformation measures from the run's ``deformation.nc``
  (closed-form derivatives for analytic runs) or, for a difference of runs, by finite
  differences of the grid.
- :class:`PointSurface`: ``points.nc`` (shallow and coupled runs): the displacement at scattered
  points, fitted locally by quadratics (:class:`subsidence.deep.deformation.PointStencils`);
  vertical = the run's total (deep − shallow in coupled runs), horizontal = its deep part.

Both give the displacement along a building's axis, at given positions (pairs of points) and the
surface deformation measures, so the damage code does not care which kind of run it reads.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from subsidence.deep.deformation import (PointStencils, angular_distortion_of_curvature, grid_derivatives,
                                         measures_from)


class ImpactError(ValueError):
    """The run, its time or an option cannot be used (exit 2, with the file and the reason)."""


SurfaceError = ImpactError


class Outside(Exception):
    """A position the surface cannot give the displacement at (with the reason)."""


def _pick_time(path, years, time):
    if time is None:
        return len(years) - 1
    hit = np.flatnonzero(np.isclose(years, time, rtol=0, atol=1e-6))
    if not hit.size:
        raise SurfaceError(f"{path}: no output time {time:g} yr (the run has {', '.join(f'{t:g}' for t in years)})")
    return int(hit[0])


def _locate(run: Path):
    if run.is_file():
        nc = run
    elif (run / "surface.nc").is_file():
        nc = run / "surface.nc"
    elif (run / "points.nc").is_file():
        nc = run / "points.nc"
    else:
        raise SurfaceError(f"{run}: no surface.nc or points.nc (not a run directory with a surface to assess)")
    return nc, (PointSurface if nc.name.startswith("points") else GridSurface)


def load_surface(run, time: float | None = None, minus=None):
    """The surface of run directory ``run`` (or a ``surface.nc``/``points.nc`` path) at output time
    ``time`` (years; default the last), minus that of ``minus`` at the same time when given."""
    nc, cls = _locate(Path(run))
    if minus is not None:
        nc2, cls2 = _locate(Path(minus))
        if cls2 is not cls:
            raise SurfaceError(f"{nc2}: a {cls2.kind} run cannot be subtracted from the {cls.kind} run {nc} "
                               f"(--minus needs two grid runs or two point runs)")
    surf = cls(nc, time)
    if minus is not None:
        surf.subtract(cls2(nc2, surf.time_yr))
    return surf


class GridSurface:
    kind = "grid"

    def __init__(self, nc: Path, time: float | None):
        from subsidence.io.surface import open_surface

        self.path = nc
        ds = open_surface(nc)
        years = ds["time"].values.astype(float)
        self.it = _pick_time(nc, years, time)
        self.time_yr = float(years[self.it])
        self.crs = ds.attrs.get("crs") or None
        x, y = ds["x"].values.astype(float), ds["y"].values.astype(float)
        fx = slice(None) if x[-1] > x[0] else slice(None, None, -1)
        fy = slice(None) if y[-1] > y[0] else slice(None, None, -1)
        self.x, self.y = x[fx], y[fy]  # increasing
        self.u = {c: ds[c].isel(time=self.it).values.astype(float)[fy, fx] for c in ("ux", "uy", "uz")}
        self.minus = None
        self._splines = None
        self._measures = None
        dnc = nc.with_name("deformation.nc")
        if dnc.is_file():  # the run's own measures (closed-form derivatives for analytic runs)
            with open_surface(dnc) as d:
                if d.sizes.get("time") == len(years) and d["x"].size == x.size and d["y"].size == y.size:
                    self._measures = {k: d[k].isel(time=self.it).values.astype(float)[fy, fx]
                                      for k in ("tilt", "curvature", "horizontal_strain", "horizontal_compression")
                                      if k in d}
                    self.measures_method = d.attrs.get("method", "the run's deformation.nc")

    @property
    def bounds(self):
        return self.x[0], self.x[-1], self.y[0], self.y[-1]

    def subtract(self, other: GridSurface) -> None:
        X, Y = np.meshgrid(self.x, self.y)
        same = other.x.shape == self.x.shape and other.y.shape == self.y.shape and np.allclose(other.x, self.x) \
            and np.allclose(other.y, self.y)
        for c in ("ux", "uy", "uz"):
            sub = other.u[c] if same else other.values(X.ravel(), Y.ravel(), strict=False)[c].reshape(X.shape)
            if np.isnan(sub).any():
                raise SurfaceError(f"{other.path}: its grid does not cover the grid of {self.path} (needed for --minus)")
            self.u[c] = self.u[c] - sub
        self.minus = other.path
        self._splines, self._measures = None, None

    def _spl(self):
        if self._splines is None:
            from scipy.interpolate import RectBivariateSpline

            k = 3 if min(self.x.size, self.y.size) >= 4 else 1
            self._splines = {c: RectBivariateSpline(self.y, self.x, a, kx=k, ky=k) for c, a in self.u.items()}
        return self._splines

    def values(self, px, py, *, strict: bool = True) -> dict:
        """ux, uy, uz at positions (NaN outside the grid; ``strict``: :class:`Outside` instead)."""
        px, py = np.atleast_1d(np.asarray(px, float)), np.atleast_1d(np.asarray(py, float))
        x0, x1, y0, y1 = self.bounds
        out_ = (px < x0) | (px > x1) | (py < y0) | (py > y1)
        if strict and out_.any():
            raise Outside(f"outside the output grid of {self.path} (x {x0:g} … {x1:g}, y {y0:g} … {y1:g})")
        res = {}
        for c, s in self._spl().items():
            v = s.ev(np.clip(py, y0, y1), np.clip(px, x0, x1))
            v[out_] = np.nan
            res[c] = v
        return res

    def axis_profile(self, cx, cy, ex, ey, s):
        """uz at ``s`` (m) along the axis through (cx, cy) in direction (ex, ey), and the horizontal strain
        along it (change of length between the ends / length)."""
        v = self.values(cx + s * ex, cy + s * ey)
        ua = v["ux"][[0, -1]] * ex + v["uy"][[0, -1]] * ey
        return v["uz"], float((ua[1] - ua[0]) / (s[-1] - s[0]))

    def measures(self) -> dict:
        """tilt, curvature, horizontal_strain, horizontal_compression over the grid (ny, nx)."""
        if self._measures is None:
            self._measures = measures_from(grid_derivatives(self.x, self.y, self.u["ux"], self.u["uy"], self.u["uz"]))
            self.measures_method = "second-order central finite differences of the output grid"
        return self._measures

    def angular_distortion(self, base_length: float, directions: int = 36) -> np.ndarray:
        """Angular distortion over a base length B at every grid node: of a chord of length B centred at the node,
        the largest difference between the slope of one of its halves and the slope of the chord, over
        ``directions`` azimuths: max |uz(+B/2) + uz(−B/2) − 2uz(0)|/B. NaN where the chord leaves the grid."""
        X, Y = np.meshgrid(self.x, self.y)
        uz0 = self.u["uz"]
        best = np.zeros_like(uz0)
        B = float(base_length)
        for a in np.arange(directions) * np.pi / directions:
            ex, ey = 0.5 * B * np.sin(a), 0.5 * B * np.cos(a)
            p = self.values((X + ex).ravel(), (Y + ey).ravel(), strict=False)["uz"].reshape(X.shape)
            m = self.values((X - ex).ravel(), (Y - ey).ravel(), strict=False)["uz"].reshape(X.shape)
            best = np.maximum(best, np.abs(p + m - 2.0 * uz0) / B)  # NaN (chord off the grid) propagates
        return best

    def coords(self):
        return self.x, self.y


class PointSurface:
    kind = "points"
    measures_method = "local quadratic least-squares fits of the nearest output points"

    def __init__(self, nc: Path, time: float | None):
        import xarray as xr

        self.path = nc
        with xr.open_dataset(nc) as ds:
            ds = ds.load()
        years = ds["time_years"].values.astype(float)
        self.it = _pick_time(nc, years, time)
        self.time_yr = float(years[self.it])
        self.crs = ds.attrs.get("crs") or None
        self.names = [str(n) for n in ds["station_name"].values]
        self.px, self.py = ds["x"].values.astype(float), ds["y"].values.astype(float)
        self.u = {c: ds[c].isel(time=self.it).values.astype(float) for c in ("ux", "uy", "uz")}
        self.minus = None
        self.stencils = PointStencils(self.px, self.py)
        from scipy.spatial import Delaunay

        self._hull = Delaunay(np.column_stack([self.px, self.py])) if self.stencils.ok.any() else None

    @property
    def bounds(self):
        return self.px.min(), self.px.max(), self.py.min(), self.py.max()

    def subtract(self, other: PointSurface) -> None:
        if other.names != self.names or not (np.allclose(other.px, self.px) and np.allclose(other.py, self.py)):
            raise SurfaceError(f"{other.path}: its points differ from those of {self.path} (--minus on point runs "
                               f"needs the same points, in the same order)")
        for c in ("ux", "uy", "uz"):
            self.u[c] = self.u[c] - other.u[c]
        self.minus = other.path

    def _fit(self, px, py):
        """The local quadratic fits at positions (coefficients per component, (n, 6))."""
        px, py = np.atleast_1d(np.asarray(px, float)), np.atleast_1d(np.asarray(py, float))
        if self._hull is None:
            raise Outside(f"no surface can be fitted to the points of {self.path}: {self.stencils.reasons[0]}")
        inside = self._hull.find_simplex(np.column_stack([px, py])) >= 0
        if not inside.all():
            raise Outside(f"outside the area of the output points of {self.path} (their convex hull)")
        st = PointStencils(self.px, self.py, px, py)
        if not st.ok.all():
            raise Outside(f"no local fit of the points of {self.path} there: {next(r for r in st.reasons if r)}")
        return {c: st.coefficients(self.u[c]) for c in ("ux", "uy", "uz")}

    def values(self, px, py, *, strict: bool = True) -> dict:
        c = self._fit(px, py)
        return {k: v[:, 0] for k, v in c.items()}

    def axis_profile(self, cx, cy, ex, ey, s):
        """The fitted quadratic at the building's centre along its axis: uz(s) and the axial strain e·∇u·e."""
        c = self._fit(cx, cy)
        cz, cx_, cy_ = c["uz"][0], c["ux"][0], c["uy"][0]
        slope = cz[1] * ex + cz[2] * ey
        curv = cz[3] * ex * ex + 2.0 * cz[4] * ex * ey + cz[5] * ey * ey
        uz = cz[0] + slope * s + 0.5 * curv * s * s
        eps = cx_[1] * ex * ex + (cx_[2] + cy_[1]) * ex * ey + cy_[2] * ey * ey
        return uz, float(eps)

    def measures(self) -> dict:
        d = self.stencils.derivatives(self.u["ux"], self.u["uy"], self.u["uz"])
        m = measures_from(d)
        for v in m.values():
            v[~self.stencils.ok] = np.nan
        return m

    def angular_distortion(self, base_length: float) -> np.ndarray:
        """Over a base length B at each point: |κ|·B/4 of the local quadratic (exact for it)."""
        return angular_distortion_of_curvature(self.measures()["curvature"], base_length)

    def coords(self):
        return self.px, self.py
