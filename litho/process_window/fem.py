"""Focus-exposure matrix: CD per gauge over a grid of focus and dose.

Re-imaging is only needed per focus: with a dose-independent resist threshold the
feature prints where ``dose * I >= threshold`` (intensity normalised per unit dose), so a
dose change is a change of the level ``threshold / dose`` on the same image. Each focus
image is interpolated once (cubic B-spline along every gauge) and every dose is read
off those profiles. Models where dose does more than scale the image (a full resist
process) take ``dose_mode="resimulate"``: ``simulate(focus, dose)`` then gives the field
to measure at ``threshold`` for every pair.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .._validate import choice, finite_number
from ..backend import array_module
from ..errors import InvalidParameterError
from ..metrology.gauges import Gauge, Profiles, _gauges, edges_from_profiles, gauge_profiles
from .result import FEMResult, check_axis

__all__ = ["fem"]


def _per_level(prof: Profiles, n_levels: int) -> Profiles:
    """``prof`` of one field viewed as ``n_levels`` identical fields (one per dose)."""
    values = np.broadcast_to(prof.values, (n_levels,) + prof.values.shape)

    def refine(g: np.ndarray, s: np.ndarray, batch: tuple[np.ndarray, ...] = ()) -> np.ndarray:
        return prof.refine(g, s)

    return Profiles(prof.s, values, prof.gauges, refine)


def _one_field(name: str, field: Any, shape: tuple[int, ...] | None) -> Any:
    xp = array_module(field)
    arr = xp.asarray(field)
    if arr.ndim != 2 or (shape is not None and tuple(arr.shape) != shape):
        want = f"a 2-D field of shape {shape}" if shape else "a 2-D field (ny, nx)"
        raise InvalidParameterError(name, f"array of shape {tuple(arr.shape)}", want)
    return arr


def fem(simulate: Callable[..., Any], focus: Sequence[float], dose: Sequence[float],
        gauges: Gauge | Sequence[Gauge], *, threshold: float, pixel: Any, origin: tuple[float, float] = (0.0, 0.0),
        dose_mode: str = "scale", batch: bool = False, step: float | None = None, interpolation: str = "cubic",
        boundary: str = "periodic") -> FEMResult:
    """CDs over a focus-exposure matrix.

    Parameters
    ----------
    simulate : callable
        ``dose_mode="scale"``: ``simulate(focus)`` returns the image (ny, nx) at that
        focus (nm) for unit dose (with ``batch=True``: ``simulate(focus_array)`` returns
        all of them, (nf, ny, nx), e.g. batched on the GPU). ``"resimulate"``:
        ``simulate(focus, dose)`` returns the field to measure at ``threshold``.
    focus : sequence of float
        Focus values, nm, strictly increasing.
    dose : sequence of float
        Doses, strictly increasing, > 0 (mJ/cm², or relative to a nominal dose).
    gauges : Gauge or sequence of Gauge
        Where to measure; ``region="above"`` for bright features (spaces), "below" for
        dark ones (lines of a positive resist).
    threshold : float
        ``"scale"``: the dose-normalised threshold, in the dose's unit: a feature prints
        where ``dose * image >= threshold`` (with relative doses, the intensity threshold
        at dose 1). ``"resimulate"``: the level of the returned fields.
    pixel, origin
        Grid of the fields, nm.
    dose_mode : {"scale", "resimulate"}
    batch : bool
        Whether ``simulate`` takes the whole focus array at once ("scale" only).
    step, interpolation, boundary
        As for :func:`litho.metrology.cd`.

    Returns
    -------
    FEMResult
        CD (nf, nd, ng) nm; NaN where the feature did not print at that condition.

    Raises
    ------
    InvalidParameterError
        Empty or non-increasing focus or dose axes, a threshold that no condition can
        print (outside every image's range at every dose), gauges outside the fields,
        ``simulate`` returning the wrong shape.
    """
    focus_axis = check_axis("focus", focus, "nm")
    dose_axis = check_axis("dose", dose, "dose", positive=True)
    gs = _gauges(gauges)
    threshold = finite_number("threshold", threshold)
    choice("dose_mode", dose_mode, ("scale", "resimulate"))
    if batch and dose_mode != "scale":
        raise InvalidParameterError("batch", batch, "False with dose_mode='resimulate'")
    nf, nd, ng = focus_axis.size, dose_axis.size, len(gs)
    out = np.full((nf, nd, ng), np.nan)
    opts = dict(step=step, interpolation=interpolation, boundary=boundary)
    ranges: list[tuple[float, float]] = []
    if dose_mode == "scale":
        fields: Any = simulate(focus_axis.copy()) if batch else None
        if batch:
            xp = array_module(fields)
            fields = xp.asarray(fields)
            if fields.ndim != 3 or fields.shape[0] != nf:
                raise InvalidParameterError("simulate", f"a result of shape {tuple(fields.shape)}",
                                            f"a batch of {nf} fields (nf, ny, nx) for the {nf} focus values")
        levels = threshold / dose_axis
        shape = None
        for i, f in enumerate(focus_axis):
            field = _one_field("simulate", fields[i] if batch else simulate(float(f)), shape)
            shape = tuple(field.shape)
            xp = array_module(field)
            ranges.append((float(xp.min(field)), float(xp.max(field))))
            prof = gauge_profiles(field, pixel, gs, origin, **opts)
            out[i] = edges_from_profiles(_per_level(prof, nd), np.broadcast_to(levels[:, None], (nd, ng))).cd
    else:
        shape = None
        for i, f in enumerate(focus_axis):
            for j, d in enumerate(dose_axis):
                field = _one_field("simulate", simulate(float(f), float(d)), shape)
                shape = tuple(field.shape)
                xp = array_module(field)
                ranges.append((float(xp.min(field)), float(xp.max(field))))
                out[i, j] = edges_from_profiles(gauge_profiles(field, pixel, gs, origin, **opts), threshold).cd
    lo = min(r[0] for r in ranges)
    hi = max(r[1] for r in ranges)
    if dose_mode == "scale":
        reachable = (threshold / dose_axis[-1] < hi) and (threshold / dose_axis[0] > lo)
        span = f"[{lo * dose_axis[0]:g}, {hi * dose_axis[-1]:g}] (dose x image over the matrix)"
    else:
        reachable = lo < threshold < hi
        span = f"[{lo:g}, {hi:g}] (the fields' range)"
    if not reachable:
        raise InvalidParameterError("threshold", threshold, f"a threshold inside {span}: no condition can print")
    return FEMResult(focus_axis, dose_axis, tuple(g.name for g in gs), out)
