"""Metrology: contours of images and resist profiles (CD, EPE and process windows to come)."""

from .contours import contours

__all__ = ["contours"]
