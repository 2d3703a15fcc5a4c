"""Patterning flows: stages chained from a target layout to measured results.

``Flow(imaging=ImagingStage(optics), resist=ResistStage(CAR(...), dose), etch=EtchStage(
EtchProcess(...), Stack([...]))).run(layout, window=(x0, y0, x1, y1), pixel=2.0)`` gives a
:class:`FlowResult` with the mask, aerial image, resist profile, etched profile, the printed
contours and their EPE against the target.
"""

from .config import FlowConfig, load_flow
from .flow import Flow, FlowResult, epe_summary, printed_field
from .multiple import MultipleExposureFlow, MultipleExposureResult, SADPFlow, SADPResult
from .stages import (EtchResult, EtchStage, FlowInput, ImageResult, ImagingStage, MaskResult, MaskStage,
                     ResistResult, ResistStage, grid_for_window)

__all__ = ["Flow", "FlowResult", "MultipleExposureFlow", "MultipleExposureResult", "SADPFlow", "SADPResult", "FlowConfig", "load_flow", "printed_field", "epe_summary", "FlowInput", "MaskResult", "ImageResult", "ResistResult",
           "EtchResult", "MaskStage", "ImagingStage", "ResistStage", "EtchStage", "grid_for_window"]
