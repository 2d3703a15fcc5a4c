"""LELE double patterning of an ICCAD-2013 M1 clip: split, image each mask, measure the union.

What it shows
-------------
1. ``litho.decompose(layout, 2, min_space)`` splits a dense metal clip (default ICCAD-2013
   clip 3 at 90 nm minimum same-mask space) into two masks. The exact solver proves the
   minimum number of conflicts (pattern pairs closer than ``min_space`` left on one mask,
   which no 2-colouring avoids: odd cycles of the conflict graph); ``--stitches`` lets it
   split polygons at stitch candidates.
2. Each mask is imaged alone (clear polygons in chrome, 193i annular source) and printed
   at a constant threshold; the two exposures' prints are combined as their union, which
   is the level set of the pixel-wise maximum of the two images at the same threshold.
   The threshold is set by *dose to size*: the printed area equals the target's area.
3. The edge placement error (``litho.metrology.epe``) of that union against the target,
   and, for comparison, of the whole layout printed in a single exposure (also at its
   dose to size; the ICCAD-2013 clips were drawn for a single 193i exposure, so it
   prints them too: LELE is there for the spaces below ``min_space``).

The masks (layers 100 and 101, conflict markers on 200) are written as GDS.

Run it
------
    python examples/lele_flow.py              # 2 nm pixels
    python examples/lele_flow.py --fast       # 4 nm pixels, a few seconds
    python examples/lele_flow.py --clip 5 --min-space 80 --stitches

Outputs (in ``-o/--output``, default ``./example-lele``): ``lele_decomposition.png``,
``lele_print.png`` (when matplotlib is installed), ``lele_masks.gds``,
``printed_contours.gds``, ``decomposition.json``, ``summary.json``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import time
from pathlib import Path

import numpy as np

import litho
from litho.imaging.mask import BinaryMask
from litho.metrology import contours, epe

WINDOW = 1024.0  # nm: the clips lie in (0, 1024) nm, at least 80 nm from the edges
FRAGMENT = 40.0  # nm: EPE fragment length


def optics() -> litho.Optics:
    return litho.Optics(wavelength=193.0, na=1.35, immersion=1.44, source=litho.Source.annular(0.6, 0.9))


def image_of(layout: litho.Layout, pixel: float) -> np.ndarray:
    """Aerial image of ``layout`` as clear openings in chrome (a trench / metal mask)."""
    n = round(WINDOW / pixel)
    mask = BinaryMask(layout, polarity="clear").transmission(pixel, (n, n), backend="numpy")
    return litho.aerial_image(mask, optics(), pixel, backend="numpy")


def epe_stats(result) -> dict[str, float]:
    values = np.asarray(result.epe)[result.ok]
    return {"epe_max_nm": float(np.max(np.abs(values))) if values.size else math.nan,
            "epe_rms_nm": float(np.sqrt(np.mean(values**2))) if values.size else math.nan,
            "epe_sites": int(values.size), "epe_sites_failed": int((~result.ok).sum())}


def area_to_size(image: np.ndarray, target: litho.Layout, pixel: float) -> float:
    """Dose to size for a 2-D layout: the print threshold at which the printed area equals
    the target's area (bisection; the printed area shrinks as the threshold rises)."""
    lo, hi = float(image.min()) + 1e-6, float(image.max()) - 1e-6
    goal = target.area()
    for _ in range(30):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if contours(image, mid, pixel, region="above").area() > goal else (lo, mid)
    return 0.5 * (lo + hi)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fast", action="store_true", help="4 nm pixels (a few seconds)")
    parser.add_argument("-o", "--output", default="example-lele", help="output folder")
    parser.add_argument("--clip", type=int, default=3, help="ICCAD-2013 clip 1..10 (default 3)")
    parser.add_argument("--min-space", type=float, default=90.0, help="same-mask minimum space, nm (default 90)")
    parser.add_argument("--stitches", action="store_true", help="allow stitches")
    parser.add_argument("--threshold", type=float, default=None,
                        help="print threshold, relative intensity (default: each at its dose to size)")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    figures = importlib.util.find_spec("matplotlib") is not None
    pixel = 4.0 if args.fast else 2.0
    level = args.threshold
    if level is not None and not 0.0 < level < 1.0:
        parser.error("--threshold must lie in (0, 1)")

    layout = litho.Layout.read(litho.datasets.iccad2013_clip(args.clip))
    split = litho.decompose(layout, 2, args.min_space, stitches=args.stitches)
    split.write(out / "lele_masks.gds")
    (out / "decomposition.json").write_text(json.dumps(split.to_dict(), indent=2) + "\n")

    # each mask exposed alone; the union of the two prints is where max(I1, I2) >= level
    images = [image_of(mask, pixel) for mask in split.masks]
    union = np.maximum(images[0], images[1])
    single = image_of(layout, pixel)  # the whole clip in one exposure, for comparison
    if level is None:  # each process at its own dose to size
        level = area_to_size(union, layout, pixel)
        single_level = area_to_size(single, layout, pixel)
    else:
        single_level = level
    printed = contours(union, level, pixel, region="above", empty_ok=True)
    printed.write(out / "printed_contours.gds")
    lele_epe = epe(union, level, pixel, layout, region="above", length=FRAGMENT)
    single_epe = epe(single, single_level, pixel, layout, region="above", length=FRAGMENT)
    single_printed = contours(single, single_level, pixel, region="above", empty_ok=True)

    if figures:
        from litho.flow.plots import plot_decomposition
        from litho.metrology import plot_image

        proof = "proven minimum" if split.optimal else f"lower bound {split.lower_bound:g}"
        fig = plot_decomposition(split, title=f"LELE split, ICCAD-2013 clip {args.clip} at {args.min_space:g} nm:\n"
                                              f"{split.conflict_count} conflicts ({proof}, red)")
        fig.savefig(out / "lele_decomposition.png", dpi=150)
        fig = plot_image(union, pixel, target=layout, contours=printed, epe=lele_epe, figsize=(7.0, 5.6),
                         label="max of the two exposures' images",
                         title=f"LELE print (union of two exposures, threshold {level:.3f}) over the target")
        fig.savefig(out / "lele_print.png", dpi=150)

    areas = split.mask_areas()
    summary = {
        "clip": args.clip, "min_space_nm": args.min_space, "pixel_nm": pixel,
        "threshold": level, "single_exposure_threshold": single_level,
        "patterns": int(split.n_patterns), "conflict_edges": int(split.n_edges),
        "conflicts": int(split.conflict_count), "conflict_pairs": [list(p) for p in split.conflicts],
        "stitches": int(len(split.stitches)), "optimal": bool(split.optimal),
        "mask_polygons": [len(m) for m in split.masks], "mask_areas_nm2": [float(a) for a in areas],
        "target_area_nm2": float(layout.area()), "printed_area_nm2": float(printed.area()),
        "lele": epe_stats(lele_epe) | {"printed_polygons": len(printed)},
        "single_exposure": epe_stats(single_epe) | {"printed_polygons": len(single_printed)},
        "figures": figures, "seconds": round(time.perf_counter() - start, 2),
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")

    print(f"LELE: ICCAD-2013 clip {args.clip}, {split.n_patterns} patterns, min space {args.min_space:g} nm")
    print(f"  conflict graph              {split.n_edges} edges")
    print(f"  conflicts                   {split.conflict_count} ({'proven minimum' if split.optimal else 'heuristic'})"
          f", pairs {split.conflicts}")
    print(f"  stitches                    {len(split.stitches)}")
    print(f"  mask areas                  {areas[0]:.0f} / {areas[1]:.0f} nm²")
    for name, stats, at in (("LELE union", summary["lele"], level),
                            ("single exposure", summary["single_exposure"], single_level)):
        print(f"  {name + ':':<27} threshold {at:.3f}, EPE max {stats['epe_max_nm']:.1f} nm, "
              f"RMS {stats['epe_rms_nm']:.1f} nm ({stats['epe_sites']} sites, {stats['epe_sites_failed']} without "
              f"an edge), {stats['printed_polygons']} printed polygons")
    print(f"  files in {out}/ ({'with' if figures else 'without'} figures), {summary['seconds']:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
