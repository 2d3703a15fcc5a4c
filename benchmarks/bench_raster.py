"""Rasterization benchmarks (asv).

Targets (issue 2, 2-core CPU): 20,000 rectangles onto 2048^2 <= 50 ms;
1,000 arbitrary 8-gons <= 200 ms. Layouts are generated once per process with a fixed
seed: rectangles 4-60 nm on integer nm coordinates (like real Manhattan layouts);
octagons of radius 20 nm with a random rotation, many overlapping.
"""

import numpy as np

import litho


def random_rectangles(n: int, extent: float, seed: int = 0, on_grid: bool = True) -> "litho.Layout":
    """Rectangles 4-60 nm wide; on integer nm coordinates unless ``on_grid`` is False."""
    rng = np.random.default_rng(seed)
    x0 = rng.uniform(0, extent - 60, n)
    y0 = rng.uniform(0, extent - 60, n)
    w = rng.uniform(4, 60, n)
    h = rng.uniform(4, 60, n)
    rects = np.c_[x0, y0, x0 + w, y0 + h]
    return litho.Layout.from_rects(np.round(rects) if on_grid else rects)


def random_octagons(n: int, extent: float, seed: int = 0) -> "litho.Layout":
    rng = np.random.default_rng(seed)
    centres = rng.uniform(30, extent - 30, (n, 2))
    turn = rng.uniform(0, np.pi / 4, n)
    angles = np.arange(8) * np.pi / 4
    polygons = [np.c_[cx + 20 * np.cos(angles + t), cy + 20 * np.sin(angles + t)] for (cx, cy), t in zip(centres, turn)]
    return litho.Layout.from_polygons(polygons)


class RasterizeRectangles:
    """20,000 Manhattan rectangles onto a 2048 x 2048 grid of 1 nm pixels."""

    params = ["area", "center"]
    param_names = ["mode"]

    def setup(self, mode):
        self.layout = random_rectangles(20_000, 2048.0)
        litho.rasterize(self.layout, 1.0, (64, 64), mode=mode, backend="numpy")  # warm imports

    def time_rectangles_2048(self, mode):
        litho.rasterize(self.layout, 1.0, (2048, 2048), mode=mode, backend="numpy")


class RasterizeRectanglesOffGrid:
    """The same 20,000 rectangles at arbitrary float coordinates.

    The hardest case for the Manhattan sweep: rectangle ends fall inside pixel rows, so
    each row is cut into many bands and the active edges are walked once per band.
    """

    params = [1.0, 8.0]
    param_names = ["pixel_nm"]

    def setup(self, pixel_nm):
        self.layout = random_rectangles(20_000, 2048.0, on_grid=False)
        self.shape = int(2048 / pixel_nm)
        litho.rasterize(self.layout, pixel_nm, (64, 64), backend="numpy")

    def time_rectangles_offgrid(self, pixel_nm):
        litho.rasterize(self.layout, pixel_nm, self.shape, backend="numpy")


class RasterizeOctagons:
    """1,000 rotated (non-Manhattan) octagons, overlapping, onto 2048 x 2048."""

    params = ["area", "center"]
    param_names = ["mode"]

    def setup(self, mode):
        self.layout = random_octagons(1_000, 2048.0)
        litho.rasterize(self.layout, 1.0, (64, 64), mode=mode, backend="numpy")

    def time_octagons_2048(self, mode):
        litho.rasterize(self.layout, 1.0, (2048, 2048), mode=mode, backend="numpy")


class RasterizeIccadClip:
    """ICCAD-2013 clip M1_test1 in the contest frame (2048^2, 1 nm, centre mode)."""

    def setup(self):
        self.layout = litho.Layout.read(litho.datasets.iccad2013_clip(1)).translate(512, 512)

    def time_iccad_clip(self):
        litho.rasterize(self.layout, 1.0, (2048, 2048), mode="center", backend="numpy")
