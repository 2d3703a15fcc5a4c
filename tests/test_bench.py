"""``litho bench`` writes a complete JSON record (timings are reported, never asserted)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from litho.cli import main


def test_bench_writes_json_record(tmp_path, capsys):
    out = tmp_path / "bench.json"
    code = main(["bench", "--backend", "numpy", "--batch", "2", "--repeat", "1",
                 "--cases", "iccad_single,iccad_batch,rasterize_20k", "-o", str(out)])
    assert code == 0
    record = json.loads(out.read_text())
    assert json.loads(capsys.readouterr().out) == record
    assert record["backend"] == "numpy" and record["device"]
    assert set(record["results"]) == {"iccad_single", "iccad_batch", "rasterize_20k"}
    batch = record["results"]["iccad_batch"]
    assert batch["batch"] == 2 and batch["clips_per_second"] == pytest.approx(2 / batch["seconds"])
    assert all(case["seconds"] > 0 for case in record["results"].values())


def test_bench_rejects_unknown_cases(capsys):
    assert main(["bench", "--cases", "warp_drive"]) == 1
    assert "--cases" in capsys.readouterr().err


def test_bench_resist_cases_on_a_small_volume():
    from litho.bench import run_benchmarks

    record = run_benchmarks("numpy", repeat=1, cases=("peb", "develop"), resist_shape=(8, 32, 32))
    assert set(record["results"]) == {"peb", "develop"}
    assert all(case["seconds"] > 0 and case["shape"] == [8, 32, 32] for case in record["results"].values())


def test_bench_fem_and_etch_cases_on_small_scenes():
    from litho.bench import fem_clip, run_benchmarks

    record = run_benchmarks("numpy", repeat=1, cases=("fem", "etch_3d"), fem_size=256, etch_shape=(32, 64),
                            etch_steps=5)
    fem_case, etch_case = record["results"]["fem"], record["results"]["etch_3d"]
    assert fem_case["shape"] == [256, 256] and fem_case["gauges"] == len(fem_clip(256)[1]) == 2
    # 40 nm resist + 70 nm film + 10 nm substrate + headroom above, on 1 nm cells
    assert etch_case["steps"] == 5 and etch_case["shape"][1:] == [32, 64] and etch_case["shape"][0] > 120
    assert fem_case["seconds"] > 0 and etch_case["seconds"] > 0


def test_fem_bench_clip_has_the_stated_gauges_and_prints():
    """The clip behind the FEM target: 20 distinct gauges inside 1024^2, and its spaces
    print over the matrix at the benchmark's threshold (a scene that measures nothing
    would time the wrong work)."""
    from litho.bench import FEM_DOSE, FEM_FOCUS, FEM_THRESHOLD, fem_clip
    from litho.imaging import aerial_image
    from litho.imaging.mask import BinaryMask
    from litho.optics import Optics, Source
    from litho.process_window import fem

    layout, gauges = fem_clip(1024)
    assert len(gauges) == 20 and len({g.name for g in gauges}) == 20
    assert all(0 <= c <= 1024 for g in gauges for c in (*g.start, *g.end))
    small, small_gauges = fem_clip(384)  # 4 spaces (a 256 nm clip leaves a 31 nm wrap-around bar that bridges)
    optics = Optics(193.0, 1.35, Source.annular(0.6, 0.9), immersion=1.44)
    result = fem(lambda f: aerial_image(BinaryMask(small), optics.with_defocus(f), 1.0, method="abbe",
                                        shape=(384, 384), backend="numpy"),
                 FEM_FOCUS, FEM_DOSE, small_gauges, threshold=FEM_THRESHOLD, pixel=1.0)
    assert len(small_gauges) == 4
    cd = result.cd
    # the spaces print, resolved (narrower than the 90 nm pitch), at the nominal dose through
    # the whole focus range and at every dose within 40 nm of focus; they bridge only in
    # the matrix's high-dose, large-defocus corners (a real window, not an empty table)
    nominal = cd[:, len(FEM_DOSE) // 2]
    near_focus = cd[np.abs(np.asarray(FEM_FOCUS)) <= 40.0]
    for printed in (nominal, near_focus):
        assert np.all(np.isfinite(printed)) and np.all((printed > 30.0) & (printed < 90.0))
    assert np.isnan(cd[0, -1]).all() and np.isnan(cd[-1, -1]).all()
    # no aberrations and a clip mirror-symmetric about x = 180 nm: Bossung curves symmetric
    # in focus, and spaces 1 and 2 equal (1e-3 nm: float32 images, cubic interpolation)
    printed = np.isfinite(cd)
    assert np.array_equal(printed, printed[::-1])
    np.testing.assert_allclose(cd[printed], cd[::-1][printed], atol=1e-3)
    np.testing.assert_allclose(cd[..., 1], cd[..., 2], atol=1e-3)
