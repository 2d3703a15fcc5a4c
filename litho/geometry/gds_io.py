"""GDSII and OASIS reading and writing for :class:`litho.Layout` (through gdstk).

gdstk reports a corrupt file with a bare ``OSError`` and a message on stderr, so GDSII
files are checked here first (a walk over the record stream) and every failure becomes a
:class:`~litho.errors.LayoutError` that names the file and what is wrong with it.
"""

from __future__ import annotations

import mmap
import os
import struct
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np

from .._atomic import atomic_path
from .._validate import positive_number
from ..errors import InvalidParameterError, LayoutError

__all__ = ["check_gdsii", "check_oasis", "read_cell", "write_layout"]

Format = Literal["gds", "oas"]
_NAMES = {"gds": "GDSII", "oas": "OASIS"}
_OASIS_MAGIC = b"%SEMI-OASIS\r\n"
_HEADER, _ENDLIB = 0x00, 0x04
_INT32_MAX = 2**31 - 1
# gdstk warns (non-standard file) from 8190 vertices on; larger polygons are fractured
_GDS_MAX_POINTS = 8189
_RECORD = struct.Struct(">HB")


def check_gdsii(path: Path) -> None:
    """Walk the GDSII record stream of ``path``; raise :class:`LayoutError` if it is broken.

    Each record starts with a 2-byte big-endian length (header included, even, >= 4) and
    a record type. The first record must be HEADER and the stream must reach ENDLIB
    (anything after ENDLIB, e.g. the zero padding of tape blocks, is ignored).
    """
    size = path.stat().st_size
    if size == 0:
        raise LayoutError("empty file (0 bytes), not a GDSII file", path)
    with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        if size < 4 or data[2] != _HEADER:
            raise LayoutError("not a GDSII file (first record is not HEADER)", path)
        unpack = _RECORD.unpack_from
        pos = 0
        while pos + 4 <= size:
            length, record = unpack(data, pos)
            if length < 4 or length % 2:
                raise LayoutError(
                    f"corrupt GDSII file: record at byte {pos} has an invalid length ({length})", path
                )
            if pos + length > size:
                raise LayoutError(
                    f"truncated GDSII file: record at byte {pos} runs past the end of the file "
                    f"({size} bytes)",
                    path,
                )
            if record == _ENDLIB:
                return
            pos += length
    raise LayoutError(f"truncated GDSII file: no ENDLIB record before the end of the file ({size} bytes)", path)


def check_oasis(path: Path) -> None:
    """Raise :class:`LayoutError` unless ``path`` starts with the OASIS magic bytes."""
    with open(path, "rb") as handle:
        head = handle.read(len(_OASIS_MAGIC))
    if not head:
        raise LayoutError("empty file (0 bytes), not an OASIS file", path)
    if head != _OASIS_MAGIC:
        raise LayoutError("not an OASIS file (it does not start with '%SEMI-OASIS')", path)


def _load(path: Path, fmt: Format):
    import gdstk

    try:
        if fmt == "gds":
            check_gdsii(path)
            return gdstk.read_gds(os.fspath(path), unit=1e-9)
        check_oasis(path)
        return gdstk.read_oas(os.fspath(path), unit=1e-9)
    except (OSError, RuntimeError) as exc:  # gdstk: bare "Error reading input file." etc.
        raise LayoutError(f"corrupt {_NAMES[fmt]} file: gdstk could not read it ({exc})", path) from exc


def _list(names: Sequence[str], limit: int = 20) -> str:
    shown = ", ".join(repr(n) for n in names[:limit])
    return shown + (f", ... ({len(names) - limit} more)" if len(names) > limit else "")


def read_cell(path: Path, fmt: Format, cell: str | None = None) -> tuple[list[np.ndarray], np.ndarray, str]:
    """Read one cell of a GDSII or OASIS file, flattened, with coordinates in nm.

    Parameters
    ----------
    path : pathlib.Path
        An existing file.
    fmt : {"gds", "oas"}
        The file format.
    cell : str, optional
        The cell to read; ``None`` means the single top-level cell.

    Returns
    -------
    polygons : list of numpy.ndarray
        ``(n, 2)`` float64 vertex arrays in nm: polygons, paths (as polygons), references
        and arrays of the cell all flattened.
    layers : numpy.ndarray
        ``(len(polygons), 2)`` int64 (layer, datatype) pairs.
    name : str
        The name of the cell read.
    """
    library = _load(path, fmt)
    cells = {c.name: c for c in library.cells}
    if not cells:
        raise LayoutError("the file contains no cells", path)
    if cell is None:
        tops = [c.name for c in library.top_level()]
        if len(tops) != 1:
            raise LayoutError(
                f"the file has {len(tops)} top-level cells ({_list(sorted(tops))}); choose one with cell=", path
            )
        chosen = cells[tops[0]]
    elif not isinstance(cell, str):
        raise InvalidParameterError("cell", cell, "a cell name (str) or None for the top-level cell")
    elif cell not in cells:
        raise LayoutError(f"no cell named {cell!r}; cells in the file: {_list(sorted(cells))}", path)
    else:
        chosen = cells[cell]
    flat = chosen.get_polygons(apply_repetitions=True, include_paths=True, depth=None)
    polygons = _snap([p.points for p in flat], library.precision)
    layers = np.array([(p.layer, p.datatype) for p in flat], dtype=np.int64).reshape(-1, 2)
    return polygons, layers, chosen.name


def _snap(polygons: list[np.ndarray], precision: float) -> list[np.ndarray]:
    """Round coordinates (nm) to the file's database grid (``precision`` in metres).

    gdstk scales the stored integers by a binary approximation of ``precision / 1e-9``, so a
    stored 10000 at 1 pm comes back as 9.999999999999998 nm; dividing the recovered integer
    by 1000 gives the double nearest to 10 instead. Reference transformations (rotations,
    magnifications) put vertices off the grid; those are rounded to it, as a GDSII writer would.
    """
    if not polygons or not precision > 0:
        return polygons
    per_nm, grid = 1e-9 / precision, precision / 1e-9
    if per_nm >= 1 and abs(per_nm - round(per_nm)) < 1e-6 * per_nm:
        k = float(round(per_nm))
        snap = lambda xy: np.round(xy * k) / k + 0.0  # noqa: E731  (+ 0.0: no -0.0)
    elif grid > 1 and abs(grid - round(grid)) < 1e-6 * grid:
        g = float(round(grid))
        snap = lambda xy: np.round(xy / g) * g + 0.0  # noqa: E731
    else:  # a database unit that is not a whole fraction or multiple of 1 nm: leave as read
        return polygons
    counts = np.cumsum([len(p) for p in polygons])[:-1]
    return np.split(snap(np.concatenate(polygons)), counts)


def _save(library, tmp: Path, fmt: Format, destination: Path) -> None:
    """Write ``library`` to ``tmp`` (a separate function so tests can simulate a failure)."""
    try:
        if fmt == "gds":
            library.write_gds(os.fspath(tmp), max_points=_GDS_MAX_POINTS)
        else:
            library.write_oas(os.fspath(tmp))
    except (OSError, RuntimeError) as exc:
        raise LayoutError(f"could not write the {_NAMES[fmt]} file ({exc})", destination) from exc


def write_layout(
    path: str | os.PathLike[str],
    polygons: Sequence[np.ndarray],
    layers: np.ndarray,
    fmt: Format,
    unit: float = 1e-9,
    precision: float = 1e-12,
    cell: str = "TOP",
) -> None:
    """Write polygons (nm) as one cell of a GDSII or OASIS file, atomically.

    Parameters
    ----------
    path : str or os.PathLike
        Destination; written through a temporary file in the same directory and renamed.
    polygons : sequence of numpy.ndarray
        ``(n, 2)`` vertex arrays in nm.
    layers : numpy.ndarray
        ``(len(polygons), 2)`` (layer, datatype) pairs.
    fmt : {"gds", "oas"}
        The file format.
    unit : float
        The file's user unit in metres (1e-9: coordinates shown in nm by viewers).
    precision : float
        The database unit in metres; coordinates are rounded to multiples of it. Must
        divide ``unit`` a whole number of times. GDSII stores 32-bit integers, so with the
        default 1e-12 m (1 pm) coordinates must stay within about ±2.1 mm.
    cell : str
        Name of the cell.
    """
    import gdstk

    unit = positive_number("unit", unit, "metres")
    precision = positive_number("precision", precision, "metres")
    ratio = unit / precision
    if ratio < 1 - 1e-9 or abs(ratio - round(ratio)) > 1e-6 * ratio:
        raise InvalidParameterError(
            "precision", precision, f"a database unit in metres that divides unit={unit:g} a whole number of times"
        )
    if not isinstance(cell, str) or not cell or any(ch.isspace() for ch in cell):
        raise InvalidParameterError("cell", cell, "a non-empty cell name without spaces")
    layer_limit = 65535 if fmt == "gds" else 2**32 - 1
    if layers.size and int(layers.max()) > layer_limit:
        raise InvalidParameterError(
            "layers", int(layers.max()), f"layer and datatype numbers <= {layer_limit} in a {_NAMES[fmt]} file"
        )
    largest = max((float(np.abs(p).max()) for p in polygons), default=0.0)  # nm
    if fmt == "gds" and round(largest * 1e-9 / precision) > _INT32_MAX:
        needed = largest * 1e-9 / _INT32_MAX
        suggestion = 10.0 ** np.ceil(np.log10(needed))
        raise InvalidParameterError(
            "precision",
            precision,
            f"a coarser precision: coordinates reach {largest:g} nm and GDSII stores 32-bit integers, "
            f"so precision must be at least {needed:.3g} m (e.g. precision={suggestion:g})",
        )
    scale = 1e-9 / unit  # nm -> user units
    library = gdstk.Library("LITHO", unit=unit, precision=precision)
    top = library.new_cell(cell)
    for points, (layer, datatype) in zip(polygons, layers.tolist()):
        top.add(gdstk.Polygon(points if scale == 1.0 else points * scale, layer=layer, datatype=datatype))
    with atomic_path(path) as tmp:
        _save(library, tmp, fmt, Path(os.fspath(path)))
