"""Metrology and process-window benchmarks (asv).

Targets (issue 6, 2-core CPU): a focus-exposure matrix of 11 focus x 11 dose values on a
1024^2 clip with 20 gauges <= 5 s (re-imaging per focus dominates; dose is a level on
the same image); contours of a 2048^2 image <= 50 ms.

The clip: 1 nm pixels, 193 nm / NA 1.35 / immersion 1.44 / annular 0.6-0.9, a 45 nm
clear-space grating at 90 nm pitch beside an array of 90 nm contact holes at 180 nm pitch, imaged by
Abbe at each focus; 10 gauges across spaces and 10 across contacts.
"""

import numpy as np

from litho import Layout
from litho.bench import FEM_DOSE, FEM_FOCUS, FEM_THRESHOLD, fem_clip
from litho.imaging import aerial_image
from litho.imaging.mask import BinaryMask
from litho.metrology import contours
from litho.optics import Optics, Source
from litho.process_window import fem

N = 1024
FOCUS = np.asarray(FEM_FOCUS)  # shared with ``litho bench`` (case fem)
DOSE = np.asarray(FEM_DOSE)


def clip_layout() -> Layout:
    return fem_clip(N)[0]


def clip_gauges() -> list:
    return fem_clip(N)[1]


class FocusExposureMatrix:
    """11 x 11 FEM, 1024^2 clip, 20 gauges, Abbe re-imaging per focus (float32)."""

    number = 1
    repeat = (3, 5, 60.0)
    timeout = 300

    def setup(self):
        self.mask = BinaryMask(clip_layout())
        self.optics = Optics(193.0, 1.35, Source.annular(0.6, 0.9), immersion=1.44)
        self.gauges = clip_gauges()
        self.simulate(0.0)  # warm FFT plans

    def simulate(self, focus):
        return aerial_image(self.mask, self.optics.with_defocus(focus), 1.0, method="abbe", shape=(N, N),
                            backend="numpy")

    def time_fem_11x11_1024_20_gauges(self):
        fem(self.simulate, FOCUS, DOSE, self.gauges, threshold=FEM_THRESHOLD, pixel=1.0)


class Contours:
    """Marching-squares contours (the Cython kernel, keyholing and Layout packing) of a 2048^2 aerial image."""

    def setup(self):
        x = (np.arange(2048) + 0.5)[None, :]
        y = (np.arange(2048) + 0.5)[:, None]
        self.image = (0.3 + 0.2 * np.cos(2 * np.pi * x / 90.0) * np.cos(2 * np.pi * y / 300.0)
                      + 0.05 * np.sin(2 * np.pi * (x + y) / 700.0)).astype(np.float32)

    def time_contours_2048(self):
        contours(self.image, 0.3, 1.0)
