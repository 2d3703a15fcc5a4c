"""Figures of process windows: Bossung curves and exposure-defocus windows (matplotlib).

matplotlib is optional (``pip install "litho[plot]"``) and imported only when a figure is
drawn. Figures are built with :class:`matplotlib.figure.Figure` directly, never through
pyplot, so no global state changes and no window opens; save them with ``fig.savefig``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._plot import figure_class, new_axes
from .._validate import positive_number
from ..errors import InvalidParameterError
from .bossung import bossung
from .result import FEMResult
from .window import EDWindow

__all__ = ["plot_bossung", "plot_ed_window"]

_RECT_STYLE = {"color": "#d62728", "linewidth": 2.0}
_ELLIPSE_STYLE = {"color": "#1f4e9c", "linewidth": 1.8, "linestyle": "-"}
_WINDOW_COLOR = "#a8dba8"


def plot_bossung(fem: FEMResult, gauge: str | int, *, target: float | None = None, tolerance: float | None = None,
                 order: int = 4, ax: Any = None, cmap: str = "viridis", dose_unit: str = "mJ/cm²",
                 title: str | None = None, figsize: tuple[float, float] = (6.4, 4.8)) -> Any:
    """Bossung curves: CD against focus, one curve per dose.

    Markers are the measured CDs, lines the least-squares polynomial of
    :func:`~litho.process_window.bossung` (drawn over each dose's printed focus span),
    coloured by dose.

    Parameters
    ----------
    fem : FEMResult
    gauge : str or int
        The gauge to plot.
    target : float, optional
        Target CD, nm: drawn as a dashed line.
    tolerance : float, optional
        Allowed |CD - target|, nm (needs ``target``): the spec band, shaded.
    order : int
        Degree of the fitted polynomials.
    ax : matplotlib Axes, optional
        Draw into these axes (their figure is returned) instead of a new figure.
    cmap : str
        Colormap over dose.
    dose_unit : str
        Unit of the dose in the legend.
    title : str, optional
        Default "Bossung curves: <gauge>".
    figsize : (float, float)
        Size of a new figure, inches.

    Returns
    -------
    matplotlib.figure.Figure
        Lines: per dose the markers then the fit (2 per dose), then the target line.

    Raises
    ------
    ImportError
        matplotlib is not installed.
    InvalidParameterError
        As for :func:`bossung`; a tolerance without a target, a non-positive target or
        tolerance.
    """
    Figure = figure_class("plot_bossung")
    import matplotlib
    from matplotlib.colors import Normalize
    from matplotlib.lines import Line2D

    fit = bossung(fem, gauge, order)
    if target is not None:
        target = positive_number("target", target, "nm")
    if tolerance is not None:
        tolerance = positive_number("tolerance", tolerance, "nm")
        if target is None:
            raise InvalidParameterError("tolerance", tolerance, "None unless a target is given")
    fig, (ax,) = new_axes(Figure, ax, figsize)
    colours = matplotlib.colormaps[cmap](Normalize(fit.dose[0], fit.dose[-1])(fit.dose))
    fine, curves = fit.curves(401)
    handles = []
    for j, dose in enumerate(fit.dose):
        ok = np.isfinite(fit.cd[:, j])
        ax.plot(fit.focus, fit.cd[:, j], linestyle="none", marker="o", markersize=4, color=colours[j])
        if ok.any():
            span = (fine >= fit.focus[ok][0]) & (fine <= fit.focus[ok][-1])
            ax.plot(fine[span], curves[span, j], linestyle="-", linewidth=1.3, color=colours[j])
        else:
            ax.plot([], [], linestyle="-", color=colours[j])
        handles.append(Line2D([], [], color=colours[j], marker="o", markersize=4, label=f"{dose:.4g} {dose_unit}"))
    if target is not None:
        ax.axhline(target, color="black", linestyle="--", linewidth=1.0)
        handles.append(Line2D([], [], color="black", linestyle="--", label=f"target {target:g} nm"))
    if tolerance is not None:
        from matplotlib.patches import Patch

        ax.axhspan(target - tolerance, target + tolerance, color="0.8", alpha=0.5, zorder=0, linewidth=0)
        handles.append(Patch(color="0.8", alpha=0.5, label=f"spec ±{tolerance:g} nm"))
    ax.set_xlim(fit.focus[0], fit.focus[-1])
    ax.set_xlabel("focus (nm)")
    ax.set_ylabel("CD (nm)")
    ax.set_title(title if title is not None else f"Bossung curves: {fit.gauge}")
    ax.grid(True, alpha=0.3)
    ax.legend(handles=handles, title="dose", fontsize="small", ncols=1 if len(handles) <= 9 else 2,
              loc="best", framealpha=0.85)
    return fig


def _dose_ticks(ax: Any, lo: float, hi: float) -> None:
    """Plain-number ticks on a log dose axis spanning far less than a decade."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator, NullLocator

    ax.set_yscale("log")
    ticks = [t for t in MaxNLocator(nbins=6).tick_values(lo, hi) if lo * (1 - 1e-9) <= t <= hi * (1 + 1e-9)]
    ax.set_yticks(ticks)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.yaxis.set_minor_locator(NullLocator())
    ax.set_ylim(lo, hi)


def plot_ed_window(window: EDWindow, *, el: float | None = None, dof: float | None = None, ellipse: bool = True,
                   curve: bool = False, ax: Any = None, curve_ax: Any = None, dose_unit: str = "mJ/cm²",
                   title: str | None = None, figsize: tuple[float, float] | None = None) -> Any:
    """The exposure-defocus window in (focus, dose), with its largest rectangle and ellipse.

    The in-spec region is filled; each gauge's contours CD = target - tolerance (dashed)
    and CD = target + tolerance (solid) are drawn; the rectangle of
    :meth:`EDWindow.max_rectangle` (``el`` or ``dof`` as given, else the largest area),
    the ellipse of :meth:`EDWindow.max_ellipse` and the best focus and dose are marked.
    The dose axis is logarithmic, so the ln-dose ellipse looks like one.

    Parameters
    ----------
    window : EDWindow
    el : float, optional
        EL of the rectangle drawn, %.
    dof : float, optional
        DOF of the rectangle drawn, nm.
    ellipse : bool
        Draw the largest ellipse.
    curve : bool
        Add a second panel with the EL-DOF curve (a new figure gets two panels; with
        ``ax`` given, also give ``curve_ax``).
    ax, curve_ax : matplotlib Axes, optional
        Draw the window (and the curve) into these axes (their figure is returned).
    dose_unit : str
        Unit of the dose axis.
    title : str, optional
        Default "ED window: <gauges>".
    figsize : (float, float), optional
        Size of a new figure, inches.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ImportError
        matplotlib is not installed.
    InvalidParameterError
        Not an EDWindow; ``el`` and ``dof`` both given or out of range; ``curve`` with
        ``ax`` but no ``curve_ax``.
    """
    Figure = figure_class("plot_ed_window")
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.patches import Rectangle as RectPatch

    if not isinstance(window, EDWindow):
        raise InvalidParameterError("window", window, "a litho.process_window.EDWindow")
    curve = bool(curve) or curve_ax is not None
    if curve and ax is not None and curve_ax is None:
        raise InvalidParameterError("curve_ax", None, "axes for the EL-DOF panel when ax is given")
    rect = window.max_rectangle(el=el, dof=dof)
    if figsize is None:
        figsize = (11.5, 5.6) if curve else (6.4, 5.6)
    fig, axes = new_axes(Figure, ax, figsize, 2 if curve else 1)
    ax = axes[0]
    if curve and curve_ax is None:
        curve_ax = axes[1]
    f, d = window.focus, window.dose
    handles: list[Any] = []
    if not window.empty:
        ax.contourf(f, d, window.mask.T.astype(float), levels=[0.5, 1.5], colors=[_WINDOW_COLOR], alpha=0.7)
        handles.append(Patch(color=_WINDOW_COLOR, alpha=0.7, label="in spec"))
    for g, name in enumerate(window.gauges):
        colour = f"C{g % 10}"
        values = np.ma.masked_invalid(window.cd[:, :, g].T)
        t, tol = float(window.target[g]), float(window.tolerance[g])
        for level, style in ((t - tol, "--"), (t + tol, "-")):
            if values.count() and float(values.min()) < level < float(values.max()):
                ax.contour(f, d, values, levels=[level], colors=[colour], linestyles=[style], linewidths=1.1)
            handles.append(Line2D([], [], color=colour, linestyle=style, linewidth=1.1,
                                  label=f"{name}: CD = {level:g} nm"))
    if not rect.empty:
        ax.add_patch(RectPatch((rect.focus_lo, rect.dose_lo), rect.dof, rect.dose_hi - rect.dose_lo, fill=False,
                               zorder=3, **_RECT_STYLE))
        handles.append(Line2D([], [], label=f"rectangle: DOF {rect.dof:.4g} nm, EL {rect.el:.3g} %", **_RECT_STYLE))
    if ellipse and not window.max_ellipse().empty:
        e = window.max_ellipse()
        t = np.linspace(0.0, 2.0 * math.pi, 241)
        ax.plot(e.center_focus + e.semi_focus * np.cos(t),
                np.exp(math.log(e.center_dose) + e.semi_log_dose * np.sin(t)), zorder=3, **_ELLIPSE_STYLE)
        handles.append(Line2D([], [], label=f"ellipse: DOF {e.dof:.4g} nm, EL {e.el:.3g} %", **_ELLIPSE_STYLE))
    if not window.empty:
        ax.plot([window.best_focus], [window.best_dose], linestyle="none", marker="+", markersize=12,
                markeredgewidth=2, color="black", zorder=4)
        handles.append(Line2D([], [], linestyle="none", marker="+", markersize=10, markeredgewidth=2, color="black",
                              label=f"best: {window.best_focus + 0.0 if abs(window.best_focus) > 1e-9 else 0.0:.4g} nm, "
                                    f"{window.best_dose:.4g} {dose_unit}"))
    else:
        ax.text(0.5, 0.5, "no process window: spec not met", transform=ax.transAxes, ha="center", va="center")
    ax.set_xlim(f[0], f[-1])
    _dose_ticks(ax, float(d[0]), float(d[-1]))
    ax.set_xlabel("focus (nm)")
    ax.set_ylabel(f"dose ({dose_unit})")
    ax.set_title(title if title is not None else "ED window: " + ", ".join(window.gauges))
    ax.legend(handles=handles, fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.13), ncols=2,
              frameon=False)
    if curve:
        dofs, els = window.el_dof_curve()
        curve_ax.plot(dofs, els, color="#d62728", linewidth=1.6, label="largest rectangle")
        if not rect.empty:
            curve_ax.plot([rect.dof], [rect.el], linestyle="none", marker="o", color="black",
                          label=f"DOF {rect.dof:.4g} nm, EL {rect.el:.3g} %")
            curve_ax.legend(fontsize="small", loc="upper right")
        else:
            curve_ax.text(0.5, 0.5, "no process window", transform=curve_ax.transAxes, ha="center", va="center")
        curve_ax.set_xlim(left=0.0)
        curve_ax.set_ylim(bottom=0.0)
        curve_ax.set_xlabel("depth of focus (nm)")
        curve_ax.set_ylabel("exposure latitude (%)")
        curve_ax.set_title("EL vs DOF")
        curve_ax.grid(True, alpha=0.3)
    return fig
