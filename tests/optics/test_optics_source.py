"""Tests of litho.optics.Source: shapes, exact-area sampling, blur, freeform, keys, validation."""

from __future__ import annotations

import itertools
import math
import pickle

import numpy as np
import pytest

from litho.errors import InvalidParameterError
from litho.geometry import rasterize
from litho.optics import DEFAULT_SOURCE_STEP, Source
from litho.optics import _source_grid as grid

SOURCES = [
    Source.conventional(0.0),
    Source.conventional(0.7),
    Source.annular(0.5, 0.8),
    Source.dipole(0.5, 0.8, 40),
    Source.dipole(0.3, 0.9, 180, axis="y"),
    Source.quasar(0.6, 0.9, 30),
    Source.quadrupole(0.0, 0.9, 90),
    Source.multipole(0.2, 0.9, 3, 60, rotation_deg=10),
    Source.multipole(0.2, 0.9, 1, 360),
    Source.annular(0.5, 0.8).gaussian_blur(0.05),
    Source.freeform(np.eye(8) + 0.1),
]


def second_moment(points: np.ndarray, weights: np.ndarray) -> float:
    return float((weights * (points**2).sum(axis=1)).sum())


def as_dict(points: np.ndarray, weights: np.ndarray, step: float) -> dict[tuple[int, int], float]:
    keys = np.rint(points / step).astype(int)
    return {(int(x), int(y)): float(w) for (x, y), w in zip(keys, weights)}


@pytest.mark.parametrize("source", SOURCES, ids=repr)
def test_weights_normalised_positive_on_grid(source):
    points, weights = source.sample()
    assert points.shape == (len(weights), 2) and points.dtype == weights.dtype == np.float64
    # sum of at most ~1300 positive terms: rounding ~1e-13
    assert weights.sum() == pytest.approx(1.0, abs=1e-12)
    assert (weights > 0).all()
    # cell centres are integer multiples of the step (to rounding of k * step)
    k = points / DEFAULT_SOURCE_STEP
    assert np.abs(k - np.rint(k)).max() < 1e-9
    # nothing beyond sigma_max, plus the half-diagonal of a cell
    assert np.hypot(*points.T).max() <= source.sigma_max + DEFAULT_SOURCE_STEP / math.sqrt(2) + 1e-12


def test_sample_returns_fresh_arrays():
    source = Source.annular(0.5, 0.8)
    p1, w1 = source.sample()
    p1[:] = 99.0
    w1[:] = 0.0
    p2, w2 = source.sample()
    assert w2.sum() == pytest.approx(1.0) and p2.max() < 1.0


def test_conventional_zero_is_one_on_axis_point():
    for step in (None, 0.01, 0.3):
        points, weights = Source.conventional(0).sample(step)
        np.testing.assert_array_equal(points, [[0.0, 0.0]])
        np.testing.assert_array_equal(weights, [1.0])


def test_tiny_disk_is_centre_cell():
    points, weights = Source.conventional(0.01).sample(0.05)  # disk inside the centre cell
    np.testing.assert_array_equal(points, [[0.0, 0.0]])
    np.testing.assert_array_equal(weights, [1.0])


@pytest.mark.parametrize("r_in, r_out, step", [(0.0, 1.0, 0.05), (0.5, 0.8, 0.05), (0.62, 0.93, 0.013)])
def test_annulus_total_area_is_exact(r_in, r_out, step):
    m = grid.grid_half_width(r_out, step)
    cov = grid.annulus_coverage(r_in, r_out, m, step)
    area = cov.sum() * step**2
    # inscribed 8192-gons: relative deficit (2 pi / n)^2 / 6 = 9.8e-8 per disk; the
    # rasterizer's accumulation adds ~1e-13. 1e-6 relative leaves a wide margin.
    assert area == pytest.approx(math.pi * (r_out**2 - r_in**2), rel=1e-6)


def test_sector_areas_add_up_to_the_ring():
    step = 0.05
    m = grid.grid_half_width(0.9, step)
    ring = grid.annulus_coverage(0.3, 0.9, m, step).sum()
    quad = grid.multipole_coverage(0.3, 0.9, 4, 90, 17.0, m, step).sum()
    dip = grid.multipole_coverage(0.3, 0.9, 2, 45, 0.0, m, step).sum()
    # four touching 90-degree sectors tile the ring; two 45-degree ones cover a quarter;
    # polygon errors ~1e-7 relative (same vertex spacing for arcs as for circles)
    assert quad == pytest.approx(ring, rel=1e-6)
    assert dip == pytest.approx(ring / 4, rel=1e-6)


def test_dipole_symmetry_and_poles():
    step = 0.05
    for axis, other in (("x", 1), ("y", 0)):
        points, weights = Source.dipole(0.5, 0.9, 35, axis=axis).sample(step)
        d = as_dict(points, weights, step)
        # mirror symmetric about both axes (the grid is symmetric; exact areas agree to rounding)
        for (i, k), w in d.items():
            assert d.get((-i, k), 0.0) == pytest.approx(w, abs=1e-12)
            assert d.get((i, -k), 0.0) == pytest.approx(w, abs=1e-12)
        # two poles on the named axis: nothing near the other axis
        along = 0 if axis == "x" else 1
        assert np.all(np.abs(points[:, along]) >= 0.5 * math.cos(math.radians(17.5)) - step)
        angle = np.degrees(np.arctan2(points[:, other], points[:, along]))
        folded = np.minimum(np.abs(angle), 180 - np.abs(angle))
        assert folded.max() < 17.5 + 8  # half opening + the angular size of a boundary cell
        assert (points[:, along] > 0).any() and (points[:, along] < 0).any()
        total_pos = weights[points[:, along] > 0].sum()
        assert total_pos == pytest.approx(0.5, abs=1e-12)


def count_poles(points: np.ndarray, weights: np.ndarray) -> int:
    """Number of angular clusters of lit cells (gaps of > 10 degrees between clusters)."""
    angles = np.sort(np.degrees(np.arctan2(points[:, 1], points[:, 0])) % 360)
    gaps = np.diff(np.concatenate([angles, angles[:1] + 360]))
    return int((gaps > 10).sum())


def test_quasar_quadrupole_multipole_symmetry_and_pole_count():
    step = 0.05
    for source, n in [(Source.quasar(0.6, 0.9, 30), 4), (Source.quadrupole(0.6, 0.9, 30), 4),
                      (Source.multipole(0.6, 0.9, 6, 20), 6), (Source.dipole(0.6, 0.9, 30), 2)]:
        points, weights = source.sample(step)
        assert count_poles(points, weights) == n
        d = as_dict(points, weights, step)
        for (i, k), w in d.items():
            assert d.get((-i, -k), 0.0) == pytest.approx(w, abs=1e-12)  # point symmetric
            if n == 4:  # 90-degree rotation symmetry (i, k) -> (-k, i)
                assert d.get((-k, i), 0.0) == pytest.approx(w, abs=1e-12)


def test_quasar_is_quadrupole_rotated_by_45():
    assert Source.quasar(0.5, 0.9, 40) == Source.quadrupole(0.5, 0.9, 40, rotation_deg=45)
    assert Source.multipole(0.5, 0.9, 4, 40, rotation_deg=45 + 90) == Source.quasar(0.5, 0.9, 40)


def test_rotation_rotates_points():
    # rotating a dipole by 90 degrees maps (sx, sy) -> (-sy, sx): weights match cell by cell
    step = 0.05
    a = as_dict(*Source.multipole(0.4, 0.9, 2, 50, rotation_deg=0).sample(step), step)
    b = as_dict(*Source.multipole(0.4, 0.9, 2, 50, rotation_deg=90).sample(step), step)
    assert len(a) == len(b)
    for (i, k), w in a.items():
        assert b[(-k, i)] == pytest.approx(w, abs=1e-12)
    # a 30-degree rotation moves the mean pole direction by 30 degrees
    points, weights = Source.multipole(0.4, 0.9, 1, 40, rotation_deg=30).sample(0.01)
    mean = (weights[:, None] * points).sum(axis=0)
    # cell discretisation of the pole boundary: ~0.1 degree at step 0.01
    assert math.degrees(math.atan2(mean[1], mean[0])) == pytest.approx(30.0, abs=0.2)


def test_second_moment_converges_smoothly():
    r_in, r_out = 0.5, 0.8
    exact = (r_out**2 + r_in**2) / 2
    errors = []
    for step in (0.1, 0.05, 0.025, 0.0125):
        err = second_moment(*Source.annular(r_in, r_out).sample(step)) - exact
        errors.append(err)
        # exact cell areas make the sum a sampled box-filtered indicator: it converges to
        # the box-smoothed moment, |sigma|^2 averaged over a cell = |sigma|^2 + step^2/6;
        # boundary aliasing adds a few % of step^2 (measured <= 0.03 step^2)
        assert err == pytest.approx(step**2 / 6, abs=0.05 * step**2)
    assert all(abs(b) < abs(a) for a, b in itertools.pairwise(errors))


def test_blur_widens_second_moment():
    step, b = 0.01, 0.04
    base = Source.annular(0.3, 0.5)
    blurred = base.gaussian_blur(b)
    assert blurred.sigma_max == pytest.approx(0.5 + 4 * b)
    m0 = second_moment(*base.sample(step))
    m1 = second_moment(*blurred.sample(step))
    # convolution adds the kernel's variance in each axis: 2 b^2. The sampled kernel (4
    # pixels per sd) has its continuous variance to ~1e-30; truncation at 4 sd removes
    # 0.1 % of it; the sigma = 1 cut is not reached (0.5 + 4 b < 1). 1 % tolerance.
    assert m1 - m0 == pytest.approx(2 * b * b, rel=0.01)
    # composition: blur(b1).blur(b2) == blur(hypot(b1, b2))
    assert base.gaussian_blur(0.03).gaussian_blur(0.04) == base.gaussian_blur(0.05)
    assert base.gaussian_blur(0) == base


def test_blur_drops_light_outside_unit_circle():
    points, weights = Source.annular(0.8, 1.0).gaussian_blur(0.1).sample(0.02)
    assert weights.sum() == pytest.approx(1.0)
    # cells straddling sigma = 1 keep their inside part: centres up to 1 + half-diagonal
    assert np.hypot(*points.T).max() <= 1 + 0.02 / math.sqrt(2) + 1e-12
    assert Source.annular(0.8, 1.0).gaussian_blur(0.1).sigma_max == 1.0


@pytest.mark.parametrize("step", [0.01, 0.0015])  # kernel radius 40 cells (direct), 267 (FFT)
def test_blurred_point_is_gaussian(step):
    b = 0.1
    points, weights = Source.conventional(0).gaussian_blur(b).sample(step)
    # 2-D second moment 2 b^2 (truncation at 4 sd: -0.1 %; cut at sigma = 1 > 4 b: none)
    assert second_moment(points, weights) == pytest.approx(2 * b * b, rel=0.01)
    centre = weights[np.all(np.abs(points) < 1e-12, axis=1)][0]
    # peak of a sampled Gaussian: step^2 / (2 pi b^2), to the truncation's normalisation
    assert centre == pytest.approx(step**2 / (2 * math.pi * b * b), rel=0.01)


def test_freeform_uniform_disk_matches_conventional():
    sigma, n = 0.6, 240
    # the disk map itself at exact pixel coverage, so the map is the disk up to 1e-7
    pix = 2.0 / n
    t = np.linspace(0, 2 * np.pi, 8192, endpoint=False)
    disk = sigma * np.stack([np.cos(t), np.sin(t)], axis=1)
    image = rasterize([disk], pixel=pix, shape=n, origin=(-1, -1), mode="area", backend="numpy",
                      dtype=np.float64)
    step = 0.05
    free = as_dict(*Source.freeform(image).sample(step), step)
    conv = as_dict(*Source.conventional(sigma).sample(step), step)
    assert free.keys() == conv.keys()
    # area-weighted averaging of a piecewise-constant map: a cell's weight differs from
    # the exact disk only where a map pixel straddles both the cell edge and the circle
    # (the map spreads that pixel's coverage uniformly); worst case a few pixel areas
    # (pix^2 = 3.5e-5) out of a total area ~1.13 -> < 1e-4 per weight
    diff = max(abs(free[k] - conv[k]) for k in conv)
    assert diff < 1e-4
    # the map of pixel centres inside the disk is a coarser but still close description
    yy, xx = (np.mgrid[:n, :n] + 0.5) * pix - 1
    rough = Source.freeform(((xx**2 + yy**2) <= sigma**2).astype(float))
    m_rough = second_moment(*rough.sample(step))
    m_conv = second_moment(*Source.conventional(sigma).sample(step))
    assert m_rough == pytest.approx(m_conv, rel=0.01)  # staircase edge of 1/240-wide pixels


def test_freeform_scale_invariant_and_extent():
    a = np.random.default_rng(0).random((16, 16))
    # stored scaled to maximum 1: a power-of-two scale divides out exactly, so the sources
    # (and keys) are equal; any other scale agrees to rounding (1 ulp per value)
    assert Source.freeform(a) == Source.freeform(4 * a)
    assert Source.freeform(a).key() == Source.freeform(4 * a).key()
    np.testing.assert_allclose(Source.freeform(3 * a).sample()[1], Source.freeform(a).sample()[1],
                               rtol=1e-14)
    # a map whose only lit pixel lies outside the unit circle carries no light into the pupil
    corner = np.zeros((4, 4))
    corner[0, 0] = 1.0
    src = Source.freeform(corner, extent=2.0)
    with pytest.raises(InvalidParameterError):
        src.sample()
    # the map's lit pixel extent sets sigma_max (farthest corner of a lit pixel, capped at 1)
    centre = np.zeros((10, 10))
    centre[4:6, 4:6] = 1.0
    assert Source.freeform(centre).sigma_max == pytest.approx(math.hypot(0.2, 0.2))


def test_key_stable_and_distinct():
    a = Source.annular(0.5, 0.8)
    assert a.key() == Source.annular(0.5, 0.8).key()
    assert len(a.key()) == 64 and int(a.key(), 16) >= 0
    keys = {s.key() for s in SOURCES}
    keys |= {Source.annular(0.5, 0.81).key(), Source.annular(0.5, 0.8).gaussian_blur(0.01).key(),
             Source.dipole(0.5, 0.8, 40, axis="y").key(), Source.freeform(np.eye(8) + 0.2).key()}
    assert len(keys) == len(SOURCES) + 4
    # the key is a digest of values, not of object identity: survives pickling
    assert pickle.loads(pickle.dumps(SOURCES[-1])).key() == SOURCES[-1].key()
    # known value, so that a change of the key format (which invalidates caches) is deliberate
    assert Source.conventional(0.5).key() == KNOWN_KEY


KNOWN_KEY = "5ecbe897d0b3b87cee783f618c2b03e2d0cec9d70f7c132362f0a9a9b7d9a19a"


def test_hashable_and_repr():
    assert len(set(SOURCES)) == len(SOURCES)
    assert repr(Source.dipole(0.5, 0.8, 40, axis="y")) == \
        "Source.dipole(sigma_in=0.5, sigma_out=0.8, opening_deg=40, axis='y')"
    assert repr(Source.conventional(0.3).gaussian_blur(0.02)) == \
        "Source.conventional(sigma=0.3).gaussian_blur(0.02)"
    assert "freeform" in repr(SOURCES[-1])


@pytest.mark.parametrize("call, name", [
    (lambda: Source.conventional(1.2), "sigma"),
    (lambda: Source.conventional(-0.1), "sigma"),
    (lambda: Source.conventional(float("nan")), "sigma"),
    (lambda: Source.annular(0.8, 0.5), "sigma_in"),
    (lambda: Source.annular(0.5, 0.5), "sigma_in"),
    (lambda: Source.annular(-0.1, 0.5), "sigma_in"),
    (lambda: Source.annular(0.2, 1.1), "sigma_out"),
    (lambda: Source.dipole(0.2, 0.8, 181), "opening_deg"),
    (lambda: Source.dipole(0.2, 0.8, 0), "opening_deg"),
    (lambda: Source.dipole(0.2, 0.8, 30, axis="z"), "axis"),
    (lambda: Source.quasar(0.2, 0.8, 91), "opening_deg"),
    (lambda: Source.multipole(0.2, 0.8, 0, 30), "n_poles"),
    (lambda: Source.multipole(0.2, 0.8, 2.5, 30), "n_poles"),
    (lambda: Source.multipole(0.2, 0.8, 3, 30, rotation_deg=float("inf")), "rotation_deg"),
    (lambda: Source.annular(0.2, 0.8).gaussian_blur(-0.01), "sigma_blur"),
    (lambda: Source.freeform(np.ones(5)), "intensity"),
    (lambda: Source.freeform(np.zeros((3, 3))), "intensity"),
    (lambda: Source.freeform(-np.ones((3, 3))), "intensity"),
    (lambda: Source.freeform(np.full((3, 3), np.nan)), "intensity"),
    (lambda: Source.freeform(np.ones((3, 3)), extent=0), "extent"),
    (lambda: Source("bogus"), "kind"),
    (lambda: Source.annular(0.2, 0.8).sample(step=0), "step"),
])
def test_bad_parameters_raise_naming_the_field(call, name):
    with pytest.raises(InvalidParameterError) as info:
        call()
    assert info.value.name == name
    assert name in str(info.value)
    assert isinstance(info.value, ValueError)
