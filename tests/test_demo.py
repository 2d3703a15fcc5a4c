"""``litho demo`` end to end through a subprocess: exit code, files, the summary's closed
forms (etch depth, LELE optimum), the error path for a bad output folder."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def _demo(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "litho.cli", "demo", *args], capture_output=True, text=True,
                          timeout=600, cwd=cwd)


def test_demo_writes_its_files_and_a_sound_summary(tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "demo"
    run = _demo("-o", str(out), "-j")
    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout)
    pngs = ["aerial_image.png", "cross_sections.png", "bossung.png", "ed_window.png", "lele_decomposition.png",
            "lele_print.png"]
    for name in pngs + ["etched_contours.gds", "lele_masks.gds", "summary.json"]:
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name
        assert name in summary["files"]
    for name in pngs:
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary files left
    assert json.loads((out / "summary.json").read_text()) == summary
    single = summary["single_exposure"]
    # the open floor etches at directional + isotropic rate, (1 + 0.05) nm/s x 25 s, exactly
    # (a flat floor moves exactly in the level set; 1e-3 nm)
    assert single["etch_depth_nm"] == pytest.approx(26.25, abs=1e-3)
    # the resist prints the 80 nm lines within 10 % at the demo's dose, sloped walls
    assert single["resist_cd_mid_nm"] == pytest.approx(80.0, rel=0.1)
    assert 60.0 < single["resist_sidewall_deg"] < 90.0
    window = summary["process_window"]
    # aberration-free and symmetric: best focus 0 (to the fine grid's step, 180 nm / 400)
    assert abs(window["best_focus_nm"]) <= 0.5
    assert window["dof_at_5pct_el_nm"] > 100.0
    # dose to size: in focus at the nominal dose the centre line prints its 80 nm (the
    # threshold is solved to 1e-6; the FEM re-measures the same image: 0.01 nm)
    assert window["cd_at_nominal_nm"] == pytest.approx(80.0, abs=0.01)
    lele = summary["lele"]
    # ICCAD-2013 clip 3 at 90 nm: the integer program proves 6 LELE conflicts minimal; a
    # third mask leaves one
    assert lele["lele_conflicts"] == 6 and lele["lele_optimal"] and lele["tpl_conflicts"] == 1
    table = _demo("-o", str(out))
    assert table.returncode == 0 and "DOF at 5 % EL" in table.stdout and "conflicts (LELE / TPL)" in table.stdout


def test_demo_refuses_a_file_as_its_output_folder(tmp_path):
    target = tmp_path / "taken"
    target.write_text("not a folder")
    run = _demo("-o", str(target))
    assert run.returncode == 1
    assert "output" in run.stderr and "a folder" in run.stderr and "Traceback" not in run.stderr
    assert target.read_text() == "not a folder"


def test_demo_help():
    run = subprocess.run([sys.executable, "-m", "litho.cli", "demo", "--help"], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0 and "--output" in run.stdout
