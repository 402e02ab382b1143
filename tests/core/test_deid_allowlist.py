"""De-identification keeps only an allow-list: free text, sequences and unknown attributes go."""

from __future__ import annotations

import numpy as np
import pydicom
from pydicom.dataset import Dataset

from liversynth.export.deid import BLANK, KEEP, deidentify
from liversynth.export.dicom import export_dicom_series

SECRETS = {
    "AdmissionID": "ADM-7781",
    "PatientTelecomInformation": "tel:+33-6-1234-5678",
    "PlacerOrderNumberImagingServiceRequest": "ORDER-5521",
    "Manufacturer": "ACME-Dupont-Clinic",
    "ContrastBolusAgent": "Omnipaque given by Dr Martin",
    "ConvolutionKernel": "MARTIN",
    "ImageComments": "patient Dupont, room 12",
    "BodyPartExamined": "DUPONTJEAN",  # a code string can spell a name too
}


def _hostile_source() -> Dataset:
    ds = Dataset()
    for keyword, value in SECRETS.items():
        setattr(ds, keyword, value)
    ds.PatientName = "Dupont^Jean"
    ds.SOPClassUID = pydicom.uid.CTImageStorage
    ds.StudyInstanceUID = "1.2.826.0.1.555.1"
    ds.KVP = "120"
    ds.PatientPosition = "HFS"
    item = Dataset()
    item.CodeMeaning = "biopsy requested by Dr Martin"  # free text inside a sequence
    item.ReferencedSOPInstanceUID = "1.2.826.0.1.555.2"
    ds.RequestAttributesSequence = [item]
    ds.add_new(0x00291010, "LO", "private Dupont")
    return ds


def test_only_allow_listed_attributes_survive() -> None:
    clean = deidentify(_hostile_source())
    markers = {
        "PatientIdentityRemoved",
        "DeidentificationMethod",
        "DeidentificationMethodCodeSequence",
        "BurnedInAnnotation",
    }
    assert {e.keyword for e in clean} <= set(KEEP) | set(BLANK) | markers
    assert clean.KVP == "120" and clean.PatientPosition == "HFS"
    assert "BodyPartExamined" not in clean  # not a defined term: dropped
    assert clean.StudyInstanceUID != "1.2.826.0.1.555.1"
    assert clean.PatientName == ""


def test_exported_series_carries_no_source_text(tmp_path) -> None:
    paths = export_dicom_series(
        np.zeros((2, 8, 9), np.int16),
        (2.0, 1.0, 1.0),
        tmp_path / "s",
        source_dataset=_hostile_source(),
        provenance={"filler": "mean", "seed": 0},
    )
    blob = b"".join(p.read_bytes() for p in paths)
    for secret in [*SECRETS.values(), "Dupont", "Martin", "1.2.826.0.1.555"]:
        assert secret.encode() not in blob, secret
    assert pydicom.dcmread(paths[0]).Manufacturer == "LiverSynth"
