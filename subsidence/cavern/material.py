"""Rock-salt constitutive law at integration points: elasticity + steady creep (Norton/BGRa,
an optional second power law, linear pressure-solution creep) + a transient (Kelvin or
Munson–Dawson).

Everything here is plain numpy on arrays of integration points, so it is independent of
the FE library and unit-testable. Tensors are stored in **Mandel** notation (shear
components multiplied by √2) so that double contractions are dot products and the
fourth-order tangent is a symmetric matrix:

- axisymmetric (r, z):   (rr, zz, θθ, √2 rz)            m = 4
- plane strain (x, y):   (xx, yy, zz, √2 xy), ε_zz = 0   m = 4
- 3D (x, y, z):          (xx, yy, zz, √2 yz, √2 xz, √2 xy)  m = 6

Stress is **tension-positive** here (FE convention). The law (small strain)::

    σ = K tr(ε) 1 + 2G (e − e_N − e_K)           (creep is deviatoric)
    ė_N = (3/2) F ε̇_s(σ_eq) s/σ_eq               steady creep ε̇_s times the Munson–Dawson factor F
    ε̇_s = A* (σ_eq/σ₀)^n + A₂* (σ_eq/σ₂)^n₂ + A_L* σ_eq
          A* = A exp(−Q/RT) (Norton / BGRa), A₂* likewise (optional second mechanism),
          A_L* = A_ps exp(−Q_ps/RT) / (T d³) (pressure solution, n = 1, grain size d)
    ė_K = (s − 2 G_K e_K) / (2 η_K)              Kelvin-type transient (optional)

Munson–Dawson transient (optional, instead of Kelvin; Munson & Dawson 1984, Munson 1997)::

    F = exp(Δ (1 − ζ/ε_t*)²)   ζ < ε_t*  (work hardening)     Δ = α_w + β_w log10(σ_eq/μ)
    F = exp(−δ (1 − ζ/ε_t*)²)  ζ > ε_t*  (recovery)           δ = α_r + β_r log10(σ_eq/μ)
    ζ̇ = (F − 1) ε̇_s,   ε_t* = K₀ exp(c T) (σ_eq/μ)^m

with the internal variable ζ (transient strain) per point. Without it F = 1.

Backward Euler makes s parallel to an elastic trial deviator, so the update is a radial
return with one scalar equation per point,
``σ_eq (1 + 2G c) + 3GΔt F ε̇_s(σ_eq) = σ_eq^trial``. Without Munson–Dawson it is solved by
a Newton iteration that starts right of the root of a convex function (monotone
convergence); with it, ζ at the end of the step is the root of
``ζ − ζ_n − Δt (F(σ_eq, ζ) − 1) ε̇_s(σ_eq) = 0`` (increasing in ζ, bracketed by ζ_n and
ε_t*) inside a bracketed Newton iteration on σ_eq. The consistent tangent (with dζ/dσ_eq by
implicit differentiation) is returned for the global Newton iteration.
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
    # second power-law mechanism (e.g. the two dislocation mechanisms of the WIPP law)
    A2: float = 0.0
    n2: float = 5.0
    Q2: float = 0.0
    sigma_ref2: float = 1e6
    # linear (pressure-solution) creep: ε̇ = A_ps exp(−Q_ps/RT) σ_eq / (T d³)
    ps_A: float = 0.0  # K m³ / (Pa s)
    ps_Q: float = 0.0  # J/mol
    grain_size: float = 0.0  # m
    # Munson–Dawson transient (md_K0 = 0: off)
    md_K0: float = 0.0
    md_c: float = 0.0  # 1/K
    md_m: float = 3.0
    md_mu: float = 12.4e9  # Pa, the law's shear modulus (normalises σ_eq)
    md_alpha_w: float = -17.37
    md_beta_w: float = -7.738
    md_alpha_r: float = 0.58  # δ = α_r + β_r log10(σ/μ)
    md_beta_r: float = 0.0
    # linear thermal expansion [1/K]: the eigenstrain α ΔT 1 of a temperature change ΔT from the
    # initial state (CreepModel.set_temperature_change); 0: no thermal stress
    thermal_expansion: float = 0.0

    def __post_init__(self):
        if not (self.E > 0 and -1 < self.nu < 0.5):
            raise ValueError(f"bad elastic constants E={self.E}, nu={self.nu}")
        if self.A < 0 or self.n < 1 or self.Q < 0 or self.sigma_ref <= 0:
            raise ValueError("creep parameters must satisfy A >= 0, n >= 1, Q >= 0, sigma_ref > 0")
        if (self.kelvin_G > 0) != (self.kelvin_eta > 0):
            raise ValueError("Kelvin transient needs both kelvin_G > 0 and kelvin_eta > 0")
        if self.A2 < 0 or self.n2 < 1 or self.Q2 < 0 or self.sigma_ref2 <= 0:
            raise ValueError("second creep mechanism must satisfy A2 >= 0, n2 >= 1, Q2 >= 0, sigma_ref2 > 0")
        if self.ps_A < 0 or self.ps_Q < 0 or (self.ps_A > 0) != (self.grain_size > 0):
            raise ValueError("pressure-solution creep needs ps_A > 0 and grain_size > 0 together (and ps_Q >= 0)")
        if self.md_K0 < 0 or (self.md_K0 > 0 and (self.md_m <= 0 or self.md_mu <= 0)):
            raise ValueError("Munson-Dawson transient needs md_K0 > 0, md_m > 0, md_mu > 0")
        if self.md_K0 > 0 and self.kelvin_G > 0:
            raise ValueError("choose one transient: Kelvin or Munson-Dawson, not both")
        if not self.thermal_expansion >= 0:
            raise ValueError("thermal_expansion must be >= 0")
        if self.md_K0 > 0 and not (self.A > 0 or self.A2 > 0 or self.ps_A > 0):
            raise ValueError("the Munson-Dawson transient multiplies a steady creep rate: give one (A, A2 or ps_A)")

    @property
    def G(self) -> float:
        return self.E / (2 * (1 + self.nu))

    @property
    def K(self) -> float:
        return self.E / (3 * (1 - 2 * self.nu))

    @property
    def creeps(self) -> bool:
        return self.A > 0 or self.A2 > 0 or self.ps_A > 0 or self.kelvin_G > 0

    @property
    def steady(self) -> bool:
        """Has a steady (secondary) creep rate: Norton, second mechanism or pressure solution."""
        return self.A > 0 or self.A2 > 0 or self.ps_A > 0

    def rate_factor(self, T: np.ndarray | float) -> np.ndarray:
        """A* = A exp(−Q/RT) [1/s] at absolute temperature T [K]."""
        return _arrhenius(self.A, self.Q, T)

    def rate_factor2(self, T: np.ndarray | float) -> np.ndarray:
        """A₂* = A₂ exp(−Q₂/RT) [1/s] of the second mechanism."""
        return _arrhenius(self.A2, self.Q2, T)

    def linear_factor(self, T: np.ndarray | float) -> np.ndarray:
        """A_L* = A_ps exp(−Q_ps/RT) / (T d³) [1/(Pa s)] of pressure-solution creep."""
        T = np.asarray(T, dtype=float)
        if self.ps_A == 0:
            return np.zeros(T.shape)
        return _arrhenius(self.ps_A, self.ps_Q, T) / (T * self.grain_size**3)

    def steady_rate(self, sigma_eq, T) -> np.ndarray:
        """Equivalent steady creep rate ε̇_s [1/s] at equivalent stress σ_eq [Pa], temperature T [K]."""
        q = np.asarray(sigma_eq, dtype=float)
        return (self.rate_factor(T) * (q / self.sigma_ref) ** self.n + self.rate_factor2(T) * (q / self.sigma_ref2) ** self.n2
                + self.linear_factor(T) * q)

    def md_saturation(self, sigma_eq, T) -> np.ndarray:
        """Munson–Dawson transient strain limit ε_t* = K₀ exp(cT) (σ_eq/μ)^m."""
        return self.md_K0 * np.exp(self.md_c * np.asarray(T, float)) * (np.asarray(sigma_eq, float) / self.md_mu) ** self.md_m


def _arrhenius(A: float, Q: float, T) -> np.ndarray:
    T = np.asarray(T, dtype=float)
    return A * np.exp(-Q / (R_GAS * T)) if Q > 0 else np.full(T.shape, float(A))


#: Munson–Dawson parameters of WIPP clean salt (Munson, Fossum & Senseny 1989, SAND88-2948;
#: Munson 1997): two power-law mechanisms (the third, the glide mechanism above 20.57 MPa,
#: is not represented) and the transient. ``wipp_clean_salt(E, nu)`` builds the law.
WIPP_CLEAN_SALT = dict(
    A=8.386e22, n=5.5, Q=25.0 * 4184.0, sigma_ref=12.4e9,  # mechanism 1, (σ/μ)^5.5
    A2=9.672e12, n2=5.0, Q2=10.0 * 4184.0, sigma_ref2=12.4e9,  # mechanism 2, (σ/μ)^5.0
    md_K0=6.275e5, md_c=9.198e-3, md_m=3.0, md_mu=12.4e9,
    md_alpha_w=-17.37, md_beta_w=-7.738, md_alpha_r=0.58, md_beta_r=0.0,
)


def wipp_clean_salt(E: float = 31.0e9, nu: float = 0.25) -> SaltLaw:
    """The WIPP clean-salt Munson–Dawson law (E = 31 GPa, ν = 0.25 as in the WIPP set)."""
    return SaltLaw(E=E, nu=nu, **WIPP_CLEAN_SALT)


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
    A2star: np.ndarray  # 1/s, second power-law mechanism
    n2: np.ndarray
    sigma_ref2: np.ndarray
    AL: np.ndarray  # 1/(Pa s), linear (pressure-solution) creep
    md_est: np.ndarray  # K₀ exp(cT) (0: no Munson–Dawson transient)
    md_m: np.ndarray
    md_mu: np.ndarray
    md_aw: np.ndarray
    md_bw: np.ndarray
    md_ar: np.ndarray
    md_br: np.ndarray

    @classmethod
    def build(cls, laws: list[SaltLaw], zone: np.ndarray, T: np.ndarray) -> PointMaterial:
        zone = np.asarray(zone, dtype=int)
        T = np.asarray(T, dtype=float) * np.ones(zone.shape)
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
            A2star=field(lambda L, s: L.rate_factor2(T[s])),
            n2=field(lambda L, s: L.n2),
            sigma_ref2=field(lambda L, s: L.sigma_ref2),
            AL=field(lambda L, s: L.linear_factor(T[s])),
            md_est=field(lambda L, s: L.md_K0 * np.exp(L.md_c * T[s])),
            md_m=field(lambda L, s: L.md_m),
            md_mu=field(lambda L, s: L.md_mu),
            md_aw=field(lambda L, s: L.md_alpha_w),
            md_bw=field(lambda L, s: L.md_beta_w),
            md_ar=field(lambda L, s: L.md_alpha_r),
            md_br=field(lambda L, s: L.md_beta_r),
        )

    def take(self, sel) -> PointMaterial:
        return PointMaterial(**{f.name: getattr(self, f.name)[sel] for f in dataclasses.fields(self)})

    def steady(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Steady equivalent creep rate ε̇_s(q) [1/s] and dε̇_s/dq at equivalent stress q [Pa]."""
        x = q / self.sigma_ref
        with np.errstate(divide="ignore", invalid="ignore"):
            p1 = np.where(q > 0, x ** (self.n - 1), 0.0)
        r = self.Astar * p1 * x
        dr = self.Astar * self.n * p1 / self.sigma_ref
        if np.any(self.A2star):  # (skipped where no point has the mechanism: the common case)
            x2 = q / self.sigma_ref2
            with np.errstate(divide="ignore", invalid="ignore"):
                p2 = np.where(q > 0, x2 ** (self.n2 - 1), 0.0)
            r = r + self.A2star * p2 * x2
            dr = dr + self.A2star * self.n2 * p2 / self.sigma_ref2
        if np.any(self.AL):
            r = r + self.AL * q
            dr = dr + self.AL
        return r, dr


@dataclasses.dataclass
class StressUpdate:
    stress: np.ndarray  # (N, m) stress change from the initial state (tension +)
    tangent: np.ndarray  # (N, m, m)
    eN: np.ndarray  # (N, m) steady (+ Munson–Dawson) creep strain at the end of the step
    eK: np.ndarray  # (N, m) Kelvin strain at the end of the step
    iterations: int
    zeta: np.ndarray | None = None  # (N,) Munson–Dawson transient strain at the end of the step


#: largest exponent in the Munson–Dawson factor (exp(300) ≈ 1e130: a rate far beyond any step)
_MD_EXP_MAX = 300.0


def md_log_factor(q, zeta, mat: PointMaterial):
    """ln F of Munson–Dawson and its partial derivatives ∂lnF/∂q, ∂lnF/∂ζ, with ε_t*(q)
    (in logs: in deep recovery F underflows to 0 while ln F stays finite)."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        qs = np.maximum(q, 1e-12 * mat.md_mu)
        lg = np.log10(qs / mat.md_mu)
        est = mat.md_est * (qs / mat.md_mu) ** mat.md_m
        dest = mat.md_m * est / qs
        u = 1.0 - zeta / est
        hard = u > 0
        coef = np.where(hard, mat.md_aw + mat.md_bw * lg, -(mat.md_ar + mat.md_br * lg))
        dcoef = np.where(hard, mat.md_bw, -mat.md_br) / (qs * np.log(10.0))
        lnF = coef * u * u
        dlnF_dzeta = coef * 2 * u * (-1.0 / est)
        dlnF_dq = dcoef * u * u + coef * 2 * u * zeta * dest / est**2
    return lnF, dlnF_dq, dlnF_dzeta, est


def md_factor(q, zeta, mat: PointMaterial):
    """Munson–Dawson F(q, ζ) and its partial derivatives ∂F/∂q, ∂F/∂ζ (arrays), with ε_t*(q)."""
    lnF, lq, lz, est = md_log_factor(q, zeta, mat)
    F = np.exp(np.minimum(lnF, _MD_EXP_MAX))
    return F, _times(F, lq), _times(F, lz), est


def _times(F, x):
    """F·x with 0 where F underflowed to 0 (x may be huge there: deep recovery)."""
    with np.errstate(invalid="ignore", over="ignore"):
        return np.where(F > 0, F * np.where(F > 0, x, 0.0), 0.0)


def _md_zeta(q, zeta0, dt, mat: PointMaterial, guess=None, tol=1e-13, maxit=200):
    """ζ at the end of the step for fixed q: root of g(ζ) = ζ − ζ_n − Δt (F − 1) ε̇_s, bracketed
    by ζ_n and ε_t*(q). Solved in the log form k(ζ) = ln(1 + (ζ − ζ_n)/(Δt ε̇_s)) − ln F(ζ)
    (increasing in ζ like g, same root, but nearly linear where F is an exponential) by Newton
    from ``guess`` with bisection whenever it leaves the bracket.
    Returns ζ, ln F, ∂lnF/∂q, ∂lnF/∂ζ, ε̇_s, dε̇_s/dq, dζ/dq (the last from g by implicit
    differentiation)."""
    es, des = mat.steady(q)
    es = np.maximum(es, 1e-300)
    est = md_log_factor(q, zeta0, mat)[3]
    lo, hi = np.minimum(zeta0, est), np.maximum(zeta0, est)
    lo = np.maximum(lo, zeta0 - dt * es)  # below, 1 + (ζ − ζ_n)/(Δt ε̇_s) < 0: no root there
    rec = zeta0 > est
    z = np.clip(zeta0 if guess is None else guess, lo, hi)
    scale = np.maximum(np.abs(zeta0), est) + 1e-30
    active = np.ones(z.shape, bool)
    prev = np.full(z.shape, np.inf)
    for _ in range(maxit):
        lnF, _, lz, _ = md_log_factor(q, z, mat)
        arg = 1 + (z - zeta0) / (dt * es)
        F = np.exp(np.minimum(lnF, _MD_EXP_MAX))
        with np.errstate(divide="ignore", invalid="ignore"):
            k = np.where(arg > 0, np.log(np.where(arg > 0, arg, 1.0)) - lnF, -np.inf)
            kz = 1.0 / (dt * es * arg) - lz
            # recovery (ζ_n > ε_t*, 0 < F < 1): g itself is smooth and nearly linear; the log
            # form has its root next to the log singularity when F underflows
            k = np.where(rec, z - zeta0 - dt * (F - 1) * es, k)
            kz = np.where(rec, 1 - dt * _times(F, lz) * es, kz)
            zn = z - k / kz
        lo = np.where(k < 0, z, lo)
        hi = np.where(k > 0, z, hi)
        small, tight = np.abs(zn - z) <= tol * scale, hi - lo <= tol * scale
        done = small | (k == 0) | tight
        zn = np.where(k == 0, z, np.where(tight & ~small, 0.5 * (lo + hi), zn))
        # bisect when Newton leaves the bracket or shrinks it less than bisection would
        step = np.abs(zn - z)
        bad = ~done & (~np.isfinite(zn) | (zn < lo) | (zn > hi) | (step > 0.5 * prev))
        zn = np.where(bad, 0.5 * (lo + hi), zn)
        prev = np.where(bad, np.inf, step)
        z = np.where(active, zn, z)
        active &= ~done
        if not np.any(active):
            break
    lnF, lq, lz, _ = md_log_factor(q, z, mat)
    F = np.exp(np.minimum(lnF, _MD_EXP_MAX))
    gz = 1 - dt * _times(F, lz) * es
    gq = -dt * (_times(F, lq) * es + (F - 1) * des)
    return z, lnF, lq, lz, es, des, -gq / gz


def _return_md(q_tr, a, zeta0, dt, G, mat: PointMaterial, tol, maxit):
    """Root of f(q) = a q + 3GΔt F(q, ζ(q)) ε̇_s(q) − q_tr in (0, q_tr/a), by Newton on the
    log form φ = ln(3GΔt ε̇_s) + ln F − ln(q_tr − a q) in ln q (power laws and the exponential F
    are nearly linear there, so it converges from far away, where Newton on f crawls), with
    bisection whenever it leaves the bracket. Returns q, f'(q), total rate F ε̇_s, ζ, iterations."""
    lo, hi = np.zeros_like(q_tr), q_tr / a
    # start: hi/(1 + creep term at hi / q_tr), close to hi where creep in the step is small
    z, lnF, _, _, es, _, _ = _md_zeta(hi, zeta0, dt, mat)
    q = hi / (1 + 3 * G * dt * np.exp(np.minimum(lnF, _MD_EXP_MAX)) * es / q_tr)
    active = np.ones(q.shape, bool)
    prev = np.full(q.shape, np.inf)
    for it in range(1, maxit + 1):
        z, lnF, lq, lz, es, des, dz = _md_zeta(q, zeta0, dt, mat, guess=z)
        rem = q_tr - a * q
        with np.errstate(divide="ignore", invalid="ignore"):
            phi = np.log(3 * G * dt * es) + lnF - np.log(rem)
            dphi = q * (lq + lz * dz + des / es + a / rem)
            qn = q * np.exp(-np.clip(phi / dphi, -50.0, 50.0))
        lo = np.where(phi < 0, q, lo)
        hi = np.where(phi > 0, q, hi)
        # converged when the Newton step is below the tolerance (checked before the bisection
        # safeguard: at the root, round-off may put the Newton point on a bracket end)
        small, tight = np.abs(qn - q) <= tol * q_tr, hi - lo <= tol * q_tr
        done = small | (phi == 0) | tight
        qn = np.where(phi == 0, q, np.where(tight & ~small, 0.5 * (lo + hi), qn))
        # bisect (geometrically) when Newton leaves the bracket, or after the first steps when it
        # crawls: in deep recovery ln F ∝ −q^(−2m) and Newton in ln q gains only 1/(2m) per step
        with np.errstate(divide="ignore", invalid="ignore"):
            step = np.abs(np.log(qn / q))
        crawl = step > 0.5 * prev  # not converging quadratically (Numerical Recipes' rtsafe rule)
        bad = ~done & (~np.isfinite(qn) | (qn <= lo) | (qn >= hi) | crawl)
        qn = np.where(bad, np.where(lo > 0, np.sqrt(lo * hi), 0.5 * hi), qn)
        with np.errstate(divide="ignore", invalid="ignore"):
            prev = np.where(bad, np.inf, step) if it > 1 else np.full(q.shape, np.inf)
        q = np.where(active, qn, q)  # a converged point is frozen (no wandering on round-off)
        active &= ~done
        if not np.any(active):
            break
    else:
        raise FloatingPointError("local Munson-Dawson return map did not converge")
    z, lnF, lq, lz, es, des, dz = _md_zeta(q, zeta0, dt, mat, guess=z)
    F = np.exp(np.minimum(lnF, _MD_EXP_MAX))
    fp = a + 3 * G * dt * (_times(F, lq + lz * dz) * es + F * des)
    return q, fp, F * es, z, it


def update_stress(
    eps: np.ndarray, eN0: np.ndarray, eK0: np.ndarray, dt: float, mat: PointMaterial, *, tol: float = 1e-12, maxit: int = 60,
    zeta0: np.ndarray | None = None,
) -> StressUpdate:
    """Backward-Euler update from total strain ``eps`` (N, m) and creep strains at t_n
    (``zeta0``: Munson–Dawson transient strain at t_n, zeros if omitted)."""
    N, m = eps.shape
    one, idev = mandel_basis(m)
    G, K = mat.G, mat.K
    zeta0 = np.zeros(N) if zeta0 is None else zeta0
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
    b2 = 3 * G * dt * mat.A2star
    bL = 3 * G * dt * mat.AL
    n, n2 = mat.n, mat.n2
    sr, sr2 = mat.sigma_ref, mat.sigma_ref2
    md = (mat.md_est > 0) & (q_tr > 0) & (dt > 0)
    act = ((b > 0) | (b2 > 0) | (bL > 0)) & (q_tr > 0) & ~md
    # f(q) = (a + bL) q + b (q/σ₀)^n + b₂ (q/σ₂)^n₂ − q_tr is convex and increasing: Newton
    # from a point right of the root converges monotonically; each term alone bounds the root
    q = q_tr / (a + bL)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        for bb, nn, ss in ((b, n, sr), (b2, n2, sr2)):
            on = act & (bb > 0)
            q = np.minimum(q, np.where(on, ss * (q_tr / np.where(on, bb, 1.0)) ** (1.0 / nn), np.inf))
    it = 0
    if np.any(act):
        sub = mat.take(act)
        for it in range(1, maxit + 1):
            qa = q[act]
            r, dr = sub.steady(qa)
            f = a[act] * qa + 3 * G[act] * dt * r - q_tr[act]
            fp = a[act] + 3 * G[act] * dt * dr
            dq = f / fp
            q[act] = np.maximum(qa - dq, 0.0)
            if np.all(np.abs(dq) <= tol * np.maximum(q_tr[act], 1.0)):
                break
        else:
            raise FloatingPointError("local creep return map did not converge")
    zeta = zeta0.copy()
    rate, dr = mat.steady(q)  # total equivalent creep rate and dε̇/dq (non-MD points)
    fprime = a + 3 * G * dt * dr
    if np.any(md):
        qm, fpm, ratem, zm, itm = _return_md(q_tr[md], a[md], zeta0[md], dt, G[md], mat.take(md), tol, 4 * maxit)
        q[md], fprime[md], rate[md], zeta[md] = qm, fpm, ratem, zm
        it = max(it, itm)
    with np.errstate(divide="ignore", invalid="ignore"):
        phi = np.where(q_tr > 0, q / np.where(q_tr > 0, q_tr, 1.0), 1.0 / a)
        Nn = np.where(q_tr[:, None] > 0, s_tr / np.where(q_tr > 0, q_tr, 1.0)[:, None], 0.0)
        rate_over_q = np.where(q > 0, 1.5 * dt * rate / np.where(q > 0, q, 1.0), 0.0)
    h = 1.0 / fprime
    s = phi[:, None] * s_tr
    eN = eN0 + rate_over_q[:, None] * s
    eK = c[:, None] * s + (1 - d)[:, None] * eK0
    stress = np.outer(K * tr, one) + s
    Ct = (
        K[:, None, None] * np.outer(one, one)[None]
        + 2 * G[:, None, None] * (phi[:, None, None] * idev[None] + 1.5 * (h - phi)[:, None, None] * np.einsum("ni,nj->nij", Nn, Nn))
    )
    return StressUpdate(stress=stress, tangent=Ct, eN=eN, eK=eK, iterations=it, zeta=zeta)


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
