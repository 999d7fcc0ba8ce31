"""Linear elasticity in UFL for 3D, plane strain and axisymmetric (r, z) problems.

Conventions: stress tension-positive; the vertical coordinate is the last one (z up,
surface at z = 0). In axisymmetric mode the coordinates are (r, z), the displacement is
(u_r, u_z) and every volume integral carries the weight 2πr (we drop 2π: forms use r).

All strains are returned as 3×3 tensors so that one stress law serves every mode.
"""

from __future__ import annotations

import dataclasses

import ufl

MODES = ("3d", "plane-strain", "axisymmetric")


def lame(E, nu):
    """(λ, μ) from Young's modulus and Poisson's ratio (numbers or UFL)."""
    mu = E / (2 * (1 + nu))
    lmbda = E * nu / ((1 + nu) * (1 - 2 * nu))
    return lmbda, mu


def young_from_cm(cm: float, nu: float, biot: float = 1.0) -> float:
    """Young's modulus giving the uniaxial compaction coefficient Cm = α(1+ν)(1−2ν)/(E(1−ν))."""
    return biot * (1 + nu) * (1 - 2 * nu) / (cm * (1 - nu))


def cm_from_young(E: float, nu: float, biot: float = 1.0) -> float:
    return biot * (1 + nu) * (1 - 2 * nu) / (E * (1 - nu))


@dataclasses.dataclass(frozen=True)
class Kinematics:
    """Strain operator and integration weight for one geometric mode."""

    mode: str
    x: ufl.core.expr.Expr  # spatial coordinate (ufl.SpatialCoordinate)

    def __post_init__(self):
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {self.mode!r}")

    @property
    def weight(self):
        """Volume weight: r in axisymmetric mode (the 2π is dropped), 1 otherwise."""
        return self.x[0] if self.mode == "axisymmetric" else 1

    def strain(self, u):
        """Small strain as a 3×3 tensor."""
        if self.mode == "3d":
            return ufl.sym(ufl.grad(u))
        g = ufl.grad(u)
        e_rr, e_zz, e_rz = g[0, 0], g[1, 1], 0.5 * (g[0, 1] + g[1, 0])
        e_tt = u[0] / self.x[0] if self.mode == "axisymmetric" else 0
        return ufl.as_tensor([[e_rr, 0, e_rz], [0, e_tt, 0], [e_rz, 0, e_zz]])

    def div(self, u):
        """Volumetric strain tr ε."""
        return ufl.tr(self.strain(u))


def stress(eps, lmbda, mu):
    """Effective (drained) stress C:ε, tension positive, 3×3."""
    return 2 * mu * eps + lmbda * ufl.tr(eps) * ufl.Identity(3)


def elastic_forms(kin: Kinematics, u, v, *, lmbda, mu, biot=None, pressure=None, dx=None):
    """Bilinear form a(u, v) and load L(v) = ∫ α p div v for a prescribed pore-pressure change p.

    Total stress σ = C:ε(u) − α p I; equilibrium without body force gives
    ∫ C:ε(u):ε(v) = ∫ α p tr ε(v). Depletion (p < 0) makes the region contract.
    """
    dx = dx or ufl.dx
    w = kin.weight
    a = ufl.inner(stress(kin.strain(u), lmbda, mu), kin.strain(v)) * w * dx
    L = None
    if pressure is not None:
        L = biot * pressure * kin.div(v) * w * dx
    return a, L
