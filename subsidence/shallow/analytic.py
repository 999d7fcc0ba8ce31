"""Closed-form solutions the shallow models are verified against."""

from __future__ import annotations

import numpy as np


def terzaghi_degree(tv: np.ndarray | float, *, terms: int = 200) -> np.ndarray:
    """Average degree of consolidation U(Tv) = 1 - sum 2/M^2 exp(-M^2 Tv), M = pi(2m+1)/2."""
    tv = np.atleast_1d(np.asarray(tv, dtype=float))
    m = np.arange(terms)
    big_m = np.pi * (2 * m + 1) / 2
    u = 1.0 - np.sum(2.0 / big_m[None, :] ** 2 * np.exp(-np.outer(tv, big_m**2)), axis=1)
    return u


def periodic_layer_response(*, cv: float, omega: float, thickness: float) -> complex:
    """Mean head response F = tanh(kL)/(kL), k = (1+i)/delta, delta = sqrt(2 cv/omega).

    A head A e^{i omega t} on the drained top of a layer with an impermeable base gives a
    layer-mean head A F e^{i omega t}: settlement amplitude mv gamma_w A L |F|, phase arg F
    (negative: the settlement lags the water level).
    """
    delta = np.sqrt(2.0 * cv / omega)
    kl = (1.0 + 1.0j) / delta * thickness
    return complex(np.tanh(kl) / kl)


def creep_strain(t: np.ndarray | float, *, a: float, b: float, c: float, sigma0: float, sigma1: float,
                 sigma_p0: float, tau_ref: float = 86400.0) -> np.ndarray:
    """Natural strain of a drained isotache (a-b-c) layer loaded at t = 0 from sigma0 to sigma1.

    Elastic a ln(sigma1/sigma0) at once, then creep c ln(1 + t/tau0) with the intrinsic time
    tau0 = tau_ref (sigma_p0/sigma1)^((b-a)/c) (exact solution of the isotache creep law at
    constant effective stress).
    """
    t = np.asarray(t, dtype=float)
    tau0 = tau_ref * (sigma_p0 / sigma1) ** ((b - a) / c)
    return a * np.log(sigma1 / sigma0) + c * np.log1p(t / tau0)


def hooghoudt_profile(x: np.ndarray, *, spacing: float, recharge: float, k: float, thickness: float,
                      entry: float = 0.0) -> np.ndarray:
    """Steady head above ditch level between fully penetrating ditches (Dupuit, confined kD).

    h(x) - h_ditch = N w + N x (L - x) / (2 k D); ``entry`` w is an areal resistance (s).
    """
    x = np.asarray(x, dtype=float)
    return recharge * entry + recharge * x * (spacing - x) / (2.0 * k * thickness)


def hooghoudt_midpoint(*, spacing: float, recharge: float, k: float, depth_below: float) -> float:
    """Hooghoudt's equation q L^2 = 8 k D h + 4 k h^2, solved for the midpoint head h."""
    a4, b8, c = 4.0 * k, 8.0 * k * depth_below, -recharge * spacing**2
    return float((-b8 + np.sqrt(b8**2 - 4 * a4 * c)) / (2 * a4))
