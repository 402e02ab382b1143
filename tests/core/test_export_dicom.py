"""DICOM export: new identity, synthetic markings, de-identification, geometry round trip."""

from __future__ import annotations

import json

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset

from liversynth.export.deid import deidentify
from liversynth.export.dicom import export_dicom_series
from liversynth.io import load_volume


def _volume() -> np.ndarray:
    rng = np.random.default_rng(0)
    hu = rng.integers(-1024, 2000, (4, 24, 30)).astype(np.int16)
    hu[0, 0, 0] = -32768  # no clipping of the int16 range
    return hu


def _identified_header() -> Dataset:
    ds = Dataset()
    ds.PatientName = "Doe^Jane"
    ds.PatientID = "MRN-1234"
    ds.PatientBirthDate = "19700101"
    ds.StudyDate = "20200102"
    ds.SeriesDate = "20200102"
    ds.AcquisitionTime = "101010"
    ds.InstitutionName = "General Hospital"
    ds.InstitutionAddress = "1 Main Street"
    ds.ReferringPhysicianName = "Who^Dr"
    ds.OperatorsName = "Tech^A"
    ds.DeviceSerialNumber = "SN-999"
    ds.StationName = "CT01"
    ds.AccessionNumber = "ACC-42"
    ds.StudyInstanceUID = "1.2.3.4.5.6"
    ds.SeriesInstanceUID = "1.2.3.4.5.7"
    ds.SOPInstanceUID = "1.2.3.4.5.8"
    ds.SOPClassUID = pydicom.uid.CTImageStorage
    ds.Manufacturer = "ACME"
    ds.KVP = "120"
    ref = Dataset()
    ref.ReferencedSOPInstanceUID = "1.2.3.4.5.9"
    ref.ReferencedSOPClassUID = pydicom.uid.CTImageStorage
    ds.ReferencedImageSequence = [ref]
    ds.SourceImageSequence = [ref]
    ds.add_new(0x00091001, "LO", "private secret")
    return ds


def test_deidentify_profile() -> None:
    src = _identified_header()
    clean = deidentify(src)
    for keyword in (
        "PatientName",
        "PatientID",
        "PatientBirthDate",
        "StudyDate",
        "AccessionNumber",
        "ReferringPhysicianName",
    ):
        assert clean.get(keyword, "") == "", keyword
    for keyword in (
        "SeriesDate",
        "AcquisitionTime",
        "InstitutionName",
        "InstitutionAddress",
        "OperatorsName",
        "DeviceSerialNumber",
        "StationName",
        "ReferencedImageSequence",
    ):
        assert keyword not in clean, keyword
    assert not any(elem.tag.is_private for elem in clean)
    assert clean.StudyInstanceUID != src.StudyInstanceUID
    assert clean.SOPClassUID == pydicom.uid.CTImageStorage  # well-known UIDs kept
    assert "Manufacturer" not in clean  # free text: not on the allow-list
    assert clean.PatientIdentityRemoved == "YES" and clean.BurnedInAnnotation == "NO"
    assert src.PatientName == "Doe^Jane"  # the source is not modified


def test_series_round_trip_and_markings(tmp_path) -> None:
    hu = _volume()
    out = tmp_path / "series"
    paths = export_dicom_series(
        hu,
        (2.0, 0.8, 0.7),
        out,
        source_dataset=_identified_header(),
        provenance={"source": "x/case1", "filler": "gan", "seed": 1},
    )
    assert len(paths) == 4
    datasets = [pydicom.dcmread(p) for p in paths]
    blob = b"".join(p.read_bytes() for p in paths)
    for secret in (
        b"Doe",
        b"MRN-1234",
        b"19700101",
        b"20200102",
        b"General Hospital",
        b"SN-999",
        b"ACC-42",
        b"private secret",
        b"1.2.3.4.5.",
    ):
        assert secret not in blob, secret
    first = datasets[0]
    assert list(first.ImageType)[:2] == ["DERIVED", "SECONDARY"]
    assert "SYNTHETIC" in first.SeriesDescription
    assert first.PatientIdentityRemoved == "YES"
    assert len({ds.SOPInstanceUID for ds in datasets}) == 4
    assert len({ds.SeriesInstanceUID for ds in datasets}) == 1
    vol = load_volume(out)
    np.testing.assert_array_equal(vol.hu, hu)
    np.testing.assert_allclose(vol.spacing_mm, (2.0, 0.8, 0.7), rtol=1e-5)
    doc = json.loads((tmp_path / "series.json").read_text())
    assert doc["source"] == "case1" and doc["files"] == 4


@pytest.mark.realdata
def test_ircad_source_is_deidentified(ircad11, tmp_path) -> None:
    src_path = ircad11 / "PATIENT_DICOM" / "image_0"
    src = pydicom.dcmread(src_path)
    source_vol = load_volume(ircad11 / "PATIENT_DICOM")
    hu = source_vol.hu[60:63, 100:228, 150:278]
    out = tmp_path / "synthetic"
    paths = export_dicom_series(
        hu,
        source_vol.spacing_mm,
        out,
        source_dataset=src,
        provenance={"source": str(ircad11), "filler": "mean", "seed": 0},
    )
    old_uids = {str(src.StudyInstanceUID), str(src.SeriesInstanceUID), str(src.SOPInstanceUID)}
    name = str(src.PatientName).encode()
    assert name and src.StudyDate and src.InstitutionName
    for p in paths:
        raw = p.read_bytes()
        assert name not in raw and b"IRCAD" not in raw
        assert str(src.StudyDate).encode() not in raw
        ds = pydicom.dcmread(p)
        assert ds.PatientName == "" and ds.get("PatientBirthDate", "") == ""
        assert "InstitutionName" not in ds
        assert not old_uids & {
            str(ds.StudyInstanceUID),
            str(ds.SeriesInstanceUID),
            str(ds.SOPInstanceUID),
            str(ds.FrameOfReferenceUID),
        }
    np.testing.assert_array_equal(load_volume(out).hu, hu)
