"""Cutlines through sampled planes: parsing, periodic bilinear sampling, edge crossings.

Shared by the resist and etch profiles. A cutline is ``((x0, y0), (x1, y1))`` in nm; a
plane's sample ``(iy, ix)`` stands for the point ``origin + ((ix + 1/2) dx, (iy + 1/2) dy)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._validate import finite_pair
from .errors import InvalidParameterError

__all__ = ["parse_cutline", "sample_along", "edges_about_midpoint"]


def parse_cutline(value: Any) -> tuple[np.ndarray, np.ndarray]:
    """The end points of a cutline as two float arrays; distinct and finite, else an error."""
    what = "a cutline ((x0, y0), (x1, y1)) in nm with distinct end points"
    try:
        start, end = value
    except (TypeError, ValueError):
        raise InvalidParameterError("cutline", value, what) from None
    a = np.array(finite_pair("cutline", start, "nm"))
    b = np.array(finite_pair("cutline", end, "nm"))
    if np.allclose(a, b):
        raise InvalidParameterError("cutline", value, what)
    return a, b


def sample_along(plane: np.ndarray, pixel: tuple[float, float], origin: tuple[float, float],
                 a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bilinear samples (periodic) of a finite (ny, nx) plane along the segment a -> b.

    ``pixel`` is (dy, dx) nm. Samples are a quarter of the finer pixel apart. Returns
    (s, values) with s the distance from ``a``, nm.
    """
    dy, dx = pixel
    length = float(np.hypot(*(b - a)))
    n = int(np.ceil(length / (0.25 * min(dx, dy)))) + 1
    s = np.linspace(0.0, length, n)
    points = a[None] + (s / length)[:, None] * (b - a)[None]
    ny, nx = plane.shape
    fx = (points[:, 0] - origin[0]) / dx - 0.5
    fy = (points[:, 1] - origin[1]) / dy - 0.5
    ix, iy = np.floor(fx).astype(np.int64), np.floor(fy).astype(np.int64)
    wx, wy = fx - ix, fy - iy
    x0, x1, y0, y1 = ix % nx, (ix + 1) % nx, iy % ny, (iy + 1) % ny
    values = ((1 - wy) * ((1 - wx) * plane[y0, x0] + wx * plane[y0, x1])
              + wy * ((1 - wx) * plane[y1, x0] + wx * plane[y1, x1]))
    return s, values


def edges_about_midpoint(s: np.ndarray, f: np.ndarray) -> tuple[float | None, float | None]:
    """The zero crossings of ``f`` (positive at the midpoint) nearest the midpoint on either
    side, linear between samples; None where there is none on that side."""
    mid = 0.5 * s[-1]
    sign = f > 0
    change = np.flatnonzero(sign[1:] != sign[:-1])
    crossings = s[change] + f[change] / (f[change] - f[change + 1]) * (s[change + 1] - s[change])
    left = crossings[crossings < mid]
    right = crossings[crossings > mid]
    return (float(left.max()) if len(left) else None, float(right.min()) if len(right) else None)
