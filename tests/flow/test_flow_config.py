"""Flows from TOML: the example file builds the same flow as the Python API; errors name
the file, the key and its line; ``litho run`` end to end with its error paths."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import litho
from litho.errors import ConfigError
from litho.flow import Flow, load_flow

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "single_exposure.toml"
TEXT = EXAMPLE.read_text()
LINES = litho.Layout.from_rects([[x, 120, x + 80, 280] for x in (120.0, 280.0)])
SMALL = dict(window=(0.0, 0.0, 480.0, 400.0), pixel=8.0, backend="numpy")


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "flow.toml"
    path.write_text(text)
    return path


def _line(text: str, fragment: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if fragment in line)


def test_example_file_builds_the_flow_it_describes():
    config = load_flow(EXAMPLE)
    assert config.pixel == 4.0 and config.window == (0.0, 0.0, 800.0, 800.0) and config.backend == "auto"
    flow = config.flow
    assert flow.mask.polarity == "dark" and flow.resist.dose == 4.3
    assert flow.imaging.optics.na == 1.35 and flow.imaging.optics.immersion == 1.44
    assert flow.resist.process.peb.acid_diffusivity == 1.0 and flow.resist.process.development.n == 5.0
    assert flow.etch.process.rates["resist"].directional == 0.3 and flow.etch.process.ions.spread == 3.0
    assert flow.etch.stack.layers[0].thickness == 40.0 and flow.etch.stack.substrate_thickness == 8.0
    assert Flow.from_toml(EXAMPLE) == flow  # frozen settings all the way down: equal field by field
    # and it runs: the open floor etches (1 + 0.05) nm/s x 25 s (a flat floor moves exactly)
    result = config.run(LINES, **SMALL)
    assert result.summary()["etch_depth_nm"] == pytest.approx(26.25, abs=1e-3)


@pytest.mark.parametrize("old, new, key, problem", [
    ("time = 60.0                    # s", "tme = 60.0", "resist.peb.tme", "unknown key for the bake"),
    ("dose = 4.3 ", "dose = -1.0 ", "resist.dose", "dose"),
    ('kind = "annular"', 'kind = "ring"', "optics.source.kind", "unknown 'ring'"),
    ('model = "mack"', 'model = "dill"', "resist.development.model", "unknown 'dill'"),
    ("na = 1.35", "na = 7.0", "optics.na", "na"),
    ("[mask]", "[masks]", "masks", "unknown table"),
])
def test_bad_keys_and_values_name_the_key_and_line(tmp_path, old, new, key, problem):
    assert old in TEXT
    text = TEXT.replace(old, new, 1)
    with pytest.raises(ConfigError) as info:
        load_flow(_write(tmp_path, text))
    err = info.value
    assert err.key == key and problem in str(err)
    assert err.line == _line(text, new.strip())
    assert f"line {err.line}" in str(err) and str(tmp_path) in str(err)


def test_missing_file_and_bad_toml(tmp_path):
    with pytest.raises(ConfigError, match="no such file"):
        load_flow(tmp_path / "none.toml")
    text = TEXT.replace("pixel = 4.0", "pixel = = 4.0")
    with pytest.raises(ConfigError) as info:
        load_flow(_write(tmp_path, text))
    assert "not valid TOML" in str(info.value) and info.value.line == _line(text, "pixel = = 4.0")
    with pytest.raises(ConfigError) as info:
        load_flow(_write(tmp_path, TEXT.replace("[resist]\n", "[nothing]\n", 1)))
    assert info.value.key == "nothing"


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "litho.cli", *args], capture_output=True, text=True, timeout=600)


def test_litho_run_end_to_end_and_its_errors(tmp_path):
    gds = tmp_path / "lines.gds"
    LINES.write(gds)
    out = tmp_path / "out"
    run = _cli("run", str(EXAMPLE), "--layout", str(gds), "--window", "0", "0", "480", "400", "--pixel", "8",
               "--backend", "numpy", "-o", str(out), "-j")
    assert run.returncode == 0, run.stderr
    metrics = json.loads(run.stdout)
    assert metrics["etch_depth_nm"] == pytest.approx(26.25, abs=1e-3)
    assert json.loads((out / "metrics.json").read_text()) == metrics
    assert np.load(out / "aerial_image.npy").shape == (50, 60)
    printed = litho.Layout.read(out / "printed.gds")
    # 1e-4: the GDS database unit (1e-3 nm) rounds the contour's vertices
    assert len(printed.polygons) == 2 and printed.area() == pytest.approx(metrics["printed_area_nm2"], rel=1e-4)
    # error paths: one line on stderr naming the problem, exit code 1, no traceback
    missing = _cli("run", str(EXAMPLE), "--layout", str(tmp_path / "none.gds"), "-o", str(out))
    assert missing.returncode == 1 and "no such file" in missing.stderr and "Traceback" not in missing.stderr
    bad = _write(tmp_path, TEXT.replace("k_amp = 0.05", "kamp = 0.05"))
    key = _cli("run", str(bad), "--layout", str(gds), "-o", str(out))
    assert key.returncode == 1 and "resist.peb.kamp" in key.stderr
    assert f"line {_line(bad.read_text(), 'kamp = 0.05')}" in key.stderr
    layer = _cli("run", str(EXAMPLE), "--layout", str(gds), "--layer", "7/0", "-o", str(out))
    assert layer.returncode == 1 and "7/0" in layer.stderr and "Traceback" not in layer.stderr
    usage = _cli("run", str(EXAMPLE))
    assert usage.returncode == 2 and "--layout" in usage.stderr


def test_litho_image_and_fem_commands(tmp_path):
    gds = tmp_path / "lines.gds"
    LINES.write(gds)
    grid = ["--window", "0", "0", "480", "400", "--pixel", "8", "--backend", "numpy"]
    image = _cli("image", str(EXAMPLE), "--layout", str(gds), *grid, "-o", str(tmp_path / "img"), "-j")
    assert image.returncode == 0, image.stderr
    stats = json.loads(image.stdout)
    arr = np.load(tmp_path / "img" / "aerial_image.npy")
    assert arr.shape == (50, 60) and stats["shape"] == [50, 60] and stats["max"] == pytest.approx(float(arr.max()))
    # chrome lines: dark under a line's centre (x = 160), bright far from both (x = 440)
    assert arr[25, 20] < 0.3 < 0.8 < arr[25, 55]
    fem = _cli("fem", str(EXAMPLE), "--layout", str(gds), *grid, "--gauge", "100", "200", "220", "200",
               "--target", "55", "--focus", "-80", "80", "5", "--dose", "0.8", "1.25", "5",
               "-o", str(tmp_path / "fem"), "-j")
    assert fem.returncode == 0, fem.stderr
    report = json.loads(fem.stdout)
    rows = (tmp_path / "fem" / "fem.csv").read_text().splitlines()
    assert rows[0] == "focus_nm,dose,cd_g0_nm" and len(rows) == 1 + 25
    # aberration-free and symmetric in focus: the window is centred on focus 0 (to the
    # fine grid's step, 160 nm / 400)
    assert abs(report["best_focus_nm"]) <= 0.5 and report["dof_nm"] > 0
    bad = _cli("fem", str(EXAMPLE), "--layout", str(gds), *grid, "--gauge", "100", "200", "220", "200",
               "--target", "80", "--focus", "-80", "80", "1", "-o", str(tmp_path / "fem"))
    assert bad.returncode == 1 and "focus" in bad.stderr and "Traceback" not in bad.stderr
