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
from .flow import Flow, FlowResult, epe_summary, printed_field

__all__ = ["MultipleExposureFlow", "MultipleExposureResult", "SADPFlow", "SADPResult"]


def _overlays(value: Any, n: int, allowed: str) -> tuple[tuple[float, float], ...]:
    """``n`` finite (dx, dy) placement errors, nm (None: none)."""
    if value is None:
        return ((0.0, 0.0),) * n
    try:
        pairs = tuple((float(dx), float(dy)) for dx, dy in value)
    except (TypeError, ValueError):
        raise InvalidParameterError("overlay", value, allowed) from None
    if len(pairs) != n or not np.all(np.isfinite(pairs)):
        raise InvalidParameterError("overlay", value, allowed)
    return pairs


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
        return {
            "masks": len(self.exposures),
            "conflicts": int(self.decomposition.conflict_count),
            "stitches": int(len(self.decomposition.stitches)),
            **epe_summary(self.epe),
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
        object.__setattr__(self, "overlay", _overlays(self.overlay, self.n_masks,
                                                      f"{self.n_masks} finite (dx, dy) nm pairs, one per mask"))
        object.__setattr__(self, "fragment", positive_number("fragment", self.fragment, "nm"))

    def run(self, layout: Layout, *, window: Any, pixel: float, backend: str | None = None) -> MultipleExposureResult:
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


@dataclass(frozen=True)
class SADPResult:
    """Everything an SADP flow computed.

    Attributes
    ----------
    decomposition : litho.multipatterning.SADPResult
        The mandrel and trim masks (and the drawn-mask process check).
    mandrel, trim : FlowResult
        The two exposures (each on its mask shifted by its overlay).
    spacer : Layout
        The spacer grown on the printed mandrels.
    printed : Layout
        The final metal ``(M ∪ T) ∖ S`` from the printed mandrels M and trims T, nm.
    epe : EPEResult or None
        EPE of ``printed`` against the target (from its exact-area raster at level 1/2).
    xor_area : float
        Area of the symmetric difference of ``printed`` and the target, nm².
    """

    decomposition: Any
    mandrel: FlowResult
    trim: FlowResult | None
    spacer: Layout = field(repr=False)
    printed: Layout = field(repr=False)
    epe: Any = field(repr=False)
    xor_area: float
    target: Layout = field(repr=False)

    def summary(self) -> dict[str, Any]:
        return {
            "mandrels": int(np.count_nonzero(self.decomposition.is_mandrel)),
            "non_mandrels": int(len(self.decomposition.is_mandrel) - np.count_nonzero(self.decomposition.is_mandrel)),
            "legal": bool(self.decomposition.legal),
            **epe_summary(self.epe),
            "xor_area_nm2": float(self.xor_area),
            "printed_area_nm2": float(self.printed.area()),
            "target_area_nm2": float(self.target.area()),
        }


@dataclass(frozen=True)
class SADPFlow:
    """Self-aligned double patterning (spacer-is-dielectric) with printed masks.

    The target is split into mandrel and trim masks (:func:`litho.decompose_sadp`); the
    mandrel exposure prints the mandrels, a conformal spacer of ``spacer_width`` grows on
    the *printed* mandrels, the mandrels are pulled, and the trim exposure opens the
    non-mandrel wires; the metal is ``(M ∪ T) ∖ S`` (see :mod:`litho.multipatterning.sadp`).
    Wire edges that face a mandrel across a spacer are self-aligned: they follow the
    mandrel print, not the trim mask or its overlay.

    Parameters
    ----------
    mandrel, trim : Flow
        The two exposures; their printed contours are taken as the mask features.
    spacer_width : float
        nm.
    overlay : ((dx, dy), (dx, dy)), optional
        Placement errors of the mandrel and the trim exposures, nm.
    rules : mapping, optional
        Further keyword arguments of :func:`litho.decompose_sadp` (mask rules, trim bias).
    fragment : float
        Fragment length for the EPE, nm.
    """

    mandrel: Flow
    trim: Flow
    spacer_width: float
    overlay: Sequence[tuple[float, float]] | None = None
    rules: Any = None
    fragment: float = 40.0

    def __post_init__(self) -> None:
        for name in ("mandrel", "trim"):
            if not isinstance(getattr(self, name), Flow):
                raise InvalidParameterError(name, getattr(self, name), "a litho.flow.Flow")
        object.__setattr__(self, "spacer_width", positive_number("spacer_width", self.spacer_width, "nm"))
        object.__setattr__(self, "overlay", _overlays(self.overlay, 2, "((dx, dy), (dx, dy)) nm: mandrel, trim"))
        object.__setattr__(self, "rules", dict(self.rules or {}))
        object.__setattr__(self, "fragment", positive_number("fragment", self.fragment, "nm"))

    def run(self, layout: Layout, *, window: Any, pixel: float, backend: str | None = None) -> SADPResult:
        """Decompose ``layout``, print both masks on the window, run the spacer process."""
        from ..geometry.raster import rasterize
        from ..metrology import epe
        from ..multipatterning import decompose_sadp, sadp_process
        from ..multipatterning._sadp_process import xor_area

        if not isinstance(layout, Layout):
            raise InvalidParameterError("layout", type(layout).__name__, "a litho.Layout")
        split = decompose_sadp(layout, self.spacer_width, **self.rules)
        (mx, my), (tx, ty) = self.overlay
        mandrel = self.mandrel.run(split.mandrel.translate(mx, my), window=window, pixel=pixel, backend=backend)
        trim = (self.trim.run(split.trim.translate(tx, ty), window=window, pixel=pixel, backend=backend)
                if split.trim.polygons else None)
        spacer, printed = sadp_process(mandrel.contours, trim.contours if trim is not None else Layout(),
                                       self.spacer_width)
        start = mandrel.input
        cover = np.asarray(rasterize(printed, pixel, start.shape, start.origin, backend="numpy"), dtype=np.float64)
        crosses = float(cover.min()) < 0.5 < float(cover.max())
        errors = epe(cover, 0.5, pixel, layout, start.origin, region="above", length=self.fragment) if crosses else None
        return SADPResult(split, mandrel, trim, spacer, printed, errors,
                          xor_area(printed.polygons, layout.polygons), layout)
