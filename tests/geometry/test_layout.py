"""Layout: construction, normalisation, properties and geometric operations."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from litho.errors import InvalidParameterError
from litho.geometry.layout import Layout

SQUARE = [[0, 0], [10, 0], [10, 10], [0, 10]]


# -- construction and normalisation -------------------------------------------------------


def test_polygons_are_readonly_contiguous_float64():
    layout = Layout([SQUARE, [[0, 0], [5, 0], [0, 5]]], layers=[[1, 0], [2, 3]])
    assert len(layout) == 2
    for poly in layout.polygons:
        assert poly.dtype == np.float64 and poly.flags.c_contiguous and not poly.flags.writeable
        with pytest.raises(ValueError):
            poly.flags.writeable = True  # views of a read-only base stay read-only
    assert layout.layers.dtype == np.int64 and layout.layers.shape == (2, 2)
    assert not layout.layers.flags.writeable
    assert layout.layers.tolist() == [[1, 0], [2, 3]]
    assert isinstance(layout.polygons, tuple)
    assert [p.tolist() for p in layout] == [p.tolist() for p in layout.polygons]


def test_input_array_is_copied():
    points = np.array(SQUARE, dtype=float)
    layout = Layout([points])
    points[0] = (99, 99)
    assert layout.polygons[0][0].tolist() == [0, 0]


def test_closing_vertex_and_consecutive_duplicates_dropped():
    layout = Layout([[[0, 0], [0, 0], [10, 0], [10, 10], [10, 10], [0, 10], [0, 0]]])
    assert layout.polygons[0].tolist() == SQUARE


def test_default_layers_and_single_pair_broadcast():
    assert Layout([SQUARE, SQUARE]).layers.tolist() == [[0, 0], [0, 0]]
    assert Layout([SQUARE, SQUARE], layers=(4, 2)).layers.tolist() == [[4, 2], [4, 2]]
    assert Layout.from_polygons([SQUARE], layer=(7, 1)).layers.tolist() == [[7, 1]]


def test_empty_layout():
    layout = Layout()
    assert len(layout) == 0 and layout.bbox is None and layout.area() == 0.0
    assert layout.layers.shape == (0, 2)
    assert layout.is_manhattan
    assert len(layout.union()) == 0 and len(layout.clip((0, 0, 1, 1))) == 0
    assert "0 polygons" in repr(layout)


@pytest.mark.parametrize(
    "polygons, index",
    [
        ([SQUARE, [[0, 0], [1, 1]]], 1),  # two points
        ([SQUARE, SQUARE, [[0, 0], [1, 1], [0, 0]]], 2),  # two distinct points after closing-vertex removal
        ([[[0, 0], [1, np.nan], [1, 1]]], 0),  # NaN
        ([[[0, 0], [1, np.inf], [1, 1]]], 0),  # infinity
        ([[0, 1, 2]], 0),  # not (n, 2)
        ([[["a", "b"], [1, 2], [3, 4]]], 0),  # not numbers
    ],
)
def test_bad_polygon_names_its_index(polygons, index):
    with pytest.raises(InvalidParameterError, match=rf"polygons\[{index}\]"):
        Layout(polygons)


@pytest.mark.parametrize("layers", [[[1, 0]], [[-1, 0], [0, 0]], [[1.5, 0], [0, 0]], "M1"])
def test_bad_layers(layers):
    with pytest.raises(InvalidParameterError, match="layers"):
        Layout([SQUARE, SQUARE], layers=layers)


def test_from_rects():
    layout = Layout.from_rects([[0, 0, 10, 5], [20, 0, 30, 40]], layer=(3, 0))
    assert layout.polygons[0].tolist() == [[0, 0], [10, 0], [10, 5], [0, 5]]
    assert layout.layers.tolist() == [[3, 0], [3, 0]]
    assert layout.area() == 10 * 5 + 10 * 40  # exact: small integers
    assert len(Layout.from_rects(np.empty((0, 4)))) == 0


@pytest.mark.parametrize(
    "rects, match",
    [
        ([[0, 0, 10, 10], [5, 0, 5, 10]], r"rects\[1\]"),  # x1 == x0
        ([[0, 0, 10, 10], [0, 0, 1, 1], [0, 5, 1, 4]], r"rects\[2\]"),  # y1 < y0
        ([[0, 0, 10, np.nan]], r"rects\[0\]"),
        ([[0, 0, 10]], "rects"),  # wrong shape
    ],
)
def test_from_rects_rejects_bad_rows(rects, match):
    with pytest.raises(InvalidParameterError, match=match):
        Layout.from_rects(rects)


def test_from_packed_equals_from_polygons():
    # the same polygons end to end: normalised alike (a closing vertex, duplicates), layers
    # per polygon or one pair
    polys = [np.array([[0, 0], [4, 0], [4, 0], [4, 3], [0, 0]], float), np.array([[10, 10], [12, 10], [11, 14]], float)]
    xy = np.concatenate(polys)
    want = Layout(polys, layers=[(1, 0), (2, 3)])
    got = Layout.from_packed(xy, [5, 3], [(1, 0), (2, 3)])
    assert len(got) == 2
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(got.layers, want.layers)
    np.testing.assert_array_equal(Layout.from_packed(xy, [5, 3], (7, 1)).layers, [[7, 1], [7, 1]])
    assert len(Layout.from_packed(np.empty((0, 2)), [])) == 0
    xy[0, 0] = 99.0
    assert got.polygons[0][0, 0] == 0.0  # copied


@pytest.mark.parametrize("xy, counts, name", [
    (np.zeros((4, 3)), [4], "xy"),
    (np.array([[0, 0], [1, 0], [np.nan, 1]]), [3], "xy"),
    (np.array([[0, 0], [1, 0], [0, 1]]), [2], "counts"),
    (np.array([[0, 0], [1, 0], [0, 1]]), [0, 3], "counts"),
    (np.array([[0, 0], [1, 0], [0, 1]]), [1.5, 1.5], "counts"),
    (np.array([[0, 0], [1, 0], [0, 1], [5, 5], [5, 5], [6, 5], [5, 5]], float), [3, 4], "polygons[1]"),
])
def test_from_packed_rejects_bad_input(xy, counts, name):
    with pytest.raises(InvalidParameterError) as info:
        Layout.from_packed(xy, counts)
    assert info.value.name == name


def test_from_polygons_bad_layer():
    with pytest.raises(InvalidParameterError, match="layer"):
        Layout.from_polygons([SQUARE], layer=(1, -2))


def test_pickle_round_trip_keeps_readonly():
    layout = Layout([SQUARE], layers=[[5, 1]])
    copy = pickle.loads(pickle.dumps(layout))
    assert copy.polygons[0].tolist() == SQUARE and copy.layers.tolist() == [[5, 1]]
    assert not copy.polygons[0].flags.writeable


# -- properties ---------------------------------------------------------------------------


def test_bbox_area_manhattan_repr():
    layout = Layout([SQUARE, [[20, -5], [30, -5], [25, 3]]], layers=[[1, 0], [2, 0]])
    assert layout.bbox == (0.0, -5.0, 30.0, 10.0)
    assert layout.area() == 100 + 0.5 * 10 * 8  # exact: integers and halves
    assert not layout.is_manhattan
    assert Layout([SQUARE, [[0, 0], [4, 0], [4, 2], [2, 2], [2, 4], [0, 4]]]).is_manhattan
    text = repr(layout)
    assert "2 polygons" in text and "(1, 0)" in text and "(2, 0)" in text and "(0, -5, 30, 10)" in text


def test_area_is_orientation_independent_and_counts_overlaps():
    clockwise = SQUARE[::-1]
    layout = Layout([SQUARE, clockwise])
    assert layout.area() == 200.0  # no union: the overlap is counted twice


def test_select():
    layout = Layout([SQUARE, SQUARE, SQUARE], layers=[[1, 0], [2, 0], [1, 1]])
    assert layout.select((1, 0)).layers.tolist() == [[1, 0]]
    assert layout.select([(1, 0), (1, 1)]).layers.tolist() == [[1, 0], [1, 1]]
    assert len(layout.select((9, 0))) == 0
    with pytest.raises(InvalidParameterError, match="layer"):
        layout.select((1, -1))


# -- operations ---------------------------------------------------------------------------


def test_translate_shifts_bbox_and_returns_new_layout():
    layout = Layout([SQUARE], layers=[[2, 0]])
    moved = layout.translate(5, -3)
    assert moved.bbox == (5.0, -3.0, 15.0, 7.0)
    assert layout.bbox == (0.0, 0.0, 10.0, 10.0)  # original untouched
    assert moved.layers.tolist() == [[2, 0]]
    with pytest.raises(InvalidParameterError, match="dx"):
        layout.translate(float("nan"), 0)


def test_union_of_two_overlapping_squares():
    layout = Layout.from_rects([[0, 0, 10, 10], [5, 5, 15, 15], [100, 100, 101, 101]])
    merged = layout.union()
    # integer vertices lie on gdstk's 1e-6 nm snapping grid, so the areas are exact; 1e-9 nm^2
    # only allows for float rounding
    assert merged.area() == pytest.approx(100 + 100 - 25 + 1, abs=1e-9)
    assert len(merged) == 2
    assert sorted(len(p) for p in merged) == [4, 8]


def test_union_is_per_layer():
    squares = Layout.from_rects([[0, 0, 10, 10], [5, 5, 15, 15]])
    layout = Layout(squares.polygons, layers=[[1, 0], [2, 0]])
    merged = layout.union()
    assert len(merged) == 2 and sorted(map(tuple, merged.layers.tolist())) == [(1, 0), (2, 0)]


def test_union_keyholes_holes():
    frame = Layout.from_rects([[0, 0, 30, 10], [0, 20, 30, 30], [0, 0, 10, 30], [20, 0, 30, 30]])
    merged = frame.union()
    assert len(merged) == 1  # the hole is keyholed into the outer polygon
    assert merged.area() == pytest.approx(900 - 100, abs=1e-9)  # integer vertices: exact up to rounding


def test_clip_square_by_window():
    layout = Layout([SQUARE], layers=[[3, 1]])
    clipped = layout.clip((5, -5, 20, 4))
    assert clipped.area() == pytest.approx(5 * 4, abs=1e-9)  # integer vertices: exact
    assert clipped.bbox == (5.0, 0.0, 10.0, 4.0)
    assert clipped.layers.tolist() == [[3, 1]]


def test_clip_keeps_inside_drops_outside_and_splits():
    u_shape = [[0, 0], [30, 0], [30, 30], [20, 30], [20, 10], [10, 10], [10, 30], [0, 30]]
    layout = Layout([SQUARE, u_shape, [[100, 100], [110, 100], [105, 110]]], layers=[[1, 0], [2, 0], [3, 0]])
    clipped = layout.clip((-1, 15, 40, 40))
    # SQUARE (0..10) is below y=15 -> dropped; the U's arms become two pieces; triangle outside
    assert clipped.layers.tolist() == [[2, 0], [2, 0]]
    assert clipped.area() == pytest.approx(2 * 10 * 15, abs=1e-9)
    inside = layout.clip((-1, -1, 11, 11))
    assert inside.polygons[0].tolist() == SQUARE  # untouched when fully inside


def test_clip_matches_shapely_for_a_non_manhattan_polygon():
    octagon = np.array([[np.cos(a), np.sin(a)] for a in np.linspace(0, 2 * np.pi, 8, endpoint=False)]) * 50.3
    window = (-20.25, -70, 80, 10.5)
    expected = shapely.Polygon(octagon).intersection(shapely.box(*window)).area
    # new vertices are snapped to a 1e-6 nm grid: area error <= perimeter * 1e-6 nm (< 1e-3 nm^2)
    assert Layout([octagon]).clip(window).area() == pytest.approx(expected, abs=1e-3)


@pytest.mark.parametrize("window", [(0, 0, 0, 10), (0, 0, 10), (0, 0, 10, np.inf), "abcd"])
def test_clip_rejects_bad_window(window):
    with pytest.raises(InvalidParameterError, match="window"):
        Layout([SQUARE]).clip(window)


# -- properties (hypothesis) --------------------------------------------------------------

_coord = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
_size = st.floats(1e-3, 1e5, allow_nan=False, allow_infinity=False)
_rects = st.lists(st.tuples(_coord, _coord, _size, _size), min_size=1, max_size=8).map(
    lambda rows: np.array([(x, y, x + w, y + h) for x, y, w, h in rows])
)


@settings(max_examples=60, deadline=None)
@given(rects=_rects, dx=_coord, dy=_coord)
def test_translate_round_trip(rects, dx, dy):
    layout = Layout.from_rects(rects)
    back = layout.translate(dx, dy).translate(-dx, -dy)
    # |x|, |dx| <= 1e6 (about 2**20): two roundings of at most 1 ulp(2e6) = 4.7e-10 nm each
    for a, b in zip(layout.polygons, back.polygons):
        np.testing.assert_allclose(b, a, rtol=0, atol=1e-9)


_small = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)
_small_size = st.floats(0.5, 500, allow_nan=False, allow_infinity=False)
_small_rects = st.lists(st.tuples(_small, _small, _small_size, _small_size), min_size=1, max_size=6).map(
    lambda rows: np.array([(x, y, x + w, y + h) for x, y, w, h in rows])
)


@settings(max_examples=60, deadline=None)
@given(rects=_small_rects)
def test_union_area_bounded_by_sum_and_matches_shapely(rects):
    layout = Layout.from_rects(rects)
    merged = layout.union()
    perimeter = float(np.sum(2 * (rects[:, 2] - rects[:, 0] + rects[:, 3] - rects[:, 1])))
    tol = perimeter * 1e-6  # gdstk snaps vertices to a 1e-6 nm grid: area moves <= perimeter * grid
    assert merged.area() <= layout.area() + tol
    expected = shapely.unary_union([shapely.box(*r) for r in rects]).area
    assert merged.area() == pytest.approx(expected, abs=tol + 1e-9 * expected)  # + float rounding
