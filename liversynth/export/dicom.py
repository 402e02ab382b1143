"""DICOM export of a synthetic CT volume: one file per slice, new identity, marked synthetic.

Each file is a CT Image Storage instance with new Study/Series/SOP Instance and Frame of
Reference UIDs, ImageType ``DERIVED\\SECONDARY\\AXIAL``, a SeriesDescription that starts with
``SYNTHETIC``, HU stored as signed 16-bit with slope 1 / intercept 0, and the source's patient
geometry: ImageOrientationPatient and ImagePositionPatient come from the volume's
``affine_lps`` (:mod:`liversynth.geometry`), so :func:`liversynth.io.load_volume` on the folder
returns the same array at the same LPS position, and labels written next to it (DICOM SEG,
NIfTI) lie on it. The Type 2 attributes of the CT Image IOD that have no value to copy are
present and empty, so ``dciodvfy`` reports no error. Attributes copied from a source header go
through :func:`liversynth.export.deid.deidentify` first.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import (
    PYDICOM_IMPLEMENTATION_UID,
    CTImageStorage,
    ExplicitVRLittleEndian,
    generate_uid,
)
from pydicom.valuerep import DSfloat

from liversynth import __version__
from liversynth.export import atomic_write
from liversynth.export.deid import deidentify, mark_deidentified
from liversynth.export.nifti import synthetic_description
from liversynth.export.provenance import check_provenance, write_sidecar
from liversynth.geometry import axial_direction_cosines, check_affine_lps, default_affine_lps
from liversynth.typing import SpacingZYX

#: Copied from a source header when present (after de-identification): acquisition facts a
#: reader may want, checked values only (numbers, enumerated code strings). Free text
#: (Manufacturer, ContrastBolusAgent, ConvolutionKernel ...) is never copied.
_KEEP_FROM_SOURCE = ("KVP", "BodyPartExamined", "PatientPosition")


def _base_dataset(source: Dataset | None) -> Dataset:
    if source is None:
        ds = Dataset()
        mark_deidentified(ds)
        return ds
    clean = deidentify(source)
    ds = Dataset()
    ds.Manufacturer = "LiverSynth"  # the maker of this derived image; the scanner's is not copied
    for keyword in (
        *_KEEP_FROM_SOURCE,
        "PatientIdentityRemoved",
        "DeidentificationMethod",
        "DeidentificationMethodCodeSequence",
        "BurnedInAnnotation",
    ):
        if keyword in clean:
            ds[keyword] = clean[keyword]
    return ds


def _save_dataset(ds: Dataset, path: Path) -> None:
    ds.save_as(path, enforce_file_format=True)


def _ds(value: float) -> DSfloat:
    """A decimal string that fits DICOM's 16 characters."""
    return DSfloat(float(value), auto_format=True)


#: Type 2 (and 2C) attributes of the CT Image IOD written empty when the source has no value:
#: an empty Type 2 attribute means "unknown", a missing one is an IOD violation.
_TYPE2_EMPTY = (
    "Laterality",  # General Series, 2C
    "PatientPosition",  # General Series, 2C (CT)
    "PositionReferenceIndicator",  # Frame of Reference, 2
    "Manufacturer",  # General Equipment, 2
    "KVP",  # CT Image, 2
    "AcquisitionNumber",  # CT Image / General Image, 2
)


def _orientation(affine_lps: np.ndarray) -> list[float]:
    """ImageOrientationPatient of every displayed slice: row, then column direction (LPS)."""
    row_dir, col_dir, _ = axial_direction_cosines(affine_lps)
    return [*row_dir.tolist(), *col_dir.tolist()]


def export_dicom_series(
    hu_zyx: np.ndarray,
    spacing_mm: SpacingZYX,
    out_dir: str | Path,
    *,
    source_dataset: Dataset | None = None,
    provenance: dict[str, Any],
    affine_lps: np.ndarray | None = None,
) -> list[Path]:
    """Write a synthetic volume as a DICOM series (``slice_0000.dcm`` …, feet → head).

    Args:
        hu_zyx: ``(z, y, x)`` HU in display orientation (rounded to int16).
        spacing_mm: ``(z, y, x)`` voxel size in mm.
        out_dir: folder to write (created); a ``<out_dir>.json`` provenance sidecar goes next
            to it.
        source_dataset: a header of the source series; only de-identified, non-identifying
            acquisition attributes are copied (see :mod:`liversynth.export.deid`).
        provenance: source (name only), filler, model, seed... (identifier keys are refused).
        affine_lps: the volume's patient geometry (``Volume.affine_lps``); default: none
            recorded (:func:`liversynth.geometry.default_affine_lps`).

    Returns:
        the written file paths, slice 0 (feet) first.

    Raises:
        ValueError: not a 3-D array, bad spacing, an affine that disagrees with it.
        liversynth.export.provenance.ProvenanceError: identifiers in ``provenance``.
    """
    hu = np.asarray(hu_zyx)
    if hu.ndim != 3:
        raise ValueError(f"{out_dir}: expected a (z, y, x) volume, got shape {hu.shape}")
    sz, sy, sx = (float(s) for s in spacing_mm)
    if min(sz, sy, sx) <= 0:
        raise ValueError(f"{out_dir}: spacing {spacing_mm} must be positive (mm)")
    check_provenance(provenance)
    affine = check_affine_lps(
        default_affine_lps(spacing_mm) if affine_lps is None else affine_lps, spacing_mm
    )
    orientation = _orientation(affine)
    depth, rows, cols = hu.shape
    pixels = np.clip(np.rint(hu), -32768, 32767).astype("<i2")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)

    base = _base_dataset(source_dataset)
    for keyword in _TYPE2_EMPTY:
        if keyword not in base:
            setattr(base, keyword, None)
    study_uid, series_uid, frame_uid = generate_uid(), generate_uid(), generate_uid()
    base.SOPClassUID = CTImageStorage
    base.StudyInstanceUID = study_uid
    base.SeriesInstanceUID = series_uid
    base.FrameOfReferenceUID = frame_uid
    base.Modality = "CT"
    base.ImageType = ["DERIVED", "SECONDARY", "AXIAL"]
    base.SeriesDescription = synthetic_description(provenance)
    base.StudyDescription = "LiverSynth synthetic CT"
    base.DerivationDescription = (
        f"Synthetic liver lesion by LiverSynth {__version__}; "
        f"filler={provenance.get('filler')}; model={provenance.get('model')}; "
        f"seed={provenance.get('seed')}"
    )[:1024]
    base.SeriesNumber = 9001
    base.PatientName = ""
    base.PatientID = ""
    base.PatientBirthDate = ""
    base.PatientSex = ""
    base.StudyDate = ""
    base.StudyTime = ""
    base.StudyID = ""
    base.AccessionNumber = ""
    base.ReferringPhysicianName = ""
    base.ImageOrientationPatient = [_ds(v) for v in orientation]
    base.PixelSpacing = [_ds(sy), _ds(sx)]
    base.SliceThickness = _ds(sz)
    base.SpacingBetweenSlices = _ds(sz)
    base.Rows, base.Columns = rows, cols
    base.SamplesPerPixel = 1
    base.PhotometricInterpretation = "MONOCHROME2"
    base.BitsAllocated = 16
    base.BitsStored = 16
    base.HighBit = 15
    base.PixelRepresentation = 1
    base.RescaleIntercept = 0
    base.RescaleSlope = 1
    base.RescaleType = "HU"
    base.WindowCenter = 40
    base.WindowWidth = 400

    paths: list[Path] = []
    width = max(4, len(str(depth - 1)))
    for k in range(depth):
        ds = Dataset()
        ds.update(base)
        sop_uid = generate_uid()
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = CTImageStorage
        meta.MediaStorageSOPInstanceUID = sop_uid
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
        ds.file_meta = meta
        ds.SOPInstanceUID = sop_uid
        ds.InstanceNumber = k + 1
        position = affine[:3, :3] @ [k, 0.0, 0.0] + affine[:3, 3]
        ds.ImagePositionPatient = [_ds(v) for v in position]
        # SliceLocation: signed distance along the slice normal (row x column direction).
        ds.SliceLocation = _ds(float(np.dot(position, np.cross(orientation[:3], orientation[3:]))))
        ds.PixelData = np.ascontiguousarray(pixels[k]).tobytes()
        path = out / f"slice_{k:0{width}d}.dcm"
        atomic_write(path, partial(_save_dataset, ds))
        paths.append(path)
    write_sidecar(out, {**provenance, "files": len(paths)})
    return paths
