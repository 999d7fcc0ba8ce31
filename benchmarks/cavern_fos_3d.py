"""Wall and roof indicators of a cavern in 3D against the same cavern axisymmetric (issue 13;
docs/caverns.md, "Mesh convergence of the factors of safety").

    .venv/bin/python benchmarks/cavern_fos_3d.py [--h3d 25,12.5,6.25,3.125] [--haxi 6.25,3.125,1.5625,0.78125]
        [--extent 1000] [--json FILE]

One domed cylinder (radius 30 m, 1100-1300 m deep, domes 25 m high: the cavern of
``benchmarks/cavern_cluster.py``) in rock salt under an overburden, open to a brine column,
right after it exists (t = 0+, the elastic step, where the creep has not yet redistributed the
stress). The same cavern is modelled

- in 3D (``geometry.type = "cluster"`` with one cavern, a box of ±``--extent`` m, rollers on the
  sides), at each ``--h3d`` wall element size, and
- axisymmetric (a cylinder of radius ``--extent`` m, rollers on its side), at each ``--haxi``:
  the finest is the reference.

Both report the run's own evaluation (the wall element's stress extrapolated to the wall and
averaged along it over ℓ = 0.1 equivalent radii; ``subsidence/cavern/indicators.py``): the minimum
Van Sambeek and De Vries factors of safety and tension margin on the wall and in the roof. The
axisymmetric profile is a polyline (16 points per dome), the 3D cavern OCC's smooth domes: the two
geometries differ by the chords of the polyline (< 0.2 % of the radius), which bounds how close
the two can agree. Prints a Markdown table: values, and the relative difference of each 3D value
from the axisymmetric reference.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import tempfile
import time
from pathlib import Path

from mpi4py import MPI

from cavern_fos_convergence import QUANTITIES  # the same six minima as the axisymmetric convergence table

CAVERN = {"name": "A", "top_depth": 1100, "bottom_depth": 1300, "radius": 30, "dome_height": 25}


def case(kind: str, h: float, extent: float) -> dict:
    cav = dict(CAVERN)
    if kind == "3d":
        geometry = {"type": "cluster", "extent": [-extent, extent, -extent, extent], "domain_depth": 2200,
                    "mesh_size_wall": h, "mesh_size_far": 350}
        cav.update(x=0.0, y=0.0)
    else:
        geometry = {"type": "axisymmetric", "domain_radius": extent, "domain_depth": 2200,
                    "mesh_size_wall": h, "mesh_size_far": 350}
        cav.update(shape="cylinder")
    return {
        "name": f"cavern indicators {kind}", "kind": "cavern", "geometry": geometry,
        "layers": [
            {"name": "overburden", "bottom_depth": 600, "density": 2250, "youngs_modulus": "8 GPa", "poisson_ratio": 0.3},
            {"name": "salt", "bottom_depth": 2200, "density": 2160, "youngs_modulus": "25 GPa", "poisson_ratio": 0.3,
             "creep": {"A": "0.18 1/d", "n": 5, "Q": "54 kJ/mol"}},
        ],
        "caverns": [cav],
        "operation": [{"mode": "open"}],
        "time": {"end": 0.01, "dt_max": 0.01},
        "surface": {"n": 5},
    }


def run_one(kind: str, h: float, extent: float) -> dict:
    from subsidence.config import case_from_dict
    from subsidence.studies.cavern import build_mesh, build_model, build_simulation

    with tempfile.TemporaryDirectory() as tmp:
        file = Path(tmp) / "case.toml"
        cfg = dataclasses.replace(case_from_dict(case(kind, h, extent), file=file).config, checkpoint_every=0)
        t0 = time.perf_counter()
        cm = build_mesh(cfg, MPI.COMM_WORLD)
        model = build_model(cfg, cm, prefix=f"fos3d_{kind}_{h:g}_".replace(".", "p"))
        sim = build_simulation(cfg, model, cfg.scenarios[0])
        res = sim.run(resume=False)
    first = res.rows[0]
    out = {"kind": kind, "h_wall_m": h, "dofs": int(model.V.dofmap.index_map.size_global * model.V.dofmap.index_map_bs),
           "wall_s": time.perf_counter() - t0, "window_m": sim.indicators.wall[0].window,
           "samples": int(sim.indicators.wall[0].X.shape[0])}
    for _, k in QUANTITIES:
        out[k] = float(first[k])
        out["ip_" + k] = float(first["ip_" + k])
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--h3d", default="25,12.5,6.25,3.125", help="3D wall element sizes [m]")
    ap.add_argument("--haxi", default="6.25,3.125,1.5625,0.78125", help="axisymmetric sizes [m]; the finest is the reference")
    ap.add_argument("--extent", type=float, default=1000.0, help="half-width of the 3D box = radius of the axisymmetric model [m]")
    ap.add_argument("--json", type=Path, help="write the results here")
    args = ap.parse_args()
    rank = MPI.COMM_WORLD.rank
    runs = []
    for kind, hs in (("axisymmetric", args.haxi), ("3d", args.h3d)):
        for h in (float(x) for x in hs.split(",")):
            runs.append(run_one(kind, h, args.extent))
            r = runs[-1]
            if rank == 0:
                print(f"{kind} h_wall {h:g} m: {r['dofs']} dofs, {r['samples']} wall samples, {r['wall_s']:.1f} s", flush=True)
    ref = [r for r in runs if r["kind"] == "axisymmetric"][-1]
    head = "| model | h_wall [m] | dofs | " + " | ".join(lbl for lbl, _ in QUANTITIES) + " |"
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in runs:
        cells = []
        for _, k in QUANTITIES:
            d = 100 * (r[k] - ref[k]) / abs(ref[k])
            cells.append(f"{r[k]:.4f}" + ("" if r is ref else f" ({d:+.2f} %)"))
        lines.append(f"| {r['kind']} | {r['h_wall_m']:g} | {r['dofs']} | " + " | ".join(cells) + " |")
    lines.append("| *3D, at the integration points next to the wall* | | | | | | | | |")
    for r in runs:
        if r["kind"] == "3d":
            lines.append(f"| 3d (IPs) | {r['h_wall_m']:g} | {r['dofs']} | "
                         + " | ".join(f"{r['ip_' + k]:.4f} ({100 * (r['ip_' + k] - ref[k]) / abs(ref[k]):+.2f} %)"
                                      for _, k in QUANTITIES) + " |")
    if rank == 0:
        print(f"\nt = 0+, wall window {ref['window_m']:.2f} m; in brackets: difference from the axisymmetric "
              f"reference (h_wall {ref['h_wall_m']:g} m)\n")
        print("\n".join(lines))
        if args.json:
            args.json.write_text(json.dumps({"runs": runs, "reference_h_wall_m": ref["h_wall_m"], "table": "\n".join(lines)},
                                            indent=1))


if __name__ == "__main__":
    main()
