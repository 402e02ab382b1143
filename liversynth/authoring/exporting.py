"""Exporting a document's work: synthetic volumes, PNG slices, masks and DICOM, with provenance.

A front end takes an :class:`ExportSnapshot` of the document on the thread that owns it (the
document is only touched there), then a background job fills every painted slice with a freshly built
filler and hands the arrays to :mod:`liversynth.export` / :mod:`liversynth.io` writers, which
mark everything as synthetic and write provenance sidecars without patient identifiers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from liversynth.authoring.document import Document
from liversynth.fillers.base import Appearance, SliceFiller
from liversynth.typing import SpacingZYX
from liversynth.volume import LIVER, TUMOUR


@dataclass(frozen=True)
class ExportSnapshot:
    """Everything an export needs, copied out of the document.

    Attributes:
        name: case name (used in file names and as the provenance source).
        hu: the original volume ``(z, y, x)`` HU (shared, never written to).
        labels: the original labels or ``None``.
        spacing_mm: ``(z, y, x)``.
        masks: lesion masks by slice index (non-empty ones only).
        z: the shown slice.
        filler_name, model_path, seed: how to fill.
        metadata: the volume's metadata.
        affine_lps: the volume's patient geometry (:attr:`Volume.affine_lps`).
        source_axcodes: the source file's voxel order (NIfTI exports are written in it).
    """

    name: str
    hu: np.ndarray
    labels: np.ndarray | None
    spacing_mm: SpacingZYX
    masks: dict[int, np.ndarray]
    z: int
    filler_name: str
    model_path: str | None
    seed: int
    metadata: dict[str, Any] = field(default_factory=dict)
    affine_lps: np.ndarray | None = None
    source_axcodes: str | None = None
    appearance: Appearance = field(default_factory=Appearance)

    @classmethod
    def of(cls, doc: Document) -> ExportSnapshot:
        """Snapshot ``doc`` (call in the GUI thread)."""
        case = doc.case
        if case is None:
            raise ValueError("no case is open")
        return cls(
            name=case.name,
            hu=case.volume.hu,
            labels=None if case.labels is None else case.labels.copy(),
            spacing_mm=tuple(case.volume.spacing_mm),  # type: ignore[arg-type]
            masks=doc.masks_snapshot(),
            z=doc.slice_index,
            filler_name=doc.filler_name,
            model_path=doc.model_path,
            seed=doc.fill_seed,
            metadata=dict(case.volume.metadata),
            affine_lps=case.volume.affine_lps.copy(),
            source_axcodes=case.volume.source_axcodes,
            appearance=doc.fill_appearance,
        )

    def provenance(self, **extra: Any) -> dict[str, Any]:
        """The sidecar record: source case, filler, model file name and sha256 (the bundled
        model's too), seed, lesion slices."""
        from liversynth.export.provenance import model_record

        model_path = self.model_path if self.filler_name == "gan" else None
        record: dict[str, Any] = {
            "source": self.name,
            "filler": self.filler_name,
            **model_record(self.filler_name, model_path),
            "seed": self.seed,
            "appearance": self.appearance.to_dict(),
            "lesion_slices": sorted(int(z) for z in self.masks),
        }
        record.update(extra)
        return record

    def liver(self, z: int) -> np.ndarray | None:
        """Liver (labels 1 or 2) of slice ``z`` or ``None``."""
        if self.labels is None:
            return None
        return (self.labels[z] == LIVER) | (self.labels[z] == TUMOUR)


def fill_slice(snap: ExportSnapshot, filler: SliceFiller, z: int) -> np.ndarray:
    """The synthetic slice ``z`` (the original where there is no mask), float32 HU."""
    original = np.asarray(snap.hu[z], dtype=np.float32)
    mask = snap.masks.get(z)
    if mask is None or not mask.any():
        return original.copy()
    kwargs: dict[str, Any] = {"liver_mask": snap.liver(z), "seed": snap.seed}
    if not snap.appearance.is_default:
        kwargs["appearance"] = snap.appearance
    return np.asarray(filler.fill(original, mask, **kwargs), dtype=np.float32)


def synthetic_volume(snap: ExportSnapshot, filler: SliceFiller) -> tuple[np.ndarray, np.ndarray]:
    """The whole synthetic volume and its labels.

    Returns:
        ``(hu, labels)``: ``hu`` in the source dtype (int16 rounded when the source is integral)
        with every painted slice filled; ``labels`` uint8 0/1/2 with each lesion mask as 2.

    The lesion is filled as one 3-D object with the engine's ``fill_volume`` over the slab of
    slices it spans (the same call, slab and seed as the GUI's volume fill, so the export is
    what the user saw).
    """
    hu = snap.hu.copy()
    labels = np.zeros(snap.hu.shape, dtype=np.uint8) if snap.labels is None else snap.labels.copy()
    painted = sorted(z for z, m in snap.masks.items() if m.any())
    if not painted:
        return hu, labels
    z0, z1 = painted[0], painted[-1] + 1
    mask = np.zeros((z1 - z0, *snap.hu.shape[1:]), dtype=bool)
    for z in painted:
        mask[z - z0] = snap.masks[z]
    liver = None
    if snap.labels is not None:
        liver = np.isin(snap.labels[z0:z1], (LIVER, TUMOUR))
    filled = np.asarray(
        filler.fill_volume(
            np.asarray(snap.hu[z0:z1], dtype=np.float32),
            mask,
            liver_zyx=liver,
            seed=snap.seed,
            spacing_mm=snap.spacing_mm,
        ),
        dtype=np.float32,
    )
    if np.issubdtype(hu.dtype, np.integer):
        info = np.iinfo(hu.dtype)
        filled = np.clip(np.rint(filled), info.min, info.max)
    touched = mask.any(axis=(1, 2))
    hu[z0:z1][touched] = filled[touched].astype(hu.dtype)
    labels[z0:z1][mask] = TUMOUR
    return hu, labels


def export_nifti(snap: ExportSnapshot, filler: SliceFiller, image_path: Path) -> list[Path]:
    """Synthetic volume + labels as NIfTI (``<name>.nii.gz`` and ``<name>_labels.nii.gz``)."""
    from liversynth.export.nifti import save_nifti_with_labels

    hu, labels = synthetic_volume(snap, filler)
    image_path = Path(image_path)
    labels_path = _with_stem_suffix(image_path, "_labels")
    written = save_nifti_with_labels(
        hu,
        labels,
        snap.spacing_mm,
        image_path,
        labels_path,
        snap.provenance(),
        affine_lps=snap.affine_lps,
        voxel_order=snap.source_axcodes,
    )
    return list(written)


def export_mask(snap: ExportSnapshot, path: Path) -> list[Path]:
    """The lesion mask alone, as a 0/1 NIfTI on the volume's grid, plus its sidecar."""
    from liversynth.export.provenance import write_sidecar
    from liversynth.io import save_nifti

    mask = np.zeros(snap.hu.shape, dtype=np.uint8)
    for z, m in snap.masks.items():
        mask[z][m] = 1
    out = save_nifti(
        mask,
        snap.spacing_mm,
        Path(path),
        labels=True,
        affine_lps=snap.affine_lps,
        voxel_order=snap.source_axcodes,
    )
    return [out, write_sidecar(out, snap.provenance(content="lesion mask (1 = lesion)"))]


def export_png(snap: ExportSnapshot, filler: SliceFiller, folder: Path) -> list[Path]:
    """The shown slice: synthetic (16-bit HU and 8-bit display), original, mask, provenance."""
    from liversynth.export.png import save_mask_png, save_png, save_png16
    from liversynth.export.provenance import write_sidecar

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{snap.name}_z{snap.z:04d}"
    synthetic = fill_slice(snap, filler, snap.z)
    original = np.asarray(snap.hu[snap.z], dtype=np.float32)
    mask = snap.masks.get(snap.z, np.zeros(original.shape, dtype=bool))
    written = [
        save_png16(synthetic, folder / f"{stem}_synthetic_hu16.png"),
        save_png(synthetic, folder / f"{stem}_synthetic.png"),
        save_png16(original, folder / f"{stem}_original_hu16.png"),
        save_png(original, folder / f"{stem}_original.png"),
        save_mask_png(mask, folder / f"{stem}_mask.png"),
    ]
    written.append(
        write_sidecar(
            written[0],
            snap.provenance(
                slice=snap.z,
                encoding="16-bit PNG = HU + 32768; 8-bit PNG = W400/L40",
                geometry=_slice_geometry(snap),
            ),
        )
    )
    return written


def export_dicom(snap: ExportSnapshot, filler: SliceFiller, folder: Path) -> list[Path]:
    """The synthetic volume as a de-identified DICOM series (new UIDs, "SYNTHETIC") at the
    source's patient position, and its labels as a DICOM SEG ``<folder>_seg.dcm`` beside it.

    Nothing of the source header is copied (the GUI's volumes carry no DICOM header), so no
    identifier can leak; :mod:`liversynth.export.dicom` writes the provenance sidecar.
    """
    from liversynth.export.dicom import export_dicom_series
    from liversynth.export.dicom_seg import export_dicom_seg

    hu, labels = synthetic_volume(snap, filler)
    folder = Path(folder)
    provenance = snap.provenance()
    series = export_dicom_series(
        hu, snap.spacing_mm, folder, provenance=provenance, affine_lps=snap.affine_lps
    )
    written = list(series)
    if labels.any():
        seg_path = folder.with_name(folder.name + "_seg.dcm")
        written.append(export_dicom_seg(labels, series, seg_path, provenance=provenance))
    return written


def _slice_geometry(snap: ExportSnapshot) -> dict[str, Any] | None:
    """Where the exported slice lies in the patient (PNG carries no position of its own)."""
    if snap.affine_lps is None:
        return None
    from liversynth.geometry import crop_affine_lps

    affine = crop_affine_lps(snap.affine_lps, (snap.z, 0, 0))
    return {
        "affine_lps": affine.tolist(),
        "convention": "DICOM LPS mm = affine_lps @ (0, row, column, 1) for a pixel of this slice",
    }


def _with_stem_suffix(path: Path, suffix: str) -> Path:
    name = path.name
    for ext in (".nii.gz", ".nii"):
        if name.endswith(ext):
            return path.with_name(name[: -len(ext)] + suffix + ext)
    return path.with_name(name + suffix + ".nii.gz")
