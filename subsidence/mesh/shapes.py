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


Volume = DiscVolume | PrismVolume | BoxVolume  # or OffsetVolume (below) wrapping one


@dataclasses.dataclass(frozen=True, eq=False)
class OffsetVolume:
    """A volume cut by a plane, its part on the positive side moved by ``shift`` (a fault's throw).

    ``point`` (x, y, z up) lies on the plane, ``normal`` points into the moved (hanging-wall)
    part; ``shift`` (x, y, z) is the slip, parallel to the plane so that the moved part stays on
    its side. Depths (``top``, ``bottom``) and ``extent`` cover both parts.
    """

    base: DiscVolume | PrismVolume | BoxVolume
    point: tuple[float, float, float]
    normal: tuple[float, float, float]
    shift: tuple[float, float, float]

    @property
    def name(self) -> str:
        return self.base.name

    @property
    def top(self) -> float:
        return min(self.base.top, self.base.top - self.shift[2])

    @property
    def bottom(self) -> float:
        return max(self.base.bottom, self.base.bottom - self.shift[2])

    @property
    def extent(self) -> tuple[float, float, float, float]:
        x0, x1, y0, y1 = self.base.extent
        sx, sy = self.shift[0], self.shift[1]
        return min(x0, x0 + sx), max(x1, x1 + sx), min(y0, y0 + sy), max(y1, y1 + sy)
