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


def test_many_holes_and_islands_keyholed_exactly():
    # a smooth random field: regions with many holes, islands inside holes. Each output
    # ring is one polygon (holes bridged in); the even-odd interior of the rings must be
    # the bilinear region itself. Checked at interior sample centres away from the level
    # (a margin of 1e-3 of the field's spread keeps points off the contour; border
    # samples lie on the outline by convention) and by area against contourpy's own
    # signed ring areas (rounding only).
    import contourpy
    from matplotlib.path import Path
    from scipy.ndimage import gaussian_filter

    field = gaussian_filter(np.random.default_rng(3).standard_normal((160, 200)), 4.0)
    level = 0.01
    out = contours(field, level, 1.0)
    polys = list(out)
    assert max(len(p) for p in polys) > 0
    yy, xx = np.mgrid[0:160, 0:200] + 0.5
    pts = np.column_stack([xx.ravel(), yy.ravel()])
    inside = np.zeros(len(pts), dtype=bool)
    for p in polys:
        inside ^= Path(p).contains_points(pts)
    interior = np.zeros(field.shape, dtype=bool)
    interior[1:-1, 1:-1] = True
    clear = (np.abs(field - level) > 1e-3 * np.ptp(field)).ravel() & interior.ravel()
    np.testing.assert_array_equal(inside[clear], (field.ravel() >= level)[clear])
    pieces, offsets = contourpy.contour_generator(z=field, fill_type="OuterOffset").filled(level, 10.0)
    rings = [xy[a:b] for xy, off in zip(pieces, offsets) for a, b in zip(off[:-1], off[1:])]
    signed = sum(0.5 * np.sum(r[:-1, 0] * r[1:, 1] - r[1:, 0] * r[:-1, 1]) for r in rings)
    holes = [len(off) - 2 for off in offsets]
    assert len(polys) == len(pieces) and sum(holes) >= 5 and max(holes) >= 2  # holes to bridge
    assert out.area() == pytest.approx(abs(signed), rel=1e-12)
