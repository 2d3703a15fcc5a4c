"""Device (CuPy) inputs to metrology, compact resist models, roughness and the FEM give
the host's answers.

These functions take a device image and either compute on it (compact models, blur,
roughness spectra, FEM batches) or move what they need to the host (gauges, contours,
PV bands); each is checked against the same call on the host copy. Marked gpu: run on a
GPU when there is one, and on the emulated device (tests/emulated_cupy) otherwise.
Tolerances: the same formulas in the same precision on both sides, so host and device
agree to rounding (1e-9 relative in float64; float32 inputs 1e-5, a few ulps of the
image).
"""

from __future__ import annotations

import numpy as np
import pytest

from litho import Layout, Optics, Source
from litho.imaging import aerial_image
from litho.imaging.mask import BinaryMask
from litho.metrology import Gauge, cd, contours, image_quality, pv_band
from litho.process_window import fem
from litho.resist.compact import ConstantThreshold, DiffusedThreshold, SigmoidThreshold, VariableThreshold
from litho.resist.roughness import edges_from_image, power_spectrum, roughness

pytestmark = pytest.mark.gpu

PX = 2.0
PITCH = 90.0


def _images(focus=(-60.0, 0.0, 60.0)):
    opt = Optics(193.0, 1.35, Source.annular(0.6, 0.9), immersion=1.44)
    n = int(3 * PITCH / PX)
    layout = Layout.from_rects([[k * PITCH + 22.5, 0, k * PITCH + 67.5, 32] for k in range(3)])
    return np.stack([np.asarray(aerial_image(BinaryMask(layout), opt.with_defocus(f), PX, method="abbe",
                                             shape=(16, n), backend="numpy"), dtype=np.float64) for f in focus])


GAUGES = [Gauge.across((45.0, 16.0), 80.0, name="space"),
          Gauge.across((90.0, 16.0), 80.0, name="line", region="below")]


def test_gauges_quality_contours_and_pv_band_of_a_device_image():
    import cupy

    host = _images()
    dev = cupy.asarray(host)
    a, b = cd(host[1], 0.27, PX, GAUGES), cd(dev[1], 0.27, PX, GAUGES)
    np.testing.assert_array_equal(a.status, b.status)
    np.testing.assert_allclose(b.cd, a.cd, rtol=1e-9)
    qa, qb = image_quality(host[1], 0.27, PX, GAUGES), image_quality(dev[1], 0.27, PX, GAUGES)
    np.testing.assert_allclose(np.asarray(qb.nils), np.asarray(qa.nils), rtol=1e-9)
    ca, cb = contours(host[1], 0.27, PX), contours(dev[1], 0.27, PX)
    assert len(ca.polygons) == len(cb.polygons) > 0 and cb.area() == pytest.approx(ca.area(), rel=1e-12)
    pa, pb = pv_band(list(host), 0.27, PX), pv_band(list(dev), 0.27, PX)
    assert pa.area > 0 and pb.area == pytest.approx(pa.area, rel=1e-9)


def test_compact_models_print_a_device_image_as_the_host_does():
    import cupy

    host = _images()[1].astype(np.float32)
    dev = cupy.asarray(host)
    for model in (ConstantThreshold(0.27), DiffusedThreshold(0.27, 8.0), VariableThreshold(0.2, 0.1, 0.05, 1.0, 40.0),
                  SigmoidThreshold(0.27, 50.0, 5.0)):
        got = model.print(dev, PX, dose=1.1)
        assert isinstance(got, cupy.ndarray), type(model).__name__
        want = model.print(host, PX, dose=1.1)
        np.testing.assert_allclose(cupy.asnumpy(got).astype(np.float64), np.asarray(want, dtype=np.float64),
                                   rtol=1e-5, atol=1e-5, err_msg=type(model).__name__)


def test_roughness_of_device_edges():
    import cupy

    rng = np.random.default_rng(3)
    n = 256
    x = np.arange(120) + 0.5
    # a rough line: edges at 40 and 80 nm with a few nm of correlated noise
    noise = np.convolve(rng.standard_normal(n + 20), np.ones(21) / 21, mode="valid")[:n]
    left, right = 40 + 3 * noise, 80 - 2 * np.roll(noise, 17)
    image = 0.5 * (np.tanh((x[None, :] - left[:, None]) / 2) - np.tanh((x[None, :] - right[:, None]) / 2))
    hl, hr = edges_from_image(image, 1.0, 0.5)
    dl, dr = edges_from_image(cupy.asarray(image), 1.0, 0.5)
    np.testing.assert_allclose(cupy.asnumpy(dl), hl, rtol=1e-12)
    np.testing.assert_allclose(cupy.asnumpy(dr), hr, rtol=1e-12)
    ra, rb = roughness(hl, hr, 1.0), roughness(dl, dr, 1.0)
    for name in ("ler_left", "ler_right", "lwr", "cd", "edge_covariance"):
        assert getattr(rb, name) == pytest.approx(getattr(ra, name), rel=1e-9), name
    assert ra.lwr > 1.0  # the noise is there (3 sigma of a few nm)
    np.testing.assert_allclose(np.asarray(rb.psd_width if not hasattr(rb.psd_width, "get") else rb.psd_width.get()),
                               ra.psd_width, rtol=1e-9, atol=1e-12 * float(np.max(ra.psd_width)))
    fa, sa = power_spectrum(hl, 1.0)
    fb, sb = power_spectrum(dl, 1.0)
    np.testing.assert_allclose(cupy.asnumpy(sb), sa, rtol=1e-9, atol=1e-12 * float(np.max(sa)))


def test_fem_of_a_device_batch():
    import cupy

    focus = (-60.0, 0.0, 60.0)
    host = _images(focus)
    dose = (0.9, 1.0, 1.1)
    a = fem(lambda f: host[focus.index(float(f))], focus, dose, GAUGES, threshold=0.27, pixel=PX)
    dev = cupy.asarray(host)
    b = fem(lambda f: dev[[focus.index(float(v)) for v in f]], focus, dose, GAUGES, threshold=0.27, pixel=PX,
            batch=True)
    assert np.isfinite(a.cd).any()
    np.testing.assert_allclose(b.cd, a.cd, rtol=1e-9, equal_nan=True)
