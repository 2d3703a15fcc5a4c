"""Band-limited evaluation against the full-grid (research-code) formula.

Reference: I = sum_k w_k |ifft2(H_k * fft2(m))|^2 with each kernel embedded in a full-size
zero spectrum (numpy, float64) — the direct method the band-limited engine replaces.
Tolerances: float64 1e-10 (the issue's bound; the observed error is ~1e-15, rounding in
FFTs of a few hundred points), float32 1e-5 (the issue's bound; single-precision FFT
rounding ~ log2(N)·6e-8 relative to the peak intensity).
"""

from __future__ import annotations

import numpy as np
import pytest

import litho
from litho.errors import InvalidParameterError
from litho.imaging import SOCS
from litho.imaging.band import Band, crop_spectrum, next_fast_size


def full_grid_image(model: SOCS, mask: np.ndarray) -> np.ndarray:
    ny, nx = model.shape
    ky, kx = model.band.ky, model.band.kx
    spectrum = np.fft.fft2(mask.astype(np.complex128))
    image = np.zeros(mask.shape)
    iy = np.arange(-ky, ky + 1) % ny
    ix = np.arange(-kx, kx + 1) % nx
    for kernel, weight in zip(model.kernels, model.weights):
        full = np.zeros((ny, nx), dtype=np.complex128)
        full[np.ix_(iy, ix)] = kernel
        image += weight * np.abs(np.fft.ifft2(full * spectrum)) ** 2
    return image


def random_model(rng, shape=(40, 48), band=(3, 4), n=5, pixel=2.0) -> SOCS:
    by, bx = 2 * band[0] + 1, 2 * band[1] + 1
    kernels = rng.normal(size=(n, by, bx)) + 1j * rng.normal(size=(n, by, bx))
    return SOCS(kernels, rng.uniform(0.1, 1.0, n), pixel, shape)


@pytest.mark.parametrize("precision, tol", [("double", 1e-10), ("single", 1e-5)])
@pytest.mark.parametrize("complex_mask", [False, True])
def test_band_limited_equals_full_grid(precision, tol, complex_mask):
    rng = np.random.default_rng(7)
    model = random_model(rng)
    mask = rng.uniform(0, 1, model.shape)
    if complex_mask:
        mask = mask * np.exp(1j * rng.uniform(0, 2 * np.pi, model.shape))
    reference = full_grid_image(model, mask)
    with litho.config.override(precision=precision):
        got = model.image(mask)
    assert got.dtype == (np.float64 if precision == "double" else np.float32)
    assert np.abs(got - reference).max() <= tol * reference.max()


def test_odd_grid_and_asymmetric_band():
    rng = np.random.default_rng(1)
    model = random_model(rng, shape=(37, 29), band=(4, 2), n=3, pixel=1.5)
    mask = (rng.uniform(size=model.shape) > 0.5).astype(float)
    with litho.config.override(precision="double"):
        got = model.image(mask)
    assert np.abs(got - full_grid_image(model, mask)).max() <= 1e-10 * got.max()


def test_batch_equals_single_images_and_dose_is_linear():
    rng = np.random.default_rng(2)
    model = random_model(rng)
    masks = rng.uniform(0, 1, (2, 3) + model.shape)
    with litho.config.override(precision="double"):
        batch = model.image(masks, dose=1.3)
        for i in range(2):
            for j in range(3):
                single = model.image(masks[i, j])
                np.testing.assert_allclose(batch[i, j], 1.3 * single, rtol=1e-12, atol=1e-14)


def test_spectrum_crop_matches_numpy_fft():
    rng = np.random.default_rng(3)
    band = Band.from_half_band((30, 34), 1.0, 5, 6)
    for mask in (rng.uniform(size=(30, 34)), rng.normal(size=(30, 34)) + 1j * rng.normal(size=(30, 34))):
        full = np.fft.fft2(mask) / mask.size
        expected = full[np.ix_(np.arange(-5, 6) % 30, np.arange(-6, 7) % 34)]
        np.testing.assert_allclose(crop_spectrum(mask, band, np.complex128), expected, atol=1e-14)


def test_small_grid_is_fast_size_and_holds_intensity_band():
    band = Band.from_half_band((2048, 2048), 1.0, 17, 17)
    assert band.my >= 4 * 17 + 1 and band.my == next_fast_size(69) == 72
    assert next_fast_size(121) == 125 and next_fast_size(1) == 1


def test_pixel_too_coarse_names_the_needed_pixel():
    with pytest.raises(InvalidParameterError, match=r"pixel.*at most 1\.267 nm"):
        Band.from_half_band((64, 64), 2.0, 25, 10)  # needs 4*25+1 = 101 samples per 128 nm


@pytest.mark.parametrize("dose", [-1.0, float("nan"), float("inf"), "high"])
def test_bad_dose(dose):
    model = random_model(np.random.default_rng(0))
    with pytest.raises(InvalidParameterError, match="dose"):
        model.image(np.ones(model.shape), dose=dose)


def test_bad_masks():
    model = random_model(np.random.default_rng(0))
    bad = np.ones(model.shape)
    bad[3, 4] = np.nan
    with pytest.raises(InvalidParameterError, match="mask.*NaN"):
        model.image(bad)
    with pytest.raises(InvalidParameterError, match=r"mask.*\(\.\.\., 40, 48\)"):
        model.image(np.ones((40, 47)))


def test_bad_kernel_sets():
    with pytest.raises(InvalidParameterError, match="kernels"):
        SOCS(np.ones((2, 4, 5)), [1.0, 1.0], 1.0, (64, 64))  # even band size
    with pytest.raises(InvalidParameterError, match="weights"):
        SOCS(np.ones((2, 5, 5)), [1.0], 1.0, (64, 64))
    with pytest.raises(InvalidParameterError, match="kernels/weights"):
        SOCS(np.ones((1, 5, 5)), [-1.0], 1.0, (64, 64))
