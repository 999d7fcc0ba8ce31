"""Geometric inputs of the mesh builders (all in metres; depths positive downwards)."""

from __future__ import annotations

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class Slab:
    """A horizontal layer between depths ``top`` and ``bottom`` (m below surface)."""

    name: str
    top: float
    bottom: float


@dataclasses.dataclass(frozen=True)
class DiscVolume:
    name: str
    center: tuple[float, float]
    radius: float
    top: float
    bottom: float

    @property
    def extent(self) -> tuple[float, float, float, float]:
        cx, cy = self.center
        return cx - self.radius, cx + self.radius, cy - self.radius, cy + self.radius


@dataclasses.dataclass(frozen=True, eq=False)
class PrismVolume:
    """A polygon outline extruded between depths top and bottom."""

    name: str
    vertices: np.ndarray  # (n, 2)
    top: float
    bottom: float

    @property
    def extent(self) -> tuple[float, float, float, float]:
        v = np.asarray(self.vertices)
        return v[:, 0].min(), v[:, 0].max(), v[:, 1].min(), v[:, 1].max()


@dataclasses.dataclass(frozen=True)
class BoxVolume:
    name: str
    xmin: float
    xmax: float
    ymin: float
    ymax: float
    top: float
    bottom: float

    @property
    def extent(self) -> tuple[float, float, float, float]:
        return self.xmin, self.xmax, self.ymin, self.ymax


Volume = DiscVolume | PrismVolume | BoxVolume
