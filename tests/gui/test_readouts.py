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
    qtbot.mouseMove(window.view.viewport(), widget_point(window.view, 10, 10))
    qtbot.wait(30)  # beyond pyqtgraph's mouse-move rate limit
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


def test_position_read_out_is_in_patient_lps_coordinates(
    window: Any, small_case: Any, qtbot: Any
) -> None:
    import numpy as np

    from liversynth.authoring import CaseSource
    from liversynth.volume import Case, Volume

    sz, sy, sx = small_case.volume.spacing_mm
    affine = np.zeros((4, 4))  # (z, y, x, 1) → LPS (x, y, z): axes along L, P, S; an origin
    affine[3, 3] = 1.0
    affine[0, 2], affine[1, 1], affine[2, 0] = sx, sy, sz
    affine[:3, 3] = (-180.0, -150.0, -412.5)
    volume = Volume(small_case.volume.hu, small_case.volume.spacing_mm, affine_lps=affine)
    window.doc.open_case(Case("placed", volume, small_case.labels), source=CaseSource())
    doc = window.doc
    doc.set_slice(4)
    qtbot.mouseMove(window.view.viewport(), widget_point(window.view, 10, 10))
    qtbot.wait(30)  # beyond pyqtgraph's mouse-move rate limit
    qtbot.mouseMove(window.view.viewport(), widget_point(window.view, 50, 70))
    x, y, z = volume.index_to_lps_mm(4, 50, 70)
    assert (x, y, z) == (-180.0 + 70 * sx, -150.0 + 50 * sy, -412.5 + 4 * sz)
    text = window.status.hover.text()
    assert f"LPS ({x:6.1f}, {y:6.1f}, {z:6.1f}) mm" in text, text
    assert "(LPS)" in window.slice_nav.info.text()
