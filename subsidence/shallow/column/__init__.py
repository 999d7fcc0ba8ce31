"""Layered soil column under a changing phreatic level.

- :mod:`.compression` constitutive laws (linear ``mv``; isotache a-b-c with creep; Koppejan)
- :mod:`.oxidation`  organic-matter oxidation above the phreatic level (or none)
- :mod:`.model`      the column: vertical pore-water flow (Terzaghi) coupled to the laws
"""

from subsidence.shallow.column.compression import Isotache, Koppejan, LinearCompression
from subsidence.shallow.column.model import Column, ColumnHistory, ColumnLayer
from subsidence.shallow.column.oxidation import NoOxidation, PeatOxidation

__all__ = ["Column", "ColumnHistory", "ColumnLayer", "Isotache", "Koppejan", "LinearCompression", "NoOxidation", "PeatOxidation"]
