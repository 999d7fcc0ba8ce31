"""Named mesh tags, in one place.

Cell tags (gmsh physical volume/surface groups):
  layers      1 … 99   (layer i → 1 + i, counted from the surface down)
  bodies    100 … 199  (body j → 100 + j)
  reservoirs 200 … 299 (reservoir k → 200 + k)
Facet tags: see :class:`Facets`. Overlaps are resolved reservoir > body > layer.
"""

from __future__ import annotations

import dataclasses


class Facets:
    SURFACE = 1  # z = 0, free
    BASE = 2  # bottom of the domain
    XMIN = 3  # 3D sides; in 2D modes XMIN is the axis / symmetry line r = 0
    XMAX = 4
    YMIN = 5
    YMAX = 6
    AXIS = 3
    OUTER = 4

    NAMES = {1: "surface", 2: "base", 3: "xmin", 4: "xmax", 5: "ymin", 6: "ymax"}


def layer_tag(i: int) -> int:
    return 1 + i


def body_tag(j: int) -> int:
    return 100 + j


def reservoir_tag(k: int) -> int:
    return 200 + k


@dataclasses.dataclass
class Regions:
    """Cell tag → region name, and the tags of each kind."""

    names: dict[int, str] = dataclasses.field(default_factory=dict)
    layers: list[int] = dataclasses.field(default_factory=list)
    bodies: list[int] = dataclasses.field(default_factory=list)
    reservoirs: list[int] = dataclasses.field(default_factory=list)

    def tag(self, name: str) -> int:
        for t, n in self.names.items():
            if n == name:
                return t
        raise KeyError(name)
