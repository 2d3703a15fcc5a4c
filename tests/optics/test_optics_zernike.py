"""Tests of litho.optics.zernike: Fringe values, Noll normalisation and conversions."""

from __future__ import annotations

import math

import numpy as np
import pytest

from litho.errors import InvalidParameterError
from litho.optics import zernike

c, s = np.cos, np.sin

# The Fringe (University of Arizona) list, typed out independently of the table.
EXPLICIT = {
    1: lambda r, t: np.ones_like(r),
    2: lambda r, t: r * c(t),
    3: lambda r, t: r * s(t),
    4: lambda r, t: 2 * r**2 - 1,
    5: lambda r, t: r**2 * c(2 * t),
    6: lambda r, t: r**2 * s(2 * t),
    7: lambda r, t: (3 * r**3 - 2 * r) * c(t),
    8: lambda r, t: (3 * r**3 - 2 * r) * s(t),
    9: lambda r, t: 6 * r**4 - 6 * r**2 + 1,
    10: lambda r, t: r**3 * c(3 * t),
    11: lambda r, t: r**3 * s(3 * t),
    12: lambda r, t: (4 * r**4 - 3 * r**2) * c(2 * t),
    13: lambda r, t: (4 * r**4 - 3 * r**2) * s(2 * t),
    14: lambda r, t: (10 * r**5 - 12 * r**3 + 3 * r) * c(t),
    15: lambda r, t: (10 * r**5 - 12 * r**3 + 3 * r) * s(t),
    16: lambda r, t: 20 * r**6 - 30 * r**4 + 12 * r**2 - 1,
    17: lambda r, t: r**4 * c(4 * t),
    18: lambda r, t: r**4 * s(4 * t),
    19: lambda r, t: (5 * r**5 - 4 * r**3) * c(3 * t),
    20: lambda r, t: (5 * r**5 - 4 * r**3) * s(3 * t),
    21: lambda r, t: (15 * r**6 - 20 * r**4 + 6 * r**2) * c(2 * t),
    22: lambda r, t: (15 * r**6 - 20 * r**4 + 6 * r**2) * s(2 * t),
    23: lambda r, t: (35 * r**7 - 60 * r**5 + 30 * r**3 - 4 * r) * c(t),
    24: lambda r, t: (35 * r**7 - 60 * r**5 + 30 * r**3 - 4 * r) * s(t),
    25: lambda r, t: 70 * r**8 - 140 * r**6 + 90 * r**4 - 20 * r**2 + 1,
    26: lambda r, t: r**5 * c(5 * t),
    27: lambda r, t: r**5 * s(5 * t),
    28: lambda r, t: (6 * r**6 - 5 * r**4) * c(4 * t),
    29: lambda r, t: (6 * r**6 - 5 * r**4) * s(4 * t),
    30: lambda r, t: (21 * r**7 - 30 * r**5 + 10 * r**3) * c(3 * t),
    31: lambda r, t: (21 * r**7 - 30 * r**5 + 10 * r**3) * s(3 * t),
    32: lambda r, t: (56 * r**8 - 105 * r**6 + 60 * r**4 - 10 * r**2) * c(2 * t),
    33: lambda r, t: (56 * r**8 - 105 * r**6 + 60 * r**4 - 10 * r**2) * s(2 * t),
    34: lambda r, t: (126 * r**9 - 280 * r**7 + 210 * r**5 - 60 * r**3 + 5 * r) * c(t),
    35: lambda r, t: (126 * r**9 - 280 * r**7 + 210 * r**5 - 60 * r**3 + 5 * r) * s(t),
    36: lambda r, t: 252 * r**10 - 630 * r**8 + 560 * r**6 - 210 * r**4 + 30 * r**2 - 1,
    37: lambda r, t: (924 * r**12 - 2772 * r**10 + 3150 * r**8 - 1680 * r**6 + 420 * r**4
                      - 42 * r**2 + 1),
}


@pytest.mark.parametrize("j", range(1, 38))
def test_fringe_table_matches_explicit_polynomials(j):
    rng = np.random.default_rng(j)
    rho = rng.random(200)
    theta = rng.uniform(-np.pi, np.pi, 200)
    # both evaluate the same polynomial in float64; coefficients up to 3150 with terms
    # cancelling to O(1): rounding ~ 3150 * 2e-16 * a few = ~1e-12 at worst
    np.testing.assert_allclose(zernike.fringe(j, rho, theta), EXPLICIT[j](rho, theta), rtol=0, atol=1e-12)


def test_fringe_m0_terms_are_one_at_the_edge():
    for j, (n, m, kind) in enumerate(zernike.FRINGE_NM[1:], start=1):
        if m == 0:
            assert float(zernike.fringe(j, 1.0, 0.3)) == pytest.approx(1.0, abs=1e-12)


def test_wavefront_sums_terms_and_accepts_dicts_and_sequences():
    rng = np.random.default_rng(1)
    rho, theta = rng.random(50), rng.uniform(0, 2 * np.pi, 50)
    expected = 0.1 * EXPLICIT[4](rho, theta) - 0.02 * EXPLICIT[9](rho, theta) + 0.03 * EXPLICIT[37](rho, theta)
    as_dict = {4: 0.1, 9: -0.02, 37: 0.03}
    as_seq = [0.0] * 37
    as_seq[3], as_seq[8], as_seq[36] = 0.1, -0.02, 0.03
    for coeffs in (as_dict, as_seq, np.array(as_seq), tuple(as_seq)):
        np.testing.assert_allclose(zernike.wavefront(coeffs, rho, theta), expected, atol=1e-13)
    assert zernike.normalize_fringe(as_dict) == tuple(as_seq)
    assert zernike.normalize_fringe(None) == (0.0,) * 37
    assert zernike.normalize_fringe([0.5]) == (0.5,) + (0.0,) * 36
    np.testing.assert_array_equal(zernike.wavefront({}, rho, theta), 0.0)


@pytest.mark.parametrize("bad, name", [
    ({0: 0.1}, "coefficients index"), ({38: 0.1}, "coefficients index"),
    ([0.0] * 38, "coefficients"), ({4: float("nan")}, "coefficients[4]"), ("abc", "coefficients"),
])
def test_normalize_fringe_rejects(bad, name):
    with pytest.raises(InvalidParameterError) as info:
        zernike.normalize_fringe(bad)
    assert info.value.name == name


def test_fringe_index_validation():
    for j in (0, 38, 2.0, True):
        with pytest.raises(InvalidParameterError):
            zernike.fringe(j, 0.5, 0.0)


NOLL_TABLE = {1: (0, 0), 2: (1, 1), 3: (1, -1), 4: (2, 0), 5: (2, -2), 6: (2, 2), 7: (3, -1),
              8: (3, 1), 9: (3, -3), 10: (3, 3), 11: (4, 0)}


def test_noll_index_table():
    for j, nm in NOLL_TABLE.items():
        assert zernike.noll_to_nm(j) == nm
    for j in range(1, 120):
        assert zernike.nm_to_noll(*zernike.noll_to_nm(j)) == j
    # each order n holds n + 1 terms, every admissible (n, m) exactly once
    seen = {zernike.noll_to_nm(j) for j in range(1, 67)}  # orders 0..10
    assert seen == {(n, m) for n in range(11) for m in range(-n, n + 1, 2)}


def test_noll_terms_are_orthonormal():
    # Gauss-Legendre in rho (exact for the polynomial radial products: degree <= 2*8 + 1
    # with 40 nodes) and the trapezoid rule in theta (exact for trigonometric polynomials
    # of degree < 64 with 64 points). The quadrature is exact up to rounding, so 1e-12.
    x, wx = np.polynomial.legendre.leggauss(40)
    rho = (x + 1) / 2
    w_rho = wx / 2 * rho  # jacobian rho d rho
    theta = np.arange(64) * (2 * np.pi / 64)
    R, T = np.meshgrid(rho, theta, indexing="ij")
    W = np.outer(w_rho, np.full(64, 2 * np.pi / 64)) / np.pi  # (1/pi) * area element
    terms = np.array([zernike.noll(j, R, T).ravel() for j in range(1, 46)])  # orders 0..8
    gram = (terms * W.ravel()) @ terms.T
    np.testing.assert_allclose(gram, np.eye(45), atol=1e-12)


def test_noll_fringe_relation_and_round_trip():
    rng = np.random.default_rng(3)
    rho, theta = rng.random(30), rng.uniform(0, 2 * np.pi, 30)
    # one Noll term equals its Fringe twin times N_nm
    for noll_j in (2, 3, 4, 5, 6, 7, 8, 11, 22, 37):
        fr = zernike.noll_to_fringe({noll_j: 1.0})
        assert len(fr) == 1
        (fj, cf), = fr.items()
        np.testing.assert_allclose(cf * zernike.fringe(fj, rho, theta), zernike.noll(noll_j, rho, theta),
                                   atol=1e-12)
    # the defocus pair: Noll Z4 = sqrt(3) (2 rho^2 - 1)
    assert zernike.noll_to_fringe({4: 1.0}) == {4: pytest.approx(math.sqrt(3))}
    # round trips over all 37 Fringe terms
    fringe = {j: float(v) for j, v in enumerate(rng.normal(size=37), start=1)}
    back = zernike.noll_to_fringe(zernike.fringe_to_noll(fringe))
    assert back.keys() == fringe.keys()
    for j, value in fringe.items():
        assert back[j] == pytest.approx(value, rel=1e-14)  # one multiply and one divide
    noll = {zernike.nm_to_noll(n, -m if k == "sin" else m): 0.1 * i
            for i, (n, m, k) in enumerate(zernike.FRINGE_NM[1:], start=1)}
    again = zernike.fringe_to_noll(zernike.noll_to_fringe(noll))
    assert again == pytest.approx(noll, rel=1e-14)
    # the same wavefront either way
    wf = zernike.wavefront(zernike.noll_to_fringe(noll), rho, theta)
    direct = sum(cn * zernike.noll(j, rho, theta) for j, cn in noll.items())
    np.testing.assert_allclose(wf, direct, atol=1e-10)  # 37 terms with values up to ~50


def test_noll_without_fringe_equivalent_raises():
    n, m = zernike.noll_to_nm(33)  # (7, -5): not among Fringe Z1..Z37
    assert (n, abs(m)) == (7, 5)
    with pytest.raises(InvalidParameterError) as info:
        zernike.noll_to_fringe({33: 0.01})
    assert info.value.name == "noll_coefficients[33]"
    # a zero coefficient there is fine (dropped), and sequences are 1-based
    assert zernike.noll_to_fringe([0.0, 0.0, 0.0, 0.5] + [0.0] * 30) == {4: pytest.approx(0.5 * math.sqrt(3))}


def test_radial_validation_and_values():
    assert float(zernike.radial(4, 2, 1.0)) == pytest.approx(1.0)
    with pytest.raises(InvalidParameterError):
        zernike.radial(3, 2, 0.5)
    with pytest.raises(InvalidParameterError):
        zernike.radial(2, 4, 0.5)
