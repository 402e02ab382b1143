"""The fill part of the document: filler choice, generation-numbered requests, results, metrics.

A mixin of :class:`~liversynth.authoring.document.Document` (kept apart so each file stays one
concept). It owns the fill state (``filler_name``, ``generation``, ``last_*``) and reads the
document only through its public API, declared below for type checkers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from liversynth.authoring.events import DocumentEvents
from liversynth.authoring.fill import FillRequest, FillResult
from liversynth.authoring.stamp import LesionStamp
from liversynth.metrics import compare
from liversynth.volume import Case

#: Default filler (the trained GAN); the GUI may switch to any registry name.
DEFAULT_FILLER = "gan"


class FillingMixin:
    """``request_fill`` / ``apply_fill_result`` and the ``last_*`` results of a document."""

    events: DocumentEvents
    case: Case | None
    revision: int

    if TYPE_CHECKING:

        @property
        def slice_index(self) -> int: ...

        def mask_for(self, z: int) -> np.ndarray: ...
        def slice_hu(self, z: int | None = None) -> np.ndarray: ...
        def liver_mask(self, z: int | None = None) -> np.ndarray | None: ...
        def tumour_mask(self, z: int | None = None) -> np.ndarray | None: ...
        @property
        def mask(self) -> np.ndarray: ...
        @property
        def stamp(self) -> LesionStamp | None: ...

    def _init_fill(self) -> None:
        self.filler_name = DEFAULT_FILLER
        self.model_path: str | None = None
        self.fill_seed = 0
        #: Number of the latest request; results with another number are stale.
        self.generation = 0
        self.last_fill: np.ndarray | None = None
        #: ``True`` while :attr:`last_fill` is a quick preview waiting for the real fill.
        self.last_fill_preview = False
        self.last_fill_mask: np.ndarray | None = None
        self.last_fill_generation: int | None = None
        self.last_fill_z: int | None = None
        self.last_fill_ms: float | None = None
        self.last_fill_device: str | None = None
        self.last_metrics: dict[str, float] | None = None
        self.ground_truth_is_healthy: bool | None = None

    def set_filler(self, name: str, model_path: str | None = None) -> None:
        """Choose the filler (registry name) and model file; the GUI then builds it for the worker."""
        model = None if model_path is None else str(model_path)
        if (name, model) == (self.filler_name, self.model_path):
            return
        self.filler_name, self.model_path = name, model
        self.generation += 1  # results of the previous filler are stale now
        self.revision += 1
        self.events.filler_changed.emit(name, model)

    def request_fill(self) -> FillRequest | None:
        """A new inference request for the shown slice and mask (bumps :attr:`generation`).

        A floating stamp counts as part of the mask, so the fill previews it live while the
        user drags, rotates and scales it, before it is committed.

        Returns:
            ``None`` when no case is open or the mask is empty (the fill is cleared then).
        """
        if self.case is None:
            return None
        mask = self.mask
        if self.stamp is not None:
            mask = mask | self.stamp.render(mask.shape)
        self.generation += 1
        if not mask.any():
            self._clear_fill()
            return None
        return FillRequest(
            generation=self.generation,
            z=self.slice_index,
            slice_hu=self.slice_hu(),
            mask=mask.copy(),
            liver_mask=self.liver_mask(),
            filler_name=self.filler_name,
            seed=self.fill_seed,
        )

    def apply_fill_result(self, result: FillResult) -> bool:
        """Store ``result`` if it answers the latest request; drop it (``False``) if stale.

        Also computes :attr:`last_metrics` with :func:`liversynth.metrics.compare` against the
        original slice. ``ground_truth_is_healthy`` is ``True`` when no tumour label lies under
        the mask: the original is then healthy tissue, and the numbers measure how much the
        fill changed the slice, not how faithful it is. ``None`` without labels.

        Args:
            result: from the worker; its ``mask`` (the request's) is the one measured
                (default: the current mask of ``result.z``). A ``preview`` result is shown
                but not measured, and a preview never replaces the real fill of its request.
        """
        if result.generation != self.generation or result.z != self.slice_index:
            return False
        if result.preview and self.last_fill is not None and not self.last_fill_preview:
            if self.last_fill_generation == result.generation:
                return False  # the real fill of this request is already shown
        mask = self.mask_for(result.z) if result.mask is None else result.mask
        used = np.array(mask, dtype=bool)
        self.last_fill = result.filled_hu
        self.last_fill_mask = used
        self.last_fill_z = result.z
        self.last_fill_ms = result.elapsed_ms
        self.last_fill_device = result.device
        self.last_fill_preview = result.preview
        self.last_fill_generation = result.generation
        if result.preview:
            self.events.fill_changed.emit()
            return True
        tumour = self.tumour_mask(result.z)
        self.ground_truth_is_healthy = None if tumour is None else not bool((tumour & used).any())
        self.last_metrics = compare(self.slice_hu(result.z), result.filled_hu, used)
        self.events.fill_changed.emit()
        self.events.metrics_changed.emit(self.last_metrics)
        return True

    @property
    def fill_up_to_date(self) -> bool:
        """``True`` when :attr:`last_fill` was made from the mask now shown."""
        return (
            self.last_fill is not None
            and self.last_fill_z == self.slice_index
            and self.last_fill_mask is not None
            and np.array_equal(self.last_fill_mask, self.mask)
        )

    def _clear_fill(self) -> None:
        had = self.last_fill is not None
        self.last_fill = self.last_fill_mask = None
        self.last_fill_z = self.last_fill_ms = self.last_fill_device = None
        self.last_fill_preview = False
        self.last_metrics = None
        self.ground_truth_is_healthy = None
        if had:
            self.events.fill_changed.emit()
            self.events.metrics_changed.emit(None)

    def _invalidate_fill(self) -> None:
        self.generation += 1  # anything in flight is for another slice/case now
        self._clear_fill()
