"""Unit handling: case files may give "100 bar", "1e-5 1/bar", "30 yr"; inside, everything is SI.

Every field declares its SI unit and the unit of a *bare* number (usually the same; for
times it is years). A string is parsed with pint and converted once; a unit of the wrong
dimension is an error, never a guess.
"""

from __future__ import annotations

import functools
import re

_POWER = re.compile(r"\b([A-Za-z]+)([23])\b")

SECONDS_PER_YEAR = 365.25 * 86400.0  # Julian year, as pint's "year"
SECONDS_PER_DAY = 86400.0


@functools.cache
def _registry():
    import pint

    # "m3", "km2", "m3/day": a unit name followed by its power, as written in Dutch reports and
    # spreadsheets, means m^3, km^2 (a number's exponent, 1e5, is not touched: no word boundary)
    ureg = pint.UnitRegistry(preprocessors=[lambda s: _POWER.sub(r"\1**\2", s)])
    ureg.define("yr = year")
    ureg.define("mD = millidarcy")  # permeability; pint alone would read "mD" as millidebye
    return ureg


class UnitError(ValueError):
    """A value could not be converted to the requested unit."""


def to_si(value: float | int | str, si_unit: str, bare_unit: str | None = None) -> float:
    """Convert ``value`` to ``si_unit``.

    A number is taken to be in ``bare_unit`` (default: ``si_unit``); a string must carry
    its unit ("100 bar"). A string without a unit is accepted only where the field is
    dimensionless.
    """
    bare_unit = bare_unit or si_unit
    if isinstance(value, bool):
        raise UnitError(f"expected a number, got {value!r}")
    if isinstance(value, (int, float)):
        if bare_unit == si_unit:
            return float(value)
        ureg = _registry()
        return float(ureg.Quantity(float(value), bare_unit).to(si_unit).magnitude)
    if not isinstance(value, str):
        raise UnitError(f"expected a number or a string with a unit, got {type(value).__name__}")
    ureg = _registry()
    try:
        q = ureg.Quantity(value.strip())
    except Exception as exc:  # pint raises several types
        raise UnitError(f"cannot parse {value!r} as a quantity ({exc})") from None
    if not hasattr(q, "units") or q.dimensionless and not ureg.Quantity(1, si_unit).dimensionless:
        raise UnitError(f"{value!r} has no unit; give one compatible with {si_unit!r} or a bare number in {bare_unit}")
    try:
        return float(q.to(si_unit).magnitude)
    except Exception:
        raise UnitError(f"{value!r} is not convertible to {si_unit!r} (wrong dimension)") from None
