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


class StepLaw:
    """:func:`strain_increment` for repeated calls within one time step, per cell.

    The same formulas with what does not change within a step precomputed (the parameters
    per cell, ``ln s0``, ``ln sp``, ``ln(dt/tau_ref)``) and the logarithms and exponentials
    evaluated only on the cells whose law needs them; the results agree with
    :func:`strain_increment` to rounding (a few ulp). ``mv, a, b, c``: (ncell,);
    stresses (nbatch, ncell). Call :meth:`begin` once per step, then :meth:`evaluate`.
    """

    def __init__(self, mv, a, b, c, *, tau_ref: float = TAU_REF):
        mv, a, b, c = (np.asarray(v, dtype=float) for v in (mv, a, b, c))
        self.tau_ref = tau_ref
        self.mv = mv
        bma = b - a
        isotache = (a != 0) | (bma > 0)  # cells needing ln(s1)
        self.iso = _selector(isotache)
        self.any_iso = bool(np.any(isotache))
        ai, bmai, ci = a[isotache], bma[isotache], c[isotache]
        creep = (ci > 0) & (bmai > 0)
        plastic = (ci <= 0) & (bmai > 0)
        self.a_i = ai
        self.all_creep = bool(np.all(creep))
        self.creep = slice(None) if self.all_creep else np.flatnonzero(creep)
        self.any_creep = bool(np.any(creep))
        self.plastic = np.flatnonzero(plastic)
        self.c_cr, self.bma_cr = ci[self.creep], bmai[self.creep]
        self.k_cr = self.bma_cr / self.c_cr if self.any_creep else self.c_cr
        self.bma_pl = bmai[self.plastic]

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
