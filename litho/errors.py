"""Exceptions raised by litho.

Every error litho raises on purpose derives from :class:`LithoError`, so callers can
catch the library's errors in one place. Where a Python built-in category fits, the
error also derives from it (``InvalidParameterError`` is a ``ValueError``), so code
written against the standard hierarchy keeps working.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "LithoError",
    "InvalidParameterError",
    "LayoutError",
    "ConfigError",
    "BackendUnavailableError",
    "MemoryBudgetError",
    "ConvergenceError",
]


class LithoError(Exception):
    """Base class of every error raised by litho."""


class InvalidParameterError(LithoError, ValueError):
    """A parameter has a value outside what is allowed.

    Parameters
    ----------
    name : str
        The parameter (or field) name.
    value : Any
        The offending value.
    allowed : str
        What is allowed, in words ("a positive number of nm", "one of 'area', 'center'").
    """

    def __init__(self, name: str, value: Any, allowed: str) -> None:
        self.name = name
        self.value = value
        self.allowed = allowed
        super().__init__(f"invalid {name}={_short_repr(value)}: expected {allowed}")

    def __reduce__(self):  # keep picklable (multiprocessing, Dask)
        return (type(self), (self.name, self.value, self.allowed))


class ConfigError(LithoError, ValueError):
    """A configuration file is missing, is not valid TOML, or has a bad key or value.

    Parameters
    ----------
    path : str
        The file.
    key : str
        Dotted key of the offending entry ("resist.peb.time"), "" for the whole file.
    line : int or None
        1-based line of the key in the file, when it can be found.
    problem : str
        What is wrong and what is allowed.
    """

    def __init__(self, path: str, key: str, line: int | None, problem: str) -> None:
        self.path = path
        self.key = key
        self.line = line
        self.problem = problem
        where = f"{path}" + (f", line {line}" if line else "") + (f", key '{key}'" if key else "")
        super().__init__(f"{where}: {problem}")

    def __reduce__(self):
        return (type(self), (self.path, self.key, self.line, self.problem))


class LayoutError(LithoError):
    """A layout file or layout content is missing, corrupt, or lacks what was asked for.

    Parameters
    ----------
    message : str
        What is wrong.
    path : str or os.PathLike, optional
        The file concerned; named at the start of the message.
    """

    def __init__(self, message: str, path: Any = None) -> None:
        self.path = None if path is None else str(path)
        self.reason = message
        super().__init__(message if path is None else f"{self.path}: {message}")

    def __reduce__(self):
        return (type(self), (self.reason, self.path))


class BackendUnavailableError(LithoError, RuntimeError):
    """An explicitly requested compute backend (e.g. ``"cupy"``) cannot be used here."""


class MemoryBudgetError(LithoError, MemoryError):
    """An operation would allocate more than ``litho.config`` allows.

    The message says how much was needed, the budget, and how to tile or batch instead.
    """


class ConvergenceError(LithoError, RuntimeError):
    """An iterative solver stopped at its iteration limit without reaching its tolerance.

    The message names the solver, the limit and the residual reached, and what to change.
    """


def _short_repr(value: Any, limit: int = 80) -> str:
    text = repr(value)
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return text
