"""The in-memory CT volume and a labelled case: the one currency of the core."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

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
    """

    hu: np.ndarray
    spacing_mm: SpacingZYX
    source: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def shape(self) -> tuple[int, int, int]:
        return tuple(int(s) for s in self.hu.shape)  # type: ignore[return-value]

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

    def __post_init__(self) -> None:
        if not self.patient_id:
            self.patient_id = self.name
        if self.labels is not None and self.labels.shape != self.volume.hu.shape:
            from liversynth.errors import GridMismatchError

            raise GridMismatchError(
                self.volume.source or self.name,
                f"labels shape {self.labels.shape} differs from image shape {self.volume.hu.shape}",
            )
