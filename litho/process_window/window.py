"""Process windows of a focus-exposure matrix: ED windows, their rectangles and ellipses, DOF and EL.

The exposure-defocus (ED) window is the region of (focus, dose) where every gauge's CD is
within its tolerance of its target (Mack, *Fundamental Principles of Optical
Lithography*, ch. 8). It is built on a fine grid, uniform in focus and in ln(dose) (CD is
close to linear in ln E), by interpolating the measured matrix: a cubic spline (or the
Bossung polynomial) in focus at every measured dose, then a cubic spline in ln(dose).

Exposure latitude (EL) of a dose interval [E1, E2] is, throughout this module,

    EL = (E2 - E1) / E_c * 100 %,   E_c = (E1 + E2) / 2,

the width relative to the interval's mean dose (PROLITH quotes it against a nominal dose
instead; the two agree when the nominal dose is the interval's mean). In ln-dose, a width w = ln(E2/E1) gives
EL = 200 tanh(w / 2), so a rectangle's EL does not depend on where it sits in dose.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from .._validate import choice, integer, nonnegative_number, number_in, positive_number
from ..errors import InvalidParameterError
from .bossung import _fem, bossung
from .result import FEMResult, check_axis

__all__ = ["Rectangle", "Ellipse", "EDWindow", "ed_window", "exposure_latitude"]


def exposure_latitude(dose_lo: Any, dose_hi: Any) -> Any:
    """EL in percent of a dose interval: ``200 (E2 - E1) / (E1 + E2)`` (relative to its mean)."""
    lo, hi = np.asarray(dose_lo, dtype=np.float64), np.asarray(dose_hi, dtype=np.float64)
    return 200.0 * (hi - lo) / (hi + lo)


def _log_width(el: float) -> float:
    """ln(E2/E1) of an interval of EL ``el`` percent (the inverse of 200 tanh(w/2))."""
    return 2.0 * math.atanh(el / 200.0)


# --------------------------------------------------------------------------- window shapes


@dataclass(frozen=True)
class Rectangle:
    """An axis-aligned process-window rectangle in (focus, dose).

    Attributes
    ----------
    focus_lo, focus_hi : float
        Focus range, nm.
    dose_lo, dose_hi : float
        Dose range (the dose's unit).
    dof : float
        Depth of focus ``focus_hi - focus_lo``, nm.
    el : float
        Exposure latitude, % (``200 (dose_hi - dose_lo) / (dose_hi + dose_lo)``).
    center_focus : float
        ``(focus_lo + focus_hi) / 2``, nm.
    center_dose : float
        ``(dose_lo + dose_hi) / 2``: the dose the EL is relative to.

    An empty rectangle (no window, or none of the requested size) has NaN bounds and
    centre, ``dof = el = 0`` and ``empty`` True.
    """

    focus_lo: float
    focus_hi: float
    dose_lo: float
    dose_hi: float
    dof: float
    el: float
    center_focus: float
    center_dose: float

    def __post_init__(self) -> None:
        for name in ("focus_lo", "focus_hi", "dose_lo", "dose_hi", "dof", "el", "center_focus", "center_dose"):
            object.__setattr__(self, name, float(getattr(self, name)))
        if not self.empty and not (self.focus_lo <= self.focus_hi and 0 < self.dose_lo <= self.dose_hi):
            raise InvalidParameterError("Rectangle", self, "focus_lo <= focus_hi and 0 < dose_lo <= dose_hi")

    @classmethod
    def from_bounds(cls, focus_lo: float, focus_hi: float, dose_lo: float, dose_hi: float) -> Rectangle:
        """The rectangle with these bounds (focus nm, dose), its DOF, EL and centre derived."""
        return cls(focus_lo, focus_hi, dose_lo, dose_hi, focus_hi - focus_lo,
                   float(exposure_latitude(dose_lo, dose_hi)), 0.5 * (focus_lo + focus_hi), 0.5 * (dose_lo + dose_hi))

    @classmethod
    def none(cls) -> Rectangle:
        """The empty rectangle."""
        nan = math.nan
        return cls(nan, nan, nan, nan, 0.0, 0.0, nan, nan)

    @property
    def empty(self) -> bool:
        """True when there is no rectangle (NaN bounds)."""
        return math.isnan(self.focus_lo)


@dataclass(frozen=True)
class Ellipse:
    """An axis-aligned ellipse in (focus, ln dose).

    Attributes
    ----------
    center_focus : float
        nm.
    center_dose : float
        ``exp`` of the centre's ln-dose: the geometric mean of ``dose_lo`` and ``dose_hi``.
    semi_focus : float
        Semi-axis in focus, nm.
    semi_log_dose : float
        Semi-axis in ln(dose) (dimensionless).
    dof : float
        ``2 semi_focus``, nm.
    el : float
        EL of the dose extent ``[dose_lo, dose_hi]``, %: ``200 tanh(semi_log_dose)``.
    dose_lo, dose_hi : float
        ``center_dose * exp(-+semi_log_dose)``.

    An empty ellipse has NaN centre and bounds, zero axes, and ``empty`` True.
    """

    center_focus: float
    center_dose: float
    semi_focus: float
    semi_log_dose: float
    dof: float
    el: float
    dose_lo: float
    dose_hi: float

    def __post_init__(self) -> None:
        for name in ("center_focus", "center_dose", "semi_focus", "semi_log_dose", "dof", "el", "dose_lo", "dose_hi"):
            object.__setattr__(self, name, float(getattr(self, name)))

    @classmethod
    def from_axes(cls, center_focus: float, center_log_dose: float, semi_focus: float,
                  semi_log_dose: float) -> Ellipse:
        """The ellipse with this centre (nm, ln dose) and these semi-axes (nm, ln dose)."""
        return cls(center_focus, math.exp(center_log_dose), semi_focus, semi_log_dose, 2.0 * semi_focus,
                   200.0 * math.tanh(semi_log_dose), math.exp(center_log_dose - semi_log_dose),
                   math.exp(center_log_dose + semi_log_dose))

    @property
    def empty(self) -> bool:
        """True when there is no ellipse (NaN centre)."""
        return math.isnan(self.center_focus)

    def area(self) -> float:
        """``pi * semi_focus * semi_log_dose``, nm (in ln-dose units); 0 when empty."""
        return 0.0 if self.empty else math.pi * self.semi_focus * self.semi_log_dose


# --------------------------------------------------------------------------- the ED window


def _runs(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Runs of True down the rows of each column of ``a``: (column, first row, length)."""
    padded = np.zeros((a.shape[0] + 2, a.shape[1]), dtype=np.int8)
    padded[1:-1] = a
    steps = np.diff(padded, axis=0).T
    cols, starts = np.nonzero(steps == 1)
    _, ends = np.nonzero(steps == -1)
    return cols, starts, ends - starts


def _nearest_to_centroid(x: np.ndarray, y: np.ndarray) -> int:
    """Index of the point nearest the centroid of the (x, y) points (x, y in grid steps)."""
    return int(np.argmin((x - x.mean()) ** 2 + (y - y.mean()) ** 2))


def _uniform(name: str, axis: np.ndarray) -> float:
    step = (axis[-1] - axis[0]) / (axis.size - 1)
    if not np.allclose(np.diff(axis), step, rtol=1e-6, atol=0.0):
        raise InvalidParameterError(name, "a non-uniform axis", "a uniform fine grid (as ed_window builds)")
    return float(step)


@dataclass(frozen=True, eq=False)
class EDWindow:
    """The exposure-defocus window on a fine (focus, ln dose) grid.

    Built by :func:`ed_window`; can also be built directly from CDs on a grid uniform in
    focus and in ln(dose).

    Attributes
    ----------
    focus : ndarray (Nf,)
        Fine focus axis, nm, uniform.
    dose : ndarray (Nd,)
        Fine dose axis, uniform in ln(dose).
    gauges : tuple of str (ng,)
    target : ndarray (ng,)
        Target CD per gauge, nm.
    tolerance : ndarray (ng,)
        Allowed |CD - target| per gauge, nm.
    cd : ndarray (Nf, Nd, ng)
        CD on the fine grid, nm; NaN where not printed (out of spec).
    margin : ndarray (Nf, Nd)
        ``min over gauges of tolerance - |cd - target|``, nm; -inf where a CD is NaN.
    mask : ndarray (Nf, Nd) of bool
        In spec for every gauge: ``margin >= 0``.

    Notes
    -----
    Shapes are found on the grid: a rectangle's corners and every grid node inside it
    are in spec, so its DOF and EL are resolved to one fine-grid step per edge (and are
    lower bounds, up to interpolation error). The ellipse contains no out-of-spec node,
    so its boundary may pass up to one step beyond the sampled window. A window cut by
    the edge of the matrix is cut there: measure a wider matrix for the full window.
    """

    focus: np.ndarray
    dose: np.ndarray
    gauges: tuple[str, ...]
    target: np.ndarray
    tolerance: np.ndarray
    cd: np.ndarray
    margin: np.ndarray = field(init=False, repr=False)
    mask: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        focus = check_axis("focus", self.focus, "nm")
        dose = check_axis("dose", self.dose, "dose", positive=True)
        for name, axis in (("focus", focus), ("dose", dose)):
            if axis.size < 2:
                raise InvalidParameterError(name, f"{axis.size} value", "at least 2 values")
        _uniform("focus", focus)
        _uniform("dose", np.log(dose))
        gauges = tuple(str(g) for g in self.gauges)
        if not gauges or len(set(gauges)) != len(gauges):
            raise InvalidParameterError("gauges", self.gauges, "a non-empty sequence of unique names")
        target = _per_gauge("target", self.target, len(gauges))
        tolerance = _per_gauge("tolerance", self.tolerance, len(gauges))
        cd = np.array(self.cd, dtype=np.float64)
        if cd.shape != (focus.size, dose.size, len(gauges)):
            raise InvalidParameterError("cd", f"array of shape {cd.shape}",
                                        f"shape {(focus.size, dose.size, len(gauges))} (focus, dose, gauge)")
        with np.errstate(invalid="ignore"):
            margin = np.min(tolerance - np.abs(cd - target), axis=-1)
        margin[np.isnan(cd).any(axis=-1)] = -np.inf
        mask = margin >= 0
        for name, value in (("focus", focus), ("dose", dose), ("target", target), ("tolerance", tolerance),
                            ("cd", cd), ("margin", margin), ("mask", mask)):
            if value.flags.writeable:
                value.setflags(write=False)
            object.__setattr__(self, name, value)
        object.__setattr__(self, "gauges", gauges)

    # grid -----------------------------------------------------------------
    @property
    def empty(self) -> bool:
        """True when no grid point is in spec."""
        return not bool(self.mask.any())

    @cached_property
    def _steps(self) -> tuple[float, float, np.ndarray]:
        u = np.log(self.dose)
        return _uniform("focus", self.focus), _uniform("dose", u), u

    @cached_property
    def _staircase(self) -> np.ndarray:
        """Per dose width k (in fine steps), the most focus steps of an in-spec rectangle; -1: none."""
        m = self.mask
        out = np.full(m.shape[1], -1, dtype=np.int64)
        if not m.any():
            return out
        rows, cols = np.nonzero(m.any(axis=1))[0], np.nonzero(m.any(axis=0))[0]
        m = m[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
        a = m
        for k in range(m.shape[1]):
            if not a.any():
                break
            out[k] = int(_runs(a)[2].max()) - 1
            a = a[:, :-1] & m[:, k + 1:]
        return out

    def _rectangle_at(self, k: int) -> tuple[int, int, int]:
        """(first row, last row, first column) of the tallest in-spec rectangle k dose steps wide."""
        m = self.mask
        counts = np.concatenate([np.zeros((m.shape[0], 1), np.int64), np.cumsum(m, axis=1)], axis=1)
        a = (counts[:, k + 1:] - counts[:, :m.shape[1] - k]) == k + 1
        cols, starts, lengths = _runs(a)
        tall = lengths == lengths.max()
        cols, starts, lengths = cols[tall], starts[tall], lengths[tall]
        i = _nearest_to_centroid(starts + 0.5 * (lengths - 1), cols + 0.5 * k)
        return int(starts[i]), int(starts[i] + lengths[i] - 1), int(cols[i])

    # rectangles -----------------------------------------------------------
    def max_rectangle(self, el: float | None = None, dof: float | None = None) -> Rectangle:
        """The largest axis-aligned rectangle inside the window.

        Parameters
        ----------
        el : float, optional
            Exposure latitude, % (in [0, 200)): return the rectangle of this EL with the
            largest DOF.
        dof : float, optional
            Depth of focus, nm (>= 0): return the rectangle of this DOF with the largest EL.

        With neither, the rectangle of largest area DOF x EL (nm x %). Among equally large
        rectangles, the one nearest the middle of them is returned.

        Returns
        -------
        Rectangle
            With ``el`` (``dof``) given, its EL (DOF) is exactly the one asked for, centred
            in the in-spec grid rectangle found. Empty (``dof = el = 0``, ``empty`` True)
            when the window is empty or holds no rectangle of the requested size.

        Raises
        ------
        InvalidParameterError
            Both ``el`` and ``dof`` given, or either out of range.
        """
        if el is not None and dof is not None:
            raise InvalidParameterError("el", el, "None when dof is given (give one of el, dof)")
        df, du, u = self._steps
        stairs = self._staircase
        if el is not None:
            el = number_in("el", el, 0.0, 200.0, "%", high_open=True)
            w = _log_width(el)
            k = max(int(math.ceil(w / du - 1e-9)), 0)
            if k >= stairs.size or stairs[k] < 0:
                return Rectangle.none()
            a, b, c = self._rectangle_at(k)
            mid = 0.5 * (u[c] + u[c + k])
            return Rectangle.from_bounds(self.focus[a], self.focus[b], math.exp(mid - 0.5 * w),
                                         math.exp(mid + 0.5 * w))
        if dof is not None:
            dof = nonnegative_number("dof", dof, "nm")
            need = max(int(math.ceil(dof / df - 1e-9)), 0)
            fits = np.nonzero(stairs >= need)[0]
            if fits.size == 0:
                return Rectangle.none()
            k = int(fits[-1])
            a, b, c = self._rectangle_at(k)
            mid = 0.5 * (self.focus[a] + self.focus[b])
            return Rectangle.from_bounds(mid - 0.5 * dof, mid + 0.5 * dof, self.dose[c], self.dose[c + k])
        if stairs[0] < 0:
            return Rectangle.none()
        ks = np.nonzero(stairs >= 0)[0]
        area = stairs[ks] * df * (200.0 * np.tanh(0.5 * ks * du))
        k = int(ks[np.argmax(area)])
        a, b, c = self._rectangle_at(k)
        return Rectangle.from_bounds(self.focus[a], self.focus[b], self.dose[c], self.dose[c + k])

    def dof(self, el: float) -> float:
        """The largest DOF, nm, of a rectangle of EL ``el`` % in the window (0 when none)."""
        return self.max_rectangle(el=el).dof

    def el(self, dof: float) -> float:
        """The largest EL, %, of a rectangle of DOF ``dof`` nm in the window (0 when none)."""
        return self.max_rectangle(dof=dof).el

    def el_dof_curve(self, n: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The EL-DOF trade-off of the largest rectangles.

        Parameters
        ----------
        n : int, optional
            Number of points, at EL evenly spaced from 0 to the largest EL in the window.
            None: one point per fine dose step of width (the exact staircase).

        Returns
        -------
        dof : ndarray
            Largest DOF, nm, at each EL (non-increasing).
        el : ndarray
            EL, % (increasing). Both empty when the window is empty.
        """
        df, du, _ = self._steps
        stairs = self._staircase
        ks = np.nonzero(stairs >= 0)[0]
        if ks.size == 0:
            return np.zeros(0), np.zeros(0)
        if n is None:
            return stairs[ks] * df, 200.0 * np.tanh(0.5 * ks * du)
        n = integer("n", n, 2)
        el = np.linspace(0.0, 200.0 * math.tanh(0.5 * ks[-1] * du), n)
        k = np.minimum(np.ceil(2.0 * np.arctanh(el / 200.0) / du - 1e-9).astype(np.int64), ks[-1])
        return stairs[np.maximum(k, 0)] * df, el

    # ellipse ----------------------------------------------------------------
    @cached_property
    def _ellipse(self) -> Ellipse:
        from scipy.ndimage import distance_transform_edt

        none = Ellipse(math.nan, math.nan, 0.0, 0.0, 0.0, 0.0, math.nan, math.nan)
        if self.empty:
            return none
        df, du, u = self._steps
        nf, nd = self.mask.shape
        rows, cols = np.nonzero(self.mask.any(axis=1))[0], np.nonzero(self.mask.any(axis=0))[0]
        r0, r1, c0, c1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1   # the window's bounding box
        mask = self.mask[r0:r1, c0:c1]
        fi = np.arange(r0, r1)[:, None]
        uj = np.arange(c0, c1)[None, :]
        to_f = np.minimum(fi, nf - 1 - fi) * df      # distance to the matrix's focus edges, nm
        to_u = np.minimum(uj, nd - 1 - uj) * du      # ... and dose edges, ln units

        def best(r: float, stride: int = 1) -> tuple[float, int, int, float]:
            m = mask[::stride, ::stride]
            padded = np.pad(m, 1, constant_values=False)
            s = distance_transform_edt(padded, sampling=(stride * df / r, stride * du))[1:-1, 1:-1]
            s = np.minimum(np.minimum(s, to_f[::stride] / r), to_u[:, ::stride]) * m
            top = s.max()
            i, j = np.nonzero(s >= top * (1 - 1e-12))
            c = _nearest_to_centroid(i.astype(float), j.astype(float))
            return math.pi * r * top ** 2, stride * int(i[c]) + r0, stride * int(j[c]) + c0, float(top)

        # a coarse scan of the aspect ratio on every other node, refined on the full grid
        aspect = (r1 - r0) * df / ((c1 - c0) * du)
        logs = np.log(aspect) + np.linspace(-1.5, 1.5, 13) * math.log(10.0)
        stride = 2 if min(mask.shape) >= 40 else 1
        i = int(np.argmax([best(math.exp(x), stride)[0] for x in logs]))
        lo, hi = logs[max(i - 1, 0)], logs[min(i + 1, logs.size - 1)]
        g = (math.sqrt(5.0) - 1.0) / 2.0
        x1, x2 = hi - g * (hi - lo), lo + g * (hi - lo)
        f1, f2 = best(math.exp(x1))[0], best(math.exp(x2))[0]
        for _ in range(12):   # golden-section search in ln(aspect ratio)
            if f1 >= f2:
                hi, x2, f2 = x2, x1, f1
                x1 = hi - g * (hi - lo)
                f1 = best(math.exp(x1))[0]
            else:
                lo, x1, f1 = x1, x2, f2
                x2 = lo + g * (hi - lo)
                f2 = best(math.exp(x2))[0]
        r = math.exp(x1 if f1 >= f2 else x2)
        area, a, b, s = best(r)
        if area <= 0:
            return Ellipse.from_axes(float(self.focus[a]), float(u[b]), 0.0, 0.0)
        return Ellipse.from_axes(float(self.focus[a]), float(u[b]), r * s, s)

    def max_ellipse(self) -> Ellipse:
        """The largest-area axis-aligned ellipse inscribed in the window, in (focus, ln dose).

        Method: for an aspect ratio r (nm of focus per unit of ln dose), the largest
        ellipse of that shape centred on a grid node has its ln-dose semi-axis equal to
        the Euclidean distance, with focus scaled by 1/r, to the nearest out-of-spec node
        (or the matrix edge): a distance transform of the mask. The area ``pi r s^2`` is
        maximised over the centres, and over r by a log-spaced scan refined by a
        golden-section search. The area in (focus, ln dose) does not depend on the units.

        Returns
        -------
        Ellipse
            Empty (``empty`` True) when the window is empty.
        """
        return self._ellipse

    @cached_property
    def _best(self) -> Rectangle:
        return self.max_rectangle()

    @property
    def best_focus(self) -> float:
        """Centre focus, nm, of the largest-area (DOF x EL) rectangle; NaN when empty."""
        return self._best.center_focus

    @property
    def best_dose(self) -> float:
        """Centre dose (mean of its dose range) of the largest-area rectangle; NaN when empty."""
        return self._best.center_dose

    def __repr__(self) -> str:
        best = self._best
        state = "empty" if best.empty else (f"largest rectangle DOF {best.dof:.4g} nm x EL {best.el:.4g} % at "
                                            f"focus {best.center_focus:.4g} nm, dose {best.center_dose:.4g}")
        return (f"EDWindow({', '.join(self.gauges)}; {self.focus.size} x {self.dose.size} grid, "
                f"{int(self.mask.sum())} points in spec; {state})")


def _per_gauge(name: str, value: Any, n: int) -> np.ndarray:
    """A positive finite number per gauge (one number for all, or a sequence of ``n``)."""
    if np.ndim(value) == 0:
        values = [value] * n
    else:
        values = list(np.asarray(value).reshape(-1)) if isinstance(value, np.ndarray) else list(value)
        if len(values) != n:
            raise InvalidParameterError(name, value, f"one positive number of nm or {n} of them (one per gauge)")
    try:
        return np.array([positive_number(name, float(v) if isinstance(v, np.floating) else v, "nm")
                         for v in values])
    except InvalidParameterError:
        raise InvalidParameterError(name, value, f"a finite positive number of nm, or {n} of them "
                                    "(one per gauge)") from None


def _cell_is_nan(nodes: np.ndarray, nan: np.ndarray, x: np.ndarray) -> np.ndarray:
    """(len(x), m): x lies in a cell of ``nodes`` with a NaN end (a NaN node itself, at a node)."""
    i = np.clip(np.searchsorted(nodes, x, side="right") - 1, 0, nodes.size - 2)
    left = nan[i] & (x != nodes[i + 1])[:, None]
    right = nan[i + 1] & (x != nodes[i])[:, None]
    return left | right


def _spline(nodes: np.ndarray, values: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Interpolate each column of ``values`` (n, m) at ``x``: a cubic spline (not-a-knot) through
    its non-NaN nodes (lower degree with fewer than 4), NaN in cells next to a NaN node."""
    from scipy.interpolate import make_interp_spline

    nan = np.isnan(values)
    out = np.full((x.size, values.shape[1]), np.nan)
    patterns, inverse = np.unique(nan.T, axis=0, return_inverse=True)
    inverse = np.asarray(inverse).reshape(-1)
    for p, pattern in enumerate(patterns):
        good = ~pattern
        if good.sum() < 2:
            continue
        cols = inverse == p
        k = min(3, int(good.sum()) - 1)
        out[:, cols] = make_interp_spline(nodes[good], values[good][:, cols], k=k)(x)
    out[_cell_is_nan(nodes, nan, x)] = np.nan
    return out


def _gauge_list(fem: FEMResult, gauges: Any) -> list[int]:
    if gauges is None:
        return list(range(len(fem.gauges)))
    if isinstance(gauges, (str, int, np.integer)):
        gauges = [gauges]
    out = [fem.gauge_index(g) for g in gauges]
    if not out or len(set(out)) != len(out):
        raise InvalidParameterError("gauges", gauges, "a non-empty sequence of distinct gauge names or indices")
    return out


def ed_window(fem: FEMResult, target: float | Sequence[float], tolerance: float | Sequence[float],
              gauges: str | int | Sequence[str | int] | None = None, *, focus_samples: int = 401,
              dose_samples: int = 401, focus_fit: str = "spline", order: int = 4) -> EDWindow:
    """The exposure-defocus window: where |CD - target| <= tolerance for every gauge.

    Parameters
    ----------
    fem : FEMResult
        The matrix (at least 2 focus and 2 dose values).
    target : float or sequence of float
        Target CD, nm: one for all gauges or one per gauge (in ``gauges`` order).
    tolerance : float or sequence of float
        Allowed |CD - target|, nm (e.g. ``0.1 * target`` for +-10 %), one or one per gauge.
    gauges : str, int, sequence of them, or None
        The gauges that must all be in spec (the overlapping window); None: all of them.
    focus_samples, dose_samples : int
        Size of the fine grid (>= 2), uniform in focus and in ln(dose) over the matrix's
        range. Rectangles are resolved to one step; the cost of the EL-DOF staircase
        grows as ``focus_samples * dose_samples**2``.
    focus_fit : {"spline", "polynomial"}
        CD between measured focus values: a cubic spline through them (not-a-knot, exact
        for cubic CD(focus)), or the least-squares Bossung polynomial of degree ``order``
        (smooths noisy CDs). In dose, always a cubic spline in ln(dose) through the
        measured doses.
    order : int
        Degree of the Bossung polynomial (>= 1), for ``focus_fit="polynomial"``.

    Returns
    -------
    EDWindow
        Never raises because the spec is not met: an unreachable spec gives an empty window.
        A NaN (not printed) CD is out of spec, and so is every fine point in a matrix
        cell next to it (no interpolation across it).

    Raises
    ------
    InvalidParameterError
        Not a FEMResult, fewer than 2 focus or dose values, an unknown gauge, a target or
        tolerance that is not finite and > 0 (or not one per gauge), bad sample counts,
        ``focus_fit`` or ``order``.
    """
    fem = _fem(fem)
    idx = _gauge_list(fem, gauges)
    target_arr = _per_gauge("target", target, len(idx))
    tolerance_arr = _per_gauge("tolerance", tolerance, len(idx))
    nf = integer("focus_samples", focus_samples, 2)
    nd = integer("dose_samples", dose_samples, 2)
    choice("focus_fit", focus_fit, ("spline", "polynomial"))
    order = integer("order", order, 1)
    f_fine = np.linspace(fem.focus[0], fem.focus[-1], nf)
    u_nodes = np.log(fem.dose)
    u_fine = np.linspace(u_nodes[0], u_nodes[-1], nd)
    dose_fine = np.exp(u_fine)
    dose_fine[0], dose_fine[-1] = fem.dose[0], fem.dose[-1]
    cd = np.empty((nf, nd, len(idx)))
    for n, g in enumerate(idx):
        measured = fem.cd_of(g)
        if focus_fit == "spline":
            along = _spline(fem.focus, measured, f_fine)
        else:
            along = bossung(fem, g, order)(f_fine)
            along[_cell_is_nan(fem.focus, np.isnan(measured), f_fine)] = np.nan
        cd[:, :, n] = _spline(u_nodes, along.T, u_fine).T
    return EDWindow(f_fine, dose_fine, tuple(fem.gauges[g] for g in idx), target_arr, tolerance_arr, cd)
