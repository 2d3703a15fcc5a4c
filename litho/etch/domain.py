"""The etch domain: the grid, the initial level set and the material of every node.

Elevations are nm above the initial top of the stack (the resist's foot is at 0, the
resist top at its thickness, the films below at negative elevations). Node ``iz`` sits at
elevation ``top - (iz + 1/2) dz``; laterally the grid is the resist's (or the layout's
raster) with sample ``(iy, ix)`` at ``origin + ((ix + 1/2) dx, (iy + 1/2) dy)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validate import number_in, positive_number
from ..errors import InvalidParameterError
from ..geometry.layout import Layout
from .stack import RESIST, Stack

__all__ = ["Domain", "from_layout", "from_resist_profile"]

VOID = -1


@dataclass(frozen=True)
class Domain:
    """Grid and initial state of an etch.

    Attributes
    ----------
    phi : ndarray (nz, ny, nx) float64
        Initial level function, > 0 in solid (not yet a distance; see ``EtchProcess``).
    material : ndarray (nz, ny, nx) int8
        Index into ``names`` of the material at each node before etching, -1 for void.
    names : tuple of str
        ``("resist", layers..., substrate)``.
    spacing : (dz, dy, dx) nm
    origin : (x0, y0) nm
    top : float
        Elevation of the domain's top face, nm.
    resist_thickness : float
        nm.
    stack : Stack
    resist_phi : ndarray (nz, ny, nx)
        Level function of the resist alone (> 0 inside; same zero level as in ``phi``).
    """

    phi: np.ndarray
    material: np.ndarray
    names: tuple[str, ...]
    spacing: tuple[float, float, float]
    origin: tuple[float, float]
    top: float
    resist_thickness: float
    stack: Stack
    resist_phi: np.ndarray

    @property
    def elevations(self) -> np.ndarray:
        """Elevation of each z node, nm (nz,), decreasing."""
        return self.top - (np.arange(self.phi.shape[0]) + 0.5) * self.spacing[0]


def _z_grid(resist_thickness: float, stack: Stack, dz: float, headroom: float) -> tuple[float, np.ndarray]:
    """Domain top and node elevations; the top is a whole number of cells above 0."""
    top = math.ceil((resist_thickness + headroom) / dz) * dz
    nz = int(math.ceil((top + stack.thickness) / dz - 1e-9))
    return top, top - (np.arange(nz) + 0.5) * dz


def _stack_phi(e: np.ndarray) -> np.ndarray:
    """Signed distance to the stack's top face (> 0 below it), per elevation."""
    return -e


def _materials(solid: np.ndarray, e: np.ndarray, stack: Stack) -> tuple[np.ndarray, tuple[str, ...]]:
    names = (RESIST,) + stack.materials
    mat = np.full(solid.shape, VOID, dtype=np.int8)
    mat[e >= 0] = 0
    for k, (_, top, bottom) in enumerate(stack.interfaces(), start=1):
        rows = (e < -top) & (e >= -bottom) if k < len(names) - 1 else (e < -top)
        mat[rows] = k
    mat[~solid] = VOID
    return mat, names


def from_layout(layout: Layout, stack: Stack, *, pixel: float, shape: tuple[int, int],
                origin: tuple[float, float] = (0.0, 0.0), resist_thickness: float, sidewall_angle: float = 90.0,
                dz: float | None = None, headroom: float) -> Domain:
    """A resist pattern extruded from a layout (polygons are resist) on a stack.

    The resist at elevation e occupies the points at least ``e cot(angle)`` inside the
    polygons: the polygons are its foot, and it narrows upwards for angles below 90°.
    The lateral signed distance comes from the exact area raster (sub-pixel at edges:
    (coverage - 1/2) pixel) and a Euclidean distance transform away from them.
    """
    from scipy import ndimage

    from ..geometry.raster import rasterize

    pixel = positive_number("pixel", pixel, "nm")
    thickness = positive_number("resist_thickness", resist_thickness, "nm")
    angle = number_in("sidewall_angle", sidewall_angle, 45.0, 135.0, "degrees")
    dz = pixel if dz is None else positive_number("dz", dz, "nm")
    cover = np.asarray(rasterize(layout, pixel, shape, origin, backend="numpy", dtype=np.float64))
    inside = cover >= 0.5
    d_in = ndimage.distance_transform_edt(inside) * pixel
    d_out = ndimage.distance_transform_edt(~inside) * pixel
    d2 = np.where(inside, d_in - 0.5 * pixel, 0.5 * pixel - d_out)
    edge = (cover > 0) & (cover < 1)
    d2 = np.where(edge, (cover - 0.5) * pixel, d2)
    top, e = _z_grid(thickness, stack, dz, headroom)
    rad = math.radians(angle)
    ez = e[:, None, None]
    lateral = (d2[None] - np.maximum(ez, 0.0) / math.tan(rad)) * math.sin(rad)
    resist = np.minimum(lateral, thickness - ez)
    phi = np.maximum(resist, _stack_phi(ez))
    mat, names = _materials(phi > 0, np.broadcast_to(ez, phi.shape), stack)
    resist = np.where(ez < 0, np.minimum(resist, ez), resist)  # the resist ends at its foot
    return Domain(phi, mat, names, (dz, pixel, pixel), tuple(map(float, origin)), top, thickness, stack, resist)


def from_resist_profile(profile: Any, stack: Stack, *, dz: float | None = None, headroom: float) -> Domain:
    """The developed resist of a :class:`~litho.resist.ResistProfile` on a stack.

    The level function in the resist is the arrival time minus the develop time (linear
    in depth between the profile's nodes and bilinear laterally as in the profile's own
    measurements, so the surface is where the profile puts it), with never-developed
    resist at a very late time. That function is made a signed distance (subcell
    re-initialisation, which keeps its zero level) before it is combined with the stack's
    distance: the union of two level functions of different scales would move the surface
    towards the steeper one.
    """
    from .engine import distance_from
    from ..backend import to_numpy

    t = to_numpy(profile.arrival_time).astype(np.float64)
    t_dev = profile.develop_time
    if t_dev <= 0:
        raise InvalidParameterError("profile.develop_time", t_dev, "a develop time > 0 s (nothing developed)")
    rz, dy, dx = profile.spacing
    dz = rz if dz is None else positive_number("dz", dz, "nm")
    thickness = profile.thickness
    depth_nodes, times = profile._nodes(t)
    top, e = _z_grid(thickness, stack, dz, headroom)
    nz, (ny, nx) = len(e), t.shape[1:]
    scale = headroom / t_dev
    # inf (never developed) becomes a very late time, as in ResistProfile's own sampling,
    # so that a surface between a developed and an undeveloped sample sits where the
    # profile puts it (at the developed one); re-initialisation then makes it a distance
    finite = (np.where(np.isinf(times), 1e6 * max(t_dev, 1.0), times) - t_dev) * scale
    steep = 1e6 * max(t_dev, 1.0) * scale / dz  # per nm
    resist = np.empty((nz, ny, nx))
    for iz, ez in enumerate(e):
        if ez > thickness or ez < 0:
            resist[iz] = steep * min(thickness - ez, ez)
        else:
            depth = thickness - ez
            k = int(np.clip(np.searchsorted(depth_nodes, depth, side="right"), 1, len(depth_nodes) - 1))
            w = (depth - depth_nodes[k - 1]) / (depth_nodes[k] - depth_nodes[k - 1])
            # capped by a function of the same (very late) scale that vanishes on the top
            # face and the foot: undeveloped resist ends there, not half a cell beyond
            resist[iz] = np.minimum((1 - w) * finite[k - 1] + w * finite[k], steep * min(thickness - ez, ez))
    resist = distance_from(resist, (dz, dy, dx), headroom)
    phi = np.maximum(resist, _stack_phi(e)[:, None, None])
    mat, names = _materials(phi > 0, np.broadcast_to(e[:, None, None], phi.shape), stack)
    return Domain(phi, mat, names, (dz, dy, dx), tuple(profile.origin), top, thickness, stack, resist)
