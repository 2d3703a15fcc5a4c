"""Developed resist profiles: heights, CDs at any height, sidewall angles, cross-sections.

A :class:`ResistProfile` holds the developer's arrival time T at every voxel centre of
an (nz, ny, nx) resist volume (z = 0 at the top, centres at ``(iz + 1/2) dz``) and the
develop time; the resist that remains is ``T > develop_time``. Between samples T is
interpolated linearly (in depth, and bilinearly in x and y, periodic like the images),
with T = 0 on the top surface, so every measurement is sub-voxel.

Coordinates: x and y in nm with the lateral sample ``(iy, ix)`` at
``origin + ((ix + 1/2) dx, (iy + 1/2) dy)``; heights in nm above the substrate
(``thickness`` at the top). A cutline is ``((x0, y0), (x1, y1))`` in nm.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from .._cutline import edges_about_midpoint, parse_cutline, sample_along
from .._validate import finite_pair, nonnegative_number, number_in, real_array, spacing3
from ..backend import array_module, to_numpy
from ..errors import InvalidParameterError
from ..geometry.layout import Layout
from .exposure import depths

__all__ = ["ResistProfile", "CrossSection"]

_FRACTIONS = {"top": 0.9, "middle": 0.5, "bottom": 0.1}


@dataclass(frozen=True)
class CrossSection:
    """A vertical cut through a profile along a cutline.

    Attributes
    ----------
    s : ndarray (ns,)
        Distance along the cutline from its start, nm.
    depth : ndarray (nz,)
        Depths of the voxel centres below the resist top, nm.
    arrival_time : ndarray (nz, ns)
        Developer arrival time, s (inf where not reached).
    develop_time : float
        s.
    """

    s: np.ndarray
    depth: np.ndarray
    arrival_time: np.ndarray
    develop_time: float

    @property
    def remaining(self) -> np.ndarray:
        """Resist left after development, (nz, ns) bool."""
        return self.arrival_time > self.develop_time


@dataclass(frozen=True)
class ResistProfile:
    """A developed resist: developer arrival times and the develop time.

    Parameters
    ----------
    arrival_time : array (nz, ny, nx)
        Arrival time of the developer at the voxel centres, s (> 0; inf where the
        developer never arrives). numpy or CuPy.
    develop_time : float
        Development time, s.
    spacing : float or (dz, dy, dx)
        Voxel size, nm.
    origin : (float, float)
        (x, y) of the corner of lateral sample (0, 0), nm.
    """

    arrival_time: Any = field(repr=False)
    develop_time: float
    spacing: tuple[float, float, float]
    origin: tuple[float, float] = (0.0, 0.0)

    def __post_init__(self) -> None:
        xp = array_module(self.arrival_time)
        t = xp.asarray(self.arrival_time)
        if t.ndim != 3 or t.size == 0 or t.dtype.kind != "f":
            raise InvalidParameterError("arrival_time", f"array of shape {tuple(t.shape)}",
                                        "a non-empty (nz, ny, nx) float array of arrival times in s")
        finite = xp.where(t == xp.inf, 0.0, t)  # +inf: never reached; -inf is refused below
        real_array("arrival_time", finite, low=0.0, what="an arrival-time volume (s, inf allowed)")
        object.__setattr__(self, "arrival_time", t)
        object.__setattr__(self, "develop_time", nonnegative_number("develop_time", self.develop_time, "s"))
        object.__setattr__(self, "spacing", spacing3("spacing", self.spacing))
        object.__setattr__(self, "origin", finite_pair("origin", self.origin, "nm"))

    # -- basic quantities ---------------------------------------------------------------

    @property
    def shape(self) -> tuple[int, int, int]:
        return tuple(self.arrival_time.shape)  # type: ignore[return-value]

    @property
    def thickness(self) -> float:
        """Initial resist thickness, nm (``nz dz``)."""
        return self.shape[0] * self.spacing[0]

    @property
    def remaining(self) -> Any:
        """Resist left after development, (nz, ny, nx) bool (same device as the times)."""
        return self.arrival_time > self.develop_time

    def at(self, develop_time: float) -> ResistProfile:
        """The same exposure developed for another time (no recomputation)."""
        return replace(self, develop_time=develop_time)

    def _depth_nodes(self, xp: Any = np) -> Any:
        """Depths of the nodes along z: the top surface, the voxel centres, the bottom, nm."""
        nz, dz = self.shape[0], self.spacing[0]
        return xp.concatenate([xp.zeros(1), depths(nz, dz, xp), xp.full(1, nz * dz)])

    @staticmethod
    def _bottom(t: Any) -> Any:
        """Arrival time at the resist bottom, extrapolated linearly from the last two
        centres (inf where the last centre is never reached)."""
        xp = array_module(t)
        last = t[-1]
        if t.shape[0] == 1:
            return 2.0 * last
        with np.errstate(invalid="ignore"):
            return xp.where(xp.isinf(last), xp.inf, last + 0.5 * (last - t[-2]))

    def _nodes(self, t: Any) -> tuple[Any, Any]:
        """Depth nodes and times along axis 0: the top surface (T = 0), the voxel centres,
        and the bottom (:meth:`_bottom`)."""
        xp = array_module(t)
        times = xp.concatenate([xp.zeros_like(t[:1]), t, self._bottom(t)[None]], axis=0)
        return self._depth_nodes(xp), times

    @property
    def height(self) -> Any:
        """Height of the remaining resist above the substrate, nm, (ny, nx).

        The developed depth is where the arrival time, walking down from the top,
        first exceeds the develop time (linear between depth nodes); a column the
        developer crosses entirely has height 0. Undercut resist below a developed
        stretch is not counted (use :attr:`remaining` for the full 3-D shape).
        """
        xp = array_module(self.arrival_time)
        t = xp.asarray(self.arrival_time, dtype=xp.float64)
        z, times = self._nodes(t)
        t_dev = self.develop_time
        above = times > t_dev
        above[0] = False  # T = 0 at the surface
        cleared = ~above.any(axis=0)
        k = xp.argmax(above, axis=0)  # first node past the develop time
        k = xp.maximum(k, 1)
        t_hi = xp.take_along_axis(times, k[None], axis=0)[0]
        t_lo = xp.take_along_axis(times, (k - 1)[None], axis=0)[0]
        z_hi, z_lo = z[k], z[k - 1]
        with np.errstate(invalid="ignore", divide="ignore"):
            w = xp.where(xp.isinf(t_hi), 0.0, (t_dev - t_lo) / (t_hi - t_lo))
        depth = z_lo + xp.clip(w, 0.0, 1.0) * (z_hi - z_lo)
        return xp.where(cleared, 0.0, self.thickness - depth)

    @property
    def thickness_loss(self) -> float:
        """Loss of the thickest remaining resist (dark erosion), nm: ``thickness - max(height)``."""
        return float(self.thickness - float(to_numpy(self.height).max()))

    # -- sampling -----------------------------------------------------------------------

    def _plane(self, height: float) -> np.ndarray:
        """Arrival times (ny, nx) at a height above the substrate (linear in depth)."""
        height = number_in("height", height, 0.0, self.thickness, "nm")
        z = self._depth_nodes()
        depth = self.thickness - height
        k = int(np.clip(np.searchsorted(z, depth, side="right"), 1, len(z) - 1))
        w = (depth - z[k - 1]) / (z[k] - z[k - 1])
        lo, hi = self._node_times(k - 1), self._node_times(k)
        if w == 0.0:
            return lo
        if w == 1.0:
            return hi
        with np.errstate(invalid="ignore"):
            return np.where(np.isinf(lo) | np.isinf(hi), np.inf, lo + w * (hi - lo))

    def _node_times(self, k: int) -> np.ndarray:
        """Arrival times (ny, nx) at depth node ``k`` (see :meth:`_nodes`), float64 on the host;
        only the planes it needs are copied."""
        t, nz = self.arrival_time, self.shape[0]
        if k == 0:
            return np.zeros(self.shape[1:])
        if k <= nz:
            return to_numpy(t[k - 1]).astype(np.float64)
        return self._bottom(to_numpy(t[-2:]).astype(np.float64))

    def _along(self, plane: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Bilinear (periodic) samples of a plane of times along the segment a -> b: (s, values).

        inf (never developed) is replaced by a large finite time so that crossings between
        a developed and an undeveloped sample interpolate sensibly.
        """
        finite = np.where(np.isinf(plane), 1e6 * max(self.develop_time, 1.0), plane)
        return sample_along(finite, self.spacing[1:], self.origin, a, b)

    def cross_section(self, cutline: Any) -> CrossSection:
        """Arrival times on the vertical plane through a cutline (voxel-centre depths)."""
        a, b = parse_cutline(cutline)
        t = to_numpy(self.arrival_time).astype(np.float64)
        rows = [self._along(t[iz], a, b) for iz in range(t.shape[0])]
        s = rows[0][0]
        times = np.stack([values for _, values in rows])
        times[times >= 1e6 * max(self.develop_time, 1.0)] = np.inf
        depth = depths(t.shape[0], self.spacing[0])
        return CrossSection(s=s, depth=depth, arrival_time=times, develop_time=self.develop_time)

    # -- measurements -------------------------------------------------------------------

    def cd(self, cutline: Any, height: float | None = None, feature: str = "auto") -> float:
        """Critical dimension along a cutline at a height, nm.

        Parameters
        ----------
        cutline : ((x0, y0), (x1, y1))
            nm; its midpoint must lie on the feature to measure, and both of the
            feature's edges must lie on the cutline.
        height : float, optional
            Height above the substrate, nm (default: half the thickness).
        feature : {"auto", "line", "space"}
            "line": the resist at the midpoint; "space": the developed gap at the
            midpoint; "auto": whichever is at the midpoint.

        Raises
        ------
        InvalidParameterError
            The midpoint is not on the requested feature, or an edge of the feature is
            not on the cutline.
        """
        s, f, kind = self._feature(cutline, self.thickness / 2 if height is None else height, feature)
        left, right = edges_about_midpoint(s, f)
        if left is None or right is None:
            raise InvalidParameterError("cutline", cutline, f"a cutline crossing both edges of the {kind} at its "
                                        f"midpoint (an edge lies beyond the {'start' if left is None else 'end'})")
        return right - left

    def _feature(self, cutline: Any, height: float, feature: str) -> tuple[np.ndarray, np.ndarray, str]:
        if feature not in ("auto", "line", "space"):
            raise InvalidParameterError("feature", feature, "one of 'auto', 'line', 'space'")
        a, b = parse_cutline(cutline)
        s, values = self._along(self._plane(height), a, b)
        f = values - self.develop_time  # > 0: resist
        mid = np.interp(0.5 * s[-1], s, f)
        kind = "line" if mid > 0 else "space"
        if feature != "auto" and feature != kind:
            raise InvalidParameterError("feature", feature,
                                        f"'{kind}' (the cutline's midpoint is on a {kind} at height {height:g} nm)")
        return s, (f if kind == "line" else -f), kind

    def cds(self, cutline: Any, feature: str = "auto") -> dict[str, float]:
        """CD at the top (90 % of the thickness), middle (50 %) and bottom (10 %), nm."""
        return {name: self.cd(cutline, fraction * self.thickness, feature) for name, fraction in _FRACTIONS.items()}

    def sidewall_angle(self, cutline: Any, low: float = 0.1, high: float = 0.9, feature: str = "auto") -> float:
        """Resist sidewall angle in degrees (90: vertical) from the CDs at two heights.

        ``low`` and ``high`` are fractions of the thickness. For a line the angle is
        ``atan(Δh / ((CD_low - CD_high)/2))``, for a space ``atan(Δh / ((CD_high - CD_low)/2))``:
        below 90° when the resist is wider at its foot.
        """
        low = number_in("low", low, 0.0, 1.0)
        high = number_in("high", high, 0.0, 1.0)
        if high <= low:
            raise InvalidParameterError("high", high, f"a fraction above low = {low:g}")
        h_lo, h_hi = low * self.thickness, high * self.thickness
        kind = self._feature(cutline, h_lo, feature)[2]
        cd_lo, cd_hi = self.cd(cutline, h_lo, kind), self.cd(cutline, h_hi, kind)
        run = 0.5 * (cd_lo - cd_hi) if kind == "line" else 0.5 * (cd_hi - cd_lo)
        return float(np.degrees(np.arctan2(h_hi - h_lo, run)))

    def contours(self, height: float, layer: tuple[int, int] = (0, 0)) -> Layout:
        """Outline of the remaining resist at a height above the substrate, as a Layout (nm).

        Empty when no resist remains at that height; the whole sampled area when nothing
        developed there.
        """
        from ..metrology.contours import contours

        plane = self._plane(height)
        finite = np.where(np.isinf(plane), 2.0 * max(self.develop_time, 1.0) + float(np.nanmax(
            np.where(np.isinf(plane), 0.0, plane))), plane)
        field = finite - self.develop_time
        if float(field.max()) <= 0.0:
            return Layout()
        _, dy, dx = self.spacing
        return contours(field, 0.0, (dy, dx), self.origin, layer=layer, empty_ok=True)
