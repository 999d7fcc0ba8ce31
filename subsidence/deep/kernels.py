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

    def xy(self, dx: np.ndarray, dy: np.ndarray, depth: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(ux, uy, uz) at offsets (dx, dy) (observation minus source), broadcasting."""
        if self.name == "geertsma":
            return geertsma.nucleus_surface_xy(dx, dy, depth, self.nu)
        r = np.hypot(dx, dy)
        uz, ur = self.radial(r, depth)
        with np.errstate(invalid="ignore", divide="ignore"):
            c = np.where(r > 0, ur / np.where(r > 0, r, 1.0), 0.0)
        return c * dx, c * dy, uz
