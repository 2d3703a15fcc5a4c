"""Self-aligned double patterning (SADP), spacer-is-dielectric (SID) flavour.

Process model
-------------
SADP makes a metal layer at half the pitch either mask can print by itself, with a
sacrificial *mandrel* (also called *core*) pattern and a conformal *sidewall spacer*.
In the *spacer-is-dielectric* (SID) flavour, used for metal layers, the spacer becomes
the dielectric between wires (in *spacer-is-metal*, SIM, it becomes the wires). Modelled
here, with ``s`` the spacer width (the deposited film thickness):

1. the mandrel (core) mask prints the mandrels ``M``;
2. a conformal spacer of width ``s`` is deposited and etched back, leaving
   ``S = offset(M, +s) ∖ M`` on the mandrels' sidewalls. The offset uses square (miter)
   corners, as the spacer wraps a Manhattan corner when seen from above; where two
   mandrels are closer than ``2 s`` the spacers merge and fill the gap;
3. the mandrels are pulled (removed), leaving trenches where they were;
4. the *trim* mask (called *block* or *cut* in some papers; here it *adds* metal) opens
   the non-mandrel regions where wires are wanted. Metal fills every opening that is not
   spacer, so the printed metal is ``F = (M ∪ T) ∖ S``.

Every wire is therefore either a *mandrel* wire (shape given by the mandrel mask) or a
*non-mandrel* wire (also *gap* or *secondary* wire) shaped by the trim mask. A trim
shape may overlap the spacer freely, since the spacer is removed from it: a non-mandrel
wire's edge facing a mandrel at exactly ``s`` is defined by the spacer (self-aligned),
not by the trim mask, and the trim mask can be placed with an overlay margin there.

Decomposition rules
-------------------
Spacings are L∞ (Chebyshev) distances, the metric in which a miter offset by ``d``
reaches exactly ``d``: for facing parallel edges it is the ordinary spacing, corner to
corner it is ``max(dx, dy)`` (stricter than the Euclidean distance). These rules are exact
for Manhattan layouts; at other angles a miter offset reaches further than its L∞
distance near some corners, and the XOR verification below decides. For two target
features (connected regions of the layout, after merging touching polygons) at
spacing ``d``, with tolerance ``tol``:

* ``d < s`` - *unmakeable*: a mandrel's spacer would cover part of the other feature, and
  two features of the same mask may not be closer than that mask's minimum space, which
  must be at least ``s`` (``min_mandrel_space``, ``min_trim_space`` >= ``s``);
* ``s <= d < min(min_mandrel_space, min_trim_space)`` - *opposite types*: one is a
  mandrel and the other a non-mandrel wire (at ``d == s`` the spacer is exactly their
  gap; wider, the trim mask defines the non-mandrel wire's edge in the gap);
* between the two minimum spaces, the one same-type combination with the larger minimum
  space is forbidden (a 2-SAT clause);
* a feature narrower than ``min_mandrel_width`` cannot be a mandrel, one narrower than
  ``min_trim_width`` cannot be a non-mandrel wire; narrower than both is unmakeable.

The opposite-type constraints form a graph that must be 2-coloured: breadth-first search
per connected component (the lowest-numbered feature, i.e. the leftmost, is made a
mandrel); an edge joining two features of the same colour closes an *odd cycle*, which no
assignment satisfies and which is reported as a conflict (the features of the cycle),
never silently printed. Width constraints fix a component's orientation; the clauses
between components are solved as 2-SAT over the components' orientations.

Masks: the mandrel mask is the mandrel features, as drawn (no assist or dummy mandrels).
The trim mask is the non-mandrel features, each grown by ``trim_bias`` (default
``s / 2``) into the spacer it abuts, so that its edge lies mid-spacer with ``s / 2`` of
overlay margin either way; growth is clipped to keep ``min_trim_space`` between trim
shapes. The decomposition is verified by running the process model and comparing the
printed metal with the target: ``xor_area`` is the area of their symmetric difference.

Default mask rules follow the pitch-halving premise of SADP: each mask by itself resolves
spaces down to ``2 s`` (``min_mandrel_space = min_trim_space = 2 s``); widths are not
checked unless given.

Literature: the core (mandrel) and trim masks and the sidewall rules follow Zhang, Du,
Wong and Topaloglu, "Self-aligned double patterning decomposition for overlay
minimization and hot spot detection", DAC 2011, where a location is metal when it has
trim and no sidewall; here the mandrel regions print without trim,
``F = (M ∪ T) ∖ S``, which is the same as drawing the trim over every mandrel too.
Distance rules on mandrel / non-mandrel pairs reduce to graph 2-colouring as in LELE
double-patterning decomposition, with odd cycles as the native conflicts.
"""

from __future__ import annotations

import math
import numbers
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._atomic import atomic_path
from .._validate import positive_number
from ..errors import InvalidParameterError
from ..geometry.layout import Layout
from . import _sadp_process as geo
from ._sadp_process import SADPIssue

__all__ = ["MANDREL_LAYER", "MARKER_LAYER", "PRINTED_LAYER", "SPACER_LAYER", "TRIM_LAYER", "SADPIssue", "SADPResult",
           "decompose_sadp", "sadp_process"]

MANDREL_LAYER, TRIM_LAYER, SPACER_LAYER, PRINTED_LAYER, MARKER_LAYER = (110, 0), (111, 0), (112, 0), (113, 0), (119, 0)


@dataclass(frozen=True)
class SADPResult:
    """The result of :func:`decompose_sadp`.

    Attributes
    ----------
    features : Layout
        The target's features (touching polygons merged), in the order the indices of
        ``is_mandrel``, ``unmakeable`` and ``conflicts`` refer to (sorted by lower-left
        corner, x then y).
    spacer_width : float
        ``s``, nm.
    is_mandrel : ndarray of bool (n_features,)
        Whether each feature is a mandrel wire (else a non-mandrel, trim-defined wire).
    mandrel, trim, spacer, printed : Layout
        Mandrel mask, trim mask, the spacer and the printed metal ``(M ∪ T) ∖ S`` (all on
        layer (0, 0); :meth:`write` puts them on 110–113).
    xor_area : float
        Area of the symmetric difference of ``printed`` and the target, nm².
    xor_tolerance : float
        ``tolerance`` x the target's perimeter, nm²: the largest ``xor_area`` counted as 0.
    unmakeable : tuple of SADPIssue
        Features that no assignment can make (spacing below ``s``, too narrow for both masks).
    conflicts : tuple of SADPIssue
        Assignment conflicts (odd cycles and the like).
    legal : bool
        ``xor_area <= xor_tolerance`` and nothing unmakeable or conflicting.
    min_mandrel_space, min_trim_space : float
        The same-mask minimum spaces used, nm.
    trim_bias : float
        Growth of trim shapes into the spacer, nm.
    """

    features: Layout
    spacer_width: float
    is_mandrel: np.ndarray = field(repr=False)
    mandrel: Layout = field(repr=False)
    trim: Layout = field(repr=False)
    spacer: Layout = field(repr=False)
    printed: Layout = field(repr=False)
    xor_area: float = 0.0
    xor_tolerance: float = 0.0
    unmakeable: tuple[SADPIssue, ...] = ()
    conflicts: tuple[SADPIssue, ...] = ()
    legal: bool = True
    min_mandrel_space: float = 0.0
    min_trim_space: float = 0.0
    trim_bias: float = 0.0

    def summary(self) -> str:
        """One line: features, mandrel / non-mandrel counts, issues, XOR area, legality."""
        n_m = int(np.count_nonzero(self.is_mandrel))
        return (f"SADP (SID), spacer {self.spacer_width:g} nm: {len(self.features)} features -> "
                f"{n_m} mandrel, {len(self.features) - n_m} non-mandrel (trim); "
                f"{len(self.unmakeable)} unmakeable, {len(self.conflicts)} conflicts; "
                f"XOR area {self.xor_area:g} nm² (tolerance {self.xor_tolerance:g}); "
                + ("legal" if self.legal else "NOT legal"))

    def markers(self) -> Layout:
        """Polygons of the features named by ``unmakeable`` and ``conflicts`` (each once)."""
        named = sorted({i for issue in self.unmakeable + self.conflicts for i in issue.features})
        return geo.as_layout([self.features.polygons[i] for i in named])

    def write(self, path: str | os.PathLike[str], **kwargs: Any) -> None:
        """Write mandrel (110/0), trim (111/0), spacer (112/0), printed (113/0), markers (119/0).

        Written atomically (GDSII, OASIS or GLP by extension); ``kwargs`` go to
        :meth:`Layout.write`. Markers are the polygons of unmakeable or conflicting features.
        """
        polygons: list[np.ndarray] = []
        layers: list[tuple[int, int]] = []
        for layout, layer in ((self.mandrel, MANDREL_LAYER), (self.trim, TRIM_LAYER), (self.spacer, SPACER_LAYER),
                              (self.printed, PRINTED_LAYER), (self.markers(), MARKER_LAYER)):
            polygons.extend(layout.polygons)
            layers.extend([layer] * len(layout))
        out = Layout(polygons, np.asarray(layers, dtype=np.int64).reshape(-1, 2))
        with atomic_path(path) as tmp:
            out.write(tmp, **kwargs)


def _polygons_of(name: str, value: Any) -> list[np.ndarray]:
    if isinstance(value, Layout):
        return list(value.polygons)
    raise InvalidParameterError(name, value, "a litho.Layout")


def sadp_process(mandrel: Layout, trim: Layout, spacer_width: float) -> tuple[Layout, Layout]:
    """Run the SID SADP process model on a mandrel and a trim mask.

    Parameters
    ----------
    mandrel : Layout
        Mandrel (core) mask polygons, nm (all layers used).
    trim : Layout
        Trim mask polygons, nm (all layers used).
    spacer_width : float
        Spacer width ``s``, nm (> 0).

    Returns
    -------
    spacer : Layout
        ``S = offset(M, +s) ∖ M`` with square (miter) corners, on layer (0, 0).
    printed : Layout
        The metal ``F = (M ∪ T) ∖ S``, on layer (0, 0).

    Examples
    --------
    >>> from litho import Layout
    >>> spacer, printed = sadp_process(Layout.from_rects([[0, 0, 20, 20]]), Layout(), 10)
    >>> spacer.area()  # (20 + 2*10)² - 20²
    1200.0
    """
    s = positive_number("spacer_width", spacer_width, "nm")
    spacer, printed = geo.process(_polygons_of("mandrel", mandrel), _polygons_of("trim", trim), s)
    return geo.as_layout(spacer), geo.as_layout(printed)


def _optional_length(name: str, value: Any, minimum: float, what: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(float(value)) \
            or float(value) < minimum:
        raise InvalidParameterError(name, value, what)
    return float(value)


def decompose_sadp(layout: Layout, spacer_width: float, *, min_mandrel_width: float | None = None,
                   min_mandrel_space: float | None = None, min_trim_width: float | None = None,
                   min_trim_space: float | None = None, trim_bias: float | None = None,
                   tolerance: float = 1e-6) -> SADPResult:
    """Decompose a metal layer into SID SADP mandrel and trim masks, and verify them.

    See the module docstring for the process model and the rules.

    Parameters
    ----------
    layout : Layout
        The target metal (all polygons; select a layer first). Touching or overlapping
        polygons form one feature.
    spacer_width : float
        Spacer width ``s``, nm (> 0).
    min_mandrel_width, min_trim_width : float, optional
        Narrowest feature each mask may print, nm; ``None``: not checked.
    min_mandrel_space, min_trim_space : float, optional
        Smallest space between two features on the same mask, nm (>= ``spacer_width``);
        default ``2 * spacer_width``.
    trim_bias : float, optional
        How far trim shapes extend into the spacer they abut, nm, in [0, ``spacer_width``];
        default ``spacer_width / 2``.
    tolerance : float
        Spacing tolerance, nm (>= 0): ``d >= x - tolerance`` counts as ``d >= x``. The XOR
        area counts as zero up to ``tolerance`` x the target's perimeter.

    Returns
    -------
    SADPResult

    Raises
    ------
    InvalidParameterError
        ``layout`` is not a Layout or is empty, or a number is out of range (named).
    """
    if not isinstance(layout, Layout):
        raise InvalidParameterError("layout", layout, "a litho.Layout")
    if not len(layout):
        raise InvalidParameterError("layout", layout, "a Layout with at least one polygon")
    s = positive_number("spacer_width", spacer_width, "nm")
    if tolerance is None:
        raise InvalidParameterError("tolerance", tolerance, "a finite number of nm >= 0")
    tol = float(_optional_length("tolerance", tolerance, 0.0, "a finite number of nm >= 0"))  # type: ignore[arg-type]
    space_what = f"None or a finite number of nm >= spacer_width ({s:g})"
    min_m_space = _optional_length("min_mandrel_space", min_mandrel_space, s, space_what)
    min_t_space = _optional_length("min_trim_space", min_trim_space, s, space_what)
    min_m_space = 2 * s if min_m_space is None else min_m_space
    min_t_space = 2 * s if min_t_space is None else min_t_space
    width_what = "None or a finite number of nm >= 0"
    min_m_width = _optional_length("min_mandrel_width", min_mandrel_width, 0.0, width_what)
    min_t_width = _optional_length("min_trim_width", min_trim_width, 0.0, width_what)
    bias = _optional_length("trim_bias", trim_bias, 0.0, f"None or a number of nm in [0, spacer_width ({s:g})]")
    bias = s / 2 if bias is None else bias
    if bias > s:
        raise InvalidParameterError("trim_bias", trim_bias, f"None or a number of nm in [0, spacer_width ({s:g})]")

    features = _features(layout)
    n = len(features)
    unmakeable: list[SADPIssue] = []

    # feature pairs closer than the largest spacing that constrains anything
    pairs, gaps = geo.close_pairs(features, max(min_m_space, min_t_space) - tol)
    differ: list[list[int]] = [[] for _ in range(n)]
    differ_gap: dict[tuple[int, int], float] = {}
    clauses: list[tuple[int, bool, int, bool]] = []  # (i, xi, j, xj): x_i == xi or x_j == xj (x: mandrel)
    band: list[tuple[int, int, float]] = []
    for (i, j), d in zip(pairs.tolist(), gaps.tolist()):
        if d < s - tol:
            unmakeable.append(SADPIssue((i, j), "spacing", f"features {i} and {j} are {d:g} nm apart, "
                                        f"less than the spacer width {s:g} nm"))
            continue
        mm_ok, tt_ok = d >= min_m_space - tol, d >= min_t_space - tol
        if not mm_ok and not tt_ok:
            differ[i].append(j)
            differ[j].append(i)
            differ_gap[(i, j)] = d
        elif not tt_ok:
            clauses.append((i, True, j, True))
            band.append((i, j, d))
        elif not mm_ok:
            clauses.append((i, False, j, False))
            band.append((i, j, d))

    forced: dict[int, bool] = {}
    for i, f in enumerate(features):
        can_m = min_m_width is None or not geo.narrower_than(f, min_m_width, tol)
        can_t = min_t_width is None or not geo.narrower_than(f, min_t_width, tol)
        if not can_m and not can_t:
            unmakeable.append(SADPIssue((i,), "width", f"feature {i} is narrower than both min_mandrel_width "
                                        f"({min_m_width:g} nm) and min_trim_width ({min_t_width:g} nm)"))
        elif not can_m or not can_t:
            forced[i] = can_m

    is_mandrel, conflicts = geo.assign(n, differ, differ_gap, forced, clauses, band, min_m_space, min_t_space)

    mandrel = [f for f, m in zip(features, is_mandrel) if m]
    trim = geo.trim_shapes(features, is_mandrel, s, bias, min_t_space)
    spacer, printed = geo.process(mandrel, trim, s)
    xor_area = geo.xor_area(printed, features)
    xor_tolerance = tol * geo.perimeter(features)
    legal = xor_area <= xor_tolerance and not unmakeable and not conflicts
    flags = np.array(is_mandrel, dtype=bool)
    flags.flags.writeable = False
    return SADPResult(
        features=geo.as_layout(features), spacer_width=s, is_mandrel=flags,
        mandrel=geo.as_layout(mandrel), trim=geo.as_layout(trim), spacer=geo.as_layout(spacer),
        printed=geo.as_layout(printed), xor_area=xor_area, xor_tolerance=xor_tolerance,
        unmakeable=tuple(unmakeable), conflicts=tuple(conflicts), legal=bool(legal),
        min_mandrel_space=min_m_space, min_trim_space=min_t_space, trim_bias=bias,
    )


def _features(layout: Layout) -> list[np.ndarray]:
    """Connected regions of the layout (all layers merged), sorted by lower-left corner."""
    merged = geo.boolean(list(layout.polygons), [], "or")
    lo = np.array([p.min(axis=0) for p in merged])
    order = np.lexsort((lo[:, 1], lo[:, 0]))
    return [merged[k] for k in order.tolist()]
