"""Painting with the mouse on the authoring view, one stroke = one undo step, brush size."""

from __future__ import annotations

from typing import Any

import numpy as np
from gui_helpers import drag, wheel, widget_point
from PySide6 import QtCore

Qt = QtCore.Qt


def test_a_mouse_stroke_paints_the_document_mask_along_its_path(window: Any) -> None:
    doc = window.doc
    doc.clear_mask()
    doc.brush_radius_px = 3
    assert not doc.mask.any()
    drag(window.view, [(40, 30), (40, 45), (40, 60)])
    mask = doc.mask
    assert mask[40, 30] and mask[40, 45] and mask[40, 60]  # the whole path, gap-free
    assert mask[40, 32:58].all()
    assert not mask[40, 70] and not mask[20, 45]
    assert doc.can_undo and doc.history.undo_label == "paint"
    # The lesion layer shows the document's mask (display follows the model).
    shown = window.view.layers["lesion"].image
    assert shown is not None and np.array_equal(shown > 0, mask)
    # When the stroke ends the whitened-input pane shows it (a white, outlined layer).
    assert np.array_equal(window.side.whitened.image > 0, mask)


def test_undo_and_redo_by_keyboard_treat_one_stroke_as_one_step(window: Any, qtbot: Any) -> None:
    doc = window.doc
    doc.brush_radius_px = 2
    start = doc.mask.copy()
    drag(window.view, [(50, 30), (52, 40), (55, 50), (60, 60)])
    painted = doc.mask.copy()
    assert painted.sum() > start.sum() + 20
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert np.array_equal(doc.mask, start)  # the whole stroke went in one step
    qtbot.keyClick(window.view, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    assert np.array_equal(doc.mask, painted)
    qtbot.keyClick(window.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(
        window.view,
        Qt.Key.Key_Z,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert np.array_equal(doc.mask, painted)
    assert window.actions.undo.isEnabled() and not window.actions.redo.isEnabled()


def test_eraser_removes_pixels_and_clear_and_fill_holes_are_single_steps(
    window: Any, qtbot: Any
) -> None:
    doc = window.doc
    doc.brush_radius_px = 6
    drag(window.view, [(60, 60)])  # a single click is a dab
    assert doc.mask[60, 60]
    window.actions.tool_eraser.trigger()
    doc.brush_radius_px = 2
    drag(window.view, [(60, 60), (60, 61)])
    assert not doc.mask[60, 60] and doc.mask[60, 65]  # a hole inside the dab
    window.actions.fill_holes.trigger()
    assert doc.mask[60, 60] and doc.history.undo_label == "fill holes"
    window.actions.clear_mask.trigger()
    assert not doc.mask.any()
    window.actions.undo.trigger()
    assert doc.mask[60, 60]


def test_pan_tool_drags_the_view_without_painting(window: Any) -> None:
    doc = window.doc
    before = doc.mask.copy()
    window.actions.tool_pan.trigger()
    x0 = window.view.view.viewRange()[0][0]
    drag(window.view, [(40, 40), (40, 50), (40, 70)])
    assert np.array_equal(doc.mask, before)
    assert window.view.view.viewRange()[0][0] < x0  # image moved right = view moved left


def test_brush_size_keys_shift_wheel_and_the_size_box_are_bound(window: Any, qtbot: Any) -> None:
    doc = window.doc
    doc.brush_radius_px = 5
    qtbot.keyClick(window.view, Qt.Key.Key_BracketRight)
    assert doc.brush_radius_px == 6
    qtbot.keyClick(window.view, Qt.Key.Key_BracketLeft)
    qtbot.keyClick(window.view, Qt.Key.Key_BracketLeft)
    assert doc.brush_radius_px == 4
    wheel(window.view, 60, 60, 240, Qt.KeyboardModifier.ShiftModifier)
    assert doc.brush_radius_px == 6
    assert window.tools.size_spin.value() == 6  # model → widget
    window.tools.size_spin.setValue(9)  # widget → model
    assert doc.brush_radius_px == 9


def test_brush_circle_follows_the_cursor_with_the_brush_radius(window: Any, qtbot: Any) -> None:
    window.doc.brush_radius_px = 7
    qtbot.mouseMove(window.view.viewport(), widget_point(window.view, 30, 40))
    rect = window.view.cursor_item.rect()
    assert window.view.cursor_item.isVisible()
    assert abs(rect.width() - 14) < 1e-6
    assert abs(rect.center().x() - 40.5) < 1e-6 and abs(rect.center().y() - 30.5) < 1e-6


def test_a_fast_stroke_is_gap_free_and_ends_at_the_release_point(window: Any) -> None:
    """pyqtgraph drops moves faster than 100/s; the stroke must still reach the release."""
    from gui_helpers import send_mouse

    doc = window.doc
    doc.clear_mask()
    doc.brush_radius_px = 2
    vp = window.view.viewport()
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    ev = QtCore.QEvent.Type
    send_mouse(vp, ev.MouseButtonPress, widget_point(window.view, 30, 20), left, left)
    for col in range(24, 100, 4):  # no pause between moves: most are dropped
        send_mouse(vp, ev.MouseMove, widget_point(window.view, 30, col), none, left)
    send_mouse(vp, ev.MouseButtonRelease, widget_point(window.view, 30, 100), left, none)
    assert doc.mask[30, 20:101].all()
    assert doc.history.undo_label == "paint" and not doc.stroke_active
