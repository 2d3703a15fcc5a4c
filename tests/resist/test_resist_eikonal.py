"""Development front (eikonal |grad T| R = 1): fast marching and the plane-sweep solver.

Truth used here, independent of the solvers:
- closed forms: T = z / R in a uniform medium; T = integral of dz / R for rates that
  depend on z only (exactly what the first-order stencil integrates; the second-order
  stencil is the 1-D BDF2 recurrence, written out here); T = r / R around a point source;
- convergence orders under refinement (point source; smooth R(z));
- exact symmetries: an open edge is a mirror (open == periodic on the mirror-doubled
  volume), translation invariance with periodic edges, T(c R) = T(R) / c;
- the two solvers against each other (same discrete equations, solved by different
  algorithms).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from litho.errors import InvalidParameterError
from litho.resist.eikonal import (
    EikonalConvergenceError,
    arrival_time,
    fast_marching,
    plane_sweep,
)

METHODS = ("fmm", "sweep")


def centres(nz: int, dz: float) -> np.ndarray:
    """Depth of the voxel centres below the resist top, nm."""
    return (np.arange(nz) + 0.5) * dz


def random_rate(shape, seed: int, low: float = 0.1, high: float = 100.0) -> np.ndarray:
    """Log-uniform rates in [low, high] nm/s (the range of a real resist)."""
    rng = np.random.default_rng(seed)
    return np.exp(rng.uniform(math.log(low), math.log(high), shape))


# ---------------------------------------------------------------------------------------
# closed forms


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("order", [1, 2])
@pytest.mark.parametrize("lateral", ["periodic", "open"])
@pytest.mark.parametrize("spacing", [1.0, (2.5, 0.7, 1.3), (0.4, 3.0, 3.0)])
def test_uniform_rate_is_depth_over_rate(method, order, lateral, spacing):
    nz, ny, nx = 12, 5, 6
    rate = np.full((nz, ny, nx), 3.7)
    dz = spacing if isinstance(spacing, float) else spacing[0]
    t = arrival_time(rate, spacing, lateral=lateral, method=method, order=order)
    expected = np.broadcast_to((centres(nz, dz) / 3.7)[:, None, None], t.shape)
    # T is linear in z, which both stencils differentiate exactly; only rounding of the
    # running sums (~nz ulps) separates the result from z / R.
    np.testing.assert_allclose(t, expected, rtol=1e-13, atol=0)


def step_integral(z: np.ndarray, edges: np.ndarray, rates: np.ndarray) -> np.ndarray:
    """Exact integral of dz / R(z) from 0 to each z for R = rates[j] on (edges[j], edges[j+1]]."""
    lengths = np.clip(z[:, None], edges[None, :-1], edges[None, 1:]) - edges[None, :-1]
    return (lengths / rates[None, :]).sum(axis=1)


@pytest.mark.parametrize("method", METHODS)
def test_layered_rate_first_order_is_exact_integral(method):
    # R depends on z only. The first-order stencil gives T_k = T_{k-1} + dz / R_k: the
    # exact travel time through a stack in which R_k fills the span between the centres
    # of voxels k-1 and k (and R_0 the top half voxel). Integrate that step function
    # independently.
    nz, dz = 20, 2.0
    layers = random_rate(nz, seed=4, low=0.05, high=80.0)
    rate = np.broadcast_to(layers[:, None, None], (nz, 3, 4)).copy()
    z = centres(nz, dz)
    edges = np.concatenate([[0.0], z[:-1], [np.inf]])  # layer k: (z_{k-1}, z_k]; layer 0 from the top
    expected = step_integral(z, edges, layers)
    t = arrival_time(rate, (dz, 1.0, 1.0), method=method, order=1)
    # rounding of a sum of 20 positive terms
    np.testing.assert_allclose(t, np.broadcast_to(expected[:, None, None], t.shape), rtol=1e-13)
    assert np.all(np.diff(t, axis=0) > 0)  # deeper voxels are reached later


@pytest.mark.parametrize("method", METHODS)
def test_layered_rate_second_order_is_bdf2_recurrence(method):
    # The second-order stencil along z is the one-sided (3 T_k - 4 T_{k-1} + T_{k-2}) / (2 dz)
    # = 1 / R_k (row 1 has no second upwind neighbour: first order); lateral neighbours
    # are equal and drop out. Written out independently:
    nz, dz = 20, 1.5
    layers = random_rate(nz, seed=5, low=0.05, high=80.0)
    expected = np.empty(nz)
    expected[0] = 0.5 * dz / layers[0]
    expected[1] = expected[0] + dz / layers[1]
    for k in range(2, nz):
        expected[k] = (4 * expected[k - 1] - expected[k - 2] + 2 * dz / layers[k]) / 3
    rate = np.broadcast_to(layers[:, None, None], (nz, 4, 3)).copy()
    t = arrival_time(rate, (dz, 0.8, 2.0), method=method, order=2)
    # the recurrence amplifies rounding by at most ~3x per step
    np.testing.assert_allclose(t, np.broadcast_to(expected[:, None, None], t.shape), rtol=1e-12)
    assert np.all(np.diff(t, axis=0) > 0)


def observed_orders(errors: list[float]) -> list[float]:
    return [math.log2(a / b) for a, b in zip(errors, errors[1:])]


def test_smooth_depth_profile_converges_at_the_stencil_order():
    # R(z) = 1 + z / 10 nm/s through 40 nm: T(z) = 10 ln(1 + z / 10) exactly.
    # Grids nz = 64, 128, 256, 512 (1 x 1 lateral: pure 1-D); max error at the voxel
    # centres. Measured orders: first order 0.976, 0.988, 0.994; second order 1.868, 1.919,
    # 1.955 (approaching 2 from below: the first-order step at row 1 and the half-voxel
    # start leave an O(dz^2) offset whose higher-order terms are still visible here).
    for order, low, high in ((1, 0.95, 1.05), (2, 1.8, 2.1)):
        errors = []
        for nz in (64, 128, 256, 512):
            dz = 40.0 / nz
            z = centres(nz, dz)
            rate = (1 + z / 10)[:, None, None]
            t = arrival_time(rate, dz, order=order)[:, 0, 0]
            errors.append(float(np.max(np.abs(t - 10 * np.log1p(z / 10)))))
        orders = observed_orders(errors)
        print(f"smooth R(z), order={order}: errors {errors}, observed orders {orders}")
        assert all(low < p < high for p in orders), orders


def point_source_errors(order: int, sizes=(17, 33, 65), rate: float = 2.0) -> list[float]:
    """Max |T - r/R| off the seeded ball (radius 1/4 of the unit cube) for N^3 grids."""
    errors = []
    for n in sizes:
        h = 1.0 / (n - 1)
        axis = (np.arange(n) - (n - 1) // 2) * h
        zz, yy, xx = np.meshgrid(axis, axis, axis, indexing="ij")
        r = np.sqrt(zz * zz + yy * yy + xx * xx)
        seeds = np.where(r <= 0.25, r / rate, np.nan)
        t = fast_marching(np.full((n, n, n), rate), h, seeds, lateral="open", order=order)
        free = np.isnan(seeds)
        errors.append(float(np.max(np.abs(t - r / rate)[free])))
    return errors


@pytest.mark.parametrize("order, low, high", [(1, 0.9, 1.2), (2, 1.8, 2.3)])
def test_point_source_converges_at_the_stencil_order(order, low, high):
    # Seeds: every voxel within r <= 1/4 of the source (exact r / R), a fixed physical
    # ball, so the singularity at r = 0 is kept out of the march. Grids 17^3, 33^3, 65^3
    # (h = 1/16, 1/32, 1/64). Measured: order 1 -> 1.03, 1.02; order 2 -> 2.05, 2.03.
    errors = point_source_errors(order)
    orders = observed_orders(errors)
    print(f"point source, order={order}: max errors {errors}, observed orders {orders}")
    assert all(low < p < high for p in orders), orders
    assert errors[-1] < (3e-4 if order == 2 else 6e-3)  # s (T itself is up to 0.43 s)


# ---------------------------------------------------------------------------------------
# the two solvers


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("lateral", ["periodic", "open"])
@pytest.mark.parametrize("order", [1, 2])
def test_fast_marching_equals_sweep_on_random_rates(seed, lateral, order):
    # Both solve the same discrete equations with the same floating-point expressions;
    # the sweep iterates to its fixed point (no change > 1e-12 in an iteration), which for
    # these causal equations is reached exactly. Allowed: a few ulps (observed: 0).
    shape = [(7, 9, 11), (10, 6, 8), (5, 12, 4), (9, 9, 9)][seed]
    rate = random_rate(shape, seed=10 + seed)
    spacing = [(1.0, 1.0, 1.0), (2.0, 0.7, 1.3), (0.5, 2.0, 2.0), (1.2, 1.2, 0.6)][seed]
    fmm = arrival_time(rate, spacing, lateral=lateral, order=order, method="fmm")
    sweep = arrival_time(rate, spacing, lateral=lateral, order=order, method="sweep")
    np.testing.assert_allclose(sweep, fmm, rtol=1e-13, atol=0)


@settings(max_examples=25, deadline=None)
@given(nz=st.integers(1, 6), ny=st.integers(1, 6), nx=st.integers(1, 6), seed=st.integers(0, 2**16),
       lateral=st.sampled_from(["periodic", "open"]), order=st.sampled_from([1, 2]),
       n_seeds=st.integers(1, 4))
def test_fast_marching_equals_sweep_with_arbitrary_seeds(nz, ny, nx, seed, lateral, order, n_seeds):
    # Point seeds anywhere with arbitrary times (seeds later than their surroundings
    # included), rates over six decades, degenerate sizes (1 or 2 voxels per axis).
    rng = np.random.default_rng(seed)
    shape = (nz, ny, nx)
    rate = np.exp(rng.uniform(math.log(1e-3), math.log(1e3), shape))
    spacing = tuple(rng.uniform(0.3, 3.0, 3))
    seeds = np.full(shape, np.nan)
    seeds[tuple(rng.integers(0, n, n_seeds) for n in shape)] = rng.uniform(0, 5, n_seeds)
    fmm = fast_marching(rate, spacing, seeds, lateral=lateral, order=order)
    sweep = plane_sweep(rate, spacing, seeds, lateral=lateral, order=order)
    assert np.array_equal(np.isfinite(fmm), np.isfinite(sweep))
    np.testing.assert_allclose(sweep, fmm, rtol=1e-13, atol=0)  # as above


@pytest.mark.parametrize("method", METHODS)
def test_float32_in_float32_out(method):
    rate = random_rate((8, 6, 7), seed=3)
    t64 = arrival_time(rate, 1.5, method="fmm")
    t32 = arrival_time(rate.astype(np.float32), 1.5, method=method)
    assert t32.dtype == np.float32 and t64.dtype == np.float64
    # fmm: float64 inside, one rounding at the end (6e-8). sweep: float32 throughout, with
    # rounding of the rate itself and ~20 accumulated steps, each ~1e-7 relative.
    np.testing.assert_allclose(t32, t64, rtol=1e-7 if method == "fmm" else 1e-5)


def test_sweep_reports_non_convergence():
    rate = random_rate((6, 6, 6), seed=1)
    seeds = np.full(rate.shape, np.nan)
    seeds[0] = 0.0
    with pytest.raises(EikonalConvergenceError, match="max_iter=1"):
        plane_sweep(rate, 1.0, seeds, max_iter=1)


# ---------------------------------------------------------------------------------------
# boundaries and symmetries


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("order", [1, 2])
def test_open_edges_are_mirrors(method, order):
    # No neighbour beyond an open edge acts as a mirror there: the open solution equals the
    # periodic solution on the volume mirrored in y and in x (same voxel values by
    # symmetry; rounding only).
    rate = random_rate((8, 5, 6), seed=7)
    doubled = np.concatenate([rate, rate[:, ::-1]], axis=1)
    doubled = np.concatenate([doubled, doubled[:, :, ::-1]], axis=2)
    spacing = (1.0, 1.5, 0.8)
    open_ = arrival_time(rate, spacing, lateral="open", order=order, method=method)
    periodic = arrival_time(doubled, spacing, lateral="periodic", order=order, method=method)
    np.testing.assert_allclose(open_, periodic[:, :5, :6], rtol=1e-14)


def test_wrap_around_reaches_the_far_edge_through_a_fast_channel():
    # A fast vertical channel (100 nm/s) in column x = 0 of slow resist (0.1 nm/s).
    # Periodic: the last column is the channel's neighbour, so it develops laterally from
    # it as fast as column 1 does (mirror symmetry about the channel). Open: the last column
    # is nx - 1 voxels from the channel and is reached much later.
    nz, ny, nx = 10, 3, 12
    rate = np.full((nz, ny, nx), 0.1)
    rate[:, :, 0] = 100.0
    periodic = arrival_time(rate, 1.0, lateral="periodic")
    open_ = arrival_time(rate, 1.0, lateral="open")
    mirror = periodic[:, :, (-np.arange(nx)) % nx]
    np.testing.assert_allclose(periodic, mirror, rtol=1e-14)  # symmetry about the channel
    np.testing.assert_allclose(periodic[:, :, -1], periodic[:, :, 1], rtol=1e-14)
    deep = slice(3, None)  # below the top rows, lateral development from the channel wins
    assert np.all(open_[deep, :, -1] > 2 * periodic[deep, :, -1])
    # columns up to the middle see the channel at the same distance either way
    np.testing.assert_allclose(open_[:, :, : nx // 2 - 2], periodic[:, :, : nx // 2 - 2], rtol=1e-14)


@pytest.mark.parametrize("method", METHODS)
def test_periodic_translation_invariance(method):
    rate = random_rate((7, 8, 9), seed=8)
    t = arrival_time(rate, (1.0, 0.9, 1.1), method=method)
    shifted = arrival_time(np.roll(rate, (3, -4), axis=(1, 2)), (1.0, 0.9, 1.1), method=method)
    # identical neighbourhoods: rounding only (ties may be taken in another order)
    np.testing.assert_allclose(shifted, np.roll(t, (3, -4), axis=(1, 2)), rtol=1e-14)


# ---------------------------------------------------------------------------------------
# t_max and invariants


@pytest.mark.parametrize("lateral", ["periodic", "open"])
def test_t_max_keeps_exact_values_below_and_inf_above(lateral):
    rate = random_rate((12, 10, 10), seed=9)
    full = arrival_time(rate, 1.0, lateral=lateral)
    t_max = float(np.quantile(full, 0.4))
    part = arrival_time(rate, 1.0, lateral=lateral, t_max=t_max)
    below = full <= t_max
    assert 0 < below.sum() < below.size
    assert np.array_equal(part[below], full[below])  # the same march, stopped early: exact
    assert np.all(np.isinf(part[~below]))


def test_t_max_sweep():
    rate = random_rate((8, 7, 6), seed=12)
    full = arrival_time(rate, 1.0, method="fmm")
    t_max = float(np.quantile(full, 0.5))
    part = arrival_time(rate, 1.0, method="sweep", t_max=t_max)
    below = full <= t_max
    # same fixed point below t_max (values there depend only on earlier ones); as for the
    # unlimited sweep, a few ulps
    np.testing.assert_allclose(part[below], full[below], rtol=1e-13)
    assert np.all(np.isinf(part[~below]))


def test_t_max_zero_and_seed_times_above_t_max():
    rate = np.full((4, 3, 3), 2.0)
    assert np.all(np.isinf(arrival_time(rate, 1.0, t_max=0.0)))  # even row 0 needs 0.25 s
    t = arrival_time(rate, 1.0, t_max=0.25)
    assert np.all(t[0] == 0.25) and np.all(np.isinf(t[1:]))
    assert np.array_equal(arrival_time(rate, 1.0, t_max=math.inf), arrival_time(rate, 1.0))


@pytest.mark.parametrize("method", METHODS)
def test_invariants(method):
    rate = random_rate((9, 6, 7), seed=11)
    t = arrival_time(rate, (1.0, 2.0, 0.5), method=method)
    assert np.all(np.isfinite(t)) and np.all(t > 0)
    # scaling all rates by 4 scales every quantity by a power of two: exact
    assert np.array_equal(arrival_time(4 * rate, (1.0, 2.0, 0.5), method=method), t / 4)
    # by 3: rounding only
    np.testing.assert_allclose(arrival_time(3 * rate, (1.0, 2.0, 0.5), method=method), t / 3, rtol=1e-13)
    # a voxel is never reached before the fastest possible straight path from the top:
    # T >= depth / max(R) (the eikonal solution is a travel time)
    depth = centres(9, 1.0)[:, None, None]
    assert np.all(t >= depth / rate.max() * (1 - 1e-12))


def test_rate_depending_on_z_only_increases_with_depth():
    layers = random_rate(15, seed=13)
    rate = np.broadcast_to(layers[:, None, None], (15, 4, 4)).copy()
    for order in (1, 2):
        t = arrival_time(rate, 1.0, order=order)
        assert np.all(np.diff(t, axis=0) > 0)
        assert np.all(t == t[:, :1, :1])  # laterally uniform, exactly


def test_integer_rate_gives_float64():
    t = arrival_time(np.full((3, 2, 2), 2, dtype=np.int64), 1.0)
    assert t.dtype == np.float64
    np.testing.assert_allclose(t[:, 0, 0], [0.25, 0.75, 1.25], rtol=1e-15)


# ---------------------------------------------------------------------------------------
# bad input


def _rate():
    return np.full((3, 4, 4), 1.0)


@pytest.mark.parametrize("value, index", [(0.0, "rate[1, 2, 3]"), (-1.0, "rate[1, 2, 3]"),
                                          (np.nan, "rate[1, 2, 3]"), (np.inf, "rate[1, 2, 3]")])
def test_bad_rate_values_name_the_voxel(value, index):
    rate = _rate()
    rate[1, 2, 3] = value
    with pytest.raises(InvalidParameterError) as info:
        arrival_time(rate, 1.0)
    assert info.value.name == index


@pytest.mark.parametrize("rate", [np.ones((4, 4)), np.ones((2, 3, 4, 4)), np.ones((0, 3, 3)),
                                  np.ones((2, 2, 2), dtype=complex), "fast"])
def test_bad_rate_arrays(rate):
    with pytest.raises(InvalidParameterError) as info:
        arrival_time(rate, 1.0)
    assert info.value.name == "rate"


@pytest.mark.parametrize("spacing", [0.0, -1.0, np.nan, (1.0, 1.0), (1.0, 0.0, 1.0), "1", True])
def test_bad_spacing(spacing):
    with pytest.raises(InvalidParameterError) as info:
        arrival_time(_rate(), spacing)
    assert info.value.name == "spacing"


@pytest.mark.parametrize("t_max", [-1.0, np.nan, -np.inf, "1", True])
def test_bad_t_max(t_max):
    with pytest.raises(InvalidParameterError) as info:
        arrival_time(_rate(), 1.0, t_max=t_max)
    assert info.value.name == "t_max"


@pytest.mark.parametrize("name, value", [("method", "dijkstra"), ("lateral", "wrap"), ("order", 3),
                                         ("order", 0), ("order", True), ("order", 2.0)])
def test_bad_options(name, value):
    with pytest.raises(InvalidParameterError) as info:
        arrival_time(_rate(), 1.0, **{name: value})
    assert info.value.name == name


def test_bad_seed_times():
    rate = _rate()
    with pytest.raises(InvalidParameterError) as info:
        fast_marching(rate, 1.0, np.full(rate.shape, np.nan))
    assert info.value.name == "seed_times"  # no seed at all
    with pytest.raises(InvalidParameterError) as info:
        fast_marching(rate, 1.0, np.zeros((3, 4, 5)))
    assert info.value.name == "seed_times"  # wrong shape
    seeds = np.full(rate.shape, np.nan)
    seeds[0, 1, 1] = -2.0
    with pytest.raises(InvalidParameterError) as info:
        plane_sweep(rate, 1.0, seeds)
    assert info.value.name == "seed_times[0, 1, 1]"  # negative time
    seeds[0, 1, 1] = 0.0
    with pytest.raises(InvalidParameterError) as info:
        plane_sweep(rate, 1.0, seeds, max_iter=0)
    assert info.value.name == "max_iter"
    with pytest.raises(InvalidParameterError) as info:
        plane_sweep(rate, 1.0, seeds, rtol=0.0)
    assert info.value.name == "rtol"


@pytest.mark.gpu
def test_fmm_on_a_cupy_array_is_refused():
    import cupy

    rate = cupy.ones((3, 4, 4))
    with pytest.raises(InvalidParameterError) as info:
        arrival_time(rate, 1.0, method="fmm")
    assert info.value.name == "method"
    seeds = cupy.full((3, 4, 4), cupy.nan)
    seeds[0] = 0.0
    with pytest.raises(InvalidParameterError) as info:
        fast_marching(rate, 1.0, seeds)
    assert info.value.name == "speed"


def test_fmm_refuses_a_device_array_without_a_gpu(monkeypatch):
    # The method check must not depend on CuPy being importable: emulate a CuPy array.
    import litho.resist.eikonal as eikonal

    class FakeCupy:
        float32, float64 = np.float32, np.float64

    rate = _rate()
    monkeypatch.setattr(eikonal, "array_module", lambda x: FakeCupy)
    monkeypatch.setattr(eikonal, "_speed", lambda name, x: x)
    with pytest.raises(InvalidParameterError) as info:
        arrival_time(rate, 1.0, method="fmm")
    assert info.value.name == "method"


# ---------------------------------------------------------------------------------------
# GPU


@pytest.mark.gpu
@pytest.mark.parametrize("lateral", ["periodic", "open"])
def test_gpu_sweep_matches_cpu_fast_marching(lateral):
    import cupy

    rate = random_rate((16, 24, 20), seed=21)
    cpu = arrival_time(rate, (1.0, 1.5, 1.5), lateral=lateral)
    gpu = arrival_time(cupy.asarray(rate), (1.0, 1.5, 1.5), lateral=lateral)
    assert isinstance(gpu, cupy.ndarray) and gpu.dtype == cupy.float64
    # same equations, same expressions; the GPU may fuse multiply-adds: allow 1e-12
    np.testing.assert_allclose(cupy.asnumpy(gpu), cpu, rtol=1e-12)
    gpu32 = arrival_time(cupy.asarray(rate, dtype=cupy.float32), (1.0, 1.5, 1.5), lateral=lateral)
    assert gpu32.dtype == cupy.float32
    np.testing.assert_allclose(cupy.asnumpy(gpu32), cpu, rtol=1e-5)  # float32 throughout
    part = arrival_time(cupy.asarray(rate), (1.0, 1.5, 1.5), lateral=lateral, t_max=float(np.median(cpu)))
    below = cpu <= np.median(cpu)
    np.testing.assert_allclose(cupy.asnumpy(part)[below], cpu[below], rtol=1e-12)
