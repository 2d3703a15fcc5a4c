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
computed independently, so the result does not depend on the thread count). The per-row
work is C (the verbatim block below): each row is computed whole with branch-free
selects, so that GCC vectorises it (``target_clones`` builds AVX-512, AVX2 and baseline
versions and picks one at load time; ``-fno-trapping-math`` lets it turn the selects into
blends), and the band is applied afterwards by a select; rows with no band node are
skipped after one scan. The x neighbours come from a copy of the row with two periodic
ghosts each side (per-thread scratch), so no node needs an index table. Nothing is
allocated per node or per row; ``rk2_step`` writes the first stage into ``work1`` and the
second stage straight into ``phi`` (it reads ``work1`` only, and ``phi`` only at the node
itself), so ``work2`` is not needed by the current scheme.

Measured on the 2-core development machine (256 x 256 x 129 nodes, most in the band): a
Heun step about 45 ms, a re-initialisation iteration about 5 ns per node and thread. Both
are bound by arithmetic, not memory: processing the z planes as a wavefront (the stages
or the iterations two planes apart, in cache) measured no faster.
"""

from cython.parallel cimport prange, threadid as openmp_thread
from libc.math cimport fabs, INFINITY
from libc.stdint cimport uint32_t
from libc.stdlib cimport malloc, free
from libc.string cimport memcpy, memset

cdef extern from *:
    """
    #include <stdint.h>
    #include <string.h>
    #include <math.h>
    #ifdef _OPENMP
    #include <omp.h>
    static int ls_max_threads(void) { return omp_get_max_threads(); }
    #else
    static int ls_max_threads(void) { return 1; }
    #endif

    #if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
    #define LS_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
    #else
    #define LS_CLONES
    #endif
    #define LS_INLINE static inline __attribute__((always_inline))

    /* Per-call constants of the Hamiltonian; per ion direction k and axis a (z, y, x):
       cm[3k + a] = max(d_ka, 0), cp[3k + a] = min(d_ka, 0), so that the upwind advection
       term sum_a d_ka U_ka is sum_a cm Dm + cp Dp (one of the two products is exactly 0). */
    typedef struct {
        int distance, K;
        double iz, iy, ix;
        const double *cm, *cp, *w;
    } ls_par;

    LS_INLINE double ls_minmod(double a, double b) {
        double m = fabs(a) < fabs(b) ? a : b;
        return a * b <= 0.0 ? 0.0 : m;
    }

    LS_INLINE void ls_eno(double a, double b, double c, double d, double e, double ih, int order,
                          double *dm, double *dp) {
        double m = c - b, p = d - c;
        if (order == 2) {
            m = m + 0.5 * ls_minmod(c - 2.0 * b + a, d - 2.0 * c + b);
            p = p - 0.5 * ls_minmod(d - 2.0 * c + b, e - 2.0 * d + c);
        }
        *dm = m * ih;
        *dp = p * ih;
    }

    /* pad[j] = row[(j - 2) mod n] for j = 0 .. n + 3: the x-row with two periodic ghosts
       each side, so that every node's x stencil is pad[x .. x + 4] */
    LS_INLINE void ls_pad(const double *row, Py_ssize_t n, double *restrict pad) {
        memcpy(pad + 2, row, (size_t) n * sizeof(double));
        for (Py_ssize_t j = 0; j < 2; j++) {
            pad[j] = row[((j - 2) % n + n) % n];
            pad[n + 2 + j] = row[j % n];
        }
    }

    #define LS_CHUNK 8   /* nodes per chunk: one AVX-512 vector of doubles */

    /* Whether a chunk [x0, x0 + len) holds a node with |m1| <= band (and |m2| <= band when
       m2 is not NULL): the nodes whose H is used. NaN counts as in the band. */
    LS_INLINE int ls_chunk_in_band(const double *m1, const double *m2, Py_ssize_t x0, Py_ssize_t len,
                                   double band) {
        int any = 0;
        for (Py_ssize_t x = x0; x < x0 + len; x++)
            any |= !(fabs(m1[x]) > band) & (m2 == NULL || !(fabs(m2[x]) > band));
        return any;
    }

    /* H on the nodes [x0, x1) of a row into h, the one-sided differences into the scratch
       rows d[0..5] (z-, z+, y-, y+, x-, x+); branch-free: the loops vectorise */
    LS_INLINE void ls_h_span(const double **zr, const double **yr, const double *pad, const double *fi,
                             const double *fd, const uint32_t *vis, const ls_par *P, double *restrict h,
                             double *restrict d, Py_ssize_t n, Py_ssize_t x0, Py_ssize_t x1,
                             const int order, const int has_y, const int one) {
        const double *z0 = zr[0], *z1 = zr[1], *c = zr[2], *z3 = zr[3], *z4 = zr[4];
        const double *y0 = yr[0], *y1 = yr[1], *y3 = yr[3], *y4 = yr[4];
        const double iz = P->iz, iy = P->iy, ix = P->ix;
        const int distance = P->distance, K = P->K;
        double *dmz = d, *dpz = d + n, *dmy = d + 2 * n, *dpy = d + 3 * n, *dmx = d + 4 * n, *dpx = d + 5 * n;
        /* one ion direction: its advection term sum_a d_a U_a is formed here (into dmz),
           instead of storing the six differences for the direction loop */
        const double ozm = one ? P->cm[0] : 0.0, ozp = one ? P->cp[0] : 0.0, oym = one ? P->cm[1] : 0.0;
        const double oyp = one ? P->cp[1] : 0.0, oxm = one ? P->cm[2] : 0.0, oxp = one ? P->cp[2] : 0.0;
        #pragma GCC ivdep
        for (Py_ssize_t x = x0; x < x1; x++) {
            double cv = c[x], mz, pz, my = 0.0, py = 0.0, mx, px, a, b, g2;
            ls_eno(z0[x], z1[x], cv, z3[x], z4[x], iz, order, &mz, &pz);
            ls_eno(pad[x], pad[x + 1], cv, pad[x + 3], pad[x + 4], ix, order, &mx, &px);
            a = mz > 0.0 ? mz : 0.0;
            b = pz < 0.0 ? pz : 0.0;
            g2 = a * a + b * b;
            if (has_y) {
                ls_eno(y0[x], y1[x], cv, y3[x], y4[x], iy, order, &my, &py);
                a = my > 0.0 ? my : 0.0;
                b = py < 0.0 ? py : 0.0;
                g2 = g2 + (a * a + b * b);
            }
            a = mx > 0.0 ? mx : 0.0;
            b = px < 0.0 ? px : 0.0;
            g2 = g2 + (a * a + b * b);
            double gn = sqrt(g2);         /* unconditional: a conditional sqrt is not vectorised */
            h[x] = distance ? fi[x] : fi[x] * gn;
            if (one) {
                double along = ozm * mz + ozp * pz;
                if (has_y)
                    along = along + (oym * my + oyp * py);
                dmz[x] = along + (oxm * mx + oxp * px);
            } else {
                dmz[x] = mz; dpz[x] = pz; dmy[x] = my; dpy[x] = py; dmx[x] = mx; dpx[x] = px;
            }
        }
        if (one) {
            const double wk = P->w[0];
            #pragma GCC ivdep
            for (Py_ssize_t x = x0; x < x1; x++) {
                double along = dmz[x];
                uint32_t lit = vis[x] & 1u;
                double t = h[x] + along * (fd[x] * wk);
                h[x] = (lit && along > 0.0) ? t : h[x];
            }
            return;
        }
        /* directions four at a time (the differences loaded once per group; cm, cp and w
           are padded with zero-weight directions to a multiple of 4, which add exactly 0) */
        for (int k = 0; k < K; k += 4) {
            double zm[4], zp[4], ym[4], yp[4], xm[4], xp[4], wk[4];
            for (int j = 0; j < 4; j++) {
                zm[j] = P->cm[3 * (k + j)]; zp[j] = P->cp[3 * (k + j)];
                ym[j] = P->cm[3 * (k + j) + 1]; yp[j] = P->cp[3 * (k + j) + 1];
                xm[j] = P->cm[3 * (k + j) + 2]; xp[j] = P->cp[3 * (k + j) + 2];
                wk[j] = P->w[k + j];
            }
            #pragma GCC ivdep
            for (Py_ssize_t x = x0; x < x1; x++) {
                double hx = h[x], f = fd[x];
                double a0 = dmz[x], b0 = dpz[x], a1 = dmy[x], b1 = dpy[x], a2 = dmx[x], b2 = dpx[x];
                uint32_t bits = vis[x] >> k;
                for (int j = 0; j < 4; j++) {
                    double along = zm[j] * a0 + zp[j] * b0;
                    if (has_y)
                        along = along + (ym[j] * a1 + yp[j] * b1);
                    along = along + (xm[j] * a2 + xp[j] * b2);
                    double t = hx + along * (f * wk[j]);
                    hx = (((bits >> j) & 1u) && along > 0.0) ? t : hx;
                }
                h[x] = hx;
            }
        }
    }

    /* H into h on the runs of chunks of an x-row that hold a node with |m1| <= band (and
       |m2| <= band when m2 is not NULL), see the module docstring; h elsewhere is left as
       it was (the callers select it away). zr / yr: the rows at z-2..z+2 and y-2..y+2
       (zr[2] the row itself); vis: the row's visibility bits; s: scratch of
       7 n + 4 doubles (the padded row, then the differences). */
    LS_INLINE void ls_h_row_impl(const double **zr, const double **yr, const double *fi, const double *fd,
                                 const uint32_t *vis, Py_ssize_t n, const ls_par *P, const double *m1,
                                 const double *m2, double band, double *restrict s, double *restrict h,
                                 const int order, const int has_y) {
        if (P->distance && P->K == 0) {
            for (Py_ssize_t x = 0; x < n; x++)
                h[x] = fi[x];
            return;
        }
        ls_pad(zr[2], n, s);
        Py_ssize_t x0 = 0;
        while (x0 < n) {
            Py_ssize_t len = n - x0 < LS_CHUNK ? n - x0 : LS_CHUNK;
            if (!ls_chunk_in_band(m1, m2, x0, len, band)) {
                x0 += len;
                continue;
            }
            Py_ssize_t x1 = x0 + len;     /* extend the run over the following band chunks */
            while (x1 < n) {
                len = n - x1 < LS_CHUNK ? n - x1 : LS_CHUNK;
                if (!ls_chunk_in_band(m1, m2, x1, len, band))
                    break;
                x1 += len;
            }
            if (P->K == 1)
                ls_h_span(zr, yr, s, fi, fd, vis, P, h, s + n + 4, n, x0, x1, order, has_y, 1);
            else
                ls_h_span(zr, yr, s, fi, fd, vis, P, h, s + n + 4, n, x0, x1, order, has_y, 0);
            x0 = x1;
        }
    }

    static LS_CLONES void ls_h_row(const double **zr, const double **yr, const double *fi, const double *fd,
                                   const uint32_t *vis, Py_ssize_t n, const ls_par *P, const double *m1,
                                   const double *m2, double band, double *pad, double *h, int order, int has_y) {
        #define LS_H(O, Y) ls_h_row_impl(zr, yr, fi, fd, vis, n, P, m1, m2, band, pad, h, O, Y)
        if (order == 2) {
            if (has_y) LS_H(2, 1); else LS_H(2, 0);
        } else {
            if (has_y) LS_H(1, 1); else LS_H(1, 0);
        }
        #undef LS_H
    }

    /* Heun stage 1 on a row: p1 = phi - dt H (band nodes), phi elsewhere */
    static LS_CLONES void ls_stage1(const double *phi, double *restrict p1, const double *h, Py_ssize_t n,
                                    double dt, double band) {
        for (Py_ssize_t x = 0; x < n; x++) {
            double v = phi[x];
            p1[x] = fabs(v) > band ? v : v - dt * h[x];
        }
    }

    /* Heun stage 2 on a row, in place: phi = (phi + p1 - dt H(p1)) / 2 at band nodes
       (H taken as 0 where p1 left the band), phi unchanged elsewhere */
    static LS_CLONES void ls_stage2(double *restrict phi, const double *p1, const double *h, Py_ssize_t n,
                                    double dt, double band) {
        for (Py_ssize_t x = 0; x < n; x++) {
            double v = phi[x], q = p1[x];
            double r = fabs(q) > band ? 0.5 * (v + q) : 0.5 * (v + (q - dt * h[x]));
            phi[x] = fabs(v) > band ? v : r;
        }
    }

    /* Godunov's squared one-sided ENO2 derivative for the sign s = +-1 of phi0 (a..e =
       phi[i-2..i+2]): max(max(s Dm, 0), max(-s Dp, 0))^2, which is s > 0: the larger of
       max(Dm, 0)^2 and min(Dp, 0)^2, s < 0: of min(Dm, 0)^2 and max(Dp, 0)^2 (exactly:
       the products by s are exact and squaring is monotone) in fewer operations */
    LS_INLINE double ls_godunov2(double a, double b, double c, double d, double e, double ih, double s) {
        double dm, dp;
        ls_eno(a, b, c, d, e, ih, 2, &dm, &dp);
        double m = s * dm, p = -s * dp;
        m = m > 0.0 ? m : 0.0;
        p = p > m ? p : m;
        return p * p;
    }

    /* One re-initialisation iteration on a row (the rows of src about it in zr / yr):
       code NaN (frozen) keeps the value, +-inf takes the upwind Godunov step, a finite
       code D relaxes towards it (subcell fix); pad: scratch of n + 4 doubles */
    LS_INLINE void ls_reinit_row_impl(const double **zr, const double **yr, const double *code,
                                      double *restrict dst, Py_ssize_t n, double iz, double iy, double ix,
                                      double dtau, double near_fac, double *restrict pad, const int has_y) {
        const double *z0 = zr[0], *z1 = zr[1], *row = zr[2], *z3 = zr[3], *z4 = zr[4];
        const double *y0 = yr[0], *y1 = yr[1], *y3 = yr[3], *y4 = yr[4];
        ls_pad(row, n, pad);
        for (Py_ssize_t x = 0; x < n; x++) {
            double c = code[x], v = row[x];
            double s = c > 0.0 ? 1.0 : -1.0;
            double g2 = ls_godunov2(z0[x], z1[x], v, z3[x], z4[x], iz, s);
            if (has_y)
                g2 = g2 + ls_godunov2(y0[x], y1[x], v, y3[x], y4[x], iy, s);
            g2 = g2 + ls_godunov2(pad[x], pad[x + 1], v, pad[x + 3], pad[x + 4], ix, s);
            double far = v - dtau * s * (sqrt(g2) - 1.0);
            double sn = c > 0.0 ? 1.0 : (c < 0.0 ? -1.0 : 0.0);
            double close = v - near_fac * (sn * fabs(v) - c);
            double out = fabs(c) == INFINITY ? far : close;
            dst[x] = c != c ? v : out;
        }
    }

    static LS_CLONES void ls_reinit_row(const double **zr, const double **yr, const double *code, double *dst,
                                        Py_ssize_t n, double iz, double iy, double ix, double dtau, double near_fac,
                                        double *pad, int has_y) {
        if (has_y) ls_reinit_row_impl(zr, yr, code, dst, n, iz, iy, ix, dtau, near_fac, pad, 1);
        else ls_reinit_row_impl(zr, yr, code, dst, n, iz, iy, ix, dtau, near_fac, pad, 0);
    }

    /* Square of the largest of the central and the two one-sided differences (>= 1e-12) */
    LS_INLINE double ls_axis_grad2(double p, double mi, double pl, double ih) {
        double a = fabs(pl - mi) * (0.5 * ih), b = fabs(pl - p) * ih;
        a = b > a ? b : a;
        b = fabs(p - mi) * ih;
        a = b > a ? b : a;
        a = a < 1e-12 ? 1e-12 : a;
        return a * a;
    }

    /* Re-initialisation set-up of a row (see _reinit_setup_row); returns whether the row
       has a node that is not frozen */
    LS_INLINE int ls_setup_row_impl(const double **zr, const double **yr, double *restrict code,
                                    double *restrict start, unsigned char *restrict inside, Py_ssize_t n,
                                    double iz, double iy, double ix, double band, double *restrict pad,
                                    const int has_y, const int keep_near, const int with_inside) {
        const double *z1 = zr[1], *row = zr[2], *z3 = zr[3], *y1 = yr[1], *y3 = yr[3];
        int any = 0;
        ls_pad(row, n, pad);
        #pragma GCC ivdep
        for (Py_ssize_t x = 0; x < n; x++) {
            double p = row[x], zm = z1[x], zp = z3[x], xm = pad[x + 1], xp = pad[x + 3], ym = 0.0, yp = 0.0;
            int near = (p == 0.0) | (p * zm <= 0.0) | (p * zp <= 0.0) | (p * xm <= 0.0) | (p * xp <= 0.0);
            if (has_y) {
                ym = y1[x];
                yp = y3[x];
                near = near | (p * ym <= 0.0) | (p * yp <= 0.0);
            }
            double dist = p;
            if (!keep_near) {
                double g0 = ls_axis_grad2(p, zm, zp, iz) + ls_axis_grad2(p, xm, xp, ix);
                if (has_y)
                    g0 = g0 + ls_axis_grad2(p, ym, yp, iy);
                dist = p / sqrt(g0);
                /* underflow: keep the sign of phi0 */
                dist = (dist == 0.0 && p != 0.0) ? copysign(4.9406564584124654e-324, p) : dist;
            }
            double far = copysign(INFINITY, p), ap = fabs(p);
            start[x] = near ? dist : p;
            if (with_inside) {
                inside[x] = (unsigned char) (near | (ap < band));
                code[x] = near ? dist : far;
            } else {
                code[x] = near ? dist : (ap > band ? NAN : far);
                any = any | near | !(ap > band);
            }
        }
        return with_inside ? n > 0 : any;
    }

    static LS_CLONES int ls_setup_row(const double **zr, const double **yr, double *code, double *start,
                                      unsigned char *inside, Py_ssize_t n, double iz, double iy, double ix,
                                      double band, double *pad, int has_y, int keep_near) {
        #define LS_SETUP(Y, K, I) ls_setup_row_impl(zr, yr, code, start, inside, n, iz, iy, ix, band, pad, Y, K, I)
        if (inside) {
            if (has_y) return keep_near ? LS_SETUP(1, 1, 1) : LS_SETUP(1, 0, 1);
            return keep_near ? LS_SETUP(0, 1, 1) : LS_SETUP(0, 0, 1);
        }
        if (has_y) return keep_near ? LS_SETUP(1, 1, 0) : LS_SETUP(1, 0, 0);
        return keep_near ? LS_SETUP(0, 1, 0) : LS_SETUP(0, 0, 0);
        #undef LS_SETUP
    }

    /* dst = src OR-ed over x offsets -k..k (periodic) on a row; pad: scratch of n + 2k bytes */
    static LS_CLONES void ls_dilate_x_row(const unsigned char *src, unsigned char *restrict dst, Py_ssize_t n,
                                          Py_ssize_t k, unsigned char *restrict pad) {
        memcpy(pad + k, src, (size_t) n);
        for (Py_ssize_t j = 0; j < k; j++) {
            pad[j] = src[((j - k) % n + n) % n];
            pad[n + k + j] = src[j % n];
        }
        for (Py_ssize_t x = 0; x < n; x++)
            dst[x] = pad[x];
        for (Py_ssize_t j = 1; j <= 2 * k; j++)
            for (Py_ssize_t x = 0; x < n; x++)
                dst[x] = dst[x] | pad[x + j];
    }

    /* Freeze (code NaN) the nodes of a row that no inside node reaches; returns whether any is left */
    static LS_CLONES int ls_freeze_row(const unsigned char *reach, double *restrict code, Py_ssize_t n) {
        int any = 0;
        for (Py_ssize_t x = 0; x < n; x++) {
            code[x] = reach[x] ? code[x] : NAN;
            any = any | reach[x];
        }
        return any != 0;
    }

    /* Visibility: update a row's two ray states (entered solid e, in shadow s) with the
       plane's solid and set bit where the node is lit (s < 1/2); the float32 operations of
       litho.etch.visibility (selects only: the loop vectorises) */
    static LS_CLONES void ls_vis_update(const unsigned char *solid, float *restrict e, float *restrict s,
                                        uint32_t *restrict out, Py_ssize_t n, uint32_t bit) {
        for (Py_ssize_t x = 0; x < n; x++) {
            float f = solid[x] ? 1.0f : 0.0f, clear = 1.0f - f, ex = e[x], sx = s[x];
            float t = ex < clear ? ex : clear;
            sx = t > sx ? t : sx;
            s[x] = sx;
            e[x] = f > ex ? f : ex;
            out[x] = sx < 0.5f ? out[x] | bit : out[x];
        }
    }

    /* out = w0 a + w1 b (float32), rounded after each product as the array reference is
       (no fused multiply-add in the vector clones) */
    static LS_CLONES __attribute__((optimize("fp-contract=off")))
    void ls_lerp(const float *a, const float *b, float *restrict out, Py_ssize_t n, float w0, float w1) {
        for (Py_ssize_t x = 0; x < n; x++)
            out[x] = w0 * a[x] + w1 * b[x];
    }
    """
    int ls_max_threads() nogil
    ctypedef struct ls_par:
        int distance
        int K
        double iz
        double iy
        double ix
        const double* cm
        const double* cp
        const double* w
    void ls_h_row(const double** zr, const double** yr, const double* fi, const double* fd,
                  const uint32_t* vis, Py_ssize_t n, const ls_par* P, const double* m1, const double* m2,
                  double band, double* pad, double* h, int order, int has_y) noexcept nogil
    void ls_stage1(const double* phi, double* p1, const double* h, Py_ssize_t n, double dt,
                   double band) noexcept nogil
    void ls_stage2(double* phi, const double* p1, const double* h, Py_ssize_t n, double dt,
                   double band) noexcept nogil
    void ls_reinit_row(const double** zr, const double** yr, const double* code, double* dst,
                       Py_ssize_t n, double iz, double iy, double ix, double dtau, double near_fac,
                       double* pad, int has_y) noexcept nogil
    int ls_setup_row(const double** zr, const double** yr, double* code, double* start, unsigned char* inside,
                     Py_ssize_t n, double iz, double iy, double ix, double band, double* pad, int has_y,
                     int keep_near) noexcept nogil
    void ls_dilate_x_row(const unsigned char* src, unsigned char* dst, Py_ssize_t n, Py_ssize_t k,
                         unsigned char* pad) noexcept nogil
    int ls_freeze_row(const unsigned char* reach, double* code, Py_ssize_t n) noexcept nogil
    void ls_lerp(const float* a, const float* b, float* out, Py_ssize_t n, float w0, float w1) noexcept nogil
    void ls_vis_update(const unsigned char* solid, float* e, float* s, uint32_t* out, Py_ssize_t n,
                       uint32_t bit) noexcept nogil


import math

import numpy as np

__all__ = ["hamiltonian", "rk2_step", "reinitialize", "cfl_dt", "visibility", "dilate"]

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


ctypedef struct Rates:
    const double* f_iso
    const double* f_dir
    const uint32_t* vis    # NULL: every direction reaches every node
    const uint32_t* all_lit  # an x-row of set bits, read instead of vis when that is NULL
    ls_par par             # distance flag, 1 / h, the K directions split by sign, weights


# --------------------------------------------------------------------------- helpers

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


cdef inline void _h_row(const double** zr, const double** yr, Py_ssize_t off, const Grid* g,
                        const Rates* rt, const double* m1, const double* m2, double* scr) noexcept nogil:
    """H into ``scr + 7 nx + 4`` (the thread's scratch: the padded row, the differences,
    then H) on the runs of chunks
    of the x-row at flat index ``off`` that hold a node with ``|m1| <= band`` (and
    ``|m2| <= band`` unless NULL); the other chunks are not computed."""
    cdef const uint32_t* vis = rt.all_lit      # no visibility: every direction reaches every node
    if rt.vis != NULL:
        vis = rt.vis + off
    ls_h_row(zr, yr, rt.f_iso + off, rt.f_dir + off, vis, g.nx, &rt.par, m1, m2, g.band, scr,
             scr + 7 * g.nx + 4, g.order, g.has_y)


# --------------------------------------------------------------------------- row passes

cdef void _ham_row(const double* phi, double* out, Py_ssize_t r, const Grid* g,
                   const Rates* rt, double* scr) noexcept nogil:
    cdef const double* zr[5]
    cdef const double* yr[5]
    cdef Py_ssize_t x, nx = g.nx, off = r * nx
    cdef double band = g.band
    cdef double* h = scr + 7 * nx + 4
    if not _row_has_band(phi + off, nx, band):
        memset(out + off, 0, nx * sizeof(double))
        return
    _row_ptrs(phi, phi, NULL, r, g, zr, yr)
    _h_row(zr, yr, off, g, rt, phi + off, NULL, scr)
    for x in range(nx):
        out[off + x] = 0.0 if fabs(phi[off + x]) > band else h[x]


cdef void _stage1_row(const double* phi, double* p1, unsigned char* active, double dt, Py_ssize_t r,
                      const Grid* g, const Rates* rt, double* scr) noexcept nogil:
    """p1 = phi - dt H(phi) on an x-row; a row without band nodes is only flagged inactive
    (its p1 equals phi, and stage 2 reads it from phi)."""
    cdef const double* zr[5]
    cdef const double* yr[5]
    cdef Py_ssize_t nx = g.nx, off = r * nx
    cdef double* h = scr + 7 * nx + 4
    if not _row_has_band(phi + off, nx, g.band):
        active[r] = 0
        return
    active[r] = 1
    _row_ptrs(phi, phi, NULL, r, g, zr, yr)
    _h_row(zr, yr, off, g, rt, phi + off, NULL, scr)
    ls_stage1(phi + off, p1 + off, h, nx, dt, g.band)


cdef void _stage2_row(double* phi, const double* p1, const unsigned char* active, double dt,
                      Py_ssize_t r, const Grid* g, const Rates* rt, double* scr) noexcept nogil:
    """phi = (phi + p1 - dt H(p1)) / 2 on an active x-row (inactive rows: unchanged)."""
    cdef const double* zr[5]
    cdef const double* yr[5]
    cdef Py_ssize_t nx = g.nx, off = r * nx
    cdef double* h = scr + 7 * nx + 4
    if not active[r]:
        return
    # inactive rows are never written in this pass, so phi there is still p1
    _row_ptrs(p1, phi, active, r, g, zr, yr)
    _h_row(zr, yr, off, g, rt, p1 + off, phi + off, scr)
    ls_stage2(phi + off, p1 + off, h, nx, dt, g.band)


cdef void _reinit_setup_row(const double* phi0, double* code, double* start, unsigned char* active,
                            unsigned char* inside, int keep_near, Py_ssize_t r, const Grid* g,
                            double* pad) noexcept nogil:
    """Per node: code = D (near: the target subcell distance, or phi0 with ``keep_near``),
    +-inf (far, sign of phi0) or NaN (frozen: not near and ``|phi0| > band``); start = the
    first iterate (D at near nodes, phi0 elsewhere).

    A row whose nodes are all frozen is flagged inactive: the iterations skip it and
    read it from phi0. With ``inside`` (not NULL), nothing is frozen here: inside = near or
    ``|phi0| < band`` per node, and ``ls_freeze_row`` freezes later from its dilation.
    """
    cdef const double* zr[5]
    cdef const double* yr[5]
    cdef Py_ssize_t off = r * g.nx
    _row_ptrs(phi0, phi0, NULL, r, g, zr, yr)
    active[r] = ls_setup_row(zr, yr, code + off, start + off, NULL if inside == NULL else inside + off, g.nx,
                             g.iz, g.iy, g.ix, g.band, pad, g.has_y, keep_near)


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


cdef void _reinit_iter_row(const double* src, const double* phi0, double* dst, const double* code,
                           const unsigned char* active, double dtau, double near_fac, Py_ssize_t r,
                           const Grid* g, double* pad) noexcept nogil:
    """One Jacobi iteration on an active x-row; inactive rows (all frozen) are read from
    ``phi0`` (their values in both iterate buffers); frozen nodes of an active row are
    rewritten with their value (phi0 in both buffers too)."""
    cdef const double* zr[5]
    cdef const double* yr[5]
    cdef Py_ssize_t off = r * g.nx
    if not active[r]:
        return
    _row_ptrs(src, phi0, active, r, g, zr, yr)
    ls_reinit_row(zr, yr, code + off, dst + off, g.nx, g.iz, g.iy, g.ix, dtau, near_fac, pad, g.has_y)


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
    """Grid + rates for one call; owns the per-row band flags."""
    cdef Grid g
    cdef Rates rt
    cdef unsigned char* active     # per x-row: has a node with |phi| <= band
    cdef object keep

    def __cinit__(self):
        self.active = NULL

    def __dealloc__(self):
        if self.active != NULL:
            free(self.active)

    cdef void init_grid(self, tuple shape, tuple h, double band, int order) except *:
        cdef Py_ssize_t nx = shape[2]
        self.g.nz = shape[0]
        self.g.ny = shape[1]
        self.g.nx = nx
        self.g.has_y = shape[1] > 1
        self.g.order = order
        self.g.iz = 1.0 / h[0]
        self.g.iy = 1.0 / h[1]
        self.g.ix = 1.0 / h[2]
        self.g.band = band
        self.active = <unsigned char*>malloc(self.g.nz * self.g.ny)
        if self.active == NULL:
            raise MemoryError()

    cdef void init_rates(self, object phi, object f_iso, object f_dir, object vis, object directions,
                         object weights, bint distance) except *:
        cdef const double[:, :, ::1] fi
        cdef const double[:, :, ::1] fd
        cdef const uint32_t[:, :, ::1] vv
        cdef const uint32_t[::1] lit
        cdef const double[:, ::1] dm
        cdef const double[:, ::1] dp
        cdef const double[::1] ww
        shape = phi.shape
        _volume("f_iso", f_iso, shape, np.float64)
        _volume("f_dir", f_dir, shape, np.float64)
        if vis is not None:
            _volume("vis", vis, shape, np.uint32)
        d, w = _directions(directions, weights)
        # padded with zero-weight directions to a multiple of 4 (the kernel's groups)
        k4 = -(-d.shape[0] // 4) * 4
        cm = np.zeros((k4, 3))
        cp = np.zeros((k4, 3))
        cm[:d.shape[0]] = np.maximum(d, 0.0)
        cp[:d.shape[0]] = np.minimum(d, 0.0)
        w = np.concatenate([w, np.zeros(k4 - d.shape[0])])
        all_lit = np.full(self.g.nx, 0xFFFFFFFF, dtype=np.uint32)
        self.keep = (f_iso, f_dir, vis, cm, cp, w, all_lit)
        lit = all_lit
        self.rt.all_lit = &lit[0]
        fi = f_iso
        fd = f_dir
        self.rt.f_iso = &fi[0, 0, 0]
        self.rt.f_dir = &fd[0, 0, 0]
        if vis is None:
            self.rt.vis = NULL
        else:
            vv = vis
            self.rt.vis = &vv[0, 0, 0]
        self.rt.par.K = d.shape[0]
        self.rt.par.distance = distance
        self.rt.par.iz = self.g.iz
        self.rt.par.iy = self.g.iy
        self.rt.par.ix = self.g.ix
        self.rt.par.cm = NULL
        self.rt.par.cp = NULL
        self.rt.par.w = NULL
        if d.shape[0] > 0:
            dm = cm
            dp = cp
            ww = w
            self.rt.par.cm = &dm[0, 0]
            self.rt.par.cp = &dp[0, 0]
            self.rt.par.w = &ww[0]


cdef object _scratch(Py_ssize_t per_thread):
    """Zeroed per-thread scratch: one block of ``per_thread`` doubles per OpenMP thread."""
    return np.zeros(max(1, ls_max_threads()) * per_thread)


cdef void _box_dilate(unsigned char* a, unsigned char* b, Py_ssize_t k, const Grid* g) except *:
    """b = a OR-ed over a box of k cells about each node along every axis (y and x
    periodic, z ending at the edges; no y extent when ny == 1); a is overwritten."""
    cdef Py_ssize_t r, nx = g.nx, nrows = g.nz * g.ny, bstride = nx + 2 * k
    cdef unsigned char[::1] scratch = np.zeros(max(1, ls_max_threads()) * bstride, dtype=np.uint8)
    cdef unsigned char* bb = &scratch[0]
    for r in prange(nrows, nogil=True, schedule="static"):
        ls_dilate_x_row(a + r * nx, b + r * nx, nx, k, bb + openmp_thread() * bstride)
    if g.has_y:
        for r in prange(nrows, nogil=True, schedule="static"):
            _dilate_yz_row(b, a, k, 1, r, g)
    else:
        memcpy(a, b, nrows * nx)
    for r in prange(nrows, nogil=True, schedule="static"):
        _dilate_yz_row(a, b, k, 0, r, g)


def dilate(mask, k):
    """uint8 (nz, ny, nx): 1 where ``mask`` is set within a box of ``k`` cells along every
    axis (y and x periodic, z ending at the edges; ny == 1: no y extent).

    The maximum filter of a 0/1 volume over (2k + 1)^3 boxes, with scipy.ndimage's modes
    ("nearest", "wrap", "wrap"); the maximum filter of a volume of a few levels is the sum
    of the dilations of its thresholds.
    """
    m = np.ascontiguousarray(mask)
    m = m.view(np.uint8) if m.dtype == np.bool_ else np.ascontiguousarray(m != 0, dtype=np.uint8)
    if m.ndim != 3 or m.size == 0:
        raise ValueError(f"mask must be a non-empty (nz, ny, nx) volume, got shape {np.shape(mask)}")
    if int(k) < 0:
        raise ValueError(f"k must be >= 0 cells, got {k!r}")
    a = m.copy()
    out = np.empty_like(a)
    cdef unsigned char[:, :, ::1] av = a
    cdef unsigned char[:, :, ::1] ov = out
    cdef _Setup s = _Setup()
    s.init_grid(a.shape, (1.0, 1.0, 1.0), INFINITY, 2)
    _box_dilate(&av[0, 0, 0], &ov[0, 0, 0], int(k), &s.g)
    return out


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
    cdef Py_ssize_t stride = 8 * (s.g.nx + 4)
    cdef double[::1] scratch = _scratch(stride)
    cdef double* sb = &scratch[0]
    for r in prange(nrows, nogil=True, schedule="dynamic", chunksize=4):
        _ham_row(pp, op, r, g, rt, sb + openmp_thread() * stride)
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
    cdef Py_ssize_t stride = 8 * (s.g.nx + 4)
    cdef double[::1] scratch = _scratch(stride)
    cdef double* sb = &scratch[0]
    for r in prange(nrows, nogil=True, schedule="dynamic", chunksize=4):
        _stage1_row(pp, qp, act, dt, r, g, rt, sb + openmp_thread() * stride)
    for r in prange(nrows, nogil=True, schedule="dynamic", chunksize=4):
        _stage2_row(pp, qp, act, dt, r, g, rt, sb + openmp_thread() * stride)
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
    cdef Py_ssize_t stride = nx + 4
    cdef double[::1] scratch = _scratch(stride)
    cdef double* sb = &scratch[0]
    for r in prange(nrows, nogil=True, schedule="dynamic", chunksize=4):
        _reinit_setup_row(pp, code, q1, act, m0, keep_near, r, g, sb + openmp_thread() * stride)
    if k >= 0:
        _box_dilate(m0, m1, k, g)
        for r in prange(nrows, nogil=True, schedule="static"):
            act[r] = ls_freeze_row(m1 + r * nx, code + r * nx, nx)
        free(m0)
        free(m1)
    # the first iterate is in work1; phi holds phi0 and is the second buffer (its frozen
    # nodes, never written, are phi0 in both)
    src = q1
    dst = pp
    for it in range(iterations):
        for r in prange(nrows, nogil=True, schedule="dynamic", chunksize=4):
            _reinit_iter_row(src, pp, dst, code, act, dtau, near_fac, r, g, sb + openmp_thread() * stride)
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
        ls_lerp(ra, rb, ro, nx, w0, w1)
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
    ls_lerp(row + 1, row, out + i + 1, nx - i - 1, w0, w1)
    out[i] = w0 * row[0] + w1 * row[nx - 1]
    ls_lerp(row + nx - i, row + nx - i - 1, out, i, w0, w1)


cdef void _visibility_row(const unsigned char* solid, float* entered, float* shadow, const float* ent_y,
                          const float* sha_y, float* scratch, uint32_t* out, uint32_t bit, Py_ssize_t iz,
                          Py_ssize_t y, Py_ssize_t ny, Py_ssize_t nx, int shift_x, Py_ssize_t i0,
                          float w0, float w1, int frac) noexcept nogil:
    """Carry the two ray states of row y to plane iz (x shift of the y-shifted rows), then
    update them with the plane's solid and set ``bit`` where the node is lit."""
    cdef Py_ssize_t x, off = y * nx, i = (iz * ny + y) * nx
    cdef float* e = entered + off
    cdef float* s = shadow + off
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
    ls_vis_update(solid + i, e, s, out + i, nx, bit)


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
    scratch = np.zeros((max(1, ls_max_threads()) * nx,), dtype=np.float32)   # one x-row per thread
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
                    _visibility_row(sp, st, st + plane, st + 2 * plane, st + 3 * plane, scr + tid * nx,
                                    op, (<uint32_t>1) << k, iz, y, ny, nx, shx[k] and iz > 0, ix0[k], wx0[k],
                                    wx1[k], fx[k])
                else:
                    _visibility_row(sp, st, st + plane, st, st + plane, scr + tid * nx,
                                    op, (<uint32_t>1) << k, iz, y, ny, nx, shx[k] and iz > 0, ix0[k], wx0[k],
                                    wx1[k], fx[k])
    return out
