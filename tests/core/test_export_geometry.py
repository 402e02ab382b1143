"""Exports keep the source's patient space: DICOM series + SEG, NIfTI voxel order, dciodvfy."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import nibabel as nib
import numpy as np
import pydicom
import pytest

from liversynth.export.dicom import export_dicom_series
from liversynth.export.dicom_seg import export_dicom_seg
from liversynth.export.nifti import save_nifti_with_labels
from liversynth.geometry import lps_to_index
from liversynth.io import load_volume

SPACING = (2.0, 0.8, 0.7)
PROVENANCE = {"source": "case1", "filler": "procedural", "seed": 3}


def _oblique_affine() -> np.ndarray:
    """A display grid with a 10 degree gantry tilt, far from the origin."""
    c, s = np.cos(np.radians(10)), np.sin(np.radians(10))
    col_dir = np.array([1.0, 0.0, 0.0])  # x index -> patient's left
    row_dir = np.array([0.0, c, s])  # y index -> posterior, tilted up
    slice_dir = np.cross(col_dir, row_dir)  # right-handed
    affine = np.eye(4)
    affine[:3, 0] = slice_dir * SPACING[0]
    affine[:3, 1] = row_dir * SPACING[1]
    affine[:3, 2] = col_dir * SPACING[2]
    affine[:3, 3] = (120.0, -60.0, 300.0)
    return affine


def _case() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    hu = rng.integers(-200, 300, (5, 24, 30)).astype(np.int16)
    labels = np.zeros(hu.shape, np.uint8)
    labels[:, 4:20, 5:25] = 1
    labels[1:4, 8:14, 10:16] = 2
    return hu, labels


def test_dicom_series_keeps_an_oblique_position(tmp_path: Path) -> None:
    hu, _ = _case()
    affine = _oblique_affine()
    paths = export_dicom_series(
        hu, SPACING, tmp_path / "s", provenance=PROVENANCE, affine_lps=affine
    )
    first = pydicom.dcmread(paths[0])
    np.testing.assert_allclose([float(v) for v in first.ImagePositionPatient], affine[:3, 3])
    np.testing.assert_allclose(
        [float(v) for v in first.ImageOrientationPatient],
        [*(affine[:3, 2] / SPACING[2]), *(affine[:3, 1] / SPACING[1])],
        atol=1e-9,
    )
    back = load_volume(tmp_path / "s")
    np.testing.assert_allclose(back.affine_lps, affine, atol=1e-6)
    np.testing.assert_array_equal(back.hu, hu)
    for zyx in [(0, 0, 0), (4, 23, 29), (2, 10, 7)]:
        lps = affine[:3, :3] @ zyx + affine[:3, 3]
        z, y, x = np.round(lps_to_index(back.affine_lps, lps)).astype(int)
        assert back.hu[z, y, x] == hu[zyx]


def test_seg_references_the_series_and_lies_on_it(tmp_path: Path) -> None:
    sitk = pytest.importorskip("SimpleITK", reason="SimpleITK is in the test extra")
    hd = pytest.importorskip("highdicom")
    hu, labels = _case()
    affine = _oblique_affine()
    series = export_dicom_series(
        hu, SPACING, tmp_path / "s", provenance=PROVENANCE, affine_lps=affine
    )
    seg_path = export_dicom_seg(labels, series, tmp_path / "s_seg.dcm", provenance=PROVENANCE)
    ct = pydicom.dcmread(series[0])
    seg = hd.seg.segread(seg_path)
    assert seg.Modality == "SEG" and "SYNTHETIC" in seg.SeriesDescription
    assert seg.FrameOfReferenceUID == ct.FrameOfReferenceUID
    assert seg.StudyInstanceUID == ct.StudyInstanceUID
    assert seg.ReferencedSeriesSequence[0].SeriesInstanceUID == ct.SeriesInstanceUID
    assert [d.SegmentLabel for d in seg.SegmentSequence] == ["liver", "tumour"]
    # Tumour frames, placed by their own plane positions, through SimpleITK's image of the CT.
    reader = sitk.ImageSeriesReader()
    reader.SetFileNames([str(p) for p in series])
    image = reader.Execute()
    ct_array = sitk.GetArrayViewFromImage(image)
    raw = pydicom.dcmread(seg_path)
    frames = raw.pixel_array.reshape(-1, raw.Rows, raw.Columns)
    row_dir = np.asarray(
        raw.SharedFunctionalGroupsSequence[0]
        .PlaneOrientationSequence[0]
        .ImageOrientationPatient[:3],
        float,
    )
    col_dir = np.asarray(
        raw.SharedFunctionalGroupsSequence[0]
        .PlaneOrientationSequence[0]
        .ImageOrientationPatient[3:],
        float,
    )
    dy, dx = (
        float(v)
        for v in raw.SharedFunctionalGroupsSequence[0].PixelMeasuresSequence[0].PixelSpacing
    )
    found = np.zeros(hu.shape, bool)
    for frame, item in zip(frames, raw.PerFrameFunctionalGroupsSequence, strict=True):
        if item.SegmentIdentificationSequence[0].ReferencedSegmentNumber != 2:
            continue
        origin = np.asarray(item.PlanePositionSequence[0].ImagePositionPatient, float)
        for r, c in zip(*np.nonzero(frame), strict=True):
            point = origin + c * dx * row_dir + r * dy * col_dir
            i, j, k = image.TransformPhysicalPointToIndex(point.tolist())
            # SimpleITK's (i, j, k) is (column, row, slice); here slice k is display slice k.
            assert ct_array[k, j, i] == hu[k, j, i]
            found[k, j, i] = True
    np.testing.assert_array_equal(found, labels == 2)


def test_nifti_export_is_synthetic_in_the_source_voxel_order(tmp_path: Path) -> None:
    hu, labels = _case()
    affine = _oblique_affine()
    image, label, _side = save_nifti_with_labels(
        hu,
        labels,
        SPACING,
        tmp_path / "i.nii.gz",
        tmp_path / "l.nii.gz",
        PROVENANCE,
        affine_lps=affine,
        voxel_order="LAS",
    )
    for path in (image, label):
        img = nib.load(path)
        assert "".join(nib.aff2axcodes(img.affine)) == "LAS"
        assert bytes(img.header["descrip"]).rstrip(b"\0") == b"SYNTHETIC LiverSynth procedural"
        np.testing.assert_allclose(load_volume(path).affine_lps, affine, atol=1e-4)


@pytest.mark.skipif(shutil.which("dciodvfy") is None, reason="dciodvfy (dicom3tools) absent")
def test_dciodvfy_reports_no_error_on_the_series_and_the_seg(tmp_path: Path) -> None:
    hu, labels = _case()
    series = export_dicom_series(
        hu, SPACING, tmp_path / "s", provenance=PROVENANCE, affine_lps=_oblique_affine()
    )
    seg = export_dicom_seg(labels, series, tmp_path / "s_seg.dcm", provenance=PROVENANCE)
    for path in (series[0], series[-1], seg):
        run = subprocess.run(["dciodvfy", str(path)], capture_output=True, text=True, timeout=60)
        report = run.stdout + run.stderr
        assert "Error" not in report, report
        assert ("CTImage" if path != seg else "Segmentation") in report
