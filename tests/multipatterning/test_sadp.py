"""SID SADP decomposition and process model (litho.multipatterning.sadp).

Independent truth: shapely (GEOS) areas and booleans, with the spacer rebuilt by a
mitred buffer, and closed-form ring areas. Coordinates are integers in nm, so booleans on
gdstk's 1e-6 nm grid are exact; area tolerances are 1e-6 nm² per nm of perimeter (the
grid) unless stated.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import Polygon, box

from litho.errors import InvalidParameterError
from litho.geometry.layout import Layout
from litho.multipatterning.sadp import SADPResult, decompose_sadp, sadp_process


def geom(layout: Layout):
    """Union of a layout's polygons as one shapely geometry."""
    return shapely.union_all([Polygon(p) for p in layout.polygons]) if len(layout) else Polygon()


def lines(widths, gaps, length=200.0):
    """Vertical lines left to right: widths[k] wide, gaps[k] between line k and k + 1."""
    rects, x = [], 0.0
    for k, w in enumerate(widths):
        rects.append([x, 0.0, x + w, length])
        x += w + (gaps[k] if k < len(gaps) else 0.0)
    return Layout.from_rects(rects)


def perimeter_tol(layout: Layout) -> float:
    return 1e-6 * geom(layout).length


def shapely_process(mandrel: Layout, trim: Layout, s: float):
    """The SID process model rebuilt with GEOS: S = buffer(M, s, mitre) - M; F = (M | T) - S."""
    m = geom(mandrel)
    spacer = m.buffer(s, join_style="mitre").difference(m)
    return spacer, m.union(geom(trim)).difference(spacer)


# -- legal line / space array ----------------------------------------------------------------


def test_line_space_array_alternates_and_prints_the_target_exactly():
    s = 20.0
    target = lines([20.0] * 8, [20.0] * 7)
    r = decompose_sadp(target, s)
    assert isinstance(r, SADPResult)
    assert r.legal and not r.unmakeable and not r.conflicts
    # every other line is a mandrel, starting with the leftmost
    np.testing.assert_array_equal(r.is_mandrel, [True, False] * 4)
    mandrel_x = sorted(p[:, 0].min() for p in r.mandrel.polygons)
    assert mandrel_x == [0.0, 80.0, 160.0, 240.0]
    assert r.xor_area <= perimeter_tol(target) and r.xor_area == 0.0
    # the printed metal equals the target exactly (GEOS symmetric difference)
    assert geom(r.printed).symmetric_difference(geom(target)).area == 0.0
    # independent process model gives the same spacer and print from the same masks
    spacer, printed = shapely_process(r.mandrel, r.trim, s)
    assert spacer.symmetric_difference(geom(r.spacer)).area == 0.0
    assert printed.symmetric_difference(geom(target)).area == 0.0
    # four disjoint spacer rings, each (20 + 2s)(200 + 2s) - 20 * 200
    assert geom(r.spacer).area == pytest.approx(4 * ((20 + 2 * s) * (200 + 2 * s) - 20 * 200), abs=1e-9)
    assert "legal" in r.summary() and "4 mandrel" in r.summary()


def test_trim_edges_sit_mid_spacer_and_keep_the_trim_space():
    s = 20.0
    target = lines([20.0] * 6, [20.0] * 5)
    r = decompose_sadp(target, s)
    trim, spacer, feats = geom(r.trim), geom(r.spacer), geom(target)
    # trim covers the non-mandrel lines, and whatever else it covers is spacer
    non_mandrel = shapely.union_all([Polygon(p) for p, m in zip(r.features.polygons, r.is_mandrel) if not m])
    assert non_mandrel.difference(trim).area == 0.0
    assert trim.difference(feats).difference(spacer).area == 0.0
    # default bias s/2: the interior non-mandrel line [40, 60] has trim [30, 70]
    assert r.trim_bias == s / 2
    assert any(np.allclose(sorted(set(p[:, 0])), [30.0, 70.0]) for p in r.trim.polygons)
    # grown trim shapes keep min_trim_space (default 2 s) between them
    pieces = [Polygon(p) for p in r.trim.polygons]
    gaps = [a.distance(b) for k, a in enumerate(pieces) for b in pieces[k + 1:]]
    assert min(gaps) >= r.min_trim_space - 1e-9


def test_zero_trim_bias_gives_the_features_themselves():
    r = decompose_sadp(lines([20.0] * 4, [20.0] * 3), 20.0, trim_bias=0.0)
    assert r.legal
    non_mandrel = shapely.union_all([Polygon(p) for p, m in zip(r.features.polygons, r.is_mandrel) if not m])
    assert geom(r.trim).symmetric_difference(non_mandrel).area == 0.0


def test_wide_gaps_leave_features_unconstrained_and_legal():
    # spaces of 2 s and more need no alternation: every line may be a mandrel
    r = decompose_sadp(lines([20.0] * 4, [40.0, 55.0, 80.0]), 20.0)
    assert r.legal and r.is_mandrel.all() and len(r.trim) == 0
    assert r.xor_area == 0.0


# -- illegal layouts ---------------------------------------------------------------------------


def test_spacing_below_spacer_width_is_unmakeable():
    target = lines([20.0, 20.0, 20.0], [10.0, 20.0])
    r = decompose_sadp(target, 20.0)
    assert not r.legal
    spacing = [u for u in r.unmakeable if u.kind == "spacing"]
    assert [u.features for u in spacing] == [(0, 1)]
    assert "10 nm" in spacing[0].reason
    assert r.xor_area > 0.0 or r.unmakeable


def test_corner_to_corner_spacing_is_chebyshev():
    s = 20.0
    # diagonal neighbours 15 nm apart in x and y: Euclidean 21.2 nm but the mitred spacer
    # of either would cover a 5 x 5 nm corner of the other
    close = Layout.from_rects([[0, 0, 20, 20], [35, 35, 55, 55]])
    r = decompose_sadp(close, s)
    assert not r.legal and [u.kind for u in r.unmakeable] == ["spacing"]
    # 20 nm in x and y: the spacer corner just touches; opposite types, printed exactly
    ok = Layout.from_rects([[0, 0, 20, 20], [40, 40, 60, 60]])
    r = decompose_sadp(ok, s)
    assert r.legal and list(r.is_mandrel) == [True, False]
    assert geom(r.printed).symmetric_difference(geom(ok)).area == 0.0


def test_odd_cycle_of_spacer_spaced_features_is_a_conflict():
    # two vertical lines and a bar above both, all mutually 20 nm apart (an L / U shape)
    target = Layout.from_rects([[0, 0, 20, 100], [40, 0, 60, 100], [0, 120, 60, 140]])
    r = decompose_sadp(target, 20.0)
    assert not r.legal
    cycles = [c for c in r.conflicts if c.kind == "odd_cycle"]
    assert len(cycles) == 1 and sorted(cycles[0].features) == [0, 1, 2]
    assert len(cycles[0].features) == 3
    assert not r.unmakeable
    # every feature of the cycle is marked
    assert geom(r.markers()).symmetric_difference(geom(target)).area == 0.0


def test_width_rules_force_the_orientation():
    # line 0 is too narrow for the mandrel mask: the alternation starts with a trim line
    target = lines([10.0, 20.0, 20.0, 20.0], [20.0] * 3)
    r = decompose_sadp(target, 20.0, min_mandrel_width=15.0)
    assert r.legal and list(r.is_mandrel) == [False, True, False, True]
    assert r.xor_area == 0.0
    # the two ends of an even chain both forced to trim: no alternation allows it
    r = decompose_sadp(lines([10.0, 20.0, 20.0, 10.0], [20.0] * 3), 20.0, min_mandrel_width=15.0)
    assert not r.legal and [c.kind for c in r.conflicts] == ["forced"]
    assert set(r.conflicts[0].features) == {0, 1, 2, 3}
    # too narrow for both masks
    r = decompose_sadp(lines([10.0, 20.0], [40.0]), 20.0, min_mandrel_width=15.0, min_trim_width=15.0)
    assert [(u.kind, u.features) for u in r.unmakeable] == [("width", (0,))]


def test_asymmetric_mask_spaces_are_solved_as_two_sat():
    # two isolated lines 50 nm apart: two mandrels would break min_mandrel_space = 60
    target = lines([20.0, 20.0], [50.0])
    r = decompose_sadp(target, 20.0, min_mandrel_space=60.0, min_trim_space=40.0)
    assert r.legal and not (r.is_mandrel[0] and r.is_mandrel[1])
    assert r.xor_area == 0.0
    # both lines too narrow for the mandrel mask, and too close for two trim shapes
    r = decompose_sadp(lines([10.0, 10.0], [50.0]), 20.0, min_mandrel_width=15.0,
                       min_mandrel_space=40.0, min_trim_space=60.0, trim_bias=0.0)
    assert not r.legal and [(c.kind, c.features) for c in r.conflicts] == [("same_type_space", (0, 1))]


# -- process model -----------------------------------------------------------------------------


@pytest.mark.parametrize("a, s", [(50.0, 20.0), (20.0, 7.5), (100.0, 33.0)])
def test_spacer_ring_of_a_square_mandrel(a, s):
    spacer, printed = sadp_process(Layout.from_rects([[0, 0, a, a]]), Layout(), s)
    assert spacer.area() == pytest.approx((a + 2 * s) ** 2 - a**2, rel=1e-12)  # miter corners
    ring = box(-s, -s, a + s, a + s).difference(box(0, 0, a, a))
    assert geom(spacer).symmetric_difference(ring).area < 1e-6 * ring.length
    assert geom(printed).symmetric_difference(box(0, 0, a, a)).area == 0.0


def test_trim_over_spacer_gives_self_aligned_edges():
    mandrel = Layout.from_rects([[0, 0, 20, 100]])
    # wherever the trim edge falls inside the spacer, the wire edge is the spacer edge (x = 40)
    for edge in (20.0, 25.0, 31.0, 40.0):
        _, printed = sadp_process(mandrel, Layout.from_rects([[edge, 0, 80, 100]]), 20.0)
        expected = box(0, 0, 20, 100).union(box(40, 0, 80, 100))
        assert geom(printed).symmetric_difference(expected).area == 0.0
    # two mandrels 30 nm apart: their spacers merge and fill the gap
    spacer, _ = sadp_process(Layout.from_rects([[0, 0, 20, 100], [50, 0, 70, 100]]), Layout(), 20.0)
    assert geom(spacer).area == pytest.approx(110 * 140 - 2 * 20 * 100)


# -- output and validation ---------------------------------------------------------------------


def test_write_round_trip(tmp_path):
    target = Layout.from_rects([[0, 0, 20, 100], [40, 0, 60, 100], [0, 120, 60, 140], [100, 0, 120, 100]])
    r = decompose_sadp(target, 20.0)
    path = tmp_path / "sadp.gds"
    r.write(path)
    back = Layout.read(path)
    assert {tuple(p) for p in back.layers.tolist()} == {(110, 0), (111, 0), (112, 0), (113, 0), (119, 0)}
    for layer, layout in (((110, 0), r.mandrel), ((111, 0), r.trim), ((112, 0), r.spacer),
                          ((113, 0), r.printed), ((119, 0), r.markers())):
        assert geom(back.select(layer)).symmetric_difference(geom(layout)).area < 1e-6
    assert not [f for f in tmp_path.iterdir() if f.name.startswith(".")]  # no temporary left


@pytest.mark.parametrize("bad", [0, -5.0, math.nan, math.inf, "20", None, True])
def test_bad_spacer_width_is_named(bad):
    with pytest.raises(InvalidParameterError) as info:
        decompose_sadp(lines([20.0], []), bad)
    assert info.value.name == "spacer_width"
    with pytest.raises(InvalidParameterError) as info:
        sadp_process(Layout(), Layout(), bad)
    assert info.value.name == "spacer_width"


@pytest.mark.parametrize("kwargs, name", [
    ({"min_mandrel_space": 10.0}, "min_mandrel_space"),  # below the spacer width
    ({"min_trim_space": -1.0}, "min_trim_space"),
    ({"min_trim_width": math.nan}, "min_trim_width"),
    ({"trim_bias": 25.0}, "trim_bias"),
    ({"tolerance": -1e-3}, "tolerance"),
])
def test_bad_rules_are_named(kwargs, name):
    with pytest.raises(InvalidParameterError) as info:
        decompose_sadp(lines([20.0], []), 20.0, **kwargs)
    assert info.value.name == name


def test_empty_or_wrong_layout_is_named():
    for bad in (Layout(), [[0, 0, 10, 10]]):
        with pytest.raises(InvalidParameterError) as info:
            decompose_sadp(bad, 20.0)
        assert info.value.name == "layout"


# -- properties --------------------------------------------------------------------------------


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(10, 40), st.sampled_from([0, 0, 0, 20, 35, 60])), min_size=2, max_size=8))
def test_random_line_arrays_with_spacer_or_wide_gaps_are_legal(spec):
    s = 20.0
    widths = [float(w) for w, _ in spec]
    gaps = [s + float(extra) if extra == 0 else 2 * s + float(extra) for _, extra in spec[:-1]]
    target = lines(widths, gaps)
    r = decompose_sadp(target, s)
    assert r.legal, r.summary()
    assert geom(r.printed).symmetric_difference(geom(target)).area <= perimeter_tol(target)
    for k, g in enumerate(gaps):
        if g == s:  # spacer-spaced neighbours alternate
            assert r.is_mandrel[k] != r.is_mandrel[k + 1]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 9), st.integers(0, 9), st.integers(1, 3), st.integers(1, 3)),
                min_size=1, max_size=10))
def test_random_manhattan_layouts_print_exactly_unless_closer_than_the_spacer(cells):
    # rectangles on a 20 nm grid: every spacing is a multiple of 20 nm = s (or 0: merged)
    s = 20.0
    target = Layout.from_rects([[20 * x, 20 * y, 20 * (x + w), 20 * (y + h)] for x, y, w, h in cells])
    r = decompose_sadp(target, s)
    _, printed = shapely_process(r.mandrel, r.trim, s)
    assert printed.symmetric_difference(geom(r.printed)).area <= perimeter_tol(target)
    if not any(u.kind == "spacing" for u in r.unmakeable):
        # spacings >= s: the masks reproduce the target, whatever the conflicts
        assert r.xor_area <= r.xor_tolerance
        assert printed.symmetric_difference(geom(target)).area <= perimeter_tol(target)
    assert r.legal == (r.xor_area <= r.xor_tolerance and not r.unmakeable and not r.conflicts)
    # the mandrel mask never holds two features closer than min_mandrel_space unless reported
    if not r.conflicts and not r.unmakeable:
        mand = [Polygon(p) for p in r.mandrel.polygons]
        for k, a in enumerate(mand):
            for b in mand[k + 1:]:
                dx = max(0.0, max(b.bounds[0] - a.bounds[2], a.bounds[0] - b.bounds[2]))
                dy = max(0.0, max(b.bounds[1] - a.bounds[3], a.bounds[1] - b.bounds[3]))
                if a.area == a.envelope.area and b.area == b.envelope.area:
                    assert max(dx, dy) >= r.min_mandrel_space - 1e-9
