"""Vectorised operations on packed polygons.

A set of polygons is packed as ``xy`` (all vertices, (N, 2) float64, each polygon's
vertices consecutive, closing edge implied) and ``counts`` (vertices per polygon). Both
``Layout`` and the rasterizer work on this form, so no per-polygon Python loop is needed.
"""

from __future__ import annotations

import numpy as np


def starts(counts: np.ndarray) -> np.ndarray:
    """Index of each polygon's first vertex."""
    return (np.cumsum(counts) - counts).astype(np.intp)


def next_vertex(counts: np.ndarray) -> np.ndarray:
    """Index of the vertex that follows each vertex within its (closed) polygon."""
    nxt = np.arange(1, int(np.sum(counts)) + 1)
    if len(counts):
        nxt[np.cumsum(counts) - 1] = starts(counts)
    return nxt


def signed_areas(xy: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Signed area of each polygon (positive when counter-clockwise), in xy units squared.

    The shoelace sum is taken about each polygon's first vertex, which avoids the
    cancellation of large coordinates far from the origin.
    """
    if not len(counts):
        return np.empty(0)
    first = starts(counts)
    nxt = next_vertex(counts)
    rel = xy - np.repeat(xy[first], counts, axis=0)
    cross = rel[:, 0] * rel[nxt, 1] - rel[nxt, 0] * rel[:, 1]
    return np.add.reduceat(cross, first) / 2


def is_manhattan(xy: np.ndarray, counts: np.ndarray) -> bool:
    """Whether every edge is parallel to the x or the y axis (True when empty)."""
    d = xy[next_vertex(counts)] - xy
    return bool(np.all((d[:, 0] == 0) | (d[:, 1] == 0)))


def bboxes(xy: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """(n, 4) array of each polygon's (x0, y0, x1, y1)."""
    if not len(counts):
        return np.empty((0, 4))
    first = starts(counts)
    return np.hstack([np.minimum.reduceat(xy, first), np.maximum.reduceat(xy, first)])
