"""Real DICOM in, synthetic item out (DICOM + SEG, NIfTI, nnU-Net): the tumour label lies on the
changed voxels in patient coordinates, read back with pydicom, SimpleITK and nibabel only."""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np
import pydicom
import pytest
from scipy import ndimage

from liversynth.geometry import lps_to_index
from liversynth.io import load_case
from liversynth.volume import LIVER, Case
from model_training.synthesis.command import build_filler
from model_training.synthesis.context import build_context
from model_training.synthesis.item import make_item
from model_training.synthesis.writing import write_item

pytestmark = [pytest.mark.realdata, pytest.mark.slow]
BAND_PX = 3


def _around_liver(case: Case, slices: int) -> Case:
    """A few slices through the liver's middle, cropped in-plane to the liver (+ 20 px)."""
    assert case.labels is not None
    zs, ys, xs = np.nonzero(case.labels == LIVER)
    zc = int(np.median(zs))
    z0 = max(0, zc - slices // 2)
    y0, y1 = max(0, ys.min() - 20), min(case.labels.shape[1], ys.max() + 21)
    x0, x1 = max(0, xs.min() - 20), min(case.labels.shape[2], xs.max() + 21)
    return case.cropped(z=(z0, z0 + slices), y=(int(y0), int(y1)), x=(int(x0), int(x1)))


@pytest.fixture(scope="module", params=["totalseg", "ircad17"])
def source(request: pytest.FixtureRequest, shared_data: Path) -> Case:
    if request.param == "totalseg":
        root = shared_data / "totalsegmentator-example"
        if not root.is_dir():
            pytest.skip(f"{root} is absent")
        # A JPEG 2000 series far from the origin (ImagePositionPatient -249, -437, -804 mm).
        case = load_case(
            root / "example_ct_dicom",
            labels=root / "example_seg_dicom.nii.gz",
            mapping={5: LIVER},
        )
        return _around_liver(case, 12)
    root = shared_data / "3Dircadb1.7"
    if not root.is_dir():
        pytest.skip(f"{root} is absent")
    return _around_liver(load_case(root), 12)


def _grid_indices(source: Case, points_lps: np.ndarray) -> tuple[np.ndarray, ...]:
    """Display indices of the source of LPS points that must be voxel centres of its grid."""
    idx = lps_to_index(source.volume.affine_lps, points_lps)
    assert np.abs(idx - np.round(idx)).max() < 1e-3, "output voxels are off the source grid"
    idx = np.round(idx).astype(int)
    assert (idx >= 0).all() and (idx < source.volume.shape).all(), "outside the source"
    return idx[:, 0], idx[:, 1], idx[:, 2]


def _check(source: Case, tumour_lps: np.ndarray, voxels_lps: np.ndarray, values: np.ndarray):
    """``tumour_lps``: points of the tumour label; ``voxels_lps``/``values``: every output
    voxel and its HU. The tumour lies on the changed voxels, nothing else changed."""
    shape = source.volume.shape
    tumour = np.zeros(shape, bool)
    tumour[_grid_indices(source, tumour_lps)] = True
    where = _grid_indices(source, voxels_lps)
    changed = np.zeros(shape, bool)
    changed[where] = values != source.volume.hu[where]
    assert tumour.sum() > 20
    assert changed[tumour].mean() > 0.9
    near = np.stack([ndimage.distance_transform_edt(~t) <= BAND_PX for t in tumour])
    assert not (changed & ~near).any()


def _nifti_points(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Every voxel of a NIfTI as LPS points (nibabel's RAS affine, x and y negated), values."""
    img = nib.load(path)
    data = np.asarray(img.dataobj)
    ijk = np.indices(data.shape).reshape(3, -1).T
    ras = ijk @ img.affine[:3, :3].T + img.affine[:3, 3]
    return ras * [-1.0, -1.0, 1.0], data.reshape(-1)


def _check_nifti(source: Case, image: Path, label: Path) -> None:
    points, values = _nifti_points(image)
    label_points, label_values = _nifti_points(label)
    _check(source, label_points[label_values == 2], points, values)


@pytest.fixture(scope="module")
def item(source: Case):
    ctx = build_context([source], None, None, margin_mm=2.0, vessel_hu="auto")
    filler = build_filler("procedural", bank_path=None, model=None)
    return make_item(ctx, filler, 0, 0, volume=True)


def _provenance(item) -> dict:
    return {"source": item.scan.name, "filler": "procedural", "seed": 0}


def test_dicom_series_and_seg_lie_on_the_source(item, source: Case, tmp_path: Path) -> None:
    sitk = pytest.importorskip("SimpleITK", reason="SimpleITK is in the test extra")
    files = write_item(item, tmp_path, "dicom", _provenance(item))
    assert "item_00000_seg.dcm" in files
    # The synthetic CT through SimpleITK: every voxel's physical point and value.
    reader = sitk.ImageSeriesReader()
    reader.SetFileNames(reader.GetGDCMSeriesFileNames(str(tmp_path / "item_00000")))
    image = reader.Execute()
    array = sitk.GetArrayFromImage(image)  # (k, j, i)
    kji = np.indices(array.shape).reshape(3, -1).T
    ijk = kji[:, ::-1].astype(float)
    matrix = np.asarray(image.GetDirection()).reshape(3, 3) * np.asarray(image.GetSpacing())
    points = ijk @ matrix.T + np.asarray(image.GetOrigin())
    # The tumour segment through pydicom: each frame's own plane position.
    seg = pydicom.dcmread(tmp_path / "item_00000_seg.dcm")
    shared = seg.SharedFunctionalGroupsSequence[0]
    iop = np.asarray(shared.PlaneOrientationSequence[0].ImageOrientationPatient, float)
    dy, dx = (float(v) for v in shared.PixelMeasuresSequence[0].PixelSpacing)
    labels = {s.SegmentNumber: s.SegmentLabel for s in seg.SegmentSequence}
    frames = seg.pixel_array.reshape(-1, seg.Rows, seg.Columns)
    tumour = []
    for frame, per_frame in zip(frames, seg.PerFrameFunctionalGroupsSequence, strict=True):
        number = per_frame.SegmentIdentificationSequence[0].ReferencedSegmentNumber
        if labels[number] != "tumour":
            continue
        origin = np.asarray(per_frame.PlanePositionSequence[0].ImagePositionPatient, float)
        rows, cols = np.nonzero(frame)
        tumour.append(origin + np.outer(cols * dx, iop[:3]) + np.outer(rows * dy, iop[3:]))
    _check(source, np.concatenate(tumour), points, array.reshape(-1))
    # The label NIfTI written beside the series lies on it too.
    label_points, label_values = _nifti_points(tmp_path / "item_00000_label.nii.gz")
    _check(source, label_points[label_values == 2], points, array.reshape(-1))


# 3Dircadb1.7 (its series sits at the origin) runs the DICOM + SEG test only, to keep CI short.
@pytest.mark.parametrize("source", ["totalseg"], indirect=True)
def test_nifti_item_lies_on_the_source(item, source: Case, tmp_path: Path) -> None:
    write_item(item, tmp_path, "nifti", _provenance(item))
    _check_nifti(source, tmp_path / "item_00000.nii.gz", tmp_path / "item_00000_label.nii.gz")


@pytest.mark.parametrize("source", ["totalseg"], indirect=True)
def test_nnunet_item_lies_on_the_source(item, source: Case, tmp_path: Path) -> None:
    write_item(item, tmp_path, "nnunet", _provenance(item))
    _check_nifti(
        source,
        tmp_path / "imagesTr" / "synth_00000_0000.nii.gz",
        tmp_path / "labelsTr" / "synth_00000.nii.gz",
    )
