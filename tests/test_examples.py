"""The example scripts in ``examples/`` run end to end in their fast mode (a subprocess
each, as a user runs them): exit code 0, their files written and non-empty, and a check
of each one's ``summary.json`` against physics or against litho called in-process."""

from __future__ import annotations

import importlib.util
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import litho

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
FIGURES = importlib.util.find_spec("matplotlib") is not None  # the scripts skip their PNGs without it

# script -> (data files, PNG figures) it must write besides summary.json
OUTPUTS = {
    "duv_line_space_process_window.py": (["fem_cd.npy", "lines.gds"], ["bossung.png", "ed_window.png"]),
    "contact_holes_annular.py": (["aerial_image.npy", "holes.gds", "resist_contours.gds"],
                                 ["aerial_image.png", "resist_cross_section.png"]),
    "lele_flow.py": (["lele_masks.gds", "printed_contours.gds", "decomposition.json"],
                     ["lele_decomposition.png", "lele_print.png"]),
    "sadp_flow.py": (["target.gds", "sadp.gds", "sadp_conflict.gds"], ["sadp.png", "sadp_conflict.png"]),
    "iccad2013_gpu_batch.py": (["best_mask.npy"], ["nominal_print.png", "bias_sweep.png"]),
}


def check_duv_line_space(out: Path, s: dict) -> None:
    assert s["line_nm"] == 50.0 and s["pitch_nm"] == 100.0
    # dose to size: the 60-step threshold bisection leaves the CD at best focus and the
    # nominal dose (an exact node of the symmetric log-dose axis) at the target to ~1e-9
    # nm; 0.01 nm allows the cubic-spline edge finding
    assert s["cd_best_focus_nominal_dose_nm"] == pytest.approx(50.0, abs=0.01)
    # aberration-free optics and a symmetric source: CD(focus) = CD(-focus), so the window
    # and the Bossung fits are centred on focus 0 (to one step of the fine focus grid)
    assert abs(s["best_focus_nm"]) <= s["fine_focus_step_nm"] + 1e-9
    assert abs(s["bossung_best_focus_nm"]) <= 1.0
    # a printable k1 = 0.35 grating has a real window, inside the +-200 nm matrix
    assert 100.0 < s["dof_at_5pct_el_nm"] <= 400.0
    # the EL-DOF staircase is monotone: DOF(5 %) > 100 nm  <=>  EL(100 nm) > 5 %
    assert s["el_dof_nm"] == 100.0 and s["el_at_dof_pct"] > 5.0
    nf, nd = s["focus_nm"][2], s["dose_rel"][2]
    cd = np.load(out / "fem_cd.npy")
    assert cd.shape == (nf, nd)
    # the matrix itself is symmetric in focus (float32 images: 1e-3 nm)
    np.testing.assert_allclose(cd, cd[::-1], atol=1e-3, equal_nan=True)
    assert len(litho.Layout.read(out / "lines.gds")) == 8


def check_contact_holes(out: Path, s: dict) -> None:
    # square holes on a square grid, a source symmetric under x <-> y: the image is too, so
    # the hole CDs along x and y agree to the float32 image's rounding (1e-3 nm allows it)
    assert s["aerial_cd_x_nm"] == pytest.approx(s["aerial_cd_y_nm"], abs=1e-3)
    assert s["nils_x"] == pytest.approx(s["nils_y"], rel=1e-4)
    # the dose-to-size threshold (50 bisection steps) prints the hole at its drawn 60 nm
    assert s["aerial_cd_x_nm"] == pytest.approx(60.0, abs=0.01)
    # NILS = ILS x CD by definition; a dense 60 nm / 120 nm hole array at 193i has a weak
    # but positive image: NILS between 1 and 3, contrast in (0, 1)
    assert s["nils_x"] == pytest.approx(s["ils_x_per_nm"] * s["aerial_cd_x_nm"], rel=1e-9)
    assert 1.0 < s["nils_x"] < 3.0 and 0.0 < s["contrast_x"] < 1.0
    assert 0.0 < s["threshold"] < s["image_max"] < 1.0  # a dark-field mask: peak below the clear field
    # the resist: symmetric too (1e-3 nm), and at its dose to size (8 bisection steps in
    # ln dose over ln 25: dose within 0.7 %, ~1 nm of CD at this slope; 2 nm allows it)
    assert s["resist_cd_x_nm"] == pytest.approx(s["resist_cd_y_nm"], abs=1e-3)
    assert s["resist_cd_x_nm"] == pytest.approx(60.0, abs=2.0)
    low, mid, high = s["resist_cd_x_at_heights_nm"]
    assert not math.isnan(mid) and (math.isnan(low) or low < mid < high)  # the hole widens upwards
    image = np.load(out / "aerial_image.npy")
    assert image.shape == (180, 180)  # 3 pitches of 120 nm at 2 nm pixels
    assert float(image.max()) == pytest.approx(s["image_max"], rel=1e-6)


def check_lele(out: Path, s: dict) -> None:
    layout = litho.Layout.read(litho.datasets.iccad2013_clip(3))
    split = litho.decompose(layout, 2, 90.0)
    # the script's split is the library's: same proven minimum, same pairs
    assert s["conflicts"] == split.conflict_count and s["optimal"] and split.optimal
    assert [tuple(p) for p in s["conflict_pairs"]] == split.conflicts
    assert s["patterns"] == split.n_patterns and s["stitches"] == 0
    # without stitches the two masks partition the target's polygons: their areas add up
    # to the target's (1e-9 relative: exact rectangle areas)
    masks = litho.Layout.read(out / "lele_masks.gds")
    layers = {tuple(int(v) for v in row) for row in masks.layers.tolist()}
    assert {(100, 0), (101, 0)} <= layers
    assert sum(s["mask_areas_nm2"]) == pytest.approx(layout.area(), rel=1e-9)
    assert masks.select([(100, 0), (101, 0)]).union().area() == pytest.approx(layout.area(), rel=1e-9)
    # at dose to size the union of the two prints has the target's area (bisection to 2^-30
    # of the image range) and prints every pattern once: nothing lost, nothing bridged
    assert s["printed_area_nm2"] == pytest.approx(s["target_area_nm2"], rel=1e-3)
    assert s["lele"]["printed_polygons"] == s["patterns"]
    assert 0.0 < s["lele"]["epe_rms_nm"] < 20.0  # rounded corners and line ends, not missing features
    assert json.loads((out / "decomposition.json").read_text())["conflicts"] == split.conflict_count


def check_sadp(out: Path, s: dict) -> None:
    # a line layout at spacer-width spaces is decomposable: legal, and the process run on
    # the masks prints the target exactly (XOR 0 up to the 1e-6 nm x perimeter tolerance)
    assert s["legal"] and s["conflicts"] == 0 and s["unmakeable"] == 0
    assert s["xor_area_nm2"] <= s["xor_tolerance_nm2"]
    # independent check by exact area rasterization in float64 (coordinates on a 1e-6 nm
    # grid after the booleans: 1e-3 nm² over a ~8e4 nm² target)
    assert s["raster_xor_area_nm2"] < 1e-3
    assert s["printed_area_nm2"] == pytest.approx(s["target_area_nm2"], rel=1e-9)
    assert s["mandrel_features"] + s["trim_features"] == s["features"]
    assert s["mandrel_features"] > 0 and s["trim_features"] > 0  # spacer-spaced neighbours alternate
    # the odd cycle is reported, and makes the result illegal
    demo = s["conflict_demo"]
    assert demo["kinds"] == ["odd_cycle"] and sorted(demo["conflict_features"][0]) == [0, 1, 2]
    assert not demo["legal"]
    written = litho.Layout.read(out / "sadp.gds")
    layers = [tuple(int(v) for v in row) for row in written.layers.tolist()]
    assert layers.count((110, 0)) == s["mandrel_polygons"] and layers.count((111, 0)) == s["trim_polygons"]
    assert (119, 0) not in layers  # no markers for a legal layout
    assert (119, 0) in {tuple(int(v) for v in row) for row in litho.Layout.read(out / "sadp_conflict.gds").layers}


def check_iccad2013(out: Path, s: dict) -> None:
    from litho.backend import resolve_backend
    from litho.datasets import iccad2013

    # the backend "auto" picked: the GPU when CuPy sees one, else numpy (never required)
    assert s["backend"] == resolve_backend("auto")
    assert (s["device"] == "CPU") == (s["backend"] == "numpy")
    # the target as its own mask scores in the subprocess what evaluate gives here (same
    # backend and precision: the same counts exactly)
    target = iccad2013.target(1)
    scores = iccad2013.evaluate(target, target)
    assert s["target_as_mask"] == {"l2": scores["l2"], "pvb": scores["pvb"]}
    assert s["target_pixels"] == int(litho.backend.to_numpy(target).sum())
    assert scores["l2"] > 0 and scores["pvb"] > 0  # no OPC: the bare target does not print as drawn
    # the batch: 4 masks in fast mode, the unbiased one scored as in the single call
    assert s["batch"] == 4 and len(s["l2"]) == len(s["pvb"]) == len(s["biases_nm"]) == 4
    assert s["batch_matches_single"] and 0.0 in s["biases_nm"]
    assert s["batch_s"] > 0.0
    best = np.load(out / "best_mask.npy")
    assert best.shape == (2048, 2048) and best.dtype == bool
    best_index = int(np.argmin(np.add(s["l2"], s["pvb"])))
    assert (s["best_l2"], s["best_pvb"]) == (s["l2"][best_index], s["pvb"][best_index])


CHECKS = {
    "duv_line_space_process_window.py": check_duv_line_space,
    "contact_holes_annular.py": check_contact_holes,
    "lele_flow.py": check_lele,
    "sadp_flow.py": check_sadp,
    "iccad2013_gpu_batch.py": check_iccad2013,
}


@pytest.mark.parametrize("script", sorted(OUTPUTS))
def test_example_runs_fast_and_writes_a_sound_summary(script, tmp_path):
    path = EXAMPLES / script
    out = tmp_path / "out"
    run = subprocess.run([sys.executable, str(path), "--fast", "-o", str(out)], capture_output=True, text=True,
                         timeout=300, cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.strip(), "no summary printed"
    files, figures = OUTPUTS[script]
    for name in files + ["summary.json"] + (figures if FIGURES else []):
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name
    for name in figures if FIGURES else []:
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
    summary = json.loads((out / "summary.json").read_text())
    assert summary["figures"] is FIGURES
    CHECKS[script](out, summary)


def test_every_example_is_tested():
    assert sorted(p.name for p in EXAMPLES.glob("*.py")) == sorted(OUTPUTS)
