"""Linear Biot poro-elasticity in UFL (displacement u, pore-pressure change p).

Balance laws (tension-positive stress, no gravity: incremental around the initial state)::

    div(C:ε(u) − α p I) = 0
    S ∂p/∂t + α ∂(tr ε)/∂t − div(κ ∇p) = 0,   κ = k/μ_f,   S = 1/M = φ c_f + (α − φ)/K_s

Backward Euler in time. The mass balance is multiplied by −Δt so that the monolithic
operator is symmetric (saddle-point-like, indefinite). With ``drained=False`` the flux
term is dropped: that is the instantaneous undrained response to a sudden load.
"""

from __future__ import annotations

import ufl

from subsidence.physics.elasticity import Kinematics, stress


def biot_forms(kin: Kinematics, u, p, v, q, *, u_old, p_old, dt, lmbda, mu, biot, storage, mobility,
               flow: bool = True, dx=None):
    """Monolithic bilinear form a((u,p),(v,q)) and right-hand side L((v,q)) for one step."""
    dx = dx or ufl.dx
    w = kin.weight
    a_uu = ufl.inner(stress(kin.strain(u), lmbda, mu), kin.strain(v)) * w * dx
    a_up = -biot * p * kin.div(v) * w * dx
    a_pu = -biot * kin.div(u) * q * w * dx
    a_pp = -storage * p * q * w * dx
    if flow:
        a_pp = a_pp - dt * mobility * ufl.inner(ufl.grad(p), ufl.grad(q)) * w * dx
    a = a_uu + a_up + a_pu + a_pp
    L = (-biot * kin.div(u_old) - storage * p_old) * q * w * dx
    return a, L


def flow_forms(kin: Kinematics, p, q, *, p_old, u_iter, u_old, p_iter, dt, biot, storage, mobility, stab, dx=None):
    """Fixed-stress split, flow step: (S + β)(p − p_n) − Δt div κ∇p = −α tr(ε(u^k) − ε(u_n)) + β (p^k − p_n).

    β = α²/K_dr (the fixed-stress stabilisation) makes the iteration a contraction.
    """
    dx = dx or ufl.dx
    w = kin.weight
    a = ((storage + stab) * p * q + dt * mobility * ufl.inner(ufl.grad(p), ufl.grad(q))) * w * dx
    L = ((storage + stab) * p_old - biot * (kin.div(u_iter) - kin.div(u_old)) + stab * (p_iter - p_old)) * q * w * dx
    return a, L
