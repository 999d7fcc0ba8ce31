"""Loading a case file: TOML → checked, SI-converted configuration of one study kind.

Top-level keys shared by every kind::

    name = "..."                 # required
    kind = "deep"                # deep (default) | shallow | coupled | cavern
    crs = "EPSG:28992"           # optional, CRS of all coordinates
    start_date = "2015-01-01"    # optional, calendar date of time 0

Everything else is read by the study module of that kind (``subsidence.studies``):
its ``parse(root, case)`` reads and checks its own tables, so that every error is
raised before any computation starts.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import hashlib
import importlib
import tomllib
from pathlib import Path
from typing import Any

import numpy as np

from subsidence.config.errors import CaseError
from subsidence.config.table import Table

#: study kind -> module implementing ``parse(root: Table, case: Case)`` and ``run(case, rundir, comm)``
KINDS: dict[str, str] = {
    "deep": "subsidence.studies.deep",
    "shallow": "subsidence.studies.shallow",
    "coupled": "subsidence.studies.coupled",
    "cavern": "subsidence.studies.cavern",
}


@dataclasses.dataclass
class Case:
    file: Path
    text: str
    sha256: str
    data: dict
    name: str
    kind: str
    crs: str | None
    start_date: _dt.date | None
    config: Any = None
    validation: Any = None  # optional [validation] table (subsidence.insar.config.ValidationConfig)
    calibration: Any = None  # optional [calibration] table (subsidence.calibration.config.CalibrationConfig)
    # plausibility notes found while checking the case (logged once; summary.json "warnings")
    warnings: list[str] = dataclasses.field(default_factory=list, repr=False)

    def warn(self, message: str, *, note: bool = False) -> None:
        """Record an implausible-but-allowed input (``note``: a fact worth knowing, logged at info
        level): logged on rank 0 and listed in summary.json ``warnings``."""
        from subsidence.log import get_logger

        if message not in self.warnings:
            self.warnings.append(message)
            log = get_logger("case")
            (log.info if note else log.warning)("%s: %s", self.file, message)

    @property
    def study(self):
        return importlib.import_module(KINDS[self.kind])

    def resolved(self) -> dict:
        """The checked configuration as JSON-able data (SI units), for the manifest."""
        return {
            "name": self.name,
            "kind": self.kind,
            "crs": self.crs,
            "start_date": self.start_date.isoformat() if self.start_date else None,
            "config": to_jsonable(self.config),
        }


def load_case(path: str | Path) -> Case:
    path = Path(path)
    if not path.is_file():
        raise CaseError(str(path), "", "case file not found")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise CaseError(str(path), "", f"not UTF-8 text: byte 0x{raw[exc.start]:02x} at position {exc.start} "
                        f"(line {line}, column {col}); save the case file as UTF-8") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CaseError(str(path), "", f"not valid TOML: {exc}") from None
    return case_from_dict(data, file=path, text=text)


def case_from_dict(data: dict, *, file: str | Path = "<dict>", text: str | None = None) -> Case:
    """Build a case from already-parsed TOML data (used by tests and the Python API).

    Without ``text`` (data made in Python), numpy values become numbers and lists and keys
    whose value is ``None`` are left out, as in the ``case.toml`` written for it."""
    if text is None:
        data = _tomlable(data, "", file)
    root = Table(data, file=file)
    name = root.string("name")
    kind = root.string("kind", "deep", choices=tuple(KINDS))
    crs = root.string("crs", None)
    if crs is not None:
        crs = _check_crs(root, crs)
    start = root.raw("start_date", None)
    if start is not None:
        if isinstance(start, str):
            try:
                start = _dt.date.fromisoformat(start)
            except ValueError:
                raise root.error("start_date", f"not an ISO date (YYYY-MM-DD): {start!r}") from None
        elif isinstance(start, _dt.datetime):  # a TOML date-time: only midnight is a date
            if start.time() != _dt.time(0) or start.tzinfo is not None:
                raise root.error("start_date", f"a date is expected (YYYY-MM-DD), got the date-time {start.isoformat()}: "
                                               "model time 0 is the start of a calendar day")
            start = start.date()
        elif not isinstance(start, _dt.date):
            raise root.error("start_date", "expected a date such as 2015-01-01")
    if text is None:  # a case made in Python: its case.toml is real TOML that loads back to the same case
        text = dict_to_toml(data, file=file)
    case = Case(
        file=Path(file),
        text=text,
        sha256=hashlib.sha256(text.encode()).hexdigest(),
        data=data,
        name=name,
        kind=kind,
        crs=crs,
        start_date=start,
    )
    if root.has("validation"):  # optional InSAR validation settings, read by subsidence.insar.config
        from subsidence.insar.config import parse_validation

        case.validation = parse_validation(root.table("validation"), case)
    case.config = case.study.parse(root, case)
    if root.has("calibration"):  # uncertain parameters and method, read by subsidence.calibration.config
        from subsidence.calibration.config import parse_calibration

        case.calibration = parse_calibration(root.table("calibration"))
    root.finish()
    return case


def _tomlable(obj: Any, key: str, file) -> Any:
    if isinstance(obj, dict):
        return {str(k): _tomlable(v, f"{key}.{k}" if key else str(k), file) for k, v in obj.items() if v is not None}
    if isinstance(obj, (list, tuple, np.ndarray)):
        items = obj.tolist() if isinstance(obj, np.ndarray) else obj
        if any(v is None for v in items):
            raise CaseError(str(file), key, "a list with a missing value (None) cannot be written as TOML")
        return [_tomlable(v, key, file) for v in items]
    if isinstance(obj, (np.bool_, np.integer, np.floating)):
        return obj.item()
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, (bool, int, float, str, _dt.date, _dt.datetime, _dt.time)):
        return obj
    raise CaseError(str(file), key, f"a {type(obj).__name__} cannot be written as TOML (use numbers, strings, "
                                    "dates, lists and tables)")


def dict_to_toml(data: dict, *, file: str | Path = "<dict>") -> str:
    """TOML text of a case given as a dict (numpy values become numbers and lists, keys whose
    value is ``None`` are left out, as TOML has no null); ``tomllib.loads`` reads it back."""
    import tomli_w

    return f"# case {data.get('name', '')!s} written from Python data by the subsidence toolkit\n" + tomli_w.dumps(
        _tomlable(data, "", file))


def _check_crs(root: Table, crs: str) -> str:
    try:
        import pyproj

        pyproj.CRS.from_user_input(crs)
    except Exception as exc:
        raise root.error("crs", f"unknown CRS {crs!r} ({exc})") from None
    return crs


def to_jsonable(obj: Any) -> Any:
    """Dataclasses, numpy arrays and paths → plain JSON types."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj) if f.repr}
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray) and obj.dtype.kind == "M":  # dates
        if obj.size > 64:
            return {"shape": list(obj.shape), "first": str(obj.min()), "last": str(obj.max())}
        return [str(v) for v in obj.ravel()]
    if isinstance(obj, np.datetime64):
        return str(obj)
    if isinstance(obj, np.ndarray):
        if obj.size > 64:
            return {"shape": list(obj.shape), "min": float(np.nanmin(obj)), "max": float(np.nanmax(obj))}
        return obj.tolist()
    if isinstance(obj, (np.floating, np.integer)):
        return obj.item()
    if isinstance(obj, (Path, _dt.date)):
        return str(obj)
    return obj
