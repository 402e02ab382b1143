"""3D-IRCADb mask series (``MASKS_DICOM`` folder or ``.zip``) → labels 0/1/2.

Decision (documented in docs/notes/io.md): label 1 = the ``liver`` mask; label 2 = the union
of every ``livertumor*`` mask, whether or not the liver contour encloses each voxel (an
IRCAD tumour mask *is* a liver tumour, and every tumour voxel must carry label 2). Other
structures are ignored — notably ``tumor`` (3Dircadb1.7: a mass outside the liver, not a
liver tumour), ``liverkyst`` (cysts stay whatever the liver mask says) and vessels.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from liversynth.errors import GridMismatchError, LoadError
from liversynth.io.boundary import load_boundary
from liversynth.io.dicom import read_series_pixels, scan_series
from liversynth.io.dicom_series import SliceHeader, series_geometry
from liversynth.io.dicom_source import DicomSource
from liversynth.io.limits import Limits, check_volume_size
from liversynth.io.orientation import to_display
from liversynth.volume import LIVER, TUMOUR

LIVER_MASK = "liver"
TUMOUR_PREFIX = "livertumor"


def is_ircad_masks(path: str | Path) -> bool:
    """True for a ``MASKS_DICOM`` folder or ``MASKS_DICOM.zip`` (by name)."""
    name = Path(path).name.lower()
    return name in ("masks_dicom", "masks_dicom.zip")


def _mask_writer(raw: np.ndarray, header: SliceHeader, plane: np.ndarray) -> bool:
    np.greater(raw, 0, out=plane)
    return True


def _structure_mask(
    source: DicomSource, members: list[str], limits: Limits | None
) -> tuple[np.ndarray, np.ndarray]:
    series = scan_series(source, members)
    geometry = series_geometry(source, series)
    first = geometry.ordered[0]
    check_volume_size(source.path, (len(series), first.rows, first.cols), 1, limits)
    mask = read_series_pixels(source, geometry.ordered, np.bool_, _mask_writer)
    return to_display(mask, geometry.affine_ras, inplace=True)


def load_mask_structure(
    path: str | Path, structure: str, limits: Limits | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """One IRCAD structure (e.g. ``"bone"``, ``"tumor"``) as a display-oriented bool mask.

    Returns:
        ``(mask_zyx bool, display_affine_ras)``.

    Raises:
        LoadError: the structure is absent or unreadable.
    """
    path = Path(path)
    with load_boundary(path, "cannot read IRCAD mask"), DicomSource(path, limits) as source:
        groups = source.by_parent()
        if structure not in groups:
            raise LoadError(path, f"no '{structure}' mask series inside (found: {sorted(groups)})")
        return _structure_mask(source, groups[structure], limits)


def load_ircad_masks(
    path: str | Path, limits: Limits | None = None
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Merge IRCAD structure masks into one label volume.

    Returns:
        ``(labels_zyx uint8, display_affine_ras, structures_used)``.

    Raises:
        LoadError: no ``liver`` mask, unreadable series, masks on different grids.
    """
    path = Path(path)
    with load_boundary(path, "cannot read IRCAD masks"), DicomSource(path, limits) as source:
        groups = source.by_parent()
        if LIVER_MASK not in groups:
            raise LoadError(
                path, f"no '{LIVER_MASK}' mask series inside (found: {sorted(groups) or 'nothing'})"
            )
        tumours = sorted(name for name in groups if name.lower().startswith(TUMOUR_PREFIX))
        liver, affine = _structure_mask(source, groups[LIVER_MASK], limits)
        labels = np.zeros(liver.shape, dtype=np.uint8)
        labels[liver] = LIVER
        del liver
        for name in tumours:
            mask, tumour_affine = _structure_mask(source, groups[name], limits)
            if mask.shape != labels.shape or not np.allclose(tumour_affine, affine, atol=1e-2):
                raise GridMismatchError(
                    path,
                    f"mask '{name}' {mask.shape} is not on the liver mask's grid {labels.shape}",
                )
            labels[mask] = TUMOUR
        return labels, affine, [LIVER_MASK, *tumours]
