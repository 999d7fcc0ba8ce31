"""How big the model domain must be so that its boundaries do not pollute the bowl.

Rule (measured with the axisymmetric disc against the exact half-space solution, see
``tests/fem/test_disc_verification.py`` and docs/fem.md): with the base and the lateral
sides ``factor`` × (deepest reservoir bottom) away — the base at depth factor·D_b and the
sides at factor·D_b beyond the reservoirs' outline — the centre subsidence and the
maximum horizontal displacement are within 1 % of the half-space for factor ≥ 10
(1.9 % at 5, 0.7 % at 10, 0.2 % at 20 for R = 2 km, D = 3 km). With a real (rigid or
stiff) basement the base is the basement and only the sides follow the rule.
"""

from __future__ import annotations

DEFAULT_FACTOR = 10.0


def domain_extent(*, reservoir_bottom: float, reservoir_halfwidth: float, factor: float = DEFAULT_FACTOR):
    """(domain depth, lateral half-width measured from the reservoir centre), both in m."""
    return factor * reservoir_bottom, reservoir_halfwidth + factor * reservoir_bottom


def lateral_margin(*, reservoir_bottom: float, factor: float = DEFAULT_FACTOR) -> float:
    """Distance (m) from the reservoirs' outline to the lateral boundaries."""
    return factor * reservoir_bottom
