"""Nucleus-of-strain kernels: surface displacement per unit compaction volume."""

from __future__ import annotations

import dataclasses

import numpy as np

from subsidence.analytic import geertsma


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

    def lattice_components(self, offx: np.ndarray, offy: np.ndarray, depth: float):
        """Yield the full (len(offy), len(offx)) arrays uz, ux, uy on a lattice of offsets.

        One component at a time, computed in place, to keep memory and time low.
        """
        if self.name == "geertsma":
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
            return
        ux, uy, uz = self.xy(offx[None, :], offy[:, None], depth)
        yield np.ascontiguousarray(np.broadcast_to(uz, (offy.size, offx.size)))
        yield np.ascontiguousarray(np.broadcast_to(ux, (offy.size, offx.size)))
        yield np.ascontiguousarray(np.broadcast_to(uy, (offy.size, offx.size)))

    def xy(self, dx: np.ndarray, dy: np.ndarray, depth: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(ux, uy, uz) at offsets (dx, dy) (observation minus source), broadcasting."""
        if self.name == "geertsma":
            return geertsma.nucleus_surface_xy(dx, dy, depth, self.nu)
        r = np.hypot(dx, dy)
        uz, ur = self.radial(r, depth)
        with np.errstate(invalid="ignore", divide="ignore"):
            c = np.where(r > 0, ur / np.where(r > 0, r, 1.0), 0.0)
        return c * dx, c * dy, uz
