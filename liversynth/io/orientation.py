"""Orientation normalisation: any affine-described grid → radiological display order.

Every function returns the moved grid's affine with the moved array, so the patient position
survives the reordering (conventions: :mod:`liversynth.geometry`).

The display array is indexed ``(z, y, x)``: row 0 is the patient's anterior side, column 0
the patient's right, and z grows from feet to head. In nibabel's axis codes (which name the
direction an index *increases* towards, in RAS+ world space) the voxel axes ``(x, y, z)``
of that array are ``("L", "P", "S")`` — DICOM's native LPS axial order. NIfTI (RAS+ affine)
and DICOM (LPS geometry converted to RAS) go through the same code here, so the same scan
gives the same array from either format.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from nibabel.orientations import (
    aff2axcodes,
    apply_orientation,
    axcodes2ornt,
    inv_ornt_aff,
    io_orientation,
    ornt_transform,
)

from liversynth.errors import LoadError
from liversynth.geometry import DISPLAY_AXCODES, default_affine_lps, ras_xyz_from_lps
from liversynth.typing import SpacingZYX


def validate_affine(affine: np.ndarray, path: str | Path) -> np.ndarray:
    """Return ``affine`` as a float64 4x4 after checking it describes a usable grid.

    Raises:
        LoadError: non-finite entries, or a zero/negative voxel size (singular matrix).
    """
    aff = np.asarray(affine, dtype=np.float64)
    if aff.shape != (4, 4) or not np.all(np.isfinite(aff)):
        raise LoadError(path, "the voxel-to-world affine contains NaN or infinite values")
    zooms = np.linalg.norm(aff[:3, :3], axis=0)
    if np.any(zooms <= 1e-6) or abs(np.linalg.det(aff[:3, :3])) <= 1e-12:
        raise LoadError(
            path, f"zero or degenerate voxel spacing {tuple(float(z) for z in zooms)} mm"
        )
    return aff


def spacing_zyx_mm(affine: np.ndarray) -> SpacingZYX:
    """Voxel size ``(z, y, x)`` in mm from a 4x4 affine whose columns are ``(x, y, z)``."""
    zooms = np.linalg.norm(np.asarray(affine, dtype=np.float64)[:3, :3], axis=0)
    return (float(zooms[2]), float(zooms[1]), float(zooms[0]))


def axcodes_of(affine: np.ndarray) -> str:
    """Orientation codes of an affine's voxel axes, e.g. ``"RAS"`` or ``"LAS"``."""
    return "".join(str(c) for c in aff2axcodes(affine))


def _display_transform(affine_ras: np.ndarray) -> np.ndarray:
    return ornt_transform(io_orientation(affine_ras), axcodes2ornt(DISPLAY_AXCODES))


def _flip_inplace(arr_zyx: np.ndarray, flip_z: bool, flip_y: bool, flip_x: bool) -> None:
    """Flip axes of a C-contiguous array in place with one slice of temporary memory."""
    if flip_y or flip_x:
        rows = slice(None, None, -1) if flip_y else slice(None)
        cols = slice(None, None, -1) if flip_x else slice(None)
        for k in range(arr_zyx.shape[0]):
            plane = arr_zyx[k]
            plane[...] = plane[rows, cols].copy()
    if flip_z:
        n = arr_zyx.shape[0]
        for k in range(n // 2):
            top = arr_zyx[k].copy()
            arr_zyx[k] = arr_zyx[n - 1 - k]
            arr_zyx[n - 1 - k] = top


def display_needs_copy(affine_ras: np.ndarray) -> bool:
    """Whether :func:`to_display` must copy the array (axes permuted), not only flip it.

    Loaders budget one more output-sized array when this is true.
    """
    perm = _display_transform(affine_ras)[:, 0].astype(int)
    return not np.array_equal(perm, [0, 1, 2])


def to_display(
    arr_zyx: np.ndarray, affine_ras: np.ndarray, *, inplace: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Reorder a volume into display orientation.

    Args:
        arr_zyx: the voxels indexed ``(k, j, i)``, i.e. the transpose of the ``(i, j, k)``
            axes that ``affine_ras`` describes (a NIfTI's Fortran-order data transposed).
        affine_ras: 4x4 voxel ``(i, j, k)`` → RAS+ mm.
        inplace: ``arr_zyx`` is a C-contiguous array the caller owns; flips may be done in
            place (peak memory stays at one array plus one slice).

    Returns:
        ``(display_zyx, display_affine_ras)``: a C-contiguous array (the input itself when
        nothing had to move or when flipped in place, else one new copy) and the affine of
        its ``(x, y, z)`` voxel axes.
    """
    transform = _display_transform(affine_ras)
    shape_xyz = arr_zyx.shape[::-1]
    new_affine = affine_ras @ inv_ornt_aff(transform, shape_xyz)
    perm = transform[:, 0].astype(int)
    flip_x, flip_y, flip_z = (bool(f < 0) for f in transform[:, 1])
    if np.array_equal(perm, [0, 1, 2]):
        if not (flip_x or flip_y or flip_z):
            return np.ascontiguousarray(arr_zyx), new_affine
        if inplace and arr_zyx.flags.c_contiguous and arr_zyx.flags.writeable:
            _flip_inplace(arr_zyx, flip_z, flip_y, flip_x)
            return arr_zyx, new_affine
    # General case: views (flips, transposes) then one contiguous copy.
    moved_xyz = apply_orientation(arr_zyx.T, transform)
    return np.ascontiguousarray(moved_xyz.T), new_affine


def from_display(
    arr_zyx: np.ndarray, display_affine_ras: np.ndarray, target_axcodes: tuple[str, str, str]
) -> tuple[np.ndarray, np.ndarray]:
    """Reorder a display array to another orientation, e.g. ``("R", "A", "S")`` for saving.

    Returns:
        ``(data_xyz, affine_ras)``: a view ordered ``(i, j, k)`` for the target codes (ready
        for a NIfTI image) and its affine.
    """
    transform = ornt_transform(axcodes2ornt(DISPLAY_AXCODES), axcodes2ornt(target_axcodes))
    data_xyz = apply_orientation(arr_zyx.T, transform)
    affine = display_affine_ras @ inv_ornt_aff(transform, arr_zyx.shape[::-1])
    return data_xyz, affine


def default_display_affine(spacing_mm: SpacingZYX) -> np.ndarray:
    """RAS ``(x, y, z)`` affine of a display grid with the given ``(z, y, x)`` spacing, origin 0."""
    return ras_xyz_from_lps(default_affine_lps(spacing_mm))
