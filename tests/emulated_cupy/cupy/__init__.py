"""An emulation of the parts of CuPy that litho uses, on numpy: for testing GPU code paths
on machines without a GPU (CI). Not a GPU: nothing here is faster than numpy.

It keeps the CuPy rules that host code most often breaks, so that a test run through it
fails where the real CuPy would:

- ``cupy.ndarray`` is its own type, not a numpy array: no buffer protocol (a Cython
  memoryview refuses it), and implicit conversion to numpy raises ``TypeError``
  (``np.asarray(device_array)``; use ``.get()`` or ``cupy.asnumpy``);
- numpy arrays (ndim >= 1), lists and tuples of them are refused as operands of
  arithmetic and as arguments of ``cupy`` / ``cupyx`` functions, except by the
  host-to-device constructors ``asarray``, ``array`` and ``asanyarray``;
- numpy functions and ufuncs called on device arrays dispatch to this module (NEP 18 /
  ``__array_ufunc__``, as in CuPy) and return device arrays;
- ``float()``, ``int()``, ``bool()``, ``.item()``, ``.tolist()`` and ``.get()`` copy to the host.

Precision follows numpy 2 (float32 / complex64 kept by FFTs, as in CuPy). One device,
``cupy.cuda.Device(0)``, reporting the host's memory. Enable it by putting the folder that
holds this package first on ``sys.path`` before anything imports ``cupy`` (see
``tests/conftest.py``: ``LITHO_EMULATE_CUPY=1``).
"""

from __future__ import annotations

import numpy as _np

from . import _core
from ._core import asarray, asnumpy, get_array_module, ndarray  # noqa: F401
from . import cuda, fft, linalg, random  # noqa: F401

__version__ = "13.0.0+emulated"
EMULATED = True

_HOST_CONSTRUCTORS = {"array", "asanyarray"}


def __getattr__(name: str):
    value = getattr(_np, name)
    if isinstance(value, type) and (issubclass(value, (_np.generic, _np.dtype)) or value in (bool, int, float, complex)):
        return value  # scalar types and dtypes, shared with numpy (as in CuPy)
    if callable(value):
        return _core.device_function(value, host_ok=name in _HOST_CONSTRUCTORS)
    return value


def get_default_memory_pool():
    return _core.MEMORY_POOL


def get_default_pinned_memory_pool():
    return _core.MEMORY_POOL
