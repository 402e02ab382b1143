"""Hostile files are refused with the project's error, before the expensive step.

Each test builds one attack from ``benchmarks/hostile_*_cases.py`` (or a small variant) and
reads it in-process; the memory side of the same attacks is measured in capped child
processes by ``test_hostile_inputs.py``.
"""

from __future__ import annotations

import os
import struct
import time
from pathlib import Path

import numpy as np
import pydicom
import pytest
from io_factories import ct_slice_dataset, display_to_nifti, display_volume, write_series

from benchmarks import hostile_file_cases as files
from benchmarks import hostile_volume_cases as vols
from liversynth.errors import LoadError, ModelFileError
from liversynth.io import Limits, VolumeLimitError, load_volume

pytestmark = pytest.mark.timeout(60)  # a FIFO opened in blocking mode would hang here


def refused(build, tmp_path: Path, *words: str, error: type = LoadError) -> str:
    path = build(tmp_path)
    with pytest.raises(error) as err:
        load_volume(path, limits=Limits(max_bytes=256 * 2**20))
    text = str(err.value)
    assert str(path) in text, text
    for word in words:
        assert word.lower() in text.lower(), text
    return text


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_gzip_cut_a_few_bytes_short_is_an_error(tmp_path: Path, n: int) -> None:
    refused(vols.gz_cut(n), tmp_path, "gzip")


def test_gzip_flipped_byte_fails_the_crc(tmp_path: Path) -> None:
    refused(vols.gz_flipped, tmp_path, "crc")


def test_values_overflowing_float32_after_scaling_are_refused(tmp_path: Path) -> None:
    refused(vols.nifti_field("slope", 112, "<f", 1e38), tmp_path, "overflow")


def test_nifti_header_extension_is_not_read(tmp_path: Path) -> None:
    refused(lambda f: vols.nifti_extension_bomb(f, ext_mib=80), tmp_path, "vox_offset")


@pytest.mark.parametrize(
    "build",
    [
        vols.fifo("v.nii.gz"),
        vols.fifo("v.zip"),
        vols.fifo("v.dcm"),
        vols.dev_zero_link("z.nii"),
        vols.unix_socket("s.npy"),
    ],
)
def test_special_files_are_refused_without_opening(tmp_path: Path, build) -> None:
    refused(build, tmp_path, "only regular files")


def test_series_folder_skips_fifo_and_dev_zero(tmp_path: Path) -> None:
    vol = load_volume(vols.series_with_specials(tmp_path))
    assert vol.shape == (3, 8, 9)


def test_npz_member_headers_are_all_checked(tmp_path: Path) -> None:
    refused(vols.npz("sp.npz", vols._hu_and(vols._spacing_bomb)), tmp_path, "announces")


def test_deflated_dicom_is_not_inflated_whole(tmp_path: Path) -> None:
    refused(lambda f: vols.dicom_deflate_bomb(f, mib=70), tmp_path, "inflates beyond")


def test_jpeg2000_size_is_checked_before_decoding(tmp_path: Path) -> None:
    refused(vols.dicom_j2k_lie, tmp_path, "20000x20000", "64x64")


def test_dicom_larger_than_a_slice_is_refused_from_its_size(tmp_path: Path) -> None:
    refused(vols.dicom_sparse, tmp_path, "not a slice", error=VolumeLimitError)


def test_zip_member_count_is_checked_before_parsing(tmp_path: Path) -> None:
    start = time.perf_counter()
    refused(vols.zip_many(20_001), tmp_path, "20000", error=VolumeLimitError)
    assert time.perf_counter() - start < 20


def test_budget_counts_the_reorientation_copy(tmp_path: Path) -> None:
    # Stored int16 with a fractional slope → a float32 HU array (6 B/voxel), then LAS→display
    # permutes axes: one more float32 copy (8 B/voxel at the peak).
    path = display_to_nifti(tmp_path / "p.nii", display_volume((8, 20, 24)), axcodes="SAL")
    data = bytearray(path.read_bytes())
    struct.pack_into("<f", data, 112, 0.5)
    path.write_bytes(bytes(data))
    voxels = 8 * 20 * 24
    load_volume(path, limits=Limits(max_bytes=8 * voxels))
    with pytest.raises(VolumeLimitError):
        load_volume(path, limits=Limits(max_bytes=7 * voxels))


def test_budget_counts_the_dicom_float_fallback(tmp_path: Path) -> None:
    # Integral slope 100: int16 is chosen from the header, the values do not fit, a float32
    # copy is made beside the int16 array (6 B/voxel).
    folder = tmp_path / "s"
    folder.mkdir()
    for k in range(3):
        ds = ct_slice_dataset(np.full((8, 9), 1000, np.int16), position=(0, 0, k), slope=100.0)
        ds.InstanceNumber = k + 1
        ds.save_as(folder / f"{k}.dcm", enforce_file_format=True)
    voxels = 3 * 8 * 9
    assert load_volume(folder, limits=Limits(max_bytes=6 * voxels)).hu.max() == 100_000
    with pytest.raises(VolumeLimitError):
        load_volume(folder, limits=Limits(max_bytes=5 * voxels))


def test_dicom_float_overflow_after_rescale_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "s"
    write_series(folder, display_volume((2, 8, 9)))
    for p in folder.iterdir():
        ds = pydicom.dcmread(p)
        ds.RescaleSlope = "1e300"
        ds.save_as(p)
    with pytest.raises(LoadError, match="overflow|NaN or infinite"):
        load_volume(folder)


# ------------------------------------------------------------------ models and states
def _model_refused(build, tmp_path: Path, *words: str) -> None:
    from liversynth.checkpoint import load_model

    path = build(tmp_path)
    start = time.perf_counter()
    with pytest.raises(ModelFileError) as err:
        load_model(path)
    assert time.perf_counter() - start < 5
    for word in (str(path), *words):
        assert word in str(err.value), str(err.value)


def test_absurd_num_downs_is_refused_instantly(tmp_path: Path) -> None:
    cfg = {"num_downs": 30, "crop_px": 2**30}  # consistent, absurd: was 98 s and 1.7 GB
    _model_refused(files.model("m.safetensors", **cfg), tmp_path, "at most")


def test_tiny_window_width_is_refused(tmp_path: Path) -> None:
    _model_refused(files.model("m.safetensors", window_width_hu=1e-300), tmp_path, "window_width")


def test_float64_weights_are_checked_after_the_cast(tmp_path: Path) -> None:
    _model_refused(files.model("m.safetensors", f64_value=1e300), tmp_path, "non-finite")


def test_fifo_model_is_refused(tmp_path: Path) -> None:
    _model_refused(vols.fifo("m.safetensors"), tmp_path, "FIFO")


@pytest.mark.parametrize(
    "build",
    [
        files.training_state("[]"),
        files.training_state(global_step="x"),
        files.training_state(optimizers=None),
        files.training_state(state={"nope": 1}),
        files.training_state(rng={"rng.python": np.frombuffer(b"[1, 2", np.uint8)}),
    ],
)
def test_training_state_readers_raise_only_model_file_errors(tmp_path: Path, build) -> None:
    from benchmarks.hostile_readers import read_training_state

    path = build(tmp_path)
    with pytest.raises(ModelFileError) as err:
        read_training_state(path)
    assert str(path) in str(err.value)


# ------------------------------------------------------------------ sessions and autosave
@pytest.mark.parametrize(
    "build",
    [
        files.session("[]"),
        files.session(slice_index="x"),
        files.session(window=None),
        files.session(window={"center_hu": 0, "width_hu": 1e-300}),
        files.session(stamp={"pose": {"centre_rc": "x"}}),
        files.session_corrupt_deflate,
        files.session(flag_bits=0x1),
        files.session(files.DEEP),
        files.session(mask=files._npy_header_only((40000, 40000))),
    ],
)
def test_session_readers_raise_only_load_errors(tmp_path: Path, build) -> None:
    from benchmarks.hostile_readers import read_session

    path = build(tmp_path)
    with pytest.raises(LoadError) as err:
        read_session(path)
    assert str(path) in str(err.value)


def test_fifo_lock_does_not_block_recovery(tmp_path: Path) -> None:
    from liversynth.authoring.autosave import find_recoverable

    root = files.autosave(fifo_lock=True)(tmp_path)
    assert find_recoverable(root, is_alive=lambda pid, host: False) == []
    os.unlink(next(root.glob("*.lock")))
