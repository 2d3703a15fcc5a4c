"""Mask models: transmissions from exact rasters, spectra from exact polygon transforms.

Truths are closed forms (a clear mask is δ at k = 0; transmission values inside and far
from polygons), identities between models (T = 0 attenuated PSM ≡ binary mask; clear +
dark = 1), and the DFT of the area raster for the spectra (aliasing-limited, see
test_polygon_spectrum.py). Spectra are compared in complex128 to 1e-12 (float64 sums of
a few terms of size <= 1); raster transmissions in float32 to 1e-6 (float32 rounding of
values <= 1).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

import litho
from litho.errors import InvalidParameterError
from litho.imaging.mask import (
    AlternatingPSM,
    AttenuatedPSM,
    BinaryMask,
    ContinuousMask,
    as_transmission,
    continuous_mask,
)
from litho.imaging.polygon_spectrum import pixel_box_factor, polygon_spectrum

TIGHT = 1e-12
SINGLE = 1e-6
GRID = {"pixel": 2.0, "shape": (32, 40), "origin": (0.0, 0.0)}
# mask-model spectra refer to pixel centres: origin + pixel/2 (GRID: origin 0, pixel 2 nm)
CENTRE = (1.0, 1.0)
LINES = litho.Layout.from_rects([(10, 8, 30, 56), (44, 8, 58, 56)])
ANGLED = litho.Layout([[(6.0, 6.0), (40.0, 12.0), (30.0, 50.0)]])


def delta(band):
    ky, kx = band
    out = np.zeros((2 * ky + 1, 2 * kx + 1), dtype=np.complex128)
    out[ky, kx] = 1
    return out


@pytest.mark.parametrize("layout", [LINES, ANGLED])
def test_binary_clear_plus_dark(layout):
    """Clear and dark spectra sum to δ(k = 0); transmissions sum to 1; clear = coverage."""
    clear, dark = BinaryMask(layout), BinaryMask(layout, polarity="dark")
    band = (5, 6)
    sc = clear.spectrum(**GRID, band=band, backend="numpy", dtype=np.complex128)
    sd = dark.spectrum(**GRID, band=band, backend="numpy", dtype=np.complex128)
    np.testing.assert_allclose(sc + sd, delta(band), rtol=0, atol=TIGHT)
    np.testing.assert_allclose(sc, polygon_spectrum(layout, 2.0, (32, 40), CENTRE, band=band), rtol=0, atol=TIGHT)
    tc = clear.transmission(**GRID, backend="numpy")
    td = dark.transmission(**GRID, backend="numpy")
    np.testing.assert_allclose(tc + td, 1.0, rtol=0, atol=SINGLE)
    np.testing.assert_array_equal(tc, litho.rasterize(layout, **GRID, backend="numpy"))


def test_binary_spectrum_matches_raster_dft():
    """The analytic spectrum agrees with the DFT of the transmission divided by the pixel
    box factor, up to aliasing: the edges are on the pixel grid, so the raster is exact and
    only the slowly (1/k) decaying coefficients beyond Nyquist alias; observed 2.2e-3 at
    2 nm pixels on an 80 x 64 nm cell, asserted < 3e-3 (the convergence with the pixel is
    tested in test_polygon_spectrum.py)."""
    mask = BinaryMask(LINES)
    with litho.config.override(precision="double"):
        t = mask.transmission(**GRID, backend="numpy")
        s = mask.spectrum(**GRID, band=(4, 4), backend="numpy")
    idx_y, idx_x = np.arange(-4, 5) % 32, np.arange(-4, 5) % 40
    dft = (np.fft.fft2(t) / t.size)[idx_y[:, None], idx_x[None, :]]
    # model spectra are pixel-centred: only the box filter's sinc separates them from the raster
    assert np.abs(dft / np.abs(pixel_box_factor((32, 40), 4)) - s).max() < 3e-3


def test_attenuated_zero_transmission_is_binary():
    for polarity in ("clear", "dark"):
        att = AttenuatedPSM(ANGLED, transmission=0.0, phase_deg=180.0, polarity=polarity)
        binary = BinaryMask(ANGLED, polarity=polarity)
        t = att.transmission(**GRID, backend="numpy")
        assert np.iscomplexobj(t)
        np.testing.assert_allclose(t, binary.transmission(**GRID, backend="numpy"), rtol=0, atol=SINGLE)
        np.testing.assert_allclose(att.spectrum(**GRID, band=4, backend="numpy", dtype=np.complex128),
                                   binary.spectrum(**GRID, band=4, backend="numpy", dtype=np.complex128),
                                   rtol=0, atol=TIGHT)


def test_attenuated_values_inside_and_outside():
    """1 inside the openings, sqrt(T)·e^{iφ} in the absorber far from them; polarity "dark"
    swaps them; spectrum = a·δ + (1 - a)·P."""
    T, phi = 0.06, 180.0
    a = math.sqrt(T) * np.exp(1j * np.deg2rad(phi))
    att = AttenuatedPSM(LINES, transmission=T, phase_deg=phi)
    assert att.amplitude == pytest.approx(a, abs=1e-15)
    assert att.intensity_transmission == T
    t = att.transmission(**GRID, backend="numpy")
    # pixel (row 15, col 9): x in [18, 20), y in [30, 32): inside the first line
    assert t[15, 9] == pytest.approx(1.0, abs=SINGLE)
    # pixel (0, 0) and the column between the lines (x in [36, 38)) are absorber
    assert t[0, 0] == pytest.approx(a, abs=SINGLE)
    assert t[15, 18] == pytest.approx(a, abs=SINGLE)
    dark = AttenuatedPSM(LINES, transmission=T, phase_deg=phi, polarity="dark").transmission(**GRID, backend="numpy")
    assert dark[15, 9] == pytest.approx(a, abs=SINGLE)
    assert dark[0, 0] == pytest.approx(1.0, abs=SINGLE)
    # partially covered pixels mix linearly: coverage c gives c + (1 - c)·a
    cov = litho.rasterize(ANGLED, **GRID, backend="numpy")
    tt = AttenuatedPSM(ANGLED, transmission=T, phase_deg=phi).transmission(**GRID, backend="numpy")
    np.testing.assert_allclose(tt, cov + (1 - cov) * a, rtol=0, atol=SINGLE)
    band = (3, 5)
    s = att.spectrum(**GRID, band=band, backend="numpy", dtype=np.complex128)
    expected = a * delta(band) + (1 - a) * polygon_spectrum(LINES, 2.0, (32, 40), CENTRE, band=band)
    np.testing.assert_allclose(s, expected, rtol=0, atol=TIGHT)


def test_attenuated_validation():
    with pytest.raises(InvalidParameterError, match="transmission"):
        AttenuatedPSM(LINES, transmission=1.5)
    with pytest.raises(InvalidParameterError, match="transmission"):
        AttenuatedPSM(LINES, transmission=-0.1)
    with pytest.raises(InvalidParameterError, match="phase_deg"):
        AttenuatedPSM(LINES, phase_deg=float("nan"))
    with pytest.raises(InvalidParameterError, match="polarity"):
        AttenuatedPSM(LINES, polarity="grey")
    m = AttenuatedPSM(LINES, 0.2)
    assert m.intensity_transmission == 0.2 and m.phase_deg == 180.0
    assert AttenuatedPSM(LINES, intensity_transmission=0.3).intensity_transmission == 0.3
    assert dataclasses.replace(m, phase_deg=90.0).intensity_transmission == 0.2
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.phase_deg = 0.0  # type: ignore[misc]


def test_alternating_psm_plus_minus_one():
    """Layers at 0° and 180° give +1 and -1 inside their openings, 0 on the background;
    the spectrum is P_0 - P_180."""
    layout = litho.Layout(
        [np.array([(10, 8), (30, 8), (30, 56), (10, 56)]), np.array([(44, 8), (58, 8), (58, 56), (44, 56)])],
        layers=[(1, 0), (2, 0)],
    )
    alt = AlternatingPSM(layout, phases={(1, 0): 0.0, (2, 0): 180.0})
    t = alt.transmission(**GRID, backend="numpy")
    assert np.iscomplexobj(t)
    assert t[15, 9] == pytest.approx(1.0, abs=SINGLE)  # x in [18, 20): layer 1
    assert t[15, 25] == pytest.approx(-1.0, abs=SINGLE)  # x in [50, 52): layer 2
    assert t[0, 0] == 0 and t[15, 18] == 0
    band = (4, 4)
    s = alt.spectrum(**GRID, band=band, backend="numpy", dtype=np.complex128)
    expected = (polygon_spectrum(layout.select((1, 0)), 2.0, (32, 40), CENTRE, band=band)
                - polygon_spectrum(layout.select((2, 0)), 2.0, (32, 40), CENTRE, band=band))
    np.testing.assert_allclose(s, expected, rtol=0, atol=TIGHT)


def test_alternating_psm_errors():
    layout = litho.Layout.from_rects([(0, 0, 10, 10)], layer=(3, 1))
    with pytest.raises(InvalidParameterError, match=r"\(3, 1\)"):
        AlternatingPSM(layout, phases={(1, 0): 0.0})
    with pytest.raises(InvalidParameterError, match="phases"):
        AlternatingPSM(layout, phases={(3, 1): "zero"})
    overlapping = litho.Layout(
        [np.array([(0, 0), (20, 0), (20, 20), (0, 20)]), np.array([(10, 10), (30, 10), (30, 30), (10, 30)])],
        layers=[(1, 0), (2, 0)],
    )
    alt = AlternatingPSM(overlapping, phases={(1, 0): 0.0, (2, 0): 180.0})
    with pytest.raises(InvalidParameterError, match="layout"):
        alt.transmission(**GRID, backend="numpy")
    # layers that only touch are fine (coverage sums to exactly 1 on the shared edge)
    touching = litho.Layout(
        [np.array([(0, 0), (21, 0), (21, 20), (0, 20)]), np.array([(21, 0), (40, 0), (40, 20), (21, 20)])],
        layers=[(1, 0), (2, 0)],
    )
    t = AlternatingPSM(touching, phases={(1, 0): 0.0, (2, 0): 90.0}).transmission(**GRID, backend="numpy")
    assert t[5, 10] == pytest.approx(0.5 + 0.5j, abs=SINGLE)  # x in [20, 22) straddles x = 21


def test_continuous_mask():
    rng = np.random.default_rng(0)
    arr = rng.uniform(0, 1, (2, 16, 20)) * np.exp(1j * rng.uniform(0, 6, (2, 16, 20)))
    ctm = continuous_mask(arr)
    assert isinstance(ctm, ContinuousMask)
    assert ctm.transmission(2.0, (16, 20)) is arr
    assert ctm.transmission() is arr
    with pytest.raises(InvalidParameterError, match="shape"):
        ctm.transmission(2.0, (16, 21))
    # spectrum: the array's own DFT coefficients on the band layout
    s = ctm.spectrum(band=(3, 4), dtype=np.complex128)
    full = np.fft.fft2(arr) / (16 * 20)
    iy, ix = np.arange(-3, 4) % 16, np.arange(-4, 5) % 20
    np.testing.assert_allclose(s, full[..., iy[:, None], ix[None, :]], rtol=0, atol=TIGHT)
    with pytest.raises(InvalidParameterError, match="band"):
        ctm.spectrum(band=(8, 2))  # 2·8 + 1 > 16
    bad = arr.copy()
    bad[1, 3, 4] = np.nan
    with pytest.raises(InvalidParameterError, match="mask"):
        ContinuousMask(bad)
    with pytest.raises(InvalidParameterError, match="mask"):
        continuous_mask(np.full((4, 4), np.inf))
    with pytest.raises(InvalidParameterError, match="mask"):
        continuous_mask(np.ones(5))


def test_as_transmission():
    arr = np.linspace(0, 1, 32 * 40, dtype=np.float32).reshape(32, 40)
    assert as_transmission(arr) is arr
    assert as_transmission(arr, shape=(32, 40)) is arr
    with pytest.raises(InvalidParameterError, match="shape"):
        as_transmission(arr, shape=(32, 41))
    with pytest.raises(InvalidParameterError, match="mask"):
        as_transmission(np.array([[1.0, np.nan], [0.0, 0.0]]))
    model = BinaryMask(LINES)
    np.testing.assert_array_equal(as_transmission(model, **GRID, backend="numpy"),
                                  model.transmission(**GRID, backend="numpy"))
    np.testing.assert_array_equal(as_transmission(LINES, **GRID, backend="numpy"),
                                  model.transmission(**GRID, backend="numpy"))
    with pytest.raises(InvalidParameterError, match="pixel"):
        as_transmission(model, shape=(32, 40))
    ctm = ContinuousMask(arr)
    assert as_transmission(ctm, shape=(32, 40)) is arr


@pytest.mark.parametrize("precision, real, cplx", [("single", np.float32, np.complex64),
                                                   ("double", np.float64, np.complex128)])
def test_dtype_follows_precision(precision, real, cplx):
    alt_layout = litho.Layout.from_rects([(10, 8, 30, 56)], layer=(1, 0))
    with litho.config.override(precision=precision):
        assert BinaryMask(LINES).transmission(**GRID, backend="numpy").dtype == real
        assert BinaryMask(LINES, "dark").transmission(**GRID, backend="numpy").dtype == real
        assert AttenuatedPSM(LINES).transmission(**GRID, backend="numpy").dtype == cplx
        assert AlternatingPSM(alt_layout, {(1, 0): 90.0}).transmission(**GRID, backend="numpy").dtype == cplx
        assert BinaryMask(LINES).spectrum(**GRID, band=2, backend="numpy").dtype == cplx
        assert AttenuatedPSM(LINES).spectrum(**GRID, band=2, backend="numpy").dtype == cplx
        assert ContinuousMask(np.ones((8, 8))).spectrum(band=2).dtype == cplx


def test_binary_validation_and_center_mode():
    with pytest.raises(InvalidParameterError, match="polarity"):
        BinaryMask(LINES, polarity="negative")
    with pytest.raises(InvalidParameterError, match="layout"):
        BinaryMask(42)
    m = BinaryMask([np.array([(0.0, 0.0), (10.0, 0.0), (10.0, 10.0)])])  # sequence of polygons
    assert isinstance(m.layout, litho.Layout)
    t = BinaryMask(ANGLED).transmission(**GRID, backend="numpy", mode="center")
    assert set(np.unique(t).tolist()) <= {0.0, 1.0}
    with pytest.raises(InvalidParameterError, match="pixel"):
        BinaryMask(LINES).transmission(-1.0, (8, 8))


@pytest.mark.gpu
def test_gpu_transmission_and_spectrum_match_cpu():
    import cupy

    att = AttenuatedPSM(ANGLED, transmission=0.06)
    t_gpu = att.transmission(**GRID, backend="cupy")
    assert isinstance(t_gpu, cupy.ndarray)
    np.testing.assert_allclose(cupy.asnumpy(t_gpu), att.transmission(**GRID, backend="numpy"), rtol=0, atol=1e-5)
    s_gpu = att.spectrum(**GRID, band=3, backend="cupy")
    assert isinstance(s_gpu, cupy.ndarray)
    ctm = ContinuousMask(t_gpu)
    assert as_transmission(ctm) is t_gpu
    spec = ctm.spectrum(band=3)
    assert isinstance(spec, cupy.ndarray)
    with pytest.raises(InvalidParameterError, match="mask"):
        ContinuousMask(cupy.full((4, 4), cupy.nan))


def test_models_pickle():
    """Models cross process boundaries (multiprocessing, Dask) intact."""
    import pickle

    layout = litho.Layout.from_rects([(10, 8, 30, 56)], layer=(1, 0))
    for model in (BinaryMask(LINES, "dark"), AttenuatedPSM(LINES, 0.2, 90.0),
                  AlternatingPSM(layout, {(1, 0): 90.0}), ContinuousMask(np.ones((32, 40)))):
        clone = pickle.loads(pickle.dumps(model))
        assert type(clone) is type(model)
        np.testing.assert_array_equal(clone.transmission(**GRID, backend="numpy"),
                                      model.transmission(**GRID, backend="numpy"))


def test_analytic_spectrum_keeps_polygons_touching_the_cell_edges():
    """Regression: the pixel-centre phase reference once shifted the clipping cell by half a
    pixel, dropping the strip along x0 and y0 (a full-height line lost 1/40 of its area: 5 %
    of its intensity). Now only the phase moves; images agree with the raster's to its pixel
    blur (6e-5 here, coherent 193 nm / NA 0.75, 2 nm pixels)."""
    from litho import Optics, Source
    from litho.imaging import aerial_image

    opt = Optics(193.0, 0.75, Source.conventional(0.0))
    for rect in ([100, 0, 300, 40], [0, 0, 57, 40], [100, -5, 300, 45]):
        mask = BinaryMask(litho.Layout.from_rects([rect]))
        analytic = np.asarray(aerial_image(mask, opt, 2.0, method="abbe", shape=(20, 200), mask_spectrum="analytic"),
                              dtype=np.float64)
        raster = np.asarray(aerial_image(mask, opt, 2.0, method="abbe", shape=(20, 200)), dtype=np.float64)
        assert np.abs(analytic - raster).max() < 2e-4
