"""Scalar imaging against independent truth: closed forms, a second method, invariants."""

from __future__ import annotations

import numpy as np
import pytest

import litho
from litho.imaging import SOCS, abbe_image, aerial_image
from litho.optics import Optics, Source

DOUBLE = {"precision": "double"}


def grating_mask(period, pixel, shape, duty=0.5, orders=None):
    """Line/space transmission (lines of width duty*period clear), as its Fourier series.

    Returns the mask sampled at pixel centres from the series truncated to the grid's
    Nyquist band, and the exact coefficients a_n (real: the clear line is centred at 0).
    Sampling a truncated series gives a pixel mask whose DFT coefficients ARE a_n, so
    closed forms built from a_n are exact for it.
    """
    ny, nx = shape
    x = np.arange(nx) * pixel  # sample positions of the DFT (and of the image)
    periods = nx * pixel / period
    n_max = int((nx // 2 - 1) // periods) if orders is None else orders  # below Nyquist
    n = np.arange(-n_max, n_max + 1)
    a = duty * np.sinc(n * duty)
    row = (a[:, None] * np.exp(2j * np.pi * n[:, None] * x[None, :] / period)).sum(0).real
    return np.broadcast_to(row, shape).copy(), dict(zip(n.tolist(), a.tolist())), x


# ---------------------------------------------------------------- coherent closed form
@pytest.mark.parametrize("defocus", [0.0, 120.0])
@pytest.mark.parametrize("method", ["abbe", "socs"])
def test_coherent_three_beam_grating_closed_form(defocus, method):
    """sigma = 0, pitch 300 nm at 193 nm / NA 0.85: orders -1, 0, +1 pass (|n/p| <= NA/lambda).

    I(x) = |a0 + a1 e^{i phi} 2 cos(2 pi x / p)|^2 with phi = 2 pi z (sqrt(1/l^2 - 1/p^2) - 1/l).
    Tolerance 1e-6 (issue): float64 arithmetic, observed ~1e-15.
    """
    wavelength, na, period, pixel = 193.0, 0.85, 300.0, 5.0
    shape = (8, 120)  # two periods along x
    optics = Optics(wavelength=wavelength, na=na, source=Source.conventional(0.0), defocus=defocus)
    mask, a, x = grating_mask(period, pixel, shape)
    phi = 2 * np.pi * defocus * (np.sqrt(1 / wavelength**2 - 1 / period**2) - 1 / wavelength)
    expected = np.abs(a[0] + a[1] * np.exp(1j * phi) * 2 * np.cos(2 * np.pi * x / period)) ** 2
    with litho.config.override(**DOUBLE):
        image = aerial_image(mask, optics, pixel, method=method, n_kernels=10**6)
    assert np.abs(image - expected[None, :]).max() <= 1e-6


# ---------------------------------------------------------------- partially coherent 1-D Abbe
def abbe_1d_reference(a, period, x, wavelength, na, sigma_in, sigma_out, n_r=400, n_t=1440):
    """Independent 1-D Abbe: the annulus integrated by midpoint quadrature in (r, theta).

    Area element r dr dtheta; every diffraction order n of the y-invariant grating is
    passed when |(n/p + s_x NA/l, s_y NA/l)| <= NA/l (closed pupil, in focus).
    """
    r_edges = np.linspace(sigma_in, sigma_out, n_r + 1)
    r = 0.5 * (r_edges[1:] + r_edges[:-1])
    t = (np.arange(n_t) + 0.5) * 2 * np.pi / n_t
    rr, tt = np.meshgrid(r, t, indexing="ij")
    weight = (rr * (r_edges[1] - r_edges[0]) * (2 * np.pi / n_t)).ravel()
    sx, sy = (rr * np.cos(tt)).ravel(), (rr * np.sin(tt)).ravel()
    cutoff = na / wavelength
    field = np.zeros((len(sx), len(x)), dtype=complex)
    for n, coefficient in a.items():
        passed = np.hypot(n / period + sx * cutoff, sy * cutoff) <= cutoff
        field += passed[:, None] * coefficient * np.exp(2j * np.pi * n * x[None, :] / period)
    return (weight[:, None] * np.abs(field) ** 2).sum(0) / weight.sum()


def test_annular_grating_matches_independent_1d_abbe():
    """Annular 0.5/0.8, pitch 260 nm, 193 nm / NA 0.9: orders 0, +-1 (two- and three-beam).

    The library samples the source on a step grid (exact cell areas, one point per cell);
    the reference integrates the annulus in polar coordinates (converged: refining it
    changes it by 4e-6). Imaging itself is exact for the sampled points (4e-14 against
    this formula fed the library's points), so the difference is the source-sampling
    error: pupil-edge circles cross the cells, which makes it O(step) and not monotone.
    Observed, of a peak intensity 0.64: 1.4e-3 at step 0.05, 4.3e-4 at 0.02, 4.4e-4 at
    0.01, 5.3e-5 at 0.005. Bounds: 5e-3 at 0.05, 2e-3 at 0.02, and 0.02 closer than 0.05.
    """
    wavelength, na, period, pixel = 193.0, 0.9, 260.0, 5.2
    shape = (10, 100)  # two periods
    source = Source.annular(0.5, 0.8)
    optics = Optics(wavelength=wavelength, na=na, source=source)
    mask, a, x = grating_mask(period, pixel, shape)
    reference = abbe_1d_reference({n: c for n, c in a.items() if abs(n) <= 2}, period, x, wavelength, na, 0.5, 0.8)
    errors = {}
    with litho.config.override(**DOUBLE):
        for step, bound in ((0.05, 5e-3), (0.02, 2e-3)):
            image = abbe_image(mask, optics, pixel, source_step=step)
            errors[step] = np.abs(image - reference[None, :]).max()
            assert errors[step] <= bound, (step, errors[step])
            socs = aerial_image(mask, optics, pixel, source_step=step, n_kernels=10**6)
            assert np.abs(socs - image).max() <= 1e-9  # same sampled source: same image
    assert errors[0.02] < errors[0.05]


# ---------------------------------------------------------------- Abbe = SOCS
@pytest.fixture(scope="module")
def aberrated_optics():
    return Optics(wavelength=193.0, na=0.93, source=Source.quasar(0.55, 0.85, 30.0),
                  defocus=40.0, aberrations={7: 0.03, 9: -0.02, 8: 0.015})


@pytest.mark.parametrize("complex_mask", [False, True])
def test_abbe_equals_socs_with_all_kernels(aberrated_optics, complex_mask):
    """Abbe and SOCS with every kernel are the same sum (A A^H): equal to 1e-6 (issue).

    Random 2-D masks, aberrated and defocused optics, float64. Observed ~1e-14.
    """
    rng = np.random.default_rng(11)
    shape, pixel = (40, 44), 8.0
    mask = rng.uniform(0, 1, shape)
    if complex_mask:
        mask = mask * np.exp(1j * np.pi * (rng.uniform(size=shape) > 0.5))
    with litho.config.override(**DOUBLE):
        abbe = abbe_image(mask, aberrated_optics, pixel, source_step=0.08)
        model = SOCS.from_optics(aberrated_optics, pixel, shape, n_kernels=10**6, source_step=0.08, cache=False)
        socs = model.image(mask)
    assert model.energy_captured == pytest.approx(1.0, abs=1e-12)
    assert np.abs(abbe - socs).max() <= 1e-6


def test_socs_truncation_error_bounded_by_discarded_energy(aberrated_optics):
    """0 <= I_all - I_k <= (sum of discarded weights) * mean(|m|^2) at every pixel.

    Each kernel is a unit vector, so |E_k(x)| <= ||c||_2 and ||c||_2^2 = mean(|m|^2)
    (Parseval); discarded terms are non-negative.
    """
    rng = np.random.default_rng(5)
    shape, pixel = (40, 44), 8.0
    mask = rng.uniform(0, 1, shape)
    with litho.config.override(**DOUBLE):
        full = SOCS.from_optics(aberrated_optics, pixel, shape, n_kernels=10**6, source_step=0.08, cache=False)
        for n in (1, 3, 8):
            part = full.truncate(n)
            difference = full.image(mask) - part.image(mask)
            bound = full.weights[n:].sum() * np.mean(np.abs(mask) ** 2)
            assert difference.min() >= -1e-12 and difference.max() <= bound + 1e-12
            assert part.energy_captured == pytest.approx(full.weights[:n].sum() / full.weights.sum(), rel=1e-12)


def test_energy_truncation_and_kernel_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("LITHO_CACHE_DIR", str(tmp_path))
    optics = Optics(wavelength=193.0, na=0.85, source=Source.annular(0.6, 0.9), defocus=17.0)
    with litho.config.override(**DOUBLE):
        model = SOCS.from_optics(optics, 10.0, (48, 48), energy=0.99, source_step=0.1)
        assert model.energy_captured >= 0.99
        fewer = SOCS.from_optics(optics, 10.0, (48, 48), n_kernels=len(model) - 1, source_step=0.1, cache=False)
        assert fewer.energy_captured < 0.99  # the fewest kernels that capture the energy
        files = list((tmp_path / "socs").glob("*.npz"))
        assert len(files) == 1
        from litho.imaging import socs as socs_module

        socs_module._cached_from_optics.cache_clear()  # force the disk path
        again = SOCS.from_optics(optics, 10.0, (48, 48), energy=0.99, source_step=0.1)
        np.testing.assert_array_equal(again.kernels, model.kernels)
        np.testing.assert_array_equal(again.weights, model.weights)


# ---------------------------------------------------------------- invariants
@pytest.mark.parametrize("method", ["abbe", "socs"])
def test_clear_mask_is_one_and_images_are_non_negative(method):
    optics = Optics(wavelength=193.0, na=1.35, immersion=1.44, source=Source.annular(0.6, 0.9), defocus=30.0,
                    aberrations={9: 0.02})
    shape, pixel = (48, 40), 4.0
    with litho.config.override(**DOUBLE):
        clear = aerial_image(np.ones(shape), optics, pixel, method=method, source_step=0.1, n_kernels=10**6)
        rng = np.random.default_rng(0)
        image = aerial_image(rng.uniform(size=shape), optics, pixel, method=method, source_step=0.1)
    np.testing.assert_allclose(clear, 1.0, atol=1e-12)  # all kernels: exact up to rounding
    assert image.min() >= -1e-12


def test_symmetric_source_and_mask_give_symmetric_image():
    """Mirror symmetry x -> -x of mask and source carries over to the image (float64)."""
    optics = Optics(wavelength=193.0, na=0.9, source=Source.dipole(0.5, 0.8, 40.0, axis="x"))
    rng = np.random.default_rng(4)
    half = rng.uniform(size=(32, 16))
    mask = np.concatenate([half, half[:, ::-1]], axis=1)  # symmetric about x = 16 pixels
    with litho.config.override(**DOUBLE):
        image = abbe_image(mask, optics, 6.0, source_step=0.05)
    # pixel c <-> 31 - c in this sampling; Fourier interpolation keeps the symmetry exactly
    np.testing.assert_allclose(image, image[:, ::-1], atol=1e-12)


def test_defocus_sign_symmetry_without_aberrations():
    """Real mask, point-symmetric source, no aberrations: I(+z) = I(-z)."""
    rng = np.random.default_rng(8)
    mask = (rng.uniform(size=(40, 40)) > 0.6).astype(float)
    images = []
    with litho.config.override(**DOUBLE):
        for z in (60.0, -60.0):
            optics = Optics(wavelength=193.0, na=0.85, source=Source.annular(0.4, 0.7), defocus=z)
            images.append(abbe_image(mask, optics, 8.0, source_step=0.06))
    np.testing.assert_allclose(images[0], images[1], atol=1e-12)
    assert np.abs(images[0] - abbe_image(mask, Optics(wavelength=193.0, na=0.85, source=Source.annular(0.4, 0.7)),
                                         8.0, source_step=0.06)).max() > 1e-3  # defocus does change it


def test_fringe_z4_reproduces_small_defocus():
    """Paraxial defocus z equals Fringe Z4 with c4 = -z NA^2 / (4 n lambda) waves (plus piston).

    NA 0.3: the exact phase's next (fourth-order) term is at most
    2 pi z (n/l) (NA/n)^4 / 8 = 2.6e-3 rad at z = 50 nm; images agree to 2e-3.
    """
    rng = np.random.default_rng(9)
    mask = (rng.uniform(size=(32, 32)) > 0.5).astype(float)
    z, na, wavelength = 50.0, 0.3, 193.0
    source = Source.conventional(0.5)
    with litho.config.override(**DOUBLE):
        defocused = abbe_image(mask, Optics(wavelength=wavelength, na=na, source=source, defocus=z), 40.0)
        zernike = abbe_image(mask, Optics(wavelength=wavelength, na=na, source=source,
                                          aberrations={4: -z * na**2 / (4 * wavelength)}), 40.0)
        focus = abbe_image(mask, Optics(wavelength=wavelength, na=na, source=source), 40.0)
    assert np.abs(defocused - zernike).max() <= 2e-3
    assert np.abs(defocused - focus).max() > 10 * np.abs(defocused - zernike).max()


def test_float32_matches_float64():
    optics = Optics(wavelength=193.0, na=1.2, immersion=1.44, source=Source.annular(0.5, 0.9))
    rng = np.random.default_rng(1)
    mask = rng.uniform(size=(64, 64))
    with litho.config.override(**DOUBLE):
        reference = aerial_image(mask, optics, 4.0, source_step=0.1)
    single = aerial_image(mask, optics, 4.0, source_step=0.1)
    assert single.dtype == np.float32
    assert np.abs(single - reference).max() <= 1e-5  # single-precision FFT rounding


@pytest.mark.gpu
def test_gpu_equals_cpu():
    cupy = pytest.importorskip("cupy")
    optics = Optics(wavelength=193.0, na=1.35, immersion=1.44, source=Source.annular(0.6, 0.9))
    rng = np.random.default_rng(2)
    masks = rng.uniform(size=(4, 128, 128))
    for method in ("socs", "abbe"):
        cpu = aerial_image(masks, optics, 4.0, method=method, source_step=0.1)
        gpu = aerial_image(cupy.asarray(masks), optics, 4.0, method=method, source_step=0.1)
        assert isinstance(gpu, cupy.ndarray)
        assert np.abs(cupy.asnumpy(gpu) - cpu).max() <= 1e-5
