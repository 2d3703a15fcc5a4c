# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Neutralisation step of the post-exposure bake, fused into one pass (CPU, float32).

``litho.resist.peb._neutralise`` writes the exact solution of ``h' = q' = -k h q`` over a
time ``tau`` as about twenty whole-array numpy operations; each bake step runs it over the
whole volume, and there it costs more than the step's FFTs (about 10 ns per voxel and
thread, most of it the passes, not the arithmetic). This kernel evaluates the same
expressions, voxel by voxel, in one pass that the compiler vectorises (AVX-512, AVX2 or
the SSE2 baseline, chosen at run time on x86-64 with GCC) and OpenMP splits between cores.

Arithmetic: float32 throughout, as the numpy path in float32. ``expm1``, ``exp`` and
``log1p`` are evaluated by the polynomials below (branch-free, so that the loop
vectorises; libm calls would not): Cody-Waite reduction ``y = n ln2 + r``, |r| <= ln2/2,
with ``expm1(r) = r P(r)`` (Taylor to r^7, truncation below 2e-8 relative) and the
``2^n`` scale built from its exponent bits; ``log1p(s) = log(u) + (s - (u - 1)) / u``
with ``u = 1 + s`` rounded (the standard correction of the rounding of ``u``) and
``log(u) = e ln2 + 2 atanh(f / (2 + f))``, ``u = 2^e (1 + f)``, 1 + f in [sqrt(1/2),
sqrt(2)) (series to s^9, truncation below 1e-8). Both are within a few float32 ulps of
the correctly rounded values; ``tests/resist/test_resist_peb.py`` checks them against
numpy in float64 and the fused pass against ``_neutralise``.

Ranges: the exponent argument of the neutralisation is ``-k tau |h - q|``, clamped
below at -50 (``expm1(-50) = -1`` to 2e-22: the clamp changes nothing in float32 and
keeps every scale a normal number); the inhibitor's ``exp(x)``, x <= 0, is 0 below
-87 (true value < 2e-38). ``log1p`` is only called on values > -1/2 (module docstring of
``litho.resist.peb``) and gives NaN for arguments <= -1, as numpy does.
"""

import numpy as np
cimport numpy as cnp
from cython.parallel cimport prange

cnp.import_array()

cdef extern from *:
    """
    #include <stdint.h>
    #include <string.h>
    #include <math.h>

    #if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
    #define LITHO_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
    #else
    #define LITHO_CLONES
    #endif

    #define LITHO_INLINE static inline __attribute__((always_inline))

    LITHO_INLINE float litho_bits_to_float(int32_t i) { float f; memcpy(&f, &i, 4); return f; }
    LITHO_INLINE int32_t litho_float_to_bits(float f) { int32_t i; memcpy(&i, &f, 4); return i; }

    /* e^y = scale (1 + em1r): y in [-87, 0]; sets *scale = 2^n, returns expm1(r). */
    LITHO_INLINE float litho_exp_parts(float y, float *scale) {
        const float shifter = 12582912.0f;               /* 1.5 * 2^23: round to integer */
        float t = y * 1.44269504f + shifter;
        float n = t - shifter;
        int32_t ni = litho_float_to_bits(t) - litho_float_to_bits(shifter);
        float r = (y - n * 0.693359375f) - n * -2.12194440e-4f;
        float p = 1.0f / 5040.0f;
        p = p * r + 1.0f / 720.0f;
        p = p * r + 1.0f / 120.0f;
        p = p * r + 1.0f / 24.0f;
        p = p * r + 1.0f / 6.0f;
        p = p * r + 0.5f;
        p = p * r + 1.0f;
        *scale = litho_bits_to_float((ni + 127) << 23);
        return r * p;
    }

    /* expm1(y) for y in [-50, 0] (clamped there). */
    LITHO_INLINE float litho_expm1_neg(float y) {
        float scale, em1r;
        y = y < -50.0f ? -50.0f : y;
        em1r = litho_exp_parts(y, &scale);
        return scale * em1r + (scale - 1.0f);
    }

    /* exp(x) for x <= 0 (0 below -87). */
    LITHO_INLINE float litho_exp_neg(float x) {
        float scale, em1r, xc = x < -87.0f ? -87.0f : x;
        em1r = litho_exp_parts(xc, &scale);
        float v = scale + scale * em1r;
        return x < -87.0f ? 0.0f : v;
    }

    /* log1p(s) for s > -1 (NaN for s <= -1). */
    LITHO_INLINE float litho_log1p(float s) {
        float u = 1.0f + s;
        float c = (s - (u - 1.0f)) / u;                   /* rounding of u, to first order */
        float uc = u > 1e-30f ? u : 1.0f;
        int32_t bits = litho_float_to_bits(uc);
        int32_t e = (bits - 0x3f3504f3) >> 23;            /* 0x3f3504f3: sqrt(1/2) */
        float m = litho_bits_to_float(bits - (e << 23));  /* in [sqrt(1/2), sqrt(2)) */
        float f = m - 1.0f;
        float z = f / (2.0f + f);
        float z2 = z * z;
        float p = 1.0f / 9.0f;
        p = p * z2 + 1.0f / 7.0f;
        p = p * z2 + 1.0f / 5.0f;
        p = p * z2 + 1.0f / 3.0f;
        p = p * z2 + 1.0f;
        float v = ((float) e * 0.693147182f + 2.0f * z * p) + c;
        return u > 0.0f ? v : NAN;
    }

    /* One voxel of a neutralisation step (see litho.resist.peb._neutralise); the flags are
       compile-time constants in each loop below, so that every loop is branch-free. */
    LITHO_INLINE void litho_neutralise_one(float *h, float *q, float *acc, int64_t i, float kt,
                                           const int guard, const int fixed_q, float q_in,
                                           const int first, const int do_finish, float finish) {
        float hi = h[i];
        float q0 = fixed_q ? q_in : q[i];
        float d = hi - q0;
        float a0 = hi < q0 ? hi : q0;                     /* the minority species */
        float ad = d < 0.0f ? -d : d;
        float lo = -0.5f * ad;
        if (guard) a0 = a0 < lo ? lo : a0;
        float y = -kt * ad;
        y = y < -1e-30f ? y : -1e-30f;
        float t = litho_expm1_neg(y) * a0;                /* a0 (e^y - 1) */
        float e = a0 + t;                                 /* a0 e^y */
        float sigma = t / y * kt;                         /* a0 k tau phi(y) */
        float integral = litho_log1p(sigma);              /* k int_0^tau a dt */
        float a = e / (sigma + 1.0f);
        float excess = d > 0.0f ? d : 0.0f;
        float hn = a + excess;
        float total = integral + excess * kt;
        if (!first) total += acc[i];
        if (do_finish) {
            float x = total * finish;
            total = litho_exp_neg(x < 0.0f ? x : 0.0f);
        }
        h[i] = hn;
        q[i] = hn - d;
        acc[i] = total;
    }

    #define LITHO_NEUTRALISE_LOOP(GUARD, FIXED_Q, FIRST, FINISH) \
        do { \
            _Pragma("GCC ivdep") \
            for (int64_t i = 0; i < n; i++) \
                litho_neutralise_one(h, q, acc, i, kt, GUARD, FIXED_Q, q_in, FIRST, FINISH, finish); \
        } while (0)

    /* One neutralisation step over a chunk, in place. q_in >= 0: the input quencher is that
       constant (q is only written); first: acc is written, not added to; finish <= 0 turns
       acc into exp(min(finish acc, 0)). The bake uses three kinds of pass (the first, the
       middle ones and the last); the other flag combinations take the general loop. */
    LITHO_CLONES
    static void litho_neutralise_chunk(float *restrict h, float *restrict q, float *restrict acc,
                                       int64_t n, float kt, int guard, float q_in, int first,
                                       float finish) {
        const int fixed_q = q_in >= 0.0f, do_finish = finish <= 0.0f;
        if (fixed_q && first && !do_finish) {
            if (guard) LITHO_NEUTRALISE_LOOP(1, 1, 1, 0); else LITHO_NEUTRALISE_LOOP(0, 1, 1, 0);
        } else if (!fixed_q && !first && !do_finish) {
            if (guard) LITHO_NEUTRALISE_LOOP(1, 0, 0, 0); else LITHO_NEUTRALISE_LOOP(0, 0, 0, 0);
        } else if (!fixed_q && !first && do_finish) {
            if (guard) LITHO_NEUTRALISE_LOOP(1, 0, 0, 1); else LITHO_NEUTRALISE_LOOP(0, 0, 0, 1);
        } else {
            for (int64_t i = 0; i < n; i++)
                litho_neutralise_one(h, q, acc, i, kt, guard, fixed_q, q_in, first, do_finish, finish);
        }
    }
    """
    void litho_neutralise_chunk(float* h, float* q, float* acc, long long n, float kt, int guard,
                                float q_in, int first, float finish) nogil
    float litho_expm1_neg(float y) noexcept nogil
    float litho_exp_neg(float x) noexcept nogil
    float litho_log1p(float s) noexcept nogil


cdef enum:
    CHUNK = 4096


def neutralise(float[::1] h, float[::1] q, float[::1] acc, double kt, bint guard,
               double q_in=-1.0, bint first=False, double finish=1.0, int threads=1):
    """Exact neutralisation over one step, in place, on flat float32 arrays.

    Parameters
    ----------
    h, q, acc : float32 arrays, 1-D, C-contiguous, same length
        Acid, quencher and ``k`` times the time integral of the acid so far.
    kt : float
        ``k_quench * tau`` (dimensionless, >= 0).
    guard : bool
        Bound a negative minority species below by ``-|h - q| / 2`` (spectral Laplacian).
    q_in : float
        >= 0: the input quencher is this constant (``q`` is only written); < 0: read ``q``.
    first : bool
        Write ``acc`` instead of adding to it.
    finish : float
        <= 0: turn ``acc`` into the inhibitor ``exp(min(finish acc, 0))`` at the end
        (``finish = -k_amp / k_quench``); > 0: leave ``acc`` as the integral.
    threads : int
        OpenMP threads (>= 1).
    """
    cdef Py_ssize_t n = h.shape[0], lo, nchunks, c
    if q.shape[0] != n or acc.shape[0] != n:
        raise ValueError("neutralise: h, q and acc differ in length")
    if threads < 1:
        raise ValueError("neutralise: threads must be >= 1")
    if n == 0:
        return
    nchunks = (n + CHUNK - 1) // CHUNK
    for c in prange(nchunks, nogil=True, schedule="static", num_threads=threads):
        lo = c * CHUNK
        litho_neutralise_chunk(&h[lo], &q[lo], &acc[lo], min(<Py_ssize_t> CHUNK, n - lo), <float> kt,
                               guard, <float> q_in, first, <float> finish)


ctypedef float (*unary)(float) noexcept nogil


cdef _map(unary fn, const float[::1] x):
    out = np.empty(x.shape[0], dtype=np.float32)
    cdef float[::1] o = out
    cdef Py_ssize_t i
    for i in range(x.shape[0]):
        o[i] = fn(x[i])
    return out


def expm1_neg(float[::1] y):
    """``expm1`` of float32 values in [-50, 0] by the kernel's polynomial (for tests)."""
    return _map(litho_expm1_neg, y)


def exp_neg(float[::1] x):
    """``exp`` of float32 values <= 0 by the kernel's polynomial (for tests)."""
    return _map(litho_exp_neg, x)


def log1p(float[::1] s):
    """``log1p`` of float32 values > -1 by the kernel's polynomial (for tests)."""
    return _map(litho_log1p, s)
