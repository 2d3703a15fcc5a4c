"""The user cache directory (FFTW wisdom, kernel sets) for litho."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def user_cache_dir() -> Path:
    """litho's cache directory, created on first use.

    ``$LITHO_CACHE_DIR`` if set; otherwise the platform's user cache location
    (``$XDG_CACHE_HOME/litho`` or ``~/.cache/litho`` on Linux, ``~/Library/Caches/litho``
    on macOS, ``%LOCALAPPDATA%\\litho\\Cache`` on Windows).
    """
    override = os.environ.get("LITHO_CACHE_DIR")
    if override:
        base = Path(override)
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches" / "litho"
    elif os.name == "nt":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local")) / "litho" / "Cache"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "litho"
    base.mkdir(parents=True, exist_ok=True)
    return base
