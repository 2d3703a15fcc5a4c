"""Progress bars for the command line: tqdm when it is installed and stderr is a terminal.

Library code never draws bars; the ``litho`` commands wrap their long loops with
:func:`progress`, which returns the iterable unchanged when there is nothing to draw on
(pipes, CI logs) or tqdm is missing (the optional ``progress`` extra).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")

__all__ = ["progress"]


def progress(items: Iterable[T], description: str, total: int | None = None, enabled: bool | None = None) -> Iterator[T]:
    """``items``, with a tqdm bar on stderr when enabled (default: stderr is a terminal)."""
    if enabled is None:
        enabled = bool(getattr(sys.stderr, "isatty", lambda: False)())
    if enabled:
        try:
            from tqdm import tqdm
        except ImportError:
            enabled = False
    if not enabled:
        yield from items
        return
    bar: Any = tqdm(items, desc=description, total=total, file=sys.stderr, leave=False, unit="step")
    yield from bar
