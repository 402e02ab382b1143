"""Bad input → the project's own errors, each naming the file and the problem."""

from __future__ import annotations

import gzip
import zipfile
from pathlib import Path

import nibabel as nib
import numpy as np
import pydicom
import pytest
from io_factories import (
    ct_slice_dataset,
    display_to_nifti,
    display_volume,
    set_header_field,
    write_series,
)
from pydicom.uid import RTStructureSetStorage, SegmentationStorage

from liversynth.errors import GridMismatchError, LoadError, ResourceLimitError
from liversynth.io import Limits, VolumeLimitError, load_case, load_labels, load_volume

SPACING = (2.5, 0.8, 0.7)


def assert_names(err: pytest.ExceptionInfo, path: Path, *words: str) -> None:
    text = str(err.value)
    assert str(path) in text, text
    for word in words:
        assert word.lower() in text.lower(), text


@pytest.fixture
def nifti(tmp_path: Path) -> Path:
    return display_to_nifti(tmp_path / "ct.nii", display_volume(), SPACING)


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(LoadError) as err:
        load_volume(tmp_path / "nope.nii.gz")
    assert_names(err, tmp_path / "nope.nii.gz", "no such")


@pytest.mark.parametrize("name", ["scan.mha", "notes.txt", "image.png"])
def test_unsupported_extension(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"hello")
    with pytest.raises(LoadError) as err:
        load_volume(path)
    assert_names(err, path, "unsupported")


@pytest.mark.parametrize("suffix", [".nii", ".nii.gz"])
def test_truncated_nifti(tmp_path: Path, nifti: Path, suffix: str) -> None:
    data = nifti.read_bytes()
    path = tmp_path / f"cut{suffix}"
    if suffix == ".nii":
        path.write_bytes(data[: len(data) // 2])
    else:
        path.write_bytes(gzip.compress(data)[:-4000])
    with pytest.raises(LoadError) as err:
        load_volume(path)
    assert_names(err, path)


def test_truncated_gzip_stream_says_truncated(tmp_path: Path, nifti: Path) -> None:
    path = tmp_path / "short.nii.gz"
    path.write_bytes(gzip.compress(nifti.read_bytes()[:2000]))
    with pytest.raises(LoadError) as err:
        load_volume(path)
    assert_names(err, path, "truncated")


@pytest.mark.parametrize("suffix", [".nii", ".nii.gz", ".npy", ".npz", ".dcm", ".zip"])
def test_garbage_file(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"garbage{suffix}"
    path.write_bytes(np.random.default_rng(0).bytes(3000))
    with pytest.raises(LoadError) as err:
        load_volume(path)
    assert_names(err, path)


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.nii.gz"
    path.write_bytes(b"")
    with pytest.raises(LoadError) as err:
        load_volume(path)
    assert_names(err, path, "empty")


def test_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(LoadError) as err:
        load_volume(tmp_path / "empty")
    assert_names(err, tmp_path / "empty", "no DICOM")


def test_zip_without_dicom(tmp_path: Path) -> None:
    path = tmp_path / "docs.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("a/readme.bin", b"just text")
    with pytest.raises(LoadError) as err:
        load_volume(path)
    assert_names(err, path, "no DICOM")


def test_folder_mixing_two_series(tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    write_series(folder / "a", display_volume(), SPACING, series_uid="1.2.3.100")
    write_series(folder / "b", display_volume((4, 20, 24)), SPACING, series_uid="1.2.3.200")
    with pytest.raises(LoadError) as err:
        load_volume(folder)
    assert_names(err, folder, "2 DICOM series", "1.2.3.100", "1.2.3.200", "6 files", "4 files")


@pytest.mark.parametrize(
    ("modality", "sop"),
    [("MR", None), ("SEG", SegmentationStorage), ("RTSTRUCT", RTStructureSetStorage)],
)
def test_non_ct_modality_is_refused(tmp_path: Path, modality: str, sop: str | None) -> None:
    folder = tmp_path / modality
    paths = write_series(folder, display_volume(), SPACING, modality=modality)
    if sop is not None:
        for path in paths:
            ds = pydicom.dcmread(path)
            ds.SOPClassUID = sop
            ds.file_meta.MediaStorageSOPClassUID = sop
            if modality == "RTSTRUCT":  # a structure set has no image at all
                for keyword in ("PixelData", "Rows", "Columns"):
                    delattr(ds, keyword)
            ds.save_as(path)
    with pytest.raises(LoadError) as err:
        load_volume(folder)
    assert_names(err, folder, f"modality {modality}")
    with pytest.raises(LoadError) as err:
        load_volume(paths[0])
    assert_names(err, paths[0], f"modality {modality}")


def test_missing_pixel_data(tmp_path: Path) -> None:
    ds = ct_slice_dataset(np.zeros((8, 8), np.int16), position=(0, 0, 0), with_pixels=False)
    path = tmp_path / "nopix.dcm"
    ds.save_as(path, enforce_file_format=True)
    with pytest.raises(LoadError) as err:
        load_volume(path)
    assert_names(err, path, "no pixel data")


def test_short_pixel_data(tmp_path: Path) -> None:
    ds = ct_slice_dataset(np.zeros((8, 8), np.int16), position=(0, 0, 0))
    ds.PixelData = ds.PixelData[:40]
    path = tmp_path / "short.dcm"
    ds.save_as(path, enforce_file_format=True)
    with pytest.raises(LoadError) as err:
        load_volume(path)
    assert_names(err, path)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_or_inf_voxels(tmp_path: Path, bad: float) -> None:
    data = display_volume().astype(np.float32)
    data[2, 3, 4] = bad
    path = display_to_nifti(tmp_path / "bad.nii.gz", data, SPACING)
    with pytest.raises(LoadError) as err:
        load_volume(path)
    assert_names(err, path, "NaN or infinite")


@pytest.mark.parametrize("value", [0.0, -1.0, np.nan, np.inf])
def test_bad_nifti_voxel_size(tmp_path: Path, nifti: Path, value: float) -> None:
    set_header_field(nifti, 80, "<f4", value)  # pixdim[1]
    with pytest.raises(LoadError) as err:
        load_volume(nifti)
    assert_names(err, nifti, "voxel size")


def test_singular_affine(tmp_path: Path) -> None:
    img = nib.Nifti1Image(display_volume().T.copy(), np.diag([0.7, 0.8, 2.5, 1.0]))
    img.set_sform(np.diag([0.7, 0.0, 2.5, 1.0]), code=2)
    path = tmp_path / "flat.nii"
    nib.save(img, path)
    with pytest.raises(LoadError) as err:
        load_volume(path)
    assert_names(err, path, "spacing")


@pytest.mark.filterwarnings("ignore:Invalid value for VR")
@pytest.mark.parametrize("spacing", [(0.0, 0.7), (-0.8, 0.7), ("NaN", 0.7)])
def test_bad_dicom_pixel_spacing(tmp_path: Path, spacing: tuple[float, float]) -> None:
    paths = write_series(tmp_path / "ct", display_volume(), SPACING)
    for path in paths:
        ds = pydicom.dcmread(path)
        ds.PixelSpacing = list(spacing)
        ds.save_as(path)
    with pytest.raises(LoadError) as err:
        load_volume(tmp_path / "ct")
    assert_names(err, tmp_path / "ct", "PixelSpacing")


@pytest.mark.filterwarnings("ignore:Invalid value for VR")
@pytest.mark.parametrize(
    ("keyword", "value"),
    [("RescaleIntercept", "-inf"), ("RescaleSlope", "NaN"), ("RescaleSlope", 0)],
)
def test_bad_rescale(tmp_path: Path, keyword: str, value: object) -> None:
    paths = write_series(tmp_path / "ct", display_volume(), SPACING)
    ds = pydicom.dcmread(paths[2])
    setattr(ds, keyword, value)
    ds.save_as(paths[2])
    with pytest.raises(LoadError) as err:
        load_volume(tmp_path / "ct")
    assert_names(err, paths[2], keyword)


def test_duplicate_slice_positions(tmp_path: Path) -> None:
    paths = write_series(tmp_path / "ct", display_volume(), SPACING)
    ds = pydicom.dcmread(paths[1])
    ds.ImagePositionPatient = pydicom.dcmread(paths[0]).ImagePositionPatient
    ds.save_as(paths[1])
    with pytest.raises(LoadError) as err:
        load_volume(tmp_path / "ct")
    assert_names(err, tmp_path / "ct", "share a position")


def test_missing_slice_is_irregular_spacing(tmp_path: Path) -> None:
    paths = write_series(tmp_path / "ct", display_volume((8, 20, 24)), SPACING)
    middle = sorted(paths, key=lambda p: float(pydicom.dcmread(p).ImagePositionPatient[2]))[4]
    middle.unlink()
    with pytest.raises(LoadError) as err:
        load_volume(tmp_path / "ct")
    assert_names(err, tmp_path / "ct", "irregular")


def test_slices_of_different_sizes(tmp_path: Path) -> None:
    paths = write_series(tmp_path / "ct", display_volume(), SPACING)
    ct_slice_dataset(np.zeros((10, 10), np.int16), position=(0, 0, 99)).save_as(
        paths[0], enforce_file_format=True
    )
    with pytest.raises(LoadError) as err:
        load_volume(tmp_path / "ct")
    assert_names(err, tmp_path / "ct", "differ in size")


def test_grid_mismatch_names_both_files_and_shapes(tmp_path: Path, nifti: Path) -> None:
    seg = display_to_nifti(tmp_path / "seg.nii.gz", np.zeros((6, 20, 23), np.uint8), SPACING)
    vol = load_volume(nifti)
    with pytest.raises(GridMismatchError) as err:
        load_labels(seg, vol)
    assert_names(err, seg, str(nifti), "(6, 20, 23)", "(6, 20, 24)")
    with pytest.raises(GridMismatchError):
        load_case(nifti, labels=seg)


def test_grid_mismatch_same_shape_other_position(tmp_path: Path, nifti: Path) -> None:
    seg = tmp_path / "shifted.nii.gz"
    img = nib.load(display_to_nifti(tmp_path / "s.nii", np.zeros((6, 20, 24), np.uint8), SPACING))
    affine = img.affine.copy()
    affine[2, 3] += 25.0  # ten slices higher
    nib.save(nib.Nifti1Image(np.asarray(img.dataobj), affine), seg)
    with pytest.raises(GridMismatchError) as err:
        load_labels(seg, load_volume(nifti))
    assert_names(err, seg, "origin")


def test_labels_with_unknown_ids_need_a_mapping(tmp_path: Path, nifti: Path) -> None:
    seg = display_to_nifti(tmp_path / "seg.nii.gz", np.full((6, 20, 24), 5, np.uint8), SPACING)
    with pytest.raises(LoadError) as err:
        load_labels(seg, load_volume(nifti))
    assert_names(err, seg, "mapping")


def test_four_d_image(tmp_path: Path) -> None:
    path = tmp_path / "4d.nii.gz"
    nib.save(nib.Nifti1Image(np.zeros((4, 4, 3, 2), np.int16), np.eye(4)), path)
    with pytest.raises(LoadError) as err:
        load_volume(path)
    assert_names(err, path, "4-D")


def test_pickled_npz_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "obj.npz"
    np.savez(path, hu=np.array([{"a": 1}], dtype=object))
    with pytest.raises(LoadError) as err:
        load_volume(path)
    assert_names(err, path)


@pytest.mark.parametrize("dims", [(0, 20, 24), (-3, 20, 24)])
def test_non_positive_dimensions(tmp_path: Path, nifti: Path, dims: tuple[int, int, int]) -> None:
    for index, value in enumerate(reversed(dims)):  # dim[1..3] are x, y, z
        set_header_field(nifti, 42 + 2 * index, "<i2", value)
    with pytest.raises(LoadError) as err:
        load_volume(nifti)
    assert_names(err, nifti)


def test_absurd_dimensions_are_refused_before_allocating(tmp_path: Path, nifti: Path) -> None:
    set_header_field(nifti, 42, "<i2", 30000)  # x
    set_header_field(nifti, 44, "<i2", 30000)  # y
    with pytest.raises(VolumeLimitError) as err:
        load_volume(nifti)
    assert isinstance(err.value, ResourceLimitError) and isinstance(err.value, LoadError)
    assert_names(err, nifti, "4096")


def test_byte_budget(tmp_path: Path, nifti: Path) -> None:
    with pytest.raises(ResourceLimitError) as err:
        load_volume(nifti, limits=Limits(max_bytes=1000))
    assert_names(err, nifti, "MiB")
    with pytest.raises(ResourceLimitError):
        load_volume(nifti, limits=Limits(max_slices=5))
