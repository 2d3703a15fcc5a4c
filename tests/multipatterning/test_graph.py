"""Conflict graphs: literature sizes, brute-force distances, patterns, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

import litho
from litho.errors import InvalidParameterError
from litho.multipatterning import conflict_graph

DATA = Path(__file__).resolve().parents[1] / "data" / "mpl"

# ../shared/data/mpl/README.md: vertices / edges at 120 nm
LITERATURE = {1: (1109, 1222), 2: (2216, 2817), 3: (2411, 2686), 4: (3262, 3326), 5: (5125, 5598)}


@pytest.mark.parametrize("index", sorted(LITERATURE))
def test_mpl_graph_sizes_match_the_literature(index):
    graph = conflict_graph(litho.Layout.read(DATA / f"sim_c{index}.gds"), 120.0)
    assert (graph.n_patterns, graph.n_edges) == LITERATURE[index]


def brute_force(polygons, min_space):
    """Patterns and edges from all pairwise GEOS distances (independent of the R-tree)."""
    geoms = [shapely.Polygon(p) for p in polygons]
    n = len(geoms)
    parent = list(range(n))

    def find(a):
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    d = np.array([[geoms[i].distance(geoms[j]) for j in range(n)] for i in range(n)])
    for i in range(n):
        for j in range(i + 1, n):
            if d[i, j] <= 0:
                parent[find(i)] = find(j)
    roots = [find(i) for i in range(n)]
    edges = set()
    for i in range(n):
        for j in range(i + 1, n):
            if 0 < d[i, j] < min_space and roots[i] != roots[j]:
                edges.add(frozenset((roots[i], roots[j])))
    return roots, edges


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 300), st.integers(0, 300), st.integers(5, 80), st.integers(5, 80),
                          st.booleans()), min_size=1, max_size=25), st.sampled_from([20.0, 45.5, 90.0]))
def test_graph_equals_brute_force(boxes, min_space):
    polygons = []
    for x, y, w, h, tilt in boxes:
        if tilt:  # an all-angle quadrilateral (GEOS distances)
            polygons.append(np.array([[x, y], [x + w, y + h / 4], [x + w, y + h], [x - w / 4, y + h]], float))
        else:
            polygons.append(np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]], float))
    graph = conflict_graph(litho.Layout.from_polygons(polygons), min_space)
    roots, edges = brute_force(polygons, min_space)
    # same partition into patterns
    for i in range(len(polygons)):
        for j in range(len(polygons)):
            assert (graph.pattern[i] == graph.pattern[j]) == (roots[i] == roots[j])
    # same edges, via any member polygon of each pattern
    representative = {}
    for i, r in enumerate(roots):
        representative.setdefault(int(graph.pattern[i]), r)
    got = {frozenset((representative[int(u)], representative[int(v)])) for u, v in graph.edges}
    assert got == edges


def test_touching_at_a_corner_is_one_pattern_and_spacing_is_strict():
    a = [0, 0, 10, 10]
    corner = [10, 10, 20, 20]  # touches a at one corner: same pattern
    exact = [30, 0, 40, 10]  # exactly 10 nm from the corner rectangle, 20 nm from a
    layout = litho.Layout.from_rects(np.array([a, corner, exact], float))
    graph = conflict_graph(layout, 10.0)
    assert graph.pattern[0] == graph.pattern[1] != graph.pattern[2]
    assert graph.n_edges == 0  # distance 10 is not strictly less than 10
    assert conflict_graph(layout, 10.0 + 1e-9).n_edges == 1


def test_bad_input():
    with pytest.raises(InvalidParameterError, match="layout"):
        conflict_graph(litho.Layout(), 100.0)
    square = litho.Layout.from_rects(np.array([[0, 0, 10, 10]], float), layer=(1, 0))
    with pytest.raises(InvalidParameterError, match="min_space"):
        conflict_graph(square, 0.0)
    with pytest.raises(InvalidParameterError, match=r"layer \(2, 0\)"):
        conflict_graph(square, 10.0, layer=(2, 0))
    bowtie = litho.Layout.from_polygons([np.array([[0, 0], [10, 10], [10, 0], [0, 10]], float)])
    with pytest.raises(InvalidParameterError, match="self-intersection|Self-intersection|simple"):
        conflict_graph(bowtie, 10.0)
