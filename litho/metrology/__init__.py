"""Metrology: contours, CD gauges, EPE, image quality (ILS, NILS, contrast), PV bands, MEEF."""

from .contours import contours
from .epe import EPEResult, Fragments, epe, fragment
from .gauges import CDResult, Gauge, cd, gauge_profiles
from .meef import MEEFResult, bias_layout, meef
from .plots import plot_image
from .pvband import PVBand, pv_band
from .quality import ImageQuality, contrast, ils, image_quality, nils

__all__ = ["contours", "Gauge", "CDResult", "cd", "gauge_profiles", "ImageQuality", "image_quality", "ils", "nils",
           "contrast", "MEEFResult", "meef", "bias_layout", "Fragments", "fragment", "EPEResult", "epe", "PVBand",
           "pv_band", "plot_image"]
