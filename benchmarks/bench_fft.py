"""CPU FFT benchmarks (asv): litho.backend transforms on each CPU engine.

Single precision (the library default), 1024^2 and 2048^2, one transform per call:
``rfft2`` of a float32 image, ``irfft2`` of its half spectrum, and a complex64 ``fft2``.
The engine is forced with ``litho.config.override`` inside the timed function (the
settings are a ContextVar, so the override must wrap the call itself). Planning
(pyFFTW ``FFTW_MEASURE``, with the wisdom file) happens in ``setup``, not in the timings.
An engine that is not installed in the benchmark environment is skipped (asv skips a
benchmark whose ``setup`` raises ``NotImplementedError``).
"""

import numpy as np

import litho.config
from litho import backend


class FFT2D:
    """2-D FFTs of single-precision n x n arrays."""

    params = ([1024, 2048], ["scipy", "pyfftw"])
    param_names = ["n", "engine"]
    timeout = 300  # first-time FFTW_MEASURE planning of 2048^2 can take a while

    def setup(self, n, engine):
        if engine not in backend.cpu_fft_engines():
            raise NotImplementedError(f"{engine} is not installed")
        rng = np.random.default_rng(0)
        self.real = rng.standard_normal((n, n)).astype(np.float32)
        self.complex = (rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n))).astype(np.complex64)
        self.shape = (n, n)
        with litho.config.override(fft_engine=engine):  # plan and warm up every transform
            self.half = backend.rfft2(self.real)
            backend.irfft2(self.half, self.shape)
            backend.fft2(self.complex)

    def time_rfft2(self, n, engine):
        with litho.config.override(fft_engine=engine):
            backend.rfft2(self.real)

    def time_irfft2(self, n, engine):
        with litho.config.override(fft_engine=engine):
            backend.irfft2(self.half, self.shape)

    def time_fft2(self, n, engine):
        with litho.config.override(fft_engine=engine):
            backend.fft2(self.complex)
