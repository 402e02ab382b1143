"""The inference worker: one fill at a time off the GUI thread, newest request wins.

ndv's habit: every :class:`~liversynth.authoring.fill.FillRequest` carries a generation number;
the worker runs at most one job, keeps only the *newest* pending request while busy
(coalescing: requests the user has already superseded are never computed), and hands results
back to the GUI thread through a queued signal. The document then drops results that are no
longer the latest (:meth:`Document.apply_fill_result`).

The worker knows nothing of documents or debouncing: the window's
:class:`~liversynth_gui.fill_controller.FillController` debounces edits, submits
``doc.request_fill()``, builds fillers through :meth:`load_filler`, and hands ``finished``
results to :meth:`Document.apply_fill_result`.

``FillWorker(synchronous=True)`` runs every job inline in :meth:`submit` (tests, scripts).

A :class:`~liversynth.authoring.volume_fill.VolumeFillRequest` (a 3-D lesion) runs through
:func:`~liversynth.authoring.volume_fill.run_volume_fill`: the on-screen slice arrives first on
``finished``, then ``progress`` per chunk, then the whole lesion on ``volume_finished``. A newer
request (or :meth:`cancel`) stops it between chunks.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from functools import partial
from typing import Any, cast

from PySide6.QtCore import QObject, Qt, QThreadPool, Signal

from liversynth.authoring.fill import FillRequest, FillResult, run_fill
from liversynth.authoring.volume_fill import VolumeFillRequest, VolumeFillResult, run_volume_fill
from liversynth.errors import LiverSynthError
from liversynth.fillers.base import SliceFiller
from liversynth_gui.background import user_message

log = logging.getLogger(__name__)

#: Generation reported by ``failed`` when loading a filler (not a fill request) went wrong.
LOAD_FAILED_GENERATION = -1


class _Relay(QObject):
    """Lives in the GUI thread; the pool thread emits on it, Qt queues delivery."""

    done = Signal(object, object)  # (kind, payload)
    error = Signal(object, str)  # (kind, message)
    first = Signal(object)  # FillResult of a volume fill's on-screen slice
    progress = Signal(int, int, int)  # (generation, done, total)


def _run_job(
    kind: Any,
    work: Callable[[], object],
    done: Callable[[Any, object], None],
    error: Callable[[Any, str], None],
) -> None:
    """Run ``work`` and report ``done(kind, payload)`` or ``error(kind, message)``."""
    try:
        payload = work()
    except LiverSynthError as err:  # expected and explained to the user: no traceback
        log.info("background job refused: %s", err)
        error(kind, user_message(err))
    except Exception as err:  # every failure becomes a message; the thread lives on
        log.exception("background job failed")
        error(kind, user_message(err))
    else:
        done(kind, payload)


class FillWorker(QObject):
    """Runs fills (and filler loading) one at a time in a private one-thread pool.

    Signals:
        finished(FillResult): a fill completed (GUI thread).
        failed(int, str): ``(generation, message)``; generation ``-1`` for a failed filler load.
        filler_loaded(object): the new filler is in place (after :meth:`load_filler`).
        busy_changed(bool): a job started / the worker went idle.
        progress(int, int, int): ``(generation, slices_done, slices_total)`` of a volume fill.
        volume_finished(VolumeFillResult): a volume fill completed (GUI thread).

    Args:
        filler: the initial filler (or ``None`` until one is set or loaded).
        synchronous: run jobs inline in the caller's thread (tests).
        parent: Qt parent.
    """

    finished = Signal(object)
    failed = Signal(int, str)
    filler_loaded = Signal(object)
    busy_changed = Signal(bool)
    progress = Signal(int, int, int)
    volume_finished = Signal(object)

    def __init__(
        self,
        filler: SliceFiller | None = None,
        *,
        synchronous: bool = False,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._filler = filler
        self.synchronous = synchronous
        self._busy = False
        self._pending: FillRequest | VolumeFillRequest | None = None
        self._cancel = threading.Event()
        self._pending_load: Callable[[], SliceFiller] | None = None
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._relay = _Relay(self)
        conn = Qt.ConnectionType.QueuedConnection
        self._relay.done.connect(self._on_done, conn)
        self._relay.error.connect(self._on_error, conn)
        self._relay.first.connect(self.finished.emit, conn)
        self._relay.progress.connect(self.progress.emit, conn)

    # ------------------------------------------------------------------ public API
    @property
    def filler(self) -> SliceFiller | None:
        return self._filler

    def set_filler(self, filler: SliceFiller | None) -> None:
        """Use ``filler`` from the next job on (a running job finishes with the old one)."""
        self._filler = filler

    @property
    def busy(self) -> bool:
        """``True`` while a job runs."""
        return self._busy

    @property
    def pending(self) -> FillRequest | VolumeFillRequest | None:
        """The request waiting for the running job to finish (newest only), if any."""
        return self._pending

    def submit(self, request: FillRequest | VolumeFillRequest | None) -> None:
        """Compute ``request`` now, or after the running job; an older pending one is dropped
        and a running volume fill is cancelled (newest request wins).

        ``None`` (what ``Document.request_fill`` returns for an empty mask) is ignored.
        """
        if request is None:
            return
        self._pending = request
        if self._busy:
            self._cancel.set()
        self._start_next()

    def cancel(self) -> None:
        """Stop a running volume fill after its current chunk and forget pending requests."""
        self._pending = None
        if self._busy:
            self._cancel.set()

    def load_filler(self, factory: Callable[[], SliceFiller]) -> None:
        """Build a filler in the background (loading a model can take seconds), then use it.

        Emits ``filler_loaded(filler)``, or ``failed(-1, message)`` keeping the old filler.
        Loads run before pending fills, so the next fill uses the new filler.
        """
        self._pending_load = factory
        self._start_next()

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Forget pending work and wait for the running job (call on window close)."""
        self._pending = None
        self._pending_load = None
        return bool(self._pool.waitForDone(timeout_ms))

    # ------------------------------------------------------------------ internals
    def _start_next(self) -> None:
        if self._busy:
            return
        if self._pending_load is not None:
            kind: Any = "load"
            work: Callable[[], object] = self._pending_load
            self._pending_load = None
        elif self._pending is not None:
            request, self._pending = self._pending, None
            kind = request.generation
            if self._filler is None:
                self.failed.emit(request.generation, "no filler is loaded yet")
                return
            if isinstance(request, VolumeFillRequest):
                work = self._volume_job(self._filler, request)
            else:
                work = partial(run_fill, self._filler, request)  # binds this job's filler
        else:
            return
        self._set_busy(True)
        if self.synchronous:
            _run_job(kind, work, self._on_done, self._on_error)
        else:
            relay = self._relay
            self._pool.start(lambda: _run_job(kind, work, relay.done.emit, relay.error.emit))

    def _volume_job(self, filler: SliceFiller, request: VolumeFillRequest) -> Callable[[], object]:
        self._cancel.clear()
        cancel = self._cancel
        gen = request.generation
        if self.synchronous:
            first: Callable[[FillResult], None] = self.finished.emit
            progress: Callable[[int, int, int], None] = self.progress.emit
        else:
            first, progress = self._relay.first.emit, self._relay.progress.emit
        return partial(
            run_volume_fill,
            filler,
            request,
            on_first=first,
            on_progress=lambda done, total: progress(gen, done, total),
            is_cancelled=cancel.is_set,
        )

    def _set_busy(self, busy: bool) -> None:
        if busy != self._busy:
            self._busy = busy
            self.busy_changed.emit(busy)

    def _on_done(self, kind: Any, payload: object) -> None:
        self._set_busy(False)
        if kind == "load":
            self._filler = cast(SliceFiller, payload)
            self.filler_loaded.emit(payload)
        elif isinstance(payload, FillResult):
            self.finished.emit(payload)
        elif isinstance(payload, VolumeFillResult):
            self.volume_finished.emit(payload)
        self._start_next()

    def _on_error(self, kind: Any, message: str) -> None:
        self._set_busy(False)
        self.failed.emit(LOAD_FAILED_GENERATION if kind == "load" else int(kind), message)
        self._start_next()
