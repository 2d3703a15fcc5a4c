"""Rasterization as whole-array operations, for CuPy (and numpy, which tests it on the CPU).

The same formulas as the Cython kernels (``kernels/raster.pyx``), arranged for a GPU:
every edge is cut into per-row pieces and every row piece into per-column pieces with
``repeat``/``cumsum`` index arithmetic, the contributions are scatter-added into a
(ny, nx + 1) difference buffer with ``bincount``, and one ``cumsum`` along x gives the
coverage. Area mode needs polygons that do not overlap (the caller merges them first);
centre mode handles overlaps itself through the winding number.
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: Coverage within this of 0 or 1 is snapped (prefix-sum rounding residue), as on the CPU.
SNAP = 1e-12


def rasterize_edges(xp: Any, edges: Any, shape: tuple[int, int], mode: str, dtype: np.dtype):
    """Coverage (ny, nx) on the array module ``xp`` from ``raster.Edges`` (pixel units)."""
    ny, nx = shape
    ua, va, ub, vb = (xp.asarray(a) for a in (edges.ua, edges.va, edges.ub, edges.vb))
    if mode == "center":
        wind = xp.asarray(edges.wind)
        return _center(xp, ua, va, ub, vb, wind, ny, nx).astype(dtype, copy=False)
    weight = xp.asarray(edges.weight)
    return _area(xp, ua, va, ub, vb, weight, ny, nx).astype(dtype, copy=False)


def _expand(xp: Any, first: Any, count: Any) -> tuple[Any, Any]:
    """For items with ranges [first, first + count): (owner index, value) of every element."""
    count = xp.maximum(count, 0)
    ends = xp.cumsum(count)
    total = int(ends[-1]) if ends.shape[0] else 0
    element = xp.arange(total)
    # owner = the first item whose range ends after the element (CuPy's repeat takes no
    # array of counts, so no xp.repeat here)
    owner = xp.searchsorted(ends, element, side="right")
    value = first[owner] + (element - (ends - count)[owner])
    return owner, value


def _area(xp, ua, va, ub, vb, weight, ny: int, nx: int):
    acc_width = nx + 1
    if ua.shape[0] == 0:
        return xp.zeros((ny, nx), dtype=xp.float64)
    vmin = xp.minimum(va, vb)
    vmax = xp.maximum(va, vb)
    r_first = xp.maximum(xp.floor(vmin), 0).astype(xp.int64)
    r_last = xp.minimum(xp.ceil(vmax) - 1, ny - 1).astype(xp.int64)
    e, r = _expand(xp, r_first, r_last - r_first + 1)
    lo = xp.maximum(vmin[e], r)
    hi = xp.minimum(vmax[e], r + 1.0)
    slope = (ub[e] - ua[e]) / (vb[e] - va[e])
    u_lo = ua[e] + (lo - va[e]) * slope
    u_hi = ua[e] + (hi - va[e]) * slope
    # signed height: area right of a downward edge of a counter-clockwise polygon counts +
    h = xp.where(vb[e] > va[e], lo - hi, hi - lo) * weight[e]
    keep = hi > lo
    u_lo, u_hi, h, r = u_lo[keep], u_hi[keep], h[keep], r[keep]

    left = xp.minimum(u_lo, u_hi)
    right = xp.maximum(u_lo, u_hi)
    width = right - left
    # columns touched, with column -1 standing for "left of the window" and nx dropped
    c_first = xp.clip(xp.floor(left), -1, nx).astype(xp.int64)
    c_last = xp.clip(xp.maximum(xp.ceil(right) - 1, xp.floor(left)), -1, nx - 1).astype(xp.int64)
    p, c = _expand(xp, c_first, c_last - c_first + 1)
    left_p, right_p, width_p, h_p, row_p = left[p], right[p], width[p], h[p], r[p]
    a = xp.where(c >= 0, xp.maximum(left_p, c), left_p)
    b = xp.where(c >= 0, xp.minimum(right_p, c + 1.0), xp.minimum(right_p, 0.0))
    vertical = width_p == 0
    frac = xp.where(vertical, 1.0, (b - a) / xp.where(vertical, 1.0, width_p))
    hp = h_p * frac
    mid = xp.where(vertical, left_p, 0.5 * (a + b))
    base = row_p * acc_width
    inside = c >= 0
    # column c gets hp * (c + 1 - mid), column c + 1 the rest; left of the window: all to 0
    index = xp.concatenate([base + xp.where(inside, c, 0), base[inside] + c[inside] + 1])
    values = xp.concatenate([xp.where(inside, hp * (c + 1.0 - mid), hp), (hp * (mid - c))[inside]])
    acc = xp.bincount(index, weights=values, minlength=ny * acc_width)[: ny * acc_width]
    coverage = xp.cumsum(acc.reshape(ny, acc_width), axis=1)[:, :nx]
    # snap prefix-sum rounding residues as the CPU kernel does (|c| or |1 - c| < 1e-12)
    coverage = xp.where(coverage < SNAP, 0.0, xp.where(coverage > 1.0 - SNAP, 1.0, coverage))
    return coverage


def _center(xp, ua, va, ub, vb, wind, ny: int, nx: int):
    acc_width = nx + 1
    if ua.shape[0] == 0:
        return xp.zeros((ny, nx), dtype=xp.float64)
    vmin = xp.minimum(va, vb)
    vmax = xp.maximum(va, vb)
    # rows whose centre r + 1/2 lies in [vmin, vmax)
    r_first = xp.maximum(xp.ceil(vmin - 0.5), 0).astype(xp.int64)
    r_last = xp.minimum(xp.ceil(vmax - 0.5) - 1, ny - 1).astype(xp.int64)
    e, r = _expand(xp, r_first, r_last - r_first + 1)
    x = ua[e] + (r + 0.5 - va[e]) * (ub[e] - ua[e]) / (vb[e] - va[e])
    c = xp.clip(xp.ceil(x - 0.5), 0, nx).astype(xp.int64)
    acc = xp.bincount(r * acc_width + c, weights=wind[e].astype(xp.float64), minlength=ny * acc_width)
    winding = xp.cumsum(acc[: ny * acc_width].reshape(ny, acc_width), axis=1)[:, :nx]
    return (xp.abs(winding) > 0.5).astype(xp.float64)
