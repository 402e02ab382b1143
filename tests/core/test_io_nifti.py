"""NIfTI loading: orientation normalisation, HU dtype rule, save/load round trip, copies."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
from io_factories import display_to_nifti, display_volume

from liversynth.io import load_labels, load_volume, save_nifti

SPACING = (2.5, 0.8, 0.7)


@pytest.mark.parametrize("axcodes", ["RAS", "LAS", "LPS", "RPI", "ASR", "SLP", "PIL"])
def test_any_orientation_loads_to_the_display_array(tmp_path: Path, axcodes: str) -> None:
    display = display_volume()
    path = display_to_nifti(tmp_path / f"vol_{axcodes}.nii.gz", display, SPACING, axcodes)
    assert "".join(nib.aff2axcodes(nib.load(path).affine)) == axcodes  # the factory is right
    vol = load_volume(path)
    np.testing.assert_array_equal(vol.hu, display)
    assert vol.hu.dtype == np.int16
    assert vol.hu.flags.c_contiguous
    assert vol.spacing_mm == pytest.approx(SPACING)
    assert vol.metadata["orientation"] == axcodes
    assert vol.metadata["format"] == "nifti"


@pytest.mark.parametrize("suffix", [".nii", ".nii.gz"])
@pytest.mark.parametrize("dtype", [np.int16, np.float32])
def test_save_then_load_is_identical(tmp_path: Path, suffix: str, dtype: type) -> None:
    arr = display_volume().astype(dtype)
    if dtype is np.float32:
        arr = arr + np.float32(0.25)  # non-integral so it must stay float32
    out = save_nifti(arr, SPACING, tmp_path / f"out{suffix}")
    assert "".join(nib.aff2axcodes(nib.load(out).affine)) == "RAS"
    vol = load_volume(out)
    assert vol.hu.dtype == arr.dtype
    np.testing.assert_array_equal(vol.hu, arr)
    assert vol.spacing_mm == pytest.approx(SPACING)
    assert [p.name for p in tmp_path.iterdir()] == [out.name]  # no temporary left behind


def test_save_keeps_the_scanner_position_and_overwrites_atomically(tmp_path: Path) -> None:
    display = display_volume()
    src = display_to_nifti(tmp_path / "src.nii", display, SPACING, "LAS")
    vol = load_volume(src)
    target = tmp_path / "copy.nii.gz"
    target.write_bytes(b"old content")
    save_nifti(
        vol.hu, vol.spacing_mm, target, affine_lps=vol.affine_lps, voxel_order=vol.source_axcodes
    )
    again = load_volume(target)
    np.testing.assert_array_equal(again.hu, display)
    np.testing.assert_allclose(again.affine_lps, vol.affine_lps, atol=1e-4)
    # Written back in the source's voxel order (LAS), with the source's affine.
    np.testing.assert_allclose(nib.load(target).affine, nib.load(src).affine, atol=1e-5)
    np.testing.assert_array_equal(
        np.asarray(nib.load(target).dataobj), np.asarray(nib.load(src).dataobj)
    )


def test_labels_round_trip(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 3, size=(5, 16, 18)).astype(np.uint8)
    hu = np.zeros(labels.shape, np.int16)
    save_nifti(hu, SPACING, tmp_path / "ct.nii.gz")
    save_nifti(labels, SPACING, tmp_path / "seg.nii.gz", labels=True)
    vol = load_volume(tmp_path / "ct.nii.gz")
    got = load_labels(tmp_path / "seg.nii.gz", vol)
    assert got.dtype == np.uint8
    np.testing.assert_array_equal(got, labels)


def test_labels_in_another_orientation_land_on_the_image_grid(tmp_path: Path) -> None:
    display = display_volume()
    labels = (display > 500).astype(np.uint8) + (display > 1200).astype(np.uint8)
    ct = load_volume(display_to_nifti(tmp_path / "ct.nii", display, SPACING, "RAS"))
    seg = display_to_nifti(tmp_path / "seg.nii.gz", labels * 5, SPACING, "LAS", dtype=np.uint8)
    got = load_labels(seg, ct, mapping={5: 1, 10: 2})
    np.testing.assert_array_equal(got, labels)


def test_rescale_slope_and_intercept(tmp_path: Path) -> None:
    display = display_volume()
    stored = (display.astype(np.int32) + 1024).astype(np.uint16)
    path = display_to_nifti(tmp_path / "u16.nii", stored, SPACING, intercept=-1024.0, slope=1.0)
    vol = load_volume(path)
    assert vol.hu.dtype == np.int16
    np.testing.assert_array_equal(vol.hu, display)
    half = display_to_nifti(tmp_path / "half.nii", display, SPACING, slope=0.5)
    assert load_volume(half).hu.dtype == np.float32
    np.testing.assert_allclose(load_volume(half).hu, display * 0.5)


@pytest.mark.parametrize(
    ("dtype", "offset", "expected"),
    [(np.int32, 0.0, np.int16), (np.float64, 0.0, np.int16), (np.float32, 0.5, np.float32)],
)
def test_dtype_rule(tmp_path: Path, dtype: type, offset: float, expected: type) -> None:
    display = display_volume()
    data = display.astype(dtype) + dtype(offset)
    vol = load_volume(display_to_nifti(tmp_path / "v.nii", data, SPACING, dtype=dtype))
    assert vol.hu.dtype == expected
    np.testing.assert_allclose(vol.hu, data)


def test_int32_beyond_int16_becomes_float32(tmp_path: Path) -> None:
    data = display_volume().astype(np.int32)
    data[1, 2, 3] = 70000
    vol = load_volume(display_to_nifti(tmp_path / "big.nii", data, SPACING))
    assert vol.hu.dtype == np.float32
    assert vol.hu[1, 2, 3] == 70000


def test_trailing_singleton_dimension_is_dropped(tmp_path: Path) -> None:
    display = display_volume()
    img = nib.Nifti1Image(display.T[::-1, ::-1, :, np.newaxis].copy(), np.diag([0.7, 0.8, 2.5, 1]))
    nib.save(img, tmp_path / "4d.nii")
    np.testing.assert_array_equal(load_volume(tmp_path / "4d.nii").hu, display)


def test_loading_int16_does_not_copy_needlessly(tmp_path: Path) -> None:
    """RAS int16: read once, flipped in place; peak stays near one array."""
    display = display_volume((64, 256, 256))
    path = save_nifti(display, SPACING, tmp_path / "big.nii")
    tracemalloc.start()
    try:
        vol = load_volume(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    np.testing.assert_array_equal(vol.hu, display)
    assert peak < 1.2 * display.nbytes, f"peak {peak / display.nbytes:.2f}x the array"
