"""Undo/redo of mask edits, stored as small diffs (box + before/after crops), bounded.

One user action (a whole brush stroke, "fill holes", "clear", a stamp commit) is one
:class:`MaskEdit`; a 3-D action (a 3-D stamp, a sphere brush dab, "fill between slices") is one
:class:`MaskEditGroup` of per-slice edits, undone and redone together. Storing only the changed box keeps 100 steps of a 512×512 editor cheap.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from liversynth.authoring.brush import BBox, changed_bbox

#: Default number of undo steps kept.
DEFAULT_HISTORY_STEPS = 100


@dataclass(frozen=True)
class MaskEdit:
    """One undoable change of the mask of slice ``z``.

    Attributes:
        z: slice index.
        bbox: ``(row0, row1, col0, col1)`` of the change.
        before: bool crop of the mask in ``bbox`` before the edit.
        after: bool crop after the edit.
        label: what the user did (``"paint"``, ``"erase"``, ``"fill holes"``...), for menus.
    """

    z: int
    bbox: BBox
    before: np.ndarray
    after: np.ndarray
    label: str = ""

    @classmethod
    def between(
        cls, z: int, before: np.ndarray, after: np.ndarray, label: str = ""
    ) -> MaskEdit | None:
        """The edit turning full mask ``before`` into ``after``; ``None`` if they are equal."""
        box = changed_bbox(before, after)
        if box is None:
            return None
        r0, r1, c0, c1 = box
        return cls(z, box, before[r0:r1, c0:c1].copy(), after[r0:r1, c0:c1].copy(), label)

    def apply(self, mask: np.ndarray, *, reverse: bool = False) -> None:
        """Write ``after`` (or ``before`` when ``reverse``) into ``mask`` in place."""
        r0, r1, c0, c1 = self.bbox
        mask[r0:r1, c0:c1] = self.before if reverse else self.after

    @property
    def parts(self) -> tuple[MaskEdit, ...]:
        """The per-slice edits of this step (just itself)."""
        return (self,)


@dataclass(frozen=True)
class MaskEditGroup:
    """One undoable step that changed several slices (a 3-D edit).

    Attributes:
        parts: the per-slice :class:`MaskEdit` s, ascending ``z``.
        z: the slice to show when the step is undone or redone (where the user made it).
        label: what the user did, for menus.
    """

    parts: tuple[MaskEdit, ...]
    z: int
    label: str = ""


#: What the history stores: a one-slice or a multi-slice step.
HistoryStep = MaskEdit | MaskEditGroup


class MaskHistory:
    """Linear undo/redo stack of :class:`MaskEdit`; the oldest steps fall off beyond ``max_steps``.

    Args:
        max_steps: how many undo steps are kept (≥ 1).
    """

    def __init__(self, max_steps: int = DEFAULT_HISTORY_STEPS) -> None:
        if max_steps < 1:
            raise ValueError(f"history needs at least one step, got {max_steps}")
        self.max_steps = max_steps
        self._undo: deque[HistoryStep] = deque(maxlen=max_steps)
        self._redo: list[HistoryStep] = []

    def push(self, edit: HistoryStep) -> None:
        """Record a new edit; it discards everything that could have been redone."""
        self._undo.append(edit)
        self._redo.clear()

    def pop_undo(self) -> HistoryStep | None:
        """The edit to revert (moved to the redo stack), or ``None``."""
        if not self._undo:
            return None
        edit = self._undo.pop()
        self._redo.append(edit)
        return edit

    def pop_redo(self) -> HistoryStep | None:
        """The edit to re-apply (moved back to the undo stack), or ``None``."""
        if not self._redo:
            return None
        edit = self._redo.pop()
        self._undo.append(edit)
        return edit

    def clear(self) -> None:
        self._undo.clear()
        self._redo.clear()

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    @property
    def undo_label(self) -> str:
        """Label of the next undo (``""`` if none), e.g. for "Undo paint"."""
        return self._undo[-1].label if self._undo else ""

    @property
    def redo_label(self) -> str:
        return self._redo[-1].label if self._redo else ""

    def __len__(self) -> int:
        return len(self._undo)
