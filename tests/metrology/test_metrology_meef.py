"""MEEF by central differences against the closed form of a coherent two-beam grating."""

import numpy as np
import pytest

from litho import Layout, Optics, Source
from litho.errors import InvalidParameterError
from litho.imaging import aerial_image
from litho.imaging.mask import BinaryMask
from litho.metrology import Gauge
from litho.metrology.meef import bias_layout, meef

P = 400.0  # nm; with 193 nm, NA 0.75 and sigma 0 only the orders 0 and +-1 pass


def closed_form(w, t):
    """(CD, dCD/dw) of the bright space at threshold t for clear lines of width w.

    Amplitude a0 + a1 cos(2 pi x / P), a0 = w/P, a1 = 2 sin(pi w/P)/pi; the edge is where
    the amplitude is sqrt(t): cos(2 pi x_e / P) = c = (sqrt(t) - a0)/a1, CD = 2 x_e.
    """
    a0, a1 = w / P, 2 * np.sin(np.pi * w / P) / np.pi
    da1 = 2 * np.cos(np.pi * w / P) / P
    c = (np.sqrt(t) - a0) / a1
    dc = (-a1 / P - (np.sqrt(t) - a0) * da1) / a1 ** 2
    return P / np.pi * np.arccos(c), -P / np.pi / np.sqrt(1 - c * c) * dc


def analytic_image(w, px=1.0, rows=4):
    x = (np.arange(int(P / px)) + 0.5) * px - P / 2
    amp = w / P + 2 * np.sin(np.pi * w / P) / np.pi * np.cos(2 * np.pi * x / P)
    return np.tile(amp ** 2, (rows, 1))


@pytest.mark.parametrize("w, t", [(200.0, 0.3), (160.0, 0.25), (240.0, 0.5)])
def test_meef_of_analytic_images_matches_derivative(w, t):
    g = Gauge.across((P / 2, 2.0), 0.95 * P)
    r = meef(lambda b: analytic_image(w + 2 * b), g, t, 1.0, bias=0.5)
    _, slope = closed_form(w, t)
    # central difference with bias 0.5 nm: error ~ bias^2 * CD''' / 6 ~ 1e-5; interpolation 1e-5
    assert r.meef[0] == pytest.approx(slope, rel=1e-3)
    assert r.mask_cd_per_bias[0] == 2.0


def test_meef_of_imaged_biased_mask_matches_closed_form():
    opt = Optics(193.0, 0.75, Source.conventional(0.0))
    target = Layout.from_rects([[100.0, -10.0, 300.0, 14.0]])  # taller than the cell: y edges clipped away

    def simulate(b):
        mask = BinaryMask(bias_layout(target, b).clip([0.0, 0.0, P, 4.0]))
        return np.asarray(aerial_image(mask, opt, 1.0, method="abbe", shape=(4, 400)), dtype=np.float64)

    g = Gauge.across((P / 2, 2.0), 0.95 * P)
    r = meef(simulate, g, 0.3, 1.0, bias=1.0)
    cd0, slope = closed_form(200.0, 0.3)
    # the raster mask images match the closed form to ~1e-4 in intensity (pixel-area
    # rasterisation of the sub-pixel biased edges): MEEF to 1 %
    assert r.meef[0] == pytest.approx(slope, rel=1e-2)
    assert 0.5 * (r.cd_plus.cd[0] + r.cd_minus.cd[0]) == pytest.approx(cd0, abs=0.05)


def test_dark_feature_sign_and_polarity():
    """A dark line between clear polygons narrows on the mask when the polygons grow."""
    w, t = 200.0, 0.3
    line = Gauge.across((P / 2, 2.0), 0.95 * P, region="below")
    shifted = lambda b: np.roll(analytic_image(w + 2 * b), int(P / 2), axis=1)  # noqa: E731 dark line centred
    r = meef(shifted, line, t, 1.0, bias=0.5)
    _, slope = closed_form(w, t)
    assert r.mask_cd_per_bias[0] == -2.0
    assert r.meef[0] == pytest.approx(slope, rel=1e-3)  # CD_line = P - CD_space: same derivative
    r_dark = meef(shifted, line, t, 1.0, bias=0.5, polarity="dark")
    assert r_dark.meef[0] == pytest.approx(-slope, rel=1e-3)


def test_bias_layout_moves_manhattan_edges_exactly():
    lay = Layout.from_rects([[0, 0, 10, 20], [30, 0, 40, 20]])
    grown = bias_layout(lay, 2.5)
    assert grown.area() == pytest.approx(2 * 15 * 25)
    assert grown.bbox == pytest.approx((-2.5, -2.5, 42.5, 22.5))
    assert len(bias_layout(lay, 10.0)) == 1  # merged
    assert len(bias_layout(lay, -6.0)) == 0  # vanished
    with pytest.raises(InvalidParameterError, match="bias"):
        bias_layout(lay, float("nan"))
    with pytest.raises(InvalidParameterError, match="bias"):
        meef(lambda b: analytic_image(200 + 2 * b), Gauge.across((P / 2, 2.0), 300.0), 0.3, 1.0, bias=0.0)
