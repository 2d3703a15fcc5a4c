"""FFT facade: 2-D transforms over the last two axes on numpy (scipy.fft / pyFFTW) and CuPy.

Import these from :mod:`litho.backend`; this module holds the implementation.

Every transform works on the last two axes ``(..., ny, nx)`` and is batched over the
leading axes. Array in, array out: a numpy array gives a numpy array, a CuPy array a
CuPy array on the same device. Precision is kept: float32/complex64 in gives
complex64 (or float32 for :func:`irfft2`) out, float64/complex128 gives
complex128/float64; float16 is promoted to single precision, and integer or boolean
input is converted to the precision in force (``litho.config.get().precision``).

CPU engines
-----------
``litho.config.get().fft_engine`` chooses the engine for numpy arrays:

``"scipy"``
    ``scipy.fft`` (pocketfft) with ``workers`` = the CPU cores this process may use.
``"pyfftw"``
    ``pyfftw.builders`` plans (``FFTW_MEASURE`` up to 2**20 elements, ``FFTW_ESTIMATE`` above; all usable cores), kept in a bounded
    LRU cache, with FFTW wisdom stored in ``user_cache_dir() / "fftw_wisdom.pickle"``.
    Raises :class:`~litho.errors.BackendUnavailableError` when pyFFTW is not installed.
``"auto"`` (default)
    The rule: a transform signature ``(kind, shape, dtype)`` with fewer than
    :data:`AUTO_MIN_ELEMENTS` elements in total (batch included), a dtype pyFFTW does not
    plan (anything but float32/float64/complex64/complex128), or a machine without pyFFTW
    uses scipy. Otherwise, the first time a signature is seen, both engines are run on
    that input (planned first, then best of :data:`AUTO_REPEATS` timed runs) and the
    faster is kept for the rest of the process.

GPU
---
CuPy arrays go to ``cupyx.scipy.fft`` on the array's device. Before the first GPU FFT in
a thread on a device, CuPy's plan cache there is bounded to
``litho.config.get().gpu_fft_plan_cache`` plans (CuPy keeps one cache per thread and per
device; it is bounded again whenever that setting changes).

Module state
------------
The only mutable module-level state is caches: the pyFFTW plan LRU cache, the measured
engine per signature, the set of wisdom files already imported, and the per-thread record
of GPU plan-cache sizes set. :func:`clear_fft_caches` empties the first three.
"""

from __future__ import annotations

import functools
import io
import math
import os
import pickle
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

import numpy as np

from . import config as _config
from ._atomic import atomic_path
from ._cache import user_cache_dir
from ._validate import grid_shape
from .errors import BackendUnavailableError, InvalidParameterError

__all__ = [
    "fft2",
    "ifft2",
    "rfft2",
    "irfft2",
    "fft_engine_for",
    "cpu_fft_engines",
    "cpu_threads",
    "fft_info",
    "clear_fft_caches",
    "AUTO_MIN_ELEMENTS",
    "AUTO_REPEATS",
]

Kind = Literal["fft2", "ifft2", "rfft2", "irfft2"]
Norm = Literal["backward", "ortho", "forward"]

_KINDS = ("fft2", "ifft2", "rfft2", "irfft2")
_NORMS = ("backward", "ortho", "forward")

#: Signatures with fewer elements than this (all batch elements together) use scipy
#: under ``fft_engine="auto"`` without measuring: a 64 x 64 transform takes microseconds,
#: so call overhead, not the engine, decides its speed.
AUTO_MIN_ELEMENTS = 64 * 64
#: Timed runs per engine when ``fft_engine="auto"`` measures a signature (best is kept).
AUTO_REPEATS = 3
#: Elements of the sub-batch the engines are timed on (whole slices, at least one): a
#: batched transform costs about the same per slice, and timing the whole batch of a
#: large call would cost seconds.
AUTO_MEASURE_ELEMENTS = 2**20
#: pyFFTW plans of at most this many elements use FFTW_MEASURE; larger ones FFTW_ESTIMATE.
#: MEASURE plans run ~25 % faster but planning them takes ~0.4 s for 8e6 elements
#: (measured, 2-core CPU), a stall on every new shape.
MEASURE_PLAN_ELEMENTS = 2**20
#: Most pyFFTW plans kept, and most bytes of buffers they hold (each plan keeps an
#: aligned input buffer and the last output); the least recently used go first.
PLAN_CACHE_SIZE = 32
PLAN_CACHE_BYTES = 2 * 2**30
WISDOM_FILE = "fftw_wisdom.pickle"
_PYFFTW_DTYPES = frozenset(np.dtype(t) for t in (np.float32, np.float64, np.complex64, np.complex128))
_AUTO_RULE = (
    f"auto: scipy below {AUTO_MIN_ELEMENTS} elements per transform (batch included), for dtypes "
    f"pyFFTW does not plan, or without pyFFTW; otherwise both engines are timed once per "
    f"(kind, shape, dtype) (best of {AUTO_REPEATS} after planning, on a sub-batch of at most "
    f"{AUTO_MEASURE_ELEMENTS} elements) and the faster is kept"
)

Signature = tuple[str, tuple[int, ...], str]


# --------------------------------------------------------------------------- caches


class _Plan:
    """A cached pyFFTW plan with the lock that serialises its use (its buffers are shared)."""

    __slots__ = ("fftw", "lock", "nbytes")

    def __init__(self, fftw: Any) -> None:
        self.fftw = fftw
        self.lock = threading.Lock()
        self.nbytes = int(fftw.input_array.nbytes + fftw.output_array.nbytes)


_plans: OrderedDict[tuple[Any, ...], _Plan] = OrderedDict()  # cache: LRU of pyFFTW plans
_measured: dict[Signature, tuple[str, dict[str, float]]] = {}  # cache: auto engine choice
_wisdom_loaded: set[str] = set()  # cache: wisdom files already imported in this process
_lock = threading.Lock()  # guards the three caches above
_gpu_local = threading.local()  # cache: per thread, {device id: plan-cache size set}


def clear_fft_caches() -> None:
    """Forget the pyFFTW plans, the measured engine choices and which wisdom was loaded.

    FFTW's in-memory wisdom is kept (pyFFTW cannot drop part of it); the next pyFFTW
    plan re-reads the wisdom file of the cache directory in force.
    """
    with _lock:
        _plans.clear()
        _measured.clear()
        _wisdom_loaded.clear()


def cpu_threads() -> int:
    """The number of CPU cores this process may run on (its affinity mask, else cpu_count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


@functools.lru_cache(maxsize=None)
def _load_pyfftw() -> ModuleType | None:
    """pyfftw with its builders imported, or None when it cannot be imported (cached)."""
    try:
        import pyfftw
        import pyfftw.builders  # noqa: F401
    except Exception:  # ImportError, or a broken build (missing libfftw3)
        return None
    return pyfftw


def _require_pyfftw() -> ModuleType:
    pyfftw = _load_pyfftw()
    if pyfftw is None:
        raise BackendUnavailableError(
            "fft_engine='pyfftw' was requested but pyFFTW is not installed; install it with "
            "pip install 'litho[fft]', or use fft_engine='auto' or 'scipy'"
        )
    return pyfftw


def cpu_fft_engines() -> list[str]:
    """The CPU FFT engines installed here: ``["scipy"]`` plus ``"pyfftw"`` when it imports."""
    return ["scipy", "pyfftw"] if _load_pyfftw() is not None else ["scipy"]


# --------------------------------------------------------------------------- wisdom


class _BytesOnlyUnpickler(pickle.Unpickler):
    """Unpickles plain containers of bytes only: a wisdom file can never run code."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"a wisdom file holds no objects ({module}.{name})")


def _wisdom_path() -> Path:
    return user_cache_dir() / WISDOM_FILE


def _import_wisdom(pyfftw: ModuleType) -> None:
    """Import the wisdom file of the cache directory in force, once; ignore a bad file."""
    try:
        path = _wisdom_path()
    except OSError:
        return
    with _lock:
        if str(path) in _wisdom_loaded:
            return
        _wisdom_loaded.add(str(path))
    try:
        wisdom = _BytesOnlyUnpickler(io.BytesIO(path.read_bytes())).load()
        if isinstance(wisdom, tuple) and len(wisdom) == 3 and all(isinstance(w, bytes) for w in wisdom):
            pyfftw.import_wisdom(wisdom)
    except Exception:  # missing, unreadable or corrupt: plan without it
        pass


def _export_wisdom(pyfftw: ModuleType) -> None:
    """Write FFTW's wisdom atomically (temporary file + rename); never raise."""
    try:
        data = pickle.dumps(tuple(pyfftw.export_wisdom()), protocol=4)
        with atomic_path(_wisdom_path()) as tmp:
            tmp.write_bytes(data)
    except Exception:  # read-only or full cache directory: FFTs still work
        pass


# --------------------------------------------------------------------------- validation


def _check_norm(norm: Any) -> str:
    if norm is None:
        return "backward"
    if not isinstance(norm, str) or norm not in _NORMS:
        raise InvalidParameterError("norm", norm, "one of 'backward', 'ortho', 'forward'")
    return norm


def _dtypes(dtype: np.dtype) -> tuple[np.dtype, np.dtype]:
    """(real, complex) working dtypes for an input dtype."""
    if dtype.kind == "f":
        real = np.dtype(np.float32) if dtype.itemsize <= 4 else dtype
    elif dtype.kind == "c":
        real = np.dtype(dtype.char.lower())
    else:  # bool, integers: the precision in force
        real = _config.real_dtype()
    return real, np.result_type(real, np.complex64)


def _prepare(kind: str, x: Any) -> Any:
    """Validate ``x`` and convert it to the dtype the transform takes."""
    if x.ndim < 2:
        raise InvalidParameterError(
            "x", x, f"an array with at least 2 dimensions (..., ny, nx); got shape {tuple(x.shape)}"
        )
    if x.shape[-1] < 1 or x.shape[-2] < 1:
        raise InvalidParameterError("x", x, f"ny, nx >= 1 in the last two axes; got shape {tuple(x.shape)}")
    real, cplx = _dtypes(x.dtype)
    if kind == "rfft2":
        if x.dtype.kind == "c":
            raise InvalidParameterError("x", x, "a real array for rfft2 (use fft2 for complex input)")
        return x if x.dtype == real else x.astype(real)
    if kind == "irfft2":
        return x if x.dtype == cplx else x.astype(cplx)
    # fft2/ifft2 take real float input as is (each engine converts it to complex itself)
    return x if x.dtype in (real, cplx) else x.astype(cplx)


def _check_s(s: Any, shape: tuple[int, ...]) -> tuple[int, int]:
    ny, nx = grid_shape("s", s)
    if shape[-2] != ny or shape[-1] != nx // 2 + 1:
        raise InvalidParameterError(
            "s", s, f"the (ny, nx) of the real output, with the input's last two axes equal to "
            f"(ny, nx // 2 + 1) = ({ny}, {nx // 2 + 1}); the input has ({shape[-2]}, {shape[-1]})"
        )
    return ny, nx


def _plan_dtype(kind: str, dtype: Any) -> np.dtype:
    real, cplx = _dtypes(np.dtype(dtype))
    return real if kind == "rfft2" else cplx


# --------------------------------------------------------------------------- CPU engines


def _run_scipy(kind: str, x: np.ndarray, norm: str, s: tuple[int, int] | None, overwrite_x: bool) -> np.ndarray:
    import scipy.fft

    func = getattr(scipy.fft, kind)
    kwargs: dict[str, Any] = {"axes": (-2, -1), "norm": norm, "overwrite_x": overwrite_x, "workers": cpu_threads()}
    if s is not None:
        kwargs["s"] = s
    return func(x, **kwargs)


def _get_plan(kind: str, shape: tuple[int, ...], dtype: np.dtype, norm: str, s: tuple[int, int] | None) -> _Plan:
    """The cached pyFFTW plan for a transform, planned on first use.

    FFTW_MEASURE up to :data:`MEASURE_PLAN_ELEMENTS` elements, FFTW_ESTIMATE above.
    """
    key = (kind, shape, dtype.str, norm, s)
    with _lock:
        plan = _plans.get(key)
        if plan is not None:
            _plans.move_to_end(key)
            return plan
    pyfftw = _require_pyfftw()
    _import_wisdom(pyfftw)
    # Plan on a private buffer: the builder keeps its input array, and FFTW_MEASURE
    # overwrites it while planning; a caller's array must never be either.
    template = pyfftw.zeros_aligned(shape, dtype)
    kwargs: dict[str, Any] = {
        "axes": (-2, -1),
        "threads": cpu_threads(),
        "planner_effort": "FFTW_MEASURE" if math.prod(shape) <= MEASURE_PLAN_ELEMENTS else "FFTW_ESTIMATE",
        "avoid_copy": False,
        "norm": norm,
    }
    if kind == "irfft2":
        kwargs["s"] = s
    else:  # the input buffer is refilled on every call, so FFTW may use it as scratch
        kwargs["overwrite_input"] = True
    plan = _Plan(getattr(pyfftw.builders, kind)(template, **kwargs))
    _export_wisdom(pyfftw)
    with _lock:
        plan = _plans.setdefault(key, plan)
        _plans.move_to_end(key)
        while len(_plans) > 1 and (
            len(_plans) > PLAN_CACHE_SIZE or sum(p.nbytes for p in _plans.values()) > PLAN_CACHE_BYTES
        ):
            _plans.popitem(last=False)
    return plan


def _run_pyfftw(kind: str, x: np.ndarray, norm: str, s: tuple[int, int] | None) -> np.ndarray:
    plan = _get_plan(kind, tuple(x.shape), _plan_dtype(kind, x.dtype), norm, s)
    fftw = plan.fftw
    with plan.lock:
        fftw.input_array[...] = x  # copy (and real -> complex cast for fft2); x is never touched
        # A fresh output array per call: the result is the caller's own, never a reused buffer.
        out = _load_pyfftw().empty_aligned(fftw.output_shape, fftw.output_dtype)  # type: ignore[union-attr]
        return fftw(output_array=out)


def _run_cpu(engine: str, kind: str, x: np.ndarray, norm: str, s: tuple[int, int] | None, overwrite_x: bool) -> np.ndarray:
    if engine == "pyfftw":
        return _run_pyfftw(kind, x, norm, s)
    return _run_scipy(kind, x, norm, s, overwrite_x)


def _signature(kind: str, shape: tuple[int, ...], dtype: Any) -> Signature:
    return (kind, tuple(int(n) for n in shape), _plan_dtype(kind, dtype).str)


def _needs_measuring(sig: Signature) -> bool:
    return (
        _load_pyfftw() is not None
        and math.prod(sig[1]) >= AUTO_MIN_ELEMENTS
        and np.dtype(sig[2]) in _PYFFTW_DTYPES
    )


def _measure(sig: Signature, kind: str, x: np.ndarray, norm: str, s: tuple[int, int] | None) -> str:
    """Time every installed engine on (a sub-batch of) ``x``; remember and return the fastest."""
    if x.ndim > 2:
        per_slice = math.prod(x.shape[-2:])
        count = max(1, AUTO_MEASURE_ELEMENTS // per_slice)
        flat = x.reshape((-1,) + x.shape[-2:])
        if count < flat.shape[0]:
            x = flat[:count]
    seconds: dict[str, float] = {}
    for engine in cpu_fft_engines():
        _run_cpu(engine, kind, x, norm, s, False)  # plan and warm up
        best = math.inf
        for _ in range(AUTO_REPEATS):
            start = time.perf_counter()
            _run_cpu(engine, kind, x, norm, s, False)
            best = min(best, time.perf_counter() - start)
        seconds[engine] = best
    choice = min(seconds, key=seconds.__getitem__)
    with _lock:
        return _measured.setdefault(sig, (choice, seconds))[0]


def _choose(sig: Signature, measure: Callable[[], str]) -> str:
    """The engine for ``sig`` under the settings in force; ``measure`` runs the timing."""
    setting = _config.get().fft_engine
    if setting == "pyfftw":
        _require_pyfftw()
        return "pyfftw"
    if setting == "scipy":
        return "scipy"
    known = _measured.get(sig)
    if known is not None:
        return known[0]
    if not _needs_measuring(sig):
        return "scipy"
    return measure()


def fft_engine_for(kind: Kind, shape: tuple[int, ...], dtype: Any) -> str:
    """The CPU engine used for a transform signature under the settings in force.

    Parameters
    ----------
    kind : {"fft2", "ifft2", "rfft2", "irfft2"}
        The transform.
    shape : tuple of int
        Shape of the transform's input, ``(..., ny, nx)``; for ``irfft2`` the half
        spectrum ``(..., ny, nx // 2 + 1)``.
    dtype : numpy dtype
        The input dtype. Real and complex input of one precision share a signature for
        ``fft2``, ``ifft2`` and ``irfft2`` (the engines plan the complex transform).

    Returns
    -------
    str
        ``"scipy"`` or ``"pyfftw"``. Under ``fft_engine="auto"``, a signature that needs
        measuring (see the module docstring) and has not been seen yet is measured now,
        on random data, and the choice is remembered for the process.
    """
    if kind not in _KINDS:
        raise InvalidParameterError("kind", kind, "one of " + ", ".join(repr(k) for k in _KINDS))
    try:
        shape = tuple(int(n) for n in shape)
    except (TypeError, ValueError):
        raise InvalidParameterError("shape", shape, "a tuple of positive integers (..., ny, nx)") from None
    if len(shape) < 2 or min(shape) < 1:
        raise InvalidParameterError("shape", shape, "at least 2 positive dimensions (..., ny, nx)")
    sig = _signature(kind, shape, dtype)

    def measure_random() -> str:
        rng = np.random.default_rng(0)
        work = np.dtype(sig[2])
        x = rng.standard_normal(shape).astype(work)
        if work.kind == "c":
            x.imag = rng.standard_normal(shape)
        s = (shape[-2], max(1, 2 * (shape[-1] - 1))) if kind == "irfft2" else None
        return _measure(sig, kind, x, "backward", s)

    return _choose(sig, measure_random)


# --------------------------------------------------------------------------- GPU


def _bound_gpu_plan_cache(cupy: ModuleType, device_id: int) -> None:
    """Bound CuPy's plan cache of this thread on ``device_id`` (call under that device)."""
    size = _config.get().gpu_fft_plan_cache
    sizes: dict[int, int] | None = getattr(_gpu_local, "sizes", None)
    if sizes is None:
        sizes = _gpu_local.sizes = {}
    if sizes.get(device_id) != size:
        cupy.fft.config.get_plan_cache().set_size(size)
        sizes[device_id] = size


def _run_gpu(kind: str, x: Any, norm: str, s: tuple[int, int] | None, overwrite_x: bool) -> Any:
    import cupy
    import cupyx.scipy.fft

    func: Callable[..., Any] = getattr(cupyx.scipy.fft, kind)
    kwargs: dict[str, Any] = {"axes": (-2, -1), "norm": norm, "overwrite_x": overwrite_x}
    if s is not None:
        kwargs["s"] = s
    with x.device:
        _bound_gpu_plan_cache(cupy, x.device.id)
        return func(x, **kwargs)


# --------------------------------------------------------------------------- public API


def _is_cupy(x: Any) -> bool:
    cupy = sys.modules.get("cupy")
    return cupy is not None and isinstance(x, getattr(cupy, "ndarray", ()))


def _transform(kind: str, x: Any, norm: Any, overwrite_x: bool, s: Any = None) -> Any:
    norm = _check_norm(norm)
    gpu = _is_cupy(x)
    if not gpu:
        x = np.asarray(x)
    x = _prepare(kind, x)
    out_shape = _check_s(s, tuple(x.shape)) if kind == "irfft2" else None
    if gpu:
        return _run_gpu(kind, x, norm, out_shape, overwrite_x)
    sig = _signature(kind, x.shape, x.dtype)
    engine = _choose(sig, lambda: _measure(sig, kind, x, norm, out_shape))
    return _run_cpu(engine, kind, x, norm, out_shape, overwrite_x)


def fft2(x: Any, *, norm: Norm = "backward", overwrite_x: bool = False) -> Any:
    """2-D discrete Fourier transform over the last two axes.

    Parameters
    ----------
    x : numpy.ndarray or cupy.ndarray
        Input of shape ``(..., ny, nx)``, real or complex; leading axes are a batch.
    norm : {"backward", "ortho", "forward"}
        Normalisation, as in :mod:`numpy.fft` ("backward": none on the forward transform).
    overwrite_x : bool
        Allow the engine to destroy ``x`` (a hint for scipy and CuPy; pyFFTW never does).

    Returns
    -------
    numpy.ndarray or cupy.ndarray
        Spectrum of shape ``(..., ny, nx)``: complex64 for single-precision input,
        complex128 for double, on the device of ``x``.
    """
    return _transform("fft2", x, norm, overwrite_x)


def ifft2(x: Any, *, norm: Norm = "backward", overwrite_x: bool = False) -> Any:
    """Inverse 2-D discrete Fourier transform over the last two axes.

    Parameters
    ----------
    x : numpy.ndarray or cupy.ndarray
        Spectrum of shape ``(..., ny, nx)``; leading axes are a batch.
    norm : {"backward", "ortho", "forward"}
        Normalisation, as in :mod:`numpy.fft` ("backward": 1/(ny nx) here).
    overwrite_x : bool
        Allow the engine to destroy ``x`` (a hint for scipy and CuPy; pyFFTW never does).

    Returns
    -------
    numpy.ndarray or cupy.ndarray
        Complex array of shape ``(..., ny, nx)``, same precision and device as ``x``.
    """
    return _transform("ifft2", x, norm, overwrite_x)


def rfft2(x: Any, *, norm: Norm = "backward", overwrite_x: bool = False) -> Any:
    """2-D Fourier transform of a real array over the last two axes (half spectrum).

    Parameters
    ----------
    x : numpy.ndarray or cupy.ndarray
        Real input of shape ``(..., ny, nx)``; leading axes are a batch.
    norm : {"backward", "ortho", "forward"}
        Normalisation, as in :mod:`numpy.fft`.
    overwrite_x : bool
        Allow the engine to destroy ``x`` (a hint for scipy and CuPy; pyFFTW never does).

    Returns
    -------
    numpy.ndarray or cupy.ndarray
        Half spectrum of shape ``(..., ny, nx // 2 + 1)``: complex64 for float32 input,
        complex128 for float64.

    Raises
    ------
    InvalidParameterError
        If ``x`` is complex or has fewer than two dimensions.
    """
    return _transform("rfft2", x, norm, overwrite_x)


def irfft2(x: Any, s: tuple[int, int], *, norm: Norm = "backward", overwrite_x: bool = False) -> Any:
    """Inverse of :func:`rfft2`: a half spectrum to a real array.

    Parameters
    ----------
    x : numpy.ndarray or cupy.ndarray
        Half spectrum of shape ``(..., ny, nx // 2 + 1)``; leading axes are a batch.
    s : (int, int)
        ``(ny, nx)`` of the real output. Required, since an even ``nx`` and the odd
        ``nx + 1`` share a half-spectrum width; it must match the input's last two axes.
    norm : {"backward", "ortho", "forward"}
        Normalisation, as in :mod:`numpy.fft` ("backward": 1/(ny nx) here).
    overwrite_x : bool
        Allow the engine to destroy ``x`` (a hint for scipy and CuPy; pyFFTW never does).

    Returns
    -------
    numpy.ndarray or cupy.ndarray
        Real array of shape ``(..., ny, nx)``: float32 for complex64 input, float64 for
        complex128.
    """
    return _transform("irfft2", x, norm, overwrite_x, s)


def fft_info() -> dict[str, Any]:
    """A JSON-serialisable description of the FFT engines (for ``litho info``)."""
    pyfftw = _load_pyfftw()
    try:
        wisdom: str | None = str(_wisdom_path()) if pyfftw is not None else None
    except OSError:
        wisdom = None
    with _lock:
        measured = [
            {"kind": k, "shape": list(shape), "dtype": np.dtype(d).name, "engine": e,
             "seconds": {name: float(t) for name, t in sec.items()}}
            for (k, shape, d), (e, sec) in _measured.items()
        ]
        n_plans = len(_plans)
    import scipy

    return {
        "setting": _config.get().fft_engine,
        "engines": cpu_fft_engines(),
        "threads": cpu_threads(),
        "rule": _AUTO_RULE,
        "measured": measured,
        "pyfftw_plans_cached": n_plans,
        "scipy_version": scipy.__version__,
        "pyfftw_version": getattr(pyfftw, "__version__", None),
        "wisdom_file": wisdom,
        "gpu_plan_cache_size": _config.get().gpu_fft_plan_cache,
    }
