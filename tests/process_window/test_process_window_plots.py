"""plot_bossung and plot_ed_window: figures with the expected artists and labels, saved as PNG."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from litho.errors import InvalidParameterError
from litho.process_window import FEMResult, ed_window, plot_bossung, plot_ed_window

matplotlib = pytest.importorskip("matplotlib")
from matplotlib.contour import ContourSet  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Rectangle as RectPatch  # noqa: E402

FOCUS = np.linspace(-150.0, 150.0, 13)
DOSE = np.linspace(17.0, 23.0, 7)
FF, DD = np.meshgrid(FOCUS, DOSE, indexing="ij")
LINE = 50.0 + 50.0 * np.log(DD / 20.0) + 1e-3 * FF ** 2
SPACE = 60.0 + 50.0 * np.log(DD / 20.0) + 0.8e-3 * (FF - 30.0) ** 2
FEM = FEMResult(FOCUS, DOSE, ["line", "space"], np.stack([LINE, SPACE], axis=-1))
PNG = b"\x89PNG\r\n\x1a\n"


def test_bossung_figure_has_data_fits_spec_and_legend(tmp_path):
    fig = plot_bossung(FEM, "line", target=50.0, tolerance=5.0)
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    ax = fig.axes[0]
    assert ax.get_xlabel() == "focus (nm)" and ax.get_ylabel() == "CD (nm)"
    assert ax.get_title() == "Bossung curves: line"
    # markers and fit per dose, then the target line
    assert len(ax.lines) == 2 * DOSE.size + 1
    markers = ax.lines[0:2 * DOSE.size:2]
    assert all(m.get_linestyle() == "None" and m.get_marker() == "o" for m in markers)
    np.testing.assert_allclose(markers[3].get_ydata(), LINE[:, 3])
    colours = {tuple(line.get_color()) for line in markers}
    assert len(colours) == DOSE.size   # coloured by dose
    assert len(ax.patches) == 1        # the spec band
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == [f"{d:g} mJ/cm²" for d in DOSE] + ["target 50 nm", "spec ±5 nm"]
    path = tmp_path / "bossung.png"
    fig.savefig(path, dpi=50)
    assert path.read_bytes()[:8] == PNG


def test_bossung_into_given_axes_with_unprinted_points():
    cd = np.array(FEM.cd)
    cd[:3, 0, 0] = np.nan
    cd[:, 1, 0] = np.nan
    fem = FEMResult(FOCUS, DOSE, FEM.gauges, cd)
    fig = Figure()
    ax = fig.add_subplot()
    out = plot_bossung(fem, 0, ax=ax, dose_unit="a.u.", title="line, relative dose")
    assert out is fig and ax.get_title() == "line, relative dose"
    assert len(ax.lines) == 2 * DOSE.size and not ax.patches
    fit0 = ax.lines[1].get_xdata()
    assert fit0.min() >= FOCUS[3] - 1e-9   # the fit is drawn over the printed span only
    assert ax.get_legend().get_texts()[0].get_text() == "17 a.u."
    with pytest.raises(InvalidParameterError, match="tolerance"):
        plot_bossung(FEM, "line", tolerance=5.0)


def test_ed_window_figure_with_curve(tmp_path):
    w = ed_window(FEM, [50.0, 60.0], 5.0, focus_samples=151, dose_samples=151)
    fig = plot_ed_window(w, curve=True)
    assert len(fig.axes) == 2
    ax, cax = fig.axes
    assert ax.get_xlabel() == "focus (nm)" and ax.get_ylabel() == "dose (mJ/cm²)"
    assert ax.get_yscale() == "log" and ax.get_title() == "ED window: line, space"
    assert ax.get_ylim() == pytest.approx((17.0, 23.0))
    # the filled window and CD = target -+ tolerance for each gauge
    assert sum(isinstance(c, ContourSet) for c in ax.collections) == 1 + 2 * 2
    rect = w.max_rectangle()
    patches = [p for p in ax.patches if isinstance(p, RectPatch)]
    assert len(patches) == 1
    assert patches[0].get_xy() == pytest.approx((rect.focus_lo, rect.dose_lo))
    assert patches[0].get_width() == pytest.approx(rect.dof)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[0] == "in spec" and "line: CD = 45 nm" in labels and "space: CD = 65 nm" in labels
    assert any(t.startswith("rectangle: DOF") for t in labels) and any(t.startswith("ellipse:") for t in labels)
    assert any(t.startswith("best:") for t in labels)
    assert cax.get_xlabel() == "depth of focus (nm)" and cax.get_ylabel() == "exposure latitude (%)"
    dof, el = w.el_dof_curve()
    np.testing.assert_allclose(cax.lines[0].get_xdata(), dof)
    np.testing.assert_allclose(cax.lines[1].get_xydata()[0], (rect.dof, rect.el))
    path = tmp_path / "window.png"
    fig.savefig(path, dpi=50)
    assert path.read_bytes()[:8] == PNG


def test_ed_window_into_given_axes_at_an_el_and_empty_windows():
    w = ed_window(FEM, 50.0, 5.0, "line", focus_samples=101, dose_samples=101)
    fig = Figure()
    ax = fig.add_subplot()
    assert plot_ed_window(w, el=8.0, ellipse=False, ax=ax) is fig
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert f"rectangle: DOF {w.dof(8.0):.4g} nm, EL 8 %" in labels and not any("ellipse" in t for t in labels)
    assert len(ax.lines) == 1   # the best-point marker
    with pytest.raises(InvalidParameterError, match="curve_ax"):
        plot_ed_window(w, curve=True, ax=ax)
    with pytest.raises(InvalidParameterError, match="window"):
        plot_ed_window(FEM)
    empty = ed_window(FEM, 500.0, 1.0, focus_samples=51, dose_samples=51)
    fig = plot_ed_window(empty, curve=True)
    ax = fig.axes[0]
    assert not ax.patches and "no process window: spec not met" in [t.get_text() for t in ax.texts]
    fig.savefig(__import__("io").BytesIO(), format="png", dpi=40)


def test_missing_matplotlib_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match=r'pip install "litho\[plot\]"'):
        plot_bossung(FEM, "line")
    with pytest.raises(ImportError, match="plot_ed_window"):
        plot_ed_window(ed_window(FEM, 50.0, 5.0, focus_samples=21, dose_samples=21))
