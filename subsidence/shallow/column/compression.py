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

    All array arguments broadcast together; ``dt`` is a scalar (s).
    """
    s0 = np.maximum(s0, SIGMA_MIN)
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
    return d_el + d_cr, t_el + t_cr, sp_new
