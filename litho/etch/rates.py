"""Etch rates: per-material isotropic and directional rates, the ion angular spread, ARDE.

A surface etches at ``isotropic + directional * flux``, where ``flux`` is the ion flux
through the surface relative to an open flat floor: the sum over ion directions of
``w_k max(0, n . d_k) vis_k`` (n the surface normal into the material, d_k the ions' unit
direction of travel, vis_k whether the ions reach the point). The weights are normalised
so that an unshadowed flat floor receives a flux of exactly 1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._validate import integer, nonnegative_number, number_in
from ..errors import InvalidParameterError

__all__ = ["Rate", "IonFlux", "AspectRatioDependence", "Passivation", "coburn_winters", "clausing_factor"]

_MAX_DIRECTIONS = 32  # one bit each in the uint32 visibility volume


@dataclass(frozen=True)
class Rate:
    """Etch rate of one material, nm/s.

    Parameters
    ----------
    isotropic : float
        Rate along the surface normal everywhere (chemical etching), nm/s >= 0.
    directional : float
        Rate on a flat floor facing the ions (ion-driven etching), nm/s >= 0; a surface
        tilted by theta from the ions gets ``cos(theta)`` of it, a shadowed one none.
    """

    isotropic: float = 0.0
    directional: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "isotropic", nonnegative_number("isotropic", self.isotropic, "nm/s"))
        object.__setattr__(self, "directional", nonnegative_number("directional", self.directional, "nm/s"))


@dataclass(frozen=True)
class IonFlux:
    """Angular distribution of the ions: a Gaussian in the polar angle about the vertical.

    Parameters
    ----------
    spread : float
        Standard deviation of the polar angle, degrees (0: a collimated vertical beam).
    tilt : float
        Tilt of the beam axis from the vertical towards +x, degrees (|tilt| < 60).
    rings : int
        Quadrature rings in the polar angle (each side of the axis in 2-D), >= 1; the
        directions reach 2.5 standard deviations.
    azimuths : int
        Directions per ring in 3-D (2-D uses the x-z plane only).
    """

    spread: float = 0.0
    tilt: float = 0.0
    rings: int = 2
    azimuths: int = 8

    def __post_init__(self) -> None:
        object.__setattr__(self, "spread", number_in("spread", self.spread, 0.0, 30.0, "degrees"))
        object.__setattr__(self, "tilt", number_in("tilt", self.tilt, -59.0, 59.0, "degrees"))
        object.__setattr__(self, "rings", integer("rings", self.rings, 1))
        object.__setattr__(self, "azimuths", integer("azimuths", self.azimuths, 1))
        if 1 + self.rings * self.azimuths > _MAX_DIRECTIONS:
            raise InvalidParameterError("azimuths", self.azimuths,
                                        f"at most {(_MAX_DIRECTIONS - 1) // self.rings} with {self.rings} rings "
                                        f"({_MAX_DIRECTIONS} directions in all)")

    def directions(self, two_d: bool) -> tuple[np.ndarray, np.ndarray]:
        """Unit directions (K, 3) in (z, y, x) order, travelling down (+z), and weights (K,).

        The weights are proportional to the Gaussian density times the solid angle (in
        2-D, the plane angle) of each quadrature cell and are scaled so that
        ``sum w_k cos(polar_k) = 1``: an open flat floor etches at the full directional
        rate when the beam is not tilted.
        """
        sigma = math.radians(self.spread)
        if sigma == 0.0:
            polar = np.zeros(1)
            az = np.zeros(1)
            w = np.ones(1)
        elif two_d:
            theta = np.linspace(-2.5 * sigma, 2.5 * sigma, 2 * self.rings + 1)
            polar, az = np.abs(theta), np.where(theta < 0, math.pi, 0.0)
            w = np.exp(-0.5 * (theta / sigma) ** 2)
        else:
            step = 2.5 * sigma / self.rings
            ring = step * np.arange(1, self.rings + 1)
            phis = 2 * math.pi * (np.arange(self.azimuths) + 0.5 * (np.arange(self.rings)[:, None] % 2)) / self.azimuths
            polar = np.concatenate([[0.0], np.repeat(ring, self.azimuths)])
            az = np.concatenate([[0.0], phis.ravel()])
            cell = np.concatenate([[math.pi * (0.5 * step) ** 2],
                                   np.repeat(2 * math.pi * np.sin(ring) * step / self.azimuths, self.azimuths)])
            w = np.exp(-0.5 * (polar / sigma) ** 2) * cell
        d = np.stack([np.cos(polar), np.sin(polar) * np.sin(az), np.sin(polar) * np.cos(az)], axis=1)
        if two_d:
            d[:, 1] = 0.0
        t = math.radians(self.tilt)  # rotate about y, towards +x
        rz, rx = d[:, 0] * math.cos(t) - d[:, 2] * math.sin(t), d[:, 0] * math.sin(t) + d[:, 2] * math.cos(t)
        d = np.stack([rz, d[:, 1], rx], axis=1)
        d /= np.linalg.norm(d, axis=1, keepdims=True)
        w = w / float(np.sum(w * np.cos(polar)))
        return d, w


def clausing_factor(aspect_ratio: float | np.ndarray, geometry: str = "trench") -> np.ndarray:
    """Transmission probability K of a feature of depth/width ``aspect_ratio`` (Clausing).

    Closed-form approximations, not Clausing's integrals: a cylindrical hole
    ``1 / (1 + 3 A / 4)`` (Dushman's formula, A = depth / diameter) and a long trench
    ``1 / (1 + A / 2)`` (the same form for a slot, A = depth / width). Both give K = 1 at
    A = 0 and fall as 1 / A for deep features.
    """
    a = np.asarray(aspect_ratio, dtype=float)
    if np.any(~np.isfinite(a)) or np.any(a < 0):
        raise InvalidParameterError("aspect_ratio", aspect_ratio, "finite depth / width ratios >= 0")
    if geometry == "hole":
        return 1.0 / (1.0 + 0.75 * a)
    if geometry == "trench":
        return 1.0 / (1.0 + 0.5 * a)
    raise InvalidParameterError("geometry", geometry, "'trench' or 'hole'")


def coburn_winters(aspect_ratio: float | np.ndarray, sticking: float, geometry: str = "trench") -> np.ndarray:
    """Aspect-ratio-dependent etch: R / R0 = K / (K + S - K S) (Coburn & Winters 1989).

    ``sticking`` S in [0, 1] is the reaction probability of the etchant at the feature
    bottom and K the Clausing transmission (:func:`clausing_factor`). S -> 0: no ARDE
    (R = R0); S = 1: R / R0 = K.
    """
    s = number_in("sticking", sticking, 0.0, 1.0)
    k = clausing_factor(aspect_ratio, geometry)
    return k / (k + s - k * s)


@dataclass(frozen=True)
class AspectRatioDependence:
    """Aspect-ratio-dependent etching (RIE lag) by Coburn-Winters neutral transport.

    Every rate of the films (not the resist) in an opening of the mask is scaled by
    :func:`coburn_winters` of the opening's current aspect ratio: depth from the mask top
    to the local surface over the opening's width (the diameter of the largest disc
    inscribed in the opening at the resist foot). Updated with the visibility.

    Parameters
    ----------
    sticking : float
        Reaction probability S of the etchant at the feature bottom, in [0, 1].
    geometry : {"trench", "hole"}
        Which Clausing transmission applies (:func:`clausing_factor`).
    """

    sticking: float
    geometry: str = "trench"

    def __post_init__(self) -> None:
        object.__setattr__(self, "sticking", number_in("sticking", self.sticking, 0.0, 1.0))
        if self.geometry not in ("trench", "hole"):
            raise InvalidParameterError("geometry", self.geometry, "'trench' or 'hole'")

    def factor(self, aspect_ratio: float | np.ndarray) -> np.ndarray:
        """R / R0 at these aspect ratios."""
        return coburn_winters(aspect_ratio, self.sticking, self.geometry)


@dataclass(frozen=True)
class Passivation:
    """Sidewall passivation: a film that only the ions clear.

    The isotropic rate of a surface is scaled by ``1 - strength (1 - min(1, flux))``,
    with ``flux`` the ion flux through it relative to an open floor (see the module
    docstring): floors etch at the full rate, vertical walls under vertical ions at
    ``1 - strength`` of it, shadowed surfaces likewise. Directional rates are not changed.

    Parameters
    ----------
    strength : float
        Fraction of the lateral (isotropic) rate the passivation stops, in [0, 1].
    """

    strength: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "strength", number_in("strength", self.strength, 0.0, 1.0))

    def factor(self, flux: np.ndarray) -> np.ndarray:
        """Isotropic rate factor at these relative ion fluxes (numpy or CuPy arrays)."""
        return 1.0 - self.strength * (1.0 - np.minimum(flux, 1.0))
