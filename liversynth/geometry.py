"""Patient-space geometry of a display-oriented volume: the one place that defines it.

Conventions (see also ``docs/notes/geometry.md``):

* **Display indices** ``(z, y, x)``: the array order of :class:`liversynth.volume.Volume`.
  Row 0 is the patient's anterior side, column 0 the patient's right, z grows from feet
  to head. For an oblique scan "anterior" etc. mean "closest to".
* **World** coordinates are **DICOM LPS** millimetres: +x towards the patient's Left,
  +y Posterior, +z Superior. NIfTI files are RAS+ (x and y negated); the conversion happens
  at the NIfTI boundary only.
* ``affine_lps`` is a 4x4 matrix with ``(x, y, z, 1)_LPS = affine_lps @ (z, y, x, 1)``:
  column 0 is one step along z (one slice), column 1 one row, column 2 one column, and
  column 3 the LPS position of the *centre* of voxel ``(0, 0, 0)`` (DICOM's
  ImagePositionPatient of the first displayed slice; nibabel's voxel-centre convention).
* ``affine_ras_xyz`` is the NIfTI-style matrix of the same grid: ``(x, y, z, 1)_RAS =
  affine_ras_xyz @ (x, y, z, 1)`` with the *display* index order reversed to ``(x, y, z)``
  (a NIfTI image's ``(i, j, k)``); ``affine_ras_xyz = LPS_TO_RAS @ affine_lps @ ZYX_XYZ``.

Where a volume's geometry comes from:

* NIfTI: the header's best affine (sform, else qform), RAS, moved into display order with
  nibabel's orientation tools; the file's own voxel order is kept as axis codes
  (``Volume.source_axcodes``, e.g. ``"LAS"``) so exports can be written in it again.
* DICOM series: ImageOrientationPatient (row/column cosines), PixelSpacing, the
  ImagePositionPatient of the first slice along the slice normal and the mean step between
  slice positions; LPS as stored.
* Single DICOM file: the same with one slice (slice step = SpacingBetweenSlices or
  SliceThickness).
* NumPy ``.npy``/``.npz`` and anything without a position (the phantom, a slice built in
  memory): :func:`default_affine_lps` – axes along L, P, S with the voxel size, origin at
  0 mm unless given (the phantom centres itself on the origin).

Every derived grid keeps its place: a crop shifts the origin by ``affine_lps @ (z0, y0, x0,
0)`` (:func:`crop_affine_lps`), a display reorientation composes nibabel's orientation
transform (:mod:`liversynth.io.orientation`), and a resampling would scale the columns.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from liversynth.typing import SpacingZYX

#: LPS world <-> RAS world (negate x and y); its own inverse.
LPS_TO_RAS = np.diag([-1.0, -1.0, 1.0, 1.0])
#: Swaps index order (z, y, x, 1) <-> (x, y, z, 1); its own inverse.
ZYX_XYZ = np.array(
    [[0.0, 0.0, 1.0, 0.0], [0.0, 1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0]]
)
#: Axis codes (nibabel's: the RAS+ direction an index grows towards) of the display (x, y, z).
DISPLAY_AXCODES = ("L", "P", "S")


def default_affine_lps(
    spacing_mm: Sequence[float], origin_lps_mm: Sequence[float] = (0.0, 0.0, 0.0)
) -> np.ndarray:
    """The affine of a display grid with no recorded position.

    Args:
        spacing_mm: voxel size ``(z, y, x)`` in mm.
        origin_lps_mm: LPS position ``(x, y, z)`` of voxel ``(0, 0, 0)``.

    Example:
        >>> default_affine_lps((2.5, 0.8, 0.7)) @ [1, 0, 2, 1]
        array([1.4, 0. , 2.5, 1. ])
    """
    sz, sy, sx = (float(s) for s in spacing_mm)
    affine = np.zeros((4, 4))
    affine[2, 0] = sz  # z index -> superior
    affine[1, 1] = sy  # row index -> posterior
    affine[0, 2] = sx  # column index -> patient's left
    affine[:3, 3] = [float(v) for v in origin_lps_mm]
    affine[3, 3] = 1.0
    return affine


def centred_affine_lps(shape_zyx: Sequence[int], spacing_mm: Sequence[float]) -> np.ndarray:
    """A display grid centred on the LPS origin (for volumes made in memory, e.g. the phantom)."""
    half = [(int(n) - 1) * float(s) / 2.0 for n, s in zip(shape_zyx, spacing_mm, strict=True)]
    return default_affine_lps(spacing_mm, (-half[2], -half[1], -half[0]))


def lps_from_ras_xyz(affine_ras_xyz: np.ndarray) -> np.ndarray:
    """``affine_lps`` of a display grid from its NIfTI-style RAS ``(x, y, z)`` affine."""
    return LPS_TO_RAS @ np.asarray(affine_ras_xyz, dtype=np.float64) @ ZYX_XYZ


def ras_xyz_from_lps(affine_lps: np.ndarray) -> np.ndarray:
    """The NIfTI-style RAS ``(x, y, z)`` affine of a display grid from its ``affine_lps``."""
    return LPS_TO_RAS @ np.asarray(affine_lps, dtype=np.float64) @ ZYX_XYZ


def spacing_of(affine_lps: np.ndarray) -> SpacingZYX:
    """Voxel size ``(z, y, x)`` in mm: the lengths of the first three columns."""
    norms = np.linalg.norm(np.asarray(affine_lps, dtype=np.float64)[:3, :3], axis=0)
    return (float(norms[0]), float(norms[1]), float(norms[2]))


def check_affine_lps(
    affine_lps: np.ndarray, spacing_mm: Sequence[float] | None = None
) -> np.ndarray:
    """Return ``affine_lps`` as a float64 4x4 copy after checking it is a usable grid.

    Raises:
        ValueError: wrong shape, non-finite entries, singular matrix, a last row other than
            ``(0, 0, 0, 1)``, or column lengths that disagree with ``spacing_mm``.
    """
    affine = np.array(affine_lps, dtype=np.float64)
    if affine.shape != (4, 4) or not np.all(np.isfinite(affine)):
        raise ValueError(f"affine_lps must be a finite 4x4 matrix, got shape {affine.shape}")
    if not np.allclose(affine[3], [0.0, 0.0, 0.0, 1.0]):
        raise ValueError(f"affine_lps last row must be (0, 0, 0, 1), got {affine[3].tolist()}")
    if abs(np.linalg.det(affine[:3, :3])) <= 1e-12:
        raise ValueError("affine_lps is singular (zero voxel size or parallel axes)")
    if spacing_mm is not None and not np.allclose(
        spacing_of(affine), [float(s) for s in spacing_mm], rtol=1e-3, atol=1e-6
    ):
        raise ValueError(
            f"affine_lps voxel size {spacing_of(affine)} disagrees with spacing_mm "
            f"{tuple(float(s) for s in spacing_mm)}"
        )
    return affine


def index_to_lps(affine_lps: np.ndarray, zyx: np.ndarray | Sequence[float]) -> np.ndarray:
    """LPS positions ``(..., 3)`` as ``(x, y, z)`` mm of display indices ``(..., 3)`` as ``(z, y, x)``."""
    idx = np.asarray(zyx, dtype=np.float64)
    affine = np.asarray(affine_lps, dtype=np.float64)
    return idx @ affine[:3, :3].T + affine[:3, 3]


def lps_to_index(affine_lps: np.ndarray, xyz_lps_mm: np.ndarray | Sequence[float]) -> np.ndarray:
    """Continuous display indices ``(..., 3)`` as ``(z, y, x)`` of LPS points ``(..., 3)``."""
    inverse = np.linalg.inv(np.asarray(affine_lps, dtype=np.float64))
    pts = np.asarray(xyz_lps_mm, dtype=np.float64)
    return pts @ inverse[:3, :3].T + inverse[:3, 3]


def crop_affine_lps(affine_lps: np.ndarray, start_zyx: Sequence[int]) -> np.ndarray:
    """The affine of a sub-grid whose voxel ``(0, 0, 0)`` is ``start_zyx`` of the original."""
    affine = np.array(affine_lps, dtype=np.float64)
    affine[:3, 3] = index_to_lps(affine, [float(v) for v in start_zyx])
    return affine


def axial_direction_cosines(affine_lps: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unit vectors (LPS) along a display row (x index), a column (y index) and the slices (z).

    The first two are DICOM's ImageOrientationPatient of a displayed slice.
    """
    affine = np.asarray(affine_lps, dtype=np.float64)
    cols = [affine[:3, i] / np.linalg.norm(affine[:3, i]) for i in (2, 1, 0)]
    return cols[0], cols[1], cols[2]
