"""The README's example must run as written, and its set-up commands must be what CI runs."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

README = Path(__file__).resolve().parents[1] / "README.md"


def _blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```$", README.read_text(), flags=re.S | re.M)


def test_readme_example_runs(capsys):
    (example,) = _blocks("python")
    namespace: dict = {}
    exec(compile(example, str(README), "exec"), namespace)
    mask, image, abbe = namespace["mask"], namespace["image"], namespace["abbe"]
    # M1_test1's polygons cover a whole number of nm^2 on a 1 nm grid: the exact area
    # coverage sums to that area (float32 sum of 0/1 values: exact below 2^24)
    assert mask.dtype == np.float32 and float(mask.sum()) == namespace["layout"].area()
    assert image.dtype == np.float32 and image.shape == (2048, 2048) and image.min() >= 0
    assert abbe.dtype == np.float64
    # same sampled source; SOCS keeps 99.9 % of the TCC energy (observed 2.4e-5)
    assert np.abs(abbe - image).max() < 1e-3
    assert set(namespace["scores"]) >= {"l2", "pvb"}
    assert "Layout" in capsys.readouterr().out


def test_readme_opens_with_the_two_setup_commands():
    setup = _blocks("bash")[0].strip().splitlines()
    assert len(setup) == 2
    assert "litho info" in setup[0] or "litho demo" in setup[0]
    assert "pytest" in setup[1]
