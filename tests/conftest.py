"""Test configuration: GPU tests skip unless CuPy and a CUDA device are usable."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(config, items):
    gpu_items = [item for item in items if "gpu" in item.keywords]
    if not gpu_items:
        return
    from litho.backend import cupy_available

    if cupy_available():
        return
    skip = pytest.mark.skip(reason="needs CuPy and a usable CUDA GPU")
    for item in gpu_items:
        item.add_marker(skip)
