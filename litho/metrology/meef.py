"""Mask error enhancement factor: MEEF = dCD_wafer / dCD_mask, by central differences.

The mask is biased by ``±bias`` nm per edge (at wafer scale, i.e. mask dimensions divided
by the reduction), re-imaged, and the wafer CDs measured with the same gauges and level:

    MEEF = (CD(+bias) - CD(-bias)) / (ΔCD_mask(+bias) - ΔCD_mask(-bias)),

with ``ΔCD_mask = ±2 bias``: a feature that is a mask polygon (a clear polygon under
``polarity="clear"``, seen as a bright feature, ``region="above"``) widens by 2 bias when
its edges move out by ``bias``; the gap between polygons (a dark feature) narrows by as
much. The central difference is second-order accurate in ``bias``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validate import choice, finite_number, positive_number
from ..geometry.layout import Layout
from .gauges import CDResult, Gauge, _gauges, cd

__all__ = ["MEEFResult", "meef", "bias_layout"]


@dataclass(frozen=True, eq=False)
class MEEFResult:
    """MEEF per gauge.

    Attributes
    ----------
    meef : ndarray (ng,)
        Dimensionless; NaN where a biased print lost the feature.
    cd_minus, cd_plus : CDResult
        Wafer CDs at ``-bias`` and ``+bias``.
    bias : float
        nm per edge, wafer scale.
    mask_cd_per_bias : ndarray (ng,)
        dCD_mask / dbias of each gauge's feature (+2 or -2).
    """

    meef: np.ndarray
    cd_minus: CDResult
    cd_plus: CDResult
    bias: float
    mask_cd_per_bias: np.ndarray

    def as_dict(self) -> dict[str, float]:
        return {n: float(v) for n, v in zip(self.cd_plus.names, self.meef)}


def bias_layout(layout: Layout, bias: float) -> Layout:
    """Every polygon grown (bias > 0) or shrunk (< 0) by ``bias`` nm per edge (mitred corners).

    Manhattan polygons stay Manhattan and their edges move exactly by ``bias``; polygons
    that merge when grown are united, ones that vanish when shrunk are dropped.
    """
    import gdstk

    bias = finite_number("bias", bias, "nm")
    if bias == 0 or len(layout) == 0:
        return layout
    out_polys: list[np.ndarray] = []
    out_layers: list[tuple[int, int]] = []
    layers = layout.layers
    for pair in sorted({(int(a), int(b)) for a, b in layers}):
        sel = [p for p, ly in zip(layout.polygons, layers) if (int(ly[0]), int(ly[1])) == pair]
        for poly in gdstk.offset([gdstk.Polygon(p) for p in sel], bias, join="miter", tolerance=2):
            out_polys.append(poly.points)
            out_layers.append(pair)
    return Layout(out_polys, out_layers) if out_polys else Layout()


def meef(simulate: Callable[[float], Any], gauges: Gauge | Sequence[Gauge], level: Any, pixel: Any,
         origin: tuple[float, float] = (0.0, 0.0), *, bias: float = 1.0, polarity: str = "clear",
         **cd_options: Any) -> MEEFResult:
    """MEEF of the features under a set of gauges, by central differences of mask bias.

    Parameters
    ----------
    simulate : callable
        ``simulate(bias)`` returns the wafer field (aerial image, image in resist,
        resist height... (ny, nx)) for the mask with every edge moved out by ``bias`` nm
        (wafer scale); e.g. ``lambda b: aerial_image(BinaryMask(bias_layout(target, b)), ...)``.
    gauges : Gauge or sequence of Gauge
        Their ``region`` tells bright ("above") from dark ("below") features.
    level : float
        Printing threshold of the field.
    pixel, origin
        Grid of the fields, nm.
    bias : float
        Bias step, nm per edge (> 0); the mask CD changes by ±2 bias.
    polarity : {"clear", "dark"}
        Whether the mask polygons transmit ("clear": a bright feature is a polygon) or
        block ("dark": a bright feature is a gap between polygons).
    **cd_options
        ``step``, ``interpolation``, ``boundary`` of :func:`litho.metrology.cd`.

    Returns
    -------
    MEEFResult
    """
    b = positive_number("bias", bias, "nm")
    choice("polarity", polarity, ("clear", "dark"))
    gs = _gauges(gauges)
    minus = cd(simulate(-b), level, pixel, gs, origin, **cd_options)
    plus = cd(simulate(+b), level, pixel, gs, origin, **cd_options)
    per_bias = np.array([2.0 if (g.region == "above") == (polarity == "clear") else -2.0 for g in gs])
    value = (plus.cd - minus.cd) / (2.0 * b * per_bias)
    return MEEFResult(value, minus, plus, b, per_bias)
