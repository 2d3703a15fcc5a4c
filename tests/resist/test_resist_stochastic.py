"""Tests of litho.resist.stochastic (photon shot noise, stochastic acid) and
litho.resist.roughness (edges, LER/LWR, PSD, correlation length).

Truth is independent of the implementation: CODATA constants from scipy.constants,
Beer-Lambert energy balance, exact distributions of Mack's model summed directly over
its Poisson / Binomial probability mass functions (scipy.stats), closed forms of
sinusoids and white noise, and root finding on continuous edge profiles.

Statistical tolerances: every Monte Carlo comparison allows 5 standard deviations of
the estimator (computed from the exact distribution), i.e. a false-alarm probability of
about 6e-7 per check for a correct implementation under the central limit theorem. The
seeds are fixed, so the tests are deterministic; the bounds are what make them hold for
any seed.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.constants as const
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize, signal, stats

from litho.errors import InvalidParameterError
from litho.resist.roughness import (
    Roughness,
    correlation_length,
    edges_from_image,
    power_spectrum,
    roughness,
)
from litho.resist.stochastic import (
    AcidMoments,
    absorbed_photons,
    acid_moments,
    expected_absorbed_photons,
    photon_density,
    stochastic_acid,
)

Z = 5.0  # number of estimator standard deviations allowed in statistical checks


# --------------------------------------------------------------------------- helpers


def truth_photons_per_nm2(dose: float, wavelength: float) -> float:
    """Photons per nm² from CODATA h, c: dose [mJ/cm²] -> J/nm² is a factor 1e-3 / 1e14."""
    return dose * 1e-17 / (const.h * const.c / (wavelength * 1e-9))


def truth_voxel(wavelength, dose, spacing, C, alpha, pag, intensity):
    """(⟨N⟩, x = C·E·I, μ) of one voxel straight from the model's definition."""
    dz, dy, dx = spacing
    lam = truth_photons_per_nm2(dose, wavelength) * intensity * dx * dy * 2 * math.sinh(alpha * 1e-3 * dz / 2)
    return lam, C * dose * intensity, pag * dz * dy * dx


def _tail(mean: float) -> int:
    """Number of Poisson terms kept: the mass beyond mean + 20 sd + 40 is < 1e-40 (Chernoff)."""
    return int(mean + 20 * math.sqrt(mean) + 40)


def model_distribution(lam: float, x: float, mu: float):
    """Exact distribution of h = A/μ: N ~ Poisson(lam), M ~ Poisson(mu), A ~ Binomial(M, p_N),
    p_N = 1 - exp(-x N / lam), summed directly over the pmfs (tails < 1e-40 dropped).

    Returns (h values, P(h), P(a | n) matrix, P(n)).
    """
    n = np.arange(_tail(lam) if lam > 0 else 1)
    w_n = stats.poisson.pmf(n, lam) if lam > 0 else np.array([1.0])
    p_n = 1 - np.exp(-x * n / lam) if lam > 0 else np.array([0.0])
    m = np.arange(_tail(mu))
    w_m = stats.poisson.pmf(m, mu)
    a = np.arange(m.size)
    binom = stats.binom.pmf(a[None, None, :], m[None, :, None], p_n[:, None, None])  # (n, m, a)
    p_a_given_n = np.einsum("m,nma->na", w_m, binom)
    return a / mu, w_n @ p_a_given_n, p_a_given_n, w_n


def model_moments(lam, x, mu):
    """mean, variance, 4th central moment, photon term Var(E[h|N]), chemical term E[Var(h|N)]."""
    h, p, p_given_n, w_n = model_distribution(lam, x, mu)
    mean = float(p @ h)
    var = float(p @ (h - mean) ** 2)
    m4 = float(p @ (h - mean) ** 4)
    cond_mean = p_given_n @ h / p_given_n.sum(axis=1)
    cond_var = p_given_n @ h**2 / p_given_n.sum(axis=1) - cond_mean**2
    photon = float(w_n @ (cond_mean - mean) ** 2)
    chemical = float(w_n @ cond_var)
    return mean, var, m4, photon, chemical


# (wavelength nm, dose mJ/cm², spacing (dz, dy, dx) nm, C cm²/mJ, alpha 1/µm, PAG 1/nm³)
EUV = (13.5, 30.0, (2.0, 2.0, 2.0), 0.05, 5.0, 0.2)     # ⟨N⟩≈0.82, μ=1.6: very stochastic
ARF = (193.0, 30.0, (4.0, 4.0, 4.0), 0.05, 1.0, 0.2)    # ⟨N⟩≈18.7, μ=12.8: moderately so


def call_acid(params, intensity, **kw):
    wl, dose, spacing, C, alpha, pag = params
    return stochastic_acid(intensity, dose, wl, spacing, C=C, absorption=alpha, pag_density=pag, **kw)


def call_moments(params, intensity):
    wl, dose, spacing, C, alpha, pag = params
    return acid_moments(intensity, dose, wl, spacing, C=C, absorption=alpha, pag_density=pag)


# --------------------------------------------------------------------------- photon density


def test_photon_density_reference_values():
    # The brief's values are quoted to 0.1 photon/nm²: allow half of that digit.
    assert photon_density(30, 13.5) == pytest.approx(20.4, abs=0.05)
    assert photon_density(30, 193) == pytest.approx(291.5, abs=0.05)


@pytest.mark.parametrize("dose, wavelength", [(30, 13.5), (30, 193), (1, 248), (0, 13.5), (55.5, 365)])
def test_photon_density_matches_codata(dose, wavelength):
    # Same formula from scipy.constants (CODATA 2018, exact h and c): rounding only, 1e-13.
    assert photon_density(dose, wavelength) == pytest.approx(truth_photons_per_nm2(dose, wavelength),
                                                             rel=1e-13, abs=0)


def test_expected_photons_beer_lambert_energy_balance():
    # A film of thickness D with I(z) = exp(-α z) absorbs the fraction 1 - exp(-α D) of the
    # incident photons; the per-voxel 2·sinh(α dz/2) fraction must add up to exactly that.
    alpha, dz, nz = 12.0, 1.5, 40  # 1/µm, nm
    z = (np.arange(nz) + 0.5) * dz
    intensity = np.broadcast_to(np.exp(-alpha * 1e-3 * z)[:, None, None], (nz, 3, 4)).copy()
    lam = expected_absorbed_photons(intensity, 30.0, 13.5, (dz, 2.0, 0.5), alpha)
    total = lam.sum(axis=0)
    expect = truth_photons_per_nm2(30, 13.5) * 2.0 * 0.5 * (1 - math.exp(-alpha * 1e-3 * nz * dz))
    np.testing.assert_allclose(total, expect, rtol=1e-12)  # float64 rounding of a 40-term sum


def test_expected_photons_keeps_dtype_and_batch_axes():
    intensity = np.full((2, 3, 4, 5), 0.5, dtype=np.float32)
    lam = expected_absorbed_photons(intensity, 30.0, 13.5, 1.0, 5.0)
    assert lam.dtype == np.float32 and lam.shape == intensity.shape
    expect = truth_photons_per_nm2(30, 13.5) * 0.5 * 2 * math.sinh(5e-3 / 2)
    np.testing.assert_allclose(lam, expect, rtol=1e-6)  # float32 precision


# --------------------------------------------------------------------------- photon shot noise


def test_absorbed_photons_poisson_statistics():
    rng = np.random.default_rng(11)
    intensity = rng.uniform(0.0, 2.0, size=(4, 100, 100))
    args = (intensity, 30.0, 13.5, (2.0, 4.0, 4.0), 5.0)
    lam = expected_absorbed_photons(*args)
    counts = absorbed_photons(*args, rng=3)
    assert counts.dtype == np.int64 and counts.shape == intensity.shape
    # Sum of (N - λ) over independent voxels: mean 0, variance Σλ.
    s1 = float((counts - lam).sum())
    assert abs(s1) <= Z * math.sqrt(lam.sum())
    # Sum of (N - λ)² - λ: mean 0, variance Σ(μ₄ - λ²) = Σ(λ + 2λ²) for a Poisson.
    s2 = float(((counts - lam) ** 2 - lam).sum())
    assert abs(s2) <= Z * math.sqrt((lam + 2 * lam**2).sum())


def test_absorbed_photons_seeding():
    intensity = np.ones((2, 30, 30))
    args = (intensity, 30.0, 13.5, 2.0, 5.0)
    a = absorbed_photons(*args, rng=7)
    np.testing.assert_array_equal(a, absorbed_photons(*args, rng=7))
    np.testing.assert_array_equal(a, absorbed_photons(*args, rng=np.random.default_rng(7)))
    np.testing.assert_array_equal(a, absorbed_photons(*args, rng=np.random.Generator(np.random.PCG64(7))))
    assert not np.array_equal(a, absorbed_photons(*args, rng=8))
    gen = np.random.default_rng(7)
    first, second = absorbed_photons(*args, rng=gen), absorbed_photons(*args, rng=gen)
    np.testing.assert_array_equal(first, a)
    assert not np.array_equal(first, second)  # the Generator advanced


def test_absorbed_photons_dark_and_zero_dose_give_zero():
    intensity = np.zeros((2, 5, 5))
    assert not absorbed_photons(intensity, 30.0, 13.5, 2.0, 5.0, rng=0).any()
    assert not absorbed_photons(np.ones((2, 5, 5)), 0.0, 13.5, 2.0, 5.0, rng=0).any()


# --------------------------------------------------------------------------- stochastic acid


@pytest.mark.parametrize("params", [EUV, ARF], ids=["EUV", "ArF"])
@pytest.mark.parametrize("intensity", [0.0, 0.3, 1.0, 2.0])
def test_acid_moments_closed_forms_equal_direct_sums(params, intensity):
    lam, x, mu = truth_voxel(*params, intensity)
    mean, var, _, photon, chemical = model_moments(lam, x, mu)
    got = call_moments(params, np.full((1, 1, 1), intensity))
    assert isinstance(got, AcidMoments)
    # Direct sums carry ~1e-15 relative rounding per term and drop tails < 1e-40: 1e-10.
    for value, expect in zip(got, (mean, var, photon, chemical)):
        assert float(value[0, 0, 0]) == pytest.approx(expect, rel=1e-10, abs=1e-15)


def test_acid_mean_is_not_the_deterministic_value_at_low_photon_counts():
    # The exact E[h] = 1 - exp(⟨N⟩(e^(-c) - 1)) differs strongly from 1 - exp(-C E) when
    # ⟨N⟩ ~ 1 (EUV, 8 nm³ voxels): 0.50 versus 0.78.
    lam, x, mu = truth_voxel(*EUV, 1.0)
    got = float(call_moments(EUV, np.ones((1, 1, 1))).mean[0, 0, 0])
    assert got == pytest.approx(1 - math.exp(lam * (math.exp(-x / lam) - 1)), rel=1e-13)
    assert abs(got - (1 - math.exp(-x))) > 0.2


@pytest.mark.parametrize("params", [EUV, ARF], ids=["EUV", "ArF"])
def test_stochastic_acid_monte_carlo_matches_exact_distribution(params):
    # Two intensity levels in one volume, 80 000 voxels each.
    intensity = np.ones((4, 200, 200))
    intensity[:, :, 100:] = 0.3
    h = call_acid(params, intensity, rng=2024)
    assert h.shape == intensity.shape and h.dtype == np.float64 and (h >= 0).all()
    for level, sample in ((1.0, h[:, :, :100]), (0.3, h[:, :, 100:])):
        mean, var, m4, _, _ = model_moments(*truth_voxel(*params, level))
        n = sample.size
        # Sample mean: standard error sqrt(var / n).
        assert abs(sample.mean() - mean) <= Z * math.sqrt(var / n)
        # Unbiased sample variance: standard error sqrt((μ₄ - var²) / n) to O(1/n²).
        assert abs(sample.var(ddof=1) - var) <= Z * math.sqrt((m4 - var**2) / n)


def test_variance_decomposition_photon_and_chemical_limits():
    intensity = np.ones((2, 200, 200))
    n = intensity.size
    # Huge PAG loading: the chemical term mean/μ ~ 1e-7 vanishes, photon noise is left.
    wl, dose, spacing, C, alpha, _ = EUV
    many_pags = (wl, dose, spacing, C, alpha, 1e6)
    lam, x, mu = truth_voxel(*many_pags, 1.0)
    h = call_acid(many_pags, intensity, rng=5)
    # Without chemical noise h = p(N) (up to 1/√μ), a function of the Poisson photon count.
    k = np.arange(_tail(lam))
    w = stats.poisson.pmf(k, lam)
    p = 1 - np.exp(-x * k / lam)
    mean_p = w @ p
    var_p = w @ (p - mean_p) ** 2
    m4_p = w @ (p - mean_p) ** 4
    chem = mean_p / mu
    assert abs(h.var(ddof=1) - var_p - chem) <= Z * math.sqrt((m4_p - var_p**2) / n) + chem
    moments = call_moments(many_pags, np.ones((1, 1, 1)))
    assert float(moments.photon_variance[0, 0, 0]) == pytest.approx(var_p, rel=1e-10)
    # Huge photon count (dose x 1e4, C / 1e4, so C·E is unchanged): h is
    # PAG / binomial noise of mean h_det: variance h/μ (+ photon term ~ x²e^(-2x)/⟨N⟩).
    many_photons = (wl, dose * 1e4, spacing, C / 1e4, alpha, 0.2)
    lam2, x2, mu2 = truth_voxel(*many_photons, 1.0)
    m = call_moments(many_photons, np.ones((1, 1, 1)))
    assert float(m.chemical_variance[0, 0, 0]) == pytest.approx(float(m.mean[0, 0, 0]) / mu2, rel=1e-12)
    assert float(m.photon_variance[0, 0, 0]) == pytest.approx(x2**2 * math.exp(-2 * x2) / lam2, rel=1e-3)


def test_deterministic_limit():
    # Scale dose and PAG loading by k with C·E fixed (x = 1.5): ⟨N⟩ ∝ k, μ ∝ k.
    wl, dose, spacing, C, alpha, pag = ARF
    x = C * dose
    deterministic = 1 - math.exp(-x)
    intensity = np.ones((2, 100, 100))
    n = intensity.size
    previous_sd = None
    for k in (1, 10, 100, 1000, 10000):
        params = (wl, dose * k, spacing, C / k, alpha, pag * k)
        lam, _, mu = truth_voxel(*params, 1.0)
        m = call_moments(params, np.ones((1, 1, 1)))
        mean, var = float(m.mean[0, 0, 0]), float(m.variance[0, 0, 0])
        # Bias: 1 - exp(-x + x²/(2⟨N⟩) + O(⟨N⟩⁻²)) -> deterministic; relative O(1/⟨N⟩) check.
        bias = deterministic - mean
        assert bias == pytest.approx(math.exp(-x) * x**2 / (2 * lam), rel=3 * x / lam + 1e-6)
        # Variance: h_det/μ + x² e^(-2x)/⟨N⟩ to leading order; ∝ 1/k.
        asymptote = deterministic / mu + x**2 * math.exp(-2 * x) / lam
        assert var == pytest.approx(asymptote, rel=5 * x / lam + 1e-6)
        h = call_acid(params, intensity, rng=k)
        assert abs(h.mean() - mean) <= Z * math.sqrt(var / n)
        sd = h.std(ddof=1)
        # sd of the sample sd: ~ sd / sqrt(2n) for a near-normal h (here |excess kurtosis| < 1).
        assert abs(sd - math.sqrt(var)) <= Z * math.sqrt(var) * math.sqrt(2.0 / n)
        if previous_sd is not None:
            assert sd < previous_sd / 2.5  # noise falls as 1/√k: a factor √10 ≈ 3.16 per step
        previous_sd = sd
    # At k = 1e4 (⟨N⟩ ≈ 1.9e5, μ = 1.3e5) the voxel is nearly deterministic: relative
    # noise ≈ 0.33 % (asymptote above) < 0.5 %, and the mean within 5e-4 of 1 - exp(-C E)
    # (bias 1.3e-6 plus 5 standard errors of 1.3e-5).
    assert previous_sd / deterministic < 0.005
    assert abs(h.mean() - deterministic) < 5e-4


def test_stochastic_acid_seeding_and_draw_order():
    wl, dose, spacing, C, alpha, pag = EUV
    intensity = np.random.default_rng(1).uniform(0, 1.5, size=(3, 20, 20))
    a = call_acid(EUV, intensity, rng=42)
    np.testing.assert_array_equal(a, call_acid(EUV, intensity, rng=42))
    assert not np.array_equal(a, call_acid(EUV, intensity, rng=43))
    # Documented draw order: photons first (the same call as absorbed_photons), then PAGs.
    gen = np.random.default_rng(42)
    photons = absorbed_photons(intensity, dose, wl, spacing, alpha, rng=gen)
    np.testing.assert_array_equal(a, call_acid(EUV, intensity, photons=photons, rng=gen))
    # No photons: no acid anywhere, whatever the PAG draw.
    none = call_acid(EUV, intensity, photons=np.zeros(intensity.shape, dtype=np.int64), rng=1)
    assert not none.any()


def test_stochastic_acid_float32_in_float32_out():
    h = call_acid(ARF, np.ones((1, 4, 4), dtype=np.float32), rng=0)
    assert h.dtype == np.float32


# --------------------------------------------------------------------------- roughness: metrics


def parseval_sum(psd: np.ndarray, n: int, spacing: float) -> float:
    """Integral of a two-sided PSD given at k = 0..n//2 over (-f_N, f_N]."""
    df = 1.0 / (n * spacing)
    inner = psd[1:-1] if n % 2 == 0 else psd[1:]
    total = psd[0] + 2 * inner.sum() + (psd[-1] if n % 2 == 0 else 0.0)
    return float(total * df)


def test_straight_edges_have_zero_roughness_and_exact_cd():
    n = 256
    left, right = np.full(n, 10.25), np.full(n, 35.75)
    r = roughness(left, right, 1.0)
    assert isinstance(r, Roughness)
    # Rounding of x - mean(x) for constants: < 1e-12 nm.
    assert r.ler_left <= 1e-12 and r.ler_right <= 1e-12 and r.lwr <= 1e-12
    assert r.cd == pytest.approx(25.5, rel=1e-14)
    assert r.frequency.shape == (n // 2 + 1,) and not r.frequency.flags.writeable


def test_tilted_straight_edge_linear_detrend():
    n, spacing, slope = 500, 2.0, 0.01
    y = np.arange(n) * spacing
    left, right = 5 + slope * y, 30 + slope * y
    # Linear detrend: a straight tilted line has no roughness (rounding: 1e-11 nm).
    assert roughness(left, right, spacing, detrend="linear").ler_left <= 1e-11
    # Mean detrend: the RMS of a ramp of n samples is slope·spacing·sqrt((n² - 1)/12).
    r = roughness(left, right, spacing, detrend="mean")
    assert r.ler_left == pytest.approx(3 * slope * spacing * math.sqrt((n * n - 1) / 12), rel=1e-12)
    assert r.lwr <= 1e-11  # both edges tilt together


@pytest.mark.parametrize("n", [16384, 16385])
def test_white_noise_ler_flat_psd_and_parseval(n):
    sigma, spacing = 1.5, 0.5
    rng = np.random.default_rng(n)
    left = rng.normal(0, sigma, n)
    right = 40 + rng.normal(0, sigma, n)
    r = roughness(left, right, spacing)
    # (3σ̂)²/9 = σ̂² has mean σ²(n-1)/n and standard error σ² sqrt(2/n) (Gaussian).
    var_hat = (r.ler_left / 3) ** 2
    assert abs(var_hat - sigma**2 * (n - 1) / n) <= Z * sigma**2 * math.sqrt(2 / n)
    # Parseval: the two-sided PSD integrates to σ̂² exactly (rounding: 1e-12).
    assert parseval_sum(r.psd_left, n, spacing) == pytest.approx(var_hat, rel=1e-12)
    assert parseval_sum(r.psd_width, n, spacing) == pytest.approx((r.lwr / 3) ** 2, rel=1e-12)
    # Flat: each PSD bin (k ≠ 0, Nyquist) is σ²·spacing·Exp(1); the mean over a band of B
    # bins has standard error σ²·spacing/√B. Eight bands spanning 0 < f < f_N.
    bins = r.psd_left[1 : n // 2]
    level = sigma**2 * spacing
    for band in np.array_split(bins, 8):
        assert abs(band.mean() - level) <= Z * level / math.sqrt(band.size)
    assert r.psd_left[0] <= 1e-20  # the mean is removed (rounding)


def test_sinusoidal_edge():
    n, spacing, a, cycles = 512, 2.0, 2.0, 8
    y = np.arange(n) * spacing
    f0 = cycles / (n * spacing)
    left = 100 + a * np.sin(2 * np.pi * f0 * y + 0.3)
    right = left + 20
    r = roughness(left, right, spacing)
    # Whole periods: mean sin² = 1/2 exactly, so 3σ = 3a/√2 (rounding: 1e-12).
    assert r.ler_left == pytest.approx(3 * a / math.sqrt(2), rel=1e-12)
    assert r.lwr <= 1e-11 and r.cd == pytest.approx(20.0, rel=1e-12)
    k = int(np.argmax(r.psd_left))
    assert r.frequency[k] == pytest.approx(f0, rel=1e-12)
    # Two-sided: ±f0 each hold a²/4 of the variance in one bin of width 1/(n·spacing).
    assert r.psd_left[k] == pytest.approx(a**2 * n * spacing / 4, rel=1e-10)
    others = np.delete(r.psd_left, k)
    assert others.max() <= 1e-20 * r.psd_left[k]  # no leakage for whole periods (rounding)
    freq, psd = power_spectrum(left, spacing)
    np.testing.assert_array_equal(freq, r.frequency)
    np.testing.assert_allclose(psd, r.psd_left, rtol=0, atol=1e-12 * psd.max())


def test_lwr_of_uncorrelated_and_correlated_edges():
    n = 20000
    rng = np.random.default_rng(99)
    s_left, s_right = 1.0, 2.0
    left = rng.normal(0, s_left, n)
    right = 50 + rng.normal(0, s_right, n)
    r = roughness(left, right, 1.0)
    # Exact identity of the estimators: lwr² = lerL² + lerR² - 18·cov (rounding 1e-10).
    assert r.lwr**2 == pytest.approx(r.ler_left**2 + r.ler_right**2 - 18 * r.edge_covariance, rel=1e-10)
    # Uncorrelated edges: the sample covariance has mean 0 and standard error σLσR/√n.
    assert abs(r.lwr**2 - r.ler_left**2 - r.ler_right**2) <= 18 * Z * s_left * s_right / math.sqrt(n)
    # Perfectly correlated (the same shifts on both edges): LWR = 0, LERs equal.
    same = roughness(left, left + 25.0, 1.0)
    assert same.lwr <= 1e-12
    assert same.ler_right == pytest.approx(same.ler_left, rel=1e-12)
    # Anti-correlated (mirror): LWR = 2 LER.
    mirror = roughness(left, 25.0 - left, 1.0)
    assert mirror.lwr == pytest.approx(2 * mirror.ler_left, rel=1e-12)


def test_correlation_length_exponential_and_white():
    # AR(1) with ρ = exp(-Δ/ξ) has autocorrelation exp(-|τ|/ξ); ξ = 10 Δ sits on a lag.
    n, spacing, xi_lags = 2**18, 1.0, 10
    rho = math.exp(-1 / xi_lags)
    e = np.random.default_rng(5).normal(size=n + 400)
    edge = signal.lfilter([1.0], [1.0, -rho], e)[400:]  # burn-in ρ^400 = e^-40
    # Bartlett: Var r_k ≈ [(1+ρ²)(1-ρ^2k)/(1-ρ²) - 2kρ^2k]/n; divided by the ACF slope
    # e^-1/ξ at the crossing it gives the standard error of ξ̂.
    k = xi_lags
    var_r = ((1 + rho**2) * (1 - rho ** (2 * k)) / (1 - rho**2) - 2 * k * rho ** (2 * k)) / n
    se = math.sqrt(var_r) / (math.exp(-1) / xi_lags)
    assert abs(correlation_length(edge, spacing) - xi_lags * spacing) <= Z * se * spacing
    # White noise: ACF(1) ~ N(0, 1/n), ξ̂ = (1 - 1/e)/(1 - r₁)·Δ; slope ≈ 0.632.
    white = np.random.default_rng(6).normal(size=4096)
    assert correlation_length(white, 2.0) == pytest.approx(2 * (1 - math.exp(-1)),
                                                           abs=2 * Z * 0.632 / math.sqrt(4096))


# --------------------------------------------------------------------------- roughness: edges


def tanh_line(x, x_left, x_right, w):
    return 0.5 * (np.tanh((x - x_left) / w) + np.tanh((x_right - x) / w))


def true_crossing(f, lo, hi, level=0.5):
    return optimize.brentq(lambda t: f(t) - level, lo, hi, xtol=1e-13, rtol=1e-15)


# Interpolation error of a tanh edge of width w pixels at its inflection (level 0.5):
# a(1-a)(1-2a)/(3w²) for the sub-pixel offset a, at most 0.0962/(3w²) = 3.2e-4 px at
# w = 10 px. The tolerance 1e-3 px leaves margin for w >= 10 px.
EDGE_TOL_PX = 1e-3


def test_edges_from_image_tanh_profile_subpixel():
    nx, ny, w = 200, 64, 10.0
    rng = np.random.default_rng(3)
    x_left = 60 + rng.uniform(-3, 3, ny)
    x_right = 140 + rng.uniform(-3, 3, ny)
    x = np.arange(nx) + 0.5  # pixel centres, in pixels
    image = tanh_line(x[None, :], x_left[:, None], x_right[:, None], w)
    left, right = edges_from_image(image, 1.0, 0.5)
    truth_l = [true_crossing(lambda t: tanh_line(t, a, b, w), 0, 100) for a, b in zip(x_left, x_right)]
    truth_r = [true_crossing(lambda t: tanh_line(t, a, b, w), 100, 199) for a, b in zip(x_left, x_right)]
    np.testing.assert_allclose(left, truth_l, rtol=0, atol=EDGE_TOL_PX)
    np.testing.assert_allclose(right, truth_r, rtol=0, atol=EDGE_TOL_PX)
    # Pixel size scales positions (pixel i at (i + 1/2)·pixel nm); origin shifts them.
    l2, r2 = edges_from_image(image, 0.5, 0.5)
    np.testing.assert_allclose(l2, 0.5 * left, rtol=1e-15)
    l5, _ = edges_from_image(image, 1.0, 0.5, origin=-20.0)
    np.testing.assert_allclose(l5, left - 20.0, rtol=0, atol=1e-12)
    # Columns instead of rows, and a space (feature below the level) of the inverted image.
    l3, r3 = edges_from_image(image.T, 1.0, 0.5, axis=-2)
    np.testing.assert_array_equal(l3, left)
    l4, r4 = edges_from_image(1.0 - image, 1.0, 0.5, inside="below")
    np.testing.assert_allclose(l4, left, rtol=0, atol=1e-12)
    np.testing.assert_allclose(r4, right, rtol=0, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(x_left=st.floats(20.0, 30.0), cd_over_w=st.floats(6.0, 8.0), w=st.floats(10.0, 20.0),
       pixel=st.floats(0.25, 4.0))
def test_edges_from_image_property(x_left, cd_over_w, w, pixel):
    # CD >= 6 w keeps the other edge's tail (~exp(-2 CD / w) < 1e-5) from bending the
    # profile at the crossing, which stays an inflection point: the bound above applies.
    x = np.arange(240) + 0.5  # pixel centres, in pixels
    cd = cd_over_w * w
    x_right = x_left + cd
    image = tanh_line(x, x_left, x_right, w)[None, :].repeat(3, axis=0)
    left, right = edges_from_image(image, pixel, 0.5, center=(x_left + cd / 2) * pixel)
    f = lambda t: tanh_line(t, x_left, x_right, w)  # noqa: E731
    mid = x_left + cd / 2
    assert abs(left[0] / pixel - true_crossing(f, 0, mid)) <= EDGE_TOL_PX
    assert abs(right[0] / pixel - true_crossing(f, mid, 239)) <= EDGE_TOL_PX
    np.testing.assert_array_equal(left, left[0])  # identical rows, identical edges


def test_edges_exact_on_piecewise_linear_and_level_hits():
    image = np.array([[0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0]])
    left, right = edges_from_image(image, 2.0, 0.25)
    # crossings a quarter of the way from centre 1 to 2 and from 4 to 5 (centres at i + 1/2)
    assert left[0] == pytest.approx(1.75 * 2.0, rel=1e-15) and right[0] == pytest.approx(5.25 * 2.0, rel=1e-15)
    # A pixel exactly at the level counts as outside: the edge is at its centre.
    image = np.array([[0.0, 0.5, 1.0, 1.0, 0.5, 0.0]])
    left, right = edges_from_image(image, 1.0, 0.5)
    assert left[0] == 1.5 and right[0] == 4.5


def test_roughness_from_image_end_to_end():
    # Left edge x = 60 + a sin(2π y / P) over whole periods; right edge straight at 140.
    ny, nx, w, a = 128, 200, 10.0, 1.5
    y = np.arange(ny)
    x_left = 60 + a * np.sin(2 * np.pi * 4 * y / ny)
    x = np.arange(nx, dtype=float)
    image = tanh_line(x[None, :], x_left[:, None], 140.0, w)
    left, right = edges_from_image(image, 1.0, 0.5)
    r = roughness(left, right, 1.0)
    # Each edge within 1e-3 px: σ changes by at most that much.
    assert abs(r.ler_left - 3 * a / math.sqrt(2)) <= 3 * EDGE_TOL_PX
    assert r.ler_right <= 3 * EDGE_TOL_PX
    assert abs(r.cd - (140 - 60)) <= 2 * EDGE_TOL_PX
    assert r.frequency[int(np.argmax(r.psd_left))] == pytest.approx(4 / ny, rel=1e-12)


# --------------------------------------------------------------------------- bad input


def name_of(excinfo) -> str:
    return excinfo.value.name


@pytest.mark.parametrize("dose, wavelength, name", [
    (-1.0, 13.5, "dose"), (math.nan, 13.5, "dose"), (30.0, 0.0, "wavelength"),
    (30.0, -13.5, "wavelength"), (30.0, math.inf, "wavelength"),
])
def test_photon_density_rejects(dose, wavelength, name):
    with pytest.raises(InvalidParameterError) as exc:
        photon_density(dose, wavelength)
    assert name_of(exc) == name


def test_intensity_rejects_nan_negative_and_flat():
    good = np.ones((2, 3, 3))
    bad = good.copy()
    bad[1, 2, 0] = math.nan
    for fn in (lambda i: expected_absorbed_photons(i, 30, 13.5, 1.0, 5.0),
               lambda i: absorbed_photons(i, 30, 13.5, 1.0, 5.0, rng=0),
               lambda i: call_acid(EUV, i, rng=0),
               lambda i: call_moments(EUV, i)):
        with pytest.raises(InvalidParameterError) as exc:
            fn(bad)
        assert name_of(exc) == "intensity[1, 2, 0]"
        neg = good.copy()
        neg[0, 0, 1] = -0.1
        with pytest.raises(InvalidParameterError) as exc:
            fn(neg)
        assert name_of(exc) == "intensity[0, 0, 1]"
        with pytest.raises(InvalidParameterError) as exc:
            fn(np.ones((3, 3)))
        assert name_of(exc) == "intensity"


@pytest.mark.parametrize("change, name", [
    ({"dose": -5.0}, "dose"), ({"wavelength": 0.0}, "wavelength"), ({"pag_density": 0.0}, "pag_density"),
    ({"pag_density": -0.2}, "pag_density"), ({"C": 0.0}, "C"), ({"absorption": 0.0}, "absorption"),
    ({"spacing": (1.0, 0.0, 1.0)}, "spacing"), ({"spacing": (1.0, 1.0)}, "spacing"),
    ({"rng": -1}, "rng"), ({"rng": "seed"}, "rng"), ({"rng": True}, "rng"), ({"rng": 1.5}, "rng"),
    ({"photons": np.ones((1, 2, 2), dtype=np.int64)}, "photons"),
    ({"photons": np.ones((2, 3, 3))}, "photons"),
    ({"photons": -np.ones((2, 3, 3), dtype=np.int64)}, "photons"),
])
def test_stochastic_acid_rejects(change, name):
    kw = dict(dose=30.0, wavelength=13.5, spacing=1.0, C=0.05, absorption=5.0, pag_density=0.2, rng=0)
    kw.update(change)
    intensity = np.ones((2, 3, 3))
    with pytest.raises(InvalidParameterError) as exc:
        stochastic_acid(intensity, kw.pop("dose"), kw.pop("wavelength"), kw.pop("spacing"), **kw)
    assert name_of(exc) == name


def test_absorbed_photons_rejects_absorption_and_rng():
    with pytest.raises(InvalidParameterError) as exc:
        absorbed_photons(np.ones((1, 2, 2)), 30, 13.5, 1.0, -1.0, rng=0)
    assert name_of(exc) == "absorption"
    with pytest.raises(InvalidParameterError) as exc:
        absorbed_photons(np.ones((1, 2, 2)), 30, 13.5, 1.0, 5.0, rng=np.random.RandomState(0))
    assert name_of(exc) == "rng"


def test_edges_from_image_rejects():
    x = np.arange(100, dtype=float)
    image = np.tile(tanh_line(x, 30, 70, 3.0), (5, 1))
    for level in (-0.5, 1.5, float(image.max()), float(image.min()), math.nan):
        with pytest.raises(InvalidParameterError) as exc:
            edges_from_image(image, 1.0, level)
        assert name_of(exc) == "level"
    nan = image.copy()
    nan[2, 3] = math.nan
    with pytest.raises(InvalidParameterError) as exc:
        edges_from_image(nan, 1.0, 0.5)
    assert name_of(exc) == "image[2, 3]"
    # A row whose line reaches the border has no left edge: named by its row.
    open_row = image.copy()
    open_row[3, :50] = 1.0
    with pytest.raises(InvalidParameterError) as exc:
        edges_from_image(open_row, 1.0, 0.5)
    assert name_of(exc) == "image[3]"
    open_col = open_row.T.copy()
    with pytest.raises(InvalidParameterError) as exc:
        edges_from_image(open_col, 1.0, 0.5, axis=-2)
    assert name_of(exc) == "image[:, 3]"
    # A row with no line at all (the centre is outside the feature).
    empty_row = image.copy()
    empty_row[1] = 0.0
    with pytest.raises(InvalidParameterError) as exc:
        edges_from_image(empty_row, 1.0, 0.5)
    assert name_of(exc) == "image[1]"
    for kw, name in (({"center": 200.0}, "center"), ({"center": -1.0}, "center"), ({"axis": 2}, "axis"),
                     ({"inside": "left"}, "inside")):
        with pytest.raises(InvalidParameterError) as exc:
            edges_from_image(image, 1.0, 0.5, **kw)
        assert name_of(exc) == name
    with pytest.raises(InvalidParameterError) as exc:
        edges_from_image(image, 0.0, 0.5)
    assert name_of(exc) == "pixel"
    with pytest.raises(InvalidParameterError) as exc:
        edges_from_image(image[0], 1.0, 0.5)
    assert name_of(exc) == "image"


def test_roughness_rejects():
    left, right = np.zeros(10), np.full(10, 5.0)
    cases = [
        ((left, left + np.r_[1.0, 1.0, 0.0, np.ones(7)], 1.0), {}, "right[2]"),
        ((left, right[:9], 1.0), {}, "right"),
        ((np.r_[math.nan, left[1:]], right, 1.0), {}, "left[0]"),
        ((left[:1], right[:1], 1.0), {}, "left"),
        ((left[:2], right[:2], 1.0), {"detrend": "linear"}, "left"),
        ((left, right, 1.0), {"detrend": "quadratic"}, "detrend"),
        ((left, right, 0.0), {}, "spacing"),
        ((left.reshape(2, 5), right.reshape(2, 5), 1.0), {}, "left"),
    ]
    for args, kw, name in cases:
        with pytest.raises(InvalidParameterError) as exc:
            roughness(*args, **kw)
        assert name_of(exc) == name


def test_correlation_length_rejects():
    with pytest.raises(InvalidParameterError) as exc:
        correlation_length(np.full(100, 3.0), 1.0)
    assert name_of(exc) == "edge"
    # A drift over the whole record (half a cosine period): its mean-removed ACF first
    # reaches 1/e at lag 0.26 n, beyond the n/4 lags searched.
    with pytest.raises(InvalidParameterError) as exc:
        correlation_length(np.cos(np.pi * np.arange(400) / 399), 1.0)
    assert name_of(exc) == "edge"


# --------------------------------------------------------------------------- GPU


@pytest.mark.gpu
def test_gpu_matches_cpu():
    import cupy as cp

    intensity = np.random.default_rng(0).uniform(0, 1.5, size=(3, 40, 40))
    d_int = cp.asarray(intensity)
    args = (30.0, 13.5, (2.0, 2.0, 2.0), 5.0)
    lam = expected_absorbed_photons(d_int, *args)
    assert isinstance(lam, cp.ndarray)
    np.testing.assert_allclose(cp.asnumpy(lam), expected_absorbed_photons(intensity, *args), rtol=1e-14)
    # Draws are made on the host: identical counts and acids for the same seed.
    counts = absorbed_photons(d_int, *args, rng=9)
    assert isinstance(counts, cp.ndarray)
    np.testing.assert_array_equal(cp.asnumpy(counts), absorbed_photons(intensity, *args, rng=9))
    h = call_acid(EUV, d_int, rng=9)
    assert isinstance(h, cp.ndarray)
    np.testing.assert_array_equal(cp.asnumpy(h), call_acid(EUV, intensity, rng=9))
    for got, want in zip(call_moments(EUV, d_int), call_moments(EUV, intensity)):
        np.testing.assert_allclose(cp.asnumpy(got), want, rtol=1e-12, atol=1e-15)
    x = np.arange(200, dtype=float)
    image = tanh_line(x[None, :], 60 + np.random.default_rng(1).uniform(-2, 2, (50, 1)), 140, 10.0)
    left, right = edges_from_image(cp.asarray(image), 1.0, 0.5)
    assert isinstance(left, cp.ndarray)
    l_cpu, r_cpu = edges_from_image(image, 1.0, 0.5)
    np.testing.assert_allclose(cp.asnumpy(left), l_cpu, rtol=1e-14)
    r_gpu, r_cpu2 = roughness(left, right, 1.0), roughness(l_cpu, r_cpu, 1.0)
    assert r_gpu.ler_left == pytest.approx(r_cpu2.ler_left, rel=1e-12)
    np.testing.assert_allclose(cp.asnumpy(r_gpu.psd_left), r_cpu2.psd_left, rtol=1e-9, atol=1e-18)
    assert correlation_length(left, 1.0) == pytest.approx(correlation_length(l_cpu, 1.0), rel=1e-12)
