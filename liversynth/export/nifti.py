"""NIfTI export of a synthetic volume with its labels and a provenance sidecar."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from liversynth.export.provenance import check_provenance, write_sidecar
from liversynth.io import save_nifti
from liversynth.typing import SpacingZYX


def synthetic_description(provenance: dict[str, Any]) -> str:
    """The NIfTI ``descrip`` / DICOM SeriesDescription of a synthetic output (≤ 64 chars)."""
    filler = provenance.get("filler")
    return ("SYNTHETIC LiverSynth" + (f" {filler}" if filler else ""))[:64]


def save_synthetic_pair(
    hu_zyx: np.ndarray,
    labels_zyx: np.ndarray,
    spacing_mm: SpacingZYX,
    image_path: str | Path,
    label_path: str | Path,
    *,
    description: str,
    affine_lps: np.ndarray | None = None,
    voxel_order: str | None = None,
) -> tuple[Path, Path]:
    """Write a synthetic image and its labels (uint8), each atomically, in one geometry.

    Both get the same patient space (``affine_lps``), voxel order and header ``descrip``
    (``description``: :func:`synthetic_description`). The caller checks shapes and values.

    Returns:
        ``(image path, labels path)``.
    """
    image, labels = (
        save_nifti(
            array,
            spacing_mm,
            target,
            labels=is_labels,
            affine_lps=affine_lps,
            voxel_order=voxel_order,
            description=description,
        )
        for array, target, is_labels in (
            (hu_zyx, image_path, False),
            (np.asarray(labels_zyx).astype(np.uint8), label_path, True),
        )
    )
    return image, labels


def save_nifti_with_labels(
    hu_zyx: np.ndarray,
    labels: np.ndarray,
    spacing_mm: SpacingZYX,
    out_path_image: str | Path,
    out_path_labels: str | Path,
    provenance: dict[str, Any],
    *,
    affine_lps: np.ndarray | None = None,
    voxel_order: str | None = None,
) -> tuple[Path, Path, Path]:
    """Write image, labels (uint8 0/1/2) and ``<image>.json`` provenance, each atomically.

    Both files lie in the source's patient space (``affine_lps``) and, with ``voxel_order``,
    in its voxel order; :func:`liversynth.io.load_volume` / ``load_labels`` read them back to
    the same arrays and geometry. Their header ``descrip`` says ``SYNTHETIC LiverSynth
    <filler>``.

    Args:
        hu_zyx: ``(z, y, x)`` HU in display orientation.
        labels: same shape, 0 background, 1 liver, 2 tumour (the synthetic lesion).
        spacing_mm: ``(z, y, x)`` voxel size.
        out_path_image: ``.nii`` / ``.nii.gz`` for the image.
        out_path_labels: ``.nii`` / ``.nii.gz`` for the labels.
        provenance: source, filler, model, seed... (no identifiers; checked before writing).
        affine_lps: the source's geometry (``Volume.affine_lps``); default: none recorded.
        voxel_order: the source file's voxel order (``Volume.source_axcodes``); default RAS.

    Returns:
        ``(image path, labels path, sidecar path)``.

    Raises:
        ValueError: shapes differ or labels are not 0/1/2.
        liversynth.export.provenance.ProvenanceError: identifiers in ``provenance``.
    """
    hu = np.asarray(hu_zyx)
    lab = np.asarray(labels)
    if hu.shape != lab.shape:
        raise ValueError(f"image {hu.shape} and labels {lab.shape} differ in shape")
    if lab.size and (lab.min() < 0 or lab.max() > 2):
        raise ValueError(f"labels must be 0/1/2, found {np.unique(lab)[:10].tolist()}")
    check_provenance(provenance)  # before writing anything
    image, label_path = save_synthetic_pair(
        hu,
        lab,
        spacing_mm,
        out_path_image,
        out_path_labels,
        description=synthetic_description(provenance),
        affine_lps=affine_lps,
        voxel_order=voxel_order,
    )
    record = dict(provenance)
    record.setdefault("labels_file", Path(label_path).name)
    side = write_sidecar(image, record)
    return image, label_path, side
