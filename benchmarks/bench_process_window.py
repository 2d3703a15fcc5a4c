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
from litho.imaging import aerial_image
from litho.imaging.mask import BinaryMask
from litho.metrology import Gauge, contours
from litho.optics import Optics, Source
from litho.process_window import fem

N = 1024
FOCUS = np.linspace(-100.0, 100.0, 11)
DOSE = np.linspace(0.85, 1.15, 11)


def clip_layout() -> Layout:
    spaces = [[x, 0.0, x + 45.0, 512.0] for x in np.arange(22.5, N, 90.0) if x + 45.0 <= N]
    holes = [[x, y, x + 90.0, y + 90.0] for x in np.arange(40.0, N, 180.0) for y in np.arange(552.0, N, 180.0)
             if x + 90 <= N and y + 90 <= N]
    return Layout.from_rects(spaces + holes)


def clip_gauges() -> list:
    spaces = [Gauge.across((45.0 + 90.0 * k, 256.0), 80.0, name=f"space{k}") for k in range(10)]
    holes = [Gauge.across((85.0 + 180.0 * (k % 5), 597.0 + 180.0 * (k // 5)), 150.0, name=f"hole{k}")
             for k in range(8)]
    holes += [Gauge.across((85.0 + 180.0 * k, 777.0), 150.0, orientation="y", name=f"hole_y{k}") for k in (1, 2)]
    return spaces + holes


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
        fem(self.simulate, FOCUS, DOSE, self.gauges, threshold=0.22, pixel=1.0)


class Contours:
    """Marching-squares contours (the Cython kernel, keyholing and Layout packing) of a 2048^2 aerial image."""

    def setup(self):
        x = (np.arange(2048) + 0.5)[None, :]
        y = (np.arange(2048) + 0.5)[:, None]
        self.image = (0.3 + 0.2 * np.cos(2 * np.pi * x / 90.0) * np.cos(2 * np.pi * y / 300.0)
                      + 0.05 * np.sin(2 * np.pi * (x + y) / 700.0)).astype(np.float32)

    def time_contours_2048(self):
        contours(self.image, 0.3, 1.0)
