"""NIfTI export of a synthetic volume with its labels and a provenance sidecar."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from liversynth.export.provenance import check_provenance, write_sidecar
from liversynth.io import save_nifti


def save_nifti_with_labels(
    hu_zyx: np.ndarray,
    labels: np.ndarray,
    spacing_mm: tuple[float, float, float],
    out_path_image: str | Path,
    out_path_labels: str | Path,
    provenance: dict[str, Any],
    *,
    affine_ras: np.ndarray | None = None,
) -> tuple[Path, Path, Path]:
    """Write image, labels (uint8 0/1/2) and ``<image>.json`` provenance, each atomically.

    Both NIfTI files are RAS and read back by :func:`liversynth.io.load_volume` /
    ``load_labels`` to the same arrays.

    Args:
        hu_zyx: ``(z, y, x)`` HU in display orientation.
        labels: same shape, 0 background, 1 liver, 2 tumour (the synthetic lesion).
        spacing_mm: ``(z, y, x)`` voxel size.
        out_path_image: ``.nii`` / ``.nii.gz`` for the image.
        out_path_labels: ``.nii`` / ``.nii.gz`` for the labels.
        provenance: source, filler, model, seed... (no identifiers; checked before writing).
        affine_ras: optional scanner affine of the display grid (``Volume.metadata``).

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
    descrip = synthetic_descrip(provenance)
    image = save_nifti(hu, spacing_mm, out_path_image, affine_ras=affine_ras, descrip=descrip)
    label_path = save_nifti(
        lab.astype(np.uint8),
        spacing_mm,
        out_path_labels,
        labels=True,
        affine_ras=affine_ras,
        descrip=f"SYNTHETIC labels ({descrip.removeprefix('SYNTHETIC ')})",
    )
    record = dict(provenance)
    record.setdefault("labels_file", Path(label_path).name)
    side = write_sidecar(image, record)
    return image, label_path, side


def synthetic_descrip(provenance: dict[str, Any]) -> str:
    """The NIfTI ``descrip`` of a synthetic image: "SYNTHETIC LiverSynth <filler> <model>".

    Example:
        >>> synthetic_descrip({"filler": "gan", "model": "default.safetensors"})
        'SYNTHETIC LiverSynth gan default.safetensors'
    """
    parts = ["SYNTHETIC LiverSynth", str(provenance.get("filler") or "")]
    if provenance.get("model"):
        parts.append(str(provenance["model"]))
    return " ".join(p for p in parts if p)[:79]
