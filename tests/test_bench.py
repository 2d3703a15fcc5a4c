"""``litho bench`` writes a complete JSON record (timings are reported, never asserted)."""

from __future__ import annotations

import json

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
