"""The Cython level-set kernel against the array reference (litho.etch.levelset), and the
level-set invariants that need many steps (run through the kernel: LevelSetEngine)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from litho._kernels import levelset as kernel
from litho.etch import levelset
from litho.etch.engine import LevelSetEngine, distance_from
from litho.metrology import contours

SPACING = (1.0, 1.2, 0.9)


def _volume(shape, seed=0):
    """A noisy sphere (ny > 1) or disc (ny == 1) level function with rates and visibility."""
    rng = np.random.default_rng(seed)
    nz, ny, nx = shape
    z, y, x = np.meshgrid(np.arange(nz), np.arange(ny), np.arange(nx), indexing="ij")
    r = np.sqrt((z - nz / 2) ** 2 + ((y - ny / 2) ** 2 if ny > 1 else 0) + (x - nx / 2) ** 2)
    phi = r - 7.3 + 0.3 * rng.standard_normal(shape)
    f_iso, f_dir = rng.uniform(0, 1, shape), rng.uniform(0, 2, shape)
    vis = rng.integers(0, 4, shape).astype(np.uint32)
    if ny == 1:
        d = np.array([[1.0, 0.0, 0.0], [0.8, 0.0, 0.6]])
    else:
        d = np.array([[1.0, 0.0, 0.0], [0.9, 0.1, -math.sqrt(1 - 0.82)]])
    return phi, f_iso, f_dir, vis, d, np.array([0.6, 0.4])


@pytest.mark.parametrize("shape", [(40, 1, 64), (24, 20, 28), (18, 3, 13), (16, 2, 5)])
@pytest.mark.parametrize("band", [math.inf, 4.0])
@pytest.mark.parametrize("order", [1, 2])
def test_kernel_matches_the_array_reference(shape, band, order):
    # same operations in the same order: equal to rounding (1e-12 on values of order 10;
    # observed <= 2e-15). The kernel computes rows in runs of 8-node chunks that hold band
    # nodes, with the x neighbours from a padded copy of the row: nx = 64, 28, 13 and 5
    # give whole chunks, a short last chunk, and rows shorter than a chunk and than the
    # stencil's periodic reach; ny = 2 and 3 wrap the y stencil onto the row itself.
    phi, f_iso, f_dir, vis, d, w = _volume(shape)
    args = (SPACING, f_iso, f_dir, vis, d, w, band, order)
    out = np.empty_like(phi)
    kernel.hamiltonian(phi, *args, out)
    np.testing.assert_allclose(out, levelset.hamiltonian(phi, *args), rtol=0, atol=1e-12)
    stepped = phi.copy()
    kernel.rk2_step(stepped, 0.1, *args, np.empty_like(phi), np.empty_like(phi))
    np.testing.assert_allclose(stepped, levelset.rk2_step(phi, 0.1, *args), rtol=0, atol=1e-12)
    clipped = np.clip(phi, -band, band)  # as a run has it: band-edge nodes at +-band
    for keep_near in (False, True):
        for iterations in (0, 1, 10):
            for reach in (None, 0, 2):
                for start in (phi, clipped):
                    ref = levelset.reinitialize(start, SPACING, iterations, band, keep_near, reach)
                    got = start.copy()
                    kernel.reinitialize(got, SPACING, iterations, band, np.empty_like(phi), np.empty_like(phi),
                                        keep_near=keep_near, reach=reach)
                    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-12)
    # without visibility every direction reaches every node
    all_vis = np.full(phi.shape, 0xFFFFFFFF, dtype=np.uint32)
    kernel.hamiltonian(phi, SPACING, f_iso, f_dir, None, d, w, band, order, out)
    np.testing.assert_allclose(out, levelset.hamiltonian(phi, SPACING, f_iso, f_dir, all_vis, d, w, band, order),
                               rtol=0, atol=1e-12)
    # G = 1 (phi a distance), with and without an ion term: the isotropic term is f_iso
    for dd, ww in ((d, w), (np.zeros((0, 3)), np.zeros(0))):
        kernel.hamiltonian(phi, SPACING, f_iso, f_dir, vis, dd, ww, band, order, out, distance=True)
        ref = levelset.hamiltonian(phi, SPACING, f_iso, f_dir, vis, dd, ww, band, order, distance=True)
        np.testing.assert_allclose(out, ref, rtol=0, atol=1e-12)
        ions = ref - np.where(np.abs(phi) > band, 0.0, f_iso)
        assert np.all(ions >= 0) and (np.any(ions > 0) if len(ww) else np.all(ions == 0))
        stepped = phi.copy()
        kernel.rk2_step(stepped, 0.1, SPACING, f_iso, f_dir, vis, dd, ww, band, order, np.empty_like(phi),
                        np.empty_like(phi), distance=True)
        ref = levelset.rk2_step(phi, 0.1, SPACING, f_iso, f_dir, vis, dd, ww, band, order, distance=True)
        np.testing.assert_allclose(stepped, ref, rtol=0, atol=1e-12)


@pytest.mark.parametrize("shape", [(30, 1, 50), (20, 17, 23)])
def test_kernel_visibility_matches_the_array_reference(shape):
    # the same float32 ray states and operations: identical bits, for vertical, spread and
    # tilted fluxes (fractional lateral shifts in both directions)
    from litho.etch import IonFlux
    from litho.etch.visibility import visibility

    solid = np.random.default_rng(1).random(shape) < 0.3
    for flux in (IonFlux(), IonFlux(spread=8.0), IonFlux(spread=5.0, tilt=7.0)):
        d, _ = flux.directions(shape[1] == 1)
        np.testing.assert_array_equal(kernel.visibility(solid, SPACING, d), visibility(solid, SPACING, d))
    with pytest.raises(ValueError, match="point down"):
        kernel.visibility(solid, SPACING, np.array([[-1.0, 0.0, 0.0]]))


def test_kernel_rejects_bad_arrays():
    phi, f_iso, f_dir, vis, d, w = _volume((8, 1, 8))
    out = np.empty_like(phi)
    with pytest.raises(ValueError, match="phi must have dtype float64"):
        kernel.hamiltonian(phi.astype(np.float32), SPACING, f_iso, f_dir, vis, d, w, 4.0, 2, out)
    with pytest.raises(ValueError, match="f_iso must have shape"):
        kernel.hamiltonian(phi, SPACING, f_iso[:4], f_dir, vis, d, w, 4.0, 2, out)
    with pytest.raises(ValueError, match="must not overlap"):
        kernel.rk2_step(phi, 0.1, SPACING, f_iso, f_dir, vis, d, w, 4.0, 2, phi, out)
    with pytest.raises(ValueError, match="C-contiguous"):
        kernel.hamiltonian(np.asfortranarray(np.ones((8, 2, 8))), SPACING, f_iso, f_dir, None, d, w, 4.0, 2, out)
    with pytest.raises(ValueError, match="spacing must be positive"):
        kernel.hamiltonian(phi, (1.0, 0.0, 1.0), f_iso, f_dir, vis, d, w, 4.0, 2, out)
    with pytest.raises(ValueError, match="order must be 1 or 2"):
        kernel.hamiltonian(phi, SPACING, f_iso, f_dir, vis, d, w, 4.0, 3, out)
    with pytest.raises(ValueError, match="dt must be finite"):
        kernel.rk2_step(phi, -1.0, SPACING, f_iso, f_dir, vis, d, w, 4.0, 2, out, np.empty_like(phi))
    with pytest.raises(ValueError, match="at most 32 directions"):
        kernel.hamiltonian(phi, SPACING, f_iso, f_dir, vis, np.tile(d[:1], (33, 1)), np.ones(33), 4.0, 2, out)


def _disc_area(phi2d: np.ndarray, h: float) -> float:
    """Area of {phi > 0} (nm^2) from its sub-pixel contour (marching squares)."""
    return contours(phi2d, 0.0, h).area()


@pytest.mark.parametrize("distance", [False, True])
@pytest.mark.parametrize("h", [1.0, 0.5])
def test_circle_area_under_uniform_normal_speed(h, distance):
    # a solid disc of radius 30 nm etched isotropically at 1 nm/s for 12 s: a circle of
    # radius 30 - t, area pi (30 - t)^2, through the narrow band with re-initialisation
    # every 4 steps as in EtchProcess, with the upwind G and with G = 1 (phi a distance, as
    # EtchProcess runs an etch without ions). Tolerance 0.3 % of the area at 1 nm cells,
    # 0.1 % at 0.5 nm (truncation error of the front and of the re-initialisation, always an
    # undershoot; observed at t = 12 s -0.14 % / -0.039 % upwind, -0.19 % / -0.049 % with
    # G = 1: order 1.85-1.93 under refinement)
    n = int(round(96 / h))
    z, x = (np.mgrid[0:n, 0:n] + 0.5) * h
    phi0 = (30.0 - np.hypot(z - 48.0, x - 48.0))[:, None, :]
    spacing = (h, h, h)
    band = 6 * h
    phi = distance_from(phi0, spacing, band)
    engine = LevelSetEngine(phi, spacing, band=band * (1 - 1e-9), distance=distance)
    f = engine.rates(np.ones(phi.shape))
    zero = engine.rates(np.zeros(phi.shape))
    dt = levelset.cfl_dt(spacing, 1, 1.0, 0.0, np.zeros((0, 3)), np.zeros(0), 0.5)
    steps = math.ceil(12.0 / dt)
    dt = 12.0 / steps
    phi = engine.prepare(phi)
    areas = {}
    for k in range(steps):
        if k and k % 4 == 0:
            phi = engine.reinitialize(phi, 16, band, keep_near=True)
        phi = engine.step(phi, dt, f, zero, None)
        t = (k + 1) * dt
        if abs(t - 6.0) < dt / 2 or k == steps - 1:
            areas[round(t, 6)] = _disc_area(phi[:, 0, :], h)
    rtol = 3e-3 if h == 1.0 else 1e-3
    for t, area in areas.items():
        assert area == pytest.approx(math.pi * (30.0 - t) ** 2, rel=rtol)
    # and |grad phi| = 1 within 1 % after a re-initialisation, away from the surface and
    # the band edge
    phi = engine.reinitialize(phi, 40, band)
    g = levelset.gradient_norm(phi, spacing)[:, 0, :]
    r = np.hypot(z - 48.0, x - 48.0)
    ring = (np.abs(r - 18.0) > 1.5 * h) & (np.abs(r - 18.0) < 4 * h)
    assert np.max(np.abs(g[ring] - 1.0)) < 1e-2


@pytest.mark.gpu
@pytest.mark.parametrize("spread", [0.0, 5.0])
def test_cupy_etch_matches_the_cpu_kernel(spread):
    # the same scheme in CuPy array code (the reference) and the Cython kernel: equal up
    # to device rounding (FMA contraction in the elementwise kernels): 1e-6 nm on phi
    from litho import Layout
    from litho.etch import EtchProcess, IonFlux, Layer, Passivation, Rate, Stack

    stack = Stack([Layer("film", 40.0)], substrate_thickness=6.0)
    mask = Layout.from_rects([[0, 0, 20, 48], [44, 0, 64, 48]])
    process = EtchProcess({"film": Rate(isotropic=0.2, directional=1.0), "resist": Rate(directional=0.3)},
                          time=15.0, ions=IonFlux(spread=spread), passivation=Passivation(0.5))
    kw = dict(pixel=1.0, shape=(48, 64), resist_thickness=20.0)
    cpu = process.run(mask, stack, backend="numpy", **kw)
    gpu = process.run(mask, stack, backend="cupy", **kw)
    assert isinstance(gpu.phi, np.ndarray)
    np.testing.assert_allclose(gpu.phi, cpu.phi, rtol=0, atol=1e-6)


def test_array_code_path_matches_the_kernel_path(monkeypatch):
    # the whole etch through the array code (what CuPy runs: level set, visibility,
    # passivation and ARDE modulation) equals the kernel path on the CPU to rounding
    # (1e-9 nm; observed ~1e-13)
    import functools

    from litho import Layout
    from litho.etch import AspectRatioDependence, EtchProcess, IonFlux, Layer, Passivation, Rate, Stack
    from litho.etch import process as process_module

    stack = Stack([Layer("film", 40.0)], substrate_thickness=6.0)
    mask = Layout.from_rects([[0, 0, 20, 24], [36, 0, 64, 24]])
    process = EtchProcess({"film": Rate(isotropic=0.2, directional=1.0), "resist": Rate(directional=0.3)},
                          time=10.0, ions=IonFlux(spread=5.0, rings=1, azimuths=4), passivation=Passivation(0.5),
                          arde=AspectRatioDependence(0.5))
    kw = dict(pixel=1.0, shape=(24, 64), resist_thickness=20.0, backend="numpy")
    fast = process.run(mask, stack, **kw)
    monkeypatch.setattr(process_module, "LevelSetEngine", functools.partial(LevelSetEngine, kernel=False))
    array = process.run(mask, stack, **kw)
    np.testing.assert_allclose(array.phi, fast.phi, rtol=0, atol=1e-9)
    assert fast.depth > 5.0  # it etched


@pytest.mark.parametrize("shape, k", [((20, 9, 31), 3), ((12, 1, 17), 4), ((5, 3, 4), 6), ((6, 5, 7), 0)])
def test_kernel_dilate_is_the_box_maximum_filter(shape, k):
    # the etch's rate maps rely on it: the maximum filter of a 0/1 volume over (2k + 1)^3
    # boxes in scipy's modes nearest (z) / wrap (y, x), also for boxes wider than the
    # volume and for a 2-D cross-section (no y extent): identical
    from scipy import ndimage

    mask = np.random.default_rng(k).random(shape) < 0.05
    size = [2 * k + 1, 2 * k + 1 if shape[1] > 1 else 1, 2 * k + 1]
    ref = ndimage.maximum_filter(mask.astype(np.uint8), size=size, mode=["nearest", "wrap", "wrap"])
    np.testing.assert_array_equal(kernel.dilate(mask, k), ref)
    with pytest.raises(ValueError, match="k must be"):
        kernel.dilate(mask, -1)
