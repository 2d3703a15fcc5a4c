"""Array backends (numpy on the CPU, CuPy on NVIDIA GPUs) and the FFT facade.

Array in, array out: litho computes on the device of its input and returns the same
array type; :func:`array_module` tells which module that is without importing CuPy
for numpy input. Constructors that create arrays take ``backend="auto" | "numpy" |
"cupy"`` and pass it through :func:`resolve_backend`: "auto" is CuPy when it imports and
a GPU is usable, otherwise numpy, silently; an explicit "cupy" without a usable GPU
raises :class:`~litho.errors.BackendUnavailableError` saying why.

The FFT functions (:func:`fft2`, :func:`ifft2`, :func:`rfft2`, :func:`irfft2`,
:func:`fft_engine_for`, :func:`cpu_fft_engines`, :func:`fft_info`) are implemented in
:mod:`litho._fft` and re-exported here; see that module for the engine rules.

Module state: only caches -- the CuPy probe result (:func:`cupy_available`, an
``lru_cache``) and the FFT caches described in :mod:`litho._fft`.
"""

from __future__ import annotations

import functools
import sys
from types import ModuleType
from typing import Any, Literal

import numpy as np

from . import config as _config
from ._fft import *  # noqa: F403  (re-exported; the list is _fft.__all__)
from . import _fft
from .errors import BackendUnavailableError, InvalidParameterError

__all__ = [
    "cupy_available",
    "gpu_info",
    "resolve_backend",
    "get_array_module",
    "array_module",
    "is_gpu_array",
    "to_numpy",
    "asarray",
    *_fft.__all__,
]

ResolvedBackend = Literal["numpy", "cupy"]
_BACKENDS = ("auto", "numpy", "cupy")
_INSTALL_GPU = "pip install 'litho[gpu]'"


@functools.lru_cache(maxsize=None)
def _cupy_status() -> tuple[bool, str]:
    """(usable, reason it is not) for CuPy here; probed once per process (cached)."""
    try:
        import cupy
    except ModuleNotFoundError as exc:
        if exc.name in (None, "cupy"):
            return False, f"CuPy is not installed; install the GPU extra with {_INSTALL_GPU}"
        return False, f"CuPy failed to import ({exc}); reinstall it with {_INSTALL_GPU}"
    except Exception as exc:  # a broken install: missing CUDA libraries, ABI mismatch
        return False, (
            f"CuPy failed to import ({type(exc).__name__}: {exc}); install the CuPy wheel "
            f"matching your CUDA version ({_INSTALL_GPU})"
        )
    try:
        count = cupy.cuda.runtime.getDeviceCount()
        if count < 1:
            return False, "CuPy found no CUDA device (check the NVIDIA driver and CUDA_VISIBLE_DEVICES)"
        probe = cupy.arange(4, dtype=cupy.float32) * 2  # allocation + a kernel launch
        if float(probe.sum()) != 12.0:
            return False, "a test computation on the GPU gave a wrong result"
    except Exception as exc:  # CUDARuntimeError (no driver, no device), CompileException, ...
        return False, f"no usable CUDA GPU ({type(exc).__name__}: {exc})"
    return True, ""


def cupy_available() -> bool:
    """Whether CuPy imports and a CUDA GPU is usable here (probed once, cached; never raises).

    Usable means ``cupy.cuda.runtime.getDeviceCount() > 0`` and a tiny allocation and
    kernel launch on the current device succeed.
    """
    return _cupy_status()[0]


def gpu_info() -> dict[str, Any]:
    """A JSON-serialisable description of the current GPU, or of why there is none.

    Returns
    -------
    dict
        ``available`` (bool); when available also ``name``, ``device_count``,
        ``total_memory`` and ``free_memory`` (bytes), ``cupy_version`` and
        ``cuda_runtime`` (e.g. 12040); otherwise ``reason``.
    """
    ok, reason = _cupy_status()
    if not ok:
        return {"available": False, "reason": reason}
    import cupy

    try:
        device = cupy.cuda.Device()
        props = cupy.cuda.runtime.getDeviceProperties(device.id)
        name = props["name"]
        free, total = device.mem_info
        return {
            "available": True,
            "name": name.decode() if isinstance(name, bytes) else str(name),
            "device_id": int(device.id),
            "device_count": int(cupy.cuda.runtime.getDeviceCount()),
            "total_memory": int(total),
            "free_memory": int(free),
            "cupy_version": cupy.__version__,
            "cuda_runtime": int(cupy.cuda.runtime.runtimeGetVersion()),
        }
    except Exception as exc:
        return {"available": False, "reason": f"querying the GPU failed ({type(exc).__name__}: {exc})"}


def resolve_backend(backend: str | None = None) -> ResolvedBackend:
    """The concrete backend for a requested one.

    Parameters
    ----------
    backend : {"auto", "numpy", "cupy"} or None
        ``None`` means ``litho.config.get().backend``. "auto" is "cupy" when
        :func:`cupy_available`, otherwise "numpy", silently.

    Returns
    -------
    {"numpy", "cupy"}

    Raises
    ------
    BackendUnavailableError
        "cupy" was asked for but CuPy is not installed or no GPU is usable.
    InvalidParameterError
        ``backend`` is not one of the names above.
    """
    if backend is None:
        backend = _config.get().backend
    if not isinstance(backend, str) or backend not in _BACKENDS:
        raise InvalidParameterError("backend", backend, "one of 'auto', 'numpy', 'cupy'")
    if backend == "numpy":
        return "numpy"
    ok, reason = _cupy_status()
    if backend == "auto":
        return "cupy" if ok else "numpy"
    if not ok:
        raise BackendUnavailableError(
            f"backend='cupy' was requested but cannot be used: {reason}. "
            "Use backend='auto' or 'numpy' to compute on the CPU"
        )
    return "cupy"


def get_array_module(backend: str | None = None) -> ModuleType:
    """The array module (numpy or cupy) for a backend name (see :func:`resolve_backend`)."""
    if resolve_backend(backend) == "cupy":
        import cupy

        return cupy
    return np


def is_gpu_array(x: Any) -> bool:
    """Whether ``x`` is a CuPy array (checked without importing CuPy)."""
    cupy = sys.modules.get("cupy")
    return cupy is not None and isinstance(x, getattr(cupy, "ndarray", ()))


def array_module(x: Any) -> ModuleType:
    """numpy or cupy: the module of array ``x``.

    CuPy is never imported here: anything that is not a CuPy array (numpy arrays,
    Python scalars and lists) gives numpy.
    """
    if is_gpu_array(x):
        return sys.modules["cupy"]
    return np


def to_numpy(x: Any) -> np.ndarray:
    """``x`` as a numpy array: CuPy arrays are copied to the host, others go through np.asarray."""
    if is_gpu_array(x):
        return sys.modules["cupy"].asnumpy(x)
    return np.asarray(x)


def asarray(x: Any, backend: str | None = None, dtype: Any = None) -> Any:
    """``x`` as an array of the resolved backend, moved between host and GPU as needed.

    Parameters
    ----------
    x : array_like
        numpy or CuPy array, scalar or nested sequence.
    backend : {"auto", "numpy", "cupy"} or None
        Target backend (see :func:`resolve_backend`; ``None``: the configured default).
    dtype : dtype, optional
        Convert to this dtype; by default the dtype of ``x`` is kept.

    Returns
    -------
    numpy.ndarray or cupy.ndarray
        ``x`` itself when it is already of that type and dtype, otherwise a copy.
    """
    if resolve_backend(backend) == "numpy":
        return np.asarray(to_numpy(x), dtype=dtype)
    import cupy

    return cupy.asarray(x, dtype=dtype)
