"""The GPU code paths on a machine without a GPU, through the CuPy emulation.

``tests/emulated_cupy`` is a numpy-backed stand-in for CuPy that keeps CuPy's rules
(device arrays are their own type without a host view, numpy arrays are refused where
device arrays are needed, numpy functions dispatch to the device); see its docstring.
Here (1) the emulation is checked to refuse what CuPy refuses, so that a GPU path that
mixes host and device data fails here as it would on a GPU, and (2) every test marked
``gpu`` is run on the emulated device in a subprocess. That checks the GPU code paths
(dispatch, array-module code, host/device transfers, the GPU algorithms: the plane-sweep
eikonal, the array-code level set, cupyx FFTs) against the CPU, not CUDA itself nor GPU
speed: on a machine with a usable GPU the real GPU tests run instead and (2) is skipped.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

HERE = Path(__file__).parent
ROOT = HERE.parent


def _env() -> dict[str, str]:
    env = dict(os.environ, LITHO_EMULATE_CUPY="1")
    env["PYTHONPATH"] = os.pathsep.join([str(HERE / "emulated_cupy"), *filter(None, [env.get("PYTHONPATH")])])
    env.pop("LITHO_TEST_BACKEND", None)
    return env


def test_the_emulation_refuses_what_cupy_refuses():
    script = textwrap.dedent("""
        import numpy as np
        import cupy
        assert getattr(cupy, "EMULATED", False)
        from litho.backend import cupy_available, is_gpu_array, array_module, to_numpy
        from litho._kernels import levelset
        assert cupy_available()
        g = cupy.arange(6.0).reshape(2, 3)
        assert is_gpu_array(g) and array_module(g) is cupy and not isinstance(g, np.ndarray)
        refused = []
        for name, f in [
            ("np.asarray", lambda: np.asarray(g)),
            ("np.array of a list", lambda: np.array([g, g])),
            ("device + host", lambda: g + np.ones(3)),
            ("host + device", lambda: np.ones(3) + g),
            ("cupy function on host data", lambda: cupy.where(np.ones((2, 3)) > 0, g, 0.0)),
            ("buffer protocol", lambda: memoryview(g)),
            ("Cython kernel", lambda: levelset.visibility(g.reshape(1, 2, 3) > 0, (1.0, 1.0, 1.0),
                                                          np.array([[1.0, 0.0, 0.0]]))),
        ]:
            try:
                f()
            except (TypeError, ValueError):
                refused.append(name)
        assert len(refused) == 7, refused
        # allowed, as in CuPy: numpy ufuncs and functions dispatch to the device, explicit copies
        assert is_gpu_array(np.exp(g)) and is_gpu_array(np.where(g > 1, g, 0.0)) and is_gpu_array(g.sum())
        assert float(g.sum()) == 15.0 and isinstance(to_numpy(g), np.ndarray)
        assert cupy.asarray(g) is g and isinstance(cupy.asnumpy(g), np.ndarray)
        print("ok")
    """)
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=_env(), cwd=ROOT,
                         timeout=120)
    assert run.returncode == 0 and run.stdout.strip() == "ok", run.stdout + run.stderr


def test_every_gpu_test_passes_on_the_emulated_device():
    from litho.backend import cupy_available

    if cupy_available() and not getattr(sys.modules.get("cupy"), "EMULATED", False):
        pytest.skip("a real GPU is usable here: the gpu tests run on it")
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-m", "gpu", "-p", "no:cacheprovider", "tests"],
                         capture_output=True, text=True, env=_env(), cwd=ROOT, timeout=900)
    tail = run.stdout[-3000:] + run.stderr[-2000:]
    assert run.returncode == 0, tail
    counts = dict((k, int(v)) for v, k in re.findall(r"(\d+) (passed|failed|skipped|error)", run.stdout))
    # every gpu test ran and passed: none skipped for want of a GPU (the emulated device is
    # usable; modules skipped for other optional packages, ViennaPS say, may be counted)
    assert counts.get("passed", 0) >= 25 and "needs CuPy" not in run.stdout and "no usable GPU" not in run.stdout, tail
