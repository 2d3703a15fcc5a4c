"""ILS, NILS and contrast against the two-beam closed form; NILS as exposure latitude."""

import numpy as np
import pytest

from litho.errors import InvalidParameterError
from litho.metrology import Gauge, cd
from litho.metrology.quality import contrast, ils, image_quality, nils

A0, B1, PITCH = 0.4, 0.35, 100.0


def grating(px=1.0, n=200):
    x = (np.arange(n) + 0.5) * px
    return np.tile(A0 + B1 * np.cos(2 * np.pi * x / PITCH), (8, 1)), px


def edge(t):
    """Half-width of the bright space of a0 + b1 cos(2 pi x / p) at threshold t."""
    return PITCH / (2 * np.pi) * np.arccos((t - A0) / B1)


@pytest.mark.parametrize("t", [0.2, 0.45, 0.7])
def test_ils_and_nils_match_closed_form(t):
    image, px = grating()
    g = Gauge.across((100.0, 4.0), 90.0)
    q = image_quality(image, t, px, g)
    xe = edge(t)
    exact = (2 * np.pi / PITCH) * B1 * np.sin(2 * np.pi * xe / PITCH) / t  # |I'| / I at the edge
    # cubic spline on 1 nm samples of a 100 nm period: relative error ~ (2 pi / 100)^4 ~ 1e-5
    assert q.ils_left[0] == pytest.approx(exact, rel=1e-4)
    assert q.ils_right[0] == pytest.approx(exact, rel=1e-4)
    assert q.nils[0] == pytest.approx(exact * 2 * xe, rel=1e-4)
    assert ils(image, t, px, g)[0] == q.ils[0] and nils(image, t, px, g)[0] == q.nils[0]


def test_contrast_over_a_full_period():
    image, px = grating()
    g = Gauge((40.0, 4.0), (160.0, 4.0))  # more than a period: sees the maximum and the minimum
    assert contrast(image, px, g)[0] == pytest.approx(B1 / A0, rel=1e-6)


@pytest.mark.parametrize("region, sign", [("above", 1.0), ("below", -1.0)])
def test_exposure_latitude_follows_nils(region, sign):
    """Constant threshold: dCD/CD = +-(2/NILS) dlnE (space +, line -), to first order."""
    image, px = grating()
    t = 0.45
    centre = 100.0 if region == "above" else 150.0
    g = Gauge.across((centre, 4.0), 90.0, region=region)
    q = image_quality(image, t, px, g)
    d = 1e-3
    up = cd(image * np.exp(d), t, px, g).cd[0]
    down = cd(image * np.exp(-d), t, px, g).cd[0]
    latitude = (up - down) / (2 * d) / q.cd.cd[0]
    # central difference: error O(d^2) relative, far below the 1e-5 asked
    assert latitude == pytest.approx(sign * 2 / q.nils[0], rel=1e-5)


def test_unmeasured_gauge_gives_nan_quality():
    image, px = grating()
    q = image_quality(image, 0.45, px, [Gauge.across((100.0, 4.0), 90.0), Gauge.across((150.0, 4.0), 20.0)])
    assert np.isfinite(q.nils[0]) and np.isnan(q.nils[1]) and np.isnan(q.ils_left[1])
    assert np.isfinite(q.contrast[1])


def test_bad_input():
    image, px = grating()
    g = Gauge.across((100.0, 4.0), 90.0)
    with pytest.raises(InvalidParameterError, match="image"):
        image_quality(image - 1.0, 0.45, px, g)  # not an intensity (<= 0)
    with pytest.raises(InvalidParameterError, match="level"):
        image_quality(image, 0.9, px, g)
