"""Keys go where the user expects: digits after a typed slice number are window presets."""

from __future__ import annotations

from typing import Any

from PySide6 import QtCore, QtWidgets

from liversynth.windowing import PRESETS

Qt = QtCore.Qt


def test_digits_after_typing_a_slice_number_are_presets(window: Any, qtbot: Any) -> None:
    doc = window.doc
    window.activateWindow()
    spin = window.slice_nav.spin
    spin.setFocus()
    spin.selectAll()
    qtbot.keyClicks(spin, "4")
    qtbot.keyClick(spin, Qt.Key.Key_Return)
    assert doc.slice_index == 3
    # The next digit is a preset (3 = bone), sent to whatever has the keyboard now.
    target = QtWidgets.QApplication.focusWidget() or window
    qtbot.keyClick(target, Qt.Key.Key_3)
    assert doc.window == PRESETS["bone"]
    assert spin.text() == "4"
    # Pointing at the image again (it takes the keyboard) does not jump to another slice.
    window.view.setFocus()
    QtWidgets.QApplication.processEvents()
    assert doc.slice_index == 3
