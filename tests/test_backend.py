"""litho.backend: backend resolution, array-module dispatch and host/device moves.

The FFT facade is tested in test_fft.py.
"""

from __future__ import annotations

import subprocess
import types
import sys

import numpy as np
import pytest

import litho.config
from litho import backend
from litho.backend import array_module, asarray, get_array_module, is_gpu_array, resolve_backend, to_numpy
from litho.errors import BackendUnavailableError, InvalidParameterError, LithoError

GPU = backend.cupy_available()
no_gpu = pytest.mark.skipif(GPU, reason="a usable GPU is present")


class TestCupyAvailable:
    def test_is_bool_and_cached(self):
        first = backend.cupy_available()
        assert isinstance(first, bool)
        assert backend.cupy_available() is first
        assert backend._cupy_status.cache_info().currsize == 1

    def test_never_raises_when_cupy_is_blocked(self):
        code = (
            "import sys; sys.modules['cupy'] = None\n"
            "from litho import backend\n"
            "assert backend.cupy_available() is False\n"
            "info = backend.gpu_info()\n"
            "assert info['available'] is False and 'litho[gpu]' in info['reason'], info\n"
            "assert backend.resolve_backend('auto') == 'numpy'\n"
            "print('OK')\n"
        )
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "OK"

    @pytest.mark.parametrize(
        "count, expected",
        [(RuntimeError("cudaErrorNoDevice: no CUDA-capable device is detected"), "cudaErrorNoDevice"),
         (0, "no CUDA device")],
    )
    def test_installed_but_no_device(self, monkeypatch, count, expected):
        """A CuPy that imports but finds no device: the CUDA error text reaches the user."""

        def get_device_count():
            if isinstance(count, Exception):
                raise count
            return count

        fake = types.ModuleType("cupy")
        fake.cuda = types.SimpleNamespace(runtime=types.SimpleNamespace(getDeviceCount=get_device_count))
        monkeypatch.setitem(sys.modules, "cupy", fake)
        backend._cupy_status.cache_clear()
        try:
            assert backend.cupy_available() is False
            assert resolve_backend("auto") == "numpy"
            with pytest.raises(BackendUnavailableError, match=expected):
                resolve_backend("cupy")
            assert array_module(np.zeros(2)) is np  # a cupy module without ndarray is harmless
        finally:
            backend._cupy_status.cache_clear()

    def test_importing_litho_backend_does_not_import_cupy(self):
        code = "import sys\nimport litho.backend\nprint('cupy' in sys.modules)\n"
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "False"


class TestResolveBackend:
    def test_numpy(self):
        assert resolve_backend("numpy") == "numpy"

    def test_auto(self):
        assert resolve_backend("auto") == ("cupy" if GPU else "numpy")

    def test_none_reads_config(self):
        with litho.config.override(backend="numpy"):
            assert resolve_backend() == "numpy"
            assert resolve_backend(None) == "numpy"
        with litho.config.override(backend="auto"):
            assert resolve_backend() == resolve_backend("auto")

    @no_gpu
    def test_explicit_cupy_without_gpu_raises(self):
        with pytest.raises(BackendUnavailableError) as info:
            resolve_backend("cupy")
        message = str(info.value)
        assert "litho[gpu]" in message or "GPU" in message
        assert isinstance(info.value, LithoError) and isinstance(info.value, RuntimeError)
        with litho.config.override(backend="cupy"):
            with pytest.raises(BackendUnavailableError):
                resolve_backend()
        with pytest.raises(BackendUnavailableError):
            get_array_module("cupy")
        with pytest.raises(BackendUnavailableError):
            asarray([1.0], backend="cupy")

    @pytest.mark.parametrize("bad", ["torch", "CUPY", "", 3, np.zeros(2)])
    def test_bad_name(self, bad):
        with pytest.raises(InvalidParameterError) as info:
            resolve_backend(bad)
        assert info.value.name == "backend"
        for allowed in ("auto", "numpy", "cupy"):
            assert allowed in str(info.value)


class TestArrayModule:
    def test_get_array_module(self):
        assert get_array_module("numpy") is np
        assert get_array_module("auto").__name__ == ("cupy" if GPU else "numpy")

    @pytest.mark.parametrize("x", [np.zeros((2, 3)), np.float32(1.0), 1.5, 3, [1, 2], (1.0, 2.0), np.zeros(())])
    def test_numpy_like_inputs(self, x):
        assert array_module(x) is np
        assert is_gpu_array(x) is False

    def test_to_numpy(self):
        x = np.arange(6.0).reshape(2, 3)
        assert to_numpy(x) is x  # no copy for numpy input
        out = to_numpy([[1, 2], [3, 4]])
        assert isinstance(out, np.ndarray) and out.shape == (2, 2)
        assert to_numpy(2.5).shape == ()

    def test_asarray_numpy(self):
        x = np.arange(4, dtype=np.float32)
        assert asarray(x, backend="numpy") is x
        assert asarray(x, backend="numpy").dtype == np.float32  # dtype kept
        y = asarray(x, backend="numpy", dtype=np.float64)
        assert y.dtype == np.float64 and np.array_equal(y, x)
        z = asarray([[1, 2], [3, 4]], backend="numpy")
        assert isinstance(z, np.ndarray) and z.dtype.kind == "i"
        with litho.config.override(backend="numpy"):
            assert isinstance(asarray([1.0], backend=None), np.ndarray)

    @no_gpu
    def test_asarray_auto_without_gpu_is_numpy(self):
        out = asarray([1.0, 2.0])
        assert isinstance(out, np.ndarray)


@pytest.mark.gpu
@pytest.mark.skipif(not GPU, reason="needs CuPy and a usable CUDA GPU")
class TestGPU:
    def test_round_trip_and_dispatch(self):
        import cupy

        x = np.arange(12, dtype=np.float32).reshape(3, 4)
        g = asarray(x, backend="cupy")
        assert isinstance(g, cupy.ndarray) and g.dtype == np.float32
        assert is_gpu_array(g) and array_module(g) is cupy
        assert asarray(g, backend="cupy") is g
        assert asarray(x, backend="auto").__class__ is cupy.ndarray
        back = asarray(g, backend="numpy")
        assert isinstance(back, np.ndarray) and np.array_equal(back, x)
        assert np.array_equal(to_numpy(g), x)
        assert asarray(g, backend="cupy", dtype=np.float64).dtype == np.float64
        assert get_array_module("cupy") is cupy and resolve_backend("cupy") == "cupy"

    def test_gpu_info(self):
        info = backend.gpu_info()
        assert info["available"] is True
        assert info["name"] and info["total_memory"] > 0 and 0 < info["free_memory"] <= info["total_memory"]
