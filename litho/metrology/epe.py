"""Edge placement error (EPE): where the printed contour lies relative to the target edges.

The target's edges are cut into *fragments* (:func:`fragment`), as an OPC tool does; at
the midpoint of each fragment (its *site*) a short gauge is laid along the edge's outward
normal, ``[-search, +search]`` nm about the site, and the level crossing of the field's
interpolant nearest to the site is located (:func:`epe`). The EPE is the signed distance
from the target edge to that crossing along the outward normal:

* EPE > 0: the printed contour lies outside the target, the printed feature is larger;
* EPE < 0: the contour lies inside the target, the printed feature is smaller.

"Printed feature" is the side of the level given by ``region`` (``"above"``: field >=
level, as in :func:`litho.metrology.contours`). Only crossings in the outward sense
(from the feature side to the other side, walking outwards) count, so the inner edge of
a neighbour or the far edge of a narrow line is never taken for this edge.

Sampling convention (as everywhere in litho): the value at row ``iy``, column ``ix``
stands for the point ``origin + ((ix + 1/2) px, (iy + 1/2) py)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validate import choice, finite_number, finite_pair, positive_number, real_array
from ..errors import InvalidParameterError
from ..geometry.layout import Layout
from .gauges import Gauge, check_level, gauge_profiles, level_crossings, pixel_pair

__all__ = ["Fragments", "fragment", "EPEResult", "epe", "KINDS", "STATUS"]

#: fragment kind codes (:attr:`Fragments.kind`) and their names
RUN, CORNER, LINE_END = 0, 1, 2
KINDS = ("run", "corner", "line_end")

#: status codes of :class:`EPEResult`
OK, MISSING, BRIDGED, NO_EDGE, OFF_FIELD = 0, 1, 2, 3, 4
STATUS = {OK: "measured",
          MISSING: "the whole normal segment lies outside the printed feature (the edge pulled back by more than "
                   "search, or the feature did not print)",
          BRIDGED: "the whole normal segment lies inside the printed feature (the edge pushed out by more than "
                   "search, or the feature merged with a neighbour)",
          NO_EDGE: "the level is crossed along the normal, but never outwards (from the feature side to the other)",
          OFF_FIELD: "the site lies outside the field's extent"}
_REGIONS = ("above", "below")
_COLLINEAR = 1e-9        # |sin| of the turn below which two edges are one straight edge
_DEFAULT_LENGTH = 20.0   # nm, fragment length when epe() fragments a Layout itself
_REFINE_STEPS = 4        # Illinois (modified regula falsi) steps on the interpolant
_CHUNK = 128             # fragments measured per gauge_profiles call


def _readonly(a: Any, dtype: Any, shape: tuple[int, ...], name: str) -> np.ndarray:
    arr = np.array(a, dtype=dtype, copy=True)
    if arr.shape != shape:
        raise InvalidParameterError(name, f"array of shape {arr.shape}", f"an array of shape {shape}")
    arr.flags.writeable = False
    return arr


@dataclass(frozen=True, eq=False)
class Fragments:
    """Target edges cut into fragments; one measurement site per fragment.

    Attributes
    ----------
    points : ndarray (n, 2)
        Sites: the fragments' midpoints (x, y), nm.
    normals : ndarray (n, 2)
        Unit outward normals (pointing away from the polygon's inside, whatever the
        polygon's orientation).
    lengths : ndarray (n,)
        Fragment lengths, nm; per polygon they sum to its perimeter.
    polygon : ndarray (n,) of int
        Index of the fragment's polygon in the target's ``polygons``.
    edge : ndarray (n,) of int
        Index of the vertex (of that polygon) where the fragment's edge starts; a straight
        edge drawn with several collinear vertices is one edge, numbered by its first vertex.
    kind : ndarray (n,) of int
        Codes into :data:`KINDS`: 0 ``"run"`` (inside an edge), 1 ``"corner"`` (touching a
        vertex), 2 ``"line_end"`` (on a short edge between two convex vertices).
    length : float
        The nominal (largest) fragment length the target was cut with, nm.
    """

    points: np.ndarray
    normals: np.ndarray
    lengths: np.ndarray
    polygon: np.ndarray
    edge: np.ndarray
    kind: np.ndarray
    length: float

    def __post_init__(self) -> None:
        n = int(np.shape(self.lengths)[0]) if np.ndim(self.lengths) == 1 else -1
        if n < 0:
            raise InvalidParameterError("lengths", self.lengths, "a 1-D array of fragment lengths in nm")
        object.__setattr__(self, "points", _readonly(self.points, np.float64, (n, 2), "points"))
        object.__setattr__(self, "normals", _readonly(self.normals, np.float64, (n, 2), "normals"))
        object.__setattr__(self, "lengths", _readonly(self.lengths, np.float64, (n,), "lengths"))
        for name in ("polygon", "edge"):
            object.__setattr__(self, name, _readonly(getattr(self, name), np.int64, (n,), name))
        object.__setattr__(self, "kind", _readonly(self.kind, np.int8, (n,), "kind"))
        object.__setattr__(self, "length", positive_number("length", self.length, "nm"))
        if n and not (np.isfinite(self.points).all() and np.allclose(np.hypot(*self.normals.T), 1.0)):
            raise InvalidParameterError("normals", "non-unit or non-finite", "finite sites and unit normals")
        if n and not ((self.kind >= 0) & (self.kind < len(KINDS))).all():
            raise InvalidParameterError("kind", self.kind, f"codes 0..{len(KINDS) - 1} (see KINDS)")

    def __len__(self) -> int:
        return len(self.lengths)

    @property
    def kind_names(self) -> np.ndarray:
        """The kind of each fragment by name (:data:`KINDS`)."""
        return np.asarray(KINDS, dtype=object)[self.kind]

    @property
    def segments(self) -> np.ndarray:
        """(n, 2, 2): each fragment's two end points (x, y), nm, along its edge."""
        tangent = np.stack([-self.normals[:, 1], self.normals[:, 0]], axis=1)
        half = 0.5 * self.lengths[:, None] * tangent
        return np.stack([self.points - half, self.points + half], axis=1)

    def subset(self, mask: Any) -> Fragments:
        """The fragments where ``mask`` (a boolean or index array) selects."""
        return Fragments(self.points[mask], self.normals[mask], self.lengths[mask], self.polygon[mask],
                         self.edge[mask], self.kind[mask], self.length)


def _split_at_vertices(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A polygon's edges, each cut at the polygon's vertices lying inside it: (edge index, a, b)."""
    m = len(xy)
    a, b = xy, np.roll(xy, -1, axis=0)
    idx, starts, ends = [], [], []
    for lo in range(0, m, 256):  # rows of (edge x vertex) tests, bounded memory
        hi = min(m, lo + 256)
        d = (b[lo:hi] - a[lo:hi])[:, None, :]
        r = xy[None, :, :] - a[lo:hi, None, :]
        dd = np.einsum("ijk,ijk->ij", d, d)
        t = np.einsum("ijk,ijk->ij", r, d) / dd
        off = np.abs(d[..., 0] * r[..., 1] - d[..., 1] * r[..., 0]) / np.sqrt(dd)
        scale = 1e-9 * max(1.0, float(np.abs(xy).max()))
        on = (off <= scale) & (t > 1e-12) & (t < 1 - 1e-12)
        for row in range(hi - lo):
            i = lo + row
            cuts = np.unique(t[row, on[row]])
            knots = np.concatenate([[0.0], cuts, [1.0]])
            pts = a[i] + knots[:, None] * (b[i] - a[i])
            pts[-1] = b[i]
            idx.extend([i] * (len(knots) - 1))
            starts.append(pts[:-1])
            ends.append(pts[1:])
    return np.array(idx), np.concatenate(starts), np.concatenate(ends)


def _rings(xy: np.ndarray) -> list[list[tuple[int, np.ndarray, np.ndarray]]]:
    """Edges of one polygon as closed rings ``[(vertex index, start, end), ...]``, keyhole cuts dropped.

    Edge ``i`` runs from vertex ``i`` to vertex ``i + 1``. A keyholed polygon (a hole
    joined to its outline by a cut walked both ways, as gdstk and ``Layout.union`` give)
    has coincident, opposite (pieces of) edges: they are no edges of the shape and are
    dropped; the rest are chained end to start into the outline and the holes.
    """
    import shapely

    m = len(xy)
    if shapely.LinearRing(xy).is_simple:
        return [[(i, xy[i], xy[(i + 1) % m]) for i in range(m)]]
    idx, a, b = _split_at_vertices(xy)
    keys_a = [(float(x), float(y)) for x, y in np.round(a, 9)]
    keys_b = [(float(x), float(y)) for x, y in np.round(b, 9)]
    pieces: dict[tuple[Any, Any], list[int]] = {}
    for k, key in enumerate(zip(keys_a, keys_b)):
        pieces.setdefault(key, []).append(k)
    dropped: set[int] = set()
    for (p, q), ks in pieces.items():  # cancel each piece against an opposite one
        opposite = [k for k in pieces.get((q, p), []) if k not in dropped]
        for k in ks:
            if k in dropped or not opposite:
                continue
            dropped.add(k)
            dropped.add(opposite.pop())
    kept = [k for k in range(len(idx)) if k not in dropped]
    if not kept:
        return []
    starting: dict[tuple[float, float], list[int]] = {}
    for k in kept:
        starting.setdefault(keys_a[k], []).append(k)
    order = {k: j for j, k in enumerate(kept)}
    succ = {}
    for k in kept:
        nxt = starting.get(keys_b[k], [])
        succ[k] = nxt[0] if len(nxt) == 1 else kept[(order[k] + 1) % len(kept)]
    rings, seen = [], set()
    for k in kept:
        ring = []
        while k not in seen:
            seen.add(k)
            ring.append((int(idx[k]), a[k], b[k]))
            k = succ[k]
        if ring:
            rings.append(ring)
    return rings


def _straight_edges(ring: list[tuple[int, np.ndarray, np.ndarray]],
                    sign: float) -> list[tuple[int, np.ndarray, np.ndarray, bool]]:
    """A ring's straight edges (collinear pieces merged): (first vertex, start, end, convex start)."""
    a = np.array([r[1] for r in ring])
    b = np.array([r[2] for r in ring])
    d = b - a
    d = d / np.hypot(d[:, 0], d[:, 1])[:, None]
    prev = np.roll(d, 1, axis=0)
    cross = prev[:, 0] * d[:, 1] - prev[:, 1] * d[:, 0]
    dot = np.einsum("ij,ij->i", prev, d)
    breaks = np.flatnonzero(~((np.abs(cross) <= _COLLINEAR) & (dot > 0)))
    if len(breaks) < 2:
        return []  # degenerate ring (a line)
    out = []
    for k, j in enumerate(breaks):
        last = breaks[(k + 1) % len(breaks)] - 1  # the piece before the next break (cyclic)
        out.append((ring[j][0], a[j], b[last % len(ring)], bool(cross[j] * sign > 0)))
    return out


def _pieces(edge_length: float, length: float, corner: float | None) -> np.ndarray:
    """Piece lengths along one edge: equal pieces <= length, optional corner pieces at both ends."""
    if corner is not None and edge_length > 2.0 * corner:
        middle = edge_length - 2.0 * corner
        k = max(1, math.ceil(middle / length * (1.0 - 1e-12)))
        return np.concatenate([[corner], np.full(k, middle / k), [corner]])
    k = max(1, math.ceil(edge_length / length * (1.0 - 1e-12)))
    return np.full(k, edge_length / k)


def fragment(target: Layout, length: float, *, corner: float | None = None,
             line_end: float | None = None) -> Fragments:
    """Cut every edge of a target layout into fragments of at most ``length`` nm.

    Each straight edge of length ``L`` is cut into ``ceil(L / length)`` equal pieces;
    with ``corner``, edges longer than ``2 corner`` first lose a piece of ``corner`` nm
    at each end (the corner fragments) and the rest is cut into equal pieces of at most
    ``length``. Edges may have any direction (not only Manhattan).

    Parameters
    ----------
    target : Layout
        Target polygons, nm, of either orientation (the signed area gives the inside).
        Overlapping polygons are fragmented one by one (call ``target.union()`` first to
        measure the merged outline); keyhole cuts (coincident opposite edges, as in
        ``Layout.union`` results with holes) are not edges and give no fragments.
    length : float
        Largest fragment length, nm.
    corner : float, optional
        Length of the corner fragment at each end of an edge, nm (default: none).
    line_end : float, optional
        An edge no longer than this (nm; default ``2 * length``) whose two vertices are
        both convex is a line end: all its fragments are of kind ``"line_end"``.

    Returns
    -------
    Fragments
        Kinds: ``"line_end"`` as above; otherwise ``"corner"`` for the first and the last
        fragment of each edge (those touching a vertex, convex or concave) and ``"run"``
        for the others.

    Raises
    ------
    InvalidParameterError
        ``target`` not a Layout or empty; a non-positive ``length``, ``corner`` or
        ``line_end``.
    """
    if not isinstance(target, Layout):
        raise InvalidParameterError("target", target, "a litho.geometry.Layout")
    if not len(target):
        raise InvalidParameterError("target", target, "a Layout with at least one polygon")
    length = positive_number("length", length, "nm")
    corner = None if corner is None else positive_number("corner", corner, "nm")
    line_end = 2.0 * length if line_end is None else positive_number("line_end", line_end, "nm")
    points, normals, lengths, poly_idx, edge_idx, kinds = [], [], [], [], [], []
    for p, xy in enumerate(target.polygons):
        rel = xy - xy[0]
        area = 0.5 * float(np.dot(rel[:, 0], np.roll(rel[:, 1], -1)) - np.dot(rel[:, 1], np.roll(rel[:, 0], -1)))
        if area == 0.0:
            continue
        sign = 1.0 if area > 0 else -1.0
        for ring in _rings(xy):
            edges = _straight_edges(ring, sign)
            for k, (first, a, b, convex_start) in enumerate(edges):
                convex_end = edges[(k + 1) % len(edges)][3]
                vec = b - a
                edge_length = float(np.hypot(*vec))
                if edge_length == 0.0:
                    continue
                t = vec / edge_length
                pieces = _pieces(edge_length, length, corner)
                mids = np.cumsum(pieces) - 0.5 * pieces
                kind = np.full(len(pieces), RUN, dtype=np.int8)
                if edge_length <= line_end and convex_start and convex_end:
                    kind[:] = LINE_END
                else:
                    kind[[0, -1]] = CORNER
                points.append(a + mids[:, None] * t)
                normals.append(np.broadcast_to(sign * np.array([t[1], -t[0]]), (len(pieces), 2)))
                lengths.append(pieces)
                poly_idx.append(np.full(len(pieces), p))
                edge_idx.append(np.full(len(pieces), first))
                kinds.append(kind)
    if not lengths:
        raise InvalidParameterError("target", target, "a Layout with at least one polygon of non-zero area")
    return Fragments(np.concatenate(points), np.concatenate(normals), np.concatenate(lengths),
                     np.concatenate(poly_idx), np.concatenate(edge_idx), np.concatenate(kinds), length)


def _stats(values: np.ndarray, ok: np.ndarray) -> dict[str, Any]:
    """max (signed, largest |value|), rms, mean over the last axis of the entries where ``ok``."""
    count = ok.sum(axis=-1)
    v = np.where(ok, values, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count > 0, v.sum(axis=-1) / np.maximum(count, 1), np.nan)
        rms = np.where(count > 0, np.sqrt((v * v).sum(axis=-1) / np.maximum(count, 1)), np.nan)
    if values.shape[-1]:
        k = np.argmax(np.where(ok, np.abs(values), -1.0), axis=-1)
        big = np.take_along_axis(v, k[..., None], axis=-1)[..., 0]
    else:
        big = np.zeros(values.shape[:-1])
    big = np.where(count > 0, big, np.nan)
    return {"measured": _scalar(count), "max": _scalar(big), "rms": _scalar(rms), "mean": _scalar(mean)}


def _scalar(x: Any) -> Any:
    return x.item() if np.ndim(x) == 0 else x


@dataclass(frozen=True, eq=False)
class EPEResult:
    """Edge placement errors at the sites of a set of fragments.

    Attributes
    ----------
    epe : ndarray (..., n)
        Signed EPE, nm (> 0: contour outside the target, printed feature larger); NaN
        where ``status`` is not 0. Leading axes are the field's batch axes.
    status : ndarray (..., n) of int
        0 measured, else why not (:data:`STATUS`).
    fragments : Fragments
    level : float
        The contour level.
    search : float
        Half-length of the normal segment searched, nm.
    """

    epe: np.ndarray
    status: np.ndarray
    fragments: Fragments
    level: float
    search: float

    def __post_init__(self) -> None:
        if np.shape(self.epe) != np.shape(self.status) or np.shape(self.epe)[-1:] != (len(self.fragments),):
            raise InvalidParameterError("status", f"shape {np.shape(self.status)}",
                                        f"the shape of epe {np.shape(self.epe)}, ending in n = {len(self.fragments)}")
        shape = tuple(np.shape(self.epe))
        object.__setattr__(self, "epe", _readonly(self.epe, np.float64, shape, "epe"))
        object.__setattr__(self, "status", _readonly(self.status, np.int8, shape, "status"))

    @property
    def ok(self) -> np.ndarray:
        """Where an EPE was measured."""
        return self.status == OK

    @property
    def max(self) -> Any:
        """The EPE of largest magnitude (signed), nm; NaN when nothing was measured."""
        return _stats(self.epe, self.ok)["max"]

    @property
    def rms(self) -> Any:
        """Root-mean-square EPE over the measured sites, nm."""
        return _stats(self.epe, self.ok)["rms"]

    @property
    def mean(self) -> Any:
        """Mean EPE over the measured sites, nm (> 0: features print large on average)."""
        return _stats(self.epe, self.ok)["mean"]

    def by_kind(self) -> dict[str, dict[str, Any]]:
        """Summaries per fragment kind present: ``{kind: {count, measured, max, rms, mean}}``.

        ``count`` is the number of fragments of that kind, ``measured`` how many have an
        EPE; ``max`` (signed, largest magnitude), ``rms`` and ``mean`` are over those, nm
        (arrays over the batch axes for a batch of fields).
        """
        out = {}
        for code, name in enumerate(KINDS):
            sel = self.fragments.kind == code
            if sel.any():
                out[name] = {"count": int(sel.sum()), **_stats(self.epe[..., sel], self.ok[..., sel])}
        return out

    def count_outside(self, tolerance: float) -> Any:
        """Number of sites with ``|EPE| > tolerance`` nm, sites without an edge included.

        A site without a measured edge (NaN EPE: no edge within the search distance, or
        off the field) is a failure, so it counts as outside the tolerance.
        """
        tol = finite_number("tolerance", tolerance, "nm")
        if tol < 0:
            raise InvalidParameterError("tolerance", tolerance, "a finite number >= 0 of nm")
        outside = ~self.ok | (np.abs(np.where(self.ok, self.epe, 0.0)) > tol)
        return _scalar(outside.sum(axis=-1))


def _reach(points: np.ndarray, direction: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    """Largest t >= 0 with points + t * direction inside box (inf when unbounded)."""
    t = np.full(len(points), np.inf)
    for axis, (lo, hi) in enumerate(((box[0], box[2]), (box[1], box[3]))):
        d = direction[:, axis]
        with np.errstate(divide="ignore", invalid="ignore"):
            reach = np.where(d > 0, (hi - points[:, axis]) / d, np.where(d < 0, (lo - points[:, axis]) / d, np.inf))
        t = np.minimum(t, reach)
    return np.maximum(t, 0.0)


def epe(field: Any, level: float, pixel: Any, target: Layout | Fragments, origin: tuple[float, float] = (0.0, 0.0),
        *, region: str = "above", search: float | None = None, length: float | None = None,
        corner: float | None = None, step: float | None = None, interpolation: str = "cubic",
        boundary: str = "periodic") -> EPEResult:
    """Signed edge placement error of the printed contour at each target fragment, nm.

    Parameters
    ----------
    field : array (..., ny, nx)
        Aerial image, resist image... (numpy or CuPy); leading axes are a batch (e.g.
        process conditions) measured at the same sites.
    level : float
        Contour level (same units as the field), strictly inside the field's range.
    pixel : float or (py, px)
        Sample spacing, nm.
    target : Layout or Fragments
        The target polygons (fragmented here with ``length`` and ``corner``, see
        :func:`fragment`) or fragments made beforehand.
    origin : (float, float)
        (x, y) nm of the corner of sample (0, 0)'s pixel.
    region : {"above", "below"}
        The printed feature is where the field is >= level (``"above"``) or <= level.
    search : float, optional
        The crossing is searched along the normal within ``[-search, +search]`` nm of the
        site (cut at the field's extent). Default ``max(2 length, 4 pixel)`` with
        ``length`` the fragments' nominal length and ``pixel`` the coarser pixel side.
    length : float, optional
        Fragment length, nm, when ``target`` is a Layout (default 20 nm).
    corner : float, optional
        Corner fragment length, nm, when ``target`` is a Layout.
    step, interpolation, boundary
        Sampling along the normals, see :func:`litho.metrology.gauge_profiles`
        (cubic B-spline by default; ``"linear"`` matches :func:`contours` exactly).

    Returns
    -------
    EPEResult
        EPE and status per site: of the outward crossings (feature side to the other
        side, walking outwards) in the search segment, the one nearest to the site,
        located on the interpolant to ~1e-6 nm; NaN with a status where there is none.

    Raises
    ------
    InvalidParameterError
        A level outside the field's range (the error gives the range), an empty target,
        a bad length, search, pixel, origin or field; ``length``/``corner`` given with
        ready-made fragments.
    """
    arr = real_array("field", field, ndim=tuple(range(2, 6)), what="a sampled field (..., ny, nx)")
    lv = check_level(arr, level)
    py, px = pixel_pair(pixel)
    x0, y0 = finite_pair("origin", origin, "nm")
    region = choice("region", region, _REGIONS)
    if isinstance(target, Fragments):
        for name, value in (("length", length), ("corner", corner)):
            if value is not None:
                raise InvalidParameterError(name, value, "None when target is already Fragments")
        frags = target
    else:
        frags = fragment(target, _DEFAULT_LENGTH if length is None else length, corner=corner)
    if not len(frags):
        raise InvalidParameterError("target", "no fragments", "at least one fragment")
    search = max(2.0 * frags.length, 4.0 * max(px, py)) if search is None else positive_number("search", search, "nm")
    ny, nx = arr.shape[-2:]
    lead = arr.shape[:-2]
    n = len(frags)
    box = (x0, y0, x0 + nx * px, y0 + ny * py)
    inset = 1e-9 * max(1.0, *(abs(v) for v in box))
    inner = (box[0] + inset, box[1] + inset, box[2] - inset, box[3] - inset)
    pts, nrm = frags.points, frags.normals
    inside = ((pts[:, 0] >= inner[0]) & (pts[:, 0] <= inner[2]) & (pts[:, 1] >= inner[1]) & (pts[:, 1] <= inner[3]))
    back = np.minimum(search, _reach(pts, -nrm, inner))
    out = np.minimum(search, _reach(pts, nrm, inner))
    usable = inside & (back + out > 0)
    epe_out = np.full(lead + (n,), np.nan)
    status = np.full(lead + (n,), OFF_FIELD, dtype=np.int8)
    idx = np.flatnonzero(usable)
    if len(idx):
        # in chunks: the cost of sampling many gauges at once grows faster than their number
        for chunk in np.array_split(idx, -(-len(idx) // _CHUNK)):
            gauges = [Gauge(tuple(pts[i] - back[i] * nrm[i]), tuple(pts[i] + out[i] * nrm[i]), f"f{i}")
                      for i in chunk]
            prof = gauge_profiles(arr, (py, px), gauges, (x0, y0), step=step, interpolation=interpolation,
                                  boundary=boundary)
            e, st = _nearest_outward(prof, lv, region, back[chunk])
            epe_out[..., chunk] = e
            status[..., chunk] = st
    return EPEResult(epe_out, status, frags, lv, float(search))


def _nearest_outward(prof: Any, level: float, region: str, site: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per gauge (and batch entry): distance of the outward crossing nearest to ``site`` from it."""
    values, s = prof.values, prof.s                       # (..., ng, ns), (ng, ns)
    lead = values.shape[:-2]
    crossing, frac = level_crossings(values, level)
    dv = np.diff(values, axis=-1)
    outward = crossing & ((dv < 0) if region == "above" else (dv > 0))
    pos = s[..., :-1] + np.nan_to_num(frac) * np.diff(s, axis=-1)
    dist = np.where(outward, np.abs(pos - site[:, None]), np.inf)
    k = np.argmin(dist, axis=-1)                          # (..., ng)
    found = np.isfinite(np.take_along_axis(dist, k[..., None], axis=-1)[..., 0])
    valid = ~np.isnan(values)
    feature = (values >= level) if region == "above" else (values <= level)
    all_in = np.where(valid, feature, True).all(axis=-1)
    all_out = np.where(valid, ~feature, True).all(axis=-1)
    status = np.where(found, OK, np.where(all_out, MISSING, np.where(all_in, BRIDGED, NO_EDGE))).astype(np.int8)
    result = np.full(lead + (len(site),), np.nan)
    if found.any():
        where = np.nonzero(found)
        g = where[-1]
        kk = k[where]
        s_lo, s_hi = s[g, kk], s[g, kk + 1]
        v_lo, v_hi = values[where + (kk,)], values[where + (kk + 1,)]
        cross = _illinois(prof, g, where[:-1], s_lo, s_hi, v_lo - level, v_hi - level, level)
        result[where] = cross - site[g]
    return result, status


def _illinois(prof: Any, g: np.ndarray, batch: tuple[np.ndarray, ...], a: np.ndarray, b: np.ndarray,
              fa: np.ndarray, fb: np.ndarray, level: float) -> np.ndarray:
    """Roots of interpolant - level in brackets [a, b] (fa, fb of opposite signs): Illinois steps."""
    a, b, fa, fb = a.copy(), b.copy(), fa.copy(), fb.copy()
    side = np.zeros(a.shape, dtype=np.int8)
    for _ in range(_REFINE_STEPS):
        with np.errstate(invalid="ignore", divide="ignore"):
            c = np.where(fb != fa, a - fa * (b - a) / (fb - fa), 0.5 * (a + b))
        c = np.clip(c, np.minimum(a, b), np.maximum(a, b))
        fc = prof.refine(g, c, batch) - level
        left = fa * fc > 0  # the root lies in [c, b]
        right = ~left
        # Illinois: halve the stale end's value when the same end is kept twice
        fb = np.where(left & (side == 1), 0.5 * fb, fb)
        fa = np.where(right & (side == -1), 0.5 * fa, fa)
        a, fa = np.where(left, c, a), np.where(left, fc, fa)
        b, fb = np.where(right, c, b), np.where(right, fc, fb)
        side = np.where(left, 1, -1).astype(np.int8)
        if not np.any(fc):
            break
    with np.errstate(invalid="ignore", divide="ignore"):
        c = np.where(fb != fa, a - fa * (b - a) / (fb - fa), 0.5 * (a + b))
    return np.clip(c, np.minimum(a, b), np.maximum(a, b))
