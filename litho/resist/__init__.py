"""Resist: compact print models, exposure, post-exposure bake, development, profiles.

Volumes are (nz, ny, nx) with z = 0 at the resist top and voxel centres at
``(iz + 1/2) dz``; lengths nm, time s, dose mJ/cm², rates nm/s.

- compact (2-D) models for OPC/ILT: :class:`ConstantThreshold`, :class:`DiffusedThreshold`,
  :class:`VariableThreshold`, :class:`SigmoidThreshold`;
- exposure: :func:`image_in_resist` (Beer-Lambert), :class:`Dill` (DNQ bleaching),
  :func:`car_acid`;
- post-exposure bake: :func:`arrhenius`, :func:`diffusion_length`, :func:`car_deprotection`,
  :class:`PEB` (acid / quencher reaction-diffusion in 3-D);
- development rates: :class:`Mack`, :class:`EnhancedMack`, :class:`Notch`,
  :class:`SurfaceInhibition`; developer arrival :func:`arrival_time` (eikonal, fast
  marching on the CPU, a parallel solver on the GPU);
- :class:`ResistProfile` (heights, CDs, sidewall angles, cross-sections, contours);
- whole processes :class:`CAR` and :class:`DNQ` (``.develop(intensity, pixel, dose)``);
- stochastics: :func:`photon_density`, :func:`absorbed_photons`, :func:`stochastic_acid`,
  and line-edge / line-width roughness (:func:`edges_from_image`, :func:`roughness`).
"""

from .compact import ConstantThreshold, DiffusedThreshold, SigmoidThreshold, VariableThreshold, gaussian_blur
from .development import EnhancedMack, Mack, Notch, RateModel, SurfaceInhibition
from .eikonal import arrival_time, fast_marching
from .exposure import Bleaching, Dill, car_acid, image_in_resist
from .peb import PEB, BakeResult, arrhenius, car_deprotection, diffusion_length
from .process import CAR, DNQ, Intermediates, ShotNoise
from .profile import CrossSection, ResistProfile
from .roughness import Roughness, correlation_length, edges_from_image, power_spectrum, roughness
from .stochastic import (
    AcidMoments,
    absorbed_photons,
    acid_moments,
    expected_absorbed_photons,
    photon_density,
    stochastic_acid,
)

__all__ = [
    "ConstantThreshold", "DiffusedThreshold", "VariableThreshold", "SigmoidThreshold", "gaussian_blur",
    "Mack", "EnhancedMack", "Notch", "SurfaceInhibition", "RateModel",
    "arrival_time", "fast_marching",
    "Dill", "Bleaching", "car_acid", "image_in_resist",
    "PEB", "BakeResult", "arrhenius", "car_deprotection", "diffusion_length",
    "CAR", "DNQ", "Intermediates", "ShotNoise",
    "ResistProfile", "CrossSection",
    "Roughness", "edges_from_image", "roughness", "power_spectrum", "correlation_length",
    "photon_density", "expected_absorbed_photons", "absorbed_photons", "AcidMoments", "acid_moments",
    "stochastic_acid",
]
