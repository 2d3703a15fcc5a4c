"""``litho demo``: a whole patterning study on bundled data, in well under a minute.

1. A 193 nm immersion single exposure of a line/space pattern with line ends (annular
   illumination), a chemically amplified resist and a directional etch into a film: the
   aerial image with the printed contour over the target, resist and etched
   cross-sections, EPE, resist and etched CDs.
2. Its process window: a focus-exposure matrix of the centre line's CD, Bossung curves,
   the exposure-defocus window for 80 nm +- 10 %, DOF at 5 % exposure latitude.
3. An LELE split of an ICCAD-2013 M1 clip: two masks (conflicts and the proven minimum),
   each imaged, and the union of the two prints against the target (EPE); a TPL split
   for comparison.

Everything is written into the output folder: PNG figures, the printed contours as GDS,
``summary.json``.
"""

from __future__ import annotations

import importlib.util
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["run_demo", "format_summary"]

PIXEL = 4.0  # nm
LINE, PITCH = 80.0, 160.0  # nm
WINDOW = (0.0, 0.0, 800.0, 800.0)  # nm: features stay > 2 lambda/NA from the (periodic) edges
_FIGURES = importlib.util.find_spec("matplotlib") is not None  # the optional plot extra

DOSE = 4.3  # mJ/cm²: the resist below prints the 80 nm lines at about 80 nm (mid-height) here


def _save(fig: Any, path: Path) -> None:
    """Write a figure as PNG atomically (a failed write leaves nothing behind)."""
    from ._atomic import atomic_path

    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=150)


def _optics(defocus: float = 0.0) -> Any:
    import litho

    return litho.Optics(wavelength=193.0, na=1.35, immersion=1.44, source=litho.Source.annular(0.6, 0.9),
                        defocus=defocus)


def _target() -> Any:
    """Three 80 nm lines at 160 nm pitch, 400 nm long, centred in the window."""
    import litho

    x0 = 0.5 * (WINDOW[0] + WINDOW[2]) - 1.5 * PITCH + 0.5 * (PITCH - LINE)
    return litho.Layout.from_rects([[x0 + k * PITCH, 200.0, x0 + k * PITCH + LINE, 600.0] for k in range(3)])


def _single_exposure(out: Path) -> tuple[dict[str, Any], Any]:
    from .etch import EtchProcess, IonFlux, Layer, Rate, Stack
    from .flow import EtchStage, Flow, ImagingStage, ResistStage
    from .flow.plots import plot_cross_sections
    from .metrology import Gauge, cd
    from .metrology.plots import plot_image
    from .resist import CAR, PEB, Mack

    resist = CAR(thickness=60.0, C=0.05, peb=PEB(time=60.0, acid_diffusivity=1.0, k_amp=0.05),
                 development=Mack(r_max=100.0, r_min=0.1, n=5.0, m_th=0.5), develop_time=30.0, nz=15,
                 absorption=0.5)
    etch = EtchProcess({"film": Rate(isotropic=0.05, directional=1.0), "resist": Rate(directional=0.3)},
                       time=25.0, ions=IonFlux(spread=3.0, rings=1, azimuths=4))
    stack = Stack([Layer("film", 40.0)], substrate_thickness=8.0)
    flow = Flow(imaging=ImagingStage(_optics()), resist=ResistStage(resist, DOSE), etch=EtchStage(etch, stack))
    target = _target()
    result = flow.run(target, window=WINDOW, pixel=PIXEL, backend="numpy")
    centre = 0.5 * (WINDOW[0] + WINDOW[2])
    cutline = ((centre - 1.5 * PITCH, 400.0), (centre + 1.5 * PITCH, 400.0))
    gauge = Gauge((centre - 0.5 * PITCH, 400.0), (centre + 0.5 * PITCH, 400.0), name="centre line", region="below")

    if _FIGURES:
        fig = plot_image(result.image.intensity, PIXEL, result.input.origin, target=target,
                         contours=result.contours, epe=result.epe,
                         title="193i aerial image, etched film contour (red) over the target",
                         label="relative intensity")
        _save(fig, out / "aerial_image.png")
        fig = plot_cross_sections(result.resist.profile, result.etch.profile, cutline,
                                  title="resist and etched film across the three lines (y = 400 nm)")
        _save(fig, out / "cross_sections.png")
    result.contours.write(out / "etched_contours.gds")

    summary = result.summary()
    prof = result.resist.profile
    summary["aerial_cd_nm"] = float(cd(result.image.intensity, 0.3, PIXEL, gauge, origin=result.input.origin).cd[0])
    summary["resist_cd_mid_nm"] = float(prof.cd(cutline_centre(cutline), 0.5 * prof.thickness, "line"))
    summary["resist_sidewall_deg"] = float(prof.sidewall_angle(cutline_centre(cutline), feature="line"))
    film = result.etch.profile
    summary["etched_cd_nm"] = float(film.cd(cutline_centre(cutline), -20.0, "line"))
    summary["etch_bias_nm"] = float(film.etch_bias(cutline_centre(cutline), "film"))
    return summary, gauge


def cutline_centre(cutline: Any) -> Any:
    """The middle pitch of a three-pitch cutline (the centre line alone)."""
    (x0, y0), (x1, y1) = cutline
    third = (x1 - x0) / 3.0
    return ((x0 + third, y0), (x1 - third, y1))


def _process_window(out: Path, gauge: Any) -> dict[str, Any]:
    from .geometry.raster import rasterize
    from .imaging import aerial_image
    from .process_window import bossung, ed_window, fem, plot_bossung, plot_ed_window

    shape = (int(WINDOW[3] / PIXEL), int(WINDOW[2] / PIXEL))
    mask = 1.0 - np.asarray(rasterize(_target(), PIXEL, shape, backend="numpy"))  # chrome lines

    def simulate(focus: float) -> Any:
        return aerial_image(mask, _optics(focus), PIXEL, backend="numpy")

    # dose to size: the threshold at which the centre line prints 80 nm in focus at the
    # nominal dose (the CD of a dark line grows with the threshold)
    from scipy.optimize import brentq

    from .metrology import cd

    best = simulate(0.0)
    threshold = brentq(lambda t: cd(best, t, PIXEL, gauge).cd[0] - LINE, 0.2, 0.4, xtol=1e-6)
    focus = np.linspace(-90.0, 90.0, 7)
    dose = np.geomspace(0.8, 1.25, 9)  # 1.0 is the middle sample
    matrix = fem(simulate, focus, dose, [gauge], threshold=threshold, pixel=PIXEL)
    window = ed_window(matrix, LINE, 0.1 * LINE)
    if _FIGURES:
        _save(plot_bossung(matrix, 0, target=LINE, tolerance=0.1 * LINE, dose_unit="x nominal",
                           title=f"Bossung curves, centre line (aerial image, dose to size: threshold "
                                 f"{threshold:.3f})"), out / "bossung.png")
        _save(plot_ed_window(window, el=5.0, dose_unit="x nominal", title="exposure-defocus window, 80 nm +- 10 %"),
              out / "ed_window.png")
    fit = bossung(matrix, 0)
    return {"dof_at_5pct_el_nm": float(window.dof(5.0)), "el_at_100nm_dof_pct": float(window.el(100.0)),
            "best_focus_nm": float(window.best_focus), "best_dose_rel": float(window.best_dose),
            "bossung_best_focus_nm": float(np.nanmedian(fit.best_focus)), "threshold": float(threshold),
            "cd_at_nominal_nm": float(matrix.cd[3, 4, 0])}


def _lele(out: Path) -> dict[str, Any]:
    import litho

    from .flow import epe_summary
    from .flow.plots import plot_decomposition
    from .imaging import aerial_image
    from .metrology import contours, epe
    from .metrology.plots import plot_image

    layout = litho.Layout.read(litho.datasets.iccad2013_clip(3))
    split = litho.decompose(layout, 2, 90.0, stitches=True)
    tpl = litho.decompose(layout, 3, 90.0)
    proof = "proven minimum" if split.optimal else f"lower bound {split.lower_bound:g}"
    if _FIGURES:
        _save(plot_decomposition(split, title=f"LELE split of ICCAD-2013 clip 3 at 90 nm: {split.conflict_count} "
                                              f"conflicts ({proof})"), out / "lele_decomposition.png")
    split.write(out / "lele_masks.gds")
    # each mask printed alone (clear polygons on chrome: bright features), then the union
    shape = (256, 256)
    printed = None
    for mask_layout in split.masks:
        t = np.asarray(litho.rasterize(mask_layout, PIXEL, shape, backend="numpy"))
        image = aerial_image(t, _optics(), PIXEL, backend="numpy")
        printed = image if printed is None else np.maximum(printed, image)
    level = 0.25
    outline = contours(printed, level, PIXEL, empty_ok=True)
    errors = epe(printed, level, PIXEL, layout, length=40.0)
    if _FIGURES:
        fig = plot_image(printed, PIXEL, target=layout, contours=outline, epe=errors,
                         title="LELE: union of the two exposures' prints over the target", label="max of the two images")
        _save(fig, out / "lele_print.png")
    stats = epe_summary(errors)
    return {"lele_conflicts": int(split.conflict_count), "lele_stitches": int(len(split.stitches)),
            "lele_optimal": bool(split.optimal), "tpl_conflicts": int(tpl.conflict_count),
            "lele_epe_max_nm": stats["epe_max_nm"], "lele_epe_rms_nm": stats["epe_rms_nm"]}


def run_demo(out: str | Path = "litho-demo") -> dict[str, Any]:
    """Run the demo, write its files into ``out`` and return the summary (see the module)."""
    from ._atomic import atomic_path
    from ._progress import progress
    from .errors import InvalidParameterError

    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InvalidParameterError("output", str(out), "a folder (it is a file)")
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    summary: dict[str, Any] = {}
    gauge = None
    parts = ("single_exposure", "process_window", "lele")
    for part in progress(parts, "litho demo", total=len(parts)):
        t = time.perf_counter()
        if part == "single_exposure":
            result, gauge = _single_exposure(out)
        elif part == "process_window":
            result = _process_window(out, gauge)
        else:
            result = _lele(out)
        summary[part] = result | {"seconds": round(time.perf_counter() - t, 2)}
    summary["seconds"] = round(time.perf_counter() - start, 2)
    summary["files"] = sorted({p.name for p in out.iterdir() if p.is_file() and not p.name.startswith(".")}
                              | {"summary.json"})
    summary["figures"] = "written" if _FIGURES else 'skipped: matplotlib is not installed (pip install "litho[plot]")'

    with atomic_path(out / "summary.json") as tmp:
        tmp.write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def format_summary(summary: dict[str, Any]) -> str:
    """The summary as an aligned text table."""
    rows = [
        ("single exposure (193i, CAR, etch)", ""),
        ("  aerial CD, centre line", f"{summary['single_exposure']['aerial_cd_nm']:.1f} nm"),
        ("  resist CD (mid-height), sidewall", f"{summary['single_exposure']['resist_cd_mid_nm']:.1f} nm, "
                                           f"{summary['single_exposure']['resist_sidewall_deg']:.1f} deg"),
        ("  etched CD, etch bias", f"{summary['single_exposure']['etched_cd_nm']:.1f} nm, "
                                   f"{summary['single_exposure']['etch_bias_nm']:+.1f} nm"),
        ("  etch depth, resist loss", f"{summary['single_exposure']['etch_depth_nm']:.1f} nm, "
                                      f"{summary['single_exposure']['etch_resist_loss_nm']:.1f} nm"),
        ("  EPE max / RMS (sites)", f"{summary['single_exposure']['epe_max_nm']:.1f} / "
                                    f"{summary['single_exposure']['epe_rms_nm']:.1f} nm "
                                    f"({summary['single_exposure']['epe_sites']})"),
        ("process window (80 nm +- 10 %)", ""),
        ("  DOF at 5 % EL", f"{summary['process_window']['dof_at_5pct_el_nm']:.0f} nm"),
        ("  EL at 100 nm DOF", f"{summary['process_window']['el_at_100nm_dof_pct']:.1f} %"),
        ("  best focus, best dose", f"{summary['process_window']['best_focus_nm']:.1f} nm, "
                                    f"{summary['process_window']['best_dose_rel']:.3f} x"),
        ("LELE split (ICCAD-2013 clip 3, 90 nm)", ""),
        ("  conflicts (LELE / TPL)", f"{summary['lele']['lele_conflicts']} / {summary['lele']['tpl_conflicts']}"),
        ("  EPE of the union, max / RMS", f"{summary['lele']['lele_epe_max_nm']:.1f} / "
                                          f"{summary['lele']['lele_epe_rms_nm']:.1f} nm"),
        ("total time", f"{summary['seconds']:.1f} s"),
        ("figures", summary["figures"]),
    ]
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)
