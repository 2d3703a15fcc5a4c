"""Multiple-exposure flows: LELE (litho-etch-litho-etch) and its k-mask generalisations.

The target is decomposed into masks (``litho.decompose``); each mask runs through its own
single-exposure :class:`~litho.flow.Flow` (imaged, developed and, with an etch stage,
etched into the hard mask), placed with that exposure's overlay error; the final pattern
is the union of every exposure's printed features, measured against the target.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._validate import positive_number
from ..errors import InvalidParameterError
from ..geometry.layout import Layout
from .flow import Flow, FlowResult, printed_field

__all__ = ["MultipleExposureFlow", "MultipleExposureResult"]


@dataclass(frozen=True)
class MultipleExposureResult:
    """Everything a multiple-exposure flow computed.

    Attributes
    ----------
    decomposition : Decomposition
    exposures : tuple of FlowResult
        One per mask, each run on its mask shifted by its overlay.
    combined : ndarray (ny, nx)
        Union of the printed features: ``max_k s_k (f_k - level_k)`` with ``s_k = +1``
        where the features are above their level, -1 below (> 0 inside a feature).
    contours : Layout
        The final pattern, nm.
    epe : EPEResult or None
        Its EPE against the target (None when nothing printed).
    overlay : tuple of (dx, dy) nm
    target : Layout
    """

    decomposition: Any
    exposures: tuple[FlowResult, ...]
    combined: np.ndarray = field(repr=False)
    contours: Layout = field(repr=False)
    epe: Any = field(repr=False)
    overlay: tuple[tuple[float, float], ...]
    target: Layout = field(repr=False)

    def summary(self) -> dict[str, Any]:
        """Conflicts, stitches, EPE of the final pattern (max |EPE|, RMS, sites), areas."""
        ok = self.epe.ok if self.epe is not None else np.zeros(0, dtype=bool)
        values = np.asarray(self.epe.epe)[ok] if self.epe is not None else np.zeros(0)
        return {
            "masks": len(self.exposures),
            "conflicts": int(self.decomposition.conflict_count),
            "stitches": int(len(self.decomposition.stitches)),
            "epe_max_nm": float(np.max(np.abs(values))) if values.size else float("nan"),
            "epe_rms_nm": float(np.sqrt(np.mean(values**2))) if values.size else float("nan"),
            "epe_sites": int(values.size),
            "printed_area_nm2": float(self.contours.area()),
            "target_area_nm2": float(self.target.area()),
        }


@dataclass(frozen=True)
class MultipleExposureFlow:
    """Decompose, expose each mask through its own flow, combine.

    Parameters
    ----------
    exposures : Flow or sequence of Flow
        One flow used for every mask, or one per mask (their last stages must be of the
        same kind: images, resists or etches, so that their fields combine).
    min_space : float
        Colouring distance of the decomposition, nm.
    n_masks : int
        2 for LELE, 3 for LELELE (TPL), ...
    overlay : sequence of (dx, dy) nm, optional
        Placement error of each exposure (default none).
    stitches : bool
        Let the decomposition split patterns at stitches.
    fragment : float
        Fragment length for the final EPE, nm.
    """

    exposures: Flow | Sequence[Flow]
    min_space: float
    n_masks: int = 2
    overlay: Sequence[tuple[float, float]] | None = None
    stitches: bool = False
    fragment: float = 40.0

    def __post_init__(self) -> None:
        from .._validate import integer

        object.__setattr__(self, "n_masks", integer("n_masks", self.n_masks, 2))
        flows = (self.exposures,) * self.n_masks if isinstance(self.exposures, Flow) else tuple(self.exposures)
        if len(flows) != self.n_masks or not all(isinstance(f, Flow) for f in flows):
            raise InvalidParameterError("exposures", self.exposures, f"a Flow or {self.n_masks} Flows (one per mask)")
        kinds = {(f.etch is not None, f.resist is not None) for f in flows}
        if len(kinds) > 1:
            raise InvalidParameterError("exposures", "mixed stages", "flows that all end at the same stage")
        object.__setattr__(self, "exposures", flows)
        object.__setattr__(self, "min_space", positive_number("min_space", self.min_space, "nm"))
        overlay = ((0.0, 0.0),) * self.n_masks if self.overlay is None else tuple(self.overlay)
        try:
            overlay = tuple((float(dx), float(dy)) for dx, dy in overlay)
        except (TypeError, ValueError):
            raise InvalidParameterError("overlay", self.overlay, "one (dx, dy) nm pair per mask") from None
        if len(overlay) != self.n_masks or not all(np.isfinite(overlay).ravel()):
            raise InvalidParameterError("overlay", self.overlay, f"{self.n_masks} finite (dx, dy) nm pairs")
        object.__setattr__(self, "overlay", overlay)
        object.__setattr__(self, "fragment", positive_number("fragment", self.fragment, "nm"))

    def run(self, layout: Layout, *, window: Any, pixel: float, backend: str = "auto") -> MultipleExposureResult:
        """Decompose ``layout``, run every exposure on the window, combine and measure."""
        from ..metrology import contours, epe
        from ..multipatterning import decompose

        if not isinstance(layout, Layout):
            raise InvalidParameterError("layout", type(layout).__name__, "a litho.Layout")
        split = decompose(layout, self.n_masks, self.min_space, stitches=self.stitches)
        results, fields = [], []
        for flow, mask, (dx, dy) in zip(self.exposures, split.masks, self.overlay):
            if not mask.polygons:  # an empty mask prints nothing
                continue
            result = flow.run(mask.translate(dx, dy), window=window, pixel=pixel, backend=backend)
            f, level, region = printed_field(result.last, flow.mask.polarity, flow.threshold)
            fields.append((f - level) if region == "above" else (level - f))
            results.append(result)
        if not results:
            raise InvalidParameterError("layout", "empty", "a layout with polygons")
        combined = np.max(np.stack(fields), axis=0)
        origin = results[0].input.origin
        outline = contours(combined, 0.0, pixel, origin, region="above", empty_ok=True)
        crosses = float(combined.min()) < 0.0 < float(combined.max())
        errors = epe(combined, 0.0, pixel, layout, origin, region="above", length=self.fragment) if crosses else None
        return MultipleExposureResult(split, tuple(results), combined, outline, errors, self.overlay, layout)
