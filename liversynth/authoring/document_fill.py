"""The fill part of the document: filler choice, generation-numbered requests, results, metrics.

A mixin of :class:`~liversynth.authoring.document.Document` (kept apart so each file stays one
concept). It owns the fill state (``filler_name``, ``generation``, ``last_*``) and reads the
document only through its public API, declared below for type checkers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from liversynth.authoring.events import DocumentEvents
from liversynth.authoring.fill import FillRequest, FillResult, MetricsRequest, MetricsResult
from liversynth.authoring.stamp import LesionStamp
from liversynth.authoring.volume_fill import VolumeFillRequest, VolumeFillResult
from liversynth.fillers.base import Appearance
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
        def lesion_volume(self, *, include_stamp: bool = True) -> tuple[int, np.ndarray] | None: ...
        def painted_slices(self) -> list[int]: ...

    def _init_fill(self) -> None:
        self.filler_name = DEFAULT_FILLER
        self.model_path: str | None = None
        self.fill_seed = 0
        #: The lesion's requested appearance (Filler panel); default: the engine decides.
        self.fill_appearance = Appearance()
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
        #: ``True``: :meth:`apply_fill_result` leaves the metrics to :meth:`apply_metrics`
        #: (the GUI measures in a background thread: SSIM on 512² takes ~0.2 s).
        self.deferred_metrics = False
        #: Counts applied fills; a :class:`MetricsResult` must name the fill it measured.
        self.fill_serial = 0
        self.ground_truth_is_healthy: bool | None = None
        #: The last finished 3-D fill (every slice of the lesion), reused when scrolling.
        self.volume_fill: VolumeFillResult | None = None
        self._volume_generation = -1

    def set_filler(self, name: str, model_path: str | None = None) -> None:
        """Choose the filler (registry name) and model file; the GUI then builds it for the worker."""
        model = None if model_path is None else str(model_path)
        if (name, model) == (self.filler_name, self.model_path):
            return
        self.filler_name, self.model_path = name, model
        self.volume_fill = None
        self.generation += 1  # results of the previous filler are stale now
        self.revision += 1
        self.events.filler_changed.emit(name, model)

    def set_fill_appearance(self, appearance: Appearance) -> None:
        """Request a contrast / heterogeneity; the shown fill is stale until the next result."""
        if appearance == self.fill_appearance:
            return
        self.fill_appearance = appearance
        self.generation += 1
        self.revision += 1

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
            mask = mask | self.stamp.render_at(mask.shape, self.slice_index)
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
            appearance=self.fill_appearance,
        )

    def lesion_is_3d(self) -> bool:
        """``True`` when the lesion (with a committed-to-be stamp) spans more than one slice."""
        return len(self.painted_slices()) > 1

    def request_volume_fill(self) -> VolumeFillRequest | None:
        """A request to fill every slice the lesion touches, the shown slice first.

        Returns:
            ``None`` without a case or lesion.
        """
        if self.case is None:
            return None
        slab = self.lesion_volume(include_stamp=True)
        self.generation += 1
        if slab is None:
            self._clear_fill()
            return None
        z0, mask = slab
        z1 = z0 + mask.shape[0]
        vol = self.case.volume
        labels = self.case.labels
        liver = None if labels is None else (labels[z0:z1] == 1) | (labels[z0:z1] == 2)
        self._volume_generation = self.generation
        return VolumeFillRequest(
            generation=self.generation,
            z0=z0,
            focus_z=self.slice_index,
            hu_zyx=np.asarray(vol.hu[z0:z1], dtype=np.float32),
            mask_zyx=mask,
            liver_zyx=liver,
            spacing_mm=vol.spacing_mm,
            filler_name=self.filler_name,
            seed=self.fill_seed,
            appearance=self.fill_appearance,
        )

    @property
    def volume_generation(self) -> int:
        """Generation of the latest 3-D request (its progress and result are the ones shown)."""
        return self._volume_generation

    def apply_volume_fill_result(self, result: VolumeFillResult) -> bool:
        """Keep a finished 3-D fill (``False`` when a newer 3-D request exists) and show its
        slice on screen (unless the mask there changed meanwhile)."""
        if result.generation != self._volume_generation:
            return False
        self.volume_fill = result
        self.events.fill_progress.emit(*([len(self._volume_slices(result))] * 2))
        self._show_volume_fill(force=True)
        return True

    @staticmethod
    def _volume_slices(result: VolumeFillResult) -> list[int]:
        return [result.z0 + int(k) for k in np.flatnonzero(result.mask_zyx.any(axis=(1, 2)))]

    def volume_fill_slice(self, z: int) -> np.ndarray | None:
        """Slice ``z`` of the last 3-D fill if it was made from the mask now on ``z``."""
        res = self.volume_fill
        if res is None or not res.z0 <= z < res.z0 + res.filled_zyx.shape[0]:
            return None
        used = res.mask_zyx[z - res.z0]
        if not used.any() or not np.array_equal(used, self.mask_for(z)):
            return None
        return res.filled_zyx[z - res.z0]

    def volume_fill_is_current(self) -> bool:
        """``True`` when the last 3-D fill covers exactly the lesion as it is now."""
        res = self.volume_fill
        if res is None or self.stamp is not None:  # set_filler() drops it
            return False
        painted = self.painted_slices()
        return painted == self._volume_slices(res) and all(
            self.volume_fill_slice(z) is not None for z in painted
        )

    def _show_volume_fill(self, *, force: bool = False) -> None:
        z = self.slice_index
        filled = self.volume_fill_slice(z)
        if filled is None or (self.fill_up_to_date and not force):
            return
        res = self.volume_fill
        assert res is not None
        self.apply_fill_result(
            FillResult(
                generation=self.generation,
                z=z,
                filled_hu=filled,
                elapsed_ms=res.elapsed_ms,
                device=res.device,
                filler_name=res.filler_name,
                mask=res.mask_zyx[z - res.z0],
            )
        )

    def apply_fill_result(self, result: FillResult) -> bool:
        """Store ``result`` if it answers the latest request; drop it (``False``) if stale.

        Also computes :attr:`last_metrics` with :func:`liversynth.metrics.compare` against the
        original slice, unless :attr:`deferred_metrics` (then :meth:`metrics_request` /
        :meth:`apply_metrics` bring them from another thread). ``ground_truth_is_healthy`` is ``True`` when no tumour label lies under
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
        self.fill_serial += 1
        if result.preview:
            self.events.fill_changed.emit()
            return True
        tumour = self.tumour_mask(result.z)
        self.ground_truth_is_healthy = None if tumour is None else not bool((tumour & used).any())
        if self.deferred_metrics:
            # The fill shows first; the numbers follow from apply_metrics().
            had = self.last_metrics is not None
            self.last_metrics = None
            if had:  # the old numbers are not this fill's
                self.events.metrics_changed.emit(None)
            self.events.fill_changed.emit()
            return True
        self.last_metrics = compare(self.slice_hu(result.z), result.filled_hu, used)
        self.events.fill_changed.emit()
        self.events.metrics_changed.emit(self.last_metrics)
        return True

    @property
    def metrics_pending(self) -> bool:
        """``True`` when a real fill is shown and its metrics are not computed yet."""
        return (
            self.last_fill is not None and not self.last_fill_preview and self.last_metrics is None
        )

    def metrics_request(self) -> MetricsRequest | None:
        """What to measure for the fill on screen (``None`` when nothing is pending)."""
        if not self.metrics_pending or self.last_fill_z is None:
            return None
        assert self.last_fill is not None and self.last_fill_mask is not None
        return MetricsRequest(
            generation=self.generation,
            fill_serial=self.fill_serial,
            truth_hu=self.slice_hu(self.last_fill_z),
            filled_hu=self.last_fill,
            mask=self.last_fill_mask,
        )

    def apply_metrics(self, result: MetricsResult) -> bool:
        """Show metrics computed elsewhere; ``False`` (dropped) unless they measure the fill
        now on screen (same generation and the same applied fill)."""
        if (
            result.generation != self.generation
            or result.fill_serial != self.fill_serial
            or not self.metrics_pending
        ):
            return False
        self.last_metrics = dict(result.metrics)
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
