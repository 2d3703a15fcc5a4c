"""Scalar imaging: band-limited Abbe and Hopkins/SOCS on CPU and GPU."""

from .abbe import abbe_image
from .aerial import aerial_image
from .band import Band
from .socs import SOCS

__all__ = ["Band", "SOCS", "abbe_image", "aerial_image"]
