"""Mask models: binary, attenuated and alternating phase-shift masks, and continuous (CTM) masks.

A mask model turns a layout into a complex transmission on a pixel grid
(:meth:`transmission`, built with :func:`litho.rasterize`) or into its exact Fourier
coefficients on a band of frequencies (:meth:`spectrum`, built with
:func:`litho.imaging.polygon_spectrum.polygon_spectrum`, no rasterization). Polygons are
the clear (transmitting) regions unless ``polarity="dark"``.

Grid and frequency conventions are those of :mod:`litho.imaging.polygon_spectrum`: pixel
``(r, c)`` covers ``[x0 + c·p, x0 + (c+1)·p) x [y0 + r·p, y0 + (r+1)·p)``; spectra are
``(2Ky+1, 2Kx+1)`` arrays of ``c[ky, kx] = 1/(Lx·Ly) ∫∫ t(x, y) exp(-2πi (kx (x - x0)/Lx +
ky (y - y0)/Ly)) dx dy``, element ``[i, j]`` at ``(ky, kx) = (i - Ky, j - Kx)``. Note that
``fft2(transmission)/(nx·ny) ≈ spectrum · pixel_box_factor`` (a pixel's box filter and
the half-pixel offset of its centre), not ``spectrum`` itself.

Thin-mask (Kirchhoff) models: the transmission is piecewise constant, with no mask
topography, edge diffraction or polarization.
"""

from __future__ import annotations

import cmath
import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

import numpy as np

from .. import backend as _backend
from .. import config
from .._validate import choice, dtype_choice, finite_pair, grid_shape, positive_number
from ..errors import InvalidParameterError
from ..geometry.layout import Layout
from ..geometry.raster import rasterize
from .polygon_spectrum import half_band, polygon_spectrum

__all__ = [
    "AlternatingPSM",
    "AttenuatedPSM",
    "BinaryMask",
    "ContinuousMask",
    "MaskModel",
    "as_transmission",
    "continuous_mask",
]

_POLARITIES = ("clear", "dark")
#: Total coverage above 1 by more than this flags layers of an AlternatingPSM that overlap
#: (float32 accumulation of exact coverages stays within ~1e-6 of the truth).
_OVERLAP_TOL = 1e-4


def _as_layout(value: Any) -> Layout:
    if isinstance(value, Layout):
        return value
    try:
        return Layout.from_polygons(list(value))
    except (TypeError, ValueError):
        raise InvalidParameterError("layout", value, "a litho.Layout or a sequence of (n, 2) polygons in nm") from None


def _grid(pixel: Any, shape: Any, origin: Any) -> tuple[float, tuple[int, int], tuple[float, float]]:
    return positive_number("pixel", pixel, "nm"), grid_shape("shape", shape), finite_pair("origin", origin, "nm")


def _coverage(layout: Layout, pixel: float, shape: tuple[int, int], origin: tuple[float, float],
              backend: str, mode: str) -> Any:
    return rasterize(layout, pixel, shape, origin, mode=mode, backend=backend, dtype=config.real_dtype())


def _check_complex_memory(shape: tuple[int, int], backend: str) -> None:
    resolved = _backend.resolve_backend(backend)
    dtype = config.complex_dtype()
    config.check_memory(
        shape[0] * shape[1] * dtype.itemsize * 2,  # the result and one temporary
        f"a {shape[0]} x {shape[1]} {dtype.name} transmission",
        "compute the transmission in tiles (smaller shape, shifted origin)",
        device="gpu" if resolved == "cupy" else "cpu",
    )


def _on_backend(array: np.ndarray, backend: str) -> Any:
    return _backend.asarray(array, backend=backend)


def _delta(band: tuple[int, int]) -> np.ndarray:
    """The coefficients of a clear mask (1 at k = 0) on the band layout, complex128."""
    ky, kx = band
    out = np.zeros((2 * ky + 1, 2 * kx + 1), dtype=np.complex128)
    out[ky, kx] = 1.0
    return out


def _spectrum_dtype(dtype: Any) -> np.dtype:
    return dtype_choice("dtype", dtype, (np.complex64, np.complex128), config.complex_dtype())


@dataclass(frozen=True)
class BinaryMask:
    """Chrome-on-glass binary mask.

    Parameters
    ----------
    layout : Layout
        Polygons in nm (all layers together; overlaps count once).
    polarity : {"clear", "dark"}
        "clear": the polygons transmit (t = 1) on an opaque background (t = 0);
        "dark": the reverse (t = 1 - coverage).
    """

    layout: Layout
    polarity: Literal["clear", "dark"] = "clear"

    def __post_init__(self) -> None:
        object.__setattr__(self, "layout", _as_layout(self.layout))
        choice("polarity", self.polarity, _POLARITIES)

    def transmission(self, pixel: float, shape: int | tuple[int, int], origin: tuple[float, float] = (0.0, 0.0),
                     backend: str | None = None, mode: Literal["area", "center"] = "area") -> Any:
        """Real amplitude transmission on the grid, ``(ny, nx)``.

        Parameters
        ----------
        pixel : float
            Pixel size, nm.
        shape : int or (ny, nx)
            Grid shape, pixels.
        origin : (float, float)
            (x0, y0) of pixel (0, 0)'s lower-left corner, nm.
        backend : {"auto", "numpy", "cupy"} or None (the ``litho.config`` backend)
            Where the array lives.
        mode : {"area", "center"}
            Pixel coverage by exact area or by centre inclusion (see :func:`litho.rasterize`).

        Returns
        -------
        numpy.ndarray or cupy.ndarray
            float32 or float64 per ``litho.config`` precision.
        """
        pixel, shape, origin = _grid(pixel, shape, origin)
        cov = _coverage(self.layout, pixel, shape, origin, backend, mode)
        if self.polarity == "dark":
            cov = 1 - cov
        return cov

    def spectrum(self, pixel: float, shape: int | tuple[int, int], origin: tuple[float, float] = (0.0, 0.0),
                 band: int | tuple[int, int] | None = None, *, backend: str | None = None, dtype: Any = None) -> Any:
        """Exact Fourier coefficients of the transmission, ``(2Ky+1, 2Kx+1)``.

        Parameters
        ----------
        pixel, shape, origin
            The grid, as for :meth:`transmission`. Coefficients refer to pixel
            centres (sample c is at ``origin + (c + 1/2)·pixel``), the positions the
            values of a rasterized mask and of every image stand for, so images from
            this spectrum and from the raster agree up to the raster's pixel blur.
        band : int or (Ky, Kx), optional
            Half-band (see :func:`~litho.imaging.polygon_spectrum.polygon_spectrum`).
        backend : {"auto", "numpy", "cupy"} or None (the ``litho.config`` backend)
            Where the result lives (computed on the CPU; the band array is small).
        dtype : complex64 or complex128, optional
            Default from ``litho.config`` precision.
        """
        ky, kx = half_band("band", band, grid_shape("shape", shape))
        c = _centred_spectrum(self.layout, pixel, shape, origin, (ky, kx))
        if self.polarity == "dark":
            c = _delta((ky, kx)) - c
        return _on_backend(c.astype(_spectrum_dtype(dtype), copy=False), backend)



def _centred_spectrum(layout: Layout, pixel: float, shape: Any, origin: tuple[float, float],
                      band: tuple[int, int]) -> np.ndarray:
    """Coefficients of the polygons over the cell at ``origin``, phase-referred to pixel centres.

    The cell (what is clipped, as in the raster) starts at ``origin``; only the phase
    reference moves half a pixel, to sample 0's centre: ``c'[k] = c[k] exp(iπ(kx/nx + ky/ny))``.
    (Moving the cell itself would drop the half-pixel strip along its lower edges.)
    """
    x0, y0 = finite_pair("origin", origin, "nm")
    ny, nx = grid_shape("shape", shape)
    ky, kx = band
    c = polygon_spectrum(layout, pixel, (ny, nx), (x0, y0), (ky, kx))
    phase_y = np.exp(1j * np.pi * np.arange(-ky, ky + 1) / ny)
    phase_x = np.exp(1j * np.pi * np.arange(-kx, kx + 1) / nx)
    return c * phase_y[:, None] * phase_x[None, :]


_UNSET: Any = object()


@dataclass(frozen=True, init=False)
class AttenuatedPSM:
    """Attenuated (embedded) phase-shift mask.

    Parameters
    ----------
    layout : Layout
        Polygons in nm: the clear openings (t = 1) for ``polarity="clear"``.
    transmission : float
        INTENSITY transmission of the absorber, in [0, 1] (0.06 for a 6 % MoSi mask);
        stored as :attr:`intensity_transmission` (``transmission`` is the method that
        renders the mask). ``intensity_transmission=`` is accepted as a keyword alias.
    phase_deg : float
        Phase of the absorber's transmission relative to the openings, degrees.
    polarity : {"clear", "dark"}
        "clear": polygons are openings in the absorber, ``t = cov + (1 - cov)·a``;
        "dark": polygons are absorber on a clear background, ``t = cov·a + (1 - cov)``;
        with ``a = sqrt(transmission)·exp(i·phase)``.
    """

    layout: Layout
    intensity_transmission: float
    phase_deg: float
    polarity: Literal["clear", "dark"]

    def __init__(self, layout: Layout, transmission: float = _UNSET, phase_deg: float = 180.0,
                 polarity: Literal["clear", "dark"] = "clear", *, intensity_transmission: float = _UNSET) -> None:
        if transmission is not _UNSET and intensity_transmission is not _UNSET:
            raise InvalidParameterError("intensity_transmission", intensity_transmission,
                                        "not given together with transmission (they are the same field)")
        t = transmission if transmission is not _UNSET else intensity_transmission
        t = 0.06 if t is _UNSET else t
        if isinstance(t, bool) or not isinstance(t, numbers.Real) or not (0.0 <= float(t) <= 1.0):
            raise InvalidParameterError("transmission", t, "an intensity transmission in [0, 1]")
        if isinstance(phase_deg, bool) or not isinstance(phase_deg, numbers.Real) or not math.isfinite(float(phase_deg)):
            raise InvalidParameterError("phase_deg", phase_deg, "a finite phase in degrees")
        choice("polarity", polarity, _POLARITIES)
        object.__setattr__(self, "layout", _as_layout(layout))
        object.__setattr__(self, "intensity_transmission", float(t))
        object.__setattr__(self, "phase_deg", float(phase_deg))
        object.__setattr__(self, "polarity", polarity)

    @property
    def amplitude(self) -> complex:
        """Complex amplitude transmission of the absorber, ``sqrt(T)·exp(i·phase)``."""
        return math.sqrt(self.intensity_transmission) * cmath.exp(1j * math.radians(self.phase_deg))

    def _inside_outside(self) -> tuple[complex, complex]:
        """(t inside the polygons, t outside)."""
        a = self.amplitude
        return (1.0 + 0j, a) if self.polarity == "clear" else (a, 1.0 + 0j)

    def transmission(self, pixel: float, shape: int | tuple[int, int], origin: tuple[float, float] = (0.0, 0.0),
                        backend: str | None = None, mode: Literal["area", "center"] = "area") -> Any:
        """Complex amplitude transmission on the grid (see :meth:`BinaryMask.transmission`).

        Returns complex64 or complex128 per ``litho.config`` precision.
        """
        pixel, shape, origin = _grid(pixel, shape, origin)
        _check_complex_memory(shape, backend)
        cov = _coverage(self.layout, pixel, shape, origin, backend, mode)
        inside, outside = self._inside_outside()
        cdtype = config.complex_dtype()
        out = cov.astype(cdtype)
        out *= cdtype.type(inside - outside)
        out += cdtype.type(outside)
        return out

    def spectrum(self, pixel: float, shape: int | tuple[int, int], origin: tuple[float, float] = (0.0, 0.0),
                 band: int | tuple[int, int] | None = None, *, backend: str | None = None, dtype: Any = None) -> Any:
        """Exact Fourier coefficients (see :meth:`BinaryMask.spectrum`): ``outside·δ + (inside - outside)·P``."""
        ky, kx = half_band("band", band, grid_shape("shape", shape))
        inside, outside = self._inside_outside()
        c = (inside - outside) * _centred_spectrum(self.layout, pixel, shape, origin, (ky, kx))
        c[ky, kx] += outside
        return _on_backend(c.astype(_spectrum_dtype(dtype), copy=False), backend)


@dataclass(frozen=True, eq=False)
class AlternatingPSM:
    """Alternating (Levenson) phase-shift mask: opaque background, clear openings per layer.

    Parameters
    ----------
    layout : Layout
        Polygons in nm; every (layer, datatype) present must have a phase.
    phases : mapping of (int, int) to float
        Phase in degrees of each (layer, datatype)'s openings; ``t = Σ_l cov_l·exp(i·φ_l)``.
        Entries for layers absent from the layout are ignored.

    Notes
    -----
    Openings of different layers must not overlap (within a layer, overlaps count once).
    :meth:`transmission` checks this on the raster (total coverage above 1 anywhere
    raises); :meth:`spectrum` does not check.
    """

    layout: Layout
    phases: Mapping[tuple[int, int], float]

    def __post_init__(self) -> None:
        object.__setattr__(self, "layout", _as_layout(self.layout))
        what = "a mapping of (layer, datatype) pairs to finite phases in degrees"
        if not isinstance(self.phases, Mapping):
            raise InvalidParameterError("phases", self.phases, what)
        normal: dict[tuple[int, int], float] = {}
        for key, value in self.phases.items():
            try:
                layer, datatype = key
            except (TypeError, ValueError):
                raise InvalidParameterError("phases", self.phases, what) from None
            if any(isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 0 for v in (layer, datatype)):
                raise InvalidParameterError("phases", self.phases, what)
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(float(value)):
                raise InvalidParameterError(f"phases[{(int(layer), int(datatype))}]", value, "a finite phase in degrees")
            normal[(int(layer), int(datatype))] = float(value)
        for pair in self.layer_pairs:
            if pair not in normal:
                raise InvalidParameterError(
                    "phases", dict(normal),
                    f"a phase for every layer of the layout; layer {pair} has none",
                )
        object.__setattr__(self, "phases", MappingProxyType(normal))

    def __reduce__(self) -> tuple[Any, ...]:  # a mappingproxy does not pickle
        return (type(self), (self.layout, dict(self.phases)))

    @property
    def layer_pairs(self) -> list[tuple[int, int]]:
        """The (layer, datatype) pairs present in the layout, sorted."""
        return sorted(set(map(tuple, self.layout.layers.tolist())))

    def transmission(self, pixel: float, shape: int | tuple[int, int], origin: tuple[float, float] = (0.0, 0.0),
                     backend: str | None = None, mode: Literal["area", "center"] = "area") -> Any:
        """Complex amplitude transmission (see :meth:`BinaryMask.transmission`).

        Raises
        ------
        InvalidParameterError
            (named ``layout``) if openings of different layers overlap.
        """
        pixel, shape, origin = _grid(pixel, shape, origin)
        _check_complex_memory(shape, backend)
        cdtype = config.complex_dtype()
        xp = _backend.get_array_module(backend)
        out = xp.zeros(shape, dtype=cdtype)
        total = xp.zeros(shape, dtype=config.real_dtype())
        for pair in self.layer_pairs:
            cov = _coverage(self.layout.select(pair), pixel, shape, origin, backend, mode)
            total += cov
            out += cov * cdtype.type(cmath.exp(1j * math.radians(self.phases[pair])))
        if len(self.layer_pairs) > 1 and float(total.max()) > 1 + _OVERLAP_TOL:
            raise InvalidParameterError("layout", self.layout, "openings whose layers do not overlap one another")
        return out

    def spectrum(self, pixel: float, shape: int | tuple[int, int], origin: tuple[float, float] = (0.0, 0.0),
                 band: int | tuple[int, int] | None = None, *, backend: str | None = None, dtype: Any = None) -> Any:
        """Exact Fourier coefficients (see :meth:`BinaryMask.spectrum`): ``Σ_l exp(i·φ_l)·P_l``."""
        ky, kx = half_band("band", band, grid_shape("shape", shape))
        c = np.zeros((2 * ky + 1, 2 * kx + 1), dtype=np.complex128)
        for pair in self.layer_pairs:
            c += cmath.exp(1j * math.radians(self.phases[pair])) * _centred_spectrum(
                self.layout.select(pair), pixel, shape, origin, (ky, kx))
        return _on_backend(c.astype(_spectrum_dtype(dtype), copy=False), backend)


def _check_array(name: str, array: Any) -> Any:
    """``array`` (numpy or CuPy; a nested sequence becomes numpy) if it is a finite mask array."""
    if not hasattr(array, "shape") or not hasattr(array, "dtype"):
        try:
            array = np.asarray(array)
        except (TypeError, ValueError):
            raise InvalidParameterError(name, array, "a real or complex array (..., ny, nx)") from None
    what = "a finite real or complex array (..., ny, nx)"
    if array.ndim < 2 or np.dtype(array.dtype).kind not in "biufc":
        raise InvalidParameterError(name, f"<{type(array).__name__} shape={array.shape} dtype={array.dtype}>", what)
    xp = _backend.array_module(array)
    if np.dtype(array.dtype).kind in "fc" and not bool(xp.isfinite(array).all()):
        raise InvalidParameterError(name, f"<{type(array).__name__} shape={array.shape} with NaN or inf>", what)
    return array


def _check_shape(array: Any, shape: Any) -> None:
    if shape is None:
        return
    grid = grid_shape("shape", shape)
    if tuple(array.shape[-2:]) != grid:
        raise InvalidParameterError("shape", shape, f"{tuple(array.shape[-2:])}, the grid of the mask array")


@dataclass(frozen=True, eq=False)
class ContinuousMask:
    """A continuous-transmission mask (CTM): any real or complex array ``(..., ny, nx)``.

    Parameters
    ----------
    array : numpy.ndarray or cupy.ndarray
        Transmission per pixel (leading axes are a batch), finite. It is kept as given
        (not copied, not moved between devices): do not modify it afterwards.
    """

    array: Any

    def __post_init__(self) -> None:
        object.__setattr__(self, "array", _check_array("mask", self.array))

    @property
    def shape(self) -> tuple[int, int]:
        """The grid (ny, nx)."""
        return tuple(self.array.shape[-2:])  # type: ignore[return-value]

    def transmission(self, pixel: float | None = None, shape: int | tuple[int, int] | None = None,
                     origin: tuple[float, float] = (0.0, 0.0), backend: str | None = None,
                     mode: Literal["area", "center"] = "area") -> Any:
        """The array itself, on its own device (``pixel``, ``origin``, ``backend`` and ``mode`` are unused).

        Raises
        ------
        InvalidParameterError
            ``shape`` is given and is not the array's grid.
        """
        _check_shape(self.array, shape)
        return self.array

    def spectrum(self, pixel: float | None = None, shape: int | tuple[int, int] | None = None,
                 origin: tuple[float, float] = (0.0, 0.0), band: int | tuple[int, int] | None = None,
                 *, backend: str | None = None, dtype: Any = None) -> Any:
        """The array's DFT coefficients ``fft2(array)/(ny·nx)`` on the band layout.

        The samples' own spectrum (the convention of :func:`litho.imaging.band.crop_spectrum`),
        ``(..., 2Ky+1, 2Kx+1)``, on the array's device (``backend`` is unused). The band must
        satisfy ``2K + 1 <= n`` per axis (no frequency is ambiguous); default the largest.
        """
        _check_shape(self.array, shape)
        ny, nx = self.shape
        ky, kx = half_band("band", band, (ny, nx))
        if 2 * ky + 1 > ny or 2 * kx + 1 > nx:
            raise InvalidParameterError("band", band, f"(Ky, Kx) with 2K + 1 <= n on the {ny} x {nx} grid")
        xp = _backend.array_module(self.array)
        cdtype = _spectrum_dtype(dtype)
        full = xp.fft.fft2(self.array.astype(cdtype, copy=False), axes=(-2, -1))
        rows = xp.asarray(np.arange(-ky, ky + 1) % ny)
        cols = xp.asarray(np.arange(-kx, kx + 1) % nx)
        out = full[..., rows[:, None], cols[None, :]] / (ny * nx)
        return out.astype(cdtype, copy=False)


MaskModel = BinaryMask | AttenuatedPSM | AlternatingPSM | ContinuousMask


def continuous_mask(array: Any) -> ContinuousMask:
    """A :class:`ContinuousMask` of ``array`` (validated finite; see the class)."""
    return ContinuousMask(array)


def as_transmission(mask: Any, pixel: float | None = None, shape: int | tuple[int, int] | None = None,
                    origin: tuple[float, float] = (0.0, 0.0), backend: str | None = None) -> Any:
    """The transmission array of a mask given as an array, a mask model or a layout.

    Parameters
    ----------
    mask : array, mask model or Layout
        An array (numpy or CuPy, ``(..., ny, nx)``) is validated (finite; its grid equals
        ``shape`` when given) and returned unchanged; a nested sequence becomes a numpy
        array. A mask model gives ``mask.transmission(pixel, shape, origin, backend)``; a
        :class:`~litho.Layout` is taken as a clear :class:`BinaryMask`.
    pixel, shape, origin, backend
        The grid for mask models and layouts (``pixel`` and ``shape`` are then required).

    Raises
    ------
    InvalidParameterError
        A NaN/inf array (named ``mask``), a grid mismatch (``shape``), or a model without
        ``pixel``/``shape``.
    """
    if isinstance(mask, Layout):
        mask = BinaryMask(mask)
    if isinstance(mask, ContinuousMask):
        return mask.transmission(pixel, shape, origin, backend)
    if hasattr(mask, "transmission") and callable(getattr(mask, "transmission", None)):
        if pixel is None:
            raise InvalidParameterError("pixel", pixel, "a pixel size in nm for a mask model")
        if shape is None:
            raise InvalidParameterError("shape", shape, "a grid (ny, nx) for a mask model")
        return mask.transmission(pixel, shape, origin, backend)
    array = _check_array("mask", mask)
    _check_shape(array, shape)
    return array
