"""A patterning flow: mask -> imaging -> resist -> etch -> metrology, every result kept."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._validate import number_in, positive_number
from ..errors import InvalidParameterError
from ..geometry.layout import Layout
from .stages import (EtchResult, EtchStage, FlowInput, ImageResult, ImagingStage, MaskResult, MaskStage,
                     ResistResult, ResistStage, grid_for_window)

__all__ = ["Flow", "FlowResult", "printed_field", "epe_summary"]


def epe_summary(epe: Any) -> dict[str, Any]:
    """max |EPE|, RMS EPE (nm) and measured / failed site counts of an EPEResult (or None:
    nothing printed), from the result's own statistics."""
    if epe is None:
        return {"epe_max_nm": float("nan"), "epe_rms_nm": float("nan"), "epe_sites": 0, "epe_sites_failed": 0}
    ok = epe.ok
    return {"epe_max_nm": abs(float(epe.max)), "epe_rms_nm": float(epe.rms), "epe_sites": int(ok.sum()),
            "epe_sites_failed": int((~ok).sum())}


def printed_field(result: Any, polarity: str, threshold: float) -> tuple[np.ndarray, float, str]:
    """The field whose level set is the printed pattern of a stage result, its level and
    the side ("above"/"below") that is the target's features.

    An image prints at ``threshold`` (chrome polygons, ``polarity="dark"``, are dark:
    "below"); a resist at half its thickness (its height field); an etch at the middle of
    the first film (the top-surface elevation field). With ``polarity="dark"`` the
    features are what remains (resist, film), with "clear" what is removed.
    """
    from ..backend import to_numpy

    keep = "above" if polarity == "dark" else "below"
    if isinstance(result, EtchResult):
        prof = result.profile
        name = prof.stack.layers[0].name
        bottom, top = prof.extent(name)
        return np.asarray(prof.surface), 0.5 * (bottom + top), keep
    if isinstance(result, ResistResult):
        prof = result.profile
        return to_numpy(prof.height), 0.5 * prof.thickness, keep
    if isinstance(result, ImageResult):
        return to_numpy(result.intensity), threshold, "below" if polarity == "dark" else "above"
    raise InvalidParameterError("result", type(result).__name__, "an image, resist or etch result")


@dataclass(frozen=True)
class FlowResult:
    """Everything a flow computed.

    Attributes
    ----------
    input : FlowInput
    mask : MaskResult
    image : ImageResult
    resist : ResistResult or None
    etch : EtchResult or None
    contours : Layout
        The printed pattern of the last stage, nm.
    epe : EPEResult or None
        Edge placement error of that pattern against the target layout; None when
        nothing printed or everything did (the field never crosses its level).
    level : float
        The level of the last stage's field that ``contours`` traces.
    """

    input: FlowInput
    mask: MaskResult
    image: ImageResult
    resist: ResistResult | None
    etch: EtchResult | None
    contours: Layout = field(repr=False)
    epe: Any = field(repr=False)
    level: float

    @property
    def last(self) -> Any:
        """The last stage's result."""
        return self.etch or self.resist or self.image

    def summary(self) -> dict[str, Any]:
        """Scalar metrics: EPE (max |EPE|, RMS, sites), printed and target areas, resist loss,
        etch depth (nm, nm²)."""
        out: dict[str, Any] = {
            "stage": type(self.last).__name__.removesuffix("Result").lower(),
            **epe_summary(self.epe),
            "printed_area_nm2": float(self.contours.area()),
            "target_area_nm2": float(self.input.layout.area()),
        }
        if self.resist is not None:
            out["resist_thickness_loss_nm"] = float(self.resist.profile.thickness_loss)
        if self.etch is not None:
            out["etch_depth_nm"] = float(self.etch.profile.depth)
            out["etch_resist_loss_nm"] = float(self.etch.profile.resist_loss)
        return out


@dataclass(frozen=True)
class Flow:
    """An explicit pipeline: mask, imaging and optional resist and etch stages.

    Parameters
    ----------
    imaging : ImagingStage
    resist : ResistStage, optional
    etch : EtchStage, optional (needs ``resist``)
    mask : MaskStage
    threshold : float
        Print threshold of the aerial image when the flow ends at imaging (relative
        intensity), and the level of the image contours shown for it.
    fragment : float
        Fragment length for EPE, nm.
    """

    imaging: ImagingStage
    resist: ResistStage | None = None
    etch: EtchStage | None = None
    mask: MaskStage = field(default_factory=MaskStage)
    threshold: float = 0.3
    fragment: float = 40.0

    def __post_init__(self) -> None:
        for name, kind in (("imaging", ImagingStage), ("resist", ResistStage), ("etch", EtchStage),
                           ("mask", MaskStage)):
            value = getattr(self, name)
            if value is None and name in ("resist", "etch"):
                continue
            if not isinstance(value, kind):
                raise InvalidParameterError(name, type(value).__name__, f"a litho.flow.{kind.__name__}")
        if self.etch is not None and self.resist is None:
            raise InvalidParameterError("etch", "EtchStage", "an etch after a resist stage (resist= is missing)")
        object.__setattr__(self, "threshold", number_in("threshold", self.threshold, 0.0, 1e3, low_open=True))
        object.__setattr__(self, "fragment", positive_number("fragment", self.fragment, "nm"))

    @classmethod
    def from_toml(cls, path: Any) -> Flow:
        """The flow described in a TOML file (its ``[grid]`` is read by
        :func:`litho.flow.load_flow`, which returns it with the flow)."""
        from .config import load_flow

        return load_flow(path).flow

    def run(self, layout: Layout, *, window: Any, pixel: float, backend: str | None = None) -> FlowResult:
        """Run every stage on ``layout`` inside ``window = (x0, y0, x1, y1)`` nm.

        The grid is periodic (as the imaging is): keep features a few optical radii
        (about wavelength / NA) away from the window's edges.
        """
        from ..backend import resolve_backend
        from ..metrology import contours, epe

        if not isinstance(layout, Layout):
            raise InvalidParameterError("layout", type(layout).__name__, "a litho.Layout")
        pixel = positive_number("pixel", pixel, "nm")
        shape, origin = grid_for_window(window, pixel)
        start = FlowInput(layout, pixel, shape, origin, resolve_backend(backend))
        mask = self.mask.run(start)
        image = self.imaging.run(mask)
        resist = self.resist.run(image) if self.resist is not None else None
        etch = self.etch.run(resist) if self.etch is not None else None
        last = etch or resist or image
        field_, level, region = printed_field(last, self.mask.polarity, self.threshold)
        outline = contours(field_, level, pixel, origin, region=region, empty_ok=True)
        crosses = float(np.min(field_)) < level < float(np.max(field_))
        errors = epe(field_, level, pixel, layout, origin, region=region, length=self.fragment) if crosses else None
        return FlowResult(start, mask, image, resist, etch, outline, errors, level)
