"""Live fill: debounce edits, send the newest request to the worker, build fillers.

Each mask edit restarts a single-shot timer; when the user pauses (~150 ms) the document makes
a generation-numbered :class:`FillRequest` and the :class:`FillWorker` runs it off the GUI
thread. Results go back to the document, which keeps only the newest.
"""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore

from liversynth.authoring import Document
from liversynth.authoring.fill import MetricsResult, run_fill
from liversynth.authoring.volume_fill import VolumeFillResult
from liversynth.fillers.base import SliceFiller
from liversynth.fillers.registry import available_fillers
from liversynth_gui.binding import Connections
from liversynth_gui.metrics_worker import MetricsWorker
from liversynth_gui.worker import LOAD_FAILED_GENERATION, FillWorker

#: Pause after the last edit before a fill is requested, ms.
DEBOUNCE_MS = 150
#: The quick stand-in shown while a slower engine fills (a few ms on a 512² slice).
PREVIEW_FILLER = "mean"
#: Used when the bundled model cannot be loaded at start-up.
FALLBACK_FILLER = "biharmonic"


def build_filler(name: str, model_path: str | None) -> SliceFiller:
    """Build a filler by registry name (imports torch: call it in the worker thread).

    One throw-away fill on a small blank slice follows, so that the first fill the user asks
    for does not also pay for PyTorch's one-off kernel set-up (about half a second on a CPU).
    PyTorch gets one core less than the machine has: the UI thread needs one to repaint while a
    fill runs, and an OpenMP region waiting for a descheduled thread made 2-thread fills on a
    busy 2-core machine 5-18x slower than 1-thread ones (benchmarks/).
    """
    import numpy as np
    import torch

    from liversynth.fillers.gan import usable_cores
    from liversynth.fillers.registry import make_filler

    torch.set_num_threads(max(1, usable_cores() - 1))
    make_filler(PREVIEW_FILLER)  # its imports (~1.5 s of scikit-image) happen here, not on a click
    filler = make_filler(name, model_path=model_path, device="auto")
    yy, xx = np.mgrid[:160, :160]
    disc = (yy - 80) ** 2 + (xx - 80) ** 2 <= 8**2
    filler.fill(np.full((160, 160), 100.0, np.float32), disc, liver_mask=np.ones_like(disc))
    return filler


class FillController(QtCore.QObject):
    """Glue between document edits, the worker and the filler choice.

    Signals:
        status(str): a message for the status bar.
        error(str, str): ``(title, message)`` for a dialog (a model file that cannot be used).
        fillerReady(str, str): ``(name, device)`` once a filler is in place.
        fillersListed(list): names from ``available_fillers()``, once the first filler is in
            place (the combo stays disabled until then: nothing to choose from while loading).
        note(str): a lasting remark for the filler panel (e.g. the start-up fallback), or "".

    Args:
        worker: the inference worker.
        debounce_ms: pause after the last edit before requesting a fill.
        measurer: computes the metrics of each shown fill in the background (default: a
            new one, synchronous when ``worker`` is).
    """

    status = QtCore.Signal(str)
    error = QtCore.Signal(str, str)
    fillerReady = QtCore.Signal(str, str)
    fillersListed = QtCore.Signal(list)
    note = QtCore.Signal(str)

    def __init__(
        self,
        worker: FillWorker,
        debounce_ms: int = DEBOUNCE_MS,
        parent: QtCore.QObject | None = None,
        measurer: MetricsWorker | None = None,
    ) -> None:
        super().__init__(parent)
        self.worker = worker
        self.measurer = measurer or MetricsWorker(synchronous=worker.synchronous, parent=self)
        self.measurer.measured.connect(self._on_measured)
        self.doc: Document | None = None
        self._conns = Connections()
        self.timer = QtCore.QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(debounce_ms)
        self.timer.timeout.connect(self.fill_now)
        self._loading: tuple[str, str | None] | None = None
        #: Show a quick ``mean`` fill before the chosen engine's (off for measurements).
        self.preview = True
        self._preview: SliceFiller | None = None
        self._startup = True  # the first load may fall back to FALLBACK_FILLER
        self.available: list[str] = []
        worker.finished.connect(self._on_finished)
        worker.volume_finished.connect(self._on_volume_finished)
        worker.progress.connect(self._on_progress)
        worker.failed.connect(self._on_failed)
        worker.filler_loaded.connect(self._on_filler_loaded)

    def bind(self, doc: Document) -> None:
        """Follow ``doc``; a fill for its current mask is scheduled."""
        self._conns.clear()
        self.doc = doc
        # The fill reaches the screen first; its metrics follow from the measurer's thread.
        doc.deferred_metrics = True
        self._conns.listen(doc.events.fill_changed, self._measure)
        self._conns.listen(doc.events.mask_changed, self._on_mask_changed)
        # A finished step (stroke end, undo, fill holes...) is the moment the user waits for
        # the fill: request it at once, without the debounce meant for edits in progress.
        self._conns.listen(doc.events.history_changed, self.fill_now)
        self._conns.listen(doc.events.slice_changed, lambda _z: self.schedule())
        self._conns.listen(doc.events.volume_changed, self.schedule)
        # A floating stamp is filled live as it is dragged, rotated and scaled.
        self._conns.listen(doc.events.stamp_changed, lambda _stamp: self.schedule())
        self.schedule()

    # -- fills -----------------------------------------------------------------------------
    def schedule(self) -> None:
        """(Re)start the debounce timer."""
        self.timer.start()

    def fill_now(self) -> None:
        """Request a fill for the shown mask immediately (skips the debounce).

        A slow engine's fill is preceded by a preview from the ``mean`` filler (a few ms, in
        this thread), so the lesion shows filled at once and the real fill replaces it.
        """
        self.timer.stop()
        doc = self.doc
        if doc is None or not doc.has_case or doc.stroke_active:
            return
        filler = self.worker.filler
        if filler is None:
            return  # the filler is still loading; its arrival schedules a fill
        if doc.stamp is None and doc.lesion_is_3d():
            # A 3-D lesion: every slice it touches, the shown one first (a floating stamp is
            # previewed on the shown slice only, so a drag stays interactive).
            if not doc.volume_fill_is_current():
                self.worker.submit(doc.request_volume_fill())
            return
        request = doc.request_fill()
        if request is not None and self.preview and getattr(filler, "name", "") != PREVIEW_FILLER:
            doc.apply_fill_result(run_fill(self._preview_filler(), request, preview=True))
        self.worker.submit(request)

    def _preview_filler(self) -> SliceFiller:
        if self._preview is None:
            from liversynth.fillers.registry import make_filler

            self._preview = make_filler(PREVIEW_FILLER)
        return self._preview

    def _on_mask_changed(self, z: int) -> None:
        # A 3-D lesion is refilled whichever of its slices changed (e.g. a stamp committed
        # after scrolling off it); a 2-D one only for the shown slice.
        if self.doc is not None and (z == self.doc.slice_index or self.doc.lesion_is_3d()):
            self.schedule()

    def _measure(self) -> None:
        if self.doc is not None and self.doc.metrics_pending:
            self.measurer.submit(self.doc.metrics_request())

    def _on_measured(self, result: object) -> None:
        if self.doc is not None and isinstance(result, MetricsResult):
            self.doc.apply_metrics(result)  # stale numbers (another fill shown) are dropped

    def _on_finished(self, result: object) -> None:
        if self.doc is not None:
            self.doc.apply_fill_result(result)  # stale results are dropped by the document

    def _on_volume_finished(self, result: object) -> None:
        if not isinstance(result, VolumeFillResult) or self.doc is None:
            return
        if self.doc.apply_volume_fill_result(result):
            n = int(result.mask_zyx.any(axis=(1, 2)).sum())
            self.status.emit(
                f"Filled {n} slices of the lesion in {result.elapsed_ms / 1000.0:.2f} s "
                f"(slice on screen after {result.first_ms:.0f} ms)"
            )

    def _on_progress(self, generation: int, done: int, total: int) -> None:
        if self.doc is not None and generation == self.doc.volume_generation:
            self.doc.events.fill_progress.emit(done, total)

    def cancel(self) -> None:
        """Stop the running volume fill (the "Cancel" button next to the progress bar)."""
        self.timer.stop()
        self.worker.cancel()
        if self.doc is not None:
            self.doc.events.fill_progress.emit(0, 0)

    # -- fillers ---------------------------------------------------------------------------
    def choose_filler(self, name: str, model_path: str | Path | None = None) -> None:
        """Build filler ``name`` (with ``model_path`` for ``gan``) in the background.

        The document switches only once it is built; on failure the current filler stays.
        """
        path = None if model_path is None else str(model_path)
        self._loading = (name, path)
        self.status.emit(f"Loading filler '{name}'…")
        self.worker.load_filler(lambda: build_filler(name, path))

    def _on_filler_loaded(self, filler: object) -> None:
        name, path = self._loading or (getattr(filler, "name", "?"), None)
        self._loading = None
        if not self._startup:
            self.note.emit("")  # a deliberate choice replaces the start-up fallback remark
        self._startup = False
        if self.doc is not None:
            self.doc.set_filler(name, path)
        device = str(getattr(filler, "device", "cpu"))
        self.fillerReady.emit(name, device)
        self.status.emit(f"Filler '{name}' ready on {device}")
        if not self.available:
            self.available = available_fillers()
            self.fillersListed.emit(list(self.available))
        self.schedule()

    def _on_failed(self, generation: int, message: str) -> None:
        if generation != LOAD_FAILED_GENERATION:
            self.status.emit(f"Fill failed: {message}")
            return
        name = self._loading[0] if self._loading else "?"
        self._loading = None
        if self._startup and name != FALLBACK_FILLER:
            # Never leave a fresh start without a filler: fall back and say why.
            self.note.emit(
                f"No usable GAN model: using '{FALLBACK_FILLER}' instead. "
                "Load one with “Load model…”."
            )
            self.choose_filler(FALLBACK_FILLER)
            self.status.emit(f"GAN model not loaded ({message})")
            return
        self.error.emit(f"Cannot use filler '{name}'", message)
