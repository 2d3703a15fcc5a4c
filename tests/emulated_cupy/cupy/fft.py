"""Emulated ``cupy.fft`` (numpy.fft on device arrays; numpy 2 keeps single precision)."""

from __future__ import annotations

import numpy as _np

from . import _core


class _PlanCache:
    def __init__(self) -> None:
        self._size = 16

    def set_size(self, size: int) -> None:
        self._size = int(size)

    def get_size(self) -> int:
        return self._size

    def get_curr_size(self) -> int:
        return 0  # the emulation plans nothing

    def clear(self) -> None:
        return None


class config:  # noqa: N801 (CuPy's name)
    _cache = _PlanCache()

    @staticmethod
    def get_plan_cache() -> _PlanCache:
        return config._cache


def __getattr__(name: str):
    return _core.device_function(getattr(_np.fft, name))
