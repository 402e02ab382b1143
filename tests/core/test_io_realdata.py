"""Loaders on the real CT in ../shared/data (skipped when absent)."""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np
import pydicom
import pytest

from liversynth.io import find_cases, load_case, load_labels, load_volume
from liversynth.io.ircad_masks import load_mask_structure
from liversynth.volume import LIVER, TUMOUR, Case, Volume

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def ircad11_case(ircad11: Path) -> Case:
    return load_case(ircad11)


@pytest.fixture(scope="module")
def ts_dicom(totalseg: Path) -> Volume:
    return load_volume(totalseg / "example_ct_dicom")


def test_ircad11_ct(ircad11_case: Case) -> None:
    vol = ircad11_case.volume
    assert vol.shape == (129, 512, 512)
    assert vol.hu.dtype == np.int16
    assert (int(vol.hu.min()), int(vol.hu.max())) == (-1024, 1023)
    assert vol.spacing_mm == pytest.approx((1.6, 0.57, 0.57), abs=1e-4)
    assert ircad11_case.name == ircad11_case.patient_id == "3Dircadb1.1"


def test_ircad11_labels_from_masks_zip(ircad11: Path, ircad11_case: Case) -> None:
    labels = ircad11_case.labels
    assert labels is not None and labels.dtype == np.uint8
    assert set(np.unique(labels).tolist()) == {0, LIVER, TUMOUR}
    assert int((labels == TUMOUR).any(axis=(1, 2)).sum()) == 74
    liver_mask, _ = load_mask_structure(ircad11 / "MASKS_DICOM.zip", "liver")
    assert liver_mask[labels == TUMOUR].all()  # every tumour voxel lies inside the liver
    hu = ircad11_case.volume.hu
    assert 100 < hu[labels == LIVER].mean() < 125  # README: liver ≈ 113 HU, tumour ≈ 79 HU
    assert 65 < hu[labels == TUMOUR].mean() < 95


def test_ircad11_orientation(ircad11: Path, ircad11_case: Case) -> None:
    hu, labels = ircad11_case.volume.hu, ircad11_case.labels
    nz, ny, nx = hu.shape
    # Spine: dense bone near the midline sits in the lower (posterior) half of the rows.
    mid = hu[:, :, nx // 2 - 40 : nx // 2 + 40]
    bone_rows = np.nonzero(mid > 200)[1]
    assert np.median(bone_rows) > ny / 2
    # Liver on the image's left half = the patient's right.
    _, _, liver_cols = np.nonzero(labels == LIVER)
    assert liver_cols.mean() < nx / 2
    # z grows to the head: lungs above the liver, kidneys below its top.
    masks = ircad11 / "MASKS_DICOM.zip"
    lung_z = np.nonzero(load_mask_structure(masks, "rightlung")[0])[0].mean()
    kidney_z = np.nonzero(load_mask_structure(masks, "rightkidney")[0])[0].mean()
    liver_z = np.nonzero(labels > 0)[0].mean()
    assert kidney_z < liver_z < lung_z


def test_ircad17_tumor_mask_is_not_a_liver_tumour(ircad17: Path) -> None:
    case = load_case(ircad17)
    assert case.volume.shape[0] == 151
    assert case.labels is not None
    assert not (case.labels == TUMOUR).any()
    tumor, _ = load_mask_structure(ircad17 / "MASKS_DICOM.zip", "tumor")
    assert tumor.sum() > 1000  # the mass exists ...
    # ... outside the liver (it touches the liver contour in 230 of 683 556 voxels), unlabelled
    assert (case.labels[tumor] == 0).mean() > 0.999


@pytest.mark.slow
def test_ircad_dicom_and_hand_written_nifti_agree(ircad11: Path, tmp_path: Path) -> None:
    """A NIfTI built with pydicom + nibabel from the DICOM geometry loads to the same array."""
    files = [pydicom.dcmread(p) for p in (ircad11 / "PATIENT_DICOM").iterdir()]
    files.sort(key=lambda ds: float(ds.ImagePositionPatient[2]))
    stack_xyz = np.stack([ds.pixel_array.T for ds in files], axis=-1)  # (col, row, slice)
    first, last = files[0], files[-1]
    row_mm, col_mm = (float(v) for v in first.PixelSpacing)
    step_lps = (
        np.asarray(last.ImagePositionPatient, float) - np.asarray(first.ImagePositionPatient, float)
    ) / (len(files) - 1)
    lps = np.eye(4)
    lps[:3, 0] = np.asarray(first.ImageOrientationPatient[:3], float) * col_mm
    lps[:3, 1] = np.asarray(first.ImageOrientationPatient[3:], float) * row_mm
    lps[:3, 2] = step_lps
    lps[:3, 3] = np.asarray(first.ImagePositionPatient, float)
    affine = np.diag([-1.0, -1.0, 1.0, 1.0]) @ lps
    path = tmp_path / "ircad11.nii"
    nib.save(nib.Nifti1Image(stack_xyz, affine), path)
    from_dicom = load_volume(ircad11 / "PATIENT_DICOM")
    from_nifti = load_volume(path)
    np.testing.assert_array_equal(from_dicom.hu, from_nifti.hu)
    assert from_dicom.spacing_mm == pytest.approx(from_nifti.spacing_mm, rel=1e-5)
    canonical = tmp_path / "ircad11_ras.nii"
    nib.save(nib.as_closest_canonical(nib.load(path)), canonical)
    np.testing.assert_array_equal(load_volume(canonical).hu, from_dicom.hu)


def test_totalsegmentator_nifti(totalseg: Path) -> None:
    small = load_volume(totalseg / "example_ct_sm.nii.gz")
    assert small.shape == (30, 101, 122) and small.hu.dtype == np.int16
    big = load_volume(totalseg / "example_ct.nii.gz")  # stored int32, fits int16
    assert big.shape == (112, 101, 122) and big.hu.dtype == np.int16
    labels = load_labels(totalseg / "example_seg.nii.gz", small, mapping={5: LIVER})
    assert 20 < small.hu[labels == LIVER].mean() < 200


def test_jpeg2000_series_and_las_labels_share_a_grid(totalseg: Path, ts_dicom: Volume) -> None:
    assert ts_dicom.shape == (20, 512, 512)
    assert "1.2.840.10008.1.2.4.90" in ts_dicom.metadata["transfer_syntaxes"]
    seg_path = totalseg / "example_seg_dicom.nii.gz"
    assert "".join(nib.aff2axcodes(nib.load(seg_path).affine)) == "LAS"
    labels = load_labels(seg_path, ts_dicom, mapping={5: LIVER})
    liver = labels == LIVER
    assert liver.sum() > 100_000
    liver_hu = float(ts_dicom.hu[liver].mean())
    assert 30 < liver_hu < 200, liver_hu  # soft tissue: orientation agrees
    # The check can fail: the same mask flipped front/back or left/right is not on the liver.
    assert float(ts_dicom.hu[liver[:, ::-1, :]].mean()) < liver_hu - 100
    assert abs(float(ts_dicom.hu[liver[:, :, ::-1]].std()) - float(ts_dicom.hu[liver].std())) > 50
    assert np.nonzero(liver)[2].mean() < 256  # patient's right on the image's left


def test_jpeg2000_series_matches_hand_decoded_pixels(totalseg: Path, ts_dicom: Volume) -> None:
    files = [pydicom.dcmread(p) for p in (totalseg / "example_ct_dicom").iterdir()]
    files.sort(key=lambda ds: float(ds.ImagePositionPatient[2]))  # feet first
    for k in (0, 7, 19):
        ds = files[k]
        expected = ds.pixel_array.astype(np.int32) * int(ds.RescaleSlope) + int(ds.RescaleIntercept)
        np.testing.assert_array_equal(ts_dicom.hu[k], expected)


def test_find_cases_on_the_shared_folder(shared_data: Path) -> None:
    refs = find_cases(shared_data)
    names = [r.name for r in refs]
    assert names[:2] == ["3Dircadb1.1", "3Dircadb1.7"]
    assert all(r.layout == "ircad" and r.labels is not None for r in refs[:2])
    assert find_cases(shared_data / "3Dircadb1.1")[0].name == "3Dircadb1.1"
