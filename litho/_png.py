"""Grayscale PNG images <-> arrays, in litho's orientation (through Pillow).

Orientation. litho arrays are ``(ny, nx)`` with row ``r`` at ``y = r`` pixels: row 0 is
the *bottom* of the picture (y increases upward, as in a layout). An image file stores
its *top* row first. So :func:`read_gray` flips the rows of the file (the file's last
row becomes array row 0) and :func:`write_gray` flips them back: a layout rasterized
with :func:`litho.rasterize` and written with :func:`write_gray` looks like the layout
in any image viewer, and reading the file gives the same array again.

Values. Grayscale files are scaled to [0, 1]: 1-bit as 0/1, 8-bit by 1/255, 16-bit by
1/65535. Colour files (RGB, palette) become their luminance
``0.299 R + 0.587 G + 0.114 B`` (ITU-R BT.601, as Pillow's own conversion to grey);
alpha channels are ignored.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from ._atomic import atomic_path
from .errors import InvalidParameterError, LayoutError

__all__ = ["read_gray", "write_gray"]

_LUMA = np.array([0.299, 0.587, 0.114])


def read_gray(path: str | os.PathLike[str], shape: tuple[int, int] | None = None,
              name: str = "image") -> np.ndarray:
    """Read an image file as a float64 array in [0, 1], row 0 = bottom of the picture.

    Parameters
    ----------
    path : str or os.PathLike
        A PNG file (any format Pillow reads works).
    shape : (int, int), optional
        Required ``(ny, nx)``; checked before the pixels are decoded.
    name : str
        The parameter the image stands for, used in error messages ("mask", "target").

    Raises
    ------
    LayoutError
        Missing, unreadable or corrupt file (the message names it).
    InvalidParameterError
        The image is not ``shape`` pixels (names ``name``, the file and the required size).
    """
    from PIL import Image, UnidentifiedImageError

    path = Path(os.fspath(path))
    if not path.exists():
        raise LayoutError("no such file", path)
    if path.is_dir():
        raise LayoutError("is a directory, not an image file", path)
    try:
        with Image.open(path) as image:
            width, height = image.size
            if shape is not None and (height, width) != tuple(shape):
                raise InvalidParameterError(
                    name, f"{path} ({width}x{height} pixels)",
                    f"a {shape[1]}x{shape[0]} (width x height) image")
            values = _to_unit(image)
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError) as exc:
        if isinstance(exc, InvalidParameterError):
            raise
        if isinstance(exc, UnidentifiedImageError):
            reason = "not an image file Pillow can read (expected a PNG)"
        elif isinstance(exc, Image.DecompressionBombError):
            reason = f"refused: {exc}"
        else:
            reason = f"cannot read the image ({getattr(exc, 'strerror', None) or exc})"
        raise LayoutError(reason, path) from exc
    return np.ascontiguousarray(values[::-1])


def _to_unit(image: Any) -> np.ndarray:
    """Pixel values of an open Pillow image, scaled to [0, 1], file row order."""
    mode = image.mode
    if mode == "1":
        return np.asarray(image, dtype=np.float64)
    if mode in ("L", "LA"):
        return np.asarray(image.getchannel(0), dtype=np.float64) / 255.0
    if mode.startswith("I;16") or mode == "I":
        # 16-bit grayscale PNG (Pillow opens it as "I;16" or, in older versions, "I")
        return np.asarray(image, dtype=np.float64) / 65535.0
    if mode == "F":
        return np.asarray(image, dtype=np.float64)
    rgb = image.convert("RGB") if mode not in ("RGB", "RGBA") else image
    channels = np.asarray(rgb, dtype=np.float64)[..., :3]
    return channels @ _LUMA / 255.0


def write_gray(path: str | os.PathLike[str], values: Any, bits: int = 8) -> None:
    """Write an array (row 0 = bottom) as a grayscale PNG, atomically.

    Parameters
    ----------
    path : str or os.PathLike
        The PNG file to write (replaced only once the new one is complete).
    values : array (ny, nx), bool or real in [0, 1]
        Pixel values; numpy or CuPy. Values are clipped to [0, 1] and rounded to the
        nearest of ``2**bits`` levels.
    bits : {8, 16}
        Bits per pixel.
    """
    from PIL import Image

    from .backend import to_numpy

    if bits not in (8, 16):
        raise InvalidParameterError("bits", bits, "8 or 16")
    array = np.asarray(to_numpy(values))
    if array.ndim != 2:
        raise InvalidParameterError("values", f"array of shape {array.shape}", "a 2-D array (ny, nx)")
    if array.dtype.kind not in "biuf":
        raise InvalidParameterError("values", f"array of dtype {array.dtype}", "a bool or real array")
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        raise InvalidParameterError("values", "an array containing NaN or inf", "finite values in [0, 1]")
    levels = 2**bits - 1
    scaled = np.rint(np.clip(array.astype(np.float64)[::-1], 0.0, 1.0) * levels)
    image = Image.fromarray(scaled.astype(np.uint8 if bits == 8 else np.uint16))
    with atomic_path(path) as tmp:
        image.save(tmp, format="PNG")
