"""The stages of a patterning flow and the typed result each passes to the next.

Every stage is a frozen settings object with one ``run`` method taking the previous
stage's result: ``MaskStage.run(FlowInput) -> MaskResult``, ``ImagingStage.run(MaskResult)
-> ImageResult``, ``ResistStage.run(ImageResult) -> ResistResult``,
``EtchStage.run(ResistResult) -> EtchResult``. Each result keeps the one before it
(``.previous``), so the last result of a flow holds the whole chain.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ..errors import InvalidParameterError
from ..geometry.layout import Layout

__all__ = ["FlowInput", "MaskResult", "ImageResult", "ResistResult", "EtchResult", "MaskStage",
           "ImagingStage", "ResistStage", "EtchStage", "grid_for_window"]


def grid_for_window(window: Any, pixel: float) -> tuple[tuple[int, int], tuple[float, float]]:
    """(ny, nx) and origin (x0, y0) of the pixel grid covering ``window = (x0, y0, x1, y1)`` nm."""
    try:
        x0, y0, x1, y1 = (float(v) for v in window)
    except (TypeError, ValueError):
        raise InvalidParameterError("window", window, "(x0, y0, x1, y1) in nm") from None
    if not all(math.isfinite(v) for v in (x0, y0, x1, y1)) or x1 <= x0 or y1 <= y0:
        raise InvalidParameterError("window", window, "finite (x0, y0, x1, y1) nm with x1 > x0 and y1 > y0")
    shape = (max(1, math.ceil((y1 - y0) / pixel - 1e-9)), max(1, math.ceil((x1 - x0) / pixel - 1e-9)))
    return shape, (x0, y0)


@dataclass(frozen=True)
class FlowInput:
    """What a flow starts from: the target layout and the simulation grid.

    Attributes
    ----------
    layout : Layout
        Target polygons, nm (the features to print).
    pixel : float
        nm.
    shape : (ny, nx)
    origin : (x0, y0) nm
    backend : str
        "auto", "numpy" or "cupy".
    """

    layout: Layout
    pixel: float
    shape: tuple[int, int]
    origin: tuple[float, float]
    backend: str = "auto"


class _Chained:
    """A stage result that keeps the one before it in ``previous``."""

    previous: Any

    @property
    def input(self) -> FlowInput:
        """The flow's input at the start of the chain."""
        prev = self.previous
        return prev if isinstance(prev, FlowInput) else prev.input


@dataclass(frozen=True)
class MaskResult(_Chained):
    """The mask on the grid: ``transmission`` (ny, nx), numpy or CuPy."""

    previous: FlowInput
    transmission: Any = field(repr=False)


@dataclass(frozen=True)
class ImageResult(_Chained):
    """The aerial image (ny, nx), relative intensity (clear field 1)."""

    previous: MaskResult
    intensity: Any = field(repr=False)


@dataclass(frozen=True)
class ResistResult(_Chained):
    """The developed resist."""

    previous: ImageResult
    profile: Any


@dataclass(frozen=True)
class EtchResult(_Chained):
    """The etched film stack."""

    previous: ResistResult
    profile: Any


@dataclass(frozen=True)
class MaskStage:
    """A binary mask of the target layout.

    Parameters
    ----------
    polarity : {"dark", "clear"}
        "dark": the polygons are chrome on a clear field (a positive resist then prints
        them as resist lines); "clear": the polygons are openings in chrome (holes,
        trenches).
    """

    polarity: str = "dark"

    def __post_init__(self) -> None:
        if self.polarity not in ("dark", "clear"):
            raise InvalidParameterError("polarity", self.polarity, "'dark' or 'clear'")

    def run(self, start: FlowInput) -> MaskResult:
        from ..imaging.mask import BinaryMask

        mask = BinaryMask(start.layout, polarity=self.polarity)
        return MaskResult(start, mask.transmission(start.pixel, start.shape, start.origin, backend=start.backend))


@dataclass(frozen=True)
class ImagingStage:
    """Aerial image of the mask (Hopkins/SOCS by default; kernels cached across runs).

    Parameters
    ----------
    optics : litho.Optics
    method : {"socs", "abbe"}
    """

    optics: Any
    method: str = "socs"

    def __post_init__(self) -> None:
        from ..optics import Optics

        if not isinstance(self.optics, Optics):
            raise InvalidParameterError("optics", self.optics, "a litho.Optics")
        if self.method not in ("socs", "abbe"):
            raise InvalidParameterError("method", self.method, "'socs' or 'abbe'")

    def run(self, mask: MaskResult) -> ImageResult:
        from ..imaging import aerial_image

        image = aerial_image(mask.transmission, self.optics, mask.input.pixel, method=self.method,
                             backend=mask.input.backend)
        return ImageResult(mask, image)


@dataclass(frozen=True)
class ResistStage:
    """Expose, bake and develop a resist process (``litho.resist.CAR`` or ``DNQ``).

    Parameters
    ----------
    process : CAR or DNQ
    dose : float
        mJ/cm² (the image's clear-field intensity 1 receives this dose).
    """

    process: Any
    dose: float

    def __post_init__(self) -> None:
        from .._validate import positive_number
        from ..resist import CAR, DNQ

        if not isinstance(self.process, (CAR, DNQ)):
            raise InvalidParameterError("process", self.process, "a litho.resist.CAR or DNQ")
        object.__setattr__(self, "dose", positive_number("dose", self.dose, "mJ/cm²"))

    def run(self, image: ImageResult) -> ResistResult:
        # the image stays where it is: on the GPU the bake is spectral in CuPy and the
        # developer front the parallel plane-sweep solver
        profile = self.process.develop(image.intensity, image.input.pixel, self.dose,
                                       t_max=2.0 * max(self.process.develop_time, 1.0))
        return ResistResult(image, _at_origin(profile, image.input.origin))


def _at_origin(profile: Any, origin: tuple[float, float]) -> Any:
    """The profile placed at the flow's grid origin (the resist models start at 0, 0)."""
    import dataclasses

    if tuple(profile.origin) == tuple(origin):
        return profile
    return dataclasses.replace(profile, origin=tuple(origin))


@dataclass(frozen=True)
class EtchStage:
    """Transfer the developed resist into a film stack (``litho.etch.EtchProcess``)."""

    process: Any
    stack: Any

    def __post_init__(self) -> None:
        from ..etch import EtchProcess, Stack

        if not isinstance(self.process, EtchProcess):
            raise InvalidParameterError("process", self.process, "a litho.etch.EtchProcess")
        if not isinstance(self.stack, Stack):
            raise InvalidParameterError("stack", self.stack, "a litho.etch.Stack")

    def run(self, resist: ResistResult) -> EtchResult:
        backend = resist.input.backend
        return EtchResult(resist, self.process.run(resist.profile, self.stack, backend=backend))
