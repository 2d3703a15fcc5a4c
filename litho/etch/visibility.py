"""Which nodes the ions reach: shadowing by solid material along each ion direction.

Following a ray down from the source (along d), everything is lit until the ray has
passed through solid and come out into void again: the first solid it meets is the lit
surface, together with the solid behind it (the level function there is a distance to
that surface and moves with it), and whatever lies beyond a gap under an overhang is in
shadow. Computed plane by plane from the top with two states per ray, "entered solid"
and "in shadow", each carried to the next plane by the ray's lateral displacement over
one plane (fractional shifts interpolate linearly, so the accumulated displacement is
right on average; periodic in x and y; states are thresholded at 1/2).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..backend import array_module

__all__ = ["visibility"]


def _shift(xp: Any, plane: Any, sy: float, sx: float) -> Any:
    """plane(p - s) for a fractional shift s = (sy, sx) in cells, periodic, bilinear."""
    out = plane
    for axis, s in ((0, sy), (1, sx)):
        if s == 0.0 or plane.shape[axis] == 1:
            continue
        i = math.floor(s)
        f = s - i
        a = xp.roll(out, i, axis=axis)
        out = a if f == 0.0 else (1.0 - f) * a + f * xp.roll(a, 1, axis=axis)
    return out


def visibility(solid: Any, spacing: tuple[float, float, float], directions: np.ndarray) -> Any:
    """uint32 volume with bit k set where direction k reaches the node.

    Parameters
    ----------
    solid : bool array (nz, ny, nx)
        Solid material (z index 0 at the top, where the rays come in).
    spacing : (dz, dy, dx) nm
    directions : (K, 3) unit vectors (z, y, x) with a positive z component, K <= 32.
    """
    xp = array_module(solid)
    nz = solid.shape[0]
    dz, dy, dx = spacing
    out = xp.zeros(solid.shape, dtype=xp.uint32)
    filled = solid.astype(xp.float32)
    for k, (vz, vy, vx) in enumerate(np.asarray(directions, dtype=float).reshape(-1, 3)):
        sy, sx = dz * vy / vz / dy, dz * vx / vz / dx
        bit = np.uint32(1 << k)
        entered = xp.zeros(solid.shape[1:], dtype=xp.float32)
        shadow = xp.zeros(solid.shape[1:], dtype=xp.float32)
        for iz in range(nz):
            if iz:
                entered, shadow = _shift(xp, entered, sy, sx), _shift(xp, shadow, sy, sx)
            shadow = xp.maximum(shadow, xp.minimum(entered, 1.0 - filled[iz]))
            entered = xp.maximum(entered, filled[iz])
            out[iz] |= xp.where(shadow < 0.5, bit, np.uint32(0)).astype(xp.uint32)
    return out
