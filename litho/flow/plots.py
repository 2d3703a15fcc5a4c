"""Figures of a flow: resist and etched cross-sections, a coloured decomposition.

Each returns a matplotlib Figure (the optional ``plot`` extra) that the caller saves.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._plot import figure_class, new_axes

__all__ = ["plot_cross_sections", "plot_decomposition"]

_MATERIAL_COLORS = ("#c0392b", "#2e86c1", "#7f8c8d", "#27ae60", "#8e44ad", "#d4ac0d")


def plot_cross_sections(resist: Any, etch: Any, cutline: Any, *, title: str | None = None,
                        figsize: tuple[float, float] = (11.0, 3.8)) -> Any:
    """Two panels along one cutline: the developed resist and the etched stack.

    Parameters
    ----------
    resist : ResistProfile
    etch : EtchProfile or None
    cutline : ((x0, y0), (x1, y1)) nm
    """
    Figure = figure_class("plot_cross_sections")
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    panels = 2 if etch is not None else 1
    fig, axes = new_axes(Figure, None, figsize if etch is not None else (6.0, 3.8), panels)
    cut = resist.cross_section(cutline)
    # the resist is where the developer arrived after the develop time (or never): filled
    # between the level-set contour of (arrival time - develop time), sub-voxel
    late = 2.0 * max(cut.develop_time, 1.0)
    field = np.where(np.isfinite(cut.arrival_time), np.minimum(cut.arrival_time, cut.develop_time + late),
                     cut.develop_time + late) - cut.develop_time
    height = resist.thickness - cut.depth
    s_, h_ = np.concatenate([cut.s]), np.concatenate([[resist.thickness], height, [0.0]])
    padded = np.vstack([np.full((1, field.shape[1]), -late), field, field[-1:]])  # developer above the top
    ax = axes[0]
    ax.contourf(s_, h_, padded, levels=[0.0, late + 1.0], colors=[_MATERIAL_COLORS[0]])
    ax.contour(s_, h_, padded, levels=[0.0], colors="k", linewidths=0.8)
    ax.set(xlabel="position along the cut (nm)", ylabel="height above the substrate (nm)",
           title=f"developed resist ({cut.develop_time:g} s)", ylim=(0, resist.thickness * 1.15))
    ax.axhline(0.0, color="k", lw=0.8)
    if etch is not None:
        section = etch.cross_section(cutline)
        ax = axes[1]
        names = section.names
        e = section.elevation
        # the level set on a 4x finer display grid (bilinear), each fine sample coloured by
        # the material of its elevation (the layers are horizontal; the resist is above 0):
        # smooth outlines, exact interfaces
        from scipy import ndimage

        fine = ndimage.zoom(np.asarray(section.phi, dtype=float), 4, order=1)
        ef = np.linspace(e[0], e[-1], fine.shape[0])
        labels = np.zeros(fine.shape)
        for k, (_, top, bottom) in enumerate(etch.stack.interfaces(), start=1):
            labels[(ef < -top) & (ef >= -bottom) if k < len(names) - 1 else (ef < -top)] = k
        labels[fine <= 0] = np.nan
        cmap = ListedColormap(list(_MATERIAL_COLORS[:len(names)]))
        ax.imshow(labels, cmap=cmap, vmin=-0.5, vmax=len(names) - 0.5, origin="upper", aspect="auto",
                  extent=(section.s[0], section.s[-1], e[-1], e[0]), interpolation="nearest")
        ax.contour(section.s, e, section.phi, levels=[0.0], colors="k", linewidths=0.8)
        ax.set(xlabel="position along the cut (nm)", ylabel="elevation above the film top (nm)",
               title=f"after etch ({etch.time:g} s)", ylim=(e[-1], etch.resist_thickness * 1.6))
        ax.legend(handles=[Patch(color=_MATERIAL_COLORS[i], label=n) for i, n in enumerate(names)],
                  loc="upper right", fontsize="small", framealpha=0.9, ncols=len(names))
    if title:
        fig.suptitle(title)
    return fig


def plot_decomposition(decomposition: Any, *, title: str | None = None, figsize: tuple[float, float] = (6.4, 6.0)) -> Any:
    """The masks of a decomposition in colours, conflicts marked (red crosses between the
    conflicting patterns' centroids) and stitches (black dots)."""
    Figure = figure_class("plot_decomposition")
    from matplotlib.patches import Patch, Polygon

    fig, (ax,) = new_axes(Figure, None, figsize)
    colors = ("#2e86c1", "#e67e22", "#27ae60", "#8e44ad")
    for k, mask in enumerate(decomposition.masks):
        for poly in mask.polygons:
            ax.add_patch(Polygon(poly, closed=True, facecolor=colors[k % len(colors)], edgecolor="k", lw=0.3,
                                 alpha=0.85))
    graph = decomposition.graph
    polys = graph.layout.polygons
    pattern = np.asarray(graph.pattern)

    def centroid(i: int) -> np.ndarray:
        return np.mean(np.concatenate([polys[j] for j in np.flatnonzero(pattern == i)]), axis=0)

    if decomposition.conflicts:
        for u, v in decomposition.conflicts:
            a, b = centroid(u), centroid(v)
            ax.plot([a[0], b[0]], [a[1], b[1]], color="red", lw=1.5)
            ax.plot(*(0.5 * (a + b)), marker="x", color="red", ms=8, mew=2)
    if len(decomposition.stitches):
        ax.plot(decomposition.stitches[:, 0], decomposition.stitches[:, 1], "k.", ms=5)
    ax.autoscale_view()
    ax.set_aspect("equal")
    ax.set(xlabel="x (nm)", ylabel="y (nm)",
           title=title or f"{decomposition.n_masks}-mask decomposition: {decomposition.conflict_count} conflicts")
    ax.legend(handles=[Patch(color=colors[k % len(colors)], label=f"mask {k + 1}")
                       for k in range(decomposition.n_masks)], loc="upper right", fontsize="small")
    return fig
