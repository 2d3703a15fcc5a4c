# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Level-set etch kernel (CPU): upwind ENO Hamiltonian, Heun step, re-initialisation.

Implements the scheme shared with the array (numpy / CuPy) reference
``litho.etch.levelset`` (keep the two in step; the operation order below follows the
reference so that the two agree to rounding).

Grid and signs
--------------
``phi`` is a float64 C-contiguous volume ``(nz, ny, nx)``, z index 0 at the top and z
growing down, spacing ``(dz, dy, dx)`` nm; ``phi > 0`` in solid, ``phi < 0`` in void.
``ny == 1`` is a 2-D cross-section: the y axis has no derivative at all. x and y are
periodic; z has zero-gradient ends (ghost = edge value, both ghost layers).

Differences (Osher & Fedkiw ch. 3) along an axis with spacing h::

    d2[j] = phi[j+1] - 2 phi[j] + phi[j-1]
    Dm[i] = (phi[i] - phi[i-1] + 0.5 minmod(d2[i-1], d2[i])) / h
    Dp[i] = (phi[i+1] - phi[i] - 0.5 minmod(d2[i], d2[i+1])) / h

(``order=1``: no minmod terms). Hamiltonian, ``phi_t + H = 0``::

    H = f_iso G + sum_k vis_k max(0, sum_a d_ka U_ka) f_dir w_k
    G = sqrt(sum_a max(Dm_a, 0)^2 + min(Dp_a, 0)^2), or G = 1 with ``distance``
    U_ka = Dm_a (d_ka > 0), Dp_a (d_ka < 0), 0 (d_ka == 0)

H is 0 where ``|phi| > band``. Heun: ``p1 = phi - dt H(phi)``, ``p2 = p1 - dt H(p1)``,
``phi <- (phi + p2) / 2`` (the second stage's band test is on ``p1``, as in the
reference). Re-initialisation: Russo & Smereka (2000) with the subcell fix, multi-D form
of du Chene, Min & Gibou (2008); see :func:`reinitialize`.

Implementation
--------------
Every pass is a loop over the ``nz * ny`` x-rows (an OpenMP ``prange`` with dynamic
scheduling when the extension is built with OpenMP, serial otherwise; every node is
computed independently, so the result does not depend on the thread count). Far nodes
(``|phi| > band``) are skipped after one load and compare, before any stencil work.
Nothing is allocated per node or per row; ``rk2_step`` writes the first stage into
``work1`` and the second stage straight into ``phi`` (it reads ``work1`` only, and
``phi`` only at the node itself), so ``work2`` is not needed by the current scheme.
"""

from cython.parallel cimport prange, threadid as openmp_thread
from libc.math cimport sqrt, fabs, isnan, INFINITY, NAN, copysign
from libc.stdint cimport uint32_t
from libc.stdlib cimport malloc, free
from libc.string cimport memset

import math

import numpy as np

__all__ = ["hamiltonian", "rk2_step", "reinitialize", "cfl_dt", "visibility"]

ctypedef struct Grid:
    Py_ssize_t nz
    Py_ssize_t ny
    Py_ssize_t nx
    int has_y
    int order
    double iz          # 1 / dz
    double iy          # 1 / dy
    double ix          # 1 / dx
    double band
    const Py_ssize_t* xo   # xo[x + 2 + k] = (x + k) mod nx, k in -2..2


ctypedef struct Rates:
    const double* f_iso
    const double* f_dir
    const uint32_t* vis    # NULL: every direction reaches every node
    int K
    const double* dirs     # (K, 3) z, y, x
    const double* w        # (K,)
    int distance           # phi is a signed distance: the isotropic term is f_iso (|grad phi| = 1)


# --------------------------------------------------------------------------- helpers

cdef inline double _minmod(double a, double b) noexcept nogil:
    # written as selects (no early return) so that the compiler emits branch-free code
    cdef double m = a if fabs(a) < fabs(b) else b
    return 0.0 if a * b <= 0.0 else m


cdef inline void _eno(double a, double b, double c, double d, double e, double ih, int order,
                      double* dm, double* dp) noexcept nogil:
    """Dm, Dp at c from the five values a..e = phi[i-2..i+2] (ih = 1 / h)."""
    cdef double m = c - b
    cdef double p = d - c
    if order == 2:
        m = m + 0.5 * _minmod(c - 2.0 * b + a, d - 2.0 * c + b)
        p = p - 0.5 * _minmod(d - 2.0 * c + b, e - 2.0 * d + c)
    dm[0] = m * ih
    dp[0] = p * ih


cdef inline void _row_ptrs(const double* base, const double* idle, const unsigned char* active,
                           Py_ssize_t r, const Grid* g, const double** zr, const double** yr) noexcept nogil:
    """Pointers to the x-rows at z-2..z+2 (clamped) and y-2..y+2 (periodic) of row r.

    A row q is taken from ``base`` when ``active`` is NULL or ``active[q]``, else from
    ``idle`` (rows with no band node hold the same values in both buffers, so they are
    only ever read from the one that is kept current for them).
    """
    cdef Py_ssize_t ny = g.ny, nx = g.nx, nz = g.nz
    cdef Py_ssize_t z = r // ny
    cdef Py_ssize_t y = r - z * ny
    cdef Py_ssize_t k, zz, yy, q
    for k in range(5):
        zz = z + k - 2
        if zz < 0:
            zz = 0
        elif zz > nz - 1:
            zz = nz - 1
        q = zz * ny + y
        zr[k] = (base if active == NULL or active[q] else idle) + q * nx
        yy = (y + k - 2) % ny
        if yy < 0:
            yy = yy + ny
        q = z * ny + yy
        yr[k] = (base if active == NULL or active[q] else idle) + q * nx


cdef inline bint _row_has_band(const double* row, Py_ssize_t nx, double band) noexcept nogil:
    """Whether some node of the row has |value| <= band (NaN counts: it is not > band)."""
    cdef Py_ssize_t x
    for x in range(nx):
        if not (fabs(row[x]) > band):
            return True
    return False


cdef inline double _node_h(const double** zr, const double** yr, Py_ssize_t x, Py_ssize_t i,
                           const Grid* g, const Rates* rt) noexcept nogil:
    """H at node x of the row whose neighbourhood is zr / yr (i: flat index)."""
    cdef const double* row = zr[2]
    cdef const Py_ssize_t* xo = g.xo
    cdef double c = row[x]
    cdef double dmz, dpz, dmy = 0.0, dpy = 0.0, dmx, dpx, g2, h, along, d, fd, a, b
    cdef int k
    cdef uint32_t bits
    if rt.distance and rt.K == 0:
        return rt.f_iso[i]
    _eno(zr[0][x], zr[1][x], c, zr[3][x], zr[4][x], g.iz, g.order, &dmz, &dpz)
    _eno(row[xo[x]], row[xo[x + 1]], c, row[xo[x + 3]], row[xo[x + 4]], g.ix, g.order, &dmx, &dpx)
    a = dmz if dmz > 0.0 else 0.0
    b = dpz if dpz < 0.0 else 0.0
    g2 = a * a + b * b
    if g.has_y:
        _eno(yr[0][x], yr[1][x], c, yr[3][x], yr[4][x], g.iy, g.order, &dmy, &dpy)
        a = dmy if dmy > 0.0 else 0.0
        b = dpy if dpy < 0.0 else 0.0
        g2 = g2 + (a * a + b * b)
    a = dmx if dmx > 0.0 else 0.0
    b = dpx if dpx < 0.0 else 0.0
    g2 = g2 + (a * a + b * b)
    h = rt.f_iso[i] if rt.distance else rt.f_iso[i] * sqrt(g2)
    if rt.K == 0:
        return h
    bits = 0xFFFFFFFFu if rt.vis == NULL else rt.vis[i]
    fd = rt.f_dir[i]
    for k in range(rt.K):
        if not ((bits >> k) & 1u):
            continue
        along = 0.0
        d = rt.dirs[3 * k]
        if d > 0.0:
            along = along + d * dmz
        elif d < 0.0:
            along = along + d * dpz
        if g.has_y:
            d = rt.dirs[3 * k + 1]
            if d > 0.0:
                along = along + d * dmy
            elif d < 0.0:
                along = along + d * dpy
        d = rt.dirs[3 * k + 2]
        if d > 0.0:
            along = along + d * dmx
        elif d < 0.0:
            along = along + d * dpx
        if along > 0.0:
            h = h + along * (fd * rt.w[k])
    return h


# --------------------------------------------------------------------------- row passes

cdef void _ham_row(const double* phi, double* out, Py_ssize_t r, const Grid* g,
                   const Rates* rt) noexcept nogil:
    cdef const double* zr[5]
    cdef const double* yr[5]
    cdef Py_ssize_t x, i, off = r * g.nx
    cdef double band = g.band
    cdef Grid gl = g[0]       # local copies: no aliasing with the output stores
    cdef Rates rl = rt[0]
    if not _row_has_band(phi + off, g.nx, band):
        memset(out + off, 0, g.nx * sizeof(double))
        return
    _row_ptrs(phi, phi, NULL, r, g, zr, yr)
    for x in range(g.nx):
        i = off + x
        if fabs(phi[i]) > band:
            out[i] = 0.0
        else:
            out[i] = _node_h(zr, yr, x, i, &gl, &rl)


cdef void _stage1_row(const double* phi, double* p1, unsigned char* active, double dt, Py_ssize_t r,
                      const Grid* g, const Rates* rt) noexcept nogil:
    """p1 = phi - dt H(phi) on an x-row; a row without band nodes is only flagged inactive
    (its p1 equals phi, and stage 2 reads it from phi)."""
    cdef const double* zr[5]
    cdef const double* yr[5]
    cdef Py_ssize_t x, i, off = r * g.nx
    cdef double band = g.band, v
    cdef Grid gl = g[0]       # local copies: no aliasing with the output stores
    cdef Rates rl = rt[0]
    if not _row_has_band(phi + off, g.nx, band):
        active[r] = 0
        return
    active[r] = 1
    _row_ptrs(phi, phi, NULL, r, g, zr, yr)
    for x in range(g.nx):
        i = off + x
        v = phi[i]
        if fabs(v) > band:
            p1[i] = v
        else:
            p1[i] = v - dt * _node_h(zr, yr, x, i, &gl, &rl)


cdef void _stage2_row(double* phi, const double* p1, const unsigned char* active, double dt,
                      Py_ssize_t r, const Grid* g, const Rates* rt) noexcept nogil:
    """phi = (phi + p1 - dt H(p1)) / 2 on an active x-row (inactive rows: unchanged)."""
    cdef const double* zr[5]
    cdef const double* yr[5]
    cdef Py_ssize_t x, i, off = r * g.nx
    cdef double band = g.band, v, q
    cdef Grid gl = g[0]       # local copies: no aliasing with the output stores
    cdef Rates rl = rt[0]
    if not active[r]:
        return
    # inactive rows are never written in this pass, so phi there is still p1
    _row_ptrs(p1, phi, active, r, g, zr, yr)
    for x in range(g.nx):
        i = off + x
        v = phi[i]
        if fabs(v) > band:
            continue            # p1 = p2 = phi here: unchanged
        q = p1[i]
        if fabs(q) > band:
            phi[i] = 0.5 * (v + q)
        else:
            phi[i] = 0.5 * (v + (q - dt * _node_h(zr, yr, x, i, &gl, &rl)))


cdef inline double _axis_grad2(double p, double mi, double pl, double ih) noexcept nogil:
    """Square of the largest of the central and the two one-sided differences (>= 1e-12)."""
    cdef double a = fabs(pl - mi) * (0.5 * ih), b = fabs(pl - p) * ih
    if b > a:
        a = b
    b = fabs(p - mi) * ih
    if b > a:
        a = b
    if a < 1e-12:
        a = 1e-12
    return a * a


cdef void _reinit_setup_row(const double* phi0, double* code, double* start, unsigned char* active,
                            unsigned char* inside, int keep_near, Py_ssize_t r, const Grid* gp) noexcept nogil:
    """Per node: code = D (near: the target subcell distance, or phi0 with ``keep_near``),
    +-inf (far, sign of phi0) or NaN (frozen: not near and ``|phi0| > band``); start = the
    first iterate (D at near nodes, phi0 elsewhere).

    A row whose nodes are all frozen is flagged inactive: the iterations skip it and
    read it from phi0. With ``inside`` (not NULL), nothing is frozen here: inside = near or
    ``|phi0| < band`` per node, and ``_freeze_row`` freezes later from its dilation.
    """
    cdef Grid gl = gp[0]      # local copy: no aliasing with the output stores
    cdef const Grid* g = &gl
    cdef const double* zr[5]
    cdef const double* yr[5]
    cdef const double* row
    cdef const Py_ssize_t* xo = g.xo
    cdef Py_ssize_t x, i, off = r * g.nx
    cdef double band = g.band, p, zm, zp, ym = 0.0, yp = 0.0, xm, xp, grad0, dist
    cdef int near, any_active = 0
    _row_ptrs(phi0, phi0, NULL, r, g, zr, yr)
    row = zr[2]
    for x in range(g.nx):
        i = off + x
        p = row[x]
        zm = zr[1][x]
        zp = zr[3][x]
        xm = row[xo[x + 1]]
        xp = row[xo[x + 3]]
        near = (p == 0.0) or (p * zm <= 0.0) or (p * zp <= 0.0) or (p * xm <= 0.0) or (p * xp <= 0.0)
        if g.has_y:
            ym = yr[1][x]
            yp = yr[3][x]
            near = near or (p * ym <= 0.0) or (p * yp <= 0.0)
        if near:
            if keep_near:
                dist = p
            else:
                grad0 = _axis_grad2(p, zm, zp, g.iz) + _axis_grad2(p, xm, xp, g.ix)
                if g.has_y:
                    grad0 = grad0 + _axis_grad2(p, ym, yp, g.iy)
                dist = p / sqrt(grad0)
                if dist == 0.0 and p != 0.0:     # underflow: keep the sign of phi0
                    dist = copysign(4.9406564584124654e-324, p)
            code[i] = dist
            start[i] = dist
            any_active = 1
            if inside != NULL:
                inside[i] = 1
        elif inside != NULL:
            inside[i] = fabs(p) < band
            code[i] = copysign(INFINITY, p)
            start[i] = p
            any_active = 1
        elif fabs(p) > band:
            code[i] = <double>NAN
            start[i] = p
        else:
            code[i] = copysign(INFINITY, p)
            start[i] = p
            any_active = 1
    active[r] = any_active



cdef void _dilate_x_row(const unsigned char* src, unsigned char* dst, Py_ssize_t k, Py_ssize_t r,
                        const Grid* g) noexcept nogil:
    """dst = src OR-ed over x offsets -k..k (periodic) on an x-row."""
    cdef Py_ssize_t nx = g.nx, off = r * nx, x, j, xx
    cdef unsigned char v
    for x in range(nx):
        v = 0
        if k <= x < nx - k:
            for j in range(x - k, x + k + 1):
                v = v | src[off + j]
        else:
            for j in range(-k, k + 1):
                xx = (x + j) % nx
                if xx < 0:
                    xx = xx + nx
                v = v | src[off + xx]
        dst[off + x] = v


cdef void _dilate_yz_row(const unsigned char* src, unsigned char* dst, Py_ssize_t k, int axis, Py_ssize_t r,
                         const Grid* g) noexcept nogil:
    """dst row = OR of the rows within k along y (axis 1, periodic) or z (axis 0, ends)."""
    cdef Py_ssize_t nx = g.nx, ny = g.ny, nz = g.nz, z = r // ny, y = r - z * ny, j, q, x, yy
    cdef unsigned char* out = dst + r * nx
    cdef const unsigned char* row
    for x in range(nx):
        out[x] = 0
    for j in range(-k, k + 1):
        if axis == 0:
            if z + j < 0 or z + j >= nz:
                continue
            q = (z + j) * ny + y
        else:
            yy = (y + j) % ny
            if yy < 0:
                yy = yy + ny
            q = z * ny + yy
        row = src + q * nx
        for x in range(nx):
            out[x] = out[x] | row[x]


cdef void _freeze_row(const unsigned char* reach, double* code, unsigned char* active, Py_ssize_t r,
                      Py_ssize_t nx) noexcept nogil:
    """Freeze (code NaN) the nodes of an x-row that no inside node reaches; flag the row."""
    cdef Py_ssize_t x, i, off = r * nx
    cdef int any_active = 0
    for x in range(nx):
        i = off + x
        if reach[i]:
            any_active = 1
        else:
            code[i] = <double>NAN
    active[r] = any_active


cdef inline double _godunov2(double a, double b, double c, double d, double e, double ih,
                             double s) noexcept nogil:
    """Godunov's squared one-sided ENO2 derivative along one axis for the sign s of phi0
    (a..e = phi[i-2..i+2], ih = 1 / h)."""
    cdef double dm, dp, m, p
    _eno(a, b, c, d, e, ih, 2, &dm, &dp)
    if s > 0.0:
        m = dm if dm > 0.0 else 0.0
        p = dp if dp < 0.0 else 0.0
    else:
        m = dm if dm < 0.0 else 0.0
        p = dp if dp > 0.0 else 0.0
    m = m * m
    p = p * p
    return m if m > p else p


cdef void _reinit_iter_row(const double* src, const double* phi0, double* dst, const double* code,
                           const unsigned char* active, double dtau, double near_fac, Py_ssize_t r,
                           const Grid* gp) noexcept nogil:
    """One Jacobi iteration on an active x-row; inactive rows (all frozen) are read from
    ``phi0`` (their values in both iterate buffers)."""
    cdef Grid gl = gp[0]      # local copy: no aliasing with the output stores
    cdef const Grid* g = &gl
    cdef const double* zr[5]
    cdef const double* yr[5]
    cdef const double* row
    cdef const Py_ssize_t* xo = g.xo
    cdef Py_ssize_t x, i, off = r * g.nx
    cdef double c, v, s, g2
    if not active[r]:
        return
    _row_ptrs(src, phi0, active, r, g, zr, yr)
    row = zr[2]
    for x in range(g.nx):
        i = off + x
        c = code[i]
        if isnan(c):
            continue                      # frozen: dst already holds phi0
        v = row[x]
        if fabs(c) == INFINITY:           # away from the interface: upwind Godunov
            s = 1.0 if c > 0.0 else -1.0
            g2 = _godunov2(zr[0][x], zr[1][x], v, zr[3][x], zr[4][x], g.iz, s)
            if g.has_y:
                g2 = g2 + _godunov2(yr[0][x], yr[1][x], v, yr[3][x], yr[4][x], g.iy, s)
            g2 = g2 + _godunov2(row[xo[x]], row[xo[x + 1]], v, row[xo[x + 3]], row[xo[x + 4]], g.ix, s)
            dst[i] = v - dtau * s * (sqrt(g2) - 1.0)
        else:                             # near: subcell fix towards D = phi0 / |grad phi0|
            s = 1.0 if c > 0.0 else (-1.0 if c < 0.0 else 0.0)
            dst[i] = v - near_fac * (s * fabs(v) - c)


cdef void _finish_row(const double* src, double* dst, const unsigned char* active, double band,
                      Py_ssize_t r, Py_ssize_t nx) noexcept nogil:
    """dst row = clip(src row, -band, band); rows flagged inactive come from dst itself."""
    cdef Py_ssize_t x, i, off = r * nx
    cdef double v
    if active != NULL and not active[r]:
        src = dst
    if src == dst and band == INFINITY:
        return
    for x in range(nx):
        i = off + x
        v = src[i]
        if v > band:
            v = band
        elif v < -band:
            v = -band
        dst[i] = v


# --------------------------------------------------------------------------- validation

cdef object _volume(str name, object a, object shape, object dtype, bint writable=False):
    if not isinstance(a, np.ndarray):
        raise ValueError(f"{name} must be a numpy array, got {type(a).__name__}")
    if a.dtype != dtype:
        raise ValueError(f"{name} must have dtype {np.dtype(dtype)}, got {a.dtype}")
    if a.ndim != 3 or (shape is not None and a.shape != shape):
        raise ValueError(f"{name} must have shape {shape if shape is not None else '(nz, ny, nx)'}, got {a.shape}")
    if not a.flags.c_contiguous:
        raise ValueError(f"{name} must be C-contiguous")
    if writable and not a.flags.writeable:
        raise ValueError(f"{name} must be writable")
    if a.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {a.shape}")
    return a


cdef void _distinct(list named) except *:
    cdef Py_ssize_t i, j
    for i in range(len(named)):
        for j in range(i + 1, len(named)):
            if np.may_share_memory(named[i][1], named[j][1]):
                raise ValueError(f"{named[i][0]} and {named[j][0]} must not overlap in memory")


cdef tuple _spacing(object spacing):
    try:
        dz, dy, dx = (float(s) for s in spacing)
    except (TypeError, ValueError):
        raise ValueError(f"spacing must be a (dz, dy, dx) tuple of floats, got {spacing!r}") from None
    for v in (dz, dy, dx):
        if not (math.isfinite(v) and v > 0.0):
            raise ValueError(f"spacing must be positive and finite, got {spacing!r}")
    return dz, dy, dx


cdef double _band(object band) except? -1.0:
    b = float(band)
    if math.isnan(b) or b < 0.0:
        raise ValueError(f"band must be >= 0 (or inf), got {band!r}")
    return b


cdef tuple _directions(object directions, object weights):
    d = np.ascontiguousarray(directions, dtype=np.float64)
    if d.size == 0:
        d = d.reshape(0, 3)
    if d.ndim != 2 or d.shape[1] != 3:
        raise ValueError(f"directions must have shape (K, 3), got {np.shape(directions)}")
    w = np.ascontiguousarray(weights, dtype=np.float64).reshape(-1)
    if w.shape[0] != d.shape[0]:
        raise ValueError(f"weights must have shape ({d.shape[0]},), got {np.shape(weights)}")
    if d.shape[0] > 32:
        raise ValueError(f"directions: at most 32 directions (vis is uint32), got {d.shape[0]}")
    if not (np.all(np.isfinite(d)) and np.all(np.isfinite(w))):
        raise ValueError("directions and weights must be finite")
    return d, w


cdef class _Setup:
    """Grid + rates for one call; owns the x offset table."""
    cdef Grid g
    cdef Rates rt
    cdef Py_ssize_t* xo
    cdef unsigned char* active     # per x-row: has a node with |phi| <= band
    cdef object keep

    def __cinit__(self):
        self.xo = NULL
        self.active = NULL

    def __dealloc__(self):
        if self.xo != NULL:
            free(self.xo)
        if self.active != NULL:
            free(self.active)

    cdef void init_grid(self, tuple shape, tuple h, double band, int order) except *:
        cdef Py_ssize_t j, nx = shape[2]
        self.g.nz = shape[0]
        self.g.ny = shape[1]
        self.g.nx = nx
        self.g.has_y = shape[1] > 1
        self.g.order = order
        self.g.iz = 1.0 / h[0]
        self.g.iy = 1.0 / h[1]
        self.g.ix = 1.0 / h[2]
        self.g.band = band
        self.xo = <Py_ssize_t*>malloc((nx + 4) * sizeof(Py_ssize_t))
        if self.xo == NULL:
            raise MemoryError()
        for j in range(nx + 4):
            self.xo[j] = ((j - 2) % nx + nx) % nx
        self.g.xo = self.xo
        self.active = <unsigned char*>malloc(self.g.nz * self.g.ny)
        if self.active == NULL:
            raise MemoryError()

    cdef void init_rates(self, object phi, object f_iso, object f_dir, object vis, object directions,
                         object weights, bint distance) except *:
        cdef const double[:, :, ::1] fi
        cdef const double[:, :, ::1] fd
        cdef const uint32_t[:, :, ::1] vv
        cdef const double[:, ::1] dd
        cdef const double[::1] ww
        shape = phi.shape
        _volume("f_iso", f_iso, shape, np.float64)
        _volume("f_dir", f_dir, shape, np.float64)
        if vis is not None:
            _volume("vis", vis, shape, np.uint32)
        d, w = _directions(directions, weights)
        self.keep = (f_iso, f_dir, vis, d, w)
        fi = f_iso
        fd = f_dir
        self.rt.f_iso = &fi[0, 0, 0]
        self.rt.f_dir = &fd[0, 0, 0]
        if vis is None:
            self.rt.vis = NULL
        else:
            vv = vis
            self.rt.vis = &vv[0, 0, 0]
        self.rt.K = d.shape[0]
        self.rt.distance = distance
        if d.shape[0] > 0:
            dd = d
            ww = w
            self.rt.dirs = &dd[0, 0]
            self.rt.w = &ww[0]
        else:
            self.rt.dirs = NULL
            self.rt.w = NULL


cdef int _order(object order) except -1:
    if order not in (1, 2):
        raise ValueError(f"order must be 1 or 2, got {order!r}")
    return int(order)


# --------------------------------------------------------------------------- public API

def hamiltonian(phi, spacing, f_iso, f_dir, vis, directions, weights, band, order, out, bint distance=False):
    """Fill ``out`` with H(phi) at every node (0 where ``|phi| > band``).

    phi, f_iso, f_dir, out: float64 (nz, ny, nx) C-contiguous; vis: uint32 volume or None
    (all visible); directions (K, 3) float64 (z, y, x); weights (K,); spacing (dz, dy, dx);
    band nm (inf: all nodes); order 1 or 2; ``distance``: phi is a signed distance, so the
    isotropic term is ``f_iso`` itself (G = |grad phi| = 1). Returns ``out``.
    """
    _volume("phi", phi, None, np.float64)
    _volume("out", out, phi.shape, np.float64, True)
    _distinct([("phi", phi), ("out", out)])
    cdef _Setup s = _Setup()
    s.init_grid(phi.shape, _spacing(spacing), _band(band), _order(order))
    s.init_rates(phi, f_iso, f_dir, vis, directions, weights, distance)
    cdef const double[:, :, ::1] p = phi
    cdef double[:, :, ::1] o = out
    cdef const double* pp = &p[0, 0, 0]
    cdef double* op = &o[0, 0, 0]
    cdef Py_ssize_t r, nrows = s.g.nz * s.g.ny
    cdef Grid* g = &s.g
    cdef Rates* rt = &s.rt
    for r in prange(nrows, nogil=True, schedule="dynamic", chunksize=4):
        _ham_row(pp, op, r, g, rt)
    return out


def rk2_step(phi, double dt, spacing, f_iso, f_dir, vis, directions, weights, band, order, work1, work2,
             bint distance=False):
    """Advance ``phi`` in place by one Heun step of ``phi_t + H(phi) = 0`` (``distance``: as
    in :func:`hamiltonian`).

    ``work1`` / ``work2``: float64 scratch volumes of phi's shape, distinct from phi and
    from each other (``work1`` receives the first stage; ``work2`` is accepted for API
    stability and left untouched by the current scheme). Returns ``phi``.
    """
    _volume("phi", phi, None, np.float64, True)
    _volume("work1", work1, phi.shape, np.float64, True)
    _volume("work2", work2, phi.shape, np.float64, True)
    _distinct([("phi", phi), ("work1", work1), ("work2", work2)])
    if not (math.isfinite(dt) and dt >= 0.0):
        raise ValueError(f"dt must be finite and >= 0, got {dt!r}")
    cdef _Setup s = _Setup()
    s.init_grid(phi.shape, _spacing(spacing), _band(band), _order(order))
    s.init_rates(phi, f_iso, f_dir, vis, directions, weights, distance)
    cdef double[:, :, ::1] p = phi
    cdef double[:, :, ::1] w1 = work1
    cdef double* pp = &p[0, 0, 0]
    cdef double* qp = &w1[0, 0, 0]
    cdef Py_ssize_t r, nrows = s.g.nz * s.g.ny
    cdef Grid* g = &s.g
    cdef Rates* rt = &s.rt
    cdef unsigned char* act = s.active
    for r in prange(nrows, nogil=True, schedule="dynamic", chunksize=4):
        _stage1_row(pp, qp, act, dt, r, g, rt)
    for r in prange(nrows, nogil=True, schedule="dynamic", chunksize=4):
        _stage2_row(pp, qp, act, dt, r, g, rt)
    return phi


def reinitialize(phi, spacing, int iterations, band, work1, work2, bint keep_near=False, reach=None):
    """Re-initialise ``phi`` in place towards a signed distance with the same zero level.

    Russo & Smereka (2000) with the subcell fix (du Chene, Min & Gibou 2008), Jacobi
    iterations of pseudo-time step ``0.45 min(h)`` (min over the axes with derivatives).
    phi0 (the value on entry) decides: nodes with a sign change of phi0 to an axis
    neighbour (or phi0 == 0) start at, and relax towards, ``phi0 / |grad phi0|`` (with
    ``keep_near``: stay at phi0); the other nodes with ``|phi0| > band`` keep phi0; the
    rest take the upwind ENO2 Godunov step. After the last iteration every value is
    clipped to ``[-band, band]`` (finite band). ``iterations == 0`` only clips.

    ``reach`` (cells, optional) freezes instead the nodes (not near) that no node with
    ``|phi0| < band`` or near reaches within ``reach`` cells along every axis (a box;
    y and x periodic): clipped values at the band's edge then rejoin it as the surface
    comes towards them, and the rest of the volume is not iterated at all.

    ``work1``, ``work2``: float64 scratch volumes of phi's shape (``work1`` is the second
    iterate buffer, ``work2`` holds the per-node near / far / frozen code). Returns ``phi``.
    """
    _volume("phi", phi, None, np.float64, True)
    _volume("work1", work1, phi.shape, np.float64, True)
    _volume("work2", work2, phi.shape, np.float64, True)
    _distinct([("phi", phi), ("work1", work1), ("work2", work2)])
    if iterations < 0:
        raise ValueError(f"iterations must be >= 0, got {iterations}")
    h = _spacing(spacing)
    cdef double bnd = _band(band)
    cdef _Setup s = _Setup()
    s.init_grid(phi.shape, h, bnd, 2)
    hmin = min(h[0], h[2]) if phi.shape[1] == 1 else min(h)
    cdef double dtau = 0.45 * hmin
    cdef double near_fac = dtau / hmin
    cdef double[:, :, ::1] p = phi
    cdef double[:, :, ::1] a1 = work1
    cdef double[:, :, ::1] a2 = work2
    cdef double* pp = &p[0, 0, 0]
    cdef double* q1 = &a1[0, 0, 0]
    cdef double* code = &a2[0, 0, 0]
    cdef double* src
    cdef double* dst
    cdef double* tmp
    cdef Py_ssize_t r, nrows = s.g.nz * s.g.ny, nx = s.g.nx
    cdef Grid* g = &s.g
    cdef int it
    cdef unsigned char* act = s.active
    if iterations == 0:
        for r in prange(nrows, nogil=True, schedule="static"):
            _finish_row(pp, pp, NULL, bnd, r, nx)
        return phi
    cdef Py_ssize_t k = -1
    cdef unsigned char* m0 = NULL
    cdef unsigned char* m1 = NULL
    if reach is not None:
        if int(reach) < 0:
            raise ValueError(f"reach must be >= 0 cells or None, got {reach!r}")
        k = int(reach)
        m0 = <unsigned char*>malloc(nrows * nx)
        m1 = <unsigned char*>malloc(nrows * nx)
        if m0 == NULL or m1 == NULL:
            free(m0)
            free(m1)
            raise MemoryError()
    for r in prange(nrows, nogil=True, schedule="dynamic", chunksize=4):
        _reinit_setup_row(pp, code, q1, act, m0, keep_near, r, g)
    if k >= 0:
        for r in prange(nrows, nogil=True, schedule="static"):
            _dilate_x_row(m0, m1, k, r, g)
        if s.g.has_y:
            for r in prange(nrows, nogil=True, schedule="static"):
                _dilate_yz_row(m1, m0, k, 1, r, g)
        else:
            m0, m1 = m1, m0
        for r in prange(nrows, nogil=True, schedule="static"):
            _dilate_yz_row(m0, m1, k, 0, r, g)
        for r in prange(nrows, nogil=True, schedule="static"):
            _freeze_row(m1, code, act, r, nx)
        free(m0)
        free(m1)
    # the first iterate is in work1; phi holds phi0 and is the second buffer (its frozen
    # nodes, never written, are phi0 in both)
    src = q1
    dst = pp
    for it in range(iterations):
        for r in prange(nrows, nogil=True, schedule="dynamic", chunksize=4):
            _reinit_iter_row(src, pp, dst, code, act, dtau, near_fac, r, g)
        tmp = src
        src = dst
        dst = tmp
    # the last iterate is in src (active rows; inactive ones are still phi0 in phi)
    for r in prange(nrows, nogil=True, schedule="static"):
        _finish_row(src, pp, act, bnd, r, nx)
    return phi


def cfl_dt(spacing, ny, f_iso_max, f_dir_max, directions, weights, cfl=0.5):
    """Largest stable step ``cfl / alpha`` (inf when every rate is zero), with

    ``alpha = f_iso_max sqrt(sum_a 1/h_a^2) + f_dir_max sum_k w_k sum_a |d_ka| / h_a``
    over the axes z, y, x (y omitted when ``ny == 1``).
    """
    h = _spacing(spacing)
    d, w = _directions(directions, weights)
    fi = float(f_iso_max)
    fd = float(f_dir_max)
    c = float(cfl)
    if not (math.isfinite(fi) and fi >= 0.0 and math.isfinite(fd) and fd >= 0.0):
        raise ValueError(f"f_iso_max and f_dir_max must be finite and >= 0, got {f_iso_max!r}, {f_dir_max!r}")
    if not (math.isfinite(c) and c > 0.0):
        raise ValueError(f"cfl must be positive and finite, got {cfl!r}")
    axes = [0, 2] if int(ny) == 1 else [0, 1, 2]
    inv = np.array([1.0 / h[a] for a in axes])
    alpha = fi * float(np.sqrt(np.sum(inv ** 2)))
    alpha += fd * float(np.sum(w * (np.abs(d[:, axes]) @ inv)))
    return math.inf if alpha == 0.0 else c / alpha


# --------------------------------------------------------------------------- visibility

cdef void _shift_y_row(const float* a, float* out, Py_ssize_t y, Py_ssize_t ny, Py_ssize_t nx,
                       Py_ssize_t i0, float w0, float w1, int frac) noexcept nogil:
    """out row y = a shifted by s = i0 + f rows (periodic): (1 - f) a[y - i0] + f a[y - i0 - 1]."""
    cdef Py_ssize_t ya = (y - i0) % ny, yb, x
    if ya < 0:
        ya = ya + ny
    yb = ya - 1 if ya > 0 else ny - 1
    cdef const float* ra = a + ya * nx
    cdef const float* rb = a + yb * nx
    cdef float* ro = out + y * nx
    if frac:
        for x in range(nx):
            ro[x] = w0 * ra[x] + w1 * rb[x]
    else:
        for x in range(nx):
            ro[x] = ra[x]


cdef void _shift_x(const float* row, float* out, Py_ssize_t nx, Py_ssize_t i0, float w0, float w1,
                   int frac) noexcept nogil:
    """out = row shifted by s = i0 + f cells (periodic): out[x] = (1 - f) row[x - i0] +
    f row[x - i0 - 1], in three contiguous runs (no per-cell modulo)."""
    cdef Py_ssize_t x, i = i0 % nx
    if i < 0:
        i = i + nx
    if not frac:
        for x in range(i, nx):
            out[x] = row[x - i]
        for x in range(i):
            out[x] = row[x - i + nx]
        return
    for x in range(i + 1, nx):
        out[x] = w0 * row[x - i] + w1 * row[x - i - 1]
    out[i] = w0 * row[0] + w1 * row[nx - 1]
    for x in range(i):
        out[x] = w0 * row[x - i + nx] + w1 * row[x - i + nx - 1]


cdef void _visibility_row(const unsigned char* solid, float* entered, float* shadow, const float* ent_y,
                          const float* sha_y, float* scratch, uint32_t* out, uint32_t bit, Py_ssize_t iz,
                          Py_ssize_t y, Py_ssize_t ny, Py_ssize_t nx, int shift_x, Py_ssize_t i0,
                          float w0, float w1, int frac) noexcept nogil:
    """Carry the two ray states of row y to plane iz (x shift of the y-shifted rows), then
    update them with the plane's solid and set ``bit`` where the node is lit."""
    cdef Py_ssize_t x, off = y * nx, i = (iz * ny + y) * nx
    cdef float* e = entered + off
    cdef float* s = shadow + off
    cdef float f, t
    if shift_x:
        _shift_x(ent_y + off, scratch, nx, i0, w0, w1, frac)
        for x in range(nx):
            e[x] = scratch[x]
        _shift_x(sha_y + off, scratch, nx, i0, w0, w1, frac)
        for x in range(nx):
            s[x] = scratch[x]
    elif ent_y != entered:
        for x in range(nx):
            e[x] = ent_y[off + x]
            s[x] = sha_y[off + x]
    for x in range(nx):
        f = 1.0 if solid[i + x] else 0.0
        t = e[x] if e[x] < 1.0 - f else 1.0 - f
        if t > s[x]:
            s[x] = t
        if f > e[x]:
            e[x] = f
        if s[x] < 0.5:
            out[i + x] = out[i + x] | bit


def visibility(solid, spacing, directions):
    """uint32 (nz, ny, nx) with bit k set where direction k reaches the node.

    The scheme of :func:`litho.etch.visibility.visibility` (two float32 ray states per
    column, "entered solid" and "in shadow", carried plane by plane from the top by the
    ray's lateral displacement with periodic linear interpolation, y then x), with the
    same float32 operations: the same result. Plane by plane with every direction at
    once (the plane's solid and output stay in cache), rows in parallel. ``solid``: bool
    or uint8 volume; ``directions`` (K <= 32, 3) with positive z components.
    """
    sol = np.ascontiguousarray(solid)
    sol = sol.view(np.uint8) if sol.dtype == np.bool_ else np.ascontiguousarray(sol, dtype=np.uint8)
    if sol.ndim != 3 or sol.size == 0:
        raise ValueError(f"solid must be a non-empty (nz, ny, nx) volume, got shape {np.shape(solid)}")
    dz, dy, dx = _spacing(spacing)
    d, _ = _directions(directions, np.ones(np.asarray(directions).reshape(-1, 3).shape[0]))
    if d.shape[0] and not np.all(d[:, 0] > 0):
        raise ValueError("directions must point down (positive z component)")
    cdef Py_ssize_t nz = sol.shape[0], ny = sol.shape[1], nx = sol.shape[2], K = d.shape[0], k, iz, y
    out = np.zeros((nz, ny, nx), dtype=np.uint32)
    if K == 0:
        return out
    cdef const unsigned char[:, :, ::1] sv = sol
    cdef uint32_t[:, :, ::1] ov = out
    cdef const unsigned char* sp = &sv[0, 0, 0]
    cdef uint32_t* op = &ov[0, 0, 0]
    # per direction: entered, shadow, and their y-shifted copies
    planes = np.zeros((K, 4, ny, nx), dtype=np.float32)
    scratch = np.zeros((64 * nx,), dtype=np.float32)   # one x-row per thread (<= 64 threads)
    cdef float[:, :, :, ::1] pv = planes
    cdef float[::1] scv = scratch
    cdef float* base = &pv[0, 0, 0, 0]
    cdef float* scr = &scv[0]
    cdef Py_ssize_t plane = ny * nx
    shifts = []
    for k in range(K):
        sy = dz * d[k, 1] / d[k, 0] / dy
        sx = dz * d[k, 2] / d[k, 0] / dx
        shifts.append((sy, sx))
    cdef Py_ssize_t[::1] iy0 = np.array([math.floor(a) for a, _ in shifts], dtype=np.intp)
    cdef Py_ssize_t[::1] ix0 = np.array([math.floor(b) for _, b in shifts], dtype=np.intp)
    cdef float[::1] wy1 = np.array([a - math.floor(a) for a, _ in shifts], dtype=np.float32)
    cdef float[::1] wy0 = np.array([1.0 - (a - math.floor(a)) for a, _ in shifts], dtype=np.float32)
    cdef float[::1] wx1 = np.array([b - math.floor(b) for _, b in shifts], dtype=np.float32)
    cdef float[::1] wx0 = np.array([1.0 - (b - math.floor(b)) for _, b in shifts], dtype=np.float32)
    cdef unsigned char[::1] shy = np.array([a != 0.0 and ny > 1 for a, _ in shifts], dtype=np.uint8)
    cdef unsigned char[::1] shx = np.array([b != 0.0 and nx > 1 for _, b in shifts], dtype=np.uint8)
    cdef unsigned char[::1] fy = np.array([a != math.floor(a) for a, _ in shifts], dtype=np.uint8)
    cdef unsigned char[::1] fx = np.array([b != math.floor(b) for _, b in shifts], dtype=np.uint8)
    cdef int tid
    cdef float* st
    for iz in range(nz):
        if iz:
            for y in prange(ny, nogil=True, schedule="static"):
                for k in range(K):
                    if shy[k]:
                        st = base + 4 * k * plane
                        _shift_y_row(st, st + 2 * plane, y, ny, nx, iy0[k], wy0[k], wy1[k], fy[k])
                        _shift_y_row(st + plane, st + 3 * plane, y, ny, nx, iy0[k], wy0[k], wy1[k], fy[k])
        for y in prange(ny, nogil=True, schedule="static"):
            tid = openmp_thread()
            for k in range(K):
                st = base + 4 * k * plane
                if iz and shy[k]:
                    _visibility_row(sp, st, st + plane, st + 2 * plane, st + 3 * plane, scr + (tid % 64) * nx,
                                    op, (<uint32_t>1) << k, iz, y, ny, nx, shx[k] and iz > 0, ix0[k], wx0[k],
                                    wx1[k], fx[k])
                else:
                    _visibility_row(sp, st, st + plane, st, st + plane, scr + (tid % 64) * nx,
                                    op, (<uint32_t>1) << k, iz, y, ny, nx, shx[k] and iz > 0, ix0[k], wx0[k],
                                    wx1[k], fx[k])
    return out
