"""A tiny benchmark framework: each benchmark is an input, a reference, a tolerance and a page.

A module in ``validation/benchmarks/`` defines ``BENCHMARKS``: a list of :class:`Benchmark`.
``run()`` computes the values (in a temporary directory) and returns one :class:`Check` per
compared quantity.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable


@dataclasses.dataclass
class Check:
    quantity: str
    value: float
    reference: float
    rel_tol: float | None = None
    abs_tol: float | None = None
    unit: str = ""

    @property
    def error(self) -> float:
        return self.value - self.reference

    @property
    def rel_error(self) -> float:
        return abs(self.error) / abs(self.reference) if self.reference else float("inf")

    @property
    def passed(self) -> bool:
        ok = True
        if self.rel_tol is not None:
            ok &= self.rel_error <= self.rel_tol
        if self.abs_tol is not None:
            ok &= abs(self.error) <= self.abs_tol
        return bool(ok)

    @property
    def tolerance(self) -> str:
        parts = []
        if self.rel_tol is not None:
            parts.append(f"{self.rel_tol:.2g} rel")
        if self.abs_tol is not None:
            parts.append(f"{self.abs_tol:.2g} {self.unit}".strip())
        return " & ".join(parts)


@dataclasses.dataclass
class Benchmark:
    name: str
    description: str
    input: str  # case file or script the benchmark runs
    reference: str  # where the reference values come from
    page: str  # documentation page
    run: Callable[[str], list[Check]]  # argument: a scratch directory
