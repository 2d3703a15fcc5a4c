"""Whole resist processes (CAR, DNQ): closed-form dose to clear, chain consistency, errors."""

from __future__ import annotations

import numpy as np
import pytest

from litho.errors import InvalidParameterError
from litho.resist import CAR, DNQ, PEB, Dill, Mack, ResistProfile, ShotNoise, SurfaceInhibition, car_acid

MACK = Mack(r_max=100.0, r_min=0.1, n=5.0, m_th=0.5)
THICKNESS, DEVELOP, PIXEL = 100.0, 30.0, 4.0


def car(**kwargs):
    args = dict(thickness=THICKNESS, C=0.05, peb=PEB(time=60.0, acid_diffusivity=3.0, k_amp=0.05),
                development=MACK, develop_time=DEVELOP, nz=20)
    args.update(kwargs)
    return CAR(**args)


def car_dose_to_clear():
    """A uniform, non-absorbing film clears when R(m) t_dev = thickness:
    m* = Mack^-1(thickness / t_dev), h* = -ln(m*) / (k_amp t_peb), E0 = -ln(1 - h*) / C."""
    m_star = MACK.inverse(THICKNESS / DEVELOP)
    h_star = -np.log(m_star) / (0.05 * 60.0)
    return -np.log1p(-h_star) / 0.05


def test_car_dose_to_clear_matches_the_closed_form():
    e0 = car_dose_to_clear()
    flat = np.ones((8, 8))
    resist = car()
    # 0.1 % either side of E0: the film stays (barely) or clears
    assert float(resist.develop(flat, PIXEL, 1.001 * e0).height.max()) == 0.0
    assert float(resist.develop(flat, PIXEL, 0.999 * e0).height.min()) > 0.0
    # below E0 the developed depth is exactly R(m(E)) t_dev (uniform rate: T = z / R)
    dose = 0.8 * e0
    m = np.exp(-0.05 * 60.0 * car_acid(dose, 0.05))
    expected = THICKNESS - float(MACK.rate(m)) * DEVELOP
    # the PEB of a uniform acid is the 0-D reaction (diffusion changes nothing): float32
    # rounding through the bake and the rate, ~1e-6 relative
    np.testing.assert_allclose(resist.develop(flat, PIXEL, dose).height, expected, rtol=1e-5)


def test_dnq_dose_to_clear_matches_the_closed_form():
    # A = B = 0: no absorption, so m = exp(-C E) everywhere and E0 = -ln(m*) / C
    dill = Dill(0.0, 0.0, 0.02)
    m_star = MACK.inverse(THICKNESS / DEVELOP)
    e0 = -np.log(m_star) / 0.02
    resist = DNQ(THICKNESS, dill, MACK, DEVELOP, nz=10)
    flat = np.ones((4, 4))
    assert float(resist.develop(flat, PIXEL, 1.001 * e0).height.max()) == 0.0
    assert float(resist.develop(flat, PIXEL, 0.999 * e0).height.min()) > 0.0


def test_dnq_bake_diffuses_the_inhibitor():
    x = (np.arange(32) + 0.5) * PIXEL
    image = np.tile(0.5 + 0.5 * np.cos(2 * np.pi * x / 128.0), (4, 1))
    dill = Dill(0.6, 0.05, 0.015)
    sharp = DNQ(THICKNESS, dill, MACK, DEVELOP, nz=10).simulate(image, PIXEL, 100.0)[1]
    soft = DNQ(THICKNESS, dill, MACK, DEVELOP, diffusion_length=20.0, nz=10).simulate(image, PIXEL, 100.0)[1]
    np.testing.assert_array_equal(soft.latent, sharp.latent)  # the exposure is the same
    # the bake is linear and exact: the depth-averaged inhibitor's 128-nm harmonic is damped
    # by exactly exp(-2 pi^2 s^2 / p^2) (z diffusion leaves the depth average alone)
    harmonic = lambda m: abs(np.fft.rfft(m.mean(axis=(0, 1)))[1])  # noqa: E731
    damping = np.exp(-2 * np.pi**2 * 20.0**2 / 128.0**2)
    assert harmonic(soft.inhibitor) / harmonic(sharp.inhibitor) == pytest.approx(damping, rel=1e-10)
    # the bake conserves the inhibitor (no-flux z, periodic x, y): 1e-12 relative
    assert float(soft.inhibitor.sum()) == pytest.approx(float(sharp.inhibitor.sum()), rel=1e-12)


def test_a_line_prints_symmetric_with_a_sloped_sidewall():
    # a dark line (low intensity in the middle of a 256-nm period) in an absorbing CAR
    x = (np.arange(64) + 0.5) * PIXEL
    image = np.tile(0.55 - 0.45 * np.cos(2 * np.pi * (x - 128.0) / 256.0), (4, 1))
    resist = car(absorption=1.5)
    profile, stages = resist.simulate(image, PIXEL, 1.6 * car_dose_to_clear())
    assert isinstance(profile, ResistProfile)
    assert stages.intensity.shape == stages.rate.shape == (20, 4, 64)
    cut = ((28.0, 6.0), (228.0, 6.0))
    cds = profile.cds(cut)
    assert cds["top"] < cds["middle"] < cds["bottom"]  # absorption: the line widens at its foot
    assert 0.0 < profile.sidewall_angle(cut) < 90.0
    # symmetric image -> the profile is mirror-symmetric about x = 128 (to the march's rounding)
    heights = profile.height
    np.testing.assert_allclose(heights[:, :32], heights[:, 63:31:-1], atol=1e-6)  # pixel i <-> 63 - i
    # develop longer, the line thins
    assert profile.at(2 * DEVELOP).cd(cut) < profile.cd(cut)


def test_surface_inhibition_slows_the_top():
    flat = np.ones((4, 4))
    dose = 0.8 * car_dose_to_clear()
    plain = car().develop(flat, PIXEL, dose).height
    slowed = car(development=SurfaceInhibition(MACK, r_0=0.1, depth=10.0)).develop(flat, PIXEL, dose).height
    assert float(slowed.min()) > float(plain.max())


def test_shot_noise_is_seeded_and_roughens():
    image = np.full((16, 16), 1.0)
    resist = car(absorption=5.0, shot_noise=ShotNoise(wavelength=13.5, pag_density=0.2))
    dose = 0.9 * car_dose_to_clear()
    a = resist.develop(image, PIXEL, dose, rng=7).height
    b = resist.develop(image, PIXEL, dose, rng=7).height
    c = resist.develop(image, PIXEL, dose, rng=8).height
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert float(np.std(a)) > 0.0  # a flat exposure no longer develops flat
    with pytest.raises(InvalidParameterError) as info:
        resist.develop(image, PIXEL, dose)
    assert info.value.name == "rng"


@pytest.mark.parametrize(("call", "name"), [
    (lambda: car(thickness=-1.0), "CAR.thickness"),
    (lambda: car(development="mack"), "CAR.development"),
    (lambda: car(peb=None), "CAR.peb"),
    (lambda: car(nz=1), "CAR.nz"),
    (lambda: car(develop_time=-5.0), "CAR.develop_time"),
    (lambda: car(shot_noise=ShotNoise(13.5, 0.2)), "CAR.absorption"),
    (lambda: DNQ(100.0, "dill", MACK, 10.0), "DNQ.dill"),
    (lambda: DNQ(100.0, Dill(0.5, 0, 0.01), MACK, 10.0, diffusion_length=-1.0), "DNQ.diffusion_length"),
    (lambda: car().develop(np.ones((4, 4)), PIXEL, -1.0), "dose"),
    (lambda: car().develop(np.ones((4, 4)), 0.0, 10.0), "pixel"),
    (lambda: car().develop(np.full((4, 4), np.nan), PIXEL, 10.0), "intensity[0, 0]"),
    (lambda: car().develop(np.ones(4), PIXEL, 10.0), "intensity"),
    (lambda: car().develop(np.ones((4, 4)), PIXEL, 10.0, t_max=1.0), "t_max"),
])
def test_bad_input_is_named(call, name):
    with pytest.raises(InvalidParameterError) as info:
        call()
    assert info.value.name == name
