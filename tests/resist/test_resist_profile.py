"""ResistProfile measurements on arrival-time fields whose level sets are known exactly.

The test field T(x, z) = z (alpha + beta |x - xc|) is bilinear in (x, z) on each side
of xc (which sits on a sample), so the profile's linear-in-depth and bilinear-in-plane
interpolation reproduces it exactly: every measurement has a closed form.
"""

from __future__ import annotations

import numpy as np
import pytest

from litho.errors import InvalidParameterError
from litho.resist.profile import ResistProfile

NZ, NY, NX, DZ, DXY = 20, 4, 64, 5.0, 2.0
THICKNESS = NZ * DZ
XC = (32 + 0.5) * DXY
ALPHA, BETA, T_DEV = 1 / 50.0, 0.01, 3.0
LINE_Y = 3.0
CUT = ((XC - 60.0, LINE_Y), (XC + 60.0, LINE_Y))


def field():
    z = (np.arange(NZ) + 0.5) * DZ
    x = (np.arange(NX) + 0.5) * DXY
    t = z[:, None] * (ALPHA + BETA * np.abs(x - XC))[None, :]
    return np.repeat(t[:, None, :], NY, axis=1)


def space_cd(height):
    depth = THICKNESS - height
    return 2 * (T_DEV / depth - ALPHA) / BETA


def profile():
    return ResistProfile(field(), T_DEV, (DZ, DXY, DXY))


@pytest.mark.parametrize("height", [10.0, 37.5, 50.0, 90.0])
def test_space_cd_at_any_height_is_exact(height):
    # exact up to rounding (bilinear interpolation of a bilinear field): 1e-9 nm
    assert profile().cd(CUT, height) == pytest.approx(space_cd(height), abs=1e-9)
    assert profile().cd(CUT, height, feature="space") == pytest.approx(space_cd(height), abs=1e-9)


def test_top_middle_bottom_and_sidewall_angle():
    cds = profile().cds(CUT)
    for name, fraction in (("top", 0.9), ("middle", 0.5), ("bottom", 0.1)):
        assert cds[name] == pytest.approx(space_cd(fraction * THICKNESS), abs=1e-9)
    # the sidewall between 10 % and 90 % of the thickness: a space widening upwards
    run = 0.5 * (space_cd(90.0) - space_cd(10.0))
    angle = np.degrees(np.arctan2(80.0, run))
    assert profile().sidewall_angle(CUT) == pytest.approx(angle, abs=1e-9)
    assert profile().sidewall_angle(CUT) < 90.0


def test_height_and_thickness_loss():
    x = (np.arange(NX) + 0.5) * DXY
    depth = T_DEV / (ALPHA + BETA * np.abs(x - XC))
    expected = np.where(depth >= THICKNESS, 0.0, THICKNESS - depth)
    heights = profile().height
    assert heights.shape == (NY, NX)
    np.testing.assert_allclose(heights, np.broadcast_to(expected, (NY, NX)), atol=1e-9)
    assert profile().thickness_loss == pytest.approx(THICKNESS - expected.max(), abs=1e-9)


def test_uniform_rate_develops_rate_times_time():
    rate = 7.0
    z = (np.arange(NZ) + 0.5) * DZ
    t = np.broadcast_to((z / rate)[:, None, None], (NZ, NY, NX)).copy()
    p = ResistProfile(t, 4.0, DZ)
    np.testing.assert_allclose(p.height, THICKNESS - rate * 4.0, atol=1e-12)
    assert p.thickness_loss == pytest.approx(28.0, abs=1e-12)
    assert float(p.at(100.0).height.max()) == 0.0  # cleared: the whole column developed
    assert float(p.at(0.0).height.min()) == pytest.approx(THICKNESS)


def test_contours_at_a_height_enclose_the_remaining_resist():
    outline = profile().contours(50.0)
    # remaining where |x - xc| > cd/2, between the outermost sample centres (x in
    # [1, 127], y in [1, 7]): two bands whose edges are exact (linear field)
    half = space_cd(50.0) / 2
    width = (XC - half - DXY / 2) + (NX * DXY - DXY / 2 - XC - half)
    assert outline.area() == pytest.approx(width * (NY - 1) * DXY, abs=1e-6)
    assert len(outline) == 2
    assert len(profile().at(1e9).contours(50.0)) == 0  # nothing left


def test_cross_section():
    section = profile().cross_section(CUT)
    assert section.arrival_time.shape == (NZ, len(section.s))
    assert section.s[-1] == pytest.approx(120.0)
    # at the cutline's midpoint (x = xc) the developer arrived at z alpha
    mid = np.argmin(np.abs(section.s - 60.0))
    np.testing.assert_allclose(section.arrival_time[:, mid], section.depth * ALPHA, rtol=1e-12)
    assert not section.remaining[:, mid].any()
    # at the start (x = xc - 60) T = 0.62 z: developed above z = 4.84 nm only
    assert not section.remaining[0, 0] and section.remaining[1:, 0].all()


@pytest.mark.parametrize(("call", "name"), [
    (lambda p: p.cd(((0, 0), (0, 0)), 50.0), "cutline"),
    (lambda p: p.cd(((XC - 2, LINE_Y), (XC + 2, LINE_Y)), 50.0), "cutline"),  # edges beyond the ends
    (lambda p: p.cd(CUT, 150.0), "height"),
    (lambda p: p.cd(CUT, 50.0, feature="line"), "feature"),
    (lambda p: p.cd(CUT, 50.0, feature="hole"), "feature"),
    (lambda p: p.sidewall_angle(CUT, low=0.8, high=0.2), "high"),
    (lambda p: ResistProfile(-field(), 1.0, 1.0), "arrival_time[0, 0, 0]"),
    (lambda p: ResistProfile(field()[0], 1.0, 1.0), "arrival_time"),
    (lambda p: ResistProfile(np.where(field() > 1.0, field(), -np.inf), 1.0, 1.0), "arrival_time[0, 0, 13]"),
    (lambda p: ResistProfile(field(), -1.0, 1.0), "develop_time"),
    (lambda p: ResistProfile(field(), 1.0, (1.0, 0.0, 1.0)), "spacing"),
])
def test_bad_input_is_named(call, name):
    # (the -inf case: the first voxel with T <= 1 s is [0, 0, 13]; -inf is not "never reached")
    with pytest.raises(InvalidParameterError) as info:
        call(profile())
    assert info.value.name == name
