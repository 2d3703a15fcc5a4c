"""ICCAD-2013 mask scoring: one clip, one mask, then a timed batch of masks (GPU if present).

What it shows
-------------
1. A bundled ICCAD-2013 clip (``litho.datasets.iccad2013.clip``) and its target on the
   contest grid (2048 x 2048 pixels of 1 nm, pixel-centre rule,
   ``litho.datasets.iccad2013.target``).
2. The target used as its own mask, scored with the contest model
   (``litho.datasets.iccad2013.evaluate``): L2 (pixels where the nominal print differs
   from the target) and PV band (pixels where the outer and inner process corners' prints
   differ). No OPC: the L2 is what OPC/ILT then has to remove.
3. A batch of masks, the target biased per edge in steps of 3 nm (a quarter of them
   shrunk, the rest grown; ``litho.metrology.bias_layout``), scored in one call
   on backend "auto": the GPU when CuPy and a CUDA device are usable, the CPU otherwise.
   The call is timed after a warm-up call (the single mask above: kernel loading, FFT
   plans), and the best bias by L2 + PV band is reported.

Nothing here needs a GPU; ``--backend numpy`` forces the CPU, ``--backend cupy`` the GPU
(an error without one).

Run it
------
    python examples/iccad2013_gpu_batch.py                # clip 1, a batch of 16 masks
    python examples/iccad2013_gpu_batch.py --fast         # a batch of 4
    python examples/iccad2013_gpu_batch.py --clip 7 --batch 64 --backend cupy

Outputs (in ``-o/--output``, default ``./example-iccad2013``): ``nominal_print.png`` and
``bias_sweep.png`` (when matplotlib is installed), ``best_mask.npy`` (bool, 2048 x 2048,
row 0 at y = 0), ``summary.json``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import time
from pathlib import Path

import numpy as np

import litho
from litho.backend import asarray, gpu_info, resolve_backend, to_numpy
from litho.datasets import iccad2013
from litho.metrology import bias_layout

BIAS_STEP = 3.0  # nm per edge between the masks of the batch


def biased_masks(layout: litho.Layout, biases: np.ndarray, backend: str):
    """The clip grown by each bias (nm per edge), rasterized on the contest grid: bool (n, 2048, 2048)."""
    masks = [iccad2013_raster(bias_layout(layout, float(b))) for b in biases]
    return asarray(np.stack(masks), backend)


def iccad2013_raster(layout: litho.Layout) -> np.ndarray:
    """A layout (contest frame, nm) on the contest grid by the pixel-centre rule, bool."""
    if not len(layout):
        return np.zeros(iccad2013.SHAPE, dtype=bool)
    return np.asarray(litho.rasterize(layout, iccad2013.PIXEL, iccad2013.SHAPE, mode="center",
                                      backend="numpy")) > 0.5


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fast", action="store_true", help="a batch of 4 masks")
    parser.add_argument("-o", "--output", default="example-iccad2013", help="output folder")
    parser.add_argument("--clip", type=int, default=1, help="ICCAD-2013 clip 1..10 (default 1)")
    parser.add_argument("--batch", type=int, default=None, help="masks in the timed batch (default 16, --fast 4)")
    parser.add_argument("--backend", choices=("auto", "numpy", "cupy"), default="auto")
    args = parser.parse_args(argv)
    n_batch = args.batch if args.batch is not None else (4 if args.fast else 16)
    if n_batch < 1:
        parser.error("--batch must be at least 1")

    start = time.perf_counter()
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    figures = importlib.util.find_spec("matplotlib") is not None
    try:
        backend = resolve_backend(args.backend)  # "numpy" or "cupy"
    except litho.BackendUnavailableError as exc:  # --backend cupy without CuPy or a GPU
        parser.error(str(exc))
    device = gpu_info().get("name", "GPU") if backend == "cupy" else "CPU"

    layout = iccad2013.clip(args.clip).translate(*iccad2013.OFFSET)  # the contest frame
    target = iccad2013.target(args.clip, backend=backend)  # bool (2048, 2048) on the backend

    # -- the target as its own mask ----------------------------------------------------
    t = time.perf_counter()
    own = iccad2013.evaluate(target, target)  # first call: loads the kernels
    first_call_s = time.perf_counter() - t

    # -- a timed batch -----------------------------------------------------------------
    biases = BIAS_STEP * (np.arange(n_batch) - n_batch // 4)  # includes 0
    masks = biased_masks(layout, biases, backend)
    t = time.perf_counter()
    scores = iccad2013.evaluate(masks, target)  # the counts come back to the host: synchronised
    batch_s = time.perf_counter() - t
    l2, pvb = np.asarray(scores["l2"]), np.asarray(scores["pvb"])
    zero = int(np.flatnonzero(biases == 0)[0])
    best = int(np.argmin(l2 + pvb))
    np.save(out / "best_mask.npy", to_numpy(masks[best]))

    if figures:
        from matplotlib.figure import Figure

        from litho.metrology import plot_image

        nominal = to_numpy(iccad2013.corner_images(target)["nominal"])
        fig = plot_image(nominal, iccad2013.PIXEL, level=iccad2013.PRINT_THRESHOLD, target=layout,
                         label="intensity (ICCAD-2013 kernels)",
                         title=f"clip {args.clip}, target as mask: nominal print (I >= {iccad2013.PRINT_THRESHOLD})"
                               f"\nL2 {own['l2']} nm², PV band {own['pvb']} nm²")
        x0, y0, x1, y1 = layout.bbox
        fig.axes[0].set(xlim=(x0 - 150, x1 + 150), ylim=(y0 - 150, y1 + 150))  # the clip, not the empty frame
        fig.savefig(out / "nominal_print.png", dpi=150)

        fig = Figure(figsize=(6.4, 4.4), layout="constrained")
        ax = fig.add_subplot()
        ax.plot(biases, l2, "o-", label="L2")
        ax.plot(biases, pvb, "s-", label="PV band")
        ax.plot(biases, l2 + pvb, "^--", label="L2 + PV band")
        ax.axvline(biases[best], color="0.5", lw=0.8, ls=":")
        ax.set(xlabel="mask bias per edge (nm)", ylabel="pixels (nm²)",
               title=f"clip {args.clip}: biased target as mask, {n_batch} masks in {batch_s:.2f} s on {device}")
        ax.grid(True, alpha=0.3)
        ax.legend()
        fig.savefig(out / "bias_sweep.png", dpi=150)

    summary = {
        "clip": args.clip, "backend": backend, "device": device,
        "target_pixels": int(to_numpy(target).sum()),
        "target_as_mask": {"l2": int(own["l2"]), "pvb": int(own["pvb"])},
        "first_call_s": round(first_call_s, 3),
        "batch": n_batch, "batch_s": round(batch_s, 3), "per_mask_ms": round(1e3 * batch_s / n_batch, 1),
        "biases_nm": biases.tolist(), "l2": l2.tolist(), "pvb": pvb.tolist(),
        "best_bias_nm": float(biases[best]), "best_l2": int(l2[best]), "best_pvb": int(pvb[best]),
        # the unbiased mask of the batch is the target itself: the same score as the single call
        "batch_matches_single": bool(l2[zero] == own["l2"] and pvb[zero] == own["pvb"]),
        "figures": figures, "seconds": round(time.perf_counter() - start, 2),
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")

    print(f"ICCAD-2013 clip {args.clip}: {len(layout)} polygons, {summary['target_pixels']} target pixels")
    print(f"  backend                      {backend} ({device})")
    print(f"  target as mask: L2, PV band  {own['l2']}, {own['pvb']} nm² (first call {first_call_s:.2f} s)")
    print(f"  batch of {n_batch:<3d} masks            {batch_s:.3f} s, {summary['per_mask_ms']:.1f} ms per mask")
    print("  bias (nm):  " + " ".join(f"{b:+7.0f}" for b in biases))
    print("  L2:         " + " ".join(f"{v:7d}" for v in l2))
    print("  PV band:    " + " ".join(f"{v:7d}" for v in pvb))
    print(f"  best bias {biases[best]:+g} nm: L2 {l2[best]}, PV band {pvb[best]}; "
          f"batch matches the single call: {summary['batch_matches_single']}")
    print(f"  files in {out}/ ({'with' if figures else 'without'} figures), {summary['seconds']:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
