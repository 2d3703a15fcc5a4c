"""Helpers of :mod:`litho.multipatterning.sadp`: geometry (offsets, booleans, L∞ spacings,
trim shapes) and the mandrel / non-mandrel assignment (BFS 2-colouring, 2-SAT).

Polygons here are plain ``(n, 2)`` float64 arrays in nm. Booleans and offsets go through
gdstk (Clipper) on a 1e-6 nm grid, like :class:`~litho.geometry.layout.Layout`, and
come back rounded to that grid. Offsets use miter (square) joins: for Manhattan polygons
an offset by ``d`` is the Minkowski sum with the square ``[-d, d]²``, so the distance it
reaches is the L∞ (Chebyshev) distance, which is the metric used for every spacing here.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..geometry.layout import _BOOL_DECIMALS, _BOOL_PRECISION, Layout

__all__ = [
    "SADPIssue", "area", "assign", "boolean", "close_pairs", "linf_distance", "narrower_than", "offset",
    "perimeter", "process", "trim_shapes", "xor_area",
]

Polygons = Sequence[np.ndarray]


@dataclass(frozen=True)
class SADPIssue:
    """A reason why the target cannot be made as drawn.

    Attributes
    ----------
    features : tuple of int
        The features concerned (indices into ``SADPResult.features``); for an odd cycle,
        in cycle order.
    kind : str
        ``"spacing"`` (closer than the spacer width), ``"width"`` (narrower than both
        masks allow), ``"odd_cycle"``, ``"forced"`` (width rules fix the two ends of an
        alternating chain inconsistently) or ``"same_type_space"`` (a same-mask pair below
        that mask's minimum space left by the 2-SAT fallback).
    reason : str
        In words, with the measured values in nm.
    """

    features: tuple[int, ...]
    kind: str
    reason: str


def _arrays(result: list) -> list[np.ndarray]:
    out = []
    for piece in result:
        if piece.area() > 0:
            out.append(np.round(piece.points, _BOOL_DECIMALS))
    return out


def boolean(a: Polygons, b: Polygons, op: str) -> list[np.ndarray]:
    """``a op b`` ("or", "and", "not", "xor"), one polygon per connected region (holes keyholed)."""
    import gdstk

    if not len(a) and not len(b):
        return []
    if not len(a) and op in ("and", "not"):
        return []
    return _arrays(gdstk.boolean(list(a), list(b), op, precision=_BOOL_PRECISION))


def offset(polygons: Polygons, distance: float) -> list[np.ndarray]:
    """Union of ``polygons`` grown (``distance`` > 0) or shrunk (< 0) with miter joins, nm."""
    import gdstk

    if not len(polygons):
        return []
    if distance == 0:
        return boolean(polygons, [], "or")
    # tolerance=2 is Clipper's miter limit (2 x distance): square corners for 90° and 270°
    # vertices; only corners sharper than 60° are bevelled
    return _arrays(gdstk.offset(list(polygons), distance, join="miter", tolerance=2,
                                precision=_BOOL_PRECISION, use_union=True))


def area(polygons: Polygons) -> float:
    """Total area, nm², of non-overlapping polygons (shoelace)."""
    total = 0.0
    for p in polygons:
        rel = p - p[0]
        total += abs(float(np.dot(rel[:, 0], np.roll(rel[:, 1], -1)) - np.dot(np.roll(rel[:, 0], -1), rel[:, 1]))) / 2
    return total


def xor_area(a: Polygons, b: Polygons) -> float:
    """Area, nm², of the symmetric difference of two sets of polygons.

    Computed as ``area(a ∖ b) + area(b ∖ a)``: the same number as gdstk's "xor", which is
    ten times slower on thousands of polygons (3 s against 0.3 s for the 5,000 features of
    the ISCAS sim_c5 layout).
    """
    return area(boolean(a, b, "not")) + area(boolean(b, a, "not"))


def perimeter(polygons: Polygons) -> float:
    """Total edge length, nm."""
    return float(sum(np.hypot(*(np.roll(p, -1, axis=0) - p).T).sum() for p in polygons))


def process(mandrel: Polygons, trim: Polygons, spacer_width: float) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """SID SADP: spacer ``S = offset(M, +s) ∖ M`` and printed metal ``F = (M ∪ T) ∖ S``."""
    mandrels = boolean(mandrel, [], "or")
    spacer = boolean(offset(mandrels, spacer_width), mandrels, "not") if mandrels else []
    printed = boolean(boolean(list(mandrels) + list(trim), [], "or"), spacer, "not")
    return spacer, printed


def _point_segment_linf(points: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    """Least L∞ distance between any of ``points`` (P, 2) and any segment ``a[k]``–``b[k]``.

    ``max(|cx - t ex|, |cy - t ey|)`` is convex and piecewise linear in ``t``, so its minimum
    over [0, 1] lies at an end or where one term is zero or the two terms are equal in size.
    """
    c = points[:, None, :] - a[None, :, :]
    e = (b - a)[None, :, :]
    cx, cy, ex, ey = c[..., 0], c[..., 1], e[..., 0], e[..., 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        cand = np.stack([np.zeros_like(cx), np.ones_like(cx), cx / ex, cy / ey,
                         (cx - cy) / (ex - ey), (cx + cy) / (ex + ey)])
    t = np.clip(np.nan_to_num(cand, nan=0.0, posinf=0.0, neginf=0.0), 0.0, 1.0)
    return float(np.maximum(np.abs(cx - t * ex), np.abs(cy - t * ey)).min())


def linf_distance(p: np.ndarray, q: np.ndarray) -> float:
    """L∞ distance, nm, between the boundaries of two polygons with disjoint interiors.

    For non-crossing boundaries the closest pair has a vertex of one polygon at one end
    (the Minkowski difference of two segments is a parallelogram whose edges are those
    segments' translates), so vertex-to-edge distances both ways are exact.
    """
    return min(_point_segment_linf(p, q, np.roll(q, -1, axis=0)),
               _point_segment_linf(q, p, np.roll(p, -1, axis=0)))


def close_pairs(polygons: Polygons, within: float) -> tuple[np.ndarray, np.ndarray]:
    """Pairs ``(i < j)`` of disjoint polygons at L∞ distance < ``within``, with the distances.

    A sweep over bounding boxes sorted by x finds candidates (the bounding-box gap is a lower
    bound of the distance, and exact for two rectangles); other pairs get
    :func:`linf_distance`.
    """
    n = len(polygons)
    if n < 2:
        return np.empty((0, 2), dtype=np.int64), np.empty(0)
    lo = np.array([p.min(axis=0) for p in polygons])
    hi = np.array([p.max(axis=0) for p in polygons])
    rect = np.array([len(p) == 4 and abs(area([p]) - np.prod(h - l)) <= 1e-9 * max(np.prod(h - l), 1.0)
                     for p, l, h in zip(polygons, lo, hi)])
    order = np.argsort(lo[:, 0], kind="stable")
    x0_sorted = lo[order, 0]
    pairs, gaps = [], []
    for rank, i in enumerate(order.tolist()):
        stop = int(np.searchsorted(x0_sorted, hi[i, 0] + within, side="left"))
        js = order[rank + 1:stop]
        if not len(js):
            continue
        gx = np.maximum(0.0, np.maximum(lo[js, 0] - hi[i, 0], lo[i, 0] - hi[js, 0]))
        gy = np.maximum(0.0, np.maximum(lo[js, 1] - hi[i, 1], lo[i, 1] - hi[js, 1]))
        box_gap = np.maximum(gx, gy)
        for j, g in zip(js[box_gap < within].tolist(), box_gap[box_gap < within].tolist()):
            d = g if (rect[i] and rect[j]) else linf_distance(polygons[i], polygons[j])
            if d < within:
                pairs.append((min(i, j), max(i, j)))
                gaps.append(d)
    if not pairs:
        return np.empty((0, 2), dtype=np.int64), np.empty(0)
    pairs_arr, gaps_arr = np.array(pairs, dtype=np.int64), np.array(gaps)
    order = np.lexsort((pairs_arr[:, 1], pairs_arr[:, 0]))
    return pairs_arr[order], gaps_arr[order]


def narrower_than(polygon: np.ndarray, width: float, tolerance: float) -> bool:
    """Whether a morphological opening with a square of side ``width`` loses area.

    Miter offsets make the structuring element a square, so convex 90° corners survive and
    only parts narrower than ``width`` (less ``2 tolerance``) in x or y are removed.
    """
    margin = max(tolerance, 1e-4)
    half = width / 2 - margin
    if half <= 0:
        return False
    opened = offset(offset([polygon], -half), half)
    lost = area(boolean([polygon], opened, "not"))
    return lost > margin * perimeter([polygon])


def _near(lo: np.ndarray, hi: np.ndarray, box: np.ndarray, within: float) -> np.ndarray:
    gx = np.maximum(0.0, np.maximum(lo[:, 0] - box[2], box[0] - hi[:, 0]))
    gy = np.maximum(0.0, np.maximum(lo[:, 1] - box[3], box[1] - hi[:, 1]))
    return np.flatnonzero(np.maximum(gx, gy) < within)


def _sweep(polygon: np.ndarray, vector: np.ndarray) -> list[np.ndarray]:
    """Minkowski sum of a polygon and the segment from ``-vector`` to ``+vector``."""
    a, b = polygon, np.roll(polygon, -1, axis=0)
    e = b - a
    sideways = np.abs(e[:, 0] * vector[1] - e[:, 1] * vector[0]) > 0
    quads = np.stack([a - vector, b - vector, b + vector, a + vector], axis=1)[sideways]
    return boolean([polygon - vector, polygon + vector, *quads], [], "or")


def trim_shapes(features: Polygons, is_mandrel: np.ndarray, spacer_width: float, bias: float,
                min_trim_space: float) -> list[np.ndarray]:
    """Trim polygons: each non-mandrel feature grown by ``bias`` into the spacer it abuts.

    For a non-mandrel feature ``f`` the growth is ``G(f) ∩ S``, with ``S`` the spacer of the
    mandrels near ``f`` and ``G(f)`` the union of ``f`` swept by ``±bias`` along x and
    along y (so growth goes straight out from the edges that face spacer, never diagonally
    round a corner, which would leave notches in the trim shape), less
    ``offset(g, min_trim_space + bias)`` for every other non-mandrel feature ``g`` (so that
    grown trim shapes keep ``min_trim_space`` between them), and only the pieces that touch ``f`` along an edge are kept (no detached
    slivers). Growth lies inside the spacer, so ``(M ∪ T) ∖ S`` is unchanged by it.
    """
    lo = np.array([p.min(axis=0) for p in features]).reshape(-1, 2)
    hi = np.array([p.max(axis=0) for p in features]).reshape(-1, 2)
    flags = np.asarray(is_mandrel, dtype=bool)
    mandrels = np.flatnonzero(flags)
    others = np.flatnonzero(~flags)
    out: list[np.ndarray] = []
    for i in others.tolist():
        f = features[i]
        box = np.concatenate([lo[i], hi[i]])
        near_m = mandrels[_near(lo[mandrels], hi[mandrels], box, spacer_width + bias)] if bias > 0 else []
        if not len(near_m):
            out.append(f)
            continue
        near_polys = [features[k] for k in near_m.tolist()]
        spacer = boolean(offset(near_polys, spacer_width), near_polys, "not")
        swept = _sweep(f, np.array([bias, 0.0])) + _sweep(f, np.array([0.0, bias]))
        grow = boolean(swept, spacer, "and")
        near_n = others[_near(lo[others], hi[others], box, min_trim_space + 2 * bias)]
        near_n = [features[k] for k in near_n.tolist() if k != i]
        if grow and near_n:
            grow = boolean(grow, offset(near_n, min_trim_space + bias), "not")
        if not grow:
            out.append(f)
            continue
        kept = [piece for piece in boolean([f] + grow, [], "or") if area(boolean([piece], [f], "and")) > 0]
        out.extend(kept if kept else [f])
    return out


def as_layout(polygons: Polygons) -> Layout:
    """Polygons on layer (0, 0)."""
    return Layout.from_polygons(list(polygons)) if len(polygons) else Layout()


# -- assignment ------------------------------------------------------------------------------


def _tree_path(parent: list[int], depth: list[int], u: int, v: int) -> list[int]:
    """Nodes on the BFS-tree path from ``u`` to ``v``."""
    left, right = [u], [v]
    while depth[left[-1]] > depth[right[-1]]:
        left.append(parent[left[-1]])
    while depth[right[-1]] > depth[left[-1]]:
        right.append(parent[right[-1]])
    while left[-1] != right[-1]:
        left.append(parent[left[-1]])
        right.append(parent[right[-1]])
    return left + right[-2::-1]


def assign(n: int, differ: list[list[int]], differ_gap: dict[tuple[int, int], float], forced: dict[int, bool],
            clauses: list[tuple[int, bool, int, bool]], band: list[tuple[int, int, float]],
            min_m_space: float, min_t_space: float) -> tuple[list[bool], list[SADPIssue]]:
    """Mandrel / non-mandrel assignment: BFS 2-colouring, then 2-SAT over component orientations."""
    conflicts: list[SADPIssue] = []
    parity, comp, parent, depth = [-1] * n, [-1] * n, [-1] * n, [0] * n
    seen_cycles: set[frozenset[int]] = set()
    n_comp = 0
    for root in range(n):
        if parity[root] >= 0:
            continue
        parity[root], comp[root] = 0, n_comp
        queue = deque([root])
        while queue:
            u = queue.popleft()
            for v in differ[u]:
                if parity[v] < 0:
                    parity[v], comp[v], parent[v], depth[v] = 1 - parity[u], n_comp, u, depth[u] + 1
                    queue.append(v)
                elif parity[v] == parity[u] and u < v:
                    cycle = _tree_path(parent, depth, u, v)
                    key = frozenset(cycle)
                    if key not in seen_cycles:
                        seen_cycles.add(key)
                        spaces = ", ".join(f"{differ_gap[(min(a, b), max(a, b))]:g}"
                                           for a, b in zip(cycle, cycle[1:] + cycle[:1]))
                        conflicts.append(SADPIssue(tuple(cycle), "odd_cycle",
                                                   f"odd cycle of {len(cycle)} features that must alternate "
                                                   f"mandrel / non-mandrel (spacings {spaces} nm)"))
        n_comp += 1

    # orientation b_c of each component: feature i is a mandrel iff parity[i] == b_c
    orient: list[bool | None] = [None] * n_comp
    first_forced: dict[int, int] = {}
    for i, want in sorted(forced.items()):
        c, b = comp[i], (parity[i] == 1) if want else (parity[i] == 0)
        if orient[c] is None:
            orient[c], first_forced[c] = b, i
        elif orient[c] != b:
            k = first_forced[c]
            conflicts.append(SADPIssue(tuple(_tree_path(parent, depth, k, i)), "forced",
                                       f"width rules make feature {k} a {'mandrel' if forced[k] else 'non-mandrel'} "
                                       f"and feature {i} a {'mandrel' if want else 'non-mandrel'}, which the "
                                       "alternation between them does not allow"))

    # clause (x_i == a or x_j == b) in component orientations; literal (c, value) means b_c == value
    def lit(i: int, want: bool) -> tuple[int, bool]:
        return comp[i], (parity[i] == 1) if want else (parity[i] == 0)

    sat_clauses = [(lit(i, a), lit(j, b)) for i, a, j, b in clauses]
    units = [((c, b), (c, b)) for c, b in enumerate(orient) if b is not None]
    solution = _two_sat(n_comp, sat_clauses + units) if sat_clauses else None
    if solution is not None:
        orient = [bool(v) for v in solution]
    else:
        orient = [bool(b) if b is not None else False for b in orient]
    is_mandrel = [parity[i] == int(orient[comp[i]]) for i in range(n)]
    if sat_clauses and solution is None:
        for i, j, d in band:
            if is_mandrel[i] == is_mandrel[j]:
                which = "mandrel" if is_mandrel[i] else "trim"
                rule = min_m_space if is_mandrel[i] else min_t_space
                conflicts.append(SADPIssue((i, j), "same_type_space",
                                           f"features {i} and {j} are both on the {which} mask {d:g} nm apart, "
                                           f"less than min_{which}_space {rule:g} nm, and no assignment avoids it"))
    return is_mandrel, conflicts


def _two_sat(n_vars: int, clauses: list[tuple[tuple[int, bool], tuple[int, bool]]]) -> list[bool] | None:
    """Solve 2-SAT (clauses of two literals ``(var, value)``); ``None`` when unsatisfiable.

    Kosaraju's strongly connected components of the implication graph, iteratively.
    """
    def node(var: int, value: bool) -> int:
        return 2 * var + (0 if value else 1)

    size = 2 * n_vars
    graph: list[list[int]] = [[] for _ in range(size)]
    rgraph: list[list[int]] = [[] for _ in range(size)]
    for (va, a), (vb, b) in clauses:  # (A or B): not A -> B, not B -> A
        for x, y in ((node(va, not a), node(vb, b)), (node(vb, not b), node(va, a))):
            graph[x].append(y)
            rgraph[y].append(x)
    order: list[int] = []
    visited = [False] * size
    for start in range(size):
        if visited[start]:
            continue
        visited[start] = True
        stack = [(start, 0)]
        while stack:
            u, k = stack.pop()
            if k < len(graph[u]):
                stack.append((u, k + 1))
                v = graph[u][k]
                if not visited[v]:
                    visited[v] = True
                    stack.append((v, 0))
            else:
                order.append(u)
    scc = [-1] * size
    label = 0
    for start in reversed(order):
        if scc[start] >= 0:
            continue
        scc[start] = label
        stack2 = [start]
        while stack2:
            u = stack2.pop()
            for v in rgraph[u]:
                if scc[v] < 0:
                    scc[v] = label
                    stack2.append(v)
        label += 1
    result = []
    for var in range(n_vars):
        t, f = scc[node(var, True)], scc[node(var, False)]
        if t == f:
            return None
        result.append(t > f)  # Kosaraju labels SCCs in topological order: later label = later in order
    return result
