"""A checked view of one TOML table.

Every reader of a case file goes through :class:`Table`: it converts units once, checks
ranges, and remembers which keys were read so that :meth:`Table.finish` can reject
unknown keys (a misspelt key must never be silently ignored). Errors name the file, the
dotted key and the reason.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from subsidence.config.errors import CaseError
from subsidence.units import UnitError, to_si

_MISSING = object()


class Table:
    def __init__(self, data: dict, *, file: str | Path, path: str = ""):
        if not isinstance(data, dict):
            raise CaseError(str(file), path, f"expected a table, got {type(data).__name__}")
        self.data = data
        self.file = str(file)
        self.path = path
        self._used: set[str] = set()

    # -- basics -------------------------------------------------------------------------
    def key(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def error(self, name: str | None, reason: str) -> CaseError:
        return CaseError(self.file, self.key(name) if name else self.path, reason)

    @property
    def base_dir(self) -> Path:
        """Directory that relative file paths in this case are resolved against."""
        return Path(self.file).resolve().parent if self.file else Path.cwd()

    def has(self, name: str) -> bool:
        return name in self.data

    def raw(self, name: str, default: Any = _MISSING) -> Any:
        self._used.add(name)
        if name not in self.data:
            if default is _MISSING:
                import difflib

                close = difflib.get_close_matches(name, [k for k in self.data if k not in self._used], n=1)
                hint = f" (found {close[0]!r}: a typo?)" if close else ""
                raise self.error(name, f"required key is missing{hint}")
            return default
        return self.data[name]

    def finish(self) -> None:
        """Reject keys that no reader asked for."""
        unknown = sorted(set(self.data) - self._used)
        if unknown:
            known = sorted(self._used)
            hint = f" (known keys here: {', '.join(known)})" if known else ""
            raise self.error(unknown[0], f"unknown key{hint}")

    # -- typed getters ------------------------------------------------------------------
    def table(self, name: str, default: Any = _MISSING) -> Table | None:
        if self._absent(name, default):
            return default
        v = self.raw(name)
        if not isinstance(v, dict):
            raise self.error(name, f"expected a table, got {_typename(v)}")
        return Table(v, file=self.file, path=self.key(name))

    def tables(self, name: str, default: Any = _MISSING) -> list[Table]:
        if self._absent(name, default):
            return default
        v = self.raw(name)
        if isinstance(v, dict):
            v = [v]
        if not isinstance(v, list) or not all(isinstance(e, dict) for e in v):
            raise self.error(name, "expected an array of tables ([[...]])")
        return [Table(e, file=self.file, path=f"{self.key(name)}[{i}]") for i, e in enumerate(v)]

    def string(self, name: str, default: Any = _MISSING, *, choices: Sequence[str] | None = None) -> str:
        if self._absent(name, default):
            return default
        v = self.raw(name)
        if not isinstance(v, str):
            raise self.error(name, f"expected a string, got {_typename(v)}")
        if choices is not None and v not in choices:
            raise self.error(name, f"{v!r} is not one of: {', '.join(choices)}")
        if name == "name" and not v.strip():  # a name tells things apart (outputs, messages, other keys)
            raise self.error(name, "a name cannot be empty")
        return v

    def boolean(self, name: str, default: Any = _MISSING) -> bool:
        if self._absent(name, default):
            return default
        v = self.raw(name)
        if not isinstance(v, bool):
            raise self.error(name, f"expected true or false, got {_typename(v)}")
        return v

    def path_(self, name: str, default: Any = _MISSING, *, must_exist: bool = True) -> Path | None:
        """A file path; relative paths are resolved against the case file's directory."""
        v = self.string(name, default)
        if v is None:
            return None
        p = Path(v).expanduser()
        if not p.is_absolute():
            p = self.base_dir / p
        if must_exist and not p.exists():
            raise self.error(name, f"file not found: {p}")
        return p

    def number(
        self,
        name: str,
        default: Any = _MISSING,
        *,
        unit: str = "",
        bare: str | None = None,
        gt: float | None = None,
        ge: float | None = None,
        lt: float | None = None,
        le: float | None = None,
        integer: bool = False,
    ) -> float:
        """A scalar in SI ``unit``; a bare number is in ``bare`` (default: ``unit``)."""
        if self._absent(name, default):
            return default
        v = self.raw(name)
        val = self._convert(name, v, unit, bare)
        if integer:
            if isinstance(v, bool) or not float(val).is_integer():
                what = f"a whole number of {unit}s" if unit else "an integer"
                raise self.error(name, f"expected {what}, got {v!r}")
            val = int(val)
        self._check_range(name, val, gt=gt, ge=ge, lt=lt, le=le, raw=v, unit=unit, bare=bare)
        return val

    def array(
        self,
        name: str,
        default: Any = _MISSING,
        *,
        unit: str = "",
        bare: str | None = None,
        length: int | None = None,
        min_length: int = 0,
        increasing: bool = False,
        nondecreasing: bool = False,
        gt: float | None = None,
        ge: float | None = None,
        lt: float | None = None,
        le: float | None = None,
    ) -> np.ndarray:
        """A 1-D array of numbers (or unit strings) in SI ``unit``. A scalar is not an array."""
        if self._absent(name, default):
            return default
        v = self.raw(name)
        if not isinstance(v, list):
            raise self.error(name, f"expected an array, got {_typename(v)}")
        vals = np.array([self._convert(f"{name}[{i}]", e, unit, bare) for i, e in enumerate(v)], dtype=float)
        if length is not None and vals.size != length:
            raise self.error(name, f"expected {length} values, got {vals.size}")
        if vals.size < min_length:
            raise self.error(name, f"expected at least {min_length} values, got {vals.size}")
        if increasing and np.any(np.diff(vals) <= 0):
            raise self.error(name, "values must be strictly increasing")
        if nondecreasing and np.any(np.diff(vals) < 0):
            raise self.error(name, "values must be in order (non-decreasing)")
        for i, x in enumerate(vals):
            self._check_range(name, x, gt=gt, ge=ge, lt=lt, le=le, raw=v[i], unit=unit, bare=bare, index=i)
        return vals

    def strings(self, name: str, default: Any = _MISSING) -> list[str]:
        if self._absent(name, default):
            return default
        v = self.raw(name)
        if not isinstance(v, list) or not all(isinstance(e, str) for e in v):
            raise self.error(name, "expected an array of strings")
        return list(v)

    # -- helpers ------------------------------------------------------------------------
    def _absent(self, name: str, default: Any) -> bool:
        """True when the key is missing and a default was given (the caller returns it)."""
        self._used.add(name)
        return name not in self.data and default is not _MISSING

    def _convert(self, name: str, v: Any, unit: str, bare: str | None) -> float:
        if isinstance(v, bool) or not isinstance(v, (int, float, str)):
            raise self.error(name, f"expected a number, got {_typename(v)}")
        try:
            val = to_si(v, unit, bare) if unit or isinstance(v, str) else float(v)
        except UnitError as exc:
            if not unit and not bare and isinstance(v, str):  # a unit string for a key that has none
                raise self.error(name, f"a plain number is expected here (this key has no unit: its name or the "
                                       f"documentation says what it counts, e.g. years in spinup_years), got {v!r}") from None
            raise self.error(name, str(exc)) from None
        if not math.isfinite(val):
            raise self.error(name, f"must be finite, got {v!r}")
        return val

    def _check_range(self, name, val, *, gt=None, ge=None, lt=None, le=None, raw=None, unit="", bare=None,
                     index=None) -> None:
        """Range check in SI; the message gives the value as written and the limit in the bare unit."""
        for op, lim, ok in ((">", gt, lambda a, b: a > b), (">=", ge, lambda a, b: a >= b),
                            ("<", lt, lambda a, b: a < b), ("<=", le, lambda a, b: a <= b)):
            if lim is not None and not ok(val, lim):
                what = "must be" if index is None else f"value {index + 1} must be"
                raise self.error(name, f"{what} {op} {_as_written(lim, unit, bare)}, got {_value_as_written(raw, val, unit, bare)}")


def _as_written(si: float, unit: str, bare: str | None) -> str:
    """An SI limit in the unit of a bare number (years for times), so that an error message
    speaks the user's unit: "must be > 0 yr", not a number of seconds."""
    if not bare or bare == unit:
        return f"{si:g}"
    try:
        factor = to_si(1.0, unit, bare)
    except UnitError:
        return f"{si:g} {unit}"
    return f"{si / factor:g} {bare}"


def _value_as_written(raw: Any, si: float, unit: str, bare: str | None) -> str:
    """The value as the user wrote it: "-5" (a bare number), "'-3 yr'" (a string with a unit)."""
    if isinstance(raw, str):
        return repr(raw)
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return f"{raw:g}" + (f" {bare}" if bare and bare != unit else "")
    return f"{si:g}"


def _typename(v: Any) -> str:
    return {dict: "a table", list: "an array", str: "a string", bool: "a boolean"}.get(type(v), type(v).__name__)
