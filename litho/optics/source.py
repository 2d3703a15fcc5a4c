"""Illumination sources in sigma space (partial coherence).

A source point ``(sx, sy)`` is in sigma units (dimensionless, normalised to the pupil
radius); it shifts the illumination spatial frequency by ``f_s = sigma * NA / wavelength``
(1/nm), and the imaging code evaluates the pupil at ``P(f + f_s)``.

:meth:`Source.sample` discretises a source on square cells centred on multiples of the
step, each weighted by the exact area of the cell inside the shape (see
:mod:`litho.optics._source_grid`), so images converge smoothly as the step shrinks.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import numbers
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np

from .._validate import positive_number
from ..errors import InvalidParameterError
from . import _source_grid as grid

__all__ = ["DEFAULT_SOURCE_STEP", "Source"]

#: Default source sampling step in sigma units: cells of 0.05 x 0.05, i.e. about 1250
#: points for a full sigma = 1 disk. Pass a smaller ``step`` to :meth:`Source.sample` for
#: higher accuracy (errors in images fall roughly as step^2).
DEFAULT_SOURCE_STEP = 0.05

_KINDS = ("conventional", "annular", "multipole", "freeform")
_KEY_VERSION = "litho.optics.Source/1"


def _number(name: str, value: Any, lo: float, hi: float, allowed: str,
            lo_open: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise InvalidParameterError(name, value, allowed)
    v = float(value)
    if v > hi or v < lo or (lo_open and v == lo):
        raise InvalidParameterError(name, value, allowed)
    return v


def _ring(sigma_in: Any, sigma_out: Any) -> tuple[float, float]:
    r_out = _number("sigma_out", sigma_out, 0.0, 1.0, "a number in (0, 1]", lo_open=True)
    r_in = _number("sigma_in", sigma_in, 0.0, 1.0, f"a number in [0, sigma_out) = [0, {r_out:g})")
    if r_in >= r_out:
        raise InvalidParameterError("sigma_in", sigma_in, f"a number in [0, sigma_out) = [0, {r_out:g})")
    return r_in, r_out


@dataclass(frozen=True)
class Source:
    """An illumination source: a non-negative intensity distribution over sigma space.

    Build sources with the class methods (:meth:`conventional`, :meth:`annular`,
    :meth:`dipole`, :meth:`quasar`, :meth:`quadrupole`, :meth:`multipole`,
    :meth:`freeform`) and :meth:`gaussian_blur`; the fields below are their canonical
    description (validated here too, so a direct construction is checked the same way).

    Parameters
    ----------
    kind : {"conventional", "annular", "multipole", "freeform"}
        The shape family.
    sigma_in, sigma_out : float
        Inner and outer radius, sigma units (conventional: ``sigma_in = 0``, ``sigma_out = sigma``).
    n_poles : int
        Number of poles (multipole only; 0 otherwise).
    opening_deg : float
        Angular width of each pole, degrees (multipole only).
    rotation_deg : float
        Centre angle of the first pole, degrees from +sigma_x, stored modulo ``360 / n_poles``.
    blur : float
        Standard deviation of the Gaussian the shape is convolved with, sigma units (>= 0).
    extent : float
        Half-width of the square a freeform map covers, sigma units.
    intensity : bytes
        Freeform map as float64 bytes (C order), scaled to maximum 1; ``b""`` otherwise.
    intensity_shape : (int, int)
        (ny, nx) of the freeform map.
    """

    kind: str
    sigma_in: float = 0.0
    sigma_out: float = 0.0
    n_poles: int = 0
    opening_deg: float = 0.0
    rotation_deg: float = 0.0
    blur: float = 0.0
    extent: float = 1.0
    intensity: bytes = field(default=b"", repr=False)
    intensity_shape: tuple[int, int] = (0, 0)

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise InvalidParameterError("kind", self.kind, "one of " + ", ".join(map(repr, _KINDS)))
        set_ = functools.partial(object.__setattr__, self)
        set_("blur", _number("blur", self.blur, 0.0, math.inf, "a finite number >= 0 (sigma units)"))
        if self.kind == "conventional":
            set_("sigma_out", _number("sigma", self.sigma_out, 0.0, 1.0, "a number in [0, 1]"))
            if self.sigma_in != 0:
                raise InvalidParameterError("sigma_in", self.sigma_in, "0 for a conventional source")
        elif self.kind in ("annular", "multipole"):
            r_in, r_out = _ring(self.sigma_in, self.sigma_out)
            set_("sigma_in", r_in)
            set_("sigma_out", r_out)
        if self.kind == "multipole":
            n = self.n_poles
            if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
                raise InvalidParameterError("n_poles", n, "an integer >= 1")
            set_("n_poles", int(n))
            period = 360.0 / int(n)
            set_("opening_deg", _number("opening_deg", self.opening_deg, 0.0, period,
                                        f"an angle in (0, 360/n_poles] = (0, {period:g}] degrees",
                                        lo_open=True))
            rot = _number("rotation_deg", self.rotation_deg, -math.inf, math.inf, "a finite angle in degrees")
            set_("rotation_deg", float(rot % period) if rot % period != period else 0.0)
        if self.kind == "freeform":
            set_("extent", positive_number("extent", self.extent, "sigma units"))
            shape = tuple(int(s) for s in self.intensity_shape)
            if len(shape) != 2 or min(shape) < 1 or len(self.intensity) != 8 * shape[0] * shape[1]:
                raise InvalidParameterError("intensity_shape", self.intensity_shape,
                                            "(ny, nx) matching the freeform intensity bytes")
            set_("intensity_shape", shape)
            arr = np.frombuffer(self.intensity, dtype=np.float64)
            if not np.isfinite(arr).all() or (arr < 0).any() or not (arr > 0).any():
                raise InvalidParameterError("intensity", "<freeform map>",
                                            "finite, non-negative values, not all zero")

    # -- constructors ---------------------------------------------------------------------

    @classmethod
    def conventional(cls, sigma: float) -> Source:
        """Uniform disk of radius ``sigma`` in [0, 1]; ``sigma = 0`` is one on-axis point."""
        return cls("conventional", sigma_out=_number("sigma", sigma, 0.0, 1.0, "a number in [0, 1]"))

    @classmethod
    def annular(cls, sigma_in: float, sigma_out: float) -> Source:
        """Uniform ring ``sigma_in <= |sigma| <= sigma_out`` with 0 <= sigma_in < sigma_out <= 1."""
        r_in, r_out = _ring(sigma_in, sigma_out)
        return cls("annular", sigma_in=r_in, sigma_out=r_out)

    @classmethod
    def multipole(cls, sigma_in: float, sigma_out: float, n_poles: int, opening_deg: float,
                  rotation_deg: float = 0.0) -> Source:
        """``n_poles`` annular sectors, each ``opening_deg`` wide (0 < opening <= 360/n_poles),
        centred at ``rotation_deg + k * 360 / n_poles`` degrees from the +sigma_x axis."""
        r_in, r_out = _ring(sigma_in, sigma_out)
        return cls("multipole", sigma_in=r_in, sigma_out=r_out, n_poles=n_poles,
                   opening_deg=opening_deg, rotation_deg=rotation_deg)

    @classmethod
    def dipole(cls, sigma_in: float, sigma_out: float, opening_deg: float,
               axis: Literal["x", "y"] = "x") -> Source:
        """Two annular sectors of ``opening_deg`` (<= 180) centred on the +-x (or +-y) axis."""
        if axis not in ("x", "y"):
            raise InvalidParameterError("axis", axis, "one of 'x', 'y'")
        return cls.multipole(sigma_in, sigma_out, 2, opening_deg, 0.0 if axis == "x" else 90.0)

    @classmethod
    def quasar(cls, sigma_in: float, sigma_out: float, opening_deg: float,
               rotation_deg: float = 45.0) -> Source:
        """Four annular sectors of ``opening_deg`` (<= 90) centred at ``rotation_deg + k * 90``."""
        return cls.multipole(sigma_in, sigma_out, 4, opening_deg, rotation_deg)

    @classmethod
    def quadrupole(cls, sigma_in: float, sigma_out: float, opening_deg: float,
                   rotation_deg: float = 0.0) -> Source:
        """Like :meth:`quasar` with poles on the axes by default (``rotation_deg = 0``)."""
        return cls.multipole(sigma_in, sigma_out, 4, opening_deg, rotation_deg)

    @classmethod
    def freeform(cls, intensity: Any, extent: float = 1.0) -> Source:
        """Pixelated source map.

        Parameters
        ----------
        intensity : array_like, (ny, nx)
            Non-negative, finite, not all zero. Pixel ``(r, c)`` is the square of side
            ``2 * extent / n`` centred at ``sigma_x = -extent + (c + 1/2) * 2 extent / nx``,
            ``sigma_y = -extent + (r + 1/2) * 2 extent / ny`` (rows are sigma_y). The map is
            taken as constant over each pixel; only its shape matters (it is scaled to
            maximum 1). Light outside ``|sigma| <= 1`` is dropped when sampling.
        extent : float
            Half-width of the square the map covers, sigma units (> 0).
        """
        try:
            arr = np.array(intensity, dtype=np.float64)
        except (TypeError, ValueError):
            raise InvalidParameterError("intensity", intensity, "a 2-D array of non-negative numbers") from None
        if arr.ndim != 2 or arr.size == 0:
            raise InvalidParameterError("intensity", intensity, "a non-empty 2-D array (rows = sigma_y)")
        if not np.isfinite(arr).all() or (arr < 0).any() or not (arr > 0).any():
            raise InvalidParameterError("intensity", intensity,
                                        "finite, non-negative values, not all zero")
        extent = positive_number("extent", extent, "sigma units")
        arr = np.ascontiguousarray(arr / arr.max())
        return cls("freeform", extent=extent, intensity=arr.tobytes(), intensity_shape=arr.shape)

    def gaussian_blur(self, sigma_blur: float) -> Source:
        """This source convolved with an isotropic Gaussian of standard deviation ``sigma_blur``.

        Blurs compose (``sqrt(b1^2 + b2^2)``). When sampled, light blurred beyond the unit
        circle ``|sigma| = 1`` is dropped (it falls outside the pupil fill of a real
        illuminator) and the weights are renormalised. A blur much below the sampling step
        is resolved only as well as the grid allows (the kernel is the Gaussian sampled at
        cell centres and normalised).
        """
        b = _number("sigma_blur", sigma_blur, 0.0, math.inf, "a finite number >= 0 (sigma units)")
        return replace(self, blur=math.hypot(self.blur, b))

    # -- properties -----------------------------------------------------------------------

    @property
    def intensity_map(self) -> np.ndarray | None:
        """The freeform map (read-only (ny, nx) float64, maximum 1), or None for other kinds."""
        if self.kind != "freeform":
            return None
        arr = np.frombuffer(self.intensity, dtype=np.float64).reshape(self.intensity_shape)
        return arr  # frombuffer on bytes is read-only

    @property
    def sigma_max(self) -> float:
        """Largest |sigma| carrying weight (sigma units, <= 1); with blur, ``+ 4 * blur``."""
        if self.kind == "freeform":
            ny, nx = self.intensity_shape
            rows, cols = np.nonzero(self.intensity_map)
            e = self.extent
            # farthest corner of any lit pixel
            x = np.maximum(np.abs(-e + cols * (2 * e / nx)), np.abs(-e + (cols + 1) * (2 * e / nx)))
            y = np.maximum(np.abs(-e + rows * (2 * e / ny)), np.abs(-e + (rows + 1) * (2 * e / ny)))
            base = float(np.sqrt(x * x + y * y).max())
        else:
            base = self.sigma_out
        return min(1.0, base + 4.0 * self.blur)

    def key(self) -> str:
        """Stable SHA-256 hex digest of the kind, parameters and freeform data (a cache key
        valid across processes and sessions)."""
        params = {
            "version": _KEY_VERSION, "kind": self.kind, "sigma_in": repr(self.sigma_in),
            "sigma_out": repr(self.sigma_out), "n_poles": self.n_poles,
            "opening_deg": repr(self.opening_deg), "rotation_deg": repr(self.rotation_deg),
            "blur": repr(self.blur), "extent": repr(self.extent),
            "intensity_shape": list(self.intensity_shape),
            "intensity": hashlib.sha256(self.intensity).hexdigest(),
        }
        return hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()

    def __repr__(self) -> str:
        if self.kind == "conventional":
            text = f"Source.conventional(sigma={self.sigma_out:g})"
        elif self.kind == "annular":
            text = f"Source.annular(sigma_in={self.sigma_in:g}, sigma_out={self.sigma_out:g})"
        elif self.kind == "multipole":
            ring = f"sigma_in={self.sigma_in:g}, sigma_out={self.sigma_out:g}"
            if self.n_poles == 2 and self.rotation_deg in (0.0, 90.0):
                axis = "x" if self.rotation_deg == 0.0 else "y"
                text = f"Source.dipole({ring}, opening_deg={self.opening_deg:g}, axis={axis!r})"
            elif self.n_poles == 4 and self.rotation_deg in (0.0, 45.0):
                name = "quasar" if self.rotation_deg == 45.0 else "quadrupole"
                text = f"Source.{name}({ring}, opening_deg={self.opening_deg:g})"
            else:
                text = (f"Source.multipole({ring}, n_poles={self.n_poles}, "
                        f"opening_deg={self.opening_deg:g}, rotation_deg={self.rotation_deg:g})")
        else:
            ny, nx = self.intensity_shape
            text = f"Source.freeform(<{ny}x{nx} map, digest {self.key()[:12]}>, extent={self.extent:g})"
        return text + (f".gaussian_blur({self.blur:g})" if self.blur else "")

    # -- sampling -------------------------------------------------------------------------

    def sample(self, step: float | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Discretise the source into weighted points.

        Parameters
        ----------
        step : float, optional
            Cell size in sigma units (> 0); default :data:`DEFAULT_SOURCE_STEP`. Cells are
            centred on multiples of ``step``, so (0, 0) is a cell centre.

        Returns
        -------
        points : numpy.ndarray, (S, 2) float64
            Cell centres ``[sx, sy]`` (sigma units) of the cells carrying weight, in row-major
            order (sy, then sx, ascending).
        weights : numpy.ndarray, (S,) float64
            Each cell's share of the source: the exact area of the cell inside the shape
            (for blurred and freeform sources, the integral of the distribution over the
            cell), normalised to sum 1. Cells with no weight are left out.
        """
        step = DEFAULT_SOURCE_STEP if step is None else positive_number("step", step, "sigma units")
        points, weights = _sample_cached(self, step)
        return points.copy(), weights.copy()


# Module state: a small cache of sampled sources (read-only results; sample() returns copies).
@functools.lru_cache(maxsize=16)
def _sample_cached(source: Source, step: float) -> tuple[np.ndarray, np.ndarray]:
    if source.kind == "conventional" and source.sigma_out == 0.0 and source.blur == 0.0:
        return np.zeros((1, 2)), np.ones(1)
    m = grid.grid_half_width(source.sigma_max, step)
    grid.check_grid(m, repr(source))
    if source.kind == "conventional":
        w = grid.disk_coverage(source.sigma_out, m, step)
        if source.sigma_out == 0.0:  # a blurred point source: a delta at the centre cell
            w[m, m] = 1.0
    elif source.kind == "annular":
        w = grid.annulus_coverage(source.sigma_in, source.sigma_out, m, step)
    elif source.kind == "multipole":
        w = grid.multipole_coverage(source.sigma_in, source.sigma_out, source.n_poles,
                                    source.opening_deg, source.rotation_deg, m, step)
    else:
        w = grid.freeform_coverage(source.intensity_map, source.extent, m, step)
    if source.blur > 0.0:
        w = grid.blur(w, source.blur, step)
    total = w.sum()
    if not total > 0.0:  # e.g. a freeform map lit only outside |sigma| <= 1
        raise InvalidParameterError("source", source, "a source with light inside |sigma| <= 1")
    rows, cols = np.nonzero(w)
    c = grid.centres(m, step)
    points = np.stack([c[cols], c[rows]], axis=1)
    weights = w[rows, cols] / total
    return points, weights
