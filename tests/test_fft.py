"""The FFT facade in litho.backend: correctness on every CPU engine, engine choice, wisdom.

Truth is numpy.fft evaluated in float64 (complex128).

Tolerances, relative to max|reference| of each result:
- float32/complex64: 1e-5. A radix-2 FFT of N points accumulates rounding ~ log2(N) * eps
  per output (eps = 6e-8), ~1e-6 for the sizes here; 1e-5 leaves room for different
  algorithms (pocketfft vs FFTW codelets) without hiding a wrong normalisation or a
  transposed axis (errors of order 1).
- float64/complex128: 1e-12 (eps = 1.1e-16, same reasoning).
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import litho.config
from litho import backend
from litho.backend import fft2, fft_engine_for, fft_info, ifft2, irfft2, rfft2
from litho.errors import BackendUnavailableError, InvalidParameterError

ENGINES = ["scipy", "pyfftw"]
HAVE_PYFFTW = "pyfftw" in backend.cpu_fft_engines()
RTOL = {np.dtype(np.float32): 1e-5, np.dtype(np.float64): 1e-12}


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path, monkeypatch):
    """Each test gets an empty cache directory (wisdom) and forgets plans and choices."""
    monkeypatch.setenv("LITHO_CACHE_DIR", str(tmp_path / "cache"))
    backend.clear_fft_caches()
    yield
    backend.clear_fft_caches()


@pytest.fixture(params=ENGINES)
def engine(request):
    if request.param == "pyfftw" and not HAVE_PYFFTW:
        pytest.skip("pyFFTW is not installed")
    with litho.config.override(fft_engine=request.param):
        yield request.param


def _real(shape, dtype, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _complex(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    cdtype = np.result_type(dtype, np.complex64)
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(cdtype)


def _close(actual, reference, real_dtype):
    reference = np.asarray(reference)
    scale = np.max(np.abs(reference))
    err = np.max(np.abs(np.asarray(actual, dtype=np.complex128) - reference))
    assert err <= RTOL[np.dtype(real_dtype)] * scale, f"max error {err:.3g} vs scale {scale:.3g}"


DTYPES = [np.float32, np.float64]
SHAPES = [(32, 48), (45, 30), (17, 64)]  # even and odd sizes, non-square


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
class TestAgainstNumpy:
    def test_fft2(self, engine, shape, dtype):
        x = _complex(shape, dtype)
        out = fft2(x)
        assert out.dtype == np.result_type(dtype, np.complex64)
        _close(out, np.fft.fft2(x.astype(np.complex128)), dtype)

    def test_fft2_of_real_input(self, engine, shape, dtype):
        x = _real(shape, dtype)
        out = fft2(x)
        assert out.dtype == np.result_type(dtype, np.complex64)
        _close(out, np.fft.fft2(x.astype(np.float64)), dtype)

    def test_ifft2(self, engine, shape, dtype):
        x = _complex(shape, dtype)
        out = ifft2(x)
        assert out.dtype == np.result_type(dtype, np.complex64)
        _close(out, np.fft.ifft2(x.astype(np.complex128)), dtype)

    def test_rfft2(self, engine, shape, dtype):
        x = _real(shape, dtype)
        out = rfft2(x)
        assert out.shape == (shape[0], shape[1] // 2 + 1)
        assert out.dtype == np.result_type(dtype, np.complex64)
        _close(out, np.fft.rfft2(x.astype(np.float64)), dtype)

    def test_irfft2(self, engine, shape, dtype):
        # a valid (Hermitian) half spectrum: the rfft2 of a real array
        spectrum = np.fft.rfft2(_real(shape, np.float64)).astype(np.result_type(dtype, np.complex64))
        out = irfft2(spectrum, shape)
        assert out.shape == shape and out.dtype == np.dtype(dtype)
        _close(out, np.fft.irfft2(spectrum.astype(np.complex128), s=shape), dtype)

    def test_round_trips(self, engine, shape, dtype):
        x = _real(shape, dtype)
        _close(irfft2(rfft2(x), shape), x, dtype)
        z = _complex(shape, dtype)
        _close(ifft2(fft2(z)), z, dtype)


@pytest.mark.parametrize("norm", ["backward", "ortho", "forward"])
def test_norm_modes(engine, norm):
    x = _real((24, 40), np.float64)
    z = _complex((24, 40), np.float64)
    _close(fft2(z, norm=norm), np.fft.fft2(z, norm=norm), np.float64)
    _close(ifft2(z, norm=norm), np.fft.ifft2(z, norm=norm), np.float64)
    _close(rfft2(x, norm=norm), np.fft.rfft2(x, norm=norm), np.float64)
    spectrum = np.fft.rfft2(x)
    _close(irfft2(spectrum, x.shape, norm=norm), np.fft.irfft2(spectrum, s=x.shape, norm=norm), np.float64)
    _close(irfft2(rfft2(x, norm=norm), x.shape, norm=norm), x, np.float64)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("batch", [(3,), (2, 3)])
def test_batched_equals_per_slice(engine, batch, dtype):
    shape = batch + (20, 36)
    x = _real(shape, dtype)
    z = _complex(shape, dtype)
    spectra = rfft2(x)
    for index in np.ndindex(*batch):
        _close(fft2(z)[index], fft2(z[index]), dtype)
        _close(ifft2(z)[index], ifft2(z[index]), dtype)
        _close(spectra[index], rfft2(x[index]), dtype)
        _close(irfft2(spectra, (20, 36))[index], irfft2(spectra[index], (20, 36)), dtype)


def test_inputs_untouched_and_results_independent(engine):
    x = _real((2, 64, 64), np.float32)
    spectrum = rfft2(x)
    x_copy, spectrum_copy = x.copy(), spectrum.copy()
    first = irfft2(spectrum, (64, 64))
    second = irfft2(spectrum * 2, (64, 64))  # same signature: a cached plan is reused
    assert np.array_equal(x, x_copy) and np.array_equal(spectrum, spectrum_copy)
    assert not np.shares_memory(first, second)
    _close(second, 2 * first, np.float32)
    # non-contiguous input
    strided = _complex((64, 96), np.complex64)[:, ::2]
    _close(fft2(strided), np.fft.fft2(strided.astype(np.complex128)), np.float32)


def test_threads_sharing_a_plan(engine):
    """Concurrent calls of one signature (one cached pyFFTW plan and its buffers) stay correct."""
    from concurrent.futures import ThreadPoolExecutor

    inputs = [_complex((64, 64), np.complex128, seed=s) for s in range(8)]

    def work(z):
        with litho.config.override(fft_engine=engine):  # threads do not inherit overrides
            return [fft2(z) for _ in range(5)]

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(work, inputs))
    for z, outs in zip(inputs, results):
        for out in outs:
            _close(out, np.fft.fft2(z), np.float64)


def test_lists_and_integer_input_follow_the_precision_setting(engine):
    data = [[1, 2, 3, 4], [5, 6, 7, 8]]
    assert fft2(data).dtype == np.complex64  # default precision is single
    with litho.config.override(precision="double"):
        out = fft2(np.array(data))
        assert out.dtype == np.complex128
        _close(out, np.fft.fft2(np.array(data, dtype=float)), np.float64)
    assert rfft2(np.ones((4, 4), dtype=np.float16)).dtype == np.complex64


class TestValidation:
    def test_fewer_than_two_dims(self):
        for func in (fft2, ifft2, rfft2):
            with pytest.raises(InvalidParameterError, match="x"):
                func(np.ones(8))
        with pytest.raises(InvalidParameterError) as info:
            irfft2(np.ones(5, dtype=np.complex64), (8, 8))
        assert info.value.name == "x"

    def test_empty_axes(self):
        with pytest.raises(InvalidParameterError, match="x"):
            fft2(np.ones((0, 4)))

    def test_irfft2_shape_mismatch(self):
        spectrum = np.ones((16, 9), dtype=np.complex64)
        assert irfft2(spectrum, (16, 16)).shape == (16, 16)
        assert irfft2(spectrum, (16, 17)).shape == (16, 17)  # 17 // 2 + 1 == 9 too
        for bad in [(16, 20), (15, 16), (16,), "16x16", (16, 0)]:
            with pytest.raises(InvalidParameterError) as info:
                irfft2(spectrum, bad)
            assert info.value.name == "s"

    def test_rfft2_of_complex_input(self):
        with pytest.raises(InvalidParameterError, match="real"):
            rfft2(np.ones((4, 4), dtype=np.complex64))

    def test_bad_norm(self):
        with pytest.raises(InvalidParameterError, match="norm"):
            fft2(np.ones((4, 4)), norm="unitary")


class TestEngineChoice:
    def test_forced_engine(self):
        x = _complex((128, 128), np.complex64)
        with litho.config.override(fft_engine="scipy"):
            assert fft_engine_for("fft2", x.shape, x.dtype) == "scipy"
            fft2(x)
        assert fft_info()["pyfftw_plans_cached"] == 0
        assert fft_info()["measured"] == []  # forcing never measures
        if HAVE_PYFFTW:
            with litho.config.override(fft_engine="pyfftw"):
                assert fft_engine_for("fft2", x.shape, x.dtype) == "pyfftw"
                fft2(x)
            assert fft_info()["pyfftw_plans_cached"] == 1

    @pytest.mark.skipif(not HAVE_PYFFTW, reason="pyFFTW is not installed")
    def test_plan_cache_is_bounded(self, monkeypatch):
        monkeypatch.setattr("litho._fft.PLAN_CACHE_SIZE", 2)
        with litho.config.override(fft_engine="pyfftw"):
            for n in (16, 20, 24):
                fft2(np.ones((n, n), dtype=np.complex64))
            assert fft_info()["pyfftw_plans_cached"] == 2
            monkeypatch.setattr("litho._fft.PLAN_CACHE_BYTES", 1)  # every plan is over: keep the newest
            fft2(np.ones((28, 28), dtype=np.complex64))
            assert fft_info()["pyfftw_plans_cached"] == 1

    def test_auto_measures_once_and_caches(self, monkeypatch):
        x = _real((2, 128, 128), np.float32)
        with litho.config.override(fft_engine="auto"):
            rfft2(x)
            measured = fft_info()["measured"]
            assert len(measured) == 1
            entry = measured[0]
            assert entry["kind"] == "rfft2" and entry["shape"] == [2, 128, 128] and entry["dtype"] == "float32"
            assert entry["engine"] in backend.cpu_fft_engines()
            assert set(entry["seconds"]) == set(backend.cpu_fft_engines())
            assert fft_engine_for("rfft2", x.shape, np.float32) == entry["engine"]

            def no_second_measurement(*args, **kwargs):
                raise AssertionError("measured twice")

            monkeypatch.setattr("litho._fft._measure", no_second_measurement)
            _close(rfft2(x), np.fft.rfft2(x.astype(np.float64)), np.float32)

    def test_fft_engine_for_measures_on_demand(self):
        with litho.config.override(fft_engine="auto"):
            engine = fft_engine_for("irfft2", (96, 49), np.complex64)
            assert engine in backend.cpu_fft_engines()
            # real and complex single precision share the complex transform's signature
            assert fft_engine_for("fft2", (96, 96), np.float32) == fft_engine_for("fft2", (96, 96), np.complex64)

    def test_small_signatures_use_scipy_without_measuring(self):
        with litho.config.override(fft_engine="auto"):
            assert fft_engine_for("fft2", (8, 8), np.complex64) == "scipy"
            fft2(np.ones((2, 16, 16), dtype=np.complex64))  # 512 elements < AUTO_MIN_ELEMENTS
        assert fft_info()["measured"] == []

    def test_fft_engine_for_validates(self):
        with pytest.raises(InvalidParameterError, match="kind"):
            fft_engine_for("dct2", (8, 8), np.float32)
        with pytest.raises(InvalidParameterError, match="shape"):
            fft_engine_for("fft2", (8,), np.float32)

    def test_fft_info(self):
        info = fft_info()
        assert info["engines"] == backend.cpu_fft_engines()
        assert info["setting"] in ("auto", "scipy", "pyfftw")
        assert info["threads"] >= 1 and "auto" in info["rule"]


@pytest.mark.skipif(not HAVE_PYFFTW, reason="pyFFTW is not installed")
class TestWisdom:
    def test_written_to_cache_dir(self, tmp_path, monkeypatch):
        cache = tmp_path / "wisdom-here"
        monkeypatch.setenv("LITHO_CACHE_DIR", str(cache))
        with litho.config.override(fft_engine="pyfftw"):
            rfft2(_real((40, 56), np.float32))
        path = cache / "fftw_wisdom.pickle"
        assert path.is_file()
        wisdom = pickle.loads(path.read_bytes())
        assert isinstance(wisdom, tuple) and len(wisdom) == 3
        assert all(isinstance(w, bytes) for w in wisdom)
        assert b"fftw" in wisdom[1]  # single-precision wisdom was recorded
        assert [p.name for p in cache.iterdir()] == ["fftw_wisdom.pickle"]  # no temp file left

    @pytest.mark.parametrize("content", [b"not a pickle", pickle.dumps(("a", "b")), pickle.dumps(os.getcwd)])
    def test_bad_file_is_ignored_and_replaced(self, tmp_path, monkeypatch, content):
        cache = tmp_path / "bad"
        cache.mkdir()
        (cache / "fftw_wisdom.pickle").write_bytes(content)
        monkeypatch.setenv("LITHO_CACHE_DIR", str(cache))
        x = _real((24, 72), np.float64)
        with litho.config.override(fft_engine="pyfftw"):
            _close(rfft2(x), np.fft.rfft2(x), np.float64)
        assert len(pickle.loads((cache / "fftw_wisdom.pickle").read_bytes())) == 3


def test_without_pyfftw_in_subprocess(tmp_path):
    code = textwrap.dedent(
        """
        import sys
        sys.modules["pyfftw"] = None  # makes `import pyfftw` fail
        import numpy as np
        import litho.config
        from litho import backend
        from litho.errors import BackendUnavailableError

        assert backend.cpu_fft_engines() == ["scipy"], backend.cpu_fft_engines()
        x = np.random.default_rng(0).standard_normal((2, 128, 128)).astype(np.float32)
        with litho.config.override(fft_engine="auto"):
            assert backend.fft_engine_for("rfft2", x.shape, x.dtype) == "scipy"
            X = backend.rfft2(x)
        assert X.dtype == np.complex64
        assert np.abs(backend.irfft2(X, (128, 128)) - x).max() < 1e-5
        assert backend.fft_info()["measured"] == []
        try:
            with litho.config.override(fft_engine="pyfftw"):
                backend.fft2(x)
        except BackendUnavailableError as exc:
            assert "litho[fft]" in str(exc), str(exc)
        else:
            raise SystemExit("forcing pyfftw did not raise")
        print("OK")
        """
    )
    env = dict(os.environ, LITHO_CACHE_DIR=str(tmp_path), LITHO_FFT_ENGINE="auto")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "OK"


@pytest.mark.skipif(HAVE_PYFFTW, reason="pyFFTW is installed")
def test_forcing_missing_pyfftw_raises():
    with litho.config.override(fft_engine="pyfftw"):
        with pytest.raises(BackendUnavailableError, match=r"litho\[fft\]"):
            fft2(np.ones((4, 4)))


@pytest.mark.gpu
@pytest.mark.skipif(not backend.cupy_available(), reason="needs CuPy and a usable CUDA GPU")
class TestGPU:
    """CuPy FFTs equal numpy's (same tolerances as on the CPU: cuFFT is also O(log N) eps)."""

    @pytest.mark.parametrize("dtype", DTYPES)
    def test_against_numpy(self, dtype):
        import cupy

        x = _real((3, 64, 80), dtype)
        z = _complex((3, 64, 80), dtype)
        gx, gz = cupy.asarray(x), cupy.asarray(z)
        for out, ref in [
            (fft2(gz), np.fft.fft2(z.astype(np.complex128))),
            (fft2(gx), np.fft.fft2(x.astype(np.float64))),
            (ifft2(gz, norm="ortho"), np.fft.ifft2(z.astype(np.complex128), norm="ortho")),
            (rfft2(gx, norm="forward"), np.fft.rfft2(x.astype(np.float64), norm="forward")),
        ]:
            assert isinstance(out, cupy.ndarray)
            assert out.dtype == np.result_type(dtype, np.complex64)
            _close(cupy.asnumpy(out), ref, dtype)
        spectrum = rfft2(gx)
        saved = spectrum.copy()
        back = irfft2(spectrum, (64, 80))
        assert isinstance(back, cupy.ndarray) and back.dtype == np.dtype(dtype)
        _close(cupy.asnumpy(back), x, dtype)
        assert cupy.array_equal(spectrum, saved)  # C2R did not destroy its input

    def test_plan_cache_bounded(self):
        import cupy

        with litho.config.override(gpu_fft_plan_cache=3):
            fft2(cupy.ones((32, 32), dtype=cupy.complex64))
            cache = cupy.fft.config.get_plan_cache()
            assert cache.get_size() == 3
            for n in range(40, 50):
                fft2(cupy.ones((n, n), dtype=cupy.complex64))
            assert cache.get_curr_size() <= 3
        fft2(cupy.ones((32, 32), dtype=cupy.complex64))
        assert cupy.fft.config.get_plan_cache().get_size() == litho.config.get().gpu_fft_plan_cache
