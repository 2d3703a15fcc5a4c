"""Optics: illumination sources, the projection pupil (Zernike aberrations) and Optics.

Sources live in sigma space (dimensionless); pupils take wafer-side spatial frequencies in
1/nm with cutoff ``NA / wavelength``. A source point ``sigma`` shifts the illumination
frequency by ``sigma * NA / wavelength`` and the pupil is evaluated at ``P(f + f_s)``.
"""

from __future__ import annotations

from . import zernike
from .optics import Optics
from .pupil import Pupil
from .source import DEFAULT_SOURCE_STEP, Source

__all__ = ["DEFAULT_SOURCE_STEP", "Optics", "Pupil", "Source", "zernike"]
