"""Process window of a 193 nm immersion line/space pattern.

What it shows
-------------
Dense lines (default 50 nm lines at 100 nm pitch, k1 = 0.35) imaged by a 1.35 NA water
immersion scanner with an annular (or x-dipole) source, as chrome lines on a clear
binary mask (a positive resist prints them as resist lines):

1. the print threshold is set by *dose to size*: the threshold at which the centre line
   prints at its drawn width at best focus and nominal dose;
2. a focus-exposure matrix (FEM) of the centre line's CD (``litho.process_window.fem``;
   each focus is imaged once, dose is a level on the same image);
3. Bossung curves (CD against focus per dose) and their best focus;
4. the exposure-defocus (ED) window for CD = target +- 10 %, the depth of focus (DOF) at
   5 % exposure latitude (EL) and the EL at a given DOF.

The lines run through the whole window in y and the window is a whole number of pitches
wide in x; the imaging is periodic, so this is an infinite grating.

Run it
------
    python examples/duv_line_space_process_window.py            # full resolution
    python examples/duv_line_space_process_window.py --fast     # coarse, a few seconds
    python examples/duv_line_space_process_window.py --line 45 --pitch 90 --source dipole

Outputs (in ``-o/--output``, default ``./example-duv-line-space``): ``bossung.png``,
``ed_window.png`` (when matplotlib is installed), ``fem_cd.npy`` (CD, nm, shape
(focus, dose)), ``lines.gds`` (the target), ``summary.json``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import time
from pathlib import Path

import numpy as np

import litho
from litho.imaging.mask import BinaryMask
from litho.metrology import Gauge, cd
from litho.process_window import bossung, ed_window, fem, plot_bossung, plot_ed_window

WAVELENGTH, NA, IMMERSION = 193.0, 1.35, 1.44  # nm, -, water at 193 nm
N_PITCHES = 8  # grating periods in the (periodic) window
HEIGHT = 40.0  # nm: window height; the lines run through it, so the image is uniform in y


def source(kind: str) -> litho.Source:
    """Annular 0.6-0.9, or a 40 degree x-dipole (poles across the vertical lines)."""
    if kind == "dipole":
        return litho.Source.dipole(0.6, 0.9, 40.0, axis="x")
    return litho.Source.annular(0.6, 0.9)


def grating(line: float, pitch: float) -> litho.Layout:
    """Vertical chrome lines, ``line`` nm wide, one per pitch, through the window's height."""
    x0 = 0.5 * (pitch - line)
    return litho.Layout.from_rects([[k * pitch + x0, 0.0, k * pitch + x0 + line, HEIGHT] for k in range(N_PITCHES)])


def dose_to_size(image: np.ndarray, target: float, pixel: float, gauge: Gauge) -> float:
    """The intensity threshold at which the line under ``gauge`` prints ``target`` nm wide.

    A dark line widens as the threshold rises, so bisect on the threshold.
    """
    lo, hi = float(image.min()) * 1.001 + 1e-6, float(image.max()) * 0.999
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        width = float(cd(image, mid, pixel, gauge).cd[0])
        if np.isnan(width) or width > target:
            hi = mid
        else:
            lo = mid
    return 0.5 * (lo + hi)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fast", action="store_true", help="coarse grid and matrix (a few seconds)")
    parser.add_argument("-o", "--output", default="example-duv-line-space", help="output folder")
    parser.add_argument("--line", type=float, default=50.0, help="line width, nm (default 50)")
    parser.add_argument("--pitch", type=float, default=100.0, help="pitch, nm (default 100)")
    parser.add_argument("--source", choices=("annular", "dipole"), default="annular")
    parser.add_argument("--dof", type=float, default=100.0, help="DOF at which the EL is reported, nm (default 100)")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    figures = importlib.util.find_spec("matplotlib") is not None

    line, pitch = args.line, args.pitch
    pixel = 2.0 if args.fast else 1.0
    focus = np.linspace(-200.0, 200.0, 11 if args.fast else 21)  # nm
    dose = np.geomspace(0.8, 1.25, 9 if args.fast else 17)  # relative to the dose-to-size dose

    target = grating(line, pitch)
    target.write(out / "lines.gds")
    shape = (round(HEIGHT / pixel), round(N_PITCHES * pitch / pixel))
    mask = BinaryMask(target, polarity="dark").transmission(pixel, shape, backend="numpy")  # chrome lines

    def simulate(defocus: float) -> np.ndarray:
        optics = litho.Optics(WAVELENGTH, NA, source(args.source), immersion=IMMERSION, defocus=defocus)
        return litho.aerial_image(mask, optics, pixel, backend="numpy")

    centre = (N_PITCHES // 2 + 0.5) * pitch  # x of a line centre
    gauge = Gauge((centre - 0.5 * pitch, 0.5 * HEIGHT), (centre + 0.5 * pitch, 0.5 * HEIGHT), name="centre line",
                  region="below")  # a dark feature: the line is where the image is below the threshold
    threshold = dose_to_size(simulate(0.0), line, pixel, gauge)

    matrix = fem(simulate, focus, dose, [gauge], threshold=threshold, pixel=pixel)
    np.save(out / "fem_cd.npy", matrix.cd_of(0))
    window = ed_window(matrix, line, 0.1 * line)
    fit = bossung(matrix, 0)
    nominal = int(np.argmin(np.abs(np.log(dose))))

    if figures:
        label = f"{line:g} nm lines, {pitch:g} nm pitch, {args.source}"
        fig = plot_bossung(matrix, 0, target=line, tolerance=0.1 * line, dose_unit="x E0", figsize=(8.5, 4.8),
                           title=f"Bossung curves: {label} (E0: dose to size)")
        ax = fig.axes[0]
        legend = ax.get_legend()  # move the legend beside the curves, where it hides no point
        ax.legend(handles=legend.legend_handles, labels=[t.get_text() for t in legend.get_texts()], title="dose",
                  fontsize="small", loc="upper left", bbox_to_anchor=(1.02, 1.0))
        fig.savefig(out / "bossung.png", dpi=150)
        fig = plot_ed_window(window, el=5.0, dose_unit="x E0",
                             title=f"ED window, CD {line:g} nm +- 10 % ({label})")
        fig.savefig(out / "ed_window.png", dpi=150)

    summary = {
        "line_nm": line, "pitch_nm": pitch, "source": args.source,
        "k1": 0.5 * pitch * NA / WAVELENGTH,
        "pixel_nm": pixel, "focus_nm": [float(focus[0]), float(focus[-1]), int(focus.size)],
        "dose_rel": [float(dose[0]), float(dose[-1]), int(dose.size)],
        "threshold": threshold,
        "cd_best_focus_nominal_dose_nm": float(matrix.cd_of(0)[focus.size // 2, nominal]),
        "bossung_best_focus_nm": float(np.nanmedian(fit.best_focus)),
        "dof_at_5pct_el_nm": float(window.dof(5.0)),
        "el_at_dof_pct": float(window.el(args.dof)), "el_dof_nm": args.dof,
        "best_focus_nm": float(window.best_focus), "best_dose_rel": float(window.best_dose),
        "fine_focus_step_nm": float(window.focus[1] - window.focus[0]),
        "figures": figures,
        "seconds": round(time.perf_counter() - start, 2),
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")

    print(f"193i line/space: {line:g} nm lines at {pitch:g} nm pitch (k1 = {summary['k1']:.3f}), {args.source} source")
    print(f"  dose-to-size threshold      {threshold:.4f} (relative intensity)")
    print(f"  CD at best focus, nominal   {summary['cd_best_focus_nominal_dose_nm']:.2f} nm")
    print(f"  Bossung best focus          {summary['bossung_best_focus_nm']:+.1f} nm")
    print(f"  DOF at 5 % EL               {summary['dof_at_5pct_el_nm']:.0f} nm")
    print(f"  EL at {args.dof:g} nm DOF           {summary['el_at_dof_pct']:.1f} %")
    print(f"  best focus, best dose       {summary['best_focus_nm']:+.1f} nm, {summary['best_dose_rel']:.3f} x")
    print(f"  files in {out}/ ({'with' if figures else 'without'} figures), {summary['seconds']:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
