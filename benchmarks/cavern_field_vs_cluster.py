"""Benchmark: a field of two caverns (superposed axisymmetric models) against the 3D cluster
model of the same two caverns, at two spacings (how large is the neglected interaction?).

    .venv/bin/python benchmarks/cavern_field_vs_cluster.py [--end 5] [--spacings 200 800] [--h-wall 25] [--radius 1500] [--h-far 350]

Two open caverns (1100-1300 m, radius 30 m, BGRa creep) side by side at (±s/2, 0). The field
superposes two single-cavern models (disc of radius R); the cluster is one 3D model (box of
half-width R). Printed per spacing: each model's wall time, the volume loss of cavern W, the
surface displacement above W, midway and 1 km away, and their relative differences. At a large
spacing the difference is that of the models' discretisations and sides (disc vs box); what it
grows by at a small spacing is the interaction the field neglects.
"""

from __future__ import annotations

import argparse
import csv
import tempfile
import time
from pathlib import Path

from mpi4py import MPI


def case(kind: str, s: float, *, end: float, h_wall: float, R: float, h_far: float = 350.0) -> dict:
    salt = {"A": "0.18 1/d", "n": 5, "Q": "54 kJ/mol"}
    cav = {"top_depth": 1100, "bottom_depth": 1300, "radius": 30, "dome_height": 25}
    geo = {"domain_depth": 2200, "mesh_size_wall": h_wall, "mesh_size_far": h_far}
    if kind == "cluster":
        geo |= {"type": "cluster", "extent": [-R, R, -R, R]}
    else:
        geo |= {"type": "field", "domain_radius": R}
    return {
        "name": f"benchmark: two caverns {s:g} m apart ({kind})",
        "kind": "cavern",
        "geometry": geo,
        "layers": [
            {"name": "overburden", "bottom_depth": 600, "density": 2250, "youngs_modulus": "8 GPa", "poisson_ratio": 0.3},
            {"name": "salt", "bottom_depth": 2200, "density": 2160, "youngs_modulus": "25 GPa", "poisson_ratio": 0.3,
             "creep": salt},
        ],
        "caverns": [{"name": "W", "x": -s / 2, "y": 0, **cav}, {"name": "E", "x": s / 2, "y": 0, **cav}],
        "operation": [{"mode": "open"}],
        "time": {"end": end, "dt_min": "1 d", "dt_max": 1, "outputs": [end]},
        "surface": {"half_width": 1000, "n": 21,
                    "points": [{"name": "above_W", "x": -s / 2, "y": 0}, {"name": "mid", "x": 0, "y": 0},
                               {"name": "at_1km", "x": 0, "y": 1000}]},
    }


def main() -> None:
    from subsidence.config import case_from_dict
    from subsidence.run import run_case

    ap = argparse.ArgumentParser()
    ap.add_argument("--end", type=float, default=5.0)
    ap.add_argument("--spacings", type=float, nargs="+", default=[200.0, 800.0])
    ap.add_argument("--h-wall", type=float, default=25.0)
    ap.add_argument("--radius", type=float, default=1500.0, help="disc radius (field) = box half-width (cluster)")
    ap.add_argument("--h-far", type=float, default=350.0)
    a = ap.parse_args()
    comm = MPI.COMM_WORLD
    tmp = Path(comm.bcast(tempfile.mkdtemp() if comm.rank == 0 else None, root=0))
    lines = []
    for s in a.spacings:
        res = {}
        for kind in ("field", "cluster"):
            t0 = time.perf_counter()
            summ = run_case(case_from_dict(case(kind, s, end=a.end, h_wall=a.h_wall, R=a.radius, h_far=a.h_far), file=f"{kind}.toml"),
                            tmp / f"{kind}_{s:g}", comm=comm)
            wall = time.perf_counter() - t0
            if comm.rank == 0:
                pts = {r["name"]: float(r["uz"]) for r in csv.DictReader(open(tmp / f"{kind}_{s:g}" / "points.csv"))
                       if float(r["time"]) > 0}
                rows = [r for r in csv.DictReader(open(tmp / f"{kind}_{s:g}" / "cavern.csv")) if r["cavern"] == "W"]
                res[kind] = (wall, float(rows[-1]["volume_loss_rel"]), pts, summ.get("displacement_dofs"))
        if comm.rank == 0:
            (wf, vf, pf, df), (wc, vc, pc, dc) = res["field"], res["cluster"]
            lines.append(f"| {s:g} m | {wf:.0f} s ({df}) | {wc:.0f} s ({dc} dofs) | {100 * vf:.4f} / {100 * vc:.4f} % "
                         f"({100 * (vf / vc - 1):+.1f} %) | "
                         + " | ".join(f"{1e3 * pf[k]:.3f} / {1e3 * pc[k]:.3f} mm ({100 * (pf[k] / pc[k] - 1):+.1f} %)"
                                      for k in ("above_W", "mid", "at_1km")) + " |")
    if comm.rank == 0:
        print(f"two open caverns, {a.end:g} yr, h_wall {a.h_wall:g} m, h_far {a.h_far:g} m, disc radius = box half-width "
              f"{a.radius:g} m")
        print("| spacing | field wall (dofs) | cluster wall | volume loss W field / cluster | uz above W | uz midway | uz 1 km away |")
        print("|---|---|---|---|---|---|---|")
        print("\n".join(lines))


if __name__ == "__main__":
    main()
