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
