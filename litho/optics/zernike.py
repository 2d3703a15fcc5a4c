"""Zernike polynomials: Fringe (University of Arizona) order, with Noll conversions.

Fringe terms ``Z1 .. Z37`` are unnormalised: ``Z_j(rho, theta) = R_n^m(rho) * {1, cos(m
theta), sin(m theta)}`` with the radial polynomial ``R_n^m(1) = 1``. Aberration
coefficients are in waves (of the exposure wavelength): the wavefront is
``W = sum_j c_j Z_j``.

Noll terms are orthonormal over the unit disk, ``(1/pi) * integral Z_j Z_k dA = delta_jk``:
``Z_noll = N_nm * R_n^|m| * {cos, sin}(|m| theta)`` with ``N_nm = sqrt(n + 1)`` for ``m = 0``
and ``sqrt(2 (n + 1))`` otherwise; even Noll indices carry the cosine (``m > 0``), odd ones
the sine (``m < 0``). A Noll coefficient ``c`` therefore equals a Fringe coefficient
``c * N_nm`` for the same (n, m) term.

All evaluation functions take numpy or CuPy arrays and compute on their device.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from typing import Any

from ..backend import array_module
from ..errors import InvalidParameterError

__all__ = [
    "FRINGE_NM",
    "N_FRINGE",
    "fringe",
    "fringe_to_noll",
    "nm_to_noll",
    "noll",
    "noll_to_fringe",
    "noll_to_nm",
    "normalize_fringe",
    "radial",
    "wavefront",
]

#: Number of Fringe terms supported (Z1 .. Z37).
N_FRINGE = 37

#: Fringe index j -> (n, m, "cos" | "sin" | None), m >= 0. Index 0 is unused.
FRINGE_NM: tuple[tuple[int, int, str | None] | None, ...] = (
    None,
    (0, 0, None),                                   # Z1 piston
    (1, 1, "cos"), (1, 1, "sin"),                   # Z2, Z3 tilt
    (2, 0, None),                                   # Z4 defocus
    (2, 2, "cos"), (2, 2, "sin"),                   # Z5, Z6 astigmatism
    (3, 1, "cos"), (3, 1, "sin"),                   # Z7, Z8 coma
    (4, 0, None),                                   # Z9 spherical
    (3, 3, "cos"), (3, 3, "sin"),                   # Z10, Z11 trefoil
    (4, 2, "cos"), (4, 2, "sin"),                   # Z12, Z13
    (5, 1, "cos"), (5, 1, "sin"),                   # Z14, Z15
    (6, 0, None),                                   # Z16
    (4, 4, "cos"), (4, 4, "sin"),                   # Z17, Z18
    (5, 3, "cos"), (5, 3, "sin"),                   # Z19, Z20
    (6, 2, "cos"), (6, 2, "sin"),                   # Z21, Z22
    (7, 1, "cos"), (7, 1, "sin"),                   # Z23, Z24
    (8, 0, None),                                   # Z25
    (5, 5, "cos"), (5, 5, "sin"),                   # Z26, Z27
    (6, 4, "cos"), (6, 4, "sin"),                   # Z28, Z29
    (7, 3, "cos"), (7, 3, "sin"),                   # Z30, Z31
    (8, 2, "cos"), (8, 2, "sin"),                   # Z32, Z33
    (9, 1, "cos"), (9, 1, "sin"),                   # Z34, Z35
    (10, 0, None),                                  # Z36
    (12, 0, None),                                  # Z37
)

# (n, m >= 0, kind) -> Fringe index
_FRINGE_INDEX = {term: j for j, term in enumerate(FRINGE_NM) if term is not None}


def _radial_coefficients(n: int, m: int) -> tuple[float, ...]:
    """Coefficients of R_n^m in powers rho^n, rho^(n-2), ..., rho^m (factorial formula)."""
    return tuple(
        float((-1) ** k * math.factorial(n - k)
              // (math.factorial(k) * math.factorial((n + m) // 2 - k) * math.factorial((n - m) // 2 - k)))
        for k in range((n - m) // 2 + 1)
    )


def radial(n: int, m: int, rho: Any) -> Any:
    """The Zernike radial polynomial ``R_n^m(rho)``.

    Parameters
    ----------
    n, m : int
        Radial order and azimuthal frequency, ``0 <= |m| <= n`` and ``n - |m|`` even.
    rho : array_like
        Normalised pupil radius (dimensionless; 1 at the pupil edge). numpy or CuPy.

    Returns
    -------
    array
        ``sum_k (-1)^k (n-k)! / (k! ((n+m)/2-k)! ((n-m)/2-k)!) rho^(n-2k)``, same array type.
    """
    m = abs(int(m))
    n = int(n)
    if n < 0 or m > n or (n - m) % 2:
        raise InvalidParameterError("(n, m)", (n, m), "0 <= |m| <= n with n - |m| even")
    xp = array_module(rho)
    rho = xp.asarray(rho, dtype=xp.float64)
    rho2 = rho * rho
    out = xp.zeros_like(rho)
    for c in _radial_coefficients(n, m):  # Horner in rho^2, highest power first
        out = out * rho2 + c
    return out * rho**m if m else out


def _angular(xp: Any, m: int, kind: str | None, theta: Any) -> Any:
    if kind is None:
        return 1.0
    return xp.cos(m * theta) if kind == "cos" else xp.sin(m * theta)


def _check_index(name: str, j: Any, high: int | None) -> int:
    allowed = f"an integer in [1, {high}]" if high else "an integer >= 1"
    if isinstance(j, bool) or not isinstance(j, numbers.Integral) or j < 1 or (high and j > high):
        raise InvalidParameterError(name, j, allowed)
    return int(j)


def fringe(j: int, rho: Any, theta: Any) -> Any:
    """Fringe Zernike term ``Z_j(rho, theta)`` (unnormalised).

    Parameters
    ----------
    j : int
        Fringe index, 1..37.
    rho : array_like
        Normalised pupil radius (dimensionless). numpy or CuPy.
    theta : array_like
        Azimuth, radians (broadcast against ``rho``).
    """
    n, m, kind = FRINGE_NM[_check_index("j", j, N_FRINGE)]
    xp = array_module(rho)
    rho, theta = xp.broadcast_arrays(xp.asarray(rho, dtype=xp.float64), xp.asarray(theta, dtype=xp.float64))
    return radial(n, m, rho) * _angular(xp, m, kind, theta)


def noll(j: int, rho: Any, theta: Any) -> Any:
    """Noll Zernike term ``Z_j(rho, theta)``, orthonormal over the unit disk.

    Parameters
    ----------
    j : int
        Noll index, >= 1.
    rho, theta : array_like
        Normalised pupil radius (dimensionless) and azimuth (radians).
    """
    n, m = noll_to_nm(j)
    xp = array_module(rho)
    rho, theta = xp.broadcast_arrays(xp.asarray(rho, dtype=xp.float64), xp.asarray(theta, dtype=xp.float64))
    kind = None if m == 0 else ("cos" if m > 0 else "sin")
    return _noll_norm(n, m) * radial(n, m, rho) * _angular(xp, abs(m), kind, theta)


def normalize_fringe(coefficients: Any, name: str = "coefficients") -> tuple[float, ...]:
    """Fringe coefficients as a tuple of 37 floats (waves), element ``j - 1`` for ``Z_j``.

    Parameters
    ----------
    coefficients : mapping, sequence or None
        ``{index: waves}`` with indices 1..37, or a sequence of at most 37 numbers whose
        element 0 is ``Z1``. ``None`` or empty means no aberration.
    name : str
        Parameter name used in error messages.
    """
    out = [0.0] * N_FRINGE
    if coefficients is None:
        return tuple(out)
    if isinstance(coefficients, Mapping):
        items = list(coefficients.items())
        for j, _ in items:
            _check_index(f"{name} index", j, N_FRINGE)
    else:
        if isinstance(coefficients, (str, bytes)) or not hasattr(coefficients, "__len__"):
            raise InvalidParameterError(name, coefficients, "a dict {fringe index: waves} or a sequence")
        values = list(coefficients.tolist() if hasattr(coefficients, "tolist") else coefficients)
        if len(values) > N_FRINGE:
            raise InvalidParameterError(name, coefficients, f"at most {N_FRINGE} Fringe coefficients")
        items = list(enumerate(values, start=1))
    for j, value in items:
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
            raise InvalidParameterError(f"{name}[{j}]", value, "a finite number of waves")
        out[int(j) - 1] = float(value)
    return tuple(out)


def wavefront(coefficients: Any, rho: Any, theta: Any) -> Any:
    """Wavefront ``W = sum_j c_j Z_j(rho, theta)`` in waves.

    Parameters
    ----------
    coefficients : mapping, sequence or None
        Fringe coefficients in waves (see :func:`normalize_fringe`).
    rho, theta : array_like
        Normalised pupil radius (dimensionless) and azimuth (radians); numpy or CuPy.

    Returns
    -------
    array
        Float64 array of the broadcast shape, same array type as ``rho``.
    """
    coeffs = normalize_fringe(coefficients)
    xp = array_module(rho)
    rho = xp.asarray(rho, dtype=xp.float64)
    theta = xp.asarray(theta, dtype=xp.float64)
    out = xp.zeros(xp.broadcast(rho, theta).shape, dtype=xp.float64)
    for j, c in enumerate(coeffs, start=1):
        if c != 0.0:
            out += c * fringe(j, rho, theta)
    return out


# -- Noll ---------------------------------------------------------------------------------


def noll_to_nm(j: int) -> tuple[int, int]:
    """Noll index -> (n, m), ``m > 0`` for cosine terms (even j), ``m < 0`` for sine (odd j).

    Examples
    --------
    >>> [noll_to_nm(j) for j in (1, 2, 3, 4)]
    [(0, 0), (1, 1), (1, -1), (2, 0)]
    """
    j = _check_index("j", j, None)
    n = 0
    while (n + 1) * (n + 2) // 2 < j:
        n += 1
    p = j - n * (n + 1) // 2 - 1  # position within order n, 0-based
    m = n % 2 + 2 * ((p + (n + 1) % 2) // 2)
    return (n, 0 if m == 0 else (m if j % 2 == 0 else -m))


def nm_to_noll(n: int, m: int) -> int:
    """(n, m) -> Noll index (``m > 0`` cosine, ``m < 0`` sine); inverse of :func:`noll_to_nm`."""
    radial(n, m, 0.0)  # validates (n, m)
    for j in range(n * (n + 1) // 2 + 1, (n + 1) * (n + 2) // 2 + 1):
        if noll_to_nm(j) == (n, m):
            return j
    raise AssertionError("unreachable")  # pragma: no cover


def _noll_norm(n: int, m: int) -> float:
    return math.sqrt(n + 1) if m == 0 else math.sqrt(2 * (n + 1))


def _items(coefficients: Any, name: str) -> list[tuple[int, float]]:
    if isinstance(coefficients, Mapping):
        pairs = list(coefficients.items())
    elif isinstance(coefficients, Sequence) or hasattr(coefficients, "tolist"):
        values = coefficients.tolist() if hasattr(coefficients, "tolist") else list(coefficients)
        pairs = list(enumerate(values, start=1))
    else:
        raise InvalidParameterError(name, coefficients, "a dict {index: waves} or a sequence")
    out = []
    for j, value in pairs:
        _check_index(f"{name} index", j, None)
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
            raise InvalidParameterError(f"{name}[{j}]", value, "a finite number of waves")
        out.append((int(j), float(value)))
    return out


def noll_to_fringe(noll_coefficients: Any) -> dict[int, float]:
    """Convert Noll (orthonormal) coefficients to Fringe coefficients, both in waves.

    Parameters
    ----------
    noll_coefficients : mapping or sequence
        ``{noll index: waves}`` or a sequence whose element 0 is Noll term 1.

    Returns
    -------
    dict[int, float]
        ``{fringe index: waves}``; ``c_fringe = c_noll * N_nm``. Zero coefficients are
        left out.

    Raises
    ------
    InvalidParameterError
        A non-zero Noll term has no Fringe equivalent among Z1..Z37.
    """
    out: dict[int, float] = {}
    for j, c in _items(noll_coefficients, "noll_coefficients"):
        if c == 0.0:
            continue
        n, m = noll_to_nm(j)
        term = (n, abs(m), None if m == 0 else ("cos" if m > 0 else "sin"))
        if term not in _FRINGE_INDEX:
            raise InvalidParameterError(
                f"noll_coefficients[{j}]", c,
                f"zero: Noll term {j} (n={n}, m={m}) has no Fringe Z1..Z{N_FRINGE} equivalent",
            )
        out[_FRINGE_INDEX[term]] = out.get(_FRINGE_INDEX[term], 0.0) + c * _noll_norm(n, m)
    return out


def fringe_to_noll(fringe_coefficients: Any) -> dict[int, float]:
    """Convert Fringe coefficients to Noll (orthonormal) coefficients, both in waves.

    Parameters
    ----------
    fringe_coefficients : mapping or sequence
        ``{fringe index: waves}`` (1..37) or a sequence whose element 0 is Z1.

    Returns
    -------
    dict[int, float]
        ``{noll index: waves}``; ``c_noll = c_fringe / N_nm``. Zero coefficients are left out.
    """
    coeffs = normalize_fringe(fringe_coefficients, "fringe_coefficients")
    out: dict[int, float] = {}
    for j, c in enumerate(coeffs, start=1):
        if c == 0.0:
            continue
        n, m, kind = FRINGE_NM[j]
        signed_m = -m if kind == "sin" else m
        out[nm_to_noll(n, signed_m)] = c / _noll_norm(n, signed_m)
    return out
