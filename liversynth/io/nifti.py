"""NIfTI-1/2 reading (``.nii``, ``.nii.gz``) and atomic RAS writing.

Headers are parsed by nibabel; the voxel block is read by us straight into an ``np.empty``
buffer (pages are committed only as they are filled, so a truncated file claiming a huge
volume costs nothing) in the file's own dtype, then rescaled and reoriented with at most one
further copy.
"""

from __future__ import annotations

import gzip
import io
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nibabel as nib
import numpy as np

from liversynth.atomic import atomic_write
from liversynth.errors import LoadError
from liversynth.geometry import default_affine_lps, lps_from_ras_xyz, ras_xyz_from_lps
from liversynth.io.boundary import load_boundary
from liversynth.io.hu_values import raw_to_hu
from liversynth.io.limits import Limits, check_volume_size
from liversynth.io.orientation import (
    axcodes_of,
    display_needs_copy,
    from_display,
    spacing_zyx_mm,
    to_display,
    validate_affine,
)
from liversynth.io.safe_files import require_regular_file
from liversynth.typing import SpacingZYX
from liversynth.volume import Volume

# gzip reads allocate a bytes object per request: keep requests small.
_READ_CHUNK_BYTES = 4 * 2**20
# Data after the voxels (a 4th dimension of length 1 never has any): refuse beyond this.
_MAX_TRAILING_BYTES = 64 * 2**20
_MAX_VOX_OFFSET = 64 * 2**20


def is_nifti(path: str | Path) -> bool:
    """True for ``.nii`` and ``.nii.gz`` names (case-insensitive)."""
    name = Path(path).name.lower()
    return name.endswith(".nii") or name.endswith(".nii.gz")


@dataclass
class RawNifti:
    """Voxels as stored (not rescaled, not reoriented) and what is needed to interpret them.

    Attributes:
        data_zyx: stored values, the transpose of the file's ``(i, j, k)`` axes (C-contiguous,
            owned, writable).
        affine_ras: voxel ``(i, j, k)`` → RAS+ mm, validated.
        slope: scale factor (1 when the header has none).
        inter: intercept (0 when the header has none).
        info: header facts for ``Volume.metadata``.
    """

    data_zyx: np.ndarray
    affine_ras: np.ndarray
    slope: float
    inter: float
    info: dict[str, Any]


def _spatial_shape(shape: tuple[int, ...], path: Path) -> tuple[int, int, int]:
    dims = [int(d) for d in shape]
    while len(dims) > 3 and dims[-1] == 1:
        dims.pop()
    if len(dims) > 3:
        raise LoadError(
            path, f"{len(dims)}-D image of shape {tuple(dims)}: expected one 3-D volume"
        )
    while len(dims) < 3:
        dims.append(1)
    return dims[0], dims[1], dims[2]


def _read_block(path: Path, offset: int, out: np.ndarray) -> None:
    """Fill ``out`` with bytes from ``offset`` on; refuse a file that ends early.

    A ``.gz`` stream is then read to its end, so that gzip verifies its CRC-32 and length
    trailer: a flipped byte or a file cut a few bytes short is an error, not wrong voxels.
    """
    buffer = out.data.cast("B")
    total = len(buffer)
    gz = path.name.lower().endswith(".gz")
    opener = gzip.open if gz else open
    try:
        with opener(path, "rb") as handle:
            handle.seek(offset)
            done = 0
            while done < total:
                n = handle.readinto(buffer[done : min(total, done + _READ_CHUNK_BYTES)])
                if not n:
                    break
                done += n
            if done < total:
                raise LoadError(
                    path,
                    f"truncated: the header announces {total} bytes of voxels, only {done} present",
                )
            if gz:
                _drain_to_end(handle, path)
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise LoadError(path, f"corrupt or truncated gzip stream ({exc})") from None


def _drain_to_end(handle: object, path: Path) -> None:
    """Read past the voxels to the end of the gzip stream (checks CRC and length)."""
    trailing = 0
    while True:
        chunk = handle.read(_READ_CHUNK_BYTES)  # type: ignore[attr-defined]
        if not chunk:
            return
        trailing += len(chunk)
        if trailing > _MAX_TRAILING_BYTES:
            raise LoadError(
                path, f"more than {_MAX_TRAILING_BYTES} bytes follow the voxels (not one volume)"
            )


def _read_header(path: Path) -> nib.Nifti1Header:
    """Parse the header as stored, without nibabel's silent "fixes" (or their log noise).

    nibabel's ``load`` replaces a zero pixdim by 1, a negative one by its absolute value, an
    invalid vox_offset by the default...; a medical loader should refuse such a file instead.
    """
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rb") as handle:
        head = handle.read(4)
        if len(head) < 4:
            raise LoadError(path, f"truncated header ({len(head)} bytes)")
        sizes = {int.from_bytes(head, "little"), int.from_bytes(head, "big")}
        if 348 in sizes:
            klass: type[nib.Nifti1Header] = nib.Nifti1Header
        elif 540 in sizes:
            klass = nib.Nifti2Header
        else:
            raise LoadError(path, "not a NIfTI file (sizeof_hdr is neither 348 nor 540)")
        size = 348 if klass is nib.Nifti1Header else 540
        raw = head + handle.read(size - 4)
    if len(raw) < size:
        raise LoadError(path, f"truncated header ({len(raw)} of {size} bytes)")
    # Only the fixed-size header: nibabel would otherwise read the extensions, whose sizes a
    # hostile file sets at will, before any of our checks (the voxels are all we need).
    header = klass.from_fileobj(io.BytesIO(raw), check=False)
    magic = bytes(header["magic"]).rstrip(b"\x00")
    if magic in (b"ni1", b"ni2"):
        raise LoadError(path, "NIfTI pair headers (.hdr/.img) are not supported; use .nii")
    if magic not in (b"n+1", b"n+2"):
        raise LoadError(path, f"not a NIfTI file (magic {magic!r})")
    return header


def _header_shape(header: nib.Nifti1Header, path: Path) -> tuple[int, int, int]:
    dim = [int(d) for d in header["dim"]]
    ndim = dim[0]
    if not 1 <= ndim <= 7:
        raise LoadError(path, f"invalid number of dimensions dim[0]={ndim}")
    return _spatial_shape(tuple(dim[1 : 1 + ndim]), path)


def _check_pixdim(header: nib.Nifti1Header, path: Path) -> None:
    ndim = int(header["dim"][0])
    # Only the axes the image has: a 2-D file may leave pixdim[3] at 0.
    sizes = np.asarray(header["pixdim"][1 : 1 + min(3, ndim)], dtype=np.float64)
    if not np.all(np.isfinite(sizes)) or np.any(sizes <= 0):
        raise LoadError(
            path, f"zero, negative or invalid voxel size {tuple(sizes.tolist())} in pixdim"
        )


def _scaling(header: nib.Nifti1Header, path: Path) -> tuple[float, float]:
    """``(slope, intercept)``; slope 0 or NaN means "no scaling" per the NIfTI standard."""
    slope, inter = float(header["scl_slope"]), float(header["scl_inter"])
    if slope == 0 or np.isnan(slope):
        return 1.0, 0.0
    if not np.isfinite(slope) or not np.isfinite(inter):
        raise LoadError(path, f"invalid scaling scl_slope={slope}, scl_inter={inter}")
    return slope, inter


def _voxel_offset(header: nib.Nifti1Header, path: Path) -> int:
    minimum = 544 if isinstance(header, nib.Nifti2Header) else 352
    raw = float(header["vox_offset"])
    if raw == 0:
        return minimum  # "unset": data follow the header (and any extensions)
    # Extensions (between header and voxels) are a few kB in practice; a larger offset would
    # make a .gz reader inflate and discard that much before the first voxel.
    if not np.isfinite(raw) or raw < minimum or raw != int(raw) or raw > _MAX_VOX_OFFSET:
        raise LoadError(path, f"invalid voxel offset vox_offset={raw}")
    return int(raw)


def _bytes_per_voxel(dtype: np.dtype, slope: float, inter: float, affine: np.ndarray) -> int:
    """Peak bytes per voxel of :func:`load_nifti`: every array alive at the same time.

    The stored array and the HU array made from it (none when stored int16 is used as is;
    float32 is the largest HU type), then (stored array released) the HU array and its
    reoriented copy when the axes must be permuted.
    """
    as_is = dtype == np.int16 and slope == 1.0 and inter == 0.0
    hu_bytes = 2 if as_is else 4
    converting = dtype.itemsize + (0 if as_is else hu_bytes)
    reorienting = 2 * hu_bytes if display_needs_copy(affine) else hu_bytes
    return max(converting, reorienting)


def read_nifti_raw(path: str | Path, limits: Limits | None = None) -> RawNifti:
    """Read a NIfTI file's voxels and geometry, checking sizes before allocating.

    Raises:
        LoadError: unreadable or inconsistent header, truncated data, bad geometry.
        VolumeLimitError: the announced volume exceeds ``limits``.
    """
    path = Path(path)
    with load_boundary(path, "cannot read NIfTI"):
        require_regular_file(path)
        if path.stat().st_size == 0:
            raise LoadError(path, "empty file")
        header = _read_header(path)
        nx, ny, nz = _header_shape(header, path)
        try:
            dtype = np.dtype(header.get_data_dtype())
        except (KeyError, ValueError, TypeError) as exc:
            raise LoadError(path, f"unknown voxel datatype code {int(header['datatype'])}") from exc
        if dtype.kind not in "iuf" or dtype.itemsize > 8:
            raise LoadError(path, f"unsupported voxel type {dtype} (expected real numbers)")
        _check_pixdim(header, path)
        affine = validate_affine(header.get_best_affine(), path)
        slope, inter = _scaling(header, path)
        check_volume_size(path, (nz, ny, nx), _bytes_per_voxel(dtype, slope, inter, affine), limits)
        offset = _voxel_offset(header, path)
        n_bytes = nx * ny * nz * dtype.itemsize
        if not path.name.lower().endswith(".gz") and offset + n_bytes > path.stat().st_size:
            raise LoadError(
                path,
                f"truncated: header announces {n_bytes} bytes of voxels at offset {offset}, "
                f"the file has {path.stat().st_size} bytes",
            )
        flat = np.empty(nx * ny * nz, dtype=dtype)
        _read_block(path, offset, flat)
        # NIfTI stores x fastest (Fortran order); its transpose is a C-ordered (z, y, x) view.
        data_zyx = flat.reshape((nz, ny, nx))
        if not dtype.isnative:
            data_zyx = data_zyx.byteswap(inplace=True).view(dtype.newbyteorder("="))
        info = {
            "format": "nifti",
            "orientation": axcodes_of(affine),
            "dtype_on_disk": str(dtype.newbyteorder("=")),
            "qform_code": int(header["qform_code"]),
            "sform_code": int(header["sform_code"]),
        }
        return RawNifti(data_zyx, affine, slope, inter, info)


def load_nifti(path: str | Path, limits: Limits | None = None) -> Volume:
    """Load a NIfTI CT as a display-oriented :class:`Volume` in HU."""
    path = Path(path)
    raw = read_nifti_raw(path, limits)
    with load_boundary(path, "cannot convert NIfTI voxels"):
        hu = raw_to_hu(raw.data_zyx, raw.slope, raw.inter, path)
        raw.data_zyx = hu  # release the stored array before a reorienting copy (budgeted so)
        hu, display_affine = to_display(hu, raw.affine_ras, inplace=True)
    metadata = dict(raw.info)
    metadata["modality"] = "CT"  # NIfTI does not say; the project only handles CT
    if raw.slope != 1.0 or raw.inter != 0.0:
        metadata["rescale"] = [raw.slope, raw.inter]
    return Volume(
        hu,
        spacing_zyx_mm(display_affine),
        str(path),
        metadata,
        affine_lps=lps_from_ras_xyz(display_affine),
        source_axcodes=axcodes_of(raw.affine_ras),
    )


def save_nifti(
    array_zyx: np.ndarray,
    spacing_mm: SpacingZYX,
    path: str | Path,
    *,
    labels: bool = False,
    affine_lps: np.ndarray | None = None,
    affine_ras: np.ndarray | None = None,
    voxel_order: str | None = None,
    description: str | None = None,
) -> Path:
    """Write a display-oriented array as NIfTI in the patient space it came from, atomically.

    The file is written to a temporary name in the same folder, fsynced, then renamed over
    ``path``, so a crash never leaves a half-written file under the final name.
    :func:`liversynth.io.load_volume` (or ``load_labels``) reads it back to the same values
    and the same ``affine_lps``.

    Args:
        array_zyx: ``(z, y, x)`` display-oriented voxels (HU, or label ids).
        spacing_mm: ``(z, y, x)`` voxel size in mm.
        path: ``.nii`` or ``.nii.gz`` destination.
        labels: write ``uint8`` label ids (values must be 0..255 integers).
        affine_lps: the display grid's geometry (``Volume.affine_lps``); default: no
            position (:func:`liversynth.geometry.default_affine_lps`). Its voxel size must
            match ``spacing_mm``.
        affine_ras: the same geometry given as the display grid's RAS ``(x, y, z)`` affine
            (``Volume.affine_ras``), for callers that hold that form; not with ``affine_lps``.
        voxel_order: axis codes of the stored ``(i, j, k)`` axes, e.g. ``"LAS"``
            (``Volume.source_axcodes`` writes a NIfTI source back in its own voxel order);
            default ``"RAS"``.
        description: the header's ``descrip`` (at most 80 ASCII characters kept), e.g.
            ``"SYNTHETIC LiverSynth procedural"``.

    Returns:
        The written path.

    Raises:
        ValueError: not a 3-D array, non-finite values, bad spacing, suffix or axis codes.
    """
    path = Path(path)
    if not is_nifti(path):
        raise ValueError(f"{path}: a NIfTI name must end in .nii or .nii.gz")
    arr = np.asarray(array_zyx)
    if arr.ndim != 3 or arr.dtype.kind not in "biuf":
        raise ValueError(
            f"{path}: expected a 3-D numeric (z, y, x) array, got {arr.shape} {arr.dtype}"
        )
    spacing = tuple(float(s) for s in spacing_mm)
    if len(spacing) != 3 or not all(np.isfinite(s) and s > 0 for s in spacing):
        raise ValueError(f"{path}: spacing {spacing_mm} must be three positive numbers (mm)")
    arr = _storage_array(arr, labels, path)
    display_affine = _display_affine_ras(spacing, affine_lps, affine_ras, path)
    if not np.allclose(spacing_zyx_mm(display_affine), spacing, rtol=1e-4):
        raise ValueError(f"{path}: affine voxel size disagrees with spacing {spacing}")
    data_xyz, affine = from_display(arr, display_affine, _axcodes(voxel_order, path))
    img = nib.Nifti1Image(data_xyz, affine)
    img.set_data_dtype(arr.dtype)
    img.header.set_xyzt_units("mm")
    img.set_qform(affine, code=1)
    img.set_sform(affine, code=1)
    if description:
        img.header["descrip"] = description.encode("ascii", "replace")[:80]
    if labels:
        img.header.set_intent("label")
    suffix = ".nii.gz" if path.name.lower().endswith(".gz") else ".nii"
    return atomic_write(path, lambda tmp: nib.save(img, tmp), suffix=suffix)


def _display_affine_ras(
    spacing: tuple[float, ...],
    affine_lps: np.ndarray | None,
    affine_ras: np.ndarray | None,
    path: Path,
) -> np.ndarray:
    if affine_lps is not None and affine_ras is not None:
        raise ValueError(f"{path}: pass affine_lps or affine_ras, not both")
    if affine_lps is not None:
        return ras_xyz_from_lps(affine_lps)
    if affine_ras is not None:
        return np.asarray(affine_ras, dtype=np.float64)
    return ras_xyz_from_lps(default_affine_lps(spacing))


def _axcodes(voxel_order: str | None, path: Path) -> tuple[str, str, str]:
    codes = tuple((voxel_order or "RAS").upper())
    axes = [{"L": 0, "R": 0, "P": 1, "A": 1, "S": 2, "I": 2}.get(c) for c in codes]
    if len(codes) != 3 or None in axes or len(set(axes)) != 3:
        raise ValueError(f"{path}: voxel order {voxel_order!r} must be 3 axis codes like 'LAS'")
    return codes[0], codes[1], codes[2]


def _storage_array(arr: np.ndarray, labels: bool, path: Path) -> np.ndarray:
    """Pick the on-disk dtype: uint8 labels, int16 integral HU, else float32."""
    if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        raise ValueError(f"{path}: array contains NaN or infinite values")
    if labels:
        if arr.size and (
            arr.min() < 0 or arr.max() > 255 or not np.array_equal(arr, np.round(arr))
        ):
            raise ValueError(f"{path}: label ids must be integers in 0..255")
        return arr.astype(np.uint8, copy=False)
    if arr.dtype == np.int16:
        return arr
    lo, hi = (float(arr.min()), float(arr.max())) if arr.size else (0.0, 0.0)
    fits = -32768 <= lo and hi <= 32767
    if arr.dtype.kind in "biu" and fits:
        return arr.astype(np.int16)
    if arr.dtype.kind == "f" and fits and np.array_equal(arr, np.round(arr)):
        return arr.astype(np.int16)
    return arr.astype(np.float32, copy=False)
