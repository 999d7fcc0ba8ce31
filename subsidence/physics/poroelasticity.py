"""Linear Biot poro-elasticity in UFL (displacement u, pore-pressure change p).

Balance laws (tension-positive stress, no gravity: incremental around the initial state)::

    div(C:ε(u) − α p I) = 0
    S ∂p/∂t + α ∂(tr ε)/∂t − div(κ ∇p) = 0,   κ = k/μ_f,   S = 1/M = φ c_f + (α − φ)/K_s

Backward Euler in time. The mass balance is multiplied by −Δt so that the monolithic
operator is symmetric (saddle-point-like, indefinite). With ``drained=False`` the flux
term is dropped: that is the instantaneous undrained response to a sudden load.

Held regions (``active``/``held``): where the pressure of some cells is prescribed and kept
apart from the rest (a sealed reservoir), the pressure is ``active·p + held``: the unknown p
counts only where the indicator ``active`` is 1, and ``held`` (e.g. Σ χ_k p_k) is the known
pressure of the other cells. The mass balance is then posed on the active cells only, so p
has no link to the held cells except through the nodes where it is constrained to them;
across the other boundary nodes it jumps (a sealing face with no flow through it).
"""

from __future__ import annotations

import ufl

from subsidence.physics.elasticity import Kinematics, stress


def biot_forms(kin: Kinematics, u, p, v, q, *, u_old, p_old, dt, lmbda, mu, biot, storage, mobility,
               flow: bool = True, dx=None, active=None, held=None):
    """Monolithic bilinear form a((u,p),(v,q)) and right-hand side L((v,q)) for one step.

    ``active``, ``held``: see the module notes (None: the pressure unknown lives everywhere).
    """
    dx = dx or ufl.dx
    if active is not None:
        return _held_biot_forms(kin, u, p, v, q, u_old=u_old, p_old=p_old, dt=dt, lmbda=lmbda, mu=mu, biot=biot,
                                storage=storage, mobility=mobility, flow=flow, dx=dx, active=active, held=held)
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


def _held_biot_forms(kin, u, p, v, q, *, u_old, p_old, dt, lmbda, mu, biot, storage, mobility, flow, dx, active,
                     held):
    w = kin.weight
    a_uu = ufl.inner(stress(kin.strain(u), lmbda, mu), kin.strain(v)) * w * dx
    a_up = -biot * active * p * kin.div(v) * w * dx
    a_pu = -biot * active * kin.div(u) * q * w * dx
    a_pp = -storage * active * p * q * w * dx
    if flow:
        a_pp = a_pp - dt * mobility * active * ufl.inner(ufl.grad(p), ufl.grad(q)) * w * dx
    a = a_uu + a_up + a_pu + a_pp
    L = active * (-biot * kin.div(u_old) - storage * p_old) * q * w * dx
    if held is not None:  # the held cells' pressure loads the skeleton: −∫ α p_held div v moved to the right
        L = L + biot * held * kin.div(v) * w * dx
    return a, L


def flow_forms(kin: Kinematics, p, q, *, p_old, u_iter, u_old, p_iter, dt, biot, storage, mobility, stab, dx=None,
               active=None):
    """Fixed-stress split, flow step: (S + β)(p − p_n) − Δt div κ∇p = −α tr(ε(u^k) − ε(u_n)) + β (p^k − p_n).

    β = α²/K_dr (the fixed-stress stabilisation) makes the iteration a contraction.
    ``active``: the flow equation holds on these cells only (see the module notes).
    """
    dx = dx or ufl.dx
    w = kin.weight
    if active is not None:
        w = w * active
    a = ((storage + stab) * p * q + dt * mobility * ufl.inner(ufl.grad(p), ufl.grad(q))) * w * dx
    L = ((storage + stab) * p_old - biot * (kin.div(u_iter) - kin.div(u_old)) + stab * (p_iter - p_old)) * q * w * dx
    return a, L
