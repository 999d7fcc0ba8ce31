"""Impact factors over soil profiles and parameter ranges, against the CBA 1987 values.

For every soil profile (sand; clay; peat with a clay cover; peat) and every combination of
ditch spacing, ditch-bed entry resistance and seepage, the groundwater model runs a dry and
an average year (picked from the KNMI record by the summer precipitation deficit) with and
without a 20 cm ditch-level lowering; the impact factor is the change of the GLG per unit
lowering (see ``subsidence.shallow.impact``). The groundwater model is the lumped reservoir
whose drainage and seepage resistances come from steady solutions of the FE cross-section of
that very parcel; ``--fe-check`` also runs the transient FE model for the middle parameter
set of each profile and reports the difference.

    .venv/bin/python validation/impact_factors/run_impact_factors.py --out validation/impact_factors/results

Writes ``impact_factors.csv`` and ``impact_factors.png``. Soil parameters are ILLUSTRATIVE
textbook ranges (see the README), not calibrated for a particular site.
"""

from __future__ import annotations

import argparse
import itertools
import time
from pathlib import Path

import numpy as np

DAY = 86400.0
HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "data" / "nieuwolda"


def profiles():
    from subsidence.shallow.groundwater import HydroLayer as L

    sand = L("sand", 8.0, 10 / DAY, 3 / DAY, 0.25)
    return {
        "sand": (L("sand-top", 2.0, 5 / DAY, 2 / DAY, 0.25), sand),
        "clay": (L("clay", 2.5, 0.05 / DAY, 0.02 / DAY, 0.05), sand),
        "peat with clay cover": (L("clay", 0.6, 0.05 / DAY, 0.02 / DAY, 0.05), L("peat", 2.5, 0.3 / DAY, 0.1 / DAY, 0.12), sand),
        "peat": (L("peat", 3.0, 0.5 / DAY, 0.2 / DAY, 0.15), sand),
    }


SPACINGS = (25.0, 50.0, 100.0)  # m
ENTRY = (0.5, 2.0)  # days, ditch-bed resistance per unit wet area of the bank
#: seepage cases: (label, aquifer head relative to the ditch level (m), aquitard resistance (days))
SEEPAGE = (("none", None, None), ("upward, c=1000 d", 0.2, 1000.0), ("upward, c=100 d", 0.2, 100.0),
           ("downward, c=200 d", -0.3, 200.0))
DITCH_LEVEL, DITCH_DEPTH, LOWERING = -1.0, 1.5, 0.2


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=str(HERE / "results"))
    ap.add_argument("--fe-check", action="store_true", help="also run the transient FE model for one parameter set per profile")
    args = ap.parse_args(argv)

    from mpi4py import MPI

    from subsidence.shallow.forcing import read_evaporation, read_precipitation
    from subsidence.shallow.groundwater import LumpedGroundwater, Parcel
    from subsidence.shallow.groundwater.fe import CrossSectionGroundwater
    from subsidence.shallow.impact import dry_and_average_year, impact_factor

    comm = MPI.COMM_WORLD
    p = read_precipitation(DATA / "neerslaggeg_NIEUWOLDA_172.csv")
    e = read_evaporation(DATA / "NBeerta_evapotransp20152020.csv")
    years = dry_and_average_year(p, e)
    rows = []
    t0 = time.perf_counter()
    for (name, layers), spacing, entry, (slabel, dphi, c) in itertools.product(profiles().items(), SPACINGS, ENTRY, SEEPAGE):
        parcel = Parcel(layers=layers, spacing=spacing, ditch_depth=DITCH_DEPTH, entry_resistance=entry * DAY,
                        aquifer_head=None if dphi is None else DITCH_LEVEL + dphi,
                        aquitard_resistance=np.inf if c is None else c * DAY)
        fe = CrossSectionGroundwater(parcel, comm=comm, reference_level=DITCH_LEVEL, nx=16, dz_target=0.5)
        lm = LumpedGroundwater.from_cross_section(fe)
        check = args.fe_check and spacing == 50.0 and entry == ENTRY[0] and slabel == SEEPAGE[1][0]
        for kind, year in years.items():
            r = impact_factor(lm, p, e, year, ditch_level=DITCH_LEVEL, lowering=LOWERING)
            row = {"profile": name, "spacing_m": spacing, "entry_resistance_d": entry, "seepage": slabel, "year_kind": kind,
                   "year": year, "impact_factor": r["impact_factor"], "glg_ref_m": r["glg_ref"],
                   "drainage_resistance_d": lm.gamma_mean / DAY,
                   "seepage_resistance_d": lm.seepage_resistance / DAY, "impact_factor_fe": np.nan}
            if check:
                row["impact_factor_fe"] = impact_factor(fe, p, e, year, ditch_level=DITCH_LEVEL, lowering=LOWERING)["impact_factor"]
            rows.append(row)
    if comm.rank == 0:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        write(out / "impact_factors.csv", rows)
        plot(out / "impact_factors.png", rows, years)
        print(f"{len(rows)} impact factors in {time.perf_counter() - t0:.0f} s -> {out}")
        summary(rows)
    return 0


def write(path, rows):
    keys = list(rows[0])
    with open(path, "w", encoding="utf-8") as f:
        f.write(",".join(keys) + "\n")
        for r in rows:
            f.write(",".join(f"{r[k]:.4g}" if isinstance(r[k], float) else str(r[k]) for k in keys) + "\n")


def summary(rows):
    from subsidence.shallow.impact import CBA_1987

    print(f"{'profile':22s} {'year':8s} {'min':>6s} {'median':>6s} {'max':>6s}  CBA 1987")
    for name in profiles():
        for kind in ("dry", "average"):
            v = np.array([r["impact_factor"] for r in rows if r["profile"] == name and r["year_kind"] == kind])
            cba = CBA_1987.get(name)
            print(f"{name:22s} {kind:8s} {v.min():6.2f} {np.median(v):6.2f} {v.max():6.2f}  {'' if cba is None else f'{cba:.2f}'}")
    fe = [(r["impact_factor"], r["impact_factor_fe"]) for r in rows if np.isfinite(r["impact_factor_fe"])]
    if fe:
        d = np.array([a - b for a, b in fe])
        print(f"lumped - FE impact factor over {len(fe)} checks: max |difference| {np.abs(d).max():.3f}")


def plot(path, rows, years):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from subsidence.shallow.impact import CBA_1987

    names = list(profiles())
    markers = {"none": "o", "upward, c=1000 d": "^", "upward, c=100 d": "s", "downward, c=200 d": "v"}
    fig, ax = plt.subplots(figsize=(10, 6.5))
    rng = np.random.default_rng(0)
    for i, name in enumerate(names):
        for kind, dx, col in (("dry", -0.15, "tab:red"), ("average", 0.15, "tab:blue")):
            for slabel, mk in markers.items():
                v = [r["impact_factor"] for r in rows if r["profile"] == name and r["year_kind"] == kind and r["seepage"] == slabel]
                ax.scatter(i + dx + rng.uniform(-0.06, 0.06, len(v)), v, marker=mk, s=22, color=col, alpha=0.7,
                           label=f"{kind} ({years[kind]}), seepage {slabel}" if i == 0 else None)
        cba = CBA_1987.get(name)
        if cba is not None:
            ax.hlines(cba, i - 0.35, i + 0.35, color="k", lw=2.5, label="CBA 1987" if name == "sand" else None)
    ax.set_xticks(range(len(names)), names)
    ax.set_ylabel("impact factor: GLG lowering / ditch lowering")
    ax.set_ylim(0, 1.05)
    ax.grid(alpha=0.3)
    ax.set_title("Impact factors over ditch spacing (25-100 m), ditch-bed resistance (0.5-2 d) and seepage")
    fig.legend(fontsize=7, ncol=3, loc="lower center")
    fig.tight_layout(rect=(0, 0.16, 1, 1))
    fig.savefig(path, dpi=120)
    plt.close(fig)


if __name__ == "__main__":
    raise SystemExit(main())
