"""Progress bars: the iterable passes through unchanged, with or without a bar."""

from __future__ import annotations

import io
import sys

import pytest

from litho._progress import progress


def test_progress_passes_items_through_without_a_terminal():
    # pytest captures stderr (not a terminal): no bar, the same items in order
    assert list(progress(range(5), "test")) == [0, 1, 2, 3, 4]
    assert list(progress(iter("abc"), "test", enabled=False)) == ["a", "b", "c"]


def test_progress_draws_a_bar_when_enabled(monkeypatch):
    pytest.importorskip("tqdm")
    err = io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    assert list(progress(range(3), "work", total=3, enabled=True)) == [0, 1, 2]
    assert "work" in err.getvalue()
