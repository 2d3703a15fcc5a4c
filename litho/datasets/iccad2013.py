"""The ICCAD-2013 mask-optimization contest (problem C, IBM): kernels, clips and scoring.

The contest model (see ``litho/datasets/iccad2013/README.md``):

* grid: 2048 x 2048 pixels of 1 nm; the mask is 0/1 (or continuous in [0, 1]);
* aerial image: ``I = sum_k w_k |IFFT(H_k * FFT(d * M))|^2`` with 24 SOCS kernels ``H_k``
  (35 x 35 frequencies, -17..17 in units of 1/(2048 nm)) and weights ``w_k``; a clear
  mask gives ``I = 0.9536`` (the kernels keep their own scale, not 1.0);
* printed image: ``I >= 0.225`` (:data:`PRINT_THRESHOLD`);
* process corners: nominal = focus kernels at amplitude dose 1.00, outer = focus kernels
  at 1.02, inner = defocus kernels at 0.98;
* L2 = pixels where the nominal print differs from the target; PV band = pixels where
  the outer and inner prints differ.

Dose convention. The contest's dose ``d`` multiplies the mask *amplitude*, so the
intensity scales by ``d**2``; :class:`litho.imaging.SOCS` takes a linear (intensity)
dose, so the corners pass ``dose=d**2``. The outer corner is therefore
``1.02**2 * I_nominal`` and needs no imaging of its own, and the mask spectrum is
computed once for both kernel sets (they share the grid and the band).

Kernel file readings. ``reading="exact"`` (the default) reads each kernel from byte 24,
after the 24-byte header, with the first index the row (y) frequency: this is the band
layout of :class:`~litho.imaging.SOCS` directly (``Ky = Kx = 17``), and ``|H|`` then
has the inversion symmetry ``|H(k)| = |H(-k)|`` the optics requires. ``reading="legacy"``
reproduces older research code, which reads the data from byte 20 (so every complex
value is made of the previous value's imaginary part and its own real part) and
transposes the kernel. Images and scores computed with it differ from the exact ones
by several percent; use it only to compare with results published that way.

Frames and orientation. A clip's GLP coordinates are in nm; the contest places them on
the grid with an offset of (+512, +512) nm, and pixel (row r, column c) covers
``[c, c+1) x [r, r+1)`` nm after the offset. Rows are y (row 0 at the bottom, y upward,
as everywhere in litho); image files store the top row first, so PNG masks and targets
are flipped vertically when read or written (:mod:`litho._png`).
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

import numpy as np

from .. import backend, config
from .._validate import choice
from ..errors import InvalidParameterError

__all__ = [
    "SHAPE", "PIXEL", "OFFSET", "PRINT_THRESHOLD", "CORNERS", "READINGS", "KERNEL_FILE_BYTES",
    "read_kernel_file", "read_scales", "read_kernel_set", "kernels",
    "clip", "target", "corner_images", "evaluate",
]

#: The contest grid (ny, nx), pixels.
SHAPE = (2048, 2048)
#: Pixel size, nm.
PIXEL = 1.0
#: Offset (dx, dy) in nm that places a clip's coordinates on the grid.
OFFSET = (512.0, 512.0)
#: A pixel prints where the intensity is at least this.
PRINT_THRESHOLD = 0.225
#: Process corners: name -> (kernel set, amplitude dose). Intensity scales by dose**2.
CORNERS = {"nominal": ("focus", 1.00), "outer": ("focus", 1.02), "inner": ("defocus", 0.98)}
#: Kernel file readings (see the module docstring).
READINGS = ("exact", "legacy")
#: Kernel sets shipped with litho.
KERNEL_SETS = ("focus", "defocus")

_N = 35  # kernel side: frequencies -17..17
_HEADER_BYTES = 24
_LEGACY_OFFSET = 20
#: Size of a kernel file: 24-byte header + 35 x 35 complex64.
KERNEL_FILE_BYTES = _HEADER_BYTES + _N * _N * 8
_KERNEL_FILE_TEXT = (f"an ICCAD-2013 kernel file of {KERNEL_FILE_BYTES} bytes "
                     f"({_HEADER_BYTES}-byte header + {_N}x{_N} complex64)")
#: Working bytes per mask in a chunk: the mask, three float32 corner images and their
#: prints, and the complex work of the interpolation (about 10 images of 2048^2 x 4 bytes).
_BYTES_PER_MASK = 10 * 4 * 2048 * 2048
#: Most masks per chunk: on the CPU larger chunks gain nothing (measured: batch of 4 =
#: 56 ms per clip, single 47 ms) and cost memory; on a GPU they fill the device.
_MAX_CHUNK = {"cpu": 4, "gpu": 64}


# ------------------------------------------------------------------------ kernel files
def read_kernel_file(path: str | os.PathLike[str], reading: str = "exact") -> np.ndarray:
    """Read one ICCAD-2013 kernel file (``fh<k>.bin``).

    Parameters
    ----------
    path : str or os.PathLike
        The file: 24-byte header of big-endian int32 (35, 35, 2, unused, 0, 0), then
        35 x 35 (re, im) pairs of big-endian float32.
    reading : {"exact", "legacy"}
        "exact": data from byte 24, first index the row (y) frequency. "legacy": data from
        byte 20 and transposed, as older research code reads it (results differ by
        several percent; see the module docstring).

    Returns
    -------
    numpy.ndarray (35, 35), complex128
        The kernel on the band layout: element [i, j] is frequency (i - 17, j - 17) in
        units of 1/(2048 nm), rows y, columns x.

    Raises
    ------
    InvalidParameterError
        Bad ``reading``; a missing or unreadable file, a file that is not 9824 bytes, a
        header that does not start 35, 35, 2, or non-finite values (the message names the
        file).
    """
    reading = choice("reading", reading, READINGS)
    path = Path(os.fspath(path))
    data = _read_bytes(path, "kernel file", _KERNEL_FILE_TEXT)
    if len(data) != KERNEL_FILE_BYTES:
        raise InvalidParameterError("kernel file", f"{path.name} ({len(data)} bytes)",
                                    f"{_KERNEL_FILE_TEXT}; file {path}")
    header = tuple(int(v) for v in np.frombuffer(data, dtype=">i4", count=3))
    if header != (_N, _N, 2):
        raise InvalidParameterError("kernel file", f"{path.name} (header {header})",
                                    f"a header of big-endian int32 starting {_N}, {_N}, 2 "
                                    f"({_N}x{_N} complex values); file {path}")
    start = _HEADER_BYTES if reading == "exact" else _LEGACY_OFFSET
    pairs = np.frombuffer(data, dtype=">f4", count=2 * _N * _N, offset=start)
    pairs = pairs.astype(np.float64).reshape(_N, _N, 2)
    kernel = pairs[..., 0] + 1j * pairs[..., 1]
    if reading == "legacy":
        kernel = kernel.T
    if not np.isfinite(kernel).all():
        raise InvalidParameterError("kernel file", f"{path.name} (non-finite values)",
                                    f"finite kernel values; file {path}")
    return np.ascontiguousarray(kernel)


def read_scales(path: str | os.PathLike[str]) -> np.ndarray:
    """Read a kernel set's weights (``scales.txt``): the count, then one weight per line.

    Line ends may be LF or CRLF. Returns the weights as float64 (K,).

    Raises
    ------
    InvalidParameterError
        A missing or unreadable file, text that is not numbers, a count that does not
        match the weights that follow, or weights that are negative or not finite.
    """
    path = Path(os.fspath(path))
    allowed = "a scales file: the number of kernels, then one weight >= 0 per line"
    data = _read_bytes(path, "scales file", allowed)
    try:
        tokens = data.decode("ascii").split()
        count = int(tokens[0])
        weights = np.array([float(t) for t in tokens[1:]], dtype=np.float64)
    except (UnicodeDecodeError, IndexError, ValueError):
        raise InvalidParameterError("scales file", f"{path.name} (not a count followed by numbers)",
                                    f"{allowed}; file {path}") from None
    if count < 1 or len(weights) != count:
        raise InvalidParameterError("scales file", f"{path.name} (count {count}, {len(weights)} weights)",
                                    f"{allowed}, as many weights as the count; file {path}")
    if not np.isfinite(weights).all() or (weights < 0).any():
        raise InvalidParameterError("scales file", f"{path.name} (negative or non-finite weights)",
                                    f"{allowed}; file {path}")
    return weights


def _read_bytes(path: Path, name: str, allowed: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        reason = "no such file"
    except IsADirectoryError:
        reason = "a directory"
    except OSError as exc:
        reason = f"unreadable: {exc.strerror or exc}"
    raise InvalidParameterError(name, f"{path.name} ({reason})", f"{allowed}; file {path}")


def read_kernel_set(directory: str | os.PathLike[str], reading: str = "exact") -> Any:
    """The SOCS model of a kernel directory (``scales.txt`` and ``fh0.bin`` ... ``fh<K-1>.bin``).

    Parameters
    ----------
    directory : str or os.PathLike
        A directory in the contest's layout (e.g. a LithoBench copy of the kernels).
    reading : {"exact", "legacy"}
        See :func:`read_kernel_file`.

    Returns
    -------
    litho.imaging.SOCS
        On the contest grid (2048 x 2048, 1 nm), not cached (:func:`kernels` caches the
        bundled sets).
    """
    from ..imaging.socs import SOCS

    reading = choice("reading", reading, READINGS)
    directory = Path(os.fspath(directory))
    weights = read_scales(directory / "scales.txt")
    stack = np.stack([read_kernel_file(directory / f"fh{k}.bin", reading) for k in range(len(weights))])
    return SOCS(stack, weights, PIXEL, SHAPE)


def kernels(which: str = "focus", reading: str = "exact") -> Any:
    """The bundled contest kernels as a :class:`litho.imaging.SOCS` model (cached).

    Parameters
    ----------
    which : {"focus", "defocus"}
        The nominal-focus or the defocused kernel set.
    reading : {"exact", "legacy"}
        See :func:`read_kernel_file`.

    Returns
    -------
    litho.imaging.SOCS
        24 kernels on a 35 x 35 band, grid 2048 x 2048 of 1 nm. Linear dose convention:
        for the contest's amplitude dose ``d`` call ``image(mask, dose=d**2)``. The model
        is immutable and shared by every caller (one load per ``(which, reading)``).
    """
    choice("which", which, KERNEL_SETS)
    choice("reading", reading, READINGS)
    return _bundled(which, reading)


@functools.cache  # lru_cache without a bound: two sets x two readings
def _bundled(which: str, reading: str) -> Any:
    from . import path

    return read_kernel_set(path("iccad2013", "kernels", which), reading)


# ------------------------------------------------------------------------ clips
def clip(index: int) -> Any:
    """The ICCAD-2013 test clip ``M1_test{index}.glp`` (1..10) as a :class:`litho.Layout`.

    Coordinates are those of the file (nm); add :data:`OFFSET` for the contest frame.
    """
    from ..geometry import Layout
    from . import iccad2013_clip

    return Layout.read(iccad2013_clip(index))


def target(index: int, backend: str | None = None) -> Any:
    """The target pattern of clip ``index`` on the contest grid, bool (2048, 2048).

    The clip is offset by (+512, +512) nm and rasterized with the pixel-centre rule:
    pixel (row r, column c) is set when its centre (c + 0.5, r + 0.5) lies in a polygon.
    Row 0 is the bottom (y = 0).

    Parameters
    ----------
    index : int
        Clip number, 1..10.
    backend : {"auto", "numpy", "cupy"} or None (the ``litho.config`` backend)
        Where the array lives.
    """
    from ..geometry import rasterize

    layout = clip(index).translate(*OFFSET)
    return rasterize(layout, PIXEL, SHAPE, mode="center", backend=backend) > 0.5


# ------------------------------------------------------------------------ scoring
def _check_mask(mask: Any) -> Any:
    if not hasattr(mask, "shape"):
        mask = np.asarray(mask)
    if mask.ndim < 2 or tuple(mask.shape[-2:]) != SHAPE:
        raise InvalidParameterError("mask", f"array of shape {tuple(mask.shape)}",
                                    f"an array (..., {SHAPE[0]}, {SHAPE[1]}) on the contest grid of 1 nm pixels")
    if mask.dtype.kind not in "biuf":
        raise InvalidParameterError("mask", f"array of dtype {mask.dtype}",
                                    "a real (bool, integer or float) array of transmissions in [0, 1]")
    if mask.dtype.kind != "b" and mask.size:
        low, high = float(mask.min()), float(mask.max())
        if not (low >= 0 and high <= 1):  # also catches NaN
            raise InvalidParameterError("mask", f"values from {low:g} to {high:g}",
                                        "finite transmissions in [0, 1] (0 dark, 1 clear)")
    return mask


def _check_target(target: Any, mask_shape: tuple[int, ...], xp: Any) -> Any:
    if not hasattr(target, "shape"):
        target = np.asarray(target)
    expected = (f"a bool array ({SHAPE[0]}, {SHAPE[1]}), or (..., {SHAPE[0]}, {SHAPE[1]}) "
                f"broadcastable to the mask's shape {tuple(mask_shape)}")
    shape = tuple(target.shape)
    try:
        fits = np.broadcast_shapes(shape, mask_shape) == tuple(mask_shape)
    except ValueError:
        fits = False
    if len(shape) < 2 or shape[-2:] != SHAPE or not fits:
        raise InvalidParameterError("target", f"array of shape {shape}", expected)
    target = xp.asarray(target) if xp is not np else backend.to_numpy(target)
    if target.dtype.kind == "b":
        return target
    if target.dtype.kind not in "iuf" or not bool(((target == 0) | (target == 1)).all()):
        raise InvalidParameterError("target", f"array of dtype {target.dtype} with values other than 0 and 1",
                                    "a bool array (or 0/1 values)")
    return target != 0


def _check_reading(reading: str) -> tuple[Any, Any]:
    choice("reading", reading, READINGS)
    return kernels("focus", reading), kernels("defocus", reading)


def _intensities(mask: Any, focus: Any, defocus: Any) -> tuple[Any, Any, Any]:
    """(nominal, outer, inner) intensities; one mask spectrum for both kernel sets."""
    spectrum = focus.spectrum(mask)
    nominal = focus.image_from_spectrum(spectrum, dose=CORNERS["nominal"][1] ** 2)
    outer = nominal * CORNERS["outer"][1] ** 2  # same kernels: no re-imaging
    inner = defocus.image_from_spectrum(spectrum, dose=CORNERS["inner"][1] ** 2)
    return nominal, outer, inner


def corner_images(mask: Any, reading: str = "exact") -> dict[str, Any]:
    """Aerial images of ``mask`` at the three process corners.

    Parameters
    ----------
    mask : array (..., 2048, 2048), real in [0, 1]
        numpy or CuPy; leading axes are a batch.
    reading : {"exact", "legacy"}
        Kernel file reading.

    Returns
    -------
    dict
        ``{"nominal", "outer", "inner"}``: intensities (..., 2048, 2048), float32 (single
        precision) or float64, on the device of ``mask``. A pixel prints where the
        intensity is >= :data:`PRINT_THRESHOLD`.
    """
    focus, defocus = _check_reading(reading)
    nominal, outer, inner = _intensities(_check_mask(mask), focus, defocus)
    return {"nominal": nominal, "outer": outer, "inner": inner}


def evaluate(mask: Any, target: Any, reading: str = "exact") -> dict[str, Any]:
    """Score a mask with the contest model: L2 and PV band, in pixels (nm²).

    Parameters
    ----------
    mask : array (..., 2048, 2048), real in [0, 1]
        Mask transmission on the contest grid (binary or continuous; bool, integer or
        float), numpy or CuPy; leading axes are a batch. Row 0 is y = 0.
    target : array (2048, 2048) or (..., 2048, 2048), bool
        The target pattern (e.g. :func:`target`), broadcastable to ``mask``'s shape; 0/1
        numbers are accepted too. Moved to the device of ``mask``.
    reading : {"exact", "legacy"}
        Kernel file reading (see :func:`read_kernel_file`).

    Returns
    -------
    dict
        ``l2``: pixels where the nominal print differs from the target; ``pvb``: pixels
        where the outer-corner and inner-corner prints differ; ``reading``. For a single
        mask the counts are Python ints, for a batch int64 numpy arrays of the batch shape.

    Notes
    -----
    Nominal: focus kernels, amplitude dose 1.00; outer: focus kernels, 1.02 (intensity
    ``1.02**2 * I_nominal``, bit for bit what ``kernels("focus").image(mask, 1.02**2)``
    gives); inner: defocus kernels, 0.98. Printed: ``I >= 0.225``. The mask spectrum is
    computed once and shared by both kernel sets; the counts are made on the mask's
    device and only they are copied back. In single precision (the default) a pixel whose
    intensity lies within ~1e-7 of the threshold may print differently than in double
    precision, so counts can differ by a few pixels between precisions.
    """
    focus, defocus = _check_reading(reading)
    mask = _check_mask(mask)
    xp = backend.array_module(mask)
    target = _check_target(target, tuple(mask.shape), xp)
    batch = tuple(mask.shape[:-2])
    flat = mask.reshape((-1,) + SHAPE)
    targets = xp.broadcast_to(target, mask.shape)
    l2 = np.zeros(flat.shape[0], dtype=np.int64)
    pvb = np.zeros(flat.shape[0], dtype=np.int64)
    device = "cpu" if xp is np else "gpu"
    chunk = int(max(1, min(_MAX_CHUNK[device], config.memory_budget_bytes(device) // _BYTES_PER_MASK)))
    for start in range(0, flat.shape[0], chunk):
        stop = min(start + chunk, flat.shape[0])
        nominal, outer, inner = _intensities(flat[start:stop], focus, defocus)
        wanted = xp.stack([targets[np.unravel_index(i, batch)] for i in range(start, stop)]) if batch else targets[None]
        l2[start:stop] = backend.to_numpy(xp.count_nonzero((nominal >= PRINT_THRESHOLD) != wanted, axis=(-2, -1)))
        pvb[start:stop] = backend.to_numpy(
            xp.count_nonzero((outer >= PRINT_THRESHOLD) != (inner >= PRINT_THRESHOLD), axis=(-2, -1)))
    if not batch:
        return {"l2": int(l2[0]), "pvb": int(pvb[0]), "reading": reading}
    return {"l2": l2.reshape(batch), "pvb": pvb.reshape(batch), "reading": reading}
