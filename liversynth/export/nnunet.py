"""nnU-Net v2 raw dataset layout for synthetic cases, and a structural checker for it.

Layout (https://github.com/MIC-DKFZ/nnUNet, ``dataset_format.md``)::

    Dataset<ID>_<Name>/
        dataset.json                 channel_names, labels, numTraining, file_ending
        imagesTr/<case>_0000.nii.gz  CT in HU (channel 0)
        labelsTr/<case>.nii.gz       uint8: 0 background, 1 liver, 2 tumour
        provenance/<case>.json       where each case came from (not read by nnU-Net)

Provenance lives in its own folder because nnU-Net expects nothing but images in
``imagesTr``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import nibabel as nib
import numpy as np

from liversynth.atomic import atomic_write
from liversynth.export.nifti import save_synthetic_pair, synthetic_description
from liversynth.export.provenance import write_sidecar
from liversynth.typing import SpacingZYX

FILE_ENDING = ".nii.gz"
CHANNEL_NAMES = {"0": "CT"}
LABELS = {"background": 0, "liver": 1, "tumour": 2}
_CASE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]*$")


def case_paths(root: str | Path, case_id: str) -> tuple[Path, Path]:
    """``(image, label)`` paths of one case under the dataset folder ``root``."""
    root = Path(root)
    return (
        root / "imagesTr" / f"{case_id}_0000{FILE_ENDING}",
        root / "labelsTr" / f"{case_id}{FILE_ENDING}",
    )


def write_nnunet_case(
    root: str | Path,
    case_id: str,
    hu_zyx: np.ndarray,
    labels_zyx: np.ndarray,
    spacing_mm: SpacingZYX,
    provenance: dict[str, Any] | None = None,
    *,
    affine_lps: np.ndarray | None = None,
    voxel_order: str | None = None,
) -> tuple[Path, ...]:
    """Write one training case (image, labels, provenance) into the raw layout.

    Image and labels share the source's geometry (``affine_lps``, ``Volume.affine_lps``) and
    voxel order (``voxel_order``, ``Volume.source_axcodes``; default RAS), and their header
    ``descrip`` says SYNTHETIC.

    Returns:
        ``(image, labels[, provenance sidecar])`` paths.

    Raises:
        ValueError: a bad case id, different image/label shapes, or labels outside 0/1/2.
    """
    if not _CASE_ID.match(case_id):
        raise ValueError(f"nnU-Net case id {case_id!r}: use letters, digits, '_' and '-' only")
    if hu_zyx.shape != labels_zyx.shape:
        raise ValueError(f"image {hu_zyx.shape} and labels {labels_zyx.shape} differ in shape")
    if not np.isin(np.unique(labels_zyx), list(LABELS.values())).all():
        raise ValueError(f"labels of {case_id} hold values outside {sorted(LABELS.values())}")
    image_path, label_path = case_paths(root, case_id)
    image_path.parent.mkdir(parents=True, exist_ok=True)
    label_path.parent.mkdir(parents=True, exist_ok=True)
    save_synthetic_pair(
        hu_zyx,
        labels_zyx,
        spacing_mm,
        image_path,
        label_path,
        description=synthetic_description(provenance or {}),
        affine_lps=affine_lps,
        voxel_order=voxel_order,
    )
    written = [image_path, label_path]
    if provenance is not None:
        prov = Path(root) / "provenance" / f"{case_id}{FILE_ENDING}"
        prov.parent.mkdir(parents=True, exist_ok=True)
        written.append(write_sidecar(prov, provenance))
    return tuple(written)


def write_dataset_json(
    root: str | Path,
    num_training: int,
    *,
    name: str = "LiverSynth",
    description: str = "Synthetic liver tumours embedded in healthy livers (LiverSynth)",
) -> Path:
    """Write ``dataset.json`` (nnU-Net v2 fields plus a name and description)."""
    path = Path(root) / "dataset.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    content = {
        "channel_names": CHANNEL_NAMES,
        "labels": LABELS,
        "numTraining": int(num_training),
        "file_ending": FILE_ENDING,
        "name": name,
        "description": description,
        "licence": "derived from the source scans' licences; synthetic lesions",
    }
    atomic_write(path, (json.dumps(content, indent=2) + "\n").encode("utf-8"))
    return path


def _check_json(root: Path) -> tuple[list[str], dict[str, Any]]:
    path = root / "dataset.json"
    if not path.is_file():
        return [f"{path}: missing"], {}
    try:
        meta = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        return [f"{path}: not valid JSON ({err})"], {}
    problems = []
    if meta.get("channel_names") != CHANNEL_NAMES:
        problems.append(
            f"{path}: channel_names is {meta.get('channel_names')!r}, expected {CHANNEL_NAMES}"
        )
    if meta.get("labels") != LABELS:
        problems.append(f"{path}: labels is {meta.get('labels')!r}, expected {LABELS}")
    if meta.get("file_ending") != FILE_ENDING:
        problems.append(
            f"{path}: file_ending is {meta.get('file_ending')!r}, expected {FILE_ENDING!r}"
        )
    if not isinstance(meta.get("numTraining"), int):
        problems.append(f"{path}: numTraining missing or not an integer")
    return problems, meta


def _case_ids(folder: Path, suffix: str, problems: list[str]) -> set[str]:
    if not folder.is_dir():
        problems.append(f"{folder}: missing folder")
        return set()
    ids = set()
    for f in sorted(folder.iterdir()):
        if not f.name.endswith(suffix):
            problems.append(f"{f}: unexpected file (expected names ending in {suffix!r})")
            continue
        ids.add(f.name[: -len(suffix)])
    return ids


def _load_nifti(path: Path) -> nib.Nifti1Image:
    """``nib.load`` typed for a ``.nii.gz`` path (NIfTI-2 images subclass NIfTI-1)."""
    img = nib.load(path)
    if not isinstance(img, nib.Nifti1Image):
        raise TypeError(f"{path.name} loads as {type(img).__name__}, not as a NIfTI image")
    return img


def check_nnunet_dataset(root: str | Path, *, check_values: bool = True) -> list[str]:
    """Structural check of an nnU-Net v2 raw dataset; returns the problems (empty = fine).

    Checks dataset.json's fields, that every image has a label and vice versa with the
    expected names, that ``numTraining`` matches, that image and label grids (shape and
    affine) are equal, and (``check_values``) that label values are integers in {0, 1, 2}.
    """
    root = Path(root)
    problems, meta = _check_json(root)
    images = _case_ids(root / "imagesTr", f"_0000{FILE_ENDING}", problems)
    labels = _case_ids(root / "labelsTr", FILE_ENDING, problems)
    for case in sorted(images - labels):
        problems.append(f"{case}: image without a label in labelsTr")
    for case in sorted(labels - images):
        problems.append(f"{case}: label without an image (imagesTr/{case}_0000{FILE_ENDING})")
    if isinstance(meta.get("numTraining"), int) and meta["numTraining"] != len(labels):
        problems.append(f"dataset.json: numTraining {meta['numTraining']} but {len(labels)} labels")
    for case in sorted(images & labels):
        image_path, label_path = case_paths(root, case)
        try:
            img = _load_nifti(image_path)
            lab = _load_nifti(label_path)
        except Exception as err:  # nibabel raises many types for a damaged file
            problems.append(f"{case}: unreadable NIfTI ({err})")
            continue
        if img.shape != lab.shape:
            problems.append(f"{case}: image shape {img.shape} differs from label shape {lab.shape}")
        elif not np.allclose(img.affine, lab.affine, atol=1e-4):
            problems.append(f"{case}: image and label affines differ")
        if check_values:
            values = np.unique(np.asarray(lab.dataobj))
            if values.dtype.kind == "f" and not np.all(values == np.round(values)):
                problems.append(f"{case}: label values are not integers")
            bad = sorted(set(values.tolist()) - set(LABELS.values()))
            if bad:
                problems.append(f"{case}: label values {bad[:5]} outside {{0, 1, 2}}")
    return problems
