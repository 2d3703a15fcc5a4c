"""Whole resist processes: exposure -> post-exposure bake -> development -> profile.

:class:`CAR` (chemically amplified) and :class:`DNQ` (diazonaphthoquinone/novolac) take an
aerial image (or an intensity volume in the resist) and return a
:class:`~litho.resist.profile.ResistProfile`::

    resist = CAR(thickness=80.0, C=0.05, peb=PEB(time=60, acid_diffusivity=2.0, k_amp=0.1),
                 development=Mack(100, 0.1, 5, 0.5), develop_time=60.0)
    profile = resist.develop(image, pixel=2.0, dose=30.0)

Every stage runs on the device of the input array (numpy or CuPy): image in resist,
acid, bake, rate, developer arrival (fast marching on the CPU, the parallel solver on
the GPU). The volume is (nz, ny, nx) with ``nz`` depth samples at voxel centres.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .._validate import integer, nonnegative_number, positive_number, real_array
from ..errors import InvalidParameterError
from .development import RateModel
from .exposure import Dill, car_acid, image_in_resist
from .peb import PEB, diffuse
from .profile import ResistProfile

__all__ = ["CAR", "DNQ", "Intermediates", "ShotNoise"]


def _nz(owner: str, value: Any) -> int:
    return integer(f"{owner}.nz", value, 2, "an integer number of depth samples >= 2")


def _model(owner: str, value: Any) -> RateModel:
    if not isinstance(value, RateModel):
        raise InvalidParameterError(f"{owner}.development", value,
                                    "a development-rate model (Mack, EnhancedMack, Notch, SurfaceInhibition)")
    return value


def _intensity(intensity: Any) -> Any:
    return real_array("intensity", intensity, ndim=(2, 3), low=0.0,
                      what="an aerial image (ny, nx) or intensity volume (nz, ny, nx)")


@dataclass(frozen=True)
class ShotNoise:
    """Stochastic exposure of a chemically amplified resist (Mack's consistent model).

    Photons absorbed per voxel are Poisson, PAG molecules per voxel Poisson, and each
    PAG becomes an acid with probability ``1 - exp(-C E_eff)`` (see
    :func:`litho.resist.stochastic_acid`).

    Parameters
    ----------
    wavelength : float
        Exposure wavelength, nm (13.5 EUV, 193 ArF).
    pag_density : float
        Photoacid-generator molecules per nm³.
    """

    wavelength: float
    pag_density: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "wavelength", positive_number("ShotNoise.wavelength", self.wavelength, "nm"))
        object.__setattr__(self, "pag_density", positive_number("ShotNoise.pag_density", self.pag_density, "1/nm³"))


@dataclass(frozen=True)
class Intermediates:
    """The volumes a process computed on the way to its profile (all (nz, ny, nx)).

    Attributes
    ----------
    intensity : array
        Relative intensity in the resist.
    latent : array
        After exposure: acid h (CAR) or inhibitor m before the bake (DNQ).
    inhibitor : array
        Inhibitor / blocked fraction m after the bake.
    rate : array
        Development rate, nm/s.
    """

    intensity: Any = field(repr=False)
    latent: Any = field(repr=False)
    inhibitor: Any = field(repr=False)
    rate: Any = field(repr=False)


class _Process:
    """Shared development: rate from m, developer arrival, profile."""

    thickness: float
    development: RateModel
    develop_time: float
    nz: int

    def _develop(self, m: Any, pixel: float, t_max: float | None, lateral: str) -> tuple[ResistProfile, Any]:
        from .eikonal import arrival_time

        dz = self.thickness / m.shape[0]
        rate = self.development.rate_volume(m, dz)
        spacing = (dz, pixel, pixel)
        times = arrival_time(rate, spacing, t_max=t_max, lateral=lateral)
        return ResistProfile(times, self.develop_time, spacing), rate

    def develop(self, intensity: Any, pixel: float, dose: float, *, t_max: float | None = None,
                lateral: str = "periodic", rng: Any = None) -> ResistProfile:
        """Expose, bake and develop: the resist profile.

        Parameters
        ----------
        intensity : array (ny, nx) or (nz, ny, nx)
            Aerial image at the resist top (relative intensity; the resist's absorption
            is applied here) or the intensity in the resist at the voxel centres.
        pixel : float
            Lateral sample spacing, nm.
        dose : float
            Exposure dose, mJ/cm².
        t_max : float, optional
            Stop the developer march at this time, s (voxels beyond get T = inf). Must be
            at least the develop time; None marches through the whole resist, so the
            profile can be re-read at any develop time (``profile.at(t)``). Where the
            next voxel beyond the develop front is past ``t_max`` (inf), the front's
            sub-voxel position is lost: set ``t_max`` well above the develop time (e.g.
            twice) to keep measurements sub-voxel.
        lateral : {"periodic", "open"}
            Lateral boundary of the development front (periodic like the images).
        rng : int or numpy.random.Generator, optional
            Seed or generator of the stochastic exposure (required when the process has
            ``shot_noise``; ignored otherwise).

        Returns
        -------
        ResistProfile
        """
        return self.simulate(intensity, pixel, dose, t_max=t_max, lateral=lateral, rng=rng)[0]

    def simulate(self, intensity: Any, pixel: float, dose: float, *, t_max: float | None = None,
                 lateral: str = "periodic", rng: Any = None) -> tuple[ResistProfile, Intermediates]:
        """Like :meth:`develop`, also returning every intermediate volume."""
        pixel = positive_number("pixel", pixel, "nm")
        dose = nonnegative_number("dose", dose, "mJ/cm²")
        if t_max is not None:
            t_max = positive_number("t_max", t_max, "s")
            if t_max < self.develop_time:
                raise InvalidParameterError("t_max", t_max, f"None or at least the develop time {self.develop_time:g} s")
        intensity = _intensity(intensity)
        volume, latent, m = self._expose_and_bake(intensity, pixel, dose, rng)
        profile, rate = self._develop(m, pixel, t_max, lateral)
        return profile, Intermediates(intensity=volume, latent=latent, inhibitor=m, rate=rate)

    def _expose_and_bake(self, intensity: Any, pixel: float, dose: float, rng: Any) -> tuple[Any, Any, Any]:
        raise NotImplementedError  # pragma: no cover


@dataclass(frozen=True)
class CAR(_Process):
    """A chemically amplified resist process.

    Parameters
    ----------
    thickness : float
        Resist thickness, nm.
    C : float
        Acid-generation (Dill C) constant, cm²/mJ.
    peb : PEB
        The post-exposure bake (acid diffusion, quencher, amplification).
    development : RateModel
        Development rate of the blocked fraction m.
    develop_time : float
        s.
    absorption : float
        Absorption coefficient of the (non-bleaching) resist, 1/µm (applied to 2-D images).
    nz : int
        Depth samples for a 2-D image.
    shot_noise : ShotNoise, optional
        Stochastic exposure (photon and PAG counting noise); None: deterministic. Needs
        ``absorption > 0`` (only absorbed photons make acid) and an ``rng`` at develop time.
    """

    thickness: float
    C: float
    peb: PEB
    development: RateModel
    develop_time: float
    absorption: float = 0.0
    nz: int = 32
    shot_noise: ShotNoise | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "thickness", positive_number("CAR.thickness", self.thickness, "nm"))
        object.__setattr__(self, "C", positive_number("CAR.C", self.C, "cm²/mJ"))
        if not isinstance(self.peb, PEB):
            raise InvalidParameterError("CAR.peb", self.peb, "a litho.resist.PEB")
        _model("CAR", self.development)
        object.__setattr__(self, "develop_time", nonnegative_number("CAR.develop_time", self.develop_time, "s"))
        object.__setattr__(self, "absorption", nonnegative_number("CAR.absorption", self.absorption, "1/µm"))
        _nz("CAR", self.nz)
        if self.shot_noise is not None:
            if not isinstance(self.shot_noise, ShotNoise):
                raise InvalidParameterError("CAR.shot_noise", self.shot_noise, "None or a litho.resist.ShotNoise")
            if self.absorption <= 0.0:
                raise InvalidParameterError("CAR.absorption", self.absorption,
                                            "an absorption > 0 1/µm with shot_noise (no absorption, no acid)")

    def _expose_and_bake(self, intensity: Any, pixel: float, dose: float, rng: Any) -> tuple[Any, Any, Any]:
        if intensity.ndim == 2:
            intensity = image_in_resist(intensity, self.thickness, self.nz, self.absorption)
        dz = self.thickness / intensity.shape[0]
        if self.shot_noise is None:
            acid = car_acid(dose * intensity, self.C)
        else:
            from .stochastic import stochastic_acid

            if rng is None:
                raise InvalidParameterError("rng", rng, "a seed or numpy Generator (the resist has shot_noise)")
            acid = stochastic_acid(intensity, dose, self.shot_noise.wavelength, (dz, pixel, pixel), C=self.C,
                                   absorption=self.absorption, pag_density=self.shot_noise.pag_density, rng=rng)
        baked = self.peb.bake(acid, (dz, pixel, pixel))
        return intensity, acid, baked.inhibitor


@dataclass(frozen=True)
class DNQ(_Process):
    """A DNQ/novolac resist process: Dill exposure with bleaching, an optional bake that
    diffuses the inhibitor (smoothing standing waves), development.

    Parameters
    ----------
    thickness : float
        Resist thickness, nm.
    dill : Dill
        Exposure (bleaching) parameters A, B (1/µm) and C (cm²/mJ).
    development : RateModel
        Development rate of the inhibitor fraction m.
    develop_time : float
        s.
    diffusion_length : float
        Inhibitor diffusion length of the post-exposure bake, nm (0: no bake).
    nz : int
        Depth samples for a 2-D image.
    """

    thickness: float
    dill: Dill
    development: RateModel
    develop_time: float
    diffusion_length: float = 0.0
    nz: int = 32

    def __post_init__(self) -> None:
        object.__setattr__(self, "thickness", positive_number("DNQ.thickness", self.thickness, "nm"))
        if not isinstance(self.dill, Dill):
            raise InvalidParameterError("DNQ.dill", self.dill, "a litho.resist.Dill")
        _model("DNQ", self.development)
        object.__setattr__(self, "develop_time", nonnegative_number("DNQ.develop_time", self.develop_time, "s"))
        object.__setattr__(self, "diffusion_length",
                           nonnegative_number("DNQ.diffusion_length", self.diffusion_length, "nm"))
        _nz("DNQ", self.nz)

    def _expose_and_bake(self, intensity: Any, pixel: float, dose: float, rng: Any) -> tuple[Any, Any, Any]:
        if intensity.ndim == 3:
            m = self.dill.expose(intensity, dose, self.thickness)
            volume = intensity
        else:
            m = self.dill.expose(intensity, dose, self.thickness, nz=self.nz)
            # reported: the unbleached image in resist (absorption A + B); the bleached
            # intensity is not needed downstream
            volume = image_in_resist(intensity, self.thickness, self.nz, self.dill.A + self.dill.B)
        dz = self.thickness / m.shape[0]
        return volume, m, diffuse(m, self.diffusion_length, (dz, pixel, pixel))
