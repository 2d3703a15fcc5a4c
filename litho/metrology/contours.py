"""Sub-pixel contours of sampled fields (marching squares by contourpy) as a Layout.

Sampling convention (as in ``litho.rasterize`` and the imaging code): the value at row
``iy``, column ``ix`` stands for the point ``origin + ((ix + 1/2) px, (iy + 1/2) py)``.
Between samples the field is bilinear, so a straight edge in a field that is linear
across it is located exactly. Regions touching the border are closed along the outermost
sample centres.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from .._validate import choice, finite_number, finite_pair, real_array
from ..backend import to_numpy
from ..errors import InvalidParameterError
from ..geometry.layout import Layout
from .gauges import pixel_pair

__all__ = ["contours"]


def contours(field: Any, level: float, pixel: Any, origin: tuple[float, float] = (0.0, 0.0), *,
             region: str = "above", layer: tuple[int, int] = (0, 0), empty_ok: bool = False) -> Layout:
    """Polygons (nm) enclosing where a 2-D field is above (or below) a level.

    Parameters
    ----------
    field : array (ny, nx)
        Sampled field (numpy or CuPy; copied to the host).
    level : float
        Contour level, strictly inside the field's range unless ``empty_ok``.
    pixel : float or (py, px)
        Sample spacing, nm.
    origin : (float, float)
        Position (x, y) nm of the corner of sample (0, 0)'s pixel.
    region : {"above", "below"}
        Enclose ``field >= level`` or ``field <= level``.
    layer : (int, int)
        (layer, datatype) of the polygons.
    empty_ok : bool
        Return an empty Layout (or the whole sampled area) when the level lies outside
        the field's range instead of raising.

    Returns
    -------
    Layout
        One polygon per connected region; holes are keyholed into their outer polygon.

    Raises
    ------
    InvalidParameterError
        ``level`` outside the field's range (the error gives the range), a non-2-D or
        non-finite field, a bad pixel or origin.
    """
    checked = to_numpy(real_array("field", field, ndim=2, what="a 2-D field"))
    level = finite_number("level", level)
    py, px = pixel_pair(pixel)
    x0, y0 = finite_pair("origin", origin, "nm")
    choice("region", region, ("above", "below"))
    ny, nx = checked.shape
    if ny < 2 or nx < 2:
        raise InvalidParameterError("field", f"array of shape {checked.shape}", "a 2-D field of at least 2 x 2 samples")
    lo, hi = float(checked.min()), float(checked.max())
    if not lo < level < hi and not empty_ok:
        raise InvalidParameterError("level", level, f"a level strictly inside the field's range [{lo:g}, {hi:g}]")
    scale = np.array([px, py])
    shift = np.array([x0 + 0.5 * px, y0 + 0.5 * py])  # sample (0, 0)'s centre, nm
    if not lo < level < hi:  # empty_ok: nothing, or the whole sampled area
        inside = (lo >= level) if region == "above" else (hi <= level)
        if not inside:
            return Layout()
        box = np.array([[0, 0], [nx - 1, 0], [nx - 1, ny - 1], [0, ny - 1]]) * scale + shift
        return Layout.from_polygons([box], layer=layer)
    span = max(hi - lo, 1.0)
    lower, upper = (level, hi + span) if region == "above" else (lo - span, level)
    points, offsets = _filled(np.ascontiguousarray(checked, dtype=np.float64), lower, upper)
    rings_xy: list[np.ndarray] = []
    for xy, off in zip(points, offsets):
        rings = [xy[a:b - 1] for a, b in zip(off[:-1], off[1:]) if b - a > 3]  # drop the closing vertex
        if not rings:
            continue
        rings_xy.append(rings[0] if len(rings) == 1 else _keyhole(rings[0], rings[1:]))
    rings_xy = [p for p in rings_xy if abs(_area(p)) > 0]
    return Layout.from_polygons([p * scale + shift for p in rings_xy], layer=layer)


def _filled(z: np.ndarray, lower: float, upper: float) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """contourpy's filled contours of ``z`` in index coordinates, one polygon per region.

    Calls the serial generator directly with a cached index grid: the generic
    ``contourpy.contour_generator`` builds two coordinate grids and a NaN mask per call,
    which is half the time on a large field whose finiteness has already been checked.
    """
    import contourpy

    gx, gy = _index_grid(*z.shape)
    generator = contourpy.SerialContourGenerator(
        gx, gy, z, None, corner_mask=False, line_type=contourpy.LineType.Separate,
        fill_type=contourpy.FillType.OuterOffset, quad_as_tri=False, z_interp=contourpy.ZInterp.Linear)
    return generator.filled(lower, upper)


@functools.lru_cache(maxsize=2)
def _index_grid(ny: int, nx: int) -> tuple[np.ndarray, np.ndarray]:
    gx, gy = np.meshgrid(np.arange(nx, dtype=np.float64), np.arange(ny, dtype=np.float64))
    gx.flags.writeable = False
    gy.flags.writeable = False
    return gx, gy


def _keyhole(outer: np.ndarray, holes: list[np.ndarray]) -> np.ndarray:
    """One ring from an outer ring and its holes, each hole joined by a zero-width bridge.

    Holes are taken in decreasing order of their largest x. From a hole's rightmost
    vertex M a ray runs in +x; the first edge it crosses (half-open in y, so a vertex on
    the ray counts once) of the outer ring or of a hole joined before gives the point P,
    and the ring there becomes ``... A, P, M, <hole from M round to M>, M, P, B ...``. A
    hole not yet joined has no vertex right of M, so the bridge M-P crosses nothing.
    Holes run against the outer ring's sense. O(holes x vertices of the rings hit).
    """
    rings = [outer if _area(outer) > 0 else outer[::-1]]
    for hole in sorted(holes, key=lambda h: -float(h[:, 0].max())):
        hole = hole[::-1] if _area(hole) > 0 else hole
        m = int(np.argmax(hole[:, 0]))
        rings.append(np.concatenate([hole[m:], hole[:m]]))  # M first
    edges = [(r[:, 0], r[:, 1], np.append(r[1:, 0], r[0, 0]), np.append(r[1:, 1], r[0, 1])) for r in rings]
    y_range = [(float(r[:, 1].min()), float(r[:, 1].max())) for r in rings]
    bridges: list[list[tuple[int, float, np.ndarray, int]]] = [[] for _ in rings]
    for k in range(1, len(rings)):
        mx, my = rings[k][0]
        best = (np.inf, 0, 0, 0.0)  # x of P, ring, edge, position along the edge
        for r in range(k):
            if not y_range[r][0] <= my <= y_range[r][1]:
                continue
            ax, ay, bx, by = edges[r]
            hit = np.flatnonzero((ay <= my) != (by <= my))
            t = (my - ay[hit]) / (by[hit] - ay[hit])
            x_hit = ax[hit] + t * (bx[hit] - ax[hit])
            ok = np.flatnonzero(x_hit >= mx)
            if ok.size:
                j = ok[np.argmin(x_hit[ok])]
                if x_hit[j] < best[0]:
                    best = (float(x_hit[j]), r, int(hit[j]), float(t[j]))
        x_p, r, e, t = best
        if not np.isfinite(x_p):  # cannot happen for a hole inside its outer ring
            raise ValueError("a contour hole lies outside its outer ring")
        bridges[r].append((e, t, np.array([[x_p, my]]), k))
    for b in bridges:
        b.sort(key=lambda item: (item[0], item[1]))
    pieces: list[np.ndarray] = []
    stack: list[tuple[int, Any, int, list[np.ndarray]]] = [(0, iter(bridges[0]), 0, [])]
    while stack:  # depth-first splice, iterative (holes can chain deeper than recursion)
        r, todo, cursor, tail = stack.pop()
        nxt = next(todo, None)
        if nxt is None:
            pieces.append(rings[r][cursor:])
            pieces.extend(tail)
            continue
        e, _, p, k = nxt
        pieces += [rings[r][cursor:e + 1], p]
        stack.append((r, todo, e + 1, tail))
        stack.append((k, iter(bridges[k]), 0, [rings[k][:1], p]))
    return np.concatenate(pieces)


def _area(p: np.ndarray) -> float:
    """Signed (anticlockwise positive) area of the ring ``p`` (n, 2), shoelace."""
    x, y = p[:, 0], p[:, 1]
    return 0.5 * float(np.dot(x[:-1], y[1:]) - np.dot(y[:-1], x[1:]) + x[-1] * y[0] - y[-1] * x[0])
