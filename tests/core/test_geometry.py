"""Patient geometry of a Volume: loaders fill it, reorientation and crops keep it right."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pydicom
import pytest
from io_factories import display_to_nifti, display_volume, write_series

from liversynth.geometry import (
    centred_affine_lps,
    check_affine_lps,
    default_affine_lps,
    lps_to_index,
)
from liversynth.io import load_volume
from liversynth.phantom import make_phantom
from liversynth.volume import Volume

SPACING = (2.5, 0.8, 0.7)
# write_series puts display voxel (0, 0, 0) here (LPS mm).
SERIES_ORIGIN_LPS = (-100.0, -80.0, 40.0)


def test_default_geometry_follows_the_display_axes() -> None:
    vol = Volume(np.zeros((4, 5, 6), np.int16), SPACING)
    # One column to the patient's left (+x), one row posterior (+y), one slice up (+z).
    assert vol.index_to_lps_mm(0, 0, 1) == pytest.approx((0.7, 0.0, 0.0))
    assert vol.index_to_lps_mm(0, 1, 0) == pytest.approx((0.0, 0.8, 0.0))
    assert vol.index_to_lps_mm(1, 0, 0) == pytest.approx((0.0, 0.0, 2.5))
    # NIfTI view of the same grid: RAS, x and y negated, index order (x, y, z).
    np.testing.assert_allclose(vol.affine_ras @ [1, 1, 1, 1], [-0.7, -0.8, 2.5, 1])


def test_a_geometry_that_disagrees_with_the_spacing_is_refused() -> None:
    with pytest.raises(ValueError, match="disagrees with spacing"):
        Volume(
            np.zeros((2, 2, 2), np.int16), (1.0, 1.0, 1.0), affine_lps=np.diag([2.0, 2.0, 2.0, 1.0])
        )
    with pytest.raises(ValueError, match="singular"):
        check_affine_lps(np.diag([1.0, 1.0, 0.0, 1.0]))


def test_crop_keeps_every_voxel_in_place() -> None:
    affine = default_affine_lps(SPACING, (10.0, -20.0, 30.0))
    vol = Volume(display_volume(), SPACING, affine_lps=affine)
    crop = vol.cropped(z=(2, 5), y=(3, 10), x=(4, 20))
    assert crop.shape == (3, 7, 16)
    assert crop.index_to_lps_mm(0, 0, 0) == pytest.approx(vol.index_to_lps_mm(2, 3, 4))
    assert crop.index_to_lps_mm(2, 6, 15) == pytest.approx(vol.index_to_lps_mm(4, 9, 19))
    assert crop.hu[1, 2, 3] == vol.hu[3, 5, 7]
    with pytest.raises(ValueError, match="outside"):
        vol.cropped(z=(0, 99))


@pytest.mark.parametrize("axcodes", ["RAS", "LAS", "LPS", "RPI", "ASR", "SLP", "PIL"])
def test_nifti_in_any_voxel_order_gives_the_same_patient_grid(tmp_path: Path, axcodes: str) -> None:
    path = display_to_nifti(
        tmp_path / "v.nii.gz", display_volume(), SPACING, axcodes, origin_lps=SERIES_ORIGIN_LPS
    )
    vol = load_volume(path)
    np.testing.assert_allclose(
        vol.affine_lps, default_affine_lps(SPACING, SERIES_ORIGIN_LPS), atol=1e-4
    )
    assert vol.source_axcodes == axcodes


@pytest.mark.parametrize("flipped", [False, True])
def test_dicom_series_geometry_comes_from_its_headers(tmp_path: Path, flipped: bool) -> None:
    display = display_volume()
    paths = write_series(tmp_path / "s", display, SPACING, flipped_inplane=flipped)
    vol = load_volume(tmp_path / "s")
    np.testing.assert_array_equal(vol.hu, display)
    assert vol.source_axcodes is None
    for path in paths:
        ds = pydicom.dcmread(path)
        ipp = np.asarray(ds.ImagePositionPatient, float)
        # The stored first pixel of every file is where the volume says it is.
        z, y, x = np.round(lps_to_index(vol.affine_lps, ipp)).astype(int)
        assert vol.hu[z, y, x] == ds.pixel_array[0, 0]
        assert vol.index_to_lps_mm(z, y, x) == pytest.approx(tuple(ipp), abs=1e-6)


def test_nifti_and_dicom_of_one_scan_put_a_voxel_at_the_same_place(tmp_path: Path) -> None:
    display = display_volume()
    write_series(tmp_path / "dcm", display, SPACING, flipped_inplane=True)
    nifti = display_to_nifti(
        tmp_path / "ct.nii.gz", display, SPACING, "RAS", origin_lps=SERIES_ORIGIN_LPS
    )
    from_dicom, from_nifti = load_volume(tmp_path / "dcm"), load_volume(nifti)
    np.testing.assert_array_equal(from_dicom.hu, from_nifti.hu)
    for zyx in [(0, 0, 0), (5, 19, 23), (3, 7, 11)]:
        assert from_dicom.index_to_lps_mm(*zyx) == pytest.approx(
            from_nifti.index_to_lps_mm(*zyx), abs=1e-4
        )


def test_the_phantom_is_centred_on_the_origin() -> None:
    case = make_phantom(seed=0, shape=(16, 64, 64), spacing_mm=(2.5, 1.5, 1.5))
    np.testing.assert_allclose(
        case.volume.affine_lps, centred_affine_lps((16, 64, 64), (2.5, 1.5, 1.5))
    )
    centre = case.volume.index_to_lps_mm(7.5, 31.5, 31.5)
    assert centre == pytest.approx((0.0, 0.0, 0.0))


@pytest.mark.realdata
def test_ircad_series_geometry_matches_simpleitk(ircad11: Path, tmp_path: Path) -> None:
    """Every 16th slice of 3Dircadb1.1 (a regular 25.6 mm step), against SimpleITK."""
    sitk = pytest.importorskip("SimpleITK", reason="SimpleITK is in the test extra")
    folder = tmp_path / "series"
    folder.mkdir()
    for i in range(0, 129, 16):
        shutil.copy(ircad11 / "PATIENT_DICOM" / f"image_{i}", folder / f"image_{i}.dcm")
    vol = load_volume(folder)
    reader = sitk.ImageSeriesReader()
    reader.SetFileNames(reader.GetGDCMSeriesFileNames(str(folder)))
    image = reader.Execute()
    array = sitk.GetArrayViewFromImage(image)  # (k, j, i): SimpleITK indices are (i, j, k)
    assert vol.shape == array.shape
    rng = np.random.default_rng(0)
    points = np.stack([rng.integers(0, n, 200) for n in vol.shape], axis=1)
    points[:2] = [(0, 0, 0), (vol.shape[0] - 1, vol.shape[1] - 1, vol.shape[2] - 1)]
    for z, y, x in points:
        lps = vol.index_to_lps_mm(z, y, x)
        i, j, k = image.TransformPhysicalPointToIndex(lps)
        assert image.TransformIndexToPhysicalPoint((i, j, k)) == pytest.approx(lps, abs=1e-3)
        assert array[k, j, i] == vol.hu[z, y, x]
    # Voxel size and the direction of each display axis agree with SimpleITK's too.
    direction = np.asarray(image.GetDirection()).reshape(3, 3) * np.asarray(image.GetSpacing())
    assert sorted(np.abs(direction).max(axis=0)) == pytest.approx(sorted(vol.spacing_mm), rel=1e-4)
