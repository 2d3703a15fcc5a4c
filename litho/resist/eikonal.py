"""Development front: arrival time of the developer by the eikonal equation |grad T| R = 1.

The developer starts at the resist top (the plane z = 0, half a voxel above the centres of
row ``iz = 0``: voxel centres lie at z = (iz + 1/2) dz) and advances through the resist at
the local development rate R(z, y, x) > 0 (nm/s), so that its arrival time T (s) solves

    |grad T| = 1 / R.

The resist left after a develop time ``t_dev`` is where ``T > t_dev``.

Solvers
-------
:func:`fast_marching`
    Sethian's fast marching method, Cython kernel ``litho._kernels.eikonal`` (CPU).
:func:`plane_sweep`
    A parallel solver written with whole-array operations, so the same code runs with
    numpy and CuPy: Gauss-Seidel sweeps plane by plane along z, y and x (both directions),
    each plane updated at once from the already-updated previous plane, iterated to
    convergence.
:func:`arrival_time`
    The development problem (seeds on the top row) with either solver.

Both solvers use the *same* discrete equations, operation for operation (see the
docstring of ``kernels/eikonal.pyx``): per axis the upwind neighbour t1 (the smaller
side, the minus side on a tie) and, for ``order=2`` when the next voxel t2 on that side
is smaller than t1, the one-sided second-order difference (3T - 4 t1 + t2) / (2h);
otherwise first order. The voxel value is the root of the quadratic over the axes whose
offset lies below the root (axes are dropped when a larger quadratic has no valid root).
Fast marching solves these equations exactly in one pass (in order of arrival); the sweep
converges to the same numbers: in float64 they agree to rounding (about 1e-15 relative),
because both evaluate the same expressions and the equations are causal (a voxel depends
only on neighbours that arrive earlier).

Boundaries: z = 0 is the developer source; below the last row and beyond open lateral
edges there are no neighbours (a zero-flux, mirror-like boundary). ``lateral="periodic"``
wraps y and x around, consistent with FFT-based aerial images.
"""

from __future__ import annotations

import contextlib
import math
import numbers
from typing import Any

import numpy as np

from .. import config
from .._validate import choice, integer, number_in, raise_first_bad, real_array, spacing3
from ..backend import array_module
from ..errors import ConvergenceError, InvalidParameterError

__all__ = ["arrival_time", "fast_marching", "plane_sweep", "EikonalConvergenceError"]

_LATERAL = ("periodic", "open")
_METHODS = ("auto", "fmm", "sweep")
_ORDERS = (1, 2)
#: Default convergence tolerance of the sweep (largest relative change in one iteration).
SWEEP_RTOL = {np.dtype(np.float64): 1e-12, np.dtype(np.float32): 1e-6}


class EikonalConvergenceError(ConvergenceError):
    """The iterative eikonal solver did not converge within its iteration limit."""


# ---------------------------------------------------------------------------------------
# validation


def _speed(name: str, x: Any) -> Any:
    """``x`` as a (nz, ny, nx) float array of finite rates > 0 (numpy or CuPy)."""
    arr = real_array(name, x, ndim=3, low=0.0, low_open=True,
                     what="a development-rate volume (nz, ny, nx) of nm/s")
    xp = array_module(arr)
    if arr.dtype not in (np.float32, np.float64):
        arr = arr.astype(xp.float32 if arr.dtype.itemsize <= 4 else xp.float64)
    return arr


def _seeds(x: Any, shape: tuple[int, ...], xp: Any) -> Any:
    """Seed times: same shape as the speed, finite values >= 0 fixed, NaN/+inf free."""
    what = f"an array of shape {shape} of times >= 0 s (NaN or +inf where not a seed)"
    if array_module(x) is not xp:
        raise InvalidParameterError("seed_times", f"{type(x).__name__}", what + " on the speed's device")
    try:
        arr = xp.asarray(x)
    except (TypeError, ValueError):
        raise InvalidParameterError("seed_times", x, what) from None
    if arr.dtype.kind in "biu":
        arr = arr.astype(xp.float64)
    if arr.dtype.kind != "f" or tuple(arr.shape) != tuple(shape):
        raise InvalidParameterError("seed_times", f"array of shape {tuple(arr.shape)}, dtype {arr.dtype}", what)
    fixed = xp.isfinite(arr)
    raise_first_bad("seed_times", arr, (fixed & (arr < 0)) | (arr == -xp.inf), what)
    if not bool(fixed.any()):
        raise InvalidParameterError("seed_times", "no finite value", what + " with at least one seed")
    return arr


def _t_max(value: Any) -> float | None:
    """``None`` (or +inf) for a full march, else a finite time >= 0."""
    if value is None:
        return None
    what = "None or a time >= 0 s"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidParameterError("t_max", value, what)
    out = float(value)
    if out == math.inf:
        return None
    if not math.isfinite(out) or out < 0:
        raise InvalidParameterError("t_max", value, what)
    return out


def _order(value: Any) -> int:
    return int(choice("order", integer("order", value, what="1 or 2"), _ORDERS))


def _options(spacing: Any, t_max: Any, lateral: Any, order: Any) -> tuple[tuple[float, float, float], float | None,
                                                                         bool, int]:
    """The solvers' shared arguments, checked: ``(spacing, t_max, periodic, order)``."""
    return (spacing3("spacing", spacing), _t_max(t_max), choice("lateral", lateral, _LATERAL) == "periodic",
            _order(order))


def _errstate(xp: Any) -> Any:
    """Silence numpy's warnings for the inf/NaN arithmetic that ``where`` then discards."""
    return np.errstate(all="ignore") if xp is np else contextlib.nullcontext()


# ---------------------------------------------------------------------------------------
# fast marching (CPU kernel)


def _march(speed: np.ndarray, seeds: np.ndarray, spacing: tuple[float, float, float],
           t_max: float | None, periodic: bool, order: int) -> np.ndarray:
    """Fast marching in float64 (float32 or float64 speed); times, inf beyond ``t_max``."""
    from .._kernels.eikonal import fast_march

    n = speed.size
    config.check_memory((8 + 16) * n, f"fast marching on {speed.shape[0]} x {speed.shape[1]} x {speed.shape[2]} voxels",
                        "develop the volume in lateral tiles with overlapping halos")
    times = np.ascontiguousarray(np.where(np.isfinite(seeds), seeds, np.inf), dtype=np.float64)
    limit = math.inf if t_max is None else t_max
    fast_march(np.ascontiguousarray(speed), times, spacing[0], spacing[1], spacing[2], periodic, order, limit)
    if t_max is not None:
        times[times > t_max] = np.inf  # seeds later than t_max
    return times


def fast_marching(speed: Any, spacing: Any, seed_times: Any, *, t_max: float | None = None,
                  lateral: str = "periodic", order: int = 2) -> np.ndarray:
    """Arrival times from seed voxels by fast marching (CPU).

    Parameters
    ----------
    speed : numpy array (nz, ny, nx)
        Front speed (development rate), nm/s: finite and > 0. float32 or float64.
    spacing : float or (dz, dy, dx)
        Voxel size(s), nm.
    seed_times : numpy array (nz, ny, nx)
        Arrival time (s, >= 0) of the seed voxels, which are held fixed; NaN or +inf at
        every other voxel. At least one seed.
    t_max : float, optional
        Stop marching once the front passes ``t_max`` (s): voxels reached later (seeds
        included) are +inf; the others are exactly the full march's values.
    lateral : {"periodic", "open"}
        Whether y and x wrap around or end (z always ends).
    order : {1, 2}
        Upwind stencil order (2: Sethian's second-order one-sided differences where the
        second upwind neighbour is known).

    Returns
    -------
    numpy array (nz, ny, nx)
        Arrival times in s; float64 for float64 speed, float32 for float32 speed (computed
        in float64).

    Raises
    ------
    InvalidParameterError
        Bad ``speed`` (not 3-D, not finite, <= 0, a CuPy array), ``spacing``,
        ``seed_times``, ``t_max``, ``lateral`` or ``order``.
    MemoryBudgetError
        The march would need more memory than ``litho.config`` allows.
    """
    arr = _speed("speed", speed)
    if array_module(arr) is not np:
        raise InvalidParameterError("speed", "a CuPy array",
                                    "a numpy array (fast marching runs on the CPU; use plane_sweep for CuPy arrays)")
    spacing, t_max, periodic, order = _options(spacing, t_max, lateral, order)
    seeds = _seeds(seed_times, arr.shape, np)
    return _march(arr, seeds, spacing, t_max, periodic, order).astype(arr.dtype, copy=False)


# ---------------------------------------------------------------------------------------
# plane sweeps (numpy or CuPy)


def _shift(xp: Any, plane: Any, k: int, axis: int, periodic: bool) -> Any:
    """``out[j] = plane[j - k]`` along ``axis`` (k = +-1, +-2): wrapped or +inf-filled."""
    if periodic:
        return xp.roll(plane, k, axis=axis)
    out = xp.full(plane.shape, math.inf, dtype=plane.dtype)
    n = plane.shape[axis]
    if abs(k) >= n:
        return out
    dst = [slice(None)] * plane.ndim
    src = [slice(None)] * plane.ndim
    dst[axis] = slice(k, None) if k > 0 else slice(None, n + k)
    src[axis] = slice(None, n - k) if k > 0 else slice(-k, None)
    out[tuple(dst)] = plane[tuple(src)]
    return out


def _axis_b(xp: Any, t1m: Any, t1p: Any, t2m: Any, t2p: Any, consts: tuple[Any, ...]) -> tuple[Any, Any, Any]:
    """(b, a, s) of one axis, as ``_axis`` in the kernel (t2m/t2p None: no second order)."""
    a1, s1, a2, s2 = consts
    minus = t1m <= t1p
    t1 = xp.where(minus, t1m, t1p)
    if t2m is None:
        return t1, xp.broadcast_to(a1, t1.shape), xp.broadcast_to(s1, t1.shape)
    t2 = xp.where(minus, t2m, t2p)
    second = t2 < t1
    bb = (4.0 * t1 - t2) / 3.0
    bb = xp.where(bb < t1, t1, bb)
    return xp.where(second, bb, t1), xp.where(second, a2, a1), xp.where(second, s2, s1)


def _root(xp: Any, axes: list[tuple[Any, Any, Any]], f: Any) -> Any:
    """Root of sum_{b < T} a (T - b)^2 = f^2, as ``_root`` in the kernel."""
    (b0, a0, s0), (b1, a1, s1), (b2, a2, s2) = axes

    def cswap(x, y):
        c = y[0] < x[0]
        lo = tuple(xp.where(c, v, u) for u, v in zip(x, y))
        hi = tuple(xp.where(c, u, v) for u, v in zip(x, y))
        return lo, hi

    (b0, a0, s0), (b1, a1, s1) = cswap((b0, a0, s0), (b1, a1, s1))
    (b1, a1, s1), (b2, a2, s2) = cswap((b1, a1, s1), (b2, a2, s2))
    (b0, a0, s0), (b1, a1, s1) = cswap((b0, a0, s0), (b1, a1, s1))
    t = b0 + f * s0
    use2 = t > b1
    d1 = b1 - b0
    A = a0 + a1
    B = a1 * d1
    Q = a0 * a1 * d1 * d1
    disc = A * (f * f) - Q
    disc = xp.maximum(disc, 0.0)  # as the kernel's `if disc < 0: disc = 0` (NaN stays NaN)
    t2 = b0 + (B + xp.sqrt(disc)) / A
    t2 = xp.where(t2 < b1, b1, t2)
    use3 = use2 & (t2 > b2)
    d2 = b2 - b0
    A = A + a2
    B = B + a2 * d2
    Q = Q + a0 * a2 * d2 * d2 + a1 * a2 * (d2 - d1) * (d2 - d1)
    disc = A * (f * f) - Q
    use3 &= disc >= 0.0
    t3 = b0 + (B + xp.sqrt(disc)) / A
    t3 = xp.where(t3 < b2, b2, t3)
    return xp.where(use3, t3, xp.where(use2, t2, t))


class _Sweeper:
    """Plane updates of the sweep solver on a (nz, ny, nx) volume ``W`` (in place)."""

    def __init__(self, xp: Any, W: Any, f: Any, fixed: Any, seeds: Any, spacing: tuple[float, float, float],
                 periodic: bool, order: int, t_max: float | None) -> None:
        self.xp, self.W, self.f, self.fixed, self.seeds = xp, W, f, fixed, seeds
        self.periodic = (False, periodic, periodic)
        self.second = order == 2
        self.t_max = t_max
        dt = W.dtype
        self.inf = xp.asarray(np.inf, dtype=dt)
        self.zero = xp.asarray(0.0, dtype=dt)
        # the kernel's constants: a = 1/h^2, s = h (first order); 9/(4h^2), 2h/3 (second)
        self.consts = [tuple(xp.asarray(c, dtype=dt) for c in (1.0 / (h * h), h, 9.0 / (4.0 * h * h), 2.0 * h / 3.0))
                       for h in spacing]

    def _along(self, V: Any, i: int, n: int, periodic: bool) -> tuple[Any, Any, Any, Any]:
        """(t1m, t1p, t2m, t2p) along the sweep axis for plane ``i`` of ``V`` (None: +inf)."""
        def plane(j: int) -> Any:
            if 0 <= j < n:
                return V[j]
            return V[j % n] if periodic else None

        t1m, t1p = plane(i - 1), plane(i + 1)
        t2m = t2p = None
        if self.second and not (periodic and n <= 2):
            t2m, t2p = plane(i - 2), plane(i + 2)
        return t1m, t1p, t2m, t2p

    def update(self, k: int, i: int) -> Any:
        """The new values of plane ``i`` along axis ``k`` (not yet written); returns them."""
        xp, W = self.xp, self.W
        V = xp.moveaxis(W, k, 0)
        P = V[i]
        inf = xp.broadcast_to(self.inf, P.shape)
        in_plane = [ax for ax in range(3) if ax != k]
        axes = []
        for ax in range(3):
            n = W.shape[ax]
            periodic = self.periodic[ax]
            if n == 1:
                axes.append((inf, xp.broadcast_to(self.consts[ax][0], P.shape),
                             xp.broadcast_to(self.consts[ax][1], P.shape)))
                continue
            if ax == k:
                t1m, t1p, t2m, t2p = self._along(V, i, n, periodic)
            else:
                pa = in_plane.index(ax)
                t1m = _shift(xp, P, 1, pa, periodic)
                t1p = _shift(xp, P, -1, pa, periodic)
                t2m = t2p = None
                if self.second and not (periodic and n <= 2):
                    t2m = _shift(xp, P, 2, pa, periodic)
                    t2p = _shift(xp, P, -2, pa, periodic)
            t1m = inf if t1m is None else t1m
            t1p = inf if t1p is None else t1p
            if t2m is not None or t2p is not None:
                t2m = inf if t2m is None else t2m
                t2p = inf if t2p is None else t2p
            axes.append(_axis_b(xp, t1m, t1p, t2m, t2p, self.consts[ax]))
        new = _root(xp, axes, xp.moveaxis(self.f, k, 0)[i])
        fixed = xp.moveaxis(self.fixed, k, 0)[i]
        new = xp.where(fixed, xp.moveaxis(self.seeds, k, 0)[i], new)
        if self.t_max is not None:
            new = xp.where(new > self.t_max, self.inf, new)
        return new


def _sweep(xp: Any, speed: Any, seeds: Any, spacing: tuple[float, float, float], t_max: float | None,
           periodic: bool, order: int, rtol: float, max_iter: int) -> tuple[Any, int]:
    """The sweep solver in the speed's dtype; returns (times, iterations)."""
    dt = speed.dtype
    shape = tuple(speed.shape)
    n = speed.size
    largest_plane = max(shape[1] * shape[2], shape[0] * shape[2], shape[0] * shape[1])
    device = "cpu" if xp is np else "gpu"
    config.check_memory(4 * n * dt.itemsize + n + 80 * largest_plane * dt.itemsize,
                        f"the eikonal sweep solver on {shape[0]} x {shape[1]} x {shape[2]} voxels",
                        "develop the volume in lateral tiles with overlapping halos", device=device)
    with _errstate(xp):
        f = 1.0 / speed
        fixed = xp.isfinite(seeds)
        seed_values = xp.where(fixed, seeds, xp.zeros((), dtype=seeds.dtype)).astype(dt)
        W = xp.where(fixed, seed_values, xp.asarray(np.inf, dtype=dt)).astype(dt)
        sweeper = _Sweeper(xp, W, f, fixed, seed_values, spacing, periodic, order, t_max)
        sweep_axes = [k for k in range(3) if shape[k] > 1] or [0]
        change = None
        for iteration in range(1, max_iter + 1):
            change = xp.zeros((), dtype=dt)
            for k in sweep_axes:
                V = xp.moveaxis(W, k, 0)
                for order_ in (range(shape[k]), range(shape[k] - 1, -1, -1)):
                    for i in order_:
                        new = sweeper.update(k, i)
                        old = V[i]
                        rel = xp.where(new == old, sweeper.zero, xp.abs(new - old) / xp.abs(new))
                        change = xp.maximum(change, rel.max())
                        V[i] = new
            if float(change) <= rtol:
                return W, iteration
    raise EikonalConvergenceError(
        f"the eikonal sweep did not converge in max_iter={max_iter} iterations (largest relative "
        f"change in the last one: {float(change):.3g}, tolerance {rtol:g}); raise max_iter, or use "
        f"method='fmm' on the CPU")


def plane_sweep(speed: Any, spacing: Any, seed_times: Any, *, t_max: float | None = None,
                lateral: str = "periodic", order: int = 2, rtol: float | None = None,
                max_iter: int = 100) -> Any:
    """Arrival times from seed voxels by parallel plane sweeps (numpy or CuPy).

    Each iteration sweeps the volume plane by plane along z, y and x, forwards and
    backwards; every plane is updated at once (all its voxels in parallel) from the
    current values, the previous plane of the sweep already updated. It solves the same
    discrete equations as :func:`fast_marching` and converges to the same numbers.

    Parameters
    ----------
    speed : numpy or CuPy array (nz, ny, nx)
        Front speed (development rate), nm/s: finite and > 0.
    spacing : float or (dz, dy, dx)
        Voxel size(s), nm.
    seed_times : array (nz, ny, nx), same device
        Arrival time (s, >= 0) of the seed voxels, NaN or +inf elsewhere.
    t_max : float, optional
        Times above ``t_max`` (s) are +inf (and are not iterated on).
    lateral : {"periodic", "open"}
        Whether y and x wrap around or end.
    order : {1, 2}
        Upwind stencil order.
    rtol : float, optional
        Stop when no voxel changed by more than ``rtol`` (relative) in one iteration;
        default 1e-12 for float64 and 1e-6 for float32.
    max_iter : int
        Most iterations (each six sweeps) before :class:`EikonalConvergenceError`.

    Returns
    -------
    array (nz, ny, nx)
        Arrival times in s, on the speed's device, computed in its dtype (float32 or
        float64).

    Raises
    ------
    InvalidParameterError
        Bad ``speed``, ``spacing``, ``seed_times``, ``t_max``, ``lateral``, ``order``,
        ``rtol`` or ``max_iter``.
    EikonalConvergenceError
        Not converged in ``max_iter`` iterations.
    MemoryBudgetError
        The working arrays would exceed the memory budget.
    """
    arr = _speed("speed", speed)
    xp = array_module(arr)
    spacing, t_max, periodic, order = _options(spacing, t_max, lateral, order)
    seeds = _seeds(seed_times, arr.shape, xp)
    rtol, max_iter = _sweep_controls(rtol, max_iter, arr.dtype)
    times, _ = _sweep(xp, arr, seeds.astype(arr.dtype), spacing, t_max, periodic, order, rtol, max_iter)
    return times


def _sweep_controls(rtol: Any, max_iter: Any, dtype: Any) -> tuple[float, int]:
    if rtol is None:
        rtol = SWEEP_RTOL[np.dtype(dtype)]
    else:
        rtol = number_in("rtol", rtol, 0.0, 1.0, low_open=True, high_open=True)
    return float(rtol), integer("max_iter", max_iter, 1)


# ---------------------------------------------------------------------------------------
# development


def arrival_time(rate: Any, spacing: Any, *, t_max: float | None = None, lateral: str = "periodic",
                 method: str = "auto", order: int = 2) -> Any:
    """Time at which the developer reaches each voxel (eikonal |grad T| R = 1).

    The developer starts at the resist top, z = 0, half a voxel above the centres of row
    ``iz = 0``; that row is given the exact time to reach its centres, ``(dz / 2) / R``,
    and every other voxel is solved for. The resist remaining after a develop time
    ``t_dev`` is ``arrival_time(...) > t_dev``.

    Parameters
    ----------
    rate : numpy or CuPy array (nz, ny, nx)
        Development rate, nm/s: finite and > 0. z = 0 is the resist top.
    spacing : float or (dz, dy, dx)
        Voxel size(s), nm.
    t_max : float, optional
        Only times up to ``t_max`` (s) are needed (e.g. the develop time): marching stops
        once the front passes it, which is much faster for short develop times; later
        voxels are +inf, the others exactly the full march's values.
    lateral : {"periodic", "open"}
        "periodic": y and x wrap around (consistent with FFT-based images); "open": no
        neighbours beyond the lateral edges.
    method : {"auto", "fmm", "sweep"}
        "fmm": fast marching, Cython kernel (numpy input only); "sweep": the parallel
        plane-sweep solver (:func:`plane_sweep`), with numpy or CuPy; "auto": "fmm" for
        numpy input, "sweep" for CuPy input.
    order : {1, 2}
        Upwind stencil order (see the module docstring).

    Returns
    -------
    array (nz, ny, nx)
        Arrival times in s, same device as ``rate``; float64 for float64 rate, float32 for
        float32 rate (fast marching computes in float64 either way).

    Raises
    ------
    InvalidParameterError
        ``rate`` not 3-D, not finite or <= 0 (the name gives the first bad voxel,
        ``rate[iz, iy, ix]``); bad ``spacing``, ``t_max`` (negative or NaN), ``lateral``,
        ``method`` (also "fmm" with a CuPy array) or ``order``.
    EikonalConvergenceError
        The sweep solver did not converge (``method="sweep"``).
    MemoryBudgetError
        The solver's arrays would exceed ``litho.config`` memory budget.

    Examples
    --------
    >>> import numpy as np
    >>> rate = np.full((4, 8, 8), 2.0)                       # 2 nm/s everywhere
    >>> t = arrival_time(rate, spacing=(5.0, 10.0, 10.0))   # 5 nm layers
    >>> [round(float(v), 6) for v in t[:, 0, 0]]             # z / R at the centres
    [1.25, 3.75, 6.25, 8.75]
    """
    arr = _speed("rate", rate)
    xp = array_module(arr)
    spacing, t_max, periodic, order = _options(spacing, t_max, lateral, order)
    method = choice("method", method, _METHODS)
    if method == "auto":
        method = "fmm" if xp is np else "sweep"
    if method == "fmm" and xp is not np:
        raise InvalidParameterError("method", method,
                                    "'auto' or 'sweep' for a CuPy rate (the fast-marching kernel runs on the CPU)")
    dz = spacing[0]
    if method == "fmm":
        seeds = np.full(arr.shape, np.inf)
        seeds[0] = (0.5 * dz) / arr[0].astype(np.float64)
        return _march(arr, seeds, spacing, t_max, periodic, order).astype(arr.dtype, copy=False)
    seeds = xp.full(arr.shape, np.inf, dtype=arr.dtype)
    seeds[0] = (0.5 * dz) / arr[0]
    rtol, max_iter = _sweep_controls(None, 100, arr.dtype)
    times, _ = _sweep(xp, arr, seeds, spacing, t_max, periodic, order, rtol, max_iter)
    return times
