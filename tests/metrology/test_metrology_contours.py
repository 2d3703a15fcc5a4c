"""Contours: sub-pixel edges of fields with known level sets; holes; bad levels."""

from __future__ import annotations

import numpy as np
import pytest

from litho.errors import InvalidParameterError
from litho.geometry.layout import Layout
from litho.metrology import contours


def test_straight_edge_is_located_exactly():
    # a field linear across x: the level crossing lies at x_e for any sub-pixel x_e;
    # linear interpolation of a linear field is exact (rounding only: 1e-9 nm)
    pixel, ny, nx = 4.0, 6, 40
    for x_edge in (50.3, 61.0, 77.77):
        x = (np.arange(nx) + 0.5) * pixel
        field = np.tile(0.3 + 0.01 * (x - x_edge), (ny, 1))
        outline = contours(field, 0.3, pixel)
        x0, y0, x1, y1 = outline.bbox
        assert x0 == pytest.approx(x_edge, abs=1e-9)
        assert (x1, y0, y1) == pytest.approx((x[-1], 0.5 * pixel, (ny - 0.5) * pixel))
        below = contours(field, 0.3, pixel, region="below")
        assert below.bbox[2] == pytest.approx(x_edge, abs=1e-9)


def test_disk_area_holes_origin_and_pixel_pairs():
    y, x = (np.mgrid[0:80, 0:100] + 0.5) * 2.0
    r = np.hypot(x - 100.0, y - 80.0)
    disk = contours(-r, -30.0, 2.0)
    # a polygon inscribed through points on the circle: area deficit ~ (1 - cos) per
    # segment, below 0.1 % at this sampling
    assert disk.area() == pytest.approx(np.pi * 30.0**2, rel=1e-3)
    ring = contours(np.abs(r - 12.5), 2.5, 2.0, region="below")  # 10 < r < 15
    assert len(ring) == 1  # the hole is keyholed into one polygon
    assert ring.area() == pytest.approx(np.pi * (15.0**2 - 10.0**2), rel=2e-2)
    moved = contours(-r, -30.0, (2.0, 2.0), origin=(1000.0, -50.0))
    assert moved.bbox[0] == pytest.approx(disk.bbox[0] + 1000.0)
    assert moved.bbox[1] == pytest.approx(disk.bbox[1] - 50.0)


def test_levels_outside_the_range_are_refused_or_reported():
    field = np.linspace(0.0, 1.0, 20).reshape(4, 5)
    with pytest.raises(InvalidParameterError, match=r"range \[0, 1\]") as info:
        contours(field, 1.5, 1.0)
    assert info.value.name == "level"
    assert len(contours(field, 1.5, 1.0, empty_ok=True)) == 0
    whole = contours(field, -1.0, 1.0, empty_ok=True)
    assert whole.area() == pytest.approx(4.0 * 3.0)  # between the outermost centres
    with pytest.raises(InvalidParameterError) as info:
        contours(np.full((3, 3), np.nan), 0.5, 1.0)
    assert info.value.name == "field[0, 0]"
    with pytest.raises(InvalidParameterError) as info:
        contours(field, 0.5, 1.0, region="inside")
    assert info.value.name == "region"


def test_many_holes_and_islands_keyholed_exactly():
    # a smooth random field: regions with many holes, islands inside holes. Each output
    # ring is one polygon (holes bridged in); the even-odd interior of the rings must be
    # the bilinear region itself. Checked at interior sample centres away from the level
    # (a margin of 1e-3 of the field's spread keeps points off the contour; border
    # samples lie on the outline by convention) and by area against contourpy's own
    # signed ring areas (rounding only).
    import contourpy
    from matplotlib.path import Path
    from scipy.ndimage import gaussian_filter

    field = gaussian_filter(np.random.default_rng(3).standard_normal((160, 200)), 4.0)
    level = 0.01
    out = contours(field, level, 1.0)
    polys = list(out)
    assert max(len(p) for p in polys) > 0
    yy, xx = np.mgrid[0:160, 0:200] + 0.5
    pts = np.column_stack([xx.ravel(), yy.ravel()])
    inside = np.zeros(len(pts), dtype=bool)
    for p in polys:
        inside ^= Path(p).contains_points(pts)
    interior = np.zeros(field.shape, dtype=bool)
    interior[1:-1, 1:-1] = True
    clear = (np.abs(field - level) > 1e-3 * np.ptp(field)).ravel() & interior.ravel()
    np.testing.assert_array_equal(inside[clear], (field.ravel() >= level)[clear])
    pieces, offsets = contourpy.contour_generator(z=field, fill_type="OuterOffset").filled(level, 10.0)
    rings = [xy[a:b] for xy, off in zip(pieces, offsets) for a, b in zip(off[:-1], off[1:])]
    signed = sum(0.5 * np.sum(r[:-1, 0] * r[1:, 1] - r[1:, 0] * r[:-1, 1]) for r in rings)
    holes = [len(off) - 2 for off in offsets]
    assert len(polys) == len(pieces) and sum(holes) >= 5 and max(holes) >= 2  # holes to bridge
    assert out.area() == pytest.approx(abs(signed), rel=1e-12)


# -- banded tracing: the band pieces joined along the seams must give the polygons of one
# contourpy call over the whole field (compared with contourpy's own OuterOffset output,
# computed here independently of litho's code path) -----------------------------------

import importlib
import threading

_contours_module = importlib.import_module("litho.metrology.contours")


def _plain(z, lower, upper):
    """contourpy's single-piece filled contours: one list of rings per polygon, no closing vertex."""
    import contourpy

    gen = contourpy.contour_generator(z=np.asarray(z, dtype=np.float64), name="serial", corner_mask=False,
                                      fill_type="OuterOffset")
    points, offsets = gen.filled(lower, upper)
    return [[p[a:b - 1] for a, b in zip(o[:-1], o[1:])] for p, o in zip(points, offsets)]


def _traced(z, lower, upper):
    """litho's rings (the kernel, grouped into regions) for contourpy's filled(lower, upper)."""
    region = "above" if upper > float(np.max(z)) else "below"
    return _contours_module._polygons(np.asarray(z), lower if region == "above" else upper, region)


def _signed_area(ring):
    x, y = ring[:, 0], ring[:, 1]
    return 0.5 * float(np.sum(x * np.roll(y, -1) - y * np.roll(x, -1)))


def _canonical(ring):
    k = int(np.lexsort((ring[:, 1], ring[:, 0]))[0])
    return np.roll(ring, -k, axis=0)


def _assert_same_polygons(got, ref):
    """Same polygons in the same order: outer rings vertex for vertex (same start), the
    areas, and the holes as sets of rings (any start and order)."""
    assert len(got) == len(ref)
    for g, r in zip(got, ref):
        assert g[0].shape == r[0].shape
        np.testing.assert_allclose(g[0], r[0], rtol=0, atol=1e-12)
        # (vertices agree to ~1e-13, the crossing's rounding; summed over 10^3 vertices an
        # area to ~1e-12 relative)
        assert sum(map(_signed_area, g)) == pytest.approx(sum(map(_signed_area, r)), rel=1e-11, abs=1e-12)
        assert len(g) == len(r)
        gh = sorted((_canonical(h) for h in g[1:]), key=lambda h: tuple(h[0]))
        rh = sorted((_canonical(h) for h in r[1:]), key=lambda h: tuple(h[0]))
        for a, b in zip(gh, rh):
            assert a.shape == b.shape
            np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)


def _levels(z, level, region):
    span = max(float(np.ptp(z)), 1.0)
    return (level, float(z.max()) + span) if region == "above" else (float(z.min()) - span, level)


def _benchmark_image(n=2048):
    x = (np.arange(n) + 0.5)[None, :]
    y = (np.arange(n) + 0.5)[:, None]
    return (0.3 + 0.2 * np.cos(2 * np.pi * x / 90.0) * np.cos(2 * np.pi * y / 300.0)
            + 0.05 * np.sin(2 * np.pi * (x + y) / 700.0)).astype(np.float32)


def _smooth(seed, shape, sigma):
    from scipy.ndimage import gaussian_filter

    return gaussian_filter(np.random.default_rng(seed).standard_normal(shape), sigma)


def test_kernel_traces_contourpys_rings_on_the_benchmark_image():
    # the same polygons in the same order, each outer ring from the same vertex
    z = _benchmark_image()
    for region in ("above", "below"):
        lower, upper = _levels(z, 0.3, region)
        ref = _plain(z, lower, upper)
        assert sum(len(p) - 1 for p in ref) > 20  # holes
        _assert_same_polygons(_traced(z, lower, upper), ref)


@pytest.mark.parametrize("seed", range(12))
def test_kernel_traces_contourpys_rings_on_random_smooth_fields(seed):
    rng = np.random.default_rng(100 + seed)
    shape = (int(rng.integers(2, 160)), int(rng.integers(2, 160)))
    z = _smooth(seed, shape, rng.uniform(0.8, 5.0))
    level = float(np.quantile(z, rng.uniform(0.25, 0.75)))
    for region in ("above", "below"):
        lower, upper = _levels(z, level, region)
        _assert_same_polygons(_traced(z, lower, upper), _plain(z, lower, upper))


def test_kernel_traces_regions_on_the_border_corners_and_saddles():
    ny, nx = 41, 37
    y, x = np.mgrid[0:ny, 0:nx] + 0.37
    fields = {
        # a blob at each corner and one along each side: closed along the border
        "corners": np.maximum.reduce([np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / 60.0)
                                      for cx, cy in ((0, 0), (nx, 0), (0, ny), (nx, ny), (nx / 2, 0), (0, ny / 2))]),
        # a region over the whole height, and a wavy one crossing rows many times
        "bar": np.exp(-((x - 18.3) ** 2) / 30.0),
        "snake": np.cos(x / 2.1 + 2.0 * np.sin(y / 3.3)),
        # everything inside but for holes, some on the border
        "holes": 1.0 - np.maximum.reduce([np.exp(-((x - 18.1) ** 2 + (y - s) ** 2) / 8.0)
                                          for s in (0, 5, 10, 20, 30, 40)]),
        # a checkerboard: every quad between samples of alternating sides is a saddle
        "saddles": np.cos(np.pi * np.floor(x)) * np.cos(np.pi * np.floor(y)) + 0.3 * np.sin(x * y / 7.0),
    }
    for name, z in fields.items():
        level = {"snake": 0.1, "saddles": 0.05}.get(name, 0.5)
        for region in ("above", "below"):
            lower, upper = _levels(z, level, region)
            ref = _plain(z, lower, upper)
            assert ref, name
            _assert_same_polygons(_traced(z, lower, upper), ref)


def test_kernel_traces_nested_rings():
    # concentric rings: region inside region inside region (polygons with holes with
    # islands with holes)
    ny, nx = 90, 80
    y, x = np.mgrid[0:ny, 0:nx] + 0.5
    r = np.hypot(x - 41.3, y - 44.7)
    z = np.cos(r / 3.1) * np.exp(-r / 60.0)
    for region in ("above", "below"):
        lower, upper = _levels(z, 0.05, region)
        ref = _plain(z, lower, upper)
        assert max(len(p) for p in ref) >= 2 and len(ref) >= 4
        _assert_same_polygons(_traced(z, lower, upper), ref)


def test_kernel_on_very_small_fields():
    z = np.array([[0.0, 1.0], [2.0, 3.0]])
    lower, upper = _levels(z, 1.5, "above")
    _assert_same_polygons(_traced(z, lower, upper), _plain(z, lower, upper))
    z = _smooth(7, (3, 7), 0.7)
    level = float(np.median(z)) + 1e-3
    for region in ("above", "below"):
        lower, upper = _levels(z, level, region)
        _assert_same_polygons(_traced(z, lower, upper), _plain(z, lower, upper))
        _assert_same_polygons(_traced(z.T.copy(), lower, upper), _plain(z.T, lower, upper))


def test_kernel_with_samples_on_the_level():
    # samples exactly on the level (on the boundary: outside "above", inside "below"):
    # contourpy repeats such a vertex where the boundary touches it, the kernel writes it
    # once, and contourpy may add rings of zero area (which contours() drops); otherwise
    # the same rings (any start)
    def dedup(ring):
        keep = np.ones(len(ring), dtype=bool)
        keep[1:] = np.any(ring[1:] != ring[:-1], axis=1)
        ring = ring[keep]
        return ring[:-1] if len(ring) > 1 and np.array_equal(ring[-1], ring[0]) else ring

    def normal(polygons):
        # per region: its outer ring and its holes, each from its least vertex; zero-area
        # rings and regions dropped; regions in a fixed order
        out = []
        for p in polygons:
            rings = [_canonical(dedup(r)) for r in p]
            rings = [r for r in rings if len(r) >= 3 and _signed_area(r) != 0]
            if rings and _signed_area(rings[0]) > 0:
                out.append([rings[0]] + sorted(rings[1:], key=lambda r: (len(r), tuple(r[0]))))
        return sorted(out, key=lambda p: (len(p[0]), tuple(p[0][0])))

    touching = 0
    for seed in range(6):
        z = np.round(_smooth(seed, (40, 50), 2.0) * 8)
        for region in ("above", "below"):
            lower, upper = _levels(z, 0.0, region)
            ref, got = normal(_plain(z, lower, upper)), normal(_traced(z, lower, upper))
            assert len(got) == len(ref)
            for g, r in zip(got, ref):  # the same holes in each region
                assert len(g) == len(r)
                for a, b in zip(g, r):
                    np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
            vertices = np.concatenate([r for p in got for r in p])
            touching += len(vertices) - len(np.unique(vertices, axis=0))
    assert touching > 0  # rings that meet at samples on the level were among them


def test_float32_field_is_compared_with_the_level_in_float64():
    # a float32 field traces as its float64 copy, vertex for vertex, also for a level
    # that float32 cannot represent with samples on either side of it
    z = _smooth(4, (60, 70), 2.0).astype(np.float32)
    level = float(np.float32(np.median(z)))
    z.flat[::97] = level
    z.flat[1::97] = np.nextafter(np.float32(level), np.float32(np.inf))
    for lv in (level, np.nextafter(level, np.inf), np.nextafter(level, -np.inf)):
        for region in ("above", "below"):
            got = _contours_module._polygons(z, lv, region)
            want = _contours_module._polygons(z.astype(np.float64), lv, region)
            assert len(got) == len(want)
            for g, w in zip(got, want):
                assert len(g) == len(w)
                for a, b in zip(g, w):
                    np.testing.assert_array_equal(a, b)


def test_kernel_rejects_what_it_cannot_trace():
    from litho._kernels.contour import rings

    z = np.arange(12.0).reshape(3, 4)
    for bad in (z[:, ::2], z.astype(np.int64), z[None]):
        with pytest.raises(ValueError, match="C-contiguous 2-D float32 or float64"):
            rings(bad, 5.5)
    # z = 0 .. 11 row by row, z > 5.5: samples (1, 2), (1, 3) and row 2; crossings by hand
    # (e.g. x = 1.5 between 5 and 6 on row 1, y = 0.875 between 2 and 6 in column 2),
    # anticlockwise from the first quad, closed along the top and side borders
    xy, offsets = rings(z, 5.5)
    want = [[1.5, 1.0], [2.0, 0.875], [3.0, 0.625], [3.0, 1.0], [3.0, 2.0], [2.0, 2.0], [1.0, 2.0], [0.0, 2.0],
            [0.0, 1.375], [1.0, 1.125]]
    np.testing.assert_array_equal(xy, want)
    assert offsets.tolist() == [0, 10]


def _same_layout(a, b):
    assert len(a) == len(b)
    for p, q in zip(a, b):
        np.testing.assert_array_equal(np.asarray(p), np.asarray(q))
    np.testing.assert_array_equal(a.layers, b.layers)


def test_contours_from_concurrent_threads():
    # the kernel and the per-thread work arrays: calls from several threads at once give
    # each its own result
    z1 = _benchmark_image(640)
    z2 = _smooth(5, (640, 640), 6.0).astype(np.float32)
    refs = [contours(z, lv, 1.0) for z, lv in ((z1, 0.3), (z2, 0.0))]
    errors = []

    def work():
        try:
            for _ in range(3):
                for (z, lv), ref in zip(((z1, 0.3), (z2, 0.0)), refs):
                    _same_layout(contours(z, lv, 1.0), ref)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    work()
    for t in threads:
        t.join()
    assert not errors


def _reference_keyhole(outer, holes):
    """The bridging rule spelled out hole by hole, ring by ring (the pre-vectorised code)."""
    rings = [outer if _signed_area(outer) > 0 else outer[::-1]]
    for hole in sorted(holes, key=lambda h: -float(h[:, 0].max())):
        hole = hole[::-1] if _signed_area(hole) > 0 else hole
        m = int(np.argmax(hole[:, 0]))
        rings.append(np.concatenate([hole[m:], hole[:m]]))  # M first
    bridges = [[] for _ in rings]
    for k in range(1, len(rings)):
        mx, my = rings[k][0]
        best = (np.inf, 0, 0, 0.0)
        for r in range(k):
            ax, ay = rings[r][:, 0], rings[r][:, 1]
            bx, by = np.roll(ax, -1), np.roll(ay, -1)
            hit = np.flatnonzero((ay <= my) != (by <= my))
            t = (my - ay[hit]) / (by[hit] - ay[hit])
            x_hit = ax[hit] + t * (bx[hit] - ax[hit])
            ok = np.flatnonzero(x_hit >= mx)
            if ok.size:
                j = ok[np.argmin(x_hit[ok])]
                if x_hit[j] < best[0]:
                    best = (float(x_hit[j]), r, int(hit[j]), float(t[j]))
        x_p, r, e, t = best
        bridges[r].append((e, t, np.array([[x_p, my]]), k))

    def splice(r):
        out, cursor = [], 0
        for e, _, p, k in sorted(bridges[r], key=lambda b: (b[0], b[1])):
            out += [rings[r][cursor:e + 1], p] + splice(k) + [rings[k][:1], p]
            cursor = e + 1
        return out + [rings[r][cursor:]]

    return np.concatenate(splice(0))


def test_keyhole_bridges_as_the_plain_ray_search():
    # the vectorised bridging against the rule spelled out, on the kernel's rings and on
    # the same rings reversed (the orientation fix-up), symmetric fields (ties) included
    m = _contours_module
    checked = 0
    for seed in range(8):
        z = _smooth(seed, (60, 70), 2.5)
        if seed % 2:
            z = z + z[::-1]  # holes with equal extremes
        for polygon in m._polygons(z, float(np.quantile(z, 0.45)), "above"):
            if len(polygon) < 2:
                continue
            outer, holes = polygon[0], polygon[1:]
            want = _reference_keyhole(outer, holes)
            np.testing.assert_array_equal(m._keyhole(outer, holes), want)
            np.testing.assert_array_equal(np.concatenate(m._keyhole_pieces(outer, holes, oriented=True)), want)
            np.testing.assert_array_equal(m._keyhole(outer[::-1], [h[::-1] for h in holes]), want)
            checked += 1
    assert checked >= 5


@pytest.mark.parametrize("seed", range(8))
def test_contours_area_equals_contourpys_on_degenerate_fields(seed):
    # the whole pipeline (nesting, keyholes, Layout) on fields with samples on the level
    # (regions and holes that touch at them) and mirror symmetries (ties in the keyholes):
    # the region's area as contourpy's filled contours give it, to rounding
    rng = np.random.default_rng(50 + seed)
    z = np.round(_smooth(seed, (int(rng.integers(20, 70)), int(rng.integers(20, 70))), 1.5) * rng.uniform(3, 9))
    if seed % 2:
        z = z + z[::-1]
    for region in ("above", "below"):
        layout = contours(z, 0.0, (1.0, 1.0), region=region, empty_ok=True)
        lower, upper = _levels(z, 0.0, region)
        want = sum(_signed_area(r) for p in _plain(z, lower, upper) for r in p)
        got = sum(abs(_signed_area(np.asarray(p))) for p in layout)
        assert got == pytest.approx(want, rel=1e-12, abs=1e-9)


def test_layout_packing_matches_layout_from_polygons():
    m = _contours_module
    z = np.round(_smooth(2, (70, 80), 2.0) * 6)  # duplicate vertices, zero-area slivers
    scale, shift = np.array([2.0, 0.7]), np.array([-5.0, 3.25])
    for region in ("above", "below"):
        rings = [p[0] if len(p) == 1 else m._keyhole(p[0], p[1:]) for p in m._polygons(z, 0.0, region)]
        want = Layout.from_polygons([r * scale + shift for r in rings if abs(m._area(r)) > 0], layer=(4, 2))
        _same_layout(m._layout([[r] for r in rings], scale, shift, (4, 2)), want)


def test_errors_name_the_bad_sample():
    big = _benchmark_image(300).astype(np.float64)
    big[123, 45] = np.nan
    with pytest.raises(InvalidParameterError) as info:
        contours(big, 0.3, 1.0)
    assert info.value.name == "field[123, 45]"
    big[123, 45] = -np.inf
    with pytest.raises(InvalidParameterError) as info:
        contours(big.astype(np.float32), 0.3, "bad")
    assert info.value.name == "field[123, 45]"  # the field is checked first
    with pytest.raises(InvalidParameterError) as info:
        contours(np.ones((3, 4)) * np.arange(4), 1.5, 1.0, layer=(-1, 0))
    assert info.value.name == "layer"
