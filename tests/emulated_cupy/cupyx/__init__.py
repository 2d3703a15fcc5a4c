"""Emulated ``cupyx`` (see the ``cupy`` emulation's docstring)."""

from . import scipy  # noqa: F401
