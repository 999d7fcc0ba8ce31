"""Run every validation benchmark and print the table of errors.

    .venv/bin/python validation/run.py [-k SUBSTRING] [--list]

Exit status 1 when a check is outside its tolerance.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from framework import Benchmark  # noqa: E402


def discover() -> list[Benchmark]:
    out = []
    for f in sorted((HERE / "benchmarks").glob("*.py")):
        spec = importlib.util.spec_from_file_location(f"validation_benchmarks_{f.stem}", f)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        out.extend(getattr(mod, "BENCHMARKS", []))
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="validation benchmarks: table of errors")
    ap.add_argument("-k", default="", help="only benchmarks whose name contains this")
    ap.add_argument("--list", action="store_true", help="list the benchmarks and their pages")
    a = ap.parse_args(argv)
    benches = [b for b in discover() if a.k in b.name]
    if a.list:
        for b in benches:
            print(f"{b.name:<32} {b.input:<40} {b.page}")
        return 0
    rows, failed = [], 0
    for b in benches:
        t0 = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp:
            try:
                checks = b.run(tmp)
            except Exception:
                traceback.print_exc()
                rows.append((b.name, "ERROR (see traceback above)", "", "", "", "", "FAIL", time.perf_counter() - t0))
                failed += 1
                continue
        dt = time.perf_counter() - t0
        for c in checks:
            ok = c.passed
            failed += not ok
            rows.append((b.name, c.quantity, f"{c.value:.6g}", f"{c.reference:.6g}", f"{c.rel_error:.2e}",
                         c.tolerance, "ok" if ok else "FAIL", dt))
    head = ("benchmark", "quantity", "computed", "reference", "rel. error", "tolerance", "", "time [s]")
    w = [max(len(str(r[i])) for r in rows + [head]) for i in range(7)]
    line = "  ".join(f"{h:<{w[i]}}" for i, h in enumerate(head[:7])) + "  time [s]"
    print(line)
    print("-" * len(line))
    for r in rows:
        print("  ".join(f"{str(r[i]):<{w[i]}}" for i in range(7)) + f"  {r[7]:.1f}")
    print(f"\n{len(rows) - failed} of {len(rows)} checks within tolerance")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
