"""Run slow work (opening a case, a session, an export) off the GUI thread, one job at a time.

The result hops back to the GUI thread through a queued signal. ``synchronous=True`` runs
inline, so tests see the result as soon as the call returns.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6 import QtCore

from liversynth.errors import LiverSynthError


def user_message(err: BaseException) -> str:
    """A user-facing message: our own errors are already worded for users."""
    if isinstance(err, LiverSynthError):
        return str(err)
    return f"{type(err).__name__}: {err}"


class _Relay(QtCore.QObject):
    done = QtCore.Signal(object, object)  # (on_done callback, result)
    error = QtCore.Signal(str)


class BackgroundRunner(QtCore.QObject):
    """A one-thread pool with result/error signals.

    Signals:
        failed(str): a user-facing message (our errors name the file and the problem).
        busy_changed(bool): a job started / ended.

    Args:
        synchronous: run jobs inline in :meth:`run` (tests).
    """

    failed = QtCore.Signal(str)
    busy_changed = QtCore.Signal(bool)

    def __init__(self, *, synchronous: bool = False, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self.synchronous = synchronous
        self.busy = False
        self._jobs = 0
        self._pool = QtCore.QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._relay = _Relay(self)
        queued = QtCore.Qt.ConnectionType.QueuedConnection
        self._relay.done.connect(self._on_done, queued)
        self._relay.error.connect(self._on_error, queued)

    def run(self, work: Callable[[], object], on_done: Callable[[object], None]) -> None:
        """Run ``work()`` and call ``on_done(result)`` in the GUI thread (or emit ``failed``)."""
        self._jobs += 1
        self._set_busy(True)
        if self.synchronous:
            self._work(work, on_done, self._on_done, self._on_error)
        else:
            relay = self._relay
            self._pool.start(lambda: self._work(work, on_done, relay.done.emit, relay.error.emit))

    @staticmethod
    def _work(
        work: Callable[[], object],
        on_done: Callable[[object], None],
        done: Callable[[object, object], None],
        error: Callable[[str], None],
    ) -> None:
        try:
            result = work()
        except Exception as err:  # a bug must not leave the window waiting forever
            error(user_message(err))
        else:
            done(on_done, result)

    def wait(self, timeout_ms: int = 30000) -> bool:
        """Wait for the running job (closing the window)."""
        return bool(self._pool.waitForDone(timeout_ms))

    def _job_ended(self) -> None:
        self._jobs -= 1
        self._set_busy(self._jobs > 0)

    def _set_busy(self, busy: bool) -> None:
        if busy != self.busy:
            self.busy = busy
            self.busy_changed.emit(busy)

    def _on_done(self, on_done: Callable[[object], None], result: object) -> None:
        self._job_ended()
        on_done(result)

    def _on_error(self, message: str) -> None:
        self._job_ended()
        self.failed.emit(message)
