"""Dataset layouts: LiTS, MSD Task03, 3D-IRCADb (folders and zips), plain volume + labels."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from io_factories import display_to_nifti, display_volume, write_series, zip_folder

from liversynth.errors import LoadError
from liversynth.io import CaseRef, find_cases, load_case, load_volume

SPACING = (2.5, 0.8, 0.7)
SHAPE = (6, 20, 24)


def _labels(seed: int = 0) -> np.ndarray:
    labels = np.zeros(SHAPE, np.uint8)
    labels[1:5, 4:15, 2:12] = 1
    labels[2:4, 6:9, 4:7] = 2
    return np.roll(labels, seed, axis=2)


def _nifti_pair(image: Path, seg: Path, seed: int) -> None:
    display_to_nifti(image, display_volume(SHAPE, seed), SPACING)
    display_to_nifti(seg, _labels(seed), SPACING, dtype=np.uint8)


@pytest.fixture
def lits_root(tmp_path: Path) -> Path:
    root = tmp_path / "LiTS"
    (root / "batch1").mkdir(parents=True)
    (root / "batch2").mkdir()
    _nifti_pair(root / "batch1" / "volume-2.nii", root / "batch1" / "segmentation-2.nii", 2)
    _nifti_pair(root / "batch1" / "volume-10.nii", root / "batch1" / "segmentation-10.nii", 1)
    # Labels kept apart from their volume (some LiTS mirrors do this).
    _nifti_pair(root / "batch2" / "volume-12.nii.gz", root / "segmentation-12.nii.gz", 3)
    return root


@pytest.fixture
def msd_root(tmp_path: Path) -> Path:
    root = tmp_path / "Task03_Liver"
    for sub in ("imagesTr", "labelsTr", "imagesTs"):
        (root / sub).mkdir(parents=True)
    for n in (3, 0):
        _nifti_pair(
            root / "imagesTr" / f"liver_{n}.nii.gz", root / "labelsTr" / f"liver_{n}.nii.gz", n
        )
    display_to_nifti(root / "imagesTs" / "liver_200.nii.gz", display_volume(SHAPE), SPACING)
    (root / "imagesTr" / "._liver_3.nii.gz").write_bytes(b"macOS resource fork junk")
    (root / "dataset.json").write_text("{}")
    return root


def _ircad_patient(folder: Path, *, zipped: bool, with_outside_tumor: bool = True) -> np.ndarray:
    """A 3D-IRCADb-like patient; returns the expected labels."""
    display = display_volume(SHAPE)
    write_series(folder / "PATIENT_DICOM", display, SPACING, series_uid="1.2.9.1")
    liver = np.zeros(SHAPE, np.int16)
    liver[1:5, 4:15, 2:12] = 255
    tumour1 = np.zeros(SHAPE, np.int16)
    tumour1[2:4, 6:9, 4:7] = 255
    tumour2 = np.zeros(SHAPE, np.int16)
    tumour2[4:6, 13:17, 10:14] = 255  # partly beyond the liver contour: still label 2
    outside = np.zeros(SHAPE, np.int16)
    outside[1:3, 16:19, 16:22] = 255
    masks = {"liver": liver, "livertumor01": tumour1, "livertumor02": tumour2, "bone": outside}
    if with_outside_tumor:
        masks["tumor"] = outside
    for i, (name, mask) in enumerate(masks.items()):
        write_series(folder / "MASKS_DICOM" / name, mask, SPACING, series_uid=f"1.2.9.{10 + i}")
    expected = np.where(liver > 0, 1, 0).astype(np.uint8)
    expected[(tumour1 > 0) | (tumour2 > 0)] = 2
    if zipped:
        for sub in ("PATIENT_DICOM", "MASKS_DICOM"):
            zip_folder(folder / sub, folder / f"{sub}.zip", sub)
            shutil.rmtree(folder / sub)
    return expected


def test_lits_layout(lits_root: Path) -> None:
    refs = find_cases(lits_root)
    assert [r.name for r in refs] == ["lits-2", "lits-10", "lits-12"]
    assert all(r.layout == "lits" and r.labels is not None for r in refs)
    assert refs[2].labels == lits_root / "segmentation-12.nii.gz"
    case = load_case(refs[1])
    assert case.name == case.patient_id == "lits-10"
    np.testing.assert_array_equal(case.volume.hu, display_volume(SHAPE, 1))
    np.testing.assert_array_equal(case.labels, _labels(1))
    by_file = load_case(lits_root / "batch1" / "volume-2.nii")
    np.testing.assert_array_equal(by_file.labels, _labels(2))
    by_name = load_case(lits_root, name="12")
    assert by_name.name == "lits-12"
    np.testing.assert_array_equal(by_name.labels, _labels(3))


def test_msd_layout(msd_root: Path) -> None:
    refs = find_cases(msd_root)
    assert [r.name for r in refs] == ["msd-liver_0", "msd-liver_3", "msd-liver_200"]
    assert refs[2].labels is None
    case = load_case(msd_root / "imagesTr" / "liver_3.nii.gz")
    assert case.name == "msd-liver_3"
    np.testing.assert_array_equal(case.labels, _labels(3))
    assert load_case(msd_root, name="liver_0").name == "msd-liver_0"
    assert load_case(msd_root.parent, name="msd-liver_0").name == "msd-liver_0"
    with pytest.raises(LoadError) as err:
        load_case(msd_root)
    assert "3 cases" in str(err.value) and str(msd_root) in str(err.value)
    with pytest.raises(LoadError):
        load_case(msd_root, name="liver_99")


@pytest.mark.parametrize("zipped", [False, True])
def test_ircad_layout(tmp_path: Path, zipped: bool) -> None:
    root = tmp_path / "ircad"
    expected = _ircad_patient(root / "3Dircadb1.4", zipped=zipped)
    _ircad_patient(root / "3Dircadb1.12", zipped=not zipped, with_outside_tumor=False)
    refs = find_cases(root)
    assert [r.name for r in refs] == ["3Dircadb1.4", "3Dircadb1.12"]
    case = load_case(root / "3Dircadb1.4")
    assert case.name == case.patient_id == "3Dircadb1.4"
    np.testing.assert_array_equal(case.labels, expected)
    np.testing.assert_array_equal(case.volume.hu, display_volume(SHAPE))
    assert find_cases(root / "3Dircadb1.4") == [refs[0]]


def test_ircad_masks_without_liver_are_refused(tmp_path: Path) -> None:
    folder = tmp_path / "3Dircadb1.9"
    _ircad_patient(folder, zipped=False)
    shutil.rmtree(folder / "MASKS_DICOM" / "liver")
    with pytest.raises(LoadError) as err:
        load_case(folder)
    assert "liver" in str(err.value) and str(folder / "MASKS_DICOM") in str(err.value)


def test_plain_volume_and_labels(tmp_path: Path) -> None:
    image = display_to_nifti(tmp_path / "scan.nii.gz", display_volume(SHAPE), SPACING, "LAS")
    seg = display_to_nifti(tmp_path / "seg.nii.gz", _labels() * 5, SPACING, "RAS", dtype=np.uint8)
    case = load_case(image, labels=seg, mapping={5: 1, 10: 2})
    assert case.name == "scan"
    np.testing.assert_array_equal(case.labels, _labels())
    assert load_case(image).labels is None


def test_dicom_folder_and_npz_cases(tmp_path: Path) -> None:
    write_series(tmp_path / "series", display_volume(SHAPE), SPACING)
    assert find_cases(tmp_path / "series") == [
        CaseRef("series", tmp_path / "series", None, "plain", "series")
    ]
    np.savez(tmp_path / "arr.npz", hu=display_volume(SHAPE), spacing_mm=np.array(SPACING))
    np.save(tmp_path / "lab.npy", _labels())
    case = load_case(tmp_path / "arr.npz", labels=tmp_path / "lab.npy")
    assert case.volume.spacing_mm == pytest.approx(SPACING)
    np.testing.assert_array_equal(case.labels, _labels())


def test_find_cases_reads_no_pixels(tmp_path: Path, lits_root: Path) -> None:
    """Discovery only looks at names: a corrupt image is listed, and fails only on load."""
    (lits_root / "batch1" / "volume-2.nii").write_bytes(b"broken")
    assert "lits-2" in [r.name for r in find_cases(lits_root)]
    with pytest.raises(LoadError):
        load_case(lits_root, name="lits-2")


def test_npy_volume_round_trip(tmp_path: Path) -> None:
    display = display_volume(SHAPE).astype(np.float64)
    np.save(tmp_path / "v.npy", display)
    vol = load_volume(tmp_path / "v.npy")
    assert vol.hu.dtype == np.int16 and vol.spacing_mm == (1.0, 1.0, 1.0)
    np.testing.assert_array_equal(vol.hu, display)
