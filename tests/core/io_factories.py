"""Tiny self-made CT files for the io tests (DICOM series, NIfTI in any orientation).

Written independently of ``liversynth.io`` (pydicom / nibabel directly) so that the loader
is checked against the formats, not against itself.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import nibabel as nib
import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, MRImageStorage, generate_uid

from liversynth.typing import SpacingZYX

MODALITY_SOP = {"CT": CTImageStorage, "MR": MRImageStorage}


def display_volume(shape: tuple[int, int, int] = (6, 20, 24), seed: int = 0) -> np.ndarray:
    """An asymmetric int16 HU volume (z, y, x): every flip or transpose changes it."""
    rng = np.random.default_rng(seed)
    vol = rng.integers(-1000, 1500, size=shape, dtype=np.int16)
    vol[0, 0, 0] = 3000  # a marker in the (inferior, anterior, right) corner
    return vol


def ct_slice_dataset(
    pixels: np.ndarray,
    *,
    position: tuple[float, float, float] | None,
    orientation: tuple[float, ...] | None = (1, 0, 0, 0, 1, 0),
    spacing_rc: tuple[float, float] = (0.8, 0.7),
    instance: int | None = 1,
    series_uid: str = "1.2.3.4",
    modality: str = "CT",
    slope: float = 1.0,
    intercept: float = 0.0,
    description: str = "test series",
    with_pixels: bool = True,
) -> Dataset:
    """One single-frame DICOM slice (Explicit VR Little Endian, 16-bit)."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = MODALITY_SOP.get(modality, CTImageStorage)
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = modality
    ds.PatientName = "Test^Patient"
    ds.PatientID = "ID-123"
    ds.StudyInstanceUID = "1.2.3"
    ds.SeriesInstanceUID = series_uid
    ds.SeriesDescription = description
    ds.Rows, ds.Columns = (int(s) for s in pixels.shape)
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = 16
    ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 1 if pixels.dtype == np.int16 else 0
    if position is not None:
        ds.ImagePositionPatient = [float(p) for p in position]
    if orientation is not None:
        ds.ImageOrientationPatient = [float(o) for o in orientation]
    ds.PixelSpacing = [float(spacing_rc[0]), float(spacing_rc[1])]
    ds.SliceThickness = 2.5
    if instance is not None:
        ds.InstanceNumber = instance
    ds.RescaleSlope = slope
    ds.RescaleIntercept = intercept
    if with_pixels:
        ds.PixelData = np.ascontiguousarray(pixels).tobytes()
    return ds


def write_series(
    folder: Path,
    display_zyx: np.ndarray,
    spacing_zyx: SpacingZYX = (2.5, 0.8, 0.7),
    *,
    flipped_inplane: bool = False,
    instances_descending: bool = False,
    with_positions: bool = True,
    intercept: float = 0.0,
    series_uid: str = "1.2.3.4",
    modality: str = "CT",
    seed: int = 0,
) -> list[Path]:
    """Write a display-oriented volume as a DICOM series with shuffled file names.

    Args:
        flipped_inplane: store slices rotated 180° (IOP -1,0,0,0,-1,0), positions adjusted.
        instances_descending: InstanceNumber decreases from feet to head.
        with_positions: omit ImagePositionPatient/Orientation (InstanceNumber sorting).
        intercept: store ``hu - intercept`` as uint16 with this RescaleIntercept.
    """
    folder.mkdir(parents=True, exist_ok=True)
    nz, ny, nx = display_zyx.shape
    sz, sy, sx = spacing_zyx
    origin = np.array([-100.0, -80.0, 40.0])
    order = np.random.default_rng(seed).permutation(nz)
    paths = []
    for file_index, k in enumerate(order):
        plane = display_zyx[k]
        pos = origin + np.array([0.0, 0.0, k * sz])
        orient: tuple[float, ...] = (1, 0, 0, 0, 1, 0)
        if flipped_inplane:
            plane = plane[::-1, ::-1]
            pos = pos + np.array([(nx - 1) * sx, (ny - 1) * sy, 0.0])
            orient = (-1, 0, 0, 0, -1, 0)
        stored = plane.astype(np.int32) - int(intercept)
        pixels = stored.astype(np.uint16 if intercept else np.int16)
        instance = int(nz - k if instances_descending else k + 1)
        ds = ct_slice_dataset(
            pixels,
            position=tuple(pos) if with_positions else None,
            orientation=orient if with_positions else None,
            spacing_rc=(sy, sx),
            instance=instance,
            series_uid=series_uid,
            modality=modality,
            intercept=intercept,
        )
        path = folder / f"slice_{file_index:03d}.dcm"
        ds.save_as(path, enforce_file_format=True)
        paths.append(path)
    return paths


def zip_folder(folder: Path, archive: Path, arcname_root: str | None = None) -> Path:
    """Zip ``folder`` (recursively) with member names under ``arcname_root/``."""
    root = arcname_root if arcname_root is not None else folder.name
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, f"{root}/{path.relative_to(folder).as_posix()}")
    return archive


def display_to_nifti(
    path: Path,
    display_zyx: np.ndarray,
    spacing_zyx: SpacingZYX = (2.5, 0.8, 0.7),
    axcodes: str = "RAS",
    *,
    dtype: type | None = None,
    slope: float | None = None,
    intercept: float | None = None,
    origin_lps: tuple[float, float, float] = (0.0, 0.0, 0.0),
) -> Path:
    """Write a display volume as NIfTI whose voxel axes follow ``axcodes`` (built by hand).

    Supported codes: any permutation of one of L/R, one of A/P, one of S/I. ``origin_lps`` is
    the DICOM LPS position (mm) of display voxel ``(0, 0, 0)`` whatever the voxel order.
    """
    sz, sy, sx = spacing_zyx
    nz, ny, nx = display_zyx.shape
    # Display voxel axes (x, y, z) point L, P, S; world RAS vectors of one step along each:
    display_axes = {
        "x": np.array([-sx, 0, 0]),
        "y": np.array([0, -sy, 0]),
        "z": np.array([0, 0, sz]),
    }
    sizes = {"x": nx, "y": ny, "z": nz}
    data = display_zyx.T  # (x, y, z)
    names = ["x", "y", "z"]
    code_axis = {
        "L": ("x", 1),
        "R": ("x", -1),
        "P": ("y", 1),
        "A": ("y", -1),
        "S": ("z", 1),
        "I": ("z", -1),
    }
    columns = []
    origin = np.array([-origin_lps[0], -origin_lps[1], origin_lps[2]], dtype=np.float64)
    order = []
    for code in axcodes:
        axis, sign = code_axis[code]
        order.append(names.index(axis))
        columns.append(display_axes[axis] * sign)
        if sign < 0:
            origin = origin + display_axes[axis] * (sizes[axis] - 1)
    moved = data
    for code in axcodes:
        axis, sign = code_axis[code]
        if sign < 0:
            moved = np.flip(moved, axis=names.index(axis))
    moved = np.transpose(moved, order)
    affine = np.eye(4)
    affine[:3, :3] = np.stack(columns, axis=1)
    affine[:3, 3] = origin
    arr = np.ascontiguousarray(moved).astype(dtype or moved.dtype)
    img = nib.Nifti1Image(arr, affine)
    nib.save(img, path)
    if slope is not None or intercept is not None:
        set_header_field(path, 112, "<f4", slope if slope is not None else 1.0)
        set_header_field(path, 116, "<f4", intercept or 0.0)
    return path


def set_header_field(path: Path, offset: int, dtype: str, value: float) -> None:
    """Overwrite one field of an uncompressed NIfTI-1 header in place (raw bytes)."""
    data = bytearray(path.read_bytes())
    data[offset : offset + np.dtype(dtype).itemsize] = np.array(value, dtype=dtype).tobytes()
    path.write_bytes(bytes(data))
