"""The stamp part of the document: a floating lesion shape posed, then committed as one step.

A mixin of :class:`~liversynth.authoring.document.Document` (kept apart so each file stays one
concept). It owns the stamp state (``_stamp`` and the lesion-components cache); of the rest of
the document it uses the public API plus ``_require_case``, all declared below for type
checkers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy import ndimage

from liversynth.authoring.events import DocumentEvents
from liversynth.authoring.stamp import (
    LesionStamp,
    RealLesion,
    label_lesions,
    list_real_lesions,
    procedural_stamp,
    stamp_from_real_lesion,
)
from liversynth.volume import Case


class StampingMixin:
    """``set_stamp`` / ``update_stamp_pose`` / ``commit_stamp`` / ``cancel_stamp`` of a document."""

    events: DocumentEvents
    revision: int
    _stamp: LesionStamp | None
    _components_cache: tuple[Case, np.ndarray] | None

    if TYPE_CHECKING:

        def _require_case(self) -> Case: ...
        def liver_mask(self, z: int | None = None) -> np.ndarray | None: ...
        def tumour_mask(self, z: int | None = None) -> np.ndarray | None: ...
        def set_mask(
            self, mask: np.ndarray, *, z: int | None = None, label: str = "set mask"
        ) -> bool: ...
        def set_masks(
            self, masks: dict[int, np.ndarray], *, label: str, focus_z: int | None = None
        ) -> bool: ...
        def stamp_slices(self) -> dict[int, np.ndarray]: ...
        def mask_for(self, z: int) -> np.ndarray: ...
        @property
        def mask(self) -> np.ndarray: ...
        @property
        def slice_shape(self) -> tuple[int, int]: ...

    @property
    def stamp(self) -> LesionStamp | None:
        """The floating (not yet committed) stamp, or ``None``."""
        return self._stamp

    def set_stamp(self, stamp: LesionStamp | None) -> None:
        """Show ``stamp`` floating over the slice (``None`` removes it); not an undo step."""
        self._stamp = stamp
        self.revision += 1
        self.events.stamp_changed.emit(stamp)

    def update_stamp_pose(self, **changes: object) -> None:
        """Move/rotate/scale/flip the stamp, e.g. ``update_stamp_pose(centre_rc=(80, 90),
        angle_deg=30)``; keys are :class:`~liversynth.authoring.stamp.StampPose` fields."""
        if self._stamp is None:
            raise RuntimeError("there is no stamp to move; call set_stamp() first")
        self.set_stamp(self._stamp.with_pose(**changes))

    def commit_stamp(self) -> bool:
        """OR the stamp into the mask (one undo step; a 3-D stamp into every slice it covers)
        and remove the stamp.

        Returns:
            ``False`` when there is no stamp or it adds no pixel (e.g. outside the image).
        """
        if self._stamp is None:
            return False
        if self._stamp.is_3d:
            drawn_3d = self.stamp_slices()
            self.set_stamp(None)
            new = {z: self.mask_for(z) | m for z, m in drawn_3d.items()}
            return self.set_masks(new, label="3-D stamp")
        drawn = self._stamp.render(self.slice_shape)
        self.set_stamp(None)
        return self.set_mask(self.mask | drawn, label="stamp")

    def cancel_stamp(self) -> None:
        """Remove the floating stamp without changing the mask."""
        if self._stamp is not None:
            self.set_stamp(None)

    def _lesion_components(self) -> np.ndarray | None:
        """Numbered tumour components of the case, computed once per case (they cost ~0.7 s)."""
        case = self._require_case()
        if case.labels is None:
            return None
        cached = self._components_cache
        if cached is None or cached[0] is not case:
            cached = (case, label_lesions(case.labels))
            self._components_cache = cached
        return cached[1]

    def real_lesions(self) -> list[RealLesion]:
        """The case's tumours (3-D components of label 2), largest first; ``[]`` without labels."""
        components = self._lesion_components()
        return [] if components is None else list_real_lesions(components)

    def default_stamp_centre(self) -> tuple[float, float]:
        """The healthy-liver pixel deepest inside the liver on the shown slice (slice centre
        without liver): a stamp starts inside the liver, not at the centroid of a crescent,
        which may lie outside it, and not on a real tumour."""
        liver = self.liver_mask()
        if liver is not None and liver.any():
            tumour = self.tumour_mask()
            healthy = liver if tumour is None or not (liver & ~tumour).any() else liver & ~tumour
            depth = ndimage.distance_transform_edt(healthy)
            row, col = np.unravel_index(int(np.argmax(depth)), depth.shape)
            return float(row), float(col)
        rows_n, cols_n = self.slice_shape
        return (rows_n - 1) / 2.0, (cols_n - 1) / 2.0

    def stamp_real_lesion(
        self, lesion: RealLesion, centre_rc: tuple[float, float] | None = None
    ) -> None:
        """Float a copy of a real tumour's largest cross-section (default: at its own place)."""
        components = self._lesion_components()
        if components is None:
            raise RuntimeError("this case has no labels, so no real lesion to copy")
        name = self._require_case().name
        self.set_stamp(
            stamp_from_real_lesion(components, lesion, centre_rc=centre_rc, case_name=name)
        )

    def stamp_procedural(
        self, size_mm: float, seed: int = 0, centre_rc: tuple[float, float] | None = None
    ) -> None:
        """Float a procedural lesion of ``size_mm`` diameter (default: at the liver centre)."""
        spacing = self._require_case().volume.spacing_mm
        centre = self.default_stamp_centre() if centre_rc is None else centre_rc
        self.set_stamp(procedural_stamp(size_mm, spacing, seed, centre_rc=centre))
