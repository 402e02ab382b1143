"""Where DICOM files come from: a folder (searched recursively), a ``.zip``, or one file.

A :class:`DicomSource` lists candidate members and opens them, so the series logic does not
care whether bytes come from disk or from an archive. Archives are checked against
decompression bombs from their directory before anything is inflated.
"""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from liversynth.errors import LoadError
from liversynth.io.limits import Limits, VolumeLimitError

# One slice of the largest accepted size as float64, plus header room: larger members are
# not CT slices (or are bombs).
_MAX_MEMBER_BYTES = 4096 * 4096 * 8 + 2**20
_MAX_MEMBERS = 100_000
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
        if self.path.is_dir():
            self.kind = "folder"
            self.members = self._list_folder(prefix)
        elif self.path.is_file() and self.path.suffix.lower() == ".zip":
            if not zipfile.is_zipfile(self.path):
                raise LoadError(self.path, "not a valid zip archive")
            self.kind = "zip"
            self._zip = zipfile.ZipFile(self.path)
            self.members = self._list_zip(prefix)
        elif self.path.is_file():
            self.kind = "file"
            self.members = [self.path.name]
        else:
            raise LoadError(self.path, "no such file or folder")

    def _list_folder(self, prefix: str) -> list[str]:
        root = self.path / prefix if prefix else self.path
        names: list[str] = []
        for folder, dirs, files in os.walk(root):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for fname in files:
                rel = os.path.relpath(os.path.join(folder, fname), self.path).replace(os.sep, "/")
                if _is_candidate(rel):
                    names.append(rel)
            if len(names) > _MAX_MEMBERS:
                raise VolumeLimitError(self.path, f"more than {_MAX_MEMBERS} files")
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
        if len(infos) > _MAX_MEMBERS:
            raise VolumeLimitError(self.path, f"archive has more than {_MAX_MEMBERS} files")
        total = 0
        for info in infos:
            if info.file_size > _MAX_MEMBER_BYTES:
                raise VolumeLimitError(
                    self.path, f"member {info.filename} inflates to {info.file_size} bytes"
                )
            total += info.file_size
        budget = self.limits.byte_budget()
        if total > budget:
            raise VolumeLimitError(
                self.path,
                f"archive inflates to {total / 2**20:.0f} MiB, over {budget / 2**20:.0f} MiB",
            )
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
    def open(self, member: str) -> Iterator[BinaryIO | str]:
        """Yield something ``pydicom.dcmread`` accepts for ``member``."""
        if self.kind == "zip":
            assert self._zip is not None
            yield io.BytesIO(self._zip.read(member))
        elif self.kind == "folder":
            yield str(self.path / member)
        else:
            yield str(self.path)

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
