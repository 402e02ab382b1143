"""Crash-consistent items: staged in a hidden folder, committed by renames, sidecar last.

An item is several files (image, label, sidecar; a DICOM series folder). They are written
complete into ``<out>/.staging/<item>-<run>/``, then moved into place by ``os.replace`` /
``os.rename`` (atomic on one file system; a series folder moves in one rename, so a partial
series never carries its final name). The item's sidecar is its **commit record**: it is
removed first when an item is replaced and renamed into place last, and it lists the sha256
of every other file of the item and the run that wrote them. So, whenever the process dies:

* an item whose sidecar exists is complete, and all its files come from that sidecar's run;
* files without a sidecar are debris of an interrupted commit, never listed by a manifest,
  and removed by the next run (:func:`remove_debris`);
* the manifest is written last and lists only committed items.

Example:
    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp())
    >>> stage = staging_dir(out, "item_00000", "run1")
    >>> _ = (stage / "item_00000.png").write_bytes(b"png")
    >>> _ = (stage / "item_00000.json").write_text('{"run_id": "run1"}')
    >>> commit_item(out, stage, ["item_00000.png", "item_00000.json"])
    ['item_00000.png', 'item_00000.json']
    >>> check_item(out, "item_00000.json")
    []
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from liversynth.atomic import atomic_write, fsync_dir, remove_stale_temps
from liversynth.errors import DiskFullError
from liversynth.export.provenance import file_sha256

STAGING = ".staging"
MANIFEST = "manifest.json"
#: Names a synthesize run owns in its output folder (``--overwrite`` removes only these).
_OWNED = re.compile(r"^(item_\d{5}.*|synth_\d{5}.*|dataset\.json|manifest\.json)$")
_OWNED_DIRS = ("imagesTr", "labelsTr", "provenance")


def new_run_id() -> str:
    """A fresh id recorded in every sidecar and the manifest of one run."""
    return uuid.uuid4().hex[:16]


def staging_dir(out: Path, key: str, run_id: str) -> Path:
    """A new, empty staging folder for one item."""
    folder = out / STAGING / f"{key}-{run_id}"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder


def _files_of(root: Path, rel: str) -> dict[str, str]:
    """``{relative file path: sha256}`` of a file, or of every file in a folder."""
    path = root / rel
    if path.is_dir():
        return {
            p.relative_to(root).as_posix(): file_sha256(p)
            for p in sorted(path.rglob("*"))
            if p.is_file()
        }
    return {rel: file_sha256(path)}


def _marker(rels: list[str]) -> str:
    markers = [r for r in rels if r.endswith(".json")]
    if len(markers) != 1:
        raise ValueError(f"an item needs exactly one sidecar .json, got {markers}")
    return markers[0]


def _top_level(rels: list[str]) -> list[str]:
    """Entries to move: a series folder moves as one (``item_00001/slice_0000.dcm`` → folder)."""
    tops: list[str] = []
    for rel in rels:
        parts = rel.split("/")
        top = parts[0] if len(parts) > 1 and parts[0] not in _OWNED_DIRS else rel
        if top not in tops:
            tops.append(top)
    return tops


def _remove(path: Path, trash: Path) -> None:
    """Remove a file or (renamed away first, so it vanishes at once) a folder."""
    if path.is_dir() and not path.is_symlink():
        away = trash / f"{path.name}-{uuid.uuid4().hex[:8]}"
        trash.mkdir(parents=True, exist_ok=True)
        os.rename(path, away)
        shutil.rmtree(away, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def commit_item(out: Path, stage: Path, rels: list[str]) -> list[str]:
    """Move a complete staged item into ``out``; returns ``rels``.

    The sidecar (the one ``.json`` in ``rels``) gets ``item_files`` (sha256 of every other
    file) before it moves, last.
    """
    marker = _marker(rels)
    hashes: dict[str, str] = {}
    for top in _top_level(rels):
        if top != marker:
            hashes.update(_files_of(stage, top))
    record = json.loads((stage / marker).read_text(encoding="utf-8"))
    record["item_files"] = hashes
    text = json.dumps(record, indent=2, sort_keys=True, allow_nan=False) + "\n"
    atomic_write(stage / marker, text.encode("utf-8"))
    trash = out / STAGING / "trash"
    # 1. Uncommit the old item (if any): from now on its files are debris, not an item.
    (out / marker).unlink(missing_ok=True)
    fsync_dir((out / marker).parent)
    # 2. Move the new files (a series folder in one rename).
    for top in _top_level(rels):
        if top == marker:
            continue
        final = out / top
        final.parent.mkdir(parents=True, exist_ok=True)
        if final.exists():
            _remove(final, trash)
        os.replace(stage / top, final)
        fsync_dir(final.parent)
    # 3. Commit: the sidecar, last.
    (out / marker).parent.mkdir(parents=True, exist_ok=True)
    os.replace(stage / marker, out / marker)
    fsync_dir((out / marker).parent)
    shutil.rmtree(stage, ignore_errors=True)
    return rels


def check_item(out: Path, marker: str) -> list[str]:
    """Problems of a committed item (``[]``: every listed file exists with its hash)."""
    try:
        record = json.loads((out / marker).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        return [f"{marker}: unreadable sidecar ({err})"]
    problems = []
    for rel, digest in (record.get("item_files") or {}).items():
        path = out / rel
        if not path.is_file():
            problems.append(f"{marker}: {rel} missing")
        elif file_sha256(path) != digest:
            problems.append(f"{marker}: {rel} is not the file this item committed")
    if not record.get("item_files"):
        problems.append(f"{marker}: lists no files")
    return problems


def committed_markers(out: Path) -> list[str]:
    """Sidecars of committed items under ``out`` (relative paths)."""
    found = [p.name for p in out.glob("item_?????.json")]
    found += [f"provenance/{p.name}" for p in (out / "provenance").glob("synth_?????.json")]
    return sorted(found)


def owned_entries(out: Path) -> list[Path]:
    """Files and folders a synthesize run owns in ``out`` (never anything else)."""
    entries = [p for p in out.iterdir() if _OWNED.match(p.name)]
    for sub in _OWNED_DIRS:
        if (out / sub).is_dir():
            entries += [p for p in (out / sub).iterdir() if _OWNED.match(p.name)]
    return entries


def remove_debris(out: Path) -> int:
    """Remove staging leftovers, stale temporaries and files of uncommitted items.

    Returns:
        how many entries were removed.
    """
    removed = 0
    if (out / STAGING).exists():
        shutil.rmtree(out / STAGING, ignore_errors=True)
        removed += 1
    for folder in [out, *(out / sub for sub in _OWNED_DIRS)]:
        if folder.is_dir():
            removed += remove_stale_temps(folder)
    keep: set[str] = {MANIFEST, "dataset.json"}
    for marker in committed_markers(out):
        record = _read(out / marker)
        keep.add(marker)
        keep.update(_top_level(list((record.get("item_files") or {}).keys())))
    for entry in owned_entries(out):
        rel = entry.relative_to(out).as_posix()
        if rel not in keep:
            _remove(entry, out / STAGING / "trash")
            removed += 1
    shutil.rmtree(out / STAGING, ignore_errors=True)
    return removed


def clear_previous_run(out: Path) -> None:
    """``--overwrite``: remove the old run's outputs, manifest first, then each commit record.

    Whatever point a kill interrupts this at, no old item survives half: the manifest goes
    first, each item's sidecar before its files.
    """
    (out / MANIFEST).unlink(missing_ok=True)
    (out / "dataset.json").unlink(missing_ok=True)
    fsync_dir(out)
    for marker in committed_markers(out):
        (out / marker).unlink(missing_ok=True)
    fsync_dir(out)
    remove_debris(out)


def _read(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


@contextmanager
def cleaned_on_error(root: Path) -> Iterator[None]:
    """On a write error remove this run's staging and temporaries; a full disk becomes a
    :class:`~liversynth.errors.DiskFullError` (one line, exit code 1, no traceback)."""
    try:
        yield
    except OSError as err:
        if root.is_dir():
            remove_debris(root)
        if err.errno in (errno.ENOSPC, errno.EDQUOT):
            raise DiskFullError(
                f"{root}: the disk is full ({err.filename or 'while writing'}); items "
                "committed so far are complete, no manifest was written"
            ) from None
        raise
