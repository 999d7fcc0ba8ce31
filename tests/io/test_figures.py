"""Figures: outlines and named points on maps, one-sided colour scale, line-style legend, km with
the CRS, cavern history reference lines and scenario title."""

import datetime as _dt

import numpy as np
import pytest

pytestmark = pytest.mark.serial


def _result(uplift: bool):
    from subsidence.deep.geometry import Disc
    from subsidence.io.surface import SurfaceResult

    x = np.linspace(-5000.0, 5000.0, 41)
    y = np.linspace(-4000.0, 4000.0, 33)
    X, Y = np.meshgrid(x, y)
    bowl = -0.02 * np.exp(-(X**2 + Y**2) / 2e6)
    uz = bowl + (0.004 * np.exp(-((X - 3000) ** 2 + Y**2) / 1e6) if uplift else 0.0)
    g = uz[None]
    return SurfaceResult(times=np.array([3.15576e8]), x=x, y=y, grid_ux=0 * g, grid_uy=0 * g, grid_uz=g,
                         point_names=["A", "B"], point_x=np.array([0.0, 2000.0]), point_y=np.array([0.0, 500.0]),
                         point_ux=np.zeros((1, 2)), point_uy=np.zeros((1, 2)), point_uz=np.zeros((1, 2)),
                         crs="EPSG:28992", start_date=_dt.date(2015, 1, 1),
                         outlines=[("disc", Disc(center=(0.0, 0.0), radius=2000.0))])


def test_colour_scale_is_one_sided_when_nothing_rises():
    from subsidence.io.plots import colour_scale

    assert colour_scale(np.array([-3.0, -1.0, 0.0])) == ("Blues_r", -3.0, 0.0)
    assert colour_scale(np.array([0.0, 2.0]))[0] == "Reds"
    assert colour_scale(np.array([-3.0, 1.0])) == ("RdBu", -3.0, 3.0)


@pytest.mark.parametrize("uplift", [False, True])
def test_map_has_outline_points_km_and_crs(tmp_path, monkeypatch, uplift):
    import matplotlib.pyplot as plt

    from subsidence.io import plots

    figs = []
    real_close = plt.close
    monkeypatch.setattr(plt, "close", lambda fig=None: figs.append(fig) or real_close(fig))
    files = plots.plot_surface(_result(uplift), tmp_path, title="t")
    assert [f.name for f in files] == ["subsidence_map.png", "cross_section.png"] and files[0].stat().st_size > 0
    ax = figs[0].axes[0]
    labels = [h.get_label() for h in ax.get_legend().legend_handles]
    assert {"reservoir outline", "output points", "deepest point", "cross-section"} <= set(labels)
    assert {"A", "B", "disc"} <= {t.get_text() for t in ax.texts}
    assert "km" in ax.get_xlabel() and "EPSG:28992" in ax.get_xlabel() and "RD New" in ax.get_xlabel()
    assert ax.get_xlim()[1] == pytest.approx(5.0)  # km
    mesh = ax.collections[0]
    assert mesh.get_cmap().name == ("RdBu" if uplift else "Blues_r")
    assert mesh.norm.vmax == (pytest.approx(-mesh.norm.vmin) if uplift else 0.0)


def test_point_series_legend_explains_solid_and_dotted(tmp_path, monkeypatch):
    import matplotlib.pyplot as plt

    from subsidence.io.plots import plot_point_series

    figs = []
    real_close = plt.close
    monkeypatch.setattr(plt, "close", lambda fig=None: figs.append(fig) or real_close(fig))
    t = np.array([0.0, 1.0, 2.0]) * 3.15576e7
    plot_point_series(t, ["A", "B"], np.zeros((3, 2)), -np.ones((3, 2)), tmp_path, title="t")
    texts = [t.get_text() for leg in figs[0].axes[0].findobj(plt.matplotlib.legend.Legend) for t in leg.get_texts()]
    assert any(s.startswith("solid: uz") for s in texts) and any(s.startswith("dotted: ux") for s in texts)
    assert {"A", "B"} <= set(texts)


def test_cavern_history_has_reference_lines_and_scenario_title(tmp_path):
    from subsidence.cavern.report import plot_histories

    rows = [{"cavern": "c1", "time_yr": t, "pressure_MPa": 10 - t, "volume_loss_rel": 0.01 * t, "bled_m3": 0.0,
             "fs_devries": 2.0 - 0.3 * t, "tension_margin_MPa": 1.0 - t, "brine_T_C": 40.0} for t in range(5)]
    fig = plot_histories(tmp_path / "h.png", {"withdrawal": rows}, title="case-x")
    assert (tmp_path / "h.png").stat().st_size > 0
    assert fig._suptitle.get_text() == "case-x: cavern history, scenario withdrawal"
    by_label = {ln.get_label(): ln for ax in fig.axes for ln in ax.get_lines()}
    fs1 = by_label["FS = 1: dilatancy onset"]
    assert np.allclose(fs1.get_ydata(), 1.0) and fs1.get_linestyle() == "--"
    assert np.allclose(by_label["σmin − P = 0: tensile effective stress"].get_ydata(), 0.0)
    fig = plot_histories(tmp_path / "h2.png", {"a": rows, "b": rows})
    assert fig._suptitle.get_text() == "Cavern history, scenarios a, b"
