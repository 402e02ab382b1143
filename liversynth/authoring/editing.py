"""Per-slice lesion masks with brush strokes and an undo history (no events, no case).

:class:`MaskEditor` is the mechanics; :class:`~liversynth.authoring.document.Document` wraps it,
adds the current slice, and announces changes. Keeping them apart keeps each file one concept.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from liversynth.authoring.brush import BBox, paint_segment, union_bbox
from liversynth.authoring.mask_history import (
    DEFAULT_HISTORY_STEPS,
    HistoryStep,
    MaskEdit,
    MaskEditGroup,
    MaskHistory,
)


@dataclass
class _Stroke:
    z: int
    value: bool
    radius_px: int
    before: np.ndarray
    last: tuple[float, float] | None = None
    box: BBox | None = None


class MaskEditor:
    """Bool masks ``(rows, cols)`` kept per slice index, edited in undoable steps.

    Args:
        shape: ``(rows, cols)`` of every mask.
        history_steps: undo steps kept.
    """

    def __init__(self, shape: tuple[int, int], history_steps: int = DEFAULT_HISTORY_STEPS) -> None:
        self.shape = (int(shape[0]), int(shape[1]))
        self.history = MaskHistory(history_steps)
        self._masks: dict[int, np.ndarray] = {}
        self._stroke: _Stroke | None = None

    # ------------------------------------------------------------------ reading
    def mask_for(self, z: int) -> np.ndarray:
        """Read-only view of slice ``z``'s mask (all False when never painted)."""
        mask = self._masks.get(z)
        view = (np.zeros(self.shape, dtype=bool) if mask is None else mask).view()
        view.flags.writeable = False
        return view

    def painted_slices(self) -> list[int]:
        """Slices whose mask is non-empty, ascending."""
        return sorted(z for z, m in self._masks.items() if m.any())

    def snapshot(self) -> dict[int, np.ndarray]:
        """Copies of the non-empty masks (for saving)."""
        return {z: self._masks[z].copy() for z in self.painted_slices()}

    def restore(self, masks: dict[int, np.ndarray]) -> None:
        """Replace every mask (history cleared), e.g. when a session is loaded."""
        for z, m in masks.items():
            if m.shape != self.shape:
                raise ValueError(f"mask of slice {z} has shape {m.shape}, expected {self.shape}")
        self._masks = {int(z): np.asarray(m, dtype=bool).copy() for z, m in masks.items()}
        self.history.clear()
        self._stroke = None

    def _writable(self, z: int) -> np.ndarray:
        if z not in self._masks:
            self._masks[z] = np.zeros(self.shape, dtype=bool)
        return self._masks[z]

    # ------------------------------------------------------------------ strokes
    @property
    def stroke_z(self) -> int | None:
        """Slice of the stroke in progress, ``None`` when no stroke is active."""
        return None if self._stroke is None else self._stroke.z

    def begin_stroke(self, z: int, value: bool, radius_px: int) -> None:
        """Start a stroke on slice ``z`` that sets pixels to ``value`` with a disc brush."""
        self._stroke = _Stroke(z, bool(value), int(radius_px), self._writable(z).copy())

    def stroke_to(self, row: float, col: float) -> bool:
        """Paint from the previous point (a disc at the first point); ``True`` if in image."""
        s = self._stroke
        if s is None:
            raise RuntimeError("stroke_to() called without begin_stroke()")
        point = (float(row), float(col))
        touched = paint_segment(self._writable(s.z), s.last or point, point, s.radius_px, s.value)
        s.last = point
        s.box = union_bbox(s.box, touched)
        return touched is not None

    def end_stroke(self) -> MaskEdit | None:
        """Finish the stroke as one history step; ``None`` when it changed nothing."""
        s, self._stroke = self._stroke, None
        if s is None or s.box is None:
            return None
        r0, r1, c0, c1 = s.box
        local = MaskEdit.between(
            s.z,
            s.before[r0:r1, c0:c1],
            self._masks[s.z][r0:r1, c0:c1],
            "paint" if s.value else "erase",
        )
        if local is None:
            return None
        # The diff was taken inside the stroke box; move its box back to slice coordinates.
        lr0, lr1, lc0, lc1 = local.bbox
        edit = MaskEdit(
            s.z, (r0 + lr0, r0 + lr1, c0 + lc0, c0 + lc1), local.before, local.after, local.label
        )
        self.history.push(edit)
        return edit

    def cancel_stroke(self) -> int | None:
        """Drop the stroke, restoring the mask; returns its slice if pixels were reverted."""
        s, self._stroke = self._stroke, None
        if s is None:
            return None
        self._masks[s.z] = s.before
        return s.z if s.box is not None else None

    # ------------------------------------------------------------------ whole-mask steps
    def replace(self, z: int, new: np.ndarray, label: str) -> MaskEdit | None:
        """Set slice ``z``'s mask to ``new`` as one history step; ``None`` if nothing changes."""
        new = np.asarray(new).astype(bool)
        if new.shape != self.shape:
            raise ValueError(f"mask shape {new.shape} differs from the slice shape {self.shape}")
        edit = MaskEdit.between(z, self.mask_for(z), new, label)
        if edit is not None:
            edit.apply(self._writable(z))
            self.history.push(edit)
        return edit

    def replace_many(
        self, masks: dict[int, np.ndarray], label: str, focus_z: int
    ) -> HistoryStep | None:
        """Set several slices' masks as one history step (a 3-D edit).

        Args:
            masks: new full masks by slice index; slices not named are unchanged.
            label: what the user did.
            focus_z: the slice shown when the step is undone/redone.

        Returns:
            The step (``None`` when nothing changes).
        """
        parts = []
        for z in sorted(masks):
            new = np.asarray(masks[z]).astype(bool)
            if new.shape != self.shape:
                raise ValueError(
                    f"mask shape {new.shape} differs from the slice shape {self.shape}"
                )
            edit = MaskEdit.between(int(z), self.mask_for(int(z)), new, label)
            if edit is not None:
                parts.append(edit)
        if not parts:
            return None
        for edit in parts:
            edit.apply(self._writable(edit.z))
        step: HistoryStep = (
            parts[0] if len(parts) == 1 else MaskEditGroup(tuple(parts), int(focus_z), label)
        )
        self.history.push(step)
        return step

    def undo(self) -> HistoryStep | None:
        """Revert the last step; returns it (its ``parts`` say which slices changed)."""
        step = self.history.pop_undo()
        if step is not None:
            for edit in step.parts:
                edit.apply(self._writable(edit.z), reverse=True)
        return step

    def redo(self) -> HistoryStep | None:
        """Re-apply the last undone step; returns it."""
        step = self.history.pop_redo()
        if step is not None:
            for edit in step.parts:
                edit.apply(self._writable(edit.z))
        return step
