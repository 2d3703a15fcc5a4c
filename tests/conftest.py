"""Test configuration: GPU tests skip unless CuPy and a CUDA device are usable.

Tests not marked ``gpu`` run with ``litho.config`` backend "numpy" (the library default
is "auto"): on a machine with a GPU they would otherwise compute on it and hand CuPy
arrays to numpy assertions. ``LITHO_TEST_BACKEND=auto`` keeps the library default for
them instead (with the CuPy emulation below: every "auto" computation on the emulated
device, a wider but noisier check of the GPU paths; tests that compare with numpy arrays
then fail by design).

``LITHO_EMULATE_CUPY=1`` puts the numpy-backed CuPy emulation of ``tests/emulated_cupy``
in place of CuPy (never beside a real one), so that the GPU code paths and their tests
run on a machine without a GPU; ``tests/test_gpu_emulated.py`` runs the GPU tests that
way in every default run.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

if os.environ.get("LITHO_EMULATE_CUPY", "") not in ("", "0"):
    if "cupy" in sys.modules:
        raise RuntimeError("LITHO_EMULATE_CUPY=1 but cupy is already imported")
    _EMULATION = str(Path(__file__).parent / "emulated_cupy")
    sys.path.insert(0, _EMULATION)
    # subprocesses (CLI and example tests) see the emulated device too
    os.environ["PYTHONPATH"] = os.pathsep.join([_EMULATION, *filter(None, [os.environ.get("PYTHONPATH")])])


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


@pytest.fixture(autouse=True)
def _cpu_backend_unless_gpu(request):
    """backend "numpy" by default for tests not marked gpu (see the module docstring)."""
    if "gpu" in request.keywords or os.environ.get("LITHO_TEST_BACKEND", "") == "auto":
        yield
        return
    import litho

    with litho.config.override(backend="numpy"):
        yield
