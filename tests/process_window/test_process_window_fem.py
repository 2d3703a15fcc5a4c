"""Focus-exposure matrices: symmetry in focus, dose as a level, batching, not-printed cells."""

import functools

import numpy as np
import pytest

from litho import Layout, Optics, Source
from litho.errors import InvalidParameterError
from litho.imaging import aerial_image
from litho.imaging.mask import BinaryMask
from litho.metrology import Gauge
from litho.process_window import FEMResult, fem

PITCH, PX = 90.0, 1.0
FOCUS = np.linspace(-120.0, 120.0, 7)
DOSE = np.linspace(0.9, 1.1, 5)


@functools.lru_cache(maxsize=None)
def _images():
    """Abbe images (aberration-free, annular) of a 45 nm clear-space grating over focus."""
    opt = Optics(193.0, 1.35, Source.annular(0.6, 0.9), immersion=1.44)
    n = int(3 * PITCH / PX)
    layout = Layout.from_rects([[k * PITCH + 22.5, 0, k * PITCH + 67.5, 16] for k in range(3)])
    return {float(f): np.asarray(aerial_image(BinaryMask(layout), opt.with_defocus(float(f)), PX, method="abbe",
                                              shape=(16, n)), dtype=np.float64) for f in FOCUS}


def simulate(f):
    return _images()[float(f)]


GAUGES = [Gauge.across((45.0, 8.0), 80.0, name="space"), Gauge.across((90.0, 8.0), 80.0, name="line",
                                                                       region="below")]


def test_bossung_symmetric_in_focus_without_aberrations():
    r = fem(simulate, FOCUS, DOSE, GAUGES, threshold=0.27, pixel=PX)
    assert isinstance(r, FEMResult) and r.cd.shape == (7, 5, 2)
    assert np.isfinite(r.cd).all()
    # +f and -f images of an aberration-free scalar system are equal (float32 imaging:
    # 1e-6 relative in intensity, ~1e-4 nm in CD)
    np.testing.assert_allclose(r.cd, r.cd[::-1], atol=2e-3)
    # CD of the space grows with dose, the line's shrinks
    assert np.all(np.diff(r.cd_of("space"), axis=1) > 0) and np.all(np.diff(r.cd_of("line"), axis=1) < 0)
    # space + line = pitch: their shared edges are located independently, each to ~1e-5 nm
    # (one regula-falsi step on the cubic interpolant)
    np.testing.assert_allclose(r.cd.sum(axis=-1), PITCH, atol=1e-4)


def test_dose_as_level_equals_resimulating_with_scaled_images():
    scaled = fem(simulate, FOCUS, DOSE, GAUGES, threshold=0.27, pixel=PX)
    resim = fem(lambda f, d: d * simulate(f), FOCUS, DOSE, GAUGES, threshold=0.27, pixel=PX, dose_mode="resimulate")
    np.testing.assert_allclose(scaled.cd, resim.cd, atol=1e-6)


def test_batched_simulation_equals_one_by_one():
    one = fem(simulate, FOCUS, DOSE, GAUGES, threshold=0.27, pixel=PX)
    batch = fem(lambda fs: np.stack([simulate(f) for f in fs]), FOCUS, DOSE, GAUGES, threshold=0.27, pixel=PX,
                batch=True)
    np.testing.assert_array_equal(one.cd, batch.cd)


def test_unprinted_conditions_are_nan_and_table_is_tidy():
    doses = np.array([0.5, 1.0, 1.1])  # 0.5: the space never reaches 0.27 / 0.5 = 0.54
    r = fem(simulate, FOCUS, doses, GAUGES[:1], threshold=0.27, pixel=PX)
    assert np.isnan(r.cd[:, 0, 0]).all() and np.isfinite(r.cd[:, 1:, 0]).all()
    table = r.table()
    assert len(table["cd"]) == 7 * 3 and set(table["gauge"]) == {"space"}
    i = 7 * 3 - 1
    assert table["focus"][i] == FOCUS[-1] and table["dose"][i] == 1.1 and table["cd"][i] == r.cd[-1, -1, 0]


def test_bad_input():
    with pytest.raises(InvalidParameterError, match="focus.*empty"):
        fem(simulate, [], DOSE, GAUGES, threshold=0.27, pixel=PX)
    with pytest.raises(InvalidParameterError, match="focus.*index 2"):
        fem(simulate, [0.0, 40.0, -40.0], DOSE, GAUGES, threshold=0.27, pixel=PX)
    with pytest.raises(InvalidParameterError, match="dose"):
        fem(simulate, FOCUS, [1.0, 0.0], GAUGES, threshold=0.27, pixel=PX)
    with pytest.raises(InvalidParameterError, match="threshold.*no condition"):
        fem(simulate, FOCUS, DOSE, GAUGES, threshold=5.0, pixel=PX)
    with pytest.raises(InvalidParameterError, match="simulate"):
        fem(lambda f: np.zeros(5), FOCUS, DOSE, GAUGES, threshold=0.27, pixel=PX)
    with pytest.raises(InvalidParameterError, match="simulate"):
        fem(lambda fs: np.zeros((2, 4, 4)), FOCUS, DOSE, GAUGES, threshold=0.27, pixel=PX, batch=True)
    with pytest.raises(InvalidParameterError, match="cd"):
        FEMResult([0.0], [1.0], ["a"], np.zeros((2, 1, 1)))
    with pytest.raises(InvalidParameterError, match="gauge"):
        FEMResult([0.0], [1.0], ["a"], np.zeros((1, 1, 1))).cd_of("b")


def test_best_focus_of_symmetric_setup_is_zero():
    """Aberration-free, symmetric: the Bossung turning point at every dose is at focus 0."""
    from litho.process_window import bossung, ed_window

    r = fem(simulate, FOCUS, DOSE, GAUGES, threshold=0.27, pixel=PX)
    fit = bossung(r, "space", order=4)
    # even data in focus: the least-squares quartic is even up to rounding (CD symmetry 2e-3 nm)
    np.testing.assert_allclose(fit.best_focus, 0.0, atol=0.5)
    nominal = r.cd_of("space")[3, 2]
    window = ed_window(r, nominal, 0.1 * nominal, "space")
    # the window is symmetric in focus; its centre is resolved to the fine grid (240 nm / 400)
    assert abs(window.best_focus) <= 1.0
