"""``FEMResult``: CDs of a focus-exposure matrix, a tidy table with named axes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import InvalidParameterError

__all__ = ["FEMResult", "check_axis"]


def check_axis(name: str, values: Any, unit: str, *, positive: bool = False) -> np.ndarray:
    """``values`` as a read-only 1-D float64 array, finite and strictly increasing, non-empty."""
    what = f"a non-empty 1-D sequence of finite, strictly increasing {unit} values"
    if positive:
        what += " > 0"
    try:
        arr = np.array(values, dtype=np.float64).reshape(-1) if np.ndim(values) <= 1 else None
    except (TypeError, ValueError):
        arr = None
    if arr is None:
        raise InvalidParameterError(name, values, what)
    if arr.size == 0:
        raise InvalidParameterError(name, "an empty grid", what)
    if not np.all(np.isfinite(arr)) or (positive and np.any(arr <= 0)):
        raise InvalidParameterError(name, values, what)
    steps = np.diff(arr)
    if np.any(steps <= 0):
        i = int(np.argmax(steps <= 0))
        raise InvalidParameterError(name, f"{arr[i]:g} followed by {arr[i + 1]:g} at index {i + 1}",
                                    what + " (sort the axis)")
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, eq=False)
class FEMResult:
    """CD per gauge over a focus-exposure matrix.

    Attributes
    ----------
    focus : ndarray (nf,)
        Focus (defocus of the image plane), nm, strictly increasing.
    dose : ndarray (nd,)
        Exposure dose, mJ/cm² (or relative, as given), strictly increasing, > 0.
    gauges : tuple of str (ng,)
        Gauge names.
    cd : ndarray (nf, nd, ng)
        CD in nm; NaN where the feature did not print (no edge pair on the gauge).
    """

    focus: np.ndarray
    dose: np.ndarray
    gauges: tuple[str, ...]
    cd: np.ndarray

    def __post_init__(self) -> None:
        focus = check_axis("focus", self.focus, "nm")
        dose = check_axis("dose", self.dose, "mJ/cm²", positive=True)
        gauges = tuple(str(g) for g in self.gauges)
        if not gauges or len(set(gauges)) != len(gauges):
            raise InvalidParameterError("gauges", self.gauges, "a non-empty sequence of unique names")
        cd = np.array(self.cd, dtype=np.float64)
        shape = (focus.size, dose.size, len(gauges))
        if cd.shape != shape:
            raise InvalidParameterError("cd", f"array of shape {cd.shape}", f"an array of shape {shape} "
                                        "(focus, dose, gauge)")
        cd.setflags(write=False)
        object.__setattr__(self, "focus", focus)
        object.__setattr__(self, "dose", dose)
        object.__setattr__(self, "gauges", gauges)
        object.__setattr__(self, "cd", cd)

    def gauge_index(self, gauge: str | int) -> int:
        """Index of a gauge given by name or index."""
        if isinstance(gauge, (int, np.integer)) and not isinstance(gauge, bool):
            if 0 <= int(gauge) < len(self.gauges):
                return int(gauge)
        elif gauge in self.gauges:
            return self.gauges.index(gauge)
        raise InvalidParameterError("gauge", gauge, "one of " + ", ".join(repr(g) for g in self.gauges)
                                    + f" or an index below {len(self.gauges)}")

    def cd_of(self, gauge: str | int) -> np.ndarray:
        """CD (nf, nd) of one gauge, nm."""
        return self.cd[:, :, self.gauge_index(gauge)]

    def table(self) -> dict[str, np.ndarray]:
        """A tidy table: one row per (focus, dose, gauge), as columns of equal length."""
        f, d, g = np.meshgrid(self.focus, self.dose, np.arange(len(self.gauges)), indexing="ij")
        return {"focus": f.ravel(), "dose": d.ravel(), "gauge": np.asarray(self.gauges, dtype=object)[g.ravel()],
                "cd": self.cd.ravel().copy()}

    def to_xarray(self) -> Any:
        """The CDs as an ``xarray.DataArray`` with dims (focus, dose, gauge) (needs xarray)."""
        try:
            import xarray
        except ImportError:
            raise ImportError("FEMResult.to_xarray needs xarray (pip install xarray); "
                              "FEMResult.table() gives the same data as plain arrays") from None
        return xarray.DataArray(np.array(self.cd), dims=("focus", "dose", "gauge"),
                                coords={"focus": np.array(self.focus), "dose": np.array(self.dose),
                                        "gauge": list(self.gauges)},
                                name="cd", attrs={"units": "nm", "focus_units": "nm"})

    def __repr__(self) -> str:
        return (f"FEMResult({self.focus.size} focus x {self.dose.size} dose x {len(self.gauges)} gauges, "
                f"focus {self.focus[0]:g}..{self.focus[-1]:g} nm, dose {self.dose[0]:g}..{self.dose[-1]:g})")
