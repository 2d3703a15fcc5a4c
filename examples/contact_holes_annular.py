"""Contact holes with annular illumination: aerial image, hole CD, NILS/ILS, resist profile.

What it shows
-------------
A square array of square contact holes (default 60 nm holes at 120 nm pitch) as clear
openings in a dark-field binary mask, imaged by a 193 nm, 1.35 NA water-immersion
scanner with an annular source (sigma 0.5-0.8):

1. the aerial image (``litho.flow`` with ``MaskStage("clear")`` and ``ImagingStage``);
2. the hole CD along x and y through the centre hole at the *dose-to-size* threshold
   (the threshold at which the hole is as wide as drawn along x), with the image
   log-slope (ILS), NILS and contrast there (``litho.metrology.image_quality``);
3. a chemically amplified resist (``litho.resist.CAR``) through ``ResistStage``: the dose
   at which the hole develops to its drawn size at mid-height, the developed hole CDs at
   the top, middle and bottom, the sidewall angle, and the EPE of the printed contour
   against the drawn holes.

The window is three pitches wide and the imaging periodic: an infinite hole array.

Run it
------
    python examples/contact_holes_annular.py             # 1 nm pixels
    python examples/contact_holes_annular.py --fast      # 2 nm pixels, a few seconds
    python examples/contact_holes_annular.py --hole 70 --pitch 140 --no-resist

Outputs (in ``-o/--output``, default ``./example-contact-holes``): ``aerial_image.png``
(image, threshold contour, resist contour and the drawn holes) and
``resist_cross_section.png`` (when matplotlib is installed), ``aerial_image.npy``,
``resist_contours.gds``, ``holes.gds``, ``summary.json``.
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
from litho.flow import Flow, ImagingStage, MaskStage, ResistStage
from litho.metrology import Gauge, cd, contours, image_quality
from litho.resist import CAR, PEB, Mack

N_HOLES = 3  # holes per side in the periodic window
OPTICS = dict(wavelength=193.0, na=1.35, immersion=1.44)


def hole_array(hole: float, pitch: float) -> litho.Layout:
    """``N_HOLES`` x ``N_HOLES`` square holes, centred in their pitch cells."""
    a = 0.5 * (pitch - hole)
    return litho.Layout.from_rects([[i * pitch + a, j * pitch + a, i * pitch + a + hole, j * pitch + a + hole]
                                    for j in range(N_HOLES) for i in range(N_HOLES)])


def bisect(f, lo: float, hi: float, steps: int) -> float:
    """The root of an increasing function f on [lo, hi] (f(lo) < 0 < f(hi)) by bisection."""
    for _ in range(steps):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if f(mid) < 0 else (lo, mid)
    return 0.5 * (lo + hi)


def hole_cd(profile, cutline, height: float | None = None) -> float:
    """Developed hole width along ``cutline`` at ``height`` nm (default mid-height); NaN
    where the hole is not open there (e.g. not cleared to the bottom) or merged."""
    try:
        return float(profile.cd(cutline, height, "space"))
    except litho.InvalidParameterError:
        return math.nan


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fast", action="store_true", help="2 nm pixels, coarse dose search (a few seconds)")
    parser.add_argument("-o", "--output", default="example-contact-holes", help="output folder")
    parser.add_argument("--hole", type=float, default=60.0, help="hole size, nm (default 60)")
    parser.add_argument("--pitch", type=float, default=120.0, help="pitch in x and y, nm (default 120)")
    parser.add_argument("--no-resist", action="store_true", help="stop at the aerial image")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    figures = importlib.util.find_spec("matplotlib") is not None
    hole, pitch = args.hole, args.pitch
    pixel = 2.0 if args.fast else 1.0
    size = N_HOLES * pitch
    window = (0.0, 0.0, size, size)

    target = hole_array(hole, pitch)
    target.write(out / "holes.gds")
    optics = litho.Optics(source=litho.Source.annular(0.5, 0.8), **OPTICS)
    mask_stage = MaskStage(polarity="clear")  # the polygons are openings in chrome
    imaging = ImagingStage(optics)

    # -- aerial image ------------------------------------------------------------------
    aerial = Flow(imaging=imaging, mask=mask_stage).run(target, window=window, pixel=pixel, backend="numpy")
    image = np.asarray(aerial.image.intensity)
    np.save(out / "aerial_image.npy", image)
    c = 0.5 * size  # centre of the middle hole
    gx = Gauge.across((c, c), pitch, "x", name="x")  # bright features: region "above"
    gy = Gauge.across((c, c), pitch, "y", name="y")

    def width_error(level: float) -> float:  # hole - CD_x: the bright hole shrinks as the level rises
        width = float(cd(image, level, pixel, gx).cd[0])
        return -math.inf if math.isnan(width) else hole - width

    threshold = bisect(width_error, float(image.min()) * 1.001 + 1e-6, float(image.max()) * 0.999, 50)
    quality = image_quality(image, threshold, pixel, [gx, gy])
    summary = {
        "hole_nm": hole, "pitch_nm": pitch, "pixel_nm": pixel, "source": "annular 0.5-0.8",
        "image_max": float(image.max()), "image_min": float(image.min()),
        "threshold": threshold,
        "aerial_cd_x_nm": float(quality.cd.cd[0]), "aerial_cd_y_nm": float(quality.cd.cd[1]),
        "ils_x_per_nm": float(quality.ils[0]), "ils_y_per_nm": float(quality.ils[1]),
        "nils_x": float(quality.nils[0]), "nils_y": float(quality.nils[1]),
        "contrast_x": float(quality.contrast[0]),
    }
    threshold_contour = contours(image, threshold, pixel, region="above")

    # -- resist ------------------------------------------------------------------------
    resist_contour = None
    if not args.no_resist:
        car = CAR(thickness=60.0, C=0.05, peb=PEB(time=60.0, acid_diffusivity=1.0, k_amp=0.05),
                  development=Mack(r_max=100.0, r_min=0.1, n=5.0, m_th=0.5), develop_time=30.0,
                  nz=10 if args.fast else 15, absorption=0.5)
        cut_x = ((c - 0.5 * pitch, c), (c + 0.5 * pitch, c))
        cut_y = ((c, c - 0.5 * pitch), (c, c + 0.5 * pitch))

        def resist_error(log_dose: float) -> float:  # resist CD_x at mid-height - hole: rises with dose
            width = hole_cd(ResistStage(car, math.exp(log_dose)).run(aerial.image).profile, cut_x)
            return -math.inf if math.isnan(width) else width - hole  # NaN: not open, far too little dose

        # dose to size: the (log) dose where the developed hole is ``hole`` wide; the image
        # peak is well below 1, so the dose is a few times the clear-field dose to clear
        log_dose = bisect(resist_error, math.log(2.0), math.log(50.0), 8 if args.fast else 14)
        dose = math.exp(log_dose)
        result = Flow(imaging=imaging, resist=ResistStage(car, dose), mask=mask_stage).run(
            target, window=window, pixel=pixel, backend="numpy")
        profile = result.resist.profile
        heights = (0.2 * car.thickness, 0.5 * car.thickness, 0.8 * car.thickness)
        cds = [hole_cd(profile, cut_x, h) for h in heights]
        summary |= {
            "resist_dose_mj_cm2": dose,
            "resist_cd_x_nm": hole_cd(profile, cut_x), "resist_cd_y_nm": hole_cd(profile, cut_y),
            "resist_cd_heights_nm": list(heights), "resist_cd_x_at_heights_nm": cds,
            # 90 - atan(widening / height) between 20 % and 80 % of the thickness
            "resist_sidewall_deg": math.degrees(math.atan2(heights[2] - heights[0], 0.5 * (cds[2] - cds[0]))),
            "resist_thickness_loss_nm": float(profile.thickness_loss),
            "epe_rms_nm": result.summary()["epe_rms_nm"], "epe_max_nm": result.summary()["epe_max_nm"],
        }
        resist_contour = result.contours
        resist_contour.write(out / "resist_contours.gds")
        if figures:
            from litho.flow.plots import plot_cross_sections

            fig = plot_cross_sections(profile, None, ((0.0, c), (size, c)),
                                      title=f"CAR resist across a row of holes (y = {c:g} nm), {dose:.1f} mJ/cm²")
            fig.savefig(out / "resist_cross_section.png", dpi=150)

    if figures:
        from litho.metrology import plot_image

        fig = plot_image(image, pixel, target=target, figsize=(6.4, 5.8), contours=resist_contour if resist_contour is not None
                         else threshold_contour, label="relative intensity (clear field = 1)",
                         title=f"{hole:g} nm holes, {pitch:g} nm pitch, annular 0.5-0.8")
        ax = fig.axes[0]
        for poly in threshold_contour.polygons:  # the dose-to-size aerial contour, dotted
            ring = np.vstack([poly, poly[:1]])
            ax.plot(ring[:, 0], ring[:, 1], color="#f1c40f", ls=":", lw=1.2)
        ax.plot([], [], color="#f1c40f", ls=":", label=f"aerial image at threshold {threshold:.3f}")
        handles, labels = ax.get_legend_handles_labels()
        labels = ["developed resist, mid-height" if (t == "printed" and resist_contour is not None) else t
                  for t in labels]
        ax.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, -0.11), ncols=3, fontsize="small")
        fig.savefig(out / "aerial_image.png", dpi=150)

    summary["figures"] = figures
    summary["seconds"] = round(time.perf_counter() - start, 2)
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")

    print(f"contact holes: {hole:g} nm at {pitch:g} nm pitch, dark-field mask, annular 0.5-0.8, {pixel:g} nm pixels")
    print(f"  image max / min              {summary['image_max']:.3f} / {summary['image_min']:.3f}")
    print(f"  dose-to-size threshold       {threshold:.4f}")
    print(f"  aerial CD x / y              {summary['aerial_cd_x_nm']:.2f} / {summary['aerial_cd_y_nm']:.2f} nm")
    print(f"  ILS x / y                    {summary['ils_x_per_nm']:.4f} / {summary['ils_y_per_nm']:.4f} 1/nm")
    print(f"  NILS x / y, contrast         {summary['nils_x']:.2f} / {summary['nils_y']:.2f}, "
          f"{summary['contrast_x']:.3f}")
    if not args.no_resist:
        print(f"  resist dose to size          {summary['resist_dose_mj_cm2']:.2f} mJ/cm²")
        print(f"  resist CD x / y (mid)        {summary['resist_cd_x_nm']:.2f} / {summary['resist_cd_y_nm']:.2f} nm")
        print("  resist CD x at " + ", ".join(f"{h:g}" for h in heights) + " nm height: "
              + " / ".join(f"{v:.1f}" for v in cds) + f" nm, sidewall {summary['resist_sidewall_deg']:.1f} deg")
        print(f"  EPE RMS / max                {summary['epe_rms_nm']:.2f} / {summary['epe_max_nm']:.2f} nm")
    print(f"  files in {out}/ ({'with' if figures else 'without'} figures), {summary['seconds']:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
