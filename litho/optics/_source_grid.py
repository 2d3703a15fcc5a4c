"""Exact-area sampling of illumination shapes on a sigma grid (used by ``Source.sample``).

Grid: square cells of side ``step`` (sigma units) centred on ``(i * step, k * step)`` for
``i, k in [-m, m]``; array rows are sigma_y, columns sigma_x. A cell's weight is the exact
area of the cell inside the shape, computed by ``litho.rasterize(mode="area")`` from a
polygonal description of the shape.

Circles are regular inscribed polygons of :data:`CIRCLE_VERTICES` vertices. The area of
an inscribed regular n-gon is ``(n/2) r^2 sin(2 pi/n)``, a relative deficit of
``1 - n sin(2 pi / n) / (2 pi) ~= (2 pi / n)^2 / 6``: 9.8e-8 for n = 8192 (below 1e-7).
Arcs of sectors use the same angular spacing.
"""

from __future__ import annotations

import math

import numpy as np

from .. import config
from ..geometry import rasterize

#: Vertices of the polygon standing for a full circle (relative area error < 1e-7).
CIRCLE_VERTICES = 8192

#: Coverage fractions below this (of one cell) are rounding noise and are dropped.
COVERAGE_FLOOR = 1e-12


def grid_half_width(radius: float, step: float) -> int:
    """``m`` such that cells ``-m..m`` of side ``step`` cover the disk of ``radius`` (+1 spare)."""
    return math.floor(radius / step + 0.5) + 1


def check_grid(m: int, what: str) -> None:
    """Raise MemoryBudgetError if a (2m+1)^2 float64 grid (a few copies) is too large."""
    n = 2 * m + 1
    config.check_memory(4 * 8 * n * n, f"a {n} x {n} source grid ({what})",
                        "use a larger source sampling step")


def centres(m: int, step: float) -> np.ndarray:
    """Cell-centre coordinates ``k * step`` for k = -m..m, sigma units."""
    return np.arange(-m, m + 1, dtype=np.float64) * step


def _coverage(polygons: list[np.ndarray], m: int, step: float) -> np.ndarray:
    """Summed exact area fraction of each cell covered by each polygon (polygons disjoint)."""
    n = 2 * m + 1
    origin = (-(m + 0.5) * step, -(m + 0.5) * step)
    out = np.zeros((n, n), dtype=np.float64)
    for poly in polygons:  # one at a time: no union needed, and touching sectors add exactly
        out += rasterize([poly], pixel=step, shape=(n, n), origin=origin, mode="area",
                         backend="numpy", dtype=np.float64)
    return out


def _circle(radius: float) -> np.ndarray:
    t = np.arange(CIRCLE_VERTICES) * (2.0 * math.pi / CIRCLE_VERTICES)
    return radius * np.stack([np.cos(t), np.sin(t)], axis=1)


def disk_coverage(radius: float, m: int, step: float) -> np.ndarray:
    """Fraction of each cell inside the disk |sigma| <= radius."""
    if radius <= 0.0:
        return np.zeros((2 * m + 1, 2 * m + 1))
    return _clean(np.minimum(_coverage([_circle(radius)], m, step), 1.0))


def annulus_coverage(r_in: float, r_out: float, m: int, step: float) -> np.ndarray:
    """Fraction of each cell inside r_in <= |sigma| <= r_out (disk(out) minus disk(in), exact
    because the inner disk lies inside the outer one)."""
    cov = disk_coverage(r_out, m, step)
    if r_in > 0.0:
        cov = cov - disk_coverage(r_in, m, step)
    return _clean(cov)


def sector_polygon(r_in: float, r_out: float, start: float, span: float) -> np.ndarray:
    """Annular sector polygon: outer arc from ``start`` over ``span`` (radians, CCW), radial
    edge, inner arc back (a single point at the origin when ``r_in == 0``), radial edge."""
    k = max(2, math.ceil(CIRCLE_VERTICES * span / (2.0 * math.pi)) + 1)
    t = start + np.linspace(0.0, span, k)
    arc = np.stack([np.cos(t), np.sin(t)], axis=1)
    inner = np.zeros((1, 2)) if r_in == 0.0 else r_in * arc[::-1]
    return np.concatenate([r_out * arc, inner], axis=0)


def multipole_coverage(r_in: float, r_out: float, n_poles: int, opening_deg: float,
                       rotation_deg: float, m: int, step: float) -> np.ndarray:
    """Fraction of each cell inside ``n_poles`` annular sectors of ``opening_deg`` centred at
    ``rotation_deg + k * 360 / n_poles``."""
    if opening_deg >= 360.0:  # one pole filling the whole ring
        return annulus_coverage(r_in, r_out, m, step)
    span = math.radians(opening_deg)
    polys = [sector_polygon(r_in, r_out, math.radians(rotation_deg + k * 360.0 / n_poles) - span / 2, span)
             for k in range(n_poles)]
    return _clean(np.minimum(_coverage(polys, m, step), 1.0))


def freeform_coverage(intensity: np.ndarray, extent: float, m: int, step: float) -> np.ndarray:
    """Integral of a piecewise-constant map over each cell, divided by the cell area.

    ``intensity`` (ny, nx) holds constant values on pixels tiling [-extent, extent]^2 (rows =
    sigma_y). The result is exact for that piecewise-constant map (area-weighted average,
    separable: ``Oy @ I @ Ox.T`` with 1-D interval overlaps), then multiplied by the cell's
    unit-disk coverage (light outside sigma = 1 is outside the pupil fill).
    """
    ny, nx = intensity.shape
    edges_c = (np.arange(-m, m + 2, dtype=np.float64) - 0.5) * step
    oy = _overlap(edges_c, np.linspace(-extent, extent, ny + 1))
    ox = _overlap(edges_c, np.linspace(-extent, extent, nx + 1))
    avg = (oy @ intensity @ ox.T) / (step * step)
    return _clean(avg * disk_coverage(1.0, m, step))


def _overlap(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Lengths of overlap between intervals [a_i, a_i+1) and [b_j, b_j+1): shape (len(a)-1, len(b)-1)."""
    lo = np.maximum(a[:-1, None], b[None, :-1])
    hi = np.minimum(a[1:, None], b[None, 1:])
    return np.maximum(hi - lo, 0.0)


def blur(weights: np.ndarray, sigma_blur: float, step: float) -> np.ndarray:
    """Convolve a cell-weight grid with a sampled, normalised Gaussian of standard deviation
    ``sigma_blur`` (sigma units), truncated at 4 standard deviations, then keep only the part
    inside the unit disk (by cell coverage)."""
    m = (weights.shape[0] - 1) // 2
    sd = sigma_blur / step  # standard deviation in cells
    radius = int(4.0 * sd + 0.5)
    if radius > 64:  # wide kernel: FFT convolution (rounding noise ~1e-16 is cleaned below)
        from scipy.signal import fftconvolve

        x = np.arange(-radius, radius + 1, dtype=np.float64)
        k = np.exp(-0.5 * (x / sd) ** 2)
        k /= k.sum()
        out = fftconvolve(weights, k[None, :], mode="same", axes=1)
        out = fftconvolve(out, k[:, None], mode="same", axes=0)
    else:  # same sampled, normalised kernel, applied directly
        from scipy.ndimage import gaussian_filter

        out = gaussian_filter(weights, sd, mode="constant", cval=0.0, truncate=4.0)
    return _clean(out * disk_coverage(1.0, m, step))


def _clean(cov: np.ndarray) -> np.ndarray:
    """Clip negatives and zero out values below COVERAGE_FLOOR: the rasterizer's running
    sums leave ~1e-16 residues in cells beside a shape, which must not become source points."""
    cov = np.clip(cov, 0.0, None)
    cov[cov < COVERAGE_FLOOR] = 0.0
    return cov
