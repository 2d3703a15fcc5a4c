"""Tests of litho.multipatterning.coloring (k-colouring for layout decomposition).

Independent truth: closed forms for small graphs (odd cycles, complete graphs) and
brute force over all k**n colourings for random graphs of <= 8 vertices. Every result
is also checked for internal consistency: conflicts, stitches and cost recomputed from
the returned colours must equal the reported ones.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from litho.errors import InvalidParameterError
from litho.multipatterning._simplify import biconnected_blocks, merge_pairs
from litho.multipatterning.coloring import ColoringResult, color_graph

# Costs are sums of integers and integer multiples of the stitch weight: compare them to
# 1e-9 (float rounding of a few hundred additions), never looser.
TOL = 1e-9


def cycle(n: int) -> np.ndarray:
    return np.array([(i, (i + 1) % n) for i in range(n)])


def complete(n: int, offset: int = 0) -> np.ndarray:
    return np.array([(a + offset, b + offset) for a, b in itertools.combinations(range(n), 2)])


def check_consistent(r: ColoringResult, n: int, edges, k: int, stitch_edges=None, w: float = 0.1):
    """The reported conflicts, stitches and cost follow from the returned colours."""
    edges = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    stitch = np.zeros((0, 2), np.int64) if stitch_edges is None else np.asarray(stitch_edges).reshape(-1, 2)
    c = r.colors
    assert c.shape == (n,) and c.dtype == np.int64
    assert n == 0 or (c.min() >= 0 and c.max() < k)
    # distinct conflict pairs with equal colours, each reported once by its first row
    seen = {}
    for i, (a, b) in enumerate(edges.tolist()):
        seen.setdefault((min(a, b), max(a, b)), i)
    expected = sorted(i for (a, b), i in seen.items() if c[a] == c[b])
    assert r.conflict_edges.tolist() == expected
    spairs = {(min(a, b), max(a, b)) for a, b in stitch.tolist()}
    assert r.stitch_count == sum(c[a] != c[b] for a, b in spairs)
    assert r.cost == pytest.approx(len(expected) + w * r.stitch_count, abs=TOL)
    assert r.lower_bound <= r.cost + TOL
    if r.optimal:
        assert r.lower_bound == pytest.approx(r.cost, abs=TOL)


def brute_force(n: int, edges, k: int, stitch_edges=(), w: float = 0.1) -> float:
    conf = {(min(a, b), max(a, b)) for a, b in np.asarray(edges).reshape(-1, 2).tolist()}
    sti = {(min(a, b), max(a, b)) for a, b in np.asarray(stitch_edges).reshape(-1, 2).tolist()}
    best = float("inf")
    for col in itertools.product(range(k), repeat=n):
        cost = sum(col[a] == col[b] for a, b in conf) + w * sum(col[a] != col[b] for a, b in sti)
        best = min(best, cost)
    return best


# ----------------------------------------------------------------------------- closed forms


@pytest.mark.parametrize("solver", ["exact", "fast"])
def test_odd_cycle_two_colours_has_one_conflict(solver):
    # C5 is not bipartite: any 2-colouring has an odd number (>= 1) of same-colour edges
    r = color_graph(5, cycle(5), 2, solver=solver)
    check_consistent(r, 5, cycle(5), 2)
    assert len(r.conflict_edges) == 1 and r.cost == 1.0
    assert r.optimal  # an odd cycle is its own lower-bound certificate


@pytest.mark.parametrize("solver", ["exact", "fast"])
def test_even_cycle_two_colourable(solver):
    r = color_graph(6, cycle(6), 2, solver=solver)
    check_consistent(r, 6, cycle(6), 2)
    assert r.cost == 0.0 and r.optimal
    assert np.all(r.colors[cycle(6)[:, 0]] != r.colors[cycle(6)[:, 1]])


@pytest.mark.parametrize(("n", "k", "cost"), [(4, 3, 1), (5, 4, 1), (4, 4, 0), (5, 3, 2), (6, 2, 6)])
def test_complete_graphs(n, k, cost):
    # K_n with k colours: the most balanced split of n into k classes (2,2,1 for K5/k=3:
    # 2 same-colour pairs; 3,3 for K6/k=2: 3 + 3)
    r = color_graph(n, complete(n), k)
    check_consistent(r, n, complete(n), k)
    assert r.cost == cost and r.optimal and r.lower_bound == cost


def test_two_k4_sharing_an_articulation_vertex():
    # two K4 blocks joined at vertex 3: each forces one conflict; recombination by colour
    # permutation must keep both blocks' optima (total 2) with vertex 3 consistent
    edges = np.vstack([complete(4), complete(4, offset=3)])
    for solver in ("exact", "fast"):
        r = color_graph(7, edges, 3, solver=solver)
        check_consistent(r, 7, edges, 3)
        assert r.cost == 2 and r.optimal
        assert r.stats["n_pieces"] == 2


def test_chain_of_blocks_recombination():
    # C5 - C5 - C5 chained by shared vertices plus pendant trees, k = 2: 3 conflicts
    edges = np.vstack([cycle(5), cycle(5) + 4, cycle(5) + 8, [(12, 13), (13, 14), (0, 15)]])
    r = color_graph(16, edges, 2)
    check_consistent(r, 16, edges, 2)
    assert r.cost == 3 and r.optimal


# ----------------------------------------------------------------------------- stitches


def stitch_example():
    """K4 on {0, 1, 2, 3} where vertex 3 is split into 3a = 3 and 3b = 4 joined by a
    stitch; 3a keeps the edges to 0 and 1, 3b the edge to 2. With the stitch cut
    (3a != 3b) the graph is 3-colourable; without, it is a K4 (one conflict)."""
    edges = np.array([(0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (4, 2)])
    stitches = np.array([(3, 4)])
    return 5, edges, stitches


@pytest.mark.parametrize("solver", ["exact", "fast"])
def test_stitch_avoids_conflict(solver):
    n, edges, stitches = stitch_example()
    r = color_graph(n, edges, 3, stitch_edges=stitches, stitch_weight=0.1, solver=solver)
    check_consistent(r, n, edges, 3, stitches, 0.1)
    assert r.cost == pytest.approx(0.1, abs=TOL)
    assert len(r.conflict_edges) == 0 and r.stitch_count == 1


@pytest.mark.parametrize("solver", ["exact", "fast"])
def test_expensive_stitch_prefers_conflict(solver):
    n, edges, stitches = stitch_example()
    r = color_graph(n, edges, 3, stitch_edges=stitches, stitch_weight=2.0, solver=solver)
    check_consistent(r, n, edges, 3, stitches, 2.0)
    assert r.cost == 1.0 and r.stitch_count == 0 and len(r.conflict_edges) == 1


def test_zero_weight_stitches_are_free():
    n, edges, stitches = stitch_example()
    r = color_graph(n, edges, 3, stitch_edges=stitches, stitch_weight=0.0)
    check_consistent(r, n, edges, 3, stitches, 0.0)
    assert r.cost == 0.0 and r.optimal


def test_stitch_only_graph_has_no_cost():
    stitches = np.array([(0, 1), (1, 2), (2, 0), (3, 4)])
    r = color_graph(5, np.zeros((0, 2), int), 2, stitch_edges=stitches)
    check_consistent(r, 5, np.zeros((0, 2), int), 2, stitches)
    assert r.cost == 0.0 and r.stitch_count == 0


# ----------------------------------------------------------------------------- simplification


def test_duplicate_and_reversed_edges_are_merged():
    edges = np.array([(0, 1), (1, 0), (0, 1), (1, 2), (2, 0)])
    r = color_graph(3, edges, 2)
    check_consistent(r, 3, edges, 2)
    assert r.cost == 1.0  # a triangle, counted once per distinct pair
    assert set(r.conflict_edges.tolist()) <= {0, 3, 4}


def test_low_degree_removal_adds_no_conflict():
    # a tree (every vertex peels) and a K4 with pendant paths: the pendant vertices are
    # removed and must come back without conflicts
    rng = np.random.default_rng(1)
    parents = [rng.integers(i) for i in range(1, 200)]
    tree = np.array([(p, i) for i, p in zip(range(1, 200), parents)])
    r = color_graph(200, tree, 2)
    check_consistent(r, 200, tree, 2)
    assert r.cost == 0 and r.stats["removed_low_degree"] == 200 and r.stats["n_pieces"] == 0
    edges = np.vstack([complete(4), [(0, 4), (4, 5), (5, 6), (1, 7), (7, 8), (8, 4)]])
    r = color_graph(9, edges, 3)
    check_consistent(r, 9, edges, 3)
    assert r.cost == 1 and r.stats["removed_low_degree"] == 5


def test_isolated_vertices_and_empty_graph():
    r = color_graph(4, np.zeros((0, 2), int), 3)
    assert r.colors.tolist() == [0, 0, 0, 0] and r.cost == 0 and r.optimal
    r = color_graph(0, [], 2)
    assert r.colors.shape == (0,) and r.cost == 0 and r.optimal


def test_biconnected_blocks_of_a_bowtie_and_bridge():
    # two triangles sharing vertex 2, plus bridge 4-5: three blocks
    u, v, _ = merge_pairs(np.array([(0, 1), (1, 2), (2, 0), (2, 3), (3, 4), (4, 2), (4, 5)]), 6)
    blk, nb = biconnected_blocks(6, u, v)
    assert nb == 3
    groups = {}
    for a, b, x in zip(u.tolist(), v.tolist(), blk.tolist()):
        groups.setdefault(x, set()).add((a, b))
    assert sorted(map(sorted, groups.values())) == [
        [(0, 1), (0, 2), (1, 2)], [(2, 3), (2, 4), (3, 4)], [(4, 5)]]


def test_result_is_immutable():
    r = color_graph(3, cycle(3), 2)
    with pytest.raises(ValueError):
        r.colors[0] = 1
    with pytest.raises(AttributeError):
        r.cost = 0.0  # frozen dataclass


# ----------------------------------------------------------------------------- properties


@st.composite
def graphs(draw, max_n: int = 40):
    """Random graphs with a few stitch edges. Up to 8 vertices any density; beyond that
    an average degree up to ~5, as in layout conflict graphs (dense random graphs of 40
    vertices are hard instances for any exact solver and not what layouts produce)."""
    n = draw(st.integers(1, max_n))
    k = draw(st.sampled_from([2, 3, 4]))
    pairs = list(itertools.combinations(range(n), 2))
    density = draw(st.floats(0.0, 0.8 if n <= 8 else min(0.8, 5.0 / n)))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    chosen = [p for p in pairs if rng.random() < density]
    edges = np.array(chosen, dtype=np.int64).reshape(-1, 2)
    if len(edges) and draw(st.booleans()):
        edges = np.vstack([edges, edges[: len(edges) // 3, ::-1]])  # duplicates, reversed
    n_st = draw(st.integers(0, min(3, len(pairs))))
    stitch = np.array([pairs[i] for i in rng.choice(len(pairs), n_st, replace=False)],
                      dtype=np.int64).reshape(-1, 2) if n_st else None
    return n, edges, k, stitch


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs(max_n=8))
def test_exact_equals_brute_force(case):
    n, edges, k, stitch = case
    truth = brute_force(n, edges, k, () if stitch is None else stitch)
    r = color_graph(n, edges, k, stitch_edges=stitch)
    check_consistent(r, n, edges, k, stitch)
    assert r.optimal
    assert r.cost == pytest.approx(truth, abs=TOL)
    f = color_graph(n, edges, k, stitch_edges=stitch, solver="fast")
    check_consistent(f, n, edges, k, stitch)
    assert f.cost >= truth - TOL and f.lower_bound <= truth + TOL


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs(max_n=40), st.integers(0, 3))
def test_exact_not_worse_than_fast_and_bounds_hold(case, seed):
    n, edges, k, stitch = case
    e = color_graph(n, edges, k, stitch_edges=stitch, seed=seed)
    f = color_graph(n, edges, k, stitch_edges=stitch, solver="fast", seed=seed)
    check_consistent(e, n, edges, k, stitch)
    check_consistent(f, n, edges, k, stitch)
    assert e.optimal
    assert e.cost <= f.cost + TOL
    assert f.lower_bound <= e.cost + TOL  # fast's bound is a bound on the true optimum


def numpy_brute_force(n: int, edges, k: int, stitch_edges=(), w: float = 0.1) -> float:
    """Minimum cost over all k**n colourings, vectorised (independent of the library)."""
    conf = np.unique(np.sort(np.asarray(edges, np.int64).reshape(-1, 2), axis=1), axis=0)
    sti = np.unique(np.sort(np.asarray(stitch_edges, np.int64).reshape(-1, 2), axis=1), axis=0)
    codes = np.arange(k ** n, dtype=np.int64)
    cols = (codes[:, None] // k ** np.arange(n)) % k
    cost = (cols[:, conf[:, 0]] == cols[:, conf[:, 1]]).sum(axis=1).astype(float)
    cost += w * (cols[:, sti[:, 0]] != cols[:, sti[:, 1]]).sum(axis=1)
    return float(cost.min())


def random_case(rng, n: int, density: float, n_stitch: int):
    pairs = np.array(list(itertools.combinations(range(n), 2)))
    edges = pairs[rng.random(len(pairs)) < density]
    stitch = pairs[rng.choice(len(pairs), n_stitch, replace=False)] if n_stitch else np.zeros((0, 2), int)
    return edges, stitch


@pytest.mark.parametrize(("k", "n"), [(2, 13), (3, 10), (4, 9)])
def test_integer_program_and_bounds_match_brute_force(k, n, monkeypatch):
    # pieces just above the exhaustive-search size go to the integer program; with the
    # exhaustive search switched off the whole pipeline (bounds, tabu, MILP) must still
    # find the brute-force optimum, and every bound must stay below it
    from litho.multipatterning import _ilp
    from litho.multipatterning._heuristic import PieceGraph

    monkeypatch.setattr(_ilp, "EXHAUSTIVE_LIMIT", 1)
    rng = np.random.default_rng(10 * k + n)
    for trial in range(4):
        edges, stitch = random_case(rng, n, 0.5, 3 * (trial % 2))
        w = (0.1, 0.7)[trial // 2]
        truth = numpy_brute_force(n, edges, k, stitch, w)
        r = color_graph(n, edges, k, stitch_edges=stitch, stitch_weight=w)
        check_consistent(r, n, edges, k, stitch, w)
        assert r.optimal and r.cost == pytest.approx(truth, abs=TOL)
        # the MILP alone (no heuristic upper bound, with and without cuts)
        u, v, _ = merge_pairs(edges, n)
        su, sv, _ = merge_pairs(stitch, n)
        g = PieceGraph(n, u, v, su, sv, k, w)
        cuts = _ilp.Cuts(g)
        assert _ilp.lp_bound(g, cuts) <= truth + TOL  # the cut LP is a valid bound
        assert _ilp.quick_bound(g) <= truth + TOL
        for c in (cuts, None):
            res = _ilp.solve_milp(g, None, c, None)
            assert res["optimal"] and g.cost(res["colors"]) == pytest.approx(truth, abs=TOL)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(2, 8), st.sampled_from([2, 3, 4]), st.floats(0.2, 0.9),
       st.integers(0, 6), st.sampled_from([0.05, 0.1, 0.5, 2.0]), st.integers(0, 2**32 - 1))
def test_bounds_and_integer_program_are_sound_with_stitches(n, k, density, n_stitch, w, seed):
    # the cut LP (conflict structures and stitch-contracted structures, "a conflict or a
    # stitch"), the quick bound and the integer program against brute force
    from litho.multipatterning import _ilp
    from litho.multipatterning._heuristic import PieceGraph

    rng = np.random.default_rng(seed)
    edges, stitch = random_case(rng, n, density, min(n_stitch, n * (n - 1) // 2))
    truth = numpy_brute_force(n, edges, k, stitch, w)
    u, v, _ = merge_pairs(edges, n)
    su, sv, _ = merge_pairs(stitch, n)
    g = PieceGraph(n, u, v, su, sv, k, w)
    cuts = _ilp.Cuts(g)
    assert _ilp.lp_bound(g, cuts) <= truth + TOL
    assert _ilp.quick_bound(g) <= truth + TOL
    res = _ilp.solve_milp(g, None, cuts, None)
    assert res["optimal"] and g.cost(res["colors"]) == pytest.approx(truth, abs=TOL)


def test_time_limit_reports_bound_not_optimality():
    # a dense random block (40 vertices, degree ~12) at k = 3: its integer program takes
    # far longer than 1 s, so HiGHS stops at the limit; the colouring must still be
    # valid, with a proven bound below the cost and no optimality claim. (1e-3 s: the
    # limit is spent before any integer program starts.)
    rng = np.random.default_rng(0)
    pairs = np.array(list(itertools.combinations(range(40), 2)))
    edges = pairs[rng.random(len(pairs)) < 0.3]
    fast = color_graph(40, edges, 3, solver="fast")
    for limit in (1.0, 1e-3):
        r = color_graph(40, edges, 3, time_limit=limit)
        check_consistent(r, 40, edges, 3)
        assert not r.optimal and r.lower_bound < r.cost
        assert max(r.lower_bound, fast.lower_bound) <= min(r.cost, fast.cost)
        assert r.stats["milp_unproven"] == 1  # the integer program was stopped, not finished
    assert r.stats["milp_calls"] == 0


def test_fast_handles_a_large_sparse_graph():
    # 20,000-vertex random geometric graph (average degree ~3): result valid, fast's
    # bound below exact's cost and exact never worse
    rng = np.random.default_rng(0)
    n = 20000
    pts = rng.random((n, 2))
    from scipy.spatial import cKDTree

    edges = cKDTree(pts).query_pairs(np.sqrt(3.0 / (np.pi * n)), output_type="ndarray")
    f = color_graph(n, edges, 3, solver="fast")
    check_consistent(f, n, edges, 3)
    e = color_graph(n, edges, 3, solver="exact")
    check_consistent(e, n, edges, 3)
    assert e.optimal and e.cost <= f.cost + TOL and f.lower_bound <= e.cost + TOL


# ----------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"k": 1}, "k"),
        ({"k": 2.5}, "k"),
        ({"edges": [(0, 5)]}, "edges[0]"),
        ({"edges": [(0, -1)]}, "edges[0]"),
        ({"edges": [(1, 2), (2, 2)]}, "edges[1]"),
        ({"edges": [(0, 1, 2)]}, "edges"),
        ({"stitch_edges": [(0, 9)]}, "stitch_edges[0]"),
        ({"stitch_edges": [(1, 1)]}, "stitch_edges[0]"),
        ({"stitch_weight": -0.1}, "stitch_weight"),
        ({"stitch_weight": float("nan")}, "stitch_weight"),
        ({"solver": "ilp"}, "solver"),
        ({"time_limit": 0}, "time_limit"),
        ({"n_vertices": -1}, "n_vertices"),
    ],
)
def test_bad_inputs_name_the_parameter(kwargs, name):
    args = {"n_vertices": 4, "edges": [(0, 1), (1, 2)], "k": 3}
    args.update(kwargs)
    with pytest.raises(InvalidParameterError) as info:
        color_graph(args.pop("n_vertices"), args.pop("edges"), args.pop("k"), **args)
    assert info.value.name == name
    assert isinstance(info.value, ValueError)
