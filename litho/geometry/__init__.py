"""Geometry: polygon layouts in nm (GDSII, OASIS, ICCAD GLP) and exact rasterization."""

from .layout import Layout
from .raster import rasterize

__all__ = ["Layout", "rasterize"]
