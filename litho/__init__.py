"""litho: lithography and patterning simulation kernels.

The public API is re-exported here. Submodules load lazily on first attribute access, so
``import litho`` stays cheap (no gdstk, scipy or CuPy import until they are needed).
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS = {
    "Layout": "litho.geometry",
    "rasterize": "litho.geometry",
    "Source": "litho.optics",
    "Pupil": "litho.optics",
    "Optics": "litho.optics",
    "SOCS": "litho.imaging",
    "aerial_image": "litho.imaging",
    "abbe_image": "litho.imaging",
    "decompose": "litho.multipatterning",
    "decompose_sadp": "litho.multipatterning",
    "LithoError": "litho.errors",
    "InvalidParameterError": "litho.errors",
    "LayoutError": "litho.errors",
    "BackendUnavailableError": "litho.errors",
    "MemoryBudgetError": "litho.errors",
}
_SUBMODULES = ("backend", "config", "errors", "geometry", "optics", "imaging", "multipatterning", "resist", "etch", "flow",
               "metrology", "process_window", "datasets", "cli")

__all__ = sorted(list(_EXPORTS) + list(_SUBMODULES) + ["__version__"])


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value  # cache: later look-ups skip __getattr__
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f"litho.{name}")
    raise AttributeError(f"module 'litho' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
