"""The 3-D part of the document: multi-slice edits, 3-D stamps, sphere brush, lesion banks.

A mixin of :class:`~liversynth.authoring.document.Document`. Every operation here is one undo
step however many slices it changes (:meth:`MaskEditor.replace_many`), and announces
``mask_changed(z)`` for each slice it touched.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from liversynth.authoring.editing import MaskEditor
from liversynth.authoring.events import DocumentEvents
from liversynth.authoring.mask_history import HistoryStep
from liversynth.authoring.stamp import LesionStamp
from liversynth.authoring.stamp3d import bank_stamp, procedural_stamp3d, render_slices
from liversynth.authoring.volume_edits import interpolate_between_slices, sphere_slices
from liversynth.lesions.bank import LesionBank
from liversynth.volume import LIVER, TUMOUR, Case


class Lesion3DMixin:
    """``set_masks``, ``paint_sphere``, ``fill_between_slices``, 3-D stamps and outside counts."""

    events: DocumentEvents
    _editor: MaskEditor
    lesion_bank: LesionBank | None

    if TYPE_CHECKING:

        @property
        def slice_index(self) -> int: ...

        def _require_case(self) -> Case: ...
        def end_stroke(self) -> bool: ...
        def _recorded(self, edit: HistoryStep | None, *, emit_mask: bool = False) -> bool: ...
        def set_stamp(self, stamp: LesionStamp | None) -> None: ...
        def default_stamp_centre(self) -> tuple[float, float]: ...
        def painted_slices(self) -> list[int]: ...
        def mask_for(self, z: int) -> np.ndarray: ...
        @property
        def stamp(self) -> LesionStamp | None: ...

    # ------------------------------------------------------------------ edits
    def set_masks(
        self, masks: dict[int, np.ndarray], *, label: str, focus_z: int | None = None
    ) -> bool:
        """Replace the masks of several slices as one undo step; ``False`` if nothing changed."""
        self._require_case()
        self.end_stroke()
        focus = self.slice_index if focus_z is None else int(focus_z)
        return self._recorded(self._editor.replace_many(masks, label, focus), emit_mask=True)

    def paint_sphere(
        self, row: float, col: float, radius_mm: float, *, erase: bool = False
    ) -> bool:
        """The 3-D brush: a ball of ``radius_mm`` centred on (row, col) of the shown slice."""
        case = self._require_case()
        ball = sphere_slices(
            (self.slice_index, row, col), radius_mm, case.volume.spacing_mm, case.volume.shape
        )
        new = {
            z: (self.mask_for(z) & ~disc) if erase else (self.mask_for(z) | disc)
            for z, disc in ball.items()
        }
        return self.set_masks(new, label="3-D erase" if erase else "3-D brush")

    def fill_between_slices(self) -> bool:
        """Interpolate the mask across the empty slices between painted ones (one undo step)."""
        case = self._require_case()
        painted = {z: self.mask_for(z) for z in self.painted_slices()}
        spacing = case.volume.spacing_mm
        new = interpolate_between_slices(painted, (spacing[1], spacing[2]))
        return self.set_masks(new, label="fill between slices")

    def lesion_volume(self, *, include_stamp: bool = True) -> tuple[int, np.ndarray] | None:
        """The lesion as a slab: ``(z0, bool (n, rows, cols))`` over the slices it touches.

        Returns:
            ``None`` when there is no lesion (nor a floating stamp, if included).
        """
        case = self._require_case()
        masks = {z: np.array(self.mask_for(z)) for z in self.painted_slices()}
        if include_stamp and self.stamp is not None:
            for z, drawn in self.stamp_slices().items():
                masks[z] = masks.get(z, np.zeros(drawn.shape, bool)) | drawn
        if not masks:
            return None
        z0, z1 = min(masks), max(masks) + 1
        slab = np.zeros((z1 - z0, *case.volume.shape[1:]), bool)
        for z, m in masks.items():
            slab[z - z0] = m
        return z0, slab

    # ------------------------------------------------------------------ 3-D stamps
    def stamp_slices(self) -> dict[int, np.ndarray]:
        """The floating stamp drawn on every slice it covers (a 2-D stamp: the shown slice)."""
        stamp = self.stamp
        if stamp is None:
            return {}
        case = self._require_case()
        if stamp.is_3d:
            return render_slices(stamp, case.volume.shape)
        drawn = stamp.render(case.volume.shape[1:])
        return {self.slice_index: drawn} if drawn.any() else {}

    def stamp_slice_mask(self, z: int | None = None) -> np.ndarray | None:
        """The floating stamp's cross-section on slice ``z`` (default: shown); ``None`` if none."""
        stamp = self.stamp
        if stamp is None:
            return None
        case = self._require_case()
        return stamp.render_at(case.volume.shape[1:], self.slice_index if z is None else z)

    def stamp_ellipsoid(
        self,
        diameters_mm_zyx: tuple[float, float, float],
        *,
        lobulated: bool = False,
        seed: int = 0,
        centre_rc: tuple[float, float] | None = None,
    ) -> None:
        """Float a 3-D ellipsoid (or lobulated) stamp centred on the shown slice."""
        case = self._require_case()
        self.set_stamp(
            procedural_stamp3d(
                diameters_mm_zyx,
                case.volume.spacing_mm,
                lobulated=lobulated,
                seed=seed,
                centre_rc=self.default_stamp_centre() if centre_rc is None else centre_rc,
                centre_z=float(self.slice_index),
            )
        )

    def set_lesion_bank(self, bank: LesionBank | None) -> None:
        """Offer ``bank``'s lesions (from any case) as 3-D stamp sources."""
        self.lesion_bank = bank
        self.events.bank_changed.emit()

    def stamp_bank_lesion(self, index: int, centre_rc: tuple[float, float] | None = None) -> None:
        """Float lesion ``index`` of :attr:`lesion_bank`, resampled to this case's spacing."""
        case = self._require_case()
        if self.lesion_bank is None:
            raise RuntimeError("no lesion bank is loaded")
        self.set_stamp(
            bank_stamp(
                self.lesion_bank[index],
                case.volume.spacing_mm,
                centre_rc=self.default_stamp_centre() if centre_rc is None else centre_rc,
                centre_z=float(self.slice_index),
            )
        )

    # ------------------------------------------------------------------ warnings
    def lesion_outside_liver(self, *, include_stamp: bool = True) -> tuple[int, float, int] | None:
        """How much of the lesion (all slices) lies outside the liver.

        Returns:
            ``(outside_voxels, outside_mm3, lesion_voxels)``; ``None`` without labels or lesion.
        """
        case = self._require_case()
        if case.labels is None:
            return None
        slab = self.lesion_volume(include_stamp=include_stamp)
        if slab is None:
            return None
        z0, mask = slab
        lab = case.labels[z0 : z0 + mask.shape[0]]
        liver = (lab == LIVER) | (lab == TUMOUR)
        outside = int((mask & ~liver).sum())
        voxel_mm3 = float(np.prod(case.volume.spacing_mm))
        return outside, outside * voxel_mm3, int(mask.sum())
