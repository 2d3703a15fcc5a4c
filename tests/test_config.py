"""litho.config: settings, overrides (nesting, thread isolation), memory budget."""

from __future__ import annotations

import dataclasses
import threading

import numpy as np
import pytest

import litho.config as config
from litho.errors import InvalidParameterError, MemoryBudgetError


class TestSettings:
    def test_defaults_are_valid(self):
        settings = config.Settings()
        assert settings.precision == "single" and settings.backend == "auto"
        assert settings.fft_engine == "auto" and settings.memory_budget is None
        assert settings.gpu_fft_plan_cache >= 0

    def test_frozen(self):
        with pytest.raises(dataclasses.FrozenInstanceError):
            config.get().precision = "double"  # type: ignore[misc]

    @pytest.mark.parametrize(
        "field, value",
        [
            ("precision", "half"),
            ("backend", "torch"),
            ("fft_engine", "mkl"),
            ("memory_budget", 0),
            ("memory_budget", -5),
            ("memory_budget", 1.5),
            ("memory_budget", True),
            ("gpu_fft_plan_cache", -1),
            ("gpu_fft_plan_cache", 2.0),
        ],
    )
    def test_invalid_values_name_the_field(self, field, value):
        with pytest.raises(InvalidParameterError) as info:
            config.Settings(**{field: value})
        assert info.value.name == field
        assert field in str(info.value)
        with pytest.raises(InvalidParameterError):  # the same through override()
            with config.override(**{field: value}):
                pass

    def test_invalid_value_is_also_a_value_error(self):
        with pytest.raises(ValueError):
            config.Settings(precision="quad")


class TestOverride:
    def test_nests_and_restores(self):
        before = config.get()
        with config.override(precision="double") as outer:
            assert outer.precision == "double" and config.get() is outer
            with config.override(backend="numpy", fft_engine="scipy") as inner:
                assert inner.precision == "double"  # inherited from the outer block
                assert (config.get().backend, config.get().fft_engine) == ("numpy", "scipy")
                assert config.precision == "double" and config.fft_engine == "scipy"
            assert config.get() is outer
        assert config.get() == before

    def test_restores_after_an_exception(self):
        before = config.get()
        with pytest.raises(RuntimeError):
            with config.override(precision="double"):
                raise RuntimeError("boom")
        assert config.get() == before

    def test_unknown_key_raises(self):
        with pytest.raises(InvalidParameterError) as info:
            with config.override(precison="double"):
                pass
        assert info.value.name == "precison"
        assert "precision" in str(info.value)  # the allowed names are listed

    def test_dtypes_follow_precision(self):
        with config.override(precision="single"):
            assert config.real_dtype() == np.float32 and config.complex_dtype() == np.complex64
        with config.override(precision="double"):
            assert config.real_dtype() == np.float64 and config.complex_dtype() == np.complex128
        assert config.real_dtype("double") == np.float64
        with pytest.raises(InvalidParameterError):
            config.real_dtype("half")  # type: ignore[arg-type]

    def test_thread_isolation(self):
        """An override in one thread is invisible to others (settings live in a ContextVar)."""
        default = config.get()
        seen: dict[str, object] = {}
        entered, release = threading.Event(), threading.Event()

        def overriding_thread():
            with config.override(precision="double", backend="numpy"):
                seen["inside"] = config.get().precision
                entered.set()
                release.wait(10)
            seen["after"] = config.get().precision

        def observing_thread():
            seen["other"] = config.get().precision

        worker = threading.Thread(target=overriding_thread)
        worker.start()
        assert entered.wait(10)
        assert config.get() == default  # the main thread does not see the worker's override
        with config.override(precision="single", fft_engine="scipy"):
            observer = threading.Thread(target=observing_thread)
            observer.start()
            observer.join(10)
        release.set()
        worker.join(10)
        assert seen == {"inside": "double", "other": default.precision, "after": default.precision}


class TestMemoryBudget:
    @pytest.mark.parametrize(
        "text, expected",
        [("4GiB", 4 * 2**30), ("4 GiB", 4 * 2**30), ("500MB", 500 * 10**6), ("1048576", 2**20),
         ("1.5KiB", 1536), ("2gb", 2 * 10**9), ("3 TiB", 3 * 2**40)],
    )
    def test_parse_bytes(self, text, expected):
        assert config.parse_bytes(text) == expected

    @pytest.mark.parametrize("text", ["", "lots", "4 GiBs", "-1GB", "4XB"])
    def test_parse_bytes_rejects(self, text):
        with pytest.raises(InvalidParameterError) as info:
            config.parse_bytes(text)
        assert info.value.name == "memory_budget"

    def test_override_accepts_strings(self):
        with config.override(memory_budget="4GiB") as settings:
            assert settings.memory_budget == 4 * 2**30
            assert config.memory_budget == 4 * 2**30
            assert config.memory_budget_bytes("cpu") == 4 * 2**30

    def test_default_budget_is_half_of_available(self):
        with config.override(memory_budget=None):
            budget = config.memory_budget_bytes("cpu")
        # both sides read /proc/meminfo a moment apart; allow 10 % drift between the reads
        assert 0 < budget <= 0.5 * config.available_memory("cpu") * 1.1

    def test_check_memory(self):
        with config.override(memory_budget="1MiB"):
            config.check_memory(2**20, "a small raster", hint="tile it")  # exactly at budget: fine
            with pytest.raises(MemoryBudgetError) as info:
                config.check_memory(
                    2**30, "a 16384 x 16384 float32 raster",
                    hint="tile the layout into smaller windows with litho.fullchip",
                )
        message = str(info.value)
        assert "tile" in message and "16384 x 16384" in message
        assert "1.0 MiB" in message and "1,024.0 MiB" in message  # needed vs budget
        assert "memory_budget" in message  # says how to raise the budget
        assert isinstance(info.value, MemoryError)
