"""Bundled reference data (ICCAD-2013 lithography kernels and clips).

``path(*parts)`` gives the filesystem path of a bundled file.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["path", "iccad2013_clip"]


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

    if not isinstance(index, int) or not 1 <= index <= 10:
        raise InvalidParameterError("index", index, "an integer from 1 to 10")
    return path("iccad2013", "clips", f"M1_test{index}.glp")
