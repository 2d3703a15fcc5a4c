"""Conflict graphs for multiple-patterning decomposition.

Semantics (as in the triple/quadruple-patterning literature and OpenMPL):

* polygons that touch or overlap (distance <= 0, corners included) belong to one
  *pattern*, and a pattern is one vertex of the graph;
* two patterns conflict (an edge) when the minimum Euclidean distance between any of their
  polygons is strictly less than the colouring distance ``min_space``.

Candidate pairs come from an R-tree (shapely's STRtree, in C) over the polygons' bounding
boxes with a ``dwithin`` query; exact distances are closed-form for axis-parallel
rectangles and GEOS's for other polygons. 40,000 rectangles take a fraction of a second.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._validate import positive_number
from ..errors import InvalidParameterError
from ..geometry import _packed
from ..geometry.layout import Layout

__all__ = ["ConflictGraph", "conflict_graph", "polygon_pairs_within"]


@dataclass(frozen=True)
class ConflictGraph:
    """Patterns (vertices) and conflicts (edges) of a layout at a colouring distance.

    Attributes
    ----------
    layout : Layout
        The polygons the graph was built from.
    min_space : float
        Colouring distance, nm: patterns closer than this conflict.
    pattern : ndarray (n_polygons,)
        Pattern (vertex) id of every polygon.
    edges : ndarray (n_edges, 2)
        Conflicting pattern pairs (u < v), unique.
    distance : ndarray (n_edges,)
        Minimum distance of each conflicting pair, nm.
    """

    layout: Layout
    min_space: float
    pattern: np.ndarray = field(repr=False)
    edges: np.ndarray = field(repr=False)
    distance: np.ndarray = field(repr=False)

    @property
    def n_patterns(self) -> int:
        return int(self.pattern.max()) + 1 if len(self.pattern) else 0

    @property
    def n_edges(self) -> int:
        return len(self.edges)

    def pattern_polygons(self) -> list[np.ndarray]:
        """Polygon indices of each pattern."""
        order = np.argsort(self.pattern, kind="stable")
        bounds = np.searchsorted(self.pattern[order], np.arange(self.n_patterns + 1))
        return [order[bounds[i]:bounds[i + 1]] for i in range(self.n_patterns)]

    def __repr__(self) -> str:
        return f"ConflictGraph({self.n_patterns} patterns, {self.n_edges} edges at {self.min_space:g} nm)"


def _rectangles(xy: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Which polygons are axis-parallel rectangles (4 vertices, Manhattan)."""
    is_rect = counts == 4
    if not is_rect.any():
        return is_rect
    starts = _packed.starts(counts)
    nxt = _packed.next_vertex(counts)
    d = xy[nxt] - xy
    axis_parallel = (d[:, 0] == 0) | (d[:, 1] == 0)
    per_polygon = np.logical_and.reduceat(axis_parallel, starts) if len(starts) else axis_parallel
    return is_rect & per_polygon


def _geometries(layout: Layout) -> np.ndarray:
    import shapely

    xy, counts = layout.packed()
    index = np.repeat(np.arange(len(counts)), counts)
    return shapely.polygons(shapely.linearrings(xy, indices=index))


def polygon_pairs_within(layout: Layout, distance: float, geometries: Any = None
                         ) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of polygons (i < j) closer than ``distance`` (or touching), with their distance.

    Returns
    -------
    pairs : ndarray (p, 2)
        Polygon index pairs with minimum distance < ``distance`` (distance 0 included).
    gap : ndarray (p,)
        Their minimum Euclidean distance, nm (0 when touching or overlapping).
    """
    import shapely

    xy, counts = layout.packed()
    if len(counts) < 2:
        return np.empty((0, 2), dtype=np.int64), np.empty(0)
    box = _packed.bboxes(xy, counts)
    boxes = shapely.box(box[:, 0], box[:, 1], box[:, 2], box[:, 3])
    tree = shapely.STRtree(boxes)
    left, right = tree.query(boxes, predicate="dwithin", distance=distance)
    keep = left < right
    i, j = left[keep], right[keep]
    # bounding-box distance is exact for rectangles and a lower bound otherwise
    dx = np.maximum(0.0, np.maximum(box[j, 0] - box[i, 2], box[i, 0] - box[j, 2]))
    dy = np.maximum(0.0, np.maximum(box[j, 1] - box[i, 3], box[i, 1] - box[j, 3]))
    gap = np.hypot(dx, dy)
    rect = _rectangles(xy, counts)
    exact = rect[i] & rect[j]
    if not exact.all():
        geoms = _geometries(layout) if geometries is None else geometries
        other = ~exact
        gap[other] = shapely.distance(geoms[i[other]], geoms[j[other]])
    close = gap < distance
    return np.stack([i[close], j[close]], axis=1), gap[close]


def conflict_graph(layout: Layout, min_space: float, *, layer: tuple[int, int] | None = None) -> ConflictGraph:
    """Build the conflict graph of a layout.

    Parameters
    ----------
    layout : Layout
        The layer to decompose (all polygons are used unless ``layer`` selects one).
    min_space : float
        Colouring distance, nm (> 0).
    layer : (int, int), optional
        Select this (layer, datatype) first.

    Raises
    ------
    InvalidParameterError
        Empty layout (or layer), non-positive distance, self-intersecting polygons.
    """
    import shapely
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    min_space = positive_number("min_space", min_space, "nm")
    if layer is not None:
        layout = layout.select(tuple(layer))
    if len(layout) == 0:
        raise InvalidParameterError("layout", layout if layer is None else f"layer {tuple(layer)} of the layout",
                                    "a layout with at least one polygon")
    xy, counts = layout.packed()
    rect = _rectangles(xy, counts)
    geoms = None
    if not rect.all():
        geoms = _geometries(layout)
        valid = shapely.is_valid(geoms[~rect])
        if not valid.all():
            bad = int(np.flatnonzero(~rect)[np.flatnonzero(~valid)[0]])
            reason = shapely.is_valid_reason(geoms[bad])
            raise InvalidParameterError(f"layout polygon {bad}", reason,
                                        "simple polygons (not self-intersecting)")
    pairs, gap = polygon_pairs_within(layout, min_space, geoms)
    n = len(counts)
    touching = gap <= 0
    adjacency = coo_matrix((np.ones(int(touching.sum())), (pairs[touching, 0], pairs[touching, 1])), shape=(n, n))
    _, pattern = connected_components(adjacency, directed=False)
    pattern = pattern.astype(np.int64)
    u, v = pattern[pairs[~touching, 0]], pattern[pairs[~touching, 1]]
    distinct = u != v
    u, v, d = np.minimum(u, v)[distinct], np.maximum(u, v)[distinct], gap[~touching][distinct]
    if len(u):
        key = u * max(n, 1) + v
        order = np.lexsort((d, key))  # per pair, smallest distance first
        key, u, v, d = key[order], u[order], v[order], d[order]
        first = np.r_[True, key[1:] != key[:-1]]
        u, v, d = u[first], v[first], d[first]
    edges = np.stack([u, v], axis=1).astype(np.int64) if len(u) else np.empty((0, 2), dtype=np.int64)
    for array in (pattern, edges, d):
        array.flags.writeable = False
    return ConflictGraph(layout, min_space, pattern, edges, np.asarray(d, dtype=np.float64))
