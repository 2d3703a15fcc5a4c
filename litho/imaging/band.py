"""Band-limited image evaluation: the fast path of every imaging method.

Frequency conventions (shared by all of ``litho.imaging`` and ``litho.optics``):

* A grid is ``shape = (ny, nx)`` pixels of ``pixel`` nm; periods ``Ly = ny·pixel``,
  ``Lx = nx·pixel``. Index ``(ky, kx)`` is the spatial frequency ``(ky/Ly, kx/Lx)`` (1/nm).
* Mask coefficients are ``c[k] = fft2(mask)[k] / (ny·nx)``, so that
  ``mask = sum_k c[k] exp(2πi k·r/L)``; a clear mask has ``c[0] = 1`` and nothing else.
* *Band layout*: arrays ``(..., 2Ky+1, 2Kx+1)`` whose element ``[i, j]`` is frequency
  ``(i - Ky, j - Kx)``.

Method. Fields are band-limited to ``|k| <= K`` (the pupil passes nothing else), so their
intensities are band-limited to ``|k| <= 2K``. The mask spectrum is cropped to the field
band (a pruned transform: rows, then only the needed columns), every field is evaluated
on a small ``My x Mx`` grid with ``M >= 4K + 1`` (no aliasing of the intensity), the
intensities are summed there, and the sum is Fourier-interpolated to the output grid once
(a pruned inverse transform). This is exact for any kernel set supported in the band,
truncated or not; no full-size spectrum is ever multiplied by a mostly-zero kernel.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import backend
from ..errors import InvalidParameterError

__all__ = ["Band", "crop_spectrum", "fields_on_band_grid", "interpolate", "next_fast_size"]


def next_fast_size(n: int) -> int:
    """Smallest 2·3·5-smooth integer >= n (fast for every FFT engine)."""
    m = max(1, int(n))
    while True:
        k = m
        for p in (2, 3, 5):
            while k % p == 0:
                k //= p
        if k == 1:
            return m
        m += 1


@dataclass(frozen=True)
class Band:
    """The frequency band of a field and the small grid that holds its intensity.

    Attributes
    ----------
    shape : (int, int)
        Output grid (ny, nx).
    pixel : float
        Output pixel, nm.
    ky, kx : int
        Field half-band: frequencies ``|k| <= K`` per axis are kept.
    my, mx : int
        Small grid on which fields and intensities are evaluated (``>= 4K + 1``).
    """

    shape: tuple[int, int]
    pixel: float
    ky: int
    kx: int
    my: int
    mx: int

    @classmethod
    def from_half_band(cls, shape: tuple[int, int], pixel: float, ky: int, kx: int) -> Band:
        """Band for fields limited to ``|ky| <= Ky, |kx| <= Kx`` on the grid ``shape``.

        Raises
        ------
        InvalidParameterError
            If the output grid cannot hold the intensity band (``2·2K + 1`` samples per
            axis): the message names the coarsest pixel that would.
        """
        ny, nx = shape
        for n, k, axis in ((ny, ky, "y"), (nx, kx, "x")):
            if 4 * k + 1 > n:
                period = n * pixel
                # intensity band |f| <= 2K/L needs pixel <= L / (4K + 1)
                needed = period / (4 * k + 1)
                raise InvalidParameterError(
                    "pixel", pixel,
                    f"a pixel of at most {needed:.4g} nm (or more pixels along {axis}): the image "
                    f"band reaches {2 * k} cycles per {period:g} nm period, which needs "
                    f"{4 * k + 1} samples, and the grid has {n}",
                )
        return cls((int(ny), int(nx)), float(pixel), int(ky), int(kx),
                   next_fast_size(4 * ky + 1), next_fast_size(4 * kx + 1))

    @classmethod
    def from_cutoff(cls, shape: tuple[int, int], pixel: float, cutoff: float) -> Band:
        """Band for fields limited to spatial frequencies ``|f| <= cutoff`` (1/nm)."""
        ny, nx = shape
        # 1e-9 guards a cutoff that lands on a grid frequency up to rounding
        ky = int(math.floor(cutoff * ny * pixel * (1 + 1e-12) + 1e-9))
        kx = int(math.floor(cutoff * nx * pixel * (1 + 1e-12) + 1e-9))
        return cls.from_half_band(shape, pixel, ky, kx)

    @property
    def band_shape(self) -> tuple[int, int]:
        """(2Ky+1, 2Kx+1)."""
        return 2 * self.ky + 1, 2 * self.kx + 1

    def frequencies(self) -> tuple[np.ndarray, np.ndarray]:
        """Spatial frequencies (fy, fx) of the band layout, 1/nm (float64)."""
        ny, nx = self.shape
        fy = np.arange(-self.ky, self.ky + 1) / (ny * self.pixel)
        fx = np.arange(-self.kx, self.kx + 1) / (nx * self.pixel)
        return fy, fx


def _fft_module(xp: Any):
    """(1-D FFT module, extra keyword arguments) for the array module ``xp``."""
    if xp is np:
        import scipy.fft

        return scipy.fft, {"workers": backend.cpu_threads()}
    import cupyx.scipy.fft

    return cupyx.scipy.fft, {}


def crop_spectrum(mask: Any, band: Band, complex_dtype: Any) -> Any:
    """Mask coefficients on the band layout, ``(..., 2Ky+1, 2Kx+1)``.

    A pruned 2-D transform: one transform per row along x, then transforms along y of
    only the ``Kx + 1`` (real mask) or ``2Kx + 1`` (complex mask) columns the band keeps.
    """
    xp = backend.array_module(mask)
    fft, kw = _fft_module(xp)
    ny, nx = band.shape
    ky, kx = band.ky, band.kx
    rows = np.r_[ny - ky:ny, 0:ky + 1] if ky else np.array([0])
    scale = 1.0 / (ny * nx)
    if xp.iscomplexobj(mask):
        cols = np.r_[nx - kx:nx, 0:kx + 1] if kx else np.array([0])
        along_x = fft.fft(mask.astype(complex_dtype, copy=False), axis=-1, **kw)[..., cols]
        out = fft.fft(along_x, axis=-2, **kw)[..., rows, :]
        return (out * scale).astype(complex_dtype, copy=False)
    real = mask.astype(np.float32 if np.dtype(complex_dtype) == np.complex64 else np.float64, copy=False)
    half = fft.rfft(real, axis=-1, **kw)[..., : kx + 1]
    half = fft.fft(half, axis=-2, **kw)[..., rows, :] * scale  # (..., 2Ky+1, Kx+1): kx >= 0
    # negative kx from Hermitian symmetry: c[ky, -kx] = conj(c[-ky, kx])
    negative = xp.conj(half[..., ::-1, :0:-1])
    return xp.concatenate([negative, half], axis=-1).astype(complex_dtype, copy=False)


def fields_on_band_grid(spectra: Any, band: Band) -> Any:
    """Fields ``sum_k s[k] exp(2πi k·r/L)`` sampled on the small ``(My, Mx)`` grid.

    Parameters
    ----------
    spectra : array (..., 2Ky+1, 2Kx+1), complex
        Field spectra on the band layout (a kernel or pupil times the mask coefficients).

    Returns
    -------
    array (..., My, Mx), complex
        The fields at the small grid's points (exact: no approximation is involved).
    """
    xp = backend.array_module(spectra)
    my, mx = band.my, band.mx
    grid = xp.zeros(spectra.shape[:-2] + (my, mx), dtype=spectra.dtype)
    iy = np.arange(-band.ky, band.ky + 1) % my
    ix = np.arange(-band.kx, band.kx + 1) % mx
    grid[..., iy[:, None], ix[None, :]] = spectra
    return backend.ifft2(grid, norm="forward", overwrite_x=True)


def interpolate(intensity_small: Any, band: Band) -> Any:
    """Fourier-interpolate a real band-limited image from the small grid to the output grid.

    The small image holds frequencies ``|k| <= 2K`` exactly (``M >= 4K + 1``); they are
    placed in the output spectrum and transformed back with a pruned inverse transform:
    along y only the ``2Kx + 1`` non-zero columns, then one real transform per row.
    """
    xp = backend.array_module(intensity_small)
    fft, kw = _fft_module(xp)
    ny, nx = band.shape
    my, mx = band.my, band.mx
    iy, ix = 2 * band.ky, 2 * band.kx
    coeffs = fft.rfft2(intensity_small, axes=(-2, -1), **kw)[..., :, : ix + 1] / (my * mx)
    rows_small = np.r_[0:iy + 1, my - iy:my] if iy else np.array([0])
    rows_out = np.r_[0:iy + 1, ny - iy:ny] if iy else np.array([0])
    column_spectrum = xp.zeros(coeffs.shape[:-2] + (ny, ix + 1), dtype=coeffs.dtype)
    column_spectrum[..., rows_out, :] = coeffs[..., rows_small, :]
    columns = fft.ifft(column_spectrum, axis=-2, norm="forward", **kw)  # (..., ny, 2Kx+1)
    return fft.irfft(columns, n=nx, axis=-1, norm="forward", **kw)
