"""One-dimensional compression laws, vectorised over cells.

Strains are natural (logarithmic) strains, compression positive; stresses are vertical
*effective* stresses, compression positive (soil-mechanics sign, unlike the FE code).

Both laws are written as one update: over a step the effective stress goes from
``s0`` to ``s1``; the strain increment is

    d_eps = mv (s1 - s0) + a ln(s1/s0) + c ln(1 + dt/tau0),
    tau0  = tau_ref (sp/s1)^((b-a)/c)                       (isotache intrinsic time)

with the preconsolidation stress ``sp`` raised by the creep strain,
``sp <- sp exp(d_cr/(b-a))``. The creep term is the exact solution of the a-b-c
isotache creep law ``d_cr/dt = (c/tau_ref) (s/sp)^((b-a)/c)`` at constant stress over the
step, so the update is unconditionally stable however stiff the creep is (an
overconsolidation ratio below one after fast loading). With ``c = 0`` the law degenerates
to elasto-plastic virgin compression ``(b-a) ln(s1/sp)`` above ``sp``.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy.special import expit

TAU_REF = 86400.0  # s, one day: the reference time of the isotache model
SIGMA_MIN = 500.0  # Pa, effective stresses are floored here (a soil at zero stress has no stiffness left)


@dataclasses.dataclass(frozen=True)
class LinearCompression:
    """Constant coefficient of volume compressibility ``mv`` (1/Pa); no creep."""

    mv: float

    def __post_init__(self):
        if not self.mv >= 0:
            raise ValueError("mv must be >= 0")

    def params(self) -> tuple[float, float, float, float]:
        return self.mv, 0.0, 0.0, 0.0


@dataclasses.dataclass(frozen=True)
class Isotache:
    """a-b-c isotache model (Den Haan): a, b, c per unit ln(stress) in natural strain.

    ``a`` elastic (unloading/reloading), ``b`` virgin compression, ``c`` creep; requires
    0 <= a < b and c >= 0. The initial overconsolidation is given by the caller
    (``ocr`` or ``pop``).
    """

    a: float
    b: float
    c: float

    def __post_init__(self):
        if not (0 <= self.a < self.b):
            raise ValueError("isotache parameters need 0 <= a < b")
        if self.c < 0:
            raise ValueError("isotache parameter c must be >= 0")

    def params(self) -> tuple[float, float, float, float]:
        return 0.0, self.a, self.b, self.c


def strain_increment(s0, s1, sp, dt, mv, a, b, c, *, tau_ref: float = TAU_REF):
    """Strain increment, tangent d(d_eps)/d(s1), and new preconsolidation stress.

    All array arguments broadcast together; ``dt`` is a scalar (s). Stresses are floored at
    ``SIGMA_MIN``; below it the tangent is zero (the strain does not change there).
    """
    s0 = np.maximum(s0, SIGMA_MIN)
    floored = np.asarray(s1) < SIGMA_MIN  # the strain does not change with s1 there: tangent 0
    s1 = np.maximum(s1, SIGMA_MIN)
    d_el = mv * (s1 - s0) + a * np.log(s1 / s0)
    t_el = mv + a / s1
    bma = b - a
    has_creep = c > 0
    c_safe = np.where(has_creep, c, 1.0)
    # ln(dt/tau0) = ln(dt/tau_ref) - (b-a)/c ln(sp/s1)
    ln_x = np.log(dt / tau_ref) - bma / c_safe * np.log(sp / s1)
    d_cr_creep = c * np.logaddexp(0.0, ln_x)
    t_cr_creep = bma / s1 * expit(ln_x)
    plastic = (bma > 0) & (s1 > sp)
    d_cr_plastic = np.where(plastic, bma * np.log(np.where(plastic, s1 / sp, 1.0)), 0.0)
    t_cr_plastic = np.where(plastic, bma / s1, 0.0)
    d_cr = np.where(has_creep, d_cr_creep, d_cr_plastic)
    t_cr = np.where(has_creep, t_cr_creep, t_cr_plastic)
    d_cr = np.where(bma > 0, d_cr, 0.0)
    t_cr = np.where(bma > 0, t_cr, 0.0)
    sp_new = np.where(bma > 0, sp * np.exp(d_cr / np.where(bma > 0, bma, 1.0)), sp)
    return d_el + d_cr, np.where(floored, 0.0, t_el + t_cr), sp_new


def _selector(mask):
    """A slice when the True entries of ``mask`` are contiguous (a view, no copy), else indices."""
    idx = np.flatnonzero(mask)
    if idx.size and idx[-1] - idx[0] + 1 == idx.size:
        return slice(int(idx[0]), int(idx[-1]) + 1)
    return idx


def _same_in_every_column(mask, what):
    """The per-cell ``mask`` (ncell,) of a law's parameters (ncell,) or (ncolumns, ncell): with
    values per column, the cells it selects must be the same in every column."""
    if mask.ndim == 1:
        return mask
    if mask.shape[0] and not np.all(mask == mask[:1]):
        raise ValueError(f"per-column compression parameters: which cells are {what} differs between columns "
                         "(only the values may differ, not the pattern)")
    return mask[0] if mask.shape[0] else np.zeros(mask.shape[1], dtype=bool)


class StepLaw:
    """:func:`strain_increment` for repeated calls within one time step, per cell.

    The same formulas with what does not change within a step precomputed (the parameters
    per cell, ``ln s0``, ``ln sp``, ``ln(dt/tau_ref)``) and the logarithms and exponentials
    evaluated only on the cells whose law needs them; the results agree with
    :func:`strain_increment` to rounding (a few ulp). ``mv, a, b, c``: (ncell,), or (nbatch, ncell)
    for values per column (which cells are isotache, and which of those creep (c > 0), must then be
    the same in every column); stresses (nbatch, ncell). Call :meth:`begin` once per step, then
    :meth:`evaluate`.
    """

    def __init__(self, mv, a, b, c, *, tau_ref: float = TAU_REF):
        mv, a, b, c = (np.asarray(v, dtype=float) for v in (mv, a, b, c))
        self.tau_ref = tau_ref
        self.mv = mv
        bma = b - a
        isotache = _same_in_every_column((a != 0) | (bma > 0), "isotache")  # cells needing ln(s1)
        self.iso = _selector(isotache)
        self.any_iso = bool(np.any(isotache))
        ai, bmai, ci = a[..., isotache], bma[..., isotache], c[..., isotache]
        creep = _same_in_every_column((ci > 0) & (bmai > 0), "creeping (c > 0)")
        plastic = _same_in_every_column((ci <= 0) & (bmai > 0), "plastic (c = 0)")
        self.a_i = ai
        self.all_creep = bool(np.all(creep))
        self.creep = slice(None) if self.all_creep else np.flatnonzero(creep)
        self.any_creep = bool(np.any(creep))
        self.plastic = np.flatnonzero(plastic)
        self.c_cr, self.bma_cr = ci[..., self.creep], bmai[..., self.creep]
        self.k_cr = self.bma_cr / self.c_cr if self.any_creep else self.c_cr
        self.bma_pl = bmai[..., self.plastic]

    def begin(self, s0, sp, dt: float):
        """The state at the start of the step: stress ``s0``, preconsolidation ``sp``, step ``dt`` (s)."""
        self.s0 = np.maximum(s0, SIGMA_MIN)
        self.sp = sp
        if self.any_iso:
            self.ln_s0 = np.log(self.s0[:, self.iso])
            sp_i = sp[:, self.iso]
            if self.any_creep:
                # ln(dt/tau0) = ln(dt/tau_ref) - (b-a)/c (ln sp - ln s1) = A + k ln s1
                self.A = np.log(dt / self.tau_ref) - self.k_cr * np.log(sp_i[:, self.creep])
            self.sp_pl = sp_i[:, self.plastic]

    def evaluate(self, s1, *, new_sp: bool = False):
        """(d_eps, tangent) for the end-of-step stress ``s1``; with ``new_sp`` also the new
        preconsolidation stress. Below ``SIGMA_MIN`` the stress is floored, so the strain does not
        change with it there and the tangent is zero (the consistent one: with the tangent of the
        floor instead, Newton converged only linearly, and failed, in a saturated top cell whose
        effective stress the iterations took below the floor)."""
        low = s1 < SIGMA_MIN
        out = self._evaluate(s1, new_sp=new_sp)
        if low.any():
            out[1][low] = 0.0
        return out

    def _evaluate(self, s1, *, new_sp: bool = False):
        s1 = np.maximum(s1, SIGMA_MIN)
        d = s1 - self.s0
        d *= self.mv
        t = np.empty_like(s1)
        t[...] = self.mv
        sp = self.sp.copy() if new_sp else None
        if self.any_iso and self.all_creep:  # every isotache cell creeps: fewest operations
            iso = self.iso
            s = s1[:, iso]
            ln1 = np.log(s)
            inv = np.divide(1.0, s)
            x = self.k_cr * ln1
            x += self.A  # ln(dt/tau0)
            e = np.abs(x)
            np.negative(e, out=e)
            np.exp(e, out=e)
            lae = np.log1p(e)
            lae += np.maximum(x, 0.0)  # ln(1 + dt/tau0) = logaddexp(0, x)
            np.subtract(x, lae, out=x)
            np.exp(x, out=x)  # expit(x) = exp(x - logaddexp(0, x))
            lae *= self.c_cr  # creep strain
            if new_sp:
                sp[:, iso] = self.sp[:, iso] * np.exp(lae / self.bma_cr)
            ln1 -= self.ln_s0
            ln1 *= self.a_i
            ln1 += lae  # a ln(s1/s0) + creep
            x *= self.bma_cr
            x += self.a_i
            x *= inv  # a/s1 + (b-a)/s1 expit
            d[:, iso] += ln1
            t[:, iso] += x
            return (d, t, sp) if new_sp else (d, t)
        if self.any_iso:
            iso = self.iso
            s = s1[:, iso]
            ln1 = np.log(s)
            inv = 1.0 / s
            dd = ln1 - self.ln_s0
            dd *= self.a_i
            tt = self.a_i * inv
            if self.any_creep:
                x = self.k_cr * (ln1 if self.all_creep else ln1[:, self.creep])
                x += self.A
                e = np.abs(x)
                np.negative(e, out=e)
                np.exp(e, out=e)  # exp(-|x|)
                d_cr = np.log1p(e)
                d_cr += np.maximum(x, 0.0)  # logaddexp(0, x)
                d_cr *= self.c_cr
                r = 1.0 + e
                np.divide(1.0, r, out=r)  # expit(x) = r (x >= 0), e r (x < 0)
                np.multiply(e, r, out=e)
                ex = np.where(x >= 0, r, e)
                t_cr = ex * inv if self.all_creep else ex * inv[:, self.creep]
                t_cr *= self.bma_cr
                if self.all_creep:
                    dd += d_cr
                    tt += t_cr
                else:
                    dd[:, self.creep] += d_cr
                    tt[:, self.creep] += t_cr
                if new_sp:
                    spi = sp[:, iso]
                    spi_cr = spi[:, self.creep] * np.exp(d_cr / self.bma_cr)
                    if self.all_creep:
                        spi = spi_cr
                    else:
                        spi[:, self.creep] = spi_cr
                    sp[:, iso] = spi
            if self.plastic.size:
                sp_pl = self.sp_pl
                sv = s[:, self.plastic]
                pl = sv > sp_pl
                d_pl = np.where(pl, self.bma_pl * np.log(np.where(pl, sv / sp_pl, 1.0)), 0.0)
                dd[:, self.plastic] += d_pl
                tt[:, self.plastic] += np.where(pl, self.bma_pl / sv, 0.0)
                if new_sp:
                    spi = sp[:, iso]
                    spi[:, self.plastic] = sp_pl * np.exp(d_pl / self.bma_pl)
                    sp[:, iso] = spi
            d[:, iso] += dd
            t[:, iso] += tt
        return (d, t, sp) if new_sp else (d, t)


@dataclasses.dataclass(frozen=True)
class Koppejan:
    """Koppejan's compression law (as in NEN 9997-1 and D-Settlement), in linear strain ΔH/H₀:

        ε = (1/C'p + log10(1 + t/t₀)/C's) ln(σ'ₚ/σ'₀) + (1/Cp + log10(1 + t/t₀)/Cs) ln(σ'/σ'ₚ)

    for a drained load step at t = 0 from σ'₀ to σ' > σ'ₚ (the second term only above the
    preconsolidation stress σ'ₚ; below it the first with σ' for σ'ₚ). ``Cp``/``Cs`` primary and
    secular compression constants above σ'ₚ, ``Cp_prime``/``Cs_prime`` (the literature's C'p,
    C's) below it; t₀ = 1 day. The classical form has log10(t/t₀), which is undefined for
    t < t₀: 1 + t/t₀ keeps the strain finite at the load step and differs by less than
    log10(1 + t₀/t) (0.004 decades after 100 days).

    Over a history the law is used incrementally (:class:`KoppejanStep`): the primary strain
    follows the effective stress (unloading and reloading below σ'ₚ with C'p), σ'ₚ rises with
    the largest stress reached; every increase of that largest stress adds its secular
    coefficient k (Δln σ'/C's or /Cs), whose secular strain grows as k log10(1 + age/t₀) from
    the start of its step (Koppejan's superposition of load steps), with the components kept
    in a bounded number of slots (:class:`KoppejanStep`; exact for one load step). A cycle of
    the water table below the largest stress reached adds no secular strain.
    """

    Cp: float
    Cs: float
    Cp_prime: float
    Cs_prime: float

    def __post_init__(self):
        for name in ("Cp", "Cs", "Cp_prime", "Cs_prime"):
            if not getattr(self, name) > 0:
                raise ValueError(f"Koppejan constant {name} must be > 0")

    def params(self) -> tuple[float, float, float, float]:
        return 0.0, 0.0, 0.0, 0.0  # the linear/isotache part of the step law sees no strain here

    def constants(self) -> tuple[float, float, float, float]:
        return self.Cp, self.Cs, self.Cp_prime, self.Cs_prime


_LN10 = float(np.log(10.0))


def koppejan_strain(t, *, Cp, Cs, Cp_prime, Cs_prime, sigma0, sigma1, sigma_p, t0: float = TAU_REF):
    """Linear strain of a drained Koppejan layer loaded at t = 0 from ``sigma0`` to ``sigma1``
    (the closed form of :class:`Koppejan`, for hand checks); ``t`` in s."""
    t = np.asarray(t, dtype=float)
    lg = np.log10(1.0 + t / t0)
    below = np.log(min(sigma1, sigma_p) / sigma0)
    above = np.log(max(sigma1, sigma_p) / sigma_p)
    return (1.0 / Cp_prime + lg / Cs_prime) * below + (1.0 / Cp + lg / Cs) * above


def _ln_stress(s):
    """ln s and its derivative, continued below ``SIGMA_MIN`` by the tangent line
    ln σ_min + (s − σ_min)/σ_min (Koppejan's laws are in ln σ', which has no value at zero
    stress; the continuation keeps the law smooth and its tangent positive where a top cell's
    effective stress passes through nearly zero, so that Newton does not stall on a flat part)."""
    low = s < SIGMA_MIN
    ln = np.where(low, np.log(SIGMA_MIN) + (s - SIGMA_MIN) / SIGMA_MIN, np.log(np.where(low, SIGMA_MIN, s)))
    return ln, 1.0 / np.maximum(s, SIGMA_MIN)


class KoppejanStep:
    """The incremental Koppejan law on the cells ``sel`` of a column, see :class:`Koppejan`.

    State per column and cell: the largest effective stress reached ``smax`` and at most
    ``slots`` secular components, each a coefficient K (strain per decade) and its age
    T = t₀ + age (s), youngest first. Each step adds the component of its own increment; when
    the slots are full, the two neighbours of most similar age merge into one with the sum of
    their rates (K = K₁ + K₂, K/T = K₁/T₁ + K₂/T₂), so the ages stay spaced geometrically and the
    memory is bounded. The strain is computed in linear strain relative to the current reference
    thickness and returned as a natural strain increment, with its consistent tangent."""

    def __init__(self, sel, Cp, Cs, Cp_prime, Cs_prime, *, t0: float = TAU_REF, slots: int = 16):
        self.sel = sel
        self.inv_cp, self.inv_cs = 1.0 / np.asarray(Cp, float), 1.0 / np.asarray(Cs, float)
        self.inv_cpp, self.inv_csp = 1.0 / np.asarray(Cp_prime, float), 1.0 / np.asarray(Cs_prime, float)
        self.t0 = t0
        self.slots = slots
        self.smax = None

    def begin(self, s0, sp, eps, dt: float):
        s0 = s0[:, self.sel]
        if self.smax is None:  # the initial state: no secular strain running
            self.smax = np.maximum(s0, SIGMA_MIN)
            self.K = np.zeros(s0.shape + (self.slots,))
            self.T = np.full(s0.shape + (self.slots,), self.t0)
        self.sp = sp[:, self.sel]
        self.ln_sp = np.log(self.sp)
        self.ln_s0 = _ln_stress(s0)[0]
        self.ln_smax = np.log(self.smax)
        self.expe = np.exp(eps[:, self.sel])
        # the secular strain of the running components over the step does not depend on s1
        self.d_old = (self.K * np.log10(1.0 + dt / self.T)).sum(-1)
        self.g_new = np.log10(1.0 + dt / self.t0)
        self.dt = dt

    def evaluate(self, s1):
        """(natural strain increment, tangent, (new sp, smax, k)) on the cells ``sel``."""
        s = s1[:, self.sel]
        ln_s, inv_s = _ln_stress(s)
        sp, ln_sp = self.sp, self.ln_sp
        above = s > sp
        # primary: unloading/reloading with C'p below sp, virgin with Cp above (s0 <= sp always)
        d_lin = (np.minimum(ln_s, ln_sp) - self.ln_s0) * self.inv_cpp + np.maximum(ln_s - ln_sp, 0.0) * self.inv_cp
        t_lin = np.where(above, self.inv_cp, self.inv_cpp) * inv_s
        # the secular coefficient of the rise of the largest stress reached, applied from the start of the step
        ln_m = np.maximum(ln_s, self.ln_smax)
        k = ((np.minimum(ln_m, ln_sp) - np.minimum(self.ln_smax, ln_sp)) * self.inv_csp
             + (np.maximum(ln_m, ln_sp) - np.maximum(self.ln_smax, ln_sp)) * self.inv_cs)
        dk = np.where(s > self.smax, np.where(above, self.inv_cs, self.inv_csp) * inv_s, 0.0)
        dl = d_lin + self.d_old + k * self.g_new
        tl = t_lin + dk * self.g_new
        # natural strain: 1 - eps_lin = exp(-eps) - dl  (relative to the reference thickness)
        g = np.maximum(1.0 - dl * self.expe, 1e-6)
        d_nat = -np.log(g)
        t_nat = self.expe / g * tl
        return d_nat, t_nat, (np.maximum(sp, s), np.maximum(self.smax, s), k)

    def commit(self, state):
        _, self.smax, k = state
        T = self.T + self.dt
        K = np.concatenate([k[..., None], self.K], axis=-1)
        T = np.concatenate([np.full(k.shape + (1,), self.t0 + self.dt), T], axis=-1)
        # merge the neighbours of most similar age (a component without strain merges first)
        ratio = T[..., 1:] / T[..., :-1]
        ratio = np.where((K[..., 1:] == 0) | (K[..., :-1] == 0), 0.0, ratio)
        j = ratio.argmin(-1)[..., None]
        Ka, Kb = np.take_along_axis(K, j, -1), np.take_along_axis(K, j + 1, -1)
        Ta, Tb = np.take_along_axis(T, j, -1), np.take_along_axis(T, j + 1, -1)
        Km = Ka + Kb
        rate = Ka / Ta + Kb / Tb
        Tm = np.where(Km > 0, Km / np.where(rate > 0, rate, 1.0), Ta)
        i = np.arange(self.slots)
        src = i + (i > j)  # slots after the merged pair move up by one
        K, T = np.take_along_axis(K, src, -1), np.take_along_axis(T, src, -1)
        np.put_along_axis(K, j, Km, -1)
        np.put_along_axis(T, j, Tm, -1)
        self.K, self.T = K, T


class MixedStepLaw(StepLaw):
    """:class:`StepLaw` on the linear and isotache cells plus :class:`KoppejanStep` on the
    Koppejan cells (``koppejan``: (ncell,) bool, constants (ncell,) arrays, or (nbatch, ncell) for
    values per column)."""

    def __init__(self, mv, a, b, c, koppejan, Cp, Cs, Cp_prime, Cs_prime, *, tau_ref: float = TAU_REF):
        super().__init__(mv, a, b, c, tau_ref=tau_ref)
        sel = _selector(koppejan)
        idx = np.flatnonzero(koppejan)
        self.kop = KoppejanStep(sel, *(np.asarray(v, float)[..., idx] for v in (Cp, Cs, Cp_prime, Cs_prime)), t0=tau_ref)

    def begin(self, s0, sp, dt: float, eps=None):
        super().begin(s0, sp, dt)
        self.kop.begin(s0, sp, np.zeros_like(s0) if eps is None else eps, dt)

    def evaluate(self, s1, *, new_sp: bool = False):
        out = super().evaluate(s1, new_sp=new_sp)
        d_k, t_k, state = self.kop.evaluate(s1)
        sel = self.kop.sel
        out[0][:, sel] = d_k
        out[1][:, sel] = t_k
        if new_sp:
            out[2][:, sel] = state[0]
            self.kop.commit(state)
        return out
