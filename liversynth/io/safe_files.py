"""Checks every reader makes before it opens a file: regular files only, bounded JSON and zips.

A path handed to a reader can be anything an attacker (or an accident) put there: a FIFO that
blocks ``open`` forever, ``/dev/zero`` behind a symlink that never ends, a JSON nested a
million levels deep, a zip with 100,000 members or a ratio of 1:1000. These helpers refuse
such inputs from ``stat`` results and directory entries, before anything expensive happens,
with a :class:`~liversynth.errors.LoadError` naming the file.

Example:
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.json"
    >>> _ = p.write_text('{"a": [1, 2]}')
    >>> read_json_file(p)
    {'a': [1, 2]}
"""

from __future__ import annotations

import json
import os
import stat
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from liversynth.errors import LoadError
from liversynth.io.limits import VolumeLimitError

#: Largest JSON document a reader parses (sessions, configs, manifests are a few kB).
MAX_JSON_BYTES = 16 * 2**20
#: Deepest nesting of lists/objects accepted in a JSON document.
MAX_JSON_DEPTH = 64


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a regular file"


def require_regular_file(
    path: str | Path, *, max_bytes: int | None = None, missing: str = "no such file"
) -> int:
    """Refuse anything but an existing regular file (symlinks are followed, then checked).

    ``os.stat`` never opens the file, so a FIFO is refused without blocking.

    Args:
        path: the file.
        max_bytes: optional largest accepted size.
        missing: the message when the file does not exist.

    Returns:
        The file's size in bytes.

    Raises:
        LoadError: missing, a FIFO, device, socket or folder, or (``VolumeLimitError``) larger
            than ``max_bytes``.
    """
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise LoadError(path, missing) from None
    except OSError as err:
        raise LoadError(path, f"cannot access the file ({err.strerror or err})") from None
    if not stat.S_ISREG(info.st_mode):
        raise LoadError(path, f"is {_kind(info.st_mode)}; only regular files are read")
    if max_bytes is not None and info.st_size > max_bytes:
        raise VolumeLimitError(
            path, f"file of {info.st_size} bytes exceeds the {max_bytes} byte limit"
        )
    return int(info.st_size)


def is_regular_file(path: str | Path) -> bool:
    """True for a regular file (after following symlinks); never opens anything."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def _depth(text: str) -> int:
    """Deepest bracket nesting outside strings (a linear scan, no recursion)."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def parse_json(
    data: bytes | str,
    path: str | Path,
    *,
    what: str = "JSON",
    max_bytes: int = MAX_JSON_BYTES,
    max_depth: int = MAX_JSON_DEPTH,
    expect: type = dict,
) -> Any:
    """Parse JSON with size and depth checked first; the top level must be ``expect``.

    Raises:
        LoadError: too large, too deep, not UTF-8, not JSON, or the wrong top-level type.
    """
    if len(data) > max_bytes:
        raise VolumeLimitError(path, f"{what} of {len(data)} bytes exceeds {max_bytes} bytes")
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
    except UnicodeDecodeError as err:
        raise LoadError(path, f"{what} is not UTF-8 text ({err.reason})") from None
    if _depth(text) > max_depth:
        raise LoadError(path, f"{what} is nested deeper than {max_depth} levels")
    try:
        value = json.loads(text)
    except (json.JSONDecodeError, RecursionError, ValueError) as err:
        raise LoadError(path, f"{what} is not valid JSON ({err})") from None
    if not isinstance(value, expect):
        raise LoadError(
            path, f"{what} must be a JSON {expect.__name__}, not {type(value).__name__}"
        )
    return value


def read_json_file(
    path: str | Path,
    *,
    max_bytes: int = MAX_JSON_BYTES,
    expect: type = dict,
    missing: str = "no such file",
) -> Any:
    """Read a JSON file that must be a regular file of at most ``max_bytes``.

    ``missing`` is the message when the file does not exist (say what the user should check).
    """
    require_regular_file(path, max_bytes=max_bytes, missing=missing)
    try:
        data = Path(path).read_bytes()
    except OSError as err:
        raise LoadError(path, f"cannot read ({err.strerror or err})") from None
    return parse_json(data, path, max_bytes=max_bytes, expect=expect)


@dataclass(frozen=True)
class ZipBounds:
    """What a zip's central directory may announce before any member is inflated.

    Attributes:
        max_members: most members (folders included).
        max_member_bytes: largest inflated member.
        max_total_bytes: largest sum of inflated sizes.
        max_ratio: largest inflated/compressed ratio of a member over 1 MiB (zip bombs).
    """

    max_members: int = 20_000
    max_member_bytes: int = 4096 * 4096 * 8 + 2**20
    max_total_bytes: int = 8 * 2**30
    max_ratio: float = 1100.0


def check_zip(archive: zipfile.ZipFile, path: str | Path, bounds: ZipBounds) -> None:
    """Refuse an archive whose directory describes too many, too large or bomb-like members.

    Also refuses encrypted members (they cannot be read without a password anyway).
    """
    infos = archive.infolist()
    if len(infos) > bounds.max_members:
        raise VolumeLimitError(
            path, f"archive has {len(infos)} members, more than {bounds.max_members}"
        )
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise LoadError(path, f"member {info.filename} is encrypted")
        if info.file_size > bounds.max_member_bytes:
            raise VolumeLimitError(
                path, f"member {info.filename} inflates to {info.file_size} bytes"
            )
        if info.file_size > 2**20 and info.file_size > bounds.max_ratio * max(
            1, info.compress_size
        ):
            raise VolumeLimitError(
                path,
                f"member {info.filename} inflates {info.file_size / max(1, info.compress_size):.0f}"
                " times (a decompression bomb?)",
            )
        total += info.file_size
    if total > bounds.max_total_bytes:
        raise VolumeLimitError(
            path,
            f"archive inflates to {total / 2**20:.0f} MiB, over "
            f"{bounds.max_total_bytes / 2**20:.0f} MiB",
        )


def open_zip(
    path: str | Path, bounds: ZipBounds, *, missing: str = "no such file"
) -> zipfile.ZipFile:
    """Open a regular-file zip and check its directory (the caller closes it)."""
    require_regular_file(path, missing=missing)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as err:
        raise LoadError(path, f"not a valid zip archive ({err})") from None
    try:
        check_zip(archive, path, bounds)
    except BaseException:
        archive.close()
        raise
    return archive


class ScanBudget:
    """A count and time budget for a folder or archive scan.

    Args:
        path: the folder, named in the error.
        max_entries: most entries to visit.
        max_seconds: longest scan.
    """

    def __init__(self, path: str | Path, max_entries: int, max_seconds: float) -> None:
        self.path = path
        self.max_entries = max_entries
        self.max_seconds = max_seconds
        self.entries = 0
        self._start = time.monotonic()

    def tick(self, n: int = 1) -> None:
        """Count ``n`` more entries; raise once either budget is spent."""
        self.entries += n
        if self.entries > self.max_entries:
            raise VolumeLimitError(self.path, f"more than {self.max_entries} files to scan")
        if time.monotonic() - self._start > self.max_seconds:
            raise VolumeLimitError(
                self.path, f"scanning took longer than {self.max_seconds:.0f} s; gave up"
            )


def read_npy_header(
    handle: IO[bytes], path: str | Path, prefix: str = ""
) -> tuple[tuple[int, ...], Any, bool]:
    """``(shape, dtype, fortran_order)`` from the ``.npy`` header at ``handle`` (v1 / v2).

    Raises:
        LoadError: naming ``path`` (``prefix`` names the member): another version or a header
            that does not parse.
    """
    import numpy as np

    try:
        version = np.lib.format.read_magic(handle)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(handle)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(handle)
        else:
            raise LoadError(path, f"{prefix}unsupported .npy version {version}")
    except (ValueError, SyntaxError, TypeError) as err:
        raise LoadError(path, f"{prefix}not a valid .npy header ({err})") from None
    return tuple(int(s) for s in shape), np.dtype(dtype), bool(fortran)


def npy_member_header(
    archive: zipfile.ZipFile, name: str, path: str | Path
) -> tuple[tuple[int, ...], Any, bool]:
    """``(shape, dtype, fortran_order)`` of an ``.npy`` member, from its header only.

    Raises:
        LoadError: not an ``.npy``, an object (pickle) dtype, or a header announcing more
            bytes than the member holds (refused before any allocation).
    """
    import numpy as np

    info = archive.getinfo(name)
    with archive.open(info) as handle:
        shape, dtype, fortran = read_npy_header(handle, path, f"{name}: ")
    if dtype.hasobject:
        raise LoadError(path, f"{name}: object arrays (pickles) are never loaded")
    declared = int(np.prod(shape, dtype=object)) * dtype.itemsize
    if declared > info.file_size:
        raise LoadError(
            path, f"{name}: header announces {declared} bytes, the member holds {info.file_size}"
        )
    return shape, dtype, fortran


def check_npz_members(archive: zipfile.ZipFile, path: str | Path) -> None:
    """Check the header of every ``.npy`` member of an ``.npz`` (see :func:`npy_member_header`)."""
    for name in archive.namelist():
        if name.endswith(".npy"):
            npy_member_header(archive, name, path)


def require_file_or_folder(path: str | Path) -> None:
    """Refuse a path that is neither a folder nor a regular file (stat only, never opened).

    Raises:
        LoadError: missing, or a FIFO, device or socket (also behind a symlink).
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise LoadError(path, "no such file or folder") from None
    except OSError as err:
        raise LoadError(path, f"cannot access ({err.strerror or err})") from None
    if not (stat.S_ISDIR(mode) or stat.S_ISREG(mode)):
        raise LoadError(path, f"is {_kind(mode)}; only regular files and folders are read")
