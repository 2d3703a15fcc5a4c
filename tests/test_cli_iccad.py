"""`litho iccad2013 eval` and `litho iccad2013 target`, and the PNG orientation convention."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from litho._png import read_gray, write_gray
from litho.cli import main
from litho.datasets import iccad2013 as ic


@pytest.fixture(scope="module")
def target1():
    return ic.target(1, backend="numpy")


@pytest.fixture(scope="module")
def scores1(target1):
    return ic.evaluate(target1, target1)


@pytest.fixture
def target_png(tmp_path):
    png = tmp_path / "target1.png"
    assert main(["iccad2013", "target", "1", "-o", str(png)]) == 0
    return png


def test_target_png_orientation(target_png, target1):
    # PNG row 0 is the top of the picture = y = 2047; array row 0 is y = 0
    with Image.open(target_png) as image:
        assert image.size == (2048, 2048) and image.mode == "L"
        pixels = np.asarray(image)
    assert set(np.unique(pixels)) == {0, 255}
    np.testing.assert_array_equal(pixels[::-1] == 255, target1)
    np.testing.assert_array_equal(read_gray(target_png) == 1.0, target1)  # round trip
    assert not list(target_png.parent.glob(".*"))  # the atomic writer left no temporary file


def test_eval_json_equals_evaluate(target_png, scores1, capsys):
    assert main(["iccad2013", "eval", str(target_png), "--target", "1", "-j"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report == {"l2": scores1["l2"], "pvb": scores1["pvb"], "mask": str(target_png),
                      "target": 1, "reading": "exact"}


def test_eval_text_with_a_target_image_and_legacy_reading(target_png, target1, capsys):
    assert main(["iccad2013", "eval", str(target_png), "--target", str(target_png), "--reading", "legacy"]) == 0
    out = capsys.readouterr().out
    legacy = ic.evaluate(target1, target1, reading="legacy")
    assert out.startswith(f"L2 {legacy['l2']}  PV band {legacy['pvb']}")
    assert "reading legacy" in out


def test_eval_reads_rgb_and_16_bit_masks(tmp_path, target1, scores1, capsys):
    rgb = np.zeros((2048, 2048, 3), np.uint8)
    rgb[target1[::-1]] = 255  # white pattern: luminance 1
    Image.fromarray(rgb).save(tmp_path / "rgb.png")
    write_gray(tmp_path / "deep.png", target1, bits=16)
    with Image.open(tmp_path / "deep.png") as image:
        assert image.mode.startswith("I")  # really a 16-bit file
    for name in ("rgb.png", "deep.png"):
        assert main(["iccad2013", "eval", str(tmp_path / name), "--target", "1", "--json"]) == 0
        report = json.loads(capsys.readouterr().out)
        assert (report["l2"], report["pvb"]) == (scores1["l2"], scores1["pvb"])


def test_continuous_mask_levels(tmp_path):
    # 8-bit values scale by 1/255, 16-bit by 1/65535 (rounded to the nearest level on write)
    ramp = np.linspace(0.0, 1.0, 7)[None, :].repeat(3, axis=0)
    for bits, step in ((8, 1 / 255), (16, 1 / 65535)):
        write_gray(tmp_path / f"ramp{bits}.png", ramp, bits=bits)
        back = read_gray(tmp_path / f"ramp{bits}.png")
        assert np.abs(back - ramp).max() <= step / 2 + 1e-12


def test_missing_mask_file(tmp_path, capsys):
    missing = tmp_path / "missing.png"
    assert main(["iccad2013", "eval", str(missing), "--target", "1"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(missing) in err and "no such file" in err


def test_corrupt_mask_file(tmp_path, target_png, capsys):
    broken = tmp_path / "broken.png"
    broken.write_bytes(target_png.read_bytes()[:200])
    assert main(["iccad2013", "eval", str(broken), "--target", "1"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(broken) in err
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    assert main(["iccad2013", "eval", str(text), "--target", "1"]) == 1
    assert "not an image" in capsys.readouterr().err


def test_wrong_image_size(tmp_path, capsys):
    small = tmp_path / "small.png"
    Image.new("L", (1024, 2048)).save(small)
    assert main(["iccad2013", "eval", str(small), "--target", "1"]) == 1
    err = capsys.readouterr().err
    assert "invalid mask=" in err and "1024x2048" in err and "2048x2048" in err


@pytest.mark.parametrize("argv", [
    ["iccad2013", "eval", "MASK.png", "--target", "11"],
    ["iccad2013", "target", "0", "-o", "x.png"],
])
def test_bad_clip_number(argv, tmp_path, target_png, capsys):
    argv = [str(target_png) if a == "MASK.png" else str(tmp_path / a) if a == "x.png" else a for a in argv]
    assert main(argv) == 1
    assert "invalid index=" in capsys.readouterr().err


def test_unwritable_output(tmp_path, capsys):
    assert main(["iccad2013", "target", "2", "-o", str(tmp_path / "no" / "dir" / "t.png")]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_usage_errors(capsys):
    assert main(["iccad2013"]) == 2
    assert main(["iccad2013", "eval", "mask.png"]) == 2  # --target is required
    assert main(["iccad2013", "eval", "mask.png", "--target", "1", "--reading", "old"]) == 2
    capsys.readouterr()
