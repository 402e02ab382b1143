"""``load_labels``: any supported segmentation → uint8 0/1/2 on a volume's grid.

Sources: LiTS / MSD label NIfTI (0/1/2 already), 3D-IRCADb ``MASKS_DICOM`` folder or zip,
NumPy arrays, and arbitrary label ids through ``mapping`` (TotalSegmentator liver = 5 →
``{5: 1}``). Label files go through the same orientation normalisation as images, then must
match the volume's grid exactly.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from liversynth.errors import GridMismatchError, LoadError, UnmappedLabelsError
from liversynth.io.boundary import load_boundary
from liversynth.io.ircad_masks import is_ircad_masks, load_ircad_masks
from liversynth.io.limits import Limits
from liversynth.io.nifti import is_nifti, read_nifti_raw
from liversynth.io.numpy_io import read_numpy_array
from liversynth.io.orientation import spacing_zyx_mm, to_display
from liversynth.io.safe_files import require_file_or_folder
from liversynth.volume import Volume

VALID_LABELS = (0, 1, 2)
# Above this many distinct ids a lookup table would be wasteful; such files are not labels.
_MAX_LABEL_ID = 65535


def _ids(plane: np.ndarray, path: Path) -> np.ndarray:
    """One slice of stored ids as non-negative integers (refusing fractions/NaN/negatives)."""
    if plane.dtype.kind == "b":
        return plane.view(np.uint8)
    if plane.dtype.kind == "f":
        if not np.all(np.isfinite(plane)) or not np.array_equal(plane, np.round(plane)):
            raise LoadError(path, "label values must be whole numbers (found fractions or NaN)")
    if plane.size and (plane.min() < 0 or plane.max() > _MAX_LABEL_ID):
        raise LoadError(
            path, f"label ids {plane.min()}..{plane.max()} are outside 0..{_MAX_LABEL_ID}"
        )
    return plane if plane.dtype.kind == "u" else plane.astype(np.intp)


def _apply_mapping(raw: np.ndarray, mapping: dict[int, int] | None, path: Path) -> np.ndarray:
    """Map stored ids ``(z, y, x)`` to 0/1/2 (ids not in ``mapping`` → 0).

    Works slice by slice through a lookup table: fancy indexing converts indices to intp
    (8 bytes a voxel), so temporaries must stay one slice large.
    """
    lut = np.zeros(_MAX_LABEL_ID + 1, dtype=np.uint8)
    if mapping is None:
        lut[: len(VALID_LABELS)] = VALID_LABELS
    else:
        for src, dst in mapping.items():
            if int(dst) not in VALID_LABELS:
                raise ValueError(f"mapping target {dst} for id {src} must be 0, 1 or 2")
            if 0 <= int(src) <= _MAX_LABEL_ID:
                lut[int(src)] = int(dst)
    out = np.empty(raw.shape, dtype=np.uint8)
    unknown: set[int] = set()
    for k in range(raw.shape[0]):
        ids = _ids(raw[k], path)
        if mapping is None and len(unknown) < 10:
            extra = ids[ids > max(VALID_LABELS)]
            if extra.size:
                unknown.update(int(i) for i in np.unique(extra)[:10])
        out[k] = lut[ids]
    if unknown:
        raise UnmappedLabelsError(path, sorted(unknown)[:10])
    return out


def _check_grid(
    labels: np.ndarray, label_affine: np.ndarray | None, path: Path, like: Volume
) -> None:
    if labels.shape != like.hu.shape:
        raise GridMismatchError(
            path,
            f"labels shape {labels.shape} (from {path}) differs from image shape "
            f"{like.hu.shape} (from {like.source or 'the volume'})",
        )
    if label_affine is None:
        return
    like_affine = like.affine_ras
    spacing_ok = np.allclose(spacing_zyx_mm(label_affine), like.spacing_mm, rtol=1e-2)
    # Origins may differ by rounding in headers; half a voxel apart means another grid.
    tolerance = 0.5 * min(like.spacing_mm)
    origin_ok = np.linalg.norm(label_affine[:3, 3] - like_affine[:3, 3]) <= tolerance
    if not (spacing_ok and origin_ok):
        raise GridMismatchError(
            path,
            f"labels grid (spacing {spacing_zyx_mm(label_affine)} mm, origin "
            f"{np.round(label_affine[:3, 3], 2).tolist()}) differs from the image grid of "
            f"{like.source or 'the volume'} (spacing {like.spacing_mm} mm, origin "
            f"{np.round(like_affine[:3, 3], 2).tolist()}), both of shape {like.hu.shape}",
        )


def load_labels(
    path: str | Path,
    like: Volume,
    *,
    mapping: dict[int, int] | None = None,
    limits: Limits | None = None,
    check_geometry: bool = True,
) -> np.ndarray:
    """Load a segmentation as uint8 0 background / 1 liver / 2 tumour on ``like``'s grid.

    Args:
        path: NIfTI label map, ``.npy``/``.npz`` (display-oriented ``(z, y, x)``), or an
            IRCAD ``MASKS_DICOM`` folder / ``MASKS_DICOM.zip``.
        like: the volume the labels belong to.
        mapping: stored id → 0/1/2 (ids not listed become 0), e.g. ``{5: 1}`` for
            TotalSegmentator. Without it, stored ids must already be 0/1/2.
        limits: size bounds, as for :func:`load_volume`.
        check_geometry: also compare voxel size and origin (not only the shape) when both
            files carry a position; turn off only for label files with broken headers.

    Returns:
        ``uint8`` array with ``like.hu.shape``.

    Raises:
        GridMismatchError: shapes (or spacing/origin) differ; names both files and shapes.
        LoadError: unreadable file, ids other than 0/1/2 without a mapping, bad values.
    """
    path = Path(path)
    with load_boundary(path, "cannot load labels"):
        require_file_or_folder(path)  # before anything opens it: a FIFO would block
        if is_ircad_masks(path):
            labels, affine, _used = load_ircad_masks(path, limits)
            if mapping is not None:
                labels = _apply_mapping(labels, mapping, path)
        elif is_nifti(path):
            raw = read_nifti_raw(path, limits)
            if raw.slope != 1.0 or raw.inter != 0.0:
                data = raw.data_zyx.astype(np.float64) * raw.slope + raw.inter
            else:
                data = raw.data_zyx
            source_affine = raw.affine_ras
            del raw  # the stored ids are not needed once mapped
            labels = _apply_mapping(data, mapping, path)
            del data
            labels, affine = to_display(labels, source_affine, inplace=True)
        elif path.suffix.lower() in (".npy", ".npz"):
            data, _spacing = read_numpy_array(path, limits, key="labels")
            labels = _apply_mapping(data, mapping, path)
            affine = None
        else:
            raise LoadError(
                path, "unsupported labels (expected .nii/.nii.gz, .npy/.npz or MASKS_DICOM[.zip])"
            )
        labels = np.ascontiguousarray(labels, dtype=np.uint8)
        if not check_geometry:
            affine = None
        _check_grid(labels, affine, path, like)
        return labels
