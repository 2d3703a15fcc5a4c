"""Graph colouring for multiple-patterning layout decomposition.

:func:`color_graph` assigns each vertex of a decomposition graph one of ``k`` masks
(colours), minimising ``conflicts + stitch_weight * stitches``: a conflict edge whose two
ends share a colour is a conflict; a stitch edge (joining two sub-features of one split
polygon) whose two ends get different colours is a stitch.

The graph is first simplified as in the decomposition literature (Yu & Pan's TPL
papers, OpenMPL), see :mod:`._simplify`: connected components, iterative removal of
vertices with fewer than ``k`` conflict neighbours and no stitch (coloured last, at no
cost), and biconnected components (blocks). The cost is a sum over the blocks' edges and
a block can be recoloured by a colour permutation without changing its cost, so each
block is solved on its own and the blocks are recombined along the block-cut tree by
permutations; the result is optimal when every block is, and the blocks' lower bounds
add up to a lower bound of the whole.

Each block is coloured by DSATUR plus a min-cost descent (:mod:`._heuristic`). When
that does not reach the block's quick lower bound (edge-disjoint ``(k+1)``-cliques, or
odd cycles for ``k = 2``), tiny blocks are enumerated; otherwise a stronger bound is
computed (the LP over "forcing structures": odd cycles, odd wheels, cliques, and the
same with stitch groups contracted, see :class:`._ilp.Cuts`), a tabu search with
randomised restarts improves the colouring, and with ``solver="exact"`` an integer
program (HiGHS via :func:`scipy.optimize.milp`, :mod:`._ilp`) with those structures as
cuts proves or improves it. Most blocks of real layouts stop at the first bound.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from .._validate import choice, integer, nonnegative_number, positive_number
from ..errors import InvalidParameterError
from ._heuristic import LocalSearch, PieceGraph, dsatur
from ._ilp import (
    Cuts,
    exhaustive,
    exhaustive_feasible,
    lp_bound,
    quick_bound,
    round_up_cost,
    solve_milp,
)
from ._simplify import (
    biconnected_blocks,
    color_removed,
    csr,
    merge_pairs,
    peel_low_degree,
    recombine_blocks,
)

__all__ = ["ColoringResult", "color_graph"]

_EPS = 1e-9
# tabu search effort per piece (iterations: at most _TABU_MAX and _TABU_PER_VERTEX per
# vertex; stop after max(_STALL_MIN, _STALL_PER_VERTEX * n) without a new best) and
# the number of randomised restarts
_TABU_MAX = 2000
_TABU_PER_VERTEX = 20
_STALL_MIN = 50
_STALL_PER_VERTEX = 2
_RESTARTS = 2


@dataclass(frozen=True)
class ColoringResult:
    """Result of :func:`color_graph`.

    Attributes
    ----------
    colors : ndarray of int64, shape (n_vertices,)
        The colour (mask index) of each vertex, in ``[0, k)``.
    conflict_edges : ndarray of int64
        Row indices into ``edges`` of the conflict edges whose two ends share a colour,
        sorted. Duplicate (or reversed) rows are one edge, reported by its first row.
    stitch_count : int
        Number of (distinct) stitch edges whose two ends have different colours.
    cost : float
        ``len(conflict_edges) + stitch_weight * stitch_count``.
    optimal : bool
        True when ``cost`` is proven minimal.
    lower_bound : float
        A proven lower bound on the minimum cost (``== cost`` when ``optimal``).
    stats : dict
        ``n_components``, ``removed_low_degree``, ``kernel_vertices``, ``n_pieces``
        (blocks solved independently), ``largest_piece`` (vertices), ``seconds``, and
        solver details: ``pieces_heuristic`` (proven by the heuristic meeting the lower
        bound), ``exhaustive_calls``, ``tabu_calls``, ``milp_calls``, ``milp_seconds``,
        ``milp_unproven``, ``solver``.
    """

    colors: np.ndarray
    conflict_edges: np.ndarray
    stitch_count: int
    cost: float
    optimal: bool
    lower_bound: float
    stats: dict = field(default_factory=dict)


def _pairs(name: str, value: Any, n: int) -> np.ndarray:
    what = f"an (m, 2) array of integer vertex ids in [0, {n}) with u != v"
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError):  # ragged nested sequences, unconvertible objects
        raise InvalidParameterError(name, value, what) from None
    if arr.size == 0:
        return np.zeros((0, 2), dtype=np.int64)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise InvalidParameterError(name, value, what)
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or not np.all(arr == np.round(arr)):
            raise InvalidParameterError(name, value, what)
    elif arr.dtype.kind not in "iu":
        raise InvalidParameterError(name, value, what)
    bad = np.flatnonzero(((arr < 0) | (arr >= n)).any(axis=1))
    if len(bad):
        raise InvalidParameterError(f"{name}[{bad[0]}]", arr[bad[0]].tolist(), what)
    arr = arr.astype(np.int64)
    loops = np.flatnonzero(arr[:, 0] == arr[:, 1])
    if len(loops):
        raise InvalidParameterError(f"{name}[{loops[0]}]", arr[loops[0]].tolist(),
                                    "two different vertices (no self-loops)")
    return arr


def _heuristic_piece(g: PieceGraph, exact: bool, rnd: random.Random, deadline: float | None,
                     stats: dict) -> tuple[np.ndarray, float, float, Cuts | None]:
    """Colour one block without the integer program.

    Returns ``(colors, cost, lower_bound, cuts)``; ``cost == lower_bound`` means proven
    optimal; ``cuts`` (the forcing structures) is set when they were built.
    """
    ls = LocalSearch(g, dsatur(g))
    cost = ls.descent()
    if cost <= _EPS:
        return np.asarray(ls.col, dtype=np.int64), 0.0, 0.0, None
    lb = quick_bound(g)
    if cost <= lb + _EPS:
        stats["pieces_heuristic"] += 1
        return np.asarray(ls.col, dtype=np.int64), cost, cost, None
    if exhaustive_feasible(g.n, g.k):
        stats["exhaustive_calls"] += 1
        c, cost = exhaustive(g)
        return c, cost, cost, None

    # a stronger bound: LP over forcing structures (odd cycles, wheels, cliques)
    cuts = Cuts(g)
    lb = max(lb, lp_bound(g, cuts))
    col = ls.col
    if cost > lb + _EPS:
        # tabu search from the DSATUR colouring and from randomised restarts
        stats["tabu_calls"] += 1
        budget = min(_TABU_MAX, _TABU_PER_VERTEX * g.n)
        # "exact" searches longer: a better upper bound is far cheaper than MILP nodes
        stall = max(_STALL_MIN, _STALL_PER_VERTEX * g.n) * (4 if exact else 1)
        col, cost = ls.tabu(budget, lb, rnd, stall)
        for _ in range(_RESTARTS):
            if cost <= lb + _EPS or (deadline is not None and time.perf_counter() > deadline):
                break
            ls2 = LocalSearch(g, dsatur(g, rnd))
            ls2.descent()
            c2, cost2 = ls2.tabu(budget, lb, rnd, stall)
            if cost2 < cost - _EPS:
                col, cost = c2, cost2
    if cost <= lb + _EPS:
        stats["pieces_heuristic"] += 1
        lb = cost
    return np.asarray(col, dtype=np.int64), cost, float(lb), cuts


def _milp_piece(g: PieceGraph, col: np.ndarray, cost: float, lb: float, cuts: Cuts | None,
                deadline: float | None, stats: dict) -> tuple[np.ndarray, float, float]:
    """Prove or improve a block's colouring with the integer program (what time allows).

    Returns ``(colors, cost, lower_bound)``.
    """
    remaining = None if deadline is None else deadline - time.perf_counter()
    if remaining is not None and remaining <= 0:
        stats["milp_unproven"] += 1
        return col, cost, lb
    stats["milp_calls"] += 1
    r = solve_milp(g, cost, cuts, remaining)
    stats["milp_seconds"] += r["seconds"]
    if r["colors"] is not None:
        c2 = g.cost(r["colors"])
        if c2 < cost - _EPS:
            col, cost = r["colors"], c2
    if r["optimal"]:  # the better of the two is optimal
        return col, cost, cost
    stats["milp_unproven"] += 1
    return col, cost, min(max(lb, round_up_cost(r["bound"], g.w, len(g.su))), cost)


def color_graph(
    n_vertices: int,
    edges: Any,
    k: int,
    *,
    solver: str = "exact",
    stitch_edges: Any = None,
    stitch_weight: float = 0.1,
    time_limit: float | None = None,
    seed: int = 0,
) -> ColoringResult:
    """Colour a decomposition graph with ``k`` masks at minimum conflict + stitch cost.

    Parameters
    ----------
    n_vertices : int
        Number of vertices (features); ids are ``0 .. n_vertices-1``.
    edges : array_like of int, shape (m, 2)
        Conflict edges (features closer than the colouring distance): each edge whose
        two ends share a colour costs 1. Duplicate and reversed rows are merged.
    k : int
        Number of colours (masks), >= 2 (2: double, 3: triple, 4: quadruple patterning).
    solver : {"exact", "fast"}
        ``"exact"``: every block solved to proven optimality (integer program with
        HiGHS, exhaustive search for tiny blocks) unless ``time_limit`` runs out.
        ``"fast"``: DSATUR, min-cost descent, tabu search and a few randomised
        restarts; ``optimal`` is True only where the cost meets a proven lower bound.
    stitch_edges : array_like of int, shape (s, 2), optional
        Stitch candidates joining sub-features of one split polygon: each whose two ends
        get different colours costs ``stitch_weight``. Duplicates are merged.
    stitch_weight : float
        Cost of one stitch relative to one conflict, >= 0 (0.1 in the literature).
    time_limit : float, optional
        Wall-clock budget in s for the expensive steps: ``"exact"`` gives each integer
        program what is left and stops proving when it runs out (the result then has
        ``optimal=False`` and the best proven bound); both solvers skip further
        randomised restarts once it is spent (which makes the result depend on timing).
        None: no limit — an exact solve of a large, dense block (hundreds of vertices
        of degree > 6) can then take very long.
    seed : int
        Seed of the randomised tie-breaking (``"fast"`` restarts, tabu search).

    Returns
    -------
    ColoringResult

    Raises
    ------
    InvalidParameterError
        ``k < 2``, an unknown ``solver``, vertex ids out of range, self-loops, a
        negative or non-finite ``stitch_weight``, a non-positive ``time_limit``.

    Notes
    -----
    Exactness of the decomposition: the cost is a sum over edges and every edge lies in
    exactly one biconnected block; removed low-degree vertices always find a free colour
    (they add nothing); and permuting one block's colours changes none of its costs, so
    blocks solved independently recombine along the block-cut tree into a colouring
    whose cost is the sum of the blocks' optima.
    """
    t0 = time.perf_counter()
    n = integer("n_vertices", n_vertices, 0)
    k = integer("k", k, 2, "an integer number of colours >= 2")
    choice("solver", solver, ("exact", "fast"))
    w = nonnegative_number("stitch_weight", stitch_weight)
    deadline = None if time_limit is None else t0 + positive_number("time_limit", time_limit, "s")
    seed = integer("seed", seed, -(1 << 63), "an integer")
    e_arr = _pairs("edges", edges, n)
    s_arr = _pairs("stitch_edges", [] if stitch_edges is None else stitch_edges, n)
    exact = solver == "exact"
    rnd = random.Random(seed)

    cu, cv, cfirst = merge_pairs(e_arr, n)
    su, sv, _ = merge_pairs(s_arr, n)
    stats: dict = {
        "solver": solver, "n_components": n, "removed_low_degree": 0, "kernel_vertices": 0,
        "n_pieces": 0, "largest_piece": 0, "pieces_heuristic": 0, "exhaustive_calls": 0,
        "tabu_calls": 0, "milp_calls": 0, "milp_seconds": 0.0, "milp_unproven": 0,
    }
    colors = np.full(n, -1, dtype=np.int64)
    total_lb = 0.0
    all_proven = True

    if n:
        # (1) connected components of the conflict + stitch graph (reported)
        uu0 = np.concatenate([cu, su])
        uv0 = np.concatenate([cv, sv])
        adj = coo_matrix((np.ones(len(uu0), dtype=np.int8), (uu0, uv0)), shape=(n, n))
        stats["n_components"] = int(connected_components(adj, directed=False)[0])

        # (2) iterative removal of low-degree vertices without stitches
        cptr, cind, _ = csr(n, cu, cv)
        pinned = np.zeros(n, dtype=bool)
        pinned[su] = True
        pinned[sv] = True
        order, removed = peel_low_degree(n, cptr, cind, pinned, k)
        stats["removed_low_degree"] = len(order)
        stats["kernel_vertices"] = n - len(order)

        # (3) biconnected blocks of the remaining conflict + stitch graph
        kmask = ~(removed[cu] | removed[cv])
        kcu, kcv = cu[kmask], cv[kmask]
        ckey = kcu * n + kcv
        skey = su * n + sv
        ukey = np.unique(np.concatenate([ckey, skey]))
        uu, uv = ukey // n, ukey % n
        blk, nb = biconnected_blocks(n, uu, uv)
        stats["n_pieces"] = nb
        if nb:
            cblk = blk[np.searchsorted(ukey, ckey)]
            sblk = blk[np.searchsorted(ukey, skey)]
            block_vertices, block_colors = [], []
            ucount = np.bincount(blk, minlength=nb)
            has_c = np.bincount(cblk, minlength=nb) > 0
            has_s = np.bincount(sblk, minlength=nb) > 0
            # bridges (blocks of one vertex pair) are solved in closed form
            bridge = ucount == 1
            bsel = np.flatnonzero(bridge[blk])
            if len(bsel):
                bb = blk[bsel]
                both = has_c[bb] & has_s[bb]
                differ = has_c[bb] & (~has_s[bb] | (w < 1.0))
                block_vertices += list(np.stack([uu[bsel], uv[bsel]], axis=1))
                block_colors += list(np.stack([np.zeros(len(bb), np.int64),
                                               differ.astype(np.int64)], axis=1))
                total_lb += float(np.count_nonzero(both)) * min(1.0, w)
                stats["largest_piece"] = 2
            big = np.flatnonzero(~bridge)
            if len(big):
                uorder = np.argsort(blk, kind="stable")
                uptr = np.concatenate([[0], np.cumsum(ucount)])
                corder = np.argsort(cblk, kind="stable")
                cptr_b = np.concatenate([[0], np.cumsum(np.bincount(cblk, minlength=nb))])
                sorder = np.argsort(sblk, kind="stable")
                sptr_b = np.concatenate([[0], np.cumsum(np.bincount(sblk, minlength=nb))])
                open_pieces = []  # blocks whose heuristic cost is above their bound
                for b in big.tolist():
                    ue = uorder[uptr[b]:uptr[b + 1]]
                    verts = np.unique(np.concatenate([uu[ue], uv[ue]]))
                    ce = corder[cptr_b[b]:cptr_b[b + 1]]
                    se = sorder[sptr_b[b]:sptr_b[b + 1]]
                    g = PieceGraph(
                        len(verts),
                        np.searchsorted(verts, kcu[ce]), np.searchsorted(verts, kcv[ce]),
                        np.searchsorted(verts, su[se]), np.searchsorted(verts, sv[se]),
                        k, w,
                    )
                    stats["largest_piece"] = max(stats["largest_piece"], len(verts))
                    col, cost, lb, cuts = _heuristic_piece(g, exact, rnd, deadline, stats)
                    if cost > lb + _EPS:
                        open_pieces.append((len(verts), len(block_colors), g, cost, lb, cuts))
                    else:
                        total_lb += lb
                    block_vertices.append(verts)
                    block_colors.append(col)
                # with "exact", the integer program on the open blocks, smallest first, so
                # that a time limit leaves the hard ones unproven rather than the easy ones
                open_pieces.sort(key=lambda t: (t[0], t[1]))
                for _, i, g, cost, lb, cuts in open_pieces:
                    if exact:
                        block_colors[i], cost, lb = _milp_piece(
                            g, block_colors[i], cost, lb, cuts, deadline, stats)
                    total_lb += lb
                    all_proven &= cost <= lb + _EPS
            colors = recombine_blocks(n, k, block_vertices, block_colors)
        colors[(colors < 0) & ~removed] = 0  # kernel vertices in no block (none expected)
        color_removed(colors, order, cptr, cind, k)

    same = colors[cu] == colors[cv]
    conflict_edges = np.sort(cfirst[same])
    stitch_count = int(np.count_nonzero(colors[su] != colors[sv]))
    cost = len(conflict_edges) + w * stitch_count
    optimal = all_proven or cost <= total_lb + _EPS
    lower = cost if optimal else min(total_lb, cost)
    stats["seconds"] = time.perf_counter() - t0
    colors.flags.writeable = False
    conflict_edges.flags.writeable = False
    return ColoringResult(colors=colors, conflict_edges=conflict_edges, stitch_count=stitch_count,
                          cost=float(cost), optimal=bool(optimal), lower_bound=float(lower),
                          stats=stats)
