"""The level-set operations of one etch on its backend.

numpy volumes go through the Cython kernel ``litho._kernels.levelset`` (row-parallel with
OpenMP, rows and 8-node chunks with no band node skipped, scratch volumes allocated once per run);
CuPy volumes through the array code of :mod:`litho.etch.levelset`, which is also the
reference the kernel is tested against (they agree to rounding).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..backend import array_module
from . import levelset

__all__ = ["LevelSetEngine", "distance_from", "reinit_iterations"]


class LevelSetEngine:
    """Steps and re-initialises level functions of one grid on one backend.

    Parameters
    ----------
    like : array (nz, ny, nx)
        A volume of the grid, numpy or CuPy: picks the backend.
    spacing : (dz, dy, dx) nm
    directions : (K, 3) unit vectors (z, y, x) of the ion flux; weights : (K,)
    band : float
        Half-width of the narrow band, nm.
    order : 1 or 2
        Spatial order of the upwind differences.
    distance : bool
        The level functions stepped are signed distances (kept so by re-initialisation):
        the isotropic term is the rate itself (see :mod:`litho.etch.levelset`).
    kernel : bool
        Use the Cython kernel for numpy volumes (False: the array code, as on the GPU).
    """

    def __init__(self, like: Any, spacing: tuple[float, float, float], directions: np.ndarray | None = None,
                 weights: np.ndarray | None = None, band: float = math.inf, order: int = 2,
                 distance: bool = False, kernel: bool = True) -> None:
        self.xp = array_module(like)
        self.spacing = tuple(float(s) for s in spacing)
        self.directions = np.zeros((0, 3)) if directions is None else np.ascontiguousarray(directions, dtype=np.float64)
        self.weights = np.zeros(0) if weights is None else np.ascontiguousarray(weights, dtype=np.float64)
        self.band = float(band)
        self.order = int(order)
        self.distance = bool(distance)
        self._kernel = None
        if self.xp is np and kernel:
            from .._kernels import levelset

            self._kernel = levelset
            self._work = (np.empty(like.shape), np.empty(like.shape))

    def visibility(self, phi: Any) -> Any:
        """Bit k set where ion direction k reaches the node (see :mod:`litho.etch.visibility`)."""
        if self._kernel is None:
            from .visibility import visibility

            return visibility(phi > 0, self.spacing, self.directions)
        return self._kernel.visibility(phi > 0, self.spacing, self.directions)

    def prepare(self, phi: Any) -> Any:
        """phi as a private float64 C-contiguous volume that :meth:`step` and
        :meth:`reinitialize` may overwrite."""
        if self._kernel is None:
            return self.xp.array(phi, dtype=self.xp.float64)
        return np.array(phi, dtype=np.float64, order="C", copy=True)

    def rates(self, f: Any) -> Any:
        """A rate volume in the layout the backend reads (float64, C order)."""
        return self.xp.ascontiguousarray(self.xp.asarray(f, dtype=self.xp.float64))

    def step(self, phi: Any, dt: float, f_iso: Any, f_dir: Any, vis: Any) -> Any:
        """One Heun step of ``phi_t + H(phi) = 0`` (phi is consumed: it may be overwritten)."""
        if self._kernel is None:
            return levelset.rk2_step(phi, dt, self.spacing, f_iso, f_dir, vis, self.directions, self.weights,
                                     self.band, self.order, self.distance)
        return self._kernel.rk2_step(phi, float(dt), self.spacing, f_iso, f_dir, vis, self.directions,
                                     self.weights, self.band, self.order, *self._work, distance=self.distance)

    def reinitialize(self, phi: Any, iterations: int, band: float, keep_near: bool = False,
                     reach: int | None = None) -> Any:
        """Re-initialised phi (see :func:`litho.etch.levelset.reinitialize`; phi is consumed)."""
        if self._kernel is None:
            return levelset.reinitialize(phi, self.spacing, iterations, band, keep_near, reach)
        return self._kernel.reinitialize(phi, self.spacing, int(iterations), float(band), *self._work,
                                         keep_near=bool(keep_near), reach=reach)


def distance_from(phi: Any, spacing: tuple[float, float, float], band: float) -> Any:
    """A level function of any scale made a signed distance within ``band`` nm.

    The nodes beside the zero level first get their subcell distance (everything else is
    clipped to the band), then the distance spreads out from them with those nodes held:
    the zero level stays where phi puts it, whatever phi's scale.
    """
    ny = phi.shape[1]
    h = min(spacing) if ny > 1 else min(spacing[0], spacing[2])
    engine = LevelSetEngine(phi, spacing)
    out = engine.reinitialize(engine.prepare(phi), 1, band)
    # nodes more than a band from every node inside it stay clipped: not iterated
    return engine.reinitialize(out, 2 * reinit_iterations(band, h), band, keep_near=True,
                               reach=math.ceil(band / h) + 2)


def reinit_iterations(band: float, h: float) -> int:
    """Re-initialisation iterations that carry the distance across a band of ``band`` nm."""
    return math.ceil(band / (0.45 * h)) + 2
