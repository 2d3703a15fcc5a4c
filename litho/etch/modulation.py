"""Rate modulation during an etch: aspect-ratio-dependent etching and sidewall passivation.

Both scale the per-node rate volumes between re-initialisations from the current level
function (array-module generic: numpy or CuPy); the opening widths that ARDE needs come
from the initial resist once.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..backend import array_module, to_numpy
from .domain import VOID, Domain
from .rates import AspectRatioDependence, Passivation

__all__ = ["surface_elevation", "opening_widths", "arde_factor", "ion_flux", "passivation_factor"]


def surface_elevation(phi: Any, elevations: Any) -> Any:
    """Elevation of the topmost surface in every column (first void -> solid crossing from
    the top, linear between nodes), nm (ny, nx); the grid bottom where a column is void
    throughout, the grid top where it is solid at the top node."""
    xp = array_module(phi)
    e = xp.asarray(elevations)
    solid = phi > 0
    first = xp.argmax(solid, axis=0)
    none = ~solid.any(axis=0)
    k = xp.clip(first, 1, None)
    above = xp.take_along_axis(phi, (k - 1)[None], 0)[0]
    below = xp.take_along_axis(phi, k[None], 0)[0]
    differ = below != above
    w = xp.where(differ, -above / xp.where(differ, below - above, 1.0), 0.0)
    z = e[k - 1] + w * (e[k] - e[k - 1])
    z = xp.where(first == 0, e[0], z)
    return xp.where(none, e[-1], z)


def opening_widths(domain: Domain) -> np.ndarray:
    """Width of the mask opening each column lies in, nm (ny, nx); NaN under the mask.

    The openings are the connected void regions of the node plane just above the resist
    foot; the width of one is the diameter of the largest disc inscribed in it (twice its
    largest distance to the resist): a trench's width, a square hole's side, a round
    hole's diameter. Openings that cross the periodic boundary are measured as the two
    parts they are cut into.
    """
    from scipy import ndimage

    e = domain.elevations
    k = int(np.argmin(np.where(e > 0, e, np.inf)))
    void = domain.material[k] == VOID
    dy, dx = domain.spacing[1:]
    if void.shape[0] == 1:  # a cross-section: widths along x only
        dist = ndimage.distance_transform_edt(void[0], sampling=dx)[None]
    else:
        dist = ndimage.distance_transform_edt(void, sampling=(dy, dx))
    labels, n = ndimage.label(void)
    out = np.full(void.shape, np.nan)
    if n:
        radius = np.asarray(ndimage.maximum(dist, labels, index=np.arange(1, n + 1)))
        out[void] = 2.0 * radius[labels[void] - 1]
    return out


def arde_factor(phi: Any, elevations: np.ndarray, widths: Any, arde: AspectRatioDependence) -> Any:
    """Coburn-Winters rate factor per column (ny, nx): aspect ratio = (mask top - local
    surface) / opening width; 1 under the mask."""
    xp = array_module(phi)
    z = to_numpy(surface_elevation(phi, elevations))  # (ny, nx): small, on the host
    depth = np.maximum(z.max() - z, 0.0)
    open_ = ~np.isnan(widths)
    aspect = np.where(open_, depth / np.where(open_, widths, 1.0), 0.0)
    return xp.asarray(arde.factor(aspect))


def ion_flux(phi: Any, spacing: tuple[float, float, float], directions: np.ndarray, weights: np.ndarray,
             vis: Any) -> Any:
    """Ion flux through the level sets of phi relative to an open floor, per node:
    ``sum_k w_k vis_k max(0, d_k . n)`` with n = grad phi / |grad phi| (into the solid;
    central differences, periodic in y and x, one-sided at the z ends)."""
    xp = array_module(phi)
    grads = []
    for axis in range(3):
        if phi.shape[axis] == 1:
            grads.append(xp.zeros_like(phi))
            continue
        if axis == 0:
            g = xp.empty_like(phi)
            g[1:-1] = (phi[2:] - phi[:-2]) / (2 * spacing[0])
            g[0] = (phi[1] - phi[0]) / spacing[0]
            g[-1] = (phi[-1] - phi[-2]) / spacing[0]
        else:
            g = (xp.roll(phi, -1, axis) - xp.roll(phi, 1, axis)) / (2 * spacing[axis])
        grads.append(g)
    norm = xp.sqrt(grads[0] ** 2 + grads[1] ** 2 + grads[2] ** 2)
    norm = xp.where(norm > 0, norm, 1.0)
    flux = xp.zeros_like(phi)
    for k, (d, w) in enumerate(zip(np.asarray(directions).reshape(-1, 3), weights)):
        cos = (d[0] * grads[0] + d[1] * grads[1] + d[2] * grads[2]) / norm
        term = float(w) * xp.maximum(cos, 0.0)
        if vis is not None:
            term = xp.where((vis >> np.uint32(k)) & np.uint32(1), term, 0.0)
        flux = flux + term
    return flux


def passivation_factor(phi: Any, spacing: tuple[float, float, float], directions: np.ndarray,
                       weights: np.ndarray, vis: Any, passivation: Passivation) -> Any:
    """Isotropic rate factor per node from the ion flux through the surface."""
    return passivation.factor(ion_flux(phi, spacing, directions, weights, vis))
