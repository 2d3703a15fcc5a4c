"""ICCAD-2013 GLP text layouts: reading and writing.

A GLP file lists shapes one per line, coordinates in nm::

    BEGIN     /* comment */
    EQUIV  1  1000  MICRON  +X,+Y
    CNAME Temp_Top
    LEVEL M1
    CELL Temp_Top PRIME
       RECT N M1  80  492  452  88            (x, y of the lower-left corner, width, height)
       PGON N M1  216 80  304 80  304 140 ...  (vertices x1 y1 x2 y2 ...)
    ENDMSG

BEGIN, EQUIV, CNAME, LEVEL, CELL and ENDMSG lines and blank lines are accepted and
ignored for geometry (CELL names the cell the following shapes belong to; EQUIV is not
interpreted: coordinates are taken as nm, as in the ICCAD-2013 clips).
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .._atomic import atomic_path
from ..errors import InvalidParameterError, LayoutError

__all__ = ["GLPData", "read_glp", "write_glp", "default_layer_numbers"]

_IGNORED = frozenset({"BEGIN", "EQUIV", "CNAME", "LEVEL", "CELL", "ENDMSG"})
_TRAILING_DIGITS = re.compile(r"(\d+)$")


class GLPData(NamedTuple):
    """What :func:`read_glp` returns.

    Attributes
    ----------
    polygons : list of numpy.ndarray
        ``(n, 2)`` float64 vertex arrays in nm.
    layers : numpy.ndarray
        ``(len(polygons), 2)`` int64 (layer, datatype) pairs.
    layer_numbers : dict of str to (int, int)
        The (layer, datatype) pair given to each layer name found in the file.
    cell : str or None
        The cell the shapes came from (``None`` if the file has no CELL line).
    """

    polygons: list[np.ndarray]
    layers: np.ndarray
    layer_numbers: dict[str, tuple[int, int]]
    cell: str | None


def default_layer_numbers(
    names: Sequence[str], layer_map: Mapping[str, tuple[int, int]] | None = None
) -> dict[str, tuple[int, int]]:
    """Give each layer name a (layer, datatype) pair.

    Names in ``layer_map`` get its pair. A name ending in digits ("M1", "V2") gets
    (that number, 0) unless that pair is already taken (then it is treated as a name
    without digits); the other names get (k, 0) with k counting up from one past the
    largest layer number used, in order of first appearance.

    Parameters
    ----------
    names : sequence of str
        Layer names in order of first appearance.
    layer_map : mapping of str to (int, int), optional
        Explicit pairs for some or all names.
    """
    out: dict[str, tuple[int, int]] = dict(layer_map or {})
    taken = set(out.values())
    rest = []
    for name in names:
        if name in out:
            continue
        match = _TRAILING_DIGITS.search(name)
        pair = (int(match.group(1)), 0) if match else None
        if pair is not None and pair not in taken:
            out[name] = pair
            taken.add(pair)
        else:
            rest.append(name)
    k = max((layer for layer, _ in taken), default=-1) + 1
    for name in rest:
        out[name] = (k, 0)
        k += 1
    return {name: out[name] for name in names}


def _check_layer_map(layer_map: object) -> dict[str, tuple[int, int]] | None:
    if layer_map is None:
        return None
    what = "a dict mapping layer names (str) to (layer, datatype) pairs of non-negative integers"
    if not isinstance(layer_map, Mapping):
        raise InvalidParameterError("layer_map", layer_map, what)
    out = {}
    for name, pair in layer_map.items():
        try:
            layer, datatype = pair
            ok = isinstance(name, str) and all(
                isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 0 for v in (layer, datatype)
            )
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise InvalidParameterError(f"layer_map[{name!r}]", pair, what)
        out[name] = (int(layer), int(datatype))
    return out


def _numbers(path: Path, lineno: int, keyword: str, fields: list[str]) -> list[float]:
    try:
        values = [float(f) for f in fields]
    except ValueError:
        text = " ".join(fields)
        raise LayoutError(f"line {lineno}: {keyword} has a non-numeric coordinate in {text!r}", path) from None
    if not all(math.isfinite(v) for v in values):
        raise LayoutError(f"line {lineno}: {keyword} has a non-finite coordinate", path)
    return values


def read_glp(
    path: str | os.PathLike[str],
    cell: str | None = None,
    layer_map: Mapping[str, tuple[int, int]] | None = None,
) -> GLPData:
    """Read an ICCAD-2013 GLP layout.

    Parameters
    ----------
    path : str or os.PathLike
        The GLP file.
    cell : str, optional
        Keep only the shapes after ``CELL <cell>``; ``None`` keeps all shapes, which must
        then belong to one cell.
    layer_map : mapping of str to (int, int), optional
        (layer, datatype) pairs for layer names; see :func:`default_layer_numbers`.

    Returns
    -------
    GLPData
        Polygons in nm, their (layer, datatype) pairs, the name-to-pair mapping and the cell.

    Raises
    ------
    LayoutError
        The file cannot be read, or a line is malformed (the message gives the line number).
    """
    path = Path(os.fspath(path))
    layer_map = _check_layer_map(layer_map)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise LayoutError("no such file", path) from None
    except OSError as exc:
        raise LayoutError(f"cannot read the file ({exc.strerror})", path) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        lineno = raw.count(b"\n", 0, exc.start) + 1
        what = f"not a GLP text file (undecodable byte {raw[exc.start]:#04x})"
        raise LayoutError(f"line {lineno}: {what}", path) from None
    polygons: list[np.ndarray] = []
    names: list[str] = []
    cells: list[str | None] = []
    current: str | None = None
    for lineno, line in enumerate(text.splitlines(), start=1):
        tokens = line.split()
        if not tokens:
            continue
        keyword = tokens[0].upper()
        if keyword in _IGNORED:
            if keyword == "CELL" and len(tokens) > 1:
                current = tokens[1]
            continue
        if keyword == "RECT":
            if len(tokens) != 7:
                raise LayoutError(
                    f"line {lineno}: RECT needs 6 fields (flag, layer, x, y, width, height), got {len(tokens) - 1}",
                    path,
                )
            x, y, w, h = _numbers(path, lineno, keyword, tokens[3:])
            if w <= 0 or h <= 0:
                raise LayoutError(f"line {lineno}: RECT width and height must be > 0 nm, got {w:g} x {h:g}", path)
            points = np.array([(x, y), (x + w, y), (x + w, y + h), (x, y + h)], dtype=np.float64)
        elif keyword == "PGON":
            count = len(tokens) - 3
            if count < 6 or count % 2:
                raise LayoutError(
                    f"line {lineno}: PGON needs a flag, a layer and at least 3 vertices (an even number of "
                    f"coordinates), got {max(count, 0)} coordinates",
                    path,
                )
            points = np.array(_numbers(path, lineno, keyword, tokens[3:]), dtype=np.float64).reshape(-1, 2)
            distinct = np.unique(points, axis=0)
            if len(distinct) < 3:
                raise LayoutError(f"line {lineno}: PGON has fewer than 3 distinct vertices", path)
        else:
            raise LayoutError(
                f"line {lineno}: unknown keyword {tokens[0][:40]!r} (expected RECT, PGON or one of "
                f"{', '.join(sorted(_IGNORED))})",
                path,
            )
        polygons.append(points)
        names.append(tokens[2])
        cells.append(current)
    found = list(dict.fromkeys(c for c in cells))
    if cell is None:
        if len(found) > 1:
            listed = ", ".join(repr(c) for c in found)
            raise LayoutError(f"the file has shapes in {len(found)} cells ({listed}); choose one with cell=", path)
        chosen = found[0] if found else current
    else:
        if cell not in found:
            listed = ", ".join(repr(c) for c in found if c is not None) or "none"
            raise LayoutError(f"no cell named {cell!r} with shapes; cells in the file: {listed}", path)
        keep = [i for i, c in enumerate(cells) if c == cell]
        polygons = [polygons[i] for i in keep]
        names = [names[i] for i in keep]
        chosen = cell
    numbers = default_layer_numbers(list(dict.fromkeys(names)), layer_map)
    layers = np.array([numbers[n] for n in names], dtype=np.int64).reshape(-1, 2)
    return GLPData(polygons, layers, numbers, chosen)


def _fmt(value: float) -> str:
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def _is_rect(points: np.ndarray) -> bool:
    if len(points) != 4:
        return False
    xs, ys = points[:, 0], points[:, 1]
    edges = np.diff(np.vstack([points, points[:1]]), axis=0)
    return bool(np.all((edges[:, 0] == 0) ^ (edges[:, 1] == 0))) and len(set(xs)) == 2 and len(set(ys)) == 2


def write_glp(
    path: str | os.PathLike[str],
    polygons: Sequence[np.ndarray],
    layers: np.ndarray,
    cell: str = "TOP",
    layer_names: Mapping[tuple[int, int], str] | None = None,
) -> None:
    """Write polygons (nm) as a GLP file, atomically.

    Axis-parallel rectangles are written as RECT lines, everything else as PGON.

    Parameters
    ----------
    path : str or os.PathLike
        Destination.
    polygons : sequence of numpy.ndarray
        ``(n, 2)`` vertex arrays in nm.
    layers : numpy.ndarray
        ``(len(polygons), 2)`` (layer, datatype) pairs.
    cell : str
        Cell name.
    layer_names : mapping of (int, int) to str, optional
        Name of each (layer, datatype) pair; by default (l, 0) is named ``f"M{l}"``
        (read back as (l, 0)), and other datatypes need an explicit name.
    """
    if not isinstance(cell, str) or not cell or any(ch.isspace() for ch in cell):
        raise InvalidParameterError("cell", cell, "a non-empty cell name without spaces")
    names = dict(layer_names or {})
    pairs = [tuple(p) for p in np.asarray(layers).reshape(-1, 2).tolist()]
    for pair in dict.fromkeys(pairs):
        if pair not in names:
            if pair[1] != 0:
                raise InvalidParameterError(
                    "layer_names", layer_names, f"a name for layer {pair} (only datatype 0 has a default name)"
                )
            names[pair] = f"M{pair[0]}"
        name = names[pair]
        if not isinstance(name, str) or not name or any(ch.isspace() for ch in name):
            raise InvalidParameterError(f"layer_names[{pair}]", name, "a non-empty layer name without spaces")
    lines = ["BEGIN     /* written by litho */", "EQUIV  1  1000  MICRON  +X,+Y", f"CNAME {cell}"]
    lines += [f"LEVEL {names[p]}" for p in dict.fromkeys(pairs)]
    lines += ["", f"CELL {cell} PRIME"]
    for points, pair in zip(polygons, pairs):
        if _is_rect(points):
            x0, y0 = points.min(axis=0)
            x1, y1 = points.max(axis=0)
            fields = [x0, y0, x1 - x0, y1 - y0]
            lines.append(f"   RECT N {names[pair]}  " + "  ".join(_fmt(float(v)) for v in fields))
        else:
            lines.append(f"   PGON N {names[pair]}  " + "  ".join(_fmt(float(v)) for v in points.ravel()))
    lines.append("ENDMSG")
    with atomic_path(path) as tmp:
        tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
