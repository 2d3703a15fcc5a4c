"""Small argument validators shared by the public API; each raises InvalidParameterError."""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any

from .errors import InvalidParameterError


def positive_number(name: str, value: Any, unit: str = "") -> float:
    """``value`` as a finite float > 0."""
    what = f"a finite positive number{' of ' + unit if unit else ''}"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidParameterError(name, value, what)
    out = float(value)
    if not math.isfinite(out) or out <= 0:
        raise InvalidParameterError(name, value, what)
    return out


def finite_number(name: str, value: Any, unit: str = "") -> float:
    """``value`` as a finite float."""
    what = f"a finite number{' of ' + unit if unit else ''}"
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(float(value)):
        raise InvalidParameterError(name, value, what)
    return float(value)


def finite_pair(name: str, value: Any, unit: str = "") -> tuple[float, float]:
    """``value`` as a pair of finite floats."""
    what = f"a pair of finite numbers{' in ' + unit if unit else ''}"
    try:
        a, b = value
    except (TypeError, ValueError):
        raise InvalidParameterError(name, value, what) from None
    for item in (a, b):
        if isinstance(item, bool) or not isinstance(item, numbers.Real) or not math.isfinite(float(item)):
            raise InvalidParameterError(name, value, what)
    return float(a), float(b)


def grid_shape(name: str, value: Any) -> tuple[int, int]:
    """``value`` as ``(ny, nx)``, two integers >= 1 (an int ``n`` means ``(n, n)``)."""
    what = "a positive integer n or a pair (ny, nx) of positive integers"
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = (value, value)
    try:
        ny, nx = value
    except (TypeError, ValueError):
        raise InvalidParameterError(name, value, what) from None
    for item in (ny, nx):
        if isinstance(item, bool) or not isinstance(item, numbers.Integral) or item < 1:
            raise InvalidParameterError(name, value, what)
    return int(ny), int(nx)


def choice(name: str, value: Any, options: Iterable[Any]) -> Any:
    """``value`` if it is one of ``options``."""
    options = tuple(options)
    if value not in options:
        raise InvalidParameterError(name, value, "one of " + ", ".join(repr(o) for o in options))
    return value


def dtype_choice(name: str, value: Any, allowed: Iterable[Any], default: Any) -> Any:
    """``value`` as a numpy dtype among ``allowed`` (``None`` gives ``default``)."""
    import numpy as np

    if value is None:
        return np.dtype(default)
    allowed = tuple(np.dtype(a) for a in allowed)
    what = " or ".join(a.name for a in allowed)
    try:
        resolved = np.dtype(value)
    except TypeError:
        raise InvalidParameterError(name, value, what) from None
    if resolved not in allowed:
        raise InvalidParameterError(name, value, what)
    return resolved


def integer(name: str, value: Any, minimum: int | None = None, what: str | None = None) -> int:
    """``value`` as an int (Python or numpy integer, not bool), at least ``minimum`` if given."""
    if what is None:
        what = "an integer" if minimum is None else f"an integer >= {minimum}"
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) \
            or (minimum is not None and value < minimum):
        raise InvalidParameterError(name, value, what)
    return int(value)


def nonnegative_number(name: str, value: Any, unit: str = "") -> float:
    """``value`` as a finite float >= 0."""
    what = f"a finite number >= 0{' of ' + unit if unit else ''}"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidParameterError(name, value, what)
    out = float(value)
    if not math.isfinite(out) or out < 0:
        raise InvalidParameterError(name, value, what)
    return out


def number_in(name: str, value: Any, low: float, high: float, unit: str = "",
              low_open: bool = False, high_open: bool = False) -> float:
    """``value`` as a finite float in the interval from ``low`` to ``high``.

    ``low_open`` / ``high_open`` exclude the end points.
    """
    left, right = ("(" if low_open else "["), (")" if high_open else "]")
    what = f"a finite number in {left}{low:g}, {high:g}{right}{' ' + unit if unit else ''}"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidParameterError(name, value, what)
    out = float(value)
    if not math.isfinite(out) or out < low or out > high or (low_open and out == low) \
            or (high_open and out == high):
        raise InvalidParameterError(name, value, what)
    return out


def spacing3(name: str, value: Any) -> tuple[float, float, float]:
    """``value`` as voxel sizes ``(dz, dy, dx)`` in nm: a positive number or three of them."""
    what = "a positive voxel size in nm or a triple (dz, dy, dx) of them"
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        value = (value, value, value)
    try:
        items = tuple(value)
    except TypeError:
        raise InvalidParameterError(name, value, what) from None
    if len(items) != 3:
        raise InvalidParameterError(name, value, what)
    out = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, numbers.Real) or not math.isfinite(float(item)) \
                or float(item) <= 0:
            raise InvalidParameterError(name, value, what)
        out.append(float(item))
    return out[0], out[1], out[2]


def real_array(name: str, x: Any, ndim: int | tuple[int, ...] | None = None, low: float | None = None,
               high: float | None = None, what: str = "a real array", low_open: bool = False) -> Any:
    """``x`` as a real floating array (numpy or CuPy, kept on its device), checked.

    Checks the number of dimensions, that every element is finite, and optional bounds
    ``low <= x <= high`` (``low < x`` with ``low_open``). The error names the first
    offending element (index and value).
    Integer and boolean input is converted to float64; float32/float64 are kept.
    """
    from .backend import array_module

    xp = array_module(x)
    try:
        arr = xp.asarray(x)
    except (TypeError, ValueError):
        raise InvalidParameterError(name, x, what) from None
    if arr.dtype.kind in "biu":
        arr = arr.astype(xp.float64)
    if arr.dtype.kind != "f":
        raise InvalidParameterError(name, f"array of dtype {arr.dtype}", what)
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            dims = " or ".join(f"{d}-D" for d in allowed)
            raise InvalidParameterError(name, f"array of shape {tuple(arr.shape)}", f"{what} ({dims})")
    if arr.size == 0:
        raise InvalidParameterError(name, f"array of shape {tuple(arr.shape)}", f"{what} (not empty)")
    bad = ~xp.isfinite(arr)
    bound = "finite values"
    if low is not None:
        bad |= (arr <= low) if low_open else (arr < low)
        bound += f" {'>' if low_open else '>='} {low:g}"
    if high is not None:
        bad |= arr > high
        bound += f" <= {high:g}"
    raise_first_bad(name, arr, bad, f"{what} of {bound}")
    return arr


def raise_first_bad(name: str, arr: Any, bad: Any, what: str) -> None:
    """Raise :class:`InvalidParameterError` naming the first element where ``bad`` is True.

    The name is ``name[i, j, ...]`` (plain ``name`` for a 0-d array), the value that
    element's; nothing happens when no element is bad. Works for numpy and CuPy.
    """
    import numpy as np

    from .backend import array_module

    if not bool(bad.any()):
        return
    xp = array_module(bad)
    index = tuple(int(i) for i in np.unravel_index(int(xp.argmax(bad.ravel())), arr.shape))
    label = f"{name}[{', '.join(map(str, index))}]" if index else name
    raise InvalidParameterError(label, float(arr[index]), what)
