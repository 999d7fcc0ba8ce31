"""Rock-salt constitutive law at integration points: elasticity + Norton/BGRa + Kelvin creep.

Everything here is plain numpy on arrays of integration points, so it is independent of
the FE library and unit-testable. Tensors are stored in **Mandel** notation (shear
components multiplied by √2) so that double contractions are dot products and the
fourth-order tangent is a symmetric matrix:

- axisymmetric (r, z):   (rr, zz, θθ, √2 rz)            m = 4
- plane strain (x, y):   (xx, yy, zz, √2 xy), ε_zz = 0   m = 4
- 3D (x, y, z):          (xx, yy, zz, √2 yz, √2 xz, √2 xy)  m = 6

Stress is **tension-positive** here (FE convention). The law (small strain)::

    σ = K tr(ε) 1 + 2G (e − e_N − e_K)           (creep is deviatoric)
    ė_N = (3/2) A* (σ_eq/σ₀)^n  s/σ_eq           Norton / BGRa steady state, A* = A exp(−Q/RT)
    ė_K = (s − 2 G_K e_K) / (2 η_K)              Kelvin-type transient (optional)

Backward Euler makes s parallel to an elastic trial deviator, so the update is a radial
return with one scalar equation per point,
``σ_eq (1 + 2G c) + 3GΔt A* (σ_eq/σ₀)^n = σ_eq^trial``, solved by a Newton iteration that
starts right of the root of a convex function (monotone convergence). The consistent
tangent is returned for the global Newton iteration.
"""

from __future__ import annotations

import dataclasses

import numpy as np

R_GAS = 8.314462618  # J/(mol K)


def mandel_basis(m: int) -> tuple[np.ndarray, np.ndarray]:
    """Identity vector ``one`` and deviatoric projector ``Idev`` in Mandel notation."""
    one = np.zeros(m)
    one[:3] = 1.0
    idev = np.eye(m) - np.outer(one, one) / 3.0
    return one, idev


@dataclasses.dataclass(frozen=True)
class SaltLaw:
    """Parameters of one material zone (SI). ``A = 0`` and ``kelvin_G = 0`` mean elastic.

    ``A`` [1/s] is the BGRa/Norton pre-factor at reference stress ``sigma_ref`` [Pa],
    ``Q`` [J/mol] the activation energy, ``n`` the stress exponent.
    """

    E: float
    nu: float
    A: float = 0.0
    n: float = 5.0
    Q: float = 0.0
    sigma_ref: float = 1e6
    kelvin_G: float = 0.0
    kelvin_eta: float = 0.0

    def __post_init__(self):
        if not (self.E > 0 and -1 < self.nu < 0.5):
            raise ValueError(f"bad elastic constants E={self.E}, nu={self.nu}")
        if self.A < 0 or self.n < 1 or self.Q < 0 or self.sigma_ref <= 0:
            raise ValueError("creep parameters must satisfy A >= 0, n >= 1, Q >= 0, sigma_ref > 0")
        if (self.kelvin_G > 0) != (self.kelvin_eta > 0):
            raise ValueError("Kelvin transient needs both kelvin_G > 0 and kelvin_eta > 0")

    @property
    def G(self) -> float:
        return self.E / (2 * (1 + self.nu))

    @property
    def K(self) -> float:
        return self.E / (3 * (1 - 2 * self.nu))

    @property
    def creeps(self) -> bool:
        return self.A > 0 or self.kelvin_G > 0

    def rate_factor(self, T: np.ndarray | float) -> np.ndarray:
        """A* = A exp(−Q/RT) [1/s] at absolute temperature T [K]."""
        T = np.asarray(T, dtype=float)
        return self.A * np.exp(-self.Q / (R_GAS * T)) if self.Q > 0 else np.full(T.shape, self.A)


@dataclasses.dataclass
class PointMaterial:
    """Material constants expanded to integration points (arrays of length N)."""

    G: np.ndarray
    K: np.ndarray
    Astar: np.ndarray  # 1/s at the point's temperature
    n: np.ndarray
    sigma_ref: np.ndarray
    GK: np.ndarray
    etaK: np.ndarray

    @classmethod
    def build(cls, laws: list[SaltLaw], zone: np.ndarray, T: np.ndarray) -> PointMaterial:
        zone = np.asarray(zone, dtype=int)
        N = zone.size

        def field(get):
            out = np.empty(N)
            for i, law in enumerate(laws):
                sel = zone == i
                v = get(law, sel)
                out[sel] = v
            return out

        return cls(
            G=field(lambda L, s: L.G),
            K=field(lambda L, s: L.K),
            Astar=field(lambda L, s: L.rate_factor(T[s])),
            n=field(lambda L, s: L.n),
            sigma_ref=field(lambda L, s: L.sigma_ref),
            GK=field(lambda L, s: L.kelvin_G),
            etaK=field(lambda L, s: L.kelvin_eta),
        )


@dataclasses.dataclass
class StressUpdate:
    stress: np.ndarray  # (N, m) stress change from the initial state (tension +)
    tangent: np.ndarray  # (N, m, m)
    eN: np.ndarray  # (N, m) Norton creep strain at the end of the step
    eK: np.ndarray  # (N, m) Kelvin strain at the end of the step
    iterations: int


def update_stress(
    eps: np.ndarray, eN0: np.ndarray, eK0: np.ndarray, dt: float, mat: PointMaterial, *, tol: float = 1e-12, maxit: int = 60
) -> StressUpdate:
    """Backward-Euler update from total strain ``eps`` (N, m) and creep strains at t_n."""
    N, m = eps.shape
    one, idev = mandel_basis(m)
    G, K = mat.G, mat.K
    tr = eps[:, :3].sum(axis=1)
    dev = eps - np.outer(tr / 3.0, one)
    # Kelvin: e_K(n+1) = (e_K(n) + Δt s/(2η)) / (1 + Δt G_K/η) = c s + (1 − d) e_K(n)
    with np.errstate(divide="ignore", invalid="ignore"):
        kel = mat.GK > 0
        rK = np.where(kel, dt * mat.GK / np.where(kel, mat.etaK, 1.0), 0.0)
        c = np.where(kel, dt / (2 * np.where(kel, mat.etaK, 1.0) * (1 + rK)), 0.0)
        d = np.where(kel, rK / (1 + rK), 0.0)
    s_tr = 2 * G[:, None] * (dev - eN0 - eK0 + d[:, None] * eK0)
    q_tr = np.sqrt(1.5 * np.einsum("ij,ij->i", s_tr, s_tr))
    a = 1 + 2 * G * c
    b = 3 * G * dt * mat.Astar  # coefficient of (σ_eq/σ₀)^n
    n = mat.n
    sr = mat.sigma_ref
    # root of f(q) = a q + b (q/σ₀)^n − q_tr; both bounds below are >= the root
    q = q_tr / a
    act = (b > 0) & (q_tr > 0)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        q_pow = np.where(act, sr * (q_tr / np.where(act, b, 1.0)) ** (1.0 / n), np.inf)
    q = np.minimum(q, q_pow)
    it = 0
    if np.any(act):
        for it in range(1, maxit + 1):
            qa = q[act]
            x = qa / sr[act]
            f = a[act] * qa + b[act] * x ** n[act] - q_tr[act]
            fp = a[act] + b[act] * n[act] * x ** (n[act] - 1) / sr[act]
            dq = f / fp
            q[act] = np.maximum(qa - dq, 0.0)
            if np.all(np.abs(dq) <= tol * np.maximum(q_tr[act], 1.0)):
                break
        else:
            raise FloatingPointError("local creep return map did not converge")
    with np.errstate(divide="ignore", invalid="ignore"):
        phi = np.where(q_tr > 0, q / np.where(q_tr > 0, q_tr, 1.0), 1.0 / a)
        Nn = np.where(q_tr[:, None] > 0, s_tr / np.where(q_tr > 0, q_tr, 1.0)[:, None], 0.0)
    x = q / sr
    with np.errstate(divide="ignore", invalid="ignore"):
        xn1 = np.where(q > 0, x ** (n - 1), 0.0)
    fprime = a + b * n * xn1 / sr
    h = 1.0 / fprime
    s = phi[:, None] * s_tr
    with np.errstate(divide="ignore", invalid="ignore"):
        rate_over_q = np.where(q > 0, 1.5 * dt * mat.Astar * x**n / np.where(q > 0, q, 1.0), 0.0)
    eN = eN0 + rate_over_q[:, None] * s
    eK = c[:, None] * s + (1 - d)[:, None] * eK0
    stress = np.outer(K * tr, one) + s
    Ct = (
        K[:, None, None] * np.outer(one, one)[None]
        + 2 * G[:, None, None] * (phi[:, None, None] * idev[None] + 1.5 * (h - phi)[:, None, None] * np.einsum("ni,nj->nij", Nn, Nn))
    )
    return StressUpdate(stress=stress, tangent=Ct, eN=eN, eK=eK, iterations=it)


def equivalent_stress(stress: np.ndarray) -> np.ndarray:
    m = stress.shape[1]
    one, _ = mandel_basis(m)
    p = stress[:, :3].sum(axis=1) / 3
    s = stress - np.outer(p, one)
    return np.sqrt(1.5 * np.einsum("ij,ij->i", s, s))


def mandel_to_tensor(v: np.ndarray, kind: str) -> np.ndarray:
    """(N, m) Mandel vectors → (N, 3, 3) tensors. ``kind``: axisymmetric | plane_strain | 3d."""
    N = v.shape[0]
    T = np.zeros((N, 3, 3))
    T[:, 0, 0], T[:, 1, 1], T[:, 2, 2] = v[:, 0], v[:, 1], v[:, 2]
    r2 = np.sqrt(2.0)
    if kind == "3d":
        T[:, 1, 2] = T[:, 2, 1] = v[:, 3] / r2
        T[:, 0, 2] = T[:, 2, 0] = v[:, 4] / r2
        T[:, 0, 1] = T[:, 1, 0] = v[:, 5] / r2
    else:  # (0,1) plane shear; component 2 is the out-of-plane (θθ or zz) normal
        T[:, 0, 1] = T[:, 1, 0] = v[:, 3] / r2
    return T
