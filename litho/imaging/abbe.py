"""Abbe imaging: an incoherent sum over source points of coherent images.

``I = sum_s J_s |F^-1{P(f + f_s) c(f)}|^2``, evaluated band-limited
(:mod:`litho.imaging.band`) with source points batched into one FFT call per batch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend, config
from .._validate import positive_number
from .band import Band, crop_spectrum, fields_on_band_grid, interpolate
from .socs import check_dose, check_mask

__all__ = ["abbe_image", "abbe_image_from_spectrum", "abbe_band"]

#: Bytes of the (masks, source points, My, Mx) field array per batch of source points.
_WORK_BYTES = 256 * 2**20


def abbe_image(mask: Any, optics: Any, pixel: float, *, dose: float = 1.0,
               source_step: float | None = None) -> Any:
    """Aerial image by Abbe's method (exact for the sampled source).

    Parameters
    ----------
    mask : array (..., ny, nx), real or complex
        Mask transmission; leading axes are a batch. numpy or CuPy.
    optics : litho.Optics
        The projection optics and source.
    pixel : float
        Pixel of ``mask`` and of the image, nm.
    dose : float
        Relative exposure dose (linear convention).
    source_step : float, optional
        Source sampling step in sigma units (default ``litho.optics`` DEFAULT_SOURCE_STEP).

    Returns
    -------
    array (..., ny, nx)
        Intensity (clear mask = 1), float32 or float64 per ``litho.config`` precision, on
        the device of ``mask``.
    """
    pixel = positive_number("pixel", pixel, "nm")
    xp = backend.array_module(mask)
    if not hasattr(mask, "shape"):
        mask = xp.asarray(mask)
    shape = tuple(mask.shape[-2:]) if getattr(mask, "ndim", 0) >= 2 else (0, 0)
    mask = check_mask(mask, shape)
    band = abbe_band(optics, pixel, shape)
    spectra = crop_spectrum(mask, band, config.complex_dtype())
    return abbe_image_from_spectrum(spectra, optics, band, dose=dose, source_step=source_step)


def abbe_band(optics: Any, pixel: float, shape: tuple[int, int]) -> Band:
    """The band Abbe imaging of ``optics`` needs on a grid (every frequency a source passes)."""
    return Band.from_cutoff(shape, pixel, optics.frequency_band)


def abbe_image_from_spectrum(spectra: Any, optics: Any, band: Band, *, dose: float = 1.0,
                             source_step: float | None = None) -> Any:
    """Abbe image from mask coefficients on ``band`` (from ``crop_spectrum`` or a mask model).

    Parameters
    ----------
    spectra : array (..., 2Ky+1, 2Kx+1), complex
        Mask coefficients on the band layout of ``band`` (numpy or CuPy).
    optics : litho.Optics
    band : Band
        The grid and band (:func:`abbe_band`).
    dose, source_step
        As for :func:`abbe_image`.
    """
    from ..optics.source import DEFAULT_SOURCE_STEP

    dose = check_dose(dose)
    xp = backend.array_module(spectra)
    cdtype = np.dtype(spectra.dtype)
    rdtype = np.float32 if cdtype == np.complex64 else np.float64
    points, weights = optics.source.sample(source_step or DEFAULT_SOURCE_STEP)
    fy, fx = band.frequencies()
    cutoff = optics.na / optics.wavelength
    n_masks = int(np.prod(spectra.shape[:-2], dtype=np.int64))
    per_point = max(1, n_masks) * band.my * band.mx * cdtype.itemsize
    step = max(1, _WORK_BYTES // per_point)
    accumulated = None
    for start in range(0, len(weights), step):
        sx = points[start:start + step, 0, None, None] * cutoff
        sy = points[start:start + step, 1, None, None] * cutoff
        pupils = xp.asarray(optics.pupil(fx[None, None, :] + sx, fy[None, :, None] + sy).astype(cdtype))
        fields = fields_on_band_grid(spectra[..., None, :, :] * pupils, band)  # (..., s, My, Mx)
        power = fields.real**2 + fields.imag**2
        part = xp.tensordot(power, xp.asarray(weights[start:start + step].astype(rdtype)), axes=([-3], [0]))
        accumulated = part if accumulated is None else accumulated + part
    image = interpolate(accumulated, band)
    return image * dose if dose != 1.0 else image
