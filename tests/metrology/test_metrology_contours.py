"""Contours: sub-pixel edges of fields with known level sets; holes; bad levels."""

from __future__ import annotations

import numpy as np
import pytest

from litho.errors import InvalidParameterError
from litho.metrology import contours


def test_straight_edge_is_located_exactly():
    # a field linear across x: the level crossing lies at x_e for any sub-pixel x_e;
    # linear interpolation of a linear field is exact (rounding only: 1e-9 nm)
    pixel, ny, nx = 4.0, 6, 40
    for x_edge in (50.3, 61.0, 77.77):
        x = (np.arange(nx) + 0.5) * pixel
        field = np.tile(0.3 + 0.01 * (x - x_edge), (ny, 1))
        outline = contours(field, 0.3, pixel)
        x0, y0, x1, y1 = outline.bbox
        assert x0 == pytest.approx(x_edge, abs=1e-9)
        assert (x1, y0, y1) == pytest.approx((x[-1], 0.5 * pixel, (ny - 0.5) * pixel))
        below = contours(field, 0.3, pixel, region="below")
        assert below.bbox[2] == pytest.approx(x_edge, abs=1e-9)


def test_disk_area_holes_origin_and_pixel_pairs():
    y, x = (np.mgrid[0:80, 0:100] + 0.5) * 2.0
    r = np.hypot(x - 100.0, y - 80.0)
    disk = contours(-r, -30.0, 2.0)
    # a polygon inscribed through points on the circle: area deficit ~ (1 - cos) per
    # segment, below 0.1 % at this sampling
    assert disk.area() == pytest.approx(np.pi * 30.0**2, rel=1e-3)
    ring = contours(np.abs(r - 12.5), 2.5, 2.0, region="below")  # 10 < r < 15
    assert len(ring) == 1  # the hole is keyholed into one polygon
    assert ring.area() == pytest.approx(np.pi * (15.0**2 - 10.0**2), rel=2e-2)
    moved = contours(-r, -30.0, (2.0, 2.0), origin=(1000.0, -50.0))
    assert moved.bbox[0] == pytest.approx(disk.bbox[0] + 1000.0)
    assert moved.bbox[1] == pytest.approx(disk.bbox[1] - 50.0)


def test_levels_outside_the_range_are_refused_or_reported():
    field = np.linspace(0.0, 1.0, 20).reshape(4, 5)
    with pytest.raises(InvalidParameterError, match=r"range \[0, 1\]") as info:
        contours(field, 1.5, 1.0)
    assert info.value.name == "level"
    assert len(contours(field, 1.5, 1.0, empty_ok=True)) == 0
    whole = contours(field, -1.0, 1.0, empty_ok=True)
    assert whole.area() == pytest.approx(4.0 * 3.0)  # between the outermost centres
    with pytest.raises(InvalidParameterError) as info:
        contours(np.full((3, 3), np.nan), 0.5, 1.0)
    assert info.value.name == "field[0, 0]"
    with pytest.raises(InvalidParameterError) as info:
        contours(field, 0.5, 1.0, region="inside")
    assert info.value.name == "region"
