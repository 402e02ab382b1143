"""Where DICOM files come from: a folder (searched recursively), a ``.zip``, or one file.

A :class:`DicomSource` lists candidate members and opens them, so the series logic does not
care whether bytes come from disk or from an archive. Archives are checked against
decompression bombs from their directory before anything is inflated.
"""

from __future__ import annotations

import io
import os
import stat
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from liversynth.errors import LoadError
from liversynth.io.limits import Limits, VolumeLimitError
from liversynth.io.safe_files import ScanBudget, ZipBounds, is_regular_file, open_zip

# One slice of the largest accepted size as float64, plus header room: larger members are
# not CT slices (or are bombs).
MAX_MEMBER_BYTES = 4096 * 4096 * 8 + 2**20
# A header scan reads this much of an archive member first: real headers are a few kB, and
# inflating a whole member to read its header is what makes a zip of large zero members slow.
HEADER_PREFIX_BYTES = 256 * 1024
_SKIP_NAMES = {"dicomdir", "thumbs.db", "desktop.ini", "license.txt", "readme.txt"}


def _is_candidate(name: str) -> bool:
    base = name.rsplit("/", 1)[-1]
    if not base or base.startswith(".") or base.lower() in _SKIP_NAMES:
        return False
    if "__MACOSX" in name.split("/"):
        return False
    return not base.lower().endswith(
        (".txt", ".md", ".json", ".xml", ".html", ".pdf", ".png", ".jpg")
    )


def natural_key(name: str) -> list[object]:
    """Sort ``image_2`` before ``image_10``."""
    parts: list[object] = []
    digits = ""
    text = ""
    for ch in name:
        if ch.isdigit():
            if text:
                parts.append(text)
                text = ""
            digits += ch
        else:
            if digits:
                parts.append(int(digits))
                digits = ""
            text += ch
    parts.append(int(digits) if digits else text)
    return [(0, p) if isinstance(p, int) else (1, p) for p in parts]


class DicomSource:
    """A set of files that may hold one DICOM series.

    Args:
        path: a folder, a ``.zip`` archive or a single file.
        limits: bounds for archive members.
        prefix: inside a zip, only members under this folder (e.g. ``"MASKS_DICOM/liver/"``).
    """

    def __init__(self, path: str | Path, limits: Limits | None = None, prefix: str = "") -> None:
        self.path = Path(path)
        self.limits = limits or Limits()
        self._zip: zipfile.ZipFile | None = None
        self.skipped_special = 0  # FIFOs, devices, sockets, dangling links met in a folder
        # One budget for listing and header scanning: a hostile folder cannot hold us forever.
        self.budget = ScanBudget(self.path, self.limits.max_files, self.limits.max_scan_seconds)
        try:
            mode = os.stat(self.path).st_mode  # stat, never open: a FIFO must not block us
        except OSError:
            raise LoadError(self.path, "no such file or folder") from None
        if stat.S_ISDIR(mode):
            self.kind = "folder"
            self.members = self._list_folder(prefix)
        elif stat.S_ISREG(mode) and self.path.suffix.lower() == ".zip":
            self.kind = "zip"
            self._zip = open_zip(self.path, self._zip_bounds())
            self.members = self._list_zip(prefix)
        elif stat.S_ISREG(mode):
            self.kind = "file"
            if os.stat(self.path).st_size > MAX_MEMBER_BYTES:
                raise VolumeLimitError(
                    self.path, f"a DICOM file larger than {MAX_MEMBER_BYTES} bytes is not a slice"
                )
            self.members = [self.path.name]
        else:
            raise LoadError(self.path, "is not a regular file or folder (FIFO, device, socket?)")

    def _zip_bounds(self) -> ZipBounds:
        return ZipBounds(
            max_members=self.limits.max_files,
            max_member_bytes=MAX_MEMBER_BYTES,
            max_total_bytes=self.limits.byte_budget(),
        )

    def _list_folder(self, prefix: str) -> list[str]:
        root = self.path / prefix if prefix else self.path
        names: list[str] = []
        for folder, dirs, files in os.walk(root):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            self.budget.tick(len(files) + len(dirs))
            for fname in files:
                full = os.path.join(folder, fname)
                rel = os.path.relpath(full, self.path).replace(os.sep, "/")
                if not _is_candidate(rel):
                    continue
                if not is_regular_file(full):  # a FIFO would block, /dev/zero never ends
                    self.skipped_special += 1
                    continue
                if os.stat(full).st_size > MAX_MEMBER_BYTES:
                    raise VolumeLimitError(
                        self.path / rel,
                        f"a file larger than {MAX_MEMBER_BYTES} bytes is not a slice",
                    )
                names.append(rel)
        return sorted(names, key=natural_key)

    def _list_zip(self, prefix: str) -> list[str]:
        assert self._zip is not None
        infos = [
            info
            for info in self._zip.infolist()
            if not info.is_dir()
            and info.filename.startswith(prefix)
            and _is_candidate(info.filename)
        ]
        return sorted((info.filename for info in infos), key=natural_key)

    def display_name(self, member: str) -> str:
        """A path naming a member for error messages."""
        if self.kind == "folder":
            return str(self.path / member)
        if self.kind == "zip":
            return f"{self.path}!{member}"
        return str(self.path)

    def error_path(self, member: str) -> Path:
        """The path a member's LoadError should carry (the zip itself for archives)."""
        return self.path / member if self.kind == "folder" else self.path

    @contextmanager
    def open(self, member: str, *, prefix_bytes: int | None = None) -> Iterator[BinaryIO]:
        """Yield a binary stream of ``member`` for ``pydicom.dcmread``.

        Args:
            member: the member's name.
            prefix_bytes: read only this many bytes (header scans).
        """
        if self.kind == "zip":
            assert self._zip is not None
            with self._zip.open(member) as handle:
                data = handle.read(-1 if prefix_bytes is None else prefix_bytes)
            yield io.BytesIO(data)
        else:
            full = self.path / member if self.kind == "folder" else self.path
            with open(full, "rb") as handle:
                if prefix_bytes is None:
                    yield handle
                else:
                    yield io.BytesIO(handle.read(prefix_bytes))

    def member_size(self, member: str) -> int:
        """Bytes of ``member`` once read (inflated size for an archive member)."""
        if self.kind == "zip":
            assert self._zip is not None
            return int(self._zip.getinfo(member).file_size)
        full = self.path / member if self.kind == "folder" else self.path
        return int(os.stat(full).st_size)

    def by_parent(self) -> dict[str, list[str]]:
        """Members grouped by their parent folder's name (mask series: one folder each)."""
        groups: dict[str, list[str]] = {}
        for member in self.members:
            parts = member.split("/")
            parent = parts[-2] if len(parts) >= 2 else ""
            groups.setdefault(parent, []).append(member)
        return groups

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()
            self._zip = None

    def __enter__(self) -> DicomSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
