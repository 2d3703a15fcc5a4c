"""Emulated ``cupy.random``: numpy's generators, results on the device.

The streams differ from CuPy's (as do the real CuPy's from numpy's): tests must not
compare random draws between the CPU and the GPU.
"""

from __future__ import annotations

import numpy as _np

from . import _core


class Generator:
    def __init__(self, bit_generator=None) -> None:
        self._g = _np.random.default_rng(bit_generator)

    def __getattr__(self, name: str):
        return _core.device_function(getattr(self._g, name))


def default_rng(seed=None) -> Generator:
    return Generator(seed)


def __getattr__(name: str):
    return _core.device_function(getattr(_np.random, name))
