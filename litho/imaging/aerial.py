"""``aerial_image``: the convenience entry to scalar imaging."""

from __future__ import annotations

from typing import Any, Literal

from .._validate import choice
from .abbe import abbe_band, abbe_image, abbe_image_from_spectrum
from .socs import SOCS

__all__ = ["aerial_image"]


def aerial_image(mask: Any, optics: Any, pixel: float, *, method: Literal["socs", "abbe"] = "socs",
                 dose: float = 1.0, source_step: float | None = None, n_kernels: int | None = None,
                 energy: float = 0.999, shape: Any = None, origin: tuple[float, float] = (0.0, 0.0),
                 backend: str | None = None, mask_spectrum: Literal["raster", "analytic"] = "raster") -> Any:
    """Aerial image of a mask through ``optics``.

    Parameters
    ----------
    mask : array (..., ny, nx) or mask model
        Transmission array (numpy or CuPy; the result is of the same type) or a mask
        model (``litho.imaging.mask``: BinaryMask, AttenuatedPSM, ...), which is rendered
        on the grid ``shape``/``pixel``/``origin`` on ``backend``.
    optics : litho.Optics
    pixel : float
        Pixel, nm.
    method : {"socs", "abbe"}
        Hopkins/SOCS (kernels cached in memory and on disk) or Abbe.
    dose : float
        Relative exposure dose (linear convention).
    source_step : float, optional
        Source sampling step in sigma units.
    n_kernels : int, optional
        SOCS kernels to keep (default: enough for ``energy``).
    energy : float
        SOCS energy to capture when ``n_kernels`` is None.
    shape, origin, backend
        The grid and backend for mask models (ignored for arrays).
    mask_spectrum : {"raster", "analytic"}
        For mask models: rasterize them (exact pixel areas) and transform, or take their
        exact Fourier coefficients straight from the polygons (no pixelation; pixel-centred,
        so the two differ only by the raster's pixel blur).

    Returns
    -------
    array (..., ny, nx)
        Intensity (clear mask = 1), float32 or float64 per ``litho.config``, on the device
        of ``mask`` (or ``backend`` for mask models).
    """
    choice("method", method, ("socs", "abbe"))
    choice("mask_spectrum", mask_spectrum, ("raster", "analytic"))
    if hasattr(mask, "transmission"):
        from .. import config
        from .._validate import grid_shape, positive_number

        grid = grid_shape("shape", shape)
        if mask_spectrum == "analytic":
            pixel = positive_number("pixel", pixel, "nm")
            if method == "abbe":
                band = abbe_band(optics, pixel, grid)
            else:
                model = SOCS.from_optics(optics, pixel, grid, n_kernels=n_kernels, energy=energy,
                                         source_step=source_step)
                band = model.band
            spectra = mask.spectrum(pixel, grid, origin, band=(band.ky, band.kx), backend=backend,
                                    dtype=config.complex_dtype())
            if method == "abbe":
                return abbe_image_from_spectrum(spectra, optics, band, dose=dose, source_step=source_step)
            return model.image_from_spectrum(spectra, dose=dose)
        mask = mask.transmission(pixel, grid, origin=origin, backend=backend)
    if method == "abbe":
        return abbe_image(mask, optics, pixel, dose=dose, source_step=source_step)
    grid = tuple(mask.shape[-2:]) if getattr(mask, "ndim", 0) >= 2 else (0, 0)
    model = SOCS.from_optics(optics, pixel, grid if min(grid) > 0 else (1, 1), n_kernels=n_kernels,
                             energy=energy, source_step=source_step)
    return model.image(mask, dose=dose)
