# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Fast marching for the eikonal equation |grad T| = f on a regular 3-D grid (CPU).

The grid is C-ordered ``(nz, ny, nx)`` with voxel sizes ``(dz, dy, dx)``; ``f = 1 / rate``
is the slowness (formed in float64 from a float32 or float64 rate). z is never periodic;
y and x either wrap around (periodic) or have no neighbour beyond the edges (open).

Discretisation (shared, operation for operation, with the array solver in
``litho.resist.eikonal``; change both together)
--------------------------------------------------------------------------------
For every axis with spacing h the upwind side is the neighbour with the smaller value
t1 (the minus side on a tie); t2 is the next voxel beyond it on the same side. With
``order=2`` and ``t2 < t1`` the axis uses the one-sided second-order difference
(3T - 4 t1 + t2) / (2h) = (3 / 2h) (T - b), b = max((4 t1 - t2) / 3, t1); otherwise the
first-order difference (T - t1) / h, b = t1. Writing each axis as a (T - b)^2 with
a = 1/h^2 (first order) or 9 / (4 h^2) (second order), the voxel's value is the root of

    sum over axes with b < T of  a (T - b)^2 = f^2,

found by sorting the three axes by b (a fixed compare-exchange network) and adding them
one at a time while the root lies above the next b (axes whose b the root does not
exceed are dropped: the standard fallback when a larger quadratic has no valid root).
Missing neighbours (beyond an open edge, beyond z = 0 or z = nz - 1, not yet accepted)
count as +inf, so an axis with no finite neighbour never contributes.

The equal case ``t2 == t1`` uses first order: with "not larger" (<=) the stencil would
depend on which of two equal voxels the queue happened to accept first, while with "<"
the marching result is exactly the solution of the discrete equations above, and the
array solver converges to the same numbers (bit for bit in the tests).

Fast marching
-------------
Seeds (finite input values, >= 0) are accepted at the start. Each accepted voxel
recomputes its neighbours that are not accepted yet from their accepted neighbours (a
recomputation *replaces* the tentative value, so a voxel's accepted value is exactly
its local solution with every neighbour that arrives earlier), and the smallest
tentative value is accepted next. The second neighbour beyond a *seed* that arrives
later than the newly accepted voxel is recomputed too (its stencil may turn second
order); with the development problem's seeds this never happens. Two exact shortcuts
skip recomputations that would reproduce the current tentative value (see ``_relax``).

The priority queue is a radix heap (see below) with lazy deletion: no back-pointers, so
no random writes per queue operation. The time array holds accepted times (>= 0),
tentative times negated (< 0) and +inf for voxels not reached, so the local solver
reads accepted values with a sign test; a bit per voxel (a small array that stays in
cache) marks accepted voxels so that stale queue entries are dropped without touching
the time array.

Cost: the march is bound by memory latency, not arithmetic. The front of a realistic
development problem (fast exposed regions, slow lateral development into the resist)
is spread over the whole volume, so most neighbour reads miss the caches (2-core Xeon,
float32 rate, the asv benchmark's rates): about 143 ns per voxel when the volume fits the
L2 cache (16 x 64 x 64), 230-250 ns at 64 x 64 x 64 to 64 x 128 x 128, 350-760 ns at
64 x 512 x 512. Per voxel the march makes 1.9 (lines) to 2.85 (contacts) local solves
and heap insertions and 3.6 to 7.3 bucket moves; a sampled profile puts 55 % of
``_relax`` on the loads of T[p], T[o] and the rate.

Tried and not kept: a 4-ary binary-style heap with back-pointers took about 3x longer
(log n cache misses per operation); branch-free selects, prefetching, interleaving T with
the rate and a z-fastest layout did not help measurably. Two later attempts, exact but
not faster:

- a look-ahead window of the 16 (or 48) smallest entries held beside the heap, with the
  lines of T and the rate around each entry prefetched as it enters: identical arrival
  times, no measurable gain (contacts 10.5 s before, 10.3-11.6 s after);
- lateral tiles (columns of 64 x 64 or 32 x 32 voxels with 2-voxel halos held as seeds,
  marched independently on two threads and re-marched until their halos stop changing):
  the result is the global march's (bit for bit, or within 5e-14), but information
  crosses one tile per round. The benchmark needed only 2 rounds at 64 (3.8 s lines,
  9.5 s contacts, against 8.1 and 15.2 s) because that tiling lines up with its mirror
  planes: with the contacts shifted by 16 voxels it took 3.75 marches per tile (17.6 s
  against 13.8 s), and at 32 x 32 tiles 7.5 (40 s). A layout without that symmetry pays
  the rounds, so this would speed up the benchmark and not the product.

What remains is an algorithm with cache-resident work that is still exact for these
rate contrasts (a heap-cell / two-scale method, Chacon and Vladimirsky 2012), not yet
written.
"""

import numpy as np
cimport numpy as cnp
from libc.math cimport sqrt, INFINITY
from libc.stdlib cimport calloc, free, realloc
from libc.string cimport memcpy
from libc.stdint cimport int64_t, uint32_t, uint64_t

cdef extern from *:
    int __builtin_clzll(unsigned long long) nogil
    int __builtin_ctz(unsigned int) nogil
    int __builtin_ctzll(unsigned long long) nogil

cnp.import_array()


cdef struct Entry:
    double t
    int64_t key          # packed voxel coordinates: iz << 42 | iy << 21 | ix


cdef struct Bucket:
    Entry* e
    int64_t n
    int64_t cap


cdef enum:
    DIGIT_BITS = 8                       # radix of the heap: 256 buckets per digit
    DIGITS = 64 // DIGIT_BITS            # digit levels of a 64-bit key
    DIGIT_MASK = (1 << DIGIT_BITS) - 1
    MASK_WORDS = (1 << DIGIT_BITS) // 64  # 64-bit words of a level's occupancy bits
    NBUCKETS = 1 + DIGITS * (1 << DIGIT_BITS)


cdef struct Heap:
    Bucket b[NBUCKETS]   # b[0]: keys equal to ``last``; b[1 + 256 d + v]: the highest digit
                         # differing from ``last`` is digit d, and it is v there
    uint32_t level_mask  # bit d: some bucket of digit level d is not empty
    uint64_t digit_mask[DIGITS][MASK_WORDS]  # bit v of level d: bucket (d, v) is not empty
    uint64_t last        # bit pattern of the last time taken out (non-negative doubles order as uint64)
    int64_t n            # entries held, stale ones included


cdef enum:
    COORD_BITS = 21                      # bits per packed coordinate (each axis < 2**21)
    COORD_MASK = (1 << COORD_BITS) - 1


cdef struct Grid:
    const void* rate     # development rate, nm/s: float32 (single) or float64
    bint single
    Py_ssize_t nz, ny, nx, nyx
    bint periodic
    bint second
    double a[6]          # quadratic coefficient of stencil code 2 axis + second: 1/h^2, 9/(4 h^2)
    double s[6]          # 1 / sqrt(a): h, 2h/3


# ---------------------------------------------------------------------------------------
# Monotone priority queue: a radix heap over the bit patterns of the (non-negative) times.
# Fast marching takes times out in non-decreasing order and every time it puts in is at
# least the last one taken out, which is all a radix heap needs; it then costs O(1) per
# insertion and an amortised few sequential moves per entry, instead of a binary heap's
# log(n) cache misses per operation. Ties come out in arbitrary order (harmless: see the
# module docstring).
#
# Keys are split into 8 digits of 8 bits; an entry sits in the bucket of the highest digit
# in which it differs from the last key taken out (and of its value there), so it moves
# at most once per digit level (about 3 moves per entry are measured).
#
# Decrease- and increase-key are lazy: a voxel's current tentative time is stored in the
# time array as -t (negative), its accepted time as t >= 0, "far" as +inf. Every change of
# a tentative time inserts a new entry; an entry taken out whose voxel is accepted, or
# whose time differs from the voxel's current tentative time, is stale and skipped.


cdef inline uint64_t _bits(double t) noexcept nogil:
    cdef uint64_t u
    memcpy(&u, &t, sizeof(double))
    return u


cdef inline int _bucket_of(uint64_t u, uint64_t last) noexcept nogil:
    cdef int d
    if u <= last:
        return 0  # equal (a smaller time would break monotonicity: taken out next)
    d = (63 - __builtin_clzll(u ^ last)) // DIGIT_BITS
    return 1 + (d << DIGIT_BITS) + <int> ((u >> (d * DIGIT_BITS)) & DIGIT_MASK)


cdef inline int _append(Heap* h, int i, Entry x) noexcept nogil:
    cdef Bucket* bk = &h.b[i]
    cdef Entry* grown
    cdef int64_t cap
    if bk.n == bk.cap:
        cap = 2 * bk.cap if bk.cap > 0 else 64
        grown = <Entry*> realloc(bk.e, cap * sizeof(Entry))
        if grown == NULL:
            return -1
        bk.e = grown
        bk.cap = cap
    bk.e[bk.n] = x
    bk.n += 1
    if i > 0:
        i -= 1
        h.level_mask |= (<uint32_t> 1) << (i >> DIGIT_BITS)
        h.digit_mask[i >> DIGIT_BITS][(i & DIGIT_MASK) >> 6] |= (<uint64_t> 1) << (i & 63)
    return 0


cdef void _heap_init(Heap* h) noexcept nogil:
    cdef int i
    for i in range(NBUCKETS):
        h.b[i].e = NULL
        h.b[i].n = 0
        h.b[i].cap = 0
    cdef int w
    for i in range(DIGITS):
        for w in range(MASK_WORDS):
            h.digit_mask[i][w] = 0
    h.level_mask = 0
    h.last = 0
    h.n = 0


cdef void _heap_free(Heap* h) noexcept nogil:
    cdef int i
    for i in range(NBUCKETS):
        free(h.b[i].e)
        h.b[i].e = NULL


cdef inline int _push(Heap* h, double t, int64_t key) noexcept nogil:
    """Insert an entry; -1 if memory runs out."""
    cdef Entry x
    x.t = t
    x.key = key
    h.n += 1
    return _append(h, _bucket_of(_bits(t), h.last), x)


cdef inline int _pop(Heap* h, Entry* out) noexcept nogil:
    """Take out an entry with the smallest time (``h.n`` must be > 0); -1 if memory runs out.

    When no key equals ``last``, the smallest non-empty bucket (lowest digit level, then
    lowest digit) holds the smallest keys; its minimum becomes ``last`` and its entries
    move to lower levels (each entry moves at most once per digit level).
    """
    cdef int d, v, w, err = 0
    cdef int64_t j, n
    cdef uint64_t u, least
    cdef Bucket* bk
    cdef Entry* e
    if h.b[0].n == 0:
        d = __builtin_ctz(h.level_mask)
        w = 0
        while h.digit_mask[d][w] == 0:
            w += 1
        v = 64 * w + __builtin_ctzll(h.digit_mask[d][w])
        bk = &h.b[1 + (d << DIGIT_BITS) + v]
        h.digit_mask[d][w] &= ~((<uint64_t> 1) << (v & 63))
        if h.digit_mask[d][w] == 0:
            w = 0
            while w < MASK_WORDS and h.digit_mask[d][w] == 0:
                w += 1
            if w == MASK_WORDS:
                h.level_mask &= ~((<uint32_t> 1) << d)
        e = bk.e
        n = bk.n
        bk.n = 0
        least = _bits(e[0].t)
        for j in range(1, n):
            u = _bits(e[j].t)
            if u < least:
                least = u
        h.last = least
        for j in range(n):
            err |= _append(h, _bucket_of(_bits(e[j].t), least), e[j])
    h.b[0].n -= 1
    out[0] = h.b[0].e[h.b[0].n]
    h.n -= 1
    return err


# ---------------------------------------------------------------------------------------
# local solver


cdef inline void _cswap(double* b, int* code, int i, int j) noexcept nogil:
    """Compare-exchange of axes i < j by b (exchange only when strictly smaller)."""
    cdef double tb
    cdef int tc
    if b[j] < b[i]:
        tb = b[i]; b[i] = b[j]; b[j] = tb
        tc = code[i]; code[i] = code[j]; code[j] = tc


cdef inline double _root(double* b, int* code, const Grid* g, double f) noexcept nogil:
    """Root of sum_{b_k < T} a_k (T - b_k)^2 = f^2 for three axes (b = +inf: absent)."""
    cdef double t, t3, d1, d2, A, B, Q, disc, a0, a1, a2
    _cswap(b, code, 0, 1)
    _cswap(b, code, 1, 2)
    _cswap(b, code, 0, 1)
    t = b[0] + f * g.s[code[0]]
    if t > b[1]:
        a0 = g.a[code[0]]
        a1 = g.a[code[1]]
        d1 = b[1] - b[0]
        A = a0 + a1
        B = a1 * d1
        Q = a0 * a1 * d1 * d1
        disc = A * (f * f) - Q
        if disc < 0.0:
            disc = 0.0
        t = b[0] + (B + sqrt(disc)) / A
        if t < b[1]:
            t = b[1]
        if t > b[2]:
            a2 = g.a[code[2]]
            d2 = b[2] - b[0]
            A = A + a2
            B = B + a2 * d2
            Q = Q + a0 * a2 * d2 * d2 + a1 * a2 * (d2 - d1) * (d2 - d1)
            disc = A * (f * f) - Q
            if disc >= 0.0:
                t3 = b[0] + (B + sqrt(disc)) / A
                if t3 < b[2]:
                    t3 = b[2]
                t = t3
    return t


cdef inline double _known(const double* T, Py_ssize_t j) noexcept nogil:
    """The accepted time of voxel ``j``, +inf when it is tentative (stored negative) or far."""
    cdef double v = T[j]
    return v if v >= 0.0 else INFINITY


cdef inline double _axis(const double* T, Py_ssize_t p, Py_ssize_t c, Py_ssize_t n,
                         Py_ssize_t stride, bint periodic, bint second, int axis,
                         int* code) noexcept nogil:
    """b of one axis at voxel ``p`` (coordinate ``c`` of ``n``) and its stencil code.

    The code is 2 axis + (1 if second order); b = +inf when the axis has no accepted
    neighbour. Only the upwind side's second neighbour is read.
    """
    cdef double t1m = INFINITY, t1p = INFINITY, t1, t2 = INFINITY, bb
    cdef Py_ssize_t cm, cp
    cdef bint minus
    code[0] = 2 * axis
    if n == 1:
        return INFINITY
    if periodic:
        cm = c - 1 if c >= 1 else c - 1 + n
        cp = c + 1 if c + 1 < n else c + 1 - n
        t1m = _known(T, p + (cm - c) * stride)
        t1p = _known(T, p + (cp - c) * stride)
    else:
        if c >= 1:
            t1m = _known(T, p - stride)
        if c + 1 < n:
            t1p = _known(T, p + stride)
    minus = t1m <= t1p
    t1 = t1m if minus else t1p
    if t1 == INFINITY or not second:
        return t1
    if periodic:
        if n > 2:  # for n == 2 the second neighbour is the voxel itself
            if minus:
                cm = c - 2 if c >= 2 else c - 2 + n
            else:
                cm = c + 2 if c + 2 < n else c + 2 - n
            t2 = _known(T, p + (cm - c) * stride)
    elif minus:
        if c >= 2:
            t2 = _known(T, p - 2 * stride)
    elif c + 2 < n:
        t2 = _known(T, p + 2 * stride)
    if t2 < t1:
        bb = (4.0 * t1 - t2) / 3.0
        if bb < t1:
            bb = t1
        code[0] = 2 * axis + 1
        return bb
    return t1


cdef inline double _solve(const double* T, double f, Grid* g, Py_ssize_t p, Py_ssize_t iz,
                          Py_ssize_t iy, Py_ssize_t ix) noexcept nogil:
    """Local solution at voxel ``p = (iz, iy, ix)`` from the accepted times."""
    cdef double b[3]
    cdef int code[3]
    b[0] = _axis(T, p, iz, g.nz, g.nyx, False, g.second, 0, &code[0])
    b[1] = _axis(T, p, iy, g.ny, g.nx, g.periodic, g.second, 1, &code[1])
    b[2] = _axis(T, p, ix, g.nx, 1, g.periodic, g.second, 2, &code[2])
    return _root(&b[0], &code[0], g, f)


cdef inline double _slowness(const Grid* g, Py_ssize_t p) noexcept nogil:
    """1 / rate at voxel ``p``, s/nm (in float64 whatever the rate's precision)."""
    if g.single:
        return 1.0 / <double> (<const float*> g.rate)[p]
    return 1.0 / (<const double*> g.rate)[p]


cdef inline int _relax(double* T, Grid* g, Heap* h, Py_ssize_t p,
                       Py_ssize_t iz, Py_ssize_t iy, Py_ssize_t ix, double tq, Py_ssize_t o,
                       bint o_minus) noexcept nogil:
    """Recompute voxel ``p`` after its neighbour (time ``tq``) was accepted; push it if changed.

    ``o`` is p's neighbour on the far side from the accepted voxel along the same axis
    (-1 if none) and ``o_minus`` whether it is p's minus side (which wins ties). The
    accepted voxel changes p only through that axis, so the solve is skipped when

    - ``o`` is accepted with a smaller time (or an equal one on the minus side): it stays
      the axis' upwind side and nothing p sees has changed;
    - p's tentative time ``tp`` is <= ``tq`` (a tie: p's time cannot decrease below tq)
      and ``o`` is not accepted before ``tp``: the axis contributes nothing at ``tp``
      before or after, so ``tp`` still solves p's equation.

    Both skip only solves that would reproduce p's current time.
    """
    cdef double v = T[p], t, to
    if v >= 0.0 and v != INFINITY:
        return 0  # accepted
    if o >= 0:
        to = _known(T, o)
        if to < tq or (to == tq and o_minus):
            return 0
    else:
        to = INFINITY
    if v < 0.0 and -v <= tq and to >= -v:
        return 0
    t = _solve(T, _slowness(g, p), g, p, iz, iy, ix)
    if t == INFINITY or -t == v:
        return 0  # unreachable so far, or unchanged
    T[p] = -t
    return _push(h, t, (<int64_t> iz << (2 * COORD_BITS)) | (<int64_t> iy << COORD_BITS) | ix)


cdef inline bint _seed_after(const double* T, Py_ssize_t m, double tq) noexcept nogil:
    """Whether voxel ``m`` is accepted with a time later than ``tq`` (only seeds can be)."""
    cdef double v = T[m]
    return v > tq and v != INFINITY


cdef inline int _relax_neighbours(double* T, Grid* g, Heap* h, Py_ssize_t q,
                                  Py_ssize_t iz, Py_ssize_t iy, Py_ssize_t ix) noexcept nogil:
    """Recompute the not-yet-accepted neighbours of the newly accepted voxel ``q``.

    For p = q - e the far voxel o = p - e is p's minus side; for p = q + e, o = p + e is
    its plus side (see ``_relax``).

    ``q`` is also the second upwind neighbour of p2 = q -+ 2e when the voxel between them
    is accepted with a larger time: possible only when that voxel is a seed (seeds are
    accepted at the start whatever their time), and then p2 is recomputed too. Without
    seeds above the front (the development problem) this never triggers.
    """
    cdef Py_ssize_t nz = g.nz, ny = g.ny, nx = g.nx, nyx = g.nyx, j, k
    cdef double tq = T[q]
    cdef int err = 0
    if iz >= 1:
        err |= _relax(T, g, h, q - nyx, iz - 1, iy, ix, tq, q - 2 * nyx if iz >= 2 else -1, True)
        if g.second and iz >= 2 and _seed_after(T, q - nyx, tq):
            err |= _relax(T, g, h, q - 2 * nyx, iz - 2, iy, ix, tq, -1, False)
    if iz + 1 < nz:
        err |= _relax(T, g, h, q + nyx, iz + 1, iy, ix, tq, q + 2 * nyx if iz + 2 < nz else -1, False)
        if g.second and iz + 2 < nz and _seed_after(T, q + nyx, tq):
            err |= _relax(T, g, h, q + 2 * nyx, iz + 2, iy, ix, tq, -1, False)
    if ny > 1:
        if iy >= 1 or g.periodic:
            j = iy - 1 if iy >= 1 else ny - 1
            k = j - 1 if j >= 1 else (ny - 1 if g.periodic else -1)
            err |= _relax(T, g, h, q + (j - iy) * nx, iz, j, ix, tq,
                          q + (k - iy) * nx if k >= 0 and k != iy else -1, True)
            if g.second and k >= 0 and k != iy and _seed_after(T, q + (j - iy) * nx, tq):
                err |= _relax(T, g, h, q + (k - iy) * nx, iz, k, ix, tq, -1, False)
        if iy + 1 < ny or g.periodic:
            j = iy + 1 if iy + 1 < ny else 0
            k = j + 1 if j + 1 < ny else (0 if g.periodic else -1)
            err |= _relax(T, g, h, q + (j - iy) * nx, iz, j, ix, tq,
                          q + (k - iy) * nx if k >= 0 and k != iy else -1, False)
            if g.second and k >= 0 and k != iy and _seed_after(T, q + (j - iy) * nx, tq):
                err |= _relax(T, g, h, q + (k - iy) * nx, iz, k, ix, tq, -1, False)
    if nx > 1:
        if ix >= 1 or g.periodic:
            j = ix - 1 if ix >= 1 else nx - 1
            k = j - 1 if j >= 1 else (nx - 1 if g.periodic else -1)
            err |= _relax(T, g, h, q + (j - ix), iz, iy, j, tq,
                          q + (k - ix) if k >= 0 and k != ix else -1, True)
            if g.second and k >= 0 and k != ix and _seed_after(T, q + (j - ix), tq):
                err |= _relax(T, g, h, q + (k - ix), iz, iy, k, tq, -1, False)
        if ix + 1 < nx or g.periodic:
            j = ix + 1 if ix + 1 < nx else 0
            k = j + 1 if j + 1 < nx else (0 if g.periodic else -1)
            err |= _relax(T, g, h, q + (j - ix), iz, iy, j, tq,
                          q + (k - ix) if k >= 0 and k != ix else -1, False)
            if g.second and k >= 0 and k != ix and _seed_after(T, q + (j - ix), tq):
                err |= _relax(T, g, h, q + (k - ix), iz, iy, k, tq, -1, False)
    return err


def fast_march(rate, double[:, :, ::1] T, double dz, double dy, double dx, bint periodic,
               int order, double t_max):
    """Fast marching in place.

    Parameters
    ----------
    rate : float32 or float64 array (nz, ny, nx), C-contiguous
        Development rate (front speed), nm/s; finite and > 0. The slowness 1 / rate is
        formed in float64 as needed (a float32 rate halves the memory the march streams).
    T : float64 array (nz, ny, nx), C-contiguous
        On entry the seed times (s, finite and >= 0) and +inf everywhere else; on return
        the arrival times, +inf where the front did not arrive by ``t_max``.
    dz, dy, dx : float
        Voxel sizes, nm.
    periodic : bool
        Whether y and x wrap around (z never does).
    order : int
        1 or 2.
    t_max : float
        Stop once the smallest tentative time exceeds it (``inf``: march everything).

    Returns
    -------
    int
        The number of voxels accepted (seeds included).
    """
    cdef Grid g
    cdef Heap h
    cdef Py_ssize_t nz = T.shape[0], ny = T.shape[1], nx = T.shape[2]
    cdef Py_ssize_t N = nz * ny * nx, q, iz, iy, ix
    cdef double* t = &T[0, 0, 0]
    cdef double hh, v
    cdef int err = 0, k
    cdef int64_t accepted = 0
    cdef Entry top
    cdef uint64_t* acc
    cdef const float[:, :, ::1] rate32
    cdef const double[:, :, ::1] rate64
    if rate.dtype == np.float32:
        rate32 = rate
        g.rate = &rate32[0, 0, 0]
        g.single = True
    else:
        rate64 = rate
        g.rate = &rate64[0, 0, 0]
        g.single = False
    if tuple(rate.shape) != (nz, ny, nx):
        raise ValueError("fast_march: rate and T differ in shape")
    if order != 1 and order != 2:
        raise ValueError("fast_march: order must be 1 or 2")
    if nz > COORD_MASK or ny > COORD_MASK or nx > COORD_MASK:
        raise ValueError(f"fast_march: each axis must be shorter than {COORD_MASK + 1} voxels")
    g.nz = nz
    g.ny = ny
    g.nx = nx
    g.nyx = ny * nx
    g.periodic = periodic
    g.second = order == 2
    for k, hh in enumerate((dz, dy, dx)):
        g.a[2 * k] = 1.0 / (hh * hh)
        g.s[2 * k] = hh
        g.a[2 * k + 1] = 9.0 / (4.0 * hh * hh)
        g.s[2 * k + 1] = 2.0 * hh / 3.0
    # one bit per voxel: accepted by the march (tells a stale entry without touching T)
    acc = <uint64_t*> calloc((N + 63) // 64, sizeof(uint64_t))
    if acc == NULL:
        raise MemoryError("fast_march: cannot allocate the state bits")
    _heap_init(&h)
    with nogil:
        # seeds are accepted at the start (times >= 0); their free neighbours become tentative
        q = 0
        for iz in range(nz):
            for iy in range(ny):
                for ix in range(nx):
                    v = t[q]
                    if v >= 0.0 and v != INFINITY:
                        accepted += 1
                        err |= _relax_neighbours(t, &g, &h, q, iz, iy, ix)
                    q += 1
        while h.n > 0 and err == 0:
            if _pop(&h, &top) != 0:
                err = 1
                break
            iz = top.key >> (2 * COORD_BITS)
            iy = (top.key >> COORD_BITS) & COORD_MASK
            ix = top.key & COORD_MASK
            q = (iz * ny + iy) * nx + ix
            if (acc[q >> 6] >> (q & 63)) & 1:
                continue  # stale: the voxel is accepted (checked without touching T)
            if t[q] != -top.t:
                continue  # stale: the voxel was recomputed since
            if top.t > t_max:
                break
            t[q] = top.t
            acc[q >> 6] |= (<uint64_t> 1) << (q & 63)
            accepted += 1
            err |= _relax_neighbours(t, &g, &h, q, iz, iy, ix)
        for q in range(N):
            if t[q] < 0.0:
                t[q] = INFINITY  # tentative when the march stopped at t_max
    _heap_free(&h)
    free(acc)
    if err:
        raise MemoryError("fast_march: cannot grow the heap")
    return accepted
