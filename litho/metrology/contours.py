"""Sub-pixel contours of sampled fields (marching squares by contourpy) as a Layout.

Sampling convention (as in ``litho.rasterize`` and the imaging code): the value at row
``iy``, column ``ix`` stands for the point ``origin + ((ix + 1/2) px, (iy + 1/2) py)``.
Between samples the field is bilinear, so a straight edge in a field that is linear
across it is located exactly. Regions touching the border are closed along the outermost
sample centres.

A large field is traced by contourpy in horizontal bands that share their seam rows,
one generator per band, the bands on several threads (the threaded generator releases
the GIL); the band pieces are joined along the seams (:func:`_merge_bands`) into the
polygons of a single-piece trace: the same vertices (contourpy computes a seam crossing
identically on both sides), the same outer-ring start and polygon order, the same holes
(started where contourpy starts them when :func:`_keyhole` depends on it: a rightmost x
taken twice; it never depends on their order), so the Layout is the same. A
seam row with a sample on (or within rounding of) the level, or pieces that do not join
as expected, make the field be traced in one piece instead.

Module state: caches and worker threads only -- the index grids; per thread up to two
sets of contourpy generators for fields of 2^18 to 2^23 samples, each generator bound
to its own float64 buffer into which every call copies its band (building a generator
costs about as much as tracing: an integer modulo per sample), and work arrays; a pool
of up to 7 threads.
"""

from __future__ import annotations

import collections
import functools
import math
import os
import threading
from typing import Any

import numpy as np

from .._validate import choice, finite_number, finite_pair, integer, real_array
from ..backend import cpu_threads, to_numpy
from ..errors import InvalidParameterError
from ..geometry.layout import Layout, _layer_pair
from .gauges import pixel_pair

__all__ = ["contours"]

_MAX_THREADS = 8
_PARALLEL_MIN_SAMPLES = 1 << 16  # smaller fields are traced in one piece on one thread
_BAND_MIN_ROWS = 64  # quad rows per band, at least
_CACHE_SAMPLES = (1 << 18, 1 << 23)  # fields in this range keep their generator per thread
_CACHE_ENTRIES = 2
_SEAM_CLEARANCE = 1e-6  # a crossing next to a seam row lies this far (index units) from it, at least
_SEAM_TOL = 1e-9  # |y - seam row| of contourpy's vertices on a seam row (rounding only)


def contours(field: Any, level: float, pixel: Any, origin: tuple[float, float] = (0.0, 0.0), *,
             region: str = "above", layer: tuple[int, int] = (0, 0), empty_ok: bool = False,
             threads: int | None = None) -> Layout:
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
    threads : int, optional
        CPU threads tracing a large field (in as many horizontal bands); default the cores
        this process may run on, at most 8 (never more than those cores). The result does
        not depend on it.

    Returns
    -------
    Layout
        One polygon per connected region; holes are keyholed into their outer polygon.

    Raises
    ------
    InvalidParameterError
        ``level`` outside the field's range (the error gives the range), a non-2-D or
        non-finite field, a bad pixel, origin or thread count.
    """
    checked, lo, hi = _checked_field(field)
    level = finite_number("level", level)
    py, px = pixel_pair(pixel)
    x0, y0 = finite_pair("origin", origin, "nm")
    choice("region", region, ("above", "below"))
    cores = min(cpu_threads(), _MAX_THREADS)
    n_threads = cores if threads is None else min(integer("threads", threads, minimum=1), cores)
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
    span = max(hi - lo, 1.0)
    lower, upper = (level, hi + span) if region == "above" else (lo - span, level)
    rings_xy: list[list[np.ndarray]] = []
    with_holes: list[int] = []
    for polygon in _filled(checked, lower, upper, threads=n_threads):
        rings = [r for r in polygon if len(r) >= 3]  # 3 distinct vertices at least
        if not rings:
            continue
        if len(rings) > 1:
            with_holes.append(len(rings_xy))
        rings_xy.append(rings)
    if with_holes:  # contourpy's outer rings run anticlockwise, its holes clockwise
        for i, pieces in zip(with_holes, _keyholes([rings_xy[i] for i in with_holes])):
            rings_xy[i] = pieces
    return _layout(rings_xy, scale, shift, layer)


def _layout(rings: list[list[np.ndarray]], scale: np.ndarray, shift: np.ndarray, layer: Any) -> Layout:
    """``Layout.from_polygons([p * scale + shift for p in rings if p has an area], layer)``, vectorised.

    Each polygon ``p`` comes as the list of arrays that concatenate to it.

    The same normalisation as :class:`Layout` (consecutive duplicate vertices and a
    repeated closing vertex dropped) on all vertices at once, in per-thread work arrays
    (each fresh large array costs page faults), then packed directly (Layout copies).
    """
    pair = _layer_pair("layer", layer)
    if not rings:
        return Layout()
    original = rings
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
    first = np.cumsum(counts) - counts
    keep = np.ones(len(xy), dtype=bool)
    keep[1:] = (x[1:] != x[:-1]) | (y[1:] != y[:-1])
    keep[first] = True
    if not keep.all():
        counts = np.add.reduceat(keep, first, dtype=np.int64)
        xy = _rows(xy, keep, "layout kept")
        first = np.cumsum(counts) - counts
    last = first + counts - 1
    closing = (counts > 1) & (xy[last, 0] == xy[first, 0]) & (xy[last, 1] == xy[first, 1])
    if closing.any():
        keep = np.ones(len(xy), dtype=bool)
        keep[last[closing]] = False
        xy, counts = _rows(xy, keep, "layout open"), counts - closing
    if np.any(counts < 3):  # vertices merged by the scaling: Layout says which polygon
        polygons = [np.concatenate(p) for p in original]
        return Layout.from_polygons([p * scale + shift for p in polygons if abs(_area(p)) > 0], layer=layer)
    return Layout._packed(xy, counts, np.broadcast_to(np.array(pair, dtype=np.int64), (len(counts), 2)))


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
        lo, hi = _extremes(field)
        if math.isfinite(lo) and math.isfinite(hi):
            return field, lo, hi
    checked = to_numpy(real_array("field", field, ndim=2, what="a 2-D field"))
    return checked, float(checked.min()), float(checked.max())


def _extremes(z: np.ndarray) -> tuple[float, float]:
    """``z.min(), z.max()``; a large field's halves on two threads (numpy releases the GIL)."""
    if z.size < _PARALLEL_MIN_SAMPLES or len(z) < 2 or min(cpu_threads(), _MAX_THREADS) < 2:
        return float(z.min()), float(z.max())
    half = len(z) // 2
    other = _pool().submit(lambda: (z[half:].min(), z[half:].max()))
    lo, hi = z[:half].min(), z[:half].max()
    lo2, hi2 = other.result()
    # min/max propagate NaN: keep it, whichever half holds it
    return float(np.min((lo, lo2))), float(np.max((hi, hi2)))


def _filled(z: np.ndarray, lower: float, upper: float, *, threads: int = 1,
            bands: int | None = None) -> list[list[np.ndarray]]:
    """contourpy's filled contours of ``z`` between two levels, in index coordinates.

    Returns one list of rings per polygon, outer ring first, each ring ``(n, 2)`` without
    the closing vertex, as one single-piece ``filled(lower, upper)`` call gives them
    (the holes of a region joined from bands in another order, and started elsewhere
    unless their rightmost x is taken twice: no matter to :func:`_keyhole`). ``bands`` (default:
    ``threads`` for a large field) is the number of horizontal bands traced separately,
    on up to ``threads`` threads, and joined by :func:`_merge_bands`.
    """
    ny, nx = z.shape
    if bands is None:
        big = ny * nx >= _PARALLEL_MIN_SAMPLES
        bands = max(1, min(threads, (ny - 1) // _BAND_MIN_ROWS)) if big else 1
    rows = -(-(ny - 1) // max(1, min(bands, ny - 1)))  # quad rows per band (y_chunk_size)
    n_bands = -(-(ny - 1) // rows)
    if n_bands > 1 and _seams_clear(z, rows, n_bands, (lower, upper)):
        points, offsets, outers = _trace(z, lower, upper, rows, threads)
        try:
            return _merge_bands(points, offsets, outers, rows)
        except _SeamMismatch:
            pass
    points, offsets, outers = _trace(z, lower, upper, ny - 1, 1)
    return _pieces(points[0], offsets[0], outers[0])


def _seams_clear(z: np.ndarray, rows: int, n_bands: int, levels: tuple[float, ...]) -> bool:
    """Whether every seam row keeps contour vertices off it and off its samples.

    A crossing on an edge from a seam sample lies ``|z - level| / |dz|`` (index units)
    from that sample; at least ``_SEAM_CLEARANCE`` on every such edge lets
    :func:`_merge_bands` tell the vertices on a seam row from those next to it.
    """
    for s in range(rows, rows * n_bands, rows):
        row = z[s].astype(np.float64)
        steps = [np.abs(row - z[s - 1]), np.abs(row - z[s + 1]), np.zeros_like(row), np.zeros_like(row)]
        steps[2][1:] = np.abs(np.diff(row))
        steps[3][:-1] = steps[2][1:]
        step = np.maximum(np.maximum(steps[0], steps[1]), np.maximum(steps[2], steps[3]))
        for level in levels:
            gap = np.abs(row - level)
            if np.any((gap == 0) | (gap <= _SEAM_CLEARANCE * step)):
                return False
    return True


def _pieces(points: np.ndarray | None, offsets: np.ndarray | None,
            outers: np.ndarray | None) -> list[list[np.ndarray]]:
    """The polygons (rings without the closing vertex) of one chunk of ChunkCombinedOffsetOffset output."""
    if points is None:
        return []
    o = offsets.tolist()
    oo = outers.tolist()
    return [[points[o[i]:o[i + 1] - 1] for i in range(oo[k], oo[k + 1])] for k in range(len(oo) - 1)]


# -- contourpy generators ----------------------------------------------------------------

_local = threading.local()


def _trace(z: np.ndarray, lower: float, upper: float, rows: int, threads: int) -> tuple[list, list, list]:
    """contourpy's ChunkCombinedOffsetOffset output for bands of ``rows`` quad rows of ``z``.

    Band ``b`` spans sample rows ``b rows .. (b + 1) rows`` (neighbours share the seam
    row) and has its own generator over the global index grid, so its vertices are those
    of chunk ``b`` of one generator with ``y_chunk_size=rows``. With ``threads > 1`` the
    bands are traced concurrently: each thread copies its bands into their float64
    buffers and traces them (numpy and the threaded generator release the GIL).
    """
    ny = z.shape[0]
    n_bands = -(-(ny - 1) // rows)
    generators = _generators(z.shape, rows, n_bands > 1)
    results: list[Any] = [None] * n_bands

    def run(first: int) -> None:
        for b in range(first, n_bands, threads):
            generator, buffer = generators[b]
            block = z[b * rows:min((b + 1) * rows, ny - 1) + 1]
            if buffer is None:
                generator = generator(np.ascontiguousarray(block, dtype=np.float64))
            else:
                np.copyto(buffer, block)
            results[b] = generator.filled(lower, upper)

    threads = max(1, min(threads, n_bands))
    if threads > 1:
        pool = _pool()
        futures = [pool.submit(run, t) for t in range(1, threads)]
        run(0)
        for future in futures:
            future.result()
    else:
        run(0)
    return ([r[0][0] for r in results], [r[1][0] for r in results], [r[2][0] for r in results])


def _generators(shape: tuple[int, int], rows: int, banded: bool) -> list[tuple[Any, np.ndarray | None]]:
    """Per band: a contourpy generator bound to a float64 buffer, or a factory taking ``z``.

    Fields of ``_CACHE_SAMPLES`` keep their generators per thread (up to
    ``_CACHE_ENTRIES`` shapes): a generator reads ``z`` through its buffer on every call
    and re-derives all it caches from it, so only the buffer needs refilling.
    """
    ny, nx = shape
    n_bands = -(-(ny - 1) // rows)
    spans = [(b * rows, min((b + 1) * rows, ny - 1) + 1) for b in range(n_bands)]
    if not _CACHE_SAMPLES[0] <= ny * nx <= _CACHE_SAMPLES[1] or not _generator_reads_buffer():
        return [(functools.partial(_new_generator, rows=(r0, r1), field_rows=ny, banded=banded), None)
                for r0, r1 in spans]
    cache = getattr(_local, "generators", None)
    if cache is None:
        cache = _local.generators = collections.OrderedDict()
    key = (ny, nx, rows, banded)
    entry = cache.get(key)
    if entry is None:
        entry = []
        for r0, r1 in spans:
            buffer = np.empty((r1 - r0, nx))
            entry.append((_new_generator(buffer, rows=(r0, r1), field_rows=ny, banded=banded), buffer))
        cache[key] = entry
        while len(cache) > _CACHE_ENTRIES:
            cache.popitem(last=False)
    cache.move_to_end(key)
    return entry


def _new_generator(z: np.ndarray, rows: tuple[int, int], field_rows: int, banded: bool) -> Any:
    """contourpy's generator for ``z`` (float64, C order): sample rows ``rows[0]:rows[1]`` of a field.

    The coordinates are rows of the field's index grid (cached; the generic
    ``contourpy.contour_generator`` builds two coordinate grids and a NaN mask per call).
    A band has the threaded generator on one thread, which releases the GIL while it
    traces; a whole field the serial one.
    """
    import contourpy

    gx, gy = _index_grid(field_rows, z.shape[1])
    gx, gy = gx[rows[0]:rows[1]], gy[rows[0]:rows[1]]  # C-contiguous views
    options = dict(corner_mask=False, line_type=contourpy.LineType.Separate,
                   fill_type=contourpy.FillType.ChunkCombinedOffsetOffset, quad_as_tri=False,
                   z_interp=contourpy.ZInterp.Linear)
    if banded:
        return contourpy.ThreadedContourGenerator(gx, gy, z, None, thread_count=1, **options)
    return contourpy.SerialContourGenerator(gx, gy, z, None, **options)


def _pool() -> Any:
    """The worker threads (created on first use; again in a forked child, whose copy has none)."""
    return _pool_of(os.getpid())


@functools.lru_cache(maxsize=1)
def _pool_of(pid: int) -> Any:
    from concurrent.futures import ThreadPoolExecutor

    return ThreadPoolExecutor(max_workers=_MAX_THREADS - 1, thread_name_prefix="litho-contours")


@functools.lru_cache(maxsize=1)
def _generator_reads_buffer() -> bool:
    """Whether contourpy's generators read ``z`` from the array given (not from a copy)."""
    z = np.zeros((3, 3))
    generators = [_new_generator(z, (0, 3), 3, False), _new_generator(z, (0, 3), 3, True)]
    z[1, 1] = 1.0
    return all(g.filled(0.5, 2.0)[0][0] is not None for g in generators)


@functools.lru_cache(maxsize=2)
def _index_grid(ny: int, nx: int) -> tuple[np.ndarray, np.ndarray]:
    gx, gy = np.meshgrid(np.arange(nx, dtype=np.float64), np.arange(ny, dtype=np.float64))
    gx.flags.writeable = False
    gy.flags.writeable = False
    return gx, gy


# -- joining band pieces -----------------------------------------------------------------

class _SeamMismatch(Exception):
    """Band pieces that do not join as expected; the field is traced in one piece instead."""


def _merge_bands(points: list, offsets: list, outers: list, rows: int) -> list[list[np.ndarray]]:
    """The polygons of a single-piece trace from contourpy's band-wise (chunked) output.

    contourpy closes a region cut by a seam row ``s`` along it: the piece below runs east
    to west along ``s`` through the samples inside (and the crossings at the ends), the
    piece above west to east over the same interval. Each such run of seam vertices is
    paired with its partner (the runs of a seam, sorted by x, match one to one), and the
    outer rings are re-joined: arriving at a run, the ring continues on the partner's
    piece after the partner run, the run's inner vertices dropped and its end vertices
    kept once. Pieces joined through runs form one region with one anticlockwise ring
    (its outer ring, started where the region's first piece starts, as the single trace
    does) and clockwise rings (holes the seams cut; started as contourpy starts a hole
    where their rightmost x is taken twice), plus the pieces' own holes. Polygons come in
    the order of their first piece.

    Raises
    ------
    _SeamMismatch
        A run without a partner, a hole on a seam, or a region that does not close into
        one outer ring (a degenerate field; not expected after :func:`_seams_clear`).
    """
    n_bands = len(points)
    if n_bands == 1:
        return _pieces(points[0], offsets[0], outers[0])
    pieces: list[list[np.ndarray]] = []
    found: list[tuple[np.ndarray, ...]] = []  # per band: the runs' piece, seam, side, entry, exit, x range
    for band in range(n_bands):
        p = points[band]
        if p is None:
            continue
        o, oo = offsets[band], outers[band]
        base = len(pieces)
        pieces.extend(_pieces(p, o, oo))
        x, y = p[:, 0], p[:, 1]
        # the band's vertices lie between its seams (to rounding): one comparison per seam
        # finds those on it (below: runs W -> E, side 1; above: E -> W, side 2)
        below = y <= band * rows + _SEAM_TOL if band > 0 else None
        above = y >= (band + 1) * rows - _SEAM_TOL if band < n_bands - 1 else None
        at = above.copy() if below is None else below.copy() if above is None else below | above
        at[o[1:] - 1] = False  # closing vertices (copies of the first) are only neighbours
        idx = np.flatnonzero(at)
        if not idx.size:
            continue
        if below is not None and above is not None and np.any(below[idx] & above[idx]):
            raise _SeamMismatch("a band thinner than the seam tolerance")

        def on(i: np.ndarray) -> np.ndarray:  # the side of the vertices i (0: on no seam)
            s = np.zeros(len(i), dtype=np.int8)
            if below is not None:
                s[below[i]] = 1
            if above is not None:
                s[above[i]] = 2
            return s

        ring = np.searchsorted(o, idx, side="right") - 1
        outer = np.zeros(len(o) - 1, dtype=bool)
        outer[oo[:-1]] = True
        if not outer[ring].all():
            raise _SeamMismatch("a hole on a seam")
        head = o[ring]
        prev = np.where(idx == head, o[ring + 1] - 2, idx - 1)
        nxt = idx + 1  # the closing vertex stands in for the first
        side, side_prev, side_next = on(idx), on(prev), on(nxt)
        # a run has 2 vertices at least, runs E -> W below its seam (W -> E above), and
        # its inner vertices are samples on the seam row
        cont = side_next == side
        inner = cont & (side_prev == side)
        step = x[nxt] - x[idx]
        seam_row = np.where(side == 2, band + 1, band) * rows
        if (np.any((side_prev != side) & ~cont) or np.any(cont & np.where(side == 2, step >= 0, step <= 0))
                or np.any(inner & ((y[idx] != seam_row) | (x[idx] != np.round(x[idx]))))):
            raise _SeamMismatch("a malformed seam run")
        begins, ends = side_prev != side, ~cont
        starts, stops, ring_s = idx[begins], idx[ends], ring[begins]
        if not np.array_equal(ring_s, ring[ends]) or len(np.unique(ring_s)) != len(np.unique(ring)):
            raise _SeamMismatch("a ring along a seam")
        # pair each start with its run's stop: in ring order, unless a run wraps round
        # the ring's first vertex (then every start pairs with the next stop)
        first_of = np.flatnonzero(np.append(True, ring_s[1:] != ring_s[:-1]))
        count = np.diff(np.append(first_of, len(starts)))
        group, size = np.repeat(first_of, count), np.repeat(count, count)
        wrap = (stops[group] < starts[group]).astype(np.intp)
        stops = stops[group + (np.arange(len(starts)) - group + wrap) % size]
        s = on(starts)
        found.append((base + np.searchsorted(oo, ring_s, side="right") - 1, band + (s == 2), s,
                      starts - o[ring_s], stops - o[ring_s],
                      np.minimum(x[starts], x[stops]), np.maximum(x[starts], x[stops])))
    if not found:
        return pieces
    run_piece, run_seam, run_side, run_in, run_out, run_lo, run_hi = (np.concatenate(c) for c in zip(*found))

    # pair the runs of each seam: below (E -> W) and above (W -> E), sorted by x
    partner = np.full(len(run_piece), -1)
    for seam in range(1, n_bands):
        below = np.flatnonzero((run_seam == seam) & (run_side == 2))
        above = np.flatnonzero((run_seam == seam) & (run_side == 1))
        below, above = below[np.argsort(run_lo[below], kind="stable")], above[np.argsort(run_lo[above], kind="stable")]
        if len(below) != len(above) or np.any(np.abs(run_lo[below] - run_lo[above]) > 1e-6) \
                or np.any(np.abs(run_hi[below] - run_hi[above]) > 1e-6):
            raise _SeamMismatch("unpaired seam runs")
        partner[below], partner[above] = above, below
    if np.any(partner < 0):
        raise _SeamMismatch("unpaired seam runs")
    # the next run along the same ring (runs of a ring are consecutive, in ring order)
    new_ring = np.append(True, run_piece[1:] != run_piece[:-1])
    ring_first = np.maximum.accumulate(np.where(new_ring, np.arange(len(run_piece)), 0))
    next_run = np.arange(1, len(run_piece) + 1)
    last = np.flatnonzero(np.append(new_ring[1:], True))
    next_run[last] = ring_first[last]
    runs = list(zip(run_piece.tolist(), run_in.tolist(), run_out.tolist()))
    partner_of = partner.tolist()

    parent = list(range(len(pieces)))  # union-find; the root is a group's first piece

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in enumerate(partner_of):
        ra, rb = root(runs[a][0]), root(runs[b][0])
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    # arc after run r: from r's exit vertex up to (without) the next run's entry vertex
    arcs = {r: (runs[r][0], runs[r][2], runs[n][1], n) for r, n in enumerate(next_run.tolist())}
    outer_of: dict[int, np.ndarray] = {}
    cut_holes: dict[int, list[np.ndarray]] = collections.defaultdict(list)
    used: set[int] = set()
    for first in arcs:
        if first in used:
            continue
        parts: list[np.ndarray] = []
        start = None  # (part, offset) of the group's first piece's vertex 0
        group = root(runs[first][0])
        rid = first
        while rid not in used:
            used.add(rid)
            piece, i0, i1, nxt = arcs[rid]
            ring = pieces[piece][0]
            if piece == group and start is None:
                if i0 == 0:
                    start = (len(parts), 0)
                elif 0 < i1 <= i0:
                    start = (len(parts) + 1, 0)
            if i1 > i0:
                parts.append(ring[i0:i1])
            else:
                parts += [ring[i0:], ring[:i1]]
            rid = partner_of[nxt]
        if rid != first:
            raise _SeamMismatch("a ring that does not close")
        if start is not None:  # start the ring where the first piece starts
            parts = parts[start[0]:] + parts[:start[0]]
        cycle = np.concatenate(parts)
        if _area(cycle) > 0:
            if group in outer_of:
                raise _SeamMismatch("two outer rings in one region")
            outer_of[group] = cycle
        else:
            x = cycle[:, 0]
            tied = np.count_nonzero(x == x.max()) > 1  # then _keyhole depends on where it starts
            cut_holes[group].append(_hole_start(cycle) if tied else cycle)

    members: dict[int, list[int]] = collections.defaultdict(list)
    for i in range(len(pieces)):
        members[root(i)].append(i)
    polygons: list[list[np.ndarray]] = []
    for i, rings in enumerate(pieces):
        if root(i) != i:
            continue
        if len(members[i]) == 1:
            polygons.append(rings)
            continue
        if i not in outer_of:
            raise _SeamMismatch("a region without an outer ring")
        polygons.append([outer_of[i]] + cut_holes.get(i, []) + [h for j in members[i] for h in pieces[j][1:]])
    return polygons


def _integral(v: np.ndarray) -> np.ndarray:
    return np.abs(v - np.round(v)) <= _SEAM_TOL


def _hole_start(hole: np.ndarray) -> np.ndarray:
    """A hole ring rotated to where contourpy starts it.

    contourpy starts a hole at its first quad in raster order (row, then column) that the
    ring enters through the east edge and leaves through the north edge (a START_E quad):
    the vertex on that east edge comes first.
    """
    x, y = hole[:, 0], hole[:, 1]
    x_next, y_next = np.roll(x, -1), np.roll(y, -1)
    cand = np.flatnonzero(_integral(x) & ~_integral(y) & _integral(y_next) & (y_next > y) & (x_next < x))
    if not cand.size:
        raise _SeamMismatch("a hole without a start")
    k = int(cand[np.lexsort((np.round(x[cand]), np.round(y_next[cand])))[0]])
    return np.roll(hole, -k, axis=0)


def _keyhole(outer: np.ndarray, holes: list[np.ndarray], oriented: bool = False) -> np.ndarray:
    """One ring from an outer ring and its holes, each hole joined by a zero-width bridge.

    Holes are taken in decreasing order of their largest x. From a hole's rightmost
    vertex M a ray runs in +x; the first edge it crosses (half-open in y, so a vertex on
    the ray counts once) of the outer ring or of a hole joined before gives the point P,
    and the ring there becomes ``... A, P, M, <hole from M round to M>, M, P, B ...``. A
    hole not yet joined has no vertex right of M, so the bridge M-P crosses nothing.
    Holes run against the outer ring's sense (``oriented``: the outer ring runs
    anticlockwise and the holes clockwise already, as contourpy gives them). Ties go to
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
    by_y = np.argsort(starts[:, 1], kind="stable")
    ys = starts[by_y, 1]
    edge = _edges_near(y_all, ring_heads, ring_sizes, ys)
    ring = np.searchsorted(ring_heads, edge, side="right") - 1
    succ = edge + 1
    wrap = succ == ring_heads[ring] + ring_sizes[ring]
    succ[wrap] = ring_heads[ring[wrap]]
    ax, ay, bx, by = x_all[edge], y_all[edge], x_all[succ], y_all[succ]
    first = np.searchsorted(ys, np.minimum(ay, by), side="left")
    count = np.searchsorted(ys, np.maximum(ay, by), side="left") - first
    total = int(count.sum())
    k = by_y[np.repeat(first - np.cumsum(count) + count, count) + np.arange(total)]
    j = np.repeat(np.arange(len(edge)), count)  # candidate of each pair
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
