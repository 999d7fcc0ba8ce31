"""Files and figures of a shallow or coupled run (rank 0 writes; nothing here is collective)."""

from __future__ import annotations

import numpy as np

from subsidence.io.surface import SurfaceResult, write_surface_outputs
from subsidence.shallow.chain import ChainResult
from subsidence.shallow.forcing import yearly_glg_ghg


def output_index(res: ChainResult, interval_days: int) -> np.ndarray:
    if res.streamed:  # already at the output times
        return np.arange(res.dates.size)
    idx = np.arange(0, res.dates.size, interval_days)
    if idx[-1] != res.dates.size - 1:
        idx = np.append(idx, res.dates.size - 1)
    return idx


def surface_result(res: ChainResult, case, idx) -> SurfaceResult:
    return SurfaceResult(times=res.times[idx], point_names=res.names, point_x=res.x, point_y=res.y,
                         point_ux=res.deep_ux[idx], point_uy=res.deep_uy[idx], point_uz=res.total_uz[idx],
                         crs=case.crs, start_date=case.start_date)


def point_series(res: ChainResult, idx) -> dict:
    """The chain's series at the output times, for ``points.nc`` (CF timeSeries; name -> (values, attrs))."""
    m = {"units": "m"}
    out = {
        "deep_ux": (res.deep_ux[idx], {**m, "long_name": "eastward displacement from deep subsidence"}),
        "deep_uy": (res.deep_uy[idx], {**m, "long_name": "northward displacement from deep subsidence"}),
        "deep_uz": (res.deep_uz[idx], {**m, "long_name": "upward displacement from deep subsidence"}),
        "level_change": (res.level_change[idx], {**m, "long_name": "change of the ditch level by water management"}),
        "ditch_level": (res.ditch_level[idx], {**m, "long_name": "ditch level, land frame (surface = 0)"}),
        "groundwater": (res.gw_mean[idx], {**m, "long_name": "groundwater level, parcel mean, land frame (surface = 0)"}),
        "groundwater_mid": (res.gw_mid[idx], {**m, "long_name": "groundwater level, mid-parcel, land frame (surface = 0)"}),
        "shallow_settlement": (res.shallow[idx], {**m, "long_name": "shallow settlement (down positive)"}),
        "compaction": (res.compaction[idx], {**m, "long_name": "shallow settlement by compaction (down positive)"}),
        "oxidation": (res.oxidation[idx], {**m, "long_name": "shallow settlement by peat oxidation (down positive)"}),
        "extra_shallow": (res.extra[idx], {**m, "long_name": "extra shallow settlement: run minus counterfactual (down positive)"}),
        "total_uz": (res.total_uz[idx], {**m, "long_name": "total upward displacement: deep minus shallow"}),
    }
    if res.co2 is not None and np.any(res.co2):
        out["co2_emission"] = (res.co2[idx], {"units": "kg m-2", "long_name": "cumulative CO2 emitted by peat oxidation, per unit area"})
    if res.shrinkage is not None and np.any(res.shrinkage):
        out["shrinkage"] = (res.shrinkage[idx], {**m, "long_name": "reversible shrinkage of the root zone, part of the shallow settlement (down positive)"})
    if res.aquifer_head is not None:
        out["aquifer_head"] = (res.aquifer_head[idx], {**m, "long_name": "aquifer head, land frame (surface = 0)"})
    return out


def _ref(res: ChainResult) -> np.ndarray:
    """Each point's counterfactual groundwater level (nt, np)."""
    if res.gw_ref_points is not None:
        return res.gw_ref_points
    return np.repeat(np.asarray(res.gw_ref)[:, None], len(res.names), axis=1)


def glg_table(res: ChainResult) -> list[dict]:
    rows = []
    if res.glg is not None:  # streamed: computed from the daily levels block by block
        g, gr = res.glg
    else:
        g = yearly_glg_ghg(res.dates, res.gw_mean, hydrological=False)
        ref = res.gw_ref_points if res.gw_ref_points is not None else np.repeat(res.gw_ref[:, None], len(res.names), axis=1)
        gr = yearly_glg_ghg(res.dates, ref, hydrological=False)
    for k, yr in enumerate(g["year"]):
        for j, n in enumerate(res.names):
            rows.append({"name": n, "year": int(yr), "glg_m": g["glg"][k, j], "ghg_m": g["ghg"][k, j],
                         "lowest_m": g["lowest"][k, j], "highest_m": g["highest"][k, j],
                         "glg_ref_m": gr["glg"][k, j], "ghg_ref_m": gr["ghg"][k, j]})
    return rows


def write_csv(path, rows: list[dict]) -> None:
    if not rows:
        return
    keys = list(rows[0])
    with open(path, "w", encoding="utf-8") as f:
        f.write(",".join(keys) + "\n")
        for r in rows:
            f.write(",".join(_fmt(r[k]) for k in keys) + "\n")


def _fmt(v):
    if isinstance(v, (float, np.floating)):
        return f"{v:.6g}"
    return str(v)


def write_site_timeseries(path, res: ChainResult, j: int = 0) -> None:
    """One row per day for point j."""
    extra, total = res.extra[:, j], res.total_uz[:, j]
    with open(path, "w", encoding="utf-8") as f:
        lay = [f"settlement_{n}_m" for n in res.layer_names]
        cols = ["date", "time_yr", "precipitation_mm", "evaporation_mm", "ditch_level_m", "aquifer_head_m",
                "groundwater_mean_m", "groundwater_mid_m", "groundwater_counterfactual_m", "deep_uz_m",
                "shallow_settlement_m", "compaction_m", "oxidation_m", *lay, "total_uz_m", "extra_shallow_m"]
        f.write(",".join(cols) + "\n")
        for i, d in enumerate(res.dates):
            aq = res.aquifer_head[i, j] if res.aquifer_head is not None else np.nan
            vals = [res.times[i] / (365.25 * 86400), res.precipitation_mm[i], res.evaporation_mm[i], res.ditch_level[i, j], aq,
                    res.gw_mean[i, j], res.gw_mid[i, j], _ref(res)[i, j], res.deep_uz[i, j], res.shallow[i, j],
                    res.compaction[i, j], res.oxidation[i, j], *res.layer_settlement[i, j], total[i], extra[i]]
            f.write(str(d) + "," + ",".join(f"{v:.6g}" for v in vals) + "\n")


def write_points_long(path, res: ChainResult, idx) -> None:
    extra, total = res.extra, res.total_uz
    with open(path, "w", encoding="utf-8") as f:
        f.write("name,x,y,date,time_yr,deep_uz_m,level_change_m,ditch_level_m,groundwater_m,shallow_settlement_m,"
                "extra_shallow_m,total_uz_m\n")
        for i in idx:
            for j, n in enumerate(res.names):
                f.write(f"{n},{res.x[j]:.3f},{res.y[j]:.3f},{res.dates[i]},{res.times[i] / (365.25 * 86400):.6g},"
                        f"{res.deep_uz[i, j]:.6e},{res.level_change[i, j]:.6e},{res.ditch_level[i, j]:.6g},"
                        f"{res.gw_mean[i, j]:.6g},{res.shallow[i, j]:.6e},{extra[i, j]:.6e},{total[i, j]:.6e}\n")


def plot_site(path, res: ChainResult, *, title: str, j: int = 0) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    d = res.dates.astype("datetime64[D]").astype(object)
    fig, ax = plt.subplots(4, 1, figsize=(10, 11), sharex=True)
    ax[0].bar(d, res.precipitation_mm, width=1.0, color="tab:blue", label="precipitation")
    ax[0].plot(d, res.evaporation_mm, color="tab:orange", lw=0.8, label="Makkink evaporation")
    ax[0].set_ylabel("mm/day")
    ax[0].legend(loc="upper left", fontsize=8)
    ax[1].plot(d, res.ditch_level[:, j], color="tab:cyan", label="ditch level")
    ax[1].plot(d, res.gw_mean[:, j], color="tab:blue", label="groundwater (parcel mean)")
    ax[1].plot(d, res.gw_mid[:, j], color="tab:blue", lw=0.6, ls=":", label="groundwater (mid-parcel)")
    ax[1].plot(d, _ref(res)[:, j], color="0.5", lw=0.8, ls="--", label="counterfactual")
    if res.aquifer_head is not None:
        ax[1].plot(d, res.aquifer_head[:, j], color="tab:purple", lw=0.8, label="aquifer head")
    ax[1].set_ylabel("level, land frame (m, surface = 0)")
    ax[1].legend(loc="lower left", fontsize=8, ncol=2)
    mm = 1e3
    for k, n in enumerate(res.layer_names):
        ax[2].plot(d, -mm * res.layer_settlement[:, j, k], lw=0.9, label=f"layer {n}")
    ax[2].plot(d, -mm * res.oxidation[:, j], color="k", ls=":", label="of which oxidation")
    ax[2].set_ylabel("shallow (mm, up +)")
    ax[2].legend(loc="lower left", fontsize=8, ncol=3)
    ax[3].plot(d, mm * res.deep_uz[:, j], label="deep")
    ax[3].plot(d, -mm * res.shallow[:, j], label="shallow")
    ax[3].plot(d, mm * res.total_uz[:, j], color="k", label="total")
    ax[3].plot(d, -mm * res.extra[:, j], color="tab:red", ls="--", label="extra shallow (run - counterfactual)")
    ax[3].set_ylabel("vertical displacement (mm)")
    ax[3].legend(loc="lower left", fontsize=8, ncol=2)
    for a in ax:
        a.grid(alpha=0.3)
    fig.suptitle(f"{title}: {res.names[j]}")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_points(path, res: ChainResult, *, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    d = res.dates.astype("datetime64[D]").astype(object)
    mm = 1e3
    fig, ax = plt.subplots(2, 2, figsize=(13, 8))
    series = [("deep", mm * res.deep_uz), ("shallow", -mm * res.shallow), ("total", mm * res.total_uz),
              ("extra shallow", -mm * res.extra)]
    a = ax[0, 0]
    for (label, s), c in zip(series, ("tab:blue", "tab:orange", "k", "tab:red")):
        a.plot(d, np.median(s, axis=1), color=c, label=f"{label} (median)")
        a.fill_between(d, np.percentile(s, 10, axis=1), np.percentile(s, 90, axis=1), color=c, alpha=0.15)
    a.set_ylabel("vertical displacement (mm, up +)")
    a.legend(fontsize=8)
    a.set_title("all points: median and 10-90 % band")
    a = ax[0, 1]
    a.plot(d, np.median(res.ditch_level, axis=1), color="tab:cyan", label="ditch level (median)")
    a.plot(d, np.median(res.gw_mean, axis=1), color="tab:blue", label="groundwater (median)")
    a.plot(d, np.median(_ref(res), axis=1), color="0.5", ls="--", lw=0.8, label="counterfactual groundwater (median)")
    a.set_ylabel("level, land frame (m)")
    a.legend(fontsize=8)
    for a, vals, label in ((ax[1, 0], mm * res.total_uz[-1], "total vertical (mm)"), (ax[1, 1], -mm * res.extra[-1], "extra shallow, vertical (mm, up +)")):
        sc = a.scatter(res.x, res.y, c=vals, s=14, cmap="viridis")
        fig.colorbar(sc, ax=a, label=f"{label} at {res.dates[-1]}")
        a.set_aspect("equal")
        a.set_xlabel("x (m)")
        a.set_ylabel("y (m)")
    for a in ax.ravel():
        a.grid(alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _co2_summary(res: ChainResult) -> dict:
    """CO₂ from peat oxidation over the run: kg/m² and t/ha/yr, mean over the points."""
    if res.co2 is None:
        return {}
    years = (res.times[-1] - res.times[0]) / (365.25 * 86400.0)
    kg = float(res.co2[-1].mean())
    return {"co2_emission_kg_per_m2_mean": kg, "co2_emission_t_per_ha_per_yr_mean": kg * 10.0 / years if years > 0 else 0.0}


def chain_summary(res: ChainResult) -> dict:
    last = -1
    return {
        "start": str(res.dates[0]), "end": str(res.dates[-1]), "n_points": len(res.names),
        "deep_uz_m": {"min": float(res.deep_uz[last].min()), "max": float(res.deep_uz[last].max())},
        "shallow_settlement_m": {"min": float(res.shallow[last].min()), "max": float(res.shallow[last].max()),
                                 "mean": float(res.shallow[last].mean())},
        "oxidation_m_mean": float(res.oxidation[last].mean()),
        **_co2_summary(res),
        "extra_shallow_settlement_m": {"min": float(res.extra[last].min()), "max": float(res.extra[last].max()),
                                       "mean": float(res.extra[last].mean())},
        "counterfactual_settlement_m": float(res.shallow_ref[last]) if res.shallow_ref_points is None
        else float(res.shallow_ref_points[last].mean()),
        **({"soil_profiles": {p: res.point_profiles.count(p) for p in dict.fromkeys(res.point_profiles)}}
           if res.point_profiles and len(set(res.point_profiles)) > 1 else {}),
        "total_uz_m": {"min": float(res.total_uz[last].min()), "max": float(res.total_uz[last].max())},
        "groundwater_mass_balance_rel_error": res.balance_error,
        "lumped_groundwater": res.lumped_resistances,
    }


def map_fields(res: ChainResult) -> dict:
    """The fields of the maps (``[output] map_cell``): end-of-run values and mean rates per point."""
    last = -1
    years = max(res.times[-1] / (365.25 * 86400.0), 1e-12)
    m = {"units": "m"}
    out = {
        "shallow_settlement": (res.shallow[last], {**m, "long_name": "shallow settlement at the end (down positive)"}),
        "compaction": (res.compaction[last], {**m, "long_name": "shallow settlement by compaction at the end (down positive)"}),
        "oxidation": (res.oxidation[last], {**m, "long_name": "shallow settlement by oxidation at the end (down positive)"}),
        "extra_shallow": (res.extra[last], {**m, "long_name": "extra shallow settlement at the end: run minus "
                                                              "counterfactual (down positive)"}),
        "deep_uz": (res.deep_uz[last], {**m, "long_name": "upward displacement from deep subsidence at the end"}),
        "total_uz": (res.total_uz[last], {**m, "long_name": "total upward displacement at the end: deep minus shallow"}),
        "shallow_rate": (res.shallow[last] / years, {"units": "m/yr", "long_name": "mean shallow settlement rate over the run"}),
    }
    if res.co2 is not None and np.any(res.co2):
        out["co2_emission"] = (res.co2[last], {"units": "kg m-2", "long_name": "cumulative CO2 from oxidation at the end"})
    return out


def write_all(rundir, res: ChainResult, case, *, interval_days: int, title: str, plots: bool = True) -> dict:
    idx = output_index(res, interval_days)
    summary = write_surface_outputs(rundir, surface_result(res, case, idx), title=title, plots=plots,
                                    point_extra=point_series(res, idx))
    summary.pop("points", None) if len(res.names) > 10 else None
    summary.update(chain_summary(res))
    forcing = getattr(getattr(case, "config", None), "forcing", None)
    if forcing is not None and hasattr(forcing, "describe"):
        summary["forcing"] = forcing.describe()
    if rundir.rank == 0:
        cell = getattr(getattr(case, "config", None), "map_cell", None)
        if cell:
            from subsidence.shallow.maps import write_maps

            write_maps(rundir.path, res.x, res.y, map_fields(res), cell=cell, crs=case.crs, title=title)
            summary["maps"] = {"cell_m": cell, "files": ["maps.nc", "maps/*.tif"]}
        write_csv(rundir.file("glg_ghg.csv"), glg_table(res))
        if len(res.names) == 1:
            write_site_timeseries(rundir.file("timeseries.csv"), res)
            if plots:
                plot_site(rundir.file("timeseries.png"), res, title=title)
        else:
            write_points_long(rundir.file("chain_points.csv"), res, idx)
            if plots:
                plot_points(rundir.file("chain.png"), res, title=title)
                k = int(np.argmax(res.extra[-1]))
                plot_site(rundir.file("timeseries_most_extra.png"), res, title=title, j=k)
    return summary
