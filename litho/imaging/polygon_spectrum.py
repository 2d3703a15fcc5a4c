"""Exact Fourier coefficients of a polygon mask, straight from the geometry.

The analytic alternative to rasterizing a layout and transforming the raster: no pixel
box filter, no aliasing, and the cost grows with the number of edges and band
frequencies, not with the grid.

Conventions (shared with :mod:`litho.imaging.band`)
---------------------------------------------------
A grid is ``shape = (ny, nx)`` pixels of ``pixel`` nm with lower-left corner ``origin =
(x0, y0)``; periods ``Lx = nx·pixel``, ``Ly = ny·pixel``. The coefficient of frequency
index ``(ky, kx)``, spatial frequency ``(ky/Ly, kx/Lx)`` 1/nm, is

    c[ky, kx] = 1/(Lx·Ly) ∫∫_cell m(x, y) exp(-2πi (kx (x - x0)/Lx + ky (y - y0)/Ly)) dx dy

over the periodic cell ``[x0, x0 + Lx) x [y0, y0 + Ly)``, so ``m = Σ c[k] exp(2πi k·(r -
r0)/L)``. Results use the *band layout*: shape ``(2Ky+1, 2Kx+1)``, element ``[i, j]`` is
``(ky, kx) = (i - Ky, j - Kx)``.

Relation to a raster. The area raster of :func:`litho.rasterize` (pixel ``(r, c)`` covers
``[x0 + c·p, x0 + (c+1)·p)``) has ``fft2(raster)/(nx·ny) ≈ c · pixel_box_factor`` with
``pixel_box_factor = exp(iπ(kx/nx + ky/ny))·sinc(kx/nx)·sinc(ky/ny)`` (the box filter of a
pixel, and the half-pixel shift between a pixel's corner, where ``c`` puts sample 0, and
its centre), up to aliasing of the frequencies beyond the grid's Nyquist limit.

Method
------
The mask is the indicator of the union of the polygons (all layers together), clipped to
the cell: content outside ``[x0, x0 + Lx) x [y0, y0 + Ly)`` is ignored, as in
:func:`litho.rasterize` (nothing is wrapped around the periodic cell).

1. Polygons whose bounding box misses the cell are dropped. Unless ``disjoint=True``, more
   than one remaining polygon are merged with a polygon union (gdstk/Clipper on a grid of
   ``1e-9·pixel``, as ``rasterize`` does, so vertex rounding moves the coefficients by
   ~1e-9·perimeter·pixel/(Lx·Ly) at most). Polygons crossing the cell boundary are then
   clipped to it (exact arithmetic for rectangles, gdstk "and" otherwise).
2. The coefficients of the resulting disjoint polygons are summed, by one of:

   * ``"rects"`` (every polygon an axis-parallel rectangle): the separable closed form
     ``c = Σ_r Y_r(ky) X_r(kx)``, ``X_r(kx) = (w/Lx)·exp(-2πi kx·xc/Lx)·sinc(kx·w/Lx)``,
     one matrix product ``(2Ky+1, R) @ (R, 2Kx+1)``.
   * ``"manhattan"`` (every edge axis-parallel): the edge formula below, whose sum over
     vertical edges is ``fx·(A @ B)`` and over horizontal edges ``fy·(C @ D)`` with
     matrices of one frequency axis each: two matrix products.
   * ``"general"`` (any angle): the divergence theorem, for ``f ≠ 0``

         F(f) = i/(2π|f|²) Σ_edges (f × d)·exp(-2πi f·m)·sinc(f·d)

     for a counter-clockwise polygon (``d = b - a`` the edge vector, ``m`` its midpoint,
     ``f × d = fx·dy - fy·dx``, ``sinc(u) = sin(πu)/(πu)``), negated for a clockwise one
     (the sign of the signed area); ``F(0)`` is the area. Evaluated in chunks of edges so
     that each ``(frequencies x edges)`` temporary stays near 32 MiB.

   Coordinates are taken relative to the origin (small phases); all arithmetic is float64.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from .. import config
from .._validate import choice, dtype_choice, finite_pair, grid_shape, positive_number
from ..errors import InvalidParameterError
from ..geometry import _packed
from ..geometry.layout import Layout

__all__ = ["pixel_box_factor", "polygon_ft", "polygon_spectrum"]

#: Grid of the polygon union and clip, in pixels (as ``litho.geometry.raster``).
UNION_PRECISION = 1e-9
#: Elements of one (frequencies x edges) float64 temporary: 4 Mi x 8 B = 32 MiB.
_CHUNK_ELEMENTS = 1 << 22
_METHODS = ("auto", "rects", "manhattan", "general")


def polygon_spectrum(
    layout: Layout | Sequence[np.ndarray],
    pixel: float,
    shape: int | tuple[int, int],
    origin: tuple[float, float] = (0.0, 0.0),
    band: int | tuple[int, int] | None = None,
    dtype: Any = np.complex128,
    *,
    disjoint: bool = False,
    method: Literal["auto", "rects", "manhattan", "general"] = "auto",
) -> np.ndarray:
    """Exact Fourier coefficients of the union of a layout's polygons on a band of frequencies.

    Parameters
    ----------
    layout : Layout or sequence of (n, 2) arrays
        Polygons in nm; all layers together (``Layout.select`` picks one). Each polygon must
        be simple (not self-intersecting); polygons may overlap (counted once) and wind
        either way. Content outside the cell is ignored (see the module notes).
    pixel : float
        Pixel size in nm (> 0); with ``shape`` it sets the periods ``L = n·pixel``.
    shape : int or (ny, nx)
        Grid shape in pixels.
    origin : (float, float)
        (x0, y0) in nm: the lower-left corner of the cell, the phase reference.
    band : int or (Ky, Kx), optional
        Half-band: frequencies ``|ky| <= Ky``, ``|kx| <= Kx`` are returned (any size: the
        coefficients are those of the continuous mask). An int means ``(K, K)``. Default
        ``((ny - 1)//2, (nx - 1)//2)``, the largest band a grid of ``shape`` samples
        without ambiguity.
    dtype : complex64 or complex128
        Output dtype (computation is float64 either way).
    disjoint : bool
        The caller guarantees that the polygons do not overlap (touching is fine): the
        union is skipped. Overlaps are then counted as often as they are covered.
    method : {"auto", "rects", "manhattan", "general"}
        Force a summation method (for cross-checks); "auto" picks the fastest that fits.
        "rects" needs axis-parallel rectangles and "manhattan" axis-parallel edges after
        the union; otherwise they raise.

    Returns
    -------
    numpy.ndarray
        ``(2Ky+1, 2Kx+1)`` coefficients ``c`` (band layout: ``[i, j]`` is ``(i - Ky, j -
        Kx)``); ``c[Ky, Kx]`` is the covered area fraction of the cell.

    Raises
    ------
    InvalidParameterError
        Bad pixel, shape, origin, band, dtype or method, or a method that does not fit.
    MemoryBudgetError
        If the band array would exceed the ``litho.config`` memory budget.
    """
    pixel = positive_number("pixel", pixel, "nm")
    ny, nx = grid_shape("shape", shape)
    x0, y0 = finite_pair("origin", origin, "nm")
    ky_max, kx_max = half_band("band", band, (ny, nx))
    out_dtype = _complex_dtype(dtype)
    choice("method", method, _METHODS)
    if not isinstance(layout, Layout):
        layout = Layout.from_polygons(list(layout))
    lx, ly = nx * pixel, ny * pixel
    config.check_memory(
        (2 * ky_max + 1) * (2 * kx_max + 1) * 16,
        f"a {2 * ky_max + 1} x {2 * kx_max + 1} complex128 spectrum",
        "use a smaller band",
    )

    xy, counts = layout.packed()
    pts = xy - np.array([x0, y0])  # new array: coordinates relative to the cell corner
    pts, counts = _cull(pts, counts, lx, ly)
    if not disjoint and len(counts) > 1:
        pts, counts = _union(pts, counts, UNION_PRECISION * pixel)
    pts, counts = _clip(pts, counts, lx, ly, UNION_PRECISION * pixel)

    fy = np.arange(-ky_max, ky_max + 1) / ly
    fx = np.arange(-kx_max, kx_max + 1) / lx
    rects = _is_rects(pts, counts)
    manhattan = rects or _packed.is_manhattan(pts, counts)
    if method == "auto":
        method = "rects" if rects else "manhattan" if manhattan else "general"
    elif (method == "rects" and not rects) or (method == "manhattan" and not manhattan):
        need = "axis-parallel rectangles" if method == "rects" else "axis-parallel edges only"
        raise InvalidParameterError("method", method, f"'auto' or 'general': the polygons are not {need}")

    if method == "rects":
        out = _rects_ft(_packed.bboxes(pts, counts), fy, fx)
    elif method == "manhattan":
        out = _manhattan_ft(pts, counts, fy, fx)
    else:
        out = _general_ft(pts, counts, fy, fx)
    out /= lx * ly
    return out.astype(out_dtype, copy=False)


def pixel_box_factor(shape: int | tuple[int, int], band: int | tuple[int, int] | None = None) -> np.ndarray:
    """``exp(iπ(kx/nx + ky/ny))·sinc(kx/nx)·sinc(ky/ny)`` on the band layout (complex128).

    The factor that relates the area raster of a layout to its exact coefficients:
    ``fft2(rasterize(layout, pixel, shape, origin))/(nx·ny) ≈ polygon_spectrum(...) ·
    pixel_box_factor(shape, band)``, up to aliasing (the raster averages each pixel, and
    its pixel 0 is centred half a pixel from the origin, where ``c`` puts sample 0).

    Parameters
    ----------
    shape : int or (ny, nx)
        Grid shape in pixels.
    band : int or (Ky, Kx), optional
        Half-band, as in :func:`polygon_spectrum`.
    """
    ny, nx = grid_shape("shape", shape)
    ky_max, kx_max = half_band("band", band, (ny, nx))
    uy = np.arange(-ky_max, ky_max + 1) / ny
    ux = np.arange(-kx_max, kx_max + 1) / nx
    fy = np.exp(1j * np.pi * uy) * np.sinc(uy)
    fx = np.exp(1j * np.pi * ux) * np.sinc(ux)
    return fy[:, None] * fx[None, :]


def polygon_ft(pts: np.ndarray, counts: np.ndarray, fx: Any, fy: Any) -> np.ndarray:
    """Continuous Fourier transform ``∫∫ 1_P(x, y) exp(-2πi (fx·x + fy·y)) dx dy`` of polygons.

    The general edge formula (module notes), summed over the packed polygons ``pts``
    (``(N, 2)``, nm), ``counts`` (vertices per polygon; each polygon simple, either
    orientation; several polygons add, so overlaps count twice).

    Parameters
    ----------
    pts, counts : numpy.ndarray
        Packed polygons (see ``Layout.packed``), in nm.
    fx, fy : array_like
        Spatial frequencies in 1/nm, broadcast together; ``f = 0`` gives the area.

    Returns
    -------
    numpy.ndarray
        complex128, the broadcast shape of ``fx`` and ``fy``; units nm².
    """
    fx, fy = np.broadcast_arrays(np.asarray(fx, dtype=np.float64), np.asarray(fy, dtype=np.float64))
    out_shape = fx.shape
    fx, fy = fx.ravel(), fy.ravel()
    out = np.zeros(fx.shape, dtype=np.complex128)
    if len(counts) == 0:
        return out.reshape(out_shape)
    d, m, weight = _edge_data(pts, counts)

    zero = (fx == 0) & (fy == 0)
    nz = ~zero
    gx, gy = fx[nz], fy[nz]
    acc = np.zeros(gx.shape, dtype=np.complex128)
    chunk = max(1, _CHUNK_ELEMENTS // max(1, len(gx)))
    for s in range(0, len(d), chunk):
        dx, dy = d[s:s + chunk, 0], d[s:s + chunk, 1]
        mx, my = m[s:s + chunk, 0], m[s:s + chunk, 1]
        cross = (np.multiply.outer(gx, dy) - np.multiply.outer(gy, dx)) * weight[s:s + chunk]
        cross *= np.sinc(np.multiply.outer(gx, dx) + np.multiply.outer(gy, dy))
        phase = np.multiply.outer(gx, mx)
        phase += np.multiply.outer(gy, my)
        phase *= -2 * np.pi
        acc += np.einsum("fe,fe->f", cross, np.exp(1j * phase))
    out[nz] = acc * (1j / (2 * np.pi * (gx * gx + gy * gy)))
    out[zero] = float(np.sum(np.abs(_packed.signed_areas(pts, counts))))
    return out.reshape(out_shape)


def _edge_data(pts: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Edge vectors ``d`` (E, 2), midpoints ``m`` (E, 2) and orientation weights (E,) (+1 for
    counter-clockwise polygons, -1 for clockwise), zero-length edges and zero-area polygons
    left out."""
    sign = np.sign(_packed.signed_areas(pts, counts))
    nxt = _packed.next_vertex(counts)
    d = pts[nxt] - pts
    m = 0.5 * (pts[nxt] + pts)
    weight = np.repeat(sign, counts)
    keep = (weight != 0) & np.any(d != 0, axis=1)
    return d[keep], m[keep], weight[keep]


def _general_ft(pts: np.ndarray, counts: np.ndarray, fy: np.ndarray, fx: np.ndarray) -> np.ndarray:
    """The general edge formula on the grid ``fy x fx``: (Ny, Nx) complex, nm².

    The phase ``exp(-2πi f·m)`` factors into ``exp(-2πi fy·my)·exp(-2πi fx·mx)`` and ``f × d``,
    ``f·d`` into per-axis outer products, so only ``np.sinc`` is evaluated on the full
    (frequencies x edges) product, one row of frequencies at a time, and each row is a
    matrix-vector product (6x faster than exponentiating every (frequency, edge) pair).
    The loop runs over the axis with fewer frequencies.
    """
    if len(fy) > len(fx):  # mirror the polygons in x = y: F(fx, fy) = F_mirrored(fy, fx)
        return _general_ft(np.ascontiguousarray(pts[:, ::-1]), counts, fx, fy).T.copy()
    out = np.zeros((len(fy), len(fx)), dtype=np.complex128)
    if len(counts) == 0:
        return out
    d, m, weight = _edge_data(pts, counts)
    chunk = max(1, (_CHUNK_ELEMENTS // 4) // max(1, len(fx)))
    for s in range(0, len(d), chunk):
        dx, dy, w = d[s:s + chunk, 0], d[s:s + chunk, 1], weight[s:s + chunk]
        ex = np.exp(-2j * np.pi * np.multiply.outer(fx, m[s:s + chunk, 0]))  # (Nx, E)
        ey = np.exp(-2j * np.pi * np.multiply.outer(fy, m[s:s + chunk, 1]))  # (Ny, E)
        ax = np.multiply.outer(fx, dx)  # fx·dx
        ay = np.multiply.outer(fy, dy)  # fy·dy
        bx = np.multiply.outer(fx, dy * w)  # fx·dy·w
        by = np.multiply.outer(fy, dx * w)  # fy·dx·w
        for i in range(len(fy)):
            row = bx - by[i]  # w·(f × d)
            row *= np.sinc(ax + ay[i])  # sinc(f·d)
            out[i] += (row * ex) @ ey[i]
    f2 = fy[:, None] ** 2 + fx[None, :] ** 2
    zero = f2 == 0
    out *= 1j / (2 * np.pi * np.where(zero, 1.0, f2))
    out[zero] = float(np.sum(np.abs(_packed.signed_areas(pts, counts))))
    return out


# -- summation methods on the band grid (frequencies fy (Ny,), fx (Nx,)) ---------------------


def _axis_ft(lo: np.ndarray, hi: np.ndarray, f: np.ndarray) -> np.ndarray:
    """``∫_lo^hi exp(-2πi f x) dx`` for intervals (R,) at frequencies (F,): (F, R) complex."""
    w = hi - lo
    c = 0.5 * (lo + hi)
    return w * np.exp(-2j * np.pi * np.multiply.outer(f, c)) * np.sinc(np.multiply.outer(f, w))


def _rects_ft(boxes: np.ndarray, fy: np.ndarray, fx: np.ndarray) -> np.ndarray:
    """Σ_r Y_r(fy) X_r(fx) for disjoint rectangles ``boxes`` (R, 4) = x0, y0, x1, y1."""
    out = np.zeros((len(fy), len(fx)), dtype=np.complex128)
    chunk = max(1, _CHUNK_ELEMENTS // max(len(fy), len(fx)))
    for s in range(0, len(boxes), chunk):
        b = boxes[s:s + chunk]
        out += _axis_ft(b[:, 1], b[:, 3], fy) @ _axis_ft(b[:, 0], b[:, 2], fx).T
    return out


def _manhattan_ft(pts: np.ndarray, counts: np.ndarray, fy: np.ndarray, fx: np.ndarray) -> np.ndarray:
    """The edge formula for axis-parallel edges, as two separable matrix products.

    Vertical edge (x = a, from y = ya to yb, dy = yb - ya): (f × d) = fx·dy and its term is
    ``fx · [s·dy·exp(-2πi fy·ym)·sinc(fy·dy)] · exp(-2πi fx·a)``; horizontal edge (y = b,
    dx): ``-fy · [s·dx·exp(-2πi fx·xm)·sinc(fx·dx)] · exp(-2πi fy·b)``.
    """
    out = np.zeros((len(fy), len(fx)), dtype=np.complex128)
    if len(counts) == 0:
        return out
    areas = _packed.signed_areas(pts, counts)
    nxt = _packed.next_vertex(counts)
    a, b = pts, pts[nxt]
    d = b - a
    weight = np.repeat(np.sign(areas), counts)
    vertical = (d[:, 0] == 0) & (d[:, 1] != 0) & (weight != 0)
    horizontal = (d[:, 1] == 0) & (d[:, 0] != 0) & (weight != 0)
    vsum = np.zeros_like(out)
    hsum = np.zeros_like(out)
    chunk = max(1, _CHUNK_ELEMENTS // max(len(fy), len(fx)))
    v = np.flatnonzero(vertical)
    for s in range(0, len(v), chunk):
        e = v[s:s + chunk]
        # weight·dy·exp(-2πi fy ym) sinc(fy dy) is weight times the y-integral over the edge
        lo, hi = a[e, 1], b[e, 1]
        ay = _axis_ft(np.minimum(lo, hi), np.maximum(lo, hi), fy) * (weight[e] * np.sign(hi - lo))
        bx = np.exp(-2j * np.pi * np.multiply.outer(fx, a[e, 0]))
        vsum += ay @ bx.T
    h = np.flatnonzero(horizontal)
    for s in range(0, len(h), chunk):
        e = h[s:s + chunk]
        lo, hi = a[e, 0], b[e, 0]
        dx = _axis_ft(np.minimum(lo, hi), np.maximum(lo, hi), fx) * (weight[e] * np.sign(hi - lo))
        cy = np.exp(-2j * np.pi * np.multiply.outer(fy, a[e, 1]))
        hsum += cy @ dx.T
    total = fx[None, :] * vsum - fy[:, None] * hsum
    f2 = fy[:, None] ** 2 + fx[None, :] ** 2
    zero = f2 == 0
    out = total * (1j / (2 * np.pi * np.where(zero, 1.0, f2)))
    out[zero] = float(np.sum(np.abs(areas)))
    return out


# -- geometry preparation (coordinates relative to the cell corner, nm) -----------------------


def _cull(pts: np.ndarray, counts: np.ndarray, lx: float, ly: float) -> tuple[np.ndarray, np.ndarray]:
    """Drop polygons whose bounding box misses the cell ``[0, lx] x [0, ly]``."""
    if len(counts) == 0:
        return pts, counts
    box = _packed.bboxes(pts, counts)
    keep = (box[:, 2] > 0) & (box[:, 3] > 0) & (box[:, 0] < lx) & (box[:, 1] < ly)
    if keep.all():
        return pts, counts
    return pts[np.repeat(keep, counts)], counts[keep]


def _from_gdstk(polygons: list) -> tuple[np.ndarray, np.ndarray]:
    out = [np.asarray(p.points, dtype=np.float64) for p in polygons if p.area() > 0]
    if not out:
        return np.empty((0, 2)), np.empty(0, dtype=np.int64)
    return np.concatenate(out, axis=0), np.array([len(p) for p in out], dtype=np.int64)


def _union(pts: np.ndarray, counts: np.ndarray, precision: float) -> tuple[np.ndarray, np.ndarray]:
    """Union of the polygons as disjoint polygons (holes keyholed in), on a ``precision`` grid."""
    import gdstk

    polygons = np.split(pts, np.cumsum(counts)[:-1])
    return _from_gdstk(gdstk.boolean([gdstk.Polygon(p) for p in polygons], [], "or", precision=precision))


def _clip(pts: np.ndarray, counts: np.ndarray, lx: float, ly: float, precision: float
          ) -> tuple[np.ndarray, np.ndarray]:
    """The parts of the polygons inside the cell ``[0, lx] x [0, ly]``."""
    if len(counts) == 0:
        return pts, counts
    box = _packed.bboxes(pts, counts)
    inside = (box[:, 0] >= 0) & (box[:, 1] >= 0) & (box[:, 2] <= lx) & (box[:, 3] <= ly)
    if inside.all():
        return pts, counts
    if _is_rects(pts, counts):  # exact: clamp the corners
        clipped = np.column_stack([np.clip(box[:, 0], 0, lx), np.clip(box[:, 1], 0, ly),
                                   np.clip(box[:, 2], 0, lx), np.clip(box[:, 3], 0, ly)])
        clipped = clipped[(clipped[:, 2] > clipped[:, 0]) & (clipped[:, 3] > clipped[:, 1])]
        x0, y0, x1, y1 = clipped.T
        xy = np.stack([x0, y0, x1, y0, x1, y1, x0, y1], axis=1).reshape(-1, 2)
        return xy, np.full(len(clipped), 4, dtype=np.int64)
    import gdstk

    polygons = np.split(pts, np.cumsum(counts)[:-1])
    keep_pts = [p for p, ok in zip(polygons, inside) if ok]
    cut = [gdstk.Polygon(p) for p, ok in zip(polygons, inside) if not ok]
    pieces = gdstk.boolean(cut, gdstk.rectangle((0, 0), (lx, ly)), "and", precision=precision)
    cut_pts, cut_counts = _from_gdstk(pieces)
    kept_counts = counts[inside]
    return (np.concatenate(keep_pts + [cut_pts], axis=0) if keep_pts else cut_pts,
            np.concatenate([kept_counts, cut_counts]).astype(np.int64))


def _is_rects(pts: np.ndarray, counts: np.ndarray) -> bool:
    """Whether every polygon is an axis-parallel rectangle (4 vertices, axis-parallel edges).

    Four axis-parallel edges with a non-zero area must alternate and close a rectangle.
    """
    if len(counts) == 0 or np.any(counts != 4):
        return False
    return _packed.is_manhattan(pts, counts) and bool(np.all(_packed.signed_areas(pts, counts) != 0))


# -- argument checks ---------------------------------------------------------------------------


def half_band(name: str, value: Any, shape: tuple[int, int]) -> tuple[int, int]:
    """``value`` as (Ky, Kx) non-negative ints; ``None`` gives ``((ny-1)//2, (nx-1)//2)``."""
    if value is None:
        return (shape[0] - 1) // 2, (shape[1] - 1) // 2
    what = "a non-negative integer K or a pair (Ky, Kx) of non-negative integers"
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = (value, value)
    try:
        ky, kx = value
    except (TypeError, ValueError):
        raise InvalidParameterError(name, value, what) from None
    for item in (ky, kx):
        if isinstance(item, bool) or not isinstance(item, numbers.Integral) or item < 0:
            raise InvalidParameterError(name, value, what)
    return int(ky), int(kx)


def _complex_dtype(dtype: Any) -> np.dtype:
    return dtype_choice("dtype", dtype, (np.complex64, np.complex128), np.complex128)
