"""Impact factors: the change of the lowest groundwater level per unit ditch-level lowering.

For a chosen year the groundwater model runs twice over that year's forcing, preceded by
(the end of) the same year as spin-up: once with the ditch at its level and once lowered by ``lowering``
from the start of the spin-up. The impact factor is

    IF = (GLG_ref - GLG_lowered) / lowering

with GLG the mean of the three lowest semi-monthly (14th/28th) parcel-mean levels of the
calendar year (``measure="glg"``) or the lowest daily level (``measure="lowest"``).

Dry and average years are picked from the forcing by the summer (April-September)
precipitation deficit: the largest deficit is "dry", the year closest to the median "average".
The CBA 1987 guideline ratios are in :data:`CBA_1987`.
"""

from __future__ import annotations

import numpy as np

from subsidence.shallow.forcing import DailySeries, yearly_glg_ghg

#: Commissie Bodemdaling door Aardgaswinning (1987): groundwater lowering per ditch lowering
CBA_1987 = {"sand": 24 / 30, "clay": 10 / 20, "peat with clay cover": 7 / 10}


def cba_class(parcel, layers, *, depth: float = 3.0) -> str:
    """The CBA 1987 class of a soil profile from its top ``depth`` metres: "peat with clay cover"
    (an organic layer — one that oxidises — under a mineral one), "peat" (organic at the
    surface; the CBA gives no value), "sand" (only linear-compression layers: sand) or "clay"."""
    top, kinds = 0.0, []
    for L in layers:
        if top >= depth:
            break
        organic = getattr(L.oxidation, "alpha", 0.0) > 0
        sand = type(L.compression).__name__ == "LinearCompression"
        kinds.append("organic" if organic else "sand" if sand else "clay")
        top += L.thickness
    if "organic" in kinds:
        return "peat" if kinds[0] == "organic" else "peat with clay cover"
    return "sand" if all(k == "sand" for k in kinds) else "clay"


def summer_deficits(precip: DailySeries, evap: DailySeries) -> dict[int, float]:
    """Summer (April-September) Makkink evaporation minus precipitation (m) per full year."""
    out = {}
    y0 = max(precip.dates[0], evap.dates[0]).astype("datetime64[Y]").astype(int) + 1970
    y1 = min(precip.dates[-1], evap.dates[-1]).astype("datetime64[Y]").astype(int) + 1970
    for y in range(y0, y1 + 1):
        s, e = np.datetime64(f"{y}-04-01"), np.datetime64(f"{y}-10-01")
        try:
            out[y] = float((evap.window(s, e) - precip.window(s, e)).sum() * 86400.0)
        except ValueError:
            continue
    return out


def dry_and_average_year(precip: DailySeries, evap: DailySeries) -> dict[str, int]:
    d = summer_deficits(precip, evap)
    if not d:
        raise ValueError("the forcing covers no full summer")
    years = np.array(sorted(d))
    vals = np.array([d[y] for y in years])
    # only years with a complete calendar year of forcing
    ok = [y for y in years if precip.dates[0] <= np.datetime64(f"{y}-01-01") and np.datetime64(f"{y}-12-31") <= precip.dates[-1]
          and evap.dates[0] <= np.datetime64(f"{y}-01-01") and np.datetime64(f"{y}-12-31") <= evap.dates[-1]]
    sel = np.isin(years, ok)
    years, vals = years[sel], vals[sel]
    return {"dry": int(years[np.argmax(vals)]), "average": int(years[np.argmin(np.abs(vals - np.median(vals)))])}


def year_forcing(series: DailySeries, year: int) -> np.ndarray:
    return series.window(np.datetime64(f"{year}-01-01"), np.datetime64(f"{year + 1}-01-01"))


def impact_factor(model, precip: DailySeries, evap: DailySeries, year: int, *, ditch_level: float, lowering: float = 0.2,
                  aquifer_head: float | None = None, measure: str = "glg", spinup_days: int = 365) -> dict:
    """Impact factor of ``model`` (a groundwater model) for ``year``; levels in the land frame.
    The spin-up runs the last ``spinup_days`` of the same year first, starting both runs
    from their own ditch level."""
    p1, e1 = year_forcing(precip, year), year_forcing(evap, year)
    spin = min(spinup_days, p1.size)
    p, e = np.concatenate([p1[p1.size - spin:], p1]), np.concatenate([e1[e1.size - spin:], e1])
    nd = p.size
    hd = np.stack([np.full(nd + 1, ditch_level), np.full(nd + 1, ditch_level - lowering)], axis=1)
    phi = None if aquifer_head is None else np.full(hd.shape, aquifer_head)
    res = model.run(p, e, hd, aquifer_head=phi, initial=hd[0])
    n1 = p1.size
    dates = np.datetime64(f"{year}-01-01") + np.arange(n1 + 1).astype("timedelta64[D]")
    levels = res.mean[nd - n1:]
    g = yearly_glg_ghg(dates, levels, hydrological=False)
    k = list(g["year"]).index(year)
    key = "glg" if measure == "glg" else "lowest"
    ref, low = g[key][k]
    return {"year": year, "impact_factor": float((ref - low) / lowering), "glg_ref": float(ref), "glg_lowered": float(low),
            "ghg_ref": float(g["ghg"][k][0]), "lowering": lowering}
