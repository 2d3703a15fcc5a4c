"""Emulated ``cupy.linalg``."""

import numpy as _np

from . import _core


def __getattr__(name: str):
    return _core.device_function(getattr(_np.linalg, name))
