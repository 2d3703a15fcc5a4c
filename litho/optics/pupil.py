"""The projection-lens pupil: aperture, central obscuration, Zernike aberrations, defocus.

Frequencies are wafer-side spatial frequencies ``(fx, fy)`` in 1/nm; the aperture cutoff is
``NA / wavelength``. The model is scalar: no obliquity or radiometric factor, so a clear
mask images to intensity 1.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._validate import finite_number, positive_number
from ..backend import array_module
from ..errors import InvalidParameterError
from . import zernike

__all__ = ["Pupil"]


def validate_lens(wavelength: Any, na: Any, immersion: Any, defocus: Any, obscuration: Any
                  ) -> tuple[float, float, float, float, float]:
    """Validated (wavelength, na, immersion, defocus, obscuration) as floats.

    Shared by :class:`Pupil` and :class:`~litho.optics.Optics`; raises
    :class:`~litho.errors.InvalidParameterError` naming the offending field.
    """
    wavelength = positive_number("wavelength", wavelength, "nm")
    if isinstance(immersion, bool) or not isinstance(immersion, numbers.Real) \
            or not math.isfinite(immersion) or immersion < 1:
        raise InvalidParameterError("immersion", immersion, "a finite refractive index >= 1")
    immersion = float(immersion)
    na = positive_number("na", na)
    if na >= immersion:
        raise InvalidParameterError(
            "na", na, f"a numerical aperture in (0, immersion) = (0, {immersion:g}) "
                      f"(NA must be below the immersion index {immersion:g})")
    defocus = finite_number("defocus", defocus, "nm")
    if isinstance(obscuration, bool) or not isinstance(obscuration, numbers.Real) \
            or not (0.0 <= obscuration < 1.0):
        raise InvalidParameterError("obscuration", obscuration, "a fraction of the pupil radius in [0, 1)")
    return wavelength, na, immersion, defocus, float(obscuration)


def lens_repr(obj: Any, names: tuple[str, ...]) -> str:
    """``Name(field=value, ...)`` with aberrations shown as ``{fringe index: waves}`` of the
    non-zero terms (the stored 37-tuple is unreadable)."""
    parts = []
    for name in names:
        value = getattr(obj, name)
        if name == "aberrations":
            value = {j: c for j, c in enumerate(value, start=1) if c}
        parts.append(f"{name}={value!r}")
    return f"{type(obj).__name__}({', '.join(parts)})"


@dataclass(frozen=True, repr=False)
class Pupil:
    """Pupil function of a projection lens, evaluated at wafer-side spatial frequencies.

    Parameters
    ----------
    wavelength : float
        Exposure wavelength in vacuum, nm (> 0).
    na : float
        Numerical aperture (> 0 and < ``immersion``).
    immersion : float
        Refractive index ``n`` of the medium between lens and wafer (>= 1; 1 = dry).
    defocus : float
        Defocus ``z``, nm (wafer side; positive moves the focal plane up, in the convention
        of the phase formula below).
    aberrations : mapping or sequence
        Fringe Zernike coefficients in waves (see :func:`litho.optics.zernike.normalize_fringe`);
        stored as a tuple of 37 floats.
    obscuration : float
        Central obscuration radius as a fraction of the pupil radius, in [0, 1).

    Notes
    -----
    ``P(f) = circ * obs * exp(i (2 pi W(rho, theta) + phi(f)))`` with ``rho = |f| / cutoff``,
    ``theta = atan2(fy, fx)``, ``W`` the Fringe wavefront in waves and the exact (non-paraxial)
    defocus phase ``phi = 2 pi z (sqrt(n^2/lambda^2 - |f|^2) - n/lambda)``. The aperture is the
    closed disk ``rho <= 1`` (frequencies exactly on the cutoff pass), and the obscuration
    blocks ``rho < obscuration``.
    """

    wavelength: float
    na: float
    immersion: float = 1.0
    defocus: float = 0.0
    aberrations: tuple[float, ...] = field(default=())
    obscuration: float = 0.0

    def __post_init__(self) -> None:
        values = validate_lens(self.wavelength, self.na, self.immersion, self.defocus, self.obscuration)
        for name, value in zip(("wavelength", "na", "immersion", "defocus", "obscuration"), values):
            object.__setattr__(self, name, value)
        object.__setattr__(self, "aberrations", zernike.normalize_fringe(self.aberrations, "aberrations"))

    def __repr__(self) -> str:
        return lens_repr(self, ("wavelength", "na", "immersion", "defocus", "aberrations", "obscuration"))

    @property
    def cutoff(self) -> float:
        """Aperture cutoff frequency ``NA / wavelength``, 1/nm."""
        return self.na / self.wavelength

    @property
    def is_real(self) -> bool:
        """True when the pupil is a real 0/1 mask (no aberrations, no defocus)."""
        return self.defocus == 0.0 and not any(self.aberrations)

    def phase(self, fx: Any, fy: Any) -> Any:
        """Pupil phase ``2 pi W + phi_defocus`` in radians at frequencies (fx, fy) in 1/nm.

        Defined (finite) everywhere; only meaningful inside the aperture.
        """
        xp = array_module(fx)
        fx = xp.asarray(fx, dtype=xp.float64)
        fy = xp.asarray(fy, dtype=xp.float64)
        f2 = fx * fx + fy * fy
        out = xp.zeros(f2.shape, dtype=xp.float64)
        if any(self.aberrations):
            rho = xp.sqrt(f2) / self.cutoff
            out += (2.0 * math.pi) * zernike.wavefront(self.aberrations, rho, xp.arctan2(fy, fx))
        if self.defocus != 0.0:
            k = self.immersion / self.wavelength
            # sqrt(k^2 - f^2) - k, written without cancellation for small f; clipped at the
            # evanescent edge (never reached inside the aperture, since NA < n)
            out += (2.0 * math.pi * self.defocus) * (-f2 / (xp.sqrt(xp.maximum(k * k - f2, 0.0)) + k))
        return out

    def __call__(self, fx: Any, fy: Any, dtype: Any = np.complex128) -> Any:
        """Evaluate the pupil at spatial frequencies.

        Parameters
        ----------
        fx, fy : array_like
            Wafer-side spatial frequencies, 1/nm (numpy or CuPy; broadcast together).
        dtype : complex64 or complex128 (or float32/float64 when :attr:`is_real`)
            Output dtype.

        Returns
        -------
        array
            ``P(fx, fy)`` on the device of ``fx``.
        """
        xp = array_module(fx)
        out_dtype = np.dtype(dtype)
        if out_dtype.kind != "c" and not (out_dtype.kind == "f" and self.is_real):
            raise InvalidParameterError(
                "dtype", dtype, "complex64 or complex128 (float32/float64 only for a real pupil)")
        fx = xp.asarray(fx, dtype=xp.float64)
        fy = xp.asarray(fy, dtype=xp.float64)
        rho2 = (fx * fx + fy * fy) / (self.cutoff * self.cutoff)
        inside = rho2 <= 1.0
        if self.obscuration > 0.0:
            inside &= rho2 >= self.obscuration * self.obscuration
        if self.is_real:
            return inside.astype(out_dtype)
        return (inside * xp.exp(1j * self.phase(fx, fy))).astype(out_dtype)
