"""``load_volume``: one entry point that dispatches on what a path is."""

from __future__ import annotations

import zipfile
from pathlib import Path

from liversynth.errors import LoadError
from liversynth.io.boundary import load_boundary
from liversynth.io.dicom import load_dicom
from liversynth.io.limits import Limits
from liversynth.io.nifti import is_nifti, load_nifti
from liversynth.io.numpy_io import load_numpy
from liversynth.io.safe_files import require_file_or_folder
from liversynth.volume import Volume

SUPPORTED = ".nii, .nii.gz, .npy, .npz, .dcm, a DICOM folder or .zip"


def _looks_like_dicom(path: Path) -> bool:
    """True for files with the DICM marker at byte 128 or a ``.dcm``/``.dicom`` suffix."""
    if path.suffix.lower() in (".dcm", ".dicom", ".ima"):
        return True
    try:
        with open(path, "rb") as handle:
            head = handle.read(132)
    except OSError:
        return False
    return len(head) == 132 and head[128:132] == b"DICM"


def load_volume(path: str | Path, *, limits: Limits | None = None) -> Volume:
    """Load a CT volume in HU, in radiological display orientation.

    Accepts NIfTI (``.nii``, ``.nii.gz``), a DICOM series as a folder or ``.zip`` (any transfer
    syntax pydicom can decode, JPEG 2000 included), a single DICOM file, and NumPy
    ``.npy``/``.npz`` (key ``hu`` or the only array, optional ``spacing_mm``).

    Args:
        path: file or folder.
        limits: size bounds (defaults: 4096 px in-plane, 5000 slices, half the free memory).

    Returns:
        A :class:`~liversynth.volume.Volume`: ``hu`` ``(z, y, x)`` int16 (integral HU) or
        float32, ``spacing_mm`` ``(z, y, x)``, ``metadata`` without patient identifiers.

    Raises:
        LoadError: the file is missing, unsupported, corrupt or not a CT (message names it).
        VolumeLimitError: the volume is larger than ``limits`` (also a ResourceLimitError).

    Example:
        >>> vol = load_volume("3Dircadb1.1/PATIENT_DICOM")  # doctest: +SKIP
        >>> vol.shape, vol.hu.dtype
        ((129, 512, 512), dtype('int16'))
    """
    path = Path(path)
    with load_boundary(path, "cannot load volume"):
        require_file_or_folder(path)  # before anything opens it: a FIFO would block
        if path.is_dir():
            # A 3D-IRCADb patient folder: its CT is the PATIENT_DICOM series (or zip).
            for name in ("PATIENT_DICOM", "PATIENT_DICOM.zip"):
                if (path / name).exists():
                    return load_dicom(path / name, limits)
            return load_dicom(path, limits)
        name = path.name.lower()
        if is_nifti(path):
            return load_nifti(path, limits)
        if name.endswith((".npy", ".npz")):
            return load_numpy(path, limits)
        if name.endswith(".zip"):
            if not zipfile.is_zipfile(path):
                raise LoadError(path, "not a valid zip archive")
            return load_dicom(path, limits)
        if _looks_like_dicom(path):
            return load_dicom(path, limits)
        raise LoadError(path, f"unsupported file type (supported: {SUPPORTED})")
