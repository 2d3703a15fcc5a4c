"""Level-set evolution on a regular grid: upwind Hamiltonian, RK2 step, re-initialisation.

Array-module generic (numpy or CuPy): this is the GPU path and the reference that the
Cython kernel (``litho._kernels.levelset``) is tested against; on the CPU the kernel is
used for speed.

Grid and signs
--------------
``phi`` is a float64 volume ``(nz, ny, nx)``, z index 0 at the top and z growing down,
spacing ``(dz, dy, dx)`` nm. ``phi > 0`` in solid material, ``phi < 0`` in void. A 2-D
cross-section has ``ny == 1`` (no y derivative). x and y are periodic, z has zero-gradient
ends.

Scheme
------
One-sided ENO2 differences (Osher & Fedkiw 2003, ch. 3) with minmod-limited second
differences. The Hamiltonian is

    H = f_iso G + sum_k f_dir w_k vis_k max(0, sum_a d_ka U_ka)

with G the Osher-Sethian upwind gradient norm for a speed >= 0 (Engquist-Osher for
F |grad phi|), or G = 1 when phi is known to be a signed distance (``distance=True``),
and U_ka the backward difference where the ion direction d_k has a positive component
(it travels towards +a) and the forward one where negative: the directional term is
upwind advection along d_k, clipped so that surfaces facing away are not etched (flux
proportional to the cosine of the incidence angle). ``phi_t + H = 0``: solid shrinks.
With ``distance=True`` the isotropic term moves the zero level by exactly ``f_iso dt``
wherever phi is a signed distance, whatever the shape: the distance to the void grown by
a ball of radius r is the old distance less r (a Minkowski sum). The upwind G, in
contrast, is far below 1 beside the kink of a distance function (a mask corner seen from
the film under it: about 0.3 for the first cell), which delays the round undercut below
an inert mask by more than a cell; the etch keeps phi a distance by re-initialising it.
Time: Heun (TVD RK2). Re-initialisation: Russo & Smereka (2000) with the subcell fix in the
multi-dimensional form of du Chene, Min & Gibou (2008), which keeps the zero level in
place to second order.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..backend import array_module

__all__ = ["hamiltonian", "rk2_step", "reinitialize", "cfl_dt", "gradient_norm"]


def _axes(phi: Any) -> list[int]:
    """Axes that carry derivatives: z, y (unless ny == 1), x."""
    return [0, 2] if phi.shape[1] == 1 else [0, 1, 2]


def _padded(xp: Any, phi: Any, axis: int) -> Any:
    """phi with two ghost layers along ``axis``: periodic in y and x, replicated in z."""
    mode = "edge" if axis == 0 else "wrap"
    pad = [(0, 0)] * 3
    pad[axis] = (2, 2)
    return xp.pad(phi, pad, mode=mode)


def _minmod(xp: Any, a: Any, b: Any) -> Any:
    return xp.where(a * b <= 0, 0.0, xp.where(xp.abs(a) < xp.abs(b), a, b))


def _one_sided(xp: Any, phi: Any, axis: int, h: float, order: int) -> tuple[Any, Any]:
    """Backward and forward ENO differences (Dm, Dp) along ``axis``."""
    p = _padded(xp, phi, axis)
    n = phi.shape[axis]

    def s(k: int) -> Any:  # phi shifted by k along the axis (k in -2..2)
        idx = [slice(None)] * 3
        idx[axis] = slice(2 + k, 2 + k + n)
        return p[tuple(idx)]

    dm = s(0) - s(-1)
    dp = s(1) - s(0)
    if order == 2:
        d2m, d2c, d2p = s(0) - 2 * s(-1) + s(-2), s(1) - 2 * s(0) + s(-1), s(2) - 2 * s(1) + s(0)
        dm = dm + 0.5 * _minmod(xp, d2m, d2c)
        dp = dp - 0.5 * _minmod(xp, d2c, d2p)
    return dm / h, dp / h


def hamiltonian(phi: Any, spacing: tuple[float, float, float], f_iso: Any, f_dir: Any, vis: Any,
                directions: np.ndarray, weights: np.ndarray, band: float = math.inf, order: int = 2,
                distance: bool = False) -> Any:
    """H at every node (0 where ``|phi| > band``); see the module docstring.

    Parameters
    ----------
    phi : array (nz, ny, nx) float64
    spacing : (dz, dy, dx) nm
    f_iso, f_dir : arrays (nz, ny, nx) or scalars, nm/s >= 0
        Isotropic and directional rates.
    vis : array (nz, ny, nx) uint32 or None
        Bit k set where direction k reaches the node (None: all visible).
    directions : (K, 3) unit vectors (z, y, x) the ions travel along (down is +z).
    weights : (K,) flux weights.
    band : float, nm
        Nodes farther from the surface than this are not moved.
    order : 1 or 2
    distance : bool
        phi is a signed distance: the isotropic term is ``f_iso`` (G = 1).
    """
    xp = array_module(phi)
    ions = len(np.asarray(weights).reshape(-1)) > 0
    # the differences feed G and the ion terms: none are needed for G = 1 without ions
    diffs = {a: _one_sided(xp, phi, a, spacing[a], order) for a in _axes(phi)} if ions or not distance else {}
    if distance:
        h = f_iso + xp.zeros_like(phi)
    else:
        g2 = sum(xp.maximum(dm, 0.0) ** 2 + xp.minimum(dp, 0.0) ** 2 for dm, dp in diffs.values())
        h = f_iso * xp.sqrt(g2)
    for k, (d, w) in enumerate(zip(np.asarray(directions, dtype=float).reshape(-1, 3), weights)):
        along = 0.0
        for a, (dm, dp) in diffs.items():
            if d[a] > 0:
                along = along + d[a] * dm
            elif d[a] < 0:
                along = along + d[a] * dp
        term = xp.maximum(along, 0.0) * (f_dir * float(w))
        if vis is not None:
            term = xp.where((vis >> np.uint32(k)) & np.uint32(1), term, 0.0)
        h = h + term
    if math.isfinite(band):
        h = xp.where(xp.abs(phi) > band, 0.0, h)
    return h


def rk2_step(phi: Any, dt: float, spacing: tuple[float, float, float], f_iso: Any, f_dir: Any, vis: Any,
             directions: np.ndarray, weights: np.ndarray, band: float = math.inf, order: int = 2,
             distance: bool = False) -> Any:
    """One Heun (TVD RK2) step of ``phi_t + H(phi) = 0``; returns the new phi."""
    args = (spacing, f_iso, f_dir, vis, directions, weights, band, order, distance)
    p1 = phi - dt * hamiltonian(phi, *args)
    p2 = p1 - dt * hamiltonian(p1, *args)
    return 0.5 * (phi + p2)


def cfl_dt(spacing: tuple[float, float, float], ny: int, f_iso_max: float, f_dir_max: float,
           directions: np.ndarray, weights: np.ndarray, cfl: float = 0.5) -> float:
    """Largest stable step, s: ``cfl / alpha`` with alpha the bound on |dH/d(grad phi)| / h.

    Returns inf when every rate is zero.
    """
    axes = [0, 2] if ny == 1 else [0, 1, 2]
    inv = np.array([1.0 / spacing[a] for a in axes])
    alpha = f_iso_max * float(np.sqrt(np.sum(inv**2)))
    d = np.asarray(directions, dtype=float).reshape(-1, 3)[:, axes]
    alpha += f_dir_max * float(np.sum(np.asarray(weights, dtype=float) * (np.abs(d) @ inv)))
    return math.inf if alpha == 0 else cfl / alpha


def gradient_norm(phi: Any, spacing: tuple[float, float, float]) -> Any:
    """|grad phi| by central differences (one-sided at the z ends), for checks."""
    xp = array_module(phi)
    total = 0.0
    for a in _axes(phi):
        dm, dp = _one_sided(xp, phi, a, spacing[a], 1)
        total = total + (0.5 * (dm + dp)) ** 2
    return xp.sqrt(total)


def _dilate(xp: Any, mask: Any, k: int) -> Any:
    """mask OR-ed over a box of k cells about each node (y, x periodic; z ends)."""
    out = mask
    for axis in _axes(mask):
        acc = out
        for j in range(1, k + 1):
            for sign in (1, -1):
                if axis == 0:
                    shifted = xp.zeros_like(out)
                    if j < out.shape[0]:
                        if sign > 0:
                            shifted[j:] = out[:-j]
                        else:
                            shifted[:-j] = out[j:]
                else:
                    shifted = xp.roll(out, sign * j, axis=axis)
                acc = acc | shifted
        out = acc
    return out


def reinitialize(phi: Any, spacing: tuple[float, float, float], iterations: int, band: float = math.inf,
                 keep_near: bool = False, reach: int | None = None) -> Any:
    """phi re-initialised towards a signed distance with the same zero level.

    ``iterations`` Jacobi iterations of pseudo-time step 0.45 min(h) (each moves
    information by that distance, so a band of b nm needs about b / (0.45 h) of them).
    The nodes beside the surface (a sign change to an axis neighbour) start from, and are
    pulled towards, their subcell distance ``phi0 / |grad phi0|``, whatever the scale of
    phi0; the other nodes with ``|phi0| > band`` keep their value; the result is clipped
    to the band. ``keep_near`` holds the nodes beside the surface at their input values
    (already subcell distances: a second estimate would move a kinked surface again) and
    only spreads the distance out from them. ``iterations == 0`` only clips.

    ``reach`` (cells, optional) freezes instead the nodes (not beside the surface) that no
    node with ``|phi0| < band`` or beside the surface reaches within ``reach`` cells along
    every axis (a box; y and x periodic): the clipped values at the band's edge rejoin it
    as the surface comes towards them, and nothing farther is iterated (the Cython
    kernel then skips it).
    """
    xp = array_module(phi)
    phi0 = phi
    if int(iterations) == 0:
        return xp.clip(phi0, -band, band) if math.isfinite(band) else phi0
    hmin = min(spacing[a] for a in _axes(phi))
    dtau = 0.45 * hmin
    axes = _axes(phi)
    sign = xp.sign(phi0)
    near = phi0 == 0
    grad0 = 0.0
    for a in axes:
        p = _padded(xp, phi0, a)
        n = phi0.shape[a]
        idx = [slice(None)] * 3
        idx[a] = slice(1, 1 + n)
        minus = p[tuple(idx)]
        idx[a] = slice(3, 3 + n)
        plus = p[tuple(idx)]
        near = near | (phi0 * minus <= 0) | (phi0 * plus <= 0)
        h = spacing[a]
        g = xp.maximum(xp.maximum(xp.abs(plus - minus) / (2 * h), xp.abs(plus - phi0) / h), xp.abs(phi0 - minus) / h)
        grad0 = grad0 + xp.maximum(g, 1e-12) ** 2
    dist0 = phi0 / xp.sqrt(grad0)
    if reach is not None:
        frozen = ~_dilate(xp, near | (xp.abs(phi0) < band), int(reach))
    else:
        frozen = (xp.abs(phi0) > band) & ~near if math.isfinite(band) else None
    # start the nodes beside the surface at their subcell distance: the iteration pulls them
    # there only geometrically (factor 0.55 per step), too slowly from a level function of
    # a very different scale (a time-based one, say)
    if keep_near:
        dist0 = phi0
    cur = xp.where(near, dist0, phi0)
    for _ in range(int(iterations)):
        pos = 0.0
        neg = 0.0
        for a in axes:
            dm, dp = _one_sided(xp, cur, a, spacing[a], 2)
            pos = pos + xp.maximum(xp.maximum(dm, 0.0) ** 2, xp.minimum(dp, 0.0) ** 2)
            neg = neg + xp.maximum(xp.minimum(dm, 0.0) ** 2, xp.maximum(dp, 0.0) ** 2)
        g = xp.where(sign > 0, xp.sqrt(pos), xp.sqrt(neg))
        far = cur - dtau * sign * (g - 1.0)
        close = cur - (dtau / hmin) * (sign * xp.abs(cur) - dist0)
        new = xp.where(near, close, far)
        if frozen is not None:
            new = xp.where(frozen, phi0, new)
        cur = new
    if math.isfinite(band):
        cur = xp.clip(cur, -band, band)
    return cur
