"""Nucleus-of-strain kernels: surface displacement per unit compaction volume, and its
horizontal derivatives (closed form for Geertsma, exact Hankel transforms for van Opstal)."""

from __future__ import annotations

import dataclasses

import numpy as np

from subsidence.analytic import geertsma
from subsidence.analytic.geertsma import DERIVATIVES

DISPLACEMENT = ("uz", "ux", "uy")
#: every field a kernel can give: the displacement and the derivatives of geertsma.DERIVATIVES
FIELDS = DISPLACEMENT + DERIVATIVES


@dataclasses.dataclass(frozen=True)
class Kernel:
    name: str  # "geertsma" | "van-opstal"
    nu: float
    basement_depth: float | None = None

    def radial(self, r: np.ndarray, depth: float) -> tuple[np.ndarray, np.ndarray]:
        """(uz, ur) at surface distance ``r`` from a unit nucleus at ``depth``."""
        if self.name == "geertsma":
            return geertsma.nucleus_surface(r, depth, self.nu)
        if self.name == "van-opstal":
            from subsidence.analytic.van_opstal import rigid_base_nucleus

            return rigid_base_nucleus(r, depth, self.basement_depth, self.nu)
        raise ValueError(f"unknown kernel {self.name!r}")

    def radial_derivatives(self, r: np.ndarray, depth: float):
        """(uz_r/r, uz_rr, ur/r, ur_r) at surface distance ``r`` from a unit nucleus at ``depth``."""
        if self.name == "geertsma":
            r = np.asarray(r, float)
            q = r * r + depth * depth
            i3 = 1.0 / (q * np.sqrt(q))
            i5 = i3 / q
            A = -(1.0 - self.nu) / np.pi
            return (-3.0 * A * depth * i5, -3.0 * A * depth * (i5 - 5.0 * r * r * i5 / q), A * i3,
                    A * (i3 - 3.0 * r * r * i5))
        if self.name == "van-opstal":
            from subsidence.analytic.van_opstal import rigid_base_nucleus_derivatives

            return rigid_base_nucleus_derivatives(r, depth, self.basement_depth, self.nu)
        raise ValueError(f"unknown kernel {self.name!r}")

    def lattice_components(self, offx: np.ndarray, offy: np.ndarray, depth: float, names=DISPLACEMENT):
        """Yield the full (len(offy), len(offx)) arrays of the fields ``names`` (default uz, ux, uy)
        on a lattice of offsets, one at a time, to keep memory and time low."""
        names = tuple(names)
        if self.name == "geertsma" and names[:3] == DISPLACEMENT:
            q = np.add.outer(offy * offy, offx * offx)
            q += depth * depth
            f = np.sqrt(q)
            f *= q
            np.divide(-(1.0 - self.nu) / np.pi, f, out=f)  # f = -(1-ν)/π / (r²+D²)^{3/2}
            del q
            yield f * depth
            yield f * offx[None, :]
            f *= offy[:, None]
            yield f
            del f
            names = names[3:]
        if not names:
            return
        if self.name == "geertsma":  # closed form: one field at a time keeps memory low
            for n in names:
                (arr,) = self.fields_xy(offx[None, :], offy[:, None], depth, (n,))
                yield np.ascontiguousarray(np.broadcast_to(arr, (offy.size, offx.size)))
            return
        for arr in self.fields_xy(offx[None, :], offy[:, None], depth, names):
            yield np.ascontiguousarray(np.broadcast_to(arr, (offy.size, offx.size)))

    def xy(self, dx: np.ndarray, dy: np.ndarray, depth: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(ux, uy, uz) at offsets (dx, dy) (observation minus source), broadcasting."""
        if self.name == "geertsma":
            return geertsma.nucleus_surface_xy(dx, dy, depth, self.nu)
        r = np.hypot(dx, dy)
        uz, ur = self.radial(r, depth)
        with np.errstate(invalid="ignore", divide="ignore"):
            c = np.where(r > 0, ur / np.where(r > 0, r, 1.0), 0.0)
        return c * dx, c * dy, uz

    def fields_xy(self, dx, dy, depth: float, names) -> list[np.ndarray]:
        """The fields ``names`` (of :data:`FIELDS`) at offsets (dx, dy), broadcasting.

        Derivatives are with respect to the observation point; Geertsma's in closed form,
        van Opstal's from the radial derivatives: with g = uz_r/r and h = ur/r,
        ``uz_x = g·dx``, ``uz_xx = uz_rr·dx²/r² + g·dy²/r²``, ``uz_xy = (uz_rr − g)·dx·dy/r²``,
        ``ux_x = ur_r·dx²/r² + h·dy²/r²``, ``ux_y = uy_x = (ur_r − h)·dx·dy/r²`` (at r = 0,
        uz_rr = g and ur_r = h, so any direction gives the same)."""
        names = tuple(names)
        unknown = [n for n in names if n not in FIELDS]
        if unknown:
            raise ValueError(f"unknown kernel field(s) {unknown} (known: {', '.join(FIELDS)})")
        dx = np.asarray(dx, float)
        dy = np.asarray(dy, float)
        if self.name == "geertsma":
            disp = dict(zip(("ux", "uy", "uz"), geertsma.nucleus_surface_xy(dx, dy, depth, self.nu))) \
                if set(names) & set(DISPLACEMENT) else {}
            ders = [n for n in names if n in DERIVATIVES]
            dv = dict(zip(ders, geertsma.nucleus_surface_derivatives(dx, dy, depth, self.nu, ders)))
            return [disp[n] if n in disp else dv[n] for n in names]
        r = np.hypot(dx, dy)
        vals = {}
        if set(names) & set(DISPLACEMENT):
            vals["ux"], vals["uy"], vals["uz"] = self.xy(dx, dy, depth)
        if set(names) & set(DERIVATIVES):
            g, uzrr, h, urr = self.radial_derivatives(r, depth)
            r2 = r * r
            safe = np.where(r2 > 0, r2, 1.0)
            c2 = np.where(r2 > 0, dx * dx / safe, 0.5)
            s2 = 1.0 - c2
            cs = np.where(r2 > 0, dx * dy / safe, 0.0)
            vals.update(uz_x=g * dx, uz_y=g * dy, uz_xx=uzrr * c2 + g * s2, uz_yy=uzrr * s2 + g * c2,
                        uz_xy=(uzrr - g) * cs, ux_x=urr * c2 + h * s2, uy_y=urr * s2 + h * c2, ux_y=(urr - h) * cs)
        return [vals[n] for n in names]
