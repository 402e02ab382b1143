"""Writing one synthetic item in the chosen format, each output with a provenance sidecar.

Formats (``item_<K>`` is the item number with five digits):

* ``png``: ``item_<K>.png`` 16-bit HU (+32768, lossless), ``item_<K>_preview.png`` 8-bit
  abdomen window, ``item_<K>_label.png`` 8-bit labels 0/1/2, sidecar ``item_<K>.json``
  (which records the slice's ``affine_lps``);
* ``nifti``: ``item_<K>.nii.gz`` + ``item_<K>_label.nii.gz`` + sidecar ``item_<K>.json``;
* ``nnunet``: ``imagesTr/synth_<K>_0000.nii.gz``, ``labelsTr/synth_<K>.nii.gz``,
  ``provenance/synth_<K>.json`` (``dataset.json`` is written once at the end of a run);
* ``dicom``: ``item_<K>/slice_NNNN.dcm`` (de-identified, new UIDs, "SYNTHETIC"), sidecar
  ``item_<K>.json``, labels as DICOM SEG ``item_<K>_seg.dcm`` (segments liver, tumour,
  referencing the series) and as ``item_<K>_label.nii.gz``.

Every output lies where the source scan lies in the patient (its ``affine_lps``); NIfTI
outputs are written in the source's voxel order when the source was a NIfTI.

Every item is staged and committed as a whole (:mod:`model_training.synthesis.commit`).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from liversynth.atomic import atomic_write
from liversynth.export.provenance import write_sidecar
from model_training.synthesis.commit import commit_item, staging_dir
from model_training.synthesis.item import Item

FORMATS = ("png", "nifti", "nnunet", "dicom")
VOLUME_FORMATS = ("nifti", "nnunet", "dicom")


def item_stem(index: int) -> str:
    return f"item_{index:05d}"


def nnunet_case_id(index: int) -> str:
    return f"synth_{index:05d}"


def _save_label_png(labels: np.ndarray, path: Path) -> Path:
    # Values 0/1/2 as they are (not stretched to 0/255): a training pipeline reads them as ids.
    image = Image.fromarray(np.ascontiguousarray(labels.astype(np.uint8)))
    return atomic_write(path, lambda tmp: image.save(tmp, format="PNG"))


def write_item(item: Item, out: Path, fmt: str, provenance: dict[str, Any]) -> list[str]:
    """Write ``item`` under ``out`` all at once; returns its paths relative to ``out``.

    The files are written complete in a staging folder, then committed (moved into place,
    sidecar last; see :mod:`model_training.synthesis.commit`): a crash leaves the item either
    complete or not committed, never a mixture of runs.
    """
    key = item_stem(int(item.record["index"]))
    stage = staging_dir(out, key, str(provenance.get("run_id") or "run"))
    try:
        rels = _write_files(item, stage, fmt, provenance)
        return commit_item(out, stage, rels)
    finally:
        shutil.rmtree(stage, ignore_errors=True)  # a failed write leaves nothing behind


def _write_files(item: Item, out: Path, fmt: str, provenance: dict[str, Any]) -> list[str]:
    """Write ``item``'s files under ``out`` (a staging folder)."""
    k = int(item.record["index"])
    spacing = item.scan.spacing_mm
    where: dict[str, Any] = {"affine_lps": item.affine_lps, "voxel_order": item.scan.source_axcodes}
    if fmt == "png":
        from liversynth.export.png import save_png, save_png16

        stem = item_stem(k)
        paths = [
            save_png16(item.hu[0], out / f"{stem}.png"),
            save_png(item.hu[0], out / f"{stem}_preview.png"),
            _save_label_png(item.labels[0], out / f"{stem}_label.png"),
        ]
        geometry = {
            "affine_lps": item.affine_lps.tolist(),
            "convention": "DICOM LPS mm = affine_lps @ (z, y, x, 1); z = 0 is this slice",
        }
        paths.append(write_sidecar(paths[0], {**provenance, "geometry": geometry}))
    elif fmt == "nifti":
        from liversynth.export.nifti import save_nifti_with_labels

        stem = item_stem(k)
        paths = list(
            save_nifti_with_labels(
                item.hu,
                item.labels,
                spacing,
                out / f"{stem}.nii.gz",
                out / f"{stem}_label.nii.gz",
                provenance,
                **where,
            )
        )
    elif fmt == "nnunet":
        from liversynth.export.nnunet import write_nnunet_case

        paths = list(
            write_nnunet_case(
                out, nnunet_case_id(k), item.hu, item.labels, spacing, provenance, **where
            )
        )
    elif fmt == "dicom":
        from liversynth.export.dicom import export_dicom_series
        from liversynth.export.dicom_seg import export_dicom_seg
        from liversynth.export.nifti import synthetic_description
        from liversynth.io import save_nifti

        stem = item_stem(k)
        series = export_dicom_series(
            item.hu, spacing, out / stem, provenance=provenance, affine_lps=item.affine_lps
        )
        seg = export_dicom_seg(item.labels, series, out / f"{stem}_seg.dcm", provenance=provenance)
        label = save_nifti(
            item.labels,
            spacing,
            out / f"{stem}_label.nii.gz",
            labels=True,
            description=synthetic_description(provenance),
            **where,
        )
        paths = [*series, seg, label, out / f"{stem}.json"]
    else:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return [Path(p).relative_to(out).as_posix() for p in paths]
