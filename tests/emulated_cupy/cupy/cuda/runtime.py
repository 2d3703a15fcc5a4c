"""Emulated ``cupy.cuda.runtime``."""

from __future__ import annotations


class CUDARuntimeError(RuntimeError):
    pass


def getDeviceCount() -> int:  # noqa: N802 (CuPy's name)
    return 1


def runtimeGetVersion() -> int:  # noqa: N802
    return 13000


def driverGetVersion() -> int:  # noqa: N802
    return 13000


def getDeviceProperties(device: int) -> dict:  # noqa: N802
    from .._core import Device

    free, total = Device(device).mem_info
    return {"name": b"emulated CuPy device (numpy on the host)", "totalGlobalMem": total,
            "multiProcessorCount": 1, "major": 0, "minor": 0}
