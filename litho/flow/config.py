"""Flows described in TOML (stdlib ``tomllib``), validated with the key and line of any error.

A file has the tables ``[grid]`` (``pixel`` nm, ``window = [x0, y0, x1, y1]`` nm, optional
``backend``), ``[mask]`` (``polarity``), ``[optics]`` (``wavelength``, ``na``,
``immersion``, ``defocus``, ``method``) with ``[optics.source]`` (``kind`` = conventional,
annular, dipole, quadrupole, quasar or multipole, and that constructor's arguments), an
optional ``[resist]`` (``kind = "CAR"`` or ``"DNQ"``, ``dose`` and the process's fields,
with ``[resist.peb]``, ``[resist.development]`` (``model`` = mack, enhanced_mack or notch)
and for DNQ ``[resist.dill]``), and an optional ``[etch]`` (``time``, ``[etch.rates.NAME]``
tables of ``isotropic`` / ``directional`` nm/s, ``[etch.ions]``, ``[[etch.layers]]`` with
``name`` and ``thickness``, ``substrate_thickness``). See ``examples/*.toml``.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError, LithoError

__all__ = ["FlowConfig", "load_flow"]

_SOURCES = ("conventional", "annular", "dipole", "quadrupole", "quasar", "multipole")
_MODELS = {"mack": "Mack", "enhanced_mack": "EnhancedMack", "notch": "Notch"}


@dataclass(frozen=True)
class FlowConfig:
    """A flow and the grid it runs on, read from a file.

    Attributes
    ----------
    flow : Flow
    pixel : float
        nm.
    window : (x0, y0, x1, y1) nm
    backend : str
    path : str
        The file read.
    """

    flow: Any
    pixel: float
    window: tuple[float, float, float, float]
    backend: str
    path: str

    def run(self, layout: Any, *, window: Any = None, pixel: float | None = None, backend: str | None = None) -> Any:
        """Run the flow on ``layout`` (the file's grid unless given here)."""
        return self.flow.run(layout, window=self.window if window is None else window,
                             pixel=self.pixel if pixel is None else pixel,
                             backend=self.backend if backend is None else backend)


class _Reader:
    """Looks up keys in the parsed tables and turns every problem into a ConfigError that
    names the file, the dotted key and its line."""

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.lines = text.splitlines()

    def line_of(self, key: str) -> int | None:
        """The line where a dotted key is set (its table header, then ``name =`` within it)."""
        parts = key.split(".")
        table, name = parts[:-1], parts[-1]
        start = 0
        if table:
            header = re.compile(r"^\s*\[\[?\s*" + r"\s*\.\s*".join(map(re.escape, table)) + r"\s*\]\]?\s*(#.*)?$")
            found = [i for i, text in enumerate(self.lines) if header.match(text)]
            if not found:
                whole = re.compile(r"^\s*\[\[?\s*" + r"\s*\.\s*".join(map(re.escape, parts)) + r"\s*\]\]?")
                hits = [i for i, text in enumerate(self.lines) if whole.match(text)]
                return hits[0] + 1 if hits else None
            start = found[0] + 1
        assign = re.compile(r"^\s*" + re.escape(name) + r"\s*=")
        table_start = re.compile(r"^\s*\[")
        for i in range(start, len(self.lines)):
            if i > start and table and table_start.match(self.lines[i]):
                break
            if assign.match(self.lines[i]):
                return i + 1
        header = re.compile(r"^\s*\[\[?\s*" + r"\s*\.\s*".join(map(re.escape, parts)) + r"\s*\]\]?")
        hits = [i for i, text in enumerate(self.lines) if header.match(text)]
        return hits[0] + 1 if hits else None

    def error(self, key: str, problem: str) -> ConfigError:
        return ConfigError(self.path, key, self.line_of(key) if key else None, problem)

    def table(self, data: dict[str, Any], key: str, required: bool = True) -> dict[str, Any] | None:
        value = data.get(key.split(".")[-1])
        if value is None:
            if required:
                raise self.error(key, f"missing table [{key}]")
            return None
        if not isinstance(value, dict):
            raise self.error(key, f"must be a table [{key}], got {type(value).__name__}")
        return value

    def build(self, key: str, factory: Any, values: dict[str, Any], label: str) -> Any:
        """``factory(**values)``, with unknown keys and bad values reported at their key."""
        names = _parameters(factory)
        for name in values:
            if names is not None and name not in names:
                raise self.error(f"{key}.{name}" if key else name,
                                 f"unknown key for {label}; allowed: {', '.join(sorted(names))}")
        try:
            return factory(**values)
        except TypeError as exc:  # a missing required argument
            missing = re.findall(r"'(\w+)'", str(exc))
            raise self.error(key, f"{label}: {exc}" + (f" (add {missing[0]} = ...)" if missing else "")) from None
        except LithoError as exc:
            name = getattr(exc, "name", "")
            name = name.split(".")[-1] if isinstance(name, str) else ""
            sub = f"{key}.{name}" if name in values else key
            raise self.error(sub, str(exc)) from None


def _parameters(factory: Any) -> set[str] | None:
    """Keyword names a constructor takes (dataclass fields or the signature)."""
    import inspect

    if dataclasses.is_dataclass(factory):
        return {f.name for f in dataclasses.fields(factory) if f.init}
    try:
        params = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return None
    return {p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}


def _pop(reader: _Reader, values: dict[str, Any], key: str, name: str, allowed: Any) -> Any:
    value = values.pop(name, None)
    if value is None or (allowed is not None and value not in allowed):
        shown = ", ".join(repr(a) for a in allowed) if allowed is not None else "a value"
        raise reader.error(f"{key}.{name}", f"{'missing' if value is None else f'unknown {value!r}'}; "
                                            f"expected one of {shown}")
    return value


def load_flow(path: str | Path) -> FlowConfig:
    """Read and validate a flow file (see the module docstring)."""
    import litho

    from ..etch import EtchProcess, IonFlux, Layer, Rate, Stack
    from ..resist import CAR, DNQ, PEB, Dill
    from ..resist import development as dev
    from .flow import Flow
    from .stages import EtchStage, ImagingStage, MaskStage, ResistStage

    path = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(path, "", None, "no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path, "", None, f"cannot be read ({exc})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        raise ConfigError(path, "", int(match.group(1)) if match else None, f"not valid TOML: {exc}") from None
    r = _Reader(path, text)
    known = {"grid", "mask", "optics", "resist", "etch"}
    for top in data:
        if top not in known:
            raise r.error(top, f"unknown table; allowed: {', '.join(sorted(known))}")

    grid = dict(r.table(data, "grid"))
    for name in list(grid):
        if name not in ("pixel", "window", "backend"):
            raise r.error(f"grid.{name}", "unknown key; allowed: backend, pixel, window")
    if "pixel" not in grid or "window" not in grid:
        raise r.error("grid", "needs pixel = ... (nm) and window = [x0, y0, x1, y1] (nm)")
    pixel, window, backend = grid["pixel"], grid["window"], grid.get("backend", "auto")
    if not isinstance(pixel, (int, float)) or isinstance(pixel, bool) or pixel <= 0:
        raise r.error("grid.pixel", f"must be a positive number of nm, got {pixel!r}")
    if not (isinstance(window, list) and len(window) == 4 and all(isinstance(v, (int, float)) for v in window)):
        raise r.error("grid.window", f"must be [x0, y0, x1, y1] in nm, got {window!r}")
    if backend not in ("auto", "numpy", "cupy"):
        raise r.error("grid.backend", f"unknown {backend!r}; expected one of 'auto', 'numpy', 'cupy'")

    mask = r.build("mask", MaskStage, dict(r.table(data, "mask", required=False) or {}), "the mask")

    optics_t = dict(r.table(data, "optics"))
    source_t = dict(r.table(optics_t, "optics.source"))
    optics_t.pop("source")
    kind = _pop(r, source_t, "optics.source", "kind", _SOURCES)
    source = r.build("optics.source", getattr(litho.Source, kind), source_t, f"a {kind} source")
    method = optics_t.pop("method", "socs")
    optics = r.build("optics", litho.Optics, optics_t | {"source": source}, "the optics")
    imaging = r.build("optics", ImagingStage, {"optics": optics, "method": method}, "the imaging")

    resist = None
    resist_t = r.table(data, "resist", required=False)
    if resist_t is not None:
        resist_t = dict(resist_t)
        kind = _pop(r, resist_t, "resist", "kind", ("CAR", "DNQ"))
        dose = resist_t.pop("dose", None)
        if dose is None:
            raise r.error("resist", "missing dose = ... (mJ/cm²)")
        dev_t = dict(r.table(resist_t, "resist.development"))
        model = _pop(r, dev_t, "resist.development", "model", tuple(_MODELS))
        resist_t["development"] = r.build("resist.development", getattr(dev, _MODELS[model]), dev_t,
                                          f"the {model} development model")
        if kind == "CAR":
            resist_t["peb"] = r.build("resist.peb", PEB, dict(r.table(resist_t, "resist.peb")), "the bake")
            process = r.build("resist", CAR, resist_t, "a CAR resist")
        else:
            resist_t["dill"] = r.build("resist.dill", Dill, dict(r.table(resist_t, "resist.dill")), "Dill exposure")
            process = r.build("resist", DNQ, resist_t, "a DNQ resist")
        resist = r.build("resist", ResistStage, {"process": process, "dose": dose}, "the resist stage")

    etch = None
    etch_t = r.table(data, "etch", required=False)
    if etch_t is not None:
        etch_t = dict(etch_t)
        rates_t = r.table(etch_t, "etch.rates")
        rates = {name: r.build(f"etch.rates.{name}", Rate, dict(value), f"the rate of {name}")
                 for name, value in rates_t.items()}
        layers_t = etch_t.pop("layers", None)
        if not isinstance(layers_t, list) or not layers_t:
            raise r.error("etch.layers", "needs [[etch.layers]] tables with name = ... and thickness = ... (nm)")
        layers = [r.build("etch.layers", Layer, dict(t), "a layer") for t in layers_t]
        stack = r.build("etch", Stack, {"layers": layers, "substrate_thickness":
                                        etch_t.pop("substrate_thickness", 10.0)}, "the stack")
        ions_t = etch_t.pop("ions", None)
        if ions_t is not None:
            etch_t["ions"] = r.build("etch.ions", IonFlux, dict(ions_t), "the ion flux")
        etch_t["rates"] = rates
        process = r.build("etch", EtchProcess, etch_t, "the etch")
        etch = r.build("etch", EtchStage, {"process": process, "stack": stack}, "the etch stage")
        if resist is None:
            raise r.error("etch", "an etch needs a [resist] table before it")

    flow = Flow(imaging=imaging, resist=resist, etch=etch, mask=mask)
    return FlowConfig(flow, float(pixel), tuple(float(v) for v in window), backend, path)
