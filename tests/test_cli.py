"""The `litho` command line (litho.cli.main)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import litho
from litho import backend
from litho.cli import main


@pytest.fixture(autouse=True)
def _cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("LITHO_CACHE_DIR", str(tmp_path))  # `info` names the wisdom file there


def test_info_text(capsys):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"litho {litho.__version__}")
    for word in ("Python", "numpy", "scipy", "gdstk", "Kernels", "CPU", "FFT", "GPU", "Memory"):
        assert word in out
    for engine in backend.cpu_fft_engines():
        assert engine in out
    if not backend.cupy_available():
        assert "GPU          none (" in out


@pytest.mark.parametrize("flag", ["-j", "--json"])
def test_info_json(capsys, flag):
    assert main(["info", flag]) == 0
    info = json.loads(capsys.readouterr().out)
    assert {"version", "python", "packages", "kernels", "cpu", "fft", "gpu", "memory"} <= set(info)
    assert info["version"] == litho.__version__
    assert info["fft"]["engines"] == backend.cpu_fft_engines()
    assert info["gpu"]["available"] is backend.cupy_available()
    assert info["kernels"]["status"] in ("built", "not built")
    assert info["memory"]["cpu_budget"] > 0
    if not info["gpu"]["available"]:
        assert info["gpu"]["reason"]


def test_no_arguments_prints_help_and_returns_2(capsys):
    assert main([]) == 2
    assert "info" in capsys.readouterr().err


def test_help_and_version(capsys):
    assert main(["--help"]) == 0
    assert "info" in capsys.readouterr().out
    assert main(["info", "--help"]) == 0
    assert "--json" in capsys.readouterr().out
    assert main(["--version"]) == 0
    assert litho.__version__ in capsys.readouterr().out


def test_unknown_command_is_a_usage_error(capsys):
    assert main(["frobnicate"]) == 2
    assert "invalid choice" in capsys.readouterr().err


def test_as_a_subprocess():
    result = subprocess.run(
        [sys.executable, "-m", "litho.cli", "info", "--json"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["version"] == litho.__version__
    assert result.stderr == ""  # no warnings on a plain run
