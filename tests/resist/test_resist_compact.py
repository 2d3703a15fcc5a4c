"""Compact resist models: closed-form prints of a cosine image, limits, gradients."""

from __future__ import annotations

import numpy as np
import pytest

from litho.errors import InvalidParameterError
from litho.resist.compact import (
    ConstantThreshold,
    DiffusedThreshold,
    SigmoidThreshold,
    VariableThreshold,
    gaussian_blur,
)

PIXEL, N, PITCH = 2.0, 128, 256.0  # one period of a 256-nm grating on 128 pixels
X = (np.arange(N) + 0.5) * PIXEL  # pixel centres


def grating(a0=0.5, a1=0.4, rows=4):
    return np.tile(a0 + a1 * np.cos(2 * np.pi * X / PITCH), (rows, 1))


def printed_width(threshold, a0=0.5, a1=0.4):
    """Closed form: a0 + a1 cos(2 pi x / p) >= t for |x| <= (p / 2 pi) acos((t - a0)/a1)."""
    return 2 * PITCH / (2 * np.pi) * np.arccos((threshold - a0) / a1)


@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.75])
def test_constant_threshold_prints_the_closed_form_width(threshold):
    printed = ConstantThreshold(threshold).print(grating(), PIXEL)
    # counting pixels whose centre prints: within one pixel of the closed form
    assert abs(printed[0].sum() * PIXEL - printed_width(threshold)) <= PIXEL
    assert np.all(printed == printed[:1])  # every row the same
    negative = ConstantThreshold(threshold, tone="negative").print(grating(), PIXEL)
    assert np.array_equal(negative, ~printed)
    # dose scales the image: printing at dose d equals the threshold t / d
    np.testing.assert_array_equal(ConstantThreshold(threshold).print(grating(), PIXEL, dose=1.25),
                                  ConstantThreshold(threshold / 1.25).print(grating(), PIXEL))


def test_contours_of_the_print_are_sub_pixel():
    # one printed band per period: its area is the closed-form width x the sampled height
    # (rows between the outermost pixel centres). Linear interpolation between pixel
    # centres moves each edge by at most (h^2 / 8) |f''| / |f'| = (h^2 / 8) k |cot(k x_e)|
    k = 2 * np.pi / PITCH
    edge = printed_width(0.6) / 2
    bound = 2 * PIXEL**2 / 8 * k / abs(np.tan(k * edge))  # both edges
    image = np.roll(grating(rows=8), N // 2, axis=1)  # the band in the middle of the window
    outline = ConstantThreshold(0.6).contours(image, PIXEL)
    assert len(outline) == 1
    x0, _, x1, _ = outline.bbox
    assert abs((x1 - x0) - printed_width(0.6)) <= bound
    assert abs(outline.area() - printed_width(0.6) * 7 * PIXEL) <= bound * 7 * PIXEL
    assert len(ConstantThreshold(5.0).contours(image, PIXEL)) == 0  # nothing prints


def test_gaussian_blur_of_a_cosine_is_exact():
    sigma = 12.0
    blurred = gaussian_blur(grating(), sigma, PIXEL)
    # the Fourier transform of a Gaussian: the first harmonic shrinks by exp(-2 pi^2 s^2 f^2)
    expected = grating(a1=0.4 * np.exp(-2 * np.pi**2 * sigma**2 / PITCH**2))
    np.testing.assert_allclose(blurred, expected, atol=1e-13)
    assert gaussian_blur(grating().astype(np.float32), sigma, PIXEL).dtype == np.float32
    model = DiffusedThreshold(0.5, sigma)
    np.testing.assert_allclose(model.latent(grating(), PIXEL), expected, atol=1e-13)
    assert abs(model.print(grating(), PIXEL)[0].sum() * PIXEL - printed_width(0.5)) <= PIXEL  # t = a0: width p/2
    # at t != a0 the blur changes the width as the closed form with the shrunk amplitude says
    w = printed_width(0.7, a1=0.4 * np.exp(-2 * np.pi**2 * sigma**2 / PITCH**2))
    assert abs(DiffusedThreshold(0.7, sigma).print(grating(), PIXEL)[0].sum() * PIXEL - w) <= PIXEL


def test_variable_threshold_terms():
    image = grating()
    # with only c0 it is the constant threshold
    np.testing.assert_array_equal(VariableThreshold(0.5).print(image, PIXEL),
                                  ConstantThreshold(0.5).print(image, PIXEL))
    model = VariableThreshold(0.1, c1=0.3, c2=0.2, c3=5.0, window=PITCH)
    i_max, i_min = model.local_extrema(image, PIXEL)
    # a window of a whole period sees the whole image: the sampled extremes
    assert np.all(i_max == image.max()) and np.all(i_min == image.min())
    slope = model.slope(image, PIXEL)
    # the central difference of a cos(k x) is exactly -a sin(k x) sin(k h) / h
    k = 2 * np.pi / PITCH
    exact = 0.4 * np.abs(np.sin(k * X)) * np.sin(k * PIXEL) / PIXEL
    np.testing.assert_allclose(slope[0], exact, atol=1e-15)
    expected = 0.1 + 0.3 * image.max() + 0.2 * image.min() + 5.0 * slope
    np.testing.assert_allclose(model.threshold_map(image, PIXEL), expected, rtol=1e-14)


def test_sigmoid_tends_to_the_threshold_and_its_gradient_is_exact():
    image = grating()
    sharp = SigmoidThreshold(0.5, steepness=1e4).print(image, PIXEL)
    hard = ConstantThreshold(0.5).print(image, PIXEL)
    # away from the contour (|I - t| > 1e-3) the sigmoid is 0 or 1 to exp(-10)
    away = np.abs(image - 0.5) > 1e-3
    np.testing.assert_allclose(sharp[away], hard[away].astype(float), atol=1e-4)
    model = SigmoidThreshold(0.4, steepness=40.0, diffusion_length=8.0)
    p = model.print(image, PIXEL)
    assert p.min() >= 0.0 and p.max() <= 1.0
    rng = np.random.default_rng(1)
    weights, direction = rng.random(image.shape), rng.random(image.shape)
    loss = lambda im: float((model.print(im, PIXEL, dose=1.1) * weights).sum())  # noqa: E731
    eps = 1e-6
    numeric = (loss(image + eps * direction) - loss(image - eps * direction)) / (2 * eps)
    analytic = float((model.vjp(image, PIXEL, weights, dose=1.1) * direction).sum())
    # central differences: truncation ~eps^2 |P'''| and rounding ~1e-16 |L| / eps
    assert analytic == pytest.approx(numeric, rel=1e-7)


@pytest.mark.parametrize(("call", "name"), [
    (lambda: ConstantThreshold(0.0), "ConstantThreshold.threshold"),
    (lambda: ConstantThreshold(0.3, tone="both"), "ConstantThreshold.tone"),
    (lambda: DiffusedThreshold(0.3, -1.0), "DiffusedThreshold.diffusion_length"),
    (lambda: VariableThreshold(0.3, window=0.0), "VariableThreshold.window"),
    (lambda: VariableThreshold(float("nan")), "VariableThreshold.c0"),
    (lambda: SigmoidThreshold(0.3, 0.0), "SigmoidThreshold.steepness"),
    (lambda: ConstantThreshold(0.3).print(np.full((2, 2), np.nan), 1.0), "image[0, 0]"),
    (lambda: ConstantThreshold(0.3).print(np.ones(3), 1.0), "image"),
    (lambda: ConstantThreshold(0.3).print(np.ones((2, 2)), 0.0), "pixel"),
    (lambda: ConstantThreshold(0.3).print(np.ones((2, 2)), 1.0, dose=-1), "dose"),
])
def test_bad_input_is_named(call, name):
    with pytest.raises(InvalidParameterError) as info:
        call()
    assert info.value.name == name
