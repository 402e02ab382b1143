"""The Qt binding itself: a known-bad PySide6 release would crash the app mid-session."""

from __future__ import annotations

import sys

import pytest

pytest.importorskip("PySide6")

from PySide6 import QtCore


class _Emitter(QtCore.QObject):
    changed = QtCore.Signal()


def test_signal_emit_keeps_the_reference_count_of_true() -> None:
    """PySide6 6.12.0's ``Signal.emit`` returns ``True`` without a reference: every emit from
    Python (pyqtgraph emits on each mouse move) drains it, and after a few thousand the
    interpreter aborts with "bool_dealloc". The app needs a release without that bug."""
    if sys.version_info >= (3, 12):
        pytest.skip("True is immortal from Python 3.12 on; the leak cannot crash there")
    emitter = _Emitter()
    before = sys.getrefcount(True)
    for _ in range(200):
        emitter.changed.emit()
    assert sys.getrefcount(True) - before > -100, "PySide6 drops a reference to True per emit"


def test_the_app_warns_about_the_broken_release(monkeypatch: pytest.MonkeyPatch) -> None:
    import PySide6

    from liversynth_gui.app import binding_warning

    monkeypatch.setattr(PySide6, "__version__", "6.12.0")
    assert "6.12.0" in (binding_warning() or "")
    monkeypatch.setattr(PySide6, "__version__", "6.11.3")
    assert binding_warning() is None
