"""The emulated device array and the wrapping of numpy functions (see ``cupy/__init__``)."""

from __future__ import annotations

import functools
import operator
from typing import Any, Callable

import numpy as np


class _MemoryPool:
    def used_bytes(self) -> int:
        return 0

    def total_bytes(self) -> int:
        return 0

    def free_all_blocks(self) -> None:
        return None


MEMORY_POOL = _MemoryPool()


def _refuse(value: Any) -> None:
    raise TypeError(f"Unsupported type {type(value)} (emulated CuPy: a numpy array where a device "
                    "array is needed; move it with cupy.asarray)")


def _unwrap(value: Any, host_ok: bool = False) -> Any:
    """Device arrays to their numpy data; numpy arrays (ndim >= 1) refused unless host_ok."""
    if isinstance(value, ndarray):
        return value._a
    if isinstance(value, np.ndarray):
        if value.ndim == 0 or host_ok:
            return value
        _refuse(value)
    if isinstance(value, (list, tuple)):
        items = [_unwrap(v, host_ok) for v in value]
        return type(value)(items) if isinstance(value, tuple) else items
    if isinstance(value, dict):
        return {k: _unwrap(v, host_ok) for k, v in value.items()}
    return value


def _wrap(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return ndarray._from(value)
    if isinstance(value, tuple):
        return tuple(_wrap(v) for v in value)
    if isinstance(value, list):
        return [_wrap(v) for v in value]
    if isinstance(value, np.generic):
        # CuPy reductions give 0-d device arrays, not numpy scalars
        return ndarray._from(np.asarray(value))
    return value


def device_function(func: Callable[..., Any], host_ok: bool = False) -> Callable[..., Any]:
    """``func`` on device arrays: arguments unwrapped (strictly), results wrapped."""

    @functools.wraps(func)
    def call(*args: Any, **kwargs: Any) -> Any:
        out = kwargs.get("out")
        with np.errstate(all="ignore"):  # CuPy's kernels raise no floating-point warnings
            result = func(*_unwrap(args, host_ok), **_unwrap(kwargs, host_ok))
        if out is not None and isinstance(out, ndarray):
            return out
        return _wrap(result)

    return call


def _index(key: Any) -> Any:
    # indices may be device arrays, numpy arrays, slices, ... (CuPy accepts host indices)
    return _unwrap(key, host_ok=True)


class Device:
    """The one emulated device."""

    def __init__(self, device: int | None = None) -> None:
        self.id = 0 if device is None else int(device)
        if self.id != 0:
            from .cuda.runtime import CUDARuntimeError

            raise CUDARuntimeError(f"cudaErrorInvalidDevice: invalid device ordinal {self.id}")

    @property
    def mem_info(self) -> tuple[int, int]:
        import os

        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        free = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")
        return int(free), int(total)

    def synchronize(self) -> None:
        return None

    def use(self) -> None:
        return None

    def __enter__(self) -> "Device":
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def __repr__(self) -> str:
        return f"<CUDA Device {self.id} (emulated)>"


class ndarray:
    """A device array: numpy data behind CuPy's rules (see the package docstring)."""

    __slots__ = ("_a",)

    def __init__(self, shape: Any, dtype: Any = float, order: str = "C") -> None:
        self._a = np.empty(shape, dtype=dtype, order=order)

    @classmethod
    def _from(cls, a: np.ndarray) -> "ndarray":
        obj = cls.__new__(cls)
        obj._a = a
        return obj

    # -- host transfers ---------------------------------------------------------------
    def get(self, stream: Any = None, order: str = "C", out: np.ndarray | None = None) -> np.ndarray:
        if out is not None:
            out[...] = self._a
            return out
        return np.array(self._a, order=order, copy=True)

    def __array__(self, *args: Any, **kwargs: Any) -> np.ndarray:
        raise TypeError("Implicit conversion to a NumPy array is not allowed. Please use `.get()` to "
                        "construct a NumPy array explicitly. (emulated CuPy)")

    def item(self, *args: Any) -> Any:
        return self._a.item(*args)

    def tolist(self) -> Any:
        return self._a.tolist()

    def __float__(self) -> float:
        return float(self._a)

    def __int__(self) -> int:
        return int(self._a)

    def __complex__(self) -> complex:
        return complex(self._a)

    def __bool__(self) -> bool:
        return bool(self._a)

    def __index__(self) -> int:
        return operator.index(self._a.item()) if self._a.ndim == 0 else operator.index(self._a)

    # -- attributes ---------------------------------------------------------------------
    @property
    def device(self) -> Device:
        return Device(0)

    @property
    def shape(self) -> tuple[int, ...]:
        return self._a.shape

    @shape.setter
    def shape(self, value: Any) -> None:
        self._a.shape = value

    @property
    def real(self) -> "ndarray":
        return ndarray._from(self._a.real)

    @real.setter
    def real(self, value: Any) -> None:
        self._a.real = _unwrap(value)

    @property
    def imag(self) -> "ndarray":
        return ndarray._from(self._a.imag)

    @imag.setter
    def imag(self, value: Any) -> None:
        self._a.imag = _unwrap(value)

    def __getattr__(self, name: str) -> Any:
        # dtype, ndim, size, nbytes, strides, flags, T, ... and methods: numpy's, with
        # arrays in and out on the device
        if name.startswith("__"):  # no __array_interface__ / __array_struct__: no host view
            raise AttributeError(name)
        value = getattr(self._a, name)
        if callable(value):
            return device_function(value)
        return _wrap(value)

    def __len__(self) -> int:
        return len(self._a)

    def __iter__(self):
        for v in self._a:
            yield _wrap(v)

    def __getitem__(self, key: Any) -> Any:
        return _wrap(self._a[_index(key)])

    def __setitem__(self, key: Any, value: Any) -> None:
        self._a[_index(key)] = _unwrap(value, host_ok=True)

    def __repr__(self) -> str:
        return "emulated_" + repr(self._a)

    def __str__(self) -> str:
        return str(self._a)

    def __copy__(self) -> "ndarray":
        return ndarray._from(self._a.copy())

    def __deepcopy__(self, memo: Any) -> "ndarray":
        return ndarray._from(self._a.copy())

    def __reduce__(self) -> Any:
        raise TypeError("emulated CuPy arrays are not pickled (move them to the host first)")

    # -- numpy protocols (CuPy implements both) -----------------------------------------
    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        out = kwargs.get("out")
        with np.errstate(all="ignore"):
            result = getattr(ufunc, method)(*_unwrap(inputs), **_unwrap(kwargs))
        if out is not None:
            return out[0] if isinstance(out, tuple) and len(out) == 1 else out
        return _wrap(result)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        with np.errstate(all="ignore"):
            return _wrap(func(*_unwrap(args), **_unwrap(kwargs)))


def _binary(name: str) -> Callable[..., Any]:
    op = getattr(operator, name)

    def method(self: ndarray, other: Any) -> Any:
        with np.errstate(all="ignore"):
            return _wrap(op(self._a, _unwrap(other)))

    method.__name__ = f"__{name}__"
    return method


def _reflected(name: str) -> Callable[..., Any]:
    op = getattr(operator, name)

    def method(self: ndarray, other: Any) -> Any:
        with np.errstate(all="ignore"):
            return _wrap(op(_unwrap(other), self._a))

    method.__name__ = f"__r{name}__"
    return method


def _inplace(name: str) -> Callable[..., Any]:
    op = getattr(operator, f"i{name.rstrip('_')}")

    def method(self: ndarray, other: Any) -> ndarray:
        with np.errstate(all="ignore"):
            self._a = op(self._a, _unwrap(other))
        return self

    method.__name__ = f"__i{name}__"
    return method


for _name in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "and", "or", "xor",
              "lshift", "rshift"):
    _op = _name if _name not in ("and", "or") else _name + "_"
    setattr(ndarray, f"__{_name}__", _binary(_op))
    setattr(ndarray, f"__r{_name}__", _reflected(_op))
    setattr(ndarray, f"__i{_name}__", _inplace(_op))
for _name in ("lt", "le", "eq", "ne", "gt", "ge"):
    setattr(ndarray, f"__{_name}__", _binary(_name))
ndarray.__hash__ = None  # type: ignore[assignment]
for _name in ("neg", "pos", "abs", "invert"):
    def _unary(self: ndarray, _op: Any = getattr(operator, _name)) -> Any:
        with np.errstate(all="ignore"):
            return _wrap(_op(self._a))
    setattr(ndarray, f"__{_name}__", _unary)


def asarray(a: Any, dtype: Any = None, order: Any = None, *, blocking: bool = False) -> Any:
    """Host data to the device; a device array of that dtype is returned as it is (as in CuPy)."""
    if isinstance(a, ndarray) and (dtype is None or np.dtype(dtype) == a.dtype) and order in (None, "K", "A"):
        return a
    with np.errstate(all="ignore"):
        return ndarray._from(np.asarray(_unwrap(a, host_ok=True), dtype=dtype, order=order))


def asnumpy(a: Any, stream: Any = None, order: str = "C", out: np.ndarray | None = None) -> np.ndarray:
    if isinstance(a, ndarray):
        return a.get(order=order, out=out)
    result = np.asarray(a, order=order)
    if out is not None:
        out[...] = result
        return out
    return result


def get_array_module(*args: Any) -> Any:
    import cupy

    return cupy if any(isinstance(a, ndarray) for a in args) else np
