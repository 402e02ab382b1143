"""DICOM PS3.15 Annex E "Basic Application Level Confidentiality Profile" for copied headers.

:func:`deidentify` is applied to whatever a synthetic series copies from its source header.
It follows Table E.1-1's actions for the attributes a CT header carries:

* **Z** (blank, kept empty because the IOD requires it): PatientName, PatientID,
  PatientBirthDate, PatientSex, AccessionNumber, ReferringPhysicianName, StudyID, StudyDate,
  StudyTime.
* **X** (remove): institution, station, device serial, operators and physicians, other patient
  ids/names, patient address/age/size/weight/history/comments, all other dates and times,
  descriptions and comments, request/referenced sequences, protocol name ...
* **U** (replace UIDs): every instance UID (study, series, SOP instance, frame of reference,
  referenced ones...) is replaced by a new UID, the same new UID for the same old one within
  one call; well-known class/transfer-syntax UIDs are kept.
* Private tags, overlays (group 60xx) and curves (50xx) are removed; so is any remaining
  element whose VR is DA, DT, TM or PN (belt and braces against attributes not listed).

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

REMOVE = (
    "InstitutionName",
    "InstitutionAddress",
    "InstitutionalDepartmentName",
    "InstitutionCodeSequence",
    "StationName",
    "DeviceSerialNumber",
    "DeviceUID",
    "DetectorID",
    "GantryID",
    "OperatorsName",
    "OperatorIdentificationSequence",
    "PerformingPhysicianName",
    "PerformingPhysicianIdentificationSequence",
    "NameOfPhysiciansReadingStudy",
    "PhysiciansReadingStudyIdentificationSequence",
    "PhysiciansOfRecord",
    "PhysiciansOfRecordIdentificationSequence",
    "RequestingPhysician",
    "ReferringPhysicianAddress",
    "ReferringPhysicianTelephoneNumbers",
    "ReferringPhysicianIdentificationSequence",
    "OtherPatientIDs",
    "OtherPatientNames",
    "OtherPatientIDsSequence",
    "PatientBirthName",
    "PatientMotherBirthName",
    "PatientAddress",
    "PatientTelephoneNumbers",
    "PatientAge",
    "PatientSize",
    "PatientWeight",
    "PatientBirthTime",
    "MilitaryRank",
    "BranchOfService",
    "MedicalRecordLocator",
    "EthnicGroup",
    "Occupation",
    "AdditionalPatientHistory",
    "PatientComments",
    "PatientInsurancePlanCodeSequence",
    "PatientReligiousPreference",
    "CountryOfResidence",
    "RegionOfResidence",
    "IssuerOfPatientID",
    "ResponsiblePerson",
    "ResponsibleOrganization",
    "SeriesDate",
    "AcquisitionDate",
    "ContentDate",
    "SeriesTime",
    "AcquisitionTime",
    "ContentTime",
    "AcquisitionDateTime",
    "InstanceCreationDate",
    "InstanceCreationTime",
    "StudyDescription",
    "SeriesDescription",
    "ImageComments",
    "DerivationDescription",
    "ProtocolName",
    "RequestAttributesSequence",
    "ReferencedPatientSequence",
    "ReferencedStudySequence",
    "ReferencedPerformedProcedureStepSequence",
    "ReferencedImageSequence",
    "SourceImageSequence",
    "PerformedProcedureStepID",
    "PerformedProcedureStepStartDate",
    "PerformedProcedureStepStartTime",
    "PerformedProcedureStepDescription",
    "ScheduledProcedureStepID",
    "AdmittingDiagnosesDescription",
    "TextComments",
    "PlateID",
    "CassetteID",
    "RequestedProcedureDescription",
    "RequestedProcedureID",
    "ContentCreatorName",
    "PersonName",
    "StorageMediaFileSetID",
)


def _is_well_known(value: str) -> bool:
    """Class, transfer-syntax and other registered UIDs identify no one: keep them."""
    uid = UID(value)
    return uid.name != str(uid)


def _new_uid(old: str, mapping: dict[str, str]) -> str:
    if old not in mapping:
        mapping[old] = generate_uid()
    return mapping[old]


def _clean(ds: Dataset, mapping: dict[str, str]) -> None:
    ds.remove_private_tags()
    for keyword in REMOVE:
        if keyword in ds:
            delattr(ds, keyword)
    for keyword in BLANK:
        if keyword in ds:
            ds[keyword].value = ""
    for elem in list(ds):
        group = elem.tag.group
        if 0x5000 <= group <= 0x50FF or 0x6000 <= group <= 0x60FF:
            del ds[elem.tag]
            continue
        if elem.keyword in BLANK:
            continue
        if elem.VR in ("DA", "DT", "TM", "PN"):
            del ds[elem.tag]
        elif elem.VR == "UI" and elem.value:
            values = elem.value if elem.VM > 1 else [elem.value]
            new = [v if _is_well_known(str(v)) else _new_uid(str(v), mapping) for v in values]
            elem.value = new if elem.VM > 1 else new[0]
        elif elem.VR == "SQ":
            for item in elem.value:
                _clean(item, mapping)


def deidentify(source: Dataset, uid_map: dict[str, str] | None = None) -> Dataset:
    """A de-identified deep copy of ``source`` (pixel data dropped; file meta not copied).

    Args:
        source: a DICOM header (the source series' first slice, typically).
        uid_map: old → new UID mapping to reuse across the slices of one series (updated).

    Returns:
        the cleaned copy with PatientIdentityRemoved, DeidentificationMethod and
        BurnedInAnnotation set.
    """
    mapping = {} if uid_map is None else uid_map
    ds = Dataset()
    for elem in source:
        if elem.keyword in ("PixelData", "FloatPixelData", "DoubleFloatPixelData"):
            continue
        ds.add(copy.deepcopy(elem))
    _clean(ds, mapping)
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


__all__ = ["BLANK", "METHOD", "REMOVE", "deidentify", "mark_deidentified"]
