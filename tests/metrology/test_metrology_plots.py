"""plot_image: a figure with the image, contours, target and EPE markers; saved as PNG."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import erf

from litho.errors import InvalidParameterError
from litho.geometry import Layout
from litho.metrology import contours, epe, plot_image

matplotlib = pytest.importorskip("matplotlib")
from matplotlib.collections import PathCollection  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.image import AxesImage  # noqa: E402

PX = 2.0
Y, X = (np.mgrid[0:60, 0:80] + 0.5) * PX
TARGET = Layout.from_rects([(50.0, 40.0, 110.0, 80.0)])
IMAGE = (0.5 * (erf((X - 52.0) / 8) - erf((X - 112.0) / 8)) * 0.5 * (erf((Y - 40.0) / 8) - erf((Y - 80.0) / 8)))


def test_figure_with_everything_saves_to_png(tmp_path):
    result = epe(IMAGE, 0.3, PX, TARGET, length=15.0, search=12.0)
    fig = plot_image(IMAGE, PX, level=0.3, target=TARGET, epe=result, title="clip 1")
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "x (nm)" and ax.get_ylabel() == "y (nm)" and ax.get_title() == "clip 1"
    images = [a for a in ax.get_children() if isinstance(a, AxesImage)]
    assert len(images) == 1 and images[0].get_extent() == [0.0, 160.0, 0.0, 120.0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["target", "printed (level 0.3)", "EPE site"]
    sites = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(sites) == 1 and len(sites[0].get_offsets()) == len(result.fragments)
    assert sites[0].norm.vcenter == 0.0  # diverging scale centred on zero EPE
    # colourbars: the field's and the EPE's, with their labels
    colorbar_labels = {a.get_ylabel() or a.get_xlabel() for a in fig.axes[1:]}
    assert colorbar_labels == {"intensity", "EPE (nm)"}
    assert ax.get_aspect() == 1.0
    path = tmp_path / "clip.png"
    fig.savefig(path, dpi=60)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_into_given_axes_with_precomputed_contours_and_missing_sites():
    fig = Figure()
    ax = fig.add_subplot()
    printed = contours(IMAGE, 0.5, PX, origin=(-10.0, 5.0))
    far = Layout.from_rects([(50.0, 40.0, 110.0, 80.0), (-8.0, 100.0, 0.0, 120.0)])
    result = epe(IMAGE, 0.5, PX, far, origin=(-10.0, 5.0), search=6.0)
    assert (result.status != 0).any()
    out = plot_image(IMAGE, (PX, PX), (-10.0, 5.0), contours=printed, epe=result, ax=ax, label="dose (mJ/cm²)",
                     cmap="viridis")
    assert out is fig
    assert ax.get_xlim() == (-10.0, 150.0)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["printed", "EPE site", "no edge"]
    assert len(ax.lines) == len(printed)


def test_bad_input():
    with pytest.raises(InvalidParameterError) as info:
        plot_image(IMAGE[0], PX)
    assert info.value.name == "field"
    batch = epe(np.stack([IMAGE, IMAGE]), 0.3, PX, TARGET)
    with pytest.raises(InvalidParameterError) as info:
        plot_image(IMAGE, PX, epe=batch)
    assert info.value.name == "epe"
    with pytest.raises(InvalidParameterError) as info:
        plot_image(IMAGE, PX, target="not a layout")
    assert info.value.name == "target"


def test_missing_matplotlib_says_how_to_install(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` fail
    with pytest.raises(ImportError, match=r'pip install "litho\[plot\]"'):
        plot_image(IMAGE, PX)
