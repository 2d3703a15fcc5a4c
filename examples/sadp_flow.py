"""SADP (spacer-is-dielectric): mandrel and trim masks for a line layout, verified.

What it shows
-------------
``litho.decompose_sadp(layout, spacer_width)`` assigns every feature of a metal layer to
the *mandrel* mask or to the *trim* mask (non-mandrel wires, defined by the trim shapes
and the spacer) and verifies the masks by running the SADP process geometrically:
mandrels printed, a conformal spacer of width ``s`` around them, mandrels pulled, trim
opened, metal = (mandrel + trim) - spacer. ``xor_area`` is the area of the symmetric
difference of that printed metal and the target: 0 for a legal decomposition.

1. A line layout at half the mandrel pitch: 20 nm lines on a 40 nm pitch with a 20 nm
   spacer (``s`` = the space), lines cut by tip-to-tip gaps, a wide line and a line
   beyond a wide space.
2. Its decomposition: mandrel / non-mandrel counts, conflicts, XOR area, legality; the
   printed metal checked once more by rasterizing it and the target (``litho.rasterize``,
   exact pixel areas).
3. A layout no SADP can make as drawn (three features mutually one spacer apart, an odd
   cycle): the conflict is reported and the result is not legal, even though the
   geometric XOR is 0 here (two trim shapes end up one spacer apart, below the trim
   mask's own minimum space of 2 s).

Run it
------
    python examples/sadp_flow.py            # 16 lines, 0.25 nm raster check
    python examples/sadp_flow.py --fast     # 8 lines, 0.5 nm raster check
    python examples/sadp_flow.py --spacer 16

Outputs (in ``-o/--output``, default ``./example-sadp``): ``sadp.png`` and
``sadp_conflict.png`` (when matplotlib is installed), ``target.gds``, ``sadp.gds`` (mandrel 110/0, trim 111/0, spacer 112/0,
printed 113/0, markers 119/0), ``sadp_conflict.gds``, ``summary.json``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import time
from pathlib import Path

import numpy as np

import litho
from litho.multipatterning import sadp_process


def line_layout(n_lines: int, s: float) -> litho.Layout:
    """``n_lines`` vertical lines ``s`` wide at pitch ``2 s`` (spaces = the spacer width), some
    cut by a tip-to-tip gap of ``3 s``, then a ``2 s`` wide line after one spacer space and
    a line beyond a ``3 s`` space (no constraint to its neighbour)."""
    rects = []
    length = 20 * s
    for k in range(n_lines):
        x = 2 * s * k
        if k % 3 == 1:  # a line cut in two (tips 3 s apart, more than the same-mask space 2 s)
            cut = (6 + 2 * (k % 4)) * s
            rects += [[x, 0.0, x + s, cut], [x, cut + 3 * s, x + s, length]]
        else:
            rects.append([x, 0.0, x + s, length])
    x = 2 * s * n_lines  # one spacer space after the last line
    rects.append([x, 0.0, x + 2 * s, length])  # a wide line
    x += 2 * s + 3 * s
    rects.append([x, 2 * s, x + s, length - 2 * s])  # beyond a wide space
    return litho.Layout.from_rects(rects)


def odd_cycle(s: float, x0: float) -> litho.Layout:
    """Two lines and a bar over both, all one spacer width apart: an odd cycle (unmakeable by
    SADP without changing the layout)."""
    return litho.Layout.from_rects([[x0, 0, x0 + s, 5 * s], [x0 + 2 * s, 0, x0 + 3 * s, 5 * s],
                                    [x0, 6 * s, x0 + 3 * s, 7 * s]])


def raster_xor(a: litho.Layout, b: litho.Layout, pixel: float) -> float:
    """Area where two layouts' exact pixel coverages differ, nm² (a lower bound of the XOR
    area, equal to it when each pixel's coverage of one contains the other's)."""
    x0, y0, x1, y1 = a.bbox
    u0, v0, u1, v1 = b.bbox
    x0, y0, x1, y1 = min(x0, u0) - 4 * pixel, min(y0, v0) - 4 * pixel, max(x1, u1) + 4 * pixel, max(y1, v1) + 4 * pixel
    shape = (int(np.ceil((y1 - y0) / pixel)), int(np.ceil((x1 - x0) / pixel)))
    ca = litho.rasterize(a, pixel, shape, (x0, y0), backend="numpy", dtype="float64")
    cb = litho.rasterize(b, pixel, shape, (x0, y0), backend="numpy", dtype="float64")
    return float(np.abs(np.asarray(ca) - np.asarray(cb)).sum() * pixel * pixel)


def plot(result, target: litho.Layout, title: str, figsize: tuple[float, float] = (11.0, 5.6)):
    """Two panels: the masks (mandrel, trim) over the target; the spacer and printed metal."""
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch, Polygon

    fig = Figure(figsize=figsize, layout="constrained")
    axes = [fig.add_subplot(1, 2, k + 1) for k in range(2)]
    layers = [
        [(result.mandrel, dict(facecolor="#2e86c1", alpha=0.85), "mandrel mask"),
         (result.trim, dict(facecolor="#e67e22", alpha=0.55), "trim mask")],
        [(result.spacer, dict(facecolor="#95a5a6", alpha=0.9), "spacer"),
         (result.printed, dict(facecolor="#27ae60", alpha=0.85), "printed metal")],
    ]
    for ax, panel, name in zip(axes, layers, ("masks", "process: (mandrel + trim) - spacer")):
        handles = []
        for layout, style, label in panel:
            for poly in layout.polygons:
                ax.add_patch(Polygon(poly, closed=True, edgecolor="none", **style))
            handles.append(Patch(label=label, **style))
        for poly in target.polygons:
            ring = np.vstack([poly, poly[:1]])
            ax.plot(ring[:, 0], ring[:, 1], color="k", ls="--", lw=0.8)
        handles.append(Patch(facecolor="none", edgecolor="k", ls="--", label="target"))
        ax.autoscale_view()
        lo, hi = ax.get_ylim()
        ax.set_ylim(lo, hi + 0.3 * (hi - lo))  # head room for the legend
        ax.set_aspect("equal")
        ax.set(xlabel="x (nm)", ylabel="y (nm)", title=name)
        ax.legend(handles=handles, loc="upper right", fontsize="small", framealpha=0.9)
    fig.suptitle(title)
    return fig


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fast", action="store_true", help="8 lines, coarser raster check")
    parser.add_argument("-o", "--output", default="example-sadp", help="output folder")
    parser.add_argument("--spacer", type=float, default=20.0, help="spacer width = line space, nm (default 20)")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    figures = importlib.util.find_spec("matplotlib") is not None
    s = args.spacer
    n_lines = 8 if args.fast else 16
    raster_pixel = 0.5 if args.fast else 0.25  # nm

    target = line_layout(n_lines, s)
    target.write(out / "target.gds")
    result = litho.decompose_sadp(target, s)
    result.write(out / "sadp.gds")
    # the process once more from the written masks, and the XOR by exact rasterization
    _, printed = sadp_process(result.mandrel, result.trim, s)
    check = raster_xor(printed, target, raster_pixel)

    bad_target = odd_cycle(s, 0.0)
    bad = litho.decompose_sadp(bad_target, s)
    bad.write(out / "sadp_conflict.gds")

    if figures:
        n_m = int(result.is_mandrel.sum())
        fig = plot(result, target, f"SADP (spacer is dielectric), spacer {s:g} nm: {n_m} mandrel, "
                                   f"{len(result.features) - n_m} trim-defined wires, XOR area {result.xor_area:g} nm²")
        fig.savefig(out / "sadp.png", dpi=150)
        fig = plot(bad, bad_target, f"an odd cycle at one spacer width: {len(bad.conflicts)} conflict "
                                    f"({bad.conflicts[0].kind if bad.conflicts else 'none'}), "
                                    f"XOR area {bad.xor_area:g} nm²", figsize=(7.5, 5.0))
        fig.savefig(out / "sadp_conflict.png", dpi=150)

    summary = {
        "spacer_nm": s, "features": len(result.features),
        "mandrel_features": int(result.is_mandrel.sum()), "trim_features": int((~result.is_mandrel).sum()),
        "mandrel_polygons": len(result.mandrel), "trim_polygons": len(result.trim),
        "xor_area_nm2": float(result.xor_area), "xor_tolerance_nm2": float(result.xor_tolerance),
        "raster_xor_area_nm2": check, "raster_pixel_nm": raster_pixel,
        "target_area_nm2": float(target.area()), "printed_area_nm2": float(result.printed.area()),
        "conflicts": len(result.conflicts), "unmakeable": len(result.unmakeable), "legal": bool(result.legal),
        "min_mandrel_space_nm": result.min_mandrel_space, "min_trim_space_nm": result.min_trim_space,
        "trim_bias_nm": result.trim_bias,
        "conflict_demo": {"features": len(bad.features), "conflicts": len(bad.conflicts),
                          "kinds": [c.kind for c in bad.conflicts],
                          "conflict_features": [list(c.features) for c in bad.conflicts],
                          "legal": bool(bad.legal), "xor_area_nm2": float(bad.xor_area)},
        "figures": figures, "seconds": round(time.perf_counter() - start, 2),
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")

    print(result.summary())
    print(f"  mandrel / trim polygons      {len(result.mandrel)} / {len(result.trim)} "
          f"(trim bias {result.trim_bias:g} nm into the spacer)")
    print(f"  XOR area (printed vs target) {result.xor_area:g} nm² (tolerance {result.xor_tolerance:g} nm²)")
    print(f"  raster check at {raster_pixel:g} nm       {check:.3g} nm² of {target.area():.0f} nm² target")
    print(f"  odd-cycle layout             {bad.summary()}")
    for issue in bad.conflicts:
        print(f"    {issue.kind}: {issue.reason}")
    print(f"  files in {out}/ ({'with' if figures else 'without'} figures), {summary['seconds']:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
