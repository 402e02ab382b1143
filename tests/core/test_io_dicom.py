"""DICOM series loading on self-made series: sorting, rescale, zip, orientation, NIfTI parity."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest
from io_factories import display_to_nifti, display_volume, write_series, zip_folder

from liversynth.io import load_volume

SPACING = (2.5, 0.8, 0.7)


def test_shuffled_files_are_sorted_by_position(tmp_path: Path) -> None:
    display = display_volume()
    write_series(tmp_path / "ct", display, SPACING, instances_descending=True, seed=3)
    vol = load_volume(tmp_path / "ct")
    np.testing.assert_array_equal(vol.hu, display)
    assert vol.hu.dtype == np.int16
    assert vol.spacing_mm == pytest.approx(SPACING)
    assert vol.metadata["sorted_by"] == "ImagePositionPatient"
    assert vol.metadata["modality"] == "CT"


def test_patient_identifiers_stay_out_of_metadata(tmp_path: Path) -> None:
    write_series(tmp_path / "ct", display_volume(), SPACING)
    vol = load_volume(tmp_path / "ct")
    text = repr(vol.metadata)
    assert "Test^Patient" not in text and "ID-123" not in text
    assert vol.metadata["had_patient_identifiers"] is True


def test_instance_number_is_the_fallback(tmp_path: Path) -> None:
    display = display_volume()
    write_series(tmp_path / "ct", display, SPACING, with_positions=False)
    vol = load_volume(tmp_path / "ct")
    np.testing.assert_array_equal(vol.hu, display)
    assert vol.metadata["sorted_by"] == "InstanceNumber"


def test_rotated_slices_come_out_in_display_orientation(tmp_path: Path) -> None:
    display = display_volume()
    write_series(tmp_path / "ct", display, SPACING, flipped_inplane=True)
    np.testing.assert_array_equal(load_volume(tmp_path / "ct").hu, display)


def test_rescale_intercept_gives_int16_hu(tmp_path: Path) -> None:
    display = display_volume()
    write_series(tmp_path / "ct", display, SPACING, intercept=-1024.0)
    first = pydicom.dcmread(next((tmp_path / "ct").iterdir()))
    assert first.PixelRepresentation == 0  # stored unsigned, HU only after rescale
    vol = load_volume(tmp_path / "ct")
    assert vol.hu.dtype == np.int16
    np.testing.assert_array_equal(vol.hu, display)


def test_fractional_slope_gives_float32(tmp_path: Path) -> None:
    display = display_volume()
    paths = write_series(tmp_path / "ct", display, SPACING)
    for path in paths:
        ds = pydicom.dcmread(path)
        ds.RescaleSlope = 0.5
        ds.save_as(path)
    vol = load_volume(tmp_path / "ct")
    assert vol.hu.dtype == np.float32
    np.testing.assert_allclose(vol.hu, display * 0.5)


def test_zip_and_single_file(tmp_path: Path) -> None:
    display = display_volume()
    write_series(tmp_path / "ct", display, SPACING)
    archive = zip_folder(tmp_path / "ct", tmp_path / "ct.zip", "PATIENT_DICOM")
    np.testing.assert_array_equal(load_volume(archive).hu, display)
    one = sorted((tmp_path / "ct").iterdir())[0]
    single = load_volume(one)
    assert single.shape == (1, *display.shape[1:])
    assert any(np.array_equal(single.hu[0], plane) for plane in display)


def test_stray_non_dicom_files_are_skipped(tmp_path: Path) -> None:
    display = display_volume()
    write_series(tmp_path / "ct", display, SPACING)
    (tmp_path / "ct" / "notes.bin").write_bytes(b"not a dicom file at all")
    (tmp_path / "ct" / ".DS_Store").write_bytes(b"\x00\x01")
    np.testing.assert_array_equal(load_volume(tmp_path / "ct").hu, display)


@pytest.mark.parametrize("flipped", [False, True])
def test_dicom_and_nifti_of_the_same_scan_agree(tmp_path: Path, flipped: bool) -> None:
    display = display_volume()
    write_series(tmp_path / "ct", display, SPACING, flipped_inplane=flipped)
    nifti = display_to_nifti(tmp_path / "ct.nii.gz", display, SPACING, "RAS")
    from_dicom, from_nifti = load_volume(tmp_path / "ct"), load_volume(nifti)
    np.testing.assert_array_equal(from_dicom.hu, from_nifti.hu)
    assert from_dicom.spacing_mm == pytest.approx(from_nifti.spacing_mm)
