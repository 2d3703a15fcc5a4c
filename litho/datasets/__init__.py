"""Bundled reference data (ICCAD-2013 lithography kernels and clips) and its evaluator.

``path(*parts)`` gives the filesystem path of a bundled file; ``iccad2013_clip(index)``
the path of a contest clip. :mod:`litho.datasets.iccad2013` reads the contest's kernels
and clips and scores masks with the contest model (imported on first use:
``litho.datasets.iccad2013.evaluate(...)``).
"""

from __future__ import annotations

import importlib
import numbers
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = ["path", "iccad2013_clip", "iccad2013"]


def path(*parts: str) -> Path:
    """Filesystem path of a file shipped in ``litho/datasets``.

    Parameters
    ----------
    *parts : str
        Path components below ``litho/datasets``, e.g. ``("iccad2013", "clips", "M1_test1.glp")``.
    """
    return Path(str(resources.files(__name__).joinpath(*parts)))


def iccad2013_clip(index: int) -> Path:
    """Path of ICCAD-2013 clip ``M1_test{index}.glp`` (index 1..10)."""
    from ..errors import InvalidParameterError

    if isinstance(index, bool) or not isinstance(index, numbers.Integral) or not 1 <= index <= 10:
        raise InvalidParameterError("index", index, "an integer from 1 to 10")
    return path("iccad2013", "clips", f"M1_test{int(index)}.glp")


def __getattr__(name: str) -> Any:
    # the evaluator module loads lazily (it pulls in the imaging code)
    if name == "iccad2013":
        return importlib.import_module(f"{__name__}.iccad2013")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
