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


#: the first and second horizontal derivatives of the surface displacement that the deformation
#: measures need (subsidence.deep.deformation): tilt from uz_x, uz_y; curvature from the Hessian
#: uz_xx, uz_xy, uz_yy; horizontal strain from ux_x, ux_y (= uy_x for these radial kernels), uy_y.
DERIVATIVES = ("uz_x", "uz_y", "uz_xx", "uz_xy", "uz_yy", "ux_x", "ux_y", "uy_y")


def nucleus_surface_derivatives(dx, dy, depth: float, nu: float, names=DERIVATIVES) -> list[np.ndarray]:
    """Closed-form horizontal derivatives of the surface displacement per unit compaction volume.

    With A = −(1−ν)/π and ρ² = dx² + dy² + D² (``uz = A·D/ρ³``, ``ux = A·dx/ρ³``, ``uy = A·dy/ρ³``)::

        uz_x  = −3A·D·dx/ρ⁵               uz_xx = −3A·D·(1/ρ⁵ − 5dx²/ρ⁷)   uz_xy = 15A·D·dx·dy/ρ⁷
        ux_x  = A·(1/ρ³ − 3dx²/ρ⁵)        ux_y  = uy_x = −3A·dx·dy/ρ⁵

    (and the same with x and y swapped). Returns the arrays in the order of ``names``.
    """
    dx = np.asarray(dx, float)
    dy = np.asarray(dy, float)
    A = -(1.0 - nu) / np.pi
    D = float(depth)
    q = dx * dx + dy * dy + D * D
    i3 = 1.0 / (q * np.sqrt(q))
    i5 = i3 / q
    i7 = i5 / q
    out = []
    for n in names:
        if n == "uz_x":
            out.append(-3.0 * A * D * dx * i5)
        elif n == "uz_y":
            out.append(-3.0 * A * D * dy * i5)
        elif n == "uz_xx":
            out.append(-3.0 * A * D * (i5 - 5.0 * dx * dx * i7))
        elif n == "uz_yy":
            out.append(-3.0 * A * D * (i5 - 5.0 * dy * dy * i7))
        elif n == "uz_xy":
            out.append(15.0 * A * D * dx * dy * i7)
        elif n == "ux_x":
            out.append(A * (i3 - 3.0 * dx * dx * i5))
        elif n == "uy_y":
            out.append(A * (i3 - 3.0 * dy * dy * i5))
        elif n == "ux_y":
            out.append(-3.0 * A * dx * dy * i5)
        else:
            raise ValueError(f"unknown derivative {n!r} (known: {', '.join(DERIVATIVES)})")
    return out
