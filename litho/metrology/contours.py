"""Sub-pixel contours of sampled fields (marching squares, Cython kernel) as a Layout.

Sampling convention (as in ``litho.rasterize`` and the imaging code): the value at row
``iy``, column ``ix`` stands for the point ``origin + ((ix + 1/2) px, (iy + 1/2) py)``.
Between samples the field is bilinear, so a straight edge in a field that is linear
across it is located exactly. Regions touching the border are closed along the outermost
sample centres.

The kernel ``litho._kernels.contour`` traces the boundary rings (``kernels/contour.pyx``:
the same sides of the level, crossings, saddle rule and border closing as contourpy's
filled contours, which the tests compare it with); here the rings are grouped into
regions (each hole to the outer ring around it, by a ray cast) and the holes keyholed
into their outer ring. A 2048 x 2048 field takes about 10 ms to trace on one core, where
contourpy took 55 ms.

Module state: per-thread work arrays only (:func:`_scratch`).
"""

from __future__ import annotations

import math
import threading
from typing import Any

import numpy as np

from .._validate import choice, finite_number, finite_pair, real_array
from ..backend import to_numpy
from ..errors import InvalidParameterError
from ..geometry.layout import Layout, _layer_pair
from .gauges import pixel_pair

__all__ = ["contours"]

_INSIDE = 1e-7  # how far (index units) inside a hole the point that stands for it lies


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
        Enclose ``field > level`` or ``field <= level`` (a sample exactly on the level
        belongs to "below"; the outline passes through it either way).
    layer : (int, int)
        (layer, datatype) of the polygons.
    empty_ok : bool
        Return an empty Layout (or the whole sampled area) when the level lies outside
        the field's range instead of raising.

    Returns
    -------
    Layout
        One polygon per connected region; holes are keyholed into their outer polygon.
        Polygons come in the order of the regions' lowest rows (then columns).

    Raises
    ------
    InvalidParameterError
        ``level`` outside the field's range (the error gives the range), a non-2-D or
        non-finite field, a bad pixel or origin.
    """
    checked, lo, hi = _checked_field(field)
    level = finite_number("level", level)
    py, px = pixel_pair(pixel)
    x0, y0 = finite_pair("origin", origin, "nm")
    choice("region", region, ("above", "below"))
    ny, nx = checked.shape
    if ny < 2 or nx < 2:
        raise InvalidParameterError("field", f"array of shape {checked.shape}", "a 2-D field of at least 2 x 2 samples")
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
    rings_xy = _polygons(checked, level, region)
    with_holes = [i for i, rings in enumerate(rings_xy) if len(rings) > 1]
    if with_holes:  # outer rings run anticlockwise, holes clockwise
        for i, pieces in zip(with_holes, _keyholes([rings_xy[i] for i in with_holes])):
            rings_xy[i] = pieces
    return _layout(rings_xy, scale, shift, layer)


def _layout(rings: list[list[np.ndarray]], scale: np.ndarray, shift: np.ndarray, layer: Any) -> Layout:
    """``Layout.from_polygons([p * scale + shift for p in rings if p has an area], layer)``, vectorised.

    Each polygon ``p`` comes as the list of arrays that concatenate to it. The rings are
    joined, measured and scaled in per-thread work arrays (each fresh large array costs
    page faults) and handed to :meth:`Layout.from_packed` (which copies and normalises).
    """
    pair = _layer_pair("layer", layer)
    if not rings:
        return Layout()
    counts = np.array([sum(len(part) for part in r) for r in rings], dtype=np.int64)
    n = int(counts.sum())
    # work in per-thread scratch (fresh large arrays cost page faults); Layout copies
    xy = np.concatenate([part for r in rings for part in r], out=_scratch("layout", (n, 2)))
    x, y = xy[:, 0], xy[:, 1]
    ends = np.cumsum(counts)
    heads = ends - counts
    # shoelace terms, the last of each ring closing it
    cross = _scratch("layout cross", n)
    other = _scratch("layout other", n - 1)
    np.multiply(x[:-1], y[1:], out=cross[:-1])
    np.multiply(y[:-1], x[1:], out=other)
    cross[:-1] -= other
    last = ends - 1
    cross[last] = x[last] * y[heads] - y[last] * x[heads]
    area = np.add.reduceat(cross, heads)
    if not np.all(area != 0):  # zero area: dropped
        keep = area != 0
        xy = _rows(xy, np.repeat(keep, counts), "layout area")
        counts = counts[keep]
        if not len(counts):
            return Layout()
        x, y = xy[:, 0], xy[:, 1]
    x *= scale[0]  # xy * scale + shift, column by column and in place
    x += shift[0]
    y *= scale[1]
    y += shift[1]
    # Layout normalises (vertices the scaling merged) and names a polygon left too short
    return Layout.from_packed(xy, counts, pair)


def _rows(xy: np.ndarray, keep: np.ndarray, name: str) -> np.ndarray:
    """``xy[keep]`` for an (n, 2) array that drops few rows: the runs between the dropped
    rows, concatenated into per-thread scratch (boolean indexing of an (n, 2) array is
    slow, and a fresh large array costs page faults)."""
    cut = np.flatnonzero(~keep).tolist()
    runs = [xy[a + 1:b] for a, b in zip([-1] + cut, cut + [len(xy)])]
    return np.concatenate(runs, out=_scratch(name, (len(xy) - len(cut), 2)))


def _checked_field(field: Any) -> tuple[np.ndarray, float, float]:
    """The field as a finite 2-D numpy float array, and its minimum and maximum.

    A float32/float64 numpy array is checked through its extremes (NaN propagates into
    them, inf is one), two passes instead of three; anything else, and a field that fails,
    goes through :func:`real_array`, whose error names the first bad element.
    """
    if (type(field) is np.ndarray and field.ndim == 2 and field.size
            and field.dtype in (np.dtype(np.float32), np.dtype(np.float64))):
        lo, hi = float(field.min()), float(field.max())
        if math.isfinite(lo) and math.isfinite(hi):
            return field, lo, hi
    checked = to_numpy(real_array("field", field, ndim=2, what="a 2-D field"))
    return checked, float(checked.min()), float(checked.max())


def _polygons(z: np.ndarray, level: float, region: str) -> list[list[np.ndarray]]:
    """The regions of ``z`` above (or below) ``level`` in index coordinates.

    One list of rings per region, in the order the kernel meets the regions (the scan
    order of their first horizontal crossings): the outer ring (anticlockwise) first,
    then its holes (clockwise); each ring ``(n, 2)`` without the closing vertex. Rings of
    zero area (fewer than 3 vertices, or degenerate) are left out.
    """
    from .._kernels.contour import rings as trace

    z = np.ascontiguousarray(z)
    if z.dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
        z = z.astype(np.float64)
    xy, offsets = trace(z, float(level), region == "above")
    if not len(xy):
        return []
    heads, ends = offsets[:-1], offsets[1:]
    sizes = ends - heads
    x, y = xy[:, 0], xy[:, 1]
    # signed areas (twice), the shoelace term of each vertex and its successor in its ring
    succ = np.arange(1, len(xy) + 1)
    succ[ends - 1] = heads
    area2 = np.add.reduceat(x * y[succ] - y * x[succ], heads)
    ring_list = [xy[h:e] for h, e in zip(heads.tolist(), ends.tolist())]
    outer = (area2 > 0) & (sizes >= 3)
    holes = np.flatnonzero((area2 < 0) & (sizes >= 3))
    order = np.flatnonzero(outer)
    members: dict[int, list[np.ndarray]] = {int(r): [ring_list[r]] for r in order}
    if len(holes):
        for hole, parent in zip(holes.tolist(), _parents(xy, heads, sizes, area2, holes).tolist()):
            members[parent].append(ring_list[hole])
    return [members[int(r)] for r in order]


def _parents(xy: np.ndarray, heads: np.ndarray, sizes: np.ndarray, area2: np.ndarray,
             holes: np.ndarray) -> np.ndarray:
    """The outer ring enclosing each hole ring: the smallest outer ring around it.

    Each hole is represented by a point P just inside it: the midpoint of the edge from
    its rightmost vertex, moved by ``_INSIDE`` (index units) to the edge's right, the
    inside of a clockwise ring. Rings can meet where samples lie on the level, at
    vertices and even along the border (both rings through the same border samples), but
    P lies on no ring. An outer ring contains P when a ray from P in +x crosses it an odd
    number of times (half-open in y, so a vertex on the ray counts once). Outer rings nest
    strictly, so the smallest one containing P is the hole's region.
    """
    x, y = xy[:, 0], xy[:, 1]
    n_rings = len(heads)
    ring_of = np.repeat(np.arange(n_rings), sizes)
    right = np.maximum.reduceat(x, heads)
    m = np.minimum.reduceat(np.where(x == right[ring_of], np.arange(len(x)), len(x)), heads)[holes]
    m_next = m + 1
    m_next[m_next == heads[holes] + sizes[holes]] = heads[holes][m_next == heads[holes] + sizes[holes]]
    dx, dy = x[m_next] - x[m], y[m_next] - y[m]
    step = _INSIDE / np.hypot(dx, dy)
    px, py = 0.5 * (x[m] + x[m_next]) + step * dy, 0.5 * (y[m] + y[m_next]) - step * dx
    # the outer rings' edges paired with the holes whose P.y their y span may hold
    _, ring, (ax, ay, bx, by), j, k = _span_pairs(x, y, heads, sizes, py, area2 > 0)
    cross = (ay[j] <= py[k]) != (by[j] <= py[k])
    j, k = j[cross], k[cross]
    x_hit = ax[j] + (py[k] - ay[j]) / (by[j] - ay[j]) * (bx[j] - ax[j])
    right_of = x_hit > px[k]
    pair = k[right_of].astype(np.int64) * n_rings + ring[j[right_of]]
    pairs, crossings = np.unique(pair, return_counts=True)
    inside = pairs[crossings % 2 == 1]
    hole_k, outer = inside // n_rings, inside % n_rings
    pick = np.lexsort((area2[outer], hole_k))  # per hole, the smallest containing ring first
    hole_k, outer = hole_k[pick], outer[pick]
    first_of = np.flatnonzero(np.append(True, hole_k[1:] != hole_k[:-1])) if hole_k.size else np.zeros(0, np.intp)
    if len(first_of) != len(holes):  # cannot happen: a hole lies inside its region's outer ring
        raise RuntimeError("a contour hole without an enclosing ring")
    return outer[first_of]


def _keyhole(outer: np.ndarray, holes: list[np.ndarray], oriented: bool = False) -> np.ndarray:
    """One ring from an outer ring and its holes, each hole joined by a zero-width bridge.

    Holes are taken in decreasing order of their largest x. From a hole's rightmost
    vertex M a ray runs in +x; the first edge it crosses (half-open in y, so a vertex on
    the ray counts once) of the outer ring or of a hole joined before gives the point P,
    and the ring there becomes ``... A, P, M, <hole from M round to M>, M, P, B ...``. A
    hole not yet joined has no vertex right of M, so the bridge M-P crosses nothing.
    Holes run against the outer ring's sense (``oriented``: the outer ring runs
    anticlockwise and the holes clockwise already, as the kernel gives them). Ties go to
    the earlier ring, then to the earlier edge.
    """
    return np.concatenate(_keyhole_pieces(outer, holes, oriented))


def _keyhole_pieces(outer: np.ndarray, holes: list[np.ndarray], oriented: bool = False) -> list[np.ndarray]:
    """:func:`_keyhole`'s ring as the list of arrays to concatenate."""
    if not oriented:
        outer = outer if _area(outer) > 0 else outer[::-1]
        holes = [h[::-1] if _area(h) > 0 else h for h in holes]
    return _keyholes([[outer] + list(holes)])[0]


def _keyholes(polygons: list[list[np.ndarray]]) -> list[list[np.ndarray]]:
    """:func:`_keyhole` of many polygons (outer ring anticlockwise, holes clockwise) at once.

    Each result is the list of arrays that concatenate to the keyholed ring. All holes of
    all polygons are handled together in one vertex array, and the rays' crossings come
    from the edges near them only (:func:`_edges_near`); what is left per hole is the
    bookkeeping of the splice.
    """
    outers = [p[0] for p in polygons]
    holes = [h for p in polygons for h in p[1:]]
    n_holes = len(holes)
    # each hole's rightmost vertex M (the first such), the holes by polygon and then by
    # decreasing x of M (stable), each from M round
    hole_poly = np.repeat(np.arange(len(polygons)), [len(p) - 1 for p in polygons])
    sizes = np.array([len(h) for h in holes])
    n = int(sizes.sum())
    heads = np.cumsum(sizes) - sizes
    xy = np.concatenate(holes)
    ring_of = np.repeat(np.arange(n_holes), sizes)
    local = np.arange(n) - heads[ring_of]
    right = np.maximum.reduceat(xy[:, 0], heads)
    m = np.minimum.reduceat(np.where(xy[:, 0] == right[ring_of], local, n), heads)
    order = np.lexsort((-right, hole_poly))
    sizes, m, old_heads, hole_poly = sizes[order], m[order], heads[order], hole_poly[order]
    heads = np.cumsum(sizes) - sizes
    ring_of = np.repeat(np.arange(n_holes), sizes)
    size_of = sizes[ring_of]
    local = m[ring_of] + np.arange(n) - heads[ring_of]
    local -= size_of * (local >= size_of)
    rotated = np.take(xy, old_heads[ring_of] + local, axis=0)
    starts = rotated[heads]  # M of each hole
    group_first = np.searchsorted(hole_poly, hole_poly, side="left")
    hole_rank = np.arange(n_holes) - group_first + 1  # the outer ring is rank 0
    # all rings end to end (outer rings, then the holes): polygon and rank of each
    outer_sizes = np.array([len(o) for o in outers])
    n_outer = int(outer_sizes.sum())
    ring_sizes = np.concatenate((outer_sizes, sizes))
    ring_heads = np.cumsum(ring_sizes) - ring_sizes
    ring_poly = np.concatenate((np.arange(len(polygons)), hole_poly))
    ring_rank = np.concatenate((np.zeros(len(polygons), dtype=hole_rank.dtype), hole_rank))
    x_all = np.concatenate([o[:, 0] for o in outers] + [rotated[:, 0]], out=_scratch("keyhole x", n_outer + n))
    y_all = np.concatenate([o[:, 1] for o in outers] + [rotated[:, 1]], out=_scratch("keyhole y", n_outer + n))
    # edge e (vertex e -> its successor in its ring) crosses y = my (half-open) iff
    # min(ay, by) <= my < max(ay, by): pair the candidate edges with the holes whose my
    # falls in their span, of the same polygon and joined after the edge's ring
    edge, ring, (ax, ay, bx, by), j, k = _span_pairs(x_all, y_all, ring_heads, ring_sizes, starts[:, 1])
    keep = (ring_poly[ring[j]] == hole_poly[k]) & (ring_rank[ring[j]] < hole_rank[k])
    j, k = j[keep], k[keep]
    mx, my = starts[k, 0], starts[k, 1]
    cross = (ay[j] <= my) != (by[j] <= my)
    j, k, mx, my = j[cross], k[cross], mx[cross], my[cross]
    t = (my - ay[j]) / (by[j] - ay[j])
    x_hit = ax[j] + t * (bx[j] - ax[j])
    ok = x_hit >= mx
    j, k, t, x_hit = j[ok], k[ok], t[ok], x_hit[ok]
    edge, ring = edge[j], ring[j]
    # per hole: the least x, a tie to the earlier ring, then to the earlier edge
    pick = np.lexsort((edge, ring_rank[ring], x_hit, k))
    k, edge, ring, t, x_hit = k[pick], edge[pick], ring[pick], t[pick], x_hit[pick]
    first_of = np.flatnonzero(np.append(True, k[1:] != k[:-1])) if k.size else np.zeros(0, dtype=np.intp)
    if len(first_of) != n_holes:  # cannot happen for a hole inside its outer ring
        raise ValueError("a contour hole lies outside its outer ring")
    edge, ring, t, x_hit = edge[first_of], ring[first_of], t[first_of], x_hit[first_of]
    target = ring_rank[ring].tolist()
    at_edge = (edge - ring_heads[ring]).tolist()
    bridge_at = np.stack((x_hit, starts[:, 1]), axis=1)  # P of each hole
    results: list[list[np.ndarray]] = []
    hole = 0
    for p, polygon in enumerate(polygons):
        n_rings = len(polygon)
        rings = [outers[p]] + [rotated[h:h + s] for h, s in
                               zip(heads[hole:hole + n_rings - 1].tolist(), sizes[hole:hole + n_rings - 1].tolist())]
        bridges: list[list[tuple[int, float, np.ndarray, int]]] = [[] for _ in rings]
        for rank in range(1, n_rings):
            bridges[target[hole]].append((at_edge[hole], float(t[hole]), bridge_at[hole:hole + 1], rank))
            hole += 1
        for bridge in bridges:
            bridge.sort(key=lambda item: (item[0], item[1]))
        pieces: list[np.ndarray] = []
        stack: list[tuple[int, Any, int, list[np.ndarray]]] = [(0, iter(bridges[0]), 0, [])]
        while stack:  # depth-first splice, iterative (holes can chain deeper than recursion)
            r, todo, cursor, tail = stack.pop()
            nxt = next(todo, None)
            if nxt is None:
                pieces.append(rings[r][cursor:])
                pieces.extend(tail)
                continue
            e, _, pt, kk = nxt
            pieces += [rings[r][cursor:e + 1], pt]
            stack.append((r, todo, e + 1, tail))
            stack.append((kk, iter(bridges[kk]), 0, [rings[kk][:1], pt]))
        results.append(pieces)
    return results


def _span_pairs(x: np.ndarray, y: np.ndarray, heads: np.ndarray, sizes: np.ndarray, lines: np.ndarray,
                rings: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, ...],
                                                          np.ndarray, np.ndarray]:
    """Candidate (edge, line) pairs for rays along the lines y = ``lines``.

    The rings' vertices lie one ring after another (``heads``, ``sizes``, every ring
    non-empty); edge ``e`` runs from vertex ``e`` to its successor in its ring. Edges
    near the lines (:func:`_edges_near`), of the rings where ``rings`` (a mask per ring)
    is True, are paired with every line whose y lies in ``[min(ay, by), max(ay, by))``.

    Returns ``(edge, ring, (ax, ay, bx, by), j, k)``: the candidate edges, their rings and
    end points, and per pair the index ``j`` into those and the line ``k``.
    """
    by_line = np.argsort(lines, kind="stable")
    ys = lines[by_line]
    edge = _edges_near(y, heads, sizes, ys)
    ring = np.searchsorted(heads, edge, side="right") - 1
    if rings is not None:
        edge, ring = edge[rings[ring]], ring[rings[ring]]
    succ = edge + 1
    wrap = succ == heads[ring] + sizes[ring]
    succ[wrap] = heads[ring[wrap]]
    ax, ay, bx, by = x[edge], y[edge], x[succ], y[succ]
    first = np.searchsorted(ys, np.minimum(ay, by), side="left")
    count = np.searchsorted(ys, np.maximum(ay, by), side="left") - first
    total = int(count.sum())
    k = by_line[np.repeat(first - np.cumsum(count) + count, count) + np.arange(total)]
    j = np.repeat(np.arange(len(edge)), count)
    return edge, ring, (ax, ay, bx, by), j, k


def _edges_near(y: np.ndarray, heads: np.ndarray, sizes: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Indices of the edges that may cross one of the lines y = ys, ascending.

    ``y`` holds the rings' vertices one ring after another (``heads``, ``sizes``); edge
    ``e`` runs from vertex ``e`` to its successor in its ring. An edge crosses a line
    only if it starts within ``w`` (the largest edge height) of it; contour edges are at
    most a pixel high, so a table of unit rows around each line picks the few
    candidates without a pass per line. Tall edges: all. Work arrays are per-thread
    scratch (fresh large arrays cost page faults).
    """
    n = len(y)
    lasts = heads + sizes - 1
    w = float(np.max(np.abs(y[lasts] - y[heads])))  # the rings' closing edges
    if n > 1:
        rise = np.subtract(y[1:], y[:-1], out=_scratch("edges", n - 1))
        np.abs(rise, out=rise)
        rise[lasts[:-1]] = 0  # from one ring to the next: no edge
        w = max(w, float(rise.max()))
    if w > 64 or not len(ys):
        return np.arange(n) if len(ys) else np.zeros(0, dtype=np.intp)
    # rows base .. base + len(table) - 1 around the lines; the table's ends stay False
    # and catch every row outside (mode="clip")
    base = math.floor(float(ys.min()) - w) - 2
    top = math.floor(float(ys.max()) + w) + 2
    if top - base > 1 << 24:
        return np.arange(n)
    table = np.zeros(top - base + 2, dtype=bool)
    for line in ys.tolist():
        table[math.floor(line - w) - base - 1:math.floor(line + w) - base + 2] = True
    row = np.subtract(y, base, out=_scratch("edges", n))  # truncation: floor where >= 0
    index = _scratch("edge rows", n, np.intp)
    np.copyto(index, row, casting="unsafe")
    return np.flatnonzero(np.take(table, index, mode="clip"))


_local = threading.local()


def _scratch(name: str, shape: int | tuple[int, ...], dtype: Any = np.float64) -> np.ndarray:
    """A per-thread work array, reused between calls (a fresh large array costs page faults)."""
    store = _local.__dict__.setdefault("scratch", {})
    size = math.prod(shape) if isinstance(shape, tuple) else int(shape)
    buffer = store.get((name, np.dtype(dtype)))
    if buffer is None or len(buffer) < size:
        buffer = store[name, np.dtype(dtype)] = np.empty(max(size, 2 * len(buffer) if buffer is not None else 0), dtype)
    return buffer[:size].reshape(shape)


def _area(p: np.ndarray) -> float:
    """Signed (anticlockwise positive) area of the ring ``p`` (n, 2), shoelace.

    ``np.einsum`` sums the products without temporaries (``np.dot`` goes to a threaded
    BLAS, which on a busy machine is slower than the whole trace).
    """
    x, y = p[:, 0], p[:, 1]
    return 0.5 * (float(np.einsum("i,i", x[:-1], y[1:])) - float(np.einsum("i,i", y[:-1], x[1:]))
                  + float(x[-1] * y[0] - y[-1] * x[0]))
