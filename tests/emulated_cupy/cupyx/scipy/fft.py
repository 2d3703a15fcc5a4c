"""Emulated ``cupyx.scipy.fft``: scipy.fft on device arrays."""

import scipy.fft as _fft

from cupy import _core


def __getattr__(name: str):
    return _core.device_function(getattr(_fft, name))
