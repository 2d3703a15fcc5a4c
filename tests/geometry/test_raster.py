"""Rasterization against independent truth.

Truth 1 is shapely (GEOS): the area of each pixel square intersected with the union of
the polygons. GEOS falls back to a snapping overlay on near-degenerate input (hypothesis
finds such cases: coordinates like 6e-8 beside 0), where it is itself off by ~3e-8, so it
checks both paths to the issue's bound, 1e-6.

Truth 2, for Manhattan layouts, is exact: cut the plane at every polygon x and y and every
pixel boundary into elementary cells; each cell is wholly inside or outside the union,
decided by GEOS's exact point-in-polygon predicate at its centre; sum the cell areas per
pixel. The winding sweep uses the input coordinates unchanged, so it must match this to
1e-12 (double rounding in sums of O(100) terms of size <= 1).

Non-Manhattan layouts are merged by a union on a 1e-9 pixel grid first, so vertex rounding
moves coverage by ~1e-9: 1e-6 holds with a wide margin.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

# GEOS (the truth) mis-handles subnormal coordinates (e.g. an origin of 2e-309 gave a
# pixel area off by 0.09), so the strategies draw none; a closed-form test covers them.
floats = functools.partial(st.floats, allow_subnormal=False)
from shapely.geometry import Polygon

import litho
from litho.errors import InvalidParameterError, MemoryBudgetError
from litho.geometry import _raster_array, raster

MANHATTAN_TOL = 1e-12
GENERAL_TOL = 1e-6


def shapely_coverage(polygons, pixel, shape, origin):
    """Exact covered fraction per pixel of the union of ``polygons`` (independent truth)."""
    ny, nx = shape
    union = shapely.union_all([Polygon(p) for p in polygons])
    x = origin[0] + np.arange(nx) * pixel
    y = origin[1] + np.arange(ny) * pixel
    xx, yy = np.meshgrid(x, y)
    boxes = shapely.box(xx, yy, xx + pixel, yy + pixel)
    with np.errstate(divide="ignore", invalid="ignore"):  # GEOS ufunc noise on slivers
        return shapely.area(shapely.intersection(boxes, union)) / pixel**2


def cell_truth(polygons, pixel, shape, origin):
    """Exact Manhattan coverage by coordinate compression (see the module docstring)."""
    ny, nx = shape
    x0, y0 = origin
    gx = x0 + np.arange(nx + 1) * pixel
    gy = y0 + np.arange(ny + 1) * pixel
    xs = np.unique(np.concatenate([gx] + [p[:, 0] for p in polygons]))
    ys = np.unique(np.concatenate([gy] + [p[:, 1] for p in polygons]))
    xs = xs[(xs >= gx[0]) & (xs <= gx[-1])]
    ys = ys[(ys >= gy[0]) & (ys <= gy[-1])]
    cx, cy = np.meshgrid((xs[:-1] + xs[1:]) / 2, (ys[:-1] + ys[1:]) / 2)
    inside = np.zeros(cx.shape, dtype=bool)
    for p in polygons:
        inside |= shapely.contains_xy(Polygon(p), cx, cy)
    area = np.outer(np.diff(ys), np.diff(xs)) * inside
    col = np.searchsorted(gx, cx, side="right") - 1
    row = np.searchsorted(gy, cy, side="right") - 1
    out = np.zeros(shape)
    np.add.at(out, (row, col), area)
    return out / pixel**2


def array_path(polygons, pixel, shape, origin, mode):
    """The CuPy algorithm run with numpy: same formulas the GPU runs."""
    pts, counts = raster._to_pixel_units(litho.Layout.from_polygons(polygons), pixel, origin)
    pts, counts = raster._cull_to_window(pts, counts, shape)
    if mode == "area" and len(counts) > 1:
        pts, counts = raster._union(pts, counts)
    edges = raster._edges(pts, counts)
    return _raster_array.rasterize_edges(np, edges, shape, mode, np.dtype(np.float64))


# ---------------------------------------------------------------- strategies
@st.composite
def star_polygon(draw, extent=40.0):
    """A simple, generally non-convex polygon: star-shaped about its centre.

    Consecutive vertex angles differ by less than pi, which keeps the polygon simple.
    """
    n = draw(st.integers(3, 12))
    gaps = np.array(draw(st.lists(floats(0.25, 1.0), min_size=n, max_size=n)))
    gaps *= 2 * np.pi / gaps.sum()
    if gaps.max() >= 0.95 * np.pi:
        gaps = np.full(n, 2 * np.pi / n)
    start = draw(floats(0, 2 * np.pi))
    radii = np.array(draw(st.lists(floats(1.0, 12.0), min_size=n, max_size=n)))
    cx = draw(floats(-8, extent))
    cy = draw(floats(-8, extent))
    angles = start + np.cumsum(gaps)
    pts = np.c_[cx + radii * np.cos(angles), cy + radii * np.sin(angles)]
    return pts if draw(st.booleans()) else pts[::-1]  # either orientation


@st.composite
def manhattan_polygon(draw, extent=40.0):
    """A rectangle or an L-shaped (non-convex) axis-parallel polygon, either orientation."""
    x = draw(floats(-8, extent))
    y = draw(floats(-8, extent))
    w = draw(floats(0.2, 15))
    h = draw(floats(0.2, 15))
    if draw(st.booleans()):
        pts = np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]])
    else:
        fx = draw(floats(0.1, 0.9))
        fy = draw(floats(0.1, 0.9))
        pts = np.array([[x, y], [x + w, y], [x + w, y + fy * h], [x + fx * w, y + fy * h],
                        [x + fx * w, y + h], [x, y + h]])
    return pts if draw(st.booleans()) else pts[::-1]


grids = st.tuples(
    floats(0.6, 3.0),  # pixel, nm
    st.tuples(st.integers(3, 24), st.integers(3, 24)),  # shape
    st.tuples(floats(-6, 6), floats(-6, 6)),  # origin
)


# ---------------------------------------------------------------- exact area
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(polygons=st.lists(star_polygon(), min_size=1, max_size=5), grid=grids)
def test_area_matches_shapely_on_nonconvex_overlapping_polygons(polygons, grid):
    pixel, shape, origin = grid
    truth = shapely_coverage(polygons, pixel, shape, origin)
    got = litho.rasterize(polygons, pixel, shape, origin, dtype=np.float64)
    assert np.abs(got - truth).max() <= GENERAL_TOL
    assert np.abs(array_path(polygons, pixel, shape, origin, "area") - truth).max() <= GENERAL_TOL


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(polygons=st.lists(manhattan_polygon(), min_size=1, max_size=8), grid=grids)
def test_area_matches_shapely_on_overlapping_manhattan_polygons(polygons, grid):
    pixel, shape, origin = grid
    got = litho.rasterize(polygons, pixel, shape, origin, dtype=np.float64)
    # the exact coordinate-compression truth, not shapely: GEOS's union is off by 6e-5 of a
    # pixel when two edges lie 2e-308 nm apart (hypothesis found it), and the compression
    # handles that exactly
    truth = cell_truth(polygons, pixel, shape, origin)
    assert np.abs(got - truth).max() <= MANHATTAN_TOL
    # the array path merges overlaps with the 1e-9-pixel union first
    assert np.abs(array_path(polygons, pixel, shape, origin, "area") - truth).max() <= GENERAL_TOL


@settings(max_examples=30, deadline=None)
@given(polygons=st.lists(st.one_of(star_polygon(extent=20), manhattan_polygon(extent=20)), min_size=1, max_size=4))
def test_total_coverage_equals_union_area(polygons):
    """Whole union inside the grid: sum of coverage = area / pixel^2 (to 1e-9 relative).

    1e-9: the sum of ~1e3 pixel values each exact to ~1e-12 (Manhattan) or the union's
    1e-9 pixel vertex grid (relative to areas of O(100) pixel^2 that is ~1e-11).
    """
    pixel = 0.75
    union_area = shapely.union_all([Polygon(p) for p in polygons]).area
    origin = (-25.0, -25.0)  # polygons lie within [-20, 40]^2
    shape = (96, 96)
    got = litho.rasterize(polygons, pixel, shape, origin, dtype=np.float64)
    assert got.sum() == pytest.approx(union_area / pixel**2, rel=1e-9)


def test_single_square_partial_pixels_closed_form():
    # square [0.25, 2.75]^2 on a unit grid: corner pixels 0.75^2, edges 0.75, centre 1
    square = np.array([[0.25, 0.25], [2.75, 0.25], [2.75, 2.75], [0.25, 2.75]])
    got = litho.rasterize([square], 1.0, (3, 3), dtype=np.float64)
    expected = np.array([[0.5625, 0.75, 0.5625], [0.75, 1.0, 0.75], [0.5625, 0.75, 0.5625]])
    np.testing.assert_allclose(got, expected, atol=1e-15)


def test_triangle_closed_form():
    # right triangle (0,0),(2,0),(0,2) on a 2x2 unit grid: pixel areas 1, 0.5, 0.5, 0
    tri = np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0]])
    got = litho.rasterize([tri], 1.0, (2, 2), dtype=np.float64)
    np.testing.assert_allclose(got, [[1.0, 0.5], [0.5, 0.0]], atol=1e-15)


def test_subnormal_origin_closed_form():
    # triangle with vertices at angles 0, 240, 120 degrees on the unit circle (clockwise);
    # its part in x >= 0, y >= 0 is the right triangle (0,0), (1,0), (0, sqrt(3)/3)
    tri = np.array([[1.0, 0.0], [-0.5, -np.sqrt(3) / 2], [-0.5, np.sqrt(3) / 2]])
    got = litho.rasterize([tri], 1.25, (3, 3), (2.2e-309, 0.0), dtype=np.float64)
    expected = 0.5 * 1.0 * (np.sqrt(3) / 3) / 1.25**2
    assert got[0, 0] == pytest.approx(expected, abs=1e-15)
    assert got.sum() == pytest.approx(expected, abs=1e-15)


def test_overlaps_count_once_and_holes_stay_empty():
    frame = [np.array([[0, 0], [10, 0], [10, 2], [0, 2]], float),
             np.array([[0, 8], [10, 8], [10, 10], [0, 10]], float),
             np.array([[0, 0], [2, 0], [2, 10], [0, 10]], float),
             np.array([[8, 0], [10, 0], [10, 10], [8, 10]], float)]
    duplicate = frame + [frame[0]]
    for polygons in (frame, duplicate):
        got = litho.rasterize(polygons, 1.0, (10, 10), dtype=np.float64)
        assert got.max() == 1.0 and got[2:8, 2:8].max() == 0.0
        assert got.sum() == pytest.approx(64.0, abs=1e-12)
    # the same frame tilted (non-Manhattan path: union, keyholed hole)
    theta = 0.3
    rot = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    tilted = [p @ rot.T + 6 for p in duplicate]
    got = litho.rasterize(tilted, 0.5, (48, 48), dtype=np.float64)
    assert got.sum() * 0.25 == pytest.approx(64.0, rel=1e-9)


def test_polygons_outside_window_and_straddling():
    # a rectangle far right/up adds nothing; one covering the window fills it
    far = np.array([[100, 100], [110, 100], [110, 110], [100, 110]], float)
    cover = np.array([[-50, -50], [50, -50], [50, 50], [-50, 50]], float)
    assert litho.rasterize([far], 1.0, (4, 5), dtype=np.float64).sum() == 0.0
    np.testing.assert_array_equal(litho.rasterize([cover], 1.0, (4, 5)), 1.0)
    tilted = np.array([[-50, -40], [60, -50], [50, 60], [-40, 50]], float)
    np.testing.assert_allclose(litho.rasterize([tilted], 1.0, (4, 5), dtype=np.float64), 1.0, atol=1e-12)


# ---------------------------------------------------------------- centre mode
@settings(max_examples=40, deadline=None)
@given(polygons=st.lists(st.one_of(star_polygon(), manhattan_polygon()), min_size=1, max_size=5), grid=grids)
def test_center_mode_is_point_in_union_of_pixel_centres(polygons, grid):
    pixel, shape, origin = grid
    ny, nx = shape
    got = litho.rasterize(polygons, pixel, shape, origin, mode="center", dtype=np.float64)
    np.testing.assert_array_equal(got, array_path(polygons, pixel, shape, origin, "center"))
    union = shapely.union_all([Polygon(p) for p in polygons])
    xx, yy = np.meshgrid(origin[0] + (np.arange(nx) + 0.5) * pixel, origin[1] + (np.arange(ny) + 0.5) * pixel)
    inside = shapely.contains_xy(union, xx, yy)
    # centres exactly on a boundary are decided by the half-open rule; GEOS says "not
    # contained" there. Compare only centres farther than 1e-9 nm from the boundary.
    clear = shapely.distance(union.boundary, shapely.points(xx, yy)) > 1e-9
    np.testing.assert_array_equal(got[clear], inside[clear])


def test_center_mode_half_open_rectangle():
    # [2, 5) x [1, 3) on a unit grid: columns 2..4, rows 1..2 (centres x+0.5 inside)
    rect = np.array([[2, 1], [5, 1], [5, 3], [2, 3]], float)
    got = litho.rasterize([rect], 1.0, (5, 7), mode="center")
    expected = np.zeros((5, 7))
    expected[1:3, 2:5] = 1
    np.testing.assert_array_equal(got, expected)


def test_iccad_clip_center_mode_pixel_count_equals_area():
    layout = litho.Layout.read(litho.datasets.iccad2013_clip(1))
    image = litho.rasterize(layout.translate(512, 512), 1.0, (2048, 2048), mode="center")
    area = shapely.union_all([Polygon(p) for p in layout.polygons]).area
    assert area == int(area)  # integer nm coordinates
    assert int(image.sum()) == int(area)


# ---------------------------------------------------------------- API contract
def test_dtype_follows_precision_setting():
    sq = [np.array([[0, 0], [1, 0], [1, 1], [0, 1]], float)]
    assert litho.rasterize(sq, 1.0, 2).dtype == np.float32
    with litho.config.override(precision="double"):
        assert litho.rasterize(sq, 1.0, 2).dtype == np.float64
    assert litho.rasterize(sq, 1.0, 2, dtype="float64").dtype == np.float64


def test_float32_matches_float64_to_single_precision():
    poly = [np.array([[0.3, 0.2], [7.9, 1.1], [6.2, 6.6], [1.4, 5.3]])]
    a = litho.rasterize(poly, 0.7, (12, 12), dtype=np.float32)
    b = litho.rasterize(poly, 0.7, (12, 12), dtype=np.float64)
    assert np.abs(a - b).max() <= 6e-8  # float32 rounding of values in [0, 1]


def test_layout_and_polygon_list_inputs_agree():
    polys = [np.array([[0.5, 0.5], [3.5, 0.5], [3.5, 2.5], [0.5, 2.5]])]
    layout = litho.Layout.from_polygons(polys)
    np.testing.assert_array_equal(litho.rasterize(layout, 1.0, 4), litho.rasterize(polys, 1.0, 4))


def test_empty_layout_gives_zeros():
    assert litho.rasterize([], 1.0, (3, 4)).sum() == 0.0


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"pixel": -1.0}, "pixel"),
        ({"pixel": 0.0}, "pixel"),
        ({"pixel": float("nan")}, "pixel"),
        ({"shape": (0, 10)}, "shape"),
        ({"shape": (10, -2)}, "shape"),
        ({"shape": (2.5, 3)}, "shape"),
        ({"origin": (0.0, float("inf"))}, "origin"),
        ({"mode": "centre"}, "mode"),
        ({"dtype": np.int32}, "dtype"),
        ({"backend": "tpu"}, "backend"),
    ],
)
def test_bad_arguments_name_the_parameter(kwargs, name):
    args = {"pixel": 1.0, "shape": (4, 4)} | kwargs
    sq = [np.array([[0, 0], [1, 0], [1, 1], [0, 1]], float)]
    with pytest.raises(InvalidParameterError, match=name):
        litho.rasterize(sq, **args)


def test_memory_budget_is_enforced_with_tiling_advice():
    with litho.config.override(memory_budget=1000):
        with pytest.raises(MemoryBudgetError, match="tile"):
            litho.rasterize([], 1.0, (100, 100))


@pytest.mark.gpu
def test_cupy_backend_matches_cpu():
    cupy = pytest.importorskip("cupy")
    from litho.backend import cupy_available

    if not cupy_available():
        pytest.skip("no usable GPU")
    rng = np.random.default_rng(3)
    polys = [np.c_[c[0] + 6 * np.cos(a), c[1] + 5 * np.sin(a)]
             for c in rng.uniform(0, 60, (40, 2)) for a in [np.linspace(0, 2 * np.pi, 9)[:-1]]]
    polys += [np.array([[x, y], [x + 7, y], [x + 7, y + 3], [x, y + 3]]) for x, y in rng.uniform(0, 60, (40, 2))]
    for mode in ("area", "center"):
        cpu = litho.rasterize(polys, 0.5, (128, 128), mode=mode, backend="numpy", dtype=np.float64)
        gpu = litho.rasterize(polys, 0.5, (128, 128), mode=mode, backend="cupy", dtype=np.float64)
        assert isinstance(gpu, cupy.ndarray)
        # same exact formulas; union grid 1e-9 pixel -> agreement to 1e-6 (issue bound)
        assert np.abs(cupy.asnumpy(gpu) - cpu).max() <= GENERAL_TOL
