"""Read-outs that must follow the document without a mouse move: the status-bar HU and
position after a slice change by wheel or keys, and the comparison panes' HU on hover."""

from __future__ import annotations

from typing import Any

from gui_helpers import wheel, widget_point
from PySide6 import QtCore

Qt = QtCore.Qt


def _hu_text(doc: Any, z: int, row: int, col: int) -> str:
    return f"HU {float(doc.case.volume.hu[z, row, col]):6.0f}"


def test_hu_read_out_follows_slice_changes_without_mouse_move(window: Any, qtbot: Any) -> None:
    doc = window.doc
    doc.set_slice(5)
    qtbot.mouseMove(window.view.viewport(), widget_point(window.view, 60, 64))
    assert f"slice 6/{doc.n_slices}" in window.status.hover.text()
    # Keys, then the wheel, change the slice; the mouse stays where it was.
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_PageUp)
    assert doc.slice_index == 15
    text = window.status.hover.text()
    assert f"slice 16/{doc.n_slices}" in text, text
    assert _hu_text(doc, 15, 60, 64) in text, text
    wheel(window.view, 60, 64, -120 * 3)
    text = window.status.hover.text()
    assert f"slice 13/{doc.n_slices}" in text and _hu_text(doc, 12, 60, 64) in text, text
