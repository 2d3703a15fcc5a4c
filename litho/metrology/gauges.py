"""CD gauges: feature widths along cutlines, from threshold crossings of a sampled field.

A :class:`Gauge` is a cutline ``start -> end`` (nm) laid across one feature, its midpoint
on the feature. Along it the field is interpolated (cubic spline by default: images are
smooth, band-limited fields; or bilinear, matching the marching-squares contours), the
level crossings are located to sub-nanometre precision (the crossing of the sampled
profile, then one secant refinement on the interpolant itself), and the CD is the
distance between the two crossings that bracket the midpoint.

Sampling convention (as everywhere in litho): the value at row ``iy``, column ``ix``
stands for the point ``origin + ((ix + 1/2) px, (iy + 1/2) py)``. Fields are treated as
periodic (``boundary="periodic"``, like FFT-based images) or extended by their edge
values (``"nearest"``).

A feature that did not print, or merged with its neighbour so that an edge lies beyond
the gauge, has no CD: NaN, with the reason in :attr:`CDResult.status`. A level outside
the whole field's range is an error, never a silent NaN.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validate import choice, finite_number, finite_pair, positive_number, real_array
from ..backend import array_module, to_numpy
from ..errors import InvalidParameterError

__all__ = ["Gauge", "CDResult", "cd", "gauge_profiles", "Profiles", "level_crossings", "pixel_pair",
           "check_level"]

#: status codes of :class:`CDResult`
OK, NOT_PRINTED, OPEN_LEFT, OPEN_RIGHT = 0, 1, 2, 3
STATUS = {OK: "measured", NOT_PRINTED: "the midpoint is not on the feature (not printed, or bridged over)",
          OPEN_LEFT: "no edge between the start and the midpoint (the feature runs past the start)",
          OPEN_RIGHT: "no edge between the midpoint and the end (the feature runs past the end)"}
_REGIONS = ("above", "below")
_BOUNDARIES = ("periodic", "nearest")
_INTERPOLATIONS = ("cubic", "linear")


def pixel_pair(pixel: Any) -> tuple[float, float]:
    """``(py, px)`` nm from a number or a ``(py, px)`` pair."""
    if isinstance(pixel, (int, float, np.integer, np.floating)) and not isinstance(pixel, bool):
        value = positive_number("pixel", pixel, "nm")
        return value, value
    py, px = finite_pair("pixel", pixel, "nm")
    return positive_number("pixel", py, "nm"), positive_number("pixel", px, "nm")


@dataclass(frozen=True)
class Gauge:
    """A CD gauge: a cutline across one feature.

    Parameters
    ----------
    start, end : (float, float)
        End points (x, y), nm; the midpoint lies on the feature, both of its edges
        between the end points.
    name : str
        Label (default ``"g<i>"`` by position when measured).
    region : {"above", "below"}
        The feature is where the field is above the level (e.g. a printed space in an
        aerial image, resist in a height map) or below it (a resist line in an aerial
        image of a positive resist).
    """

    start: tuple[float, float]
    end: tuple[float, float]
    name: str = ""
    region: str = "above"

    def __post_init__(self) -> None:
        a = finite_pair("start", self.start, "nm")
        b = finite_pair("end", self.end, "nm")
        if math.hypot(b[0] - a[0], b[1] - a[1]) == 0.0:
            raise InvalidParameterError("end", self.end, "a point distinct from start (a gauge of non-zero length)")
        choice("region", self.region, _REGIONS)
        object.__setattr__(self, "start", a)
        object.__setattr__(self, "end", b)
        object.__setattr__(self, "name", str(self.name))

    @property
    def length(self) -> float:
        """Length, nm."""
        return math.hypot(self.end[0] - self.start[0], self.end[1] - self.start[1])

    @property
    def direction(self) -> tuple[float, float]:
        """Unit vector from start to end."""
        n = self.length
        return (self.end[0] - self.start[0]) / n, (self.end[1] - self.start[1]) / n

    @classmethod
    def across(cls, center: tuple[float, float], length: float, orientation: str = "x", name: str = "",
               region: str = "above") -> Gauge:
        """A gauge of ``length`` nm centred on ``center``, along x (horizontal) or y."""
        cx, cy = finite_pair("center", center, "nm")
        half = 0.5 * positive_number("length", length, "nm")
        choice("orientation", orientation, ("x", "y"))
        if orientation == "x":
            return cls((cx - half, cy), (cx + half, cy), name, region)
        return cls((cx, cy - half), (cx, cy + half), name, region)


def _gauges(gauges: Any) -> tuple[Gauge, ...]:
    if isinstance(gauges, Gauge):
        gauges = (gauges,)
    try:
        out = tuple(gauges)
    except TypeError:
        raise InvalidParameterError("gauges", gauges, "a Gauge or a sequence of Gauges") from None
    if not out:
        raise InvalidParameterError("gauges", "an empty sequence", "at least one Gauge")
    for i, g in enumerate(out):
        if not isinstance(g, Gauge):
            raise InvalidParameterError(f"gauges[{i}]", g, "a litho.metrology.Gauge")
    return tuple(g if g.name else Gauge(g.start, g.end, f"g{i}", g.region) for i, g in enumerate(out))


@dataclass(frozen=True, eq=False)
class Profiles:
    """Field values sampled along gauges (all gauges padded to the longest).

    Attributes
    ----------
    s : ndarray (ng, ns)
        Distance from each gauge's start, nm (NaN padding past its end).
    values : ndarray (..., ng, ns)
        Field values (NaN padding); leading axes are the field's batch axes.
    gauges : tuple of Gauge
    """

    s: np.ndarray
    values: np.ndarray
    gauges: tuple[Gauge, ...]
    _sampler: Any = None

    def refine(self, g_index: np.ndarray, s: np.ndarray, batch_index: tuple[np.ndarray, ...] = ()) -> np.ndarray:
        """The interpolated field at distances ``s`` along gauges ``g_index`` (exact interpolant)."""
        return self._sampler(g_index, s, batch_index)


def _spline_coefficients(field: Any, interpolation: str, boundary: str) -> Any:
    """Per-image interpolation coefficients (cubic B-spline prefilter, or the samples)."""
    if interpolation == "linear":
        return field
    xp = array_module(field)
    if xp is np:
        from scipy import ndimage
    else:  # pragma: no cover - GPU
        from cupyx.scipy import ndimage
    mode = "grid-wrap" if boundary == "periodic" else "nearest"
    axes = (field.ndim - 2, field.ndim - 1)
    coeffs = field.astype(xp.float64, copy=True)
    for ax in axes:
        coeffs = ndimage.spline_filter1d(coeffs, order=3, axis=ax, mode=mode, output=xp.float64)
    return coeffs


def _map(coeffs: Any, rows: np.ndarray, cols: np.ndarray, interpolation: str, boundary: str) -> np.ndarray:
    """Interpolate each image of ``coeffs`` (..., ny, nx) at fractional (row, col) points (host result)."""
    xp = array_module(coeffs)
    if xp is np:
        from scipy import ndimage
    else:  # pragma: no cover - GPU
        from cupyx.scipy import ndimage
    mode = "grid-wrap" if boundary == "periodic" else "nearest"
    order = 3 if interpolation == "cubic" else 1
    lead = coeffs.shape[:-2]
    flat = coeffs.reshape((-1,) + coeffs.shape[-2:])
    pts = xp.asarray(np.stack([np.ravel(rows), np.ravel(cols)]).astype(np.float64))
    out = xp.stack([ndimage.map_coordinates(img, pts, order=order, mode=mode, prefilter=False) for img in flat])
    return to_numpy(out).reshape(lead + tuple(np.shape(rows)))


#: Margin (samples) around a gauge of the window its spline is fitted on: the cubic
#: B-spline prefilter is a recursive filter whose reach decays as (2 - sqrt 3)^k = 0.268^k,
#: so beyond 24 samples the window's coefficients equal the whole field's to ~1e-14.
SPLINE_MARGIN = 24


def _window_box(g: Gauge, to_rc: tuple[float, float, float, float], margin: int) -> tuple[int, int, int, int]:
    """Rows [r0, r1) and columns [c0, c1) of the samples a gauge's interpolant reads."""
    x0, y0, px, py = to_rc
    rows = [(y - y0) / py - 0.5 for y in (g.start[1], g.end[1])]
    cols = [(x - x0) / px - 0.5 for x in (g.start[0], g.end[0])]
    return (int(math.floor(min(rows))) - margin, int(math.ceil(max(rows))) + margin + 1,
            int(math.floor(min(cols))) - margin, int(math.ceil(max(cols))) + margin + 1)


def _windows(field: Any, gauges: tuple[Gauge, ...], to_rc: tuple[float, float, float, float], interpolation: str,
             boundary: str) -> tuple[list[tuple[Any, int, int, str]], np.ndarray]:
    """Interpolation coefficients for the gauges: ``(windows, window index per gauge)``.

    Each window is ``(coeffs, row0, col0, mode)``. A window of the field around each
    gauge (wrapped or edge-clamped beyond the field, as ``boundary`` continues it) is
    prefiltered instead of the whole field, so the cost follows the gauges' extent rather
    than the image size; when the windows together would cover more than the field (many
    or long gauges), the whole field is prefiltered once and shared.
    """
    ny, nx = field.shape[-2:]
    margin = SPLINE_MARGIN if interpolation == "cubic" else 2
    boxes = [_window_box(g, to_rc, margin) for g in gauges]
    if sum((r1 - r0) * (c1 - c0) for r0, r1, c0, c1 in boxes) >= ny * nx:
        return [(_spline_coefficients(field, interpolation, boundary), 0, 0, boundary)], np.zeros(len(gauges), int)
    xp = array_module(field)
    out = []
    for r0, r1, c0, c1 in boxes:
        ri, ci = np.arange(r0, r1), np.arange(c0, c1)
        if boundary == "periodic":
            ri, ci = ri % ny, ci % nx
        else:
            ri, ci = np.clip(ri, 0, ny - 1), np.clip(ci, 0, nx - 1)
        win = field[..., xp.asarray(ri)[:, None], xp.asarray(ci)[None, :]]
        out.append((_spline_coefficients(win, interpolation, "nearest"), r0, c0, "nearest"))
    return out, np.arange(len(gauges))


def gauge_profiles(field: Any, pixel: Any, gauges: Any, origin: tuple[float, float] = (0.0, 0.0), *,
                   step: float | None = None, interpolation: str = "cubic", boundary: str = "periodic") -> Profiles:
    """Sample a field (or a batch of fields) along gauges.

    Parameters
    ----------
    field : array (..., ny, nx)
        numpy or CuPy; sampled on its device, the profiles come back to the host.
    pixel : float or (py, px)
        nm.
    gauges : Gauge or sequence of Gauge
        Every end point must lie inside the field's extent
        ``[origin, origin + (nx px, ny py)]``.
    origin : (float, float)
        (x, y) nm of the corner of sample (0, 0)'s pixel.
    step : float, optional
        Sample spacing along the gauges, nm (default a quarter of the finer pixel).
    interpolation : {"cubic", "linear"}
        Cubic B-spline (smooth fields) or bilinear.
    boundary : {"periodic", "nearest"}
        How the field continues beyond its samples.
    """
    arr = real_array("field", field, ndim=tuple(range(2, 6)), what="a sampled field (..., ny, nx)")
    py, px = pixel_pair(pixel)
    x0, y0 = finite_pair("origin", origin, "nm")
    interpolation = choice("interpolation", interpolation, _INTERPOLATIONS)
    boundary = choice("boundary", boundary, _BOUNDARIES)
    gs = _gauges(gauges)
    ny, nx = arr.shape[-2:]
    step = 0.25 * min(px, py) if step is None else positive_number("step", step, "nm")
    box = (x0, y0, x0 + nx * px, y0 + ny * py)
    tol = 1e-9 * max(abs(v) for v in box) + 1e-12
    for i, g in enumerate(gs):
        for which, (x, y) in (("start", g.start), ("end", g.end)):
            if not (box[0] - tol <= x <= box[2] + tol and box[1] - tol <= y <= box[3] + tol):
                raise InvalidParameterError(
                    f"gauges[{i}].{which}", (x, y),
                    f"a point inside the field's extent x in [{box[0]:g}, {box[2]:g}], y in [{box[1]:g}, {box[3]:g}] nm")
    counts = [max(2, int(math.ceil(g.length / step)) + 1) for g in gs]
    ns = max(counts)
    s = np.full((len(gs), ns), np.nan)
    for i, (g, n) in enumerate(zip(gs, counts)):
        s[i, :n] = np.linspace(0.0, g.length, n)
    starts = np.array([g.start for g in gs])
    dirs = np.array([g.direction for g in gs])
    to_rc = (x0, y0, px, py)
    windows, window_of = _windows(arr, gs, to_rc, interpolation, boundary)

    def sampler(g_index: np.ndarray, dist: np.ndarray, batch_index: tuple[np.ndarray, ...] = ()) -> np.ndarray:
        g_index = np.asarray(g_index).ravel()
        shape = np.shape(dist)
        dist = np.nan_to_num(np.asarray(dist, dtype=np.float64)).ravel()
        x = starts[g_index, 0] + dist * dirs[g_index, 0]
        y = starts[g_index, 1] + dist * dirs[g_index, 1]
        rows = (y - y0) / py - 0.5
        cols = (x - x0) / px - 0.5
        lead_shape = arr.shape[:-2] if not batch_index else ()
        out = np.empty(lead_shape + dist.shape)
        batch = tuple(np.asarray(b).ravel() for b in batch_index)
        # points grouped by window (one sort, linear in the number of points)
        w = window_of[g_index]
        order = np.argsort(w, kind="stable")
        bounds = np.flatnonzero(np.diff(w[order])) + 1
        for sel in np.split(order, bounds):
            if sel.size == 0:
                continue
            coeffs, r_off, c_off, mode = windows[int(w[sel[0]])]
            r, c = rows[sel] - r_off, cols[sel] - c_off
            if not batch:
                out[..., sel] = _map(coeffs, r, c, interpolation, mode)
                continue
            # one point per entry of a batch: interpolate each image at its own points
            lead = tuple(b[sel] for b in batch)
            flat_lead = np.ravel_multi_index(lead, coeffs.shape[:-2]) if coeffs.ndim > 2 else np.zeros(r.shape, int)
            flat = coeffs.reshape((-1,) + coeffs.shape[-2:])
            vals = np.empty(r.shape)
            for b in np.unique(flat_lead):
                at = flat_lead == b
                vals[at] = _map(flat[int(b)], r[at], c[at], interpolation, mode)
            out[sel] = vals
        return out.reshape(lead_shape + shape)

    g_idx = np.repeat(np.arange(len(gs))[:, None], ns, axis=1)
    values = sampler(g_idx, s)
    values = np.where(np.isnan(s), np.nan, values)
    return Profiles(s, values, gs, sampler)


def level_crossings(values: np.ndarray, level: Any) -> tuple[np.ndarray, np.ndarray]:
    """Crossings of ``level`` between consecutive samples (last axis): (index, fraction).

    ``values`` (..., ns) with NaN padding; ``level`` broadcastable to ``values[..., 0]``.
    Returns boolean ``crossing`` (..., ns - 1) (the level lies in [v_k, v_k+1) or
    (v_k+1, v_k], strictly one side below) and the linear fraction within each interval.
    """
    lv = np.asarray(level, dtype=np.float64)[..., None]
    a, b = values[..., :-1] - lv, values[..., 1:] - lv
    with np.errstate(invalid="ignore", divide="ignore"):
        crossing = ((a < 0) & (b >= 0)) | ((a >= 0) & (b < 0))
        frac = np.where(crossing, a / (a - b), np.nan)
    return crossing, frac


@dataclass(frozen=True, eq=False)
class CDResult:
    """CDs measured by a set of gauges.

    Attributes
    ----------
    cd : ndarray (..., ng)
        nm; NaN where ``status`` is not 0.
    left, right : ndarray (..., ng)
        Distances of the feature's two edges from each gauge's start, nm.
    status : ndarray (..., ng) of int
        0 measured; 1 the midpoint is off the feature; 2/3 an edge beyond the start/end
        (:data:`STATUS` explains each code).
    names : tuple of str
    """

    cd: np.ndarray
    left: np.ndarray
    right: np.ndarray
    status: np.ndarray
    names: tuple[str, ...]

    def __getitem__(self, name: str) -> Any:
        return self.cd[..., self.names.index(name)]

    def as_dict(self) -> dict[str, Any]:
        """``{name: cd}`` (a float, or an array over the batch axes)."""
        return {n: (float(v) if np.ndim(v) == 0 else v) for n, v in zip(self.names, np.moveaxis(self.cd, -1, 0))}


def edges_from_profiles(profiles: Profiles, level: Any) -> CDResult:
    """The CD of each gauge from sampled profiles at ``level`` (scalar or (..., ng))."""
    values, s = profiles.values, profiles.s
    lead = values.shape[:-2]
    ng, ns = s.shape
    lv = np.broadcast_to(np.asarray(level, dtype=np.float64), lead + (ng,))
    above = np.array([g.region == "above" for g in profiles.gauges])
    crossing, frac = level_crossings(values, lv)
    pos = s[..., :-1] + frac * np.diff(s, axis=-1)  # (..., ng, ns - 1)
    half = 0.5 * np.nanmax(s, axis=-1)               # midpoint distance per gauge
    # is the midpoint on the feature? (the interpolant there, every field of the batch)
    grid = np.indices(lead + (ng,)).reshape(len(lead) + 1, -1)
    mid = profiles.refine(grid[-1], half[grid[-1]], tuple(grid[:-1])).reshape(lead + (ng,))
    on = np.where(above, mid >= lv, mid <= lv)
    before = crossing & (pos < half[:, None])
    after = crossing & (pos >= half[:, None])
    k = ns - 1
    left_k = np.where(before.any(-1), k - 1 - np.argmax(before[..., ::-1], axis=-1), -1)
    right_k = np.where(after.any(-1), np.argmax(after, axis=-1), -1)
    status = np.full(lead + (ng,), OK, dtype=np.int8)
    status[right_k < 0] = OPEN_RIGHT
    status[left_k < 0] = OPEN_LEFT
    status[~on] = NOT_PRINTED
    left = np.full(lead + (ng,), np.nan)
    right = np.full(lead + (ng,), np.nan)
    for side, kk, out in (("left", left_k, left), ("right", right_k, right)):
        ok = (status == OK)
        if not ok.any():
            continue
        where = np.nonzero(ok)
        kidx = kk[where]
        g_idx = where[-1]
        s_lo = s[g_idx, kidx]
        s_hi = s[g_idx, kidx + 1]
        v_lo = values[where + (kidx,)]
        v_hi = values[where + (kidx + 1,)]
        out[where] = _secant(profiles, g_idx, where[:-1], s_lo, s_hi, v_lo, v_hi, lv[where])
    cd = np.where(status == OK, right - left, np.nan)
    return CDResult(cd, left, right, status, tuple(g.name for g in profiles.gauges))


def _secant(profiles: Profiles, g_idx: np.ndarray, batch: tuple[np.ndarray, ...], s_lo: np.ndarray,
            s_hi: np.ndarray, v_lo: np.ndarray, v_hi: np.ndarray, level: np.ndarray) -> np.ndarray:
    """Crossing positions: linear in the bracket, then one regula-falsi step on the interpolant."""
    t = (level - v_lo) / (v_hi - v_lo)
    s1 = s_lo + t * (s_hi - s_lo)
    v1 = profiles.refine(g_idx, s1, batch)
    # keep the sub-bracket that contains the level, interpolate again
    low_side = (v_lo - level) * (v1 - level) > 0
    a_s = np.where(low_side, s1, s_lo)
    a_v = np.where(low_side, v1, v_lo)
    b_s = np.where(low_side, s_hi, s1)
    b_v = np.where(low_side, v_hi, v1)
    with np.errstate(invalid="ignore", divide="ignore"):
        t2 = (level - a_v) / (b_v - a_v)
    return np.where(np.isfinite(t2), a_s + np.clip(t2, 0.0, 1.0) * (b_s - a_s), s1)


def check_level(field: Any, level: Any) -> Any:
    """Levels (scalar or array) checked against the field's range: strictly inside it."""
    xp = array_module(field)
    lo, hi = float(xp.min(field)), float(xp.max(field))
    if np.ndim(level) == 0:
        lv = finite_number("level", level)
        if not lo < lv < hi:
            raise InvalidParameterError("level", lv, f"a level strictly inside the field's range [{lo:g}, {hi:g}] "
                                        "(no edge can be found otherwise)")
        return lv
    arr = np.asarray(level, dtype=np.float64)
    bad = ~np.isfinite(arr) | (arr <= lo) | (arr >= hi)
    if bad.any():
        i = np.unravel_index(int(np.argmax(bad)), arr.shape)
        raise InvalidParameterError(f"level[{', '.join(map(str, i))}]", float(arr[i]),
                                    f"levels strictly inside the field's range [{lo:g}, {hi:g}]")
    return arr


def cd(field: Any, level: Any, pixel: Any, gauges: Gauge | Iterable[Gauge] | Sequence[Gauge],
       origin: tuple[float, float] = (0.0, 0.0), *, step: float | None = None, interpolation: str = "cubic",
       boundary: str = "periodic") -> CDResult:
    """CDs of the features under a set of gauges, nm.

    Parameters
    ----------
    field : array (..., ny, nx)
        Aerial image, image in resist, resist height... (numpy or CuPy); leading axes
        are a batch measured with the same gauges.
    level : float or array
        Threshold (same units as the field), strictly inside the field's range; an
        array broadcastable to (..., ng) sets one level per field and gauge.
    pixel : float or (py, px)
        nm.
    gauges : Gauge or sequence of Gauge
    origin : (float, float)
        (x, y) nm of the corner of sample (0, 0)'s pixel.
    step, interpolation, boundary
        See :func:`gauge_profiles`.

    Returns
    -------
    CDResult
        CD, edge positions and a status per gauge (NaN CD where the feature did not
        print or ran past the gauge).

    Raises
    ------
    InvalidParameterError
        A level outside the field's range, a gauge end outside the field, a bad field,
        pixel or origin.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(256) + 0.5                       # 1 nm pixels
    >>> image = np.tile(0.5 + 0.5 * np.cos(2 * np.pi * (x - 128) / 256), (8, 1))
    >>> g = Gauge((16.0, 4.0), (240.0, 4.0))           # across the bright space
    >>> round(float(cd(image, 0.5, 1.0, g).cd[0]), 3)  # threshold at mid-level: half the period
    128.0
    """
    prof = gauge_profiles(field, pixel, gauges, origin, step=step, interpolation=interpolation, boundary=boundary)
    return edges_from_profiles(prof, check_level(field, level))
