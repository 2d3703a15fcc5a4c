"""Image quality along CD gauges: image log-slope (ILS), NILS and contrast.

At each edge of the feature under a gauge (the level crossings that give its CD, see
:mod:`litho.metrology.gauges`) the image log-slope is ``|d ln I / ds|`` (1/nm) of the
interpolated image along the gauge; NILS is the mean of the two edges' ILS times the CD
(Mack's normalised image log-slope, dimensionless); contrast is
``(I_max - I_min) / (I_max + I_min)`` of the image along the gauge.

For a constant-threshold resist the edge moves by ``Δx = Δln E / ILS`` when the dose
changes by ``Δln E``, so ``ΔCD / CD = ±(2 / NILS) Δln E`` (+ for a bright feature, a
space, − for a dark one, a line): NILS is the exposure latitude of the image.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validate import real_array
from .gauges import OK, CDResult, Gauge, check_level, edges_from_profiles, gauge_profiles

__all__ = ["ImageQuality", "image_quality", "ils", "nils", "contrast"]


@dataclass(frozen=True, eq=False)
class ImageQuality:
    """Image quality per gauge (arrays (..., ng); NaN where the CD is not measured).

    Attributes
    ----------
    cd : CDResult
        The CDs and edges the quality is read at.
    ils_left, ils_right : ndarray
        Image log-slope at the two edges, 1/nm.
    ils : ndarray
        Their mean, 1/nm.
    nils : ndarray
        ``ils * cd``, dimensionless.
    contrast : ndarray
        Along the whole gauge (defined whether or not the CD is).
    """

    cd: CDResult
    ils_left: np.ndarray
    ils_right: np.ndarray
    ils: np.ndarray
    nils: np.ndarray
    contrast: np.ndarray


def _log_slope(prof: Any, where: tuple[np.ndarray, ...], s: np.ndarray, h: float) -> np.ndarray:
    """``|d ln I / ds|`` at distances ``s`` along the gauges ``where[-1]`` (central difference, step h)."""
    g, batch = where[-1], where[:-1]
    plus = prof.refine(g, s + h, batch)
    minus = prof.refine(g, s - h, batch)
    centre = prof.refine(g, s, batch)
    return np.abs(plus - minus) / (2.0 * h * centre)


def image_quality(image: Any, level: Any, pixel: Any, gauges: Gauge | Sequence[Gauge],
                  origin: tuple[float, float] = (0.0, 0.0), *, step: float | None = None,
                  interpolation: str = "cubic", boundary: str = "periodic") -> ImageQuality:
    """CD, ILS at both edges, NILS and contrast of the features under a set of gauges.

    Parameters
    ----------
    image : array (..., ny, nx)
        Intensity, > 0 (numpy or CuPy).
    level : float or array
        The printing threshold (intensity), strictly inside the image's range.
    pixel, gauges, origin, step, interpolation, boundary
        As for :func:`litho.metrology.cd`.

    Returns
    -------
    ImageQuality

    Raises
    ------
    InvalidParameterError
        Intensity <= 0 or not finite, a level outside its range, a gauge outside the image.
    """
    arr = real_array("image", image, ndim=tuple(range(2, 6)), low=0.0, low_open=True,
                     what="an intensity image (..., ny, nx)")
    prof = gauge_profiles(arr, pixel, gauges, origin, step=step, interpolation=interpolation, boundary=boundary)
    res = edges_from_profiles(prof, check_level(arr, level))
    h = 0.25 * float(np.nanmin(np.diff(prof.s, axis=-1)))
    ils_l = np.full(res.cd.shape, np.nan)
    ils_r = np.full(res.cd.shape, np.nan)
    ok = np.nonzero(res.status == OK)
    if ok[0].size:
        ils_l[ok] = _log_slope(prof, ok, res.left[ok], h)
        ils_r[ok] = _log_slope(prof, ok, res.right[ok], h)
    mean = 0.5 * (ils_l + ils_r)
    vmax = np.nanmax(prof.values, axis=-1)
    vmin = np.nanmin(prof.values, axis=-1)
    return ImageQuality(res, ils_l, ils_r, mean, mean * res.cd, (vmax - vmin) / (vmax + vmin))


def ils(image: Any, level: Any, pixel: Any, gauges: Gauge | Sequence[Gauge],
        origin: tuple[float, float] = (0.0, 0.0), **kw: Any) -> np.ndarray:
    """Mean image log-slope at the two edges under each gauge, 1/nm (see :func:`image_quality`)."""
    return image_quality(image, level, pixel, gauges, origin, **kw).ils


def nils(image: Any, level: Any, pixel: Any, gauges: Gauge | Sequence[Gauge],
         origin: tuple[float, float] = (0.0, 0.0), **kw: Any) -> np.ndarray:
    """Normalised image log-slope ``ILS * CD`` under each gauge (see :func:`image_quality`)."""
    return image_quality(image, level, pixel, gauges, origin, **kw).nils


def contrast(image: Any, pixel: Any, gauges: Gauge | Sequence[Gauge], origin: tuple[float, float] = (0.0, 0.0),
             **kw: Any) -> np.ndarray:
    """Image contrast ``(I_max - I_min) / (I_max + I_min)`` along each gauge."""
    arr = real_array("image", image, ndim=tuple(range(2, 6)), low=0.0, what="an intensity image (..., ny, nx)")
    prof = gauge_profiles(arr, pixel, gauges, origin, **kw)
    vmax = np.nanmax(prof.values, axis=-1)
    vmin = np.nanmin(prof.values, axis=-1)
    return (vmax - vmin) / (vmax + vmin)
