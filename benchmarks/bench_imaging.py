"""Imaging benchmarks (asv).

Targets (issue 3, 2-core CPU): SOCS kernels from optics (193 nm, NA 1.35, immersion 1.44,
annular 0.6/0.9, 1 nm pixel, 2048^2) <= 1 s cold and <= 10 ms from the disk cache;
Abbe on 2048^2 with ~200 source points <= 2 s.
"""

import os
import tempfile

import numpy as np

import litho
from litho.imaging import SOCS, abbe_image
from litho.imaging import socs as socs_module
from litho.optics import Optics, Source

SHAPE = (2048, 2048)


def immersion_optics() -> Optics:
    return Optics(wavelength=193.0, na=1.35, immersion=1.44, source=Source.annular(0.6, 0.9))


def clip_mask() -> np.ndarray:
    layout = litho.Layout.read(litho.datasets.iccad2013_clip(1)).translate(512, 512)
    return litho.rasterize(layout, 1.0, SHAPE)


class SOCSKernels:
    """Kernel computation (cold) and loading from the disk cache (fresh in-memory cache)."""

    timeout = 120

    def setup(self):
        self.cache = tempfile.mkdtemp(prefix="litho-bench-")
        os.environ["LITHO_CACHE_DIR"] = self.cache
        self.optics = immersion_optics()
        socs_module._cached_from_optics.cache_clear()
        SOCS.from_optics(self.optics, 1.0, SHAPE)  # fills the disk cache for the cached case

    def time_kernels_cold(self):
        SOCS.from_optics(self.optics, 1.0, SHAPE, cache=False)

    def time_kernels_from_disk_cache(self):
        socs_module._cached_from_optics.cache_clear()
        SOCS.from_optics(self.optics, 1.0, SHAPE)


class Images:
    """One 2048^2 clip imaged by SOCS (energy 0.999) and by Abbe (~200 source points)."""

    timeout = 300

    def setup(self):
        os.environ["LITHO_CACHE_DIR"] = tempfile.mkdtemp(prefix="litho-bench-")
        self.optics = immersion_optics()
        self.mask = clip_mask()
        self.model = SOCS.from_optics(self.optics, 1.0, SHAPE)
        self.step = 0.1  # 204 source points for annular 0.6/0.9 (exact-area cells)
        self.model.image(self.mask)  # engine choice and plans made once per process
        abbe_image(self.mask, self.optics, 1.0, source_step=self.step)

    def time_socs_image(self):
        self.model.image(self.mask)

    def time_abbe_image_200_points(self):
        abbe_image(self.mask, self.optics, 1.0, source_step=self.step)
