"""DICOM PS3.15 Annex E "Basic Application Level Confidentiality Profile" for copied headers.

:func:`deidentify` is applied to whatever a synthetic series copies from its source header.
It works from an **allow-list** (:data:`KEEP`): an attribute is kept only when it describes
geometry, the pixel encoding or the modality basics, and only in a form that cannot carry a
name (numbers, UIDs, enumerated code strings). Everything else is dropped, whatever it is
called: free text such as Manufacturer, ContrastBolusAgent or ImageComments, AdmissionID,
PatientTelecomInformation, PlacerOrderNumberImagingServiceRequest, private tags, overlays,
every sequence (free text hides in sequence items too), and any attribute a future DICOM
edition adds. That is stricter than Table E.1-1, whose lists can never be complete.

* **Z** (blank, kept empty because the IOD requires it): :data:`BLANK`.
* **U** (replace UIDs): instance UIDs (study, series, SOP instance, frame of reference) get
  new UIDs, the same new UID for the same old one within one ``uid_map``; well-known
  class/transfer-syntax UIDs are kept.
* Code strings are kept only when they hold one of the defined terms listed here.

Then PatientIdentityRemoved = YES, DeidentificationMethod (and its code sequence, DCM 113100)
and BurnedInAnnotation = NO are set.
"""

from __future__ import annotations

import copy

from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import UID, generate_uid

#: DeidentificationMethod (LO, at most 64 characters).
METHOD = "DICOM PS3.15 Annex E Basic Profile (LiverSynth)"

BLANK = (
    "PatientName",
    "PatientID",
    "PatientBirthDate",
    "PatientSex",
    "AccessionNumber",
    "ReferringPhysicianName",
    "StudyID",
    "StudyDate",
    "StudyTime",
)

#: Kept as they are: numbers and pixel-encoding facts that cannot name anyone.
KEEP_VALUES = (
    "Rows",
    "Columns",
    "PixelSpacing",
    "SliceThickness",
    "SpacingBetweenSlices",
    "ImagePositionPatient",
    "ImageOrientationPatient",
    "SliceLocation",
    "SamplesPerPixel",
    "BitsAllocated",
    "BitsStored",
    "HighBit",
    "PixelRepresentation",
    "RescaleIntercept",
    "RescaleSlope",
    "WindowCenter",
    "WindowWidth",
    "KVP",
    "InstanceNumber",
    "SeriesNumber",
    "AcquisitionNumber",
)
#: UIDs: class UIDs kept, instance UIDs replaced.
KEEP_UIDS = (
    "SOPClassUID",
    "SOPInstanceUID",
    "StudyInstanceUID",
    "SeriesInstanceUID",
    "FrameOfReferenceUID",
)
#: Code strings kept only with one of these defined terms (a CS can still spell a name).
KEEP_CODES: dict[str, frozenset[str]] = {
    "Modality": frozenset({"CT", "MR", "PT", "SEG"}),
    "PhotometricInterpretation": frozenset({"MONOCHROME1", "MONOCHROME2"}),
    "RescaleType": frozenset({"HU", "US"}),
    "PatientPosition": frozenset(
        {"HFS", "HFP", "FFS", "FFP", "HFDR", "HFDL", "FFDR", "FFDL", "LFP", "LFS", "RFP", "RFS"}
    ),
    "BodyPartExamined": frozenset({"ABDOMEN", "LIVER", "CHEST", "CHESTABDOMEN", "WHOLEBODY"}),
    "ImageType": frozenset(
        {"ORIGINAL", "DERIVED", "PRIMARY", "SECONDARY", "AXIAL", "LOCALIZER", "REFORMATTED"}
    ),
}
#: Everything :func:`deidentify` may return besides BLANK and the markers it sets.
KEEP = frozenset(KEEP_VALUES) | frozenset(KEEP_UIDS) | frozenset(KEEP_CODES)


def _is_well_known(value: str) -> bool:
    """Class, transfer-syntax and other registered UIDs identify no one: keep them."""
    uid = UID(value)
    return uid.name != str(uid)


def _new_uid(old: str, mapping: dict[str, str]) -> str:
    if old not in mapping:
        mapping[old] = generate_uid()
    return mapping[old]


def _code_ok(keyword: str, value: object) -> bool:
    """Every value of a (possibly multi-valued) code string is a listed defined term."""
    values = [value] if isinstance(value, str) else list(value)  # type: ignore[call-overload]
    return all(str(v).strip().upper() in KEEP_CODES[keyword] for v in values)


def deidentify(source: Dataset, uid_map: dict[str, str] | None = None) -> Dataset:
    """A de-identified copy of ``source`` holding only allow-listed attributes.

    Args:
        source: a DICOM header (the source series' first slice, typically); not modified.
        uid_map: old → new UID mapping to reuse across the slices of one series (updated).

    Returns:
        a new dataset: :data:`KEEP` attributes that pass their checks, :data:`BLANK` ones
        emptied, instance UIDs replaced, and PatientIdentityRemoved, DeidentificationMethod
        and BurnedInAnnotation set. Pixel data, sequences, private tags and everything else
        are not copied.
    """
    mapping = {} if uid_map is None else uid_map
    ds = Dataset()
    for keyword in KEEP_VALUES:
        elem = source.get(keyword)
        if elem is not None and elem != "":
            ds[keyword] = copy.deepcopy(source[keyword])
    for keyword in KEEP_UIDS:
        value = source.get(keyword)
        if value:
            ds[keyword] = copy.deepcopy(source[keyword])
            ds[keyword].value = (
                str(value) if _is_well_known(str(value)) else _new_uid(str(value), mapping)
            )
    for keyword in KEEP_CODES:
        value = source.get(keyword)
        if value and _code_ok(keyword, value):
            ds[keyword] = copy.deepcopy(source[keyword])
    for keyword in BLANK:
        if keyword in source:
            setattr(ds, keyword, "")
    mark_deidentified(ds)
    return ds


def mark_deidentified(ds: Dataset) -> None:
    """Set the attributes that say which de-identification was applied."""
    ds.PatientIdentityRemoved = "YES"
    ds.DeidentificationMethod = METHOD
    code = Dataset()
    code.CodeValue = "113100"
    code.CodingSchemeDesignator = "DCM"
    code.CodeMeaning = "Basic Application Confidentiality Profile"
    ds.DeidentificationMethodCodeSequence = Sequence([code])
    ds.BurnedInAnnotation = "NO"


__all__ = ["BLANK", "KEEP", "METHOD", "deidentify", "mark_deidentified"]
