"""Dataset layouts: discover cases cheaply (:func:`find_cases`) and load them (:func:`load_case`).

Recognised layouts (see docs/notes/io.md for trees):

- LiTS: ``volume-N.nii[.gz]`` with ``segmentation-N.nii[.gz]`` (same folder or anywhere below
  the root) → name ``lits-N``.
- MSD Task03 Liver: ``imagesTr/liver_N.nii.gz`` with ``labelsTr/liver_N.nii.gz`` (``imagesTs``
  without labels) → name ``msd-liver_N``.
- 3D-IRCADb-01: ``3Dircadb1.X/`` holding ``PATIENT_DICOM`` (folder or ``.zip``) and
  ``MASKS_DICOM`` (folder or ``.zip``) → name ``3Dircadb1.X``.
- Anything else ``load_volume`` reads, as a plain case (labels from the ``labels`` argument).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import NamedTuple

import numpy as np

from liversynth.errors import LoadError
from liversynth.io.boundary import load_boundary
from liversynth.io.dicom_source import natural_key
from liversynth.io.labels import load_labels
from liversynth.io.limits import Limits
from liversynth.io.load import load_volume
from liversynth.io.nifti import is_nifti
from liversynth.volume import Case

_LITS_VOLUME = re.compile(r"^volume-(\d+)\.nii(\.gz)?$", re.IGNORECASE)
_LITS_SEG = re.compile(r"^segmentation-(\d+)\.nii(\.gz)?$", re.IGNORECASE)
_MAX_DEPTH = 4


class CaseRef(NamedTuple):
    """A case found on disk, not yet loaded (a tuple, so it can be unpacked or stored).

    Attributes:
        name: e.g. ``"3Dircadb1.1"``, ``"lits-12"``, ``"msd-liver_3"``.
        image: the CT (file, DICOM folder or zip).
        labels: the segmentation (file, ``MASKS_DICOM`` folder/zip) or ``None``.
        layout: ``"ircad"``, ``"lits"``, ``"msd"`` or ``"plain"``.
        patient_id: key for patient-level splits.
    """

    name: str
    image: Path
    labels: Path | None
    layout: str
    patient_id: str


def _nifti_stem(path: Path) -> str:
    name = path.name
    for suffix in (".nii.gz", ".nii", ".npz", ".npy", ".zip"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def _first_existing(folder: Path, names: tuple[str, ...]) -> Path | None:
    for name in names:
        if (folder / name).exists():
            return folder / name
    return None


def _ircad_ref(folder: Path) -> CaseRef | None:
    image = _first_existing(folder, ("PATIENT_DICOM", "PATIENT_DICOM.zip"))
    if image is None:
        return None
    labels = _first_existing(folder, ("MASKS_DICOM", "MASKS_DICOM.zip"))
    return CaseRef(folder.name, image, labels, "ircad", folder.name)


def _file_ref(path: Path, seg_index: dict[str, Path] | None = None) -> CaseRef:
    """The case a single image file belongs to (LiTS / MSD partner found by name)."""
    lits = _LITS_VOLUME.match(path.name)
    if lits:
        number = str(int(lits.group(1)))
        seg = _first_existing(
            path.parent,
            (f"segmentation-{lits.group(1)}.nii", f"segmentation-{lits.group(1)}.nii.gz"),
        )
        if seg is None and seg_index is not None:
            seg = seg_index.get(number)
        return CaseRef(f"lits-{number}", path, seg, "lits", f"lits-{number}")
    stem = _nifti_stem(path)
    if path.parent.name in ("imagesTr", "imagesTs") and is_nifti(path):
        label = path.parent.parent / "labelsTr" / path.name
        return CaseRef(
            f"msd-{stem}", path, label if label.is_file() else None, "msd", f"msd-{stem}"
        )
    return CaseRef(stem, path, None, "plain", stem)


def _has_dicom_files(folder: Path, probe: int = 5) -> bool:
    checked = 0
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        if not entry.is_file() or entry.name.startswith("."):
            continue
        if entry.name.lower().endswith(".dcm"):
            return True
        try:
            with open(entry.path, "rb") as handle:
                if handle.read(132)[128:132] == b"DICM":
                    return True
        except OSError:
            pass
        checked += 1
        if checked >= probe:
            break
    return False


def _walk(root: Path) -> list[tuple[Path, list[str], list[str]]]:
    """``os.walk`` to a bounded depth, not descending into DICOM image folders."""
    out = []
    base_depth = len(root.parts)
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        dirs[:] = sorted(
            d for d in dirs if not d.startswith(".") and d not in ("PATIENT_DICOM", "MASKS_DICOM")
        )
        if len(here.parts) - base_depth >= _MAX_DEPTH:
            dirs[:] = []
        out.append((here, dirs, sorted(f for f in files if not f.startswith("."))))
    return out


def find_cases(root: str | Path) -> list[CaseRef]:
    """List the cases under a dataset root without reading any pixels.

    ``root`` may also be a single case (an IRCAD patient folder, an image file, a DICOM
    series folder or zip): the result then has one entry.

    Raises:
        LoadError: ``root`` does not exist.
    """
    root = Path(root)
    with load_boundary(root, "cannot list cases"):
        if not root.exists():
            raise LoadError(root, "no such file or folder")
        if root.is_file():
            return [_file_ref(root)]
        single = _ircad_ref(root)
        if single is not None:
            return [single]
        entries = _walk(root)
        seg_index = {
            str(int(m.group(1))): folder / f
            for folder, _dirs, files in entries
            for f in files
            if (m := _LITS_SEG.match(f))
        }
        refs: list[CaseRef] = []
        for folder, _dirs, files in entries:
            ircad = _ircad_ref(folder) if folder != root else None
            if ircad is not None:
                refs.append(ircad)
                continue
            for fname in files:
                path = folder / fname
                if _LITS_VOLUME.match(fname):
                    refs.append(_file_ref(path, seg_index))
                elif folder.name in ("imagesTr", "imagesTs") and is_nifti(path):
                    refs.append(_file_ref(path))
        if not refs and _has_dicom_files(root):
            refs.append(CaseRef(root.name, root, None, "plain", root.name))
        return sorted(refs, key=lambda r: natural_key(r.name))


def _pick(root: Path, refs: list[CaseRef], name: str | None) -> CaseRef:
    if name is not None:
        for ref in refs:
            stem = _nifti_stem(ref.image)
            if name in (ref.name, stem, ref.name.split("-", 1)[-1]):
                return ref
        raise LoadError(root, f"no case named {name!r} (found: {[r.name for r in refs][:20]})")
    if len(refs) == 1:
        return refs[0]
    if not refs:
        raise LoadError(root, "no case found (expected a LiTS, MSD, 3D-IRCADb or image layout)")
    raise LoadError(
        root, f"{len(refs)} cases here; pass name= one of {[r.name for r in refs][:20]}"
    )


def load_case(
    folder_or_file: str | Path | CaseRef,
    *,
    labels: str | Path | None = None,
    mapping: dict[int, int] | None = None,
    name: str | None = None,
    limits: Limits | None = None,
) -> Case:
    """Load one case: CT, labels (if any) on the same grid, name and patient id.

    Args:
        folder_or_file: a :class:`CaseRef` from :func:`find_cases`, an image file (LiTS
            ``volume-N.nii``, MSD ``imagesTr/liver_N.nii.gz``, any NIfTI/NumPy/DICOM), an IRCAD
            patient folder, a DICOM series folder/zip, or a dataset root together with ``name``.
        labels: a labels path that overrides the one the layout implies.
        mapping: label id mapping (e.g. ``{5: 1}``), see :func:`load_labels`.
        name: which case of a dataset root (``"lits-12"``, ``"12"``, ``"liver_3"``, ``"3Dircadb1.1"``).
        limits: size bounds.

    Raises:
        LoadError: nothing recognisable, several cases and no ``name``, unreadable files.
        GridMismatchError: labels not on the image grid.
    """
    if isinstance(folder_or_file, CaseRef):
        ref = folder_or_file
    else:
        path = Path(folder_or_file)
        if path.is_dir() and not _ircad_ref(path) and _has_dicom_files(path) and name is None:
            ref = CaseRef(path.name, path, None, "plain", path.name)
        else:
            ref = _pick(path, find_cases(path), name)
    if labels is not None:
        ref = ref._replace(labels=Path(labels))
    volume = load_volume(ref.image, limits=limits)
    label_array: np.ndarray | None = None
    if ref.labels is not None:
        label_array = load_labels(ref.labels, volume, mapping=mapping, limits=limits)
    volume.metadata["layout"] = ref.layout
    return Case(ref.name, volume, label_array, ref.patient_id)
