"""Tests of litho.optics.Pupil: aperture, obscuration, exact and paraxial defocus, aberrations."""

from __future__ import annotations

import math

import numpy as np
import pytest

from litho.errors import InvalidParameterError
from litho.optics import Pupil, zernike


def polar_grid(cutoff: float, n: int = 101, span: float = 1.5):
    f = np.linspace(-span * cutoff, span * cutoff, n)
    fx, fy = np.meshgrid(f, f)
    return fx, fy, np.hypot(fx, fy) / cutoff


def test_aperture_magnitude():
    pupil = Pupil(193.0, 1.35, immersion=1.44, defocus=50.0, aberrations={7: 0.05, 9: -0.02})
    fx, fy, rho = polar_grid(pupil.cutoff)
    p = pupil(fx, fy)
    assert p.dtype == np.complex128 and p.shape == fx.shape
    # |exp(i phi)| = 1 to rounding
    np.testing.assert_allclose(np.abs(p[rho <= 1]), 1.0, atol=1e-14)
    np.testing.assert_array_equal(p[rho > 1], 0)
    # the closed disk: a frequency exactly on the cutoff passes
    assert abs(pupil(np.array([pupil.cutoff]), np.array([0.0]))[0]) == pytest.approx(1.0)
    assert pupil(np.array([pupil.cutoff * (1 + 1e-12)]), np.array([0.0]))[0] == 0


def test_real_pupil_fast_path_and_dtypes():
    pupil = Pupil(193.0, 0.9)
    assert pupil.is_real and pupil.cutoff == pytest.approx(0.9 / 193)
    fx, fy, rho = polar_grid(pupil.cutoff)
    np.testing.assert_array_equal(pupil(fx, fy), (rho <= 1).astype(complex))
    assert pupil(fx, fy, dtype=np.complex64).dtype == np.complex64
    np.testing.assert_array_equal(pupil(fx, fy, dtype=np.float32), (rho <= 1).astype(np.float32))
    assert not Pupil(193.0, 0.9, defocus=1.0).is_real
    assert not Pupil(193.0, 0.9, aberrations={5: 0.01}).is_real
    with pytest.raises(InvalidParameterError) as info:
        Pupil(193.0, 0.9, defocus=1.0)(fx, fy, dtype=np.float64)
    assert info.value.name == "dtype"


def test_obscuration_blocks_centre():
    pupil = Pupil(13.5, 0.55, obscuration=0.2)
    fx, fy, rho = polar_grid(pupil.cutoff)
    p = pupil(fx, fy)
    np.testing.assert_array_equal(p[rho < 0.2], 0)
    np.testing.assert_array_equal(p[(rho >= 0.2) & (rho <= 1)], 1)
    assert pupil(np.array([0.0]), np.array([0.0]))[0] == 0


def test_defocus_phase_is_exact_formula():
    lam, na, n, z = 193.0, 1.35, 1.44, 80.0
    pupil = Pupil(lam, na, immersion=n, defocus=z)
    fx, fy, rho = polar_grid(pupil.cutoff)
    inside = rho <= 1
    f2 = fx**2 + fy**2
    exact = 2 * np.pi * z * (np.sqrt(n**2 / lam**2 - f2[inside]) - n / lam)
    p = pupil(fx, fy)
    # compare the complex values: the phase reaches ~-1.9 rad, so no wrapping issue,
    # and the cancellation-free form agrees with the direct one to ~1e-13 rad
    np.testing.assert_allclose(p[inside], np.exp(1j * exact), atol=1e-12)
    np.testing.assert_allclose(pupil.phase(fx, fy)[inside], exact, atol=1e-12)


def test_paraxial_defocus_is_fringe_z4():
    # sqrt(k^2 - f^2) - k = -k [x/2 + x^2/8 + x^3/16 + ...], x = (f/k)^2 = (NA rho / n)^2.
    # The series tail after x/2 is at most x^2 / (8 (1 - x)) (coefficients <= 1/8), so the
    # paraxial wavefront -z k x / 2 = c4 (Z4 + 1), c4 = -z NA^2 / (4 n lambda), differs from
    # the exact one by at most z (n / lambda) x^2 / (8 (1 - x)) waves.
    lam, na, n, z = 193.0, 0.3, 1.0, 100.0
    c4 = -z * na**2 / (4 * n * lam)
    exact = Pupil(lam, na, immersion=n, defocus=z)
    paraxial = Pupil(lam, na, immersion=n, aberrations={1: c4, 4: c4})
    fx, fy, rho = polar_grid(exact.cutoff, n=81, span=1.0)
    inside = rho <= 1
    w_exact = exact.phase(fx, fy)[inside] / (2 * np.pi)
    w_parax = paraxial.phase(fx, fy)[inside] / (2 * np.pi)
    x = (na * rho[inside] / n) ** 2
    bound = z * (n / lam) * x**2 / (8 * (1 - x))
    assert np.all(np.abs(w_exact - w_parax) <= bound + 1e-15)
    # ... and the residual is the fourth-order term -z (n/lambda) x^2 / 8, to within the
    # next order, z (n/lambda) x^3 / (16 (1 - x)): the bound above is not vacuous
    fourth = -z * (n / lam) * x**2 / 8
    assert np.all(np.abs((w_exact - w_parax) - fourth) <= z * (n / lam) * x**3 / (16 * (1 - x)) + 1e-15)
    assert abs(c4) > 20 * np.abs(fourth).max()  # the paraxial term dominates at NA 0.3


def test_aberration_phase_is_fringe_wavefront():
    coeffs = {5: 0.03, 8: -0.02, 9: 0.015, 37: 0.004}
    pupil = Pupil(193.0, 0.93, aberrations=coeffs)
    fx, fy, rho = polar_grid(pupil.cutoff)
    inside = rho <= 1
    w = zernike.wavefront(coeffs, rho, np.arctan2(fy, fx))
    np.testing.assert_allclose(pupil(fx, fy)[inside], np.exp(2j * np.pi * w[inside]), atol=1e-12)
    assert pupil.aberrations == zernike.normalize_fringe(coeffs) and len(pupil.aberrations) == 37


def test_pupil_hashable_and_broadcasts():
    a = Pupil(193.0, 0.9, aberrations={4: 0.1})
    assert a == Pupil(193.0, 0.9, aberrations=[0, 0, 0, 0.1]) and hash(a) == hash(Pupil(193.0, 0.9, aberrations={4: 0.1}))
    fx = np.linspace(-0.005, 0.005, 7)
    assert a(fx[None, :], fx[:, None]).shape == (7, 7)


@pytest.mark.parametrize("kwargs, name", [
    ({"wavelength": 0, "na": 0.5}, "wavelength"),
    ({"wavelength": -193, "na": 0.5}, "wavelength"),
    ({"wavelength": 193, "na": 0}, "na"),
    ({"wavelength": 193, "na": 1.0}, "na"),
    ({"wavelength": 193, "na": 1.35, "immersion": 1.2}, "na"),
    ({"wavelength": 193, "na": 0.5, "immersion": 0.9}, "immersion"),
    ({"wavelength": 193, "na": 0.5, "defocus": float("inf")}, "defocus"),
    ({"wavelength": 193, "na": 0.5, "obscuration": 1.0}, "obscuration"),
    ({"wavelength": 193, "na": 0.5, "obscuration": -0.1}, "obscuration"),
    ({"wavelength": 193, "na": 0.5, "aberrations": {40: 0.1}}, "aberrations index"),
])
def test_pupil_validation(kwargs, name):
    with pytest.raises(InvalidParameterError) as info:
        Pupil(**kwargs)
    assert info.value.name == name


def test_na_message_names_immersion():
    with pytest.raises(InvalidParameterError, match=r"na=1\.35.*1\.2") as info:
        Pupil(193.0, 1.35, immersion=1.2)
    assert math.isclose(info.value.value, 1.35)


@pytest.mark.gpu
def test_pupil_on_cupy_matches_numpy():
    cupy = pytest.importorskip("cupy")
    from litho.backend import cupy_available

    if not cupy_available():
        pytest.skip("no usable GPU")
    pupil = Pupil(193.0, 1.35, immersion=1.44, defocus=60.0, aberrations={7: 0.03, 37: 0.01},
                  obscuration=0.1)
    fx, fy, _ = polar_grid(pupil.cutoff, n=64)
    cpu = pupil(fx, fy, dtype=np.complex64)
    gpu = pupil(cupy.asarray(fx), cupy.asarray(fy), dtype=np.complex64)
    assert isinstance(gpu, cupy.ndarray) and gpu.dtype == np.complex64
    # same float64 formulas on both devices, rounded to complex64: a few float32 ulps
    np.testing.assert_allclose(cupy.asnumpy(gpu), cpu, atol=1e-6)
    real = Pupil(193.0, 0.9)
    np.testing.assert_array_equal(cupy.asnumpy(real(cupy.asarray(fx), cupy.asarray(fy))), real(fx, fy))
