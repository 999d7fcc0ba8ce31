"""Parameters by their case-file path, and cases with those parameters set.

A path names one value of the case file as it is written, dots between keys:

- ``parcel.aquitard_resistance``: a key of a table;
- ``soil.layers.peat.compression.c``: in an array of tables, the element whose ``name`` is
  ``peat`` (an integer index such as ``layers.2`` works too);
- ``deep.case.reservoirs.groningen.pressure_change.value[7]``: ``[k]`` picks one entry of an
  array; a key whose value is another case file (``[deep] case = "groningen_deep.toml"`` of a
  coupled case) is followed into that file.

The value written is the number in the prior's unit: ``"0.65e-5 1/bar"`` style strings when
the prior carries a unit, bare numbers otherwise (then read as the case file reads a bare
number there). Cases are rebuilt through the ordinary case loader, so every check of the
case file applies to every ensemble member.
"""

from __future__ import annotations

import copy
import dataclasses
import re
import tomllib
from pathlib import Path

from subsidence.config import Case, CaseError, case_from_dict

_INDEX = re.compile(r"^(?P<key>[^\[\]]+)(?:\[(?P<idx>-?\d+)\])?$")


@dataclasses.dataclass(frozen=True)
class Target:
    """Where a path points: document (``None`` = the case itself, else a nested case file) and keys."""

    doc: Path | None
    keys: tuple  # str keys and int indices


class Resolver:
    def __init__(self, case: Case):
        self.case = case
        self.docs: dict[Path | None, dict] = {None: case.data}

    def _nested(self, base_file: Path, rel: str) -> Path:
        p = Path(rel).expanduser()
        if not p.is_absolute():
            p = Path(base_file).resolve().parent / p
        p = p.resolve()
        if p not in self.docs:
            self.docs[p] = tomllib.loads(p.read_text(encoding="utf-8"))
        return p

    def resolve(self, path: str, *, where: tuple[str, str]) -> Target:
        """``where`` = (file, key) of the calibration entry, for error messages."""
        file, key = where
        doc: Path | None = None
        node = self.case.data
        keys: list = []
        base = Path(self.case.file)
        parts = path.split(".")
        for i, part in enumerate(parts):
            m = _INDEX.match(part)
            if not m:
                raise CaseError(file, key, f"bad path component {part!r} in {path!r}")
            name, idx = m.group("key"), m.group("idx")
            if isinstance(node, list):  # array of tables: element by name or by index
                hit = [j for j, e in enumerate(node) if isinstance(e, dict) and str(e.get("name")) == name]
                if not hit and name.isdigit() and int(name) < len(node):
                    hit = [int(name)]
                if not hit:
                    names = [str(e.get("name")) for e in node if isinstance(e, dict)]
                    raise CaseError(file, key, f"{path!r}: no element named {name!r} in {'.'.join(parts[:i]) or 'the case'} "
                                    f"(names: {', '.join(names)})")
                keys.append(hit[0])
                node = node[hit[0]]
                if idx is not None:
                    raise CaseError(file, key, f"{path!r}: [index] after an array-of-tables element")
                continue
            if not isinstance(node, dict) or name not in node:
                known = ", ".join(sorted(node)) if isinstance(node, dict) else ""
                raise CaseError(file, key, f"{path!r}: no key {name!r} at {'.'.join(parts[:i]) or 'the top'}"
                                + (f" (keys there: {known})" if known else ""))
            value = node[name]
            last = i == len(parts) - 1
            if isinstance(value, str) and value.endswith(".toml") and not last:
                doc = self._nested(base if doc is None else doc, value)
                node, keys = self.docs[doc], []
                continue
            keys.append(name)
            node = value
            if idx is not None:
                if not isinstance(node, list):
                    raise CaseError(file, key, f"{path!r}: {name!r} is not an array")
                k = int(idx)
                if not -len(node) <= k < len(node):
                    raise CaseError(file, key, f"{path!r}: index {k} out of range (length {len(node)})")
                keys.append(k)
                node = node[k]
        if isinstance(node, (dict, list)):
            raise CaseError(file, key, f"{path!r} names a table or an array, not one value")
        if isinstance(node, bool) or not isinstance(node, (int, float, str)):
            raise CaseError(file, key, f"{path!r} is not a number")
        if isinstance(node, str) and not re.match(r"\s*[-+]?(\d|\.\d)", node):  # "500 d" is a number with a unit
            raise CaseError(file, key, f"{path!r} is text ({node!r}), not a number: only numbers (with or without "
                            "a unit) can be calibrated")
        return Target(doc, tuple(keys))

    def current(self, t: Target):
        node = self.docs[t.doc]
        for k in t.keys:
            node = node[k]
        return node

    def build(self, values: list[tuple[Target, object]]) -> Case:
        """The case with ``values`` set (deep copies; the originals are untouched)."""
        docs = {}
        for t, v in values:
            if t.doc not in docs:
                docs[t.doc] = copy.deepcopy(self.docs[t.doc])
            node = docs[t.doc]
            for k in t.keys[:-1]:
                node = node[k]
            node[t.keys[-1]] = v
        top = docs.get(None, self.case.data)
        case = case_from_dict(top, file=self.case.file, text=self.case.text) if None in docs else self.case
        nested = [d for d in docs if d is not None]
        if nested:
            case = dataclasses.replace(case, config=copy.copy(case.config))
            for d in nested:
                _inject_nested(case, d, case_from_dict(docs[d], file=d))
        return case


def _inject_nested(case: Case, file: Path, nested: Case) -> None:
    """Put a rebuilt nested case where the parent case uses it (the deep case of a coupled case)."""
    deep = getattr(case.config, "deep", None)
    inner = getattr(deep, "case", None)
    if inner is None or Path(inner.file).resolve() != file:
        raise CaseError(str(case.file), "calibration.parameters", f"parameters in {file} cannot be set: "
                        "only the deep case of a coupled case ([deep] case = ...) is followed")
    case.config.deep = dataclasses.replace(deep, case=nested)
