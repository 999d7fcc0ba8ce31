"""Geertsma (1973): nucleus of strain in a homogeneous elastic half-space.

Per unit compaction volume dV (m³, positive = shortening/depletion) at depth D, the
surface displacement is (up positive, radial outward positive)::

    uz(r) = -(1-ν)/π · D / (r²+D²)^{3/2}
    ur(r) = -(1-ν)/π · r / (r²+D²)^{3/2}

(the surface moves down and *towards* the reservoir). Bowl volume = 2(1-ν)·dV.
"""

from __future__ import annotations

import numpy as np


def nucleus_surface(r, depth: float, nu: float) -> tuple[np.ndarray, np.ndarray]:
    """(uz, ur) at the surface, per unit compaction volume."""
    r = np.asarray(r, float)
    f = -(1.0 - nu) / np.pi / (r * r + depth * depth) ** 1.5
    return f * depth, f * r


def nucleus_surface_xy(dx, dy, depth: float, nu: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ux, uy, uz) at horizontal offsets (dx, dy) from the nucleus, per unit volume."""
    dx = np.asarray(dx, float)
    dy = np.asarray(dy, float)
    q = dx * dx + dy * dy + depth * depth
    f = -(1.0 - nu) / np.pi / (q * np.sqrt(q))
    return f * dx, f * dy, f * depth


def disc_centre(radius: float, depth: float, compaction: float, nu: float) -> float:
    """Closed-form uz at the centre above a thin disc of uniform compaction (m)."""
    return -2.0 * (1.0 - nu) * compaction * (1.0 - depth / np.hypot(depth, radius))
