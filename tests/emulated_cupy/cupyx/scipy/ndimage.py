"""Emulated ``cupyx.scipy.ndimage``: scipy.ndimage on device arrays."""

import scipy.ndimage as _nd

from cupy import _core


def __getattr__(name: str):
    return _core.device_function(getattr(_nd, name))
