"""Crash-safe file writes: readers see the old file or the complete new one, never a torn one.

One implementation for every writer in the project (checkpoints, NIfTI, PNG/DICOM exports,
sessions). It imports nothing heavy, so writing a PNG does not pay for importing torch.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

#: Every temporary file this module creates is ``.<name>.<random>.lstmp<suffix>``, so one
#: pattern (:func:`stale_temps`) finds what a killed process left behind.
TEMP_MARK = ".lstmp"


def atomic_write(
    path: str | Path, data: bytes | Callable[[Path], object], *, suffix: str = ".tmp"
) -> Path:
    """Write ``path`` through a temporary file in the same folder, fsync, ``os.replace``.

    The folder is fsynced afterwards so the rename itself survives a power cut. If writing
    fails the temporary file is removed and ``path`` keeps its old content.

    Args:
        path: destination; its folder is created if missing.
        data: the bytes, or a callable that writes the file at the temporary path it is given.
        suffix: the temporary file's suffix, for writers that choose a format by file name
            (nibabel needs ``.nii.gz`` to compress).

    Returns:
        ``path`` as a ``Path``.

    Example:
        >>> import tempfile
        >>> p = Path(tempfile.mkdtemp()) / "a.txt"
        >>> atomic_write(p, b"hello").read_bytes()
        b'hello'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=f"{TEMP_MARK}{suffix}", dir=path.parent
    )
    tmp = Path(tmp_name)
    try:
        if callable(data):
            os.close(fd)
            data(tmp)
            with open(tmp, "rb+") as handle:
                os.fsync(handle.fileno())
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes files private; models and exports are shared
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)
    return path


def atomic_write_stream(path: str | Path, write: Callable[[IO[bytes]], object]) -> Path:
    """:func:`atomic_write` for writers that take an open binary file object."""

    def _to_file(tmp: Path) -> None:
        with open(tmp, "wb") as handle:
            write(handle)

    return atomic_write(path, _to_file)


def stale_temps(folder: str | Path) -> list[Path]:
    """Temporary files :func:`atomic_write` left in ``folder`` (a process killed mid-write)."""
    return sorted(Path(folder).glob(f".*{TEMP_MARK}*"))


def remove_stale_temps(folder: str | Path) -> int:
    """Delete :func:`stale_temps` of ``folder``; returns how many were removed.

    Only call this where no other process writes at the same time (a run's own folder).
    """
    removed = 0
    for tmp in stale_temps(folder):
        if tmp.is_file():
            tmp.unlink(missing_ok=True)
            removed += 1
    return removed


def fsync_dir(folder: Path) -> None:
    """Make renames and creations inside ``folder`` durable (a no-op where folders cannot be
    opened, e.g. Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # Windows cannot open a folder; its rename is durable enough
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
