"""What "open a case" means: files through :mod:`liversynth.io`, or the demo phantom.

These functions are Qt-free and slow (a big CT takes seconds to decode, the demo phantom ~3 s
to build): the window runs them through :class:`~liversynth_gui.background.BackgroundRunner`.

The demo phantom is cached as a plain ``.npz`` (no pickle) under the user cache folder, keyed by
seed, shape and a hash of the phantom's source code, so a second start shows it at once and a
changed generator never serves a stale phantom.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from liversynth.atomic import atomic_write
from liversynth.authoring import CaseSource
from liversynth.geometry import centred_affine_lps
from liversynth.typing import SpacingZYX
from liversynth.volume import TUMOUR, Case, Volume

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
