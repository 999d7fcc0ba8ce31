"""``report.html`` of a calibration: self-contained (figures embedded), in the style of the
validation report. Sections: verdict; data, noise and settings; scores in and out of sample
against the statistical baselines; the assimilation history; prior and posterior of every
parameter; maps of the per-point posteriors and of the calibrated deep and shallow rates;
fan charts at selected points.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import numpy as np

from subsidence.insar.figures import LABEL, _plt
from subsidence.insar.report import _img
from subsidence.calibration.output import _display
from subsidence.calibration.scores import WEATHER, _velocity

CSS = """body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}table{border-collapse:collapse;margin:1em 0}
td,th{border:1px solid #bbb;padding:3px 7px;text-align:right}th{background:#eee}td:first-child,th:first-child{text-align:left}
figure{margin:1em 0}img{max-width:100%}.verdict{padding:.8em;border-left:6px solid #c33;background:#fee}
.verdict.ok{border-color:#3a3;background:#efe}figcaption{font-size:90%;color:#555}"""


def _f(v, scale=1.0, nd=2):
    return "–" if v is None or not np.isfinite(v) else f"{v * scale:.{nd}f}"


def _geometry_text(read: dict) -> str:
    """How the product was read, as one clause: format, heading, look, incidence, unit."""
    parts = [str(read["format"])] if read.get("format") else []
    if read.get("heading_deg") is not None:
        passed = f"{read['pass']} pass, " if read.get("pass") else ""
        parts.append(f"{passed}heading {float(read['heading_deg']):g}°, {read.get('look', 'right')}-looking")
    for key in ("incidence", "unit", "source_crs"):
        if read.get(key):
            parts.append(f"{key.replace('_', ' ')} {read[key]}")
    return f" ({', '.join(parts)})" if parts else ""


def _save(fig, axes, used: int, path: Path) -> Path:
    """Hide the unused panels, write the PNG, close the figure."""
    import matplotlib.pyplot as plt

    for ax in list(axes.flat)[used:]:
        ax.set_visible(False)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=85)
    plt.close(fig)
    return path


def fig_parameters(cal, A, path: Path) -> Path | None:
    ng = len(cal.names)
    if ng == 0:
        return None
    plt = _plt()
    ncol = min(ng, 3)
    nrow = int(np.ceil(ng / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(4.2 * ncol, 3.0 * nrow), squeeze=False)
    for i, name in enumerate(cal.names):
        ax = axes.flat[i]
        a, b = A["g_prior"][:, i], A["g_post"][:, i]
        bins = np.linspace(min(a.min(), b.min()), max(a.max(), b.max()), 25)
        ax.hist(a, bins=bins, alpha=0.45, color="0.5", label="prior")
        ax.hist(b, bins=bins, alpha=0.6, color="tab:blue", label="posterior")
        ax.set_title(name, fontsize=9)
        ax.legend(fontsize=7)
    return _save(fig, axes, ng, path)


def fig_maps(cal, A, path: Path) -> Path:
    """Per-point posterior median and P95−P5 width of each per-point parameter; deep and shallow rates."""
    obs = cal.obs
    panels = []
    for k, (name, q) in enumerate(cal.pp_terms):
        scale, u = _display(q)
        v = A["pvals"][:, k, :] * scale
        panels.append((f"{name}: posterior median [{u}]", np.median(v, axis=0), "RdBu_r", True))
        panels.append((f"{name}: P95 − P5 [{u}]", np.percentile(v, 95, 0) - np.percentile(v, 5, 0), "viridis", False))
    for k, f in enumerate(cal.fields):
        v = A["fvals"][:, k, :]
        u = f.unit or "bare"
        panels.append((f"{f.name} (per point): posterior median [{u}]", np.median(v, axis=0), "viridis", False))
        panels.append((f"{f.name}: P95 − P5 [{u}]", np.percentile(v, 95, 0) - np.percentile(v, 5, 0), "viridis", False))
    r = A["rates"]
    panels.append(("deep rate, vertical, median [mm/yr]", r["deep"][1], "RdBu_r", True))
    panels.append(("shallow rate (model + background), median [mm/yr]", r["shallow"][1], "RdBu_r", True))
    panels.append(("deep rate P95 − P5 [mm/yr]", r["deep"][2] - r["deep"][0], "viridis", False))
    panels.append(("shallow rate P95 − P5 [mm/yr]", r["shallow"][2] - r["shallow"][0], "viridis", False))
    plt = _plt()
    ncol = 2
    nrow = int(np.ceil(len(panels) / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(10, 4.0 * nrow), squeeze=False)
    for ax, (title, val, cmap, sym) in zip(axes.flat, panels):
        if sym:
            lim = float(np.nanmax(np.abs(val))) or 1.0
            sc = ax.scatter(obs.x / 1e3, obs.y / 1e3, c=val, s=14, cmap=cmap, vmin=-lim, vmax=lim)
        else:
            sc = ax.scatter(obs.x / 1e3, obs.y / 1e3, c=val, s=14, cmap=cmap)
        fig.colorbar(sc, ax=ax, shrink=0.8)
        ax.set_title(title, fontsize=9)
        ax.set_aspect("equal")
        ax.set_xlabel("x [km]")
        ax.set_ylabel("y [km]")
    return _save(fig, axes, len(panels), path)


def pick_points(cal, A, n: int = 6) -> list[int]:
    """Points spread over the observed velocity range."""
    obs = cal.obs
    t = A["t"]
    v = _velocity(obs.D[:, obs.cal], t[obs.cal])
    order = np.argsort(v)
    return [int(order[k]) for k in np.unique(np.round(np.linspace(0, len(order) - 1, min(n, len(order)))).astype(int))]


def fig_fans(cal, A, path: Path) -> Path:
    obs = cal.obs
    idx = pick_points(cal, A)
    dates = obs.dates.astype("datetime64[D]").astype(object)
    plt = _plt()
    fig, axes = plt.subplots(int(np.ceil(len(idx) / 2)), 2, figsize=(11, 2.6 * int(np.ceil(len(idx) / 2))), squeeze=False)
    last_cal = obs.dates[obs.cal][-1].astype(object)
    for ax, i in zip(axes.flat, idx):
        for key, color, label in (("prior_series", "0.6", "prior P10–P90"), ("post_series", "tab:blue", "posterior P10–P90")):
            if key not in A:  # (a forecast check has the posterior only)
                continue
            e = A[key][:, i, :] * 1e3
            lo, mid, hi = np.percentile(e, [10, 50, 90], axis=0)
            ax.fill_between(dates, lo, hi, color=color, alpha=0.3, label=label, lw=0)
            if key == "post_series":
                ax.plot(dates, mid, color=color, lw=1.2, label="posterior median")
        ax.plot(dates, obs.D[i] * 1e3, ".", ms=3, color="k", label="observed")
        if (~obs.cal).any():
            ax.axvline(last_cal, color="tab:red", ls="--", lw=1, label="end of calibration data")
        ax.set_title(f"point {obs.ids[i]}", fontsize=9)
        ax.set_ylabel(f"{obs.component.upper() if obs.component == 'los' else obs.component} [mm]")
    axes.flat[0].legend(fontsize=7, loc="lower left")
    return _save(fig, axes, len(idx), path)


def horizon_table(hz: list[dict]) -> str:
    """HTML table of the out-of-sample scores by forecast horizon (``scores_by_horizon``): per bin
    and prediction the RMSE and, in brackets, the bias (observed − predicted), both in mm. A bias
    that grows with the horizon is a model whose rate drifts from the data's; the RMSE alone hides
    it among the noise."""
    if not hz:
        return ""
    names = list(dict.fromkeys(n for h in hz for n in h["scores"]))

    def cell(sc):
        b = sc.get("bias_m")
        return f"<td>{_f(sc.get('rmse_m'), 1e3)}" + ("" if b is None else f" ({b * 1e3:+.2f})") + "</td>"

    rows = "".join(
        f"<tr><td>{h['lead_from_yr']:g} – {'' if h['lead_to_yr'] is None else format(h['lead_to_yr'], 'g')} yr</td><td>{h['epochs']}</td>"
        + "".join(cell(h["scores"].get(n, {})) for n in names) + "</tr>" for h in hz)
    return ("<p>Out-of-sample RMSE [mm] by forecast horizon (time after the last calibration epoch), in brackets the "
            "bias (observed − predicted) [mm]: a per-point extrapolation drifts off as the horizon grows, so one "
            "horizon's figure says little about another's, and a bias that grows with the horizon is a rate that "
            "drifts from the data's.</p>"
            "<table><tr><th>horizon</th><th>epochs</th>" + "".join(f"<th>{html.escape(n)}</th>" for n in names)
            + f"</tr>{rows}</table>")


def write_report(out: Path, cal, result, summary) -> Path:
    out = Path(out)
    doc, A = summary["doc"], summary["arrays"]
    figdir = out / "figures"
    figdir.mkdir(parents=True, exist_ok=True)
    figs = []
    p = fig_parameters(cal, A, figdir / "parameters.png")
    if p:
        figs.append(("Prior (grey) and posterior (blue) of the global parameters", p))
    figs.append(("Per-point posteriors and the calibrated deep and shallow rates (vertical, over the calibration period)",
                 fig_maps(cal, A, figdir / "maps.png")))
    figs.append(("Fan charts: observed (dots), prior and posterior P10–P90 of the model (offset per point as the nuisance estimate)",
                 fig_fans(cal, A, figdir / "fan_charts.png")))
    ok = doc["chi2_per_value"]["posterior"] is not None and doc["chi2_per_value"]["posterior"] <= 1.5 and "NOT" not in doc["verdict"] \
        and not doc.get("prior_data_conflicts")
    d = doc["data"]
    nz = doc["noise"]["model"]
    settings = [
        ("data", f"{html.escape(d['file'])}: {d['points']} points, {d['epochs']} epochs {d['first']} … {d['last']}; "
                 f"{LABEL.get(d['component'], d['component'])}{html.escape(_geometry_text(d.get('read') or {}))}"),
        ("calibration epochs / held out", f"{d['calibration_epochs']} (to {d['last_calibration']}) / {d['held_out_epochs']}"),
        ("method", f"{doc['method']}, {doc['ensemble']} members, {doc['assimilations']} assimilations ({doc['inflation']}), seed {doc['seed']}"),
        ("offset per point", "nuisance, marginalised (each series compared with its mean removed)" if doc["offset"] == "per-point"
         else "none (the data's own reference epoch)"),
        ("noise", f"{html.escape(doc['noise']['source'])}: white {nz['white_sigma_mm']:.2f} mm, spatial {nz['spatial_sigma_mm']:.2f} mm "
                  f"(range {nz['spatial_range_km']:.2f} km), temporal {nz['temporal_sigma_mm']:.2f} mm (range {nz['temporal_range_yr']:.2f} yr); "
                  f"RMSE of a perfect model under it {doc['noise']['expected_rmse_of_a_perfect_model_m'] * 1e3:.2f} mm"),
        ("skipped", html.escape(json.dumps(d["skipped"])) or "nothing"),
    ]
    for name, q in doc.get("point_priors", {}).items():
        if name == "estimation":
            continue
        est = f" ({', '.join(q['estimated'])} estimated from the data, type-II maximum likelihood)" if q["estimated"] else ""
        settings.append((f"per-point prior: {html.escape(name)}",
                         f"mean {q['mean']:.3g} ± {q['mean_sd']:.3g} {q['unit']}, spread {q['sd']:.3g} {q['unit']}, "
                         f"correlation length {q['correlation_length_m'] / 1e3:.3g} km{est}"))
    srows = ""
    for label, sc in doc["scores"].items():
        srows += f"<tr><th colspan=7>{label.replace('_', ' ')}</th></tr>"
        for name, s in sc.items():
            srows += (f"<tr><td>{html.escape(name)}</td><td>{_f(s.get('rmse_m'), 1e3)}</td><td>{_f(s.get('bias_m'), 1e3)}</td>"
                      f"<td>{_f(s.get('median_point_rmse_m'), 1e3)}</td><td>{_f(s.get('velocity_rmse_m_per_yr'), 1e3)}</td>"
                      f"<td>{_f(s.get('coverage_p10_p90'), 100, 0)}</td><td>{_f(s.get('crps_m'), 1e3)}</td></tr>")
    vb = doc.get("versus_baselines_out_of_sample") or {}
    vbrows = "".join(
        f"<tr><td>{html.escape(name)}</td><td>{_f(v['rmse_difference_m'], 1e3)}</td><td>{_f(v['p5_m'], 1e3)} … {_f(v['p95_m'], 1e3)}</td>"
        f"<td>{_f(v['probability_better'], 100, 0)}</td><td>{'yes' if v['resolved'] else 'no'}</td></tr>"
        for name, v in vb.items() if v)
    vbtable = ("<p>Posterior ensemble mean against each baseline on the held-out epochs: RMSE difference (negative: the model is "
               "better) with a 90 % interval from a bootstrap over points and blocks of epochs (the noise model's temporal range "
               f"long). An interval that holds 0 is a difference these data do not resolve.</p><table><tr><th>baseline</th>"
               f"<th>RMSE model − baseline [mm]</th><th>90 % interval [mm]</th><th>model better in [% of draws]</th><th>resolved</th></tr>"
               f"{vbrows}</table>") if vbrows else ""
    hztable = horizon_table(doc.get("scores_by_horizon") or [])
    wb = doc.get("weather_baseline")
    wbtext = ("" if not wb else
              f"<p>{html.escape(WEATHER)}: per point an offset, a trend and the weather terms of SPAMS (Conroy et al. 2023: the "
              f"sum of x_p P − x_e E over the {wb['tau_days']} days before each epoch and x_i × the dry days so far), fitted "
              f"on the calibration epochs and extrapolated with the observed weather; window and x_e/x_p = "
              f"{wb['evaporation_factor_ratio']:g} common to all points, chosen on the calibration misfit. Points with the "
              f"paper's signs: x_p &gt; 0 {_f(wb.get('share_points_xp_positive'), 100, 0)} %, x_i &lt; 0 "
              f"{_f(wb.get('share_points_xi_negative'), 100, 0)} %.</p>")
    prow = ""
    for q in doc["parameters"]:
        prow += (f"<tr><td>{html.escape(q['name'])}</td><td>{html.escape(q['path'])}</td><td>{html.escape(str(q['unit']))}</td>"
                 + "".join(f"<td>{v:.4g}</td>" for v in q["prior_p5_p50_p95"])
                 + "".join(f"<td>{v:.4g}</td>" for v in q["posterior_p5_p50_p95"]) + f"<td>{q['sd_ratio']:.2f}</td>"
                 + f"<td>{_f(q.get('posterior_median_prior_percentile'), 1, 1)}</td></tr>")
    vm = doc.get("validation_metrics_calibration_epochs", {})
    vkeys = [("RMSE [mm]", "rmse_m", 1e3), ("velocity obs / model [mm/yr]", None, 1e3),
             ("velocity RMSE [mm/yr]", "velocity_rmse_m_per_yr", 1e3), ("velocity correlation", "velocity_corr", 1),
             ("annual phasor misfit [mm]", "seasonal_phasor_rmse_m", 1e3),
             ("annual cycle, coherent part obs / model [mm]", "coherent", 1e3),
             ("annual cycle, phase coherence obs / model", "coherence", 1)]
    vrows = ""
    for label, key, sc in vkeys:
        cells = ""
        for name in vm:
            o = vm[name]
            if key is None:
                v = f"{_f(o.get('mean_velocity_obs_m_per_yr'), sc)} / {_f(o.get('mean_velocity_model_m_per_yr'), sc)}"
            elif key == "coherent":
                v = f"{_f(o.get('seasonal_coherent_amplitude_obs_m'), sc)} / {_f(o.get('seasonal_coherent_amplitude_model_m'), sc)}"
            elif key == "coherence":
                v = f"{_f(o.get('seasonal_phase_coherence_obs'), sc)} / {_f(o.get('seasonal_phase_coherence_model'), sc)}"
            else:
                v = _f(o.get(key), sc, 3 if sc == 1 else 2)
            cells += f"<td>{v}</td>"
        vrows += f"<tr><td>{html.escape(label)}</td>{cells}</tr>"
    vhead = "".join(f"<th>{html.escape(n)}</th>" for n in vm)
    hkeys = list(dict.fromkeys(k for h in doc["history"] for k in h))
    hfmt = lambda v: f"{v:.4g}" if isinstance(v, float) else str(v)  # noqa: E731
    hrow = ("<tr>" + "".join(f"<th>{html.escape(k.replace('_', ' '))}</th>" for k in hkeys) + "</tr>"
            + "".join("<tr>" + "".join(f"<td>{html.escape(hfmt(h.get(k, '')))}</td>" for k in hkeys) + "</tr>"
                      for h in doc["history"]))
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in doc["notes"]) or "<li>none</li>"
    pdc = doc.get("prior_data_conflicts") or []
    conflicts = ("<p class=\"verdict\">Prior–data conflict (posterior median outside P2.3–P97.7 of the prior):</p><ul>"
                 + "".join(f"<li>{html.escape(c)}</li>" for c in pdc) + "</ul>") if pdc else \
        "<p>No prior–data conflict: every posterior median lies within P2.3–P97.7 of its prior.</p>"
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>Calibration: {html.escape(doc['case'])}</title>
<style>{CSS}</style></head><body>
<h1>Calibration of {html.escape(doc['case'])} against InSAR</h1>
<p class="verdict{' ok' if ok else ''}">{html.escape(doc['verdict'])}</p>
<h2>Data and settings</h2><table>{''.join(f'<tr><th>{a}</th><td>{b}</td></tr>' for a, b in settings)}</table>
<h2>Scores (residual = observed − predicted, data reference)</h2>
<p>Model predictions carry their per-point offset estimated on the calibration epochs; the baselines are fitted per point on the
calibration epochs and extrapolated. Coverage: share of observations inside the P10–P90 predictive interval (model spread + noise;
80 % is calibrated). CRPS: continuous ranked probability score (lower is better; for a point forecast it is the mean absolute error).</p>
<table><tr><th>prediction</th><th>RMSE [mm]</th><th>bias [mm]</th><th>median point RMSE [mm]</th><th>velocity RMSE [mm/yr]</th>
<th>P10–P90 coverage [%]</th><th>CRPS [mm]</th></tr>{srows}</table>
{wbtext}
{vbtable}
{hztable}
<h2>Fit of the ensemble means on the calibration epochs (the metrics of <code>subsidence validate</code>, offset per point removed)</h2>
<table><tr><th>metric</th>{vhead}</tr>{vrows}</table>
<h2>Assimilations</h2><p>χ²/N of the ensemble-mean residual (projected data, weighted with the noise above; ≈ 1 is a fit to the noise level).</p>
<table>{hrow}</table>
<h2>Parameters</h2>
<table><tr><th>name</th><th>case-file path</th><th>unit</th><th>prior P5</th><th>P50</th><th>P95</th><th>posterior P5</th><th>P50</th><th>P95</th>
<th>sd posterior/prior</th><th>posterior P50 at prior percentile</th></tr>{prow}</table>
{conflicts}
{''.join(_img(p, t) for t, p in figs)}
<h2>Notes</h2><ul>{notes}</ul>
<h2>Case file</h2><pre>{html.escape(cal.case.text)}</pre>
</body></html>"""
    path = out / "report.html"
    path.write_text(page, encoding="utf-8")
    return path
