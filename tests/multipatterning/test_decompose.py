"""Decompositions: validity from scratch, literature optima, hand-built cases, stitches."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import litho
from litho.cli import main
from litho.errors import InvalidParameterError
from litho.multipatterning import conflict_graph, decompose
from litho.multipatterning.graph import polygon_pairs_within

DATA = Path(__file__).resolve().parents[1] / "data" / "mpl"

# Exact minimum conflicts, TPL at 120 nm, no stitches (the issue; OpenMPL with an ILP).
TPL_OPTIMUM = {1: 4, 2: 0, 3: 7, 4: 3, 5: 1}


def check_valid(result, min_space):
    """Recheck from scratch: on every mask, polygons of different patterns closer than
    min_space must be one of the listed conflicts; every polygon is on exactly one mask
    (up to stitch pieces), and the listed conflict count matches the masks."""
    pattern_of = {}
    graph = conflict_graph(result.graph.layout, min_space)
    source_patterns = graph.pattern
    # map every mask polygon back to its source pattern by containment of its centre
    import shapely

    sources = [shapely.Polygon(p) for p in graph.layout.polygons]
    tree = shapely.STRtree(sources)
    found = set()
    for c, mask in enumerate(result.masks):
        if not len(mask):
            continue
        pats = []
        for polygon in mask.polygons:
            centre = shapely.Polygon(polygon).representative_point()
            hits = tree.query(centre, predicate="intersects")
            assert len(hits) >= 1
            pats.append(int(source_patterns[hits[0]]))
        pats = np.array(pats)
        pairs, _ = polygon_pairs_within(mask, min_space)
        for i, j in pairs.tolist():
            if pats[i] != pats[j]:
                found.add(tuple(sorted((pats[i], pats[j]))))
        for p in set(pats.tolist()):
            pattern_of.setdefault(p, set()).add(c)
    assert found <= set(map(tuple, result.conflicts))
    assert set(pattern_of) == set(range(graph.n_patterns))  # nothing lost
    if len(result.stitches) == 0:
        assert all(len(masks) == 1 for masks in pattern_of.values())
        assert found == set(map(tuple, result.conflicts))


def squares(centres, size=10.0):
    return litho.Layout.from_rects(np.array([[x, y, x + size, y + size] for x, y in centres], float))


@pytest.mark.parametrize("index", sorted(TPL_OPTIMUM))
def test_tpl_exact_reproduces_the_literature_optimum(index):
    layout = litho.Layout.read(DATA / f"sim_c{index}.gds")
    exact = decompose(layout, 3, 120.0, solver="exact")
    assert exact.conflict_count == TPL_OPTIMUM[index] and exact.optimal
    check_valid(exact, 120.0)
    fast = decompose(layout, 3, 120.0, solver="fast")
    assert fast.conflict_count >= TPL_OPTIMUM[index]
    assert fast.lower_bound <= TPL_OPTIMUM[index]
    check_valid(fast, 120.0)


def test_odd_cycle_k2_k4_k3_k5_k4():
    # a ring of 5 squares: neighbours 29-41 nm apart, the others more than 72 nm
    ring = squares([(60 * np.cos(a), 60 * np.sin(a)) for a in np.arange(5) * 2 * np.pi / 5], size=30)
    assert conflict_graph(ring, 60.0).n_edges == 5
    assert decompose(ring, 2, 60.0).conflict_count == 1
    assert decompose(ring, 3, 60.0).conflict_count == 0
    k4 = squares([(0, 0), (20, 0), (0, 20), (20, 20)])  # all pairs within 10*sqrt(2) < 20
    assert conflict_graph(k4, 20.0).n_edges == 6
    assert decompose(k4, 3, 20.0).conflict_count == 1
    assert decompose(k4, 4, 20.0).conflict_count == 0
    k5 = squares([(30 * np.cos(a), 30 * np.sin(a)) for a in np.arange(5) * 2 * np.pi / 5])
    assert conflict_graph(k5, 50.0).n_edges == 10
    assert decompose(k5, 4, 50.0).conflict_count == 1


def stitch_case():
    """A 5-cycle B-S1-X-Y-S2-B whose long bar B can be cut between S1's and S2's reach."""
    return litho.Layout.from_rects(np.array([
        [0, 0, 400, 20],  # B
        [0, 60, 20, 80],  # S1: 40 nm above B's left end
        [380, 60, 400, 80],  # S2: 40 nm above B's right end
        [0, 120, 180, 140],  # X: 40 nm above S1
        [220, 120, 400, 140],  # Y: 40 nm from X and above S2
    ], float))


def test_a_stitch_resolves_an_odd_cycle():
    layout = stitch_case()
    plain = decompose(layout, 2, 50.0)
    assert plain.conflict_count == 1 and plain.cost == 1.0
    stitched = decompose(layout, 2, 50.0, stitches=True)
    assert stitched.conflict_count == 0 and len(stitched.stitches) == 1
    assert stitched.cost == pytest.approx(0.1) and stitched.optimal
    # the cut lies in a long bar of the cycle (B, X or Y: each has an uncovered stretch
    # with a neighbour on either side), on its centre line
    x, y = stitched.stitches[0]
    assert y in (10.0, 130.0)
    bar_y0, bar_y1 = (0.0, 20.0) if y == 10.0 else (120.0, 140.0)
    # the two pieces of the cut bar overlap by the stitch overlap (min_space / 4)
    pieces = [p for m in stitched.masks for p in m.polygons
              if p[:, 1].min() >= bar_y0 and p[:, 1].max() <= bar_y1 and p[:, 0].min() <= x <= p[:, 0].max()]
    assert len(pieces) == 2
    overlap = min(p[:, 0].max() for p in pieces) - max(p[:, 0].min() for p in pieces)
    assert overlap == pytest.approx(12.5)
    # an expensive stitch is not worth it
    assert decompose(layout, 2, 50.0, stitches=True, stitch_weight=2.0).cost == 1.0


def test_balance_evens_masks_without_changing_the_cost():
    layout = litho.Layout.read(DATA / "sim_c1.gds")
    plain = decompose(layout, 3, 120.0, solver="fast")
    even = decompose(layout, 3, 120.0, solver="fast", balance=True)
    assert even.conflict_count == plain.conflict_count and len(even.stitches) == len(plain.stitches)
    spread = lambda d: np.ptp(d.mask_areas()) / d.mask_areas().mean()  # noqa: E731
    assert spread(even) <= spread(plain) and spread(even) < 0.02
    check_valid(even, 120.0)


def test_write_and_cli(tmp_path, capsys):
    out = tmp_path / "masks.gds"
    result = decompose(stitch_case(), 2, 50.0)
    result.write(out)
    back = litho.Layout.read(out)
    layers = {tuple(map(int, pair)) for pair in back.layers}
    assert {(100, 0), (101, 0), (200, 0)} <= layers
    assert len(back.select((200, 0))) == result.conflict_count == 1
    code = main(["decompose", str(DATA / "sim_c1.gds"), "--masks", "3", "--min-space", "120",
                 "-o", str(tmp_path / "c1.gds"), "-j"])
    assert code == 0
    record = json.loads(capsys.readouterr().out)
    assert record["conflicts"] == 4 and record["patterns"] == 1109 and record["edges"] == 1222
    assert main(["decompose", str(DATA / "sim_c1.gds"), "--min-space", "120", "--layer", "7/0"]) == 1


@pytest.mark.parametrize("kwargs, name", [({"n_masks": 1}, "n_masks"), ({"min_space": 0.0}, "min_space"),
                                          ({"solver": "magic"}, "solver"), ({"stitch_weight": -1}, "stitch_weight")])
def test_bad_arguments(kwargs, name):
    args = {"n_masks": 3, "min_space": 50.0} | kwargs
    with pytest.raises(InvalidParameterError, match=name):
        decompose(stitch_case(), args.pop("n_masks"), args.pop("min_space"), **args)
    with pytest.raises(InvalidParameterError, match="layout"):
        decompose(litho.Layout(), 3, 50.0)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 400), st.integers(0, 400), st.integers(5, 120), st.integers(5, 30)),
                min_size=2, max_size=40), st.sampled_from([2, 3, 4]), st.booleans())
def test_random_layouts_valid_and_exact_not_worse_than_fast(rects, k, stitches):
    boxes = np.array([[x, y, x + w, y + h] if i % 2 else [x, y, x + h, y + w]
                      for i, (x, y, w, h) in enumerate(rects)], float)
    layout = litho.Layout.from_rects(boxes)
    exact = decompose(layout, k, 40.0, solver="exact", stitches=stitches)
    fast = decompose(layout, k, 40.0, solver="fast", stitches=stitches)
    check_valid(exact, 40.0)
    check_valid(fast, 40.0)
    assert exact.cost <= fast.cost + 1e-9
    assert exact.optimal and exact.lower_bound <= exact.cost + 1e-9
