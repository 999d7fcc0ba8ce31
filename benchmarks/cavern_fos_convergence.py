"""Mesh convergence of the wall and roof factors of safety of a cavern (issue 13; docs/caverns.md).

    .venv/bin/python benchmarks/cavern_fos_convergence.py [--case cavern_zechstein_deep.toml]
        [--end 3] [--factors 1,0.5,0.25,0.125,0.0625] [--json FILE]

Runs the shipped axisymmetric case, shortened to ``--end`` years (phases starting later are
dropped; the deep case keeps its open-well phase), with ``mesh_size_wall`` × each factor
(all else as shipped: the far-field size, the time steps, which do not depend on the mesh
while the pressure is imposed). For each mesh it reports the displacement DOFs and, right
after the cavern exists (t = 0+, the elastic step) and at the end, the minimum factors of
safety (Van Sambeek/Ratigan, De Vries) and the tension margin at the wall and in the roof
(top ``roof_fraction`` of the cavern height):

- ``on wall``: the evaluation the run reports (``fs_*``, ``roof_*``): the wall element's stress
  extrapolated to the wall and averaged along it over a fixed length (subsidence/cavern/indicators.py);
- ``on wall, ℓ = 0``: the same extrapolation to the wall without the window (single points);
- ``at IPs``: the minimum over the integration points next to the wall (``ip_*``, the
  evaluation before issue 13).

Convergence from the three finest meshes f1, f2, f3 (ratio 2): observed order
p = log2(|f2 − f1| / |f3 − f2|), Richardson value f3 + (f3 − f2)/(2^p − 1) (p capped at 4;
none when p < 0.5 or the differences change sign: no asymptotic range), and the relative
change |f3 − f2| / |f3|.
Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
import tomllib
from pathlib import Path

import numpy as np
from mpi4py import MPI

ROOT = Path(__file__).resolve().parents[1]

QUANTITIES = [  # (label, key, criterion)
    ("FoS Van Sambeek, wall", "fs_vansambeek"),
    ("FoS De Vries, wall", "fs_devries"),
    ("σmin−P at wall [MPa]", "tension_margin_MPa"),
    ("FoS Van Sambeek, roof", "roof_fs_vansambeek"),
    ("FoS De Vries, roof", "roof_fs_devries"),
    ("σmin−P in roof [MPa]", "roof_tension_margin_MPa"),
]


def load_case(name: str, end: float) -> dict:
    path = ROOT / "cases" / name
    d = tomllib.loads(path.read_text())
    d["time"]["end"] = end
    d["time"].pop("outputs", None)
    d["operation"] = [o for o in d["operation"] if float(o.get("start", 0)) < end]
    return d


def run_one(d: dict, h: float, file: Path) -> dict:
    from subsidence.config import case_from_dict
    from subsidence.cavern.indicators import WallIndicators
    from subsidence.studies.cavern import build_mesh, build_model, build_simulation

    d = {**d, "geometry": {**d["geometry"], "mesh_size_wall": h}}
    cfg = dataclasses.replace(case_from_dict(d, file=file).config, checkpoint_every=0)
    t0 = time.perf_counter()
    cm = build_mesh(cfg, MPI.COMM_WORLD)
    model = build_model(cfg, cm, prefix=f"fos{h:g}_".replace(".", "p"))
    sim = build_simulation(cfg, model, cfg.scenarios[0])
    # the same wall extrapolation without the window (ℓ = 0), at the first and the last record
    point = WallIndicators(model, roof_fraction=cfg.roof_fraction, window=0.0)
    seen: dict[str, dict] = {}
    evaluate = sim.indicators.evaluate

    def both(P, *a, **k):
        rec = point.evaluate(P, *a, **k)[0]
        seen.setdefault("first", rec)
        seen["last"] = rec
        return evaluate(P, *a, **k)

    sim.indicators.evaluate = both
    res = sim.run(resume=False)
    first, last = res.rows[0], res.rows[-1]
    first.update({"pt_" + k: v for k, v in seen["first"].items()})
    last.update({"pt_" + k: v for k, v in seen["last"].items()})
    out = {"h_wall_m": h, "dofs": int(model.V.dofmap.index_map.size_global * model.V.dofmap.index_map_bs),
           "steps": res.steps, "wall_s": time.perf_counter() - t0, "window_m": sim.indicators.wall[0].window,
           "end_yr": last["time_yr"]}
    for when, r in (("t0", first), ("end", last)):
        for _, k in QUANTITIES:
            out[f"{when}:{k}"] = float(r[k])
            out[f"{when}:ip_{k}"] = float(r["ip_" + k])
            out[f"{when}:pt_{k}"] = float(r["pt_" + k])
        for k in ("fs_vansambeek", "fs_devries", "tension_margin_MPa"):
            out[f"{when}:{k}_at"] = [float(r[k + "_r"]), float(r[k + "_depth"])]
    return out


def convergence(vals: list[float]) -> dict:
    """Observed order, Richardson value and relative change from the three finest values."""
    f1, f2, f3 = vals[-3:]
    d1, d2 = f2 - f1, f3 - f2
    rel = abs(d2) / max(abs(f3), 1e-12)
    if d1 * d2 > 0 and abs(d2) > 0:
        p = float(np.log2(abs(d1) / abs(d2)))
        rich = f3 + d2 / (2 ** min(p, 4.0) - 1) if p >= 0.5 else None  # not converging (yet): none
        return {"order": p, "richardson": rich, "rel_change": rel}
    if d2 == 0:
        return {"order": None, "richardson": f3, "rel_change": 0.0}
    return {"order": None, "richardson": None, "rel_change": rel}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--case", default="cavern_zechstein_deep.toml")
    ap.add_argument("--end", type=float, default=3.0, help="simulated years (default 3)")
    ap.add_argument("--factors", default="1,0.5,0.25,0.125,0.0625", help="mesh_size_wall factors (ratio 2 between the last three)")
    ap.add_argument("--json", type=Path, help="write the results here")
    args = ap.parse_args()
    rank = MPI.COMM_WORLD.rank
    d = load_case(args.case, args.end)
    h0 = float(d["geometry"]["mesh_size_wall"])
    factors = [float(f) for f in args.factors.split(",")]
    if len(factors) < 3:
        ap.error("--factors: at least three mesh sizes")
    runs = []
    for f in factors:
        runs.append(run_one(d, h0 * f, ROOT / "cases" / args.case))
        if rank == 0:
            r = runs[-1]
            print(f"h_wall {r['h_wall_m']:g} m: {r['dofs']} dofs, {r['steps']} steps, {r['wall_s']:.1f} s", flush=True)
    conv = {}
    for when in ("t0", "end"):
        for _, k in QUANTITIES:
            for pre in ("", "pt_", "ip_"):
                key = f"{when}:{pre}{k}"
                conv[key] = convergence([r[key] for r in runs])
    hs = [r["h_wall_m"] for r in runs]
    head = ("| quantity | when | evaluation | " + " | ".join(f"h {h:g} m" for h in hs)
            + " | order | Richardson | change between the two finest |")
    lines = [head, "|" + "---|" * (head.count("|") - 1),
             "| displacement dofs | | | " + " | ".join(str(r["dofs"]) for r in runs) + " | | | |"]
    fmt = lambda v, n=4: "–" if v is None else f"{v:.{n}f}"  # noqa: E731
    for label, k in QUANTITIES:
        for when, wlabel in (("t0", "t = 0+"), ("end", f"{args.end:g} yr")):
            for pre, elabel in (("", "on wall"), ("pt_", "on wall, ℓ = 0"), ("ip_", "at IPs")):
                key = f"{when}:{pre}{k}"
                c = conv[key]
                lines.append(f"| {label} | {wlabel} | {elabel} | " + " | ".join(fmt(r[key]) for r in runs)
                             + f" | {fmt(c['order'], 2)} | {fmt(c['richardson'])} | {100 * c['rel_change']:.2f} % |")
    if rank == 0:
        print(f"\n{args.case}, {args.end:g} yr, wall window {runs[0]['window_m']:.2f} m\n")
        print("\n".join(lines))
        if args.json:
            args.json.write_text(json.dumps({"case": args.case, "end_yr": args.end, "runs": runs, "convergence": conv,
                                             "table": "\n".join(lines)}, indent=1))


if __name__ == "__main__":
    main()
