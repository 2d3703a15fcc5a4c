# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Exact polygon rasterization kernels (CPU).

All coordinates are in *pixel units*: ``u = (x - x0) / pixel``, ``v = (y - y0) / pixel``;
pixel (row r, column c) is the unit square [c, c+1) x [r, r+1). Edges arrive as flat arrays
(``ua, va -> ub, vb``) prepared by ``litho.geometry.raster``; horizontal edges are dropped
by the caller (they carry no area in a row-wise formulation).

Every kernel works row by row with a difference buffer ``acc`` of nx + 1 doubles:
``acc[c]`` accumulates the change of coverage between columns c - 1 and c, so one prefix
sum gives the row. The contribution of an edge piece lying inside row r is the area of
the row strip to the *right* of the piece, weighted by the signed height of the piece;
inside the column it crosses this is ``h * (c + 1 - mean u)`` and ``h`` for every column
further right (the accumulation used by exact font rasterizers).

Kernels
-------
area_signed      exact area coverage of polygons that do not overlap one another
                 (each polygon's orientation sign is passed in); any edge directions.
area_manhattan   exact area coverage of the *union* of axis-parallel polygons, overlaps
                 counted once, by a winding-number sweep over vertical edges.
center_winding   0/1 coverage by pixel-centre inclusion (half-open), union by winding.
"""

import numpy as np
cimport numpy as cnp
from libc.math cimport floor, ceil
from libc.stdlib cimport malloc, free
from libc.string cimport memset, memmove

cnp.import_array()

ctypedef fused real_t:
    float
    double


cdef inline void _add_vertical(double* acc, Py_ssize_t nx, double u, double h) noexcept nogil:
    """Add the row area right of a vertical piece at ``u`` with signed height ``h``."""
    cdef double c
    cdef Py_ssize_t ic
    if u <= 0.0:
        acc[0] += h
        return
    if u >= nx:
        return
    c = floor(u)
    ic = <Py_ssize_t> c
    acc[ic] += h * (c + 1.0 - u)
    acc[ic + 1] += h * (u - c)


cdef inline void _add_segment(double* acc, Py_ssize_t nx, double u0, double u1, double h) noexcept nogil:
    """Add the row area right of a straight piece from ``u0`` to ``u1`` (signed height ``h``)."""
    cdef double lo, hi, width, a, b, m, hp, c
    cdef Py_ssize_t ic, ic_end
    if u0 <= u1:
        lo = u0
        hi = u1
    else:
        lo = u1
        hi = u0
    width = hi - lo
    if width == 0.0:
        _add_vertical(acc, nx, lo, h)
        return
    if hi <= 0.0:
        acc[0] += h
        return
    if lo >= nx:
        return
    if lo < 0.0:
        # the part left of the window covers every column fully
        acc[0] += h * (-lo) / width
        lo = 0.0
    ic = <Py_ssize_t> floor(lo)
    ic_end = <Py_ssize_t> ceil(hi)
    if ic_end > nx:
        ic_end = nx
    if ic_end <= ic:
        ic_end = ic + 1
    while ic < ic_end:
        c = <double> ic
        a = lo if lo > c else c
        b = hi if hi < c + 1.0 else c + 1.0
        if b > a:
            hp = h * (b - a) / width
            m = 0.5 * (a + b)
            acc[ic] += hp * (c + 1.0 - m)
            acc[ic + 1] += hp * (m - c)
        ic += 1


cdef double SNAP = 1e-12  # prefix-sum rounding residue: |coverage| or |1 - coverage| below it snaps


cdef inline void _emit_row(double* acc, Py_ssize_t nx, real_t[:, ::1] out, Py_ssize_t r) noexcept nogil:
    """Prefix-sum the difference buffer into row ``r`` of ``out``, clamped to [0, 1].

    The running sum carries rounding residues (~1e-16) past a shape's right edge; values
    within 1e-12 of 0 or 1 are snapped there, so empty pixels are exactly 0 and full ones
    exactly 1 (a true coverage below 1e-12 of a pixel is lost: far below any tolerance).
    """
    cdef double run = 0.0
    cdef Py_ssize_t c
    for c in range(nx):
        run += acc[c]
        if run < SNAP:
            out[r, c] = 0.0
        elif run > 1.0 - SNAP:
            out[r, c] = 1.0
        else:
            out[r, c] = <real_t> run


def area_signed(const double[::1] ua, const double[::1] va, const double[::1] ub,
                const double[::1] vb, const double[::1] weight, real_t[:, ::1] out):
    """Exact area coverage of non-overlapping polygons.

    Parameters
    ----------
    ua, va, ub, vb : float64 arrays (E,)
        Edge start and end points in pixel units; no horizontal edges; sorted by
        ``min(va, vb)``.
    weight : float64 array (E,)
        +1 or -1: the orientation sign of the polygon owning each edge (so that every
        polygon counts positively whichever way it winds).
    out : float32 or float64 array (ny, nx), C-contiguous
        Overwritten with the covered fraction of each pixel.
    """
    cdef Py_ssize_t E = ua.shape[0]
    cdef Py_ssize_t ny = out.shape[0]
    cdef Py_ssize_t nx = out.shape[1]
    cdef Py_ssize_t r, i, k, e, nactive = 0, nxt = 0
    cdef double lo, hi, vmin, vmax, slope, h
    cdef double* acc = <double*> malloc((nx + 2) * sizeof(double))
    cdef Py_ssize_t* active = <Py_ssize_t*> malloc((E + 1) * sizeof(Py_ssize_t))
    if acc == NULL or active == NULL:
        free(acc)
        free(active)
        raise MemoryError("area_signed: cannot allocate row buffers")
    with nogil:
        for r in range(ny):
            while nxt < E and (va[nxt] if va[nxt] < vb[nxt] else vb[nxt]) < r + 1.0:
                active[nactive] = nxt
                nactive += 1
                nxt += 1
            memset(acc, 0, (nx + 2) * sizeof(double))
            k = 0
            for i in range(nactive):
                e = active[i]
                if va[e] < vb[e]:
                    vmin = va[e]
                    vmax = vb[e]
                else:
                    vmin = vb[e]
                    vmax = va[e]
                if vmax <= r:
                    continue  # finished: drop from the active list
                active[k] = e
                k += 1
                lo = vmin if vmin > r else <double> r
                hi = vmax if vmax < r + 1.0 else r + 1.0
                if hi <= lo:
                    continue
                slope = (ub[e] - ua[e]) / (vb[e] - va[e])
                # area right of the edge counts positively for downward edges of a
                # counter-clockwise polygon (its left boundary)
                h = (lo - hi) * weight[e] if vb[e] > va[e] else (hi - lo) * weight[e]
                _add_segment(acc, nx, ua[e] + (lo - va[e]) * slope, ua[e] + (hi - va[e]) * slope, h)
            nactive = k
            _emit_row(acc, nx, out, r)
    free(acc)
    free(active)


cdef inline Py_ssize_t _insert_position(const double[::1] u, Py_ssize_t* active, Py_ssize_t n, double key) noexcept nogil:
    """First index in ``active[0:n]`` (sorted by ``u``) whose key is > ``key``."""
    cdef Py_ssize_t lo = 0, hi = n, mid
    while lo < hi:
        mid = (lo + hi) >> 1
        if u[active[mid]] <= key:
            lo = mid + 1
        else:
            hi = mid
    return lo


def area_manhattan(const double[::1] u, const double[::1] v0, const double[::1] v1,
                   const int[::1] wind, real_t[:, ::1] out):
    """Exact area coverage of the union of axis-parallel polygons (overlaps counted once).

    Parameters
    ----------
    u : float64 array (E,)
        Abscissa of each vertical edge, pixel units.
    v0, v1 : float64 arrays (E,)
        Lower and upper ends (v0 < v1), sorted by ``v0``.
    wind : int32 array (E,)
        Change of the winding number when the edge is crossed left to right (+1 where a
        polygon is entered, -1 where it is left, for every polygon's orientation).
    out : float32 or float64 array (ny, nx), C-contiguous
        Overwritten with the covered fraction of each pixel.

    Notes
    -----
    A row is cut into bands at every edge end inside it; within a band the set of
    spanning edges is fixed, so walking them in ``u`` order with a running winding
    number finds the union's left and right boundaries exactly. The active list is kept
    sorted by ``u`` (edges are vertical, so the order never changes).
    """
    cdef Py_ssize_t E = u.shape[0]
    cdef Py_ssize_t ny = out.shape[0]
    cdef Py_ssize_t nx = out.shape[1]
    cdef Py_ssize_t r, i, j, k, e, pos, nactive = 0, nxt = 0, nbp, nb
    cdef int wsum, prev
    cdef double b0, b1, h, t
    cdef double* acc = <double*> malloc((nx + 2) * sizeof(double))
    cdef Py_ssize_t* active = <Py_ssize_t*> malloc((E + 1) * sizeof(Py_ssize_t))
    cdef double* bp = <double*> malloc((2 * E + 4) * sizeof(double))
    if acc == NULL or active == NULL or bp == NULL:
        free(acc)
        free(active)
        free(bp)
        raise MemoryError("area_manhattan: cannot allocate row buffers")
    with nogil:
        for r in range(ny):
            while nxt < E and v0[nxt] < r + 1.0:
                pos = _insert_position(u, active, nactive, u[nxt])
                memmove(&active[pos + 1], &active[pos], (nactive - pos) * sizeof(Py_ssize_t))
                active[pos] = nxt
                nactive += 1
                nxt += 1
            # drop finished edges (order preserved) and collect band breakpoints
            k = 0
            bp[0] = r
            bp[1] = r + 1.0
            nbp = 2
            for i in range(nactive):
                e = active[i]
                if v1[e] <= r:
                    continue
                active[k] = e
                k += 1
                if v0[e] > r:
                    bp[nbp] = v0[e]
                    nbp += 1
                if v1[e] < r + 1.0:
                    bp[nbp] = v1[e]
                    nbp += 1
            nactive = k
            memset(acc, 0, (nx + 2) * sizeof(double))
            if nactive > 0:
                # insertion sort of the (few) breakpoints, then unique
                for i in range(1, nbp):
                    t = bp[i]
                    j = i - 1
                    while j >= 0 and bp[j] > t:
                        bp[j + 1] = bp[j]
                        j -= 1
                    bp[j + 1] = t
                nb = 1
                for i in range(1, nbp):
                    if bp[i] > bp[nb - 1]:
                        bp[nb] = bp[i]
                        nb += 1
                for j in range(nb - 1):
                    b0 = bp[j]
                    b1 = bp[j + 1]
                    h = b1 - b0
                    wsum = 0
                    for i in range(nactive):
                        e = active[i]
                        if v0[e] <= b0 and v1[e] >= b1:
                            prev = wsum
                            wsum = wsum + wind[e]
                            if prev == 0 and wsum != 0:
                                _add_vertical(acc, nx, u[e], h)
                            elif prev != 0 and wsum == 0:
                                _add_vertical(acc, nx, u[e], -h)
            _emit_row(acc, nx, out, r)
    free(acc)
    free(active)
    free(bp)


def center_winding(const double[::1] ua, const double[::1] va, const double[::1] ub,
                   const double[::1] vb, const int[::1] wind, real_t[:, ::1] out):
    """0/1 coverage by pixel-centre inclusion of the union of polygons.

    A pixel is 1 when its centre (c + 1/2, r + 1/2) has a non-zero winding number. An
    edge counts at a row when ``min(va, vb) <= r + 1/2 < max(va, vb)`` and moves the
    winding number of every pixel whose centre is at or right of the crossing, which
    makes the rule half-open: a rectangle [x0, x1) x [y0, y1) takes exactly the pixels
    whose centres it contains on the closed-left, open-right convention.

    Parameters
    ----------
    ua, va, ub, vb : float64 arrays (E,)
        Non-horizontal edges in pixel units, sorted by ``min(va, vb)``.
    wind : int32 array (E,)
        Winding change when crossing the edge left to right (see ``area_manhattan``).
    out : float32 or float64 array (ny, nx), C-contiguous
        Overwritten with 0 or 1.
    """
    cdef Py_ssize_t E = ua.shape[0]
    cdef Py_ssize_t ny = out.shape[0]
    cdef Py_ssize_t nx = out.shape[1]
    cdef Py_ssize_t r, i, k, e, c, nactive = 0, nxt = 0
    cdef double vc, vmax, x
    cdef long run
    cdef long* wacc = <long*> malloc((nx + 1) * sizeof(long))
    cdef Py_ssize_t* active = <Py_ssize_t*> malloc((E + 1) * sizeof(Py_ssize_t))
    if wacc == NULL or active == NULL:
        free(wacc)
        free(active)
        raise MemoryError("center_winding: cannot allocate row buffers")
    with nogil:
        for r in range(ny):
            vc = r + 0.5
            while nxt < E and (va[nxt] if va[nxt] < vb[nxt] else vb[nxt]) <= vc:
                active[nactive] = nxt
                nactive += 1
                nxt += 1
            memset(wacc, 0, (nx + 1) * sizeof(long))
            k = 0
            for i in range(nactive):
                e = active[i]
                vmax = va[e] if va[e] > vb[e] else vb[e]
                if vmax <= vc:
                    continue
                active[k] = e
                k += 1
                x = ua[e] + (vc - va[e]) * (ub[e] - ua[e]) / (vb[e] - va[e])
                x = ceil(x - 0.5)
                if x < 0.0:
                    c = 0
                elif x >= nx:
                    continue
                else:
                    c = <Py_ssize_t> x
                wacc[c] += wind[e]
            nactive = k
            run = 0
            for c in range(nx):
                run += wacc[c]
                out[r, c] = 1.0 if run != 0 else 0.0
    free(wacc)
    free(active)
