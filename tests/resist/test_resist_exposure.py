"""Exposure: Dill bleaching against its exact B = 0 solution, CAR acid, image in resist."""

from __future__ import annotations

import numpy as np
import pytest

from litho.errors import InvalidParameterError
from litho.resist.exposure import Dill, car_acid, image_in_resist

A_UM, C, E, D_NM = 0.8, 0.015, 100.0, 1000.0


def exact_m(z_nm, dose):
    """Dill with B = 0: m(z, E) = e^{Az} / (e^{Az} + e^{CE} - 1) (Herrick / Mack)."""
    az = A_UM * 1e-3 * np.asarray(z_nm)
    return np.exp(az) / (np.exp(az) + np.exp(C * dose) - 1.0)


def test_dill_b0_matches_the_exact_solution_and_the_issue_values():
    bleach = Dill(A_UM, 0.0, C).bleach(E, D_NM)
    # the issue's values, to half a unit of their last digit
    assert bleach.m[0] == pytest.approx(0.2231, abs=5e-5)
    assert bleach.m[-1] == pytest.approx(0.3900, abs=5e-5)
    assert bleach.transmittance == pytest.approx(0.7853, abs=5e-5)
    # the whole profile: RK4 in dose + trapezoid absorbance at 201 nodes, error ~1e-8
    np.testing.assert_allclose(bleach.m, exact_m(bleach.z, E), atol=1e-7)
    # transmittance in closed form: int_0^D A m dz = ln((e^{AD} + e^{CE} - 1) / e^{CE}),
    # so T = e^{CE} / (e^{AD} + e^{CE} - 1)
    ad, ce = A_UM * D_NM * 1e-3, C * E
    t_exact = np.exp(ce) / (np.exp(ad) + np.exp(ce) - 1.0)
    assert bleach.transmittance == pytest.approx(t_exact, abs=1e-7)


def test_unexposed_and_nonbleaching_films():
    film = Dill(0.5, 0.2, 0.01).bleach(0.0, 500.0)
    assert np.all(film.m == 1.0)
    # unexposed: Beer-Lambert with A + B
    np.testing.assert_allclose(film.intensity, np.exp(-(0.7e-3) * film.z), rtol=1e-12)
    # A = 0: the intensity never changes, so m = exp(-C E I(z)) exactly (RK4 error ~5e-10)
    film = Dill(0.0, 0.4, 0.02).bleach(50.0, 800.0)
    np.testing.assert_allclose(film.m, np.exp(-0.02 * 50.0 * np.exp(-0.4e-3 * film.z)), rtol=1e-9)


def test_expose_image_reads_each_pixel_at_its_dose():
    dill = Dill(A_UM, 0.0, C)
    image = np.array([[1.0, 0.5, 0.2], [0.0, 0.8, 0.33]])
    m = dill.expose(image, E, D_NM, nz=40)
    z = (np.arange(40) + 0.5) * D_NM / 40
    for (iy, ix), value in np.ndenumerate(image):
        # linear interpolation between RK4 dose steps (256 per unit C E): error < 1e-5
        np.testing.assert_allclose(m[:, iy, ix], exact_m(z, E * value), atol=1e-5)
    assert dill.expose(image.astype(np.float32), E, D_NM, nz=4).dtype == np.float32


def test_expose_volume_equals_the_image_path():
    # the same film given as an unbleached intensity volume (absorption A + B applied)
    dill = Dill(0.8, 0.1, C)
    image = np.random.default_rng(0).random((3, 4))
    from_image = dill.expose(image, E, D_NM, nz=50)
    volume = image_in_resist(image, D_NM, 50, absorption=0.9)
    from_volume = dill.expose(volume, E, D_NM)
    # 64 exponential-midpoint steps and the midpoint rule in depth (second order): 1e-4
    np.testing.assert_allclose(from_volume, from_image, atol=1e-4)


def test_car_acid_and_image_in_resist():
    assert float(car_acid(20.0, 0.05)) == pytest.approx(0.6321, abs=5e-5)  # the issue's value
    doses = np.array([0.0, 1e-12, 10.0, 1e3], dtype=np.float32)
    h = car_acid(doses, 0.05)
    assert h.dtype == np.float32 and h[0] == 0.0 and h[-1] == pytest.approx(1.0)
    assert h[1] == pytest.approx(5e-14, rel=1e-5)  # expm1: no cancellation at tiny doses
    image = np.full((2, 3), 0.5)
    volume = image_in_resist(image, 100.0, 10, absorption=2.0)
    z = (np.arange(10) + 0.5) * 10.0
    np.testing.assert_allclose(volume[:, 1, 2], 0.5 * np.exp(-2e-3 * z), rtol=1e-14)


@pytest.mark.parametrize(("call", "name"), [
    (lambda: Dill(-0.1, 0, 0.01), "Dill.A"),
    (lambda: Dill(0.1, -1, 0.01), "Dill.B"),
    (lambda: Dill(0.1, 0, 0.0), "Dill.C"),
    (lambda: Dill(0.8, 0, C).bleach(-1.0, 1000.0), "dose"),
    (lambda: Dill(0.8, 0, C).bleach(1.0, -5.0), "thickness"),
    (lambda: Dill(0.8, 0, C).bleach(1.0, 100.0, nz=1), "nz"),
    (lambda: Dill(0.8, 0, C).expose(np.ones((2, 2)), 1.0, 100.0), "nz"),
    (lambda: Dill(0.8, 0, C).expose(np.full((2, 2), np.nan), 1.0, 100.0, nz=3), "intensity[0, 0]"),
    (lambda: Dill(0.8, 0, C).expose(-np.ones((2, 2)), 1.0, 100.0, nz=3), "intensity[0, 0]"),
    (lambda: Dill(0.8, 0, C).expose(np.ones((3, 2, 2)), 1.0, 100.0, nz=4), "nz"),
    (lambda: Dill(0.8, 0, C).expose(np.ones(4), 1.0, 100.0, nz=4), "intensity"),
    (lambda: car_acid(-1.0, 0.05), "dose"),
    (lambda: car_acid(1.0, 0.0), "C"),
    (lambda: image_in_resist(np.ones((2, 2)), 100.0, 0), "nz"),
    (lambda: image_in_resist(np.ones((2, 2)), 100.0, 4, absorption=-1.0), "absorption"),
])
def test_bad_input_is_named(call, name):
    with pytest.raises(InvalidParameterError) as info:
        call()
    assert info.value.name == name
