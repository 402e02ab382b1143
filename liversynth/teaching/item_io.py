"""Item images as NIfTI with byte-identical headers: nothing but the voxels tells items apart.

Every item of a quiz has the same shape, dtype and spacing, so the header bytes are equal; the
affine is the display grid in RAS (column → patient's left, row → posterior, slice → head)
with the origin at 0, and ``descrip``/``aux_file``/``intent_name`` stay empty. The gzip stream
carries no file name and no time stamp, so the same array always gives the same bytes.
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import nibabel as nib
import numpy as np

from liversynth.atomic import atomic_write
from liversynth.errors import LoadError
from liversynth.typing import SpacingZYX

#: An item larger than this (uncompressed) is refused on reading (a hostile or wrong file).
MAX_ITEM_BYTES = 256 * 1024 * 1024


def _affine(spacing_mm: SpacingZYX) -> np.ndarray:
    sz, sy, sx = (float(s) for s in spacing_mm)
    return np.diag([-sx, -sy, sz, 1.0])


def item_bytes(array_zyx: np.ndarray, spacing_mm: SpacingZYX) -> bytes:
    """The ``.nii.gz`` bytes of a display-oriented ``(z, y, x)`` array (int16 or uint8)."""
    arr = np.asarray(array_zyx)
    if arr.ndim != 3 or arr.dtype not in (np.int16, np.uint8):
        raise ValueError(f"an item is a 3-D int16 or uint8 array, got {arr.dtype} {arr.shape}")
    data = np.ascontiguousarray(np.transpose(arr, (2, 1, 0)))
    affine = _affine(spacing_mm)
    img = nib.Nifti1Image(data, affine)
    img.header.set_xyzt_units("mm")
    img.set_qform(affine, code=1)
    img.set_sform(affine, code=1)
    return gzip.compress(img.to_bytes(), compresslevel=6, mtime=0)


def write_item(path: str | Path, array_zyx: np.ndarray, spacing_mm: SpacingZYX) -> Path:
    """Write one item (image or mask) atomically; see :func:`item_bytes`."""
    return atomic_write(path, item_bytes(array_zyx, spacing_mm))


def read_item(path: str | Path) -> tuple[np.ndarray, SpacingZYX]:
    """Read an item written by :func:`write_item`: ``(array (z, y, x), spacing (z, y, x))``.

    Raises:
        LoadError: missing, not gzip/NIfTI, not 3-D, or too large.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
        data = zlib.decompressobj(wbits=31).decompress(raw, MAX_ITEM_BYTES)
    except FileNotFoundError:
        raise LoadError(path, "item file is missing (is the quiz folder complete?)") from None
    except (OSError, zlib.error) as err:
        raise LoadError(path, f"not a gzip-compressed NIfTI item ({err})") from None
    if len(data) >= MAX_ITEM_BYTES:
        raise LoadError(path, f"item is larger than {MAX_ITEM_BYTES // 2**20} MiB")
    try:
        img = nib.Nifti1Image.from_bytes(data)
        arr = np.asarray(img.dataobj)
    except Exception as err:  # nibabel raises many types for a corrupt header
        raise LoadError(path, f"not a readable NIfTI item ({err})") from None
    if arr.ndim != 3:
        raise LoadError(path, f"an item must be 3-D, this one has shape {arr.shape}")
    zooms = img.header.get_zooms()
    spacing = (float(zooms[2]), float(zooms[1]), float(zooms[0]))
    return np.ascontiguousarray(np.transpose(arr, (2, 1, 0))), spacing


def header_bytes(path: str | Path) -> bytes:
    """The 348-byte NIfTI-1 header of an item (for checks that headers are identical)."""
    return gzip.decompress(Path(path).read_bytes())[:348]
