"""Development-rate models against the published values (issue 5) and their invariants."""

from __future__ import annotations

import numpy as np
import pytest

from litho.errors import InvalidParameterError
from litho.resist.development import EnhancedMack, Mack, Notch, SurfaceInhibition

# The reference values are given to 4-5 significant figures: compare to half a
# unit of the last digit given.
MACK = Mack(r_max=100.0, r_min=0.1, n=5.0, m_th=0.5)
MACK_VALUES = [(0.0, 100.1, 0.05), (0.3, 81.957, 5e-4), (0.5, 41.975, 5e-4), (0.7, 5.2595, 5e-5),
               (0.9, 0.1223, 5e-5), (1.0, 0.1, 5e-5)]
ENHANCED = EnhancedMack(r_max=100.0, r_min=0.5, r_resin=10.0, n=4.0, l=20.0)
ENHANCED_VALUES = [(0.0, 100.0, 5e-4), (0.5, 15.625, 5e-4), (0.9, 3.024, 5e-4), (1.0, 0.5, 5e-4)]
NOTCH = Notch(r_max=100.0, r_min=0.5, n=1.5, m_th_notch=0.5, n_notch=10.0)
NOTCH_VALUES = [(0.0, 100.5, 5e-2), (0.5, 16.429, 5e-4), (0.7, 0.581, 5e-4), (1.0, 0.5, 5e-4)]


@pytest.mark.parametrize(("model", "values"), [(MACK, MACK_VALUES), (ENHANCED, ENHANCED_VALUES),
                                                (NOTCH, NOTCH_VALUES)])
def test_published_rates(model, values):
    for m, expected, tol in values:
        assert float(model.rate(m)) == pytest.approx(expected, abs=tol), (type(model).__name__, m)


@pytest.mark.parametrize("model", [MACK, ENHANCED, NOTCH])
def test_rates_decrease_from_rmax_to_rmin_and_keep_dtype(model):
    m = np.linspace(0.0, 1.0, 1001)
    r = model.rate(m)
    assert np.all(np.diff(r) <= 0)  # more inhibitor, slower
    # strictly where the rate is resolvable (the notch model is flat to 1e-16 near m = 1)
    assert np.all(np.diff(r[m < 0.8]) < 0)
    assert r[-1] == pytest.approx(model.r_min, rel=1e-12)
    assert model.rate(m.astype(np.float32)).dtype == np.float32
    assert model.rate(m.reshape(1, 7, 143)).shape == (1, 7, 143)


@pytest.mark.parametrize("model", [MACK, ENHANCED, NOTCH])
def test_inverse_round_trips(model):
    for m in (0.05, 0.3, 0.5, 0.8, 0.95):
        rate = float(model.rate(m))
        found = model.inverse(rate)
        # the rate of the inverse reproduces the rate to rounding (closed form for Mack,
        # bisection to 1e-15 in m otherwise) ...
        assert float(model.rate(found)) == pytest.approx(rate, rel=1e-9)
        # ... and m itself wherever the rate still varies with m (not the notch's flat tail)
        if m <= 0.5:
            assert found == pytest.approx(m, abs=1e-9)


def test_surface_inhibition_factor_and_volume():
    slow = SurfaceInhibition(MACK, r_0=0.2, depth=20.0)
    m = np.full((50, 2, 3), 0.4)
    r = slow.rate_volume(m, dz=2.0)
    z = (np.arange(50) + 0.5) * 2.0
    expected = MACK.rate(0.4) * (1.0 - 0.8 * np.exp(-z / 20.0))
    np.testing.assert_allclose(r[:, 1, 2], expected, rtol=1e-14)
    assert MACK.rate_volume(m, 2.0)[0, 0, 0] == MACK.rate(0.4)  # bulk models ignore depth
    assert slow.rate(0.4) == MACK.rate(0.4)
    assert float(slow.factor(0.0)) == pytest.approx(0.2)


@pytest.mark.parametrize(("build", "name"), [
    (lambda: Mack(100, 0.1, 1.0, 0.5), "Mack.n"),
    (lambda: Mack(100, 0.1, 0.5, 0.5), "Mack.n"),
    (lambda: Mack(100, 0.1, 5, 1.0), "Mack.m_th"),
    (lambda: Mack(-1, 0.1, 5, 0.5), "Mack.r_max"),
    (lambda: Mack(100, 0.0, 5, 0.5), "Mack.r_min"),
    (lambda: Mack(100, 200, 5, 0.5), "Mack.r_min"),
    (lambda: EnhancedMack(100, 0.5, 200, 4, 20), "EnhancedMack.r_resin"),
    (lambda: EnhancedMack(100, 0.5, 10, 4, 0), "EnhancedMack.l"),
    (lambda: Notch(100, 0.5, 1.5, 0.5, 1.0), "Notch.n_notch"),
    (lambda: SurfaceInhibition(MACK, 0.0, 10), "SurfaceInhibition.r_0"),
    (lambda: SurfaceInhibition(MACK, 0.5, -1), "SurfaceInhibition.depth"),
    (lambda: SurfaceInhibition("mack", 0.5, 1), "SurfaceInhibition.model"),
    (lambda: MACK.rate(1.2), "m"),
    (lambda: MACK.rate(np.array([0.5, np.nan])), "m[1]"),
    (lambda: MACK.rate(-0.1), "m"),
    (lambda: MACK.inverse(500.0), "rate"),
])
def test_bad_parameters_are_named(build, name):
    with pytest.raises(InvalidParameterError) as info:
        build()
    assert info.value.name == name
