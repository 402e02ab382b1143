"""The Qt-free Signal: connect, disconnect, emit, blocking."""

from __future__ import annotations

from liversynth.authoring.events import DocumentEvents, Signal


def test_emit_calls_callbacks_in_order_with_arguments() -> None:
    sig = Signal("s")
    calls: list[tuple[str, int]] = []
    sig.connect(lambda v: calls.append(("a", v)))
    sig.connect(lambda v: calls.append(("b", v)))
    sig.emit(7)
    assert calls == [("a", 7), ("b", 7)]


def test_disconnect_and_double_connect() -> None:
    sig = Signal()
    seen: list[int] = []
    sig.connect(seen.append)
    sig.connect(seen.append)  # no duplicate
    sig.emit(1)
    sig.disconnect(seen.append)
    sig.emit(2)
    assert seen == [1]
    assert len(sig) == 0


def test_blocked_is_nestable_and_restores() -> None:
    sig = Signal()
    seen: list[int] = []
    sig.connect(seen.append)
    with sig.blocked():
        with sig.blocked():
            sig.emit(1)
        sig.emit(2)
        assert sig.is_blocked
    sig.emit(3)
    assert seen == [3]


def test_callback_may_disconnect_itself_during_emit() -> None:
    sig = Signal()
    seen: list[str] = []

    def once() -> None:
        seen.append("once")
        sig.disconnect(once)

    sig.connect(once)
    sig.connect(lambda: seen.append("always"))
    sig.emit()
    sig.emit()
    assert seen == ["once", "always", "always"]


def test_document_events_block_all_and_instances_are_independent() -> None:
    a, b = DocumentEvents(), DocumentEvents()
    seen: list[int] = []
    a.slice_changed.connect(seen.append)
    b.slice_changed.emit(5)  # another document's events never reach a's listeners
    with a.blocked():
        a.slice_changed.emit(1)
    a.slice_changed.emit(2)
    assert seen == [2]
    assert len(a.all()) == len(DocumentEvents.NAMES)
