"""Etched profiles: the remaining material, CDs at any elevation, sidewall angles, depth.

Elevations are nm above the initial top of the stack (the resist foot is at 0). The level
function ``phi`` (> 0 in solid, a signed distance near the surface) is linear between z
nodes and bilinear (periodic) laterally, so measurements are sub-cell.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._cutline import edges_about_midpoint, parse_cutline, sample_along
from .._validate import number_in
from ..errors import InvalidParameterError
from .domain import VOID
from .stack import RESIST, Stack

__all__ = ["EtchProfile", "EtchCrossSection"]

_FRACTIONS = {"top": 0.9, "middle": 0.5, "bottom": 0.1}


@dataclass(frozen=True)
class EtchCrossSection:
    """A vertical cut along a cutline: s (ns,) nm, elevation (nz,) nm, phi and material (nz, ns)."""

    s: np.ndarray
    elevation: np.ndarray
    phi: np.ndarray
    material: np.ndarray
    names: tuple[str, ...]


@dataclass(frozen=True)
class EtchProfile:
    """The result of an etch.

    Attributes
    ----------
    phi, initial : ndarray (nz, ny, nx)
        Level function after and before the etch (> 0 in solid), nm.
    material : ndarray (nz, ny, nx) int8
        Material before the etch (index into ``names``, -1 void).
    names : tuple of str
    spacing : (dz, dy, dx) nm
    origin : (x0, y0) nm
    top : float
        Elevation of the grid's top face, nm.
    resist_thickness : float
    stack : Stack
    time : float
        Etch time, s.
    steps : int
        Time steps taken.
    """

    phi: np.ndarray = field(repr=False)
    initial: np.ndarray = field(repr=False)
    material: np.ndarray = field(repr=False)
    names: tuple[str, ...]
    spacing: tuple[float, float, float]
    origin: tuple[float, float]
    top: float
    resist_thickness: float
    stack: Stack
    time: float
    steps: int

    @property
    def elevations(self) -> np.ndarray:
        """Elevation of the z nodes, nm (decreasing with the index)."""
        return self.top - (np.arange(self.phi.shape[0]) + 0.5) * self.spacing[0]

    @property
    def material_map(self) -> np.ndarray:
        """Material after the etch at every node (index into ``names``; -1 void)."""
        return np.where(self.phi > 0, self.material, VOID).astype(np.int8)

    def extent(self, name: str) -> tuple[float, float]:
        """(bottom, top) elevations of a material before the etch, nm."""
        if name == RESIST:
            return 0.0, self.resist_thickness
        for material, top, bottom in self.stack.interfaces():
            if material == name:
                return -bottom, -top
        raise InvalidParameterError("layer", name, f"one of {list(self.names)}")

    # -- sampling ---------------------------------------------------------------------

    def _plane(self, phi: np.ndarray, elevation: float) -> np.ndarray:
        e = self.elevations
        elevation = number_in("elevation", elevation, float(e[-1]), float(e[0]), "nm")
        k = min(int(np.searchsorted(-e, -elevation, side="right")), len(e) - 1)
        k = max(k, 1)
        w = (e[k - 1] - elevation) / (e[k - 1] - e[k])
        return (1 - w) * phi[k - 1] + w * phi[k]

    def _profile_along(self, phi: np.ndarray, cutline, elevation: float, feature: str):
        if feature not in ("auto", "line", "space"):
            raise InvalidParameterError("feature", feature, "one of 'auto', 'line', 'space'")
        a, b = parse_cutline(cutline)
        s, f = sample_along(self._plane(phi, elevation), self.spacing[1:], self.origin, a, b)
        kind = "line" if np.interp(0.5 * s[-1], s, f) > 0 else "space"
        if feature != "auto" and feature != kind:
            raise InvalidParameterError("feature", feature,
                                        f"'{kind}' (the cutline's midpoint is on a {kind} at elevation {elevation:g} nm)")
        return s, (f if kind == "line" else -f), kind

    def _cd(self, phi: np.ndarray, cutline, elevation: float, feature: str) -> float:
        s, f, kind = self._profile_along(phi, cutline, elevation, feature)
        left, right = edges_about_midpoint(s, f)
        if left is None or right is None:
            raise InvalidParameterError("cutline", cutline, f"a cutline crossing both edges of the {kind} at its "
                                        f"midpoint at elevation {elevation:g} nm")
        return right - left

    # -- measurements -------------------------------------------------------------------

    def cd(self, cutline, elevation: float, feature: str = "auto") -> float:
        """CD along a cutline at an elevation after the etch, nm.

        ``feature``: "line" (solid at the cutline's midpoint), "space" (void there), or
        "auto" (whichever it is).
        """
        return self._cd(self.phi, cutline, elevation, feature)

    def cds(self, cutline, layer: str, feature: str = "auto") -> dict[str, float]:
        """CD at 90 % ("top"), 50 % ("middle") and 10 % ("bottom") of a layer's thickness, nm."""
        bottom, top = self.extent(layer)
        return {k: self.cd(cutline, bottom + f * (top - bottom), feature) for k, f in _FRACTIONS.items()}

    def sidewall_angle(self, cutline, layer: str, low: float = 0.1, high: float = 0.9, feature: str = "auto") -> float:
        """Sidewall angle in a layer, degrees (90: vertical; < 90: wider at the foot for a line)."""
        low = number_in("low", low, 0.0, 1.0)
        high = number_in("high", high, 0.0, 1.0)
        if high <= low:
            raise InvalidParameterError("high", high, f"a fraction above low = {low:g}")
        bottom, top = self.extent(layer)
        e_lo, e_hi = bottom + low * (top - bottom), bottom + high * (top - bottom)
        kind = self._profile_along(self.phi, cutline, e_lo, feature)[2]
        cd_lo, cd_hi = self.cd(cutline, e_lo, kind), self.cd(cutline, e_hi, kind)
        run = 0.5 * (cd_lo - cd_hi) if kind == "line" else 0.5 * (cd_hi - cd_lo)
        return float(np.degrees(np.arctan2(e_hi - e_lo, run)))

    def etch_bias(self, cutline, layer: str, fraction: float = 0.5, resist_fraction: float = 0.1,
                  feature: str = "line") -> float:
        """Etched CD in ``layer`` (at ``fraction`` of its thickness) minus the resist CD before
        the etch (at ``resist_fraction`` of the resist thickness), nm."""
        bottom, top = self.extent(layer)
        etched = self.cd(cutline, bottom + number_in("fraction", fraction, 0.0, 1.0) * (top - bottom), feature)
        resist = self._cd(self.initial, cutline,
                          number_in("resist_fraction", resist_fraction, 0.0, 1.0) * self.resist_thickness, feature)
        return etched - resist

    def _surface(self, phi: np.ndarray) -> np.ndarray:
        """Elevation of the topmost surface in every column, nm (ny, nx)."""
        from .modulation import surface_elevation

        return surface_elevation(phi, self.elevations)

    @property
    def surface(self) -> np.ndarray:
        """Elevation of the top surface after the etch, nm (ny, nx)."""
        return self._surface(self.phi)

    @property
    def etched_depth(self) -> np.ndarray:
        """Depth of the top surface below the initial stack top, nm (ny, nx); 0 where it is
        at or above it (resist, or unetched film)."""
        return np.maximum(-self.surface, 0.0)

    @property
    def depth(self) -> float:
        """The largest etched depth, nm."""
        return float(self.etched_depth.max())

    @property
    def resist_height(self) -> np.ndarray:
        """Remaining resist thickness, nm (ny, nx): the surface elevation where it is above 0."""
        return np.maximum(self.surface, 0.0)

    @property
    def resist_loss(self) -> float:
        """Initial resist thickness minus the thickest remaining resist, nm.

        Taken over the columns whose lateral neighbours also hold resist (the top of the
        resist, not its edges, where a convex corner of the level function can stand a
        fraction of a cell proud); over every column when no such column is left.
        """
        height = self.resist_height
        inner = height > 0
        for axis in (0, 1):
            if height.shape[axis] > 1:
                inner = inner & np.roll(inner, 1, axis) & np.roll(inner, -1, axis)
        return self.resist_thickness - float((height[inner] if inner.any() else height).max())

    def cross_section(self, cutline) -> EtchCrossSection:
        """phi and the material after the etch on the vertical plane through a cutline."""
        a, b = parse_cutline(cutline)
        rows = [sample_along(plane, self.spacing[1:], self.origin, a, b) for plane in self.phi]
        s = rows[0][0]
        phi = np.stack([r[1] for r in rows])
        mat = self.material_map.astype(np.float64)
        # nearest-node material along the cut (labels are not interpolated)
        dy, dx = self.spacing[1:]
        pts = a[None] + (s / s[-1])[:, None] * (b - a)[None]
        ix = np.floor((pts[:, 0] - self.origin[0]) / dx).astype(np.int64) % mat.shape[2]
        iy = np.floor((pts[:, 1] - self.origin[1]) / dy).astype(np.int64) % mat.shape[1]
        labels = mat[:, iy, ix].astype(np.int8)
        labels[phi <= 0] = VOID
        return EtchCrossSection(s=s, elevation=self.elevations, phi=phi, material=labels, names=self.names)
