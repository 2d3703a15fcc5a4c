"""Development-rate models: rate of dissolution R(m) in nm/s of the inhibitor fraction m.

``m`` is the relative concentration of dissolution inhibitor (DNQ resists) or of blocked
(protected) sites (chemically amplified resists): 1 before exposure, falling towards 0
where the resist is exposed. Every model is a frozen dataclass with ``.rate(m)`` (bulk
rate, any array shape, numpy or CuPy) and ``.rate_volume(m, dz)`` for an (nz, ny, nx)
volume with z = 0 at the resist top, which adds the depth-dependent factors
(:class:`SurfaceInhibition`). Models:

- :class:`Mack` -- the original kinetic model (Mack 1987):
  ``R = R_max (a+1)(1-m)^n / (a + (1-m)^n) + R_min``, ``a = (n+1)/(n-1) (1-m_th)^n``;
- :class:`EnhancedMack` -- enhancement and inhibition reactions (Mack 1992):
  ``R = R_resin (1 + k_enh (1-m)^n) / (1 + k_inh m^l)``, ``k_enh = R_max/R_resin - 1``,
  ``k_inh = R_resin/R_min - 1``;
- :class:`Notch` -- Mack's model with a notch (Arthur et al. 1997):
  ``R = R_max (1-m)^n (a+1)(1-m)^n_notch / (a + (1-m)^n_notch) + R_min``,
  ``a = (n_notch+1)/(n_notch-1) (1-m_th,notch)^n_notch``;
- :class:`SurfaceInhibition` -- any model times ``1 - (1 - r_0) exp(-z/delta)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validate import number_in, positive_number, real_array
from ..backend import array_module
from ..errors import InvalidParameterError
from .exposure import depths

__all__ = ["RateModel", "Mack", "EnhancedMack", "Notch", "SurfaceInhibition", "inhibitor"]


def inhibitor(m: Any, name: str = "m") -> Any:
    """``m`` as a float array checked to lie in [0, 1] (numpy or CuPy, kept on its device)."""
    return real_array(name, m, low=0.0, high=1.0, what="an inhibitor fraction array")


def _exponent_above_one(name: str, value: Any) -> float:
    value = positive_number(name, value)
    if value <= 1.0:
        raise InvalidParameterError(name, value, "a finite number > 1 (the model divides by n - 1)")
    return value


def _mack_a(n: float, m_th: float) -> float:
    """Mack's constant ``a = (n + 1)/(n - 1) (1 - m_th)^n``."""
    return (n + 1.0) / (n - 1.0) * (1.0 - m_th) ** n


def _mack_switch(free: Any, n: float, m_th: float) -> Any:
    """Mack's threshold term ``(a + 1) u / (a + u)``, ``u = (1 - m)^n``: 0 at m = 1, 1 at m = 0."""
    xp = array_module(free)
    u = xp.power(free, n)
    a = _mack_a(n, m_th)
    return (a + 1.0) * u / (a + u)


def _rates(owner: str, r_max: Any, r_min: Any) -> tuple[float, float]:
    r_max = positive_number(f"{owner}.r_max", r_max, "nm/s")
    r_min = positive_number(f"{owner}.r_min", r_min, "nm/s")
    if r_min >= r_max:
        raise InvalidParameterError(f"{owner}.r_min", r_min, f"a rate below r_max = {r_max:g} nm/s")
    return r_max, r_min


class RateModel:
    """Interface of the development-rate models (see the module docstring)."""

    def rate(self, m: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def rate_volume(self, m: Any, dz: float) -> Any:
        """Rate (nm/s) of an (nz, ny, nx) inhibitor volume; bulk models ignore depth.

        Parameters
        ----------
        m : array (nz, ny, nx)
            Inhibitor fraction at voxel centres, z = (iz + 1/2) dz below the resist top.
        dz : float
            Voxel height, nm.
        """
        return self.rate(m)

    def inverse(self, rate: float) -> float:
        """The inhibitor fraction m in [0, 1] whose bulk rate is ``rate`` nm/s.

        Solved by bisection (the models are decreasing in m); a closed form where the
        model has one.
        """
        lo, hi = float(self.rate(np.array(1.0))), float(self.rate(np.array(0.0)))
        rate = number_in("rate", rate, lo, hi, "nm/s")
        a, b = 0.0, 1.0
        for _ in range(200):
            mid = 0.5 * (a + b)
            if float(self.rate(np.array(mid))) > rate:
                a = mid
            else:
                b = mid
            if b - a < 1e-15:
                break
        return 0.5 * (a + b)


@dataclass(frozen=True)
class Mack(RateModel):
    """Mack's kinetic development model (Mack 1987).

    Parameters
    ----------
    r_max : float
        Rate of fully exposed resist (m = 0), nm/s (the model gives ``r_max + r_min`` there).
    r_min : float
        Rate of unexposed resist (m = 1), nm/s.
    n : float
        Dissolution selectivity (reaction order), > 1.
    m_th : float
        Threshold inhibitor concentration, in [0, 1).

    Examples
    --------
    >>> round(float(Mack(100.0, 0.1, 5.0, 0.5).rate(0.5)), 3)
    41.975
    """

    r_max: float
    r_min: float
    n: float
    m_th: float

    def __post_init__(self) -> None:
        r_max, r_min = _rates("Mack", self.r_max, self.r_min)
        object.__setattr__(self, "r_max", r_max)
        object.__setattr__(self, "r_min", r_min)
        object.__setattr__(self, "n", _exponent_above_one("Mack.n", self.n))
        object.__setattr__(self, "m_th", number_in("Mack.m_th", self.m_th, 0.0, 1.0, high_open=True))

    @property
    def a(self) -> float:
        """``(n + 1)/(n - 1) (1 - m_th)^n``."""
        return _mack_a(self.n, self.m_th)

    def rate(self, m: Any) -> Any:
        """Development rate in nm/s of inhibitor fraction ``m`` (array in [0, 1])."""
        return self.r_max * _mack_switch(1.0 - inhibitor(m), self.n, self.m_th) + self.r_min

    def inverse(self, rate: float) -> float:
        """Closed form: ``u = a r / (a + 1 - r)`` with ``r = (R - R_min)/R_max``, ``m = 1 - u^(1/n)``."""
        rate = number_in("rate", rate, self.r_min, self.r_max + self.r_min, "nm/s")
        r = (rate - self.r_min) / self.r_max
        u = self.a * r / (self.a + 1.0 - r)
        return float(1.0 - u ** (1.0 / self.n))


@dataclass(frozen=True)
class EnhancedMack(RateModel):
    """Mack's enhanced kinetic model: enhancement of the resin rate by exposure products
    and inhibition by the remaining inhibitor (Mack 1992).

    Parameters
    ----------
    r_max : float
        Rate at m = 0, nm/s.
    r_min : float
        Rate at m = 1, nm/s.
    r_resin : float
        Rate of the bare resin, nm/s, strictly between ``r_min`` and ``r_max``.
    n : float
        Enhancement reaction order, > 0.
    l : float
        Inhibition reaction order, > 0.
    """

    r_max: float
    r_min: float
    r_resin: float
    n: float
    l: float  # noqa: E741 - the model's published symbol

    def __post_init__(self) -> None:
        r_max, r_min = _rates("EnhancedMack", self.r_max, self.r_min)
        object.__setattr__(self, "r_max", r_max)
        object.__setattr__(self, "r_min", r_min)
        r_resin = positive_number("EnhancedMack.r_resin", self.r_resin, "nm/s")
        if not r_min < r_resin < r_max:
            raise InvalidParameterError("EnhancedMack.r_resin", r_resin,
                                        f"a rate strictly between r_min = {r_min:g} and r_max = {r_max:g} nm/s")
        object.__setattr__(self, "r_resin", r_resin)
        object.__setattr__(self, "n", positive_number("EnhancedMack.n", self.n))
        object.__setattr__(self, "l", positive_number("EnhancedMack.l", self.l))

    def rate(self, m: Any) -> Any:
        """Development rate in nm/s of inhibitor fraction ``m`` (array in [0, 1])."""
        m = inhibitor(m)
        xp = array_module(m)
        k_enh = self.r_max / self.r_resin - 1.0
        k_inh = self.r_resin / self.r_min - 1.0
        return self.r_resin * (1.0 + k_enh * xp.power(1.0 - m, self.n)) / (1.0 + k_inh * xp.power(m, self.l))


@dataclass(frozen=True)
class Notch(RateModel):
    """Mack's model with a notch: a sharp threshold on top of a power-law rise.

    Parameters
    ----------
    r_max, r_min : float
        Rates, nm/s (``r_max + r_min`` at m = 0, ``r_min`` at m = 1).
    n : float
        Power of the underlying rise, > 0.
    m_th_notch : float
        Notch threshold inhibitor concentration, in [0, 1).
    n_notch : float
        Notch strength, > 1.
    """

    r_max: float
    r_min: float
    n: float
    m_th_notch: float
    n_notch: float

    def __post_init__(self) -> None:
        r_max, r_min = _rates("Notch", self.r_max, self.r_min)
        object.__setattr__(self, "r_max", r_max)
        object.__setattr__(self, "r_min", r_min)
        object.__setattr__(self, "n", positive_number("Notch.n", self.n))
        object.__setattr__(self, "m_th_notch",
                           number_in("Notch.m_th_notch", self.m_th_notch, 0.0, 1.0, high_open=True))
        object.__setattr__(self, "n_notch", _exponent_above_one("Notch.n_notch", self.n_notch))

    @property
    def a(self) -> float:
        """``(n_notch + 1)/(n_notch - 1) (1 - m_th,notch)^n_notch``."""
        return _mack_a(self.n_notch, self.m_th_notch)

    def rate(self, m: Any) -> Any:
        """Development rate in nm/s of inhibitor fraction ``m`` (array in [0, 1])."""
        free = 1.0 - inhibitor(m)
        xp = array_module(free)
        return self.r_max * xp.power(free, self.n) * _mack_switch(free, self.n_notch, self.m_th_notch) + self.r_min


@dataclass(frozen=True)
class SurfaceInhibition(RateModel):
    """A bulk model slowed near the resist top: ``R(m, z) = R(m) (1 - (1 - r_0) e^(-z/delta))``.

    Parameters
    ----------
    model : RateModel
        The bulk rate model.
    r_0 : float
        Relative rate at the very top surface, in (0, 1] (1: no inhibition).
    depth : float
        Inhibition depth delta, nm.
    """

    model: RateModel
    r_0: float
    depth: float

    def __post_init__(self) -> None:
        if not isinstance(self.model, RateModel):
            raise InvalidParameterError("SurfaceInhibition.model", self.model, "a development-rate model")
        object.__setattr__(self, "r_0", number_in("SurfaceInhibition.r_0", self.r_0, 0.0, 1.0, low_open=True))
        object.__setattr__(self, "depth", positive_number("SurfaceInhibition.depth", self.depth, "nm"))

    def rate(self, m: Any) -> Any:
        """Bulk rate (far below the surface), nm/s."""
        return self.model.rate(m)

    def factor(self, z: Any) -> Any:
        """Relative rate at depth ``z`` nm below the top: ``1 - (1 - r_0) exp(-z/depth)``."""
        xp = array_module(z)
        return 1.0 - (1.0 - self.r_0) * xp.exp(-xp.asarray(z) / self.depth)

    def rate_volume(self, m: Any, dz: float) -> Any:
        """Rate of an (nz, ny, nx) volume with the surface factor at the voxel centres."""
        m = real_array("m", m, ndim=3, low=0.0, high=1.0, what="an inhibitor volume")
        dz = positive_number("dz", dz, "nm")
        z = depths(m.shape[0], dz, array_module(m), m.dtype)
        bulk = self.model.rate_volume(m, dz)
        return bulk * self.factor(z)[:, None, None].astype(bulk.dtype)

    def inverse(self, rate: float) -> float:
        """Inverse of the bulk rate."""
        return self.model.inverse(rate)
