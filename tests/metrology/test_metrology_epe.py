"""EPE: fragmenting target edges; EPE of perfect, shifted and biased prints; orientation; bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import erf

from litho.errors import InvalidParameterError
from litho.geometry import Layout
from litho.metrology import EPEResult, Fragments, epe, fragment

PX = 2.0
NY, NX = 100, 160
Y, X = (np.mgrid[0:NY, 0:NX] + 0.5) * PX
RECT = (100.0, 60.0, 220.0, 140.0)  # x0, y0, x1, y1 nm: 120 x 80 nm


def _sdf_rect(x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    """Signed distance to a rectangle, positive inside (exact)."""
    dx = np.maximum(x0 - X, X - x1)
    dy = np.maximum(y0 - Y, Y - y1)
    outside = np.hypot(np.maximum(dx, 0.0), np.maximum(dy, 0.0))
    return np.where((dx <= 0) & (dy <= 0), -np.maximum(dx, dy), -outside)


def _edge_of(frags: Fragments) -> np.ndarray:
    """Which side of RECT each site is on: 'l', 'r', 'b', 't' from its normal."""
    n = np.round(frags.normals).astype(int)
    return np.array([{(-1, 0): "l", (1, 0): "r", (0, -1): "b", (0, 1): "t"}[tuple(v)] for v in n])


# -- fragments ---------------------------------------------------------------------------

def test_fragments_cover_the_perimeter_with_pieces_no_longer_than_length():
    target = Layout.from_rects([RECT, (300.0, 0.0, 330.0, 200.0)])
    f = fragment(target, 25.0)
    perimeters = [2 * (120 + 80), 2 * (30 + 200)]
    for p, perim in enumerate(perimeters):
        assert f.lengths[f.polygon == p].sum() == pytest.approx(perim, rel=1e-12)
    assert f.lengths.max() <= 25.0 + 1e-12
    # 120 nm -> 5 pieces of 24, 80 -> 4 of 20; pieces equal along one edge
    assert np.count_nonzero(f.polygon == 0) == 2 * (5 + 4)
    for p, e in set(zip(f.polygon.tolist(), f.edge.tolist())):
        lengths = f.lengths[(f.polygon == p) & (f.edge == e)]
        assert np.ptp(lengths) < 1e-12
    # sites on their edges, normals unit and outward (site + normal is outside the rectangle)
    assert np.allclose(np.hypot(*f.normals.T), 1.0)
    p0 = f.polygon == 0
    out = f.points[p0] + f.normals[p0]
    x0, y0, x1, y1 = RECT
    assert not np.any((out[:, 0] > x0) & (out[:, 0] < x1) & (out[:, 1] > y0) & (out[:, 1] < y1))
    # the 30 nm top/bottom edges of the tall line are line ends; long edges have corners and runs
    names = f.kind_names
    assert set(names[~p0][np.abs(f.normals[~p0, 1]) == 1]) == {"line_end"}
    assert set(names[p0]) == {"corner", "run"}
    seg = f.segments
    assert np.allclose(np.hypot(*(seg[:, 1] - seg[:, 0]).T), f.lengths)


def test_corner_fragments_and_non_manhattan_edges():
    f = fragment(Layout.from_rects([RECT]), 30.0, corner=8.0)
    bottom = f.edge == 0
    # 120 nm edge: 8 + 104 / 4 x 4 + 8
    assert f.lengths[bottom].tolist() == pytest.approx([8.0, 26.0, 26.0, 26.0, 26.0, 8.0])
    assert f.kind_names[bottom].tolist() == ["corner"] + ["run"] * 4 + ["corner"]
    # a triangle (any edge direction): normals are perpendicular to the edges and outward
    tri = np.array([[0.0, 0.0], [100.0, 20.0], [30.0, 90.0]])
    for poly in (tri, tri[::-1]):
        g = fragment(Layout.from_polygons([poly]), 10.0)
        centroid = tri.mean(axis=0)
        assert np.all(np.einsum("ij,ij->i", g.points - centroid, g.normals) > 0)
        seg = g.segments
        d = seg[:, 1] - seg[:, 0]
        assert np.allclose(np.einsum("ij,ij->i", d, g.normals), 0.0, atol=1e-9)
        perim = sum(np.hypot(*(tri[(i + 1) % 3] - tri[i])) for i in range(3))
        assert g.lengths.sum() == pytest.approx(perim, rel=1e-12)


def test_collinear_vertices_and_keyholed_holes():
    # a square with a collinear vertex on its bottom edge: one straight edge of 100 nm
    square = np.array([[0.0, 0.0], [40.0, 0.0], [100.0, 0.0], [100.0, 100.0], [0.0, 100.0]])
    f = fragment(Layout.from_polygons([square]), 20.0)
    assert len(f) == 20 and f.lengths.sum() == pytest.approx(400.0)
    assert set(f.edge.tolist()) == {0, 2, 3, 4}
    # a ring (Layout.union keyholes the hole): the cut gives no fragments, the hole's
    # normals point into the hole (away from the material)
    ring = Layout.from_rects([(0, 0, 100, 30), (0, 70, 100, 100), (0, 30, 30, 70), (70, 30, 100, 70)]).union()
    g = fragment(ring, 10.0)
    assert g.lengths.sum() == pytest.approx(400.0 + 160.0)
    hole = (g.points[:, 0] > 29) & (g.points[:, 0] < 71) & (g.points[:, 1] > 29) & (g.points[:, 1] < 71)
    assert np.count_nonzero(hole) == 16
    assert np.all(np.einsum("ij,ij->i", g.points[hole] - 50.0, g.normals[hole]) < 0)
    # concave corners of the hole are corners, not line ends
    assert "line_end" not in set(g.kind_names[hole])


# -- EPE ---------------------------------------------------------------------------------

def test_perfect_print_has_zero_epe():
    target = Layout.from_rects([RECT])
    # the signed distance to the target is linear across each edge: its bilinear
    # interpolant puts the level-0 crossing on the edge to rounding (1e-9 nm) at every
    # site, corner fragments included (their sites lie 10 nm from the corners)
    r = epe(_sdf_rect(*RECT), 0.0, PX, target, length=20.0, interpolation="linear")
    assert isinstance(r, EPEResult)
    assert np.all(r.status == 0)
    assert np.abs(r.epe).max() < 1e-9
    assert r.max == pytest.approx(0.0, abs=1e-9) and r.rms < 1e-9
    # blurred rectangle: product of erf edge profiles; at an edge midpoint the other
    # profile is 1 - O(erfc(30/8)) = 1 - 1e-7, so the 0.5 contour passes the edge within
    # 1e-6 nm; with the cubic spline the crossing is found to that accuracy on run sites
    s = 8.0
    blur = (0.5 * (erf((X - RECT[0]) / s) - erf((X - RECT[2]) / s))
            * 0.5 * (erf((Y - RECT[1]) / s) - erf((Y - RECT[3]) / s)))
    r = epe(blur, 0.5, PX, target, length=20.0, search=20.0)
    run = r.fragments.kind_names == "run"
    assert np.abs(r.epe[run]).max() < 2e-6
    # corners round inwards: corner sites print small
    assert np.all(r.epe[r.fragments.kind_names == "corner"] < -0.1)
    kinds = r.by_kind()
    assert set(kinds) == {"run", "corner"}
    assert kinds["run"]["count"] == np.count_nonzero(run) == kinds["run"]["measured"]
    assert abs(kinds["run"]["max"]) < 2e-6


@pytest.mark.parametrize("d", [1.3, -2.7, 4.0])
def test_shifted_print_gives_plus_minus_the_shift(d):
    target = Layout.from_rects([RECT])
    x0, y0, x1, y1 = RECT
    field = _sdf_rect(x0 + d, y0, x1 + d, y1)  # printed feature moved right by d nm
    f = fragment(target, 20.0)
    r = epe(field, 0.0, PX, f, interpolation="linear", search=10.0)
    side = _edge_of(f)
    run = f.kind_names == "run"
    # exact for the bilinear interpolant of a field linear across the edge (1e-9 nm)
    assert r.epe[side == "l"] == pytest.approx(np.full(np.count_nonzero(side == "l"), -d), abs=1e-9)
    assert r.epe[side == "r"] == pytest.approx(np.full(np.count_nonzero(side == "r"), d), abs=1e-9)
    assert np.abs(r.epe[((side == "t") | (side == "b")) & run]).max() < 1e-9
    assert abs(r.max) == pytest.approx(abs(d), abs=1e-9)  # +d and -d tie: either sign
    assert r.count_outside(abs(d) / 2) >= np.count_nonzero((side == "l") | (side == "r"))
    # a smooth shifted field with the default cubic spline: the crossing is the spline's,
    # whose interpolation error for an erf edge of 6 nm sampled every 2 nm is ~3e-4 nm
    s = 6.0
    smooth = (0.5 * (erf((X - x0 - d) / s) - erf((X - x1 - d) / s))
              * 0.5 * (erf((Y - y0) / s) - erf((Y - y1) / s)))
    rs = epe(smooth, 0.5, PX, f, search=10.0)
    for name, expected in (("l", -d), ("r", d)):
        sel = (side == name) & run
        assert rs.epe[sel] == pytest.approx(np.full(np.count_nonzero(sel), expected), abs=1e-3)


def test_bias_orientation_region_and_batches():
    target = Layout.from_rects([RECT])
    field = _sdf_rect(*RECT)
    cw = Layout.from_polygons([target.polygons[0][::-1]])
    for layout in (target, cw):
        # contour at distance +b outside the target: EPE = +b everywhere but at corners
        big = epe(field, -1.5, PX, layout, interpolation="linear")
        run = big.fragments.kind_names == "run"
        assert big.epe[run] == pytest.approx(np.full(np.count_nonzero(run), 1.5), abs=1e-9)
        small = epe(field, 2.5, PX, layout, interpolation="linear")
        assert small.epe == pytest.approx(np.full(len(small.epe), -2.5), abs=1e-9)  # inward offset: exact
        assert small.mean == pytest.approx(-2.5) and small.rms == pytest.approx(2.5)
    # a dark feature (region "below") of the negated field gives the same EPE
    below = epe(-field, 1.5, PX, target, region="below", interpolation="linear")
    assert below.epe[run] == pytest.approx(np.full(np.count_nonzero(run), 1.5), abs=1e-9)
    # a batch of fields: one row per field, same as measured one by one
    f = fragment(target, 20.0)
    stack = np.stack([field + 1.0, field - 2.0])
    r = epe(stack, 0.0, PX, f, interpolation="linear")
    assert r.epe.shape == (2, len(f))
    assert r.epe[1] == pytest.approx(epe(field - 2.0, 0.0, PX, f, interpolation="linear").epe, abs=1e-12)
    assert np.shape(r.max) == (2,) and np.shape(r.count_outside(0.5)) == (2,)


def test_missing_edges_have_a_status_not_a_value():
    target = Layout.from_rects([RECT, (20.0, 20.0, 40.0, 180.0)])
    field = _sdf_rect(*RECT)  # the second target polygon does not print at all
    r = epe(field, 0.0, PX, target, search=8.0, interpolation="linear")
    second = r.fragments.polygon == 1
    assert np.all(np.isnan(r.epe[second])) and np.all(r.status[second] == 1)  # MISSING
    assert np.all(r.status[~second] == 0)
    assert r.count_outside(100.0) == np.count_nonzero(second)  # failures count as outside
    assert r.by_kind()["line_end"]["measured"] == 0
    # printed much larger than the target: the normal segment lies inside the feature
    grown = epe(field, -30.0, PX, Layout.from_rects([RECT]), search=8.0, interpolation="linear")
    assert np.all(grown.status[grown.fragments.kind_names == "run"] == 2)  # BRIDGED
    # a site outside the field
    far = epe(field, 0.0, PX, Layout.from_rects([(1000.0, 1000.0, 1050.0, 1050.0)]))
    assert np.all(far.status == 4) and np.isnan(far.max)


def test_bad_input_is_refused():
    target = Layout.from_rects([RECT])
    field = _sdf_rect(*RECT)
    with pytest.raises(InvalidParameterError, match="range") as info:
        epe(field, 500.0, PX, target)
    assert info.value.name == "level"
    with pytest.raises(InvalidParameterError) as info:
        fragment(target, 0.0)
    assert info.value.name == "length"
    with pytest.raises(InvalidParameterError) as info:
        fragment(target, 10.0, corner=-1.0)
    assert info.value.name == "corner"
    with pytest.raises(InvalidParameterError) as info:
        fragment(Layout(), 10.0)
    assert info.value.name == "target"
    with pytest.raises(InvalidParameterError) as info:
        epe(field, 0.0, PX, Layout())
    assert info.value.name == "target"
    with pytest.raises(InvalidParameterError) as info:
        epe(field, 0.0, PX, fragment(target, 10.0), length=5.0)
    assert info.value.name == "length"
    with pytest.raises(InvalidParameterError) as info:
        epe(field, 0.0, PX, target, search=-1.0)
    assert info.value.name == "search"
    with pytest.raises(InvalidParameterError) as info:
        epe(field, 0.0, PX, target, region="inside")
    assert info.value.name == "region"
    with pytest.raises(InvalidParameterError) as info:
        epe(field[0], 0.0, PX, target)
    assert info.value.name == "field"
    with pytest.raises(InvalidParameterError):
        epe(field, 0.0, PX, target).count_outside(-1.0)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(3, 9), radius=st.floats(5.0, 200.0), turn=st.floats(0.0, 360.0),
       length=st.floats(1.0, 60.0), clockwise=st.booleans())
def test_fragments_of_convex_polygons_property(n, radius, turn, length, clockwise):
    # a regular n-gon in either orientation: pieces no longer than length, summing to the
    # perimeter (rounding: 1e-9 relative), normals unit, perpendicular and outward
    angles = np.radians(turn) + 2 * np.pi * np.arange(n) / n
    poly = np.stack([50.0 + radius * np.cos(angles), -20.0 + radius * np.sin(angles)], axis=1)
    if clockwise:
        poly = poly[::-1]
    f = fragment(Layout.from_polygons([poly]), length)
    perimeter = n * 2 * radius * np.sin(np.pi / n)
    assert f.lengths.sum() == pytest.approx(perimeter, rel=1e-9)
    assert f.lengths.max() <= length * (1 + 1e-9)
    assert np.all(np.einsum("ij,ij->i", f.points - [50.0, -20.0], f.normals) > 0)
    d = f.segments[:, 1] - f.segments[:, 0]
    assert np.allclose(np.einsum("ij,ij->i", d, f.normals), 0.0, atol=1e-9 * radius)
    assert set(np.unique(f.edge)) == set(range(n))
