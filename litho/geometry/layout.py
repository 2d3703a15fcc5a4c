"""`Layout`: an immutable set of polygons in nm, each with a (layer, datatype) pair."""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .._validate import finite_number
from ..errors import InvalidParameterError, LayoutError
from . import _packed

__all__ = ["Layout", "SUPPORTED_SUFFIXES"]

SUPPORTED_SUFFIXES = {".gds": "gds", ".gds2": "gds", ".gdsii": "gds", ".oas": "oas", ".oasis": "oas", ".glp": "glp"}
# grid (nm) that gdstk boolean results are snapped to; results are then rounded to this
# many decimals so that e.g. 3900.2999999999997 comes back as 3900.3
_BOOL_PRECISION, _BOOL_DECIMALS = 1e-6, 6
_POLYGON_WHAT = "an (n, 2) array of finite x, y coordinates in nm with at least 3 distinct consecutive vertices"


def _file_format(path: Path) -> str:
    fmt = SUPPORTED_SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise LayoutError(
            f"unsupported file extension {''.join(path.suffixes) or '(none)'!r}; supported: "
            + ", ".join(SUPPORTED_SUFFIXES),
            path,
        )
    return fmt


def _as_path(path: Any) -> Path:
    try:
        return Path(os.fspath(path))
    except TypeError:
        raise InvalidParameterError("path", path, "a file path (str or os.PathLike)") from None


def _layer_pair(name: str, value: Any) -> tuple[int, int]:
    what = "a (layer, datatype) pair of non-negative integers"
    try:
        layer, datatype = value
    except (TypeError, ValueError):
        raise InvalidParameterError(name, value, what) from None
    for v in (layer, datatype):
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)) or v < 0:
            raise InvalidParameterError(name, value, what)
    return int(layer), int(datatype)


def _normalise(xy: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Drop consecutive duplicate vertices and a repeated closing vertex, per polygon.

    ``xy`` holds the polygons' vertices one after another, ``counts`` how many each has
    (all >= 1). Returns the new ``xy`` and ``counts`` (counts may fall below 3).
    """
    if not len(counts):
        return xy, counts
    starts = (np.cumsum(counts) - counts).astype(np.intp)
    keep = np.ones(len(xy), dtype=bool)
    x, y = xy[:, 0], xy[:, 1]
    np.not_equal(x[1:], x[:-1], out=keep[1:])  # column by column: no (n, 2) temporaries
    keep[1:] |= y[1:] != y[:-1]
    keep[starts] = True
    if not keep.all():  # (boolean indexing copies: only when something is dropped)
        counts = np.add.reduceat(keep.astype(np.int64), starts)
        xy = xy[keep]
    ends = np.cumsum(counts)
    first, last = ends - counts, ends - 1
    closing = (counts > 1) & np.all(xy[last] == xy[first], axis=1)
    if closing.any():
        keep = np.ones(len(xy), dtype=bool)
        keep[last[closing]] = False
        xy, counts = xy[keep], counts - closing
    return xy, counts


class Layout:
    """Polygons in nm, each with a (layer, datatype) pair; immutable.

    Parameters
    ----------
    polygons : iterable of array_like
        Each an ``(n, 2)`` array of x, y vertex coordinates in nm (n >= 3, finite). A
        repeated closing vertex and consecutive duplicate vertices are dropped.
    layers : array_like, optional
        ``(len(polygons), 2)`` non-negative integer (layer, datatype) pairs, or a single
        pair for all polygons; default (0, 0).

    Raises
    ------
    InvalidParameterError
        A polygon (named ``polygons[i]``) or the layers are malformed.

    Notes
    -----
    The vertices of all polygons are stored in one read-only float64 array; ``polygons``
    are C-contiguous read-only views into it. Methods return new layouts.
    """

    __slots__ = ("_xy", "_counts", "_layers", "_polygons", "_bbox")

    def __init__(self, polygons: Iterable[ArrayLike] = (), layers: ArrayLike | None = None) -> None:
        arrays = []
        for i, p in enumerate(polygons):
            try:
                a = np.asarray(p, dtype=np.float64)
            except (TypeError, ValueError):
                raise InvalidParameterError(f"polygons[{i}]", p, _POLYGON_WHAT) from None
            if a.ndim != 2 or a.shape[1] != 2 or len(a) < 3 or not np.isfinite(a).all():
                raise InvalidParameterError(f"polygons[{i}]", p, _POLYGON_WHAT)
            arrays.append(a)
        counts = np.array([len(a) for a in arrays], dtype=np.int64)
        xy = np.concatenate(arrays) if arrays else np.empty((0, 2))
        xy, counts = _normalise(xy, counts)
        short = np.flatnonzero(counts < 3)
        if short.size:
            i = int(short[0])
            raise InvalidParameterError(f"polygons[{i}]", arrays[i], _POLYGON_WHAT)
        self._init(xy, counts, self._check_layers(layers, len(counts)))

    @staticmethod
    def _check_layers(layers: ArrayLike | None, n: int) -> np.ndarray:
        if layers is None:
            return np.zeros((n, 2), dtype=np.int64)
        what = f"an ({n}, 2) array (or one pair) of non-negative integer (layer, datatype) pairs"
        try:
            arr = np.asarray(layers)
        except (TypeError, ValueError):
            raise InvalidParameterError("layers", layers, what) from None
        if arr.shape == (2,):
            arr = np.broadcast_to(arr, (n, 2))
        elif arr.size == 0 and n == 0:
            arr = arr.reshape(0, 2)
        if arr.shape != (n, 2) or arr.dtype.kind not in "iuf":
            raise InvalidParameterError("layers", layers, what)
        if arr.size and (np.any(arr < 0) or np.any(arr != np.round(arr)) or np.any(arr > 2**62)):
            raise InvalidParameterError("layers", layers, what)
        return arr.astype(np.int64)

    def _init(self, xy: np.ndarray, counts: np.ndarray, layers: np.ndarray) -> None:
        # own copies (reshape first: np.array then owns its data), made read-only
        base = np.array(np.reshape(xy, (-1, 2)), dtype=np.float64, order="C")
        base.flags.writeable = False
        lay = np.array(np.reshape(layers, (-1, 2)), dtype=np.int64, order="C")
        lay.flags.writeable = False
        self._xy = base[:]  # views of a read-only base cannot be made writeable again
        self._counts = np.asarray(counts, dtype=np.int64)
        self._layers = lay[:]
        ends = np.cumsum(self._counts).tolist()
        self._polygons = tuple(self._xy[e - c : e] for e, c in zip(ends, self._counts.tolist()))
        self._bbox = None

    @classmethod
    def _packed(cls, xy: np.ndarray, counts: np.ndarray, layers: np.ndarray) -> Layout:
        out = cls.__new__(cls)
        out._init(xy, counts, layers)
        return out

    @classmethod
    def from_packed(cls, xy: ArrayLike, counts: ArrayLike, layers: ArrayLike | None = None) -> Layout:
        """Layout of polygons stored end to end, without a Python object per polygon.

        Parameters
        ----------
        xy : array_like (n, 2)
            The vertices (nm, finite) of all polygons, one polygon after another.
        counts : array_like (m,)
            Vertices of each polygon (integers >= 1, summing to n): polygon ``k`` is
            ``xy[sum(counts[:k]):sum(counts[:k + 1])]``.
        layers : array_like, optional
            ``(m, 2)`` (layer, datatype) pairs, or one pair for all; default (0, 0).

        As in the constructor, consecutive duplicate vertices and a repeated closing vertex
        are dropped, and every polygon must keep at least 3 vertices.

        Raises
        ------
        InvalidParameterError
            ``xy`` not (n, 2) finite, ``counts`` not integers >= 1 summing to n, a polygon
            (named ``polygons[k]``) left with fewer than 3 vertices, or bad ``layers``.
        """
        try:
            pts = np.asarray(xy, dtype=np.float64)
        except (TypeError, ValueError):
            raise InvalidParameterError("xy", xy, "an (n, 2) array of finite vertex coordinates (nm)") from None
        if pts.ndim != 2 or pts.shape[1] != 2 or not np.isfinite(pts).all():
            raise InvalidParameterError("xy", f"array of shape {pts.shape}", "an (n, 2) array of finite vertex coordinates (nm)")
        n_what = f"integers >= 1 summing to the {len(pts)} vertices of xy"
        try:
            c = np.asarray(counts)
        except (TypeError, ValueError):
            raise InvalidParameterError("counts", counts, n_what) from None
        if (c.ndim != 1 or (c.size and c.dtype.kind not in "iu") or (c.size and int(c.min()) < 1)
                or int(c.sum()) != len(pts)):
            raise InvalidParameterError("counts", counts, n_what)
        c = c.astype(np.int64)
        layer_pairs = cls._check_layers(layers, len(c))
        out, kept = _normalise(pts, c)
        short = np.flatnonzero(kept < 3)
        if short.size:
            k = int(short[0])
            start = int(c[:k].sum())
            raise InvalidParameterError(f"polygons[{k}]", pts[start:start + int(c[k])], _POLYGON_WHAT)
        return cls._packed(out, kept, layer_pairs)

    @classmethod
    def from_polygons(cls, polygons: Iterable[ArrayLike], layer: tuple[int, int] = (0, 0)) -> Layout:
        """Layout of ``polygons`` (each ``(n, 2)`` in nm), all on one ``layer`` (layer, datatype)."""
        return cls(polygons, _layer_pair("layer", layer))

    @classmethod
    def from_rects(cls, rects: ArrayLike, layer: tuple[int, int] = (0, 0)) -> Layout:
        """Layout of axis-parallel rectangles.

        Parameters
        ----------
        rects : array_like
            ``(n, 4)`` rows of x0, y0, x1, y1 in nm with x1 > x0 and y1 > y0.
        layer : (int, int)
            The (layer, datatype) of every rectangle.
        """
        pair = _layer_pair("layer", layer)
        what = "an (n, 4) array of finite x0, y0, x1, y1 in nm"
        try:
            r = np.asarray(rects, dtype=np.float64)
        except (TypeError, ValueError):
            raise InvalidParameterError("rects", rects, what) from None
        if r.size == 0:
            r = r.reshape(0, 4)
        if r.ndim != 2 or r.shape[1] != 4:
            raise InvalidParameterError("rects", rects, what)
        bad = np.flatnonzero(~(np.isfinite(r).all(axis=1) & (r[:, 2] > r[:, 0]) & (r[:, 3] > r[:, 1])))
        if bad.size:
            i = int(bad[0])
            allowed = "finite x0, y0, x1, y1 (nm) with x1 > x0 and y1 > y0"
            raise InvalidParameterError(f"rects[{i}]", r[i].tolist(), allowed)
        x0, y0, x1, y1 = r.T
        xy = np.stack([x0, y0, x1, y0, x1, y1, x0, y1], axis=1).reshape(-1, 2)
        return cls._packed(xy, np.full(len(r), 4), np.broadcast_to(pair, (len(r), 2)))

    # -- files ---------------------------------------------------------------------------

    @classmethod
    def read(
        cls,
        path: str | os.PathLike[str],
        layer: tuple[int, int] | str | None = None,
        cell: str | None = None,
        *,
        layer_map: Mapping[str, tuple[int, int]] | None = None,
    ) -> Layout:
        """Read a GDSII (.gds, .gds2, .gdsii), OASIS (.oas, .oasis) or GLP (.glp) file.

        References and arrays are flattened; paths become polygons; coordinates are in nm
        whatever the file's user unit.

        Parameters
        ----------
        path : str or os.PathLike
            The file; its extension selects the format.
        layer : (int, int) or str, optional
            Keep only this (layer, datatype); for GLP files a layer name ("M1") also
            works. ``None`` keeps all layers.
        cell : str, optional
            The cell to read; ``None`` means the single top-level cell.
        layer_map : mapping of str to (int, int), optional
            GLP only: (layer, datatype) pairs for layer names (default: "M1" -> (1, 0),
            see :func:`litho.geometry.glp_io.default_layer_numbers`).

        Raises
        ------
        LayoutError
            Missing, unreadable or corrupt file, unknown extension, several top cells and
            no ``cell``, a missing cell, or an absent ``layer``; the message names the file.
        """
        from . import gds_io, glp_io

        path = _as_path(path)
        fmt = _file_format(path)
        if layer is not None and not (fmt == "glp" and isinstance(layer, str)):
            layer = _layer_pair("layer", layer)
        if layer_map is not None and fmt != "glp":
            raise InvalidParameterError("layer_map", layer_map, "None: layer names exist only in GLP files")
        if not path.exists():
            raise LayoutError("no such file", path)
        if path.is_dir():
            raise LayoutError("is a directory, not a layout file", path)
        if fmt == "glp":
            data = glp_io.read_glp(path, cell=cell, layer_map=layer_map)
            polygons, layers, cell_name, names = data.polygons, data.layers, data.cell, data.layer_numbers
            if isinstance(layer, str):
                if layer not in names:
                    raise LayoutError(f"layer {layer!r} not found; layers present: {', '.join(names) or 'none'}", path)
                layer = names[layer]
        else:
            try:
                polygons, layers, cell_name = gds_io.read_cell(path, fmt, cell)
            except OSError as exc:  # e.g. no permission to read
                raise LayoutError(f"cannot read the file ({exc.strerror or exc})", path) from exc
        if layer is not None:
            keep = np.all(layers == layer, axis=1)
            if not keep.any():
                where = "" if cell_name is None else f" in cell {cell_name!r}"
                listed = ", ".join(str(p) for p in sorted(set(map(tuple, layers.tolist())))) or "none"
                raise LayoutError(f"layer {layer} not found{where}; layers present: {listed}", path)
            polygons, layers = [p for p, k in zip(polygons, keep) if k], layers[keep]
        # a file may hold degenerate polygons (< 3 distinct vertices): drop them, with a warning
        counts = np.array([len(p) for p in polygons], dtype=np.int64)
        xy, counts = _normalise(np.concatenate(polygons) if polygons else np.empty((0, 2)), counts)
        ok = counts >= 3
        if not ok.all():
            warnings.warn(f"{path}: dropped {int((~ok).sum())} degenerate polygon(s) with fewer than 3 vertices",
                          stacklevel=2)
            xy, counts, layers = xy[np.repeat(ok, counts)], counts[ok], layers[ok]
        return cls._packed(xy, counts, layers)

    def write(
        self,
        path: str | os.PathLike[str],
        unit: float = 1e-9,
        precision: float = 1e-12,
        cell: str = "TOP",
        *,
        layer_names: Mapping[tuple[int, int], str] | None = None,
    ) -> None:
        """Write the layout as one cell of a GDSII, OASIS or GLP file (by extension), atomically.

        The file is written to a temporary file in the same directory and renamed, so a
        failure never leaves a partial file (nor touches an existing one).

        Parameters
        ----------
        path : str or os.PathLike
            Destination (.gds, .gds2, .gdsii, .oas, .oasis or .glp).
        unit : float
            GDSII/OASIS user unit in metres (coordinates are still given in nm here).
        precision : float
            GDSII/OASIS database unit in metres: coordinates are rounded to multiples of
            it. It must divide ``unit``; GDSII stores 32-bit integers, so coordinates
            beyond ±(2**31 - 1) x ``precision`` need a coarser ``precision``. Polygons of
            more than 8189 vertices are split by gdstk in GDSII files.
        cell : str
            Name of the cell.
        layer_names : mapping of (int, int) to str, optional
            GLP only: layer names (default "M<layer>" for datatype 0).

        Notes
        -----
        GLP files store nm at full double precision (``unit`` and ``precision`` do not apply).
        """
        from . import gds_io, glp_io

        path = _as_path(path)
        fmt = _file_format(path)
        if fmt == "glp":
            glp_io.write_glp(path, self._polygons, self._layers, cell=cell, layer_names=layer_names)
        else:
            gds_io.write_layout(path, self._polygons, self._layers, fmt, unit=unit, precision=precision, cell=cell)

    # -- properties ----------------------------------------------------------------------

    @property
    def polygons(self) -> tuple[np.ndarray, ...]:
        """The polygons: read-only C-contiguous ``(n, 2)`` float64 arrays in nm."""
        return self._polygons

    @property
    def layers(self) -> np.ndarray:
        """Read-only ``(len(self), 2)`` int64 array of (layer, datatype) pairs."""
        return self._layers

    @property
    def bbox(self) -> tuple[float, float, float, float] | None:
        """``(x0, y0, x1, y1)`` in nm enclosing all polygons; ``None`` for an empty layout."""
        if self._bbox is None and len(self._xy):
            lo, hi = self._xy.min(axis=0), self._xy.max(axis=0)
            self._bbox = (float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1]))
        return self._bbox

    @property
    def is_manhattan(self) -> bool:
        """Whether every edge is parallel to the x or the y axis (True for an empty layout)."""
        return _packed.is_manhattan(self._xy, self._counts)

    def packed(self) -> tuple[np.ndarray, np.ndarray]:
        """All vertices and the vertex count of each polygon (read-only arrays).

        Returns
        -------
        xy : (N, 2) float64 array
            The vertices of every polygon, one polygon after another, in nm.
        counts : (len(self),) int64 array
            Number of vertices of each polygon (each polygon is closed implicitly).
        """
        counts = self._counts.view()
        counts.flags.writeable = False
        return self._xy, counts

    def _subset(self, mask: np.ndarray) -> Layout:
        return Layout._packed(self._xy[np.repeat(mask, self._counts)], self._counts[mask], self._layers[mask])

    # -- operations ----------------------------------------------------------------------

    def area(self) -> float:
        """Sum of the polygons' areas in nm² (shoelace; overlaps counted twice: see `union`)."""
        return float(np.abs(_packed.signed_areas(self._xy, self._counts)).sum())

    def translate(self, dx: float, dy: float) -> Layout:
        """The layout shifted by (``dx``, ``dy``) nm."""
        shift = np.array([finite_number("dx", dx, "nm"), finite_number("dy", dy, "nm")])
        xy = self._xy + shift
        if not np.isfinite(xy).all():
            raise InvalidParameterError("dx, dy", (dx, dy), "a shift that keeps coordinates finite")
        xy, counts = _normalise(xy, self._counts)
        if np.any(counts < 3):
            raise InvalidParameterError("dx, dy", (dx, dy), "a shift small enough not to merge vertices by rounding")
        return Layout._packed(xy, counts, self._layers)

    def select(self, layer: tuple[int, int] | Iterable[tuple[int, int]]) -> Layout:
        """The polygons on ``layer`` (a (layer, datatype) pair, or a list of pairs).

        A layer that is absent gives an empty layout.
        """
        items = list(layer) if not isinstance(layer, (str, bytes)) else [layer]  # type: ignore[arg-type]
        if len(items) == 2 and all(isinstance(v, (int, np.integer)) for v in items):
            items = [tuple(items)]
        pairs = [_layer_pair("layer", p) for p in items]
        mask = np.zeros(len(self), dtype=bool)
        for pair in pairs:
            mask |= np.all(self._layers == pair, axis=1)
        return self._subset(mask)

    def clip(self, window: ArrayLike) -> Layout:
        """The parts of the polygons inside ``window`` = (x0, y0, x1, y1) in nm; layers kept.

        Polygons inside the window are kept unchanged; those crossing its edge are cut
        (gdstk boolean "and"), with new vertices on a 1e-6 nm grid; a polygon may split in
        several pieces.
        """
        what = "(x0, y0, x1, y1) in nm, finite, with x1 > x0 and y1 > y0"
        try:
            x0, y0, x1, y1 = (float(v) for v in np.asarray(window, dtype=np.float64).reshape(4))
        except (TypeError, ValueError):
            raise InvalidParameterError("window", window, what) from None
        if not (np.isfinite([x0, y0, x1, y1]).all() and x1 > x0 and y1 > y0):
            raise InvalidParameterError("window", window, what)
        if not len(self):
            return self
        import gdstk

        bb = _packed.bboxes(self._xy, self._counts)
        inside = (bb[:, 0] >= x0) & (bb[:, 1] >= y0) & (bb[:, 2] <= x1) & (bb[:, 3] <= y1)
        outside = (bb[:, 2] <= x0) | (bb[:, 0] >= x1) | (bb[:, 3] <= y0) | (bb[:, 1] >= y1)
        rect = gdstk.rectangle((x0, y0), (x1, y1))
        polygons, layers = [], []
        for i in np.flatnonzero(~outside).tolist():
            if inside[i]:
                polygons.append(self._polygons[i])
                layers.append(self._layers[i])
                continue
            for piece in gdstk.boolean([self._polygons[i]], rect, "and", precision=_BOOL_PRECISION):
                if piece.area() > 0:
                    polygons.append(np.round(piece.points, _BOOL_DECIMALS))
                    layers.append(self._layers[i])
        return Layout(polygons, np.array(layers, dtype=np.int64).reshape(-1, 2))

    def union(self) -> Layout:
        """Merge overlapping and touching polygons, layer by layer (gdstk boolean "or").

        Holes come back keyholed into their outer polygon (one polygon per connected
        region); vertices are on a 1e-6 nm grid. Layers are returned in sorted order.
        """
        import gdstk

        polygons, layers = [], []
        for pair in sorted(set(map(tuple, self._layers.tolist()))):
            group = [self._polygons[i] for i in np.flatnonzero(np.all(self._layers == pair, axis=1))]
            for piece in gdstk.boolean(group, [], "or", precision=_BOOL_PRECISION):
                if piece.area() > 0:
                    polygons.append(np.round(piece.points, _BOOL_DECIMALS))
                    layers.append(pair)
        return Layout(polygons, np.array(layers, dtype=np.int64).reshape(-1, 2))

    # -- protocol ------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._polygons)

    def __iter__(self) -> Iterator[np.ndarray]:
        return iter(self._polygons)

    def __repr__(self) -> str:
        pairs = sorted(set(map(tuple, self._layers.tolist())))
        shown = ", ".join(str(p) for p in pairs[:8]) + (", ..." if len(pairs) > 8 else "")
        bbox = "None" if self.bbox is None else "(" + ", ".join(f"{v:g}" for v in self.bbox) + ") nm"
        return f"Layout({len(self)} polygons, {len(self._xy)} vertices, layers [{shown}], bbox {bbox})"

    def __reduce__(self) -> tuple[Any, ...]:  # unpickled arrays would be writeable: rebuild
        return (Layout._packed, (np.array(self._xy), np.array(self._counts), np.array(self._layers)))
