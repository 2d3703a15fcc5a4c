"""Figures of fields with their printed contours, target outlines and EPE markers (matplotlib).

matplotlib is optional (``pip install "litho[plot]"``) and imported only when a figure is
drawn. Figures are built with :class:`matplotlib.figure.Figure` directly, never through
pyplot, so no global state changes and no window opens; save them with ``fig.savefig``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._plot import figure_class, new_axes
from .._validate import choice, finite_pair
from ..backend import to_numpy
from ..errors import InvalidParameterError
from ..geometry.layout import Layout
from .contours import contours as _contours
from .epe import EPEResult
from .gauges import pixel_pair

__all__ = ["plot_image"]

_TARGET_STYLE = {"color": "#00c8ff", "linestyle": "--", "linewidth": 1.2}
_CONTOUR_STYLE = {"color": "#ff3b30", "linestyle": "-", "linewidth": 1.4}


def _outline(ax: Any, layout: Layout, style: dict[str, Any], label: str) -> list[Any]:
    """Each polygon of ``layout`` as a closed line; the first one carries the legend label."""
    lines = []
    for i, xy in enumerate(layout.polygons):
        closed = np.vstack([xy, xy[:1]])
        (line,) = ax.plot(closed[:, 0], closed[:, 1], label=label if i == 0 else "_nolegend_", **style)
        lines.append(line)
    return lines


def plot_image(field: Any, pixel: Any, origin: tuple[float, float] = (0.0, 0.0), *, level: float | None = None,
               region: str = "above", target: Layout | None = None, contours: Layout | None = None,
               epe: EPEResult | None = None, ax: Any = None, title: str | None = None, cmap: str = "gray",
               label: str = "intensity", epe_cmap: str = "RdBu_r", figsize: tuple[float, float] = (6.4, 5.2)) -> Any:
    """A figure of a 2-D field with its printed contour, the target and EPE markers.

    Parameters
    ----------
    field : array (ny, nx)
        The image (numpy or CuPy; copied to the host).
    pixel : float or (py, px)
        Sample spacing, nm (the axes are in nm; sample (iy, ix) covers its pixel).
    origin : (float, float)
        (x, y) nm of the corner of sample (0, 0)'s pixel.
    level : float, optional
        Contour level; the printed contour is drawn (computed here when ``contours`` is
        None; a level outside the field's range draws nothing).
    region : {"above", "below"}
        Side of the level that is printed, for the computed contour.
    target : Layout, optional
        Target polygons, outlined (dashed).
    contours : Layout, optional
        Printed contours to draw instead of computing them.
    epe : EPEResult, optional
        EPE of one field (1-D ``epe.epe``): the fragment sites are drawn coloured by
        their EPE on a diverging colormap centred on 0 nm (its own colourbar); sites
        without an edge are grey crosses.
    ax : matplotlib Axes, optional
        Draw into these axes (their figure is returned) instead of a new figure.
    title : str, optional
    cmap : str
        Colormap of the field.
    label : str
        Colourbar label of the field (its quantity and unit).
    epe_cmap : str
        Diverging colormap of the EPE markers.
    figsize : (float, float)
        Size of a new figure, inches.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ImportError
        matplotlib is not installed.
    InvalidParameterError
        A field that is not 2-D, a batched ``epe``, a bad pixel, origin or region.
    """
    Figure = figure_class("plot_image")
    from matplotlib.colors import TwoSlopeNorm
    from matplotlib.lines import Line2D

    arr = np.asarray(to_numpy(field), dtype=np.float64)
    if arr.ndim != 2 or arr.size == 0:
        raise InvalidParameterError("field", f"array of shape {arr.shape}", "a 2-D field (ny, nx)")
    py, px = pixel_pair(pixel)
    x0, y0 = finite_pair("origin", origin, "nm")
    choice("region", region, ("above", "below"))
    if epe is not None and (not isinstance(epe, EPEResult) or np.ndim(epe.epe) != 1):
        raise InvalidParameterError("epe", epe, "an EPEResult of one field (1-D epe)")
    for name, value in (("target", target), ("contours", contours)):
        if value is not None and not isinstance(value, Layout):
            raise InvalidParameterError(name, value, "a litho.geometry.Layout")
    ny, nx = arr.shape
    fig, (ax,) = new_axes(Figure, ax, figsize)
    extent = (x0, x0 + nx * px, y0, y0 + ny * py)
    image = ax.imshow(arr, extent=extent, origin="lower", cmap=cmap, interpolation="nearest")
    fig.colorbar(image, ax=ax, label=label, shrink=0.8)
    if contours is None and level is not None and float(arr.min()) < level < float(arr.max()):
        contours = _contours(arr, level, (py, px), (x0, y0), region=region, empty_ok=True)
    handles: list[Any] = []
    if target is not None and len(target):
        _outline(ax, target, _TARGET_STYLE, "target")
        handles.append(Line2D([], [], label="target", **_TARGET_STYLE))
    if contours is not None and len(contours):
        printed = "printed" if level is None else f"printed (level {level:g})"
        _outline(ax, contours, _CONTOUR_STYLE, printed)
        handles.append(Line2D([], [], label=printed, **_CONTOUR_STYLE))
    if epe is not None:
        pts = epe.fragments.points
        ok = epe.status == 0
        if ok.any():
            span = float(np.abs(epe.epe[ok]).max()) or 1.0
            sites = ax.scatter(pts[ok, 0], pts[ok, 1], c=epe.epe[ok], cmap=epe_cmap, s=18, edgecolors="black",
                               linewidths=0.4, norm=TwoSlopeNorm(0.0, -span, span), zorder=3, label="EPE site")
            fig.colorbar(sites, ax=ax, label="EPE (nm)", location="bottom", shrink=0.6, aspect=30)
            handles.append(Line2D([], [], marker="o", linestyle="none", markerfacecolor="white",
                                  markeredgecolor="black", label="EPE site"))
        if (~ok).any():
            ax.scatter(pts[~ok, 0], pts[~ok, 1], marker="x", color="0.6", s=20, zorder=3, label="no edge")
            handles.append(Line2D([], [], marker="x", linestyle="none", color="0.6", label="no edge"))
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    ax.set_aspect("equal")
    ax.set_xlabel("x (nm)")
    ax.set_ylabel("y (nm)")
    if title is not None:
        ax.set_title(title)
    if handles:
        ax.legend(handles=handles, loc="upper right", fontsize="small", framealpha=0.85)
    return fig
