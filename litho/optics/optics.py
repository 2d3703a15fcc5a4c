"""Optics: the full description of a projection exposure tool's imaging optics."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from typing import Any

from .._validate import positive_number
from ..errors import InvalidParameterError
from . import zernike
from .pupil import Pupil, lens_repr, validate_lens
from .source import Source

__all__ = ["Optics"]

_KEY_VERSION = "litho.optics.Optics/1"


@dataclass(frozen=True, repr=False)
class Optics:
    """Imaging optics: illumination source plus projection lens.

    Parameters
    ----------
    wavelength : float
        Exposure wavelength in vacuum, nm (> 0), e.g. 193 (ArF) or 13.5 (EUV).
    na : float
        Wafer-side numerical aperture (> 0 and < ``immersion``).
    source : Source
        Illumination, in sigma units (see :class:`~litho.optics.Source`).
    immersion : float
        Refractive index of the immersion medium (>= 1; e.g. 1.44 for water at 193 nm).
    defocus : float
        Defocus, nm (see :class:`~litho.optics.Pupil` for the phase convention).
    aberrations : mapping or sequence
        Fringe Zernike coefficients in waves; stored as a tuple of 37 floats.
    obscuration : float
        Central pupil obscuration, fraction of the pupil radius in [0, 1).
    reduction : float
        Mask-to-wafer demagnification (> 0; 4 for current scanners). Stored for converting
        mask-scale dimensions; all other lengths here are wafer scale.
    """

    wavelength: float
    na: float
    source: Source
    immersion: float = 1.0
    defocus: float = 0.0
    aberrations: tuple[float, ...] = field(default=())
    obscuration: float = 0.0
    reduction: float = 4.0

    def __post_init__(self) -> None:
        values = validate_lens(self.wavelength, self.na, self.immersion, self.defocus, self.obscuration)
        for name, value in zip(("wavelength", "na", "immersion", "defocus", "obscuration"), values):
            object.__setattr__(self, name, value)
        if not isinstance(self.source, Source):
            raise InvalidParameterError("source", self.source, "a litho.optics.Source")
        object.__setattr__(self, "aberrations", zernike.normalize_fringe(self.aberrations, "aberrations"))
        object.__setattr__(self, "reduction", positive_number("reduction", self.reduction))

    def __repr__(self) -> str:
        return lens_repr(self, ("wavelength", "na", "source", "immersion", "defocus", "aberrations",
                                "obscuration", "reduction"))

    @property
    def pupil(self) -> Pupil:
        """The projection pupil (wavelength, NA, immersion, defocus, aberrations, obscuration)."""
        return Pupil(self.wavelength, self.na, self.immersion, self.defocus, self.aberrations,
                     self.obscuration)

    @property
    def cutoff(self) -> float:
        """Coherent cutoff frequency ``NA / wavelength``, 1/nm."""
        return self.na / self.wavelength

    @property
    def frequency_band(self) -> float:
        """``(1 + sigma_max) * NA / wavelength``, 1/nm: the largest mask spatial frequency any
        source point passes to the image."""
        return (1.0 + self.source.sigma_max) * self.na / self.wavelength

    def with_defocus(self, defocus: float) -> Optics:
        """A copy with ``defocus`` (nm) replaced."""
        return replace(self, defocus=defocus)

    def with_source(self, source: Source) -> Optics:
        """A copy with ``source`` replaced."""
        return replace(self, source=source)

    def key(self) -> str:
        """Stable SHA-256 hex digest of every field (including ``source.key()``): a cache key
        valid across processes."""
        params: dict[str, Any] = {
            "version": _KEY_VERSION,
            "wavelength": repr(self.wavelength), "na": repr(self.na),
            "immersion": repr(self.immersion), "defocus": repr(self.defocus),
            "aberrations": [repr(c) for c in self.aberrations],
            "obscuration": repr(self.obscuration), "reduction": repr(self.reduction),
            "source": self.source.key(),
        }
        return hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()
