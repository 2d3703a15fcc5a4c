"""Stochastic exposure: photon shot noise and stochastic acid generation.

The model is Mack's "consistent" stochastic exposure model for chemically amplified
resists, applied voxel by voxel to a resist volume ``(..., nz, ny, nx)`` (z = 0 at the
resist top) sampled at voxel centres:

1. **Photons.** A dose ``E`` (mJ/cm²) at wavelength ``λ`` (nm) delivers
   ``n = E / (h c / λ)`` photons per nm² (:func:`photon_density`). With ``I`` the relative
   intensity at a voxel centre (1 = the open-frame incident intensity) and the intensity
   decaying as ``exp(-α z)`` across the voxel, the fraction of the incident flux that the
   voxel absorbs is ``I · 2 sinh(α dz / 2)``, so the expected number of absorbed photons is

       ⟨N⟩ = n · I · dx · dy · 2 sinh(α dz / 2)          (:func:`expected_absorbed_photons`)

   and the count is ``N ~ Poisson(⟨N⟩)`` (:func:`absorbed_photons`).
2. **Effective dose.** A voxel's effective dose fluctuates with its count,
   ``E_eff = E · I · N / ⟨N⟩ = N · e₁``, where ``e₁ = (h c / λ) / (dx dy 2 sinh(α dz/2))``
   is the dose one absorbed photon stands for (independent of ``E`` and ``I``, so a voxel
   in the dark, ``⟨N⟩ = 0``, has ``E_eff = 0`` without a 0/0).
3. **Acids.** The voxel holds ``M ~ Poisson(μ)`` PAG molecules, ``μ = ρ_PAG · dx dy dz``;
   each becomes an acid with probability ``p = 1 - exp(-C · E_eff)``, so
   ``A | N, M ~ Binomial(M, p)``. The result is ``h = A / μ``, the acid concentration
   relative to the mean PAG concentration (the deterministic model gives
   ``h = 1 - exp(-C E I)``).

Closed forms (:func:`acid_moments`; with ``c = C e₁`` and ``x = C E I = c ⟨N⟩``). From the
Poisson probability generating function ``E[s^N] = exp(⟨N⟩ (s - 1))``:

    E[h]   = 1 - exp(⟨N⟩ (e^(-c) - 1))                           -> 1 - e^(-x) as ⟨N⟩ -> ∞
    Var[h] = E[h] / μ                                             (PAG / acid counting)
           + exp(2⟨N⟩ (e^(-c) - 1)) · (exp(⟨N⟩ (1 - e^(-c))²) - 1)   (photon shot noise)

by the law of total variance: thinning makes ``A | N ~ Poisson(μ p(N))``, so
``E[Var(h | N)] = E[p] / μ`` and ``Var(E[h | N]) = Var(p(N))``. For large ``⟨N⟩`` the photon
term tends to ``x² e^(-2x) / ⟨N⟩``, Mack's ``(dh/d ln E)² / ⟨N⟩``; both terms vanish in the
deterministic limit ``⟨N⟩, μ -> ∞``.

Random numbers: every draw uses a :class:`numpy.random.Generator` (PCG64 when an ``int``
seed is given, via :func:`numpy.random.default_rng`). CuPy input is drawn **on the host**
with the same generator and the result is moved to the device, so a seed gives
bit-identical results on the CPU and the GPU.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, NamedTuple

import numpy as np

from .. import config
from .._validate import nonnegative_number, positive_number, real_array, spacing3
from ..backend import array_module, is_gpu_array, to_numpy
from ..errors import InvalidParameterError

__all__ = [
    "PLANCK",
    "SPEED_OF_LIGHT",
    "photon_density",
    "expected_absorbed_photons",
    "absorbed_photons",
    "AcidMoments",
    "acid_moments",
    "stochastic_acid",
]

#: Planck constant, J·s (exact in the 2019 SI, CODATA 2018).
PLANCK = 6.62607015e-34
#: Speed of light in vacuum, m/s (exact).
SPEED_OF_LIGHT = 299792458.0

# 1 mJ/cm² = 1e-3 J / 1e14 nm² = 1e-17 J/nm².
_MJ_PER_CM2_IN_J_PER_NM2 = 1e-17
# Largest expected count per voxel the samplers accept (numpy's Poisson sampler fails near
# 1e19; far below that the stochastic model is pointless: use the deterministic one).
_MAX_EXPECTED = 1e15

RNG = int | np.random.Generator | None


def _photon_dose(wavelength: float) -> float:
    """Dose (mJ/cm²) that delivers one photon per nm² at ``wavelength`` (nm)."""
    energy = PLANCK * SPEED_OF_LIGHT / (wavelength * 1e-9)  # J per photon
    return energy / _MJ_PER_CM2_IN_J_PER_NM2


def photon_density(dose: float, wavelength: float) -> float:
    """Incident photons per nm² for a dose.

    Parameters
    ----------
    dose : float
        Exposure dose, mJ/cm² (>= 0).
    wavelength : float
        Vacuum wavelength, nm (> 0).

    Returns
    -------
    float
        Photons per nm²: ``dose / (h c / wavelength)`` with the exact SI values of ``h``
        and ``c``. For 30 mJ/cm²: 20.4 at 13.5 nm (EUV), 291.5 at 193 nm (ArF).

    Raises
    ------
    InvalidParameterError
        ``dose`` negative or not finite, ``wavelength`` not a finite positive number.
    """
    dose = nonnegative_number("dose", dose, "mJ/cm²")
    wavelength = positive_number("wavelength", wavelength, "nm")
    return dose / _photon_dose(wavelength)


def _intensity(intensity: Any) -> Any:
    arr = real_array("intensity", intensity, low=0.0,
                     what="a relative intensity in resist (..., nz, ny, nx)")
    if arr.ndim < 3:
        raise InvalidParameterError("intensity", f"array of shape {tuple(arr.shape)}",
                                    "a relative intensity volume of shape (..., nz, ny, nx)")
    return arr


def _voxel_fraction(spacing: tuple[float, float, float], absorption: float) -> float:
    """``dx · dy · 2 sinh(α dz / 2)``, nm²: the absorbing cross-section of one voxel."""
    dz, dy, dx = spacing
    return dx * dy * 2.0 * math.sinh(absorption * 1e-3 * dz / 2.0)


def _expected(arr: Any, dose: float, wavelength: float, spacing: Any, absorption: float) -> Any:
    return arr * (photon_density(dose, wavelength) * _voxel_fraction(spacing, absorption))


def expected_absorbed_photons(intensity: Any, dose: float, wavelength: float, spacing: Any,
                              absorption: float) -> Any:
    """Expected number of photons absorbed in each voxel of a resist volume.

    Parameters
    ----------
    intensity : array (..., nz, ny, nx)
        Relative intensity in the resist at voxel centres (1 = open-frame incident
        intensity; finite, >= 0), numpy or CuPy.
    dose : float
        Exposure dose, mJ/cm² (>= 0).
    wavelength : float
        Vacuum wavelength, nm (> 0).
    spacing : float or (float, float, float)
        Voxel size ``(dz, dy, dx)``, nm (one number: cubic voxels).
    absorption : float
        Absorption coefficient α of the resist, 1/µm (>= 0).

    Returns
    -------
    array (..., nz, ny, nx)
        ``photon_density(dose, wavelength) · I · dx · dy · 2 sinh(α dz / 2)``: the exact
        absorbed count when the intensity decays as ``exp(-α z)`` across the voxel and
        equals ``I`` at its centre. Same array type, device and floating dtype as
        ``intensity`` (integer input gives float64).
    """
    arr = _intensity(intensity)
    spacing = spacing3("spacing", spacing)
    absorption = nonnegative_number("absorption", absorption, "1/µm")
    return _expected(arr, dose, wavelength, spacing, absorption)


def _generator(rng: Any) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None:
        return np.random.default_rng()
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool) and int(rng) >= 0:
        return np.random.default_rng(int(rng))
    raise InvalidParameterError(
        "rng", rng, "an int seed >= 0, a numpy.random.Generator, or None (fresh entropy); "
        "draws are made on the host, also for CuPy input")


def _check_budget(shape: tuple[int, ...], copies: int, what: str) -> None:
    size = int(np.prod(shape, dtype=np.int64))
    config.check_memory(copies * 8 * size, f"{what} for a volume of shape {shape}",
                        "split the volume into z slabs or tiles and call once per tile, passing "
                        "the same numpy Generator each time")


def _check_counts(lam: np.ndarray, name: str, value: Any) -> None:
    if lam.size and float(lam.max()) > _MAX_EXPECTED:
        raise InvalidParameterError(name, value, f"a value giving at most {_MAX_EXPECTED:g} expected "
                                    "counts per voxel (use the deterministic model)")


def _like(host: np.ndarray, template: Any) -> Any:
    """``host`` on the device of ``template``."""
    return array_module(template).asarray(host) if is_gpu_array(template) else host


def absorbed_photons(intensity: Any, dose: float, wavelength: float, spacing: Any,
                     absorption: float, *, rng: RNG) -> Any:
    """Poisson photon counts absorbed in each voxel (photon shot noise).

    Parameters
    ----------
    intensity, dose, wavelength, spacing, absorption
        As for :func:`expected_absorbed_photons` (intensity (..., nz, ny, nx), relative;
        dose mJ/cm²; wavelength nm; spacing ``(dz, dy, dx)`` nm; absorption 1/µm).
    rng : int, numpy.random.Generator or None
        Keyword only and required, so that reproducibility is a choice: an ``int`` seed
        (>= 0; a fresh PCG64 generator, ``numpy.random.default_rng(seed)``), a Generator
        (advanced by the draw), or ``None`` for fresh OS entropy (not reproducible).

    Returns
    -------
    array of int64 (..., nz, ny, nx)
        Independent ``Poisson(⟨N⟩)`` counts, ``⟨N⟩`` from
        :func:`expected_absorbed_photons`. One ``Generator.poisson`` call over the whole
        volume in C order. CuPy input: drawn on the host with the same generator and
        returned on the device (bit-identical to the numpy result for the same seed).

    Raises
    ------
    InvalidParameterError
        Bad ``intensity`` (NaN, negative, fewer than 3 dimensions), ``dose``,
        ``wavelength``, ``spacing``, ``absorption`` or ``rng``; or an expected count per
        voxel above 1e15.
    MemoryBudgetError
        The host arrays would exceed ``litho.config`` memory budget.
    """
    arr = _intensity(intensity)
    spacing = spacing3("spacing", spacing)
    absorption = nonnegative_number("absorption", absorption, "1/µm")
    gen = _generator(rng)
    _check_budget(tuple(arr.shape), 2, "drawing absorbed photons")
    lam = _expected(to_numpy(arr).astype(np.float64), dose, wavelength, spacing, absorption)
    _check_counts(lam, "dose", dose)
    return _like(gen.poisson(lam), arr)


class AcidMoments(NamedTuple):
    """Exact per-voxel moments of the stochastic relative acid concentration ``h``.

    Attributes
    ----------
    mean : array
        ``E[h] = 1 - exp(⟨N⟩ (e^(-c) - 1))`` (dimensionless).
    variance : array
        ``Var[h] = photon_variance + chemical_variance``.
    photon_variance : array
        ``Var_N(E[h | N]) = exp(2⟨N⟩ (e^(-c) - 1)) (exp(⟨N⟩ (1 - e^(-c))²) - 1)``: photon
        shot noise.
    chemical_variance : array
        ``E_N[Var(h | N)] = E[h] / μ``: PAG-count and acid-conversion (binomial) noise.
    """

    mean: Any
    variance: Any
    photon_variance: Any
    chemical_variance: Any


def _acid_parameters(intensity: Any, dose: float, wavelength: float, spacing: Any, C: float,
                     absorption: float, pag_density: float) -> tuple[Any, Any, float, float]:
    """(intensity array, ⟨N⟩, c = C e₁, μ) after validation."""
    arr = _intensity(intensity)
    dose = nonnegative_number("dose", dose, "mJ/cm²")
    wavelength = positive_number("wavelength", wavelength, "nm")
    spacing = spacing3("spacing", spacing)
    C = positive_number("C", C, "cm²/mJ")
    absorption = positive_number("absorption", absorption, "1/µm")
    pag_density = positive_number("pag_density", pag_density, "PAG molecules per nm³")
    section = _voxel_fraction(spacing, absorption)
    if not section > 0:  # sinh underflow for absurdly thin voxels
        raise InvalidParameterError("absorption", absorption,
                                    "a value with a non-zero absorbed fraction per voxel")
    c = C * _photon_dose(wavelength) / section  # C · (dose per absorbed photon)
    mu = pag_density * spacing[0] * spacing[1] * spacing[2]
    lam = _expected(arr.astype(array_module(arr).float64), dose, wavelength, spacing, absorption)
    return arr, lam, c, mu


def acid_moments(intensity: Any, dose: float, wavelength: float, spacing: Any, *, C: float,
                 absorption: float, pag_density: float) -> AcidMoments:
    """Exact mean and variance of :func:`stochastic_acid`'s ``h`` in each voxel.

    Parameters
    ----------
    intensity, dose, wavelength, spacing, C, absorption, pag_density
        As for :func:`stochastic_acid`.

    Returns
    -------
    AcidMoments
        ``mean``, ``variance``, ``photon_variance``, ``chemical_variance`` arrays of the
        shape, array type and floating dtype of ``intensity`` (computed in float64).
        With ``c = C e₁`` (``e₁`` the dose of one absorbed photon) and ``μ`` the mean PAG
        count per voxel, the closed forms are those in the module docstring; they use
        ``expm1`` so that the deterministic limit (large ``⟨N⟩``, small ``c``) keeps its
        precision.
    """
    arr, lam, c, mu = _acid_parameters(intensity, dose, wavelength, spacing, C, absorption,
                                       pag_density)
    xp = array_module(arr)
    em = math.expm1(-c)  # e^(-c) - 1, in (-1, 0)
    mean = -xp.expm1(lam * em)
    photon = xp.exp(2.0 * lam * em) * xp.expm1(lam * em * em)
    chemical = mean / mu
    dtype = arr.dtype
    return AcidMoments(mean=mean.astype(dtype, copy=False),
                       variance=(photon + chemical).astype(dtype, copy=False),
                       photon_variance=photon.astype(dtype, copy=False),
                       chemical_variance=chemical.astype(dtype, copy=False))


def stochastic_acid(intensity: Any, dose: float, wavelength: float, spacing: Any, *, C: float,
                    absorption: float, pag_density: float, rng: RNG,
                    photons: Any = None) -> Any:
    """One realisation of the relative acid concentration after a stochastic exposure.

    Mack's consistent model (see the module docstring): per voxel, ``N ~ Poisson(⟨N⟩)``
    absorbed photons, ``M ~ Poisson(μ)`` PAG molecules, and ``A ~ Binomial(M, p)`` acids
    with ``p = 1 - exp(-C E_eff)``, ``E_eff = E I N / ⟨N⟩``; the result is ``h = A / μ``.
    Its exact moments are :func:`acid_moments`; ``E[h]`` tends to the deterministic
    ``1 - exp(-C E I)`` only when ``⟨N⟩`` is large.

    Parameters
    ----------
    intensity : array (..., nz, ny, nx)
        Relative intensity in the resist at voxel centres (1 = open frame; finite, >= 0).
    dose : float
        Exposure dose ``E``, mJ/cm² (>= 0).
    wavelength : float
        Vacuum wavelength, nm (> 0).
    spacing : float or (float, float, float)
        Voxel size ``(dz, dy, dx)``, nm.
    C : float
        Dill exposure rate constant, cm²/mJ (> 0).
    absorption : float
        Absorption coefficient α of the resist, 1/µm (> 0: a resist that absorbs nothing
        generates no acid).
    pag_density : float
        Mean PAG concentration, molecules per nm³ (> 0); ``μ = pag_density · dz dy dx``.
    rng : int, numpy.random.Generator or None
        Keyword only and required: an ``int`` seed (>= 0, PCG64), a Generator (advanced),
        or ``None`` (fresh entropy). Draw order: photons (unless ``photons`` is given, the
        same call as :func:`absorbed_photons`), then PAG counts, then the binomial
        conversion, each one call over the volume in C order. So
        ``g = default_rng(s); stochastic_acid(..., photons=absorbed_photons(..., rng=g), rng=g)``
        equals ``stochastic_acid(..., rng=s)``.
    photons : array of int (..., nz, ny, nx), optional
        Absorbed photon counts to use instead of drawing them (e.g. one photon realisation
        shared by several resist loadings); same shape as ``intensity``.

    Returns
    -------
    array (..., nz, ny, nx)
        ``h = A / μ`` (>= 0; may exceed 1 where the voxel drew more PAGs than the mean),
        of the array type, device and floating dtype of ``intensity``. CuPy input is drawn
        on the host and moved to the device (bit-identical to numpy for the same seed).

    Raises
    ------
    InvalidParameterError
        A bad argument (named), ``photons`` of the wrong shape or not non-negative
        integers, or expected counts per voxel above 1e15.
    MemoryBudgetError
        The host arrays (about five 8-byte copies of the volume) exceed the budget.
    """
    arr, lam, c, mu = _acid_parameters(intensity, dose, wavelength, spacing, C, absorption,
                                       pag_density)
    gen = _generator(rng)
    shape = tuple(arr.shape)
    _check_budget(shape, 5, "stochastic acid generation")
    if photons is None:
        lam = to_numpy(lam)
        _check_counts(lam, "dose", dose)
        counts = gen.poisson(lam)
    else:
        counts = to_numpy(photons)
        if counts.shape != shape or counts.dtype.kind not in "iu" or (counts.size and counts.min() < 0):
            raise InvalidParameterError(
                "photons", f"array of shape {counts.shape} and dtype {counts.dtype}",
                f"non-negative integer counts of the intensity's shape {shape}")
    _check_counts(np.asarray(mu), "pag_density", pag_density)
    p = -np.expm1(-c * counts.astype(np.float64))
    pags = gen.poisson(mu, size=shape)
    acids = gen.binomial(pags, p)
    h = (acids / mu).astype(arr.dtype, copy=False)
    return _like(h, arr)
