"""The in-memory CT volume and a labelled case: the one currency of the core.

A volume knows where it is in the patient: :attr:`Volume.affine_lps` maps display indices
``(z, y, x)`` to DICOM LPS millimetres (conventions in :mod:`liversynth.geometry`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from liversynth import geometry
from liversynth.typing import SpacingZYX

# Label values (LiTS convention) used everywhere in the project.
BACKGROUND = 0
LIVER = 1
TUMOUR = 2


@dataclass
class Volume:
    """A CT volume in Hounsfield units, in radiological display orientation.

    Attributes:
        hu: array shaped ``(z, y, x)``; row 0 is anterior, column 0 the patient's right,
            z grows from feet to head. dtype is ``int16`` when the stored HU are integral
            (the usual case, half the memory), else ``float32``. Use :meth:`slice_hu` for
            a float32 slice.
        spacing_mm: voxel size ``(z, y, x)`` in millimetres.
        source: where it came from (path or a description such as ``"phantom seed=0"``).
        metadata: free-form facts from the file (modality, series UID, orientation codes...).
            Never contains patient identifiers once it leaves :mod:`liversynth.export`.
        affine_lps: 4x4, ``(x, y, z, 1)`` in DICOM LPS mm ``= affine_lps @ (z, y, x, 1)``;
            ``None`` on construction means "no recorded position":
            :func:`liversynth.geometry.default_affine_lps` of ``spacing_mm`` (axes along
            L, P, S, voxel 0 at the origin). Its column lengths must equal ``spacing_mm``.
        source_axcodes: the voxel order of the file it came from, as nibabel axis codes of
            the file's ``(i, j, k)`` axes (e.g. ``"LAS"`` for a NIfTI stored that way), so a
            NIfTI export can be written in the source's voxel order; ``None`` when the source
            had none of its own (DICOM, NumPy, phantom: exports then use RAS).

    Example:
        >>> vol = Volume(np.zeros((3, 4, 5), np.int16), (2.5, 0.8, 0.7))
        >>> vol.index_to_lps_mm(1, 0, 2)
        (1.4, 0.0, 2.5)
    """

    hu: np.ndarray
    spacing_mm: SpacingZYX
    source: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    affine_lps: np.ndarray = field(default=None)  # type: ignore[arg-type]
    source_axcodes: str | None = None

    def __post_init__(self) -> None:
        self.spacing_mm = tuple(float(s) for s in self.spacing_mm)  # type: ignore[assignment]
        if self.affine_lps is None:
            self.affine_lps = geometry.default_affine_lps(self.spacing_mm)
        else:
            self.affine_lps = geometry.check_affine_lps(self.affine_lps, self.spacing_mm)

    @property
    def shape(self) -> tuple[int, int, int]:
        return tuple(int(s) for s in self.hu.shape)  # type: ignore[return-value]

    @property
    def affine_ras(self) -> np.ndarray:
        """NIfTI-style affine of the display grid: RAS mm of display indices ``(x, y, z, 1)``."""
        return geometry.ras_xyz_from_lps(self.affine_lps)

    def index_to_lps_mm(self, z: float, y: float, x: float) -> tuple[float, float, float]:
        """DICOM LPS position ``(x, y, z)`` in mm of the centre of display voxel ``(z, y, x)``.

        Fractional indices give positions between voxel centres.
        """
        point = geometry.index_to_lps(self.affine_lps, (z, y, x))
        return (float(point[0]), float(point[1]), float(point[2]))

    def cropped(
        self,
        z: tuple[int, int] | None = None,
        y: tuple[int, int] | None = None,
        x: tuple[int, int] | None = None,
    ) -> Volume:
        """A copy of the sub-volume ``[z0:z1, y0:y1, x0:x1]`` that keeps its patient position.

        Args:
            z, y, x: ``(start, stop)`` index ranges (``None``: the whole axis).
        """
        ranges = [
            (0, n) if r is None else (int(r[0]), int(r[1]))
            for r, n in zip((z, y, x), self.hu.shape, strict=True)
        ]
        for (lo, hi), n in zip(ranges, self.hu.shape, strict=True):
            if not 0 <= lo < hi <= n:
                raise ValueError(f"crop range {lo}:{hi} outside 0:{n} of shape {self.shape}")
        (z0, z1), (y0, y1), (x0, x1) = ranges
        return Volume(
            self.hu[z0:z1, y0:y1, x0:x1].copy(),
            self.spacing_mm,
            self.source,
            dict(self.metadata),
            affine_lps=geometry.crop_affine_lps(self.affine_lps, (z0, y0, x0)),
            source_axcodes=self.source_axcodes,
        )

    def slice_hu(self, z: int) -> np.ndarray:
        """Return slice ``z`` as a new float32 array in HU."""
        return np.asarray(self.hu[z], dtype=np.float32).copy()


@dataclass
class Case:
    """A volume with its labels (0 background, 1 liver, 2 tumour) on the same grid.

    Attributes:
        name: a short identifier used in manifests and splits (e.g. ``"3Dircadb1.1"``).
        volume: the CT.
        labels: ``uint8`` ``(z, y, x)`` or ``None`` when the case has no segmentation.
        patient_id: the key for patient-level splits (defaults to ``name``).
    """

    name: str
    volume: Volume
    labels: np.ndarray | None = None
    patient_id: str = ""

    def cropped(
        self,
        z: tuple[int, int] | None = None,
        y: tuple[int, int] | None = None,
        x: tuple[int, int] | None = None,
    ) -> Case:
        """The same case restricted to a sub-volume (see :meth:`Volume.cropped`)."""
        volume = self.volume.cropped(z, y, x)
        labels = None
        if self.labels is not None:
            (z0, z1), (y0, y1), (x0, x1) = (
                (0, n) if r is None else r
                for r, n in zip((z, y, x), self.labels.shape, strict=True)
            )
            labels = self.labels[z0:z1, y0:y1, x0:x1].copy()
        return Case(self.name, volume, labels, self.patient_id)

    def __post_init__(self) -> None:
        if not self.patient_id:
            self.patient_id = self.name
        if self.labels is not None and self.labels.shape != self.volume.hu.shape:
            from liversynth.errors import GridMismatchError

            raise GridMismatchError(
                self.volume.source or self.name,
                f"labels shape {self.labels.shape} differs from image shape {self.volume.hu.shape}",
            )
