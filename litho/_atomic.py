"""Atomic file output: write to a temporary file beside the target, then rename it.

Every writer in litho goes through :func:`atomic_path`, so an interrupted or failed run
never leaves a half-written file at the destination (and never clobbers an existing one).
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_path"]

# compression suffixes kept together with the suffix before them (".gds.gz"), so that
# writers which choose a format from the file name see the same name ending
_COMPRESSION_SUFFIXES = frozenset({".gz", ".bz2", ".xz", ".zst", ".lz4"})


def _name_suffix(target: Path) -> str:
    suffixes = target.suffixes
    if len(suffixes) >= 2 and suffixes[-1].lower() in _COMPRESSION_SUFFIXES:
        return "".join(suffixes[-2:])
    return target.suffix


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Give a temporary path to write to; move it onto ``path`` when the block succeeds.

    The temporary file is created (empty, with the permissions a new file normally gets)
    in the destination's directory, so the final :func:`os.replace` is an atomic rename
    on the same file system. Its name is hidden (starts with ``.``) and ends with the
    destination's suffix (``.npy``, ``.png``, ``.gds.gz``...), so writers that pick a
    format from the file name behave as they would for ``path``. The writer must
    overwrite the (empty) file.

    If the block raises (any exception, ``KeyboardInterrupt`` included) the temporary
    file is removed and the destination is left as it was.

    Parameters
    ----------
    path : str or os.PathLike
        The destination file.

    Yields
    ------
    pathlib.Path
        The temporary file to write.

    Raises
    ------
    FileNotFoundError
        The destination's directory does not exist.
    IsADirectoryError
        The destination is a directory.

    Examples
    --------
    >>> import numpy as np
    >>> with atomic_path("image.npy") as tmp:  # doctest: +SKIP
    ...     np.save(tmp, np.zeros(3))
    """
    target = Path(os.fspath(path))
    directory = target.parent
    if target.is_dir():
        raise IsADirectoryError(errno.EISDIR, "cannot write: the destination is a directory", str(target))
    if not directory.is_dir():
        raise FileNotFoundError(
            errno.ENOENT, f"cannot write {target}: its directory does not exist", str(directory)
        )
    suffix = _name_suffix(target)
    stem = target.name[: len(target.name) - len(suffix)]
    while True:
        tmp = directory / f".{stem}.{secrets.token_hex(6)}.tmp{suffix}"
        try:
            # O_EXCL: never share a temporary file with a concurrent writer; mode 0o666
            # lets the umask give the permissions of any newly created file
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:  # pragma: no cover - 48 random bits collided
            continue
        os.close(fd)
        break
    try:
        yield tmp
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
