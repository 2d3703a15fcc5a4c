"""matplotlib, imported only when a figure is drawn (the optional ``plot`` extra)."""

from __future__ import annotations

from typing import Any


def figure_class(what: str) -> Any:
    """``matplotlib.figure.Figure``, or an ImportError saying how to install it for ``what``."""
    try:
        import matplotlib  # the package itself: a cached submodule alone does not prove it importable
        import matplotlib.figure
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError(f'{what} needs matplotlib: pip install "litho[plot]"') from None
    return matplotlib.figure.Figure


def new_axes(Figure: Any, ax: Any, figsize: tuple[float, float], panels: int = 1) -> tuple[Any, list[Any]]:
    """``(figure, axes)``: the given axes and their figure, or a new figure of ``panels`` side by side.

    No pyplot: figures are plain ``Figure`` objects (from :func:`figure_class`), saved by the caller.
    """
    if ax is not None:
        return ax.figure, [ax]
    fig = Figure(figsize=figsize, layout="constrained")
    return fig, [fig.add_subplot(1, panels, i + 1) for i in range(panels)]
