"""Validation against InSAR time series.

- :mod:`~subsidence.insar.data` — one observation data model (:class:`InsarDataset`);
- :mod:`~subsidence.insar.readers` — EGMS L2a/L2b/L3, TU Delft ``pnt_*``, MintPy, generic CSV;
- :mod:`~subsidence.insar.geometry` — LOS unit vectors (positive towards the satellite);
- :mod:`~subsidence.insar.model` — model displacements from a run directory, sampled;
- :mod:`~subsidence.insar.validate` — referencing and the comparison;
- :mod:`~subsidence.insar.metrics`, :mod:`~subsidence.insar.noise` — misfit and noise model;
- :mod:`~subsidence.insar.decompose` — ascending + descending → vertical and east–west;
- :mod:`~subsidence.insar.report` — figures, ``report.html``, ``validation.json``;
- :mod:`~subsidence.insar.cli` — ``subsidence validate``.
"""

from subsidence.insar.data import InsarDataset
from subsidence.insar.geometry import los_from_azimuth, los_from_heading, project
from subsidence.insar.readers import read_insar

__all__ = ["InsarDataset", "los_from_heading", "los_from_azimuth", "project", "read_insar"]
