"""PV band: identical conditions, an edge moving by +-d, rings of a disk, empty prints, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import erf

from litho.errors import InvalidParameterError
from litho.geometry import Layout
from litho.metrology import PVBand, pv_band

PX = 2.0
NY, NX = 50, 100
XS = (np.arange(NX) + 0.5) * PX


def _edge(x_edge: float) -> np.ndarray:
    """A field linear across x, printed (>= 0.5) right of x_edge; constant along y."""
    return np.tile(0.5 + 0.01 * (XS - x_edge), (NY, 1))


def test_identical_conditions_give_an_empty_band():
    y, x = (np.mgrid[0:64, 0:64] + 0.5) * PX
    image = 0.5 * (1 - erf((np.hypot(x - 64, y - 64) - 30) / 8))
    for fields in ([image, image.copy(), image.copy()], np.stack([image] * 4), [image]):
        band = pv_band(fields, 0.5, PX, target=Layout.from_rects([(34, 34, 94, 94)]))
        assert isinstance(band, PVBand)
        assert band.area == 0.0 and len(band.band) == 0  # exactly
        assert band.max_width == 0.0 and band.inscribed_width == 0.0
        assert band.outer.area() == pytest.approx(band.inner.area())
        assert band.outer.area() == pytest.approx(np.pi * 30**2, rel=2e-3)  # polygon inscribed in the circle
        assert np.all(band.widths[np.isfinite(band.widths)] == 0.0)


@pytest.mark.parametrize("d", [1.0, 3.3, 7.5])
def test_an_edge_moving_by_plus_minus_d_gives_a_band_of_width_2d(d):
    fields = [_edge(100.0 + shift) for shift in (-d, 0.0, d, 0.4 * d)]
    target = Layout.from_rects([(100.0, 20.0, 190.0, 80.0)])
    band = pv_band(fields, 0.5, PX, target=target, search=20.0)
    # the contours are exact for a field linear across the edge (bilinear interpolant);
    # printed regions run between the outermost sample centres in y: height (NY - 1) PX
    height = (NY - 1) * PX
    assert band.area == pytest.approx(2 * d * height, rel=1e-9)
    assert band.band.bbox == pytest.approx((100.0 - d, PX / 2, 100.0 + d, NY * PX - PX / 2), abs=1e-6)
    # inscribed circle: to its tolerance, 1e-3 pixel
    assert band.inscribed_width == pytest.approx(2 * d, abs=1e-3 * PX)
    # widths along the target's left-edge normals: max - min of the EPE, exact (1e-9 nm
    # from the crossing search); the other edges see no crossing along their normals
    left = np.isclose(band.fragments.normals[:, 0], -1.0)
    assert band.widths[left] == pytest.approx(np.full(np.count_nonzero(left), 2 * d), abs=1e-9)
    assert np.all(np.isnan(band.widths[~left]))
    assert band.max_width == pytest.approx(2 * d, abs=1e-9)
    assert band.epe.epe.shape == (4, len(band.fragments))
    assert band.n_conditions == 4
    assert band.outer.bbox[0] == pytest.approx(100.0 - d) and band.inner.bbox[0] == pytest.approx(100.0 + d)


def test_disk_radius_variation_gives_an_annulus():
    y, x = (np.mgrid[0:128, 0:128] + 0.5) * PX
    r = np.hypot(x - 128.0, y - 128.0)
    radii = (60.0, 63.0, 66.0)
    fields = np.stack([0.5 * (1 - erf((r - r0) / 10.0)) for r0 in radii])
    band = pv_band(fields, 0.5, PX)
    # an annulus 60 < r < 66 (contours: polygons through points of the circle; their
    # area deficit (1 - sin(t)/t) is below 1e-3 at this sampling)
    assert band.area == pytest.approx(np.pi * (66.0**2 - 60.0**2), rel=5e-3)
    assert band.inscribed_width == pytest.approx(6.0, abs=0.05)
    assert band.max_width == band.inscribed_width and band.widths is None and band.epe is None
    # a ring Layout: keyholed, so its vertex-sum area equals the band's
    assert band.band.area() == pytest.approx(band.area, rel=1e-6)
    assert band.inner.area() == pytest.approx(np.pi * 60.0**2, rel=5e-3)


def test_a_condition_that_prints_nothing():
    # the printed region vanishes under one condition: the band is the union
    y, x = (np.mgrid[0:40, 0:40] + 0.5) * PX
    spot = np.exp(-((x - 40) ** 2 + (y - 40) ** 2) / (2 * 12.0**2))
    band = pv_band([spot, 0.2 * spot], 0.5, PX, layer=(3, 0))
    assert len(band.inner) == 0
    assert band.area == pytest.approx(band.outer.area(), rel=1e-9)
    assert band.area > 0 and set(map(tuple, band.band.layers.tolist())) == {(3, 0)}
    assert band.inscribed_width > 0


def test_bad_input_is_refused():
    good = _edge(100.0)
    with pytest.raises(InvalidParameterError) as info:
        pv_band([good, good[:, :-1]], 0.5, PX)
    assert info.value.name == "fields[1]"
    with pytest.raises(InvalidParameterError) as info:
        pv_band([], 0.5, PX)
    assert info.value.name == "fields"
    with pytest.raises(InvalidParameterError) as info:
        pv_band(good, 0.5, PX)  # a single 2-D field is not a stack
    assert info.value.name == "fields"
    with pytest.raises(InvalidParameterError, match="range") as info:
        pv_band([good, good], 5.0, PX)
    assert info.value.name == "level"
    with pytest.raises(InvalidParameterError) as info:
        pv_band([good, np.full_like(good, np.nan)], 0.5, PX)
    assert info.value.name.startswith("fields[1]")
    with pytest.raises(InvalidParameterError) as info:
        pv_band([good, good], 0.5, PX, target=Layout())
    assert info.value.name == "target"
