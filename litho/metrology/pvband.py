"""Process-variability (PV) band: where the printed contour wanders over process conditions.

Each field of a set (one per focus, dose, mask bias... condition) is contoured at the
same level (:func:`litho.metrology.contours`). The printed region of a condition is the
area those contours enclose; the band is the union of the printed regions less their
intersection: the area printed under some conditions but not under all. Booleans are
done by shapely on the contour polygons (a condition that prints nothing contributes an
empty region: the band then equals the union).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validate import finite_number, real_array
from ..backend import array_module
from ..errors import InvalidParameterError
from ..geometry.layout import Layout
from .contours import contours
from .epe import OK, EPEResult, Fragments, epe, fragment
from .gauges import pixel_pair

__all__ = ["PVBand", "pv_band"]

#: tolerance of the largest inscribed circle, as a fraction of the finer pixel side
_INSCRIBED_TOLERANCE = 1e-3


@dataclass(frozen=True, eq=False)
class PVBand:
    """A process-variability band.

    Attributes
    ----------
    band : Layout
        The band polygons (union less intersection of the printed regions), nm; holes
        keyholed into their outer polygon.
    outer, inner : Layout
        The union (printed under some condition) and the intersection (printed under
        every condition) of the printed regions.
    area : float
        Band area, nm² (exactly 0 for identical conditions).
    max_width : float
        Largest band width, nm: ``max(widths)`` when a target was given (the largest
        spread of the edge over the conditions at a target site), otherwise
        ``inscribed_width``. 0 for an empty band; NaN when no target site was measured
        under every condition.
    inscribed_width : float
        Diameter of the largest circle inscribed in the band, nm (shapely's maximum
        inscribed circle, to 1e-3 pixel). For a band along a straight edge it is the
        edge's full excursion; near corners it can exceed the spread along a normal.
    widths : ndarray (n,) or None
        With a target: per fragment site, max - min over the conditions of the EPE, nm;
        NaN where some condition has no edge within the search distance.
    epe : EPEResult or None
        With a target: the EPE of every condition (``epe.epe`` is (nc, n)).
    n_conditions : int
    """

    band: Layout
    outer: Layout
    inner: Layout
    area: float
    max_width: float
    inscribed_width: float
    widths: np.ndarray | None
    epe: EPEResult | None
    n_conditions: int

    def __post_init__(self) -> None:
        for name in ("band", "outer", "inner"):
            if not isinstance(getattr(self, name), Layout):
                raise InvalidParameterError(name, getattr(self, name), "a litho.geometry.Layout")
        if not self.area >= 0:
            raise InvalidParameterError("area", self.area, "a band area >= 0 nm²")
        if self.widths is not None:
            w = np.array(self.widths, dtype=np.float64)
            w.flags.writeable = False
            object.__setattr__(self, "widths", w)

    @property
    def fragments(self) -> Fragments | None:
        """The target fragments the widths are measured at (None without a target)."""
        return None if self.epe is None else self.epe.fragments


def _stack(fields: Any) -> list[Any]:
    """The conditions' 2-D fields, checked: same shape, finite, at least one."""
    what = "a (nc, ny, nx) stack or a sequence of 2-D fields (ny, nx) of one shape"
    if hasattr(fields, "ndim") and hasattr(fields, "shape"):
        if fields.ndim != 3:
            raise InvalidParameterError("fields", f"array of shape {tuple(fields.shape)}", what)
        items = [fields[i] for i in range(fields.shape[0])]
    elif isinstance(fields, Sequence) and not isinstance(fields, (str, bytes)):
        items = list(fields)
    else:
        raise InvalidParameterError("fields", fields, what)
    if not items:
        raise InvalidParameterError("fields", "an empty sequence", "at least one field")
    out = []
    for i, f in enumerate(items):
        arr = real_array(f"fields[{i}]", f, ndim=2, what="a 2-D field (ny, nx)")
        if out and arr.shape != out[0].shape:
            raise InvalidParameterError(f"fields[{i}]", f"array of shape {tuple(arr.shape)}",
                                        f"the shape of fields[0], {tuple(out[0].shape)}")
        out.append(arr)
    return out


def _region(layout: Layout) -> Any:
    """The area a contour Layout encloses, as one valid shapely geometry."""
    import shapely

    pieces = []
    for xy in layout.polygons:  # keyholed polygons are invalid rings: make_valid reopens the holes
        fixed = shapely.make_valid(shapely.Polygon(xy))
        pieces.extend(p for p in shapely.get_parts(fixed) if p.geom_type == "Polygon" and p.area > 0)
        for g in shapely.get_parts(fixed):
            if g.geom_type in ("MultiPolygon", "GeometryCollection"):
                pieces.extend(p for p in shapely.get_parts(g) if p.geom_type == "Polygon" and p.area > 0)
    return shapely.union_all(pieces) if pieces else shapely.Polygon()


def _polygons(geom: Any) -> list[Any]:
    import shapely

    return [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon" and not p.is_empty and p.area > 0] \
        if not geom.is_empty else []


def _layout(geom: Any, layer: tuple[int, int]) -> Layout:
    """shapely (Multi)Polygon(s) as a Layout, holes keyholed (gdstk)."""
    import gdstk
    import shapely

    out: list[np.ndarray] = []
    for p in _polygons(shapely.normalize(geom) if not geom.is_empty else geom):
        shell = np.asarray(p.exterior.coords)[:-1]
        holes = [np.asarray(r.coords)[:-1] for r in p.interiors]
        if not holes:
            out.append(shell)
            continue
        for piece in gdstk.boolean(gdstk.Polygon(shell), [gdstk.Polygon(h) for h in holes], "not", precision=1e-6):
            if piece.area() > 0:
                out.append(piece.points)
    return Layout.from_polygons(out, layer=layer)


def pv_band(fields: Any, level: float, pixel: Any, origin: tuple[float, float] = (0.0, 0.0), *,
            region: str = "above", target: Layout | Fragments | None = None, fragment_length: float = 20.0,
            search: float | None = None, interpolation: str = "cubic", boundary: str = "periodic",
            layer: tuple[int, int] = (0, 0)) -> PVBand:
    """The PV band of a set of fields over process conditions.

    Parameters
    ----------
    fields : array (nc, ny, nx) or sequence of arrays (ny, nx)
        One image (aerial image, resist image...) per condition, all on the same grid.
    level : float
        Contour level; it must lie strictly inside the range of all the fields together
        (a condition whose own range misses it prints nothing, or everything).
    pixel : float or (py, px)
        Sample spacing, nm.
    origin : (float, float)
        (x, y) nm of the corner of sample (0, 0)'s pixel.
    region : {"above", "below"}
        The printed feature is where the field is >= level (``"above"``) or <= level.
    target : Layout or Fragments, optional
        Target whose fragment sites also measure the band's width along the edge normals
        (``widths``; then ``max_width = max(widths)``).
    fragment_length : float
        Fragment length for a Layout target, nm.
    search, interpolation, boundary
        EPE search half-length and sampling for the widths, see :func:`litho.metrology.epe`.
    layer : (int, int)
        (layer, datatype) of the band, outer and inner polygons.

    Returns
    -------
    PVBand

    Raises
    ------
    InvalidParameterError
        Fields of different shapes, an empty or non-finite set, a level outside the
        fields' range, a bad pixel, origin or target.

    Notes
    -----
    The band is exact for the contours, which are the bilinear interpolant's level sets;
    identical conditions give an empty band of area exactly 0.
    """
    import shapely

    stack = _stack(fields)
    lv = finite_number("level", level)
    py, px = pixel_pair(pixel)
    xp = array_module(stack[0])
    lo = min(float(xp.min(f)) for f in stack)
    hi = max(float(xp.max(f)) for f in stack)
    if not lo < lv < hi:
        raise InvalidParameterError("level", lv, f"a level strictly inside the fields' range [{lo:g}, {hi:g}]")
    printed: list[Layout] = []
    for f in stack:
        c = contours(f, lv, (py, px), origin, region=region, layer=layer, empty_ok=True)
        xy = c.packed()
        if not any(np.array_equal(xy[0], q.packed()[0]) and np.array_equal(xy[1], q.packed()[1])
                   for q in printed):  # identical prints add nothing (and keep the band exactly empty)
            printed.append(c)
    regions = [_region(c) for c in printed]
    outer = shapely.union_all(regions)
    inner = regions[0] if len(regions) == 1 else shapely.intersection_all(regions)
    band = shapely.Polygon() if len(regions) == 1 else shapely.difference(outer, inner)
    parts = _polygons(band)
    area = float(sum(p.area for p in parts))
    tolerance = _INSCRIBED_TOLERANCE * min(px, py)
    inscribed = max((2.0 * float(shapely.maximum_inscribed_circle(p, tolerance).length) for p in parts),
                    default=0.0)
    widths = measured = None
    max_width = inscribed
    if target is not None:
        frags = target if isinstance(target, Fragments) else fragment(target, fragment_length)
        xps = array_module(stack[0])
        measured = epe(xps.stack(stack), lv, (py, px), frags, origin, region=region, search=search,
                       interpolation=interpolation, boundary=boundary)
        all_ok = (measured.status == OK).all(axis=0)
        e = np.where(measured.status == OK, measured.epe, 0.0)
        widths = np.where(all_ok, e.max(axis=0) - e.min(axis=0), np.nan)
        max_width = float(widths[all_ok].max()) if all_ok.any() else float("nan")
    return PVBand(_layout(band, layer), _layout(outer, layer), _layout(inner, layer), area, max_width,
                  inscribed, widths, measured, len(stack))
