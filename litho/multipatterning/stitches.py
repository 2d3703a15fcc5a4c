"""Stitch candidates: splitting features so that a conflict can be resolved by two masks.

A rectangle is cut across its long axis only where the cut separates neighbours: every
neighbouring polygon of another pattern within the colouring distance is projected onto
the rectangle's long axis (a neighbour at perpendicular gap g reaches sqrt(s^2 - g^2)
beyond its own extent), and a cut is placed in the middle of every uncovered stretch of
the axis that has projections on both sides. A cut is allowed only when that stretch is
at least ``overlap`` long (the two masks overlap there, and the overlap must not come
near a neighbour) and the feature is at least ``overlap`` wide (never across a feature
narrower than the minimum overlap). Polygons other than axis-parallel rectangles are not
cut.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..geometry import _packed
from ..geometry.layout import Layout
from .graph import _rectangles, polygon_pairs_within

__all__ = ["StitchSplit", "split_for_stitches"]


@dataclass(frozen=True)
class StitchSplit:
    """Polygons after cutting at stitch candidates.

    Attributes
    ----------
    layout : Layout
        The pieces (uncut polygons unchanged), in nm.
    origin : ndarray (n_pieces,)
        Index of the original polygon each piece comes from.
    cuts : ndarray (n_cuts, 2)
        Piece index pairs joined by a cut (adjacent pieces of one rectangle).
    cut_segments : ndarray (n_cuts, 2, 2)
        The cut line of each stitch candidate, ((x0, y0), (x1, y1)) nm.
    axis : ndarray (n_cuts,)
        0 when the cut rectangle runs along x (cut line vertical), 1 along y.
    """

    layout: Layout
    origin: np.ndarray
    cuts: np.ndarray
    cut_segments: np.ndarray
    axis: np.ndarray


def _stitch_positions(rect: np.ndarray, neighbours: np.ndarray, min_space: float, overlap: float) -> list[float]:
    """Cut positions along the long axis of ``rect`` (x0, y0, x1, y1) given neighbour boxes."""
    x0, y0, x1, y1 = rect
    along_x = (x1 - x0) >= (y1 - y0)
    lo, hi = (x0, x1) if along_x else (y0, y1)
    width = (y1 - y0) if along_x else (x1 - x0)
    if width < overlap or len(neighbours) < 2:
        return []
    if along_x:
        n_lo, n_hi = neighbours[:, 0], neighbours[:, 2]
        gap = np.maximum(0.0, np.maximum(neighbours[:, 1] - y1, y0 - neighbours[:, 3]))
    else:
        n_lo, n_hi = neighbours[:, 1], neighbours[:, 3]
        gap = np.maximum(0.0, np.maximum(neighbours[:, 0] - x1, x0 - neighbours[:, 2]))
    reach = np.sqrt(np.maximum(min_space**2 - gap**2, 0.0))
    start = np.clip(n_lo - reach, lo, hi)
    stop = np.clip(n_hi + reach, lo, hi)
    order = np.argsort(start)
    start, stop = start[order], stop[order]
    positions = []
    covered_to = stop[0]
    for a, b in zip(start[1:], stop[1:]):
        if a - covered_to >= overlap:  # an uncovered stretch with projections on both sides
            positions.append(0.5 * (covered_to + a))
        covered_to = max(covered_to, b)
    return positions


def split_for_stitches(layout: Layout, pattern: np.ndarray, min_space: float, overlap: float) -> StitchSplit:
    """Cut rectangles at stitch candidates (see the module docstring).

    Parameters
    ----------
    layout : Layout
        The polygons of the layer being decomposed.
    pattern : ndarray (n_polygons,)
        Pattern id of each polygon (neighbours of the same pattern are not separated).
    min_space : float
        Colouring distance, nm.
    overlap : float
        Stitch overlap, nm: the minimum uncovered stretch and minimum feature width.
    """
    xy, counts = layout.packed()
    box = _packed.bboxes(xy, counts)
    rect = _rectangles(xy, counts)
    pairs, _ = polygon_pairs_within(layout, min_space)
    other = pattern[pairs[:, 0]] != pattern[pairs[:, 1]]
    pairs = pairs[other]
    neighbours: dict[int, list[int]] = {}
    for i, j in pairs.tolist():
        neighbours.setdefault(i, []).append(j)
        neighbours.setdefault(j, []).append(i)
    pieces: list[np.ndarray] = []
    origin: list[int] = []
    cuts: list[tuple[int, int]] = []
    segments: list[tuple[tuple[float, float], tuple[float, float]]] = []
    axes: list[int] = []
    polygons = layout.polygons
    for index in range(len(counts)):
        positions = []
        if rect[index] and index in neighbours:
            positions = _stitch_positions(box[index], box[neighbours[index]], min_space, overlap)
        if not positions:
            pieces.append(polygons[index])
            origin.append(index)
            continue
        x0, y0, x1, y1 = box[index]
        along_x = (x1 - x0) >= (y1 - y0)
        edges = [x0 if along_x else y0] + positions + [x1 if along_x else y1]
        first = len(pieces)
        for a, b in zip(edges[:-1], edges[1:]):
            if along_x:
                pieces.append(np.array([[a, y0], [b, y0], [b, y1], [a, y1]]))
            else:
                pieces.append(np.array([[x0, a], [x1, a], [x1, b], [x0, b]]))
            origin.append(index)
        for n, position in enumerate(positions):
            cuts.append((first + n, first + n + 1))
            segments.append(((position, y0), (position, y1)) if along_x else ((x0, position), (x1, position)))
            axes.append(0 if along_x else 1)
    pieces_layout = Layout(pieces, layout.layers[np.asarray(origin, dtype=np.int64)] if origin else None)
    return StitchSplit(
        pieces_layout,
        np.asarray(origin, dtype=np.int64),
        np.asarray(cuts, dtype=np.int64).reshape(-1, 2),
        np.asarray(segments, dtype=np.float64).reshape(-1, 2, 2),
        np.asarray(axes, dtype=np.int64),
    )
