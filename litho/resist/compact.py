"""Compact (2-D) resist models: what OPC and ILT use to turn an aerial image into a print.

Each model is a frozen dataclass with

- ``latent(image, pixel)`` -- the field that is compared with the threshold (the image
  itself, or the image blurred by acid diffusion), relative intensity;
- ``threshold_map(image, pixel)`` -- the threshold at every pixel (a constant, or the
  variable threshold of the local image);
- ``print(image, pixel, dose=1.0)`` -- the printed pattern: for a positive-tone resist
  the cleared (developed) area, where ``dose x latent >= threshold`` (True/1), for a
  negative-tone resist its complement. :class:`SigmoidThreshold` gives the smooth
  (differentiable) print of ILT instead of a 0/1 map.

Images are (..., ny, nx) arrays of relative intensity (numpy or CuPy), periodic (they
come from FFT imaging), sampled on ``pixel`` nm. Contours of a print are the
``latent - threshold`` zero level set (``litho.metrology`` extracts them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validate import choice, finite_number, nonnegative_number, positive_number, real_array
from ..backend import array_module, irfft2, rfft2
from ..errors import InvalidParameterError

__all__ = [
    "ConstantThreshold",
    "DiffusedThreshold",
    "VariableThreshold",
    "SigmoidThreshold",
    "gaussian_blur",
]


def _image(image: Any) -> Any:
    arr = real_array("image", image, low=0.0, what="an intensity image")
    if arr.ndim < 2:
        raise InvalidParameterError("image", f"array of shape {tuple(arr.shape)}", "an (..., ny, nx) intensity image")
    return arr


def gaussian_blur(image: Any, sigma: float, pixel: float) -> Any:
    """Periodic Gaussian blur of the last two axes with standard deviation ``sigma`` nm.

    Exact in Fourier space: the spectrum is multiplied by ``exp(-2 pi² sigma² |f|²)``
    (the continuous Gaussian's transform), so the blur of a band-limited image is the
    blur of the continuous image. ``sigma = 0`` returns the image unchanged.
    """
    sigma = nonnegative_number("sigma", sigma, "nm")
    pixel = positive_number("pixel", pixel, "nm")
    if sigma == 0.0:
        return image
    xp = array_module(image)
    ny, nx = image.shape[-2:]
    fy = xp.fft.fftfreq(ny, d=pixel).astype(image.dtype)
    fx = xp.fft.rfftfreq(nx, d=pixel).astype(image.dtype)
    kernel = xp.exp(-2.0 * np.pi**2 * sigma**2 * (fy[:, None] ** 2 + fx[None, :] ** 2))
    return irfft2(rfft2(image) * kernel, s=(ny, nx))


class _Threshold:
    """Shared ``print``: threshold the latent image (positive or negative tone).

    Subclasses implement ``_latent`` and ``_threshold_map`` on validated input; the
    public methods validate the image and pixel once and call them.
    """

    tone: str

    def latent(self, image: Any, pixel: float) -> Any:
        """The field compared with the threshold (relative intensity)."""
        return self._latent(_image(image), positive_number("pixel", pixel, "nm"))

    def threshold_map(self, image: Any, pixel: float) -> Any:
        """The threshold at every pixel of ``image`` (a number for constant thresholds)."""
        return self._threshold_map(_image(image), positive_number("pixel", pixel, "nm"))

    def _latent(self, image: Any, pixel: float) -> Any:
        return image

    def _threshold_map(self, image: Any, pixel: float) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def _margin(self, image: Any, pixel: float, dose: float) -> Any:
        """``dose x latent - threshold`` of validated arguments."""
        dose = positive_number("dose", dose)
        image = _image(image)
        pixel = positive_number("pixel", pixel, "nm")
        return dose * self._latent(image, pixel) - self._threshold_map(dose * image, pixel)

    def print(self, image: Any, pixel: float, dose: float = 1.0) -> Any:
        """The printed (cleared) pattern: ``dose x latent >= threshold`` for positive tone.

        Parameters
        ----------
        image : array (..., ny, nx)
            Relative intensity.
        pixel : float
            Pixel size, nm.
        dose : float
            Relative dose (> 0) multiplying the image.

        Returns
        -------
        array of bool
            True where the resist is cleared (positive tone) or remains (negative tone:
            where the exposure is *below* threshold the resist is removed).
        """
        cleared = self._margin(image, pixel, dose) >= 0
        return cleared if self.tone == "positive" else ~cleared

    def contours(self, image: Any, pixel: float, dose: float = 1.0, origin: tuple[float, float] = (0.0, 0.0),
                 layer: tuple[int, int] = (0, 0)) -> Any:
        """Sub-pixel outline of the printed pattern as a :class:`~litho.geometry.Layout` (nm).

        The zero level set of ``dose x latent - threshold`` (bilinear between pixel
        centres); ``image`` must be a single (ny, nx) image. Empty when nothing prints.
        """
        from ..metrology.contours import contours

        margin = self._margin(image, pixel, dose)
        if self.tone == "negative":
            margin = -margin
        return contours(margin, 0.0, pixel, origin, layer=layer, empty_ok=True)


def _tone(owner: str, tone: Any) -> str:
    return choice(f"{owner}.tone", tone, ("positive", "negative"))


@dataclass(frozen=True)
class ConstantThreshold(_Threshold):
    """The constant-threshold resist (CTR): prints where the intensity reaches ``threshold``.

    Parameters
    ----------
    threshold : float
        Intensity threshold (relative intensity at unit dose), > 0.
    tone : {"positive", "negative"}
    """

    threshold: float
    tone: str = "positive"

    def __post_init__(self) -> None:
        object.__setattr__(self, "threshold", positive_number("ConstantThreshold.threshold", self.threshold))
        object.__setattr__(self, "tone", _tone("ConstantThreshold", self.tone))

    def _threshold_map(self, image: Any, pixel: float) -> Any:
        return self.threshold


@dataclass(frozen=True)
class DiffusedThreshold(_Threshold):
    """A constant threshold applied to the image blurred by acid diffusion.

    Parameters
    ----------
    threshold : float
        Threshold of the blurred intensity, > 0.
    diffusion_length : float
        Standard deviation of the Gaussian blur, nm (``sqrt(2 D t)`` of the bake), >= 0.
    tone : {"positive", "negative"}
    """

    threshold: float
    diffusion_length: float
    tone: str = "positive"

    def __post_init__(self) -> None:
        object.__setattr__(self, "threshold", positive_number("DiffusedThreshold.threshold", self.threshold))
        object.__setattr__(self, "diffusion_length",
                           nonnegative_number("DiffusedThreshold.diffusion_length", self.diffusion_length, "nm"))
        object.__setattr__(self, "tone", _tone("DiffusedThreshold", self.tone))

    def _latent(self, image: Any, pixel: float) -> Any:
        return gaussian_blur(image, self.diffusion_length, pixel)

    def _threshold_map(self, image: Any, pixel: float) -> Any:
        return self.threshold


@dataclass(frozen=True)
class VariableThreshold(_Threshold):
    """The variable-threshold resist (VTR): ``T = c0 + c1 Imax + c2 Imin + c3 slope``.

    ``Imax`` and ``Imin`` are the largest and smallest intensity within ``window`` nm
    (a square of that side centred on the pixel, periodic), ``slope`` the magnitude of
    the image gradient at the pixel in 1/nm (central differences). All evaluated on the
    (dose-scaled) image.

    Parameters
    ----------
    c0, c1, c2, c3 : float
        Coefficients (``c3`` in nm, since the slope is in 1/nm).
    window : float
        Side of the neighbourhood for Imax and Imin, nm (> 0).
    tone : {"positive", "negative"}
    """

    c0: float
    c1: float = 0.0
    c2: float = 0.0
    c3: float = 0.0
    window: float = 100.0
    tone: str = "positive"

    def __post_init__(self) -> None:
        for name in ("c0", "c1", "c2", "c3"):
            object.__setattr__(self, name, finite_number(f"VariableThreshold.{name}", getattr(self, name)))
        object.__setattr__(self, "window", positive_number("VariableThreshold.window", self.window, "nm"))
        object.__setattr__(self, "tone", _tone("VariableThreshold", self.tone))

    def local_extrema(self, image: Any, pixel: float) -> tuple[Any, Any]:
        """``(Imax, Imin)`` over the window around every pixel (periodic)."""
        return self._extrema(_image(image), positive_number("pixel", pixel, "nm"))

    def _extrema(self, image: Any, pixel: float) -> tuple[Any, Any]:
        xp = array_module(image)
        if xp is np:
            from scipy import ndimage
        else:  # pragma: no cover - GPU
            from cupyx.scipy import ndimage
        half = int(round(0.5 * self.window / pixel))
        size = [1] * (image.ndim - 2) + [2 * half + 1, 2 * half + 1]
        return (ndimage.maximum_filter(image, size=size, mode="wrap"),
                ndimage.minimum_filter(image, size=size, mode="wrap"))

    @staticmethod
    def slope(image: Any, pixel: float) -> Any:
        """``|grad I|`` in 1/nm by periodic central differences."""
        xp = array_module(image)
        gy = (xp.roll(image, -1, axis=-2) - xp.roll(image, 1, axis=-2)) / (2.0 * pixel)
        gx = (xp.roll(image, -1, axis=-1) - xp.roll(image, 1, axis=-1)) / (2.0 * pixel)
        return xp.sqrt(gx * gx + gy * gy)

    def _threshold_map(self, image: Any, pixel: float) -> Any:
        i_max, i_min = self._extrema(image, pixel)
        return self.c0 + self.c1 * i_max + self.c2 * i_min + self.c3 * self.slope(image, pixel)


@dataclass(frozen=True)
class SigmoidThreshold:
    """The sigmoid print model of ILT: ``P = 1 / (1 + exp(-steepness (dose I - threshold)))``.

    Differentiable in the image, so ILT can back-propagate through it; tends to the
    constant-threshold print as ``steepness`` grows.

    Parameters
    ----------
    threshold : float
        Intensity threshold, > 0.
    steepness : float
        Slope of the sigmoid per unit intensity, > 0 (ILT papers use 25-100).
    diffusion_length : float
        Optional Gaussian blur of the image before the sigmoid, nm (default 0).
    """

    threshold: float
    steepness: float
    diffusion_length: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "threshold", positive_number("SigmoidThreshold.threshold", self.threshold))
        object.__setattr__(self, "steepness", positive_number("SigmoidThreshold.steepness", self.steepness))
        object.__setattr__(self, "diffusion_length",
                           nonnegative_number("SigmoidThreshold.diffusion_length", self.diffusion_length, "nm"))

    def latent(self, image: Any, pixel: float) -> Any:
        positive_number("pixel", pixel, "nm")
        return gaussian_blur(_image(image), self.diffusion_length, pixel)

    def threshold_map(self, image: Any, pixel: float) -> float:
        return self.threshold

    def print(self, image: Any, pixel: float, dose: float = 1.0) -> Any:
        """The smooth print in [0, 1] (0.5 on the threshold contour), dtype of ``image``."""
        dose = positive_number("dose", dose)
        latent = self.latent(image, pixel)
        xp = array_module(latent)
        x = self.steepness * (dose * latent - self.threshold)
        # 1/(1+e^-x) written with tanh: no overflow for large |x|
        return (0.5 * (1.0 + xp.tanh(0.5 * x))).astype(latent.dtype)

    def vjp(self, image: Any, pixel: float, grad_print: Any, dose: float = 1.0) -> Any:
        """Gradient with respect to the image of a loss whose gradient w.r.t. the print is ``grad_print``.

        ``dL/dI = blur(grad_print * steepness * dose * P (1 - P))`` -- the Gaussian blur is
        self-adjoint, so the same blur maps the gradient back (what an ILT loop needs).
        """
        p = self.print(image, pixel, dose)
        local = grad_print * (self.steepness * dose) * p * (1.0 - p)
        return gaussian_blur(local, self.diffusion_length, pixel)
