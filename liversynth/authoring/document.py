"""The authoring document: the Qt-free state behind the GUI (napari's "viewer model").

It owns the case, the shown slice, the window, one lesion mask per slice, the undo history,
the floating stamp and the last fill. Widgets never keep state of their own: they turn mouse
positions into array indices, call a method here, and redraw when an event of
:attr:`Document.events` fires (see :class:`~liversynth.authoring.events.DocumentEvents`).

Editing rules:
    * One user action is one undo step: a whole brush stroke (``begin_stroke`` /
      ``stroke_to``... / ``end_stroke``), ``fill_holes``, ``clear_mask``, ``whiten_real_tumour``,
      ``set_mask``, ``commit_stamp``.
    * Masks are kept per slice, so moving to another slice and back keeps the work.
    * Undo of an edit made on another slice first moves to that slice (the user sees it).

Example:
    >>> from liversynth.volume import Case, Volume
    >>> import numpy as np
    >>> doc = Document(Case("demo", Volume(np.zeros((3, 32, 32), np.int16), (2.5, 1.0, 1.0))))
    >>> doc.begin_stroke("paint", radius_px=2)
    >>> doc.stroke_to(10, 10); doc.stroke_to(10, 20)
    >>> doc.end_stroke()
    True
    >>> int(doc.mask.sum()) > 0, doc.can_undo
    (True, True)
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from liversynth.authoring.brush import clamp_radius
from liversynth.authoring.document_3d import Lesion3DMixin
from liversynth.authoring.document_fill import FillingMixin
from liversynth.authoring.document_stamp import StampingMixin
from liversynth.authoring.editing import MaskEditor
from liversynth.authoring.events import DocumentEvents
from liversynth.authoring.mask_history import DEFAULT_HISTORY_STEPS, HistoryStep, MaskHistory
from liversynth.authoring.source import CaseSource
from liversynth.authoring.stamp import LesionStamp
from liversynth.lesions.bank import LesionBank
from liversynth.volume import LIVER, TUMOUR, Case
from liversynth.windowing import PRESETS, Window, liver_window

#: Default brush radius in pixels.
DEFAULT_BRUSH_PX = 5


class Document(FillingMixin, StampingMixin, Lesion3DMixin):
    """State of one authoring session. Call it only from the GUI thread.

    Args:
        case: the case to edit (``None`` for an empty document; see :meth:`open_case`).
        source: how to reload ``case`` (for sessions); default: not reloadable.
        history_steps: number of undo steps kept.
    """

    def __init__(
        self,
        case: Case | None = None,
        *,
        source: CaseSource | None = None,
        history_steps: int = DEFAULT_HISTORY_STEPS,
    ) -> None:
        self.events = DocumentEvents()
        self.case: Case | None = None
        self.source = CaseSource()
        self._slice_index = 0
        self._window: Window = PRESETS["abdomen"]
        self._history_steps = history_steps
        self._editor = MaskEditor((0, 0), history_steps)
        self._brush_radius_px = DEFAULT_BRUSH_PX
        self._stamp: LesionStamp | None = None
        self._components_cache: tuple[Case, np.ndarray] | None = None
        self._liver_window_cache: tuple[Case, Window] | None = None
        self.lesion_bank: LesionBank | None = None
        self._init_fill()
        self._dirty = False
        self.revision = 0
        self.session_path: str | None = None
        #: How the GUI showed the work (zoom/pan, overlays), saved with the session as is.
        self.view_state: dict[str, object] = {}
        if case is not None:
            self.open_case(case, source=source)

    # ------------------------------------------------------------------ case, slice, window
    def open_case(self, case: Case, *, source: CaseSource | None = None) -> None:
        """Start editing ``case``: masks, history, stamp and fill are reset.

        The first slice shown is the one with the largest liver area (middle slice without labels).
        """
        self.case = case
        self.source = source or CaseSource()
        self._editor = MaskEditor(case.volume.shape[1:], self._history_steps)
        self._stamp = None
        self._slice_index = self._initial_slice(case)
        self._invalidate_fill()
        self.volume_fill = None
        self.session_path = None
        self.revision += 1
        self._set_dirty(False)
        self.events.volume_changed.emit()
        self.events.slice_changed.emit(self._slice_index)
        self.events.stamp_changed.emit(None)
        self.events.history_changed.emit()

    @staticmethod
    def _initial_slice(case: Case) -> int:
        if case.labels is not None:
            liver_area = (case.labels > 0).sum(axis=(1, 2))
            if liver_area.any():
                return int(np.argmax(liver_area))
        return case.volume.shape[0] // 2

    @property
    def has_case(self) -> bool:
        return self.case is not None

    def _require_case(self) -> Case:
        if self.case is None:
            raise RuntimeError("no case is open in this document")
        return self.case

    @property
    def n_slices(self) -> int:
        return 0 if self.case is None else self.case.volume.shape[0]

    @property
    def slice_shape(self) -> tuple[int, int]:
        """``(rows, cols)`` of a slice."""
        shape = self._require_case().volume.shape
        return shape[1], shape[2]

    @property
    def slice_index(self) -> int:
        return self._slice_index

    @slice_index.setter
    def slice_index(self, z: int) -> None:
        self.set_slice(z)

    def set_slice(self, z: int) -> None:
        """Show slice ``z`` (clamped to the volume). Ends a stroke in progress; drops the fill."""
        z = int(min(max(int(z), 0), max(self.n_slices - 1, 0)))
        if z == self._slice_index:
            return
        self.end_stroke()
        self._slice_index = z
        self._invalidate_fill()
        self._show_volume_fill()  # a 3-D fill already holds this slice: show it at once
        self.revision += 1
        self.events.slice_changed.emit(z)

    @property
    def window(self) -> Window:
        return self._window

    @window.setter
    def window(self, window: Window) -> None:
        self.set_window(window)

    def preset_window(self, name: str) -> Window:
        """The window of preset ``name`` for this case: ``liver`` is centred on the case's own
        median liver HU (labels 1), the others are the fixed ``PRESETS``."""
        if name not in PRESETS:
            raise ValueError(f"unknown window preset {name!r}; known: {sorted(PRESETS)}")
        case = self.case
        if name != "liver" or case is None or case.labels is None:
            return PRESETS[name]
        cached = self._liver_window_cache
        if cached is None or cached[0] is not case:
            # Every other row and column is plenty for a median (and 4x quicker on 512²).
            hu, labels = case.volume.hu[:, ::2, ::2], case.labels[:, ::2, ::2]
            cached = (case, liver_window(hu, labels == LIVER))
            self._liver_window_cache = cached
        return cached[1]

    def set_window(self, window: Window | str) -> None:
        """Set the display window (a :class:`Window` or a preset name, see :meth:`preset_window`)."""
        if isinstance(window, str):
            window = self.preset_window(window)
        if window == self._window:
            return
        self._window = window
        self.revision += 1
        self.events.window_changed.emit(window)

    def slice_hu(self, z: int | None = None) -> np.ndarray:
        """Slice ``z`` (default: the shown one) of the original volume, float32 HU copy."""
        return self._require_case().volume.slice_hu(self._slice_index if z is None else z)

    def liver_mask(self, z: int | None = None) -> np.ndarray | None:
        """Liver incl. tumour (labels 1 or 2) of slice ``z``; ``None`` without labels."""
        labels = self._require_case().labels
        if labels is None:
            return None
        lab = labels[self._slice_index if z is None else z]
        return (lab == LIVER) | (lab == TUMOUR)

    def tumour_mask(self, z: int | None = None) -> np.ndarray | None:
        """Ground-truth tumour (label 2) of slice ``z``; ``None`` without labels."""
        labels = self._require_case().labels
        if labels is None:
            return None
        return labels[self._slice_index if z is None else z] == TUMOUR

    # ------------------------------------------------------------------ masks
    def mask_for(self, z: int) -> np.ndarray:
        """Read-only view of the lesion mask of slice ``z`` (all False when never painted)."""
        return self._editor.mask_for(z)

    @property
    def mask(self) -> np.ndarray:
        """Read-only view of the lesion mask of the shown slice (widgets must not write to it)."""
        return self._editor.mask_for(self._slice_index)

    def painted_slices(self) -> list[int]:
        """Slices whose mask is non-empty, ascending."""
        return self._editor.painted_slices()

    @property
    def brush_radius_px(self) -> int:
        """Brush radius in pixels, clamped to ``[BRUSH_MIN_PX, BRUSH_MAX_PX]`` on assignment."""
        return self._brush_radius_px

    @brush_radius_px.setter
    def brush_radius_px(self, radius_px: float) -> None:
        radius = clamp_radius(radius_px)
        if radius != self._brush_radius_px:
            self._brush_radius_px = radius
            self.events.brush_changed.emit(radius)

    def begin_stroke(self, mode: str = "paint", radius_px: float | None = None) -> None:
        """Start a brush stroke on the shown slice.

        Args:
            mode: ``"paint"`` sets pixels, ``"erase"`` clears them.
            radius_px: brush radius for this stroke; default :attr:`brush_radius_px`.
        """
        if mode not in ("paint", "erase"):
            raise ValueError(f"stroke mode must be 'paint' or 'erase', got {mode!r}")
        self._require_case()
        self.end_stroke()
        radius = self._brush_radius_px if radius_px is None else clamp_radius(radius_px)
        self._editor.begin_stroke(self._slice_index, mode == "paint", radius)

    @property
    def stroke_active(self) -> bool:
        return self._editor.stroke_z is not None

    def stroke_to(self, row: float, col: float) -> None:
        """Extend the stroke to ``(row, col)`` (pixels, floats allowed): a disc at the first
        point, then a gap-free capsule along each segment from the previous point."""
        z = self._editor.stroke_z
        if self._editor.stroke_to(row, col) and z is not None:
            self.events.mask_changed.emit(z)

    def end_stroke(self) -> bool:
        """Finish the stroke as one undo step; ``False`` when it changed nothing (or none)."""
        return self._recorded(self._editor.end_stroke())

    def cancel_stroke(self) -> None:
        """Abandon the stroke in progress; the mask is restored as it was before it."""
        z = self._editor.cancel_stroke()
        if z is not None:
            self.events.mask_changed.emit(z)

    def set_mask(self, mask: np.ndarray, *, z: int | None = None, label: str = "set mask") -> bool:
        """Replace the mask of slice ``z`` (default: shown) as one undo step; ``False`` if equal."""
        self._require_case()
        self.end_stroke()
        z = self._slice_index if z is None else int(z)
        return self._recorded(self._editor.replace(z, mask, label), emit_mask=True)

    def fill_holes(self) -> bool:
        """Fill enclosed holes of the shown slice's mask (one undo step)."""
        return self.set_mask(ndimage.binary_fill_holes(self.mask), label="fill holes")

    def clear_mask(self) -> bool:
        """Erase the shown slice's mask (one undo step)."""
        return self.set_mask(np.zeros(self.slice_shape, dtype=bool), label="clear")

    def whiten_real_tumour(self) -> bool:
        """Make the mask the slice's ground-truth tumour (labels == 2), one undo step.

        Regenerating a real tumour gives a fill whose metrics measure fidelity.

        Returns:
            ``False`` (mask unchanged) when the case has no labels or this slice no tumour.
        """
        tumour = self.tumour_mask()
        if tumour is None or not tumour.any():
            return False
        self.set_mask(tumour, label="whiten real tumour")
        return True

    def mask_outside_liver_fraction(self, *, include_stamp: bool = False) -> float | None:
        """Fraction of mask pixels outside the liver (label 0), for a warning.

        Returns:
            ``None`` without labels; ``0.0`` for an empty mask.
        """
        liver = self.liver_mask()
        if liver is None:
            return None
        mask = self.mask
        if include_stamp and self._stamp is not None:
            mask = mask | self._stamp.render_at(self.slice_shape, self._slice_index)
        n = int(mask.sum())
        return 0.0 if n == 0 else float((mask & ~liver).sum()) / n

    # ------------------------------------------------------------------ history
    def _recorded(self, edit: HistoryStep | None, *, emit_mask: bool = False) -> bool:
        if edit is None:
            return False
        self._touch()
        if emit_mask:
            for part in edit.parts:
                self.events.mask_changed.emit(part.z)
        self.events.history_changed.emit()
        return True

    def _stepped(self, edit: HistoryStep | None) -> bool:
        if edit is None:
            return False
        self.set_slice(edit.z)  # show the user what was undone
        return self._recorded(edit, emit_mask=True)

    def undo(self) -> bool:
        """Revert the last step (showing its slice). ``False`` when there is nothing to undo."""
        self.end_stroke()
        return self._stepped(self._editor.undo())

    def redo(self) -> bool:
        """Re-apply the last undone step. ``False`` when there is nothing to redo."""
        self.end_stroke()
        return self._stepped(self._editor.redo())

    @property
    def can_undo(self) -> bool:
        return self._editor.history.can_undo

    @property
    def can_redo(self) -> bool:
        return self._editor.history.can_redo

    @property
    def history(self) -> MaskHistory:
        """The undo stack (read labels/lengths here; change masks through the document)."""
        return self._editor.history

    def restore_masks(self, masks: dict[int, np.ndarray]) -> None:
        """Replace all masks (history cleared); used when loading a session."""
        self._editor.restore(masks)
        for z in masks:
            self.events.mask_changed.emit(int(z))
        self.events.history_changed.emit()

    def masks_snapshot(self) -> dict[int, np.ndarray]:
        """Copies of every non-empty mask by slice index (used when saving)."""
        return self._editor.snapshot()

    # ------------------------------------------------------------------ dirty flag
    @property
    def dirty(self) -> bool:
        """``True`` when there is mask work not yet saved to a session file."""
        return self._dirty

    def _set_dirty(self, dirty: bool) -> None:
        if dirty != self._dirty:
            self._dirty = dirty
            self.events.dirty_changed.emit(dirty)

    def _touch(self) -> None:
        self.revision += 1
        self._set_dirty(True)

    def mark_clean(self, session_path: str | None = None) -> None:
        """Record that the work was saved (``session_path``: where)."""
        if session_path is not None:
            self.session_path = str(session_path)
        self._set_dirty(False)

    def mark_dirty(self) -> None:
        """Flag unsaved work (e.g. after recovering an autosave)."""
        self._touch()
