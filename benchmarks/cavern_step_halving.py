"""Time-step error of the shipped cavern examples, by step halving (docs/caverns.md).

    .venv/bin/python benchmarks/cavern_step_halving.py [--halvings 2] [CASE.toml[:K] ...]

Runs every scenario of each case with its shipped time settings and with dt_min, dt_max
and dp_max halved 1..K times (output times kept: steps land on them). Backward Euler is
first order, so the reference is the Richardson extrapolation of the two finest runs,
x_ref = 2 x_K − x_{K−1}. Reported per scenario and run: steps, CBBO release start times
(the `p_high` events; max relative error over the releases), the shoe pressure at the end
(error relative to the pressure change over the run, P_end − P_0) and the bled volume.
Prints a markdown table. No surface output is computed (it does not change the steps).
"""

from __future__ import annotations

import argparse
import dataclasses
import time
import tomllib
from pathlib import Path

import numpy as np
from mpi4py import MPI

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ["cavern_zechstein_deep.toml", "cavern_scenarios.toml", "cavern_twente_shallow.toml"]


def runs(path: Path, k: int, mesh=None):
    from subsidence.config import case_from_dict
    from subsidence.studies.cavern import build_mesh, build_model, build_simulation

    cfg = case_from_dict(tomllib.loads(path.read_text()), file=path).config
    f = 0.5**k
    cfg = dataclasses.replace(cfg, dt_min=cfg.dt_min * f, dt_max=cfg.dt_max * f, dp_max=cfg.dp_max * f, checkpoint_every=0)
    mesh = mesh or build_mesh(cfg, MPI.COMM_WORLD)
    out = {}
    for j, sc in enumerate(cfg.scenarios):
        t0 = time.perf_counter()
        res = build_simulation(cfg, build_model(cfg, mesh, prefix=f"halving{k}_{j}_"), sc).run(resume=False)
        rows = res.rows
        out[sc.name] = dict(
            steps=res.steps, wall=time.perf_counter() - t0, failed=res.failed_steps, rejected=res.rejected_steps,
            releases=np.array([r["time_yr"] for r in rows if r["event"].startswith("p_high")]),
            P0=rows[0]["pressure_MPa"], P=rows[-1]["pressure_MPa"], bled=rows[-1]["bled_m3"],
        )
    return out, mesh


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cases", nargs="*", default=SHIPPED)
    ap.add_argument("--halvings", type=int, default=2)
    args = ap.parse_args()
    lines = ["| case / scenario | run | steps | release start times [yr] | max release error | shoe P at end [MPa] | P error (of P_end − P_0) | bled [m³] | failed / rejected steps |",
             "|---|---|---|---|---|---|---|---|---|"]
    for spec in args.cases:
        name, _, kk = spec.partition(":")  # CASE.toml:K sets the halvings of one case
        K = int(kk) if kk else args.halvings
        path = ROOT / "cases" / name
        res, mesh = [], None
        for k in range(K + 1):
            r, mesh = runs(path, k, mesh)
            res.append(r)
        for sc in res[0]:
            seq = [r[sc] for r in res]
            n = len(seq[-1]["releases"])
            same = all(len(s["releases"]) == n for s in seq[-2:])
            t_ref = 2 * seq[-1]["releases"] - seq[-2]["releases"] if same and n else None
            P_ref = 2 * seq[-1]["P"] - seq[-2]["P"]
            for k, s in enumerate(seq):
                label = "shipped" if k == 0 else f"steps / {2**k}"
                rel = "–"
                if t_ref is not None:
                    rel = (f"{100 * np.max(np.abs(s['releases'] - t_ref) / t_ref):.2f} %" if len(s["releases"]) == n
                           else f"{len(s['releases'])} releases, not {n}")
                perr = abs(s["P"] - P_ref) / max(abs(P_ref - s["P0"]), 1e-12)
                times = ", ".join(f"{t:.2f}" for t in s["releases"]) or "–"
                lines.append(f"| {name} / {sc} | {label} | {s['steps']} | {times} | {rel} | {s['P']:.4f} | {100 * perr:.2f} % "
                             f"| {s['bled']:.0f} | {s['failed']} / {s['rejected']} |")
            if t_ref is not None:
                lines.append(f"| {name} / {sc} | reference (Richardson) | | {', '.join(f'{t:.2f}' for t in t_ref)} | | {P_ref:.4f} | | | |")
            else:
                lines.append(f"| {name} / {sc} | reference (Richardson) | | | | {P_ref:.4f} | | | |")
        if MPI.COMM_WORLD.rank == 0:
            print("\n".join(lines), flush=True)
            lines = lines[:2]


if __name__ == "__main__":
    main()
