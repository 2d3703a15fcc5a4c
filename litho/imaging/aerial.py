"""``aerial_image``: the convenience entry to scalar imaging."""

from __future__ import annotations

from typing import Any, Literal

from .._validate import choice
from .abbe import abbe_image
from .socs import SOCS

__all__ = ["aerial_image"]


def aerial_image(mask: Any, optics: Any, pixel: float, *, method: Literal["socs", "abbe"] = "socs",
                 dose: float = 1.0, source_step: float | None = None, n_kernels: int | None = None,
                 energy: float = 0.999, shape: Any = None, origin: tuple[float, float] = (0.0, 0.0),
                 backend: str = "auto") -> Any:
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
    """
    choice("method", method, ("socs", "abbe"))
    if hasattr(mask, "transmission"):
        from .._validate import grid_shape

        mask = mask.transmission(pixel, grid_shape("shape", shape), origin=origin, backend=backend)
    if method == "abbe":
        return abbe_image(mask, optics, pixel, dose=dose, source_step=source_step)
    grid = tuple(mask.shape[-2:]) if getattr(mask, "ndim", 0) >= 2 else (0, 0)
    model = SOCS.from_optics(optics, pixel, grid if min(grid) > 0 else (1, 1), n_kernels=n_kernels,
                             energy=energy, source_step=source_step)
    return model.image(mask, dose=dose)
