"""What opening work means: a case from files, the demo phantom, labels for the open volume, a
saved session, or the autosave of a crashed run; and which of several dropped files are labels.

Each function returns what a front end needs to show the result (:class:`LoadedCase`, or a
:class:`~liversynth.authoring.Document` for sessions). They are slow (a big CT takes seconds to
decode, the demo phantom ~3 s to build) and read no document, so a front end can run them on a
background thread with arguments taken from the document beforehand.

The demo phantom is cached as a plain ``.npz`` (no pickle) under the user cache folder, keyed by
seed, shape and a hash of the phantom's source code, so a second start shows it at once and a
changed generator never serves a stale phantom.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from liversynth.atomic import atomic_write
from liversynth.authoring.autosave import recover
from liversynth.authoring.document import Document
from liversynth.authoring.session import load_session, read_session
from liversynth.authoring.source import CaseSource
from liversynth.geometry import centred_affine_lps
from liversynth.typing import SpacingZYX
from liversynth.volume import TUMOUR, Case, Volume

#: Words in a file name that mark it as labels when several files are opened together.
LABEL_HINTS = ("seg", "label", "mask")
#: Demo phantom: seed and shape (the phantom's nominal full-resolution frame).
DEMO_SEED = 0
DEMO_SHAPE = (48, 256, 256)
DEMO_SPACING_MM = (2.5, 1.5, 1.5)


@dataclass(frozen=True)
class LoadedCase:
    """A case with where it came from (for sessions), a window title and a slice to show.

    ``initial_slice`` ``None`` keeps the document's choice (the largest liver section).
    """

    case: Case
    source: CaseSource
    title: str
    initial_slice: int | None = None


def demo_slice(labels: np.ndarray | None) -> int | None:
    """A slice worth showing first: the largest liver section among slices with a tumour.

    Args:
        labels: ``(z, y, x)`` 0/1/2, or ``None``.
    """
    if labels is None:
        return None
    tumour = (labels == TUMOUR).sum(axis=(1, 2))
    if not tumour.any():
        return None
    liver = (labels > 0).sum(axis=(1, 2))
    # Prefer a well-visible tumour (≥ half the largest section) on a large liver section.
    candidates = np.flatnonzero(tumour >= tumour.max() / 2)
    return int(candidates[np.argmax(liver[candidates])])


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/liversynth`` (``~/.cache/liversynth``)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "liversynth"


def _phantom_code_hash() -> str:
    import liversynth.phantom as phantom_pkg

    digest = hashlib.sha256()
    for path in sorted(Path(phantom_pkg.__file__).parent.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def demo_case(
    seed: int = DEMO_SEED,
    shape: tuple[int, int, int] = DEMO_SHAPE,
    spacing_mm: SpacingZYX = DEMO_SPACING_MM,
    *,
    cache_dir: Path | None = None,
) -> LoadedCase:
    """The demo phantom (``make_phantom``), from the cache when possible.

    Args:
        seed, shape, spacing_mm: passed to :func:`liversynth.phantom.make_phantom`.
        cache_dir: folder for the ``.npz`` cache; ``None`` disables caching.
    """
    source = CaseSource(phantom_seed=seed, phantom_shape=shape, phantom_spacing_mm=spacing_mm)
    title = f"Demo phantom (seed {seed})"
    cache = None
    if cache_dir is not None:
        key = f"phantom-{seed}-{'x'.join(map(str, shape))}-{_phantom_code_hash()}.npz"
        cache = cache_dir / key
        case = _read_cached(cache, seed, spacing_mm)
        if case is not None:
            return LoadedCase(case, source, title, demo_slice(case.labels))
    case = source.load()
    if cache is not None:
        _write_cache(cache, case)
    return LoadedCase(case, source, title, demo_slice(case.labels))


def _read_cached(path: Path, seed: int, spacing_mm: SpacingZYX) -> Case | None:
    try:
        with np.load(path, allow_pickle=False) as data:
            hu, labels = data["hu"], data["labels"]
    except (OSError, KeyError, ValueError):
        return None  # absent or damaged: rebuild it
    volume = Volume(
        hu,
        spacing_mm,
        source=f"phantom seed={seed}",
        affine_lps=centred_affine_lps(hu.shape, spacing_mm),
    )
    return Case(f"phantom-{seed}", volume, labels)


def _write_cache(path: Path, case: Case) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Older builds of the same phantom (another code hash) are stale: remove them.
        prefix = path.name.rsplit("-", 1)[0] + "-"
        for old in path.parent.glob(f"{prefix}*.npz"):
            old.unlink(missing_ok=True)
        labels = case.labels
        assert labels is not None  # the phantom always has labels
        atomic_write(
            path, lambda tmp: np.savez(tmp, hu=case.volume.hu, labels=labels), suffix=".npz"
        )
    except OSError:
        pass  # a cache is an optimisation; a read-only home must not stop the demo


#: Folder names that say nothing about the case (3D-IRCADb's series folder, exporters' defaults).
GENERIC_SERIES_FOLDERS = ("patient_dicom", "dicom", "images", "series", "ct", "data", "scans")


def case_title(volume_path: str | Path, case: Case) -> str:
    """A name a user recognises: a DICOM series folder with a generic name (``PATIENT_DICOM``)
    is named by its series description, else by the folder that holds it (``3Dircadb1.1``)."""
    path = Path(volume_path)
    if case.volume.metadata.get("format") != "dicom":
        return path.name
    description = str(case.volume.metadata.get("series_description") or "").strip()
    folder = path.stem if path.suffix.lower() == ".zip" else path.name
    if folder.lower() not in GENERIC_SERIES_FOLDERS:
        return folder
    parent = path.resolve().parent.name
    if description:
        return f"{parent} · {description}" if parent else description
    return parent or folder


def files_case(
    volume_path: str | Path,
    labels_path: str | Path | None = None,
    label_mapping: dict[int, int] | None = None,
) -> LoadedCase:
    """A case from files or a folder (any layout :func:`liversynth.io.load_case` knows).

    Args:
        volume_path, labels_path: what to load.
        label_mapping: stored label id → 0/1/2 for label files with other ids.

    Raises:
        LoadError: unreadable files (the message names the file and the problem).
        UnmappedLabelsError: the labels hold ids other than 0/1/2 and no mapping was given.
    """
    source = CaseSource(
        volume_path=str(volume_path),
        labels_path=None if labels_path is None else str(labels_path),
        label_mapping=label_mapping,
    )
    case = source.load()
    title = case_title(volume_path, case)
    if case.name != title and case.volume.metadata.get("layout") == "plain":
        case = Case(title, case.volume, case.labels, case.patient_id)
    return LoadedCase(case, source, title)


def labels_case(
    volume: Volume,
    source: CaseSource,
    case_name: str,
    labels_path: str | Path,
    label_mapping: dict[int, int] | None = None,
) -> LoadedCase:
    """The open volume with labels read from ``labels_path`` (same grid required).

    Args:
        volume, source, case_name: of the open case, taken from the document by the caller
            (this function never reads a document: it may run on another thread).
        labels_path: the label file.
        label_mapping: stored label id → 0/1/2 for label files with other ids.

    Raises:
        LoadError: unreadable labels, or labels on another grid.
        UnmappedLabelsError: ids other than 0/1/2 and no mapping.
    """
    from liversynth.io import load_labels

    labels = load_labels(labels_path, like=volume, mapping=label_mapping)
    return LoadedCase(
        Case(case_name, volume, labels),
        # Keep where the image came from (file or phantom); only the labels change.
        dataclasses.replace(source, labels_path=str(labels_path), label_mapping=label_mapping),
        case_name,  # the window keeps the case's title, not the labels file's name
    )


def split_dropped(paths: list[str]) -> tuple[str, str | None]:
    """``(volume, labels)`` from files opened together; labels are told by their name.

    Example:
        >>> split_dropped(["ct.nii.gz", "ct_seg.nii.gz"])
        ('ct.nii.gz', 'ct_seg.nii.gz')
        >>> split_dropped(["mask.nii", "ct.nii"])
        ('ct.nii', 'mask.nii')
    """
    if not paths:
        raise ValueError("no files to open")
    if len(paths) == 1:
        return paths[0], None
    labels = [p for p in paths if any(h in Path(p).name.lower() for h in LABEL_HINTS)]
    volumes = [p for p in paths if p not in labels]
    if volumes and labels:
        return volumes[0], labels[0]
    return paths[0], paths[1]


def _cached_phantom(path: str | Path, cache_dir: Path | None) -> Case | None:
    """The session's case when it is the phantom and the demo cache has it (else None)."""
    meta, _masks, _stamp = read_session(path)
    source = CaseSource.from_json(meta.get("source") or {})
    if source.phantom_seed is None or not source.phantom_shape or not source.phantom_spacing_mm:
        return None
    return demo_case(
        source.phantom_seed, source.phantom_shape, source.phantom_spacing_mm, cache_dir=cache_dir
    ).case


def session_document(
    path: str | Path, cache_dir: Path | None, volume_path: str | None = None
) -> Document:
    """Reopen a saved session; a phantom case comes from the demo cache when possible.

    Args:
        path: the session file.
        cache_dir: the demo cache.
        volume_path: where the user located the CT ("Locate…") when it was not found.

    Raises:
        CaseFilesMissingError: the CT is neither where the session says nor next to it.
        LoadError: an unreadable session, or its case can no longer be loaded.
    """
    return load_session(path, case=_cached_phantom(path, cache_dir), volume_path=volume_path)


def recovered_document(path: str | Path, cache_dir: Path | None) -> Document:
    """Reopen an autosave as unsaved work (``session_path`` = the user's last saved file).

    Raises:
        LoadError: an unreadable autosave, or its case can no longer be loaded.
    """
    return recover(path, case=_cached_phantom(path, cache_dir))
