"""``litho.decompose``: split one layer into k masks (LELE, TPL, QPL), optionally with stitches."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._validate import choice, integer, nonnegative_number, positive_number
from ..geometry import _packed
from ..geometry.layout import Layout
from .graph import ConflictGraph, conflict_graph, polygon_pairs_within

__all__ = ["Decomposition", "decompose", "MASK_LAYER", "CONFLICT_LAYER", "STITCH_LAYER"]

#: Mask c is written on layer MASK_LAYER + c; markers on their own layers.
MASK_LAYER = 100
CONFLICT_LAYER = 200
STITCH_LAYER = 201


@dataclass(frozen=True)
class Decomposition:
    """The result of :func:`decompose`.

    Attributes
    ----------
    graph : ConflictGraph
        Patterns and conflicts of the input (before any stitch split).
    n_masks : int
    masks : tuple of Layout
        The polygons of each mask (stitched pieces extended by half the overlap).
    colors : ndarray (n_vertices,)
        Mask of every vertex; vertices are the patterns, or, with stitches, the pieces of
        patterns between stitch cuts.
    vertex_pattern : ndarray (n_vertices,)
        Pattern (``graph``) of every vertex.
    conflicts : list of (int, int)
        Pattern pairs left on one mask although closer than ``min_space``.
    stitches : ndarray (n_stitches, 2)
        Stitch positions (midpoints of the cut lines where the two sides differ), nm.
    cost : float
        Conflicts + stitch_weight x stitches (the minimised objective).
    optimal : bool
        Whether the cost is proven minimal for the stitch candidates used.
    lower_bound : float
        A proven lower bound on the cost.
    """

    graph: ConflictGraph
    n_masks: int
    masks: tuple[Layout, ...]
    colors: np.ndarray = field(repr=False)
    vertex_pattern: np.ndarray = field(repr=False)
    conflicts: list[tuple[int, int]] = field(repr=False)
    conflict_count: int = 0
    stitches: np.ndarray = field(default_factory=lambda: np.empty((0, 2)), repr=False)
    cost: float = 0.0
    optimal: bool = True
    lower_bound: float = 0.0
    solver: str = "exact"
    seconds: float = 0.0
    conflict_markers: tuple[np.ndarray, ...] = field(default=(), repr=False)

    @property
    def n_patterns(self) -> int:
        return self.graph.n_patterns

    @property
    def n_edges(self) -> int:
        return self.graph.n_edges

    def mask_areas(self) -> np.ndarray:
        """Area of each mask, nm² (union of its polygons)."""
        return np.array([m.union().area() if len(m) else 0.0 for m in self.masks])

    def summary(self) -> str:
        """One line: patterns, edges, masks, conflicts, stitches, cost, optimality, time."""
        proof = "optimal" if self.optimal else f"lower bound {self.lower_bound:g}"
        return (f"{self.n_patterns} patterns, {self.n_edges} edges, {self.n_masks} masks at "
                f"{self.graph.min_space:g} nm: {self.conflict_count} conflicts, {len(self.stitches)} stitches, "
                f"cost {self.cost:g} ({self.solver}, {proof}), {self.seconds:.2f} s")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {
            "patterns": self.n_patterns, "edges": self.n_edges, "masks": self.n_masks,
            "min_space": self.graph.min_space, "conflicts": self.conflict_count,
            "conflict_pairs": [list(map(int, pair)) for pair in self.conflicts],
            "stitches": len(self.stitches), "cost": self.cost, "optimal": self.optimal,
            "lower_bound": self.lower_bound, "solver": self.solver, "seconds": self.seconds,
            "mask_polygons": [len(m) for m in self.masks],
        }

    def write(self, path: Any, **kwargs: Any) -> None:
        """Write the masks (layer 100 + c), conflict markers (200/0) and stitch markers (201/0).

        A conflict marker covers the gap between the two closest polygons of the
        conflicting pair; a stitch marker is a small square on the stitch position.
        Written atomically (GDSII or OASIS by extension); ``kwargs`` go to ``Layout.write``.
        """
        polygons: list[np.ndarray] = []
        layers: list[tuple[int, int]] = []
        for c, mask in enumerate(self.masks):
            polygons.extend(mask.polygons)
            layers.extend([(MASK_LAYER + c, 0)] * len(mask))
        for marker in self.conflict_markers:
            polygons.append(marker)
            layers.append((CONFLICT_LAYER, 0))
        size = max(self.graph.min_space / 20.0, 1.0)
        for x, y in self.stitches:
            polygons.append(np.array([[x - size, y - size], [x + size, y - size], [x + size, y + size], [x - size, y + size]]))
            layers.append((STITCH_LAYER, 0))
        Layout(polygons, np.asarray(layers, dtype=np.int64).reshape(-1, 2)).write(path, **kwargs)


def decompose(layout: Layout, n_masks: int, min_space: float, *, stitches: bool = False,
              solver: str = "exact", stitch_weight: float = 0.1, balance: bool = False,
              layer: tuple[int, int] | None = None, stitch_overlap: float | None = None,
              balance_window: float | None = None, time_limit: float | None = None) -> Decomposition:
    """Decompose a layer into ``n_masks`` masks minimising conflicts (+ weighted stitches).

    Parameters
    ----------
    layout : Layout
        The layer's polygons (use ``layer`` to pick one (layer, datatype)).
    n_masks : int
        2 (LELE), 3 (TPL), 4 (QPL) or more.
    min_space : float
        Colouring distance, nm: patterns closer than this on one mask conflict.
    stitches : bool
        Allow splitting rectangles at stitch candidates (see ``litho.multipatterning.stitches``).
    solver : {"exact", "fast"}
        "exact": proven minimum (integer program per block, HiGHS); "fast": DSATUR plus
        local improvement, with the best proven lower bound reported.
    stitch_weight : float
        Cost of one stitch relative to one conflict (default 0.1).
    balance : bool
        Even the mask areas (globally and per ``balance_window``) by permuting colours of
        independent components, which never changes conflicts or stitches.
    layer : (int, int), optional
        Decompose only this layer.
    stitch_overlap : float, optional
        Overlap of the two masks at a stitch, nm (default ``min_space / 4``); also the
        shortest uncovered stretch and narrowest feature a stitch may cut.
    balance_window : float, optional
        Window size for local balance, nm (default ``10 x min_space``).
    time_limit : float, optional
        Seconds per integer program (exact solver); the result says if optimality was not proven.
    """
    from .coloring import color_graph

    start = time.perf_counter()
    n_masks = integer("n_masks", n_masks, 2, "an integer >= 2 (2 LELE, 3 TPL, 4 QPL)")
    min_space = positive_number("min_space", min_space, "nm")
    choice("solver", solver, ("exact", "fast"))
    stitch_weight = nonnegative_number("stitch_weight", stitch_weight)
    overlap = min_space / 4 if stitch_overlap is None else positive_number("stitch_overlap", stitch_overlap, "nm")
    graph = conflict_graph(layout, min_space, layer=layer)
    source = graph.layout

    if stitches:
        from .stitches import split_for_stitches

        split = split_for_stitches(source, graph.pattern, min_space, overlap)
        pieces, piece_origin = split.layout, split.origin
        vertex_of_piece, conflict_edges, stitch_edges = _stitch_graph(
            pieces, graph.pattern[piece_origin], split.cuts, min_space)
    else:
        split = None
        pieces, piece_origin = source, np.arange(len(source))
        vertex_of_piece = graph.pattern
        conflict_edges = graph.edges
        stitch_edges = np.empty((0, 2), dtype=np.int64)
    n_vertices = int(vertex_of_piece.max()) + 1
    vertex_pattern = np.zeros(n_vertices, dtype=np.int64)
    vertex_pattern[vertex_of_piece] = graph.pattern[piece_origin]

    result = color_graph(n_vertices, conflict_edges, n_masks, solver=solver, stitch_edges=stitch_edges,
                         stitch_weight=stitch_weight, time_limit=time_limit)
    colors = np.asarray(result.colors, dtype=np.int64)
    if balance:
        from .balance import balance_colors

        areas = np.bincount(vertex_of_piece, weights=np.abs(_packed.signed_areas(*pieces.packed())),
                            minlength=n_vertices)
        centres = _centres(pieces, vertex_of_piece, n_vertices)
        colors = balance_colors(colors, n_masks, np.concatenate([conflict_edges, stitch_edges]), areas, centres,
                                window=10 * min_space if balance_window is None else
                                positive_number("balance_window", balance_window, "nm"))
    piece_color = colors[vertex_of_piece]
    masks = _masks(pieces, piece_color, n_masks, split, overlap)
    stitched = np.empty((0, 2))
    if split is not None and len(split.cuts):
        differs = piece_color[split.cuts[:, 0]] != piece_color[split.cuts[:, 1]]
        stitched = split.cut_segments[differs].mean(axis=1)
    same = colors[conflict_edges[:, 0]] == colors[conflict_edges[:, 1]] if len(conflict_edges) else np.zeros(0, bool)
    conflict_vertices = conflict_edges[same]
    pairs = sorted({tuple(sorted(map(int, vertex_pattern[pair]))) for pair in conflict_vertices})
    stitch_count = int(len(stitched))
    cost = float(len(conflict_vertices)) + stitch_weight * stitch_count
    markers = _conflict_markers(pieces, vertex_of_piece, conflict_vertices, min_space)
    return Decomposition(
        graph=graph, n_masks=n_masks, masks=masks, colors=colors, vertex_pattern=vertex_pattern,
        conflicts=pairs, conflict_count=int(len(conflict_vertices)), stitches=stitched, cost=cost,
        optimal=bool(result.optimal and np.isclose(cost, result.cost)), lower_bound=float(result.lower_bound),
        solver=solver, seconds=time.perf_counter() - start,
        conflict_markers=markers,
    )


def _stitch_graph(pieces: Layout, piece_pattern: np.ndarray, cuts: np.ndarray, min_space: float):
    """Vertices (pieces joined by touching, not across cuts), conflict and stitch edges."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = len(pieces)
    pairs, gap = polygon_pairs_within(pieces, min_space)
    cut_keys = set(map(tuple, np.sort(cuts, axis=1).tolist()))
    across = np.array([tuple(p) in cut_keys for p in pairs.tolist()], dtype=bool) if len(pairs) else np.zeros(0, bool)
    touching = (gap <= 0) & ~across
    adjacency = coo_matrix((np.ones(int(touching.sum())), (pairs[touching, 0], pairs[touching, 1])), shape=(n, n))
    _, vertex = connected_components(adjacency, directed=False)
    vertex = vertex.astype(np.int64)
    near = (gap > 0) & (piece_pattern[pairs[:, 0]] != piece_pattern[pairs[:, 1]])
    conflict_edges = _unique_edges(vertex[pairs[near, 0]], vertex[pairs[near, 1]])
    stitch_edges = _unique_edges(vertex[cuts[:, 0]], vertex[cuts[:, 1]]) if len(cuts) else np.empty((0, 2), np.int64)
    return vertex, conflict_edges, stitch_edges


def _unique_edges(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    keep = u != v
    edges = np.stack([np.minimum(u, v)[keep], np.maximum(u, v)[keep]], axis=1)
    return np.unique(edges, axis=0) if len(edges) else np.empty((0, 2), dtype=np.int64)


def _centres(pieces: Layout, vertex_of_piece: np.ndarray, n_vertices: int) -> np.ndarray:
    box = _packed.bboxes(*pieces.packed())
    centre = 0.5 * (box[:, :2] + box[:, 2:])
    counts = np.maximum(np.bincount(vertex_of_piece, minlength=n_vertices), 1)
    return np.stack([np.bincount(vertex_of_piece, weights=centre[:, a], minlength=n_vertices) / counts
                     for a in (0, 1)], axis=1)


def _masks(pieces: Layout, piece_color: np.ndarray, n_masks: int, split: Any, overlap: float) -> tuple[Layout, ...]:
    """Mask layouts; pieces on either side of a stitch extend overlap/2 across the cut."""
    polygons = [np.array(p) for p in pieces.polygons]
    if split is not None and len(split.cuts):
        for (a, b), axis in zip(split.cuts.tolist(), split.axis.tolist()):
            if piece_color[a] == piece_color[b]:
                continue
            # piece a lies below (axis coordinate) piece b: a's high side and b's low side move
            hi_a = polygons[a][:, axis] == polygons[a][:, axis].max()
            lo_b = polygons[b][:, axis] == polygons[b][:, axis].min()
            polygons[a][hi_a, axis] += overlap / 2
            polygons[b][lo_b, axis] -= overlap / 2
    layers = pieces.layers
    return tuple(Layout([polygons[i] for i in np.flatnonzero(piece_color == c)],
                        layers[piece_color == c] if len(layers) else None) for c in range(n_masks))


def _conflict_markers(pieces: Layout, vertex_of_piece: np.ndarray, conflict_vertices: np.ndarray,
                      min_space: float) -> tuple[np.ndarray, ...]:
    """A box over the gap between the closest pieces of every conflicting vertex pair."""
    if not len(conflict_vertices):
        return ()
    # search only the pieces of conflicting vertices (a handful), not the whole layout
    involved = np.flatnonzero(np.isin(vertex_of_piece, np.unique(conflict_vertices)))
    subset = Layout([pieces.polygons[i] for i in involved])
    local_pairs, gap = polygon_pairs_within(subset, min_space)
    pairs = involved[local_pairs]
    box = _packed.bboxes(*pieces.packed())
    best: dict[tuple[int, int], tuple[float, int, int]] = {}
    wanted = set(map(tuple, np.sort(conflict_vertices, axis=1).tolist()))
    for (i, j), d in zip(pairs.tolist(), gap.tolist()):
        key = tuple(sorted((int(vertex_of_piece[i]), int(vertex_of_piece[j]))))
        if key in wanted and (key not in best or d < best[key][0]):
            best[key] = (d, i, j)
    markers = []
    pad = max(min_space / 40.0, 0.5)
    for _, i, j in best.values():
        # per axis, the span between the inner edges: the gap (or the shared stretch)
        a = np.maximum(box[i, :2], box[j, :2])
        b = np.minimum(box[i, 2:], box[j, 2:])
        lo, hi = np.minimum(a, b) - pad, np.maximum(a, b) + pad
        markers.append(np.array([[lo[0], lo[1]], [hi[0], lo[1]], [hi[0], hi[1]], [lo[0], hi[1]]]))
    return tuple(markers)
