"""Emulated ``cupyx.scipy``."""

from . import fft, ndimage  # noqa: F401
