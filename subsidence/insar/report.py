"""``report.html`` (self-contained: figures embedded as base64 PNG) and ``validation.json``."""

from __future__ import annotations

import base64
import datetime as _dt
import html
import json
from pathlib import Path

import numpy as np

from subsidence.insar import figures
from subsidence.insar.figures import LABEL

CONVENTIONS = (
    "East-North-Up, metres; up positive (subsidence is negative). Line of sight (LOS) is the unit "
    "vector from the ground towards the satellite, so a LOS displacement is positive when the ground "
    "moves towards the satellite. Residual = observed − model. Velocity = b and seasonal amplitude = "
    "√(c²+d²) of the least-squares fit a + bt + c·cos 2πt + d·sin 2πt (t in years; without the annual "
    "terms for series shorter than a year); the annual cycle is compared as the phasor A = c + i·d "
    "(rotated to the calendar year): its peak (maximum uplift, or motion towards the satellite for LOS) "
    "falls at the month given; coherent amplitude = |mean A| over points, phase coherence = |mean A/|A||."
)


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _month(m) -> str:
    """Month number (1.0 = 1 January) → 'mid Jan' style text."""
    if m is None or not np.isfinite(m):
        return "–"
    k = int(np.floor(m - 1.0)) % 12
    frac = (m - 1.0) - np.floor(m - 1.0)
    part = "early" if frac < 1 / 3 else ("mid" if frac < 2 / 3 else "late")
    return f"{part} {_MONTHS[k]}"


def noise_text(nz: dict) -> str:
    """One line on the noise the misfit is weighted with (the estimate, when from the data)."""
    mdl = nz.get("model")
    if not mdl:
        return str(nz.get("source", ""))
    txt = (f"white σ0 {mdl['white_sigma_mm']:.2f} mm, spatial σs {mdl['spatial_sigma_mm']:.2f} mm (range {mdl['spatial_range_km']:.2f} km), "
           f"temporal σt {mdl['temporal_sigma_mm']:.2f} mm (range {mdl['temporal_range_yr']:.2f} yr)")
    est = nz.get("estimate")
    if est:
        bounds = [n for n, k in (("spatial", "spatial_range_at_bound"), ("temporal", "temporal_range_at_bound")) if est.get(k)]
        txt = (f"noise estimated from the data: {txt}; from {est['points']} points' residuals about their own "
               f"{'trend + annual' if est['fit_parameters_per_point'] == 4 else 'linear'} fit (scatter "
               f"{1e3 * est['scatter_about_fit_m']:.2f} mm)" + (f"; {' and '.join(bounds)} range at its bound" if bounds else ""))
    return txt


def comparison_json(label: str, c) -> dict:
    ds = c.ds
    per_point = []
    for i in range(ds.n):
        per_point.append({
            "id": str(ds.ids[i]), "x": round(float(ds.x[i]), 3), "y": round(float(ds.y[i]), 3),
            "model_source": str(c.source[i]),
            **{k: _num(v[i]) for k, v in c.points.items()},
        })
    return {
        "label": label,
        "component": ds.component,
        "data": ds.summary(),
        "reference": {
            "epoch": None if c.ref_epoch is None else str(ds.dates[c.ref_epoch]),
            "points": None if c.ref_points is None else [str(ds.ids[i]) for i in c.ref_points],
        },
        "model_start_date": str(c.start_date),
        "overall": c.overall,
        "noise_weighted": c.noise,
        "points": per_point,
    }


def _num(v):
    v = v.item() if hasattr(v, "item") else v
    if isinstance(v, float) and not np.isfinite(v):
        return None
    return v


def _clean(obj):
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    return obj


def write_points_csv(path: Path, c) -> None:
    keys = list(c.points)
    with open(path, "w", encoding="utf-8") as f:
        f.write("id,x,y," + ",".join(keys) + "\n")
        for i in range(c.ds.n):
            f.write(f"{c.ds.ids[i]},{c.ds.x[i]:.3f},{c.ds.y[i]:.3f}," + ",".join(f"{float(c.points[k][i]):.6g}" for k in keys) + "\n")


def write_report(out: Path, comparisons: list[tuple[str, object]], *, run, options, command: str = "") -> dict:
    """Write figures, ``validation.json``, per-point CSVs and ``report.html`` into ``out``."""
    out = Path(out)
    (out / "figures").mkdir(parents=True, exist_ok=True)
    from subsidence import __version__

    doc = {
        "generated_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "toolkit_version": __version__,
        "command": command,
        "conventions": CONVENTIONS,
        "model": {
            "run": str(run.path) if run.path else None,
            "case": run.case_name,
            "crs": run.crs,
            "start_date": str(run.start_date),
            "case_sha256": run.manifest.get("case_sha256"),
            "git_commit": run.manifest.get("toolkit", {}).get("git_commit"),
        },
        "options": {k: (list(v) if isinstance(v, tuple) else v) for k, v in vars(options).items() if k != "noise"},
        "datasets": [],
    }
    sections = []
    for k, (label, c) in enumerate(comparisons):
        stem = f"{k + 1}_{_slug(label)}"
        figs = {
            "Observed and modelled velocity, velocity residual and RMSE per point": figures.velocity_maps(c, out / "figures" / f"{stem}_maps.png", title=label),
            "Time series at selected points (observed dots, model line)": figures.timeseries(
                c, out / "figures" / f"{stem}_timeseries.png", c.timeseries_ids(options.timeseries_points, options.n_timeseries), title=label),
            "Observed against modelled": figures.scatter(c, out / "figures" / f"{stem}_scatter.png", title=label),
            "Histogram of residuals": figures.histogram(c, out / "figures" / f"{stem}_residuals.png", title=label,
                                                        noise_sigma=c.noise.get("expected_rmse_m")),
        }
        write_points_csv(out / f"points_{stem}.csv", c)
        d = comparison_json(label, c)
        d["figures"] = {t: str(p.relative_to(out)) for t, p in figs.items()}
        d["points_csv"] = f"points_{stem}.csv"
        doc["datasets"].append(d)
        sections.append(_section(label, c, d, figs))
    doc = _clean(doc)
    (out / "validation.json").write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    (out / "report.html").write_text(_page(doc, sections, run), encoding="utf-8")
    return doc


def _slug(s: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in s).strip("_")[:40] or "data"


def _img(path: Path, caption: str) -> str:
    b64 = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return (f'<figure><img alt="{html.escape(caption)}" src="data:image/png;base64,{b64}">'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>")


def _fmt(v, scale=1.0, nd=2):
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return "–"
    return f"{v * scale:.{nd}f}"


def _season(o: dict, who: str) -> str:
    return (f"{_fmt(o.get(f'seasonal_amplitude_{who}_mean_m'), 1e3)}; {_fmt(o.get(f'seasonal_coherent_amplitude_{who}_m'), 1e3)}, "
            f"{_month(o.get(f'seasonal_peak_month_{who}'))}; {_fmt(o.get(f'seasonal_phase_coherence_{who}'), 1, 2)}")


def _section(label: str, c, d: dict, figs: dict) -> str:
    o, nz = c.overall, c.noise
    rows = [
        ("points / values compared", f"{o['points']} / {o['values']}"),
        ("RMSE [mm]", _fmt(o["rmse_m"], 1e3)),
        ("bias, mean(observed − model) [mm]", _fmt(o["bias_m"], 1e3)),
        ("correlation (all values)", _fmt(o["corr"], 1, 3)),
        ("median RMSE per point [mm]", _fmt(o["median_point_rmse_m"], 1e3)),
        ("velocity RMSE [mm/yr]", _fmt(o["velocity_rmse_m_per_yr"], 1e3)),
        ("velocity bias [mm/yr]", _fmt(o["velocity_bias_m_per_yr"], 1e3)),
        ("velocity correlation", _fmt(o["velocity_corr"], 1, 3)),
        ("mean velocity observed / model [mm/yr]", f"{_fmt(o['mean_velocity_obs_m_per_yr'], 1e3)} / {_fmt(o['mean_velocity_model_m_per_yr'], 1e3)}"),
        ("annual cycle observed: mean amplitude per point [mm]; coherent part |mean phasor| [mm], peaking; phase coherence",
         _season(o, "obs")),
        ("annual cycle model: mean amplitude per point [mm]; coherent part |mean phasor| [mm], peaking; phase coherence",
         _season(o, "model")),
        ("annual-cycle misfit: RMS over points of the phasor difference |A_obs − A_model| [mm]", _fmt(o.get("seasonal_phasor_rmse_m"), 1e3)),
        ("scatter of the data about their own trend + annual fit (RMSE floor of a smooth model) [mm]", _fmt(o["obs_scatter_about_own_fit_m"], 1e3)),
        (f"noise-weighted χ²/N ({html.escape(str(nz.get('source', '')))})", _fmt(nz.get("chi2_per_value"), 1, 3)),
        ("expected RMSE of a perfect model under the noise model [mm]", _fmt(nz.get("expected_rmse_m"), 1e3)),
        ("noise the misfit is weighted with", html.escape(noise_text(nz))),
    ]
    if c.offset == "per-point":
        rows.insert(1, ("per-point offset", "removed (each series de-meaned over its valid epochs; bias is zero by construction)"))
    if nz.get("note"):
        rows.append(("noise-weighted misfit note", html.escape(nz["note"])))
    table = "".join(f"<tr><th>{html.escape(a)}</th><td>{b}</td></tr>" for a, b in rows)
    ds = d["data"]
    skipped = "".join(f"<tr><td>{html.escape(k)}</td><td>{v}</td></tr>" for k, v in ds["skipped"].items()) or "<tr><td colspan=2>nothing skipped</td></tr>"
    prov = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(json.dumps(_clean(v)) if not isinstance(v, str) else v)}</td></tr>"
                   for k, v in ds["provenance"].items())
    ref = d["reference"]
    worst = np.argsort(-np.nan_to_num(c.points["rmse"], nan=-1))
    prow = "".join(
        f"<tr><td>{html.escape(str(c.ds.ids[i]))}</td><td>{c.ds.x[i]:.0f}</td><td>{c.ds.y[i]:.0f}</td>"
        f"<td>{_fmt(c.points['rmse'][i], 1e3)}</td><td>{_fmt(c.points['bias'][i], 1e3)}</td><td>{_fmt(c.points['corr'][i], 1, 2)}</td>"
        f"<td>{_fmt(c.points['vel_obs'][i], 1e3)}</td><td>{_fmt(c.points['vel_model'][i], 1e3)}</td>"
        f"<td>{_fmt(c.points['amp_obs'][i], 1e3)} ({_month(c.points['peak_month_obs'][i])})</td>"
        f"<td>{_fmt(c.points['amp_model'][i], 1e3)} ({_month(c.points['peak_month_model'][i])})</td></tr>"
        for i in worst[:500])
    figs_html = "".join(_img(p, t) for t, p in figs.items())
    return f"""
<section>
<h2>{html.escape(label)} — {html.escape(LABEL[c.ds.component])}</h2>
<p>{ds['points']} points, {ds['epochs']} epochs ({ds['first_date']} … {ds['last_date']}); missing values: {ds['missing_values']}.
Reference epoch: {html.escape(str(ref['epoch']))}; reference points: {html.escape(', '.join(ref['points']) if ref['points'] else 'none (each point relative to itself)')}.</p>
<table class="metrics">{table}</table>
{figs_html}
<h3>Skipped data</h3><table>{skipped}</table>
<h3>Data provenance</h3><table>{prov}</table>
<details><summary>Per-point metrics (worst RMSE first; all points in {html.escape(d['points_csv'])})</summary>
<table><tr><th>id</th><th>x [m]</th><th>y [m]</th><th>RMSE [mm]</th><th>bias [mm]</th><th>corr</th><th>v obs [mm/yr]</th><th>v model [mm/yr]</th><th>annual amp. obs [mm] (peak)</th><th>annual amp. model [mm] (peak)</th></tr>{prow}</table>
</details>
</section>"""


def _page(doc: dict, sections: list[str], run) -> str:
    m = doc["model"]
    man = run.manifest
    versions = man.get("versions", {})
    vrows = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>" for k, v in versions.items())
    case = html.escape(run.case_text or "(no case file in the run directory)")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>InSAR validation — {html.escape(str(m['case']))}</title>
<style>
body {{ font-family: sans-serif; max-width: 1150px; margin: 2em auto; color: #222; }}
table {{ border-collapse: collapse; margin: 0.5em 0 1em; font-size: 0.9em; }}
th, td {{ border: 1px solid #ccc; padding: 3px 8px; text-align: left; vertical-align: top; }}
table.metrics th {{ background: #f3f3f3; font-weight: normal; }}
figure {{ margin: 1em 0; }} figure img {{ max-width: 100%; border: 1px solid #ddd; }}
figcaption {{ font-size: 0.9em; color: #555; }} pre {{ background: #f7f7f7; padding: 0.6em; overflow-x: auto; }}
</style></head><body>
<h1>InSAR validation: {html.escape(str(m['case']))}</h1>
<p>Generated {html.escape(doc['generated_utc'])} by subsidence {html.escape(doc['toolkit_version'])}.
Model run: <code>{html.escape(str(m['run']))}</code> (CRS {html.escape(str(m['crs']))}, time 0 = {html.escape(str(m['start_date']))},
case sha256 {html.escape(str(m['case_sha256']))}, git {html.escape(str(m['git_commit']))}).</p>
<p><b>Sign conventions.</b> {html.escape(doc['conventions'])}</p>
{''.join(sections)}
<h2>Model case</h2><details><summary>case file</summary><pre>{case}</pre></details>
<h2>Provenance</h2><table>
<tr><th>command</th><td><code>{html.escape(doc['command'])}</code></td></tr>
<tr><th>options</th><td><code>{html.escape(json.dumps(doc['options']))}</code></td></tr>
{vrows}</table>
<script>
// marks the page once every figure has been decoded (checked by the browser test)
window.addEventListener("load", function () {{
  var imgs = Array.prototype.slice.call(document.images);
  var ok = imgs.filter(function (i) {{ return i.complete && i.naturalWidth > 0; }}).length;
  document.body.setAttribute("data-images", ok + "/" + imgs.length);
}});
</script>
</body></html>
"""
