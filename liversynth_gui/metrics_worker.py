"""Fill metrics (PSNR, SSIM, MAE) off the GUI thread: newest request wins, results by number.

SSIM on a 512² slice takes ~0.2 s; computed in the GUI thread after each fill it held back
painting (the fill reached the screen only after its numbers). Here the document shows the
fill at once and hands a :class:`~liversynth.authoring.fill.MetricsRequest` to this worker;
the result comes back through a queued signal and the document keeps it only if it still
measures the fill on screen (:meth:`Document.apply_metrics`). The fill worker stays free for
the next fill: this one has its own one-thread pool.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Qt, QThreadPool, Signal

from liversynth.authoring.fill import MetricsRequest, MetricsResult, run_metrics

log = logging.getLogger(__name__)


class _Relay(QObject):
    """Lives in the GUI thread; the pool thread emits on it, Qt queues delivery."""

    done = Signal(object)  # MetricsResult, or None when measuring failed


class MetricsWorker(QObject):
    """Measures one fill at a time; while busy only the newest request waits.

    Signals:
        measured(MetricsResult): metrics of a request (GUI thread).

    Args:
        synchronous: measure inline in :meth:`submit` (tests, scripts).
        parent: Qt parent.
    """

    measured = Signal(object)

    def __init__(self, *, synchronous: bool = False, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.synchronous = synchronous
        self._busy = False
        self._pending: MetricsRequest | None = None
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._relay = _Relay(self)
        self._relay.done.connect(self._on_done, Qt.ConnectionType.QueuedConnection)

    @property
    def busy(self) -> bool:
        """``True`` while a measurement runs."""
        return self._busy

    def submit(self, request: MetricsRequest | None) -> None:
        """Measure ``request`` now or after the running one (an older waiting one is dropped)."""
        if request is None:
            return
        self._pending = request
        self._start_next()

    def shutdown(self, timeout_ms: int = 3000) -> bool:
        """Forget the waiting request and wait for the running one (window close)."""
        self._pending = None
        return bool(self._pool.waitForDone(timeout_ms))

    def _start_next(self) -> None:
        if self._busy or self._pending is None:
            return
        request, self._pending = self._pending, None
        self._busy = True
        if self.synchronous:
            self._on_done(_measure(request))
        else:
            relay = self._relay
            self._pool.start(lambda: relay.done.emit(_measure(request)))

    def _on_done(self, result: MetricsResult | None) -> None:
        self._busy = False
        if result is not None:
            self.measured.emit(result)
        self._start_next()


def _measure(request: MetricsRequest) -> MetricsResult | None:
    try:
        return run_metrics(request)
    except Exception:  # a metric failure must not take the thread (or the fill) down
        log.exception("measuring the fill failed")
        return None
