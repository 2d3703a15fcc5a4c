"""CD gauges against closed forms: two-beam grating images, straight edges, batches."""

import numpy as np
import pytest

from litho import Layout, Optics, Source
from litho.errors import InvalidParameterError
from litho.imaging import aerial_image
from litho.imaging.mask import BinaryMask
from litho.metrology import Gauge, cd
from litho.metrology.gauges import NOT_PRINTED, OPEN_LEFT, OPEN_RIGHT, OK


def two_beam(pitch=400.0, px=2.0, rows=20, dark_centre=False):
    """Coherent image of a 1:1 clear-line grating through a lens that passes orders 0 and +-1.

    193 nm, NA 0.75, sigma 0: cutoff NA/lambda = 1/257 nm^-1 passes 1/400, blocks 2/400.
    Closed form: amplitude 1/2 + (2/pi) cos(2 pi (x - 200)/pitch), intensity its square.
    """
    opt = Optics(193.0, 0.75, Source.conventional(0.0))
    n = int(pitch / px)
    rects = [[0, 0, pitch / 4, rows * px], [3 * pitch / 4, 0, pitch, rows * px]] if dark_centre else \
        [[pitch / 4, 0, 3 * pitch / 4, rows * px]]
    layout = Layout.from_rects(rects)
    image = np.asarray(aerial_image(BinaryMask(layout), opt, px, method="abbe", shape=(rows, n)), dtype=np.float64)
    return image, px


def two_beam_cd(t, pitch=400.0):
    return 2 * pitch / (2 * np.pi) * np.arccos((np.sqrt(t) - 0.5) / (2 / np.pi))


@pytest.mark.parametrize("t", [0.1, 0.3, 0.6, 1.0])
def test_two_beam_grating_cd_matches_closed_form(t):
    image, px = two_beam()
    r = cd(image, t, px, Gauge.across((200.0, 20.0), 380.0))
    # the raster mask's image matches the closed form to 6e-5 in intensity; over an
    # edge slope of >= 2e-3 /nm that is < 0.03 nm, the spline interpolation adds < 1e-3 nm
    assert r.status[0] == OK
    assert r.cd[0] == pytest.approx(two_beam_cd(t), abs=0.03)
    # the dark line between the bright spaces is the rest of the pitch
    image, px = two_beam(dark_centre=True)
    dark = cd(image, t, px, Gauge.across((200.0, 20.0), 380.0, region="below"))
    assert dark.cd[0] == pytest.approx(400.0 - two_beam_cd(t), abs=0.03)


@pytest.mark.parametrize("x_edge", [30.0, 30.37, 31.5, 32.999])
@pytest.mark.parametrize("interpolation", ["cubic", "linear"])
def test_straight_edge_in_linear_ramp_is_exact(x_edge, interpolation):
    """A field linear across the edges: both interpolants reproduce it, the edge to 1e-3 pixel."""
    px = 1.0
    x = (np.arange(128) + 0.5) * px
    # a plateau with linear ramps 8 px wide on both sides (ramps end far from the edges)
    left = np.clip((x - (x_edge - 4)) / 8, 0, 1)
    right = np.clip(((128 - x_edge + 4) - x) / 8, 0, 1)
    field = np.tile(np.minimum(left, right), (6, 1))
    r = cd(field, 0.5, px, Gauge((10.0, 3.0), (118.0, 3.0)), interpolation=interpolation, boundary="nearest")
    # the cubic B-spline reproduces linear functions exactly only away from the kinks:
    # the kinks lie 4 px from the edge, where the cubic kernel's support (2 px) ends
    assert r.left[0] + 10.0 == pytest.approx(x_edge, abs=1e-3 * px)
    assert r.cd[0] == pytest.approx(128 - 2 * x_edge, abs=2e-3 * px)


def test_oblique_gauge_measures_along_its_direction():
    image, px = two_beam(rows=200)  # 400 x 400 nm
    # a gauge at 30 degrees measures CD / cos(30)
    c = np.array([200.0, 200.0])
    u = np.array([np.cos(np.pi / 6), np.sin(np.pi / 6)])
    g = Gauge(tuple(c - 150 * u), tuple(c + 150 * u))
    r = cd(image, 0.3, px, g)
    assert r.cd[0] == pytest.approx(two_beam_cd(0.3) / np.cos(np.pi / 6), abs=0.05)


def test_batch_and_per_field_levels_match_single_calls():
    image, px = two_beam()
    batch = np.stack([image, 1.2 * image, 0.8 * image])
    gs = [Gauge.across((200.0, 20.0), 380.0, name="space"), Gauge.across((200.0, 20.0), 100.0, name="line",
                                                                           region="below")]
    r = cd(batch, 0.3, px, gs)
    for i in range(3):
        single = cd(batch[i], 0.3, px, gs)
        np.testing.assert_allclose(r.cd[i], single.cd, rtol=0, atol=1e-9)
    levels = np.array([[0.3, 0.3], [0.25, 0.25], [0.375, 0.375]])  # dose x 1.2, 0.8 as levels
    scaled = cd(np.stack([image] * 3), levels, px, gs)
    np.testing.assert_allclose(scaled.cd, r.cd, atol=1e-6)
    assert r["space"].shape == (3,) and set(cd(image, 0.3, px, gs).as_dict()) == {"space", "line"}


def test_status_codes_for_unprinted_and_open_features():
    image, px = two_beam()
    # gauge centred on the dark line, but asking for a bright feature: not printed
    r = cd(image, 0.3, px, Gauge.across((200.0, 20.0), 100.0, region="below"))
    assert r.status[0] == NOT_PRINTED and np.isnan(r.cd[0])
    # a gauge shorter than the feature: its edges lie beyond both ends (left reported first)
    r = cd(image, 0.3, px, Gauge((180.0, 20.0), (220.0, 20.0)))
    assert r.status[0] in (OPEN_LEFT, OPEN_RIGHT) and np.isnan(r.cd[0])
    r = cd(image, 0.3, px, Gauge((190.0, 20.0), (350.0, 20.0)))
    assert r.status[0] == OPEN_LEFT


def test_bad_input():
    image, px = two_beam()
    g = Gauge.across((200.0, 20.0), 380.0)
    with pytest.raises(InvalidParameterError, match="level.*range"):
        cd(image, 5.0, px, g)  # above the image's maximum: says so rather than NaN
    with pytest.raises(InvalidParameterError, match=r"gauges\[0\].end"):
        cd(image, 0.3, px, Gauge((10.0, 20.0), (500.0, 20.0)))  # outside the 400 nm image
    with pytest.raises(InvalidParameterError, match="end"):
        Gauge((1.0, 1.0), (1.0, 1.0))
    with pytest.raises(InvalidParameterError, match="region"):
        Gauge((0.0, 0.0), (1.0, 0.0), region="inside")
    with pytest.raises(InvalidParameterError, match="gauges"):
        cd(image, 0.3, px, [])
    with pytest.raises(InvalidParameterError, match="field"):
        cd(np.full((4, 4), np.nan), 0.3, px, g)
    with pytest.raises(InvalidParameterError, match="pixel"):
        cd(image, 0.3, -1.0, g)
