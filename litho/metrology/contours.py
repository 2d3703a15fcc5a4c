"""Sub-pixel contours of sampled fields (marching squares by contourpy) as a Layout.

Sampling convention (as in ``litho.rasterize`` and the imaging code): the value at row
``iy``, column ``ix`` stands for the point ``origin + ((ix + 1/2) px, (iy + 1/2) py)``.
Between samples the field is bilinear, so a straight edge in a field that is linear
across it is located exactly. Regions touching the border are closed along the outermost
sample centres.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validate import choice, finite_number, finite_pair, real_array
from ..backend import to_numpy
from ..errors import InvalidParameterError
from ..geometry.layout import Layout
from .gauges import pixel_pair

__all__ = ["contours"]


def contours(field: Any, level: float, pixel: Any, origin: tuple[float, float] = (0.0, 0.0), *,
             region: str = "above", layer: tuple[int, int] = (0, 0), empty_ok: bool = False) -> Layout:
    """Polygons (nm) enclosing where a 2-D field is above (or below) a level.

    Parameters
    ----------
    field : array (ny, nx)
        Sampled field (numpy or CuPy; copied to the host).
    level : float
        Contour level, strictly inside the field's range unless ``empty_ok``.
    pixel : float or (py, px)
        Sample spacing, nm.
    origin : (float, float)
        Position (x, y) nm of the corner of sample (0, 0)'s pixel.
    region : {"above", "below"}
        Enclose ``field >= level`` or ``field <= level``.
    layer : (int, int)
        (layer, datatype) of the polygons.
    empty_ok : bool
        Return an empty Layout (or the whole sampled area) when the level lies outside
        the field's range instead of raising.

    Returns
    -------
    Layout
        One polygon per connected region; holes are keyholed into their outer polygon.

    Raises
    ------
    InvalidParameterError
        ``level`` outside the field's range (the error gives the range), a non-2-D or
        non-finite field, a bad pixel or origin.
    """
    import contourpy
    import gdstk

    arr = to_numpy(real_array("field", field, ndim=2, what="a 2-D field")).astype(np.float64)
    level = finite_number("level", level)
    py, px = pixel_pair(pixel)
    x0, y0 = finite_pair("origin", origin, "nm")
    choice("region", region, ("above", "below"))
    ny, nx = arr.shape
    if ny < 2 or nx < 2:
        raise InvalidParameterError("field", f"array of shape {arr.shape}", "a 2-D field of at least 2 x 2 samples")
    lo, hi = float(arr.min()), float(arr.max())
    if not lo < level < hi and not empty_ok:
        raise InvalidParameterError("level", level, f"a level strictly inside the field's range [{lo:g}, {hi:g}]")
    x = x0 + (np.arange(nx) + 0.5) * px
    y = y0 + (np.arange(ny) + 0.5) * py
    if not lo < level < hi:  # empty_ok: nothing, or the whole sampled area
        inside = (lo >= level) if region == "above" else (hi <= level)
        if not inside:
            return Layout()
        box = np.array([[x[0], y[0]], [x[-1], y[0]], [x[-1], y[-1]], [x[0], y[-1]]])
        return Layout.from_polygons([box], layer=layer)
    generator = contourpy.contour_generator(x, y, arr, fill_type=contourpy.FillType.OuterOffset)
    span = max(hi - lo, 1.0)
    lower, upper = (level, hi + span) if region == "above" else (lo - span, level)
    points, offsets = generator.filled(lower, upper)
    polygons: list[np.ndarray] = []
    for xy, off in zip(points, offsets):
        rings = [xy[a:b] for a, b in zip(off[:-1], off[1:])]
        if len(rings) == 1:
            polygons.append(rings[0])
            continue
        for piece in gdstk.boolean(gdstk.Polygon(rings[0]), [gdstk.Polygon(r) for r in rings[1:]], "not"):
            polygons.append(piece.points)
    polygons = [p for p in polygons if len(p) >= 3 and abs(_area(p)) > 0]
    return Layout.from_polygons(polygons, layer=layer)


def _area(p: np.ndarray) -> float:
    x, y = p[:, 0], p[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))
