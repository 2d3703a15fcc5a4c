"""Run-time settings: memory budget, default precision, default backend, FFT engine.

Settings are an immutable :class:`Settings` value held in a :class:`contextvars.ContextVar`,
so they are thread- and task-local and there is no module-level mutable state. Change
them for a block of code with :func:`override`::

    with litho.config.override(precision="double", backend="numpy"):
        image = ...

Defaults may be set per process with environment variables read once at import:
``LITHO_PRECISION`` (single|double), ``LITHO_BACKEND`` (auto|numpy|cupy),
``LITHO_FFT_ENGINE`` (auto|scipy|pyfftw), ``LITHO_MEMORY_BUDGET`` (bytes, or e.g. ``8GiB``).

Module attributes ``litho.config.precision``, ``.backend``, ``.fft_engine`` and
``.memory_budget`` read the settings in force (``memory_budget`` resolves ``None`` to
50 % of the CPU memory available now).
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from .errors import InvalidParameterError, MemoryBudgetError

__all__ = [
    "Settings",
    "get",
    "override",
    "real_dtype",
    "complex_dtype",
    "available_memory",
    "memory_budget_bytes",
    "check_memory",
]

Precision = Literal["single", "double"]
BackendName = Literal["auto", "numpy", "cupy"]
FFTEngineName = Literal["auto", "scipy", "pyfftw"]

_PRECISIONS = ("single", "double")
_BACKENDS = ("auto", "numpy", "cupy")
_FFT_ENGINES = ("auto", "scipy", "pyfftw")
_BUDGET_FRACTION = 0.5


@dataclass(frozen=True)
class Settings:
    """The settings in force.

    Attributes
    ----------
    precision : {"single", "double"}
        Default floating-point precision: float32/complex64 ("single") or
        float64/complex128 ("double").
    backend : {"auto", "numpy", "cupy"}
        Default backend for constructors that create arrays ("auto": CuPy when a GPU is
        usable, else numpy).
    memory_budget : int or None
        Largest single working allocation in bytes; ``None`` means 50 % of the memory
        available on the device at the time of the check.
    fft_engine : {"auto", "scipy", "pyfftw"}
        CPU FFT engine; "auto" measures once per transform signature (see ``litho.backend``).
    gpu_fft_plan_cache : int
        Most cuFFT plans kept in CuPy's plan cache (bounded to cap GPU memory held by plans).
    """

    precision: Precision = "single"
    backend: BackendName = "auto"
    memory_budget: int | None = None
    fft_engine: FFTEngineName = "auto"
    gpu_fft_plan_cache: int = 16

    def __post_init__(self) -> None:
        if self.precision not in _PRECISIONS:
            raise InvalidParameterError("precision", self.precision, f"one of {_PRECISIONS}")
        if self.backend not in _BACKENDS:
            raise InvalidParameterError("backend", self.backend, f"one of {_BACKENDS}")
        if self.fft_engine not in _FFT_ENGINES:
            raise InvalidParameterError("fft_engine", self.fft_engine, f"one of {_FFT_ENGINES}")
        if self.memory_budget is not None:
            if isinstance(self.memory_budget, bool) or not isinstance(self.memory_budget, (int, np.integer)) or self.memory_budget <= 0:
                raise InvalidParameterError(
                    "memory_budget", self.memory_budget, "a positive integer number of bytes, or None"
                )
        if isinstance(self.gpu_fft_plan_cache, bool) or not isinstance(self.gpu_fft_plan_cache, int) or self.gpu_fft_plan_cache < 0:
            raise InvalidParameterError("gpu_fft_plan_cache", self.gpu_fft_plan_cache, "a non-negative integer")


_UNITS = {"": 1, "b": 1, "k": 10**3, "kb": 10**3, "kib": 2**10, "m": 10**6, "mb": 10**6, "mib": 2**20,
          "g": 10**9, "gb": 10**9, "gib": 2**30, "t": 10**12, "tb": 10**12, "tib": 2**40}


def parse_bytes(text: str) -> int:
    """Parse a byte count such as ``"8GiB"``, ``"500 MB"`` or ``"1048576"``."""
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([a-zA-Z]*)\s*", str(text))
    if not match or match.group(2).lower() not in _UNITS:
        raise InvalidParameterError("memory_budget", text, "a byte count such as 1073741824, '8GiB' or '500MB'")
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


def _from_environment() -> Settings:
    env = os.environ
    budget = env.get("LITHO_MEMORY_BUDGET")
    return Settings(
        precision=env.get("LITHO_PRECISION", "single"),  # type: ignore[arg-type]
        backend=env.get("LITHO_BACKEND", "auto"),  # type: ignore[arg-type]
        memory_budget=None if not budget else parse_bytes(budget),
        fft_engine=env.get("LITHO_FFT_ENGINE", "auto"),  # type: ignore[arg-type]
    )


_current: contextvars.ContextVar[Settings] = contextvars.ContextVar("litho_settings", default=_from_environment())


def get() -> Settings:
    """The :class:`Settings` in force in this thread/task."""
    return _current.get()


@contextlib.contextmanager
def override(**changes: Any) -> Iterator[Settings]:
    """Change settings for the duration of a ``with`` block.

    Parameters
    ----------
    **changes
        Fields of :class:`Settings` (``precision``, ``backend``, ``memory_budget``,
        ``fft_engine``, ``gpu_fft_plan_cache``). ``memory_budget`` also accepts strings
        such as ``"4GiB"``.

    Yields
    ------
    Settings
        The settings in force inside the block.
    """
    fields = {f.name for f in dataclasses.fields(Settings)}
    unknown = sorted(set(changes) - fields)
    if unknown:
        raise InvalidParameterError(unknown[0], changes[unknown[0]], f"a setting name, one of {sorted(fields)}")
    if isinstance(changes.get("memory_budget"), str):
        changes["memory_budget"] = parse_bytes(changes["memory_budget"])
    settings = dataclasses.replace(_current.get(), **changes)
    token = _current.set(settings)
    try:
        yield settings
    finally:
        _current.reset(token)


def real_dtype(precision: Precision | None = None) -> np.dtype:
    """float32 for "single", float64 for "double" (``None``: the setting in force)."""
    precision = precision or get().precision
    if precision not in _PRECISIONS:
        raise InvalidParameterError("precision", precision, f"one of {_PRECISIONS}")
    return np.dtype(np.float32 if precision == "single" else np.float64)


def complex_dtype(precision: Precision | None = None) -> np.dtype:
    """complex64 for "single", complex128 for "double" (``None``: the setting in force)."""
    return np.dtype(np.complex64 if real_dtype(precision) == np.float32 else np.complex128)


def available_memory(device: Literal["cpu", "gpu"] = "cpu") -> int:
    """Bytes of memory available now on the CPU (``MemAvailable``) or the current GPU."""
    if device == "gpu":
        import cupy

        free, _total = cupy.cuda.Device().mem_info
        return int(free)
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return 8 * 2**30  # unknown platform: assume a modest machine


def memory_budget_bytes(device: Literal["cpu", "gpu"] = "cpu") -> int:
    """The memory budget in force, in bytes (``None`` resolves to 50 % of available memory)."""
    budget = get().memory_budget
    return int(budget) if budget is not None else int(_BUDGET_FRACTION * available_memory(device))


def check_memory(nbytes: int, what: str, hint: str, device: Literal["cpu", "gpu"] = "cpu") -> None:
    """Raise :class:`MemoryBudgetError` if ``nbytes`` exceeds the budget.

    Parameters
    ----------
    nbytes : int
        Estimated size of the allocation.
    what : str
        What would be allocated (e.g. "a 65536 x 65536 float32 raster").
    hint : str
        How to tile or batch instead.
    device : {"cpu", "gpu"}
        Where the allocation would happen.
    """
    budget = memory_budget_bytes(device)
    if nbytes > budget:
        raise MemoryBudgetError(
            f"{what} needs {nbytes / 2**20:,.1f} MiB, over the {device.upper()} memory budget of "
            f"{budget / 2**20:,.1f} MiB; {hint} (or raise the budget with "
            f"litho.config.override(memory_budget=...))"
        )


def __getattr__(name: str) -> Any:
    if name == "memory_budget":
        return memory_budget_bytes("cpu")
    if name in ("precision", "backend", "fft_engine", "gpu_fft_plan_cache"):
        return getattr(get(), name)
    raise AttributeError(f"module 'litho.config' has no attribute {name!r}")
